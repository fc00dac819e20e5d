"""dlib's 128-d face ResNet (face_recognition's `face_encoder`), fed our 68 landmarks."""

from __future__ import annotations

import logging
import threading
from typing import ClassVar, Literal

import dlib
import numpy as np

from gate.errors import ImageError
from gate.vision.face_models import face_recognition
from gate.vision.recognisers.base import Recogniser
from gate.vision.types import DetectedFace

logger = logging.getLogger(__name__)

# face_recognition's encoder is one dlib network for the whole process, and a dlib network
# is not safe to run from two threads at once (two lanes, enrolment beside the camera loop).
_ENCODER_LOCK = threading.Lock()


def check_rgb(image_rgb: np.ndarray) -> np.ndarray:
    """`image_rgb` as a C-contiguous (H, W, 3) uint8 array, or ImageError."""
    if image_rgb.dtype != np.uint8 or image_rgb.ndim != 3 or image_rgb.shape[2] != 3:
        raise ImageError(
            f"expected an RGB uint8 image of shape (H, W, 3), got {image_rgb.dtype} "
            f"{image_rgb.shape}"
        )
    return np.ascontiguousarray(image_rgb)


def check_landmarks(face: DetectedFace) -> np.ndarray:
    """The face's (68, 2) landmarks, or ImageError when the pipeline did not fill them in."""
    if face.landmarks is None or face.landmarks.shape != (68, 2):
        raise ImageError("face has no 68-point landmarks; detect with with_landmarks=True")
    return face.landmarks


class DlibRecogniser(Recogniser):
    """face_recognition's encoder; Euclidean distance, 0.6 is its published tolerance.

    The descriptor is computed exactly as `face_recognition.face_encodings` does
    (dlib aligns a 150x150 chip from the shape), but from the 68-point shape the
    pipeline already has, so landmarks are not predicted twice.
    """

    name: ClassVar[str] = "dlib"
    metric: ClassVar[Literal["euclidean", "cosine"]] = "euclidean"
    dimension: ClassVar[int] = 128
    # Operating point measured by `gate eval faces` (docs/face-recognition.md): tighter
    # than face_recognition's 0.6, which accepts a third of East-Asian stranger pairs.
    default_threshold: ClassVar[float] = 0.40
    default_margin: ClassVar[float] = 0.05

    def __init__(self, num_jitters: int = 1) -> None:
        self.num_jitters = num_jitters
        self._encoder = face_recognition().api.face_encoder

    def encode(self, image_rgb: np.ndarray, face: DetectedFace) -> np.ndarray:
        """128-d descriptor of `face` (float32)."""
        image = check_rgb(image_rgb)
        marks = check_landmarks(face)
        box = face.box
        rect = dlib.rectangle(box.x1, box.y1, box.x2 - 1, box.y2 - 1)
        points = dlib.points([dlib.point(round(float(x)), round(float(y))) for x, y in marks])
        shape = dlib.full_object_detection(rect, points)
        with _ENCODER_LOCK:
            descriptor = self._encoder.compute_face_descriptor(image, shape, self.num_jitters)
        return np.asarray(descriptor, dtype=np.float32)
