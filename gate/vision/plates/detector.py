"""Classical plate detector: colour and stroke proposals, a plate verifier, duplicate merging.

No model file, no training: HSV masks for the saturated plate backgrounds (blue, yellow,
new-energy green), a vertical-edge path for white, black and washed-out plates, then each
proposal is warped upright and scored by `verify.plate_evidence`. Runs in tens of
milliseconds on one core for a 1280x720 frame because proposals come from a frame
downscaled to `work_max_side_px`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

from gate.errors import ImageError
from gate.vision.plates.colour_regions import Proposal, colour_proposals, stroke_proposals
from gate.vision.plates.corners import (
    corners_box,
    grow_top_to_aspect,
    plate_dimensions,
    scale_quad,
)
from gate.vision.plates.rectify import rectify
from gate.vision.plates.refine import refine_quad
from gate.vision.plates.types import PlateCandidate, PlateColour
from gate.vision.plates.verify import PATCH_SIZE, PlateEvidence, plate_evidence

logger = logging.getLogger(__name__)

MIN_FRAME_SIDE_PX = 16
NEW_ENERGY_ASPECT = 480.0 / 140.0
"""Width over height of a small new-energy (green) plate, GA 36-2018."""


@dataclass(frozen=True)
class ClassicalDetectorSettings:
    """Tunables of `ClassicalPlateDetector` (pixel sizes are in full-frame pixels)."""

    work_max_side_px: int = 960
    min_plate_width_px: int = 48
    max_plate_width_fraction: float = 0.9
    min_score: float = 0.35
    refine_min_score: float = 0.2
    max_candidates: int = 6
    duplicate_overlap: float = 0.5


def validate_frame(frame_bgr: object) -> np.ndarray:
    """The frame itself if it is a usable BGR uint8 image, else a clear ImageError."""
    if not isinstance(frame_bgr, np.ndarray):
        raise ImageError(f"frame must be a numpy array, got {type(frame_bgr).__name__}")
    if frame_bgr.dtype != np.uint8:
        raise ImageError(f"frame must be uint8 BGR, got dtype {frame_bgr.dtype}")
    if frame_bgr.ndim != 3 or frame_bgr.shape[2] != 3:
        raise ImageError(f"frame must be HxWx3 BGR, got shape {frame_bgr.shape}")
    if min(frame_bgr.shape[:2]) < MIN_FRAME_SIDE_PX:
        raise ImageError(
            f"frame is {frame_bgr.shape[1]}x{frame_bgr.shape[0]}; "
            f"need at least {MIN_FRAME_SIDE_PX} px per side"
        )
    return frame_bgr


def _overlap(a: PlateCandidate, b: PlateCandidate) -> float:
    """Intersection over the smaller box: a text-only box inside a plate is a duplicate."""
    ix = max(0, min(a.box.x2, b.box.x2) - max(a.box.x1, b.box.x1))
    iy = max(0, min(a.box.y2, b.box.y2) - max(a.box.y1, b.box.y1))
    smaller = min(a.box.area, b.box.area)
    return (ix * iy) / smaller if smaller > 0 else 0.0


def _plausible_quad(quad: np.ndarray) -> bool:
    """Convex, not flat, and of plate-like proportions (wider than tall, not a sliver)."""
    plate_w, plate_h = plate_dimensions(quad)
    if plate_h < 4 or not 1.8 <= plate_w / plate_h <= 7.0:
        return False
    # A twisted or collapsed quad (a bad side fit) cannot be warped into a plate.
    return bool(cv2.isContourConvex(quad)) and cv2.contourArea(quad) >= 0.5 * plate_w * plate_h


class ClassicalPlateDetector:
    """`PlateDetector` built from colour masks, stroke density and a plate verifier."""

    name = "classical"

    def __init__(self, settings: ClassicalDetectorSettings | None = None) -> None:
        self.settings = settings or ClassicalDetectorSettings()
        # OpenCV builds its Lab conversion tables on first use (~0.1 s on one core), which
        # refinement needs: pay that at start-up, not on the first car after an empty lane.
        cv2.cvtColor(np.zeros((1, 1, 3), np.uint8), cv2.COLOR_BGR2LAB)

    def detect(self, frame_bgr: np.ndarray) -> list[PlateCandidate]:
        """Candidates, best first; empty when nothing in the frame looks like a plate."""
        frame = validate_frame(frame_bgr)
        cfg = self.settings
        height, width = frame.shape[:2]
        scale = min(1.0, cfg.work_max_side_px / float(max(height, width)))
        small = frame
        if scale < 1.0:
            # INTER_AREA at a non-integer ratio (1280 -> 960) costs ~4 ms, a tenth of the
            # detector; bilinear's 2x2 taps still cover each output pixel's footprint down
            # to half size, so only larger reductions need the area filter.
            interpolation = cv2.INTER_LINEAR if scale > 0.5 else cv2.INTER_AREA
            small = cv2.resize(
                frame, (round(width * scale), round(height * scale)), interpolation=interpolation
            )
        min_width = max(12.0, cfg.min_plate_width_px * scale)
        max_width = cfg.max_plate_width_fraction * small.shape[1]
        hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
        gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        proposals = colour_proposals(hsv, min_width, max_width)
        proposals += stroke_proposals(gray, min_width, max_width)
        scored = [c for p in proposals if (c := self._score(frame, p, scale)) is not None]
        # Refinement costs a local mask each, so only the best few distinct proposals get it.
        shortlist = self._merge(scored, limit=cfg.max_candidates + 2)
        refined = [self._refine(frame, c) for c in shortlist]
        return self._merge(refined, limit=cfg.max_candidates, floor=cfg.min_score)

    def _score(
        self, frame: np.ndarray, proposal: Proposal, scale: float
    ) -> PlateCandidate | None:
        """The proposal as a full-frame candidate with its verifier score, if plausible."""
        quad = proposal.quad / np.float32(scale)
        if proposal.source == "strokes":
            # Stroke blobs hug the characters; the plate's edge lies a little outside them.
            quad = scale_quad(quad, 0.03, 0.12)
        elif proposal.source == "green":
            # A new-energy plate fades from green to white towards its top edge, so the
            # green mask holds its lower part: restore the plate's height above it.
            quad = grow_top_to_aspect(quad, NEW_ENERGY_ASPECT)
        if not _plausible_quad(quad):
            return None
        evidence = self._evidence(frame, quad)
        if evidence.score < self.settings.refine_min_score:
            return None
        colour = evidence.colour
        if colour is None and proposal.source != "strokes":
            colour = proposal.source  # type: ignore[assignment]
        return self._candidate(frame, quad, evidence.score, colour)

    def _refine(self, frame: np.ndarray, cand: PlateCandidate) -> PlateCandidate:
        """The candidate regrown to its whole plate when that looks at least as plate-like."""
        refined = refine_quad(frame, cand.corners)
        if refined is None or not _plausible_quad(refined):
            return cand
        evidence = self._evidence(frame, refined)
        # Prefer the regrown quad unless it clearly looks less like a plate.
        if evidence.score < cand.score - 0.05:
            return cand
        return self._candidate(frame, refined, evidence.score, evidence.colour or cand.colour)

    @staticmethod
    def _candidate(
        frame: np.ndarray, quad: np.ndarray, score: float, colour: PlateColour | None
    ) -> PlateCandidate:
        height, width = frame.shape[:2]
        return PlateCandidate(
            corners=quad.astype(np.float32), box=corners_box(quad, width, height),
            score=float(score), colour=colour,
        )

    @staticmethod
    def _evidence(frame: np.ndarray, quad: np.ndarray) -> PlateEvidence:
        plate_w, plate_h = plate_dimensions(quad)
        return plate_evidence(
            rectify(frame, quad, PATCH_SIZE, margin=0.0), aspect=plate_w / max(plate_h, 1.0)
        )

    def _merge(
        self, candidates: list[PlateCandidate], limit: int, floor: float = 0.0
    ) -> list[PlateCandidate]:
        """Best-first, dropping candidates below `floor` or mostly overlapping a better one."""
        kept: list[PlateCandidate] = []
        for cand in sorted(candidates, key=lambda c: c.score, reverse=True):
            if len(kept) >= limit or cand.score < floor:
                break
            if all(_overlap(cand, k) < self.settings.duplicate_overlap for k in kept):
                kept.append(cand)
        return kept
