"""The door hardware seen at the level of intent: release or secure, contact, buttons.

Backends (gpiozero on the Pi's header, the in-process fake, later a serial I/O board)
implement `DoorHardware`; the door driver only talks to this interface.

By default a relay *energised* means door *released* (an electric strike on the relay's
normally-open contact, or a maglock on its normally-closed one). With
`energised_releases=False` the relay *holds* the lock instead (a maglock on the
normally-open contact), so that a dead process or a power cut releases the door by itself.
See docs/wiring.md.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import Literal

from gate.clock import Clock, SystemClock
from gate.errors import HardwareError

logger = logging.getLogger(__name__)

RELAY_HISTORY_MAX = 10_000  # a gate runs for months: keep the newest changes only

FailMode = Literal["secure", "safe"]


class DoorHardware(ABC):
    """A lock relay plus the door contact, exit button and fire input.

    Callbacks may be called from a backend thread: `when_contact_changed(is_open)`,
    `when_exit_pressed()`, `when_fire_changed(active)`, and `when_recovered()` when a
    backend that failed a command is in full contact with its hardware again.
    `relay_history` holds `(monotonic time, energised)` for the newest `RELAY_HISTORY_MAX`
    changes of the relay coil (at first starting with its state when the backend opened);
    `relay_changes` counts every change since then.
    """

    def __init__(
        self, fail_mode: FailMode, clock: Clock | None = None, *, energised_releases: bool = True
    ) -> None:
        if fail_mode not in ("secure", "safe"):
            raise ValueError(f"fail_mode must be 'secure' or 'safe', not {fail_mode!r}")
        self.fail_mode: FailMode = fail_mode
        self.energised_releases = energised_releases
        if (fail_mode == "safe") == energised_releases:
            # The relay's rest state (gate stopped, pin released, power cut) is the opposite
            # of the fail mode: we can only honour the fail mode while the process runs.
            logger.warning(
                "door fail mode is %s but a de-energised relay leaves the door %s: "
                "once the gate process has stopped the wiring decides (see docs/wiring.md)",
                fail_mode,
                "secured" if energised_releases else "released",
            )
        self._clock: Clock = clock or SystemClock()
        self.relay_history: deque[tuple[float, bool]] = deque(maxlen=RELAY_HISTORY_MAX)
        self.relay_changes = 0
        self.when_contact_changed: Callable[[bool], None] | None = None
        self.when_exit_pressed: Callable[[], None] | None = None
        self.when_fire_changed: Callable[[bool], None] | None = None
        self.when_recovered: Callable[[], None] | None = None
        self._energised: bool | None = None
        self._closed = False

    # -- what backends implement ---------------------------------------------------------

    @abstractmethod
    def _drive_relay(self, energised: bool) -> None:
        """Set the relay coil; raise HardwareError if the hardware refuses."""

    @abstractmethod
    def _close_devices(self) -> None:
        """Release pins/ports; called once, after the fail mode has been applied."""

    @property
    @abstractmethod
    def door_is_open(self) -> bool | None:
        """The door contact: True open, False closed, None if no contact is fitted."""

    @property
    @abstractmethod
    def fire_is_active(self) -> bool | None:
        """The fire input: True in alarm, None if no fire input is fitted."""

    # -- the interface -------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once `close()` has run."""
        return self._closed

    @property
    def relay_energised(self) -> bool:
        """The relay coil as we last commanded it (False before any command)."""
        return bool(self._energised)

    @property
    def released(self) -> bool:
        """True while we command the lock released."""
        return self._energised is not None and self._energised == self.energised_releases

    def set_released(self, released: bool) -> None:
        """Release the door (True) or secure it (False)."""
        if self._closed:
            raise HardwareError("the door hardware is closed and cannot drive the relay")
        self._set_released(released)

    def apply_fail_mode(self) -> None:
        """Drive the relay to the configured fail mode: `secure` locks, `safe` releases.

        Drives the pin even if we believe it is already there: this runs after errors,
        when our belief may be wrong. Does nothing once the hardware is closed.
        """
        if self._closed:
            return
        self._set_released(self.fail_mode == "safe", force=True)

    def close(self) -> None:
        """Apply the fail mode, then release the devices; safe to call more than once."""
        if self._closed:
            return
        try:
            self.apply_fail_mode()
        except Exception:
            logger.exception("could not apply door fail mode %s on close", self.fail_mode)
        finally:
            self._closed = True
            self.when_contact_changed = None
            self.when_exit_pressed = None
            self.when_fire_changed = None
            self.when_recovered = None
            self._close_devices()

    def __enter__(self) -> DoorHardware:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- helpers for backends ------------------------------------------------------------

    def _set_released(self, released: bool, force: bool = False) -> None:
        self._set_relay(released == self.energised_releases, force)

    def _set_relay(self, energised: bool, force: bool = False) -> None:
        if self._energised == energised and not force:
            return
        self._drive_relay(energised)
        if self._energised != energised:
            self._energised = energised
            self.relay_history.append((self._clock.monotonic(), energised))
            self.relay_changes += 1

    def _emit_contact(self, is_open: bool) -> None:
        callback = self.when_contact_changed
        if callback is not None:
            callback(is_open)

    def _emit_exit(self) -> None:
        callback = self.when_exit_pressed
        if callback is not None:
            callback()

    def _emit_fire(self, active: bool) -> None:
        callback = self.when_fire_changed
        if callback is not None:
            callback(active)

    def _emit_recovered(self) -> None:
        callback = self.when_recovered
        if callback is not None:
            callback()
