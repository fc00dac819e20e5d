"""ingest speed: PostgreSQL event_ids table; plate and unit indexes only where set

Revision ID: 0005
Revises: 0004

- PostgreSQL: `event_ids` (event_id primary key) holds the id of every stored event. Ingest
  claims a batch's ids there with one ``INSERT ... ON CONFLICT DO NOTHING RETURNING``: one
  probe of one index per event, where looking the ids up in the partitioned `events` (whose
  unique key must include `occurred_at`) probed every monthly partition. Filled here from
  `events`; the retention job removes the ids of the months it drops
  (`aggregator.db.partitions.drop_expired_partitions`).
- Both databases: `ix_events_plate_occurred` and `ix_events_unit_occurred` become partial
  (``WHERE plate/unit IS NOT NULL``). Most events have no plate and door events no unit, so
  most rows no longer write those two indexes; a search by plate or unit (``= value``) implies
  the column is set, so it still uses them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_PARTIAL = {"ix_events_plate_occurred": "plate", "ix_events_unit_occurred": "unit"}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name, column in _PARTIAL.items():
        op.drop_index(name, table_name="events")
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(name, "events", [column, "occurred_at"],
                        postgresql_where=where, sqlite_where=where)
    if dialect == "postgresql":
        op.create_table(
            "event_ids",
            sa.Column("event_id", sa.String(length=64), nullable=False),
            sa.PrimaryKeyConstraint("event_id", name=op.f("pk_event_ids")),
        )
        op.execute("INSERT INTO event_ids (event_id) SELECT DISTINCT event_id FROM events")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_table("event_ids")
    for name, column in _PARTIAL.items():
        op.drop_index(name, table_name="events")
        op.create_index(name, "events", [column, "occurred_at"])
