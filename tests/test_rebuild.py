"""`rebuild --check` replays the log and reports projection rows changed behind its back."""

from __future__ import annotations

from sqlalchemy import delete, insert, select, update

from ledger.domain.rows import OrgRow
from ledger.store.projection_tables import table_for
from ledger.store.rebuild import check, rebuild
from tests.support.ledger_factory import LedgerFactory

ORG = table_for(OrgRow)


def test_clean_projections_pass(any_factory: LedgerFactory) -> None:
    f = any_factory
    f.with_genesis()
    f.append_orgs(6)
    report = check(f.ledger.log)
    assert report.clean, report.to_json()
    assert report.entries == 7 and report.rows["p_org"] == 7  # six charities and the registrar


def test_changed_deleted_and_added_rows_are_reported(any_factory: LedgerFactory) -> None:
    f = any_factory
    f.with_genesis()
    f.append_orgs(6)
    engine = f.ledger.engine
    with engine.begin() as conn:
        victim = conn.execute(select(ORG).where(ORG.c.name_zh == "测试慈善基金会3")).mappings().one()
        conn.execute(
            update(ORG).where(ORG.c.org == victim["org"]).values(public_fundraising=not victim["public_fundraising"])
        )
        gone = conn.execute(select(ORG).where(ORG.c.name_zh == "测试慈善基金会4")).mappings().one()
        conn.execute(delete(ORG).where(ORG.c.org == gone["org"]))
        conn.execute(insert(ORG).values(dict(gone, org="53440300999999999X", name_zh="幽灵机构")))
    report = check(f.ledger.log)
    assert not report.clean
    (diff,) = [d for d in report.diffs if not d.clean]
    assert diff.table == "p_org"
    assert sorted(r["org"] for r in diff.missing) == sorted([victim["org"], gone["org"]])
    assert sorted(r["org"] for r in diff.extra) == sorted([victim["org"], "53440300999999999X"])
    changed = next(r for r in diff.extra if r["org"] == victim["org"])
    assert changed["public_fundraising"] is (not victim["public_fundraising"])
    # the check wrote nothing: live rows are as we left them, and no scratch table is left
    with engine.connect() as conn:
        assert conn.execute(select(ORG).where(ORG.c.org == "53440300999999999X")).first() is not None
    # rebuilding restores the projections from the log
    rebuild(f.ledger.log)
    assert check(f.ledger.log).clean


def test_an_entry_accepted_before_the_personal_data_guard_still_replays(factory: LedgerFactory, monkeypatch) -> None:
    """The guard is an admission check: a log holding a note the guard would now refuse (written
    before it existed) still rebuilds and checks clean; a new entry like it is refused."""
    import pytest

    import ledger.domain.rules as rules
    from ledger.errors import LedgerError
    from tests.test_client import DIRECTED, build_world

    world = build_world(factory)
    note = "联系 13912345678"
    with monkeypatch.context() as m:
        m.setattr(rules, "check_entry_text", lambda *a, **k: None)
        world.fundraiser.record_donation(DIRECTED, "10.00", received_on="2026-01-05", note=note)
    assert check(world.ledger.log).clean
    rebuild(world.ledger.log)
    assert check(world.ledger.log).clean
    size = world.size()
    with pytest.raises(LedgerError) as info:
        world.fundraiser.record_donation(DIRECTED, "10.00", received_on="2026-01-05", note=note)
    assert info.value.code == "personal_data_in_text" and world.size() == size
