"""query answers

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

Adds ``p_answer``: the projection of ``query.answered``, an organisation's answer to an
overseer's query or flag, threaded under the attestation it answers.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "p_answer",
        sa.Column("id", sa.String(length=64), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("attestation", sa.String(length=64), autoincrement=False, nullable=False),
        sa.Column("target", sa.String(length=64), autoincrement=False, nullable=False),
        sa.Column("org", sa.String(length=18), autoincrement=False, nullable=False),
        sa.Column("answer", sa.String(length=2000), autoincrement=False, nullable=False),
        sa.Column("evidence_json", sa.String(length=1400), autoincrement=False, nullable=False),
        sa.Column("recorded_by", sa.String(length=64), autoincrement=False, nullable=False),
        sa.Column("time", sa.String(length=24), autoincrement=False, nullable=False),
        sa.Column("project", sa.String(length=64), autoincrement=False, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("p_answer", schema=None) as batch_op:
        batch_op.create_index("ix_p_answer_attestation", ["attestation"], unique=False)
        batch_op.create_index("ix_p_answer_target", ["target"], unique=False)
        batch_op.create_index("ix_p_answer_org_seq", ["org", "seq"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("p_answer", schema=None) as batch_op:
        batch_op.drop_index("ix_p_answer_org_seq")
        batch_op.drop_index("ix_p_answer_target")
        batch_op.drop_index("ix_p_answer_attestation")
    op.drop_table("p_answer")
