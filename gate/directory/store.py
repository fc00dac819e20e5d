"""The gate's local directory on SQLite: people, groups, schedules, visitors, blacklist,
vehicles and face templates, read by the policy through immutable snapshots.

One connection guarded by a lock (the recognition loop and the guard UI share it); WAL so
the event log can write to the same file. Each change is one transaction that also bumps
`version`; `batch()` groups many changes into one transaction and one bump (what central
sync will use to apply a delta atomically).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

import numpy as np

from gate.clock import Clock, SystemClock
from gate.directory import rows
from gate.directory.credentials import CredentialDirectoryMixin
from gate.directory.errors import DirectoryError, UnknownPersonError
from gate.directory.schema import migrate
from gate.directory.synced import SyncedDirectoryMixin
from gate.directory.vehicles import VehicleDirectoryMixin
from gate.errors import GalleryError
from gate.policy.model import (
    BlacklistEntry,
    Decision,
    DirectorySnapshot,
    Group,
    Person,
    PolicyError,
    Visitor,
    WeeklySchedule,
)
from gate.policy.reasons import ReasonCode

logger = logging.getLogger(__name__)


class DirectoryStore(SyncedDirectoryMixin, VehicleDirectoryMixin, CredentialDirectoryMixin):
    """CRUD on the `dir_*` tables of a SQLite file, and snapshots for the policy."""

    def __init__(self, path: Path, clock: Clock | None = None) -> None:
        self._path = Path(path)
        self._clock = clock or SystemClock()
        self._lock = threading.RLock()
        self._in_batch = False
        self._batch_changed = False
        self._snapshot: DirectorySnapshot | None = None
        self.corrupt_templates = 0
        """Rows skipped by the last `face_templates()` call (wrong length, non-finite)."""
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit mode: transactions are opened explicitly with BEGIN IMMEDIATE.
            self._conn = sqlite3.connect(
                self._path, isolation_level=None, check_same_thread=False, timeout=5.0
            )
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            migrate(self._conn)
        except (sqlite3.Error, OSError) as err:
            raise DirectoryError(f"cannot open directory database {self._path}: {err}") from err
        self._closed = False

    # -- lifecycle ---------------------------------------------------------------------

    def close(self) -> None:
        """Close the database; safe to call twice."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    def __enter__(self) -> DirectoryStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- transactions ------------------------------------------------------------------

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Apply several changes atomically, with a single `version` bump."""
        with self._lock:
            if self._in_batch:
                raise DirectoryError("directory batches do not nest")
            self._begin()
            self._in_batch, self._batch_changed = True, False
            try:
                yield
                if self._batch_changed:
                    self._bump()
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            finally:
                self._in_batch = False

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One change: its own transaction and bump, or part of the open batch."""
        with self._lock:
            if self._in_batch:
                yield self._conn
                self._batch_changed = True
                return
            self._begin()
            try:
                yield self._conn
                self._bump()
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def _begin(self) -> None:
        if self._closed:
            raise DirectoryError("directory store is closed")
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as err:
            raise DirectoryError(f"cannot start a directory transaction: {err}") from err

    def _bump(self) -> None:
        self._conn.execute("UPDATE dir_meta SET value = value + 1 WHERE key = 'version'")

    def _execute(self, conn: sqlite3.Connection, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        try:
            return conn.execute(sql, args)
        except sqlite3.Error as err:
            raise DirectoryError(f"directory write failed: {err}") from err

    @property
    def version(self) -> int:
        """Directory version: bumped by every committed change."""
        return self._read_one("SELECT value FROM dir_meta WHERE key = 'version'")[0]

    def _read_one(self, sql: str, args: tuple = ()) -> tuple:
        with self._lock:
            try:
                return self._conn.execute(sql, args).fetchone()
            except sqlite3.Error as err:
                raise DirectoryError(f"directory read failed: {err}") from err

    def _read_all(self, sql: str, args: tuple = ()) -> list[tuple]:
        # Not `_write()`: outside a batch that would bump the version and drop the snapshot.
        with self._lock:
            try:
                return self._conn.execute(sql, args).fetchall()
            except sqlite3.Error as err:
                raise DirectoryError(f"directory read failed: {err}") from err

    def _person_exists(self, conn: sqlite3.Connection, person_id: str) -> bool:
        sql = "SELECT 1 FROM dir_people WHERE person_id = ?"
        return self._execute(conn, sql, (person_id,)).fetchone() is not None

    # -- people ------------------------------------------------------------------------

    def upsert_person(self, person: Person) -> None:
        """Insert or replace a person (their templates and visitor pass are kept)."""
        with self._write() as conn:
            self._execute(
                conn,
                """INSERT INTO dir_people (person_id, display_name, unit, kind, groups_json,
                       valid_from, valid_until, enabled, lookalike)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (person_id) DO UPDATE SET
                       display_name = excluded.display_name, unit = excluded.unit,
                       kind = excluded.kind, groups_json = excluded.groups_json,
                       valid_from = excluded.valid_from, valid_until = excluded.valid_until,
                       enabled = excluded.enabled, lookalike = excluded.lookalike""",
                rows.person_values(person),
            )

    def delete_person(self, person_id: str) -> bool:
        """Remove a person with their templates, credentials, vehicles and pass; False if absent.

        A blacklist entry naming the person stays: deleting someone must not unban them.
        """
        with self._write() as conn:
            # Explicit deletes rather than trusting ON DELETE CASCADE alone: a connection
            # opened elsewhere without PRAGMA foreign_keys would skip the cascade.
            self._execute(conn, "DELETE FROM dir_face_templates WHERE person_id = ?", (person_id,))
            self._execute(conn, "DELETE FROM dir_credentials WHERE person_id = ?", (person_id,))
            self._execute(conn, "DELETE FROM dir_vehicles WHERE person_id = ?", (person_id,))
            self._execute(conn, "DELETE FROM dir_visitors WHERE person_id = ?", (person_id,))
            cursor = self._execute(conn, "DELETE FROM dir_people WHERE person_id = ?", (person_id,))
            return cursor.rowcount > 0

    def person(self, person_id: str) -> Person | None:
        """One person, or None."""
        return self.snapshot().people.get(person_id)

    # -- groups and schedules ----------------------------------------------------------

    def upsert_group(self, group: Group) -> None:
        """Insert or replace a group (its schedule need not exist yet: it then allows nothing)."""
        with self._write() as conn:
            self._execute(
                conn,
                "INSERT OR REPLACE INTO dir_groups (group_id, schedule_id) VALUES (?, ?)",
                (group.group_id, group.schedule_id),
            )

    def delete_group(self, group_id: str) -> bool:
        """Remove a group; members keep the id and simply gain nothing from it."""
        with self._write() as conn:
            sql = "DELETE FROM dir_groups WHERE group_id = ?"
            return self._execute(conn, sql, (group_id,)).rowcount > 0

    def upsert_schedule(self, schedule: WeeklySchedule) -> None:
        """Insert or replace a weekly schedule."""
        windows = rows.schedule_windows_json(schedule)
        with self._write() as conn:
            self._execute(
                conn,
                """INSERT OR REPLACE INTO dir_schedules (schedule_id, timezone, windows_json)
                   VALUES (?, ?, ?)""",
                (schedule.schedule_id, schedule.timezone, windows),
            )

    def delete_schedule(self, schedule_id: str) -> bool:
        """Remove a schedule; groups pointing at it then allow nothing."""
        with self._write() as conn:
            sql = "DELETE FROM dir_schedules WHERE schedule_id = ?"
            return self._execute(conn, sql, (schedule_id,)).rowcount > 0

    # -- visitors ----------------------------------------------------------------------

    def upsert_visitor(self, visitor: Visitor) -> None:
        """Insert or replace a visitor pass; the person row must exist first."""
        with self._write() as conn:
            if not self._person_exists(conn, visitor.person_id):
                raise UnknownPersonError(f"no person {visitor.person_id} for this visitor pass")
            self._execute(
                conn,
                """INSERT OR REPLACE INTO dir_visitors (person_id, host_unit, valid_from,
                       valid_until, max_entries, entries_used) VALUES (?, ?, ?, ?, ?, ?)""",
                rows.visitor_values(visitor),
            )

    def record_visitor_entry(self, person_id: str) -> int:
        """Count one entry on a visitor pass; returns the new number of entries used."""
        with self._write() as conn:
            row = self._execute(
                conn,
                """UPDATE dir_visitors SET entries_used = entries_used + 1
                   WHERE person_id = ? RETURNING entries_used""",
                (person_id,),
            ).fetchone()
            if row is None:
                raise UnknownPersonError(f"no visitor pass for {person_id}")
            return int(row[0])

    def record_entry(self, decision: Decision) -> int | None:
        """Call after every executed decision: counts visitor grants, ignores the rest.

        Returns the visitor's new entry count, or None when nothing was counted.
        """
        if not decision.granted or decision.reason is not ReasonCode.GRANTED_VISITOR:
            return None
        if decision.subject is None:
            return None
        return self.record_visitor_entry(decision.subject)

    # -- blacklist ---------------------------------------------------------------------

    def upsert_blacklist(self, entry: BlacklistEntry) -> None:
        """Insert or replace a blacklist entry (person or plate)."""
        with self._write() as conn:
            self._execute(
                conn,
                """INSERT OR REPLACE INTO dir_blacklist (entry_key, person_id, plate, reason,
                       alarm) VALUES (?, ?, ?, ?, ?)""",
                (entry.key, entry.person_id, entry.plate, entry.reason, int(entry.alarm)),
            )

    def remove_blacklist(self, person_id: str | None = None, plate: str | None = None) -> bool:
        """Lift the entry naming this person or plate; False if there was none."""
        key = BlacklistEntry(person_id=person_id, plate=plate).key
        with self._write() as conn:
            sql = "DELETE FROM dir_blacklist WHERE entry_key = ?"
            return self._execute(conn, sql, (key,)).rowcount > 0

    # -- face templates ----------------------------------------------------------------

    def add_face_template(
        self, person_id: str, recogniser: str, vector: np.ndarray, source_sha256: str
    ) -> int:
        """Store one embedding of a person; returns its id.

        The same source photo (sha256) for the same person and recogniser replaces the
        earlier template. Raises GalleryError for a bad vector or a dimension that differs
        from the recogniser's other templates, UnknownPersonError for an unknown person.
        """
        blob, dimension = rows.encode_vector(vector, source_sha256)
        with self._write() as conn:
            if not self._person_exists(conn, person_id):
                raise UnknownPersonError(f"no person {person_id} to attach a template to")
            sql = "SELECT dimension FROM dir_face_templates WHERE recogniser = ? LIMIT 1"
            other = self._execute(conn, sql, (recogniser,)).fetchone()
            if other is not None and other[0] != dimension:
                raise GalleryError(
                    f"{recogniser} templates have {other[0]} values, this one has {dimension}"
                )
            row = self._execute(
                conn,
                """INSERT INTO dir_face_templates (person_id, recogniser, dimension, vector,
                       source_sha256, created_at) VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT (person_id, recogniser, source_sha256) DO UPDATE SET
                       dimension = excluded.dimension, vector = excluded.vector,
                       created_at = excluded.created_at
                   RETURNING template_id""",
                (
                    person_id, recogniser, dimension, blob, source_sha256,
                    rows.iso(self._clock.now()),
                ),
            ).fetchone()
            return int(row[0])

    def delete_face_templates(self, person_id: str, recogniser: str | None = None) -> int:
        """Remove a person's templates (of one recogniser, or all); returns how many."""
        with self._write() as conn:
            if recogniser is None:
                sql, args = "DELETE FROM dir_face_templates WHERE person_id = ?", (person_id,)
            else:
                sql = "DELETE FROM dir_face_templates WHERE person_id = ? AND recogniser = ?"
                args = (person_id, recogniser)
            return self._execute(conn, sql, args).rowcount

    def face_templates(
        self, recogniser: str, dimension: int | None = None
    ) -> list[tuple[str, np.ndarray]]:
        """(person_id, float32 vector) for every usable template of `recogniser`.

        Rows whose byte length or values are wrong are skipped and counted in
        `corrupt_templates` (the caller logs one error), so one bad row cannot stop the
        gate. Without `dimension`, the most common stored dimension is taken as right.
        """
        found = self._read_all(
            """SELECT template_id, person_id, dimension, vector FROM dir_face_templates
               WHERE recogniser = ? ORDER BY template_id""",
            (recogniser,))
        templates, corrupt = rows.decode_templates(found, dimension)
        if corrupt:
            logger.debug("skipped corrupt %s face templates %s", recogniser, corrupt)
        self.corrupt_templates = len(corrupt)
        return templates

    # -- snapshot ----------------------------------------------------------------------

    def snapshot(self) -> DirectorySnapshot:
        """An immutable view of the whole directory, cached until the next change."""
        with self._lock:
            if self._in_batch:
                # Uncommitted changes: the version is not bumped yet, so never cache.
                return self._read_snapshot()
            cached = self._snapshot
            if cached is not None and cached.version == self.version:
                return cached
            self._begin_read()
            try:
                snap = self._read_snapshot()
            finally:
                self._conn.execute("COMMIT")
            self._snapshot = snap
            return snap

    def _begin_read(self) -> None:
        if self._closed:
            raise DirectoryError("directory store is closed")
        try:
            self._conn.execute("BEGIN")  # one read transaction: a consistent view
        except sqlite3.Error as err:
            raise DirectoryError(f"cannot read the directory: {err}") from err

    def _read_snapshot(self) -> DirectorySnapshot:
        try:
            version = self._conn.execute(
                "SELECT value FROM dir_meta WHERE key = 'version'"
            ).fetchone()[0]
            return rows.load_snapshot(self._conn, version)
        except sqlite3.Error as err:
            raise DirectoryError(f"cannot read the directory: {err}") from err
        except (PolicyError, ValueError, TypeError) as err:
            # Unlike a template, a bad blacklist or schedule row cannot be skipped safely.
            raise DirectoryError(f"directory holds an invalid row: {err}") from err
