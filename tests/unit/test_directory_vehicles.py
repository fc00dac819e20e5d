"""Vehicles in the gate's directory, and how central sync changes them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gate.directory import DirectoryStore
from gate.directory.vehicles import UnknownVehicleOwnerError
from gate.policy import Person
from gate.sync.apply import apply_delta
from wire.schemas import PersonWire, SyncDeletions, SyncDelta, VehicleWire


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DirectoryStore]:
    with DirectoryStore(tmp_path / "gate.db") as directory:
        directory.upsert_person(Person("r1", "Resident One", "3-2-501"))
        yield directory


def test_a_registered_plate_names_its_owner_and_shows_in_snapshots(
        store: DirectoryStore) -> None:
    store.upsert_vehicle("粤b·12345", "r1", "3-2-501")
    assert store.vehicle_owner("粤B12345") == "r1"
    vehicle = store.snapshot().vehicles["粤B12345"]
    assert (vehicle.person_id, vehicle.unit) == ("r1", "3-2-501")


def test_a_vehicle_of_an_unknown_person_is_refused_and_nothing_is_stored(
        store: DirectoryStore) -> None:
    version = store.version
    with pytest.raises(UnknownVehicleOwnerError, match="nobody"):
        store.upsert_vehicle("粤B12345", "nobody")
    assert store.vehicle_plates() == set()
    assert store.version == version


def test_deleting_a_person_removes_their_vehicles(store: DirectoryStore) -> None:
    store.upsert_vehicle("粤B12345", "r1")
    store.upsert_vehicle("沪AD12345", None, "3-2-503")
    store.delete_person("r1")
    assert store.vehicle_plates() == {"沪AD12345"}


def test_delete_vehicle_reports_whether_it_was_there(store: DirectoryStore) -> None:
    store.upsert_vehicle("粤B12345", "r1")
    assert store.delete_vehicle("粤B 12345")
    assert not store.delete_vehicle("粤B12345")
    assert store.vehicle_owner("粤B12345") is None


def _delta(version: int, **fields: object) -> SyncDelta:
    return SyncDelta(from_version=version - 1, to_version=version, **fields)  # type: ignore[arg-type]


def test_sync_adds_vehicles_and_skips_those_of_people_not_held(store: DirectoryStore) -> None:
    report = apply_delta(store, _delta(1, vehicles=[
        VehicleWire(plate="粤B12345", person_id="r1", unit="3-2-501"),
        VehicleWire(plate="粤B99999", person_id="elsewhere"),
        VehicleWire(plate="沪AD12345", unit="3-2-503"),
    ]))
    assert store.vehicle_plates() == {"粤B12345", "沪AD12345"}
    assert report.skipped == 1


def test_sync_deletes_vehicles_and_a_full_copy_drops_missing_ones(store: DirectoryStore) -> None:
    store.upsert_vehicle("粤B12345", "r1")
    store.upsert_vehicle("粤B22222", "r1")
    apply_delta(store, _delta(1, deletions=SyncDeletions(vehicles=["粤B22222"])))
    assert store.vehicle_plates() == {"粤B12345"}
    apply_delta(store, SyncDelta(from_version=0, to_version=2, full=True, people=[
        PersonWire(person_id="r1", display_name="Resident One", unit="3-2-501")],
        vehicles=[VehicleWire(plate="粤B33333", person_id="r1")]))
    assert store.vehicle_plates() == {"粤B33333"}
