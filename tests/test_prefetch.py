"""Rows read for a whole batch at once (``ledger.domain.prefetch``, ``SqlState.load``) and rows
written for a whole batch in one statement (``fastsql.write_all`` on PostgreSQL) change nothing
a user can see: the same rows, the same refusals, projections equal to a rebuild."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ledger.domain.prefetch import PREFETCH_MIN
from ledger.domain.rows import OrgRow, OrgYearRow, ProjectRow
from ledger.errors import LedgerError
from ledger.services.demo import load_demo
from ledger.store.db import write_transaction
from ledger.store.fastsql import row_sql, write_all
from ledger.store.log_store import AppendResult
from ledger.store.projection_tables import table_for
from ledger.store.rebuild import check
from ledger.store.sql_state import SqlState
from tests.support.ledger_factory import LedgerFactory


def test_the_demo_appended_in_batches_equals_its_rebuild(any_factory: LedgerFactory) -> None:
    ledger = any_factory.ledger
    load_demo(ledger, "small")
    report = check(ledger.log)
    assert report.clean, report.to_json()
    assert report.rows["p_donation"] > 0 and report.rows["p_month"] > 0


def test_loaded_rows_are_the_rows_a_get_reads(any_factory: LedgerFactory) -> None:
    ledger = any_factory.ledger
    load_demo(ledger, "small")
    with ledger.engine.connect() as conn:
        orgs = [r[0] for r in conn.execute(select(table_for(OrgRow).c.org))]
        projects = [r[0] for r in conn.execute(select(table_for(ProjectRow).c.project))]
        years = [tuple(r) for r in conn.execute(select(*table_for(OrgYearRow).primary_key.columns))]
    assert orgs and projects and years
    wanted = [
        *((OrgRow, (o,)) for o in orgs),
        *((ProjectRow, (p,)) for p in projects),
        *((OrgYearRow, y) for y in years),
        (OrgRow, ("53440300999999999X",)),  # no such organisation
        (OrgYearRow, (years[0][0], str(years[0][1]), years[0][2])),  # a year as text: not asked
    ]
    with ledger.engine.connect() as conn:
        loaded, fresh = SqlState(conn), SqlState(conn)
        loaded.load(wanted)
        for row_type, key in wanted:
            assert loaded.get(row_type, *key) == fresh.get(row_type, *key)
        assert loaded.get(OrgRow, "53440300999999999X") is None


def test_a_batch_written_in_one_statement_refuses_a_value_too_long(
    postgres_url: str, pg_schema_url: str, tmp_path
) -> None:
    """PostgreSQL: the rows of a batch go in as arrays; a value longer than its column is
    refused as it would be row by row (never cut short), and nothing of the batch is kept."""
    f = LedgerFactory(tmp_path / "home", database_url=pg_schema_url)
    f.with_genesis()
    sql = row_sql(OrgRow, table_for(OrgRow))
    row = {c: None for c in sql.columns} | {
        "legal_form": "foundation",
        "track": "registered",
        "public_fundraising": True,
        "is_registrar": False,
        "status": "active",
        "registered_seq": 1,
        "updated_seq": 1,
    }
    good = row | {"org": "53440300000000001X", "name_zh": "好"}
    long = row | {"org": "53440300000000002X", "name_zh": "长" * 201}
    with pytest.raises(Exception, match="too long"):
        with write_transaction(f.ledger.engine) as conn:
            write_all(conn, [(sql.upsert, [good, long])])
    with f.ledger.engine.connect() as conn:
        assert SqlState(conn).get(OrgRow, "53440300000000001X") is None
    with write_transaction(f.ledger.engine) as conn:
        write_all(conn, [(sql.upsert, [good, long | {"name_zh": "长" * 200}])])
    with f.ledger.engine.connect() as conn:
        stored = SqlState(conn).get(OrgRow, "53440300000000002X")
    assert stored is not None and stored.name_zh == "长" * 200 and stored.public_fundraising is True


def test_a_key_no_column_can_hold_is_refused_by_the_rules_not_the_database(any_factory: LedgerFactory) -> None:
    """Rows are named before the entries are checked: an entry naming an organisation code
    with a NUL character (which PostgreSQL text cannot hold) gets the rules' typed refusal, and
    the entry submitted with it is appended all the same."""
    f = any_factory
    f.with_genesis()
    bad = f.org_entry(1, org="53440300\x00000001X")
    good = [f.org_entry(n) for n in range(2, 2 + PREFETCH_MIN)]  # a batch large enough to be read ahead
    refused, *appended = f.ledger.log.append_each([bad, *good])
    assert isinstance(refused, LedgerError) and refused.code == "uscc_invalid"
    assert [a.seq for a in appended if isinstance(a, AppendResult)] == list(range(1, 1 + PREFETCH_MIN))
    with f.ledger.engine.connect() as conn:
        orgs = sorted(r[0] for r in conn.execute(select(table_for(OrgRow).c.org)))
    assert len(orgs) == 1 + PREFETCH_MIN and "53440300\x00000001X" not in orgs
