"""Registering a visitor at the gate: consent first, then directory, log and outbox together.

Order matters. A face is captured into memory only (never stored) after the consent tick;
registration writes the consent record before any face data, checks the message for the
aggregator against the shared schema, then writes the person, pass, face template (or PIN)
and optional vehicle in one directory transaction (marked unsynced, so a full sync keeps
them until the aggregator has them), then the visit and the `visitor_registered` event, and
last the outbox entry: once it is queued the outbox thread may deliver it, so nothing after
it may fail and undo the registration. If any step fails, what was written is removed again
(nothing half-saved) and the log records that the registration was undone.

A plate registered to someone else is refused, never taken over; the face must come from a
frame the camera delivered within the last second (a stalled camera shows someone else).
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from gate.directory.rows import iso
from gate.directory.vehicles import VehicleTakenError
from gate.errors import GateError
from gate.guard.camera import Capture, CaptureError, capture_face
from gate.guard.context import GuardContext
from gate.guard.pass_qr import pass_qr_svg
from gate.guard.sessions import GuardSession
from gate.guard.store import ConsentRecord
from gate.guard.visitor_form import CheckedVisitor, FieldProblem, FormError, VisitorForm, check_form
from gate.policy.model import Person, PersonKind, Visitor
from gate.privacy import mask_name, mask_phone
from wire.pins import hash_pin
from wire.visitors import GateVisitorWire

logger = logging.getLogger(__name__)

OUTBOX_KIND = "visitor_registration"
CONSENT_PURPOSE = "visitor face recognition at this community's gates until the visit ends"
PASS_PIN_DIGITS = 6
MAX_FRAME_AGE_SECONDS = 1.0
"""A capture uses only a frame this fresh: an older one may show whoever stood there before."""
_WIRE_FIELDS = {"display_name": "name"}


@dataclass
class _Held:
    capture: Capture
    taken_at: float
    guard_id: str


class CaptureBook:
    """Captured faces waiting for registration, in memory only, dropped after a while."""

    def __init__(self, ctx: GuardContext) -> None:
        self._ctx = ctx
        self._lock = threading.Lock()
        self._held: dict[str, _Held] = {}

    def take(self, session: GuardSession) -> tuple[str, Capture]:
        """Capture the face in the camera's newest frame; CaptureError says why not."""
        if self._ctx.recogniser is None:
            raise CaptureError("no_face_camera", "this gate has no face camera; issue a pass")
        frame = self._ctx.tap.latest()
        if frame is not None and (self._ctx.clock.monotonic() - frame.seen_at
                                  > MAX_FRAME_AGE_SECONDS):
            raise CaptureError("stale_frame", "the camera has sent no new picture; check the "
                                              "camera and capture again")
        capture = capture_face(frame, self._ctx.recogniser)
        capture_id = secrets.token_urlsafe(12)
        now = self._ctx.clock.monotonic()
        with self._lock:
            self._drop_old(now)
            self._held[capture_id] = _Held(capture, now, session.guard_id)
        return capture_id, capture

    def pop(self, capture_id: str) -> Capture | None:
        with self._lock:
            self._drop_old(self._ctx.clock.monotonic())
            held = self._held.pop(capture_id, None)
        return held.capture if held else None

    def put_back(self, capture_id: str, capture: Capture, guard_id: str) -> None:
        """Keep a capture for a corrected form (the guard need not capture again)."""
        with self._lock:
            self._held[capture_id] = _Held(capture, self._ctx.clock.monotonic(), guard_id)

    def _drop_old(self, now: float) -> None:
        ttl = self._ctx.config.capture_ttl_seconds
        for key in [k for k, h in self._held.items() if now - h.taken_at > ttl]:
            del self._held[key]


def resident_units(ctx: GuardContext) -> set[str]:
    """Units where a resident lives (synced from the aggregator)."""
    return {p.unit for p in ctx.directory.snapshot().people.values()
            if p.kind is PersonKind.RESIDENT and p.unit}


def _new_pass_pin(ctx: GuardContext) -> str:
    for _ in range(20):
        pin = "".join(secrets.choice("0123456789") for _ in range(PASS_PIN_DIGITS))
        if ctx.directory.person_for_pin(pin) is None:
            return pin
    raise GateError("could not find a free PIN for the pass")


def register_visitor(ctx: GuardContext, captures: CaptureBook, session: GuardSession,
                     form: VisitorForm) -> dict[str, Any]:
    """Check and store a visitor; FormError lists each refused field, nothing is saved."""
    checked = check_form(form, ctx.clock.now(), ZoneInfo(ctx.config.timezone),
                         resident_units(ctx), ctx.directory.vehicle_plates())
    capture = None
    if checked.credential == "face":
        capture = captures.pop(checked.capture_id or "")
        if capture is None:
            raise FormError([FieldProblem("capture", "capture_expired",
                                          "the captured face has expired; capture again")])
    person_id = "v-" + secrets.token_hex(6)
    try:
        pin = _store(ctx, session, checked, capture, person_id)
    except BaseException:
        if capture is not None:  # the guard may correct the form or simply retry
            captures.put_back(checked.capture_id or "", capture, session.guard_id)
        raise
    # Stored and queued: from here nothing may fail the request, or the guard would retry
    # and register the visitor twice.
    _after_commit(ctx, checked, capture is not None)
    result: dict[str, Any] = {
        "person_id": person_id, "name": mask_name(checked.name),
        "phone": mask_phone(checked.phone), "host_unit": checked.host_unit,
        "valid_from": iso(checked.valid_from), "valid_until": iso(checked.valid_until),
        "max_entries": checked.max_entries, "plate": checked.plate,
        "credential": checked.credential,
    }
    if pin is not None:
        result["pass_pin"] = pin  # shown once on screen; only its hash is kept
        result["pass_qr_svg"] = pass_qr_svg(pin)  # the same digits, nothing else
    return result


def _after_commit(ctx: GuardContext, checked: CheckedVisitor, face: bool) -> None:
    steps: list[tuple[str, Any]] = []
    if face:
        steps.append(("gallery reload", ctx.reload_gallery))  # recognised now, not later
    if checked.plate:  # the car may be waiting at this lane's barrier
        steps.append(("plate re-check", lambda: ctx.forget_plate(checked.plate or "")))
    steps.append(("outbox wake-up", ctx.notify_outbox))
    for what, step in steps:
        try:
            step()
        except Exception:  # noqa: BLE001 - the registration itself stands
            logger.exception("%s after a visitor registration failed; it catches up later",
                             what)


def _store(ctx: GuardContext, session: GuardSession, checked: CheckedVisitor,
           capture: Capture | None, person_id: str) -> str | None:
    directory, store = ctx.directory, ctx.store
    consent_id = None
    directory_written = logged = False
    pin = None
    try:
        if capture is not None:
            consent = ConsentRecord(
                person_id, "guardian" if checked.minor else "visitor", checked.guardian_name,
                checked.minor, session.guard_id, CONSENT_PURPOSE)
            consent_id = store.record_consent(consent)
            logged = True
            ctx.event_log.append("visitor_consent_recorded", subject=person_id, evidence={
                "guard_id": session.guard_id, "consented_by": consent.consented_by,
                "minor": checked.minor, "consent_id": consent_id})
        pin = None if capture is not None else _new_pass_pin(ctx)
        payload = _payload(ctx, session, checked, capture, pin, person_id, consent_id)
        with directory.batch():
            # The pass alone carries the window: a refusal after it then reads
            # `denied_visitor_window`, not the generic `denied_expired` of a person row.
            directory.upsert_person(Person(person_id, checked.name, checked.host_unit,
                                           kind=PersonKind.VISITOR))
            directory.upsert_visitor(Visitor(person_id, checked.host_unit, checked.valid_from,
                                             checked.valid_until, checked.max_entries, 0))
            if capture is not None:
                directory.add_face_template(person_id, capture.recogniser,
                                            capture.template.vector,
                                            capture.template.source_sha256)
            else:
                directory.add_pin(person_id, pin or "")
            if checked.plate:
                directory.upsert_vehicle(checked.plate, person_id, checked.host_unit,
                                         replace=False)
            # Until a delta brings the visitor back, a full sync must not drop them.
            directory.set_unsynced_people(directory.unsynced_people() | {person_id})
        directory_written = True
        store.add_visit(person_id, checked.credential, checked.purpose, checked.plate,
                        session.guard_id)
        logged = True
        ctx.event_log.append("visitor_registered", subject=person_id, evidence={
            "guard_id": session.guard_id, "credential": checked.credential,
            "host_unit": checked.host_unit, "valid_from": iso(checked.valid_from),
            "valid_until": iso(checked.valid_until), "max_entries": checked.max_entries,
            "vehicle": checked.plate is not None})
        store.enqueue(OUTBOX_KIND, payload)  # the last step that can fail (see the top)
    except BaseException as err:
        # The type only: the text of an error may quote what the guard typed in.
        logger.error("visitor registration failed (%s); undoing what was written",
                     type(err).__name__)
        _undo(ctx, session, person_id, consent_id, directory_written, logged)
        if isinstance(err, VehicleTakenError):  # registered elsewhere since the form check
            raise FormError([FieldProblem("plate", "plate_registered",
                                          "this plate is registered to someone else")]) from None
        raise
    return pin


def _undo(ctx: GuardContext, session: GuardSession, person_id: str, consent_id: int | None,
          directory_written: bool, logged: bool) -> None:
    try:
        ctx.store.delete_visit(person_id)
        if directory_written:
            with ctx.directory.batch():
                ctx.directory.delete_person(person_id)
                ctx.directory.set_unsynced_people(ctx.directory.unsynced_people() - {person_id})
        if consent_id is not None:
            ctx.store.delete_consent(consent_id)
        if logged:  # the log is append-only: say that what it recorded was taken back
            ctx.event_log.append("visitor_registration_undone", subject=person_id,
                                 evidence={"guard_id": session.guard_id,
                                           "consent_id": consent_id})
    except Exception as err:  # noqa: BLE001 - report, and let the first error surface
        logger.error("could not undo a failed visitor registration (%s)", type(err).__name__)


def _payload(ctx: GuardContext, session: GuardSession, checked: CheckedVisitor,
             capture: Capture | None, pin: str | None, person_id: str,
             consent_id: int | None) -> dict[str, Any]:
    """What the aggregator stores (the phone is kept centrally only)."""
    payload: dict[str, Any] = {
        "person_id": person_id, "display_name": checked.name, "phone": checked.phone,
        "host_unit": checked.host_unit, "purpose": checked.purpose,
        "valid_from": iso(checked.valid_from), "valid_until": iso(checked.valid_until),
        "max_entries": checked.max_entries, "plate": checked.plate,
        "registered_by": session.guard_id, "face": None, "consent": None, "pin_hash": None,
    }
    if capture is not None:
        payload["face"] = {"recogniser": capture.recogniser,
                           "vector": [float(v) for v in capture.template.vector],
                           "source_sha256": capture.template.source_sha256}
        payload["consent"] = {"consent_id": consent_id,
                              "consented_by": "guardian" if checked.minor else "visitor",
                              "minor": checked.minor, "guardian_name": checked.guardian_name,
                              "purpose": CONSENT_PURPOSE}
    elif pin is not None:
        # The same hash the directory stores (the community salt), never the PIN itself.
        payload["pin_hash"] = hash_pin(pin, bytes.fromhex(ctx.directory.pin_salt_hex()))
    # Checked against the shared schema here, so a registration the aggregator would refuse
    # fails at the guard's screen, not later in the outbox.
    try:
        return GateVisitorWire.model_validate(payload).model_dump(mode="json")
    except ValidationError as err:
        # `from None`: pydantic's text quotes the input (names, phone) and must not travel.
        raise FormError([_wire_problem(e) for e in err.errors()]) from None


def _wire_problem(error: Any) -> FieldProblem:
    """A schema error as a form problem: the field and pydantic's message, never the input."""
    names = [_WIRE_FIELDS.get(str(part), str(part)) for part in error.get("loc", ())]
    field = next((n for n in reversed(names) if n in VisitorForm.model_fields), "form")
    return FieldProblem(field, "invalid", str(error.get("msg", "not valid")))


__all__ = ["CaptureBook", "CaptureError", "FormError", "VisitorForm", "register_visitor",
           "resident_units"]
