"""Liveness from non-rigid facial motion: landmarks propose, pixels confirm.

A photo, however it is moved, is a plane: between two frames its face moves by one
homography. Each frame is therefore rectified onto the session's first view through a
homography fitted on rigid anchor points (eye corners and nose). In that canonical view a
photo's features stay put, while a live face changes: the mouth opens, the eyes blink, the
brows lift, the nose shows 3D parallax when the head turns.

Landmarks alone are not trusted: on a small, blurred, noisy photo dlib sometimes flips the
mouth between "open" and "closed" for a frame or two. So a landmark change only counts when
the rectified pixels of that region changed too (normalised cross-correlation, best over small
shifts): a photo's rectified mouth looks the same whatever dlib says, a live mouth does not.
LIVE needs `evidence_frames` such frames; until then the verdict is UNDECIDED, and after
`max_seconds` of frame time it is SPOOF (`liveness_timeout`).
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field

import cv2
import numpy as np

from gate.vision.landmarks import LEFT_EYE, RIGHT_EYE
from gate.vision.liveness.base import (
    LivenessCheck,
    LivenessResult,
    LivenessSession,
    LivenessVerdict,
)
from gate.vision.types import DetectedFace, Frame

logger = logging.getLogger(__name__)

# Points that move least with expression: eye corners, nose bridge and nose base.
ANCHORS = np.array([36, 39, 42, 45, 27, 28, 29, 30, 31, 32, 33, 34, 35])
CROP_PX = 64
CANON_IOD_PX = 24.0  # eye-centre distance in the canonical crop
_EYE_Y_PX = 20.0
_ECC_ITERATIONS = 30


@dataclass(frozen=True)
class MotionThresholds:
    """Tuning of the landmark-motion check (measured, see docs/liveness.md)."""

    min_iod_px: float = 24.0
    window_seconds: float = 1.0
    min_lag_seconds: float = 0.06
    mouth_open: float = 0.12  # change of inner-lip gap, in eye distances
    eye_open: float = 0.06  # change of eyelid gap (blink), in eye distances
    brow_raise: float = 0.08  # change of brow-to-eye height, in eye distances
    parallax: float = 0.10  # nose-tip shift against the anchor plane, in eye distances
    max_ncc: float = 0.90  # an aligned region must correlate less than this to count
    evidence_frames: int = 2
    min_alignment: float = 0.88  # whole-face correlation after ECC alignment, at least
    max_alignments: int = 2  # pixel alignments per frame (each ~1-3 ms)
    max_seconds: float = 3.0


@dataclass
class _View:
    """One rectified frame: when, its canonical features, its canonical crop."""

    captured_at: float
    features: np.ndarray
    crop: np.ndarray


@dataclass
class _Evidence:
    group: str
    landmark_change: float
    correlation: float
    alignment: float = 1.0


@dataclass
class _Rois:
    """Regions (y1, y2, x1, x2) of the canonical crop, from the reference landmarks."""

    boxes: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)


# Feature index -> (group name, threshold attribute, ROI name)
_GROUPS = (
    ("mouth", "mouth_open", "mouth"),
    ("eyes", "eye_open", "eyes"),
    ("parallax", "parallax", "nose"),
)


def canonical_features(points: np.ndarray) -> np.ndarray:
    """Mouth gap, eyelid gap, brow height and nose-tip x/y of canonical landmarks (eye units)."""

    def gap(upper: list[int], lower: list[int]) -> float:
        return float(np.linalg.norm(points[upper] - points[lower], axis=1).mean())

    mouth = gap([61, 62, 63], [67, 66, 65])
    eyes = gap([37, 38, 43, 44], [41, 40, 47, 46])
    eye_y = points[36:48, 1].mean()
    brows = float(eye_y - points[17:27, 1].mean())
    nose = points[30] - points[[36, 39, 42, 45]].mean(axis=0)
    return np.array([mouth, eyes, brows, nose[0], nose[1]]) / CANON_IOD_PX


class LandmarkMotionSession(LivenessSession):
    """Per-track evidence of non-rigid facial motion."""

    def __init__(self, thresholds: MotionThresholds) -> None:
        self.thresholds = thresholds
        self._started_at: float | None = None
        self._template: np.ndarray | None = None
        self._rois = _Rois()
        self._views: deque[_View] = deque()
        self._evidence: list[_Evidence] = []
        self._frames = 0
        self._final: LivenessResult | None = None
        self.last_pair: _Evidence | None = None  # strongest landmark change seen, for tuning

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
            while self._views and view.captured_at - self._views[0].captured_at \
                    > self.thresholds.window_seconds:
                self._views.popleft()
        if len(self._evidence) >= self.thresholds.evidence_frames:
            groups = sorted({e.group for e in self._evidence})
            score = 1.0 - min(e.correlation for e in self._evidence)
            self._final = LivenessResult(LivenessVerdict.LIVE, score,
                                         "non_rigid_motion:" + "+".join(groups),
                                         self._frames, elapsed)
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
        iod = float(np.linalg.norm(marks[LEFT_EYE].mean(0) - marks[RIGHT_EYE].mean(0)))
        if iod < self.thresholds.min_iod_px:
            return None  # too small for landmarks to be trusted: no evidence either way
        if self._template is None:
            self._template = self._start_template(marks, iod)
        homography, _ = cv2.findHomography(marks[ANCHORS].astype(np.float64),
                                           self._template[ANCHORS].astype(np.float64), 0)
        if homography is None:
            return None
        canonical = cv2.perspectiveTransform(marks[None].astype(np.float64), homography)[0]
        crop = cv2.warpPerspective(frame.image, homography, (CROP_PX, CROP_PX),
                                   flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
        # Equalise focus and noise between frames before correlating them.
        gray = cv2.GaussianBlur(gray.astype(np.float32), (0, 0), 1.0)
        return _View(frame.captured_at, canonical_features(canonical), gray)

    def _start_template(self, marks: np.ndarray, iod: float) -> np.ndarray:
        """The first view, scaled, rotated and shifted so the eyes sit level in the crop."""
        left, right = marks[LEFT_EYE].mean(0), marks[RIGHT_EYE].mean(0)
        angle = np.arctan2(right[1] - left[1], right[0] - left[0])
        scale = CANON_IOD_PX / iod
        cos, sin = np.cos(-angle) * scale, np.sin(-angle) * scale
        centre = (left + right) / 2.0
        rotated = (marks - centre) @ np.array([[cos, sin], [-sin, cos]])
        template = rotated + np.array([CROP_PX / 2.0, _EYE_Y_PX])
        self._rois = _rois_from(template)
        return template.astype(np.float32)

    def _compare(self, view: _View) -> None:
        """Look for a landmark change against the window that the pixels confirm."""
        limits = self.thresholds
        candidates: list[tuple[float, str, str, _View]] = []
        for old in self._views:
            if view.captured_at - old.captured_at < limits.min_lag_seconds:
                continue
            delta = np.abs(view.features - old.features)
            # Brow height (delta[2]) is kept as a feature but not used: glasses frames make
            # dlib's brows jump on photos, and ECC cannot always tell the difference.
            changes = (delta[0], delta[1], float(np.hypot(delta[3], delta[4])))
            for (group, attribute, roi), change in zip(_GROUPS, changes, strict=True):
                ratio = float(change / getattr(limits, attribute))
                if ratio >= 1.0:
                    candidates.append((ratio, group, roi, old))
        candidates.sort(key=lambda c: c[0], reverse=True)
        self.last_pair = None
        checked: dict[int, tuple[np.ndarray, float] | None] = {}
        for ratio, group, roi, old in candidates:
            key = id(old)
            if key not in checked:
                if len(checked) >= limits.max_alignments:
                    continue  # bound the per-frame cost; later frames get their turn
                checked[key] = _align(view.crop, old.crop)
            alignment = checked[key]
            if alignment is None or alignment[1] < limits.min_alignment:
                # The face as a whole does not align (dlib misfit, motion blur): a region's
                # difference would prove nothing, so it is no evidence either way.
                continue
            correlation = _region_correlation(alignment[0], old.crop, self._rois.boxes[roi])
            evidence = _Evidence(group, ratio, correlation, alignment[1])
            if self.last_pair is None or correlation < self.last_pair.correlation:
                self.last_pair = evidence
            if correlation < limits.max_ncc:
                self._evidence.append(evidence)
                return


def _rois_from(template: np.ndarray) -> _Rois:
    def box(indices: list[int] | slice, pad: float) -> tuple[int, int, int, int]:
        pts = template[indices]
        x1, y1 = pts.min(0) - pad
        x2, y2 = pts.max(0) + pad
        clip = lambda v: int(min(max(round(v), 0), CROP_PX))  # noqa: E731
        return clip(y1), clip(y2), clip(x1), clip(x2)

    return _Rois({
        "mouth": box(slice(48, 68), 4.0),
        "eyes": box(slice(36, 48), 4.0),
        "brows": box(list(range(17, 27)) + list(range(36, 48)), 3.0),
        "nose": box(list(range(27, 36)) + [36, 39, 42, 45], 3.0),
    })


def _align(current: np.ndarray, previous: np.ndarray) -> tuple[np.ndarray, float] | None:
    """`current` warped onto `previous` by the homography that best explains the pixels.

    Landmark-based rectification can be several pixels off (dlib misfits glasses, tilted or
    blurred faces); a photo's pixels, though, always align by one homography. ECC finds it.
    """
    warp = np.eye(3, dtype=np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, _ECC_ITERATIONS, 1e-4)
    try:
        score, warp = cv2.findTransformECC(previous, current, warp, cv2.MOTION_HOMOGRAPHY,
                                           criteria, None, 1)
    except cv2.error:
        return None  # did not converge (flat or very different crops)
    aligned = cv2.warpPerspective(current, warp, (CROP_PX, CROP_PX),
                                  flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                  borderMode=cv2.BORDER_REPLICATE)
    return aligned, float(score)


def _region_correlation(current: np.ndarray, previous: np.ndarray,
                        roi: tuple[int, int, int, int], shift_px: int = 1) -> float:
    """Best normalised cross-correlation of a region over shifts of +-shift_px."""
    y1, y2, x1, x2 = roi
    if y2 - y1 <= 2 * shift_px + 2 or x2 - x1 <= 2 * shift_px + 2:
        return 1.0
    template = previous[y1 + shift_px:y2 - shift_px, x1 + shift_px:x2 - shift_px]
    if float(template.std()) < 1e-3:
        return 1.0
    scores = cv2.matchTemplate(current[y1:y2, x1:x2], template, cv2.TM_CCOEFF_NORMED)
    return float(scores.max())


class LandmarkMotionCheck(LivenessCheck):
    """Liveness from non-rigid landmark motion confirmed by rectified pixels."""

    name = "landmark_motion"

    def __init__(self, thresholds: MotionThresholds | None = None) -> None:
        self.thresholds = thresholds or MotionThresholds()

    def start(self) -> LandmarkMotionSession:
        return LandmarkMotionSession(self.thresholds)
