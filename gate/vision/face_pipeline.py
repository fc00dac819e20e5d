"""Per-frame face pipeline: detect, track, liveness, quality, encode only what a decision needs.

Each tracked face gets one outcome. Encoding is the expensive step (tens of ms a face),
so a track is encoded every `encode_every_frames` frames until `agreement_frames`
consecutive encodings agree; after that only landmarks feed the liveness session.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import cv2
import numpy as np

from gate.errors import ImageError
from gate.vision.liveness.base import (
    LivenessCheck,
    LivenessResult,
    LivenessSession,
    LivenessVerdict,
)
from gate.vision.quality import QualityReport, assess
from gate.vision.recognisers.base import Recogniser
from gate.vision.tracker import IouTracker, Track
from gate.vision.types import Box, DetectedFace, Frame

logger = logging.getLogger(__name__)


class FaceDetector(Protocol):
    """Finds faces (with 68 landmarks) in an RGB image."""

    def detect(self, image_rgb: np.ndarray, with_landmarks: bool = True) -> list[DetectedFace]: ...


@dataclass(frozen=True)
class MatchVote:
    """One encoding's verdict against the gallery."""

    person_id: str | None
    reason: str  # "match", "no_match" or "ambiguous_margin"
    distance: float | None
    margin: float | None
    second_person_id: str | None = None


Matcher = Callable[[np.ndarray], MatchVote]


class OutcomeKind:
    """What a track ended as (before policy)."""

    IDENTIFIED = "identified"
    UNKNOWN = "unknown"
    AMBIGUOUS = "ambiguous"
    SPOOF = "spoof"
    QUALITY = "quality"


@dataclass(frozen=True)
class FaceOutcome:
    """The pipeline's single verdict on one tracked face."""

    track_id: int
    kind: str
    person_id: str | None
    first_seen_at: float
    decided_at: float
    evidence: dict[str, object]
    frame: Frame
    box: Box


@dataclass
class _TrackState:
    track: Track
    liveness: LivenessSession
    votes: list[MatchVote] = field(default_factory=list)
    frames_since_encode: int = 10**6
    frames: int = 0
    liveness_result: LivenessResult | None = None
    quality: QualityReport | None = None
    quality_failures: dict[str, int] = field(default_factory=dict)
    decided: bool = False


@dataclass(frozen=True)
class PipelineSettings:
    """The face section of the config, as the pipeline needs it."""

    min_face_px: int = 80
    min_sharpness: float = 40.0
    max_yaw_ratio: float = 0.35
    agreement_frames: int = 2
    encode_every_frames: int = 2
    max_decision_seconds: float = 3.0


class FacePipeline:
    """Turns frames into at most one `FaceOutcome` per tracked face."""

    def __init__(
        self,
        detector: FaceDetector,
        recogniser: Recogniser,
        matcher: Matcher,
        liveness: LivenessCheck,
        settings: PipelineSettings,
    ) -> None:
        self.detector = detector
        self.recogniser = recogniser
        self.matcher = matcher
        self.liveness = liveness
        self.settings = settings
        self.tracker = IouTracker()
        self._states: dict[int, _TrackState] = {}
        self.encodings = 0

    def reset(self) -> None:
        """Forget every track (camera outage, scene change)."""
        self.tracker.reset()
        self._states.clear()

    def process(self, frame: Frame) -> list[FaceOutcome]:
        """Run one frame; returns the outcomes decided on it."""
        image = frame.image
        usable = isinstance(image, np.ndarray) and image.ndim == 3 and image.shape[2] == 3
        if not usable or not image.size:
            raise ImageError(f"frame {frame.index} is not a BGR image")
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        faces = self.detector.detect(rgb)
        tracks, ended = self.tracker.update([f.box for f in faces], frame.captured_at)
        for track in ended:
            self._states.pop(track.track_id, None)
        outcomes = []
        for face, track in zip(faces, tracks, strict=True):
            state = self._states.get(track.track_id)
            if state is None:
                state = _TrackState(track, self.liveness.start())
                self._states[track.track_id] = state
            if state.decided:
                continue
            outcome = self._step(state, frame, rgb, face)
            if outcome is not None:
                state.decided = True
                outcomes.append(outcome)
        return outcomes

    def _step(
        self, state: _TrackState, frame: Frame, rgb: np.ndarray, face: DetectedFace
    ) -> FaceOutcome | None:
        settings = self.settings
        state.frames += 1
        state.quality = assess(
            rgb, face, min_face_px=settings.min_face_px,
            min_sharpness=settings.min_sharpness, max_yaw_ratio=settings.max_yaw_ratio,
        )
        state.frames_since_encode += 1
        settled = self._settled(state)
        # Until the decision, an identified track keeps being re-checked: a photo swapped in
        # for a live face (or the other way round) must not inherit the other's evidence.
        if settled in (None, OutcomeKind.IDENTIFIED):
            if not state.quality.ok:
                failed = state.quality.failed or "quality"
                state.quality_failures[failed] = state.quality_failures.get(failed, 0) + 1
            elif state.frames_since_encode >= settings.encode_every_frames:
                self._vote(state, rgb, face)
                settled = self._settled(state)
        state.liveness_result = state.liveness.update(frame, face)
        verdict = state.liveness_result.verdict
        elapsed = frame.captured_at - state.track.first_seen_at
        kind: str | None = None
        if settled == OutcomeKind.UNKNOWN or settled == OutcomeKind.AMBIGUOUS:
            kind = settled  # a stranger is denied without waiting for liveness
        elif verdict == LivenessVerdict.SPOOF:
            kind = OutcomeKind.SPOOF
        elif settled == OutcomeKind.IDENTIFIED and verdict == LivenessVerdict.LIVE:
            kind = OutcomeKind.IDENTIFIED
        elif elapsed >= settings.max_decision_seconds:
            if settled == OutcomeKind.IDENTIFIED:
                kind = OutcomeKind.SPOOF  # identified, but life was never proven
            else:
                kind = OutcomeKind.QUALITY if not state.votes else OutcomeKind.AMBIGUOUS
        if kind is None:
            return None
        return self._outcome(state, frame, face, kind)

    def _vote(self, state: _TrackState, rgb: np.ndarray, face: DetectedFace) -> None:
        vote = self.matcher(self.recogniser.encode(rgb, face))
        self.encodings += 1
        state.frames_since_encode = 0
        if not state.votes or vote.person_id != state.votes[-1].person_id:
            # A new face identity in this track: liveness evidence gathered so far belongs
            # to whatever was in front of the camera before, so it starts again.
            state.votes.clear()
            state.liveness = self.liveness.start()
        state.votes.append(vote)

    def _settled(self, state: _TrackState) -> str | None:
        """IDENTIFIED/UNKNOWN/AMBIGUOUS once the last `agreement_frames` votes agree."""
        need = self.settings.agreement_frames
        recent = state.votes[-need:]
        if len(recent) < need:
            return None
        if all(v.reason == "match" and v.person_id == recent[0].person_id for v in recent):
            return OutcomeKind.IDENTIFIED
        if all(v.reason == "no_match" for v in recent):
            return OutcomeKind.UNKNOWN
        if all(v.reason != "match" for v in recent):
            return OutcomeKind.AMBIGUOUS
        return None

    def _outcome(
        self, state: _TrackState, frame: Frame, face: DetectedFace, kind: str
    ) -> FaceOutcome:
        best = state.votes[-1] if state.votes else None
        person_id = best.person_id if best and kind != OutcomeKind.UNKNOWN else None
        liveness = state.liveness_result
        evidence: dict[str, object] = {
            "identity": person_id,
            "distance": _round(best.distance) if best else None,
            "margin": _round(best.margin) if best else None,
            "second_identity": best.second_person_id if best else None,
            "recogniser": self.recogniser.name,
            "frames_used": state.frames,
            "encodings": len(state.votes),
            "liveness": {
                "check": self.liveness.name,
                "verdict": str(liveness.verdict) if liveness else None,
                "score": _round(liveness.score) if liveness else None,
                "reason": liveness.reason if liveness else None,
                "frames": liveness.frames_used if liveness else 0,
            },
        }
        if state.quality is not None:
            evidence["quality"] = {
                "face_px": state.quality.face_px,
                "sharpness": _round(state.quality.sharpness),
                "yaw_ratio": _round(state.quality.yaw_ratio),
                "failures": dict(state.quality_failures),
            }
        return FaceOutcome(
            track_id=state.track.track_id,
            kind=kind,
            person_id=person_id,
            first_seen_at=state.track.first_seen_at,
            decided_at=frame.captured_at,
            evidence=evidence,
            frame=frame,
            box=face.box,
        )


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)
