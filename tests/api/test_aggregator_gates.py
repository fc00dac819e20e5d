"""Gates as the aggregator sees them: credentials issued and revoked, heartbeats, offline alarms."""

from __future__ import annotations

from aggregator_helpers import FakeClock, make_events
from conftest import login
from fastapi.testclient import TestClient

from aggregator.jobs import raise_offline_alarms


def _bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


def _register(client: TestClient, gate_id: str = "g1") -> str:
    login(client, "admin")
    response = client.post("/api/v1/gates", json={"gate_id": gate_id, "name": "north"})
    assert response.status_code == 201, response.text
    return response.json()["credential"]


def _upload(client: TestClient, credential: str, events: list[dict]) -> int:
    return client.post("/api/v1/ingest/events", json={"gate_id": "g1", "events": events},
                       headers=_bearer(credential)).status_code


def _gate_status(client: TestClient) -> dict:
    login(client, "security")
    return client.get("/api/v1/gates/status").json()[0]


def test_new_credential_readmits_a_revoked_gate_and_retires_the_old_one(
        storage_client: TestClient) -> None:
    old = _register(storage_client)
    assert storage_client.post("/api/v1/gates/g1/revoke").json()["revoked"] is True
    events = make_events("g1", 2)
    assert _upload(storage_client, old, events[:1]) == 401
    issued = storage_client.post("/api/v1/gates/g1/credential")
    assert issued.status_code == 200
    new = issued.json()["credential"]
    assert new != old and len(new) >= 32
    assert _upload(storage_client, old, events[:1]) == 401
    assert _upload(storage_client, new, events) == 200
    assert _gate_status(storage_client)["revoked"] is False
    login(storage_client, "admin")
    actions = [e["action"] for e in storage_client.get("/api/v1/audit").json()]
    assert "issue_gate_credential" in actions


def test_registering_a_gate_id_twice_is_a_conflict(client: TestClient) -> None:
    _register(client)
    again = client.post("/api/v1/gates", json={"gate_id": "g1", "name": "again"})
    assert again.status_code == 409
    assert "already registered" in again.json()["detail"]


def test_only_admins_issue_credentials_and_unknown_gates_are_404(client: TestClient) -> None:
    _register(client)
    assert client.post("/api/v1/gates/nope/credential").status_code == 404
    login(client, "security")
    assert client.post("/api/v1/gates/g1/credential").status_code == 403


def test_silent_gate_raises_one_offline_alarm_and_a_heartbeat_brings_it_back(
        client: TestClient, clock: FakeClock) -> None:
    credential = _register(client)
    svc = client.app.state.services
    assert client.post("/api/v1/ingest/heartbeat",
                       headers=_bearer(credential)).status_code == 204
    assert _gate_status(client)["online"] is True
    clock.advance(svc.settings.gate_offline_seconds - 1)
    assert raise_offline_alarms(svc) == []
    clock.advance(2)
    assert raise_offline_alarms(svc) == ["g1"]
    assert raise_offline_alarms(svc) == []  # one alarm per silence, not one per check
    assert _gate_status(client)["online"] is False
    open_alarms = client.get("/api/v1/alarms").json()
    assert [(a["kind"], a["gate_id"]) for a in open_alarms] == [("gate_offline", "g1")]
    client.post("/api/v1/ingest/heartbeat", headers=_bearer(credential))
    assert _gate_status(client)["online"] is True
    clock.advance(svc.settings.gate_offline_seconds + 1)
    assert raise_offline_alarms(svc) == ["g1"]  # silent again: a new alarm


def test_revoked_gate_raises_no_offline_alarm(client: TestClient, clock: FakeClock) -> None:
    credential = _register(client)
    client.post("/api/v1/ingest/heartbeat", headers=_bearer(credential))
    client.post("/api/v1/gates/g1/revoke")
    clock.advance(client.app.state.services.settings.gate_offline_seconds + 1)
    assert raise_offline_alarms(client.app.state.services) == []
