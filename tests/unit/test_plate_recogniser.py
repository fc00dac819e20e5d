"""The shipped plate recogniser (ONNX through cv2.dnn) on real dev crops, and its contract."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from gate.errors import ImageError
from gate.eval.plate_data import read_crops
from gate.vision.images import read_image
from gate.vision.plates.alphabet import (
    CHARSET,
    LETTERS,
    NUM_CLASSES,
    PROVINCES,
    SUFFIXES,
    decode,
    encode,
)
from gate.vision.plates.recogniser import (
    DEFAULT_MODEL_PATH,
    INPUT_SIZE,
    OnnxPlateRecogniser,
    PlateModelError,
    greedy_decode,
)

# Measured on plates/crops (83), model v7: 0.916 exact, 0.988 per character (v1: 0.855 / 0.969).
# A few points of slack, so that only a genuinely worse model fails.
PLATE_EXACT_FLOOR = 0.88
CHAR_ACCURACY_FLOOR = 0.975


@pytest.fixture(scope="module")
def recogniser() -> OnnxPlateRecogniser:
    return OnnxPlateRecogniser()


@pytest.fixture(scope="module")
def dev_crops(plates_root: Path) -> list[tuple[str, np.ndarray]]:
    """(label, BGR image) of the evaluation crops (skips where the shared data is absent)."""
    return [(crop.label, read_image(crop.path)) for crop in read_crops(plates_root / "crops")]


def _char_accuracy(labels: list[str], texts: list[str]) -> float:
    hits = sum(sum(a == b for a, b in zip(label, text, strict=False)) - abs(len(label) - len(text))
               for label, text in zip(labels, texts, strict=True))
    return hits / sum(len(label) for label in labels)


def test_shipped_model_file_exists_where_the_default_points() -> None:
    assert DEFAULT_MODEL_PATH.is_file(), DEFAULT_MODEL_PATH
    assert DEFAULT_MODEL_PATH.parent.name == "models"


def test_dev_crops_are_read_above_the_accuracy_floor(
    recogniser: OnnxPlateRecogniser, dev_crops: list[tuple[str, np.ndarray]]
) -> None:
    labels = [label for label, _ in dev_crops]
    texts = [read.text for read in recogniser.read([image for _, image in dev_crops])]
    exact = sum(a == b for a, b in zip(labels, texts, strict=True)) / len(labels)
    assert exact >= PLATE_EXACT_FLOOR, list(zip(labels, texts, strict=True))
    assert _char_accuracy(labels, texts) >= CHAR_ACCURACY_FLOOR


def test_correct_reads_carry_one_confidence_per_character(
    recogniser: OnnxPlateRecogniser, dev_crops: list[tuple[str, np.ndarray]]
) -> None:
    label, image = dev_crops[0]
    read = recogniser.read([image])[0]
    assert len(read.char_confidences) == len(read.text)
    assert read.confidence == min(read.char_confidences)
    assert 0.0 < read.confidence <= 1.0


def test_blank_image_gives_a_low_confidence_read(recogniser: OnnxPlateRecogniser) -> None:
    grey = np.full((40, 140, 3), 128, np.uint8)
    read = recogniser.read([grey])[0]
    assert len(read.text) < 7 or read.confidence < 0.5


def test_batch_order_is_preserved(
    recogniser: OnnxPlateRecogniser, dev_crops: list[tuple[str, np.ndarray]]
) -> None:
    images = [image for _, image in dev_crops[:5]]
    singles = [recogniser.read([image])[0].text for image in images]
    forward = [read.text for read in recogniser.read(images)]
    backward = [read.text for read in recogniser.read(images[::-1])]
    assert forward == singles
    assert backward == singles[::-1]
    assert len(set(singles)) > 1


def test_crops_of_any_size_are_accepted(
    recogniser: OnnxPlateRecogniser, dev_crops: list[tuple[str, np.ndarray]]
) -> None:
    label, image = dev_crops[0]
    width, height = INPUT_SIZE
    resized = cv2.resize(image, (width * 2, height * 2))
    assert recogniser.read([image, resized])[1].text != ""


def test_empty_batch_reads_nothing(recogniser: OnnxPlateRecogniser) -> None:
    assert recogniser.read([]) == []


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((32, 128), np.uint8),  # grey, no channel axis
        np.zeros((32, 128, 4), np.uint8),  # BGRA
        np.zeros((32, 128, 3), np.float32),  # not uint8
        np.zeros((2, 5, 3), np.uint8),  # too small to hold a plate
    ],
)
def test_wrong_shaped_input_raises_a_clear_error(
    recogniser: OnnxPlateRecogniser, bad: np.ndarray
) -> None:
    with pytest.raises(ImageError, match="crop 1"):
        recogniser.read([np.zeros((32, 128, 3), np.uint8), bad])


def test_two_row_flags_must_match_the_crops(recogniser: OnnxPlateRecogniser) -> None:
    with pytest.raises(ValueError, match="2 crops"):
        recogniser.read([np.zeros((32, 128, 3), np.uint8)] * 2, two_row=[True])


def test_missing_model_file_raises(tmp_path: Path) -> None:
    with pytest.raises(PlateModelError, match="not found"):
        OnnxPlateRecogniser(tmp_path / "absent.onnx")


def test_greedy_decode_collapses_repeats_and_drops_blanks() -> None:
    # columns: 京 京 blank 京 A A blank
    columns = [1, 1, 0, 1, encode("A")[0], encode("A")[0], 0]
    probs = np.full((len(columns), NUM_CLASSES), 0.01, np.float32)
    for t, index in enumerate(columns):
        probs[t, index] = 0.9 - 0.1 * (t == 4)
    read = greedy_decode(probs)
    assert read.text == "京京A"
    assert read.char_confidences == pytest.approx((0.9, 0.9, 0.9))


def test_alphabet_covers_every_province_and_no_i_or_o() -> None:
    assert len(PROVINCES) == len(set(PROVINCES)) == 31
    assert "I" not in LETTERS and "O" not in LETTERS
    assert set("学警挂港澳领使") <= set(SUFFIXES)
    assert len(CHARSET) == len(set(CHARSET)) == NUM_CLASSES - 1
    assert decode(encode("粤Z1234港")) == "粤Z1234港"


def test_alphabet_rejects_unknown_characters() -> None:
    with pytest.raises(ValueError, match="O"):
        encode("京AO1234")
