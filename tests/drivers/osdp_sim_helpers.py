"""Helpers shared by the OSDP driver tests (imported by file name: tests/ has no package)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from firmware_bridge.door_backend import OsdpDoorHardware


def wait_for(condition: Callable[[], object], timeout_seconds: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return bool(condition())


class Recorder:
    """Collects what the backend reports, from its dispatcher thread."""

    def __init__(self, hardware: OsdpDoorHardware) -> None:
        self.lock = threading.Lock()
        self.cards: list[str] = []
        self.pins: list[str] = []
        self.board_events: list[str] = []
        self.contact: list[bool] = []
        self.exits = 0
        self.fire: list[bool] = []
        hardware.when_card_read = lambda card: self.cards.append(card.number)
        hardware.when_pin_entered = lambda pin, _reader: self.pins.append(pin)
        hardware.when_board_event = lambda kind, _evidence: self.board_events.append(kind)
        hardware.when_contact_changed = self.contact.append
        hardware.when_exit_pressed = self._exit
        hardware.when_fire_changed = self.fire.append

    def _exit(self) -> None:
        self.exits += 1
