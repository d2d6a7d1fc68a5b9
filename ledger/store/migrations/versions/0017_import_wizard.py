"""import wizard: interest and fees, pending imports, remembered column mappings, order numbers

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03

Adds ``p_account_movement`` (the projection of ``interest.received`` and ``fee.charged``),
``workbench_import`` (statements prepared for signing in the browser; their personal data
encrypted), ``workbench_import_mapping`` (the column mapping an organisation chose per header
layout) and ``donor_order`` (keyed hashes of platform order numbers -> donation seq).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "p_account_movement",
        sa.Column("id", sa.String(length=64), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("org", sa.String(length=18), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=32), autoincrement=False, nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("currency", sa.String(length=3), autoincrement=False, nullable=False),
        sa.Column("on_date", sa.String(length=10), autoincrement=False, nullable=False),
        sa.Column("recorded_by", sa.String(length=64), autoincrement=False, nullable=False),
        sa.Column("time", sa.String(length=24), autoincrement=False, nullable=False),
        sa.Column("project", sa.String(length=64), autoincrement=False, nullable=True),
        sa.Column("fee_kind", sa.String(length=32), autoincrement=False, nullable=True),
        sa.Column("note", sa.String(length=500), autoincrement=False, nullable=True),
        sa.Column("corrected", sa.Boolean(), autoincrement=False, nullable=False),
        sa.Column("corrected_by", sa.String(length=64), autoincrement=False, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("p_account_movement", schema=None) as batch_op:
        batch_op.create_index("ix_p_account_movement_org_seq", ["org", "seq"], unique=False)
        batch_op.create_index("ix_p_account_movement_project_seq", ["project", "seq"], unique=False)
    op.create_table(
        "workbench_import",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org", sa.String(length=18), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.String(length=24), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("bodies_json", sa.Text(), nullable=False),
        sa.Column("private_token", sa.Text(), nullable=False),
        sa.Column("preview_json", sa.Text(), nullable=False),
        sa.Column("committed_at", sa.String(length=24), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("workbench_import", schema=None) as batch_op:
        batch_op.create_index("ix_workbench_import_org", ["org"], unique=False)
    op.create_table(
        "workbench_import_mapping",
        sa.Column("org", sa.String(length=18), nullable=False),
        sa.Column("layout", sa.String(length=64), nullable=False),
        sa.Column("columns_json", sa.Text(), nullable=False),
        sa.Column("preset", sa.String(length=20), nullable=True),
        sa.Column("set_by", sa.String(length=100), nullable=False),
        sa.Column("set_at", sa.String(length=24), nullable=False),
        sa.PrimaryKeyConstraint("org", "layout"),
    )
    op.create_table(
        "donor_order",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("digest"),
    )
    with op.batch_alter_table("donor_order", schema=None) as batch_op:
        batch_op.create_index("ix_donor_order_seq", ["seq"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("donor_order", schema=None) as batch_op:
        batch_op.drop_index("ix_donor_order_seq")
    op.drop_table("donor_order")
    op.drop_table("workbench_import_mapping")
    with op.batch_alter_table("workbench_import", schema=None) as batch_op:
        batch_op.drop_index("ix_workbench_import_org")
    op.drop_table("workbench_import")
    with op.batch_alter_table("p_account_movement", schema=None) as batch_op:
        batch_op.drop_index("ix_p_account_movement_project_seq")
        batch_op.drop_index("ix_p_account_movement_org_seq")
    op.drop_table("p_account_movement")
