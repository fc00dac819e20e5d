"""Bulk statements of ingest: claim a batch's event ids and insert its rows, one statement each.

A batch is up to 500 rows. Built as SQLAlchemy multi-row ``INSERT ... VALUES`` it costs
17 parameters per row, and psycopg re-parses the 8,500-placeholder text on every call (its
query cache skips statements that large): that parse was a third of the server's ingest time.
On PostgreSQL the statements therefore take one array per column (``unnest``, ``= ANY``): a
short fixed text that psycopg caches and the server prepares once per connection. The arrays
go in binary (``%b``): psycopg's text array dumper escapes element by element in Python, 7 ms
a batch against 1 ms. SQLite gets plain multi-row text through the driver, with no SQLAlchemy
compilation per batch.

Rows are tuples in :data:`INSERT_COLUMNS` order; ``id`` comes from the table's sequence.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

INSERT_COLUMNS: tuple[str, ...] = (
    "event_id", "gate_id", "sequence", "occurred_at", "type", "subject", "decision", "reason",
    "evidence", "snapshot_ref", "prev_hash", "hash", "received_at", "unit", "plate", "chain_ok",
)
"""Columns an ingested row fills, in the order of the tuples given to :func:`insert_events`."""

_PG_ARRAY_TYPES = (
    "varchar", "varchar", "bigint", "varchar", "varchar", "varchar", "varchar", "varchar",
    "text", "varchar", "varchar", "varchar", "varchar", "varchar", "varchar", "boolean",
)

# No conflict target: it must match the unique key, which differs between the plain table
# (event_id) and the partitioned one (event_id, occurred_at). Callers insert only ids they
# claimed (`claim_event_ids`), so on PostgreSQL this never fires; on SQLite it is the guard.
_PG_INSERT = (
    f"INSERT INTO events ({', '.join(INSERT_COLUMNS)}) "
    f"SELECT * FROM unnest({', '.join(f'%b::{kind}[]' for kind in _PG_ARRAY_TYPES)}) "
    "ON CONFLICT DO NOTHING RETURNING event_id"
)
_PG_CLAIM = ("INSERT INTO event_ids (event_id) SELECT unnest(%b::varchar[]) "
             "ON CONFLICT DO NOTHING RETURNING event_id")

_SQLITE_ROW = f"({', '.join('?' for _ in INSERT_COLUMNS)})"
_SQLITE_INSERT = f"INSERT INTO events ({', '.join(INSERT_COLUMNS)}) VALUES "


def claim_event_ids(conn: Connection, event_ids: Sequence[str]) -> set[str]:
    """The ids among `event_ids` never stored before, claimed for this transaction.

    PostgreSQL: inserted into `event_ids` (migration 0005), one index probe per id however
    many monthly partitions `events` has; a concurrent transaction claiming the same id waits
    for this one and then sees it as known, so an id is stored once even across gates and
    replicas. SQLite: looked up in `events`, whose `event_id` is unique by itself; the
    caller serialises writers (`Ingestor`'s lock; one process per SQLite file).
    """
    if not event_ids:
        return set()
    if conn.dialect.name == "postgresql":
        return {row[0] for row in conn.exec_driver_sql(_PG_CLAIM, (list(event_ids),))}
    marks = ", ".join("?" for _ in event_ids)
    known = {row[0] for row in conn.exec_driver_sql(
        f"SELECT event_id FROM events WHERE event_id IN ({marks})", tuple(event_ids))}
    return set(event_ids) - known


def resident_units(conn: Connection, person_ids: set[str]) -> dict[str, str]:
    """The unit of each of `person_ids` that is a known resident."""
    if not person_ids:
        return {}
    if conn.dialect.name == "postgresql":
        found = conn.exec_driver_sql(
            "SELECT person_id, unit FROM residents WHERE person_id = ANY(%b::varchar[])",
            (sorted(person_ids),))
    else:
        ordered = sorted(person_ids)
        marks = ", ".join("?" for _ in ordered)
        found = conn.exec_driver_sql(
            f"SELECT person_id, unit FROM residents WHERE person_id IN ({marks})", tuple(ordered))
    return {person_id: unit for person_id, unit in found}


def insert_events(conn: Connection, rows: Sequence[tuple]) -> set[str]:
    """Insert `rows` (tuples in :data:`INSERT_COLUMNS` order); returns the event ids stored.

    A row whose event id another transaction stored first is skipped, not an error.
    """
    if not rows:
        return set()
    if conn.dialect.name == "postgresql":
        columns = tuple(list(column) for column in zip(*rows, strict=True))
        inserted = conn.exec_driver_sql(_PG_INSERT, columns)
    else:
        flat = tuple(value for row in rows for value in row)
        statement = (_SQLITE_INSERT + ", ".join(_SQLITE_ROW for _ in rows)
                     + " ON CONFLICT DO NOTHING RETURNING event_id")
        inserted = conn.exec_driver_sql(statement, flat)
    return {row[0] for row in inserted}
