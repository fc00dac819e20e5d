"""Background jobs: retention (events >= 180 days, snapshots and visitor data per policy) and
gate-offline alarms."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, delete, insert, select, update

from aggregator.api.gate_visitor_routes import expire_visitor_faces, forget_visitor_contacts
from aggregator.clock import iso
from aggregator.db.models import Alarm, Event, Gate, Snapshot
from aggregator.db.partitions import drop_expired_partitions, ensure_partitions, is_partitioned
from aggregator.services import Services

logger = logging.getLogger(__name__)

DELETE_CHUNK = 5000


@dataclass(frozen=True)
class RetentionReport:
    events_deleted: int
    snapshots_deleted: int
    visitor_contacts_cleared: int = 0


def enforce_retention(svc: Services) -> RetentionReport:
    """Delete events older than the event period and snapshots older than theirs; delete
    the face data of ended visits and, `visitor_contact_retention_days` later, their phone
    number and purpose.

    On partitioned PostgreSQL whole months are dropped (and the coming months made); elsewhere
    rows are deleted in chunks.
    """
    now = svc.clock()
    event_cutoff = iso(now - timedelta(days=svc.settings.event_retention_days))
    snap_cutoff = iso(now - timedelta(days=svc.settings.snapshot_retention_days))
    events = 0
    with svc.engine.begin() as conn:
        partitioned = is_partitioned(conn)
        if partitioned:
            made = ensure_partitions(conn, now)
            dropped, events = drop_expired_partitions(conn, event_cutoff)
            if made or dropped:
                logger.info("event partitions made %s, dropped %s", made, dropped)
    while not partitioned:  # in chunks, so a big purge never holds the write lock for long
        with svc.engine.begin() as conn:
            ids = conn.execute(select(Event.id).where(Event.occurred_at < event_cutoff)
                               .limit(DELETE_CHUNK)).scalars().all()
            if not ids:
                break
            events += conn.execute(delete(Event).where(Event.id.in_(ids))).rowcount
    snapshots = 0
    with svc.engine.begin() as conn:
        expired = conn.execute(select(Snapshot.gate_id, Snapshot.ref)
                               .where(Snapshot.stored_at < snap_cutoff)).all()
        for gate_id, ref in expired:
            # Row first, then file: a crash in between leaves an orphan file, never a dangling row.
            conn.execute(delete(Snapshot).where(and_(Snapshot.gate_id == gate_id,
                                                     Snapshot.ref == ref)))
            snapshots += 1
    for gate_id, ref in expired:
        (svc.snapshot_dir / gate_id / ref).unlink(missing_ok=True)
    with svc.engine.begin() as conn:  # a visitor's face goes when the visit does
        expire_visitor_faces(conn, now)
        contacts = forget_visitor_contacts(conn, now,
                                           svc.settings.visitor_contact_retention_days)
    if events or snapshots:
        logger.info("retention: %d events and %d snapshots deleted", events, snapshots)
    return RetentionReport(events, snapshots, contacts)


def raise_offline_alarms(svc: Services) -> list[str]:
    """Raise `gate_offline` once for each gate silent longer than the limit.

    One UPDATE ... RETURNING claims the gates: run by two replicas at once, the second finds
    them already flagged (PostgreSQL re-checks the WHERE after waiting for the row lock), so
    each silence raises one alarm.
    """
    cutoff = iso(svc.clock() - timedelta(seconds=svc.settings.gate_offline_seconds))
    with svc.engine.begin() as conn:
        silent = conn.execute(update(Gate).where(and_(
            Gate.revoked_at.is_(None), Gate.offline_alarmed.is_(False),
            Gate.last_seen.is_not(None), Gate.last_seen < cutoff))
            .values(offline_alarmed=True).returning(Gate.gate_id)).scalars().all()
        if silent:
            conn.execute(insert(Alarm), [
                {"kind": "gate_offline", "gate_id": gate_id, "detail": "no heartbeat or upload",
                 "raised_at": svc.now()} for gate_id in silent])
    for gate_id in silent:
        svc.metrics.alarms.labels("gate_offline").inc()
        if svc.mqtt is not None:
            svc.mqtt.publish_alarm(gate_id, "gate_offline", None)
    return list(silent)


class JobRunner:
    """Runs the offline check every 10 s and retention every hour, until stopped."""

    def __init__(self, svc: Services, offline_every_s: float = 10.0,
                 retention_every_s: float = 3600.0) -> None:
        self._svc = svc
        self._offline_every = offline_every_s
        self._retention_every = retention_every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="aggregator-jobs", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        since_retention = self._retention_every  # run retention once at start
        while not self._stop.is_set():
            try:
                raise_offline_alarms(self._svc)
                if since_retention >= self._retention_every:
                    enforce_retention(self._svc)
                    since_retention = 0.0
            except Exception:  # noqa: BLE001 - a job failure must not kill the thread
                logger.exception("background job failed; retrying later")
            self._stop.wait(self._offline_every)
            since_retention += self._offline_every
