"""effective dates and publication dates

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03

Adds ``p_org_change`` (every registration, change and deregistration of an organisation with
the day it takes effect: ``ledger.domain.history``), ``p_registry.business_from`` (the earliest
business date on the log), and the publication date and document hash of disclosures
(``published_on``, ``publication_sha256`` on ``p_progress`` and ``p_financials``; the plan
filing's and the closing's on ``p_project``).

Existing organisations (the registrar named by the genesis aside, as the rules do) get one
``registered`` history row with their current facts, effective from their ``registered_on``
(else the China date of their registration entry); ``charity-ledger
rebuild`` replays the log for the exact history. ``business_from`` is the earliest business
date of the projections (empty for a log without money or projects).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

PUBLISHED = {
    "p_progress": ("published_on", "publication_sha256"),
    "p_financials": ("published_on", "publication_sha256"),
    "p_project": ("plan_published_on", "plan_publication_sha256", "closed_published_on", "closed_publication_sha256"),
}
FACTS = '["legal_form","name_en","name_zh","public_fundraising","track"]'  # as the rules write it


def upgrade() -> None:
    op.create_table(
        "p_org_change",
        sa.Column("org", sa.String(length=18), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("id", sa.String(length=64), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=32), autoincrement=False, nullable=False),
        sa.Column("effective_on", sa.String(length=10), autoincrement=False, nullable=False),
        sa.Column("time", sa.String(length=24), autoincrement=False, nullable=False),
        sa.Column("changed_json", sa.String(length=200), autoincrement=False, nullable=False),
        sa.Column("name_zh", sa.String(length=200), autoincrement=False, nullable=False),
        sa.Column("legal_form", sa.String(length=32), autoincrement=False, nullable=False),
        sa.Column("track", sa.String(length=32), autoincrement=False, nullable=False),
        sa.Column("public_fundraising", sa.Boolean(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=32), autoincrement=False, nullable=False),
        sa.Column("name_en", sa.String(length=200), autoincrement=False, nullable=True),
        sa.Column("reason", sa.String(length=500), autoincrement=False, nullable=True),
        sa.PrimaryKeyConstraint("org", "seq"),
    )
    with op.batch_alter_table("p_registry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("business_from", sa.String(length=10), autoincrement=False, nullable=True))
    for table, columns in PUBLISHED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in columns:
                length = 10 if name.endswith("_on") else 64
                batch_op.add_column(sa.Column(name, sa.String(length=length), autoincrement=False, nullable=True))
    _backfill()


def _backfill() -> None:
    """Fill ``p_registry.business_from`` and one ``registered`` history row per organisation
    from the projections of an existing log."""
    op.execute(
        sa.text(
            "UPDATE p_registry SET business_from = (SELECT MIN(d) FROM ("
            " SELECT MIN(received_on) AS d FROM p_donation UNION ALL SELECT MIN(allocated_on) FROM p_allocation"
            " UNION ALL SELECT MIN(paid_on) FROM p_disbursement UNION ALL SELECT MIN(start_date) FROM p_project"
            ") AS business)"
        )
    )
    china_day = (  # the date of a log time in China Standard Time, as the rules count days
        "TO_CHAR(CAST(e.time AS TIMESTAMPTZ) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')"
        if op.get_bind().dialect.name == "postgresql"
        else "DATE(e.time, '+8 hours')"
    )
    op.execute(
        sa.text(
            "INSERT INTO p_org_change (org, seq, id, kind, effective_on, time, changed_json, name_zh, legal_form,"
            " track, public_fundraising, status, name_en, reason)"
            f" SELECT o.org, o.registered_seq, e.id, 'registered', COALESCE(o.registered_on, {china_day}),"
            " e.time, :facts, o.name_zh, o.legal_form, o.track, o.public_fundraising, 'active', o.name_en, NULL"
            " FROM p_org o JOIN p_entry e ON e.seq = o.registered_seq WHERE NOT o.is_registrar"
        ).bindparams(facts=FACTS)
    )


def downgrade() -> None:
    for table, columns in PUBLISHED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in reversed(columns):
                batch_op.drop_column(name)
    with op.batch_alter_table("p_registry", schema=None) as batch_op:
        batch_op.drop_column("business_from")
    op.drop_table("p_org_change")
