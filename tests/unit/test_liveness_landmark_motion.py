"""Landmark-motion liveness on synthetic faces: drawn from their own 68 landmarks."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from gate.config.face import LivenessConfig
from gate.vision.liveness import face_pixels
from gate.vision.liveness.base import LivenessVerdict, NoLiveness
from gate.vision.liveness.landmark_motion import LandmarkMotionCheck, MotionThresholds
from gate.vision.liveness.registry import create_liveness
from gate.vision.types import Box, DetectedFace, Frame

FPS = 25.0


def _ellipse(cx: float, cy: float, rx: float, ry: float, count: int, start: float = 0.0,
             stop: float = 2 * math.pi) -> np.ndarray:
    angles = np.linspace(start, stop, count, endpoint=stop - start < 2 * math.pi - 1e-6)
    return np.stack([cx + rx * np.cos(angles), cy + ry * np.sin(angles)], axis=1)


def face_landmarks(mouth_gap: float = 0.0, eye_gap: float = 16.0) -> np.ndarray:
    """A frontal 68-point face (iBUG order), eye distance 80 px, centred near (320, 240)."""
    jaw = _ellipse(320, 230, 120, 140, 17, math.pi, 0)[::-1] * [1, 1]
    jaw[:, 1] = 230 + np.abs(jaw[:, 1] - 230)  # lower half of the ellipse
    jaw = jaw[::-1]
    brows = np.concatenate([_ellipse(280, 185, 40, 12, 5, math.pi, 2 * math.pi),
                            _ellipse(360, 185, 40, 12, 5, math.pi, 2 * math.pi)])
    nose = np.array([[320, 200], [320, 220], [320, 240], [320, 260],
                     [300, 270], [310, 274], [320, 276], [330, 274], [340, 270]], float)

    def eye(cx: float) -> np.ndarray:
        half = eye_gap / 2.0
        return np.array([[cx - 18, 210], [cx - 7, 210 - half], [cx + 7, 210 - half],
                         [cx + 18, 210], [cx + 7, 210 + half], [cx - 7, 210 + half]], float)

    outer = _ellipse(320, 310 + mouth_gap / 2, 40, 14 + mouth_gap / 2, 12, math.pi, 3 * math.pi)
    inner_top = np.array([[290, 310], [305, 306], [320, 305], [335, 306], [350, 310]], float)
    inner_bottom = np.array([[335, 310 + mouth_gap], [320, 311 + mouth_gap],
                             [305, 310 + mouth_gap]], float)
    marks = np.concatenate([jaw, brows, nose, eye(280), eye(360), outer,
                            inner_top[:1], inner_top[1:4], inner_top[4:], inner_bottom])
    assert marks.shape == (68, 2)
    return marks.astype(np.float32)


def draw_face(marks: np.ndarray, seed: int = 3) -> np.ndarray:
    """A textured face image whose mouth and eyes are drawn from `marks`."""
    rng = np.random.default_rng(seed)
    image = cv2.GaussianBlur(rng.integers(60, 200, (480, 640, 3), dtype=np.uint8), (0, 0), 2)
    cv2.fillPoly(image, [np.round(marks[0:17]).astype(np.int32)], (150, 170, 200))
    for region in (slice(36, 42), slice(42, 48), slice(60, 68)):
        cv2.fillPoly(image, [np.round(marks[region]).astype(np.int32)], (20, 20, 30))
    cv2.polylines(image, [np.round(marks[48:60]).astype(np.int32)], True, (60, 60, 160), 3)
    cv2.polylines(image, [np.round(marks[17:22]).astype(np.int32)], False, (40, 40, 40), 4)
    cv2.polylines(image, [np.round(marks[22:27]).astype(np.int32)], False, (40, 40, 40), 4)
    return image


def _homography(t: float) -> np.ndarray:
    """A photo tilted and carried by hand: rotation, scale, shift and perspective."""
    angle, scale = 0.15 * math.sin(2.1 * t), 1.0 + 0.15 * math.sin(1.3 * t)
    similarity = np.array([[scale * math.cos(angle), -scale * math.sin(angle), 0],
                           [scale * math.sin(angle), scale * math.cos(angle), 0], [0, 0, 1]])
    centre = np.array([[1, 0, -320], [0, 1, -240], [0, 0, 1]], float)
    perspective = np.array([[1, 0, 0], [0, 1, 0],
                            [3e-4 * math.sin(1.7 * t), 2e-4 * math.cos(2.3 * t), 1]])
    shift = np.array([[1, 0, 320 + 40 * math.sin(0.9 * t)], [0, 1, 240 + 20 * math.cos(t)],
                      [0, 0, 1]])
    return shift @ perspective @ similarity @ centre


def _face(marks: np.ndarray) -> DetectedFace:
    x1, y1 = marks.min(0)
    x2, y2 = marks.max(0)
    return DetectedFace(Box(int(x1), int(y1), int(x2), int(y2)), landmarks=marks)


def _run(frames: list[tuple[np.ndarray, np.ndarray]], check: LandmarkMotionCheck):
    session = check.start()
    results = []
    for index, (image, marks) in enumerate(frames):
        frame = Frame(image=image, captured_at=index / FPS, index=index)
        results.append(session.update(frame, _face(marks)))
    return results


def test_photo_moved_by_homography_is_never_live_and_times_out() -> None:
    marks = face_landmarks(mouth_gap=6.0)
    image = draw_face(marks)
    frames = []
    for index in range(int(3.4 * FPS)):
        homography = _homography(index / FPS)
        warped = cv2.warpPerspective(image, homography, (640, 480))
        moved = cv2.perspectiveTransform(marks[None].astype(np.float64), homography)[0]
        frames.append((warped, moved.astype(np.float32)))
    results = _run(frames, LandmarkMotionCheck())
    assert all(r.verdict != LivenessVerdict.LIVE for r in results)
    assert results[-1].verdict == LivenessVerdict.SPOOF
    assert results[-1].reason == "liveness_timeout"


def test_landmarks_flipping_on_an_unchanged_photo_are_not_live() -> None:
    # dlib sometimes "opens" a printed mouth for a frame or two; the pixels did not change.
    closed = face_landmarks(mouth_gap=0.0)
    image = draw_face(closed)
    frames = [(image, face_landmarks(mouth_gap=30.0) if index % 5 in (3, 4) else closed)
              for index in range(int(3.2 * FPS))]
    results = _run(frames, LandmarkMotionCheck())
    assert all(r.verdict != LivenessVerdict.LIVE for r in results)


def test_talking_mouth_is_live_within_half_a_second() -> None:
    frames = []
    for index in range(int(3.0 * FPS)):
        gap = 12.0 * abs(math.sin(2 * math.pi * 1.5 * index / FPS))  # 0.15 eye distances
        marks = face_landmarks(mouth_gap=gap)
        frames.append((draw_face(marks), marks))
    results = _run(frames, LandmarkMotionCheck())
    live = [r for r in results if r.verdict == LivenessVerdict.LIVE]
    assert live, "a talking face must be proven live"
    assert live[0].elapsed_seconds <= 0.5
    assert live[0].reason.startswith("non_rigid_motion")


def test_blink_is_live() -> None:
    frames = []
    for index in range(int(1.5 * FPS)):
        eye_gap = 1.0 if 10 <= index <= 13 else 16.0
        marks = face_landmarks(eye_gap=eye_gap)
        frames.append((draw_face(marks), marks))
    results = _run(frames, LandmarkMotionCheck())
    assert results[-1].verdict == LivenessVerdict.LIVE
    assert "eyes" in results[-1].reason


def test_region_filled_from_beyond_the_crop_is_not_compared() -> None:
    # After a landmark misfit ECC may warp a crop far; pixels pulled in from past its edge
    # are made up, so a region holding them must not count as changed.
    rng = np.random.default_rng(2)
    previous = cv2.GaussianBlur(rng.uniform(0, 255, (64, 64)).astype(np.float32), (0, 0), 2.0)
    current = np.roll(previous, 4, axis=1)  # the same picture, 4 px to the right
    current[:, :4] = previous[:, :4]
    aligned = face_pixels.align(current, previous)
    assert aligned is not None and aligned[1] > 0.95
    assert not face_pixels.covered(aligned[0], (0, 64, 56, 64))  # right edge: made up
    assert face_pixels.covered(aligned[0], (10, 50, 10, 50))
    assert face_pixels.region_correlation(aligned[0], previous, (10, 50, 10, 50)) > 0.98


def test_still_live_face_times_out_after_max_seconds() -> None:
    marks = face_landmarks()
    image = draw_face(marks)
    check = LandmarkMotionCheck(MotionThresholds(max_seconds=1.0))
    results = _run([(image, marks)] * int(1.5 * FPS), check)
    undecided = [r for r in results if r.verdict == LivenessVerdict.UNDECIDED]
    assert undecided[-1].elapsed_seconds < 1.0
    assert results[int(1.0 * FPS)].verdict == LivenessVerdict.SPOOF
    assert results[-1].reason == "liveness_timeout"


def test_face_too_small_gives_no_evidence() -> None:
    frames = []
    for index in range(int(1.2 * FPS)):
        gap = 25.0 * abs(math.sin(2 * math.pi * 1.5 * index / FPS))
        marks = face_landmarks(mouth_gap=gap)
        frames.append((draw_face(marks), marks))
    check = LandmarkMotionCheck(MotionThresholds(min_iod_px=120.0, max_seconds=1.0))
    results = _run(frames, check)
    assert results[-1].verdict == LivenessVerdict.SPOOF


def test_verdict_is_final_once_given() -> None:
    marks = face_landmarks()
    check = LandmarkMotionCheck(MotionThresholds(max_seconds=0.2))
    results = _run([(draw_face(marks), marks)] * 10, check)
    assert results[-1] == results[int(0.2 * FPS)]


@pytest.mark.parametrize(("kind", "expected"), [("landmark_motion", LandmarkMotionCheck),
                                                ("none", NoLiveness)])
def test_registry_builds_the_configured_plugin(kind: str, expected: type) -> None:
    check = create_liveness(LivenessConfig(type=kind, max_seconds=2.0))
    assert isinstance(check, expected)
    if isinstance(check, LandmarkMotionCheck):
        assert check.thresholds.max_seconds == 2.0
