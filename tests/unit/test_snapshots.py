"""Face-crop snapshots: JPEG crops written atomically, deleted after their retention period."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from gate.clock import ManualClock
from gate.errors import ImageError
from gate.eventlog import (
    EventLog,
    InvalidSnapshotRefError,
    SnapshotStore,
    enforce_retention,
    verify_log,
)
from gate.vision.types import Box

DAY_SECONDS = timedelta(days=1).total_seconds()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store(tmp_path: Path, clock: ManualClock) -> SnapshotStore:
    return SnapshotStore(tmp_path / "snapshots", retention_days=30, clock=clock)


def frame(height: int = 480, width: int = 640) -> np.ndarray:
    """A synthetic BGR frame with a bright square where the 'face' is."""
    image = np.full((height, width, 3), 40, dtype=np.uint8)
    image[100:200, 300:400] = (200, 180, 160)
    return image


def test_snapshot_is_the_face_crop_with_a_margin_not_the_full_frame(store: SnapshotStore):
    ref = store.save_jpeg(frame(), Box(300, 100, 400, 200))
    data = store.path_of(ref).read_bytes()
    assert data[:2] == b"\xff\xd8"  # a JPEG
    crop = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert crop.shape == (140, 140, 3)  # 100 px box + 20 % margin each side
    assert abs(int(crop[70, 70, 0]) - 200) < 10  # centred on the face


def test_crop_margin_is_clamped_at_the_frame_edge(store: SnapshotStore):
    ref = store.save_jpeg(frame(), Box(0, 0, 50, 50))
    crop = cv2.imread(str(store.path_of(ref)))
    assert crop.shape[:2] == (60, 60)


def test_large_crops_are_downscaled(store: SnapshotStore):
    ref = store.save_jpeg(frame(800, 1000))
    crop = cv2.imread(str(store.path_of(ref)))
    assert max(crop.shape[:2]) == 320


def test_no_temporary_file_is_left_after_saving(store: SnapshotStore):
    ref = store.save_jpeg(frame(), Box(300, 100, 400, 200))
    folder = store.path_of(ref).parent
    assert [p.name for p in folder.iterdir()] == [store.path_of(ref).name]


def test_box_outside_the_image_is_refused(store: SnapshotStore):
    with pytest.raises(ImageError):
        store.save_jpeg(frame(), Box(700, 500, 800, 600))


def test_ref_that_escapes_the_folder_is_refused(store: SnapshotStore):
    with pytest.raises(InvalidSnapshotRefError):
        store.path_of("../../etc/passwd")


def test_snapshot_is_kept_for_thirty_days_and_purged_after(
    store: SnapshotStore, clock: ManualClock
):
    ref = store.save_jpeg(frame(), Box(300, 100, 400, 200))
    clock.advance(29 * DAY_SECONDS)
    assert store.purge_expired() == 0
    assert store.path_of(ref).exists()
    clock.advance(2 * DAY_SECONDS)  # 31 days after it was taken
    assert store.purge_expired() == 1
    assert not store.path_of(ref).exists()
    assert not store.path_of(ref).parent.exists()  # the expired day's empty folder too


def test_purge_keeps_snapshots_still_within_retention(store: SnapshotStore, clock: ManualClock):
    old = store.save_jpeg(frame())
    clock.advance(10 * DAY_SECONDS)
    recent = store.save_jpeg(frame())
    clock.advance(25 * DAY_SECONDS)
    assert store.expired_refs() == [old]
    assert store.purge_expired() == 1
    assert store.path_of(recent).exists()


def test_stale_temporary_file_from_a_crash_is_removed(store: SnapshotStore, clock: ManualClock):
    ref = store.save_jpeg(frame())
    path = store.path_of(ref)
    temporary = path.parent / f".{path.name}.tmp"
    temporary.write_bytes(b"\xff\xd8half")
    clock.advance(2 * 3600)
    store.purge_expired()
    assert not temporary.exists()
    assert path.exists()


def test_retention_marks_events_and_keeps_the_chain_verifiable(
    tmp_path: Path, store: SnapshotStore, clock: ManualClock
):
    db_path = tmp_path / "gate.db"
    with EventLog(db_path, "north-ped-1", clock) as log:
        ref = store.save_jpeg(frame(), Box(300, 100, 400, 200))
        record = log.append("decision", decision="deny", snapshot_ref=ref)
        clock.advance(31 * DAY_SECONDS)
        report = enforce_retention(log, store, event_days=180)
        assert (report.snapshots_deleted, report.snapshot_events_marked) == (1, 1)
        assert report.events_purged == 0
        assert log.snapshot_purged(ref)
        assert log.events_after(0, 1)[0] == record  # the hashed ref itself is unchanged
    assert not store.path_of(ref).exists()
    assert verify_log(db_path).ok


def test_retention_purges_events_after_their_period(
    tmp_path: Path, store: SnapshotStore, clock: ManualClock
):
    db_path = tmp_path / "gate.db"
    with EventLog(db_path, "north-ped-1", clock) as log:
        for _ in range(3):
            log.append("tick")
        clock.advance(181 * DAY_SECONDS)
        log.append("tick")
        report = enforce_retention(log, store, event_days=180)
        assert (report.events_purged, report.checkpoint_sequence) == (3, 3)
    assert verify_log(db_path).ok


def test_retention_refuses_to_keep_events_less_than_180_days(
    tmp_path: Path, store: SnapshotStore, clock: ManualClock
):
    with EventLog(tmp_path / "gate.db", "north-ped-1", clock) as log:
        with pytest.raises(ValueError, match="180"):
            enforce_retention(log, store, event_days=30)
