"""The overseer's view on a registry in the real store: the queue of entries awaiting its
verdict, its queries and flags and what became of them, overdue disclosures, risk signals."""

from __future__ import annotations

import json
from datetime import date

import pytest

from ledger.domain.rows import DisbursementRow, OrgRow, ProjectRow
from ledger.errors import LedgerError
from ledger.services.oversight import (
    awaiting_verdict,
    disclosures_of_project,
    findings_of,
    normalise_payee,
    overseer_risks,
    overseer_view,
    risk_signals,
    scan_deadlines,
    sign_verdict,
)
from tests.domain import helpers

OVERSIGHT = helpers.OVERSIGHT


def verdict(world, target: str, value: str, findings: str = "已核对凭证") -> str:  # type: ignore[no-untyped-def]
    """A verdict signed with the overseer's key by sign_verdict, appended through the log."""
    entry = sign_verdict(world.overseer, world.ledger.log.origin, target, value, findings, at=world.now)
    return world.append_entry(entry)


def spend(world, amount: str, payee: str = "福田区长者饭堂", project: str | None = None) -> str:  # type: ignore[no-untyped-def]
    return world.append(
        world.implementer, "funds.disbursed", helpers.disbursement_data(project or world.PUB, amount, payee=payee)
    )


@pytest.fixture
def funded(world):  # type: ignore[no-untyped-def]
    world.append(world.fundraiser, "donation.received", helpers.donation_data(world.PUB, "300000.00"))
    world.allocation = world.append(
        world.fundraiser, "funds.allocated", helpers.allocation_data(world.PUB, "250000.00")
    )
    return world


def test_awaiting_verdict_is_this_overseers_queue(funded):
    world = funded
    d1 = spend(world, "100.00")
    d2 = spend(world, "200.00")
    queue = [e.id for e in awaiting_verdict(world.ledger.engine, OVERSIGHT)]
    # the plan filing, the allocation and both payments; donations are not in the default types
    assert queue == [world.plan, world.allocation, d1, d2]
    verdict(world, world.allocation, "approved")
    verdict(world, d1, "queried", "发票抬头与收款方不一致")
    assert [e.id for e in awaiting_verdict(world.ledger.engine, OVERSIGHT)] == [world.plan, d2]
    assert [e.id for e in awaiting_verdict(world.ledger.engine, OVERSIGHT, types=("funds.disbursed",))] == [d2]
    assert [e.id for e in awaiting_verdict(world.ledger.engine, OVERSIGHT, limit=1)] == [world.plan]
    assert awaiting_verdict(world.ledger.engine, helpers.AUDITOR) == []  # oversees no project


def test_a_withdrawn_verdict_puts_the_entry_back_in_the_queue(funded):
    world = funded
    approval = verdict(world, world.allocation, "approved")
    assert world.allocation not in [e.id for e in awaiting_verdict(world.ledger.engine, OVERSIGHT)]
    world.append(world.overseer, "entry.corrected", {"target": approval, "reason": "误点"})
    assert world.allocation in [e.id for e in awaiting_verdict(world.ledger.engine, OVERSIGHT)]


def test_queries_and_flags_with_their_resolution(funded):
    world = funded
    d1, d2, d3 = spend(world, "100.00"), spend(world, "200.00"), spend(world, "300.00")
    q = verdict(world, d1, "queried", "请补充合同")
    f = verdict(world, d2, "flagged", "收款方与项目无关")
    open_flag = verdict(world, d3, "flagged", "金额异常")
    resolved = verdict(world, d1, "resolved", "合同已补充")
    world.append(
        world.implementer,
        "entry.corrected",
        {
            "target": d2,
            "reason": "付款有误，已退回",
            "project": world.PUB,
            "amount": "200.00",
            "currency": "CNY",
        },
    )
    found = {x.attestation: x for x in findings_of(world.ledger.engine, OVERSIGHT)}
    assert set(found) == {q, f, open_flag}
    assert (found[q].status, found[q].resolved_by, found[q].target_last_verdict) == ("resolved", resolved, "resolved")
    assert (found[f].status, found[f].verdict, found[f].target_type) == (
        "target_corrected",
        "flagged",
        "funds.disbursed",
    )
    assert found[f].resolved_by is not None
    assert (found[open_flag].status, found[open_flag].findings) == ("open", "金额异常")
    assert findings_of(world.ledger.engine, helpers.AUDITOR) == []


def test_risk_signals(funded):
    world = funded
    thresholds = {"CNY": 5_000_000}  # 50,000.00 yuan needs approval
    under = spend(world, "49999.99")
    edge = spend(world, "45000.00")  # the lower end of the 10 % band counts
    spend(world, "44999.99")  # below the band
    spend(world, "50000.00")  # at the threshold: it was approved, not avoided
    signals = overseer_risks(world.ledger.engine, OVERSIGHT, thresholds=thresholds)
    assert sorted(s.entry for s in signals if s.kind == "near_threshold") == sorted([under, edge])
    assert [s for s in signals if s.kind != "near_threshold"] == []

    # the same payee, written a little differently, paid by three projects
    third = "P-THIRD-2026"
    world.append(world.fundraiser, "project.registered", helpers.project_data(third, directed=True))
    world.append(world.fundraiser, "donation.received", helpers.donation_data(third, "100.00"))
    world.append(world.fundraiser, "funds.allocated", helpers.allocation_data(third, "100.00"))
    world.append(world.fundraiser, "donation.received", helpers.donation_data(world.DIR, "100.00"))
    world.append(world.fundraiser, "funds.allocated", helpers.allocation_data(world.DIR, "100.00"))
    spend(world, "10.00", payee="福田区 长者饭堂", project=third)
    spend(world, "10.00", payee="福田区长者饭堂 ", project=world.DIR)
    shared = [s for s in overseer_risks(world.ledger.engine, OVERSIGHT) if s.kind == "shared_payee"]
    assert len(shared) == 1 and shared[0].projects == tuple(sorted([world.PUB, world.DIR, third]))
    assert [s for s in overseer_risks(world.ledger.engine, OVERSIGHT, min_projects=4) if s.kind == "shared_payee"] == []

    # paying the fundraising foundation itself, by name or by credit code
    by_name = spend(world, "20.00", payee=f"组织{helpers.FOUNDATION[-6:]}")
    by_code = spend(world, "30.00", payee=f"转账至 {helpers.FOUNDATION} 账户")
    own = [s.entry for s in overseer_risks(world.ledger.engine, OVERSIGHT) if s.kind == "own_payee"]
    assert own == [by_name, by_code]


def test_risk_signals_pure():
    project = ProjectRow(
        project="P",
        title_zh="t",
        field="f",
        region="r",
        start_date="2026-01-01",
        end_date="2026-12-31",
        currency="CNY",
        target_minor=1,
        fundraiser_org=helpers.FOUNDATION,
        registered_by="a" * 64,
        registered_id="b" * 64,
        registered_seq=1,
        implementers_json="[]",
        overseers_json="[]",
        directed=True,
        emergency=False,
        status="open",
        closed=False,
    )

    def pay(seq: int, amount: int, payee: str = "X", currency: str = "CNY", corrected: bool = False) -> DisbursementRow:
        return DisbursementRow(
            id=f"{seq:064x}",
            seq=seq,
            project="P",
            implementer=helpers.SERVICE_ORG,
            category="program",
            amount_minor=amount,
            currency=currency,
            payee=payee,
            purpose="p",
            paid_on="2026-02-01",
            evidence_json="[]",
            recorded_by="c" * 64,
            time="2026-02-01T00:00:00.000Z",
            corrected=corrected,
        )

    org = OrgRow(
        org=helpers.FOUNDATION,
        name_zh="深圳某基金会",
        name_en="Shenzhen Some Foundation",
        legal_form="foundation",
        track="registered",
        public_fundraising=True,
        is_registrar=False,
        status="active",
        registered_seq=1,
        updated_seq=1,
    )
    payments = [
        pay(1, 9_500, currency="HKD"),
        pay(2, 9_500),
        pay(3, 9_500, corrected=True),
        pay(4, 1, payee="shenzhen some  FOUNDATION"),
    ]
    signals = risk_signals([project], payments, {}, {org.org: org}, thresholds={"CNY": 10_000}, band_bp=500)
    assert [(s.kind, s.seq) for s in signals] == [("near_threshold", 2), ("own_payee", 4)]
    assert normalise_payee("ＡＢＣ（深圳）有限公司") == normalise_payee("abc 深圳 有限公司")  # noqa: RUF001 (full width on purpose)
    with pytest.raises(ValueError):
        risk_signals([project], payments, {}, {}, band_bp=0)


def test_sign_verdict_refuses_unknown_verdicts(world):
    with pytest.raises(LedgerError):
        sign_verdict(world.overseer, world.ledger.log.origin, "a" * 64, "maybe", "…")
    # the default idem is derived from the verdict: the same verdict twice is one entry
    target = world.plan
    first = sign_verdict(world.overseer, world.ledger.log.origin, target, "approved", "ok", at=world.now)
    again = sign_verdict(world.overseer, world.ledger.log.origin, target, "approved", "ok", at=world.now)
    assert first.idem == again.idem
    a, b = world.ledger.log.append([first])[0], world.ledger.log.append([again])[0]
    assert (a.seq, b.existing) == (b.seq, True)


def test_overseer_view_in_one_call(funded, run_cli, capsys):
    world = funded
    d = spend(world, "49000.00")
    verdict(world, d, "flagged", "接近审批门槛")
    world.set_date("2026-06-05")
    view = overseer_view(world.ledger.engine, OVERSIGHT, date(2026, 6, 5), thresholds={"CNY": 5_000_000})
    assert view.projects == (world.DIR, world.PUB)
    assert [e.id for e in view.awaiting] == [world.plan, world.allocation]
    assert [(f.target, f.status) for f in view.findings] == [(d, "open")]
    assert {(i.project, i.rule) for i in view.overdue if i.project} == {
        (world.PUB, "progress_disclosure"),
        (world.DIR, "progress_disclosure"),
    }
    assert {i.org for i in view.overdue if i.rule == "annual_report"} == {
        helpers.FOUNDATION,
        helpers.SERVICE_ORG,
        helpers.SERVICE_ORG_2,
    }
    assert all(i.status == "overdue" for i in view.overdue)
    assert [(s.kind, s.entry) for s in view.risks] == [("near_threshold", d)]
    out = view.to_json()
    assert json.loads(json.dumps(out, ensure_ascii=False)) == out

    assert (
        run_cli(
            "--home",
            str(world.ledger.settings.home),
            "overseer",
            "--org",
            OVERSIGHT,
            "--on",
            "2026-06-05",
            "--threshold",
            "50000.00 CNY",
        )
        == 0
    )
    printed = json.loads(capsys.readouterr().out)
    assert [r["entry"] for r in printed["risks"]] == [d]
    assert (
        run_cli("--home", str(world.ledger.settings.home), "deadlines", "--on", "2026-06-05", "--fail-on-overdue") == 1
    )
    assert {i["rule"] for i in json.loads(capsys.readouterr().out)} == {"progress_disclosure", "annual_report"}


@pytest.mark.postgres
def test_the_queries_on_postgresql(pg_schema_url, tmp_path):
    """The same SQL on PostgreSQL: the queue, findings, risks and the deadline scan."""
    from tests.support.store_world import StoreWorld

    world = StoreWorld(tmp_path / "pg", database_url=pg_schema_url)
    world.append(world.fundraiser, "donation.received", helpers.donation_data(world.PUB, "1000.00"))
    allocation = world.append(world.fundraiser, "funds.allocated", helpers.allocation_data(world.PUB, "1000.00"))
    paid = spend(world, "95.00", payee=f"组织{helpers.FOUNDATION[-6:]}")
    flag = verdict(world, paid, "flagged", "付给募集方自己")
    engine = world.ledger.engine
    assert [e.id for e in awaiting_verdict(engine, OVERSIGHT)] == [world.plan, allocation]
    assert [(f.attestation, f.status) for f in findings_of(engine, OVERSIGHT)] == [(flag, "open")]
    assert [(s.kind, s.entry) for s in overseer_risks(engine, OVERSIGHT, thresholds={"CNY": 10_000})] == [
        ("near_threshold", paid),
        ("own_payee", paid),
    ]
    view = overseer_view(engine, OVERSIGHT, date(2026, 6, 5))
    assert {i.project for i in view.overdue if i.rule == "progress_disclosure"} == {world.PUB, world.DIR}
    assert [(i.rule, i.subject) for i in scan_deadlines(engine, date(2026, 6, 5), org=helpers.SERVICE_ORG)] == [
        ("annual_report", f"{helpers.SERVICE_ORG}/2025"),
    ]
    history = disclosures_of_project(engine, world.PUB, date(2026, 6, 5))
    assert [(d.rule, d.status) for d in history[:2]] == [("plan_filing", "on_time"), ("progress_disclosure", "missing")]
    engine.dispose()
