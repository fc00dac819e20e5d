"""The aggregator notices a plate let in again while it is still inside (a cloned plate?)."""

from __future__ import annotations

from aggregator_helpers import make_events
from conftest import login
from fastapi.testclient import TestClient

from wire.chain import GENESIS_HASH


def _lane_events(gate_id: str, directions: list[str], plate: str = "粤B12345") -> list[dict]:
    """Granted plate decisions of one lane, one per direction, chained."""
    events, prev = [], GENESIS_HASH
    for index, direction in enumerate(directions, start=1):
        event = make_events(gate_id, 1, first=index, prev=prev, evidence={
            "plate": plate, "direction": direction}, reason="granted_resident")[0]
        prev = event["hash"]
        events.append(event)
    return events


def _push(client: TestClient, gate_id: str, events: list[dict]) -> None:
    credential = client.app.state.services.register_gate(gate_id)
    response = client.post("/api/v1/ingest/events", json={"gate_id": gate_id, "events": events},
                           headers={"Authorization": f"Bearer {credential}"})
    assert response.status_code == 200, response.text


def _clone_alarms(client: TestClient) -> list[dict]:
    login(client, "security")
    return [a for a in client.get("/api/v1/alarms").json()
            if a["kind"] == "plate_clone_suspected"]


def test_a_second_entry_without_an_exit_raises_a_clone_alarm(
        storage_client: TestClient) -> None:
    # entry, exit, entry, entry: the last one came in while the car was inside.
    _push(storage_client, "car-lane", _lane_events("car-lane", ["entry", "exit", "entry",
                                                                "entry"]))
    alarms = _clone_alarms(storage_client)
    assert len(alarms) == 1
    assert "12345" not in alarms[0]["detail"]  # the plate is masked in the alarm text


def test_entries_and_exits_in_turn_raise_nothing(storage_client: TestClient) -> None:
    _push(storage_client, "car-lane", _lane_events("car-lane", ["entry", "exit"] * 3))
    assert _clone_alarms(storage_client) == []


def test_a_community_without_exit_cameras_gets_no_clone_alarms(
        storage_client: TestClient) -> None:
    _push(storage_client, "car-in", _lane_events("car-in", ["entry"] * 4))
    assert _clone_alarms(storage_client) == []
