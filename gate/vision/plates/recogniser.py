"""Plate recogniser: our small convolutional CTC model (ONNX) run by OpenCV DNN.

The model (trained by training/plates/, see its README) takes a batch of BGR crops
resized to `INPUT_SIZE`, scaled to [-1, 1], and returns per-column class scores of shape
(N, NUM_CLASSES, 1, T). A greedy CTC decode turns each column sequence into text.

Two-row plates (large yellow vehicles) are read when the caller says which crops are
two-row (`read(crops, two_row=...)`; the detector knows from the plate's rectified
aspect, about 2:1 against 3.1:1): their upper and lower rows are then cut apart and
placed side by side, exactly as in training. The crop's own aspect cannot tell: a
single-row plate seen at an angle gives an axis-aligned crop of 2:1 too.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from gate.errors import GateError, ImageError
from gate.vision.plates.alphabet import BLANK_INDEX, CHARSET, NUM_CLASSES
from gate.vision.plates.types import PlateRead

logger = logging.getLogger(__name__)

INPUT_SIZE = (128, 32)
"""(width, height) of the model input."""
MODEL_FILE = "plate_recogniser_ctc_v7.onnx"
DEFAULT_MODEL_PATH = Path(__file__).resolve().parents[3] / "models" / MODEL_FILE
"""models/ at the repository root (the file ships with the source, not with a package)."""

# Split points of a two-row crop, as fractions of its height / width (see training).
_UPPER_ROWS = (0.0, 0.45)
_UPPER_COLS = (0.18, 0.82)
_LOWER_ROWS = (0.36, 1.0)
_UPPER_WIDTH = 48


class PlateModelError(GateError, RuntimeError):
    """The recogniser model file is missing, unreadable or of the wrong shape."""


def _check_crop(crop: np.ndarray, index: int) -> None:
    if not isinstance(crop, np.ndarray) or crop.dtype != np.uint8:
        raise ImageError(f"crop {index}: expected a uint8 numpy array, got {type(crop).__name__}"
                         f"{'' if not isinstance(crop, np.ndarray) else ' of ' + str(crop.dtype)}")
    if crop.ndim != 3 or crop.shape[2] != 3:
        raise ImageError(f"crop {index}: expected a BGR image of shape (H, W, 3), got {crop.shape}")
    if crop.shape[0] < 4 or crop.shape[1] < 8:
        raise ImageError(f"crop {index}: {crop.shape[1]}x{crop.shape[0]} px is too small to read")


def _resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    shrinking = image.shape[1] > size[0] or image.shape[0] > size[1]
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def to_model_input(crop: np.ndarray, two_row: bool = False) -> np.ndarray:
    """The BGR crop as the model sees it: INPUT_SIZE, a two-row plate laid out as one row."""
    width, height = INPUT_SIZE
    h, w = crop.shape[:2]
    if not two_row:
        return _resize(crop, INPUT_SIZE)
    upper = crop[round(h * _UPPER_ROWS[0]) : round(h * _UPPER_ROWS[1]),
                 round(w * _UPPER_COLS[0]) : round(w * _UPPER_COLS[1])]
    lower = crop[round(h * _LOWER_ROWS[0]) : round(h * _LOWER_ROWS[1])]
    return np.hstack([_resize(upper, (_UPPER_WIDTH, height)),
                      _resize(lower, (width - _UPPER_WIDTH, height))])


def to_blob(images: Sequence[np.ndarray]) -> np.ndarray:
    """Float32 NCHW batch in [-1, 1] from images already at INPUT_SIZE."""
    batch = np.stack(images).astype(np.float32)
    return ((batch - 127.5) / 127.5).transpose(0, 3, 1, 2).copy()


def softmax(scores: np.ndarray, axis: int) -> np.ndarray:
    """Numerically stable softmax."""
    shifted = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


def greedy_decode(probs: np.ndarray) -> PlateRead:
    """Best path CTC decode of one (T, NUM_CLASSES) probability matrix.

    Each emitted character's confidence is its highest probability over the run of
    columns that produced it.
    """
    best = probs.argmax(axis=1)
    text: list[str] = []
    confidences: list[float] = []
    previous = BLANK_INDEX
    for column, index in enumerate(best):
        if index != BLANK_INDEX:
            if index != previous:
                text.append(CHARSET[index - 1])
                confidences.append(float(probs[column, index]))
            else:
                confidences[-1] = max(confidences[-1], float(probs[column, index]))
        previous = index
    confidence = min(confidences) if confidences else 0.0
    return PlateRead("".join(text), confidence, tuple(confidences))


class OnnxPlateRecogniser:
    """Reads rectified plate crops with the shipped CTC model through cv2.dnn."""

    name = "ctc_onnx"
    input_size = INPUT_SIZE

    def __init__(self, model_path: str | Path = DEFAULT_MODEL_PATH) -> None:
        path = Path(model_path)
        if not path.is_file():
            raise PlateModelError(f"plate recogniser model not found at {path}")
        try:
            self._net = cv2.dnn.readNetFromONNX(str(path))
        except cv2.error as err:
            raise PlateModelError(f"OpenCV cannot load the plate model {path}: {err}") from err
        self.model_path = path
        logger.info("plate recogniser loaded from %s", path)

    def read(
        self, crops: Sequence[np.ndarray], two_row: Sequence[bool] | None = None
    ) -> list[PlateRead]:
        """One read per BGR crop (any size), in order; an empty list for no crops.

        `two_row`, if given, flags the crops that are two-row plates (one flag per crop).
        """
        if len(crops) == 0:
            return []
        flags = [False] * len(crops) if two_row is None else list(two_row)
        if len(flags) != len(crops):
            raise ValueError(f"two_row has {len(flags)} flags for {len(crops)} crops")
        for index, crop in enumerate(crops):
            _check_crop(crop, index)
        inputs = [to_model_input(crop, flag) for crop, flag in zip(crops, flags, strict=True)]
        self._net.setInput(to_blob(inputs))
        scores = self._net.forward()
        if scores.ndim != 4 or scores.shape[0] != len(crops) or scores.shape[1] != NUM_CLASSES:
            raise PlateModelError(
                f"plate model output has shape {scores.shape}, expected "
                f"({len(crops)}, {NUM_CLASSES}, 1, T): model and alphabet do not match"
            )
        probs = softmax(scores[:, :, 0, :].transpose(0, 2, 1), axis=2)
        return [greedy_decode(sample) for sample in probs]
