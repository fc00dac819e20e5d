"""Two-factor entry on a whole simulated gate: face and card of the same resident, in
either order, within the window; neither alone moves the relay.

Real images (the resident's hw_sim clip through the real face pipeline and liveness),
gpiozero MockFactory door, the gate's own event log; the card reader is driven through
`CredentialAccess` as an OSDP board would drive it (tests/system/test_osdp_gate.py covers
the serial link itself).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.config.loader import load_config
from gate.credentials import CredentialAccess
from gate.demo import DEMO_CONFIG
from gate.eventlog.verify import verify_log
from gate.runtime import DB_NAME
from hw_sim.harness import SimulatedGate
from hw_sim.replay_camera import blank_clip
from hw_sim.scenarios import Scenario, build_scenario

RESIDENT = "r-grid-s2"  # the resident of the "张* walks up" clip
CARD = "4242"


@pytest.fixture(scope="module")
def pedestrian(faces_root: Path) -> Scenario:
    return build_scenario("pedestrian", faces_root)


@pytest.fixture()
def two_factor(tmp_path: Path, pedestrian: Scenario) -> tuple[SimulatedGate, CredentialAccess]:
    config = load_config(DEMO_CONFIG).model_copy(deep=True)
    config.face.face_only_allowed = False
    config.face.card_only_allowed = False
    config.face.second_factor_window_seconds = 8.0
    sim = SimulatedGate(tmp_path / "gate", config)
    assert sim.enrol(pedestrian.enrolees) >= len(pedestrian.enrolees)
    sim.gate.stores.directory.add_card(RESIDENT, CARD)
    controller = sim.gate.controller
    reader = CredentialAccess(
        gate_id=config.gate_id, directory=sim.gate.stores.directory, policy=controller.policy,
        event_log=sim.gate.stores.event_log, door=sim.gate.door, clock=sim.clock,
        executor=controller.executor, pairing=controller.pairing)
    yield sim, reader
    sim.close()


def _walk_up(sim: SimulatedGate, pedestrian: Scenario):
    clip = next(c for c in pedestrian.clips if "张* walks up" in c.name)
    return sim.play([blank_clip(0.3), clip, blank_clip(0.3)], settle_seconds=4.0)


def test_card_then_face_opens_once(two_factor: tuple[SimulatedGate, CredentialAccess],
                                   pedestrian: Scenario) -> None:
    sim, reader = two_factor
    card = reader.present_card(CARD)
    assert (card.decision.granted, str(card.decision.reason)) == (False, "denied_face_required")
    assert sim.relay_pulses() == []
    faces = _walk_up(sim, pedestrian)
    assert [(r.decision.granted, r.decision.subject) for r in faces] == [(True, RESIDENT)]
    paired = faces[0].decision.evidence["paired_with"]
    assert paired["credential"] == "card" and 0 < paired["seconds_before"] <= 8.0
    assert len(sim.relay_pulses()) == 1
    assert verify_log(Path(sim.config.storage.data_dir) / DB_NAME).ok


def test_face_then_card_opens_and_a_lone_card_later_does_not(
    two_factor: tuple[SimulatedGate, CredentialAccess], pedestrian: Scenario
) -> None:
    sim, reader = two_factor
    faces = _walk_up(sim, pedestrian)
    assert [str(r.decision.reason) for r in faces] == ["denied_second_factor_required"]
    assert sim.relay_pulses() == []
    card = reader.present_card(CARD)
    assert card.decision.granted and card.decision.evidence["paired_with"]["credential"] == "face"
    sim.wait(5.0)
    assert len(sim.relay_pulses()) == 1
    # The face was used by that grant: the same card again is alone.
    sim.wait(1.0)
    again = reader.present_card(CARD)
    assert str(again.decision.reason) == "denied_face_required"
    sim.wait(5.0)
    assert len(sim.relay_pulses()) == 1
    decisions = [(e.decision, e.reason) for e in sim.events("access_decision")]
    assert decisions == [("denied", "denied_second_factor_required"),
                         ("granted", "granted_resident"), ("denied", "denied_face_required")]
