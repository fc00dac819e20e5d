"""The muster list community-wide: the aggregator's last passage per person across gates, merged
with this gate's own log; this gate's list with a visible "offline" when the aggregator is
unreachable."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from aggregator_helpers import FakeClock
from conftest import login
from fastapi.testclient import TestClient
from guard_fixtures import (  # noqa: F401  (pytest fixtures, used by name)
    GUARD,
    anonymous_fixture,
    guard_ctx_fixture,
    guard_fixture,
    sim_fixture,
)
from sqlalchemy import insert

from aggregator.clock import iso
from aggregator.db.models import Event
from gate.guard.context import GuardContext
from gate.policy.model import Decision
from gate.policy.reasons import ReasonCode
from gate.uplink.client import AggregatorClient
from hw_sim.harness import SimulatedGate

EXIT = {"policy": {"direction": "exit"}}
# The real client passes its short timeout; the in-process TestClient only warns about it.
pytestmark = pytest.mark.filterwarnings("ignore:You should not use the .timeout. argument")


@pytest.fixture(name="uplink")
def uplink_fixture(storage_client: TestClient, clock: FakeClock,
                   sim: SimulatedGate) -> Iterator[AggregatorClient]:
    """The gate's real aggregator client, talking to the in-process aggregator (SQLite and
    PostgreSQL) as gate g1."""
    client = storage_client
    clock.now = sim.clock.now()  # one time line for the gate and the aggregator
    login(client, "admin")
    credential = client.app.state.services.register_gate("g1")
    made = AggregatorClient("http://testserver", credential)
    made._http.close()
    made._http = TestClient(client.app, base_url="http://testserver",
                            headers={"Authorization": f"Bearer {credential}"})
    yield made
    made.close()


def _store(client: TestClient, gate_id: str, minutes_ago: float, subject: str,
           kind: str = "access_decision", decision: str | None = "granted",
           evidence: dict | None = None) -> None:
    """An event as the aggregator stores it after ingest (the query reads only these fields)."""
    svc = client.app.state.services
    at = iso(svc.clock() - timedelta(minutes=minutes_ago))
    with svc.engine.begin() as conn:
        count = len(conn.execute(Event.__table__.select()).all())
        conn.execute(insert(Event).values(
            event_id=f"{gate_id}-{count}", gate_id=gate_id, sequence=count + 1, occurred_at=at,
            type=kind, subject=subject, decision=decision, reason=None,
            evidence=json.dumps(evidence or {}), prev_hash="0" * 64, hash=f"{count:064d}",
            received_at=at))


def test_aggregator_muster_gives_the_last_passage_per_person_across_gates(
        storage_client: TestClient, uplink: AggregatorClient) -> None:
    client = storage_client
    _store(client, "g2", 50, "r-a")                       # entered at g2
    _store(client, "g1", 40, "r-b")                       # entered at g1 ...
    _store(client, "g3", 30, "r-b", evidence=EXIT)        # ... left by g3's exit lane
    _store(client, "g2", 20, "r-c", decision="denied")    # refused: not a passage
    _store(client, "g2", 10, "r-d")
    _store(client, "g1", 5, "r-d", kind="muster_marked_left", decision=None)
    _store(client, "g2", 13 * 60, "r-e")                  # outside the 12 h window
    body = uplink.muster(12)
    people = {p["person_id"]: (p["inside"], p["gate_id"]) for p in body["people"]}
    assert people == {"r-a": (True, "g2"), "r-b": (False, "g3"), "r-d": (False, "g1")}


def test_aggregator_muster_needs_a_gate_credential(client: TestClient) -> None:
    assert client.get("/api/v1/gate/muster").status_code == 401
    bad = client.get("/api/v1/gate/muster", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401


def test_aggregator_muster_refuses_a_window_out_of_range(uplink: AggregatorClient) -> None:
    response = uplink._http.get("/api/v1/gate/muster", params={"hours": 0})
    assert response.status_code == 422


def test_guard_muster_is_community_wide_and_counts_a_local_mark_first(
        storage_client: TestClient, uplink: AggregatorClient, guard: TestClient,
        guard_ctx: GuardContext, sim: SimulatedGate) -> None:
    guard_ctx.community_muster = uplink.muster
    _store(storage_client, "g2", 30, "r-host")  # the host entered by another gate
    body = guard.get("/api/guard/muster").json()
    assert body["scope"] == "community" and body["offline"] is False
    assert [(p["person_id"], p["name"], p["gate_id"]) for p in body["people"]] == [
        ("r-host", "陈静", "g2")]
    # Marked as left here: counts at once, before the event reaches the aggregator.
    sim.clock.advance(60)
    assert guard.post("/api/guard/muster/left", json={"person_id": "r-host"}).status_code \
        == 200
    assert guard.get("/api/guard/muster").json()["people"] == []


def test_guard_muster_falls_back_to_this_gate_when_the_aggregator_is_unreachable(
        guard: TestClient, guard_ctx: GuardContext, sim: SimulatedGate) -> None:
    offline = AggregatorClient("http://127.0.0.1:9", "unused", timeout_seconds=1.0)
    guard_ctx.community_muster = offline.muster
    sim.gate.controller.executor.execute(Decision(
        granted=True, reason=ReasonCode.GRANTED_RESIDENT, subject="r-host", alarm=False,
        evidence={}))
    body = guard.get("/api/guard/muster").json()
    offline.close()
    assert body["scope"] == "gate" and body["offline"] is True
    assert [(p["person_id"], p["gate_id"]) for p in body["people"]] == [
        ("r-host", guard_ctx.gate_id)]


def test_gate_without_uplink_lists_its_own_entries_without_offline(
        guard: TestClient, guard_ctx: GuardContext) -> None:
    assert guard_ctx.community_muster is None
    body = guard.get("/api/guard/muster").json()
    assert body["scope"] == "gate" and body["offline"] is False
