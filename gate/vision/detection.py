"""Face detection on a downscaled frame, boxes mapped back to full-frame pixels."""

from __future__ import annotations

import threading

import cv2
import dlib
import numpy as np

from gate.vision.landmarks import landmarks_68
from gate.vision.types import Box, DetectedFace


class HogFaceDetector:
    """dlib's HOG detector (via face_recognition) run on a frame scaled to `detect_width_px`."""

    def __init__(self, detect_width_px: int = 480, upsample: int = 1) -> None:
        self.detect_width_px = detect_width_px
        self.upsample = upsample
        # dlib's HOG detector keeps scratch buffers: concurrent calls on one instance (two
        # lanes, or enrolment beside the camera loop, sharing face_recognition's global one)
        # hand one caller the other's faces. Each detector has its own, one call at a time.
        self._hog = dlib.get_frontal_face_detector()
        self._lock = threading.Lock()

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
        with self._lock:
            rects = self._hog(small, self.upsample)
        faces = []
        for rect in rects:
            box = Box(
                max(0, round(rect.left() / scale)), max(0, round(rect.top() / scale)),
                min(width, round(rect.right() / scale)), min(height, round(rect.bottom() / scale)),
            )
            marks = landmarks_68(image_rgb, box) if with_landmarks else None
            faces.append(DetectedFace(box=box, landmarks=marks))
        faces.sort(key=lambda f: f.box.area, reverse=True)
        return faces
