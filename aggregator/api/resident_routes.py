"""Residents and their face enrolment (photo + consent in, template stored, photo discarded)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Query, Response, UploadFile, status
from pydantic import BaseModel
from sqlalchemy import Connection, delete, func, insert, select

from aggregator.api.deps import AdminUser, ConnDep, SecurityUser, ServicesDep, audit
from aggregator.db.models import Consent, FaceTemplate, Resident
from aggregator.errors import EnrolmentError
from aggregator.faces import RECOGNISER
from aggregator.privacy import looks_like_identifier
from aggregator.sync import record_change
from wire.schemas import PersonWire

router = APIRouter(prefix="/api/v1/residents", tags=["management"])

MAX_PHOTO_BYTES = 8 * 1024 * 1024


class ResidentOut(PersonWire):
    face_templates: int = 0


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
                       enabled=row.enabled, face_templates=faces)


def _get(conn: Connection, person_id: str) -> Resident:
    row = conn.execute(select(Resident).where(Resident.person_id == person_id)).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no resident {person_id}")
    return row


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
    values = body.model_dump(exclude={"groups"}) | {"groups_json": json.dumps(body.groups)}
    conn.execute(delete(Resident).where(Resident.person_id == body.person_id))
    conn.execute(insert(Resident).values(**values))
    record_change(conn, "person", body.person_id, svc.now())
    audit(conn, svc, user, "upsert_resident", {"person_id": body.person_id})
    return _out(conn, _get(conn, body.person_id))


@router.get("/{person_id}", response_model=ResidentOut)
def get_resident(person_id: str, user: SecurityUser, conn: ConnDep) -> ResidentOut:
    """One resident."""
    return _out(conn, _get(conn, person_id))


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
    """Delete a resident and their face templates; every gate drops them at the next sync."""
    _get(conn, person_id)
    conn.execute(delete(FaceTemplate).where(FaceTemplate.person_id == person_id))
    conn.execute(delete(Resident).where(Resident.person_id == person_id))
    now = svc.now()
    record_change(conn, "faces", person_id, now)
    record_change(conn, "person", person_id, now)
    audit(conn, svc, user, "delete_resident", {"person_id": person_id})
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
    return Enrolment(person_id=person_id, template_id=template_id, consent_id=consent_id,
                     source_sha256=sha, recogniser=RECOGNISER)
