"""disclosures, fundraising results, work reports

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

Adds the projections of the entry types of issue 13: ``p_disclosure`` (``disclosure.recorded``),
``p_fundraising_result`` (``fundraising.results``) and ``p_work_report`` (``work_report.filed``).
They start empty: no earlier entry has these types.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "p_disclosure",
        sa.Column("id", sa.String(length=64), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("org", sa.String(length=18), autoincrement=False, nullable=False),
        sa.Column("ref", sa.String(length=64), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=32), autoincrement=False, nullable=False),
        sa.Column("title", sa.String(length=200), autoincrement=False, nullable=False),
        sa.Column("summary", sa.String(length=2000), autoincrement=False, nullable=False),
        sa.Column("occurred_on", sa.String(length=10), autoincrement=False, nullable=False),
        sa.Column("published_on", sa.String(length=10), autoincrement=False, nullable=False),
        sa.Column("evidence_json", sa.String(length=1400), autoincrement=False, nullable=False),
        sa.Column("recorded_by", sa.String(length=64), autoincrement=False, nullable=False),
        sa.Column("time", sa.String(length=24), autoincrement=False, nullable=False),
        sa.Column("counterparty", sa.String(length=200), autoincrement=False, nullable=True),
        sa.Column("project", sa.String(length=64), autoincrement=False, nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), autoincrement=False, nullable=True),
        sa.Column("currency", sa.String(length=3), autoincrement=False, nullable=True),
        sa.Column("corrected", sa.Boolean(), autoincrement=False, nullable=False),
        sa.Column("corrected_by", sa.String(length=64), autoincrement=False, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("p_disclosure", schema=None) as batch_op:
        batch_op.create_index("ix_p_disclosure_org_ref", ["org", "ref"], unique=False)
        batch_op.create_index("ix_p_disclosure_org_seq", ["org", "seq"], unique=False)
    op.create_table(
        "p_fundraising_result",
        sa.Column("id", sa.String(length=64), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("project", sa.String(length=64), autoincrement=False, nullable=False),
        sa.Column("org", sa.String(length=18), autoincrement=False, nullable=False),
        sa.Column("currency", sa.String(length=3), autoincrement=False, nullable=False),
        sa.Column("receipts_minor", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("used_minor", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("fundraising_costs_minor", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("cost_cap_minor", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("over_cap", sa.Boolean(), autoincrement=False, nullable=False),
        sa.Column("ended_on", sa.String(length=10), autoincrement=False, nullable=False),
        sa.Column("published_on", sa.String(length=10), autoincrement=False, nullable=False),
        sa.Column("use_summary", sa.String(length=2000), autoincrement=False, nullable=False),
        sa.Column("evidence_json", sa.String(length=1400), autoincrement=False, nullable=False),
        sa.Column("recorded_by", sa.String(length=64), autoincrement=False, nullable=False),
        sa.Column("time", sa.String(length=24), autoincrement=False, nullable=False),
        sa.Column("explanation", sa.String(length=1000), autoincrement=False, nullable=True),
        sa.Column("corrected", sa.Boolean(), autoincrement=False, nullable=False),
        sa.Column("corrected_by", sa.String(length=64), autoincrement=False, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("p_fundraising_result", schema=None) as batch_op:
        batch_op.create_index("ix_p_fundraising_result_org_seq", ["org", "seq"], unique=False)
        batch_op.create_index("ix_p_fundraising_result_project_seq", ["project", "seq"], unique=False)
    op.create_table(
        "p_work_report",
        sa.Column("org", sa.String(length=18), autoincrement=False, nullable=False),
        sa.Column("year", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("id", sa.String(length=64), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("currency", sa.String(length=3), autoincrement=False, nullable=False),
        sa.Column("staff", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("volunteers", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("council_members", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("supervisors", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("council_meetings", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("total_assets_minor", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("total_liabilities_minor", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("net_assets_minor", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("donation_income_minor", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("membership_income_minor", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("service_income_minor", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("sales_income_minor", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("government_grants_minor", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("investment_income_minor", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("other_income_minor", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("total_income_minor", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("charitable_spending_minor", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("management_costs_minor", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("fundraising_costs_minor", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("other_expenses_minor", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("total_spending_minor", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("report_sha256", sa.String(length=64), autoincrement=False, nullable=False),
        sa.Column("published_on", sa.String(length=10), autoincrement=False, nullable=False),
        sa.Column("signer_org", sa.String(length=18), autoincrement=False, nullable=False),
        sa.Column("recorded_by", sa.String(length=64), autoincrement=False, nullable=False),
        sa.Column("time", sa.String(length=24), autoincrement=False, nullable=False),
        sa.Column("volunteer_hours", sa.BigInteger(), autoincrement=False, nullable=True),
        sa.Column("beneficiaries", sa.BigInteger(), autoincrement=False, nullable=True),
        sa.Column("activities", sa.String(length=2000), autoincrement=False, nullable=True),
        sa.Column("note", sa.String(length=1000), autoincrement=False, nullable=True),
        sa.Column("corrected", sa.Boolean(), autoincrement=False, nullable=False),
        sa.Column("corrected_by", sa.String(length=64), autoincrement=False, nullable=True),
        sa.PrimaryKeyConstraint("org", "year"),
    )
    with op.batch_alter_table("p_work_report", schema=None) as batch_op:
        batch_op.create_index("ix_p_work_report_id", ["id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("p_work_report", schema=None) as batch_op:
        batch_op.drop_index("ix_p_work_report_id")
    op.drop_table("p_work_report")
    with op.batch_alter_table("p_fundraising_result", schema=None) as batch_op:
        batch_op.drop_index("ix_p_fundraising_result_org_seq")
        batch_op.drop_index("ix_p_fundraising_result_project_seq")
    op.drop_table("p_fundraising_result")
    with op.batch_alter_table("p_disclosure", schema=None) as batch_op:
        batch_op.drop_index("ix_p_disclosure_org_ref")
        batch_op.drop_index("ix_p_disclosure_org_seq")
    op.drop_table("p_disclosure")
