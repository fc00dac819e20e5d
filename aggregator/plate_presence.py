"""A plate admitted twice without leaving in between: a likely cloned plate.

One gate cannot tell a cloned plate from the original car; the aggregator, which sees
every lane, can notice the same plate let in at an entry lane while the community's own
log says it is already inside. It raises an alarm for security (it cannot stop the car:
the gate has decided by then). Only plates that have ever been seen leaving are judged,
so a community without exit cameras gets no false alarms from this rule.
"""

from __future__ import annotations

import json

from sqlalchemy import and_, select
from sqlalchemy.engine import Connection

from aggregator.db.models import Event
from wire.plates import mask_plate
from wire.schemas import WireEvent

CLONE_ALARM = "plate_clone_suspected"


def _direction(evidence: object) -> str | None:
    data = json.loads(evidence) if isinstance(evidence, str) else evidence
    value = data.get("direction") if isinstance(data, dict) else None
    return value if value in ("entry", "exit") else None


def clone_alarms(conn: Connection, stored: list[WireEvent]) -> list[tuple[str, str, str]]:
    """(kind, event_id, detail) for each granted entry of a plate that is already inside."""
    alarms = []
    for event in stored:
        plate = event.evidence.get("plate")
        if (event.decision != "granted" or not isinstance(plate, str)
                or _direction(event.evidence) != "entry"):
            continue
        granted_before = conn.execute(
            select(Event.evidence, Event.gate_id).where(and_(
                Event.plate == plate[:16], Event.decision == "granted",
                Event.occurred_at < event.occurred_at))
            .order_by(Event.occurred_at.desc()).limit(1)).first()
        if granted_before is None or _direction(granted_before.evidence) != "entry":
            continue
        ever_left = conn.execute(select(Event.id).where(and_(
            Event.plate == plate[:16], Event.decision == "granted",
            Event.evidence.contains('"direction":"exit"'))).limit(1)).first()
        if ever_left is not None:
            alarms.append((CLONE_ALARM, event.event_id,
                           f"plate {mask_plate(plate)} let in again at {event.gate_id} without "
                           f"leaving since its entry at {granted_before.gate_id}"))
    return alarms
