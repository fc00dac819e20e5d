"""Registered vehicles in the gate's directory (mixed into `DirectoryStore`)."""

from __future__ import annotations

from gate.directory.access import StoreAccess
from gate.errors import GateError
from gate.policy.model import Vehicle, normalise_plate


class UnknownVehicleOwnerError(GateError, LookupError):
    """A vehicle names a person the directory does not hold."""


class VehicleTakenError(GateError, ValueError):
    """The plate is registered to another person or household (and `replace` was False)."""


class VehicleDirectoryMixin(StoreAccess):
    """Vehicles: plate -> household and (usually) person; relies on the store's helpers."""


    def upsert_vehicle(self, plate: str, person_id: str | None = None, unit: str = "", *,
                       replace: bool = True) -> Vehicle:
        """Register (or re-register) a plate; the person, when given, must exist first.

        `replace=False` (a guard registering a visitor's car) refuses a plate that another
        person or household holds with VehicleTakenError instead of taking it over.
        """
        vehicle = Vehicle(plate, person_id, unit)
        with self._write() as conn:
            if person_id is not None and not self._person_exists(conn, person_id):
                raise UnknownVehicleOwnerError(f"no person {person_id} for vehicle {plate}")
            if not replace:
                held = self._execute(conn, "SELECT person_id FROM dir_vehicles WHERE plate = ?",
                                     (vehicle.plate,)).fetchone()
                if held is not None and held[0] != person_id:
                    raise VehicleTakenError("this plate is registered to someone else")
            self._execute(
                conn, "INSERT OR REPLACE INTO dir_vehicles (plate, person_id, unit) "
                      "VALUES (?, ?, ?)",
                (vehicle.plate, vehicle.person_id, vehicle.unit))
        return vehicle

    def delete_vehicle(self, plate: str) -> bool:
        """Remove a plate; False if it was not registered."""
        with self._write() as conn:
            return self._execute(conn, "DELETE FROM dir_vehicles WHERE plate = ?",
                                 (normalise_plate(plate),)).rowcount > 0

    def vehicle_owner(self, plate: str) -> str | None:
        """The person a plate belongs to (None for unknown plates and household cars)."""
        row = self._read_one("SELECT person_id FROM dir_vehicles WHERE plate = ?",
                             (normalise_plate(plate),))
        return None if row is None else row[0]

    def vehicle_plates(self) -> set[str]:
        """Every registered plate (for a full sync to compare)."""
        return {row[0] for row in self._read_all("SELECT plate FROM dir_vehicles")}
