"""Shared helpers of the aggregator tests: databases, apps and hash-chained event batches."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from wire.chain import GENESIS_HASH, compute_hash

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def make_events(gate_id: str, count: int, *, first: int = 1, prev: str = GENESIS_HASH,
                start: datetime = T0, **fields: object) -> list[dict]:
    """`count` valid, chained wire events of `gate_id` from sequence `first`."""
    events = []
    for sequence in range(first, first + count):
        at = start + timedelta(seconds=sequence)
        event = {
            "event_id": str(uuid.uuid4()), "gate_id": gate_id, "sequence": sequence,
            "occurred_at": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "type": "access_decision", "subject": "p1", "decision": "granted",
            "reason": "granted_resident", "evidence": {"distance": 0.3}, "snapshot_ref": None,
            "prev_hash": prev,
        } | fields
        event["hash"] = prev = compute_hash(event)
        events.append(event)
    return events


def pg_available() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except OperationalError:
        return False


@contextmanager
def database_url(kind: str, tmp_path: Path) -> Iterator[str]:
    """A fresh empty database of `kind` (sqlite | postgresql), dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'aggregator.db'}"
        return
    if not pg_available():
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    name = f"aggtest_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class FakeClock:
    """A settable aggregator clock."""

    def __init__(self, start: datetime = T0 + timedelta(days=1)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
