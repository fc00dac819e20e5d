"""Plate tracking and agreement in the pipeline, with a scripted detector and recogniser
(the real ones are tested on real images in test_plate_detector/test_plate_recogniser and
end to end in tests/system/test_vehicle_gate.py)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from gate.vision.plates.pipeline import (
    READ,
    UNREADABLE,
    PlatePipeline,
    PlatePipelineSettings,
    colour_consistent,
)
from gate.vision.plates.types import PlateCandidate, PlateColour, PlateRead
from gate.vision.types import Box, Frame

FPS = 8.0


class ScriptedDetector:
    """Reports the boxes scripted for each frame (by frame index)."""

    name = "scripted"

    def __init__(self, boxes: dict[int, list[Box]],
                 colours: dict[int, PlateColour | None] | None = None) -> None:
        self.boxes = boxes
        self.frame = 0
        self.colours = colours or {}

    def detect(self, frame_bgr: np.ndarray) -> list[PlateCandidate]:
        boxes = self.boxes.get(self.frame, [])
        colour = self.colours.get(self.frame)
        return [PlateCandidate(np.float32([[b.x1, b.y1], [b.x2, b.y1], [b.x2, b.y2],
                                           [b.x1, b.y2]]), b, 0.9, colour) for b in boxes]


class ScriptedRecogniser:
    """Reads the texts scripted for each frame, in candidate order."""

    name = "scripted"
    input_size = (128, 32)

    def __init__(self, detector: ScriptedDetector, texts: dict[int, list[tuple[str, float]]]):
        self.detector = detector
        self.texts = texts

    def read(self, crops: Sequence[np.ndarray],
             two_row: Sequence[bool] | None = None) -> list[PlateRead]:
        script = self.texts.get(self.detector.frame, [])
        reads = [PlateRead(text, conf, (conf,) * len(text)) for text, conf in script]
        flags = list(two_row or [False] * len(crops))
        singles = reads[: flags.count(False)]
        # A two-row reading of a crop is scripted as unreadable.
        return singles + [PlateRead("", 0.0, ()) for flag in flags if flag]


BOX = Box(100, 300, 240, 345)
IMAGE = np.zeros((480, 640, 3), np.uint8)


def _run(frames: int, boxes: dict[int, list[Box]], texts: dict[int, list[tuple[str, float]]],
         settings: PlatePipelineSettings | None = None,
         colours: dict[int, PlateColour | None] | None = None) -> list:
    detector = ScriptedDetector(boxes, colours)
    pipeline = PlatePipeline(detector, ScriptedRecogniser(detector, texts), settings)
    outcomes = []
    for index in range(frames):
        detector.frame = index
        outcomes += [(index, o) for o in pipeline.process(Frame(IMAGE, index / FPS, index))]
    return outcomes


def test_a_plate_is_decided_once_when_two_frames_agree_and_not_again_while_it_waits() -> None:
    boxes = {i: [BOX] for i in range(40)}
    texts = {i: [("粤B12345", 0.95)] for i in range(40)}
    outcomes = _run(40, boxes, texts)
    assert [(i, o.kind, o.plate) for i, o in outcomes] == [(1, READ, "粤B12345")]
    assert outcomes[0][1].evidence["plate_votes"] == 2


def test_a_car_that_leaves_and_returns_within_the_repeat_time_is_not_decided_again() -> None:
    present = list(range(0, 5)) + list(range(30, 35))
    boxes = {i: [BOX] for i in present}
    texts = {i: [("粤B12345", 0.95)] for i in present}
    outcomes = _run(40, boxes, texts, PlatePipelineSettings(repeat_seconds=20.0))
    assert len(outcomes) == 1


def test_after_the_repeat_time_the_same_plate_is_decided_again() -> None:
    present = list(range(0, 5)) + list(range(30, 35))
    boxes = {i: [BOX] for i in present}
    texts = {i: [("粤B12345", 0.95)] for i in present}
    outcomes = _run(40, boxes, texts, PlatePipelineSettings(repeat_seconds=2.0))
    assert [i for i, _ in outcomes] == [1, 31]


def test_non_plate_candidates_never_start_a_track() -> None:
    boxes = {i: [BOX] for i in range(40)}
    texts = {i: [("A1", 0.99)] for i in range(40)}
    assert _run(40, boxes, texts) == []


def test_a_plate_that_never_reads_consistently_ends_unreadable_at_the_deadline() -> None:
    boxes = {i: [BOX] for i in range(40)}
    texts = {i: [(("粤B12345", "粤B12845", "粤B72345", "粤B92395")[i % 4], 0.9)]
             for i in range(40)}
    outcomes = _run(40, boxes, texts, PlatePipelineSettings(deadline_seconds=2.0))
    assert len(outcomes) == 1
    index, outcome = outcomes[0]
    assert outcome.kind in (UNREADABLE, READ)
    assert index == round(2.0 * FPS)
    if outcome.kind == READ:  # a per-character vote may settle it, but only on a valid string
        assert outcome.evidence["plate_vote_method"] == "per_character"


def test_two_plates_in_one_frame_are_tracked_and_decided_separately() -> None:
    other = Box(400, 300, 540, 345)
    boxes = {i: [BOX, other] for i in range(10)}
    texts = {i: [("粤B12345", 0.95), ("沪AD12345", 0.93)] for i in range(10)}
    plates = sorted(o.plate for _, o in _run(10, boxes, texts))
    assert plates == ["沪AD12345", "粤B12345"]


def test_reset_forgets_half_gathered_evidence() -> None:
    detector = ScriptedDetector({0: [BOX], 1: [BOX]})
    pipeline = PlatePipeline(detector, ScriptedRecogniser(
        detector, {0: [("粤B12345", 0.95)], 1: [("粤B12345", 0.95)]}))
    pipeline.process(Frame(IMAGE, 0.0, 0))
    pipeline.reset()
    detector.frame = 1
    assert pipeline.process(Frame(IMAGE, 0.125, 1)) == []


class TwoRowRecogniser:
    """Reads a squarish crop as garbage in one row and as the plate in two rows."""

    name = "two-row"
    input_size = (128, 32)

    def read(self, crops: Sequence[np.ndarray],
             two_row: Sequence[bool] | None = None) -> list[PlateRead]:
        flags = list(two_row or [False] * len(crops))
        return [PlateRead("粤B1234挂", 0.9, (0.9,) * 7) if flag else PlateRead("粤", 0.9, (0.9,))
                for flag in flags]


def test_a_squarish_plate_is_also_read_as_two_rows_and_the_valid_read_wins() -> None:
    square = Box(100, 300, 200, 350)  # 2:1, a large vehicle's two-row plate
    detector = ScriptedDetector({i: [square] for i in range(5)})
    pipeline = PlatePipeline(detector, TwoRowRecogniser())
    outcomes = []
    for index in range(5):
        detector.frame = index
        outcomes += pipeline.process(Frame(IMAGE, index / FPS, index))
    assert [o.plate for o in outcomes] == ["粤B1234挂"]


def test_a_second_car_in_the_same_spot_is_decided_once_it_reads_consistently() -> None:
    boxes = {i: [BOX] for i in range(20)}
    texts = {i: [("粤B12345" if i < 8 else "沪AD12345", 0.95)] for i in range(20)}
    plates = [o.plate for _, o in _run(20, boxes, texts)]
    assert plates == ["粤B12345", "沪AD12345"]


@pytest.mark.parametrize(
    ("text", "colour", "kept"),
    [
        ("皖AD12345", "green", True),  # new-energy small car
        ("皖A12345D", "green", True),  # new-energy large vehicle
        ("皖ad12345", "green", True),  # judged as the normalised plate
        ("皖D22939", "green", False),  # 7 characters on a green plate: one was lost
        ("皖AD12345", "blue", False),  # blue plates never have 8 characters
        ("皖A12345D", "blue", False),
        ("粤B12345", "blue", True),
        ("粤B12", "green", True),  # not a plate at all: left to the format rules
        ("粤B12345", "yellow", True),  # yellow/white/black/unknown are not checked
        ("粤B12345", None, True),
    ],
)
def test_a_read_the_background_colour_rules_out_keeps_no_confidence(
    text: str, colour: PlateColour | None, kept: bool
) -> None:
    read = PlateRead(text, 0.95, (0.95,) * len(text))
    checked = colour_consistent(read, colour)
    assert checked.text == text
    assert checked.ruled_out is not kept
    assert (checked.confidence == 0.95) is kept
    assert (checked.char_confidences == read.char_confidences) is kept


def test_a_green_plate_read_as_seven_characters_ends_unreadable_not_silent() -> None:
    frames = 30  # 3.75 s at 8 fps: past the 3 s deadline
    lost_a_character = {i: [("皖D22939", 0.97)] for i in range(frames)}
    green: dict[int, PlateColour | None] = dict.fromkeys(range(frames), "green")
    outcomes = _run(frames, {i: [BOX] for i in range(frames)}, lost_a_character, colours=green)
    assert [o.kind for _, o in outcomes] == [UNREADABLE]
    assert outcomes[0][1].plate is None
    assert outcomes[0][1].evidence["plate_reads_ruled_out"] == outcomes[0][1].evidence[
        "plate_frames"]
    whole = {i: [("皖AD22939", 0.9)] for i in range(4)}
    decided = _run(4, {i: [BOX] for i in range(4)}, whole, colours=dict.fromkeys(range(4), "green"))
    assert [o.plate for _, o in decided] == ["皖AD22939"]


def test_a_plate_seen_green_once_rules_frames_whose_colour_is_unsure() -> None:
    # The colour guess flickers (green, then unknown): the unknown frames' 7-character reads
    # must not agree with each other behind the green frame's back.
    frames = 30
    lost_a_character = {i: [("皖D22939", 0.97)] for i in range(frames)}
    flicker: dict[int, PlateColour | None] = {i: "green" if i % 3 == 0 else None
                                              for i in range(frames)}
    outcomes = _run(frames, {i: [BOX] for i in range(frames)}, lost_a_character,
                    colours=flicker)
    assert [o.kind for _, o in outcomes] == [UNREADABLE]
