"""Monthly RANGE partitions of `events` on PostgreSQL (migration 0003): made ahead, dropped whole.

Partitions are named ``events_pYYYYMM`` and hold ``occurred_at`` in
``['YYYY-MM-01T00:00:00.000Z', next month)``; the column is fixed-format UTC text with the "C"
collation, so byte order is time order and the planner prunes by it. ``events_default`` catches
what falls outside every month made so far (a gate whose clock is years off); when that month's
partition is made later its rows are moved in. Every function takes an advisory lock, so two
replicas running the retention job at once do not trip over each other. Only used on
PostgreSQL; SQLite keeps one table and deletes rows in chunks.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime

from sqlalchemy import Connection

logger = logging.getLogger(__name__)

PARTITION_LOCK = 425302
"""pg_advisory_xact_lock key of partition maintenance (425301 is the migration lock)."""

DEFAULT_PARTITION = "events_default"
_MONTHLY = re.compile(r"^events_p(\d{4})(\d{2})$")


def month_of(moment: datetime | date) -> date:
    """The first day of the month of `moment`."""
    return date(moment.year, moment.month, 1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"events_p{month:%Y%m}"


def lower_bound(month: date) -> str:
    """The first `occurred_at` of the month, in the wire's fixed format."""
    return f"{month:%Y-%m}-01T00:00:00.000Z"


def is_partitioned(conn: Connection) -> bool:
    """True when `events` is a partitioned table (PostgreSQL after migration 0003)."""
    if conn.dialect.name != "postgresql":
        return False
    return bool(conn.exec_driver_sql(
        "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table p JOIN pg_class c "
        "ON c.oid = p.partrelid WHERE c.relname = 'events' AND pg_table_is_visible(c.oid))"
    ).scalar())


def monthly_partitions(conn: Connection) -> list[date]:
    """The months that have a partition, oldest first."""
    names = conn.exec_driver_sql(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent "
        "WHERE p.relname = 'events' AND pg_table_is_visible(p.oid)"
    ).scalars()
    months = []
    for name in names:
        found = _MONTHLY.match(name)
        if found:
            months.append(date(int(found[1]), int(found[2]), 1))
    return sorted(months)


def create_month_partition(conn: Connection, month: date) -> bool:
    """Make the partition of `month` unless it exists; False if it did.

    Rows of that month already in the default partition are moved into it in the same
    transaction (PostgreSQL refuses to attach a range the default partition still holds).
    """
    if month in monthly_partitions(conn):
        return False
    name = partition_name(month)
    low, high = lower_bound(month), lower_bound(add_months(month, 1))
    # The bounds are made here from dates, never from input, so inlining them is safe.
    bounds = f"FOR VALUES FROM ('{low}') TO ('{high}')"
    stranded = conn.exec_driver_sql(
        f"SELECT 1 FROM {DEFAULT_PARTITION} WHERE occurred_at >= %s AND occurred_at < %s "
        "LIMIT 1", (low, high)).first()
    if stranded is None:
        conn.exec_driver_sql(f"CREATE TABLE {name} PARTITION OF events {bounds}")
    else:
        conn.exec_driver_sql(f"CREATE TABLE {name} (LIKE events INCLUDING DEFAULTS)")
        conn.exec_driver_sql(
            f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE occurred_at >= %s "
            f"AND occurred_at < %s RETURNING *) INSERT INTO {name} SELECT * FROM moved",
            (low, high))
        conn.exec_driver_sql(f"ALTER TABLE events ATTACH PARTITION {name} {bounds}")
        logger.info("partition %s made; rows of its month moved out of %s", name,
                    DEFAULT_PARTITION)
    return True


def ensure_partitions(conn: Connection, now: datetime, months_ahead: int = 2) -> list[str]:
    """Make the partitions of this month and the next `months_ahead`; returns those made."""
    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PARTITION_LOCK})")
    made = []
    for offset in range(months_ahead + 1):
        month = add_months(month_of(now), offset)
        if create_month_partition(conn, month):
            made.append(partition_name(month))
    return made


def drop_expired_partitions(conn: Connection, cutoff: str) -> tuple[list[str], int]:
    """Drop every month that ended at or before `cutoff` (ISO text) and delete default-partition
    rows older than it; returns the dropped names and how many events went.

    A month is dropped only once all of it is past the cutoff, so events are kept between the
    retention period and one month longer (GB 50396 asks for at least the period).
    """
    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PARTITION_LOCK})")
    dropped, events = [], 0
    for month in monthly_partitions(conn):
        if lower_bound(add_months(month, 1)) > cutoff:
            break
        name = partition_name(month)
        events += int(conn.exec_driver_sql(f"SELECT count(*) FROM {name}").scalar_one())
        # Forget the ids too (table event_ids, migration 0005): a gate re-sending an event
        # this old stores it again, as it would have before the ids were kept apart.
        conn.exec_driver_sql(f"DELETE FROM event_ids i USING {name} e "
                             "WHERE i.event_id = e.event_id")
        conn.exec_driver_sql(f"DROP TABLE {name}")
        dropped.append(name)
    events += int(conn.exec_driver_sql(
        f"WITH gone AS (DELETE FROM {DEFAULT_PARTITION} WHERE occurred_at < %s "
        "RETURNING event_id), forgotten AS (DELETE FROM event_ids "
        "WHERE event_id IN (SELECT event_id FROM gone)) SELECT count(*) FROM gone",
        (cutoff,)).scalar_one())
    return dropped, events


COLUMNS = (
    "id, event_id, gate_id, sequence, occurred_at, type, subject, decision, reason, evidence, "
    "snapshot_ref, prev_hash, hash, received_at, unit, plate, chain_ok"
)

INDEXES = {
    "ix_events_occurred": "occurred_at",
    "ix_events_gate_occurred": "gate_id, occurred_at",
    "ix_events_gate_sequence": "gate_id, sequence",
    "ix_events_subject_occurred": "subject, occurred_at",
    "ix_events_unit_occurred": "unit, occurred_at",
    "ix_events_plate_occurred": "plate, occurred_at",
    "ix_events_type_occurred": "type, occurred_at",
}
"""The indexes of the unpartitioned table (models.Event), remade on the partitioned one."""


def partition_events_table(conn: Connection, now: datetime, months_ahead: int = 2) -> None:
    """Turn the plain `events` table into a monthly partitioned one, keeping every row.

    The unique key becomes (event_id, occurred_at): PostgreSQL wants the partition key in
    every unique index. Ingest checks event ids under the gate's row lock before inserting,
    so an event id is still stored once (see aggregator/ingest.py).
    """
    conn.exec_driver_sql("ALTER TABLE events RENAME TO events_unpartitioned")
    conn.exec_driver_sql("ALTER SEQUENCE events_id_seq OWNED BY NONE")
    conn.exec_driver_sql("""
        CREATE TABLE events (
            id          BIGINT NOT NULL DEFAULT nextval('events_id_seq'),
            event_id    VARCHAR(64) NOT NULL,
            gate_id     VARCHAR(64) NOT NULL,
            sequence    BIGINT NOT NULL,
            occurred_at VARCHAR(24) COLLATE "C" NOT NULL,
            type        VARCHAR(64) NOT NULL,
            subject     VARCHAR(64),
            decision    VARCHAR(16),
            reason      VARCHAR(64),
            evidence    TEXT NOT NULL,
            snapshot_ref VARCHAR(200),
            prev_hash   VARCHAR(64) NOT NULL,
            hash        VARCHAR(64) NOT NULL,
            received_at VARCHAR(24) NOT NULL,
            unit        VARCHAR(64),
            plate       VARCHAR(16),
            chain_ok    BOOLEAN NOT NULL
        ) PARTITION BY RANGE (occurred_at)""")
    conn.exec_driver_sql(f"CREATE TABLE {DEFAULT_PARTITION} PARTITION OF events DEFAULT")
    first = conn.exec_driver_sql("SELECT min(occurred_at) FROM events_unpartitioned").scalar()
    month = month_of(now)
    if first is not None:
        month = min(month, date(int(first[:4]), int(first[5:7]), 1))
    last = add_months(month_of(now), months_ahead)
    while month <= last:
        create_month_partition(conn, month)
        month = add_months(month, 1)
    # Rows first, indexes after: building an index once is cheaper than growing it per row.
    conn.exec_driver_sql(
        f"INSERT INTO events ({COLUMNS}) SELECT {COLUMNS} FROM events_unpartitioned")
    conn.exec_driver_sql("DROP TABLE events_unpartitioned")
    conn.exec_driver_sql("ALTER TABLE events ADD CONSTRAINT pk_events PRIMARY KEY "
                         "(id, occurred_at)")
    conn.exec_driver_sql("ALTER TABLE events ADD CONSTRAINT uq_events_event_id UNIQUE "
                         "(event_id, occurred_at)")
    for name, columns in INDEXES.items():
        conn.exec_driver_sql(f"CREATE INDEX {name} ON events ({columns})")
    conn.exec_driver_sql("ALTER SEQUENCE events_id_seq OWNED BY events.id")
