"""A simulated door wired to the real GPIO backend through gpiozero's MockFactory.

`SimDoor` builds a `MockFactory`, opens the real `GpioDoorHardware` on it (so the
driver's pin levels, active-low relay included, are what a Pi would see) and moves the
door by driving the input MockPins: people push the door open after an unlock and let it
close, a door is forced, a door is propped open.

Time comes from the injected clock. With a `ManualClock` call `advance()` (or move the
clock and call `step()`); in real time `start()` runs a small stepping thread.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from gpiozero.pins.mock import MockFactory, MockPin

from gate.clock import Clock, ManualClock, SystemClock
from gate.config.door import GpioBackendConfig
from gate.door.gpio_backend import GpioDoorHardware
from gate.door.hardware import FailMode

logger = logging.getLogger(__name__)


@dataclass
class _Person:
    arrived_at: float
    after_seconds: float
    pass_seconds: float
    give_up_at: float


class SimDoor:
    """Door physics on mock pins. `hardware` is the backend to hand to the `DoorDriver`.

    `history` lists `(monotonic time, what)` for every physical happening, e.g.
    `door_pushed_open`, `push_failed_locked`, `door_forced_open`, `door_propped_open`,
    `door_closed`, `exit_pressed`, `fire_on`, `fire_off`, `person_gave_up`.
    """

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        fail_mode: FailMode = "secure",
        gpio_config: GpioBackendConfig | None = None,
        step_seconds: float = 0.02,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        # By default wire the lock so that the relay's rest state is the fail mode.
        self.gpio_config = gpio_config or GpioBackendConfig(
            relay_energised_releases=fail_mode == "secure"
        )
        self.factory = MockFactory()
        self.hardware = GpioDoorHardware(
            self.gpio_config, fail_mode, pin_factory=self.factory, clock=self.clock
        )
        self.history: list[tuple[float, str]] = []
        self.step_seconds = step_seconds
        self._lock = threading.RLock()
        self._relay_pin: MockPin = self.factory.pin(self.gpio_config.relay_pin)
        self._door_open = False
        self._propped = False
        self._waiting: list[_Person] = []
        self._agenda: list[tuple[float, int, str, Callable[[], None]]] = []
        self._sequence = itertools.count()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # Pull-ups alone would read "door open" (and "alarm" on a normally-closed fire loop):
        # start as a real installation does, door shut and fire panel quiet.
        self._drive_contact()
        fire_pin = self.gpio_config.fire_input_pin
        if fire_pin is not None:
            self._drive(fire_pin, not self.gpio_config.fire_input_alarm_when_high)

    # -- observations --------------------------------------------------------------------

    @property
    def relay_energised(self) -> bool:
        """The relay coil as the board sees the pin level (off once the pin is released)."""
        pin = self._relay_pin
        if pin.function != "output":
            # A released pin floats; relay boards pull their input to "off".
            return False
        return bool(pin.state) == self.gpio_config.relay_active_high

    @property
    def lock_released(self) -> bool:
        """Whether the lock lets the door open now (follows the relay and its wiring)."""
        return self.relay_energised == self.hardware.energised_releases

    @property
    def relay_history(self) -> list[tuple[float, bool]]:
        """`(monotonic time, energised)` for every relay change, from the backend."""
        return list(self.hardware.relay_history)

    @property
    def door_open(self) -> bool:
        """The physical door (what the contact reports, if one is fitted)."""
        return self._door_open

    def events(self, what: str) -> list[float]:
        """Times of every history entry named `what`."""
        return [t for t, name in self.history if name == what]

    # -- scenarios -----------------------------------------------------------------------

    def person_walks_through(
        self, after_seconds: float = 1.0, pass_seconds: float = 2.0, wait_seconds: float = 15.0
    ) -> None:
        """A person waits at the door; `after_seconds` after it unlocks they push it open,
        pass for `pass_seconds` and let it close. A push on a locked door fails and the
        person leaves; so does a person who waited `wait_seconds` without an unlock."""
        now = self.clock.monotonic()
        with self._lock:
            self._waiting.append(_Person(now, after_seconds, pass_seconds, now + wait_seconds))
            self._record(now, "person_arrived")

    def force_open(self, open_seconds: float | None = 2.0) -> None:
        """Break the door open whatever the lock says; it swings shut after `open_seconds`
        (None: it stays open)."""
        with self._lock:
            self._open_door("door_forced_open")
            if open_seconds is not None:
                shut_at = self.clock.monotonic() + open_seconds
                self._schedule(shut_at, "swing_shut", self._swing_shut)

    def prop_open(self) -> None:
        """Wedge the door open: open now if it is shut, and it no longer swings shut."""
        with self._lock:
            self._propped = True
            self._record(self.clock.monotonic(), "door_propped_open")
            if not self._door_open:
                self._open_door("door_opened_to_prop")

    def close(self) -> None:
        """Remove any wedge and shut the door now (physics only; see `shutdown()`)."""
        with self._lock:
            self._propped = False
            self._agenda = [a for a in self._agenda if a[2] != "swing_shut"]
            heapq.heapify(self._agenda)
            self._close_door()

    def press_exit(self) -> None:
        """Press and release the request-to-exit button."""
        pin_number = self.gpio_config.exit_button_pin
        if pin_number is None:
            raise ValueError("this simulated door has no exit button wired")
        with self._lock:
            self._record(self.clock.monotonic(), "exit_pressed")
            pin = self.factory.pin(pin_number)
            pin.drive_low()
            pin.drive_high()

    def set_fire(self, active: bool) -> None:
        """Assert or clear the fire panel's alarm contact."""
        pin_number = self.gpio_config.fire_input_pin
        if pin_number is None:
            raise ValueError("this simulated door has no fire input wired")
        with self._lock:
            self._record(self.clock.monotonic(), "fire_on" if active else "fire_off")
            high = active == self.gpio_config.fire_input_alarm_when_high
            self._drive(pin_number, high)

    # -- time ----------------------------------------------------------------------------

    def step(self) -> None:
        """Carry out everything due by the clock's current time."""
        with self._lock:
            now = self.clock.monotonic()
            self._serve_waiting(now)
            while self._agenda and self._agenda[0][0] <= now:
                _, _, _, action = heapq.heappop(self._agenda)
                action()

    def advance(
        self,
        seconds: float,
        on_step: Callable[[], None] | None = None,
        step_seconds: float | None = None,
    ) -> None:
        """With a ManualClock: move time on in small steps, stepping the physics and then
        calling `on_step` (typically `driver.tick`) after each."""
        if not isinstance(self.clock, ManualClock):
            raise TypeError("advance() needs a ManualClock; in real time use start()")
        step = step_seconds or self.step_seconds
        remaining = seconds
        while remaining > 1e-9:
            delta = min(step, remaining)
            self.clock.advance(delta)
            remaining -= delta
            self.step()
            if on_step is not None:
                on_step()

    def start(self) -> None:
        """Step the physics in real time on a background thread (idempotent)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sim-door", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the real-time stepping thread."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=5)

    def shutdown(self) -> None:
        """Stop stepping and close the hardware (applies its fail mode); idempotent."""
        self.stop()
        self.hardware.close()

    def __enter__(self) -> SimDoor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()

    # -- internals -----------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.wait(self.step_seconds):
            try:
                self.step()
            except Exception:
                logger.exception("simulated door step failed")

    def _released_at(self, when: float) -> bool:
        released = False
        for t, energised in list(self.hardware.relay_history):
            if t > when:
                break
            released = energised == self.hardware.energised_releases
        return released

    def _first_unlock_since(self, since: float, until: float) -> float | None:
        if self._released_at(since):
            return since
        for t, energised in list(self.hardware.relay_history):
            if since <= t <= until and energised == self.hardware.energised_releases:
                return t
        return None

    def _serve_waiting(self, now: float) -> None:
        still_waiting: list[_Person] = []
        for person in self._waiting:
            unlocked_at = self._first_unlock_since(person.arrived_at, now)
            if unlocked_at is not None and unlocked_at + person.after_seconds <= now:
                self._push(person, unlocked_at + person.after_seconds)
            elif unlocked_at is None and now >= person.give_up_at:
                self._record(now, "person_gave_up")
            else:
                still_waiting.append(person)
        self._waiting = still_waiting

    def _push(self, person: _Person, push_at: float) -> None:
        # Judge the lock at the moment of the push, not at this (possibly later) step.
        if self._door_open:
            self._record(push_at, "walked_through_open_door")
        elif self._released_at(push_at):
            self._open_door("door_pushed_open")
            self._schedule(push_at + person.pass_seconds, "swing_shut", self._swing_shut)
        else:
            self._record(push_at, "push_failed_locked")

    def _swing_shut(self) -> None:
        if not self._propped:
            self._close_door()

    def _open_door(self, what: str) -> None:
        self._record(self.clock.monotonic(), what)
        if not self._door_open:
            self._door_open = True
            self._drive_contact()

    def _close_door(self) -> None:
        if self._door_open:
            self._door_open = False
            self._record(self.clock.monotonic(), "door_closed")
            self._drive_contact()

    def _drive_contact(self) -> None:
        pin_number = self.gpio_config.door_contact_pin
        if pin_number is not None:
            high = self._door_open == self.gpio_config.door_contact_open_when_high
            self._drive(pin_number, high)

    def _drive(self, pin_number: int, high: bool) -> None:
        pin = self.factory.pin(pin_number)
        if high:
            pin.drive_high()
        else:
            pin.drive_low()

    def _schedule(self, due: float, name: str, action: Callable[[], None]) -> None:
        heapq.heappush(self._agenda, (due, next(self._sequence), name, action))

    def _record(self, when: float, what: str) -> None:
        self.history.append((when, what))
        logger.debug("sim door: %s", what)
