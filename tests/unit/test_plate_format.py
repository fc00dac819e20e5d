"""Plate format rules (GA 36-2018 shapes) and the near-miss measure."""

from __future__ import annotations

import pytest

from gate.policy.near_miss import edit_distance, near_misses
from wire.plates import (
    PlateFormatError,
    is_valid_plate,
    mask_plate,
    plate_kind,
    validate_plate,
)


@pytest.mark.parametrize(("text", "kind"), [
    ("粤B12345", "ordinary"),
    ("京A·3X7Y2", "ordinary"),
    ("皖AFL605", "ordinary"),
    ("粤B1234学", "suffixed"),
    ("京A1234警", "suffixed"),
    ("粤Z1234港", "suffixed"),
    ("沪AD12345", "new_energy"),
    ("皖AF12345", "new_energy"),
    ("粤B12345D", "new_energy"),
])
def test_valid_plates_are_accepted_and_normalised(text: str, kind: str) -> None:
    plate = validate_plate(text)
    assert "·" not in plate
    assert plate_kind(plate) == kind


def test_lower_case_and_spaces_are_normalised() -> None:
    assert validate_plate("粤b 12345") == "粤B12345"


@pytest.mark.parametrize(("text", "why"), [
    ("", "7 or 8 characters"),
    ("粤B1234", "7 or 8 characters"),
    ("粤B1234567", "7 or 8 characters"),
    ("XB12345", "province"),
    ("粤112345", "issuing office"),
    ("粤I12345", "issuing office"),
    ("粤B1O345", "I and O"),
    ("粤BA12345", "D or F"),
    ("粤B12学45", "letters or digits"),
])
def test_invalid_plates_are_refused_with_the_rule_they_break(text: str, why: str) -> None:
    with pytest.raises(PlateFormatError, match=why):
        validate_plate(text)
    assert not is_valid_plate(text)


def test_small_new_energy_plate_allows_one_more_letter_then_four_digits() -> None:
    assert is_valid_plate("沪ADA1234")
    assert not is_valid_plate("沪ADAB234")


def test_non_text_is_refused() -> None:
    with pytest.raises(PlateFormatError):
        validate_plate(12345)  # type: ignore[arg-type]


def test_edit_distance_counts_substitutions_insertions_and_deletions() -> None:
    assert edit_distance("粤B12345", "粤B12345") == 0
    assert edit_distance("粤B12345", "粤B12845") == 1
    assert edit_distance("沪AD12345", "沪A12345") == 1
    assert edit_distance("粤B12345", "粤B99945", limit=5) == 3
    assert edit_distance("粤B12345", "粤B99945") == 2  # capped


def test_near_misses_are_one_edit_away_and_never_the_plate_itself() -> None:
    known = {"粤B12345", "粤B12346", "粤B99999", "粤BD12345"}
    assert near_misses("粤B12345", known) == ["粤B12346", "粤BD12345"]
    assert near_misses("粤B12347", known) == ["粤B12345", "粤B12346"]
    assert near_misses("京C00000", known) == []


def test_mask_plate_keeps_province_office_and_last_two() -> None:
    assert mask_plate("粤B12345") == "粤B***45"
    assert mask_plate("沪AD12345") == "沪A****45"
    assert mask_plate(None) == ""
