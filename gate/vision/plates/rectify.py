"""Perspective warp of a plate quad to an upright crop of the recogniser's input size."""

from __future__ import annotations

import cv2
import numpy as np

from gate.errors import ImageError
from gate.vision.plates.corners import order_corners, scale_quad

DEFAULT_MARGIN = (0.04, 0.10)
"""Context kept around the plate, as fractions of its (width, height) per side.

The recogniser's training crops carry a few per cent of border; a little context also
forgives corners that land a pixel or two inside the plate."""


def rectify(
    frame_bgr: np.ndarray,
    corners: np.ndarray,
    size: tuple[int, int] = (94, 24),
    margin: float | tuple[float, float] = DEFAULT_MARGIN,
    *,
    reorder: bool = False,
) -> np.ndarray:
    """Warp the plate bounded by `corners` (TL, TR, BR, BL) to a `size` = (w, h) crop.

    `margin` widens the quad by that fraction of the plate's width (and height) on each
    side before warping, so the crop shows a thin border. Pixels outside the frame are
    filled by replicating its edge. Pass `reorder=True` when the corners' order is unknown.
    """
    if not isinstance(frame_bgr, np.ndarray) or frame_bgr.ndim not in (2, 3):
        raise ImageError("frame must be a 2-D or 3-D numpy array")
    if frame_bgr.shape[0] < 2 or frame_bgr.shape[1] < 2:
        raise ImageError(f"frame is too small to rectify from: {frame_bgr.shape}")
    width, height = (int(v) for v in size)
    if width < 2 or height < 2:
        raise ImageError(f"crop size must be at least 2x2 pixels, got {size}")
    margin_x, margin_y = (margin, margin) if np.isscalar(margin) else margin  # type: ignore[misc]
    if not (0.0 <= float(margin_x) < 1.0 and 0.0 <= float(margin_y) < 1.0):
        raise ImageError(f"margin fractions must be in [0, 1), got {margin}")
    quad = np.asarray(corners, dtype=np.float32)
    if quad.shape != (4, 2) or not np.all(np.isfinite(quad)):
        raise ImageError(f"corners must be four finite (x, y) points, got shape {quad.shape}")
    if reorder:
        quad = order_corners(quad)
    if abs(cv2.contourArea(quad)) < 1.0:
        raise ImageError("corners enclose no area")
    source = scale_quad(quad, float(margin_x), float(margin_y))
    target = np.array(
        [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32
    )
    matrix = cv2.getPerspectiveTransform(source, target)
    return cv2.warpPerspective(
        frame_bgr, matrix, (width, height), flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
