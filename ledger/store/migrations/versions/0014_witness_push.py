"""witness push status

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

Adds ``log_witness_push`` (``ledger/store/log_tables.py``): per witness the log pushes its
checkpoints to (``CHARITY_LEDGER_WITNESSES``), the largest size it cosigned and the last error.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "log_witness_push",
        sa.Column("witness", sa.String(length=200), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=200), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("cosigned_at", sa.BigInteger(), nullable=False),
        sa.Column("attempted_at", sa.BigInteger(), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error_status", sa.SmallInteger(), nullable=True),
        sa.Column("error_detail", sa.Text(), nullable=True),
        sa.Column("failures", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("witness"),
    )


def downgrade() -> None:
    op.drop_table("log_witness_push")
