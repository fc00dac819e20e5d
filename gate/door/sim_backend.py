"""A fast in-process fake of the door hardware, for logic and UI tests (no gpiozero).

For tests of the real driver on simulated pins use `hw_sim.door_physics.SimDoor` instead.
"""

from __future__ import annotations

import logging

from gate.clock import Clock
from gate.door.hardware import DoorHardware, FailMode
from gate.errors import HardwareError

logger = logging.getLogger(__name__)


class SimDoorHardware(DoorHardware):
    """Door hardware held in a few attributes; tests poke the inputs directly.

    Set `refuse_relay = True` to make the next relay commands fail, as an unplugged
    board would, so that fault handling can be tested.
    """

    def __init__(
        self,
        fail_mode: FailMode = "secure",
        clock: Clock | None = None,
        *,
        has_contact: bool = True,
        has_fire_input: bool = True,
        energised_releases: bool = True,
    ) -> None:
        super().__init__(fail_mode, clock, energised_releases=energised_releases)
        self.refuse_relay = False
        self._door_open: bool | None = False if has_contact else None
        self._fire_active: bool | None = False if has_fire_input else None
        self._set_released(False)

    @property
    def door_is_open(self) -> bool | None:
        return self._door_open

    @property
    def fire_is_active(self) -> bool | None:
        return self._fire_active

    def _drive_relay(self, energised: bool) -> None:
        if self.refuse_relay:
            raise HardwareError("simulated relay refused the command")

    def _close_devices(self) -> None:
        logger.debug("sim door hardware closed")

    # -- stimuli -------------------------------------------------------------------------

    def set_door_open(self, is_open: bool) -> None:
        """Move the simulated door; reports to the contact callback on a change."""
        if self._door_open is None:
            raise HardwareError("this simulated door has no contact fitted")
        if self._door_open != is_open:
            self._door_open = is_open
            self._emit_contact(is_open)

    def recover(self) -> None:
        """Accept relay commands again and report it, as a board back online would."""
        self.refuse_relay = False
        self._emit_recovered()

    def press_exit(self) -> None:
        """Press and release the request-to-exit button."""
        self._emit_exit()

    def set_fire(self, active: bool) -> None:
        """Assert or clear the fire input."""
        if self._fire_active is None:
            raise HardwareError("this simulated door has no fire input fitted")
        if self._fire_active != active:
            self._fire_active = active
            self._emit_fire(active)
