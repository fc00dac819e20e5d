"""The durable, hash-chained event log of one gate: SQLite in WAL mode, one fsync per event.

Every decision and door event is appended here *before* the relay is driven; :meth:`EventLog.append`
returns only once the event's transaction is committed with ``synchronous=FULL``, so neither a
kill -9 nor a power cut loses an event the caller was told about.

Tables (prefixed, because gate.db is shared with the directory store):
  ``events``             one row per event; ``sequence`` is the rowid. Every column except
                         ``snapshot_purged_at`` is a wire field covered by the hash (``chain``).
  ``event_checkpoints``  one row per retention purge: sequence and hash of the last purged
                         event, from which verification of the remaining events continues.
  ``event_meta``         schema version and the gate id the file belongs to.

``AUTOINCREMENT`` is used not to allocate sequences (we choose them, they are hashed) but because
SQLite then keeps the highest sequence ever written in ``sqlite_sequence``; ``verify_log`` uses it
to notice events deleted from the tail, which a hash chain alone cannot show.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from gate.clock import Clock
from gate.errors import EventLogError
from gate.eventlog.chain import (
    GENESIS_HASH,
    EventRecord,
    canonical_json,
    format_timestamp,
    normalise_evidence,
)

logger = logging.getLogger(__name__)

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    sequence           INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id           TEXT NOT NULL UNIQUE,
    gate_id            TEXT NOT NULL,
    occurred_at        TEXT NOT NULL,
    type               TEXT NOT NULL,
    subject            TEXT,
    decision           TEXT,
    reason             TEXT,
    evidence           TEXT NOT NULL,
    snapshot_ref       TEXT,
    prev_hash          TEXT NOT NULL,
    hash               TEXT NOT NULL,
    snapshot_purged_at TEXT  -- local bookkeeping, outside the chain
);
CREATE INDEX IF NOT EXISTS events_snapshot_ref ON events (snapshot_ref)
    WHERE snapshot_ref IS NOT NULL;
CREATE TABLE IF NOT EXISTS event_checkpoints (
    sequence       INTEGER PRIMARY KEY,
    hash           TEXT NOT NULL,
    purged_at      TEXT NOT NULL,
    events_purged  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS event_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

EVENT_COLUMNS = (
    "event_id, gate_id, sequence, occurred_at, type, subject, decision, reason, evidence, "
    "snapshot_ref, prev_hash, hash"
)


def record_from_row(row: tuple[Any, ...]) -> EventRecord:
    """An :class:`EventRecord` from a row selected with :data:`EVENT_COLUMNS`."""
    (event_id, gate_id, sequence, occurred_at, type_, subject, decision, reason, evidence,
     snapshot_ref, prev_hash, hash_) = row
    return EventRecord(
        event_id=event_id, gate_id=gate_id, sequence=sequence, occurred_at=occurred_at,
        type=type_, subject=subject, decision=decision, reason=reason,
        evidence=_load_evidence(evidence), snapshot_ref=snapshot_ref, prev_hash=prev_hash,
        hash=hash_,
    )


def _load_evidence(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (TypeError, ValueError) as err:
        raise EventLogError(f"stored evidence is not valid JSON: {err}") from err
    if not isinstance(value, dict):
        raise EventLogError("stored evidence is not a JSON object")
    return value


@dataclass(frozen=True)
class Checkpoint:
    """Where the retained chain starts: the last purged event's sequence and hash."""

    sequence: int
    hash: str


@dataclass(frozen=True)
class PurgeResult:
    """What one retention purge of events removed."""

    events_purged: int
    checkpoint: Checkpoint | None


class EventLog:
    """Append-only, hash-chained, crash-safe event log of one gate (thread-safe)."""

    def __init__(self, path: Path, gate_id: str, clock: Clock) -> None:
        if not gate_id:
            raise ValueError("gate_id must not be empty")
        self.path = Path(path)
        self.gate_id = gate_id
        self.clock = clock
        self._lock = threading.Lock()
        self._closed = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: we issue BEGIN IMMEDIATE / COMMIT ourselves.
            self._db = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=10.0
            )
        except (OSError, sqlite3.Error) as err:
            raise EventLogError(f"cannot open event log {self.path}: {err}") from err
        try:
            self._configure()
        except BaseException:
            self._db.close()
            self._closed = True
            raise

    def _configure(self) -> None:
        try:
            mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise EventLogError(f"{self.path}: SQLite refused WAL mode (got {mode!r})")
            # FULL: the WAL is fsynced at every commit, so a committed event survives power loss.
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            with self._transaction():
                rows = dict(self._db.execute("SELECT key, value FROM event_meta").fetchall())
                if not rows:
                    self._db.executemany(
                        "INSERT INTO event_meta (key, value) VALUES (?, ?)",
                        [("schema_version", SCHEMA_VERSION), ("gate_id", self.gate_id)],
                    )
                elif rows.get("gate_id") != self.gate_id:
                    raise EventLogError(
                        f"{self.path} belongs to gate {rows.get('gate_id')!r}, not {self.gate_id!r}"
                    )
                elif rows.get("schema_version") != SCHEMA_VERSION:
                    raise EventLogError(
                        f"{self.path} has schema {rows.get('schema_version')!r}, "
                        f"this code writes {SCHEMA_VERSION!r}"
                    )
        except sqlite3.Error as err:
            raise EventLogError(f"cannot initialise event log {self.path}: {err}") from err
        logger.info("event log %s open at sequence %d", self.path, self.last_sequence())

    # -- context manager / lifecycle -------------------------------------------------------

    def __enter__(self) -> EventLog:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the database (idempotent). Committed events are already durable."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                self._db.close()
            except sqlite3.Error:
                logger.warning("event log %s did not close cleanly", self.path, exc_info=True)

    @property
    def closed(self) -> bool:
        return self._closed

    # -- writing ---------------------------------------------------------------------------

    def append(
        self,
        type: str,  # the wire field's name, though it shadows the builtin here
        *,
        subject: str | None = None,
        decision: str | None = None,
        reason: str | None = None,
        evidence: dict[str, Any] | None = None,
        snapshot_ref: str | None = None,
    ) -> EventRecord:
        """Commit one event and return it; returns only after the commit is durable.

        Raises ``ValueError`` for a bad argument (empty type, evidence JSON cannot hold) and
        :class:`EventLogError` when the database cannot be written (disk full, I/O error); the
        caller must then not drive the relay.
        """
        if not isinstance(type, str) or not type:
            raise ValueError("event type must be a non-empty string")
        for name, value in (("subject", subject), ("decision", decision), ("reason", reason),
                            ("snapshot_ref", snapshot_ref)):
            if value is not None and not isinstance(value, str):
                raise ValueError(f"{name} must be a string or None")
        body = normalise_evidence(evidence)
        with self._lock:
            self._require_open()
            try:
                with self._transaction():
                    sequence, prev_hash = self._chain_head()
                    record = EventRecord(
                        event_id=str(uuid.uuid4()),
                        gate_id=self.gate_id,
                        sequence=sequence + 1,
                        occurred_at=format_timestamp(self.clock.now()),
                        type=type,
                        subject=subject,
                        decision=decision,
                        reason=reason,
                        evidence=body,
                        snapshot_ref=snapshot_ref,
                        prev_hash=prev_hash,
                    ).sealed()
                    self._db.execute(
                        f"INSERT INTO events ({EVENT_COLUMNS}) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        _row_of(record),
                    )
            except sqlite3.Error as err:
                raise EventLogError(f"cannot append to event log {self.path}: {err}") from err
        return record

    def _chain_head(self) -> tuple[int, str]:
        """(sequence, hash) to continue from: the newest event, else the checkpoint, else genesis.

        The sequence is never below SQLite's high-water mark, so events deleted from the tail
        behind our back leave a gap that stays visible to ``verify_log`` instead of being
        silently re-used.
        """
        row = self._db.execute(
            "SELECT sequence, hash FROM events ORDER BY sequence DESC LIMIT 1"
        ).fetchone()
        if row is not None:
            sequence, head_hash = int(row[0]), str(row[1])
        else:
            checkpoint = self._latest_checkpoint()
            sequence, head_hash = (
                (checkpoint.sequence, checkpoint.hash) if checkpoint else (0, GENESIS_HASH)
            )
        high = self._db.execute(
            "SELECT seq FROM sqlite_sequence WHERE name = 'events'"
        ).fetchone()
        if high is not None and int(high[0]) > sequence:
            sequence = int(high[0])
        return sequence, head_hash

    # -- reading ---------------------------------------------------------------------------

    def events_after(self, sequence: int, limit: int) -> list[EventRecord]:
        """Up to `limit` events with a sequence greater than `sequence`, oldest first."""
        if limit < 0:
            raise ValueError("limit must not be negative")
        rows = self._query(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE sequence > ? ORDER BY sequence LIMIT ?",
            (sequence, limit),
        )
        return [record_from_row(row) for row in rows]

    def iter_events(self, batch_size: int = 500) -> Iterator[EventRecord]:
        """Every retained event, oldest first, read in batches."""
        after = 0
        while True:
            batch = self.events_after(after, batch_size)
            if not batch:
                return
            yield from batch
            after = batch[-1].sequence

    def last_sequence(self) -> int:
        """Sequence of the newest event (0 when empty); it never goes down, even after purges."""
        with self._lock:
            self._require_open()
            try:
                return self._chain_head()[0]
            except sqlite3.Error as err:
                raise EventLogError(f"cannot read event log {self.path}: {err}") from err

    def checkpoint(self) -> Checkpoint | None:
        """The latest retention checkpoint, or None if nothing was ever purged."""
        with self._lock:
            self._require_open()
            try:
                return self._latest_checkpoint()
            except sqlite3.Error as err:
                raise EventLogError(f"cannot read event log {self.path}: {err}") from err

    def _latest_checkpoint(self) -> Checkpoint | None:
        row = self._db.execute(
            "SELECT sequence, hash FROM event_checkpoints ORDER BY sequence DESC LIMIT 1"
        ).fetchone()
        return Checkpoint(int(row[0]), str(row[1])) if row else None

    def _query(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            self._require_open()
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as err:
                raise EventLogError(f"cannot read event log {self.path}: {err}") from err

    # -- retention -------------------------------------------------------------------------

    def purge_events_before(
        self, cutoff: datetime, *, max_sequence: int | None = None
    ) -> PurgeResult:
        """Delete the oldest events that occurred before `cutoff`, keeping the chain verifiable.

        Only a *prefix* of the chain is removed (up to the first event at or after `cutoff`, so
        a clock that once jumped back cannot punch a hole), never beyond `max_sequence` (the
        uplink passes the last sequence the aggregator acknowledged), and never the newest
        event, whose hash the next append links to. The sequence and hash of the last removed
        event are stored as a checkpoint in the same transaction.
        """
        cutoff_text = format_timestamp(cutoff)
        with self._lock:
            self._require_open()
            try:
                with self._transaction():
                    newest = self._db.execute("SELECT MAX(sequence) FROM events").fetchone()[0]
                    if newest is None:
                        return PurgeResult(0, self._latest_checkpoint())
                    # Walks from the oldest event and stops at the first one to keep.
                    keep_row = self._db.execute(
                        "SELECT sequence FROM events WHERE occurred_at >= ? "
                        "ORDER BY sequence LIMIT 1",
                        (cutoff_text,),
                    ).fetchone()
                    last = (int(keep_row[0]) if keep_row else int(newest) + 1) - 1
                    last = min(last, int(newest) - 1)
                    if max_sequence is not None:
                        last = min(last, max_sequence)
                    head = self._db.execute(
                        "SELECT hash, (SELECT COUNT(*) FROM events WHERE sequence <= ?) "
                        "FROM events WHERE sequence = ?",
                        (last, last),
                    ).fetchone()
                    if head is None:
                        return PurgeResult(0, self._latest_checkpoint())
                    count = int(head[1])
                    checkpoint = Checkpoint(last, str(head[0]))
                    self._db.execute(
                        "INSERT INTO event_checkpoints (sequence, hash, purged_at, events_purged) "
                        "VALUES (?, ?, ?, ?)",
                        (checkpoint.sequence, checkpoint.hash,
                         format_timestamp(self.clock.now()), count),
                    )
                    self._db.execute("DELETE FROM events WHERE sequence <= ?", (last,))
            except sqlite3.Error as err:
                raise EventLogError(f"cannot purge event log {self.path}: {err}") from err
        logger.info("purged %d events up to sequence %d", count, checkpoint.sequence)
        return PurgeResult(count, checkpoint)

    def mark_snapshots_purged(self, refs: Iterable[str]) -> int:
        """Record that these snapshot files were deleted; returns how many events refer to them.

        ``snapshot_ref`` itself stays (it is hashed); ``snapshot_purged_at`` is set instead.
        """
        now = format_timestamp(self.clock.now())
        refs = list(refs)
        if not refs:
            return 0
        with self._lock:
            self._require_open()
            try:
                with self._transaction():
                    cursor = self._db.executemany(
                        "UPDATE events SET snapshot_purged_at = ? "
                        "WHERE snapshot_ref = ? AND snapshot_purged_at IS NULL",
                        [(now, ref) for ref in refs],
                    )
                    return int(cursor.rowcount)
            except sqlite3.Error as err:
                raise EventLogError(f"cannot update event log {self.path}: {err}") from err

    def snapshot_purged(self, ref: str) -> bool:
        """True when the snapshot `ref` was deleted by retention."""
        rows = self._query(
            "SELECT 1 FROM events WHERE snapshot_ref = ? AND snapshot_purged_at IS NOT NULL "
            "LIMIT 1",
            (ref,),
        )
        return bool(rows)

    # -- helpers ---------------------------------------------------------------------------

    def _require_open(self) -> None:
        if self._closed:
            raise EventLogError(f"event log {self.path} is closed")

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception.

    IMMEDIATE takes the write lock up front, so reading the chain head and inserting the next
    event cannot interleave with another writer (another process sharing the file).
    """

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            try:
                self._db.execute("COMMIT")
                return
            except sqlite3.Error:
                # A failed COMMIT (I/O error, disk full) can leave the transaction open; roll
                # it back so the next append starts clean, then report the failure.
                self._rollback()
                raise
        self._rollback()

    def _rollback(self) -> None:
        if not self._db.in_transaction:
            return
        try:
            self._db.execute("ROLLBACK")
        except sqlite3.Error:
            logger.warning("rollback failed", exc_info=True)


def _row_of(record: EventRecord) -> tuple[Any, ...]:
    return (
        record.event_id, record.gate_id, record.sequence, record.occurred_at, record.type,
        record.subject, record.decision, record.reason, canonical_json(record.evidence),
        record.snapshot_ref, record.prev_hash, record.hash,
    )
