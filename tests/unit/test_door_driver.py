"""The door driver's glue and fault handling, on the fast in-process hardware fake."""

from __future__ import annotations

import time

import pytest

from gate.clock import ManualClock, SystemClock
from gate.config.door import DoorConfig
from gate.door import DoorDriver, DoorEvent, DoorStateMachine
from gate.door.hardware import RELAY_HISTORY_MAX
from gate.door.sim_backend import SimDoorHardware
from gate.errors import HardwareError


def build(fail_mode="secure", on_event=None, unlock_seconds=3.0, clock=None):
    clock = clock or ManualClock()
    config = DoorConfig(unlock_seconds=unlock_seconds, fail_mode=fail_mode)
    hardware = SimDoorHardware(fail_mode, clock)
    events: list[DoorEvent] = []
    driver = DoorDriver(
        DoorStateMachine(config, clock), hardware, clock, on_event or events.append
    )
    return driver, hardware, clock, events


def names(events: list[DoorEvent]) -> list[str]:
    return [e.type for e in events]


def test_driver_reports_the_initial_contact_state():
    _, _, _, events = build()
    assert names(events) == ["door_closed"]


def test_grant_energises_relay_for_the_pulse_only():
    driver, hardware, clock, events = build()
    driver.grant("r1")
    assert hardware.relay_energised
    clock.advance(3.0)
    driver.tick()
    assert not hardware.relay_energised
    assert [e for _, e in hardware.relay_history] == [False, True, False]
    assert names(events)[-1] == "door_secured"


def test_hardware_inputs_reach_the_machine():
    driver, hardware, _, events = build()
    hardware.press_exit()
    hardware.set_door_open(True)
    hardware.set_fire(True)
    assert names(events)[1:] == ["exit_request", "door_released", "door_opened", "fire_release"]
    assert driver.machine.fire_latched


def test_fire_already_active_at_start_releases_at_once():
    clock = ManualClock()
    hardware = SimDoorHardware("secure", clock)
    hardware.set_fire(True)
    DoorDriver(DoorStateMachine(DoorConfig(), clock), hardware, clock, lambda e: None)
    assert hardware.relay_energised


def test_fire_reset_is_refused_while_the_fire_input_is_active():
    driver, hardware, _, _ = build()
    hardware.set_fire(True)
    assert driver.fire_reset() is False
    hardware.set_fire(False)
    assert driver.fire_reset() is True
    assert not hardware.relay_energised


@pytest.mark.parametrize(("fail_mode", "energised"), [("secure", False), ("safe", True)])
def test_error_while_logging_drives_door_to_fail_mode(fail_mode, energised):
    def failing_log(event: DoorEvent) -> None:
        if event.type == "door_opened":
            raise OSError("disk full")

    driver, hardware, _, _ = build(fail_mode, on_event=failing_log)
    driver.grant("r1")
    hardware.set_door_open(True)
    assert driver.faulted
    assert hardware.relay_energised is energised


def test_grant_on_a_refusing_relay_raises_and_faults():
    driver, hardware, _, _ = build()
    hardware.refuse_relay = True
    with pytest.raises(HardwareError):
        driver.grant("r1")
    assert driver.faulted
    with pytest.raises(HardwareError):
        driver.grant("r1")


@pytest.mark.parametrize("fail_mode", ["secure", "safe"])
def test_hardware_back_after_a_refused_command_leaves_the_fail_mode(fail_mode):
    driver, hardware, clock, _ = build(fail_mode)
    hardware.refuse_relay = True
    with pytest.raises(HardwareError):
        driver.grant("r1")
    assert driver.faulted
    clock.advance(10.0)  # the pulse that failed is long over when the board comes back
    hardware.recover()
    assert not driver.faulted
    assert not hardware.relay_energised  # locked again, whatever the fail mode did
    driver.grant("r2")
    assert hardware.relay_energised


def test_recovery_re_reads_a_fire_input_raised_while_faulted():
    driver, hardware, _, _ = build("secure")
    hardware.refuse_relay = True
    with pytest.raises(HardwareError):
        driver.grant("r1")
    hardware.refuse_relay = False
    hardware.set_fire(True)  # released best-effort while faulted
    hardware.recover()
    assert driver.machine.fire_latched and hardware.relay_energised


def _log_failing_on_exit_request(event: DoorEvent) -> None:
    if event.type == "exit_request":
        raise OSError("disk full")


def test_a_software_fault_is_not_cleared_by_the_hardware_coming_back():
    driver, hardware, _, _ = build("secure", on_event=_log_failing_on_exit_request)
    hardware.press_exit()
    assert driver.faulted
    hardware.recover()
    assert driver.faulted
    with pytest.raises(HardwareError):
        driver.grant("r1")


def test_fire_still_releases_a_faulted_secure_door():
    driver, hardware, _, _ = build("secure", on_event=_log_failing_on_exit_request)
    hardware.press_exit()
    assert driver.faulted
    assert not hardware.relay_energised
    hardware.set_fire(True)
    assert hardware.relay_energised


@pytest.mark.parametrize(("fail_mode", "energised"), [("secure", False), ("safe", True)])
def test_close_applies_fail_mode_once_and_is_idempotent(fail_mode, energised):
    driver, hardware, _, _ = build(fail_mode)
    driver.grant("r1")
    driver.close()
    driver.close()
    assert hardware.closed
    assert hardware.relay_history[-1][1] is energised
    with pytest.raises(HardwareError):
        driver.grant("r1")


def test_ticker_thread_secures_the_door_in_real_time():
    driver, hardware, _, events = build(unlock_seconds=0.2, clock=SystemClock())
    driver.start()
    try:
        driver.grant("r1")
        assert hardware.relay_energised
        deadline = time.monotonic() + 3.0
        while hardware.relay_energised and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        driver.close()
    (start, on), (end, off) = list(hardware.relay_history)[-2:]
    assert on and not off
    assert 0.2 <= end - start < 0.6


def test_fire_release_stays_released_when_recording_the_event_fails():
    def failing_log(event: DoorEvent) -> None:
        if event.type == "fire_release":
            raise OSError("disk full")

    driver, hardware, _, _ = build(on_event=failing_log)
    hardware.set_fire(True)
    assert driver.faulted  # the log write failed...
    assert hardware.relay_energised  # ...but a fire release never falls back to locked


def test_exit_release_is_recorded_before_the_relay_moves():
    seen: list[tuple[str, bool]] = []
    box: list[SimDoorHardware] = []
    driver, hardware, _, _ = build(
        on_event=lambda e: seen.append((e.type, bool(box) and box[0].relay_energised))
    )
    box.append(hardware)
    hardware.press_exit()
    assert ("exit_request", False) in seen and ("door_released", False) in seen
    assert hardware.relay_energised


def test_relay_history_is_bounded_but_every_change_is_counted():
    driver, hardware, clock, _ = build(unlock_seconds=1.0)
    pulses = RELAY_HISTORY_MAX // 2 + 10
    for _ in range(pulses):
        driver.grant("r1")
        clock.advance(1.0)
        driver.tick()
    assert len(hardware.relay_history) == RELAY_HISTORY_MAX
    assert hardware.relay_changes == 1 + 2 * pulses  # the opening state, then on/off pairs
    assert hardware.relay_history[-1][1] is False
