"""Event search for the console: filters, keyset pagination, hourly statistics."""

from __future__ import annotations

import base64
import binascii
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import Connection, Select, and_, case, exists, func, or_, select

from aggregator.clock import iso, parse_iso
from aggregator.db.models import Event, Resident, Snapshot
from wire.plates import normalise_plate


class FilterError(ValueError):
    """A search parameter cannot be understood (bad time, bad cursor)."""


@dataclass(frozen=True)
class EventFilters:
    """The console's search form."""

    start: str | None = None
    end: str | None = None
    gate: str | None = None
    person: str | None = None
    unit: str | None = None
    plate: str | None = None
    type: str | None = None
    decision: str | None = None
    reason: str | None = None

    def to_audit(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in (None, "")}


def time_bound(text: str | None, what: str) -> str | None:
    """An ISO time from the query string in the stored format, or None."""
    if text in (None, ""):
        return None
    try:
        return iso(parse_iso(text))
    except (ValueError, TypeError) as err:
        raise FilterError(f"{what} must be an ISO-8601 time, e.g. 2026-01-05T08:00:00Z") from err


def filtered(statement: Select, filters: EventFilters) -> Select:
    """Apply the filters to a SELECT over `events`."""
    conditions = []
    if filters.start:
        conditions.append(Event.occurred_at >= filters.start)
    if filters.end:
        conditions.append(Event.occurred_at < filters.end)
    if filters.gate:
        conditions.append(Event.gate_id == filters.gate)
    if filters.person:
        by_name = select(Resident.person_id).where(
            Resident.display_name.contains(filters.person, autoescape=True))
        conditions.append(or_(Event.subject == filters.person, Event.subject.in_(by_name)))
    if filters.unit:
        conditions.append(Event.unit == filters.unit)
    if filters.plate:
        conditions.append(Event.plate == normalise_plate(filters.plate))
    if filters.type:
        conditions.append(Event.type == filters.type)
    if filters.decision:
        conditions.append(Event.decision == filters.decision)
    if filters.reason:
        conditions.append(Event.reason == filters.reason)
    return statement.where(and_(*conditions)) if conditions else statement


def encode_cursor(occurred_at: str, row_id: int) -> str:
    return base64.urlsafe_b64encode(f"{occurred_at}|{row_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, int]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        occurred_at, row_id = text.split("|")
        return occurred_at, int(row_id)
    except (ValueError, binascii.Error, UnicodeDecodeError) as err:
        raise FilterError("cursor is not one this server returned; start from page 1") from err


def event_columns() -> list:
    has_snapshot = exists().where(and_(Snapshot.gate_id == Event.gate_id,
                                       Snapshot.ref == Event.snapshot_ref))
    return [*Event.__table__.c, Resident.display_name, has_snapshot.label("has_snapshot")]


def search(conn: Connection, filters: EventFilters, limit: int,
           cursor: str | None = None) -> tuple[list, str | None]:
    """One page of matching events, newest first, and the cursor of the next page."""
    statement = filtered(select(*event_columns()).outerjoin(
        Resident, Resident.person_id == Event.subject), filters)
    if cursor:
        at, row_id = decode_cursor(cursor)
        statement = statement.where(or_(Event.occurred_at < at,
                                        and_(Event.occurred_at == at, Event.id < row_id)))
    rows = conn.execute(statement.order_by(Event.occurred_at.desc(), Event.id.desc())
                        .limit(limit + 1)).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(last.occurred_at, last.id)
    return rows, next_cursor


def hourly(conn: Connection, start: str, end: str, gate: str | None) -> list[dict]:
    """Entries and denials per hour per gate in [start, end)."""
    hour = func.substr(Event.occurred_at, 1, 13)
    statement = (
        select(hour.label("hour"), Event.gate_id,
               func.sum(case((Event.decision == "granted", 1), else_=0)).label("entries"),
               func.sum(case((Event.decision == "denied", 1), else_=0)).label("denials"))
        .where(and_(Event.occurred_at >= start, Event.occurred_at < end,
                    Event.decision.is_not(None)))
        .group_by(hour, Event.gate_id).order_by(hour, Event.gate_id)
    )
    if gate:
        statement = statement.where(Event.gate_id == gate)
    return [{"hour": f"{h}:00:00Z", "gate_id": g, "entries": int(e), "denials": int(d)}
            for h, g, e, d in conn.execute(statement)]


def default_window(now: datetime, days: int = 1) -> tuple[str, str]:
    from datetime import timedelta

    return iso(now - timedelta(days=days)), iso(now + timedelta(minutes=1))
