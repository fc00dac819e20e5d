"""A visitor registered at the gate survives a full sync while the registration still waits in
the outbox (gate start, PIN salt change), and syncs like everyone else once the aggregator
has sent it back."""

from __future__ import annotations

from typing import Any

import pytest
from aggregator_helpers import FakeClock
from conftest import login
from fastapi.testclient import TestClient
from guard_fixtures import (  # noqa: F401  (pytest fixtures, used by name)
    HOST_UNIT,
    anonymous_fixture,
    guard_ctx_fixture,
    guard_fixture,
    sim_fixture,
    visitor_form,
)

from gate.directory.store import DirectoryStore
from gate.guard.context import GuardContext
from gate.guard.outbox import VisitorOutbox
from gate.sync.apply import apply_delta
from wire.schemas import SyncDelta

ALWAYS = [[[0, 1440]]] * 7
PLATE = "粤B12345"


@pytest.fixture(name="central")
def central_fixture(client: TestClient, clock: FakeClock) -> dict[str, str]:
    """The aggregator with the host household; returns a gate's auth header."""
    login(client, "admin")
    client.post("/api/v1/schedules", json={"schedule_id": "always", "windows": ALWAYS})
    client.post("/api/v1/groups", json={"group_id": "residents", "schedule_id": "always"})
    assert client.post("/api/v1/residents", json={
        "person_id": "r1", "display_name": "陈静", "unit": HOST_UNIT,
        "groups": ["residents"]}).status_code == 200
    return {"Authorization": f"Bearer {client.app.state.services.register_gate('g1')}"}


def _pull(client: TestClient, headers: dict[str, str], directory: DirectoryStore,
          since: int = 0, **changes: Any) -> int:
    delta = SyncDelta.model_validate(
        client.get("/api/v1/sync", params={"since_version": since}, headers=headers).json())
    apply_delta(directory, delta.model_copy(update=changes))
    return delta.to_version


def _register(guard: TestClient) -> dict[str, Any]:
    response = guard.post("/api/guard/visitors", json=visitor_form(plate=PLATE))
    assert response.status_code == 201, response.text
    return response.json()


def test_full_sync_keeps_a_visitor_whose_registration_waits_in_the_outbox(
        client: TestClient, central: dict[str, str], guard: TestClient,
        guard_ctx: GuardContext) -> None:
    directory = guard_ctx.directory
    _pull(client, central, directory)  # the gate adopts the community's salt and residents
    body = _register(guard)
    person_id = body["person_id"]
    assert guard_ctx.store.pending() != []  # the aggregator has not received it
    _pull(client, central, directory)  # the gate restarts: a full copy without the visitor
    snapshot = directory.snapshot()
    assert person_id in snapshot.people and person_id in snapshot.visitors
    assert directory.person_for_pin(body["pass_pin"]) == person_id
    assert directory.vehicle_owner(PLATE) == person_id
    assert directory.unsynced_people() == {person_id}


def test_a_pin_salt_change_keeps_the_unsynced_visitor_and_pass(
        client: TestClient, central: dict[str, str], guard: TestClient,
        guard_ctx: GuardContext) -> None:
    directory = guard_ctx.directory
    _pull(client, central, directory)
    person_id = _register(guard)["person_id"]
    _pull(client, central, directory, pin_salt="0f" * 16)
    snapshot = directory.snapshot()
    assert person_id in snapshot.people and person_id in snapshot.visitors
    assert directory.vehicle_owner(PLATE) == person_id
    # The PIN itself cannot survive: the gate keeps only its hash under the old salt.
    assert person_id not in directory.pin_holders()


def test_once_delivered_and_synced_back_the_visitor_syncs_like_everyone_else(
        client: TestClient, central: dict[str, str], guard: TestClient,
        guard_ctx: GuardContext) -> None:
    directory = guard_ctx.directory
    version = _pull(client, central, directory)
    person_id = _register(guard)["person_id"]

    def post(payload: dict[str, Any]) -> None:
        response = client.post("/api/v1/gate/visitors", json=payload, headers=central)
        assert response.status_code == 201, response.text

    assert VisitorOutbox(guard_ctx.store, post).drain_once() == 1
    _pull(client, central, directory, version)  # the delta names the visitor
    assert directory.unsynced_people() == set()
    assert person_id in directory.snapshot().visitors
    assert client.delete(f"/api/v1/residents/{person_id}").status_code in (200, 204)
    _pull(client, central, directory)  # a full copy now drops them like anyone deleted
    assert person_id not in directory.snapshot().people
