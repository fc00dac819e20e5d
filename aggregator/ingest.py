"""Ingest of event batches: idempotent by event id, gaps and hash-chain breaks detected.

One batch is one transaction: either every new event of it is stored with its gap and alarm
rows, or (on any error) nothing is. Per gate, requests are serialised by a row lock on the gate
(``SELECT ... FOR UPDATE`` on PostgreSQL) or by SQLite's single writer, so replicas sharing one
database never race on a gate's state: the second of two concurrent copies of a batch waits for
the first to commit, then finds every event known (duplicates, no gap, no chain alarm).
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field

from sqlalchemy import Connection, and_, func, select, update

from aggregator.clock import Clock, iso
from aggregator.db.event_store import claim_event_ids, insert_events, resident_units
from aggregator.db.models import Alarm, Event, Gate, SequenceGap
from aggregator.plate_presence import clone_alarms
from wire.chain import GENESIS_HASH, canonical_json, compute_hash
from wire.schemas import EventBatch, IngestResult, WireEvent

logger = logging.getLogger(__name__)

EVENT_ALARMS = {"door_forced": "door_forced", "door_held_open": "door_held_open"}
"""Gate event types that raise an alarm of the same kind."""

BLACKLIST_REASON = "denied_blacklisted"


class BatchRejectedError(ValueError):
    """The batch is malformed as a whole (wrong gate, duplicate ids); nothing was stored."""


@dataclass
class IngestOutcome:
    """The wire result plus what was stored (for MQTT and metrics)."""

    result: IngestResult
    stored: list[WireEvent] = field(default_factory=list)
    alarms: list[tuple[str, str | None]] = field(default_factory=list)
    """(kind, event_id or None) of each alarm raised."""


class Ingestor:
    """Stores batches; thread-safe (a lock serialises writers on SQLite)."""

    def __init__(self, engine_dialect: str, clock: Clock) -> None:
        self._clock = clock
        self._sqlite_lock = threading.Lock() if engine_dialect == "sqlite" else None

    def ingest(self, conn: Connection, gate_id: str, batch: EventBatch) -> IngestOutcome:
        """Store `batch` from the authenticated `gate_id` inside the caller's transaction."""
        events = sorted(batch.events, key=lambda e: e.sequence)
        evidence = _validate(gate_id, batch, events)
        if self._sqlite_lock is None:
            return self._ingest(conn, gate_id, events, evidence)
        with self._sqlite_lock:
            return self._ingest(conn, gate_id, events, evidence)

    def _ingest(self, conn: Connection, gate_id: str, events: list[WireEvent],
                evidence: list[str]) -> IngestOutcome:
        now = iso(self._clock())
        gate = conn.execute(
            select(Gate.last_sequence, Gate.last_hash).where(Gate.gate_id == gate_id)
            .with_for_update()
        ).one()
        last_sequence, last_hash = int(gate.last_sequence), gate.last_hash
        # Ids are claimed under the gate's lock rather than left to the unique index of
        # `events`: on partitioned PostgreSQL that index is (event_id, occurred_at), so a replay
        # with an altered time would otherwise be stored twice.
        new_ids = claim_event_ids(conn, [e.event_id for e in events])
        fresh = [(e, text) for e, text in zip(events, evidence, strict=True)
                 if e.event_id in new_ids]
        units = resident_units(conn, {e.subject for e, _ in fresh if e.subject})
        # The chain is checked before the insert so each row is written once, flag included.
        hashes = {e.sequence: e.hash for e in events}
        chain_ok = {e.event_id: _chain_ok(conn, gate_id, e, hashes, last_sequence, last_hash)
                    and _links_to_stored_successor(conn, gate_id, e, hashes, last_sequence)
                    for e, _ in fresh}
        inserted = insert_events(conn, [_row(e, text, now, units, chain_ok[e.event_id])
                                        for e, text in fresh])
        stored = [e for e, _ in fresh if e.event_id in inserted]

        broken = [e for e in stored if not chain_ok[e.event_id]]
        gaps = _new_gaps(last_sequence, stored)
        late = [e.sequence for e in stored if e.sequence <= last_sequence]
        if late:
            _close_filled_gaps(conn, gate_id, late, now)
        alarms = [(kind, e.event_id, "") for e in stored if (kind := _alarm_kind(e))]
        alarms += clone_alarms(conn, stored)
        alarms += [("chain_broken", e.event_id, f"sequence {e.sequence}") for e in broken[:1]]
        alarms += [("sequence_gap", None, f"sequences {a}..{b}") for a, b in gaps]
        for gap_from, gap_to in gaps:
            conn.execute(SequenceGap.__table__.insert().values(
                gate_id=gate_id, from_sequence=gap_from, to_sequence=gap_to, detected_at=now))
        if alarms:
            conn.execute(Alarm.__table__.insert(), [
                {"kind": kind, "gate_id": gate_id, "event_id": event_id, "detail": detail,
                 "raised_at": now} for kind, event_id, detail in alarms])
        values: dict[str, object] = {"last_seen": now, "offline_alarmed": False}
        newest = max(stored, key=lambda e: e.sequence, default=None)
        if newest is not None and newest.sequence > last_sequence:
            values.update(last_sequence=newest.sequence, last_hash=newest.hash)
        conn.execute(update(Gate).where(Gate.gate_id == gate_id).values(**values))
        if broken:
            logger.warning("gate %s: hash chain broken at sequence %d", gate_id,
                           broken[0].sequence)
        result = IngestResult(accepted=len(stored), duplicates=len(events) - len(stored),
                              gaps=gaps, chain_ok=not broken)
        return IngestOutcome(result, stored, [(kind, event_id) for kind, event_id, _ in alarms])


def _validate(gate_id: str, batch: EventBatch, events: list[WireEvent]) -> list[str]:
    """Refuse a malformed batch; returns each event's evidence as canonical JSON text."""
    if batch.gate_id != gate_id:
        raise BatchRejectedError(
            f"batch names gate {batch.gate_id!r} but the credential belongs to {gate_id!r}")
    foreign = next((e for e in events if e.gate_id != gate_id), None)
    if foreign is not None:
        raise BatchRejectedError(
            f"event {foreign.event_id} names gate {foreign.gate_id!r}, not {gate_id!r}")
    if len({e.event_id for e in events}) != len(events):
        raise BatchRejectedError("the batch repeats an event_id")
    if len({e.sequence for e in events}) != len(events):
        raise BatchRejectedError("the batch repeats a sequence number")
    try:
        return [canonical_json(event.evidence) for event in events]
    except ValueError as err:
        raise BatchRejectedError(f"evidence is not canonical JSON: {err}") from err


def _row(event: WireEvent, evidence: str, now: str, units: dict[str, str],
         chain_ok: bool) -> tuple:
    """The stored row of `event`, in `event_store.INSERT_COLUMNS` order."""
    plate = event.evidence.get("plate")
    return (
        event.event_id, event.gate_id, event.sequence, event.occurred_at, event.type,
        event.subject, event.decision, event.reason, evidence, event.snapshot_ref,
        event.prev_hash, event.hash, now, units.get(event.subject or ""),
        plate[:16] if isinstance(plate, str) else None, chain_ok,
    )


def _chain_ok(conn: Connection, gate_id: str, event: WireEvent, hashes: dict[int, str],
              last_sequence: int, last_hash: str | None) -> bool:
    """The event hashes to its `hash` and links to its predecessor where that is known."""
    # The model's own field dict: compute_hash reads only HASHED_FIELDS, and model_dump()
    # would first build a deep copy of every event for nothing.
    if compute_hash(vars(event)) != event.hash:
        return False
    previous = event.sequence - 1
    if previous == 0:
        return event.prev_hash == GENESIS_HASH
    expected = hashes.get(previous)
    if expected is None and previous == last_sequence:
        expected = last_hash
    if expected is None and previous < last_sequence:
        expected = conn.execute(select(Event.hash).where(
            and_(Event.gate_id == gate_id, Event.sequence == previous))
            .order_by(Event.id.desc()).limit(1)).scalar()
    # Unknown predecessor (a gap, or the gate purged before first upload): a gap, not a break.
    return expected is None or expected == event.prev_hash


def _links_to_stored_successor(conn: Connection, gate_id: str, event: WireEvent,
                               hashes: dict[int, str], last_sequence: int) -> bool:
    """A late event filling a gap is the predecessor its already stored successor names.

    The successor could not check that link when it arrived (its predecessor was missing), so
    without this a forged run of events filling a gap would pass as long as it chained to
    the events before the gap.
    """
    following = event.sequence + 1
    if following in hashes or following > last_sequence:
        return True  # checked from the successor's side, or no successor yet
    named = conn.execute(select(Event.prev_hash).where(
        and_(Event.gate_id == gate_id, Event.sequence == following))
        .order_by(Event.id.desc()).limit(1)).scalar()
    return named is None or named == event.hash


def _new_gaps(last_sequence: int, stored: list[WireEvent]) -> list[tuple[int, int]]:
    gaps, high = [], last_sequence
    for event in stored:  # sorted by sequence
        if event.sequence > high + 1:
            gaps.append((high + 1, event.sequence - 1))
        high = max(high, event.sequence)
    return gaps


def _close_filled_gaps(conn: Connection, gate_id: str, late: list[int], now: str) -> None:
    open_gaps = conn.execute(select(
        SequenceGap.id, SequenceGap.from_sequence, SequenceGap.to_sequence).where(
        and_(SequenceGap.gate_id == gate_id, SequenceGap.closed_at.is_(None),
             SequenceGap.from_sequence <= max(late), SequenceGap.to_sequence >= min(late)))
    ).all()
    for gap in open_gaps:
        present = conn.execute(select(func.count()).select_from(Event).where(
            and_(Event.gate_id == gate_id, Event.sequence >= gap.from_sequence,
                 Event.sequence <= gap.to_sequence))).scalar_one()
        if present >= gap.to_sequence - gap.from_sequence + 1:
            conn.execute(update(SequenceGap).where(SequenceGap.id == gap.id)
                         .values(closed_at=now))


def _alarm_kind(event: WireEvent) -> str | None:
    if event.type in EVENT_ALARMS:
        return EVENT_ALARMS[event.type]
    if event.reason == BLACKLIST_REASON:
        return "blacklist_hit"
    return None


def evidence_of(text: str) -> dict:
    """Stored evidence text back to a dict."""
    return json.loads(text)
