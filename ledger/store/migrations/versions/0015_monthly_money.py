"""monthly money

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03

Adds ``p_month``: money in (donations, by the day received) and out (payments, by the day
paid) of each project and organisation per calendar month, kept at append (the monthly chart
of the site's project and organisation pages), filled here from the live donations and
payments already projected.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "p_month",
        sa.Column("kind", sa.String(length=32), autoincrement=False, nullable=False),
        sa.Column("subject", sa.String(length=64), autoincrement=False, nullable=False),
        sa.Column("month", sa.String(length=7), autoincrement=False, nullable=False),
        sa.Column("currency", sa.String(length=3), autoincrement=False, nullable=False),
        sa.Column("in_minor", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("out_minor", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("kind", "subject", "month", "currency"),
    )
    _backfill()


def _backfill() -> None:
    conn = op.get_bind()
    months: dict[tuple[str, str, str, str], dict[str, int]] = {}
    queries = (
        ("project", "project", "received_on", "p_donation", "in_minor"),
        ("org", "fundraiser_org", "received_on", "p_donation", "in_minor"),
        ("project", "project", "paid_on", "p_disbursement", "out_minor"),
        ("org", "implementer", "paid_on", "p_disbursement", "out_minor"),
    )
    for kind, subject, day, table, field in queries:
        rows = conn.execute(
            sa.text(
                f"SELECT {subject}, substr({day}, 1, 7), currency, SUM(amount_minor) FROM {table} "
                f"WHERE corrected = :no GROUP BY {subject}, substr({day}, 1, 7), currency"
            ),
            {"no": False},
        )
        for who, month, currency, total in rows:
            row = months.setdefault((kind, who, month, currency), {"in_minor": 0, "out_minor": 0})
            row[field] += int(total)
    if months:
        target = sa.table(
            "p_month", *(sa.column(c) for c in ("kind", "subject", "month", "currency", "in_minor", "out_minor"))
        )
        op.bulk_insert(
            target,
            [{"kind": k, "subject": s, "month": m, "currency": c, **v} for (k, s, m, c), v in months.items()],
        )


def downgrade() -> None:
    op.drop_table("p_month")
