"""Pixel tools of the landmark-motion check: rectified face crops, ECC alignment, region NCC.

Every frame's face is warped into one canonical 64x64 crop (the track's first view, eyes
level, 24 px apart) by a homography fitted on rigid landmarks. Two crops of a photo then
differ only by a small homography (landmark jitter), which ECC removes; what is left after
that is noise, blur and JPEG, spread evenly over the face. A live face leaves more: a mouth
that opened, an eye that closed.
"""

from __future__ import annotations

import cv2
import numpy as np

from gate.vision.landmarks import LEFT_EYE, RIGHT_EYE

# Points that move least with expression: eye corners, nose bridge and nose base.
ANCHORS = np.array([36, 39, 42, 45, 27, 28, 29, 30, 31, 32, 33, 34, 35])
CROP_PX = 64
CANON_IOD_PX = 24.0  # eye-centre distance in the canonical crop
_EYE_Y_PX = 20.0
_ECC_ITERATIONS = 30

Roi = tuple[int, int, int, int]  # y1, y2, x1, x2 of the canonical crop


def eye_distance_px(marks: np.ndarray) -> float:
    """Distance between the eye centres of 68 landmarks, in their pixels."""
    return float(np.linalg.norm(marks[LEFT_EYE].mean(0) - marks[RIGHT_EYE].mean(0)))


def canonical_template(marks: np.ndarray) -> np.ndarray:
    """`marks` scaled, rotated and shifted so the eyes sit level, 24 px apart, in the crop."""
    left, right = marks[LEFT_EYE].mean(0), marks[RIGHT_EYE].mean(0)
    angle = np.arctan2(right[1] - left[1], right[0] - left[0])
    scale = CANON_IOD_PX / eye_distance_px(marks)
    cos, sin = np.cos(-angle) * scale, np.sin(-angle) * scale
    centre = (left + right) / 2.0
    rotated = (marks - centre) @ np.array([[cos, sin], [-sin, cos]])
    return (rotated + np.array([CROP_PX / 2.0, _EYE_Y_PX])).astype(np.float32)


def rectify(image: np.ndarray, marks: np.ndarray, template: np.ndarray, needed: Roi
            ) -> tuple[np.ndarray, np.ndarray] | None:
    """Canonical landmarks and blurred grey crop of one frame.

    None when the homography fails or the `needed` part of the crop is not in the frame.
    """
    homography, _ = cv2.findHomography(marks[ANCHORS].astype(np.float64),
                                       template[ANCHORS].astype(np.float64), 0)
    if homography is None or not _inside(image.shape, homography, needed):
        return None
    canonical = cv2.perspectiveTransform(marks[None].astype(np.float64), homography)[0]
    crop = cv2.warpPerspective(image, homography, (CROP_PX, CROP_PX),
                               flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    # Equalise focus and noise between frames before correlating them.
    return canonical, cv2.GaussianBlur(gray.astype(np.float32), (0, 0), 1.0)


def _inside(shape: tuple[int, ...], homography: np.ndarray, roi: Roi) -> bool:
    """Whether `roi` of the canonical crop comes from inside the frame: a face cut by the
    frame edge is filled with replicated border pixels, which change as the face moves."""
    y1, y2, x1, x2 = roi
    corners = np.array([[[x1, y1], [x2, y1], [x2, y2], [x1, y2]]], np.float64)
    try:
        source = cv2.perspectiveTransform(corners, np.linalg.inv(homography))[0]
    except np.linalg.LinAlgError:
        return False
    height, width = shape[:2]
    return bool(np.all(source >= 0.0) and np.all(source[:, 0] <= width - 1)
                and np.all(source[:, 1] <= height - 1))


def regions(template: np.ndarray) -> dict[str, Roi]:
    """Mouth, eyes, nose and face boxes of the canonical crop, from the template landmarks.

    `face` spans the eye and mouth boxes: the part a frame must show to give evidence.
    """
    def box(indices: list[int] | slice, pad: float) -> Roi:
        pts = template[indices]
        x1, y1 = pts.min(0) - pad
        x2, y2 = pts.max(0) + pad
        clip = lambda v: int(min(max(round(v), 0), CROP_PX))  # noqa: E731
        return clip(y1), clip(y2), clip(x1), clip(x2)

    boxes = {
        "mouth": box(slice(48, 68), 4.0),
        "eyes": box(slice(36, 48), 4.0),
        "nose": box(list(range(27, 36)) + [36, 39, 42, 45], 3.0),
    }
    mouth, eyes = boxes["mouth"], boxes["eyes"]
    boxes["face"] = (min(mouth[0], eyes[0]), max(mouth[1], eyes[1]),
                     min(mouth[2], eyes[2]), max(mouth[3], eyes[3]))
    return boxes


def align(current: np.ndarray, previous: np.ndarray) -> tuple[np.ndarray, float] | None:
    """`current` warped onto `previous` by the homography that best explains the pixels.

    Returns the warped crop (-1 where it falls outside `current`) and ECC's whole-crop
    correlation, or None when ECC fails.
    Landmark rectification can be several pixels off (dlib misfits glasses, tilted or
    blurred faces); a photo's pixels, though, always align by one homography.
    """
    warp = np.eye(3, dtype=np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, _ECC_ITERATIONS, 1e-4)
    try:
        score, warp = cv2.findTransformECC(previous, current, warp, cv2.MOTION_HOMOGRAPHY,
                                           criteria, None, 1)
    except cv2.error:
        return None  # did not converge (flat or very different crops)
    aligned = cv2.warpPerspective(current, warp, (CROP_PX, CROP_PX),
                                  flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                  borderMode=cv2.BORDER_CONSTANT, borderValue=-1.0)
    return aligned, float(score)


def covered(aligned: np.ndarray, roi: Roi) -> bool:
    """Whether every pixel of `roi` in an `align` result came from inside the crop.

    A large ECC warp (after a landmark misfit) pulls pixels from beyond the crop's edge,
    which would make a photo's region differ although nothing moved.
    """
    y1, y2, x1, x2 = roi
    return bool(aligned[y1:y2, x1:x2].min() >= 0.0)


def region_correlation(current: np.ndarray, previous: np.ndarray, roi: Roi,
                       shift_px: int = 1) -> float:
    """Best normalised cross-correlation of a region over shifts of +-shift_px."""
    y1, y2, x1, x2 = roi
    if y2 - y1 <= 2 * shift_px + 2 or x2 - x1 <= 2 * shift_px + 2:
        return 1.0
    template = previous[y1 + shift_px:y2 - shift_px, x1 + shift_px:x2 - shift_px]
    if float(template.std()) < 1e-3:
        return 1.0
    scores = cv2.matchTemplate(current[y1:y2, x1:x2], template, cv2.TM_CCOEFF_NORMED)
    return float(scores.max())
