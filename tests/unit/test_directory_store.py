"""The directory store on a real SQLite file in tmp_path."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from gate.clock import ManualClock
from gate.directory import DirectoryError, DirectoryStore, UnknownPersonError
from gate.errors import GalleryError
from gate.policy import (
    AccessRequest,
    BlacklistEntry,
    CredentialKind,
    Group,
    Person,
    PersonKind,
    PolicySettings,
    ReasonCode,
    Visitor,
    decide,
)
from gate.policy.schedule import schedule_from_spec

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _vector(seed: int, dimension: int = 128) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=dimension).astype(np.float32)


def _tamper(path: Path, *statements: str) -> None:
    """Change the file behind the store's back, as a disk error or a bad tool would."""
    with closing(sqlite3.connect(path)) as other, other:
        for sql in statements:
            other.execute(sql)


def _query(path: Path, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(path)) as other:
        return other.execute(sql).fetchall()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DirectoryStore]:
    with DirectoryStore(tmp_path / "gate.db", clock=ManualClock(NOW)) as opened:
        yield opened


def _resident(person_id: str = "r1", **overrides: object) -> Person:
    fields: dict[str, object] = {
        "person_id": person_id,
        "display_name": "张三丰",
        "unit": "3-2-501",
        "groups": ("residents", "gym"),
        "valid_from": NOW - timedelta(days=30),
        "valid_until": NOW + timedelta(days=335),
        "lookalike_flag": True,
    }
    fields.update(overrides)
    return Person(**fields)  # type: ignore[arg-type]


def test_everything_round_trips_through_a_reopened_file(tmp_path: Path) -> None:
    path = tmp_path / "gate.db"
    schedule = schedule_from_spec("night", {"fri": ["22:00-06:00"]}, "Asia/Shanghai")
    visitor = Visitor("v1", "3-2-501", NOW, NOW + timedelta(hours=4), 2, 1)
    with DirectoryStore(path) as store:
        store.upsert_person(_resident())
        store.upsert_person(_resident("v1", kind=PersonKind.VISITOR, groups=(), valid_from=None,
                                      valid_until=None, lookalike_flag=False))
        store.upsert_group(Group("residents", "night"))
        store.upsert_schedule(schedule)
        store.upsert_visitor(visitor)
        store.upsert_blacklist(BlacklistEntry(person_id="x9", reason="trespass"))
        store.upsert_blacklist(BlacklistEntry(plate="京A 12345", alarm=False))
    with DirectoryStore(path) as store:
        snap = store.snapshot()
    assert snap.people["r1"] == _resident()
    assert snap.people["v1"].kind is PersonKind.VISITOR
    assert snap.groups["residents"] == Group("residents", "night")
    assert snap.schedules["night"] == schedule
    assert snap.visitors["v1"] == visitor
    assert snap.blacklist_entry("x9") == BlacklistEntry(person_id="x9", reason="trespass")
    assert snap.blacklist_entry(None, "京A12345").alarm is False


def test_every_change_bumps_the_version(store: DirectoryStore) -> None:
    start = store.version
    store.upsert_person(_resident())
    store.upsert_group(Group("residents", "always"))
    assert store.version == start + 2
    assert store.snapshot().version == start + 2


def test_snapshot_is_cached_until_a_change(store: DirectoryStore) -> None:
    store.upsert_person(_resident())
    first = store.snapshot()
    assert store.snapshot() is first
    store.upsert_person(_resident(enabled=False))
    second = store.snapshot()
    assert second is not first
    assert second.people["r1"].enabled is False


def test_batch_is_atomic_with_one_version_bump(store: DirectoryStore) -> None:
    start = store.version
    with store.batch():
        store.upsert_person(_resident("a"))
        store.upsert_person(_resident("b"))
    assert store.version == start + 1
    with pytest.raises(RuntimeError, match="boom"), store.batch():
        store.upsert_person(_resident("c"))
        raise RuntimeError("boom")
    assert store.version == start + 1
    assert "c" not in store.snapshot().people


def test_face_templates_round_trip_as_float32(store: DirectoryStore) -> None:
    store.upsert_person(_resident())
    vector = _vector(1)
    store.add_face_template("r1", "dlib", vector.astype(np.float64), _sha("photo-1"))
    store.add_face_template("r1", "sface", _vector(2, 128), _sha("photo-1"))
    templates = store.face_templates("dlib")
    assert len(templates) == 1
    person_id, loaded = templates[0]
    assert person_id == "r1"
    assert loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded, vector)
    assert store.corrupt_templates == 0


def test_same_source_photo_replaces_the_template(store: DirectoryStore) -> None:
    store.upsert_person(_resident())
    first = store.add_face_template("r1", "dlib", _vector(1), _sha("photo-1"))
    again = store.add_face_template("r1", "dlib", _vector(2), _sha("photo-1"))
    assert first == again
    (_, loaded), = store.face_templates("dlib")
    np.testing.assert_array_equal(loaded, _vector(2))


def test_delete_person_removes_templates_and_visitor_pass(store: DirectoryStore) -> None:
    store.upsert_person(_resident())
    store.upsert_person(_resident("r2"))
    store.add_face_template("r1", "dlib", _vector(1), _sha("a"))
    store.add_face_template("r1", "dlib", _vector(2), _sha("b"))
    store.add_face_template("r2", "dlib", _vector(3), _sha("c"))
    store.upsert_visitor(Visitor("r1", "3-2-501", NOW, NOW + timedelta(hours=1)))
    assert store.delete_person("r1") is True
    assert [pid for pid, _ in store.face_templates("dlib")] == ["r2"]
    snap = store.snapshot()
    assert "r1" not in snap.people and "r1" not in snap.visitors
    assert store.delete_person("r1") is False


def test_delete_person_keeps_their_blacklist_entry(store: DirectoryStore) -> None:
    store.upsert_person(_resident())
    store.upsert_blacklist(BlacklistEntry(person_id="r1"))
    store.delete_person("r1")
    assert store.snapshot().blacklist_entry("r1") is not None


@pytest.mark.parametrize(
    "bad_blob", [b"\x00" * 12, b"", np.full(128, np.nan, np.float32).tobytes()]
)
def test_corrupt_template_is_skipped_and_counted(
    tmp_path: Path, store: DirectoryStore, bad_blob: bytes
) -> None:
    store.upsert_person(_resident())
    store.add_face_template("r1", "dlib", _vector(1), _sha("good"))
    bad_id = store.add_face_template("r1", "dlib", _vector(2), _sha("bad"))
    with closing(sqlite3.connect(tmp_path / "gate.db")) as other, other:
        other.execute(
            "UPDATE dir_face_templates SET vector = ? WHERE template_id = ?", (bad_blob, bad_id)
        )
    templates = store.face_templates("dlib")
    assert len(templates) == 1
    np.testing.assert_array_equal(templates[0][1], _vector(1))
    assert store.corrupt_templates == 1


def test_template_with_another_dimension_is_refused(store: DirectoryStore) -> None:
    store.upsert_person(_resident())
    store.add_face_template("r1", "dlib", _vector(1, 128), _sha("a"))
    with pytest.raises(GalleryError, match="128"):
        store.add_face_template("r1", "dlib", _vector(2, 64), _sha("b"))


@pytest.mark.parametrize(
    ("vector", "sha"),
    [
        (np.zeros((2, 64), np.float32), _sha("x")),
        (np.array([np.inf, 1.0], np.float32), _sha("x")),
        (np.ones(128, np.float32), "not-a-sha"),
    ],
)
def test_bad_template_input_is_refused(
    store: DirectoryStore, vector: np.ndarray, sha: str
) -> None:
    store.upsert_person(_resident())
    with pytest.raises(GalleryError):
        store.add_face_template("r1", "dlib", vector, sha)


def test_template_for_unknown_person_is_refused(store: DirectoryStore) -> None:
    with pytest.raises(UnknownPersonError):
        store.add_face_template("ghost", "dlib", _vector(1), _sha("a"))
    assert store.face_templates("dlib") == []


def test_visitor_entries_count_until_the_pass_is_used(store: DirectoryStore) -> None:
    store.upsert_person(_resident("v1", kind=PersonKind.VISITOR, groups=(), lookalike_flag=False))
    store.upsert_visitor(Visitor("v1", "3-2-501", NOW, NOW + timedelta(hours=4), max_entries=2))
    request = AccessRequest("gate", NOW, CredentialKind.FACE, "v1", liveness_passed=True)
    reasons = []
    for _ in range(3):
        decision = decide(request, store.snapshot(), PolicySettings())
        reasons.append(decision.reason)
        store.record_entry(decision)
    assert reasons == [
        ReasonCode.GRANTED_VISITOR,
        ReasonCode.GRANTED_VISITOR,
        ReasonCode.DENIED_VISITOR_ENTRIES_USED,
    ]
    assert store.snapshot().visitors["v1"].entries_used == 2


def test_record_entry_ignores_residents_and_denials(store: DirectoryStore) -> None:
    store.upsert_person(_resident())
    version = store.version
    request = AccessRequest("gate", NOW, CredentialKind.CARD, "r1")
    decision = decide(request, store.snapshot(), PolicySettings())
    assert store.record_entry(decision) is None
    assert store.version == version


def test_visitor_pass_needs_a_person(store: DirectoryStore) -> None:
    with pytest.raises(UnknownPersonError):
        store.upsert_visitor(Visitor("ghost", "1-1-101", NOW, NOW + timedelta(hours=1)))
    with pytest.raises(UnknownPersonError):
        store.record_visitor_entry("ghost")


def test_blacklist_entry_can_be_lifted(store: DirectoryStore) -> None:
    store.upsert_blacklist(BlacklistEntry(plate="沪B88888"))
    assert store.remove_blacklist(plate="沪B 888.88") is True
    assert store.snapshot().blacklist == ()
    assert store.remove_blacklist(plate="沪B88888") is False


def test_invalid_row_in_database_raises_directory_error(
    tmp_path: Path, store: DirectoryStore
) -> None:
    store.upsert_schedule(schedule_from_spec("s", {"mon": ["09:00-10:00"]}))
    _tamper(
        tmp_path / "gate.db",
        "UPDATE dir_schedules SET timezone = 'Nowhere/Land'",
        "UPDATE dir_meta SET value = value + 1 WHERE key = 'version'",
    )
    with pytest.raises(DirectoryError, match="invalid row"):
        store.snapshot()


def test_tables_are_prefixed_and_file_is_in_wal_mode(tmp_path: Path, store: DirectoryStore) -> None:
    names = [row[0] for row in _query(tmp_path / "gate.db", "SELECT name FROM sqlite_master")]
    (mode,), = _query(tmp_path / "gate.db", "PRAGMA journal_mode")
    assert names and all(name.startswith(("dir_", "sqlite_")) for name in names)
    assert mode == "wal"


def test_no_column_can_hold_an_id_or_phone_number(tmp_path: Path, store: DirectoryStore) -> None:
    columns = {row[1] for row in _query(tmp_path / "gate.db", "PRAGMA table_info(dir_people)")}
    assert columns == {
        "person_id", "display_name", "unit", "kind", "groups_json", "valid_from",
        "valid_until", "enabled", "lookalike",
    }


def test_closed_store_refuses_changes_and_closes_twice(store: DirectoryStore) -> None:
    store.close()
    store.close()
    with pytest.raises(DirectoryError):
        store.upsert_person(_resident())


def test_concurrent_writers_do_not_lose_entries(store: DirectoryStore) -> None:
    store.upsert_person(_resident("v1", kind=PersonKind.VISITOR, groups=(), lookalike_flag=False))
    store.upsert_visitor(Visitor("v1", "1-1-101", NOW, NOW + timedelta(hours=1), 100))
    threads = [
        threading.Thread(target=lambda: [store.record_visitor_entry("v1") for _ in range(10)])
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.snapshot().visitors["v1"].entries_used == 40
