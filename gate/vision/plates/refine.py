"""Corner refinement: regrow a candidate to the whole plate background around it.

Proposals are often partial (characters cut the colour mask, a stroke blob covers only
the text) or their colour is off (street light, camera colour cast). Refinement learns
the background colour from the candidate itself (Otsu splits characters from background;
the class on the rim rows is the background), marks every pixel of a similar Lab colour
in a window around it, fills the character holes and refits the four corners. It is
colour-agnostic, so white, black and tinted plates get the same treatment.
"""

from __future__ import annotations

import cv2
import numpy as np

from gate.vision.plates.corners import order_corners, plate_dimensions, quad_from_contour

WORK_PLATE_HEIGHT_PX = 40.0  # the window is rescaled so the plate is about this tall
PATCH = (120, 36)


def _background_lab(frame: np.ndarray, quad: np.ndarray) -> tuple[np.ndarray, float] | None:
    """Mean Lab colour of the plate background inside `quad` and its spread."""
    target = np.array([[0, 0], [PATCH[0] - 1, 0], [PATCH[0] - 1, PATCH[1] - 1],
                       [0, PATCH[1] - 1]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    patch = cv2.warpPerspective(frame, matrix, PATCH, borderMode=cv2.BORDER_REPLICATE)
    gray = cv2.cvtColor(patch, cv2.COLOR_BGR2GRAY)
    _, binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    band = np.zeros_like(binary, dtype=bool)
    band[2:7], band[-7:-2] = True, True  # rows above and below the characters
    rim_light = np.count_nonzero(binary[band]) > band.sum() / 2
    background = (binary > 0) if rim_light else (binary == 0)
    if background.sum() < 0.25 * background.size:
        return None
    lab = cv2.cvtColor(patch, cv2.COLOR_BGR2LAB).reshape(-1, 3).astype(np.float32)
    pixels = lab[background.ravel()]
    mean = np.median(pixels, axis=0)
    diff = pixels - mean
    spread = float(np.percentile(np.sqrt(np.einsum("ij,ij->i", diff, diff)), 75))
    return mean, spread


def refine_quad(frame: np.ndarray, quad: np.ndarray) -> np.ndarray | None:
    """A better-fitting quad for the plate that `quad` covers (part of), or None."""
    learned = _background_lab(frame, quad)
    if learned is None:
        return None
    mean_lab, spread = learned
    plate_w, plate_h = plate_dimensions(quad)
    height, width = frame.shape[:2]
    # Room for the other half of a plate the proposal cut in two.
    x1 = int(max(0, quad[:, 0].min() - 0.6 * plate_w))
    x2 = int(min(width, quad[:, 0].max() + 0.6 * plate_w))
    y1 = int(max(0, quad[:, 1].min() - 0.8 * plate_h))
    y2 = int(min(height, quad[:, 1].max() + 0.8 * plate_h))
    if x2 - x1 < 8 or y2 - y1 < 8:
        return None
    scale = min(1.0, WORK_PLATE_HEIGHT_PX / max(plate_h, 1.0))
    window = frame[y1:y2, x1:x2]
    if scale < 1.0:
        new_size = (max(8, round(window.shape[1] * scale)), max(8, round(window.shape[0] * scale)))
        # Bilinear is exact enough down to half size and ~4x cheaper than INTER_AREA there.
        interpolation = cv2.INTER_LINEAR if scale > 0.5 else cv2.INTER_AREA
        window = cv2.resize(window, new_size, interpolation=interpolation)
    sx, sy = window.shape[1] / float(x2 - x1), window.shape[0] / float(y2 - y1)
    lab = cv2.cvtColor(window, cv2.COLOR_BGR2LAB).astype(np.float32)
    diff = lab - mean_lab
    # Squared distances against a squared threshold: np.linalg.norm's sqrt was a fifth of
    # the refinement's time.
    squared = np.einsum("ijk,ijk->ij", diff, diff)
    mask = (squared <= max(14.0, 1.6 * spread) ** 2).astype(np.uint8) * 255
    char_h = max(3, int(round(plate_h * sy * 0.35)) | 1)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    mask = cv2.morphologyEx(
        mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (char_h, char_h))
    )
    centre = quad.mean(axis=0)
    cx, cy = int((centre[0] - x1) * sx), int((centre[1] - y1) * sy)
    count, labels = cv2.connectedComponents(mask, connectivity=8)
    if not (0 <= cy < labels.shape[0] and 0 <= cx < labels.shape[1]) or count < 2:
        return None
    label = labels[cy, cx]
    if label == 0:
        return None
    blob = (labels == label).astype(np.uint8) * 255
    contours, _ = cv2.findContours(blob, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return None
    fitted = quad_from_contour(max(contours, key=cv2.contourArea))
    fitted = fitted / np.float32([sx, sy]) + np.float32([x1, y1])
    new_w, new_h = plate_dimensions(fitted)
    # The blob leaked into a same-coloured bumper or shrank to a fragment: keep the original.
    if not (0.8 <= new_w / plate_w <= 2.3 and 0.6 <= new_h / plate_h <= 1.8):
        return None
    if new_h < 4 or not 2.0 <= new_w / new_h <= 6.5:
        return None
    return order_corners(fitted)
