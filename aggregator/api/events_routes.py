"""Console routes over events: search, detail, snapshot, CSV export, hourly statistics.

Every search, view and export is written to the audit log (who looked for whom, when).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response, status
from fastapi.responses import FileResponse
from pydantic import BaseModel
from sqlalchemy import and_, select

from aggregator.api.deps import AnyUser, ConnDep, CurrentUser, SecurityUser, ServicesDep, audit
from aggregator.db.models import Event, Resident, Snapshot
from aggregator.privacy import mask_name
from aggregator.queries import (
    EventFilters,
    FilterError,
    default_window,
    event_columns,
    hourly,
    search,
    time_bound,
)

router = APIRouter(prefix="/api/v1", tags=["events"])

CSV_MAX_ROWS = 100_000


class EventRow(BaseModel):
    """A stored event as the console shows it."""

    event_id: str
    gate_id: str
    sequence: int
    occurred_at: str
    type: str
    subject: str | None
    decision: str | None
    reason: str | None
    evidence: dict[str, Any]
    snapshot_ref: str | None
    prev_hash: str
    hash: str
    display_name: str | None
    unit: str | None
    plate: str | None
    has_snapshot: bool
    chain_ok: bool
    received_at: str


class EventPage(BaseModel):
    items: list[EventRow]
    next_cursor: str | None


class HourlyRow(BaseModel):
    hour: str
    gate_id: str
    entries: int
    denials: int


def _filters(start: str | None, end: str | None, gate: str | None, person: str | None,
             unit: str | None, plate: str | None, type_: str | None, decision: str | None,
             reason: str | None) -> EventFilters:
    try:
        return EventFilters(time_bound(start, "from"), time_bound(end, "to"), gate or None,
                            person or None, unit or None, plate or None, type_ or None,
                            decision or None, reason or None)
    except FilterError as err:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)) from err


def _row(row: Any, user: CurrentUser, full_evidence: bool) -> EventRow:
    event, name, has_snapshot = row, row.display_name, row.has_snapshot
    if name and user.role == "guard":
        name = mask_name(name)
    evidence = json.loads(event.evidence)
    if not full_evidence:
        evidence = {k: v for k, v in evidence.items() if k in ("alarm", "plate", "detail")}
    return EventRow(
        event_id=event.event_id, gate_id=event.gate_id, sequence=event.sequence,
        occurred_at=event.occurred_at, type=event.type, subject=event.subject,
        decision=event.decision, reason=event.reason, evidence=evidence,
        snapshot_ref=event.snapshot_ref, prev_hash=event.prev_hash, hash=event.hash,
        display_name=name, unit=event.unit, plate=event.plate, has_snapshot=bool(has_snapshot),
        chain_ok=bool(event.chain_ok), received_at=event.received_at)


Text = Annotated[str | None, Query(max_length=100)]


@router.get("/events", response_model=EventPage)
def list_events(
    user: AnyUser, conn: ConnDep, svc: ServicesDep,
    start: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=40)] = None,
    gate: Text = None, person: Text = None, unit: Text = None, plate: Text = None,
    type: Text = None, decision: Literal["granted", "denied"] | None = None,
    reason: Text = None, limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> EventPage:
    """Search events, newest first; pass `next_cursor` back as `cursor` for the next page."""
    filters = _filters(start, end, gate, person, unit, plate, type, decision, reason)
    try:
        rows, next_cursor = search(conn, filters, limit, cursor)
    except FilterError as err:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)) from err
    audit(conn, svc, user, "search_events", filters.to_audit(), len(rows))
    return EventPage(items=[_row(r, user, False) for r in rows], next_cursor=next_cursor)


@router.get("/events.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def export_events(
    user: SecurityUser, conn: ConnDep, svc: ServicesDep,
    start: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=40)] = None,
    gate: Text = None, person: Text = None, unit: Text = None, plate: Text = None,
    type: Text = None, decision: Literal["granted", "denied"] | None = None,
    reason: Text = None,
) -> Response:
    """The filtered events as CSV (at most 100,000 rows; narrow the filter for more)."""
    filters = _filters(start, end, gate, person, unit, plate, type, decision, reason)
    rows, _ = search(conn, filters, CSV_MAX_ROWS)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["occurred_at", "gate_id", "sequence", "type", "decision", "reason",
                     "person_id", "display_name", "unit", "plate", "event_id", "hash"])
    for row in rows:
        e, name = row, row.display_name
        writer.writerow([e.occurred_at, e.gate_id, e.sequence, e.type, e.decision, e.reason,
                         e.subject, name, e.unit, e.plate, e.event_id, e.hash])
    audit(conn, svc, user, "export_events_csv", filters.to_audit(), len(rows))
    return Response(out.getvalue().encode("utf-8-sig"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="events.csv"'})


def _one(conn: ConnDep, event_id: str) -> Any:
    row = conn.execute(select(*event_columns()).outerjoin(
        Resident, Resident.person_id == Event.subject).where(Event.event_id == event_id)).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no event {event_id}")
    return row


@router.get("/events/{event_id}", response_model=EventRow)
def get_event(event_id: str, user: AnyUser, conn: ConnDep, svc: ServicesDep) -> EventRow:
    """One event with its full evidence."""
    row = _one(conn, event_id)
    audit(conn, svc, user, "view_event", {"event_id": event_id}, 1)
    return _row(row, user, user.role != "guard")


@router.get("/events/{event_id}/snapshot", response_class=FileResponse,
            responses={200: {"content": {"image/jpeg": {}}}})
def get_snapshot(event_id: str, user: AnyUser, conn: ConnDep, svc: ServicesDep) -> FileResponse:
    """The face crop of an event, while retention keeps it."""
    event = _one(conn, event_id)
    found = event.snapshot_ref and conn.execute(select(Snapshot.ref).where(and_(
        Snapshot.gate_id == event.gate_id, Snapshot.ref == event.snapshot_ref))).first()
    if not found:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            "this event has no snapshot (none taken, not uploaded yet, or "
                            "deleted by retention)")
    audit(conn, svc, user, "view_snapshot", {"event_id": event_id}, 1)
    path = svc.snapshot_dir / event.gate_id / event.snapshot_ref
    if not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, "the snapshot file is missing")
    return FileResponse(path, media_type="image/jpeg")


@router.get("/stats/hourly", response_model=list[HourlyRow])
def stats_hourly(
    user: AnyUser, conn: ConnDep, svc: ServicesDep,
    start: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=40)] = None,
    gate: Text = None,
) -> list[HourlyRow]:
    """Entries (granted) and denials per hour per gate; the last 24 h by default."""
    low, high = default_window(svc.clock())
    try:
        low = time_bound(start, "from") or low
        high = time_bound(end, "to") or high
    except FilterError as err:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)) from err
    rows = hourly(conn, low, high, gate)
    audit(conn, svc, user, "stats_hourly", {"from": low, "to": high, "gate": gate}, len(rows))
    return [HourlyRow(**r) for r in rows]
