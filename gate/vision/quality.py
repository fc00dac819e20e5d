"""Quality gates: only faces big, sharp and frontal enough are worth encoding or enrolling."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from gate.vision.landmarks import NOSE_TIP, eye_centres
from gate.vision.types import DetectedFace

_SHARPNESS_HEIGHT_PX = 128  # crops are resized to this height so sharpness is size-independent


@dataclass(frozen=True)
class QualityReport:
    """Measured quality of one face and the first gate it failed (None when it passed)."""

    face_px: int
    sharpness: float
    yaw_ratio: float
    failed: str | None

    @property
    def ok(self) -> bool:
        return self.failed is None


def sharpness(image_rgb: np.ndarray, face: DetectedFace) -> float:
    """Variance of the Laplacian over the face crop, normalised to a fixed crop height."""
    box = face.box
    crop = image_rgb[max(0, box.y1) : box.y2, max(0, box.x1) : box.x2]
    if crop.size == 0:
        return 0.0
    grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    scale = _SHARPNESS_HEIGHT_PX / grey.shape[0]
    grey = cv2.resize(grey, (max(1, round(grey.shape[1] * scale)), _SHARPNESS_HEIGHT_PX))
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def yaw_ratio(landmarks: np.ndarray) -> float:
    """How far the nose tip sits off the eyes' midpoint, relative to the eye distance.

    About 0 for a frontal face, about 0.5 when the head is turned well to one side.
    """
    left, right = eye_centres(landmarks)
    eye_distance = float(np.linalg.norm(right - left))
    if eye_distance < 1e-6:
        return 1.0
    axis = (right - left) / eye_distance
    offset = float(np.dot(landmarks[NOSE_TIP] - (left + right) / 2, axis))
    return abs(offset) / eye_distance


def assess(
    image_rgb: np.ndarray,
    face: DetectedFace,
    *,
    min_face_px: int,
    min_sharpness: float,
    max_yaw_ratio: float,
) -> QualityReport:
    """Measure a face and name the first gate it fails: `too_small`, `blurred`, `not_frontal`."""
    face_px = min(face.box.width, face.box.height)
    sharp = sharpness(image_rgb, face)
    yaw = yaw_ratio(face.landmarks) if face.landmarks is not None else 1.0
    failed = None
    if face_px < min_face_px:
        failed = "too_small"
    elif sharp < min_sharpness:
        failed = "blurred"
    elif yaw > max_yaw_ratio:
        failed = "not_frontal"
    return QualityReport(face_px, sharp, yaw, failed)
