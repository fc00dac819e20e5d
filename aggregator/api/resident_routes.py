"""Residents and their face enrolment (photo + consent in, template stored, photo discarded)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Query, Response, UploadFile, status
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from aggregator.api.deps import (
    AdminUser,
    AnyUser,
    ConnDep,
    CurrentUser,
    SecurityUser,
    ServicesDep,
    audit,
)
from aggregator.db.models import Card, Consent, FaceTemplate, Pin, Resident, Visitor
from aggregator.errors import EnrolmentError
from aggregator.faces import RECOGNISER
from aggregator.lookalikes import lookalikes_of, refresh_lookalikes
from aggregator.privacy import looks_like_identifier
from aggregator.services import Services
from aggregator.sync import pin_salt, record_change
from wire.pins import PIN_MAX_DIGITS, PIN_MIN_DIGITS, hash_pin
from wire.schemas import PersonWire

router = APIRouter(prefix="/api/v1/residents", tags=["management"])

MAX_PHOTO_BYTES = 8 * 1024 * 1024


class ResidentOut(PersonWire):
    face_templates: int = 0
    lookalike_of: list[str] = Field(
        default_factory=list,
        description="Residents whose enrolled faces sit within the gates' match threshold of "
        "this one's; `lookalike` is true when this is not empty.")


class SecondFactorOut(BaseModel):
    """What a guard may know: whether face gates ask this person for a card or PIN too."""

    person_id: str
    lookalike: bool


class PinIn(BaseModel):
    pin: str = Field(..., pattern=rf"^[0-9]{{{PIN_MIN_DIGITS},{PIN_MAX_DIGITS}}}$",
                     description="4 to 12 digits; stored and sent to gates only as a hash.")


class Enrolment(BaseModel):
    person_id: str
    template_id: int
    consent_id: int
    source_sha256: str
    recogniser: str


def _out(conn: Connection, row: Resident) -> ResidentOut:
    faces = conn.execute(select(func.count()).select_from(FaceTemplate)
                         .where(FaceTemplate.person_id == row.person_id)).scalar_one()
    return ResidentOut(person_id=row.person_id, display_name=row.display_name, unit=row.unit,
                       kind=row.kind, groups=json.loads(row.groups_json),
                       valid_from=row.valid_from, valid_until=row.valid_until,
                       enabled=row.enabled, face_templates=faces,
                       lookalike=bool(lookalikes_of(row.lookalike_of_json)),
                       lookalike_of=lookalikes_of(row.lookalike_of_json))


def _get(conn: Connection, person_id: str) -> Resident:
    row = conn.execute(select(Resident).where(Resident.person_id == person_id)).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no resident {person_id}")
    return row


def _refresh_lookalikes(conn: Connection, svc: Services, user: CurrentUser) -> None:
    """Recompute look-alike flags after a template change; audit each flag that appears."""
    changes = refresh_lookalikes(conn, svc.now())
    for person_id in changes.appeared:
        others = changes.flagged[person_id]
        audit(conn, svc, user, "lookalike_flagged",
              {"person_id": person_id, "lookalike_of": sorted(others),
               "nearest_distance": round(min(others.values()), 3)})
    for person_id in changes.cleared:
        audit(conn, svc, user, "lookalike_cleared", {"person_id": person_id})


@router.get("", response_model=list[ResidentOut])
def list_residents(user: SecurityUser, conn: ConnDep,
                   unit: Annotated[str | None, Query(max_length=64)] = None) -> list[ResidentOut]:
    """Residents and visitors, by id (optionally of one unit)."""
    statement = select(Resident).order_by(Resident.person_id)
    if unit:
        statement = statement.where(Resident.unit == unit)
    return [_out(conn, r) for r in conn.execute(statement).all()]


@router.post("", response_model=ResidentOut)
def upsert_resident(body: PersonWire, user: AdminUser, conn: ConnDep,
                    svc: ServicesDep) -> ResidentOut:
    """Create or replace a resident; gates receive the change at their next sync."""
    if looks_like_identifier(body.display_name) or looks_like_identifier(body.unit):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            "display_name and unit must not hold ID or phone numbers")
    # `lookalike` is the aggregator's own finding, never taken from a request.
    values = body.model_dump(exclude={"groups", "lookalike"}) | {
        "groups_json": json.dumps(body.groups)}
    # UPDATE, not DELETE + INSERT: deleting the row would cascade to the person's face
    # templates and PIN without the gates being told.
    if not conn.execute(update(Resident).where(Resident.person_id == body.person_id)
                        .values(**values)).rowcount:
        conn.execute(insert(Resident).values(**values))
    record_change(conn, "person", body.person_id, svc.now())
    audit(conn, svc, user, "upsert_resident", {"person_id": body.person_id})
    return _out(conn, _get(conn, body.person_id))


@router.get("/{person_id}", response_model=ResidentOut)
def get_resident(person_id: str, user: SecurityUser, conn: ConnDep) -> ResidentOut:
    """One resident."""
    return _out(conn, _get(conn, person_id))


@router.get("/{person_id}/second-factor", response_model=SecondFactorOut)
def get_second_factor(person_id: str, user: AnyUser, conn: ConnDep) -> SecondFactorOut:
    """Whether face gates ask this resident for a card or PIN too (a look-alike); guards too."""
    row = _get(conn, person_id)
    return SecondFactorOut(person_id=person_id,
                           lookalike=bool(lookalikes_of(row.lookalike_of_json)))


@router.put("/{person_id}", response_model=ResidentOut)
def put_resident(person_id: str, body: PersonWire, user: AdminUser, conn: ConnDep,
                 svc: ServicesDep) -> ResidentOut:
    """Replace a resident (the id in the path and body must agree)."""
    if body.person_id != person_id:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"body person_id {body.person_id!r} is not {person_id!r}")
    return upsert_resident(body, user, conn, svc)


@router.delete("/{person_id}", status_code=204)
def delete_resident(person_id: str, user: AdminUser, conn: ConnDep, svc: ServicesDep) -> Response:
    """Delete a resident with their faces, cards, PIN and pass; gates drop them next sync."""
    _get(conn, person_id)
    conn.execute(delete(FaceTemplate).where(FaceTemplate.person_id == person_id))
    cards = conn.execute(delete(Card).where(Card.person_id == person_id)
                         .returning(Card.card_number)).scalars().all()
    conn.execute(delete(Pin).where(Pin.person_id == person_id))
    conn.execute(delete(Visitor).where(Visitor.person_id == person_id))
    conn.execute(delete(Resident).where(Resident.person_id == person_id))
    now = svc.now()
    for card_number in cards:
        record_change(conn, "card", card_number, now)
    for entity in ("pin", "visitor", "faces", "person"):
        record_change(conn, entity, person_id, now)
    audit(conn, svc, user, "delete_resident", {"person_id": person_id})
    _refresh_lookalikes(conn, svc, user)
    return Response(status_code=204)


@router.post("/{person_id}/faces", response_model=Enrolment, status_code=201)
async def enrol_face(
    person_id: str, user: AdminUser, svc: ServicesDep,
    photo: Annotated[UploadFile, File(description="A frontal JPEG/PNG photo of one person.")],
    consent: Annotated[bool, Form(description="The person agreed to face enrolment.")] = False,
    purpose: Annotated[str, Form(max_length=500)] = "community access control",
) -> Enrolment:
    """Enrol a face from a photo; needs consent=true. The photo is discarded after encoding."""
    if not consent:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            "consent=true is required: record the person's agreement first")
    data = await photo.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "photo larger than 8 MB")
    with svc.engine.connect() as conn:
        _get(conn, person_id)
    try:
        vector, sha = svc.face_encoder.encode(data)
    except EnrolmentError as err:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)) from err
    now = svc.now()
    with svc.engine.begin() as conn:
        _get(conn, person_id)
        consent_id = conn.execute(insert(Consent).values(
            person_id=person_id, recorded_by=user.username, recorded_at=now,
            photo_sha256=sha, purpose=purpose).returning(Consent.id)).scalar_one()
        conn.execute(delete(FaceTemplate).where(
            (FaceTemplate.person_id == person_id) & (FaceTemplate.source_sha256 == sha)))
        template_id = conn.execute(insert(FaceTemplate).values(
            person_id=person_id, recogniser=RECOGNISER, vector=vector.astype("<f4").tobytes(),
            source_sha256=sha, consent_id=consent_id, created_at=now)
            .returning(FaceTemplate.id)).scalar_one()
        record_change(conn, "faces", person_id, now)
        audit(conn, svc, user, "enrol_face", {"person_id": person_id})
        _refresh_lookalikes(conn, svc, user)
    return Enrolment(person_id=person_id, template_id=template_id, consent_id=consent_id,
                     source_sha256=sha, recogniser=RECOGNISER)


@router.delete("/{person_id}/faces", status_code=204)
def delete_faces(person_id: str, user: AdminUser, conn: ConnDep, svc: ServicesDep) -> Response:
    """Delete every face template of a resident (e.g. consent withdrawn); gates follow."""
    _get(conn, person_id)
    _delete_templates(conn, svc, user, person_id, FaceTemplate.person_id == person_id)
    return Response(status_code=204)


@router.delete("/{person_id}/faces/{template_id}", status_code=204)
def delete_face(person_id: str, template_id: int, user: AdminUser, conn: ConnDep,
                svc: ServicesDep) -> Response:
    """Delete one face template of a resident; gates drop it at their next sync."""
    _delete_templates(conn, svc, user, person_id, (FaceTemplate.person_id == person_id)
                      & (FaceTemplate.id == template_id), template_id)
    return Response(status_code=204)


def _delete_templates(conn: Connection, svc: Services, user: CurrentUser, person_id: str,
                      which: ColumnElement[bool], template_id: int | None = None) -> None:
    removed = conn.execute(delete(FaceTemplate).where(which)).rowcount
    if template_id is not None and not removed:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"{person_id} has no face template {template_id}")
    record_change(conn, "faces", person_id, svc.now())
    audit(conn, svc, user, "delete_faces",
          {"person_id": person_id, "template_id": template_id}, result_count=removed)
    _refresh_lookalikes(conn, svc, user)


@router.put("/{person_id}/pin", status_code=204)
def set_pin(person_id: str, body: PinIn, user: AdminUser, conn: ConnDep,
            svc: ServicesDep) -> Response:
    """Set a resident's keypad PIN (hashed with the community salt; gates get the hash)."""
    _get(conn, person_id)
    salt = pin_salt(conn)
    if salt is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            "the database has no PIN salt; run the migrations")
    pin_hash = hash_pin(body.pin, bytes.fromhex(salt))
    taken = conn.execute(select(Pin.person_id).where(Pin.pin_hash == pin_hash)).scalar()
    if taken is not None and taken != person_id:
        # A PIN identifies its holder at the keypad, so it cannot be shared.
        raise HTTPException(status.HTTP_409_CONFLICT, "this PIN is in use; choose another")
    conn.execute(delete(Pin).where(Pin.person_id == person_id))
    try:
        with conn.begin_nested():
            conn.execute(insert(Pin).values(person_id=person_id, pin_hash=pin_hash,
                                            set_at=svc.now()))
    except IntegrityError as err:  # the same PIN set for someone else at the same moment
        raise HTTPException(status.HTTP_409_CONFLICT, "this PIN is in use; choose another") \
            from err
    record_change(conn, "pin", person_id, svc.now())
    audit(conn, svc, user, "set_pin", {"person_id": person_id})
    return Response(status_code=204)


@router.delete("/{person_id}/pin", status_code=204)
def delete_pin(person_id: str, user: AdminUser, conn: ConnDep, svc: ServicesDep) -> Response:
    """Remove a resident's PIN; gates stop accepting it at the next sync."""
    if not conn.execute(delete(Pin).where(Pin.person_id == person_id)).rowcount:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{person_id} has no PIN")
    record_change(conn, "pin", person_id, svc.now())
    audit(conn, svc, user, "delete_pin", {"person_id": person_id})
    return Response(status_code=204)
