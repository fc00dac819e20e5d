"""The guard outbox against the real aggregator: a refused registration leaves the queue, loses
its private data and raises an alarm, without blocking later ones; a registration whose visit
ended before delivery reaches the aggregator without face, consent or phone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aggregator_helpers import FakeClock
from conftest import login
from fastapi.testclient import TestClient
from guard_fixtures import (  # noqa: F401  (pytest fixtures, used by name)
    FACE_PHOTO,
    HOST_UNIT,
    anonymous_fixture,
    events,
    guard_ctx_fixture,
    guard_fixture,
    show,
    sim_fixture,
    visitor_form,
)
from sqlalchemy import select

from aggregator.db.models import Consent, FaceTemplate, Visitor
from gate.guard.context import GuardContext
from gate.guard.outbox import VisitorOutbox
from gate.uplink.client import UplinkError, UplinkRejectedError
from gate.vision.images import read_image
from hw_sim.harness import SimulatedGate

ALWAYS = [[[0, 1440]]] * 7


def _gate_headers(client: TestClient, with_host: bool) -> dict[str, str]:
    login(client, "admin")
    if with_host:
        client.post("/api/v1/schedules", json={"schedule_id": "always", "windows": ALWAYS})
        client.post("/api/v1/groups", json={"group_id": "residents", "schedule_id": "always"})
        assert client.post("/api/v1/residents", json={
            "person_id": "r1", "display_name": "陈静", "unit": HOST_UNIT,
            "groups": ["residents"]}).status_code == 200
    return {"Authorization": f"Bearer {client.app.state.services.register_gate('g1')}"}


def _poster(client: TestClient, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    """What `AggregatorClient.send_visitor` does, through the in-process aggregator."""
    def post(payload: dict[str, Any]) -> None:
        response = client.post("/api/v1/gate/visitors", json=payload, headers=headers)
        if response.status_code >= 400:
            raise UplinkRejectedError(response.status_code, str(response.json()["detail"]))
    return post


def test_refused_registration_leaves_the_queue_without_its_phone_and_raises_an_alarm(
        client: TestClient, guard: TestClient, guard_ctx: GuardContext) -> None:
    headers = _gate_headers(client, with_host=False)  # the aggregator knows no such unit
    person_id = guard.post("/api/guard/visitors", json=visitor_form()).json()["person_id"]
    outbox = VisitorOutbox(guard_ctx.store, _poster(client, headers),
                           event_log=guard_ctx.event_log)
    assert outbox.drain_once() == 0
    assert guard_ctx.store.pending() == []  # not re-sent every 5 s
    [(_, why, kept)] = guard_ctx.store.refused_rows()
    assert why == "HTTP 422"  # not the reply, which may quote what was sent
    assert kept["person_id"] == person_id
    assert kept["phone"] is kept["pin_hash"] is kept["face"] is None
    [alarm] = events(guard_ctx, "visitor_delivery_refused")
    assert alarm.subject == person_id and alarm.evidence["alarm"] is True
    assert "13812345678" not in str(alarm.evidence)
    listed = guard.get("/api/guard/alarms").json()
    assert [(a["type"], a["acknowledged_by"]) for a in listed] == [
        ("visitor_delivery_refused", None)]
    assert person_id in guard_ctx.directory.snapshot().visitors  # still valid at this gate


def test_refused_rows_do_not_block_later_registrations(guard_ctx: GuardContext) -> None:
    for n in range(21):
        guard_ctx.store.enqueue("visitor_registration", {"person_id": f"v-bad{n}"})
    guard_ctx.store.enqueue("visitor_registration", {"person_id": "v-good"})
    delivered: list[str] = []

    def post(payload: dict[str, Any]) -> None:
        if payload["person_id"].startswith("v-bad"):
            raise UplinkRejectedError(409, "this pass PIN is in use")
        delivered.append(payload["person_id"])

    outbox = VisitorOutbox(guard_ctx.store, post, event_log=guard_ctx.event_log)
    outbox.drain_once()
    outbox.drain_once()
    assert delivered == ["v-good"]
    assert guard_ctx.store.pending() == []
    assert len(guard_ctx.store.refused_rows()) == 21


def test_a_refused_gate_credential_keeps_the_row_for_later(guard: TestClient,
                                                           guard_ctx: GuardContext) -> None:
    guard.post("/api/guard/visitors", json=visitor_form())

    def post(_payload: dict[str, Any]) -> None:
        raise UplinkRejectedError(401, "unknown or revoked gate credential")

    with pytest.raises(UplinkError):
        VisitorOutbox(guard_ctx.store, post).drain_once()
    assert len(guard_ctx.store.pending()) == 1 and guard_ctx.store.refused_rows() == []


def test_registration_delivered_after_the_visit_carries_no_face_or_phone(
        client: TestClient, clock: FakeClock, guard: TestClient, guard_ctx: GuardContext,
        sim: SimulatedGate, faces_root: Path) -> None:
    headers = _gate_headers(client, with_host=True)
    show(guard_ctx, read_image(faces_root / FACE_PHOTO))
    capture_id = guard.post("/api/guard/captures", json={"consent": True}).json()["capture_id"]
    form = visitor_form(credential="face", consent=True, capture_id=capture_id,
                        valid_until="2026-01-05T09:00:00Z")
    person_id = guard.post("/api/guard/visitors", json=form).json()["person_id"]
    sim.clock.advance(2 * 3600)  # the aggregator was unreachable all visit long
    clock.now = sim.clock.now()
    assert VisitorOutbox(guard_ctx.store, _poster(client, headers)).drain_once() == 1
    with client.app.state.services.engine.connect() as conn:
        visitor = conn.execute(select(Visitor)).one()
        assert conn.execute(select(FaceTemplate)).all() == []
        assert conn.execute(select(Consent)).all() == []
    assert visitor.person_id == person_id and visitor.phone is None
