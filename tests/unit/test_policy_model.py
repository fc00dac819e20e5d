"""Validation of policy data, plate normalisation and masking of personal data."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gate.policy import (
    AccessRequest,
    BlacklistEntry,
    CredentialKind,
    MatchOutcome,
    Person,
    PolicyError,
    Visitor,
)
from gate.policy.model import normalise_plate
from gate.privacy import mask_name, mask_phone

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三丰", "张**"), ("李四", "李*"), ("Alice Smith", "A**** S****"), ("王", "*"), ("", "")],
)
def test_mask_name_keeps_only_first_letters(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13812345678", "138****5678"), ("138-1234-5678", "138-****-5678"), ("12345", "***45")],
)
def test_mask_phone_hides_the_middle_digits(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_person_name_holding_an_id_number_is_refused() -> None:
    with pytest.raises(PolicyError, match="ID or phone"):
        Person("p1", "Zhang San 110101199003074514", "1-1-101")


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(PolicyError, match="timezone-aware"):
        Person("p1", "Zhang San", "1-1-101", valid_until=datetime(2026, 1, 1))
    with pytest.raises(PolicyError, match="timezone-aware"):
        AccessRequest("g", datetime(2026, 1, 1), CredentialKind.FACE)


def test_validity_must_end_after_it_starts() -> None:
    with pytest.raises(PolicyError, match="after valid_from"):
        Visitor("v", "1-1-101", NOW, NOW)


def test_blacklist_entry_names_exactly_one_of_person_or_plate() -> None:
    with pytest.raises(PolicyError):
        BlacklistEntry()
    with pytest.raises(PolicyError):
        BlacklistEntry(person_id="p", plate="京A12345")


def test_plates_are_normalised() -> None:
    assert normalise_plate("京a·123 45") == "京A12345"
    assert BlacklistEntry(plate="沪B-888.88").plate == "沪B88888"


def test_exit_button_request_cannot_name_a_subject() -> None:
    with pytest.raises(PolicyError):
        AccessRequest("g", NOW, CredentialKind.EXIT_BUTTON, subject="p1")


def test_match_outcome_defaults_from_subject() -> None:
    assert AccessRequest("g", NOW, CredentialKind.FACE, "p1").outcome is MatchOutcome.MATCHED
    assert AccessRequest("g", NOW, CredentialKind.FACE).outcome is MatchOutcome.NO_MATCH
