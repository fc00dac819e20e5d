"""Glue between the pure door state machine and a door hardware backend.

Hardware callbacks become machine inputs; machine outputs become relay commands and
`DoorEvent`s for the caller's `on_event`. Any exception on any path drives the relay to
its fail mode and latches the driver as faulted. A hardware error (a command the board
never acknowledged) is cleared when the backend reports it is back (`when_recovered`);
any other error stays latched until restart.

Ordering contract with the controller: the controller commits its access decision to the
durable event log *before* calling `grant()`; this driver never records decisions, it only
reports what the door did through `on_event`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from gate.clock import Clock
from gate.door.hardware import DoorHardware
from gate.door.state_machine import DoorEvent, DoorOutput, DoorStateMachine, RelayCommand
from gate.errors import HardwareError

logger = logging.getLogger(__name__)


class DoorDriver:
    """Runs a `DoorStateMachine` against a `DoorHardware`, serialising every input.

    Tests call `tick()` directly with a `ManualClock`; in real time `start()` runs a
    small ticker thread and `stop()` ends it. `close()` applies the fail mode.
    """

    def __init__(
        self,
        machine: DoorStateMachine,
        hardware: DoorHardware,
        clock: Clock,
        on_event: Callable[[DoorEvent], None],
        tick_seconds: float = 0.05,
    ) -> None:
        self._machine = machine
        self._hardware = hardware
        self._clock = clock
        self._on_event = on_event
        self._tick_seconds = tick_seconds
        # Re-entrant: on_event may call back into the driver on the same thread.
        self._lock = threading.RLock()
        self._faulted = False
        self._recoverable = False
        self._closed = False
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        hardware.when_contact_changed = self._on_contact
        hardware.when_exit_pressed = self._on_exit
        hardware.when_fire_changed = self._on_fire
        hardware.when_recovered = self._on_recovered
        # Start from what the inputs say now: a fire alarm already on must release at once.
        door_open, fire_active = hardware.door_is_open, hardware.fire_is_active
        if door_open is not None:
            self._run(lambda: machine.contact_changed(door_open))
        if fire_active:
            self._run(lambda: machine.fire_changed(True))

    # -- state ---------------------------------------------------------------------------

    @property
    def machine(self) -> DoorStateMachine:
        """The state machine (read its properties; feed it only through the driver)."""
        return self._machine

    @property
    def hardware(self) -> DoorHardware:
        """The hardware backend this driver owns."""
        return self._hardware

    @property
    def faulted(self) -> bool:
        """True after an error drove the door to its fail mode, until the hardware recovers."""
        return self._faulted

    # -- commands ------------------------------------------------------------------------

    def grant(self, subject: str | None) -> None:
        """Release the door for one pulse; the decision must already be in the event log."""
        if self._faulted or self._closed:
            raise HardwareError("the door is in its fail mode after an error and cannot open")
        if not self._run(lambda: self._machine.grant(subject)):
            raise HardwareError("the door could not be released and is now in its fail mode")

    def hold_open(self, on: bool, actor: str) -> None:
        """A guard holds the door released (on) or ends the hold."""
        self._run(lambda: self._machine.hold_open(on, actor))

    def fire_reset(self) -> bool:
        """Reset a latched fire release; False if refused (the fire input is still active)."""
        self._run(self._machine.fire_reset)
        return not self._machine.fire_latched

    def tick(self) -> None:
        """Let time pass in the machine; call periodically (the ticker thread does)."""
        self._run(self._machine.tick)

    def start(self) -> None:
        """Start the real-time ticker thread (idempotent)."""
        if self._ticker is not None:
            return
        self._stop.clear()
        self._ticker = threading.Thread(target=self._tick_loop, name="door-ticker", daemon=True)
        self._ticker.start()

    def stop(self) -> None:
        """Stop the ticker thread, if running."""
        self._stop.set()
        ticker, self._ticker = self._ticker, None
        if ticker is not None and ticker is not threading.current_thread():
            ticker.join(timeout=5)

    def close(self) -> None:
        """Stop ticking and close the hardware, which applies the fail mode; idempotent."""
        self.stop()
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._hardware.close()

    def __enter__(self) -> DoorDriver:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- hardware callbacks (may run on a backend thread) -------------------------------

    def _on_contact(self, is_open: bool) -> None:
        self._run(lambda: self._machine.contact_changed(is_open))

    def _on_exit(self) -> None:
        self._run(self._machine.exit_pressed)

    def _on_fire(self, active: bool) -> None:
        if self._faulted and active and not self._closed:
            # Life safety beats the fail mode: release even though the logic is stopped.
            self._best_effort_release_for_fire()
            return
        self._run(lambda: self._machine.fire_changed(active))

    # -- internals -----------------------------------------------------------------------

    def _tick_loop(self) -> None:
        while not self._stop.wait(self._tick_seconds):
            self.tick()

    def _run(self, step: Callable[[], list[DoorOutput]]) -> bool:
        """Feed one input and apply its outputs; False if it failed (or the driver is down)."""
        with self._lock:
            if self._faulted or self._closed:
                return False
            try:
                self._apply(step())
            except Exception as err:
                logger.exception("door driver error; driving the door to fail mode")
                self._fault(recoverable=isinstance(err, HardwareError))
                return False
            return True

    def _apply(self, outputs: list[DoorOutput]) -> None:
        for output in outputs:
            if isinstance(output, RelayCommand):
                self._hardware.set_released(output is RelayCommand.RELEASE)
            else:
                self._on_event(output)

    def _fault(self, recoverable: bool = False) -> None:
        self._faulted = True
        self._recoverable = recoverable
        fire = self._machine.fire_latched or bool(self._hardware.fire_is_active)
        try:
            if fire:
                # Life safety beats the fail mode: a fire release stays released.
                self._hardware.set_released(True)
            else:
                self._hardware.apply_fail_mode()
        except Exception:
            logger.exception("could not apply the door fail mode %s", self._hardware.fail_mode)

    def _on_recovered(self) -> None:
        """The backend is back after a failed command: leave the fail mode.

        Inputs missed while faulted are not replayed except the fire input, whose state is
        re-read (a door opened meanwhile under a `safe` fail mode is not a forced door).
        """
        with self._lock:
            if not (self._faulted and self._recoverable) or self._closed:
                return
            self._faulted = self._recoverable = False
            logger.warning("door hardware is back; the door driver leaves its fail mode")
            fire_active = bool(self._hardware.fire_is_active)
            if fire_active != self._machine.fire_active:
                self._run(lambda: self._machine.fire_changed(fire_active))
            self._run(self._machine.tick)
            self._run(self._drive_relay_to_machine)

    def _drive_relay_to_machine(self) -> list[DoorOutput]:
        """Make the relay match the machine's state again (after the fail mode moved it)."""
        self._hardware.set_released(self._machine.released)
        return []

    def _best_effort_release_for_fire(self) -> None:
        with self._lock:
            try:
                self._hardware.set_released(True)
                logger.warning("fire input released the door while the driver is faulted")
            except Exception:
                logger.exception("could not release the door for the fire input")
