"""The guard UI's own tables in gate.db: guard accounts, consent records, visits, outbox.

Prefixed `guard_` because gate.db also holds the directory and the event log. A guard's PIN
is kept only as an argon2id hash. The outbox holds visitor registrations until the aggregator
has them; it is the only place on the gate a visitor's phone number is written, and the row
is deleted once delivered (the phone is stored centrally only).
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from dataclasses import dataclass
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
        try:
            self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                                         timeout=5.0)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.executescript(_SCHEMA)
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
        found = self._run("SELECT outbox_id, kind, payload FROM guard_outbox "
                          "ORDER BY outbox_id LIMIT ?", (limit,)).fetchall()
        return [(oid, kind, json.loads(payload)) for oid, kind, payload in found]

    def delivered(self, outbox_id: int) -> None:
        self._run("DELETE FROM guard_outbox WHERE outbox_id = ?", (outbox_id,))

    def failed(self, outbox_id: int, error: str) -> None:
        self._run("UPDATE guard_outbox SET attempts = attempts + 1, last_error = ? "
                  "WHERE outbox_id = ?", (error[:200], outbox_id))
