"""Exception hierarchy of the gate: one root, leaves that also subclass a builtin."""

from __future__ import annotations


class GateError(Exception):
    """Root of every error the gate raises on purpose."""


class ConfigError(GateError, ValueError):
    """A configuration file is missing, unreadable or invalid."""


class CameraError(GateError, OSError):
    """A camera could not be opened or stopped delivering frames."""


class ImageError(GateError, ValueError):
    """An image could not be decoded or has an unusable shape."""


class EnrolmentError(GateError, ValueError):
    """A photo cannot be enrolled (no face, several faces, too small, too blurred).

    `code` says why for machines (`no_face`, `several_faces`, `too_small`, `blurred`,
    `not_frontal`, `unreadable`, `no_photos`); the message is for people.
    """

    def __init__(self, message: str, code: str = "unusable") -> None:
        super().__init__(message)
        self.code = code


class GalleryError(GateError, ValueError):
    """A gallery entry is corrupt or inconsistent with the configured recogniser."""


class HardwareError(GateError, RuntimeError):
    """Door hardware is unavailable or refused a command."""


class EventLogError(GateError, RuntimeError):
    """The durable event log could not be written or read."""


class ChainBrokenError(EventLogError):
    """The event log's hash chain does not verify (an edit, insertion or deletion)."""
