"""The retention job: events kept at least 180 days (GB 50396), snapshots 30 days by default.

PostgreSQL drops whole monthly partitions (tests/api/test_aggregator_partitions.py); these
tests cover the row-by-row path of SQLite and the snapshot purge on both databases.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from aggregator_helpers import FakeClock, make_events
from conftest import login
from fastapi.testclient import TestClient
from pydantic import ValidationError

from aggregator.jobs import DELETE_CHUNK, enforce_retention
from aggregator.settings import AggregatorSettings
from wire.chain import GENESIS_HASH

DAY = 86400
REF = "2026/01/05/20260105T080001000Z-0123456789ab.jpg"
JPEG = b"\xff\xd8\xff\xe0" + b"0" * 100


def _credential(client: TestClient) -> dict[str, str]:
    svc = client.app.state.services
    if not hasattr(svc, "test_credential"):
        svc.test_credential = svc.register_gate("g1")
    return {"Authorization": f"Bearer {svc.test_credential}"}


def _post(client: TestClient, events: list[dict]) -> None:
    response = client.post("/api/v1/ingest/events", json={"gate_id": "g1", "events": events},
                           headers=_credential(client))
    assert response.status_code == 200, response.text


def _stored_ids(client: TestClient) -> set[str]:
    login(client, "admin")
    page = client.get("/api/v1/events", params={"limit": 500}).json()
    return {e["event_id"] for e in page["items"]}


def test_events_are_kept_180_days_and_deleted_after(client: TestClient, clock: FakeClock) -> None:
    old = make_events("g1", 3, start=clock.now - timedelta(days=181))
    recent = make_events("g1", 2, first=4, prev=old[-1]["hash"],
                         start=clock.now - timedelta(days=179))
    _post(client, old + recent)
    report = enforce_retention(client.app.state.services)
    assert report.events_deleted == 3
    assert _stored_ids(client) == {e["event_id"] for e in recent}


def test_a_purge_larger_than_one_chunk_deletes_every_expired_event(
        client: TestClient, clock: FakeClock) -> None:
    count = DELETE_CHUNK + 7
    prev = GENESIS_HASH
    for first in range(1, count + 1, 500):
        batch = make_events("g1", min(500, count - first + 1), first=first, prev=prev,
                            start=clock.now - timedelta(days=400))
        _post(client, batch)
        prev = batch[-1]["hash"]
    assert enforce_retention(client.app.state.services).events_deleted == count
    assert _stored_ids(client) == set()


def test_snapshots_are_deleted_after_30_days_but_their_events_stay(
        storage_client: TestClient, clock: FakeClock) -> None:
    svc = storage_client.app.state.services
    event = make_events("g1", 1, snapshot_ref=REF, start=clock.now - timedelta(hours=1))
    _post(storage_client, event)
    assert storage_client.put(f"/api/v1/ingest/snapshots/{REF}", content=JPEG,
                              headers=_credential(storage_client) | {
                                  "Content-Type": "image/jpeg"}).status_code == 204
    file = svc.snapshot_dir / "g1" / REF
    assert file.is_file()
    clock.advance(29 * DAY)
    assert enforce_retention(svc).snapshots_deleted == 0
    clock.advance(2 * DAY)
    assert enforce_retention(svc).snapshots_deleted == 1
    assert not file.exists()
    login(storage_client, "security")
    event_id = event[0]["event_id"]
    assert storage_client.get(f"/api/v1/events/{event_id}").json()["has_snapshot"] is False
    gone = storage_client.get(f"/api/v1/events/{event_id}/snapshot")
    assert gone.status_code == 404 and "retention" in gone.json()["detail"]


def test_event_retention_below_180_days_is_refused() -> None:
    with pytest.raises(ValidationError, match="event_retention_days"):
        AggregatorSettings(event_retention_days=90)
