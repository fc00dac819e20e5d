"""Ingest: idempotency, credentials, gaps, chain breaks, bad batches (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

from aggregator_helpers import make_events
from conftest import login
from fastapi.testclient import TestClient


def _gate(client: TestClient, gate_id: str = "g1") -> dict[str, str]:
    credential = client.app.state.services.register_gate(gate_id)
    return {"Authorization": f"Bearer {credential}"}


def _post(client: TestClient, headers: dict, events: list[dict], gate_id: str = "g1"):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/ingest/events", json={"gate_id": gate_id, "events": events},
                       headers=headers)


def _count(client: TestClient) -> int:
    login(client, "admin")
    return len(client.get("/api/v1/events", params={"limit": 500}).json()["items"])


def _alarms(client: TestClient) -> list[str]:
    login(client, "security")
    return [a["kind"] for a in client.get("/api/v1/alarms").json()]


def test_replayed_batch_adds_nothing(storage_client: TestClient) -> None:
    headers = _gate(storage_client)
    events = make_events("g1", 20)
    first = _post(storage_client, headers, events).json()
    again = _post(storage_client, headers, events).json()
    assert (first["accepted"], first["duplicates"]) == (20, 0)
    assert (again["accepted"], again["duplicates"]) == (0, 20)
    assert _count(storage_client) == 20


def test_revoked_gate_is_refused(storage_client: TestClient) -> None:
    headers = _gate(storage_client)
    login(storage_client, "admin")
    assert storage_client.post("/api/v1/gates/g1/revoke").status_code == 200
    response = _post(storage_client, headers, make_events("g1", 1))
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_unknown_credential_is_refused(storage_client: TestClient) -> None:
    response = _post(storage_client, {"Authorization": "Bearer nope"}, make_events("g1", 1))
    assert response.status_code == 401


def test_sequence_gap_is_detected_and_shown(storage_client: TestClient) -> None:
    headers = _gate(storage_client)
    events = make_events("g1", 10)
    result = _post(storage_client, headers, events[:3] + events[7:]).json()
    assert result["gaps"] == [[4, 7]]
    assert "sequence_gap" in _alarms(storage_client)
    status = storage_client.get("/api/v1/gates/status").json()
    assert status[0]["gaps"] == [[4, 7]]
    filled = _post(storage_client, headers, events[3:7]).json()  # the missing ones turn up
    assert filled["chain_ok"] is True
    assert storage_client.get("/api/v1/gates/status").json()[0]["gaps"] == []


def test_forged_events_filling_a_gap_break_the_chain(storage_client: TestClient) -> None:
    headers = _gate(storage_client)
    events = make_events("g1", 10)
    _post(storage_client, headers, events[:3] + events[6:])
    # Chained to event 3 and self-consistent, but not what event 7 says came before it.
    forged = make_events("g1", 3, first=4, prev=events[2]["hash"], decision="denied")
    result = _post(storage_client, headers, forged).json()
    assert result["accepted"] == 3 and result["chain_ok"] is False
    assert "chain_broken" in _alarms(storage_client)


def test_edited_event_raises_chain_broken_alarm(storage_client: TestClient) -> None:
    headers = _gate(storage_client)
    events = make_events("g1", 5)
    events[2]["decision"] = "denied"  # edited after hashing
    result = _post(storage_client, headers, events).json()
    assert result["chain_ok"] is False
    assert result["accepted"] == 5
    assert "chain_broken" in _alarms(storage_client)


def test_relinked_rewrite_across_batches_breaks_chain(storage_client: TestClient) -> None:
    headers = _gate(storage_client)
    _post(storage_client, headers, make_events("g1", 3))
    forged = make_events("g1", 2, first=4, prev="a" * 64)  # self-consistent, wrong link
    assert _post(storage_client, headers, forged).json()["chain_ok"] is False


def test_malformed_batch_is_refused_with_reason_and_nothing_written(
        storage_client: TestClient) -> None:
    headers = _gate(storage_client)
    events = make_events("g1", 5)
    events[3]["hash"] = "not-a-hash"
    response = _post(storage_client, headers, events)
    assert response.status_code == 422
    assert "events.3.hash" in response.json()["detail"]
    assert _count(storage_client) == 0


def test_batch_naming_another_gate_is_refused_and_nothing_written(
        storage_client: TestClient) -> None:
    headers = _gate(storage_client)
    _gate(storage_client, "g2")
    events = make_events("g1", 3) + make_events("g2", 1, first=4)
    response = _post(storage_client, headers, events)
    assert response.status_code == 422
    assert "g2" in response.json()["detail"]
    assert _count(storage_client) == 0


def test_oversized_batch_is_refused(client: TestClient) -> None:
    headers = _gate(client)
    events = make_events("g1", 501)
    response = _post(client, headers, events)
    assert response.status_code == 422
    big = make_events("g1", 2, evidence={"blob": "x" * (2 * 1024 * 1024)})
    body = json.dumps({"gate_id": "g1", "events": big})
    response = client.post("/api/v1/ingest/events", content=body,
                           headers=headers | {"Content-Type": "application/json"})
    assert response.status_code == 413
    assert _count(client) == 0


def test_door_forced_event_raises_alarm_that_can_be_acked(client: TestClient) -> None:
    headers = _gate(client)
    _post(client, headers, make_events("g1", 1, type="door_forced", subject=None,
                                       decision=None, reason=None))
    login(client, "guard")
    alarms = client.get("/api/v1/alarms").json()
    assert [a["kind"] for a in alarms] == ["door_forced"]
    acked = client.post(f"/api/v1/alarms/{alarms[0]['alarm_id']}/ack").json()
    assert acked["acked_by"] == "guard"
    assert client.get("/api/v1/alarms", params={"state": "open"}).json() == []


def test_snapshot_upload_is_served_with_its_event(client: TestClient) -> None:
    headers = _gate(client)
    ref = "2026/01/05/20260105T080001000Z-0123456789ab.jpg"
    event = make_events("g1", 1, snapshot_ref=ref)
    _post(client, headers, event)
    jpeg = b"\xff\xd8\xff\xe0" + b"0" * 100
    assert client.put(f"/api/v1/ingest/snapshots/{ref}", content=jpeg,
                      headers=headers | {"Content-Type": "image/jpeg"}).status_code == 204
    login(client, "security")
    assert client.get("/api/v1/events").json()["items"][0]["has_snapshot"] is True
    assert client.get(f"/api/v1/events/{event[0]['event_id']}/snapshot").content == jpeg


def test_an_event_id_another_gate_already_stored_is_a_duplicate(
        storage_client: TestClient) -> None:
    first = make_events("g1", 3)
    _post(storage_client, _gate(storage_client, "g1"), first)
    copied = make_events("g2", 1, event_id=first[1]["event_id"])
    result = _post(storage_client, _gate(storage_client, "g2"), copied, gate_id="g2").json()
    assert (result["accepted"], result["duplicates"]) == (0, 1)
    assert _count(storage_client) == 3


def test_resident_unit_and_plate_are_stored_and_searchable(storage_client: TestClient) -> None:
    login(storage_client, "admin")
    assert storage_client.post("/api/v1/residents", json={
        "person_id": "p1", "display_name": "Resident p1", "unit": "3-402"}).status_code == 200
    headers = _gate(storage_client)
    events = make_events("g1", 1)
    events += make_events("g1", 1, first=2, prev=events[0]["hash"], subject="stranger",
                          evidence={"plate": "粤B12345"})
    assert _post(storage_client, headers, events).json()["chain_ok"] is True
    login(storage_client, "security")
    by_unit = storage_client.get("/api/v1/events", params={"unit": "3-402"}).json()["items"]
    by_plate = storage_client.get("/api/v1/events", params={"plate": "粤B 12345"}).json()["items"]
    assert [e["event_id"] for e in by_unit] == [events[0]["event_id"]]
    assert [e["event_id"] for e in by_plate] == [events[1]["event_id"]]


def test_blacklisted_and_held_open_events_raise_their_alarms(storage_client: TestClient) -> None:
    headers = _gate(storage_client)
    events = make_events("g1", 1, decision="denied", reason="denied_blacklisted")
    events += make_events("g1", 1, first=2, prev=events[0]["hash"], type="door_held_open",
                          subject=None, decision=None, reason=None)
    events += make_events("g1", 1, first=3, prev=events[1]["hash"], decision="denied",
                          reason="denied_unknown_face")
    assert _post(storage_client, headers, events).json()["accepted"] == 3
    login(storage_client, "security")
    alarms = storage_client.get("/api/v1/alarms").json()
    assert sorted((a["kind"], a["event_id"]) for a in alarms) == sorted([
        ("blacklist_hit", events[0]["event_id"]), ("door_held_open", events[1]["event_id"])])
