"""Face detection on a downscaled frame, boxes mapped back to full-frame pixels."""

from __future__ import annotations

import cv2
import numpy as np

from gate.vision.face_models import face_recognition
from gate.vision.landmarks import landmarks_68
from gate.vision.types import Box, DetectedFace


class HogFaceDetector:
    """dlib's HOG detector (via face_recognition) run on a frame scaled to `detect_width_px`."""

    def __init__(self, detect_width_px: int = 480, upsample: int = 1) -> None:
        self.detect_width_px = detect_width_px
        self.upsample = upsample

    def detect(self, image_rgb: np.ndarray, with_landmarks: bool = True) -> list[DetectedFace]:
        """Faces in `image_rgb`, largest first, each with 68 landmarks when asked."""
        height, width = image_rgb.shape[:2]
        scale = min(1.0, self.detect_width_px / float(width))
        small = image_rgb
        if scale < 1.0:
            small = cv2.resize(
                image_rgb, (round(width * scale), round(height * scale)),
                interpolation=cv2.INTER_AREA,
            )
        locations = face_recognition().face_locations(
            small, number_of_times_to_upsample=self.upsample, model="hog"
        )
        faces = []
        for top, right, bottom, left in locations:
            box = Box(
                max(0, round(left / scale)), max(0, round(top / scale)),
                min(width, round(right / scale)), min(height, round(bottom / scale)),
            )
            marks = landmarks_68(image_rgb, box) if with_landmarks else None
            faces.append(DetectedFace(box=box, landmarks=marks))
        faces.sort(key=lambda f: f.box.area, reverse=True)
        return faces
