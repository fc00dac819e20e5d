"""Decode image files and bytes into BGR arrays, with one clear error for anything unusable."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from gate.errors import ImageError

MAX_IMAGE_BYTES = 20 * 1024 * 1024


def decode_image(data: bytes, name: str = "image") -> np.ndarray:
    """BGR uint8 pixels of an encoded image (JPEG, PNG incl. RGBA and grey, WebP...)."""
    if not data:
        raise ImageError(f"{name}: empty file")
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageError(f"{name}: larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB")
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None or image.size == 0:
        raise ImageError(f"{name}: not a readable image")
    if image.dtype != np.uint8:
        image = cv2.convertScaleAbs(image, alpha=255.0 / max(1.0, float(image.max())))
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image


def read_image(path: Path) -> np.ndarray:
    """BGR pixels of an image file."""
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise ImageError(f"{path}: cannot read: {err.strerror or err}") from err
    return decode_image(data, str(path))
