"""The pure door state machine: pulses, contact supervision, fire release, hold-open."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gate.clock import ManualClock
from gate.config.door import DoorConfig
from gate.door.state_machine import (
    DoorEvent,
    DoorEventType,
    DoorOutput,
    DoorStateMachine,
    RelayCommand,
)

UNLOCK = 3.0
HELD = 30.0
GRACE = 1.0


def make_machine() -> tuple[DoorStateMachine, ManualClock]:
    clock = ManualClock()
    config = DoorConfig(unlock_seconds=UNLOCK, held_open_seconds=HELD, forced_grace_seconds=GRACE)
    return DoorStateMachine(config, clock), clock


def types(outputs: list[DoorOutput]) -> list[str]:
    return [o.type if isinstance(o, DoorEvent) else o for o in outputs]


@pytest.fixture
def closed_door() -> tuple[DoorStateMachine, ManualClock]:
    machine, clock = make_machine()
    machine.contact_changed(False)
    return machine, clock


def test_grant_releases_then_secures_after_unlock_seconds(closed_door):
    machine, clock = closed_door
    out = machine.grant("resident-7")
    assert out == [DoorEvent(DoorEventType.DOOR_RELEASED, "grant:resident-7"), RelayCommand.RELEASE]
    clock.advance(UNLOCK - 0.25)
    assert machine.tick() == []
    assert machine.released
    clock.advance(0.25)
    assert machine.tick() == [
        RelayCommand.SECURE,
        DoorEvent(DoorEventType.DOOR_SECURED, "grant:resident-7"),
    ]
    assert not machine.released


def test_grant_while_released_extends_the_pulse_without_new_commands(closed_door):
    machine, clock = closed_door
    machine.grant("a")
    clock.advance(2.0)
    assert machine.grant("b") == []
    clock.advance(2.0)
    assert machine.tick() == []
    assert machine.released
    clock.advance(1.0)
    assert RelayCommand.SECURE in machine.tick()


def test_exit_button_is_logged_and_releases(closed_door):
    machine, _ = closed_door
    out = machine.exit_pressed()
    # Recorded first, then the relay moves (durable before actuation).
    assert types(out) == ["exit_request", "door_released", "release"]
    assert machine.released


def test_door_opened_during_pulse_is_not_forced(closed_door):
    machine, clock = closed_door
    machine.grant(None)
    clock.advance(1.0)
    assert types(machine.contact_changed(True)) == ["door_opened"]


def test_door_opened_without_grant_is_forced(closed_door):
    machine, _ = closed_door
    assert types(machine.contact_changed(True)) == ["door_opened", "door_forced"]


def test_door_opened_within_grace_after_pulse_is_not_forced(closed_door):
    machine, clock = closed_door
    machine.grant(None)
    clock.advance(UNLOCK + GRACE)
    assert types(machine.contact_changed(True)) == ["secure", "door_opened", "door_secured"]


def test_door_opened_just_after_grace_is_forced_even_without_a_tick(closed_door):
    machine, clock = closed_door
    machine.grant(None)
    clock.advance(UNLOCK + GRACE + 0.25)
    assert "door_forced" in types(machine.contact_changed(True))


def test_door_already_open_at_startup_is_not_forced():
    machine, _ = make_machine()
    assert types(machine.contact_changed(True)) == ["door_opened"]


def test_repeated_contact_reports_are_ignored(closed_door):
    machine, _ = closed_door
    assert machine.contact_changed(False) == []


def test_door_held_open_raises_alarm_after_timeout_and_clears_on_close(closed_door):
    machine, clock = closed_door
    machine.grant(None)
    machine.contact_changed(True)
    clock.advance(HELD - 0.25)
    assert "door_held_open" not in types(machine.tick())
    clock.advance(0.25)
    assert types(machine.tick()) == ["door_held_open"]
    assert machine.held_open_alarm
    clock.advance(5.0)
    assert machine.tick() == []
    assert types(machine.contact_changed(False)) == ["door_closed", "door_held_open_cleared"]


def test_hold_open_suppresses_held_alarm_and_restarts_its_timer(closed_door):
    machine, clock = closed_door
    assert types(machine.hold_open(True, "guard-2")) == ["hold_open_on", "door_released", "release"]
    machine.contact_changed(True)
    clock.advance(HELD * 3)
    assert machine.tick() == []
    assert machine.released
    out = machine.hold_open(False, "guard-2")
    assert out[0] is RelayCommand.SECURE
    assert DoorEvent(DoorEventType.HOLD_OPEN_OFF, "guard-2") in out
    clock.advance(HELD - 0.25)
    assert machine.tick() == []
    clock.advance(0.25)
    assert types(machine.tick()) == ["door_held_open"]


def test_fire_releases_and_holds_until_reset_after_input_clears(closed_door):
    machine, clock = closed_door
    assert types(machine.fire_changed(True)) == ["release", "fire_release", "door_released"]
    clock.advance(600)
    assert machine.tick() == []
    assert machine.fire_reset() == []  # refused: the panel is still in alarm
    assert machine.released
    assert machine.fire_changed(False) == []
    assert machine.released
    assert types(machine.fire_reset()) == ["secure", "fire_reset", "door_secured"]
    assert not machine.released


def test_door_opened_during_fire_is_not_forced(closed_door):
    machine, _ = closed_door
    machine.fire_changed(True)
    assert types(machine.contact_changed(True)) == ["door_opened"]


def test_hold_off_under_fire_keeps_the_door_released(closed_door):
    machine, _ = closed_door
    machine.hold_open(True, "guard")
    machine.fire_changed(True)
    assert types(machine.hold_open(False, "guard")) == ["hold_open_off"]
    assert machine.released


def test_next_deadline_is_the_pulse_end(closed_door):
    machine, clock = closed_door
    assert machine.next_deadline() is None
    machine.grant(None)
    assert machine.next_deadline() == clock.monotonic() + UNLOCK


# -- the property: the door is never released past its pulse except under fire or hold ----

# Quarter seconds are exact in binary, so pulse ends compare exactly; most steps are short
# so that sequences probe the edges of the pulse and of the grace after it.
_dt = st.one_of(
    st.integers(min_value=0, max_value=8), st.integers(min_value=0, max_value=160)
).map(lambda quarters: quarters / 4)
_advance = st.tuples(st.just("advance"), _dt)
_contact = st.tuples(st.just("contact"), st.booleans())
_tick = st.tuples(st.just("tick"), st.none())
# Repeats weight the draw: fire and hold latch, so if drawn as often as the rest they would
# cover most sequences and hide the pulse and grace logic.
_action = st.one_of(
    _advance, _advance, _advance, _advance,
    _contact, _contact, _contact,
    _tick, _tick,
    st.tuples(st.just("grant"), st.sampled_from([None, "r1", "r2"])),
    st.tuples(st.just("exit"), st.none()),
    st.tuples(st.just("fire"), st.booleans()),
    st.tuples(st.just("fire_reset"), st.none()),
    st.tuples(st.just("hold"), st.booleans()),
)


def feed(machine: DoorStateMachine, name: str, arg) -> list[DoorOutput]:
    match name:
        case "grant":
            return machine.grant(arg)
        case "exit":
            return machine.exit_pressed()
        case "contact":
            return machine.contact_changed(arg)
        case "fire":
            return machine.fire_changed(arg)
        case "fire_reset":
            return machine.fire_reset()
        case "hold":
            return machine.hold_open(arg, "guard")
        case _:
            return machine.tick()


@settings(max_examples=400, deadline=None)
@given(st.lists(_action, max_size=40))
def test_no_input_sequence_leaves_door_released_past_pulse_except_fire_or_hold(actions):
    machine, clock = make_machine()
    machine.contact_changed(False)
    relay = False
    last_trigger: float | None = None
    release_ends: list[float] = []  # when each legitimate reason to be released ended
    door_open: bool | None = False
    for name, arg in actions:
        now = clock.monotonic()
        if name == "advance":
            clock.advance(arg)
            continue
        if name in ("grant", "exit"):
            last_trigger = now
            release_ends.append(now + UNLOCK)
        hold_was_on, fire_was_latched = machine.hold_open_on, machine.fire_latched
        out = feed(machine, name, arg)
        if (hold_was_on and not machine.hold_open_on) or (
            fire_was_latched and not machine.fire_latched
        ):
            release_ends.append(now)

        # Relay commands alternate and agree with `released`.
        for output in out:
            if isinstance(output, RelayCommand):
                assert (output is RelayCommand.RELEASE) != relay
                relay = output is RelayCommand.RELEASE
        assert relay == machine.released

        in_pulse = last_trigger is not None and now - last_trigger < UNLOCK
        overridden = machine.fire_latched or machine.hold_open_on
        # Safety: released only within a pulse, or under fire or hold.
        if machine.released:
            assert in_pulse or overridden
        # Liveness: a pulse, fire or hold always releases.
        if in_pulse or overridden:
            assert machine.released
        if machine.fire_active:
            assert machine.released

        # Forced exactly when a shut door opens while locked and outside the grace.
        opened = name == "contact" and arg and door_open is False
        expect_forced = (
            opened
            and not machine.released
            and not any(now <= end + GRACE for end in release_ends)
        )
        assert ("door_forced" in types(out)) == expect_forced
        if name == "contact":
            door_open = arg


@settings(max_examples=200, deadline=None)
@given(
    trigger=st.sampled_from(["grant", "exit", "hold", "fire"]),
    open_after_quarters=st.integers(min_value=0, max_value=int((UNLOCK + GRACE + 2) * 4)),
    tick_every_quarters=st.sampled_from([None, 1, 4]),
)
def test_opening_is_forced_exactly_when_outside_pulse_and_grace(
    trigger, open_after_quarters, tick_every_quarters
):
    machine, clock = make_machine()
    machine.contact_changed(False)
    if trigger == "grant":
        machine.grant("r1")
        ended_at = clock.monotonic() + UNLOCK
    elif trigger == "exit":
        machine.exit_pressed()
        ended_at = clock.monotonic() + UNLOCK
    else:  # a guard's hold or a fire release, ended now
        if trigger == "hold":
            machine.hold_open(True, "guard")
            machine.hold_open(False, "guard")
        else:
            machine.fire_changed(True)
            machine.fire_changed(False)
            machine.fire_reset()
        ended_at = clock.monotonic()
    for _ in range(open_after_quarters):
        clock.advance(0.25)
        if tick_every_quarters and round(clock.monotonic() * 4) % tick_every_quarters == 0:
            machine.tick()
    out = machine.contact_changed(True)
    assert ("door_forced" in types(out)) == (clock.monotonic() > ended_at + GRACE)
