"""Whole gate scenarios on hw_sim with real images, asserting on the event log and the relay."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.eventlog.verify import verify_log
from gate.runtime import DB_NAME
from hw_sim.harness import SimulatedGate
from hw_sim.replay_camera import blank_clip
from hw_sim.scenarios import DoorAction, Scenario, build_scenario


@pytest.fixture(scope="module")
def pedestrian(faces_root: Path) -> Scenario:
    return build_scenario("pedestrian", faces_root)


@pytest.fixture()
def sim(tmp_path: Path, pedestrian: Scenario) -> SimulatedGate:
    gate = SimulatedGate(tmp_path / "gate")
    assert gate.enrol(pedestrian.enrolees) >= len(pedestrian.enrolees)
    yield gate
    gate.close()


def _clip(scenario: Scenario, name_part: str):
    return next(c for c in scenario.clips if name_part in c.name)


def test_resident_is_granted_and_the_door_pulses_once(sim: SimulatedGate,
                                                      pedestrian: Scenario) -> None:
    reports = sim.play([blank_clip(0.5), _clip(pedestrian, "张* walks up"), blank_clip(0.5)],
                       settle_seconds=5.0)
    assert [(r.decision.granted, r.decision.subject) for r in reports] == [(True, "r-grid-s2")]
    pulses = sim.relay_pulses()
    assert len(pulses) == 1
    start, end = pulses[0]
    assert end - start == pytest.approx(sim.config.door.unlock_seconds, abs=0.1)
    decision = sim.events("access_decision")[0]
    released = sim.events("door_released")[0]
    # The decision was committed before the relay moved.
    assert decision.sequence < released.sequence
    assert decision.reason == "granted_resident"
    assert decision.evidence["liveness"]["verdict"] == "live"
    assert decision.evidence["encodings"] >= 2
    assert decision.snapshot_ref
    assert [e.type for e in sim.events() if e.type.startswith("door_")][:3] == [
        "door_closed", "door_released", "door_opened"] or sim.events("door_opened")
    assert verify_log(Path(sim.config.storage.data_dir) / DB_NAME).ok


def test_stranger_is_denied_and_the_relay_never_moves(sim: SimulatedGate,
                                                      pedestrian: Scenario) -> None:
    reports = sim.play([blank_clip(0.3), _clip(pedestrian, "stranger"), blank_clip(0.3)])
    assert reports and all(not r.decision.granted for r in reports)
    assert reports[0].decision.reason == "denied_unknown_face"
    assert sim.relay_pulses() == []


def test_hand_moved_photo_of_resident_is_refused_by_liveness(sim: SimulatedGate,
                                                             pedestrian: Scenario) -> None:
    reports = sim.play([blank_clip(0.3), _clip(pedestrian, "photo of resident"),
                        blank_clip(0.3)])
    assert reports and all(not r.decision.granted for r in reports)
    assert reports[0].decision.reason == "denied_liveness_failed"
    assert reports[0].decision.evidence["identity"] == "r-obama"  # it did look like her
    assert sim.relay_pulses() == []


def test_phone_photo_attack_video_never_opens(sim: SimulatedGate, pedestrian: Scenario) -> None:
    reports = sim.play([blank_clip(0.3), _clip(pedestrian, "on a phone"), blank_clip(0.3)])
    assert all(not r.decision.granted for r in reports)
    assert sim.relay_pulses() == []


def test_still_photo_of_resident_never_opens(sim: SimulatedGate, faces_root: Path) -> None:
    story = build_scenario("still-photo", faces_root)
    reports = sim.play(story.clips)
    assert reports and all(not r.decision.granted for r in reports)
    assert sim.relay_pulses() == []


def test_camera_outage_and_corrupt_frames_keep_the_gate_running_locked(
    sim: SimulatedGate, faces_root: Path
) -> None:
    story = build_scenario("faults", faces_root)
    reports = sim.play(story.clips, outage=story.camera_outage,
                       corrupt_frames=story.corrupt_frames)
    assert [r.decision.subject for r in reports if r.decision.granted] == ["r-grid-s2"]
    assert sim.gate.controller.frame_errors == len(story.corrupt_frames)
    assert len(sim.events("camera_lost")) == 1 and len(sim.events("camera_restored")) == 1
    assert len(sim.relay_pulses()) == 1


def test_forced_door_raises_alarm_and_propped_door_raises_held_open(tmp_path: Path) -> None:
    from gate.config.loader import load_config
    from gate.demo import DEMO_CONFIG

    config = load_config(DEMO_CONFIG)
    config.door.held_open_seconds = 2.0
    gate = SimulatedGate(tmp_path / "g2", config)
    try:
        gate.play([blank_clip(9.0)], door_actions=[
            DoorAction(1.0, "force_open", hold_seconds=0.5),
            # Someone leaves with the exit button and wedges the door behind them.
            DoorAction(3.0, "press_exit"),
            DoorAction(3.4, "prop_open"),
            DoorAction(7.5, "close"),
        ])
        assert len(gate.events("door_forced")) == 1
        assert len(gate.events("door_held_open")) == 1
        assert len(gate.events("door_held_open_cleared")) == 1
        assert len(gate.relay_pulses()) == 1  # the exit button's pulse only
    finally:
        gate.close()


def test_exit_button_unlocks_and_is_logged(sim: SimulatedGate) -> None:
    sim.play([blank_clip(5.0)], door_actions=[DoorAction(1.0, "press_exit")])
    assert len(sim.events("exit_request")) == 1
    assert len(sim.relay_pulses()) == 1


def test_blacklisted_resident_is_denied_with_alarm(sim: SimulatedGate,
                                                   pedestrian: Scenario) -> None:
    from gate.policy.model import BlacklistEntry

    sim.gate.stores.directory.upsert_blacklist(BlacklistEntry(person_id="r-grid-s2",
                                                              reason="tenancy ended"))
    reports = sim.play([blank_clip(0.3), _clip(pedestrian, "张* walks up")])
    assert reports[0].decision.reason == "denied_blacklisted"
    assert reports[0].decision.alarm
    assert sim.events("access_decision")[0].evidence["alarm"] is True
    assert sim.relay_pulses() == []


def test_corrupt_gallery_entry_is_skipped_and_others_still_recognised(
    sim: SimulatedGate, pedestrian: Scenario, caplog: pytest.LogCaptureFixture
) -> None:
    with sim.db() as db:
        db.execute("UPDATE dir_face_templates SET vector = x'00ff' WHERE person_id = 'r-obama'")
    sim.gate.reload_gallery()
    assert "corrupt face template" in caplog.text
    reports = sim.play([blank_clip(0.3), _clip(pedestrian, "张* walks up")])
    assert reports[0].decision.granted


def test_snapshots_are_deleted_when_their_retention_ends_but_events_stay(
    sim: SimulatedGate, pedestrian: Scenario
) -> None:
    sim.play([blank_clip(0.3), _clip(pedestrian, "stranger")])
    decision = sim.events("access_decision")[0]
    snapshot = sim.gate.stores.snapshots.path_of(decision.snapshot_ref)
    assert snapshot.is_file()
    assert sim.gate.retention.run_once().snapshots_deleted == 0  # 30 days not yet over
    sim.clock.advance(31 * 24 * 3600)
    report = sim.gate.retention.run_once()
    assert report.snapshots_deleted == 1 and not snapshot.exists()
    assert report.events_purged == 0  # events are kept at least 180 days
    assert verify_log(Path(sim.config.storage.data_dir) / DB_NAME).ok


def test_resident_enrolled_while_the_gate_runs_is_recognised_without_restart(
    tmp_path: Path, pedestrian: Scenario
) -> None:
    from gate.enrolment import template_from_image
    from gate.policy.model import Group, Person
    from gate.policy.schedule import always_open
    from gate.vision.detection import HogFaceDetector

    gate = SimulatedGate(tmp_path / "g3")  # empty gallery
    try:
        # As `gate enroll` would, from another process: straight into the directory.
        directory = gate.gate.stores.directory
        directory.upsert_schedule(always_open("always"))
        directory.upsert_group(Group("residents", "always"))
        enrolee = pedestrian.enrolees[0]
        directory.upsert_person(Person(enrolee.person_id, enrolee.display_name, enrolee.unit,
                                       groups=enrolee.groups))
        for index, image in enumerate(enrolee.images):
            template = template_from_image(image, gate.gate.recogniser,
                                           HogFaceDetector(800, upsample=1), str(index))
            directory.add_face_template(enrolee.person_id, gate.gate.recogniser.name,
                                        template.vector, template.source_sha256)
        reports = gate.play([blank_clip(2.5), _clip(pedestrian, "张* walks up")])
        assert [r.decision.subject for r in reports if r.decision.granted] == [enrolee.person_id]
    finally:
        gate.close()
