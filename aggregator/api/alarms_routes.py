"""Alarms (list, acknowledge), gate status, gate registration and credentials, the audit log."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field
from sqlalchemy import and_, select, update
from sqlalchemy.exc import IntegrityError

from aggregator.api.deps import AdminUser, AnyUser, ConnDep, ServicesDep, audit
from aggregator.clock import iso
from aggregator.db.models import Alarm, AuditEntry, Gate, SequenceGap

router = APIRouter(prefix="/api/v1", tags=["alarms and gates"])


class AlarmRow(BaseModel):
    alarm_id: int
    kind: str
    gate_id: str | None
    event_id: str | None
    detail: str
    raised_at: str
    acked_by: str | None
    acked_at: str | None


class GateStatus(BaseModel):
    gate_id: str
    name: str
    online: bool
    revoked: bool
    last_seen: str | None
    last_sequence: int
    gaps: list[tuple[int, int]]


class GateRegistration(BaseModel):
    gate_id: str = Field(..., pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    name: str = Field("", max_length=100)


class GateCredential(BaseModel):
    gate_id: str
    credential: str = Field(..., description="Shown once; put it in the gate's environment.")


class AuditRow(BaseModel):
    at: str
    username: str
    action: str
    detail: str
    result_count: int | None


@router.get("/alarms", response_model=list[AlarmRow])
def list_alarms(user: AnyUser, conn: ConnDep,
                state: Literal["open", "acked", "all"] = "open",
                limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[AlarmRow]:
    """Alarms, newest first: door forced or held open, blacklist hits, chain breaks, gaps."""
    statement = select(Alarm).order_by(Alarm.alarm_id.desc()).limit(limit)
    if state == "open":
        statement = statement.where(Alarm.acked_at.is_(None))
    elif state == "acked":
        statement = statement.where(Alarm.acked_at.is_not(None))
    return [AlarmRow.model_validate(row, from_attributes=True)
            for row in conn.execute(statement).all()]


@router.post("/alarms/{alarm_id}/ack", response_model=AlarmRow)
def ack_alarm(alarm_id: int, user: AnyUser, conn: ConnDep, svc: ServicesDep) -> AlarmRow:
    """Acknowledge an alarm (recorded with your name and the time)."""
    found = conn.execute(select(Alarm).where(Alarm.alarm_id == alarm_id)).first()
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no alarm {alarm_id}")
    if found.acked_at is None:
        conn.execute(update(Alarm).where(Alarm.alarm_id == alarm_id)
                     .values(acked_by=user.username, acked_at=svc.now()))
        audit(conn, svc, user, "ack_alarm", {"alarm_id": alarm_id})
    row = conn.execute(select(Alarm).where(Alarm.alarm_id == alarm_id)).one()
    return AlarmRow.model_validate(row, from_attributes=True)


@router.get("/gates/status", response_model=list[GateStatus])
def gates_status(user: AnyUser, conn: ConnDep, svc: ServicesDep) -> list[GateStatus]:
    """Every gate: online (heard from within 60 s), last sequence, open sequence gaps."""
    cutoff = iso(svc.clock() - timedelta(seconds=svc.settings.gate_offline_seconds))
    gaps: dict[str, list[tuple[int, int]]] = {}
    for gate_id, low, high in conn.execute(
        select(SequenceGap.gate_id, SequenceGap.from_sequence, SequenceGap.to_sequence)
        .where(SequenceGap.closed_at.is_(None)).order_by(SequenceGap.from_sequence)
    ):
        gaps.setdefault(gate_id, []).append((low, high))
    return [
        GateStatus(gate_id=g.gate_id, name=g.name, revoked=g.revoked_at is not None,
                   online=bool(g.last_seen and g.last_seen >= cutoff and g.revoked_at is None),
                   last_seen=g.last_seen, last_sequence=g.last_sequence,
                   gaps=gaps.get(g.gate_id, []))
        for g in conn.execute(select(Gate).order_by(Gate.gate_id)).all()
    ]


@router.get("/gates", response_model=list[GateStatus])
def list_gates(user: AdminUser, conn: ConnDep, svc: ServicesDep) -> list[GateStatus]:
    """Registered gates (as in /gates/status)."""
    return gates_status(user, conn, svc)


@router.post("/gates", response_model=GateCredential, status_code=201)
def register_gate(body: GateRegistration, user: AdminUser, svc: ServicesDep) -> GateCredential:
    """Register a gate and issue its credential; the credential is shown only this once."""
    try:
        credential = svc.register_gate(body.gate_id, body.name)
    except IntegrityError as err:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"gate {body.gate_id} is already registered") from err
    with svc.engine.begin() as conn:
        audit(conn, svc, user, "register_gate", {"gate_id": body.gate_id})
    return GateCredential(gate_id=body.gate_id, credential=credential)


@router.post("/gates/{gate_id}/revoke", response_model=GateStatus)
def revoke_gate(gate_id: str, user: AdminUser, conn: ConnDep, svc: ServicesDep) -> GateStatus:
    """Revoke a gate's credential: its uploads and syncs are refused until a new one is issued."""
    changed = conn.execute(update(Gate).where(and_(Gate.gate_id == gate_id,
                                                   Gate.revoked_at.is_(None)))
                           .values(revoked_at=svc.now())).rowcount
    exists = conn.execute(select(Gate.gate_id).where(Gate.gate_id == gate_id)).first()
    if exists is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no gate {gate_id}")
    if changed:
        audit(conn, svc, user, "revoke_gate", {"gate_id": gate_id})
    return next(g for g in gates_status(user, conn, svc) if g.gate_id == gate_id)


@router.post("/gates/{gate_id}/credential", response_model=GateCredential)
def issue_gate_credential(gate_id: str, user: AdminUser, svc: ServicesDep) -> GateCredential:
    """Issue a new credential (shown only this once): the old one stops working at once and a
    revoked gate is admitted again. Use it when a gate's credential leaked or was lost."""
    credential = svc.issue_credential(gate_id)
    if credential is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no gate {gate_id}")
    with svc.engine.begin() as conn:
        audit(conn, svc, user, "issue_gate_credential", {"gate_id": gate_id})
    return GateCredential(gate_id=gate_id, credential=credential)


@router.get("/audit", response_model=list[AuditRow])
def audit_log(user: AdminUser, conn: ConnDep,
              limit: Annotated[int, Query(ge=1, le=1000)] = 200,
              username: Annotated[str | None, Query(max_length=64)] = None) -> list[AuditRow]:
    """Who searched, exported or changed what, newest first."""
    statement = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if username:
        statement = statement.where(AuditEntry.username == username)
    return [AuditRow.model_validate(r, from_attributes=True) for r in conn.execute(statement)]
