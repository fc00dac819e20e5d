"""Sync down: deltas applied atomically to the gate's DirectoryStore; deletions reach the gate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import login
from fastapi.testclient import TestClient
from sqlalchemy import insert

from aggregator.db.models import Consent, FaceTemplate
from aggregator.sync import record_change
from gate.directory.store import DirectoryStore
from gate.sync.apply import apply_delta
from wire.schemas import SyncDelta

ALWAYS = [[[0, 1440]]] * 7


def _setup(client: TestClient) -> dict[str, str]:
    svc = client.app.state.services
    login(client, "admin")
    client.post("/api/v1/schedules", json={"schedule_id": "always", "windows": ALWAYS})
    client.post("/api/v1/groups", json={"group_id": "residents", "schedule_id": "always"})
    for pid in ("p1", "p2"):
        assert client.post("/api/v1/residents", json={
            "person_id": pid, "display_name": f"Resident {pid}", "unit": "1-101",
            "groups": ["residents"]}).status_code == 200
        # A template as enrolment would store it (enrolment itself is tested with real photos).
        with svc.engine.begin() as conn:
            consent = conn.execute(insert(Consent).values(
                person_id=pid, recorded_by="admin", recorded_at=svc.now(),
                photo_sha256=f"{ord(pid[1]):064x}", purpose="test").returning(Consent.id)
            ).scalar_one()
            vector = np.random.default_rng(ord(pid[1])).normal(size=128).astype("<f4")
            conn.execute(insert(FaceTemplate).values(
                person_id=pid, recogniser="sface", vector=vector.tobytes(),
                source_sha256=f"{ord(pid[1]):064x}", consent_id=consent, created_at=svc.now()))
            record_change(conn, "faces", pid, svc.now())
    client.post("/api/v1/blacklist", json={"plate": "京A12345", "reason": "banned"})
    return {"Authorization": f"Bearer {svc.register_gate('g1')}"}


def _delta(client: TestClient, headers: dict, since: int) -> SyncDelta:
    return SyncDelta.model_validate(
        client.get("/api/v1/sync", params={"since_version": since}, headers=headers).json())


def test_full_sync_fills_an_empty_gate_directory(client: TestClient, tmp_path: Path) -> None:
    headers = _setup(client)
    with DirectoryStore(tmp_path / "gate.db") as directory:
        apply_delta(directory, _delta(client, headers, 0))
        snapshot = directory.snapshot()
        assert set(snapshot.people) == {"p1", "p2"}
        assert snapshot.blacklist_entry(None, "京A 12345") is not None
        assert len(directory.face_templates("sface")) == 2


def test_deleted_resident_loses_templates_at_next_sync(client: TestClient,
                                                       tmp_path: Path) -> None:
    headers = _setup(client)
    with DirectoryStore(tmp_path / "gate.db") as directory:
        first = _delta(client, headers, 0)
        apply_delta(directory, first)
        assert client.delete("/api/v1/residents/p1").status_code == 204
        delta = _delta(client, headers, first.to_version)
        assert delta.deletions.people == ["p1"]
        apply_delta(directory, delta)
        assert "p1" not in directory.snapshot().people
        assert [pid for pid, _ in directory.face_templates("sface")] == ["p2"]


def test_bad_delta_changes_nothing_on_the_gate(client: TestClient, tmp_path: Path) -> None:
    headers = _setup(client)
    with DirectoryStore(tmp_path / "gate.db") as directory:
        first = _delta(client, headers, 0)
        apply_delta(directory, first)
        version = directory.version
        bad = first.model_copy(deep=True)
        bad.full = False
        bad.deletions.people = ["p2"]
        bad.people[0].valid_from, bad.people[0].valid_until = (
            "2026-02-01T00:00:00+00:00", "2026-01-01T00:00:00+00:00")  # until before from
        with pytest.raises(ValueError):
            apply_delta(directory, bad)
        assert directory.version == version
        assert set(directory.snapshot().people) == {"p1", "p2"}


def test_sync_without_changes_is_empty(client: TestClient) -> None:
    headers = _setup(client)
    first = _delta(client, headers, 0)
    again = _delta(client, headers, first.to_version)
    assert again.people == [] and again.face_templates == [] and not again.full


def test_face_templates_only_go_to_authenticated_gates(client: TestClient) -> None:
    _setup(client)
    assert client.get("/api/v1/sync").status_code == 401
