"""dlib's 68-point facial landmarks for a face box, as a (68, 2) float32 array."""

from __future__ import annotations

import dlib
import numpy as np

from gate.vision.face_models import face_recognition
from gate.vision.types import Box

# Indices into the 68-point layout (iBUG 300-W).
JAW = slice(0, 17)
NOSE_TIP = 30
LEFT_EYE = slice(36, 42)  # the subject's right eye, on the image's left
RIGHT_EYE = slice(42, 48)
MOUTH = slice(48, 68)
MOUTH_LEFT = 48
MOUTH_RIGHT = 54


def landmarks_68(image_rgb: np.ndarray, box: Box) -> np.ndarray:
    """Landmarks of the face in `box` (full-frame pixels of `image_rgb`)."""
    predictor = face_recognition().api.pose_predictor_68_point
    rect = dlib.rectangle(box.x1, box.y1, box.x2 - 1, box.y2 - 1)
    shape = predictor(image_rgb, rect)
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)


def eye_centres(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centres of the eye on the image's left and on its right."""
    return landmarks[LEFT_EYE].mean(axis=0), landmarks[RIGHT_EYE].mean(axis=0)


def five_points(landmarks: np.ndarray) -> np.ndarray:
    """ArcFace-order 5 points (left eye, right eye, nose tip, mouth left, mouth right)."""
    left, right = eye_centres(landmarks)
    return np.stack(
        [left, right, landmarks[NOSE_TIP], landmarks[MOUTH_LEFT], landmarks[MOUTH_RIGHT]]
    ).astype(np.float32)
