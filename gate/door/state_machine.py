"""The door's rules as a pure state machine: inputs in, relay commands and door events out.

No I/O and no threads: time comes from an injected clock, so tests drive it with a
`ManualClock` and need no sleeps. The relay is *released* (energised) while any of three
reasons holds: an unlock pulse (grant or exit button), a latched fire alarm, or hold-open.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from gate.clock import Clock


class DoorTimings(Protocol):
    """The timings the machine needs; `gate.config.door.DoorConfig` provides them."""

    unlock_seconds: float
    held_open_seconds: float
    forced_grace_seconds: float


class RelayCommand(StrEnum):
    """What the relay must do: `release` energises it, `secure` de-energises it."""

    RELEASE = "release"
    SECURE = "secure"


class DoorEventType(StrEnum):
    """Kinds of door event; the values are what the event log stores."""

    DOOR_RELEASED = "door_released"
    DOOR_SECURED = "door_secured"
    DOOR_OPENED = "door_opened"
    DOOR_CLOSED = "door_closed"
    EXIT_REQUEST = "exit_request"
    DOOR_FORCED = "door_forced"
    DOOR_HELD_OPEN = "door_held_open"
    DOOR_HELD_OPEN_CLEARED = "door_held_open_cleared"
    FIRE_RELEASE = "fire_release"
    FIRE_RESET = "fire_reset"
    HOLD_OPEN_ON = "hold_open_on"
    HOLD_OPEN_OFF = "hold_open_off"


@dataclass(frozen=True, slots=True)
class DoorEvent:
    """Something that happened at the door, for the event log (not a log line)."""

    type: DoorEventType
    detail: str = ""


DoorOutput = RelayCommand | DoorEvent


class DoorStateMachine:
    """Pure door logic: unlock pulses, contact supervision, fire release and hold-open.

    Every input method first lets time pass (an expired pulse ends, a held-open alarm
    falls due), then applies the input, then reports the relay transition if there is one.
    Call `tick()` periodically so that time-driven changes happen without other inputs;
    `next_deadline()` says when the next one is due.
    """

    def __init__(self, config: DoorTimings, clock: Clock) -> None:
        self._unlock_seconds = float(config.unlock_seconds)
        self._held_open_seconds = float(config.held_open_seconds)
        self._forced_grace_seconds = float(config.forced_grace_seconds)
        self._clock = clock
        self._released = False
        self._release_reason = ""
        self._pulse_until: float | None = None
        self._pulse_reason = ""
        self._fire_active = False
        self._fire_latched = False
        self._hold_actor: str | None = None
        self._release_ended_at: float | None = None
        self._door_open: bool | None = None
        self._open_timer_from: float | None = None
        self._held_alarm = False

    # -- state ---------------------------------------------------------------------------

    @property
    def released(self) -> bool:
        """True while the machine has commanded the relay to release the door."""
        return self._released

    @property
    def door_open(self) -> bool | None:
        """The last reported contact state; None until the contact has reported."""
        return self._door_open

    @property
    def fire_active(self) -> bool:
        """True while the fire input is asserted."""
        return self._fire_active

    @property
    def fire_latched(self) -> bool:
        """True from a fire alarm until `fire_reset()` succeeds; the door stays released."""
        return self._fire_latched

    @property
    def hold_open_on(self) -> bool:
        """True while a guard holds the door released."""
        return self._hold_actor is not None

    @property
    def held_open_alarm(self) -> bool:
        """True while a held-open alarm is raised and the door has not closed since."""
        return self._held_alarm

    def next_deadline(self) -> float | None:
        """Monotonic time at which `tick()` will next change something, if any."""
        deadlines = [self._pulse_until]
        held_open_possible = (
            not self._held_alarm and not self._fire_latched and self._hold_actor is None
        )
        if self._door_open and held_open_possible and self._open_timer_from is not None:
            deadlines.append(self._open_timer_from + self._held_open_seconds)
        pending = [d for d in deadlines if d is not None]
        return min(pending) if pending else None

    # -- inputs --------------------------------------------------------------------------

    def grant(self, subject: str | None) -> list[DoorOutput]:
        """An access decision granted entry: release for one pulse (or extend the pulse)."""
        now = self._clock.monotonic()
        self._let_time_pass(now)
        self._start_pulse(now, f"grant:{subject}" if subject else "grant")
        return self._finish(now, [])

    def exit_pressed(self) -> list[DoorOutput]:
        """The request-to-exit button was pressed: log it and release for one pulse."""
        now = self._clock.monotonic()
        self._let_time_pass(now)
        self._start_pulse(now, "exit")
        return self._finish(now, [DoorEvent(DoorEventType.EXIT_REQUEST)])

    def contact_changed(self, is_open: bool) -> list[DoorOutput]:
        """The door contact reported open (True) or closed (False); repeats are ignored."""
        now = self._clock.monotonic()
        self._let_time_pass(now)
        outputs: list[DoorOutput] = []
        was_open, self._door_open = self._door_open, is_open
        if was_open == is_open:
            return self._finish(now, outputs)
        if is_open:
            outputs.append(DoorEvent(DoorEventType.DOOR_OPENED))
            self._open_timer_from = now
            # A door already open when supervision starts (was_open is None) is not forced.
            if was_open is False and not self._wanted()[0] and not self._in_grace(now):
                outputs.append(DoorEvent(DoorEventType.DOOR_FORCED))
        else:
            outputs.append(DoorEvent(DoorEventType.DOOR_CLOSED))
            self._open_timer_from = None
            if self._held_alarm:
                self._held_alarm = False
                outputs.append(DoorEvent(DoorEventType.DOOR_HELD_OPEN_CLEARED))
        return self._finish(now, outputs)

    def fire_changed(self, active: bool) -> list[DoorOutput]:
        """The fire input changed; an alarm latches the release until `fire_reset()`."""
        now = self._clock.monotonic()
        self._let_time_pass(now)
        outputs: list[DoorOutput] = []
        self._fire_active = active
        if active and not self._fire_latched:
            self._fire_latched = True
            outputs.append(DoorEvent(DoorEventType.FIRE_RELEASE))
        return self._finish(now, outputs)

    def fire_reset(self) -> list[DoorOutput]:
        """Clear a latched fire release; refused (no outputs) while the input is still active."""
        now = self._clock.monotonic()
        self._let_time_pass(now)
        outputs: list[DoorOutput] = []
        if self._fire_latched and not self._fire_active:
            self._fire_latched = False
            outputs.append(DoorEvent(DoorEventType.FIRE_RESET))
            self._reason_ended(now)
        return self._finish(now, outputs)

    def hold_open(self, on: bool, actor: str) -> list[DoorOutput]:
        """A guard holds the door released (on) or ends the hold (off)."""
        now = self._clock.monotonic()
        self._let_time_pass(now)
        outputs: list[DoorOutput] = []
        if on and self._hold_actor is None:
            self._hold_actor = actor
            outputs.append(DoorEvent(DoorEventType.HOLD_OPEN_ON, actor))
        elif not on and self._hold_actor is not None:
            self._hold_actor = None
            outputs.append(DoorEvent(DoorEventType.HOLD_OPEN_OFF, actor))
            self._reason_ended(now)
        return self._finish(now, outputs)

    def tick(self) -> list[DoorOutput]:
        """Let time pass: end an expired pulse, raise a due held-open alarm."""
        now = self._clock.monotonic()
        self._let_time_pass(now)
        return self._finish(now, [])

    # -- internals -----------------------------------------------------------------------

    def _start_pulse(self, now: float, reason: str) -> None:
        self._pulse_until = now + self._unlock_seconds
        self._pulse_reason = reason

    def _in_grace(self, now: float) -> bool:
        # Measured from when the release logically ended, not from when a (possibly late)
        # tick noticed it, so that a slow ticker does not widen the grace.
        ended = self._release_ended_at
        return ended is not None and now <= ended + self._forced_grace_seconds

    def _reason_ended(self, now: float) -> None:
        self._release_ended_at = now
        # A door left open under fire or hold gets the full held-open time once that ends.
        if self._door_open:
            self._open_timer_from = now

    def _let_time_pass(self, now: float) -> None:
        if self._pulse_until is not None and now >= self._pulse_until:
            self._release_ended_at = self._pulse_until
            self._pulse_until = None

    def _check_held_open(self, now: float, outputs: list[DoorOutput]) -> None:
        if (
            self._door_open
            and not self._held_alarm
            and not self._fire_latched
            and self._hold_actor is None
            and self._open_timer_from is not None
            and now - self._open_timer_from >= self._held_open_seconds
        ):
            self._held_alarm = True
            opened_for = now - self._open_timer_from
            outputs.append(DoorEvent(DoorEventType.DOOR_HELD_OPEN, f"open {opened_for:.0f}s"))

    def _wanted(self) -> tuple[bool, str]:
        if self._fire_latched:
            return True, "fire"
        if self._hold_actor is not None:
            return True, f"hold_open:{self._hold_actor}"
        if self._pulse_until is not None:
            return True, self._pulse_reason
        return False, ""

    def _finish(self, now: float, outputs: list[DoorOutput]) -> list[DoorOutput]:
        self._check_held_open(now, outputs)
        wanted, reason = self._wanted()
        if wanted and not self._released:
            self._released, self._release_reason = True, reason
            outputs.append(DoorEvent(DoorEventType.DOOR_RELEASED, reason))
            if reason == "fire":
                outputs.insert(0, RelayCommand.RELEASE)  # life safety first, records after
            else:
                # Every other release is recorded before the relay moves (durable first).
                outputs.append(RelayCommand.RELEASE)
        elif not wanted and self._released:
            self._released = False
            outputs.insert(0, RelayCommand.SECURE)
            outputs.append(DoorEvent(DoorEventType.DOOR_SECURED, self._release_reason))
        return outputs
