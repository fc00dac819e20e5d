"""The vehicle-lane scenario: who is registered, which cars arrive, what each should get.

Built from the labelled scenes of the shared plates folder: the first single-plate scenes
become a resident's car, a visitor's car (inside its window), a late visitor's car, a
blacklisted car, a car one character off a registered plate (near miss) and an unknown car.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from gate.directory.store import DirectoryStore
from gate.eval.plate_data import PlateScene
from gate.sync.apply import apply_delta
from hw_sim.replay_camera import Clip
from hw_sim.vehicle_clips import car_clip, empty_lane, scene_cars
from wire.plates import LETTERS, is_valid_plate
from wire.schemas import (
    BlacklistWire,
    GroupWire,
    PersonWire,
    ScheduleWire,
    SyncDelta,
    VehicleWire,
    VisitorWire,
)

ROLES = ("resident", "visitor", "late_visitor", "blacklisted", "near_miss", "unknown")
EXPECTED_REASON = {
    "resident": "granted_resident",
    "visitor": "granted_visitor",
    "late_visitor": "denied_visitor_window",
    "blacklisted": "denied_blacklisted",
    "near_miss": "denied_plate_near_miss",
    "unknown": "denied_unknown_vehicle",
}


def one_off(plate: str) -> str:
    """A valid plate one character away from `plate` (its last letter or digit changed)."""
    for position in range(len(plate) - 1, 1, -1):
        for replacement in "0123456789" + LETTERS:
            if replacement == plate[position]:
                continue
            candidate = plate[:position] + replacement + plate[position + 1:]
            if is_valid_plate(candidate):
                return candidate
    raise ValueError(f"no valid one-character variant of {plate}")


@dataclass
class VehicleScenario:
    """Cars (one clip each, gaps between them) and the directory they are judged against."""

    cars: dict[str, PlateScene]
    clips: list[Clip] = field(default_factory=list)

    def directory_delta(self, now: datetime) -> SyncDelta:
        """Residents, the visitors' passes, the blacklist and the near-miss neighbour, as the
        change an aggregator would send (so a gate and a community load the same rows)."""
        hour = timedelta(hours=1)
        people = [PersonWire(person_id="car-owner", display_name="Resident Driver",
                             unit="5-1-302", groups=["residents"]),
                  PersonWire(person_id="neighbour", display_name="Neighbour", unit="5-1-303",
                             groups=["residents"])]
        visitors, vehicles = [], [
            VehicleWire(plate=self.cars["resident"].label, person_id="car-owner", unit="5-1-302"),
            VehicleWire(plate=one_off(self.cars["near_miss"].label), person_id="neighbour",
                        unit="5-1-303")]
        for role, start, end in (("visitor", now - hour, now + 4 * hour),
                                 ("late_visitor", now - 4 * hour, now - hour)):
            person_id = f"{role.replace('_', '-')}-1"
            people.append(PersonWire(person_id=person_id, display_name=f"Guest {role}",
                                     unit="5-1-302", kind="visitor"))
            visitors.append(VisitorWire(person_id=person_id, host_unit="5-1-302",
                                        valid_from=start.isoformat(), valid_until=end.isoformat(),
                                        max_entries=2))
            vehicles.append(VehicleWire(plate=self.cars[role].label, person_id=person_id,
                                        unit="5-1-302"))
        return SyncDelta(
            from_version=0, to_version=1,
            schedules=[ScheduleWire(schedule_id="always", windows=[[(0, 1440)]] * 7)],
            groups=[GroupWire(group_id="residents", schedule_id="always")],
            people=people, visitors=visitors, vehicles=vehicles,
            blacklist=[BlacklistWire(plate=self.cars["blacklisted"].label,
                                     reason="reported stolen")])

    def register(self, directory: DirectoryStore, now: datetime) -> None:
        """Load `directory_delta(now)` into a gate's own directory (standalone gates)."""
        apply_delta(directory, self.directory_delta(now))

    def expected(self) -> list[tuple[str, str]]:
        """(plate, reason code) in arrival order."""
        return [(self.cars[role].label, EXPECTED_REASON[role]) for role in ROLES]


def build_vehicle_scenario(root: Path, gap_seconds: float = 2.0) -> VehicleScenario:
    """Six cars from `root/scenes`, each arriving after an empty lane of `gap_seconds`.

    The cars are the first blue-plate scenes (most of a community's cars; green
    new-energy plates are read less well, see `gate eval plates`, which measures every
    colour): this scenario is about what the gate does with a read, not about reading.
    """
    cars = [car for car in scene_cars(root) if car.colour == "blue"]
    if len(cars) < len(ROLES):
        raise ValueError(f"{root}/scenes has {len(cars)} single-plate scenes; "
                         f"the scenario needs {len(ROLES)}")
    chosen = dict(zip(ROLES, cars, strict=False))
    clips: list[Clip] = []
    for index, role in enumerate(ROLES):
        clips.append(empty_lane(gap_seconds))
        clips.append(car_clip(chosen[role], f"{role}-car", EXPECTED_REASON[role], seed=index))
    clips.append(empty_lane(gap_seconds))
    return VehicleScenario(chosen, clips)
