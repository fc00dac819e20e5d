"""Liveness from non-rigid facial motion: rectified pixels measure, landmarks guide.

A photo, however it is moved, is a plane: between two frames its face moves by one
homography. Each frame is rectified onto the session's first view (`face_pixels`), and each
new view is compared with a few earlier ones: about 0.12 s back, the oldest view up to 1 s
back, and the view whose landmarks differ most (a blink or a word between those two). ECC
aligns the two crops by one homography; if the face as a whole then matches
(>= `min_alignment`), the mouth and eye regions are correlated (NCC, best over +-1 px).

A frame whose mouth or eyes correlate below `max_ncc` is *confirmed*; `evidence_frames`
confirmed frames give LIVE. On every dev and holdout photo attack (hw_sim prints and phones,
stills, real spoof videos) no region of a face aligned that well correlated below 0.95, so
the 0.90 bar keeps a margin; a moving mouth or a closing eye falls to 0.3-0.85.
Landmarks only choose what to compare: on blurred prints they jump with the blur, so they
cannot vouch for a change. After `max_seconds` of frame time without proof the verdict is
SPOOF (`liveness_timeout`).
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass

import numpy as np

from gate.vision.liveness import face_pixels
from gate.vision.liveness.base import (
    LivenessCheck,
    LivenessResult,
    LivenessSession,
    LivenessVerdict,
)
from gate.vision.types import DetectedFace, Frame

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MotionThresholds:
    """Tuning of the landmark-motion check (measured, see docs/liveness.md)."""

    min_iod_px: float = 24.0
    window_seconds: float = 1.0
    min_lag_seconds: float = 0.06
    # Each view is compared with the oldest earlier view no older than each of these ...
    reference_lags_seconds: tuple[float, ...] = (0.12, 1.0)
    # ... and with the view whose landmarks differ most, if by this much (0 = never).
    guide_ratio: float = 0.5
    mouth_open: float = 0.12  # change of inner-lip gap, in eye distances
    eye_open: float = 0.06  # change of eyelid gap (blink), in eye distances
    max_ncc: float = 0.90  # an aligned region correlating less than this confirms a frame ...
    min_alignment: float = 0.96  # ... if the whole face aligned at least this well (ECC)
    evidence_frames: int = 2
    max_seconds: float = 3.0


@dataclass
class _View:
    """One rectified frame: when, its canonical features, its canonical crop."""

    captured_at: float
    features: np.ndarray
    crop: np.ndarray


@dataclass(frozen=True)
class Evidence:
    """The most changed region of one frame against one earlier view."""

    group: str  # mouth or eyes
    correlation: float  # region NCC after whole-face alignment
    alignment: float  # whole-face ECC correlation
    landmark_ratio: float  # landmark change of the group / its threshold


# Region -> (feature index, threshold attribute)
_GROUPS = {"mouth": (0, "mouth_open"), "eyes": (1, "eye_open")}


def canonical_features(points: np.ndarray) -> np.ndarray:
    """Mouth gap, eyelid gap, brow height and nose-tip x/y of canonical landmarks (eye units)."""

    def gap(upper: list[int], lower: list[int]) -> float:
        return float(np.linalg.norm(points[upper] - points[lower], axis=1).mean())

    mouth = gap([61, 62, 63], [67, 66, 65])
    eyes = gap([37, 38, 43, 44], [41, 40, 47, 46])
    eye_y = points[36:48, 1].mean()
    brows = float(eye_y - points[17:27, 1].mean())
    nose = points[30] - points[[36, 39, 42, 45]].mean(axis=0)
    return np.array([mouth, eyes, brows, nose[0], nose[1]]) / face_pixels.CANON_IOD_PX


class LandmarkMotionSession(LivenessSession):
    """Per-track evidence of non-rigid facial motion."""

    def __init__(self, thresholds: MotionThresholds) -> None:
        self.thresholds = thresholds
        self._started_at: float | None = None
        self._template: np.ndarray | None = None
        self._rois: dict[str, face_pixels.Roi] = {}
        self._views: deque[_View] = deque()
        self._confirmed: list[Evidence] = []
        self._frames = 0
        self._final: LivenessResult | None = None
        self.last_evidence: Evidence | None = None  # most changed region of the last frame

    def update(self, frame: Frame, face: DetectedFace) -> LivenessResult:
        if self._final is not None:
            return self._final
        if self._started_at is None:
            self._started_at = frame.captured_at
        elapsed = frame.captured_at - self._started_at
        self._frames += 1
        view = self._rectify(frame, face)
        if view is not None:
            self._compare(view)
            self._views.append(view)
            while view.captured_at - self._views[0].captured_at \
                    > self.thresholds.window_seconds:
                self._views.popleft()
        if len(self._confirmed) >= self.thresholds.evidence_frames:
            score = 1.0 - min(e.correlation for e in self._confirmed)
            groups = "+".join(sorted({e.group for e in self._confirmed}))
            self._final = LivenessResult(LivenessVerdict.LIVE, score,
                                         "non_rigid_motion:" + groups, self._frames, elapsed)
            return self._final
        if elapsed >= self.thresholds.max_seconds:
            self._final = LivenessResult(LivenessVerdict.SPOOF, 0.0, "liveness_timeout",
                                         self._frames, elapsed)
            return self._final
        return LivenessResult(LivenessVerdict.UNDECIDED, 0.0, "collecting", self._frames,
                              elapsed)

    def _rectify(self, frame: Frame, face: DetectedFace) -> _View | None:
        marks = face.landmarks
        if marks is None or marks.shape != (68, 2):
            return None
        if face_pixels.eye_distance_px(marks) < self.thresholds.min_iod_px:
            return None  # too small for landmarks to be trusted: no evidence either way
        if self._template is None:
            self._template = face_pixels.canonical_template(marks)
            self._rois = face_pixels.regions(self._template)
        rectified = face_pixels.rectify(frame.image, marks, self._template,
                                        self._rois["face"])
        if rectified is None:
            return None
        canonical, crop = rectified
        return _View(frame.captured_at, canonical_features(canonical), crop)

    def _references(self, view: _View) -> list[_View]:
        """Earlier views to compare `view` with (each at most once).

        For each reference lag, the oldest view within it; then the view whose landmarks
        differ most from `view` in mouth or eyes, if they differ by `guide_ratio` at least:
        a blink or a word between the fixed references is not missed.
        """
        limits = self.thresholds
        eligible = [v for v in self._views
                    if view.captured_at - v.captured_at >= limits.min_lag_seconds]
        chosen: list[_View] = []
        for lag in limits.reference_lags_seconds:
            within = [v for v in eligible if view.captured_at - v.captured_at <= lag + 1e-6]
            if within and all(within[0] is not c for c in chosen):
                chosen.append(within[0])
        if eligible and limits.guide_ratio > 0:
            ratios = [self._landmark_ratio(view, v) for v in eligible]
            best = int(np.argmax(ratios))
            if ratios[best] >= limits.guide_ratio and all(eligible[best] is not c
                                                          for c in chosen):
                chosen.append(eligible[best])
        return chosen

    def _landmark_ratio(self, view: _View, old: _View) -> float:
        return max(abs(view.features[index] - old.features[index])
                   / getattr(self.thresholds, attribute)
                   for index, attribute in _GROUPS.values())

    def _compare(self, view: _View) -> None:
        """Measure the frame's most changed region against its reference views."""
        limits = self.thresholds
        best: Evidence | None = None
        for old in self._references(view):
            aligned = face_pixels.align(view.crop, old.crop)
            if aligned is None or aligned[1] < limits.min_alignment:
                # The face as a whole does not align (dlib misfit, motion blur): a region's
                # difference would prove nothing, so it is no evidence either way.
                continue
            for group, (index, attribute) in _GROUPS.items():
                if not face_pixels.covered(aligned[0], self._rois[group]):
                    continue
                correlation = face_pixels.region_correlation(aligned[0], old.crop,
                                                             self._rois[group])
                ratio = float(abs(view.features[index] - old.features[index])
                              / getattr(limits, attribute))
                evidence = Evidence(group, correlation, aligned[1], ratio)
                if best is None or correlation < best.correlation:
                    best = evidence
        self.last_evidence = best
        if best is not None and best.correlation < limits.max_ncc:
            self._confirmed.append(best)


class LandmarkMotionCheck(LivenessCheck):
    """Liveness from non-rigid facial motion measured on rectified pixels."""

    name = "landmark_motion"

    def __init__(self, thresholds: MotionThresholds | None = None) -> None:
        self.thresholds = thresholds or MotionThresholds()

    def start(self) -> LandmarkMotionSession:
        return LandmarkMotionSession(self.thresholds)
