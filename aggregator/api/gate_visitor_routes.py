"""Visitors registered on a gate's guard screen: stored centrally, synced to every gate.

The gate authenticates with its credential (as for ingest). One transaction stores the
person (kind visitor), the pass, the consent record (before the face template that refers
to it), the template, a pass PIN hash and a vehicle; each is a directory change, so the
community's other gates receive the visitor at their next sync. Re-sending the same
registration (a lost reply) changes nothing. The phone number stays here: it is not part of
any sync, and the console never shows it unmasked.

`GET /api/v1/gate/muster` gives a gate's guard screen the community's last passage per person
(entry or exit, at any gate) for its evacuation list: ids and times only, the gate names
people from its own synced directory.

A pass that has already ended when its registration arrives (a gate that was offline) is
recorded, but its face template and PIN are not stored: they would only be deleted again.
A plate already registered to someone else is refused (409), never taken over.

`expire_visitor_faces` (run by the retention job) deletes a visitor's face templates and PIN
once the pass has ended, and tells the gates through the same directory versions;
`forget_visitor_contacts` clears the phone number and purpose some days later.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Annotated

import numpy as np
from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel
from sqlalchemy import Connection, delete, insert, select, update

from aggregator.api.deps import ConnDep, CurrentUser, GateDep, ServicesDep, audit
from aggregator.clock import iso, parse_iso
from aggregator.db.models import Consent, Event, FaceTemplate, Pin, Resident, Vehicle, Visitor
from aggregator.lookalikes import refresh_lookalikes
from aggregator.sync import record_change
from wire.visitors import GateVisitorWire

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/gate", tags=["gates"])


class GateVisitorOut(BaseModel):
    person_id: str
    consent_id: int | None
    template_id: int | None


@router.post("/visitors", response_model=GateVisitorOut, status_code=201)
def register_visitor(body: GateVisitorWire, gate_id: GateDep, conn: ConnDep,
                     svc: ServicesDep) -> GateVisitorOut:
    """Store a visitor registered at the calling gate (idempotent by person_id)."""
    existing = conn.execute(select(Resident.kind).where(Resident.person_id == body.person_id)
                            ).scalar()
    if existing is not None and existing != "visitor":
        raise HTTPException(status.HTTP_409_CONFLICT, f"{body.person_id} is a resident")
    known_unit = conn.execute(select(Resident.person_id).where(
        (Resident.unit == body.host_unit) & (Resident.kind == "resident")).limit(1)).scalar()
    if known_unit is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"no resident lives in unit {body.host_unit}")
    if body.plate:
        holder = conn.execute(select(Vehicle.person_id).where(Vehicle.plate == body.plate)
                              ).first()
        if holder is not None and holder[0] != body.person_id:
            raise HTTPException(status.HTTP_409_CONFLICT,
                                "this plate is registered to someone else; it was not changed")
    now = svc.now()
    start, end = iso(parse_iso(body.valid_from)), iso(parse_iso(body.valid_until))
    ended = body.ended or parse_iso(body.valid_until) <= svc.clock()
    # The visitor pass carries the window; the person row stays unbounded so that the gates
    # refuse a late visitor with `denied_visitor_window` rather than `denied_expired`.
    person = {"display_name": body.display_name, "unit": body.host_unit, "kind": "visitor",
              "groups_json": "[]", "valid_from": None, "valid_until": None, "enabled": True}
    if not conn.execute(update(Resident).where(Resident.person_id == body.person_id)
                        .values(**person)).rowcount:
        conn.execute(insert(Resident).values(person_id=body.person_id, **person))
    visitor = {"host_unit": body.host_unit, "valid_from": start, "valid_until": end,
               "max_entries": body.max_entries, "phone": body.phone, "purpose": body.purpose,
               "registered_by": body.registered_by, "registered_gate": gate_id}
    if not conn.execute(update(Visitor).where(Visitor.person_id == body.person_id)
                        .values(**visitor)).rowcount:
        conn.execute(insert(Visitor).values(person_id=body.person_id, **visitor))
    for entity in ("person", "visitor"):
        record_change(conn, entity, body.person_id, now)
    consent_id = template_id = None
    # After the visit a face or PIN would only be deleted again by the retention job.
    if body.face is not None and body.consent is not None and not ended:
        consent_id, template_id = _store_face(conn, gate_id, body, now)
        refresh_lookalikes(conn, now)
    if body.pin_hash is not None and not ended:
        _store_pin(conn, body.person_id, body.pin_hash, now)
    if body.plate:
        conn.execute(delete(Vehicle).where(Vehicle.plate == body.plate))
        conn.execute(insert(Vehicle).values(plate=body.plate, person_id=body.person_id,
                                            unit=body.host_unit))
        record_change(conn, "vehicle", body.plate, now)
    audit(conn, svc, CurrentUser(f"gate:{gate_id}", "gate"), "gate_register_visitor",
          {"person_id": body.person_id, "guard": body.registered_by,
           "face": template_id is not None, "vehicle": bool(body.plate), "ended": ended})
    return GateVisitorOut(person_id=body.person_id, consent_id=consent_id,
                          template_id=template_id)


def _store_face(conn: Connection, gate_id: str, body: GateVisitorWire,
                now: str) -> tuple[int, int]:
    face, consent = body.face, body.consent
    assert face is not None and consent is not None
    # The consent row first: the template refers to it (and a resend reuses both).
    consent_id = conn.execute(select(Consent.id).where(
        (Consent.person_id == body.person_id)
        & (Consent.photo_sha256 == face.source_sha256))).scalar()
    if consent_id is None:
        consent_id = conn.execute(insert(Consent).values(
            person_id=body.person_id, recorded_by=f"{gate_id}/{body.registered_by}",
            recorded_at=now, photo_sha256=face.source_sha256, purpose=consent.purpose,
            minor=consent.minor, guardian_name=consent.guardian_name)
            .returning(Consent.id)).scalar_one()
    conn.execute(delete(FaceTemplate).where(
        (FaceTemplate.person_id == body.person_id)
        & (FaceTemplate.source_sha256 == face.source_sha256)))
    blob = np.asarray(face.vector, dtype="<f4").tobytes()
    template_id = conn.execute(insert(FaceTemplate).values(
        person_id=body.person_id, recogniser=face.recogniser, vector=blob,
        source_sha256=face.source_sha256, consent_id=consent_id, created_at=now)
        .returning(FaceTemplate.id)).scalar_one()
    record_change(conn, "faces", body.person_id, now)
    return int(consent_id), int(template_id)


def _store_pin(conn: Connection, person_id: str, pin_hash: str, now: str) -> None:
    taken = conn.execute(select(Pin.person_id).where(Pin.pin_hash == pin_hash)).scalar()
    if taken is not None and taken != person_id:
        raise HTTPException(status.HTTP_409_CONFLICT, "this pass PIN is in use")
    conn.execute(delete(Pin).where(Pin.person_id == person_id))
    conn.execute(insert(Pin).values(person_id=person_id, pin_hash=pin_hash, set_at=now))
    record_change(conn, "pin", person_id, now)


class Passage(BaseModel):
    """A person's last passage in the window: `inside` after an entry, not after an exit."""

    person_id: str
    inside: bool
    at: str
    gate_id: str


class MusterOut(BaseModel):
    generated_at: str
    hours: int
    people: list[Passage]


_MUSTER_TYPES = ("access_decision", "muster_marked_left")


@router.get("/muster", response_model=MusterOut)
def muster(gate_id: GateDep, conn: ConnDep, svc: ServicesDep,
           hours: Annotated[int, Query(ge=1, le=72)] = 12) -> MusterOut:
    """Each person's last entry or exit at any gate of the community within `hours`."""
    since = iso(svc.clock() - timedelta(hours=hours))
    rows = conn.execute(
        select(Event.subject, Event.type, Event.decision, Event.evidence, Event.occurred_at,
               Event.gate_id)
        .where(Event.occurred_at >= since, Event.subject.is_not(None),
               Event.type.in_(_MUSTER_TYPES))
        .order_by(Event.occurred_at, Event.id))
    last: dict[str, Passage] = {}
    for subject, kind, decision, evidence, at, source in rows:
        if kind == "access_decision" and decision != "granted":
            continue
        last[subject] = Passage(person_id=subject, inside=_is_entry(kind, evidence), at=at,
                                gate_id=source)
    return MusterOut(generated_at=svc.now(), hours=hours, people=list(last.values()))


def _is_entry(kind: str, evidence: str) -> bool:
    """A granted decision is an entry unless the policy says it was an exit lane."""
    if kind != "access_decision":
        return False  # a guard marked the person as having left
    try:
        policy = json.loads(evidence).get("policy") or {}
    except (ValueError, AttributeError):
        return True
    return not (isinstance(policy, dict) and policy.get("direction") == "exit")


def expire_visitor_faces(conn: Connection, now: datetime) -> list[str]:
    """Delete face templates and PINs of visitors whose pass has ended; returns their ids."""
    holders = set(conn.execute(select(FaceTemplate.person_id).distinct()).scalars())
    holders |= set(conn.execute(select(Pin.person_id)).scalars())
    ended = []
    for person_id, until in conn.execute(select(Visitor.person_id, Visitor.valid_until)):
        if person_id in holders and parse_iso(until) <= now:
            ended.append(person_id)
    stamp = iso(now)
    for person_id in ended:
        if conn.execute(delete(FaceTemplate).where(FaceTemplate.person_id == person_id)
                        ).rowcount:
            record_change(conn, "faces", person_id, stamp)
        if conn.execute(delete(Pin).where(Pin.person_id == person_id)).rowcount:
            record_change(conn, "pin", person_id, stamp)
    if ended:
        logger.info("visits ended: face data of %d visitor(s) deleted centrally", len(ended))
    return ended


def forget_visitor_contacts(conn: Connection, now: datetime, after_days: int) -> int:
    """Clear the phone and purpose of visits that ended `after_days` ago; returns how many.

    The person and pass stay (the event log still names who came); the contact data, kept
    for questions about a recent visit, does not.
    """
    cutoff = now - timedelta(days=after_days)
    due = [person_id for person_id, until in conn.execute(
        select(Visitor.person_id, Visitor.valid_until).where(
            Visitor.phone.is_not(None) | Visitor.purpose.is_not(None)))
        if parse_iso(until) <= cutoff]
    for person_id in due:
        conn.execute(update(Visitor).where(Visitor.person_id == person_id)
                     .values(phone=None, purpose=None))
    if due:
        logger.info("visitor contact data cleared for %d ended visit(s)", len(due))
    return len(due)
