"""SQL of the gate's local directory. Every table is prefixed `dir_` because the directory
may share gate.db with the event log.

`dir_meta` holds the schema version (migrations) and the directory `version` (bumped on
every change; snapshots are cached per version, central sync will compare it). SQLite's
PRAGMA user_version is deliberately not used: it belongs to the whole file, not to us.
Times are ISO 8601 strings in UTC; face vectors are little-endian float32 blobs.
"""

from __future__ import annotations

import secrets
import sqlite3

SCHEMA_VERSION = 3

_CREATE = """
CREATE TABLE IF NOT EXISTS dir_meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS dir_people (
    person_id    TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    unit         TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('resident', 'visitor')),
    groups_json  TEXT NOT NULL DEFAULT '[]',
    valid_from   TEXT,
    valid_until  TEXT,
    enabled      INTEGER NOT NULL DEFAULT 1,
    lookalike    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS dir_groups (
    group_id    TEXT PRIMARY KEY,
    schedule_id TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS dir_schedules (
    schedule_id  TEXT PRIMARY KEY,
    timezone     TEXT NOT NULL,
    windows_json TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS dir_visitors (
    person_id    TEXT PRIMARY KEY REFERENCES dir_people (person_id) ON DELETE CASCADE,
    host_unit    TEXT NOT NULL,
    valid_from   TEXT NOT NULL,
    valid_until  TEXT NOT NULL,
    max_entries  INTEGER NOT NULL CHECK (max_entries >= 1),
    entries_used INTEGER NOT NULL DEFAULT 0 CHECK (entries_used >= 0)
);

-- Blacklisted people need no dir_people row (a banned stranger has no other access).
CREATE TABLE IF NOT EXISTS dir_blacklist (
    entry_key TEXT PRIMARY KEY,
    person_id TEXT,
    plate     TEXT,
    reason    TEXT NOT NULL DEFAULT '',
    alarm     INTEGER NOT NULL DEFAULT 1,
    CHECK ((person_id IS NULL) <> (plate IS NULL))
);

CREATE TABLE IF NOT EXISTS dir_face_templates (
    template_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id     TEXT NOT NULL REFERENCES dir_people (person_id) ON DELETE CASCADE,
    recogniser    TEXT NOT NULL,
    dimension     INTEGER NOT NULL,
    vector        BLOB NOT NULL,
    source_sha256 TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    UNIQUE (person_id, recogniser, source_sha256)
);

CREATE INDEX IF NOT EXISTS dir_face_templates_by_recogniser
    ON dir_face_templates (recogniser);

-- Schema 2: cards and PINs. A card is stored as given; a PIN only as its scrypt hash
-- (see gate/directory/credential_rows.py). One credential belongs to one person.
CREATE TABLE IF NOT EXISTS dir_credentials (
    credential_id INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id     TEXT NOT NULL REFERENCES dir_people (person_id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('card', 'pin')),
    value         TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    UNIQUE (kind, value)
);

CREATE INDEX IF NOT EXISTS dir_credentials_by_person ON dir_credentials (person_id);

-- Schema 3: registered vehicles. A plate belongs to a household (unit) and usually to
-- a person, whose access it then follows; deleting the person removes their cars.
CREATE TABLE IF NOT EXISTS dir_vehicles (
    plate     TEXT PRIMARY KEY,
    person_id TEXT REFERENCES dir_people (person_id) ON DELETE CASCADE,
    unit      TEXT NOT NULL DEFAULT ''
);

CREATE INDEX IF NOT EXISTS dir_vehicles_by_person ON dir_vehicles (person_id);

-- Directory-wide secrets that are not keys: the PIN hash salt (hex).
CREATE TABLE IF NOT EXISTS dir_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


def migrate(conn: sqlite3.Connection) -> None:
    """Create missing tables and record the schema version; safe to run on every open."""
    conn.executescript(_CREATE)
    conn.execute(
        "INSERT OR IGNORE INTO dir_meta (key, value) VALUES ('schema_version', ?)",
        (SCHEMA_VERSION,),
    )
    conn.execute("INSERT OR IGNORE INTO dir_meta (key, value) VALUES ('version', 0)")
    found = conn.execute("SELECT value FROM dir_meta WHERE key = 'schema_version'").fetchone()
    if found[0] > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(
            f"directory schema {found[0]} is newer than this software ({SCHEMA_VERSION})"
        )
    # Schema 1 -> 2 -> 3 only added tables (created above); record the upgrade.
    conn.execute(
        "UPDATE dir_meta SET value = ? WHERE key = 'schema_version' AND value < ?",
        (SCHEMA_VERSION, SCHEMA_VERSION),
    )
    conn.execute(
        "INSERT OR IGNORE INTO dir_settings (key, value) VALUES ('pin_salt', ?)",
        (secrets.token_hex(16),),
    )
