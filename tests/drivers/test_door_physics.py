"""hw_sim door physics driving the real GPIO backend and driver on MockFactory pins."""

from __future__ import annotations

import time

import pytest

from gate.clock import ManualClock, SystemClock
from gate.config.door import DoorConfig
from gate.door import DoorDriver, DoorEvent, DoorStateMachine
from hw_sim.door_physics import SimDoor

UNLOCK = 3.0
HELD = 20.0


@pytest.fixture
def world():
    clock = ManualClock()
    config = DoorConfig(unlock_seconds=UNLOCK, held_open_seconds=HELD)
    sim = SimDoor(clock, fail_mode=config.fail_mode)
    events: list[DoorEvent] = []
    driver = DoorDriver(DoorStateMachine(config, clock), sim.hardware, clock, events.append)
    yield sim, driver, events
    driver.close()
    sim.shutdown()


def names(events: list[DoorEvent]) -> list[str]:
    return [e.type for e in events]


def energised_seconds(history: list[tuple[float, bool]]) -> list[float]:
    """Length of every energised spell in a relay history."""
    spells, since = [], None
    for t, on in history:
        if on:
            since = t
        elif since is not None:
            spells.append(t - since)
            since = None
    return spells


def test_resident_walks_through_after_grant_without_alarm(world):
    sim, driver, events = world
    sim.person_walks_through(after_seconds=1.0, pass_seconds=2.0)
    driver.grant("resident-1")
    sim.advance(8.0, driver.tick)
    assert sim.events("door_pushed_open") and sim.events("door_closed")
    assert names(events)[1:] == [
        "door_released", "door_opened", "door_closed", "door_secured"
    ]
    assert energised_seconds(sim.relay_history) == [pytest.approx(UNLOCK, abs=0.05)]
    assert not sim.relay_energised


def test_slow_person_finds_the_door_locked_again(world):
    sim, driver, events = world
    sim.person_walks_through(after_seconds=UNLOCK + 1.0)
    driver.grant("resident-1")
    sim.advance(8.0, driver.tick)
    assert sim.events("push_failed_locked")
    assert "door_opened" not in names(events)


def test_person_without_grant_gives_up(world):
    sim, driver, events = world
    sim.person_walks_through(wait_seconds=5.0)
    sim.advance(6.0, driver.tick)
    assert sim.events("person_gave_up")
    assert not sim.door_open


def test_forced_door_raises_forced_alarm(world):
    sim, driver, events = world
    sim.force_open(open_seconds=1.0)
    sim.advance(2.0, driver.tick)
    assert names(events)[1:] == ["door_opened", "door_forced", "door_closed"]
    assert sim.relay_history == [sim.relay_history[0]]  # the relay never moved


def test_propped_door_raises_held_open_alarm_until_closed(world):
    sim, driver, events = world
    sim.person_walks_through(after_seconds=0.5)
    driver.grant("resident-1")
    sim.advance(1.0, driver.tick)
    sim.prop_open()
    sim.advance(HELD + 1.0, driver.tick)
    assert "door_held_open" in names(events)
    assert "door_forced" not in names(events)
    sim.close()
    assert names(events)[-2:] == ["door_closed", "door_held_open_cleared"]


def test_exit_button_releases_for_one_pulse(world):
    sim, driver, events = world
    sim.press_exit()
    assert sim.relay_energised
    sim.advance(UNLOCK + 0.5, driver.tick)
    assert not sim.relay_energised
    assert names(events)[1:3] == ["exit_request", "door_released"]


def test_fire_alarm_holds_door_released_until_reset(world):
    sim, driver, events = world
    sim.set_fire(True)
    sim.advance(60.0, driver.tick, step_seconds=0.5)
    assert sim.relay_energised
    sim.set_fire(False)
    sim.advance(5.0, driver.tick)
    assert sim.relay_energised
    assert driver.fire_reset()
    assert not sim.relay_energised


def test_shutdown_leaves_a_secure_door_locked(world):
    sim, driver, _ = world
    driver.grant("resident-1")
    assert sim.relay_energised
    driver.close()
    assert not sim.relay_energised
    assert sim.relay_history[-1][1] is False


def test_person_walks_through_in_real_time():
    clock = SystemClock()
    config = DoorConfig(unlock_seconds=0.8)
    events: list[DoorEvent] = []
    with SimDoor(clock, step_seconds=0.01) as sim:
        driver = DoorDriver(DoorStateMachine(config, clock), sim.hardware, clock, events.append)
        sim.start()
        driver.start()
        try:
            sim.person_walks_through(after_seconds=0.1, pass_seconds=0.2)
            driver.grant("resident-1")
            deadline = time.monotonic() + 5.0
            while "door_secured" not in names(events) and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            driver.close()
    assert names(events)[1:] == ["door_released", "door_opened", "door_closed", "door_secured"]


def test_fail_safe_sim_door_opens_after_the_gate_shuts_down():
    clock = ManualClock()
    config = DoorConfig(fail_mode="safe")
    with SimDoor(clock, fail_mode="safe") as sim:
        driver = DoorDriver(DoorStateMachine(config, clock), sim.hardware, clock, lambda e: None)
        assert not sim.lock_released
        driver.close()
        assert sim.lock_released  # relay pin released: maglock unpowered
        sim.person_walks_through(after_seconds=0.5)
        sim.advance(1.0)
        assert sim.events("door_pushed_open")
