"""Plate proposals: blobs of plate-background colour, and dense vertical-stroke regions.

Chinese plates have saturated backgrounds (blue, yellow, new-energy green), so a colour
mask finds most of them with clean outlines. White (police) and black plates, and
colour washed out at night, are left to the stroke path: characters make many vertical
edges close together, which a Sobel-x map and a wide closing turn into a plate-shaped blob.
Both paths run on a downscaled frame; proposals are quads in that frame's pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from gate.vision.plates.corners import order_corners, quad_from_contour
from gate.vision.plates.types import PlateColour

# OpenCV hue runs 0-180. Bounds are loose on purpose: the verifier, not the mask,
# decides what is a plate, and plates under street light drift in hue.
HSV_RANGES: dict[PlateColour, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "blue": ((98, 90, 45), (128, 255, 255)),
    "yellow": ((12, 90, 90), (34, 255, 255)),
    "green": ((36, 45, 90), (85, 255, 255)),
}
# At night a blue plate's background falls below the loose mask's brightness floor (V 45)
# while staying strongly saturated; this extra mask trades brightness for saturation.
DIM_RANGES: dict[PlateColour, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "blue": ((98, 120, 20), (128, 255, 255)),
}


@dataclass(frozen=True)
class Proposal:
    """A plate-shaped blob: ordered quad in working-frame pixels and where it came from."""

    quad: np.ndarray
    source: str  # a colour name or "strokes"


def colour_masks(hsv: np.ndarray) -> dict[PlateColour, np.ndarray]:
    """One uint8 mask per saturated plate colour."""
    return {name: cv2.inRange(hsv, lo, hi) for name, (lo, hi) in HSV_RANGES.items()}


def _plate_shaped(contour: np.ndarray, min_width: float, max_width: float) -> bool:
    """Cheap shape filter on a blob: plate-like size, aspect and fill."""
    (_, _), (w, h), _ = cv2.minAreaRect(contour)
    long_side, short_side = max(w, h), min(w, h)
    if short_side < 6 or long_side < min_width or long_side > max_width:
        return False
    aspect = long_side / short_side
    if not 1.6 <= aspect <= 8.0:
        return False
    fill = cv2.contourArea(contour) / (w * h)
    return fill >= 0.45


Rect = tuple[int, int, int, int]  # x, y, w, h as cv2.boundingRect gives it
Footprint = tuple[Rect, float]  # a blob's bounding rect and its area
SAME_BLOB_IOU = 0.85
SAME_BLOB_AREA = 0.9


def _same_blob(a: Footprint, b: Footprint) -> bool:
    """Nearly the same bounding rect and area: one blob found again by another mask."""
    (ra, area_a), (rb, area_b) = a, b
    if min(area_a, area_b) < SAME_BLOB_AREA * max(area_a, area_b):
        return False  # same rect, different body: a spur or a merged neighbour
    ix = max(0, min(ra[0] + ra[2], rb[0] + rb[2]) - max(ra[0], rb[0]))
    iy = max(0, min(ra[1] + ra[3], rb[1] + rb[3]) - max(ra[1], rb[1]))
    inter = ix * iy
    return inter >= SAME_BLOB_IOU * (ra[2] * ra[3] + rb[2] * rb[3] - inter)


def _blobs(
    mask: np.ndarray, source: str, min_width: float, max_width: float, seen: list[Footprint]
) -> list[Proposal]:
    """Plate-shaped blobs of `mask` not already in `seen` (theirs are added to it)."""
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    out = []
    for contour in contours:
        area = cv2.contourArea(contour)
        if area < 0.15 * min_width * min_width:
            continue
        rect = cv2.boundingRect(contour)
        if rect[2] * rect[2] + rect[3] * rect[3] < min_width * min_width:
            continue  # even its diagonal is shorter than a plate: skip minAreaRect
        # The mask variants and closings mostly find the same blob again; fitting and
        # verifying each copy was most of the detector's time.
        footprint = (rect, area)
        if any(_same_blob(footprint, other) for other in seen):
            continue
        if not _plate_shaped(contour, min_width, max_width):
            continue
        seen.append(footprint)
        # The side-line fit costs ~0.1 ms; small blobs get the plain rectangle
        # (refinement refits the best candidates anyway).
        if len(contour) >= 60:
            quad = quad_from_contour(contour)
        else:
            quad = order_corners(cv2.boxPoints(cv2.minAreaRect(contour)))
        out.append(Proposal(quad, source))
    return out


def colour_proposals(
    hsv: np.ndarray, min_width: float, max_width: float
) -> list[Proposal]:
    """Plate-shaped blobs of each saturated plate colour."""
    # Characters cut the background into strips; a horizontal closing rejoins them
    # without gluing the plate to a same-coloured bumper far away. Near plates have
    # wider gaps, so a second, larger closing runs too (duplicates merge later).
    gap = max(3, int(round(min_width * 0.08)) | 1)
    closings = [
        cv2.getStructuringElement(cv2.MORPH_RECT, (gap, 3)),
        cv2.getStructuringElement(cv2.MORPH_RECT, (3 * gap | 1, gap)),
    ]
    opening = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))
    out: list[Proposal] = []
    # A bright plate on a dark car of the same hue (blue on navy) merges with the body
    # under the loose mask; the stricter one (brighter, more saturated) separates them.
    bright = cv2.inRange(hsv, (0, 110, 120), (180, 255, 255))
    enough_pixels = 0.1 * min_width * min_width
    for name, loose in colour_masks(hsv).items():
        masks = []
        if cv2.countNonZero(loose) >= enough_pixels:
            masks += [loose, cv2.bitwise_and(loose, bright)]
        if name in DIM_RANGES:
            dim = cv2.inRange(hsv, *DIM_RANGES[name])
            # Only worth its closings where it adds a plate's worth of pixels to the loose mask.
            if cv2.countNonZero(cv2.subtract(dim, loose)) >= enough_pixels:
                masks.append(dim)
        seen: list[Footprint] = []
        for mask in masks:
            mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, opening)
            for close in closings:
                closed = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, close)
                out.extend(_blobs(closed, name, min_width, max_width, seen))
    return out


def stroke_proposals(gray: np.ndarray, min_width: float, max_width: float) -> list[Proposal]:
    """Blobs of dense vertical edges (character strokes), whatever the plate's colour."""
    gray = cv2.GaussianBlur(gray, (3, 3), 0)
    grad = cv2.convertScaleAbs(cv2.Sobel(gray, cv2.CV_16S, 1, 0, ksize=3))
    # A floor on the Otsu level keeps a flat night frame from turning sensor noise into edges.
    level, _ = cv2.threshold(grad, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    _, edges = cv2.threshold(grad, max(level, 40.0), 255, cv2.THRESH_BINARY)
    out: list[Proposal] = []
    seen: list[Footprint] = []
    # Two closing widths: one for small (far) plates, one for large (near) ones.
    for char_gap in (min_width * 0.12, min_width * 0.3):
        width = max(5, int(round(char_gap)) | 1)
        close = cv2.getStructuringElement(cv2.MORPH_RECT, (width, max(3, width // 4) | 1))
        blob = cv2.morphologyEx(edges, cv2.MORPH_CLOSE, close)
        # Opening with a flat kernel removes thin vertical lines (poles, door edges).
        open_w = max(3, width // 2) | 1
        blob = cv2.morphologyEx(
            blob, cv2.MORPH_OPEN,
            cv2.getStructuringElement(cv2.MORPH_RECT, (open_w, max(3, open_w // 3) | 1)),
        )
        out.extend(_blobs(blob, "strokes", min_width, max_width, seen))
    return out
