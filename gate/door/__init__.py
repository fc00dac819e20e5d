"""Door logic and hardware: a pure state machine, hardware backends and the driver gluing them."""

from gate.door.driver import DoorDriver
from gate.door.hardware import DoorHardware, FailMode
from gate.door.state_machine import (
    DoorEvent,
    DoorEventType,
    DoorOutput,
    DoorStateMachine,
    RelayCommand,
)

__all__ = [
    "DoorDriver",
    "DoorEvent",
    "DoorEventType",
    "DoorHardware",
    "DoorOutput",
    "DoorStateMachine",
    "FailMode",
    "RelayCommand",
]
