"""Face pipeline decision logic with stand-in detector, recogniser and liveness (pure logic).

The real models are exercised by tests/system; here the point is which evidence may
combine into a grant.
"""

from __future__ import annotations

import numpy as np

from gate.vision.face_pipeline import FacePipeline, MatchVote, OutcomeKind, PipelineSettings
from gate.vision.liveness.base import (
    LivenessCheck,
    LivenessResult,
    LivenessSession,
    LivenessVerdict,
)
from gate.vision.recognisers.base import Recogniser
from gate.vision.types import Box, DetectedFace, Frame

RNG = np.random.default_rng(0)
TEXTURE = RNG.integers(0, 255, (480, 640, 3), dtype=np.uint8)  # sharp enough for the blur gate


def _landmarks(box: Box) -> np.ndarray:
    marks = np.zeros((68, 2), np.float32)
    cx, cy, w = (box.x1 + box.x2) / 2, (box.y1 + box.y2) / 2, box.width
    marks[36:42] = (cx - 0.2 * w, cy - 0.1 * w)
    marks[42:48] = (cx + 0.2 * w, cy - 0.1 * w)
    marks[30] = (cx, cy + 0.05 * w)
    return marks


class OneFaceDetector:
    """Finds one face whose size the test sets per frame."""

    def __init__(self) -> None:
        self.box = Box(220, 140, 420, 340)

    def detect(self, image_rgb: np.ndarray, with_landmarks: bool = True) -> list[DetectedFace]:
        return [DetectedFace(self.box, landmarks=_landmarks(self.box))]


class ConstantRecogniser(Recogniser):
    name = "stand-in"
    metric = "cosine"
    dimension = 2
    default_threshold = 0.4
    default_margin = 0.05

    def encode(self, image_rgb: np.ndarray, face: DetectedFace) -> np.ndarray:
        return np.ones(2, np.float32)


class LiveFramesOnly(LivenessCheck):
    """LIVE after two frames whose source says a live person is in front of the camera."""

    name = "stand-in"

    def start(self) -> LivenessSession:
        return _Session()


class _Session(LivenessSession):
    def __init__(self) -> None:
        self.live_frames = 0
        self.started: float | None = None

    def update(self, frame: Frame, face: DetectedFace) -> LivenessResult:
        self.started = frame.captured_at if self.started is None else self.started
        self.live_frames += frame.source == "live"
        elapsed = frame.captured_at - self.started
        if self.live_frames >= 2:
            return LivenessResult(LivenessVerdict.LIVE, 1.0, "motion", self.live_frames, elapsed)
        if elapsed >= 3.0:
            return LivenessResult(LivenessVerdict.SPOOF, 0.0, "liveness_timeout", 0, elapsed)
        return LivenessResult(LivenessVerdict.UNDECIDED, 0.0, "", 0, elapsed)


def _pipeline(detector: OneFaceDetector) -> FacePipeline:
    def resident(_vector: np.ndarray) -> MatchVote:
        return MatchVote("resident-1", "match", 0.2, 0.3)

    return FacePipeline(detector, ConstantRecogniser(), resident, LiveFramesOnly(),
                        PipelineSettings(min_face_px=150, encode_every_frames=1))


def test_live_face_then_resident_photo_in_the_same_track_is_not_granted() -> None:
    detector = OneFaceDetector()
    pipeline = _pipeline(detector)
    outcomes = []
    # An attacker's own live face, too small to be encoded, proves "life"...
    detector.box = Box(250, 170, 370, 290)
    for index in range(5):
        outcomes += pipeline.process(Frame(TEXTURE, index / 25, index, "live"))
    # ...then a resident's photo fills the same place (the track continues).
    detector.box = Box(220, 140, 420, 340)
    for index in range(5, 100):
        outcomes += pipeline.process(Frame(TEXTURE, index / 25, index, "photo"))
    assert [o.kind for o in outcomes] == [OutcomeKind.SPOOF]
    assert outcomes[0].person_id == "resident-1"


def test_live_resident_is_identified_once_liveness_follows_the_identification() -> None:
    detector = OneFaceDetector()
    pipeline = _pipeline(detector)
    outcomes = []
    for index in range(10):
        outcomes += pipeline.process(Frame(TEXTURE, index / 25, index, "live"))
    assert [o.kind for o in outcomes] == [OutcomeKind.IDENTIFIED]
    assert outcomes[0].evidence["encodings"] >= 2
