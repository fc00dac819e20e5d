"""Visitor registration through the guard API: checks, consent, face capture, nothing half-saved,
and the end of a visit deleting the face template."""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from guard_fixtures import (  # noqa: F401  (pytest fixtures, used by name)
    FACE_PHOTO,
    GROUP_PHOTO,
    GUARD,
    HOST_UNIT,
    anonymous_fixture,
    events,
    guard_ctx_fixture,
    guard_fixture,
    show,
    sim_fixture,
    visitor_form,
)

from gate.credentials import CredentialAccess
from gate.errors import GateError
from gate.guard.context import GuardContext
from gate.guard.pass_qr import pass_qr_svg
from gate.guard.visit_end import end_expired_visits
from gate.vision.images import read_image
from hw_sim.harness import SimulatedGate


def _nothing_saved(ctx: GuardContext) -> None:
    snapshot = ctx.directory.snapshot()
    assert snapshot.visitors == {}
    assert set(snapshot.people) == {"r-host"}
    assert ctx.store.pending() == []
    assert events(ctx, "visitor_registered") == []


def _codes(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 422, response.text
    return {e["field"]: e["code"] for e in response.json()["detail"]["errors"]}


def test_pass_visitor_is_stored_with_a_pin_and_queued_for_the_aggregator(
        guard: TestClient, guard_ctx: GuardContext) -> None:
    response = guard.post("/api/guard/visitors", json=visitor_form(plate="粤B12345"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["phone"] == "138****5678" and body["name"] == "李*"
    assert re.fullmatch(r"[0-9]{6}", body["pass_pin"])
    person_id = body["person_id"]
    assert guard_ctx.directory.person_for_pin(body["pass_pin"]) == person_id
    visitor = guard_ctx.directory.snapshot().visitors[person_id]
    assert visitor.host_unit == HOST_UNIT and visitor.max_entries == 2
    assert guard_ctx.directory.vehicle_owner("粤B12345") == person_id
    [(_, kind, payload)] = guard_ctx.store.pending()
    assert payload["phone"] == "13812345678" and payload["pin_hash"].startswith("scrypt$")
    [registered] = events(guard_ctx, "visitor_registered")
    assert registered.evidence["guard_id"] == GUARD[0]
    assert "13812345678" not in str(registered.evidence)


def test_pass_qr_code_holds_only_the_pin_and_the_pin_opens_the_gate(
        guard: TestClient, guard_ctx: GuardContext, sim: SimulatedGate) -> None:
    body = guard.post("/api/guard/visitors", json=visitor_form()).json()
    svg = body["pass_qr_svg"]
    root = ElementTree.fromstring(svg)  # a standalone SVG document the screen can show
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.find(".//{http://www.w3.org/2000/svg}path") is not None
    for private in ("李雷", "李", "13812345678", HOST_UNIT, body["person_id"], "探亲"):
        assert private not in svg
    # What the scanner reads is the PIN (decoded from the screen in tests/ui): present it.
    access = CredentialAccess(
        gate_id=guard_ctx.gate_id, directory=guard_ctx.directory,
        policy=sim.gate.controller.policy, event_log=guard_ctx.event_log, door=sim.gate.door,
        clock=guard_ctx.clock, executor=sim.gate.controller.executor)
    report = access.present_pin(body["pass_pin"])
    assert report.decision.reason == "granted_visitor"
    assert report.decision.subject == body["person_id"]


def test_pass_qr_refuses_anything_but_pin_digits() -> None:
    with pytest.raises(GateError):
        pass_qr_svg("李雷 13812345678")


def test_default_window_is_now_to_the_end_of_the_local_day(guard: TestClient,
                                                          sim: SimulatedGate) -> None:
    body = guard.post("/api/guard/visitors", json=visitor_form()).json()
    # The sim clock is 08:00 UTC = 16:00 in Shanghai; the pass ends at local midnight.
    assert body["valid_from"].startswith("2026-01-05T08:00:00")
    assert body["valid_until"].startswith("2026-01-05T16:00:00")


def test_empty_form_is_refused_field_by_field_and_nothing_is_saved(
        guard: TestClient, guard_ctx: GuardContext) -> None:
    codes = _codes(guard.post("/api/guard/visitors", json={"credential": "pass"}))
    assert codes == {"name": "required", "phone": "required", "host_unit": "required",
                     "purpose": "required"}
    _nothing_saved(guard_ctx)


@pytest.mark.parametrize(("changes", "field", "code"), [
    ({"phone": "12345"}, "phone", "phone_format"),
    ({"phone": "138123456789"}, "phone", "phone_format"),
    ({"name": "张三 110101199001011234"}, "name", "name_has_number"),
    ({"host_unit": "9-9-999"}, "host_unit", "unit_unknown"),
    ({"max_entries": 0}, "max_entries", "max_entries_range"),
    ({"max_entries": "lots"}, "max_entries", "max_entries_range"),
    ({"plate": "ABC"}, "plate", "plate_format"),
    ({"valid_from": "2026-01-05T12:00:00Z", "valid_until": "2026-01-05T10:00:00Z"},
     "valid_until", "window_order"),
    ({"valid_from": "2026-01-04T06:00:00Z", "valid_until": "2026-01-04T07:00:00Z"},
     "valid_until", "window_past"),
    ({"valid_until": "2026-02-05T10:00:00Z"}, "valid_until", "window_too_long"),
    ({"valid_until": "tomorrow"}, "valid_until", "time_format"),
    ({"credential": "face"}, "consent", "consent_required"),
    ({"credential": "face", "consent": True}, "capture", "capture_required"),
    ({"credential": "face", "consent": True, "minor": True, "capture_id": "x"},
     "guardian_name", "guardian_required"),
    ({"credential": "card"}, "credential", "credential_kind"),
])
def test_malformed_field_is_refused_with_its_reason(
        guard: TestClient, guard_ctx: GuardContext, changes: dict, field: str,
        code: str) -> None:
    codes = _codes(guard.post("/api/guard/visitors", json=visitor_form(**changes)))
    assert codes.get(field) == code
    _nothing_saved(guard_ctx)


def test_unknown_form_field_is_refused(guard: TestClient) -> None:
    response = guard.post("/api/guard/visitors", json=visitor_form(id_number="x"))
    assert response.json()["detail"]["code"] == "invalid_request"


def test_capture_needs_the_consent_tick(guard: TestClient, guard_ctx: GuardContext,
                                        faces_root: Path) -> None:
    show(guard_ctx, read_image(faces_root / FACE_PHOTO))
    assert _codes(guard.post("/api/guard/captures", json={"consent": False})) == {
        "consent": "consent_required"}
    minor = guard.post("/api/guard/captures", json={"consent": True, "minor": True})
    assert _codes(minor) == {"guardian_name": "guardian_required"}


def test_capture_without_a_frame_asks_for_the_camera(guard: TestClient) -> None:
    assert _codes(guard.post("/api/guard/captures", json={"consent": True})) == {
        "capture": "no_frame"}


def test_capture_of_nobody_asks_for_another(guard: TestClient, guard_ctx: GuardContext) -> None:
    show(guard_ctx, np.full((480, 640, 3), 96, dtype=np.uint8))
    assert _codes(guard.post("/api/guard/captures", json={"consent": True})) == {
        "capture": "no_face"}


def test_capture_of_several_faces_asks_for_another(guard: TestClient, guard_ctx: GuardContext,
                                                   faces_root: Path) -> None:
    show(guard_ctx, read_image(faces_root / GROUP_PHOTO))
    assert _codes(guard.post("/api/guard/captures", json={"consent": True})) == {
        "capture": "several_faces"}


def test_capture_of_a_blurred_face_asks_for_another(guard: TestClient, guard_ctx: GuardContext,
                                                    faces_root: Path) -> None:
    sharp = read_image(faces_root / FACE_PHOTO)
    big = cv2.resize(sharp, (sharp.shape[1] * 2, sharp.shape[0] * 2))
    show(guard_ctx, cv2.GaussianBlur(big, (0, 0), 6))
    code = _codes(guard.post("/api/guard/captures", json={"consent": True}))["capture"]
    assert code in ("blurred", "no_face")  # heavy blur can hide the face from the detector


def test_face_visitor_consent_is_recorded_before_the_template(
        guard: TestClient, guard_ctx: GuardContext, faces_root: Path) -> None:
    show(guard_ctx, read_image(faces_root / FACE_PHOTO))
    captured = guard.post("/api/guard/captures", json={"consent": True})
    assert captured.status_code == 201, captured.text
    assert captured.json()["preview_jpeg_base64"]
    form = visitor_form(credential="face", consent=True, capture_id=captured.json()["capture_id"])
    response = guard.post("/api/guard/visitors", json=form)
    assert response.status_code == 201, response.text
    person_id = response.json()["person_id"]
    assert "pass_pin" not in response.json() and "pass_qr_svg" not in response.json()
    templates = [p for p, _ in guard_ctx.directory.face_templates(guard_ctx.recogniser.name)]
    assert templates == [person_id]
    consent = guard_ctx.store.consent_for(person_id)
    assert consent["consented_by"] == "visitor" and consent["recorded_by"] == GUARD[0]
    [consented] = events(guard_ctx, "visitor_consent_recorded")
    [registered] = events(guard_ctx, "visitor_registered")
    assert consented.sequence < registered.sequence
    [(_, _, payload)] = guard_ctx.store.pending()
    assert payload["consent"]["consented_by"] == "visitor" and len(payload["face"]["vector"])


def test_minor_needs_a_guardian_and_records_them(guard: TestClient, guard_ctx: GuardContext,
                                                 faces_root: Path) -> None:
    show(guard_ctx, read_image(faces_root / FACE_PHOTO))
    capture_id = guard.post("/api/guard/captures", json={
        "consent": True, "minor": True, "guardian_consent": True}).json()["capture_id"]
    form = visitor_form(credential="face", consent=True, minor=True, capture_id=capture_id,
                        guardian_name="韩梅梅", guardian_consent=True)
    person_id = guard.post("/api/guard/visitors", json=form).json()["person_id"]
    consent = guard_ctx.store.consent_for(person_id)
    assert consent["consented_by"] == "guardian" and consent["guardian_name"] == "韩梅梅"


def test_a_capture_is_used_once(guard: TestClient, guard_ctx: GuardContext,
                                faces_root: Path) -> None:
    show(guard_ctx, read_image(faces_root / FACE_PHOTO))
    capture_id = guard.post("/api/guard/captures", json={"consent": True}).json()["capture_id"]
    form = visitor_form(credential="face", consent=True, capture_id=capture_id)
    assert guard.post("/api/guard/visitors", json=form).status_code == 201
    assert _codes(guard.post("/api/guard/visitors", json=form)) == {"capture": "capture_expired"}


def test_capture_survives_a_refused_form(guard: TestClient, guard_ctx: GuardContext,
                                         faces_root: Path) -> None:
    show(guard_ctx, read_image(faces_root / FACE_PHOTO))
    capture_id = guard.post("/api/guard/captures", json={"consent": True}).json()["capture_id"]
    bad = visitor_form(credential="face", consent=True, capture_id=capture_id, phone="1")
    assert "phone" in _codes(guard.post("/api/guard/visitors", json=bad))
    good = visitor_form(credential="face", consent=True, capture_id=capture_id)
    assert guard.post("/api/guard/visitors", json=good).status_code == 201


def _fail_enqueue(ctx: GuardContext, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(*_args: object, **_kwargs: object) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(ctx.store, "enqueue", disk_full)


def _fail_directory(ctx: GuardContext, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(ctx.directory, "add_face_template", disk_full)


@pytest.mark.parametrize("fail", [_fail_enqueue, _fail_directory], ids=["last_step", "directory"])
def test_failed_storage_leaves_nothing_half_saved(guard: TestClient, guard_ctx: GuardContext,
                                                  faces_root: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  fail: object) -> None:
    show(guard_ctx, read_image(faces_root / FACE_PHOTO))
    capture_id = guard.post("/api/guard/captures", json={"consent": True}).json()["capture_id"]
    with monkeypatch.context() as patch:
        fail(guard_ctx, patch)  # type: ignore[operator]
        form = visitor_form(credential="face", consent=True, capture_id=capture_id)
        with pytest.raises(OSError):
            guard.post("/api/guard/visitors", json=form)
    snapshot = guard_ctx.directory.snapshot()
    assert snapshot.visitors == {} and set(snapshot.people) == {"r-host"}
    assert guard_ctx.store.pending() == []
    assert guard_ctx.directory.face_templates(guard_ctx.recogniser.name) == []
    assert guard_ctx.store.visits() == {}
    [consented] = events(guard_ctx, "visitor_consent_recorded")
    assert guard_ctx.store.consent_for(consented.subject) is None  # the consent row is gone
    # The log is append-only: it says the registration was taken back.
    [undone] = events(guard_ctx, "visitor_registration_undone")
    assert undone.subject == consented.subject and undone.evidence["guard_id"] == GUARD[0]
    # The capture survived: the guard retries without capturing again.
    retry = guard.post("/api/guard/visitors", json=form)
    assert retry.status_code == 201, retry.text
    assert len(guard_ctx.store.pending()) == 1


def test_visit_end_deletes_the_face_template_and_records_it(
        guard: TestClient, guard_ctx: GuardContext, sim: SimulatedGate,
        faces_root: Path) -> None:
    show(guard_ctx, read_image(faces_root / FACE_PHOTO))
    capture_id = guard.post("/api/guard/captures", json={"consent": True}).json()["capture_id"]
    form = visitor_form(credential="face", consent=True, capture_id=capture_id,
                        valid_until="2026-01-05T09:00:00Z")
    person_id = guard.post("/api/guard/visitors", json=form).json()["person_id"]
    recogniser = guard_ctx.recogniser.name
    assert end_expired_visits(guard_ctx.directory, guard_ctx.event_log, sim.clock,
                              recogniser) == []
    sim.clock.advance(3600)
    sim.gate.retention.run_once()  # the gate's own retention job
    assert guard_ctx.directory.face_templates(recogniser) == []
    [deleted] = events(guard_ctx, "visitor_face_deleted")
    assert deleted.subject == person_id and deleted.evidence["face_templates"] == 1
    assert person_id in guard_ctx.directory.snapshot().visitors  # the pass record stays
    # The registration still waiting for the aggregator lost the face and phone too.
    [(_, _, queued)] = guard_ctx.store.pending()
    assert queued["person_id"] == person_id and queued["ended"] is True
    assert queued["face"] is queued["consent"] is queued["phone"] is None


def test_units_lookup_lists_resident_units_only(guard: TestClient) -> None:
    guard.post("/api/guard/visitors", json=visitor_form())
    assert guard.get("/api/guard/units", params={"q": "3-2"}).json() == [HOST_UNIT]
    assert guard.get("/api/guard/units", params={"q": "9-"}).json() == []


def test_visitor_list_masks_names_and_shows_no_phone(guard: TestClient) -> None:
    guard.post("/api/guard/visitors", json=visitor_form())
    [row] = guard.get("/api/guard/visitors").json()
    assert row["name"] == "李*" and row["active"] is True and row["credential"] == "pass"
    assert "phone" not in row
