"""Visitor registration: units to visit, face capture (after consent), register, list."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from gate.guard import registration
from gate.guard.camera import CaptureError
from gate.guard.deps import ActingGuardDep, CapturesDep, ContextDep, GuardDep, refuse
from gate.guard.visitor_form import FormError, VisitorForm
from gate.policy.model import PersonKind
from gate.privacy import mask_name

router = APIRouter(prefix="/api/guard", tags=["visitors"])


class CaptureIn(BaseModel):
    consent: bool = False
    minor: bool = False
    guardian_consent: bool = False


@router.get("/units")
def units(guard: GuardDep, ctx: ContextDep,
          q: Annotated[str, Query(max_length=64)] = "") -> list[str]:
    """Units where residents live, matching `q` (for the host field; no names)."""
    found = sorted(u for u in registration.resident_units(ctx) if q.strip() in u)
    return found[:20]


@router.post("/captures", status_code=201)
async def capture(body: CaptureIn, guard: ActingGuardDep, ctx: ContextDep,
                  book: CapturesDep) -> dict[str, object]:
    """Capture the visitor's face from the camera's newest frame; needs the consent tick."""
    if not body.consent:
        raise refuse(status.HTTP_422_UNPROCESSABLE_CONTENT, "consent_required",
                     "tick the visitor's consent before capturing a face",
                     errors=[{"field": "consent", "code": "consent_required"}])
    if body.minor and not body.guardian_consent:
        raise refuse(status.HTTP_422_UNPROCESSABLE_CONTENT, "guardian_required",
                     "a visitor under 14 needs a guardian's consent",
                     errors=[{"field": "guardian_name", "code": "guardian_required"}])
    try:
        capture_id, taken = await run_in_threadpool(book.take, guard)
    except CaptureError as err:
        raise refuse(status.HTTP_422_UNPROCESSABLE_CONTENT, err.code, str(err),
                     errors=[{"field": "capture", "code": err.code}]) from err
    return {"capture_id": capture_id, "face_px": taken.template.face_px,
            "preview_jpeg_base64": base64.b64encode(taken.preview_jpeg).decode()}


@router.post("/visitors", status_code=201)
async def register(form: VisitorForm, guard: ActingGuardDep, ctx: ContextDep,
                   book: CapturesDep) -> dict[str, object]:
    """Register a visitor (face or PIN pass); each refused field comes back with a code."""
    try:
        return await run_in_threadpool(registration.register_visitor, ctx, book, guard, form)
    except FormError as err:
        raise refuse(status.HTTP_422_UNPROCESSABLE_CONTENT, "invalid_form", str(err),
                     errors=[{"field": p.field, "code": p.code, "message": p.detail}
                             for p in err.problems]) from err


@router.get("/visitors")
def visitors(guard: GuardDep, ctx: ContextDep) -> list[dict[str, object]]:
    """Visitor passes this gate holds, newest window first (names masked, no phones)."""
    snapshot = ctx.directory.snapshot()
    now = ctx.clock.now()
    visits = ctx.store.visits()
    rows = []
    for person_id, visitor in snapshot.visitors.items():
        person = snapshot.people.get(person_id)
        if person is None or person.kind is not PersonKind.VISITOR:
            continue
        visit = visits.get(person_id, {})
        rows.append({
            "person_id": person_id, "name": mask_name(person.display_name),
            "host_unit": visitor.host_unit, "valid_from": visitor.valid_from.isoformat(),
            "valid_until": visitor.valid_until.isoformat(),
            "entries_used": visitor.entries_used, "max_entries": visitor.max_entries,
            "active": visitor.valid_from <= now < visitor.valid_until
            and visitor.entries_used < visitor.max_entries,
            "credential": visit.get("credential"), "registered_here": bool(visit),
        })
    return sorted(rows, key=lambda r: str(r["valid_until"]), reverse=True)
