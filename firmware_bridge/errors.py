"""Errors of the OSDP bridge; all are `GateError`s (hardware ones are `HardwareError`s)."""

from __future__ import annotations

from gate.errors import GateError, HardwareError


class BoardOfflineError(HardwareError):
    """The board does not answer (or its secure channel is down): nothing can be sent."""


class CommandNotDeliveredError(HardwareError):
    """The board did not acknowledge a command in time; it may not have been carried out."""


class ScbkError(GateError, ValueError):
    """The board's secure channel key is missing, malformed or stored unsafely."""
