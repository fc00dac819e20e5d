"""Plain data and interfaces shared by the plate stages (detector, recogniser, pipeline)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from gate.vision.types import Box

PlateColour = Literal["blue", "yellow", "green", "white", "black"]


@dataclass(frozen=True)
class PlateCandidate:
    """A region of the frame that may hold a plate.

    `corners` is a (4, 2) float32 array in frame pixels, ordered top-left, top-right,
    bottom-right, bottom-left (as the plate reads), so a perspective warp to the
    recogniser's input size straightens it. `score` is the detector's confidence in
    [0, 1]; `colour` its guess at the plate's background colour, if it has one.
    """

    corners: np.ndarray
    box: Box
    score: float
    colour: PlateColour | None = None


@dataclass(frozen=True)
class PlateRead:
    """What the recogniser read from one rectified crop.

    `confidence` is the lowest per-character probability (one weak character makes the
    whole read weak); `char_confidences` has one entry per character of `text`.
    `ruled_out` marks a read that the plate itself contradicts (its background colour, see
    `pipeline.colour_consistent`): its confidences are then zero, so it never counts.
    """

    text: str
    confidence: float
    char_confidences: tuple[float, ...]
    ruled_out: bool = False


class PlateDetector(Protocol):
    """Finds plate candidates in a BGR frame."""

    name: str

    def detect(self, frame_bgr: np.ndarray) -> list[PlateCandidate]:
        """Candidates, best first; an empty list when the frame shows no plate."""
        ...


class PlateRecogniser(Protocol):
    """Reads the characters of rectified plate crops."""

    name: str
    input_size: tuple[int, int]
    """(width, height) in pixels that `rectify` should produce for this recogniser."""

    def read(self, crops: Sequence[np.ndarray],
             two_row: Sequence[bool] | None = None) -> list[PlateRead]:
        """One read per BGR crop (any size: the recogniser resizes), in order; `two_row`
        flags crops to read as two-row plates (large yellow vehicles)."""
        ...
