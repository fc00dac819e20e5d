"""Visitor registration cannot take over a resident's plate, use a stale camera frame, crash on
a form the wire refuses (nor log what was typed), or fail after it has been stored; the end of
a visit removes faces whatever the gate's recogniser."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from guard_fixtures import (  # noqa: F401  (pytest fixtures, used by name)
    FACE_PHOTO,
    HOST_UNIT,
    anonymous_fixture,
    events,
    guard_ctx_fixture,
    guard_fixture,
    show,
    sim_fixture,
    visitor_form,
)
from pydantic import Field

from gate.directory.vehicles import VehicleTakenError
from gate.guard import registration
from gate.guard.context import GuardContext
from gate.guard.visit_end import end_expired_visits
from gate.vision.images import read_image
from hw_sim.harness import SimulatedGate
from wire.visitors import GateVisitorWire

PLATE = "粤B12345"


def _codes(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 422, response.text
    return {e["field"]: e["code"] for e in response.json()["detail"]["errors"]}


def _face_form(guard: TestClient, ctx: GuardContext, faces_root: Path,
               **changes: object) -> dict[str, object]:
    show(ctx, read_image(faces_root / FACE_PHOTO))
    captured = guard.post("/api/guard/captures", json={"consent": True})
    assert captured.status_code == 201, captured.text
    return visitor_form(credential="face", consent=True,
                        capture_id=captured.json()["capture_id"], **changes)


def test_visitor_car_with_a_residents_plate_is_refused_and_the_car_stays_theirs(
        guard: TestClient, guard_ctx: GuardContext) -> None:
    guard_ctx.directory.upsert_vehicle(PLATE, "r-host", HOST_UNIT)
    codes = _codes(guard.post("/api/guard/visitors", json=visitor_form(plate="粤b 12345")))
    assert codes == {"plate": "plate_registered"}
    assert guard_ctx.directory.vehicle_owner(PLATE) == "r-host"
    assert guard_ctx.directory.snapshot().visitors == {}


def test_plate_registered_after_the_form_check_is_refused_without_touching_the_owner(
        guard: TestClient, guard_ctx: GuardContext, monkeypatch: pytest.MonkeyPatch) -> None:
    guard_ctx.directory.upsert_vehicle(PLATE, "r-host", HOST_UNIT)
    # Another screen registered the car between this form's check and its storage.
    monkeypatch.setattr(guard_ctx.directory, "vehicle_plates", set)
    codes = _codes(guard.post("/api/guard/visitors", json=visitor_form(plate=PLATE)))
    assert codes == {"plate": "plate_registered"}
    assert guard_ctx.directory.vehicle_owner(PLATE) == "r-host"
    assert set(guard_ctx.directory.snapshot().people) == {"r-host"}
    assert guard_ctx.store.pending() == []


def test_upsert_vehicle_without_replace_refuses_another_holder(
        guard_ctx: GuardContext) -> None:
    directory = guard_ctx.directory
    directory.upsert_vehicle(PLATE, None, HOST_UNIT)  # a household car
    with pytest.raises(VehicleTakenError):
        directory.upsert_vehicle(PLATE, "r-host", HOST_UNIT, replace=False)
    assert PLATE in directory.vehicle_plates() and directory.vehicle_owner(PLATE) is None
    directory.upsert_vehicle(PLATE, "r-host", HOST_UNIT)  # replace=True: as before
    directory.upsert_vehicle(PLATE, "r-host", "1-1-101", replace=False)  # same holder: fine
    assert directory.vehicle_owner(PLATE) == "r-host"


def test_deleting_a_person_deletes_their_vehicles_even_without_cascades(
        guard_ctx: GuardContext) -> None:
    directory = guard_ctx.directory
    directory.upsert_vehicle(PLATE, "r-host", HOST_UNIT)
    # The case delete_person's comment names: a connection without foreign keys.
    directory._conn.execute("PRAGMA foreign_keys=OFF")  # noqa: SLF001
    assert directory.delete_person("r-host")
    assert PLATE not in directory.vehicle_plates()


def test_capture_from_a_stalled_camera_is_refused(guard: TestClient, guard_ctx: GuardContext,
                                                  sim: SimulatedGate, faces_root: Path) -> None:
    show(guard_ctx, read_image(faces_root / FACE_PHOTO))
    sim.clock.advance(2)  # no new frame since: whoever is in it may have left
    assert _codes(guard.post("/api/guard/captures", json={"consent": True})) == {
        "capture": "stale_frame"}


def test_guardian_name_longer_than_the_wire_allows_is_a_field_problem(
        guard: TestClient, guard_ctx: GuardContext, faces_root: Path) -> None:
    form = _face_form(guard, guard_ctx, faces_root, minor=True, guardian_consent=True,
                      guardian_name="韩" * 150)
    # Longer than the wire's 100: refused by the form itself, not a crash when sending.
    assert list(_codes(guard.post("/api/guard/visitors", json=form))) == ["guardian_name"]
    form["guardian_name"] = "韩" * 60  # the wire would take it; the screen's limit is 40
    assert _codes(guard.post("/api/guard/visitors", json=form)) == {"guardian_name": "too_long"}
    form["guardian_name"] = "韩梅梅 110101199001011234"
    assert _codes(guard.post("/api/guard/visitors", json=form)) == {
        "guardian_name": "name_has_number"}


def test_wire_refusal_is_a_form_error_and_no_log_quotes_the_input(
        guard: TestClient, guard_ctx: GuardContext, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    class Stricter(GateVisitorWire):  # a wire rule the form does not know (yet)
        display_name: str = Field(..., max_length=1)

    monkeypatch.setattr(registration, "GateVisitorWire", Stricter)
    caplog.set_level(logging.DEBUG)
    codes = _codes(guard.post("/api/guard/visitors", json=visitor_form(name="李雷")))
    assert codes == {"name": "invalid"}
    assert guard_ctx.directory.snapshot().visitors == {}
    for record in caplog.records:
        text = record.getMessage() + (logging.Formatter().formatException(record.exc_info)
                                      if record.exc_info else "")
        assert "李雷" not in text and "13812345678" not in text


def test_gallery_reload_failure_after_storing_does_not_fail_the_registration(
        guard: TestClient, guard_ctx: GuardContext, faces_root: Path) -> None:
    def broken() -> None:
        raise RuntimeError("gallery busy")

    guard_ctx.reload_gallery = broken
    response = guard.post("/api/guard/visitors", json=_face_form(guard, guard_ctx, faces_root))
    assert response.status_code == 201, response.text
    assert list(guard_ctx.directory.snapshot().visitors) == [response.json()["person_id"]]
    assert len(guard_ctx.store.pending()) == 1  # queued once: the guard has no reason to retry


def test_nothing_is_queued_for_the_aggregator_until_every_other_step_succeeded(
        guard: TestClient, guard_ctx: GuardContext, monkeypatch: pytest.MonkeyPatch) -> None:
    queued: list[dict] = []
    real_enqueue, real_append = guard_ctx.store.enqueue, guard_ctx.event_log.append

    def enqueue(kind: str, payload: dict) -> int:
        queued.append(payload)
        return real_enqueue(kind, payload)

    def append(event_type: str, **kwargs: object):  # type: ignore[no-untyped-def]
        if event_type == "visitor_registered":
            raise OSError("log disk full")
        return real_append(event_type, **kwargs)

    monkeypatch.setattr(guard_ctx.store, "enqueue", enqueue)
    monkeypatch.setattr(guard_ctx.event_log, "append", append)
    with pytest.raises(OSError):
        guard.post("/api/guard/visitors", json=visitor_form())
    # Had it been queued first, the outbox thread could have delivered it before the undo.
    assert queued == [] and guard_ctx.store.pending() == []
    assert guard_ctx.directory.snapshot().visitors == {}


def test_visit_end_deletes_faces_on_a_gate_without_a_recogniser(
        guard: TestClient, guard_ctx: GuardContext, sim: SimulatedGate,
        faces_root: Path) -> None:
    form = _face_form(guard, guard_ctx, faces_root, valid_until="2026-01-05T09:00:00Z")
    person_id = guard.post("/api/guard/visitors", json=form).json()["person_id"]
    sim.clock.advance(3600)
    # A vehicle gate passes no recogniser, yet may hold a face template synced from elsewhere.
    assert end_expired_visits(guard_ctx.directory, guard_ctx.event_log, sim.clock,
                              None) == [person_id]
    assert guard_ctx.directory.face_templates(guard_ctx.recogniser.name) == []
    assert [e.subject for e in events(guard_ctx, "visitor_face_deleted")] == [person_id]
