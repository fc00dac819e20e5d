"""The liveness interface: one session per tracked face, fed frame by frame."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum

from gate.vision.types import DetectedFace, Frame


class LivenessVerdict(StrEnum):
    """Where a liveness session stands."""

    UNDECIDED = "undecided"
    LIVE = "live"
    SPOOF = "spoof"


@dataclass(frozen=True)
class LivenessResult:
    """Verdict so far, with the evidence behind it (goes into the event's evidence)."""

    verdict: LivenessVerdict
    score: float
    reason: str
    frames_used: int
    elapsed_seconds: float


class LivenessSession(ABC):
    """Accumulates evidence for one face track; never returns LIVE without evidence."""

    @abstractmethod
    def update(self, frame: Frame, face: DetectedFace) -> LivenessResult:
        """Add one frame (with `face.landmarks` filled) and return the verdict so far.

        After `max_seconds` (frame time, `frame.captured_at`) without proof of life the
        verdict is SPOOF with reason `liveness_timeout`.
        """


class LivenessCheck(ABC):
    """A liveness plug-in: a factory of per-track sessions."""

    name: str

    @abstractmethod
    def start(self) -> LivenessSession:
        """A fresh session for a newly tracked face."""


class NoLiveness(LivenessCheck):
    """Accepts every face at once. For tests and attended kiosks only, never the default."""

    name = "none"

    def start(self) -> LivenessSession:
        return _AlwaysLive()


class _AlwaysLive(LivenessSession):
    def update(self, frame: Frame, face: DetectedFace) -> LivenessResult:
        return LivenessResult(LivenessVerdict.LIVE, 1.0, "liveness_disabled", 1, 0.0)
