"""central PINs, directory settings (the PIN salt), login failures shared by replicas

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "directory_settings",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_directory_settings")),
    )
    settings = sa.table("directory_settings", sa.column("key"), sa.column("value"))
    # Made once per community: every gate adopts it so centrally set PINs verify there.
    op.bulk_insert(settings, [{"key": "pin_salt", "value": secrets.token_hex(16)}])
    op.create_table(
        "pins",
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("pin_hash", sa.String(length=100), nullable=False),
        sa.Column("set_at", sa.String(length=24), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["residents.person_id"],
                                name=op.f("fk_pins_person_id_residents"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_pins")),
        sa.UniqueConstraint("pin_hash", name=op.f("uq_pins_pin_hash")),
    )
    op.create_table(
        "login_failures",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failed_at", sa.String(length=24), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index("ix_login_failures_key", "login_failures",
                    ["username", "address", "failed_at"])


def downgrade() -> None:
    op.drop_index("ix_login_failures_key", table_name="login_failures")
    op.drop_table("login_failures")
    op.drop_table("pins")
    op.drop_table("directory_settings")
