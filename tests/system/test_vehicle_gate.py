"""The vehicle barrier on hw_sim: real plate photos through the real detector and recogniser,
judged by the policy, asserted on the event log and the barrier relay."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.config.loader import load_config
from gate.demo import PROJECT_ROOT
from gate.eventlog.verify import verify_log
from gate.runtime import DB_NAME
from hw_sim.harness import SimulatedGate
from hw_sim.replay_camera import Clip
from hw_sim.vehicle_clips import car_clip, empty_lane, two_cars_clip
from hw_sim.vehicle_scenario import VehicleScenario, build_vehicle_scenario

VEHICLE_CONFIG = PROJECT_ROOT / "config" / "gate.vehicle.demo.yaml"


@pytest.fixture(scope="module")
def scenario(plates_root: Path) -> VehicleScenario:
    return build_vehicle_scenario(plates_root, gap_seconds=1.5)


def _lane(tmp_path: Path, scenario: VehicleScenario, direction: str = "entry") -> SimulatedGate:
    config = load_config(VEHICLE_CONFIG).model_copy(deep=True)
    config.plate.direction = direction  # type: ignore[assignment]
    sim = SimulatedGate(tmp_path / "lane", config)
    sim.walk_through_after_grant = True
    scenario.register(sim.gate.stores.directory, sim.clock.now())
    return sim


@pytest.fixture()
def lane(tmp_path: Path, scenario: VehicleScenario) -> SimulatedGate:
    sim = _lane(tmp_path, scenario)
    yield sim
    sim.close()


def _car(scenario: VehicleScenario, role: str, **kwargs: object) -> Clip:
    return car_clip(scenario.cars[role], f"{role}-car", role, **kwargs)  # type: ignore[arg-type]


def test_every_car_of_the_scenario_gets_its_expected_decision(
        lane: SimulatedGate, scenario: VehicleScenario) -> None:
    reports = lane.play(scenario.clips, settle_seconds=6.0)
    got = [(r.decision.evidence["policy"].get("plate"), r.decision.reason.value)
           for r in reports]
    assert got == scenario.expected()
    granted = [r for r in reports if r.decision.granted]
    assert len(granted) == 2 and all(r.relay_energised_at is not None for r in granted)
    assert all(r.relay_energised_at is None for r in reports if not r.decision.granted)
    # Cars that follow closely may find the barrier still up: one long pulse, never none.
    assert 1 <= len(lane.relay_pulses()) <= 2
    assert verify_log(Path(lane.config.storage.data_dir) / DB_NAME).ok


def test_resident_car_lifts_the_barrier_once_with_the_plate_crop_as_snapshot(
        lane: SimulatedGate, scenario: VehicleScenario) -> None:
    reports = lane.play([empty_lane(0.5), _car(scenario, "resident", stop_seconds=6.0),
                         empty_lane(0.5)], settle_seconds=6.0)
    assert [(r.decision.reason.value, r.decision.subject) for r in reports] == [
        ("granted_resident", "car-owner")]  # one decision for a car idling 6 s
    assert len(lane.relay_pulses()) == 1
    event = lane.events("access_decision")[0]
    assert event.evidence["plate_votes"] >= 2
    snapshot = lane.gate.stores.snapshots.directory / event.snapshot_ref
    import cv2

    crop = cv2.imread(str(snapshot))
    assert crop is not None and crop.shape[1] > crop.shape[0]  # a plate, not the scene
    assert crop.shape[1] < 400


def test_visitor_car_counts_an_entry_on_the_pass(lane: SimulatedGate,
                                                  scenario: VehicleScenario) -> None:
    lane.play([empty_lane(0.5), _car(scenario, "visitor"), empty_lane(0.5)])
    visitor = lane.gate.stores.directory.snapshot().visitors["visitor-1"]
    assert visitor.entries_used == 1


def test_blacklisted_car_raises_an_alarm_and_never_moves_the_barrier(
        lane: SimulatedGate, scenario: VehicleScenario) -> None:
    reports = lane.play([empty_lane(0.5), _car(scenario, "blacklisted"), empty_lane(0.5)])
    assert [r.decision.reason.value for r in reports] == ["denied_blacklisted"]
    assert reports[0].decision.alarm
    assert lane.relay_pulses() == []


def test_near_miss_prompts_the_guard_and_does_not_lift(lane: SimulatedGate,
                                                        scenario: VehicleScenario) -> None:
    reports = lane.play([empty_lane(0.5), _car(scenario, "near_miss"), empty_lane(0.5)])
    assert [r.decision.reason.value for r in reports] == ["denied_plate_near_miss"]
    policy = reports[0].decision.evidence["policy"]
    assert policy["guard_prompt"] is True and len(policy["near_miss_plates"]) == 1
    assert lane.relay_pulses() == []


def test_exit_lane_lets_an_expired_visitor_out(tmp_path: Path,
                                               scenario: VehicleScenario) -> None:
    with _lane(tmp_path, scenario, direction="exit") as sim:
        reports = sim.play([empty_lane(0.5), _car(scenario, "late_visitor"), empty_lane(0.5)])
        assert [r.decision.reason.value for r in reports] == ["granted_vehicle_exit"]
        assert len(sim.relay_pulses()) == 1


def test_empty_lane_night_and_steep_views_never_lift_for_an_unregistered_car(
        lane: SimulatedGate, scenario: VehicleScenario) -> None:
    clips = [empty_lane(2.0), _car(scenario, "unknown", edit="night"),
             empty_lane(0.5), _car(scenario, "unknown", edit="steep"), empty_lane(0.5)]
    reports = lane.play(clips, corrupt_frames=frozenset({3, 40}))
    # Whatever the night and the angle let the gate read (a denial, or nothing), it never lifts.
    assert all(not r.decision.granted for r in reports)
    assert lane.relay_pulses() == []
    assert lane.gate.controller.frame_errors == 2
    assert lane.gate.controller.frames_processed >= sum(len(c.images) for c in clips) - 2


def test_two_cars_in_one_frame_are_decided_separately(lane: SimulatedGate,
                                                       scenario: VehicleScenario) -> None:
    clip = two_cars_clip(scenario.cars["resident"], scenario.cars["unknown"])
    reports = lane.play([empty_lane(0.5), clip, empty_lane(0.5)])
    got = {(r.decision.evidence["policy"].get("plate"), r.decision.reason.value) for r in reports}
    assert (scenario.cars["unknown"].label, "denied_unknown_vehicle") in got
    assert (scenario.cars["resident"].label, "granted_resident") in got


def test_guard_registers_a_refused_car_and_the_waiting_car_is_then_admitted(
        lane: SimulatedGate, scenario: VehicleScenario) -> None:
    """Issue #6: a visitor car with the registered plate lifts the barrier - here registered
    by the guard at this lane after the gate refused it as unknown."""
    from fastapi.testclient import TestClient

    from gate.guard.app import create_guard_app
    from gate.guard.context import GuardContext

    unknown = scenario.cars["unknown"]
    refused = lane.play([empty_lane(0.5), _car(scenario, "unknown", stop_seconds=2.0)])
    assert [r.decision.reason.value for r in refused] == ["denied_unknown_vehicle"]
    context = GuardContext.from_gate(lane.gate)
    context.store.add_guard("g-li", "李保安", "1357")
    try:
        guard = TestClient(create_guard_app(context))
        assert guard.post("/api/guard/session",
                          json={"guard_id": "g-li", "pin": "1357"}).status_code == 200
        [prompt] = [d for d in guard.get("/api/guard/decisions").json() if d.get("guard_prompt")]
        assert prompt["plate"] == unknown.label  # in full: the guard compares it with the car
        response = guard.post("/api/guard/visitors", json={
            "name": "张伟", "phone": "13912345678", "host_unit": "5-1-302", "purpose": "送货",
            "max_entries": 1, "credential": "pass", "plate": prompt["plate"]})
        assert response.status_code == 201, response.text
        # The same car, still at the barrier: decided afresh, now as the visitor's.
        admitted = lane.play([_car(scenario, "unknown", stop_seconds=2.0)])
        assert [(r.decision.reason.value, r.decision.subject) for r in admitted] == [
            ("granted_visitor", response.json()["person_id"])]
        assert len(lane.relay_pulses()) == 1
    finally:
        context.close()
