"""The guard UI's own tables in gate.db: guard accounts, consent records, visits, outbox.

Prefixed `guard_` because gate.db also holds the directory and the event log. A guard's PIN
is kept only as an argon2id hash. The outbox holds visitor registrations until the aggregator
has them; it is the only place on the gate a visitor's phone number is written, and the row
is deleted once delivered (the phone is stored centrally only). A row the aggregator refuses
leaves the queue (status `refused`) and a row whose visit ends before delivery is sent
`ended`; either way its phone, face template, consent and PIN hash are removed at once.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from gate.clock import Clock
from gate.directory.rows import iso
from gate.errors import GateError

GUARD_PIN = re.compile(r"^[0-9]{4,8}$")
GUARD_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS guard_accounts (
    guard_id     TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    pin_hash     TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    enabled      INTEGER NOT NULL DEFAULT 1
);
-- Written before any face data of the visitor is stored (PIPL: separate consent).
CREATE TABLE IF NOT EXISTS guard_consents (
    consent_id    INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id     TEXT NOT NULL,
    consented_by  TEXT NOT NULL CHECK (consented_by IN ('visitor', 'guardian')),
    guardian_name TEXT,
    minor         INTEGER NOT NULL,
    recorded_by   TEXT NOT NULL,
    recorded_at   TEXT NOT NULL,
    purpose       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS guard_visits (
    person_id       TEXT PRIMARY KEY,
    credential      TEXT NOT NULL CHECK (credential IN ('face', 'pass')),
    purpose         TEXT NOT NULL,
    plate           TEXT,
    registered_by   TEXT NOT NULL,
    registered_at   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS guard_outbox (
    outbox_id  INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
"""
# Added after the first release: refused rows leave the queue instead of blocking it.
_OUTBOX_STATUS = "ALTER TABLE guard_outbox ADD COLUMN status TEXT NOT NULL DEFAULT 'pending'"
PENDING, REFUSED = "pending", "refused"
_PRIVATE_FIELDS = ("phone", "face", "consent", "pin_hash")


def without_private_data(payload: dict[str, Any]) -> dict[str, Any]:
    """The registration without phone, face template, consent and PIN hash."""
    return {**payload, **dict.fromkeys(_PRIVATE_FIELDS)}


def _ended(payload: dict[str, Any], now: datetime) -> bool:
    try:
        until = datetime.fromisoformat(str(payload["valid_until"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return True  # unreadable: treat as over rather than keep a phone number for ever
    return (until if until.tzinfo else until.replace(tzinfo=UTC)) <= now


class GuardStoreError(GateError, RuntimeError):
    """The guard tables cannot be read or written."""


class GuardAccountError(GateError, ValueError):
    """A guard account that cannot be created (bad id, name or PIN)."""


@dataclass(frozen=True)
class GuardAccount:
    guard_id: str
    display_name: str
    enabled: bool


@dataclass(frozen=True)
class ConsentRecord:
    """Who agreed to the visitor's face being used, and who recorded it."""

    person_id: str
    consented_by: str  # "visitor" or "guardian" (a visitor under 14)
    guardian_name: str | None
    minor: bool
    recorded_by: str
    purpose: str


class GuardStore:
    """CRUD on the guard tables; one connection guarded by a lock."""

    def __init__(self, path: Path, clock: Clock, hasher: PasswordHasher | None = None) -> None:
        self._clock = clock
        self._hasher = hasher or PasswordHasher()
        self._lock = threading.Lock()
        # One argon2 verification at a time: each takes 64 MiB, and a burst of parallel
        # sign-ins must not exhaust the gate's memory.
        self._verify_slot = threading.BoundedSemaphore(1)
        try:
            self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                                         timeout=5.0)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.executescript(_SCHEMA)
            columns = {row[1] for row in self._conn.execute("PRAGMA table_info(guard_outbox)")}
            if "status" not in columns:
                self._conn.execute(_OUTBOX_STATUS)
        except sqlite3.Error as err:
            raise GuardStoreError(f"cannot open the guard tables in {path}: {err}") from err
        self._closed = False

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    def _run(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        with self._lock:
            if self._closed:
                raise GuardStoreError("guard store is closed")
            try:
                return self._conn.execute(sql, args)
            except sqlite3.Error as err:
                raise GuardStoreError(f"guard store: {err}") from err

    # -- accounts ------------------------------------------------------------------------

    def add_guard(self, guard_id: str, display_name: str, pin: str) -> GuardAccount:
        """Create or replace a guard account (the PIN is hashed with argon2id)."""
        if not GUARD_ID.match(guard_id):
            raise GuardAccountError("a guard id is 1 to 32 letters, digits, '.', '_' or '-'")
        name = display_name.strip()
        if not name or len(name) > 40:
            raise GuardAccountError("a guard's display name is 1 to 40 characters")
        if not GUARD_PIN.match(pin):
            raise GuardAccountError("a guard PIN is 4 to 8 digits")
        self._run(
            """INSERT INTO guard_accounts (guard_id, display_name, pin_hash, created_at)
               VALUES (?, ?, ?, ?) ON CONFLICT (guard_id) DO UPDATE SET
               display_name = excluded.display_name, pin_hash = excluded.pin_hash,
               enabled = 1""",
            (guard_id, name, self._hasher.hash(pin), iso(self._clock.now())))
        return GuardAccount(guard_id, name, True)

    def guards(self) -> list[GuardAccount]:
        """Enabled guard accounts, by name (shown on the sign-in screen)."""
        found = self._run("SELECT guard_id, display_name, enabled FROM guard_accounts "
                          "WHERE enabled = 1 ORDER BY display_name, guard_id").fetchall()
        return [GuardAccount(g, n, bool(e)) for g, n, e in found]

    def check_pin(self, guard_id: str, pin: str) -> GuardAccount | None:
        """The account if `pin` is its PIN, else None (unknown guard, wrong or malformed PIN)."""
        row = self._run("SELECT display_name, pin_hash FROM guard_accounts "
                        "WHERE guard_id = ? AND enabled = 1", (guard_id,)).fetchone()
        if row is None or not isinstance(pin, str) or not GUARD_PIN.match(pin):
            return None
        try:
            with self._verify_slot:
                self._hasher.verify(row[1], pin)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        return GuardAccount(guard_id, row[0], True)

    # -- consents and visits ---------------------------------------------------------------

    def record_consent(self, consent: ConsentRecord) -> int:
        """Store a consent record; returns its id."""
        row = self._run(
            """INSERT INTO guard_consents (person_id, consented_by, guardian_name, minor,
                   recorded_by, recorded_at, purpose) VALUES (?, ?, ?, ?, ?, ?, ?)
               RETURNING consent_id""",
            (consent.person_id, consent.consented_by, consent.guardian_name,
             int(consent.minor), consent.recorded_by, iso(self._clock.now()),
             consent.purpose)).fetchone()
        return int(row[0])

    def consent_for(self, person_id: str) -> dict[str, Any] | None:
        row = self._run("SELECT consent_id, consented_by, guardian_name, minor, recorded_by, "
                        "recorded_at FROM guard_consents WHERE person_id = ? "
                        "ORDER BY consent_id DESC LIMIT 1", (person_id,)).fetchone()
        if row is None:
            return None
        keys = ("consent_id", "consented_by", "guardian_name", "minor", "recorded_by",
                "recorded_at")
        return dict(zip(keys, row, strict=True))

    def delete_consent(self, consent_id: int) -> None:
        """Undo a consent whose registration then failed (nothing half-saved)."""
        self._run("DELETE FROM guard_consents WHERE consent_id = ?", (consent_id,))

    def add_visit(self, person_id: str, credential: str, purpose: str, plate: str | None,
                  registered_by: str) -> None:
        self._run(
            """INSERT OR REPLACE INTO guard_visits (person_id, credential, purpose, plate,
                   registered_by, registered_at) VALUES (?, ?, ?, ?, ?, ?)""",
            (person_id, credential, purpose, plate, registered_by, iso(self._clock.now())))

    def delete_visit(self, person_id: str) -> None:
        self._run("DELETE FROM guard_visits WHERE person_id = ?", (person_id,))

    def visits(self) -> dict[str, dict[str, Any]]:
        """Visits registered at this gate, by person id."""
        found = self._run("SELECT person_id, credential, purpose, plate, registered_by, "
                          "registered_at FROM guard_visits").fetchall()
        keys = ("credential", "purpose", "plate", "registered_by", "registered_at")
        return {row[0]: dict(zip(keys, row[1:], strict=True)) for row in found}

    # -- outbox ----------------------------------------------------------------------------

    def enqueue(self, kind: str, payload: dict[str, Any]) -> int:
        row = self._run(
            "INSERT INTO guard_outbox (kind, payload, created_at) VALUES (?, ?, ?) "
            "RETURNING outbox_id",
            (kind, json.dumps(payload, ensure_ascii=False), iso(self._clock.now()))).fetchone()
        return int(row[0])

    def pending(self, limit: int = 20) -> list[tuple[int, str, dict[str, Any]]]:
        """Rows still to deliver, oldest first (refused rows are not among them)."""
        found = self._run("SELECT outbox_id, kind, payload FROM guard_outbox WHERE status = ? "
                          "ORDER BY outbox_id LIMIT ?", (PENDING, limit)).fetchall()
        return [(oid, kind, json.loads(payload)) for oid, kind, payload in found]

    def refused_rows(self) -> list[tuple[int, str, dict[str, Any]]]:
        """Rows the aggregator refused (kept, without private data, for an operator)."""
        found = self._run("SELECT outbox_id, last_error, payload FROM guard_outbox "
                          "WHERE status = ? ORDER BY outbox_id", (REFUSED,)).fetchall()
        return [(oid, error or "", json.loads(payload)) for oid, error, payload in found]

    def delivered(self, outbox_id: int) -> None:
        self._run("DELETE FROM guard_outbox WHERE outbox_id = ?", (outbox_id,))

    def refused(self, outbox_id: int, why: str) -> None:
        """Take a row out of the queue for good and drop its private data at once.

        `why` must hold no personal data (an HTTP status and a code, not the reply text).
        """
        with self._lock:
            try:
                with self._conn:  # one transaction: never refused but still holding a phone
                    self._conn.execute("BEGIN IMMEDIATE")
                    row = self._conn.execute("SELECT payload FROM guard_outbox "
                                             "WHERE outbox_id = ?", (outbox_id,)).fetchone()
                    if row is None:
                        return
                    stripped = without_private_data(json.loads(row[0]))
                    self._conn.execute(
                        "UPDATE guard_outbox SET status = ?, attempts = attempts + 1, "
                        "last_error = ?, payload = ? WHERE outbox_id = ?",
                        (REFUSED, why[:200], json.dumps(stripped, ensure_ascii=False),
                         outbox_id))
            except sqlite3.Error as err:
                raise GuardStoreError(f"guard store: {err}") from err

    def end_visits(self) -> int:
        """Strip phone, face, consent and PIN hash from queued rows whose visit has ended.

        They are still delivered, marked `ended`, so the aggregator records who came.
        Returns how many rows were changed.
        """
        now = self._clock.now()
        changed = 0
        for outbox_id, _kind, payload in self.pending(limit=1_000_000):
            if payload.get("ended") or not _ended(payload, now):
                continue
            stripped = {**without_private_data(payload), "ended": True}
            self._run("UPDATE guard_outbox SET payload = ? WHERE outbox_id = ?",
                      (json.dumps(stripped, ensure_ascii=False), outbox_id))
            changed += 1
        return changed
