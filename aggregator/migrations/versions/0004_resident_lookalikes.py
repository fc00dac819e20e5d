"""residents.lookalike_of_json: residents whose faces sit too close to this one's

Revision ID: 0004
Revises: 0003

`aggregator.lookalikes.refresh_lookalikes` keeps the column current at every template change;
a database that already holds templates gets its flags computed once here, with tables
described locally so this file keeps working when the models change later.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_templates = sa.table("face_templates", sa.column("person_id"), sa.column("recogniser"),
                      sa.column("vector"))
_residents = sa.table("residents", sa.column("person_id"), sa.column("lookalike_of_json"))
_changes = sa.table("directory_changes", sa.column("entity"), sa.column("key"),
                    sa.column("changed_at"))


def upgrade() -> None:
    with op.batch_alter_table("residents") as batch:
        batch.add_column(sa.Column("lookalike_of_json", sa.Text(), nullable=False,
                                   server_default="[]"))
    bind = op.get_bind()
    rows = bind.execute(sa.select(_templates.c.person_id, _templates.c.vector)
                        .where(_templates.c.recogniser == "sface")).all()
    rows = [(person, vector) for person, vector in rows if len(vector) == 128 * 4]
    if not rows:
        return
    from aggregator.lookalikes import find_lookalikes  # pure numpy; only needed with templates

    vectors = np.stack([np.frombuffer(vector, dtype="<f4") for _, vector in rows])
    flagged = find_lookalikes([person for person, _ in rows], vectors)
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    for person_id, others in sorted(flagged.items()):
        bind.execute(sa.update(_residents).where(_residents.c.person_id == person_id)
                     .values(lookalike_of_json=json.dumps(sorted(others))))
        # A new directory version, so that gates receive the flag at their next sync.
        bind.execute(sa.insert(_changes).values(entity="person", key=person_id, changed_at=now))


def downgrade() -> None:
    with op.batch_alter_table("residents") as batch:
        batch.drop_column("lookalike_of_json")
