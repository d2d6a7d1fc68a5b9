"""workbench accounts

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

Adds the workbench's tables (``wb_account``, ``wb_invitation``, ``wb_session``, ``wb_passkey``,
``wb_key``, ``wb_audit``, ``wb_challenge``; see ``ledger/store/account_tables.py``) and an expiry on API tokens
(``api_token.expires_at``; NULL for tokens made before, which keep not expiring).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wb_account",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("login", sa.String(length=100), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("organisation", sa.String(length=18), nullable=True),
        sa.Column("roles", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.String(length=24), nullable=False),
        sa.Column("disabled_at", sa.String(length=24), nullable=True),
        sa.Column("failed_sign_ins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.String(length=24), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ux_wb_account_login", "wb_account", ["login"], unique=True)
    op.create_table(
        "wb_invitation",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("login", sa.String(length=100), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("organisation", sa.String(length=18), nullable=True),
        sa.Column("roles", sa.String(length=200), nullable=False),
        sa.Column("invited_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.String(length=24), nullable=False),
        sa.Column("expires_at", sa.String(length=24), nullable=False),
        sa.Column("accepted_at", sa.String(length=24), nullable=True),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_table(
        "wb_session",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.String(length=24), nullable=False),
        sa.Column("expires_at", sa.String(length=24), nullable=False),
        sa.Column("factors", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_wb_session_account", "wb_session", ["account_id"], unique=False)
    op.create_table(
        "wb_passkey",
        sa.Column("credential_id", sa.String(length=400), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.String(length=1000), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.String(length=24), nullable=False),
        sa.PrimaryKeyConstraint("credential_id"),
    )
    op.create_index("ix_wb_passkey_account", "wb_passkey", ["account_id"], unique=False)
    op.create_table(
        "wb_key",
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.String(length=44), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.String(length=24), nullable=False),
        sa.PrimaryKeyConstraint("key_id"),
    )
    op.create_index("ix_wb_key_account", "wb_key", ["account_id"], unique=False)
    op.create_table(
        "wb_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.String(length=24), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_wb_audit_account", "wb_audit", ["account_id"], unique=False)
    op.create_table(
        "wb_challenge",
        sa.Column("handle", sa.String(length=64), nullable=False),
        sa.Column("challenge", sa.String(length=100), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", sa.String(length=24), nullable=False),
        sa.PrimaryKeyConstraint("handle"),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.String(length=24), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
    for index, table in (
        ("ix_wb_audit_account", "wb_audit"),
        ("ix_wb_key_account", "wb_key"),
        ("ix_wb_passkey_account", "wb_passkey"),
        ("ix_wb_session_account", "wb_session"),
        ("ux_wb_account_login", "wb_account"),
    ):
        op.drop_index(index, table_name=table)
    for table in ("wb_challenge", "wb_audit", "wb_key", "wb_passkey", "wb_session", "wb_invitation", "wb_account"):
        op.drop_table(table)
