"""The log: head, leaves, Merkle nodes, checkpoints, cosignatures.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "log_head",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("origin", sa.String(200), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("last_leaf_hash", sa.String(64), nullable=False),
        sa.Column("last_time", sa.String(24), nullable=False),
        sa.Column("root", sa.String(64), nullable=False),
        sa.Column("edge", sa.LargeBinary(), nullable=False),
        sa.Column("log_key_id", sa.String(64), nullable=False),
    )
    op.create_table(
        "log_leaf",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("leaf_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("signer", sa.String(64), nullable=False),
        sa.Column("idem", sa.String(128), nullable=False),
        sa.Column("body_hash", sa.String(64), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("time", sa.String(24), nullable=False),
        sa.Column("leaf", sa.LargeBinary(), nullable=False),
        sa.UniqueConstraint("signer", "idem", name="uq_log_leaf_signer_idem"),
    )
    op.create_index("ix_log_leaf_type_seq", "log_leaf", ["type", "seq"])
    op.create_index("ix_log_leaf_signer_seq", "log_leaf", ["signer", "seq"])
    op.create_table(
        "merkle_node",
        sa.Column("level", sa.SmallInteger(), primary_key=True, autoincrement=False),
        sa.Column("idx", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
    )
    op.create_table(
        "log_checkpoint",
        sa.Column("size", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("root", sa.String(64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("signed_at", sa.String(24), nullable=False),
    )
    op.create_table(
        "log_cosignature",
        sa.Column("size", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("witness", sa.String(200), primary_key=True),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    for table in ("log_cosignature", "log_checkpoint", "merkle_node", "log_leaf", "log_head"):
        op.drop_table(table)
