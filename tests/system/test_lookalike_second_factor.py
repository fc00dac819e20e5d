"""Look-alike residents (issue 7): flagged at enrolment and whenever the gallery changes,
and a face alone no longer lets them in; a card still does.

Two "twins" are enrolled from two photos of the same East-Asian person (SFace distance
about 0.08, far inside the 0.40 threshold); a third resident is someone else.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from gate.cli import main
from gate.config.face import RecogniserConfig
from gate.directory.store import DirectoryStore
from gate.policy import (
    AccessRequest,
    CredentialKind,
    DirectorySnapshot,
    Group,
    PolicySettings,
    ReasonCode,
    decide,
)
from gate.policy.schedule import always_open
from gate.runtime import load_gallery
from gate.vision.recognisers.registry import create_recogniser, effective_threshold

PHOTOS = {
    "twin-a": "identities/ea_d07/Naoto_Kan_0001.jpg",
    "twin-b": "identities/ea_d07/Naoto_Kan_0002.jpg",
    "other": "identities/ea_d01/Jiang_Zemin_0001.jpg",
}
NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def _enroll(config: Path, person_id: str, photo: Path) -> int:
    return main(["enroll", "--config", str(config), "--name", person_id, "--unit", "1-1-101",
                 "--group", "residents", "--person-id", person_id, "--photo", str(photo)])


def _reason(snapshot: DirectorySnapshot, person_id: str, credential: CredentialKind) -> ReasonCode:
    request = AccessRequest(
        gate_id="test-gate", now=NOW, credential=credential, subject=person_id,
        liveness_passed=True if credential is CredentialKind.FACE else None,
    )
    return decide(request, snapshot, PolicySettings()).reason


@pytest.fixture()
def enrolled(config_file: Path, faces_root: Path, tmp_path: Path,
             capsys: pytest.CaptureFixture[str]) -> tuple[Path, str]:
    """The three residents enrolled one by one with `gate enroll`; its printed output."""
    for person_id, photo in PHOTOS.items():
        assert _enroll(config_file, person_id, faces_root / photo) == 0
    with DirectoryStore(tmp_path / "data" / "gate.db") as directory:
        directory.upsert_schedule(always_open("always"))
        directory.upsert_group(Group("residents", "always"))
    return tmp_path / "data" / "gate.db", capsys.readouterr().out


def test_enrolling_a_lookalike_flags_both_residents(enrolled: tuple[Path, str]) -> None:
    db, printed = enrolled
    assert "enrolled twin-a with 1 photo(s)\n" in printed  # alone in the gallery: no flag
    assert "enrolled twin-b with 1 photo(s) (flagged as a look-alike" in printed
    with DirectoryStore(db) as directory:
        flags = {p: directory.person(p).lookalike_flag for p in PHOTOS}  # type: ignore[union-attr]
    assert flags == {"twin-a": True, "twin-b": True, "other": False}


def test_flagged_resident_needs_a_card_at_a_face_gate(enrolled: tuple[Path, str]) -> None:
    with DirectoryStore(enrolled[0]) as directory:
        snapshot = directory.snapshot()
    assert _reason(snapshot, "twin-a", CredentialKind.FACE) is (
        ReasonCode.DENIED_SECOND_FACTOR_REQUIRED)
    assert _reason(snapshot, "twin-a", CredentialKind.CARD) is ReasonCode.GRANTED_RESIDENT
    assert _reason(snapshot, "other", CredentialKind.FACE) is ReasonCode.GRANTED_RESIDENT


def test_gallery_change_clears_the_flag_of_the_remaining_twin(
    enrolled: tuple[Path, str],
) -> None:
    config = RecogniserConfig()
    recogniser = create_recogniser(config)
    with DirectoryStore(enrolled[0]) as directory:
        assert directory.delete_person("twin-b")
        # What the running gate does when the directory version moves (Gate.reload_gallery).
        load_gallery(directory, recogniser, effective_threshold(config))
        assert not directory.person("twin-a").lookalike_flag  # type: ignore[union-attr]
        assert _reason(directory.snapshot(), "twin-a", CredentialKind.FACE) is (
            ReasonCode.GRANTED_RESIDENT)
