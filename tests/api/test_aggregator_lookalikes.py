"""The central gallery knows its look-alikes: flags follow every template change and reach gates.

Real SFace templates from real photos: two photos of one East-Asian person (`ea_d01`, cosine
distance 0.24 apart) enrolled under two resident ids, and a different person (`ea_d02`, more
than 0.8 away from both).
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from alembic import command
from conftest import login
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from aggregator.db.engine import alembic_config, make_engine
from aggregator.db.models import AuditEntry
from gate.directory.store import DirectoryStore
from gate.policy.engine import PolicySettings, decide
from gate.policy.model import AccessRequest, CredentialKind
from gate.policy.reasons import ReasonCode
from gate.sync.apply import apply_delta
from hw_sim.datasets import identity_images
from wire.schemas import SyncDelta

ALWAYS = [[[0, 1440]]] * 7
TWIN_PHOTOS = (("ea_d01", 0), ("ea_d01", 2))
OTHER_PHOTO = ("ea_d02", 0)


def _photo(faces_root: Path, identity: str, index: int) -> bytes:
    return identity_images(faces_root)[identity][index].read_bytes()


def _enrol(client: TestClient, person_id: str, photo: bytes) -> int:
    response = client.post(f"/api/v1/residents/{person_id}/faces", data={"consent": "true"},
                           files={"photo": ("face.jpg", photo, "image/jpeg")})
    assert response.status_code == 201, response.text
    return response.json()["template_id"]


def _gallery(client: TestClient, faces_root: Path) -> dict[str, int]:
    """p1 and p2: one person under two ids; p3: someone else. Returns template ids."""
    login(client, "admin")
    client.post("/api/v1/schedules", json={"schedule_id": "always", "windows": ALWAYS})
    client.post("/api/v1/groups", json={"group_id": "residents", "schedule_id": "always"})
    photos = {"p1": TWIN_PHOTOS[0], "p2": TWIN_PHOTOS[1], "p3": OTHER_PHOTO}
    templates = {}
    for person_id, (identity, index) in photos.items():
        assert client.post("/api/v1/residents", json={
            "person_id": person_id, "display_name": f"Resident {person_id}", "unit": "1-101",
            "groups": ["residents"]}).status_code == 200
        templates[person_id] = _enrol(client, person_id, _photo(faces_root, identity, index))
    return templates


def _flags(client: TestClient) -> dict[str, tuple[bool, list[str]]]:
    return {r["person_id"]: (r["lookalike"], r["lookalike_of"])
            for r in client.get("/api/v1/residents").json()}


def _audits(client: TestClient, action: str) -> list[dict]:
    with client.app.state.services.engine.connect() as conn:
        return [json.loads(d) for d in conn.execute(
            select(AuditEntry.detail).where(AuditEntry.action == action)
            .order_by(AuditEntry.id)).scalars()]


def test_one_person_enrolled_under_two_ids_flags_both(storage_client: TestClient,
                                                      faces_root: Path) -> None:
    client = storage_client
    _gallery(client, faces_root)
    assert _flags(client) == {"p1": (True, ["p2"]), "p2": (True, ["p1"]), "p3": (False, [])}
    flagged = _audits(client, "lookalike_flagged")
    assert [entry["person_id"] for entry in flagged] == ["p1", "p2"]
    assert flagged[0]["lookalike_of"] == ["p2"] and flagged[0]["nearest_distance"] < 0.40


def test_deleting_one_lookalike_resident_clears_the_other(storage_client: TestClient,
                                                          faces_root: Path) -> None:
    client = storage_client
    _gallery(client, faces_root)
    assert client.delete("/api/v1/residents/p2").status_code == 204
    assert _flags(client) == {"p1": (False, []), "p3": (False, [])}
    assert _audits(client, "lookalike_cleared") == [{"person_id": "p1"}]


def test_deleting_the_close_template_clears_both_flags(client: TestClient,
                                                       faces_root: Path) -> None:
    templates = _gallery(client, faces_root)
    response = client.delete(f"/api/v1/residents/p2/faces/{templates['p2']}")
    assert response.status_code == 204
    assert _flags(client) == {"p1": (False, []), "p2": (False, []), "p3": (False, [])}
    assert client.delete(f"/api/v1/residents/p2/faces/{templates['p2']}").status_code == 404


def test_editing_a_resident_keeps_their_faces_and_flag(client: TestClient,
                                                       faces_root: Path) -> None:
    _gallery(client, faces_root)
    response = client.put("/api/v1/residents/p1", json={
        "person_id": "p1", "display_name": "Renamed", "unit": "1-102", "lookalike": False})
    assert response.status_code == 200
    assert response.json()["face_templates"] == 1
    assert (response.json()["lookalike"], response.json()["lookalike_of"]) == (True, ["p2"])


def test_a_request_cannot_set_the_flag(client: TestClient) -> None:
    login(client, "admin")
    response = client.post("/api/v1/residents", json={
        "person_id": "p9", "display_name": "A", "unit": "1", "lookalike": True})
    assert response.status_code == 200
    assert response.json()["lookalike"] is False


def test_guard_sees_only_whether_a_second_factor_is_needed(client: TestClient,
                                                           faces_root: Path) -> None:
    _gallery(client, faces_root)
    login(client, "guard")
    assert client.get("/api/v1/residents/p1").status_code == 403
    assert client.get("/api/v1/residents/p1/second-factor").json() == {
        "person_id": "p1", "lookalike": True}
    assert client.get("/api/v1/residents/p3/second-factor").json()["lookalike"] is False


def _sync(client: TestClient, headers: dict[str, str], since: int) -> SyncDelta:
    return SyncDelta.model_validate(
        client.get("/api/v1/sync", params={"since_version": since}, headers=headers).json())


def _face_only(directory: DirectoryStore, person_id: str) -> ReasonCode:
    request = AccessRequest(gate_id="g1", now=datetime(2026, 1, 6, 9, tzinfo=UTC),
                            credential=CredentialKind.FACE, subject=person_id,
                            liveness_passed=True)
    return decide(request, directory.snapshot(), PolicySettings()).reason


def test_flag_reaches_the_gate_whose_policy_then_asks_for_a_second_factor(
        client: TestClient, faces_root: Path, tmp_path: Path) -> None:
    _gallery(client, faces_root)
    headers = {"Authorization": f"Bearer {client.app.state.services.register_gate('g1')}"}
    with DirectoryStore(tmp_path / "gate.db") as directory:
        first = _sync(client, headers, 0)
        assert {p.person_id: p.lookalike for p in first.people} == {
            "p1": True, "p2": True, "p3": False}
        apply_delta(directory, first)
        assert _face_only(directory, "p1") is ReasonCode.DENIED_SECOND_FACTOR_REQUIRED
        assert _face_only(directory, "p3") is ReasonCode.GRANTED_RESIDENT
        login(client, "admin")
        assert client.delete("/api/v1/residents/p2").status_code == 204
        delta = _sync(client, headers, first.to_version)
        assert [(p.person_id, p.lookalike) for p in delta.people] == [("p1", False)]


def test_a_sync_keeps_a_flag_the_gate_raised_itself(client: TestClient, faces_root: Path,
                                                    tmp_path: Path) -> None:
    _gallery(client, faces_root)
    headers = {"Authorization": f"Bearer {client.app.state.services.register_gate('g1')}"}
    with DirectoryStore(tmp_path / "gate.db") as directory:
        apply_delta(directory, _sync(client, headers, 0))
        person = directory.person("p3")
        assert person is not None
        directory.upsert_person(dataclasses.replace(person, lookalike_flag=True))  # local finding
        apply_delta(directory, _sync(client, headers, 0))
        assert directory.person("p3").lookalike_flag is True  # type: ignore[union-attr]



def test_upgrading_a_database_with_templates_computes_its_flags(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config(engine)
    vector = np.random.default_rng(7).normal(size=128).astype("<f4")
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0003")
        for person_id, sign in (("p1", 1), ("p2", 1), ("p3", -1)):
            conn.execute(text("INSERT INTO residents (person_id, display_name, unit, kind, "
                              "groups_json, enabled) VALUES (:p, 'A', '1', 'resident', '[]', 1)"),
                         {"p": person_id})
            conn.execute(text("INSERT INTO consents (person_id, recorded_by, recorded_at, "
                              "photo_sha256, purpose) VALUES (:p, 'admin', 't', :s, 'test')"),
                         {"p": person_id, "s": "0" * 64})
            conn.execute(text("INSERT INTO face_templates (person_id, recogniser, vector, "
                              "source_sha256, consent_id, created_at) VALUES (:p, 'sface', :v, "
                              ":s, (SELECT MAX(id) FROM consents), 't')"),
                         {"p": person_id, "v": (sign * vector).tobytes(), "s": "0" * 64})
        command.upgrade(config, "head")
        stored = {person_id: others for person_id, others in conn.execute(
            text("SELECT person_id, lookalike_of_json FROM residents"))}
        changed = conn.execute(text("SELECT key FROM directory_changes")).scalars().all()
    engine.dispose()
    assert stored == {"p1": '["p2"]', "p2": '["p1"]', "p3": "[]"}
    assert sorted(changed) == ["p1", "p2"]
