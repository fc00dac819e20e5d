"""visitors registered at a gate: phone (central only), purpose, who registered; guardian consent

Revision ID: 0006
Revises: 0005

A guard registers a visitor on the gate's touch screen; the gate sends the registration to
`POST /api/v1/gate/visitors`. The phone number is kept here only (never synced to gates, and
masked wherever shown). A visitor under 14 needs a guardian's consent to face use, recorded
beside the consent row.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite and PostgreSQL both have it): a batch copy of `consents` on
    # SQLite would drop and recreate a table `face_templates` refers to.
    op.add_column("visitors", sa.Column("phone", sa.String(length=32), nullable=True))
    op.add_column("visitors", sa.Column("purpose", sa.Text(), nullable=True))
    op.add_column("visitors", sa.Column("registered_by", sa.String(length=64), nullable=True))
    op.add_column("visitors", sa.Column("registered_gate", sa.String(length=64), nullable=True))
    op.add_column("consents", sa.Column("minor", sa.Boolean(create_constraint=False),
                                        nullable=False, server_default=sa.false()))
    op.add_column("consents", sa.Column("guardian_name", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("consents") as batch:
        batch.drop_column("guardian_name")
        batch.drop_column("minor")
    with op.batch_alter_table("visitors") as batch:
        batch.drop_column("registered_gate")
        batch.drop_column("registered_by")
        batch.drop_column("purpose")
        batch.drop_column("phone")
