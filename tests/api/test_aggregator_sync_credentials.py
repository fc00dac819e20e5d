"""Sync down of cards, PINs and visitor passes: central changes reach the gate's directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import login
from fastapi.testclient import TestClient

from gate.directory.credential_rows import CredentialType
from gate.directory.store import DirectoryStore
from gate.sync.apply import PinSaltChangedError, apply_delta
from wire.schemas import SyncDelta

ALWAYS = [[[0, 1440]]] * 7


def _setup(client: TestClient) -> dict[str, str]:
    login(client, "admin")
    client.post("/api/v1/schedules", json={"schedule_id": "always", "windows": ALWAYS})
    client.post("/api/v1/groups", json={"group_id": "residents", "schedule_id": "always"})
    for pid, kind in (("p1", "resident"), ("p2", "resident"), ("v1", "visitor")):
        assert client.post("/api/v1/residents", json={
            "person_id": pid, "display_name": f"Person {pid}", "unit": "1-101", "kind": kind,
            "groups": ["residents"] if kind == "resident" else []}).status_code == 200
    assert client.post("/api/v1/cards", json={"card_number": "12345678",
                                              "person_id": "p1"}).status_code == 200
    assert client.put("/api/v1/residents/p2/pin", json={"pin": "2468"}).status_code == 204
    assert client.post("/api/v1/visitors", json={
        "person_id": "v1", "host_unit": "1-101", "valid_from": "2026-01-01T00:00:00Z",
        "valid_until": "2026-12-31T00:00:00Z", "max_entries": 2}).status_code == 200
    svc = client.app.state.services
    return {"Authorization": f"Bearer {svc.register_gate('g1')}"}


def _pull(client: TestClient, headers: dict, directory: DirectoryStore, since: int) -> int:
    delta = SyncDelta.model_validate(
        client.get("/api/v1/sync", params={"since_version": since}, headers=headers).json())
    apply_delta(directory, delta)
    return delta.to_version


def test_full_sync_brings_cards_pins_and_visitor_passes(client: TestClient,
                                                        tmp_path: Path) -> None:
    headers = _setup(client)
    with DirectoryStore(tmp_path / "gate.db") as directory:
        _pull(client, headers, directory, 0)
        assert directory.person_for_card("12345678") == "p1"
        assert directory.person_for_pin("2468") == "p2"
        assert directory.person_for_pin("1357") is None
        assert "v1" in directory.snapshot().visitors


def test_pins_travel_only_as_hashes(client: TestClient) -> None:
    headers = _setup(client)
    body = client.get("/api/v1/sync", params={"since_version": 0}, headers=headers).text
    assert "2468" not in body
    assert '"pin_hash":"scrypt$16384$8$1$' in body


def test_central_deletions_remove_card_pin_and_visitor_pass_at_next_sync(
        client: TestClient, tmp_path: Path) -> None:
    headers = _setup(client)
    with DirectoryStore(tmp_path / "gate.db") as directory:
        version = _pull(client, headers, directory, 0)
        assert client.delete("/api/v1/cards/12345678").status_code == 204
        assert client.delete("/api/v1/residents/p2/pin").status_code == 204
        assert client.delete("/api/v1/visitors/v1").status_code == 204
        _pull(client, headers, directory, version)
        assert directory.person_for_card("12345678") is None
        assert directory.person_for_pin("2468") is None
        snapshot = directory.snapshot()
        assert "v1" not in snapshot.visitors
        assert "v1" in snapshot.people  # only the pass went, not the person


def test_a_changed_pin_replaces_the_old_one_at_the_gate(client: TestClient,
                                                        tmp_path: Path) -> None:
    headers = _setup(client)
    with DirectoryStore(tmp_path / "gate.db") as directory:
        version = _pull(client, headers, directory, 0)
        assert client.put("/api/v1/residents/p2/pin", json={"pin": "97531"}).status_code == 204
        _pull(client, headers, directory, version)
        assert directory.person_for_pin("2468") is None
        assert directory.person_for_pin("97531") == "p2"
        assert [c.kind for c in directory.credentials("p2")] == [CredentialType.PIN]


def test_deleting_a_resident_centrally_removes_their_card_everywhere(
        client: TestClient, tmp_path: Path) -> None:
    headers = _setup(client)
    with DirectoryStore(tmp_path / "gate.db") as directory:
        version = _pull(client, headers, directory, 0)
        assert client.delete("/api/v1/residents/p1").status_code == 204
        assert client.get("/api/v1/cards/12345678").status_code == 404
        _pull(client, headers, directory, version)
        assert directory.person_for_card("12345678") is None
        assert directory.person("p1") is None


def test_a_pin_held_by_someone_else_is_refused_centrally(client: TestClient) -> None:
    _setup(client)
    response = client.put("/api/v1/residents/p1/pin", json={"pin": "2468"})
    assert response.status_code == 409
    assert "in use" in response.json()["detail"]


def test_first_full_sync_replaces_local_pins_hashed_with_the_gate_salt(
        client: TestClient, tmp_path: Path) -> None:
    headers = _setup(client)
    with DirectoryStore(tmp_path / "gate.db") as directory:
        from gate.policy.model import Person

        directory.upsert_person(Person("p1", "Person p1", "1-101"))
        directory.add_pin("p1", "1111")
        own_salt = directory.pin_salt_hex()
        _pull(client, headers, directory, 0)
        assert directory.pin_salt_hex() != own_salt
        assert directory.person_for_pin("1111") is None  # not central: dropped
        assert directory.person_for_pin("2468") == "p2"


def test_a_partial_delta_with_another_salt_changes_nothing(client: TestClient,
                                                           tmp_path: Path) -> None:
    headers = _setup(client)
    with DirectoryStore(tmp_path / "gate.db") as directory:
        version = _pull(client, headers, directory, 0)
        before = directory.version
        delta = SyncDelta(from_version=version, to_version=version + 1, pin_salt="ab" * 16,
                          deletions={"cards": ["12345678"]})
        with pytest.raises(PinSaltChangedError):
            apply_delta(directory, delta)
        assert directory.version == before
        assert directory.person_for_card("12345678") == "p1"
