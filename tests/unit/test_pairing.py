"""Face + card/PIN pairing: a factor refused alone waits for the same person's other one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gate.pairing import PAIRED_EVIDENCE_KEY, SecondFactorBook, decide_paired
from gate.policy import (
    AccessRequest,
    CredentialKind,
    DirectorySnapshot,
    Group,
    Person,
    PolicySettings,
    ReasonCode,
)
from gate.policy.schedule import always_open

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
TWO_FACTOR = PolicySettings(face_only_allowed=False, card_only_allowed=False)


@pytest.fixture
def directory() -> DirectorySnapshot:
    return DirectorySnapshot.of(
        people=[Person(p, f"Name {p}", "3-2-501", groups=("residents",))
                for p in ("r1", "r2")],
        groups=[Group("residents", "always")], schedules=[always_open()],
    )


def _request(kind: CredentialKind, subject: str | None) -> AccessRequest:
    return AccessRequest(gate_id="g", now=NOW, credential=kind, subject=subject,
                         liveness_passed=True if kind is CredentialKind.FACE else None)


def test_a_waiting_face_pairs_with_a_card_once_within_the_window() -> None:
    book = SecondFactorBook(window_seconds=10)
    book.offer("r1", CredentialKind.FACE, at=100.0)
    assert book.take_partner("r1", CredentialKind.FACE, at=101.0) is None  # like with like
    assert book.take_partner("r2", CredentialKind.CARD, at=101.0) is None  # someone else
    partner = book.take_partner("r1", CredentialKind.CARD, at=104.5)
    assert partner == {"credential": "face", "seconds_before": 4.5}
    assert book.take_partner("r1", CredentialKind.PIN, at=105.0) is None  # used up
    book.offer("r1", CredentialKind.PIN, at=200.0)
    assert book.take_partner("r1", CredentialKind.FACE, at=210.5) is None  # window over
    assert book.pending(at=210.5) == 0


def test_window_must_be_positive() -> None:
    with pytest.raises(ValueError, match="window_seconds"):
        SecondFactorBook(0)


@pytest.mark.parametrize(("first", "second"), [
    (CredentialKind.FACE, CredentialKind.CARD),
    (CredentialKind.CARD, CredentialKind.FACE),
    (CredentialKind.PIN, CredentialKind.FACE),
])
def test_two_factor_entry_grants_the_pair_in_either_order(
    directory: DirectorySnapshot, first: CredentialKind, second: CredentialKind
) -> None:
    book = SecondFactorBook(window_seconds=10)
    alone = decide_paired(_request(first, "r1"), directory, TWO_FACTOR, book, at=0.0)
    assert not alone.granted
    assert alone.reason in (ReasonCode.DENIED_SECOND_FACTOR_REQUIRED,
                            ReasonCode.DENIED_FACE_REQUIRED)
    other_person = decide_paired(_request(second, "r2"), directory, TWO_FACTOR, book, at=1.0)
    assert not other_person.granted  # r1's factor does not complete r2's
    pair = decide_paired(_request(second, "r1"), directory, TWO_FACTOR, book, at=3.0)
    assert pair.granted and pair.reason is ReasonCode.GRANTED_RESIDENT
    assert pair.evidence[PAIRED_EVIDENCE_KEY] == {"credential": first.value,
                                                  "seconds_before": 3.0}
    assert pair.evidence["policy"]["second_factor_present"] is True
    again = decide_paired(_request(second, "r1"), directory, TWO_FACTOR, book, at=4.0)
    assert not again.granted  # the first factor was used by the grant


def test_a_late_partner_is_refused(directory: DirectorySnapshot) -> None:
    book = SecondFactorBook(window_seconds=5)
    decide_paired(_request(CredentialKind.FACE, "r1"), directory, TWO_FACTOR, book, at=0.0)
    late = decide_paired(_request(CredentialKind.CARD, "r1"), directory, TWO_FACTOR, book, at=6.0)
    assert late.reason is ReasonCode.DENIED_FACE_REQUIRED
    assert PAIRED_EVIDENCE_KEY not in late.evidence


def test_unknown_faces_and_grants_leave_nothing_waiting(directory: DirectorySnapshot) -> None:
    book = SecondFactorBook(window_seconds=10)
    decide_paired(_request(CredentialKind.FACE, None), directory, TWO_FACTOR, book, at=0.0)
    granted = decide_paired(_request(CredentialKind.CARD, "r1"), directory, PolicySettings(),
                            book, at=0.0)
    assert granted.granted
    assert book.pending(at=0.0) == 0
