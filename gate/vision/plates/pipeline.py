"""Frame -> plate candidates -> rectified crops -> reads -> per-plate votes -> one outcome.

A car that stops at the barrier is seen in many frames; each plate in view is tracked (by
box overlap, or by reading the same string) and decided once, when its reads agree (see
`voting`). After a decision the track stays quiet while the plate is in view, and the same
plate is not decided again within `repeat_seconds`, so a car idling at the barrier makes
one event, not one per frame. A plate in view for `deadline_seconds` without agreement ends
as `unreadable` (a low-quality denial the guard sees), never as a guess.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from gate.vision.plates.rectify import rectify
from gate.vision.plates.types import (
    PlateCandidate,
    PlateColour,
    PlateDetector,
    PlateRead,
    PlateRecogniser,
)
from gate.vision.plates.voting import PlateVotes, VoteSettings
from gate.vision.types import Box, Frame
from wire.plates import is_valid_plate, normalise_plate, plate_kind

logger = logging.getLogger(__name__)

READ = "read"
UNREADABLE = "unreadable"


@dataclass(frozen=True)
class PlatePipelineSettings:
    """The plate section of the config, as the pipeline needs it."""

    votes: VoteSettings = field(default_factory=VoteSettings)
    max_candidates: int = 4
    """Candidates per frame that are read (best first); the rest are ignored."""
    min_track_confidence: float = 0.3
    """A candidate starts a track only if its read is plate-shaped and at least this sure."""
    deadline_seconds: float = 3.0
    """A plate in view this long without agreement is reported unreadable."""
    forget_seconds: float = 1.5
    """A track not seen for this long has left."""
    repeat_seconds: float = 20.0
    """The same plate is not decided again within this time (a car idling at the barrier)."""


@dataclass(frozen=True)
class PlateOutcome:
    """The pipeline's single verdict on one tracked plate."""

    track_id: int
    kind: str  # READ or UNREADABLE
    plate: str | None
    first_seen_at: float
    decided_at: float
    evidence: dict[str, Any]
    frame: Frame
    box: Box
    crop: np.ndarray
    colour: str | None


@dataclass
class _PlateTrack:
    track_id: int
    box: Box
    first_seen_at: float
    last_seen_at: float
    votes: PlateVotes
    best_crop: np.ndarray
    best_confidence: float
    colour: str | None
    frames: int = 0
    decided: bool = False
    plate: str | None = None
    other_plate: str | None = None
    other_run: int = 0
    plate_colour: PlateColour | None = None  # a RULING_COLOURS one, as last seen


TWO_ROW_ASPECT = 2.5
"""Width/height below which a plate may have two rows (single-row 440x140 mm is 3.1:1,
two-row 440x220 mm is 2:1)."""


def plate_aspect(corners: np.ndarray) -> float:
    """Width over height of the quad (mean of opposite edges)."""
    tl, tr, br, bl = np.asarray(corners, dtype=np.float32)
    width = (np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2
    height = (np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2
    return float(width / height) if height > 0 else float("inf")


def _better(single: PlateRead, double: PlateRead) -> PlateRead:
    """The valid read if only one is; else the surer."""
    single_ok, double_ok = is_valid_plate(single.text), is_valid_plate(double.text)
    if single_ok != double_ok:
        return single if single_ok else double
    return double if double.confidence > single.confidence else single


RULING_COLOURS: tuple[PlateColour, ...] = ("green", "blue")
"""Background colours that fix a plate's length (see `colour_consistent`)."""


def colour_consistent(read: PlateRead, colour: PlateColour | None) -> PlateRead:
    """`read`, or the same text with no confidence when the background rules it out.

    A green background is a new-energy plate, which has 8 characters; a blue background
    is an ordinary plate, which never has. A 7-character read of a green plate is a read
    that lost a character (the new-energy D or F, or the letter beside it), so it must not
    count as a plate. Other colours (yellow, white, black, unknown) are not checked:
    large new-energy plates are yellow and green, and white/black guesses are unsure.
    """
    if colour not in RULING_COLOURS or not is_valid_plate(read.text):
        return read
    new_energy = plate_kind(normalise_plate(read.text)) == "new_energy"
    if new_energy == (colour == "green"):
        return read
    return PlateRead(read.text, 0.0, tuple(0.0 for _ in read.char_confidences), ruled_out=True)


def _plate_shaped(read: PlateRead) -> bool:
    return 7 <= len(read.text) <= 8


class PlatePipeline:
    """Detector + recogniser + voting; `process` one frame at a time (not thread-safe)."""

    def __init__(self, detector: PlateDetector, recogniser: PlateRecogniser,
                 settings: PlatePipelineSettings | None = None) -> None:
        self.detector = detector
        self.recogniser = recogniser
        self.settings = settings or PlatePipelineSettings()
        self._tracks: list[_PlateTrack] = []
        self._next_id = 1
        self._recent: dict[str, float] = {}
        self._forget: set[str] = set()
        self._forget_lock = threading.Lock()
        # Wall time per stage, for benchmarks; decisions never depend on it.
        self.stage_seconds: dict[str, float] = {"detect": 0.0, "rectify": 0.0, "recognise": 0.0}

    def reset(self) -> None:
        """Forget every track (after a camera outage: old reads must not join new ones)."""
        self._tracks.clear()

    def forget(self, plate: str) -> None:
        """Decide `plate` afresh from the next frames (thread-safe; e.g. after a guard
        registered the car waiting at the barrier, which was refused moments ago)."""
        with self._forget_lock:
            self._forget.add(plate)

    def _apply_forget(self) -> None:
        with self._forget_lock:
            plates, self._forget = self._forget, set()
        for plate in plates:
            self._recent.pop(plate, None)
            self._tracks = [t for t in self._tracks
                            if all(text != plate for text, _, _ in t.votes.reads)]

    def read_frame(self, image: np.ndarray) -> list[tuple[PlateCandidate, np.ndarray, PlateRead]]:
        """Every read candidate of one image, best candidate first (no tracking, no votes)."""
        started = time.perf_counter()
        candidates = self.detector.detect(image)[: self.settings.max_candidates]
        detected = time.perf_counter()
        crops = [rectify(image, c.corners, self.recogniser.input_size) for c in candidates]
        # A squarish plate may be a two-row one (large vehicles): read it both ways.
        squarish = [i for i, c in enumerate(candidates) if plate_aspect(c.corners) < TWO_ROW_ASPECT]
        rectified = time.perf_counter()
        reads = []
        if crops:
            both = self.recogniser.read([*crops, *(crops[i] for i in squarish)],
                                        two_row=[False] * len(crops) + [True] * len(squarish))
            reads = [colour_consistent(read, c.colour)
                     for read, c in zip(both[: len(crops)], candidates, strict=True)]
            for index, two_row_read in zip(squarish, both[len(crops):], strict=True):
                checked = colour_consistent(two_row_read, candidates[index].colour)
                reads[index] = _better(reads[index], checked)
        done = time.perf_counter()
        self.stage_seconds["detect"] += detected - started
        self.stage_seconds["rectify"] += rectified - detected
        self.stage_seconds["recognise"] += done - rectified
        return list(zip(candidates, crops, reads, strict=True))

    def read_crop(self, crop: np.ndarray) -> PlateRead:
        """Best read of an image that is already a plate crop (with some margin).

        The whole crop is read as it is, and the detector also looks inside it (on a
        padded canvas) to straighten a tilted plate; the surest valid read wins, else the
        surest read of any kind. A read the plate's background colour rules out
        (`colour_consistent`) keeps its text but has no confidence.
        """
        pad_y, pad_x = crop.shape[0] // 2, crop.shape[1] // 4
        canvas = cv2.copyMakeBorder(crop, pad_y, pad_y, pad_x, pad_x, cv2.BORDER_REPLICATE)
        found = self.read_frame(canvas)[:2]
        whole = self.recogniser.read([crop])[0]
        # The plate's background colour, if the detector saw one, rules the whole-crop read too.
        reads = [colour_consistent(whole, found[0][0].colour) if found else whole]
        reads += [read for _, _, read in found]
        valid = [read for read in reads if is_valid_plate(read.text)]
        return max(valid or reads, key=lambda read: read.confidence)

    def process(self, frame: Frame) -> list[PlateOutcome]:
        """Read `frame`, update tracks, and return the plates decided on it."""
        now = frame.captured_at
        self._apply_forget()
        for candidate, crop, read in self.read_frame(frame.image):
            track = self._track_for(candidate.box, read)
            if track is None:
                # A plate whose read its colour rules out is still followed: it ends as
                # unreadable for the guard, not in silence.
                sure = read.ruled_out or read.confidence >= self.settings.min_track_confidence
                if not (_plate_shaped(read) and sure):
                    continue  # not a plate, or not yet readable enough to follow
                track = self._start(candidate, crop, read, now)
            self._observe(track, candidate, crop, read, now)
        outcomes = [o for o in (self._conclude(t, frame) for t in self._tracks) if o is not None]
        self._expire(now)
        return outcomes

    def _track_for(self, box: Box, read: PlateRead) -> _PlateTrack | None:
        best, best_iou = None, 0.3
        for track in self._tracks:
            overlap = track.box.iou(box)
            if overlap >= best_iou:
                best, best_iou = track, overlap
        if best is None and is_valid_plate(read.text):
            for track in self._tracks:  # a fast car jumps boxes: the same string is the same plate
                if any(text == read.text for text, _, _ in track.votes.reads):
                    return track
        return best

    def _start(self, candidate: PlateCandidate, crop: np.ndarray, read: PlateRead,
               now: float) -> _PlateTrack:
        track = _PlateTrack(self._next_id, candidate.box, now, now,
                            PlateVotes(self.settings.votes), crop, read.confidence,
                            candidate.colour)
        self._next_id += 1
        self._tracks.append(track)
        return track

    def _observe(self, track: _PlateTrack, candidate: PlateCandidate, crop: np.ndarray,
                 read: PlateRead, now: float) -> None:
        track.box, track.last_seen_at = candidate.box, now
        track.frames += 1
        if track.decided:
            # Another car pulled into the same spot: once consecutive frames read the same
            # other plate, this track ends and the next frame starts one for the new car.
            votes = self.settings.votes
            other = (read.text != track.plate and read.confidence >= votes.min_confidence
                     and is_valid_plate(read.text))
            if not other:
                track.other_plate, track.other_run = None, 0
            elif read.text == track.other_plate:
                track.other_run += 1
            else:
                track.other_plate, track.other_run = read.text, 1
            if track.other_run >= votes.agreement_frames:
                track.last_seen_at = float("-inf")  # expires at the end of this frame
            return
        if candidate.colour in RULING_COLOURS:
            track.plate_colour = candidate.colour
        # The plate's colour as last seen rules frames whose own colour guess is unsure.
        read = colour_consistent(read, track.plate_colour)
        track.votes.add(read.text, read.confidence, read.char_confidences, read.ruled_out)
        if read.confidence > track.best_confidence:
            track.best_crop, track.best_confidence = crop, read.confidence
            track.colour = candidate.colour or track.colour

    def _conclude(self, track: _PlateTrack, frame: Frame) -> PlateOutcome | None:
        if track.decided or track.last_seen_at != frame.captured_at:
            return None
        late = frame.captured_at - track.first_seen_at >= self.settings.deadline_seconds
        result = track.votes.result(allow_per_character=late)
        if result.plate is None and not late:
            return None
        track.decided, track.plate = True, result.plate
        if result.plate is not None:
            last = self._recent.get(result.plate)
            self._recent[result.plate] = frame.captured_at
            if last is not None and frame.captured_at - last < self.settings.repeat_seconds:
                return None  # the same car still at the barrier: already decided
        evidence: dict[str, Any] = {
            "plate_frames": track.frames, "plate_votes": result.support,
            "plate_reads_counted": result.counted, "plate_reads_rejected": track.votes.rejected,
            "plate_reads_ruled_out": track.votes.ruled_out,
            "plate_vote_method": result.method or None,
            "plate_confidence": round(track.best_confidence, 3),
            "plate_colour": track.colour,
        }
        return PlateOutcome(
            track_id=track.track_id, kind=READ if result.plate else UNREADABLE,
            plate=result.plate, first_seen_at=track.first_seen_at,
            decided_at=frame.captured_at, evidence=evidence, frame=frame, box=track.box,
            crop=track.best_crop, colour=track.colour,
        )

    def _expire(self, now: float) -> None:
        forget = self.settings.forget_seconds
        self._tracks = [t for t in self._tracks if now - t.last_seen_at < forget]
        horizon = self.settings.repeat_seconds
        self._recent = {p: t for p, t in self._recent.items() if now - t < horizon}
