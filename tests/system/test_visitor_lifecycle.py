"""A visitor registered on the guard screen, then walking up to the simulated camera: granted
within the window, denied after it and after the last entry; every step in the durable log.

Runs the real stack: guard UI over HTTP, capture from the gate's own frames, the face
pipeline, policy and door on hw_sim in virtual time. (A visitor's car with the registered
plate lifting the barrier is the vehicle gate's test: the registration stores the plate with
`DirectoryStore.upsert_vehicle`, checked in tests/api/test_guard_visitors.py.)
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from gate.bench.visitor import GUARD, VisitorRig
from gate.eventlog.verify import verify_log
from gate.runtime import DB_NAME


@pytest.fixture
def rig(tmp_path: Path, faces_root: Path) -> Iterator[VisitorRig]:
    made = VisitorRig(tmp_path / "gate", faces_root)
    yield made
    made.close()


def _register(rig: VisitorRig, **form: object) -> str:
    strangers = rig.stand()
    assert strangers and not any(r.decision.granted for r in strangers)
    captured = rig.capture()
    assert captured.status_code == 201, captured.text
    response = rig.register(capture_id=captured.json()["capture_id"], **form)
    assert response.status_code == 201, response.text
    return str(response.json()["person_id"])


def _reasons(reports) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(r.decision.reason) for r in reports]


def test_registered_visitor_is_granted_then_refused_after_the_last_entry(
        rig: VisitorRig) -> None:
    person_id = _register(rig, max_entries=1)
    first = rig.walk_up()
    assert _reasons(first) == ["granted_visitor"]
    assert first[0].decision.subject == person_id
    second = rig.walk_up()
    assert _reasons(second) == ["denied_visitor_entries_used"]
    pulses = [p for p in rig.sim.relay_pulses()]
    assert len(pulses) == 1  # only the granted walk-up moved the relay


def test_registered_visitor_is_refused_after_the_window(rig: VisitorRig) -> None:
    now = rig.sim.clock.now()
    until = (now + timedelta(minutes=2)).isoformat()
    _register(rig, max_entries=5, valid_until=until)
    assert _reasons(rig.walk_up()) == ["granted_visitor"]
    rig.sim.door.advance(180, on_step=rig.sim.gate.door.tick)
    # The pass alone carries the window, so the refusal names it.
    assert _reasons(rig.walk_up()) == ["denied_visitor_window"]


def test_every_guard_step_is_in_the_durable_log_with_the_guard(rig: VisitorRig) -> None:
    person_id = _register(rig)
    rig.walk_up()
    assert rig.http.post("/api/guard/manual-open", json={"reason": "访客行李多"}).status_code \
        == 200
    types = [e.type for e in rig.sim.events()]
    for step in ("guard_signed_in", "visitor_consent_recorded", "visitor_registered",
                 "access_decision", "manual_open"):
        assert step in types
    guard_steps = [e for e in rig.sim.events() if e.type in (
        "guard_signed_in", "visitor_consent_recorded", "visitor_registered", "manual_open")]
    assert {e.evidence["guard_id"] for e in guard_steps} == {GUARD[0]}
    assert types.index("visitor_consent_recorded") < types.index("visitor_registered")
    granted = [e for e in rig.sim.events("access_decision") if e.decision == "granted"]
    assert [e.subject for e in granted] == [person_id]
    assert verify_log(Path(rig.sim.config.storage.data_dir) / DB_NAME).ok


def test_visitor_face_is_gone_after_the_visit_and_the_gate_refuses_them(
        rig: VisitorRig) -> None:
    until = (rig.sim.clock.now() + timedelta(minutes=2)).isoformat()
    person_id = _register(rig, valid_until=until)
    rig.sim.door.advance(180, on_step=rig.sim.gate.door.tick)
    rig.sim.gate.retention.run_once()
    recogniser = rig.sim.gate.recogniser.name
    assert person_id not in {p for p, _ in rig.sim.gate.stores.directory.face_templates(
        recogniser)}
    [deleted] = rig.sim.events("visitor_face_deleted")
    assert deleted.subject == person_id
    assert _reasons(rig.walk_up()) == ["denied_unknown_face"]
