"""Scoring a proposed quad: does its straightened content look like a plate?

Three cues, each cheap on a small warped patch: a row of character-sized blobs of one
height (the strongest cue; grilles and text signs rarely give 5-10 aligned blobs of
plate-character proportions), a plate background colour, and the number of light/dark
transitions across the middle rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from gate.vision.plates.colour_regions import colour_masks
from gate.vision.plates.types import PlateColour

PATCH_SIZE = (144, 44)  # (w, h); about the 440 x 140 mm plate's proportions
LIGHT_CHARACTERS: frozenset[PlateColour] = frozenset({"blue", "black"})


@dataclass(frozen=True)
class PlateEvidence:
    """What the verifier saw in one straightened patch."""

    score: float
    colour: PlateColour | None
    characters: int
    colour_fraction: float
    transitions: float


def _background_colour(hsv: np.ndarray) -> tuple[PlateColour | None, float]:
    """The dominant plate colour of the patch and the fraction of pixels that have it."""
    inner = hsv[4:-4, 6:-6]
    total = float(inner.shape[0] * inner.shape[1])
    fractions: dict[PlateColour, float] = {
        name: float(np.count_nonzero(mask)) / total for name, mask in colour_masks(inner).items()
    }
    sat, val = inner[..., 1], inner[..., 2]
    fractions["white"] = float(np.count_nonzero((sat < 50) & (val > 150))) / total
    fractions["black"] = float(np.count_nonzero(val < 60)) / total
    name = max(fractions, key=lambda k: fractions[k])
    # Saturated colours win at a lower share: white characters on blue take half the pixels.
    needed = 0.3 if name in ("blue", "yellow", "green") else 0.5
    return (name if fractions[name] >= needed else None), fractions[name]


def _character_mask(gray: np.ndarray, colour: PlateColour | None) -> np.ndarray:
    """Binary mask of the characters (foreground = 255)."""
    _, binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    if colour is None:
        # Unknown background: the rim rows are mostly background, so take the other polarity.
        rim = np.concatenate([binary[:4].ravel(), binary[-4:].ravel()])
        light_chars = np.count_nonzero(rim) < rim.size / 2
    else:
        light_chars = colour in LIGHT_CHARACTERS
    return binary if light_chars else cv2.bitwise_not(binary)


def _count_characters(chars: np.ndarray) -> int:
    """Blobs of plate-character size whose heights and tops agree with the majority."""
    height, width = chars.shape
    _, _, stats, _ = cv2.connectedComponentsWithStats(chars, connectivity=8)
    # Vectorised over the blobs: a noisy patch has dozens, and a Python loop cost more
    # than the labelling itself.
    w, h, area = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, 4]
    top = stats[1:, cv2.CC_STAT_TOP]
    middle = top + h / 2
    sized = (
        (0.35 * height <= h) & (h <= 0.95 * height)
        & (0.01 * width <= w) & (w <= 0.2 * width) & (area >= 0.15 * w * h)
        & (middle >= 0.2 * height) & (middle <= 0.8 * height)
    )
    heights, tops = h[sized], top[sized]
    if heights.size == 0:
        return 0
    med_h, med_top = float(np.median(heights)), float(np.median(tops))
    tolerance = 0.2 * med_h + 1
    agree = (np.abs(heights - med_h) <= tolerance) & (np.abs(tops - med_top) <= tolerance)
    return int(np.count_nonzero(agree))


def _transitions(chars: np.ndarray) -> float:
    """Mean count of 0/1 changes along the rows at 40, 50 and 60 % of the height."""
    rows = [chars[int(chars.shape[0] * f)] > 0 for f in (0.4, 0.5, 0.6)]
    return float(np.mean([np.count_nonzero(r[1:] != r[:-1]) for r in rows]))


def _contrast(gray: np.ndarray) -> float:
    """90th minus 10th percentile of the grey levels (as np.percentile, ~4x cheaper)."""
    values = gray.ravel()
    position = np.array([0.1, 0.9]) * (values.size - 1)
    lower = np.floor(position).astype(int)
    upper = np.minimum(lower + 1, values.size - 1)
    ranked = np.partition(values, np.unique(np.concatenate([lower, upper]))).astype(np.float64)
    levels = ranked[lower] + (ranked[upper] - ranked[lower]) * (position - lower)
    return float(levels[1] - levels[0])


def _band(value: float, lo: float, hi: float, soft: float) -> float:
    """1 inside [lo, hi], falling linearly to 0 at `soft` outside it."""
    if lo <= value <= hi:
        return 1.0
    gap = lo - value if value < lo else value - hi
    return max(0.0, 1.0 - gap / soft)


def plate_evidence(patch_bgr: np.ndarray, aspect: float = 3.2) -> PlateEvidence:
    """Score a straightened `PATCH_SIZE` patch in [0, 1] and guess its background colour.

    `aspect` is the quad's width/height in the frame: a real plate is about 3.1-3.4
    (more when seen from the side), a plate cut in half is nearer 2, which the patch
    alone, stretched to one size, cannot show.
    """
    hsv = cv2.cvtColor(patch_bgr, cv2.COLOR_BGR2HSV)
    gray = cv2.cvtColor(patch_bgr, cv2.COLOR_BGR2GRAY)
    colour, fraction = _background_colour(hsv)
    chars = _character_mask(gray, colour)
    n_chars = _count_characters(chars[2:-2, 3:-3])
    transitions = _transitions(chars)
    contrast = _contrast(gray)

    char_score = _band(n_chars, 5, 9, 3.0)
    if colour in ("blue", "yellow", "green"):
        colour_score = min(1.0, fraction / 0.45)
    elif colour is not None:
        colour_score = 0.5  # white/black: plausible, but so is a wall or a shadow
    else:
        colour_score = 0.0
    trans_score = _band(transitions, 10, 32, 8.0)
    aspect_score = _band(aspect, 2.4, 5.0, 1.2)
    score = (0.5 * char_score + 0.3 * colour_score + 0.2 * trans_score) * (
        0.6 + 0.4 * aspect_score
    )
    if contrast < 40:  # a flat patch cannot be read, whatever its colour
        score *= contrast / 40.0
    return PlateEvidence(round(score, 4), colour, n_chars, round(fraction, 3), transitions)
