"""key effective dates

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03

Adds ``effective_on`` (the day the role was taken up) and ``revoked_effective_on`` (the day from
which the key is not trusted) to ``p_key``; existing keys get the China dates of their grant and
revocation entries, as the rules give a key.granted or key.revoked without the field.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("p_key", schema=None) as batch_op:
        batch_op.add_column(sa.Column("effective_on", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("revoked_effective_on", sa.String(length=10), nullable=True))
    _backfill()


def _backfill() -> None:
    china_day = (  # the date of a log time in China Standard Time, as the rules count days
        "TO_CHAR(CAST(e.time AS TIMESTAMPTZ) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')"
        if op.get_bind().dialect.name == "postgresql"
        else "DATE(e.time, '+8 hours')"
    )
    op.execute(
        sa.text(f"UPDATE p_key SET effective_on = (SELECT {china_day} FROM p_entry e WHERE e.seq = p_key.granted_seq)")
    )
    op.execute(
        sa.text(
            f"UPDATE p_key SET revoked_effective_on = (SELECT {china_day} FROM p_entry e"
            " WHERE e.seq = p_key.revoked_seq) WHERE revoked_seq IS NOT NULL"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("p_key", schema=None) as batch_op:
        batch_op.drop_column("revoked_effective_on")
        batch_op.drop_column("effective_on")
