"""The gate as the guard sees it: camera, decisions, alarms, manual open, muster list."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from gate.errors import GateError
from gate.eventlog.snapshots import InvalidSnapshotRefError
from gate.guard import actions
from gate.guard.camera import view_jpeg
from gate.guard.deps import ActingGuardDep, ContextDep, GuardDep, refuse
from gate.privacy import looks_like_identifier

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/guard", tags=["gate"])

NO_STORE = {"Cache-Control": "no-store"}


class ManualOpen(BaseModel):
    reason: str = Field("", max_length=500)


class Acknowledge(BaseModel):
    sequence: int = Field(..., ge=1)


class MarkLeft(BaseModel):
    person_id: str = Field(..., min_length=1, max_length=64)


@router.get("/camera.jpg", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}}}})
async def camera(guard: GuardDep, ctx: ContextDep) -> Response:
    """The newest camera frame with the face pipeline's detection boxes (poll it)."""
    data = await run_in_threadpool(view_jpeg, ctx.tap.latest())
    return Response(data, media_type="image/jpeg", headers=NO_STORE)


@router.get("/decisions")
def decisions(guard: GuardDep, ctx: ContextDep) -> list[dict[str, object]]:
    """The newest decisions and manual opens, newest first (names masked)."""
    return actions.decisions(ctx)


@router.get("/snapshots/{ref:path}", response_class=FileResponse)
def snapshot(ref: Annotated[str, Path(max_length=200)], guard: GuardDep,
             ctx: ContextDep) -> FileResponse:
    """The face crop a decision refers to."""
    try:
        path = ctx.snapshots.path_of(ref)
    except InvalidSnapshotRefError as err:
        raise refuse(status.HTTP_404_NOT_FOUND, "no_snapshot", str(err)) from err
    if not path.is_file():
        raise refuse(status.HTTP_404_NOT_FOUND, "no_snapshot", "snapshot expired or absent")
    return FileResponse(path, media_type="image/jpeg", headers=NO_STORE)


@router.get("/alarms")
def alarms(guard: GuardDep, ctx: ContextDep) -> list[dict[str, object]]:
    """Alarms among the recent events, newest first, with who acknowledged each."""
    return [a.__dict__ for a in actions.alarms(ctx)]


@router.post("/alarms/ack")
def acknowledge(body: Acknowledge, guard: ActingGuardDep, ctx: ContextDep) -> dict[str, object]:
    """Acknowledge an alarm (recorded with the guard's id)."""
    record = actions.acknowledge(ctx, guard, body.sequence)
    if record is None:
        raise refuse(status.HTTP_404_NOT_FOUND, "no_alarm",
                     f"no open alarm {body.sequence} (unknown or already acknowledged)")
    return {"sequence": record.sequence}


@router.post("/manual-open")
def manual_open(body: ManualOpen, guard: ActingGuardDep, ctx: ContextDep) -> dict[str, object]:
    """Open the door once; a reason is required and the open is recorded with the guard."""
    reason = body.reason.strip()
    if len(reason) < 2:
        raise refuse(status.HTTP_422_UNPROCESSABLE_CONTENT, "reason_required",
                     "say why the door is opened by hand",
                     errors=[{"field": "reason", "code": "reason_required"}])
    if looks_like_identifier(reason):  # the note is kept for years in the durable log
        raise refuse(status.HTTP_422_UNPROCESSABLE_CONTENT, "reason_has_number",
                     "the reason must not hold an ID or phone number",
                     errors=[{"field": "reason", "code": "reason_has_number"}])
    try:
        record = actions.manual_open(ctx, guard, reason)
    except actions.DoorUnavailableError as err:
        raise refuse(status.HTTP_503_SERVICE_UNAVAILABLE, "door_unavailable", str(err)) from err
    return {"sequence": record.sequence}


@router.get("/muster")
async def muster(guard: GuardDep, ctx: ContextDep) -> dict[str, object]:
    """Who is inside now: community-wide from the aggregator, else this gate's own entries.

    `scope` is `community` or `gate`; `offline` says the aggregator could not be asked.
    """
    community, offline = None, False
    if ctx.community_muster is not None:
        try:
            body = await run_in_threadpool(ctx.community_muster, ctx.config.muster_hours)
            community = actions.community_passages(body)
        except (GateError, ValueError) as err:
            offline = True
            logger.warning("community muster list unavailable (%s); this gate's only", err)
    rows = await run_in_threadpool(actions.muster, ctx, community)
    return {"generated_at": ctx.clock.now().isoformat(), "hours": ctx.config.muster_hours,
            "gate_id": ctx.gate_id, "scope": "gate" if community is None else "community",
            "offline": offline, "people": rows}


@router.post("/muster/left")
def mark_left(body: MarkLeft, guard: ActingGuardDep, ctx: ContextDep) -> dict[str, object]:
    """Mark a person of this gate's directory as having left (recorded with the guard)."""
    try:
        record = actions.mark_left(ctx, guard, body.person_id)
    except actions.UnknownPersonError as err:
        raise refuse(status.HTTP_404_NOT_FOUND, "unknown_person", str(err)) from err
    return {"sequence": record.sequence}
