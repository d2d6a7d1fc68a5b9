"""workbench drafts

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

Adds ``workbench_draft`` (entries prepared in the workbench, reviewed, approved and signed:
ledger.store.drafts) and ``workbench_approval_rule`` (per organisation and currency, the amount
above which a draft needs a second person's approval). Working papers, not part of the log.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workbench_draft",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org", sa.String(length=18), nullable=False),
        sa.Column("type", sa.String(length=63), nullable=False),
        sa.Column("data_json", sa.Text(), nullable=False),
        sa.Column("replacement_json", sa.Text(), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("prepared_by", sa.String(length=100), nullable=False),
        sa.Column("prepared_at", sa.String(length=24), nullable=False),
        sa.Column("approved_by", sa.String(length=100), nullable=True),
        sa.Column("approved_at", sa.String(length=24), nullable=True),
        sa.Column("signed_by", sa.String(length=100), nullable=True),
        sa.Column("signer_key", sa.String(length=64), nullable=True),
        sa.Column("signed_at", sa.String(length=24), nullable=True),
        sa.Column("leaf_hash", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("workbench_draft", schema=None) as batch_op:
        batch_op.create_index("ix_workbench_draft_org_status", ["org", "status"], unique=False)
    op.create_table(
        "workbench_approval_rule",
        sa.Column("org", sa.String(length=18), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("threshold_minor", sa.BigInteger(), nullable=False),
        sa.Column("set_by", sa.String(length=100), nullable=False),
        sa.Column("set_at", sa.String(length=24), nullable=False),
        sa.PrimaryKeyConstraint("org", "currency"),
    )


def downgrade() -> None:
    op.drop_table("workbench_approval_rule")
    with op.batch_alter_table("workbench_draft", schema=None) as batch_op:
        batch_op.drop_index("ix_workbench_draft_org_status")
    op.drop_table("workbench_draft")
