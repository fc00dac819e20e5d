"""The aggregator's gate-facing visitor endpoint: registrations from a gate's guard screen are
stored with their consent and reach the other gates by sync; the phone never leaves it."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pytest
from aggregator_helpers import FakeClock
from conftest import login
from fastapi.testclient import TestClient
from sqlalchemy import select

from aggregator.api.gate_visitor_routes import expire_visitor_faces
from aggregator.db.models import Consent, FaceTemplate, Pin, Vehicle, Visitor
from aggregator.jobs import enforce_retention
from wire.schemas import SyncDelta

ALWAYS = [[[0, 1440]]] * 7
SHA = "ab" * 32


def _setup(client: TestClient) -> dict[str, str]:
    svc = client.app.state.services
    login(client, "admin")
    client.post("/api/v1/schedules", json={"schedule_id": "always", "windows": ALWAYS})
    client.post("/api/v1/groups", json={"group_id": "residents", "schedule_id": "always"})
    assert client.post("/api/v1/residents", json={
        "person_id": "r1", "display_name": "陈静", "unit": "3-2-1201",
        "groups": ["residents"]}).status_code == 200
    return {"Authorization": f"Bearer {svc.register_gate('g1')}"}


def _registration(clock: FakeClock, **changes: object) -> dict[str, object]:
    start = clock.now
    body: dict[str, object] = {
        "person_id": "v-0123456789ab", "display_name": "李雷", "phone": "13812345678",
        "host_unit": "3-2-1201", "purpose": "探亲",
        "valid_from": start.isoformat(), "valid_until": start.replace(hour=16).isoformat(),
        "max_entries": 2, "plate": None, "registered_by": "g-wang",
        "face": {"recogniser": "sface",
                 "vector": np.random.default_rng(1).normal(size=128).tolist(),
                 "source_sha256": SHA},
        "consent": {"consent_id": 1, "consented_by": "visitor", "minor": False,
                    "guardian_name": None, "purpose": "visitor face recognition"},
        "pin_hash": None,
    }
    body.update(changes)
    return body


def _delta(client: TestClient, headers: dict, since: int = 0) -> SyncDelta:
    response = client.get("/api/v1/sync", params={"since_version": since}, headers=headers)
    return SyncDelta.model_validate(response.json())


def test_gate_registration_is_stored_with_consent_and_synced_without_phone(
        client: TestClient, clock: FakeClock) -> None:
    headers = _setup(client)
    response = client.post("/api/v1/gate/visitors", json=_registration(clock), headers=headers)
    assert response.status_code == 201, response.text
    svc = client.app.state.services
    with svc.engine.connect() as conn:
        visitor = conn.execute(select(Visitor)).one()
        consent = conn.execute(select(Consent)).one()
        template = conn.execute(select(FaceTemplate)).one()
    assert visitor.phone == "13812345678" and visitor.registered_gate == "g1"
    assert consent.recorded_by == "g1/g-wang" and template.consent_id == consent.id
    delta = _delta(client, headers)
    assert "v-0123456789ab" in {p.person_id for p in delta.people}
    assert [v.person_id for v in delta.visitors] == ["v-0123456789ab"]
    assert "v-0123456789ab" in {f.person_id for f in delta.face_templates}
    assert "13812345678" not in delta.model_dump_json()


def test_resending_a_registration_changes_nothing(client: TestClient, clock: FakeClock) -> None:
    headers = _setup(client)
    for _ in range(2):
        assert client.post("/api/v1/gate/visitors", json=_registration(clock),
                           headers=headers).status_code == 201
    svc = client.app.state.services
    with svc.engine.connect() as conn:
        assert len(conn.execute(select(Consent)).all()) == 1
        assert len(conn.execute(select(FaceTemplate)).all()) == 1


def test_registration_needs_a_gate_credential(client: TestClient, clock: FakeClock) -> None:
    _setup(client)
    response = client.post("/api/v1/gate/visitors", json=_registration(clock))
    assert response.status_code == 401
    bad = client.post("/api/v1/gate/visitors", json=_registration(clock),
                      headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401


@pytest.mark.parametrize(("changes", "needle"), [
    ({"consent": None}, "consent"),
    ({"phone": "123"}, "phone"),
    ({"consent": {"consented_by": "guardian", "minor": True, "purpose": "x"}}, "guardian"),
    ({"face": None, "consent": None}, "face template or a pass PIN"),
    ({"valid_until": "2020-01-01T00:00:00Z"}, "after valid_from"),
    ({"display_name": ""}, "display_name"),
])
def test_malformed_registration_is_refused_with_a_reason(
        client: TestClient, clock: FakeClock, changes: dict, needle: str) -> None:
    headers = _setup(client)
    response = client.post("/api/v1/gate/visitors", json=_registration(clock, **changes),
                           headers=headers)
    assert response.status_code == 422
    assert needle in response.json()["detail"]


def test_unknown_host_unit_and_resident_ids_are_refused(client: TestClient,
                                                        clock: FakeClock) -> None:
    headers = _setup(client)
    unit = client.post("/api/v1/gate/visitors", json=_registration(clock, host_unit="9-9"),
                       headers=headers)
    assert unit.status_code == 422 and "no resident" in unit.json()["detail"]
    resident = client.post("/api/v1/gate/visitors", json=_registration(clock, person_id="r1"),
                           headers=headers)
    assert resident.status_code == 409


def test_visit_end_deletes_the_template_centrally_and_tells_the_gates(
        client: TestClient, clock: FakeClock) -> None:
    headers = _setup(client)
    client.post("/api/v1/gate/visitors", json=_registration(clock), headers=headers)
    version = _delta(client, headers).to_version
    svc = client.app.state.services
    with svc.engine.begin() as conn:
        assert expire_visitor_faces(conn, clock.now) == []
    clock.advance(9 * 3600)
    with svc.engine.begin() as conn:
        assert expire_visitor_faces(conn, clock.now) == ["v-0123456789ab"]
        assert conn.execute(select(FaceTemplate)).all() == []
    delta = _delta(client, headers, version)
    [faces] = [f for f in delta.face_templates if f.person_id == "v-0123456789ab"]
    assert faces.templates == []
    assert json.loads(delta.model_dump_json())["to_version"] > version


def _visitor(client: TestClient) -> Visitor:
    with client.app.state.services.engine.connect() as conn:
        return conn.execute(select(Visitor)).one()


def test_plate_of_another_person_is_refused_and_left_with_them(
        client: TestClient, clock: FakeClock) -> None:
    headers = _setup(client)
    svc = client.app.state.services
    with svc.engine.begin() as conn:
        conn.execute(Vehicle.__table__.insert().values(plate="粤B12345", person_id="r1",
                                                       unit="3-2-1201"))
    response = client.post("/api/v1/gate/visitors", json=_registration(clock, plate="粤B12345"),
                           headers=headers)
    assert response.status_code == 409 and "plate" in response.json()["detail"]
    with svc.engine.connect() as conn:
        assert conn.execute(select(Vehicle.person_id)).scalars().all() == ["r1"]
        assert conn.execute(select(Visitor)).all() == []  # nothing of the visitor stored


def test_plate_is_normalised_and_checked(client: TestClient, clock: FakeClock) -> None:
    headers = _setup(client)
    bad = client.post("/api/v1/gate/visitors", json=_registration(clock, plate="ABC12345"),
                      headers=headers)
    assert bad.status_code == 422 and "plate" in str(bad.json()["detail"])
    good = client.post("/api/v1/gate/visitors", json=_registration(clock, plate="粤b·12345"),
                       headers=headers)
    assert good.status_code == 201, good.text
    with client.app.state.services.engine.connect() as conn:
        assert conn.execute(select(Vehicle.plate)).scalars().all() == ["粤B12345"]


@pytest.mark.parametrize(("changes", "needle"), [
    ({"max_entries": 21}, "max_entries"),
    ({"valid_until": 8}, "7 days"),
])
def test_pass_beyond_the_visitor_limits_is_refused(client: TestClient, clock: FakeClock,
                                                   changes: dict, needle: str) -> None:
    headers = _setup(client)
    if "valid_until" in changes:  # days after now
        changes = {"valid_until": (clock.now + timedelta(days=8)).isoformat()}
    response = client.post("/api/v1/gate/visitors", json=_registration(clock, **changes),
                           headers=headers)
    assert response.status_code == 422 and needle in str(response.json()["detail"])


def test_late_delivery_of_an_ended_pass_records_the_visitor_without_the_face(
        client: TestClient, clock: FakeClock) -> None:
    headers = _setup(client)
    start = clock.now - timedelta(hours=3)
    body = _registration(clock, valid_from=start.isoformat(),
                         valid_until=(start + timedelta(hours=2)).isoformat())
    response = client.post("/api/v1/gate/visitors", json=body, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["template_id"] is None
    with client.app.state.services.engine.connect() as conn:
        assert conn.execute(select(FaceTemplate)).all() == []
        assert conn.execute(select(Consent)).all() == []
    assert _visitor(client).person_id == "v-0123456789ab"


def test_ended_registration_without_private_data_is_accepted(
        client: TestClient, clock: FakeClock) -> None:
    headers = _setup(client)
    body = _registration(clock, face=None, consent=None, phone=None, ended=True)
    assert client.post("/api/v1/gate/visitors", json=body, headers=headers).status_code == 201
    visitor = _visitor(client)
    assert visitor.phone is None and visitor.purpose == "探亲"
    with client.app.state.services.engine.connect() as conn:
        assert conn.execute(select(Pin)).all() == []
    # Ended, yet carrying a face: a gate bug, refused rather than stored.
    wrong = client.post("/api/v1/gate/visitors", headers=headers,
                        json=_registration(clock, phone=None, ended=True))
    assert wrong.status_code == 422


def test_retention_clears_phone_and_purpose_30_days_after_the_visit(
        client: TestClient, clock: FakeClock) -> None:
    headers = _setup(client)
    client.post("/api/v1/gate/visitors", json=_registration(clock), headers=headers)
    svc = client.app.state.services
    clock.advance(30 * 86400)  # the pass ended at 16:00 30 days ago, less 8 hours
    assert enforce_retention(svc).visitor_contacts_cleared == 0
    assert _visitor(client).phone == "13812345678"
    clock.advance(86400)
    assert enforce_retention(svc).visitor_contacts_cleared == 1
    visitor = _visitor(client)
    assert visitor.phone is None and visitor.purpose is None
    assert visitor.person_id == "v-0123456789ab"  # who came is still on record
