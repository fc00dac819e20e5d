"""Manual open, alarms, the decision feed, muster list and camera view of the guard UI."""

from __future__ import annotations

import dataclasses

from fastapi.testclient import TestClient
from guard_fixtures import (  # noqa: F401  (pytest fixtures, used by name)
    GUARD,
    anonymous_fixture,
    events,
    guard_ctx_fixture,
    guard_fixture,
    sim_fixture,
)

from gate.guard.context import GuardContext
from gate.policy.model import Decision
from gate.policy.reasons import ReasonCode
from hw_sim.harness import SimulatedGate


def _energised(sim: SimulatedGate) -> int:
    return sum(1 for _, on in sim.door.relay_history if on)


def test_manual_open_without_a_reason_is_refused_and_the_door_stays_shut(
        guard: TestClient, sim: SimulatedGate, guard_ctx: GuardContext) -> None:
    for reason in ("", "  ", "x"):
        response = guard.post("/api/guard/manual-open", json={"reason": reason})
        assert response.status_code == 422
        assert response.json()["detail"]["code"] == "reason_required"
    assert _energised(sim) == 0
    assert events(guard_ctx, "manual_open") == []


def test_manual_open_is_logged_with_the_guard_before_the_relay_moves(
        guard: TestClient, sim: SimulatedGate, guard_ctx: GuardContext) -> None:
    response = guard.post("/api/guard/manual-open", json={"reason": "快递员送货"})
    assert response.status_code == 200
    [opened] = events(guard_ctx, "manual_open")
    assert opened.sequence == response.json()["sequence"]
    assert opened.evidence["guard_id"] == GUARD[0]
    assert opened.evidence["note"] == "快递员送货"
    assert _energised(sim) == 1
    released = events(guard_ctx, "door_released")
    assert released and released[0].sequence > opened.sequence


def test_manual_open_shows_in_the_decision_feed(guard: TestClient) -> None:
    guard.post("/api/guard/manual-open", json={"reason": "救护车"})
    [first] = guard.get("/api/guard/decisions").json()[:1]
    assert first["type"] == "manual_open" and first["guard_id"] == GUARD[0]


def test_decision_feed_flags_a_lookalike_resident(guard: TestClient, sim: SimulatedGate) -> None:
    directory = sim.gate.stores.directory
    host = directory.snapshot().people["r-host"]
    refused = Decision(granted=False, reason=ReasonCode.DENIED_SECOND_FACTOR_REQUIRED,
                       subject="r-host", alarm=False, evidence={})
    sim.gate.controller.executor.execute(refused)
    assert guard.get("/api/guard/decisions").json()[0]["lookalike"] is False
    directory.upsert_person(dataclasses.replace(host, lookalike_flag=True))
    [first] = guard.get("/api/guard/decisions").json()[:1]
    assert first["lookalike"] is True and first["reason"] == "denied_second_factor_required"


def test_alarm_is_acknowledged_once_with_the_guard(guard: TestClient,
                                                   guard_ctx: GuardContext) -> None:
    alarm = guard_ctx.event_log.append("door_forced")
    listed = guard.get("/api/guard/alarms").json()
    assert [(a["sequence"], a["acknowledged_by"]) for a in listed] == [(alarm.sequence, None)]
    assert guard.post("/api/guard/alarms/ack", json={"sequence": alarm.sequence}).status_code \
        == 200
    assert guard.get("/api/guard/alarms").json()[0]["acknowledged_by"] == GUARD[0]
    again = guard.post("/api/guard/alarms/ack", json={"sequence": alarm.sequence})
    assert again.status_code == 404 and again.json()["detail"]["code"] == "no_alarm"
    [ack] = events(guard_ctx, "alarm_acknowledged")
    assert ack.evidence == {"alarm_sequence": alarm.sequence, "alarm_type": "door_forced",
                            "guard_id": GUARD[0]}


def test_ack_of_an_ordinary_event_or_bad_sequence_is_refused(guard: TestClient,
                                                            guard_ctx: GuardContext) -> None:
    plain = guard_ctx.event_log.append("door_opened")
    assert guard.post("/api/guard/alarms/ack", json={"sequence": plain.sequence}).status_code \
        == 404
    bad = guard.post("/api/guard/alarms/ack", json={"sequence": "one"})
    assert bad.status_code == 422 and bad.json()["detail"]["code"] == "invalid_request"


def test_muster_lists_who_entered_until_marked_as_left(guard: TestClient, sim: SimulatedGate,
                                                       guard_ctx: GuardContext) -> None:
    decision = Decision(granted=True, reason=ReasonCode.GRANTED_RESIDENT, subject="r-host",
                        alarm=False, evidence={})
    sim.gate.controller.executor.execute(decision)
    people = guard.get("/api/guard/muster").json()["people"]
    assert [(p["person_id"], p["name"], p["kind"]) for p in people] == [
        ("r-host", "陈静", "resident")]
    assert guard.post("/api/guard/muster/left", json={"person_id": "r-host"}).status_code == 200
    assert guard.get("/api/guard/muster").json()["people"] == []
    [left] = events(guard_ctx, "muster_marked_left")
    assert left.subject == "r-host" and left.evidence["guard_id"] == GUARD[0]


def test_muster_forgets_entries_older_than_the_window(guard: TestClient,
                                                       sim: SimulatedGate) -> None:
    decision = Decision(granted=True, reason=ReasonCode.GRANTED_RESIDENT, subject="r-host",
                        alarm=False, evidence={})
    sim.gate.controller.executor.execute(decision)
    sim.clock.advance(25 * 3600)
    guard.post("/api/guard/session", json={"guard_id": GUARD[0], "pin": GUARD[2]})
    assert guard.get("/api/guard/muster").json()["people"] == []


def test_camera_view_is_a_jpeg_even_before_the_first_frame(guard: TestClient) -> None:
    response = guard.get("/api/guard/camera.jpg")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.content[:2] == b"\xff\xd8"


def test_unknown_snapshot_is_404(guard: TestClient) -> None:
    response = guard.get("/api/guard/snapshots/../../etc/passwd")
    assert response.status_code == 404


def test_manual_open_note_with_an_id_or_phone_number_is_refused(
        guard: TestClient, sim: SimulatedGate, guard_ctx: GuardContext) -> None:
    response = guard.post("/api/guard/manual-open", json={"reason": "快递 13812345678"})
    assert response.status_code == 422
    assert response.json()["detail"]["code"] == "reason_has_number"
    assert _energised(sim) == 0 and events(guard_ctx, "manual_open") == []


def test_only_people_of_the_directory_can_be_marked_as_left(
        guard: TestClient, guard_ctx: GuardContext) -> None:
    response = guard.post("/api/guard/muster/left", json={"person_id": "张三13812345678"})
    assert response.status_code == 404
    assert response.json()["detail"]["code"] == "unknown_person"
    assert events(guard_ctx, "muster_marked_left") == []
