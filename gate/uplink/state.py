"""What the aggregator has acknowledged, kept in gate.db so it survives restarts and kill -9.

`uplink_state` holds integers: ``ack_sequence`` (every event up to it is stored centrally),
``snapshot_sequence`` (snapshots of events up to it are uploaded) and ``sync_version`` (the
central directory version applied locally). Each is written only after the aggregator
answered, so a crash can at worst re-send (the aggregator is idempotent), never skip.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from gate.errors import EventLogError

KEYS = ("ack_sequence", "snapshot_sequence", "sync_version")


class UplinkState:
    """Durable counters of the uplink in the gate's SQLite file (thread-safe)."""

    def __init__(self, path: Path) -> None:
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                                       timeout=10.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("CREATE TABLE IF NOT EXISTS uplink_state "
                             "(key TEXT PRIMARY KEY, value INTEGER NOT NULL)")
            self._db.executemany("INSERT OR IGNORE INTO uplink_state (key, value) VALUES (?, 0)",
                                 [(key,) for key in KEYS])
        except sqlite3.Error as err:
            raise EventLogError(f"cannot open uplink state in {path}: {err}") from err

    def get(self, key: str) -> int:
        with self._lock:
            try:
                row = self._db.execute("SELECT value FROM uplink_state WHERE key = ?",
                                       (key,)).fetchone()
            except sqlite3.Error as err:
                raise EventLogError(f"cannot read uplink state: {err}") from err
        return int(row[0]) if row else 0

    def set(self, key: str, value: int) -> None:
        if key not in KEYS:
            raise ValueError(f"unknown uplink state key {key!r}")
        with self._lock:
            try:
                self._db.execute("UPDATE uplink_state SET value = ? WHERE key = ?", (value, key))
            except sqlite3.Error as err:
                raise EventLogError(f"cannot write uplink state: {err}") from err

    def close(self) -> None:
        with self._lock:
            self._db.close()
