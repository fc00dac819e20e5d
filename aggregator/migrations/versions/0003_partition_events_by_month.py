"""PostgreSQL: partition events by month of occurred_at (no change on SQLite)

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import op

from aggregator.db.partitions import partition_events_table

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return  # SQLite has no partitions; retention deletes rows in chunks there
    partition_events_table(bind, datetime.now(UTC))


def downgrade() -> None:
    # Going back would rewrite every event into one table; restore a backup instead.
    raise NotImplementedError("events partitioning is not reversible in place")
