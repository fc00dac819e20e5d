"""Console search: each filter of the form narrows the result to exactly the matching events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aggregator_helpers import T0, make_events
from conftest import login
from fastapi.testclient import TestClient

from wire.chain import GENESIS_HASH

# (gate, sequence) -> fields; gate g1 at T0 + sequence seconds, g2 one hour later.
ROWS = {
    ("g1", 1): {"subject": "p1", "decision": "granted", "reason": "granted_resident"},
    ("g1", 2): {"subject": None, "decision": "denied", "reason": "denied_unknown_face"},
    ("g1", 3): {"subject": None, "decision": None, "reason": None, "type": "door_forced"},
    ("g2", 1): {"subject": "p2", "decision": "denied", "reason": "denied_schedule"},
    ("g2", 2): {"subject": "v1", "decision": "granted", "reason": "granted_visitor",
                "evidence": {"plate": "京A12345"}},
}


@pytest.fixture
def seeded(storage_client: TestClient) -> dict[tuple[str, int], str]:
    """The events of ROWS stored; returns their event ids."""
    svc = storage_client.app.state.services
    login(storage_client, "admin")
    for person_id, name, unit in (("p1", "王小明", "1-101"), ("p2", "李娜", "2-202")):
        assert storage_client.post("/api/v1/residents", json={
            "person_id": person_id, "display_name": name, "unit": unit}).status_code == 200
    ids = {}
    for gate_id, start in (("g1", T0), ("g2", T0 + timedelta(hours=1))):
        prev = GENESIS_HASH
        credential = svc.register_gate(gate_id)
        events = []
        for (gate, sequence), fields in ROWS.items():
            if gate != gate_id:
                continue
            event = make_events(gate_id, 1, first=sequence, prev=prev, start=start, **fields)[0]
            prev = event["hash"]
            events.append(event)
            ids[(gate, sequence)] = event["event_id"]
        response = storage_client.post(
            "/api/v1/ingest/events", json={"gate_id": gate_id, "events": events},
            headers={"Authorization": f"Bearer {credential}"})
        assert response.status_code == 200, response.text
    return ids


@pytest.mark.parametrize(("params", "expected"), [
    ({"gate": "g2"}, [("g2", 1), ("g2", 2)]),
    ({"person": "p1"}, [("g1", 1)]),
    ({"person": "李"}, [("g2", 1)]),  # part of a resident's name
    ({"unit": "2-202"}, [("g2", 1)]),
    ({"plate": "京a 12345"}, [("g2", 2)]),
    ({"type": "door_forced"}, [("g1", 3)]),
    ({"decision": "denied"}, [("g1", 2), ("g2", 1)]),
    ({"reason": "granted_visitor"}, [("g2", 2)]),
    ({"from": "2026-01-05T08:30:00Z"}, [("g2", 1), ("g2", 2)]),
    ({"to": "2026-01-05T08:00:02.500Z"}, [("g1", 1), ("g1", 2)]),
    ({"gate": "g1", "decision": "granted"}, [("g1", 1)]),
])
def test_each_filter_finds_exactly_its_events(storage_client: TestClient,
                                              seeded: dict[tuple[str, int], str],
                                              params: dict[str, str],
                                              expected: list[tuple[str, int]]) -> None:
    login(storage_client, "security")
    response = storage_client.get("/api/v1/events", params=params)
    assert response.status_code == 200, response.text
    found = {e["event_id"] for e in response.json()["items"]}
    assert found == {seeded[key] for key in expected}


def test_results_come_newest_first_across_pages(storage_client: TestClient,
                                                seeded: dict[tuple[str, int], str]) -> None:
    login(storage_client, "security")
    order, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = storage_client.get("/api/v1/events", params=params).json()
        order += [e["event_id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    newest_first = [("g2", 2), ("g2", 1), ("g1", 3), ("g1", 2), ("g1", 1)]
    assert order == [seeded[key] for key in newest_first]


def test_a_time_that_is_not_iso_is_refused_with_an_example(storage_client: TestClient) -> None:
    login(storage_client, "security")
    response = storage_client.get("/api/v1/events", params={"from": "yesterday"})
    assert response.status_code == 422
    assert "ISO-8601" in response.json()["detail"]
