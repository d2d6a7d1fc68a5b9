"""The demo data set: its figures, its consistency with the log, idempotency and the command."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import stat
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import create_engine, select

from ledger import cli
from ledger.cli.app import create_app
from ledger.domain.privacy import receipt_commitment
from ledger.domain.rows import (
    AllocationBalanceRow,
    AttestationRow,
    DonationRow,
    EntryRow,
    FundRow,
    KeyRow,
    OrgRow,
    ProjectRow,
    RegistryRow,
    SzFilingRow,
)
from ledger.errors import LedgerError
from ledger.protocol.canonical import parse_time
from ledger.protocol.entry import parse_leaf_json
from ledger.protocol.keys import KeyPair, read_key_file, write_key_file
from ledger.protocol.merkle import leaf_hash
from ledger.protocol.verify import read_export, verify_log
from ledger.services.client import CHINA, LocalSink
from ledger.services.demo import ACTORS, BASE_DATE, HISTORY_DAYS, ORGS, demo_key, load_demo
from ledger.services.oversight import disclosures_of_org, disclosures_of_project
from ledger.settings import sqlite_url
from ledger.store.donors import DonorStore, find_donation_by_receipt, load_privacy_key
from ledger.store.export import export_log
from ledger.store.projection_tables import table_for
from ledger.store.rebuild import check
from ledger.store.tables import CHECKPOINT
from tests.support.ledger_factory import LedgerFactory

# The small demo, entry by entry. Deterministic: a change here is a change of the demo data.
SMALL_COUNTS = {
    "attestation.recorded": 95,
    "audit.opinion": 2,
    "donation.received": 2033,
    "entry.corrected": 2,
    "financials.reported": 16,
    "funds.allocated": 270,
    "funds.disbursed": 431,
    "key.granted": 24,
    "key.revoked": 1,
    "org.registered": 10,
    "org.updated": 1,
    "plan.acknowledged": 2,
    "plan.filed": 2,
    "progress.reported": 40,
    "project.closed": 1,
    "project.registered": 8,
    "registry.genesis": 1,
    "report.issued": 1,
    "sz.donation_filed": 2,
    "sz.filing_replied": 1,
}
SMALL_SIZE = sum(SMALL_COUNTS.values())


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[LedgerFactory, Any, Any]:
    factory = LedgerFactory(tmp_path_factory.mktemp("demo") / "home")
    report = load_demo(factory.ledger, "small")
    return factory, factory.ledger, report


def rows(ledger: Any, row_type: type, **where: Any) -> list[Any]:
    table = table_for(row_type)
    stmt = select(table)
    for name, value in where.items():
        stmt = stmt.where(table.c[name] == value)
    with ledger.engine.connect() as conn:
        return [row_type(**m) for m in conn.execute(stmt).mappings()]


def bodies(ledger: Any) -> list[tuple[int, str, dict[str, Any]]]:
    out = []
    for raw in ledger.log.iter_leaves():
        leaf = parse_leaf_json(raw)
        out.append((leaf["seq"], leaf_hash(raw).hex(), leaf["body"]))
    return out


def minor(amount: str) -> int:
    return int(amount.replace(".", ""))


# --- figures ----------------------------------------------------------------------------------------


def test_small_demo_counts(demo) -> None:
    _, ledger, report = demo
    assert report.added == SMALL_SIZE and report.existing == 0
    assert dict(report.by_type) == SMALL_COUNTS
    assert ledger.log.head().size == SMALL_SIZE
    assert Counter(b["type"] for _, _, b in bodies(ledger)) == Counter(SMALL_COUNTS)
    assert 2500 <= SMALL_SIZE <= 5000, "a few thousand entries"
    assert report.seconds < 60


def test_cast(demo) -> None:
    _, ledger, _ = demo
    registry = rows(ledger, RegistryRow)[0]
    assert registry.registrar_key == ACTORS["registrar"].key.id and registry.jurisdiction == "CN-GD-Shenzhen"
    assert registry.log_key == ledger.log_key.public_b64, "the trust root names the log's checkpoint key"
    orgs = {o.org: o for o in rows(ledger, OrgRow)}
    assert len(orgs) == 11  # the registrar and ten organisations
    assert orgs[ORGS["F1"].code].name_zh == "深圳市鹏城公益基金会" and orgs[ORGS["F1"].code].public_fundraising
    assert orgs[ORGS["F2"].code].public_fundraising, "F2 gained the qualification by org.updated"
    assert {(o.legal_form, o.track) for o in orgs.values()} >= {
        ("foundation", "registered"),
        ("social_service_org", "registered"),
        ("social_group", "filed"),
        ("other", "registered"),
        ("enterprise", "registered"),
        ("government", "registered"),
    }
    keys = {k.key_id: k for k in rows(ledger, KeyRow)}
    assert len(keys) == len(ACTORS) == 25
    for name, actor in ACTORS.items():
        assert keys[actor.key.id].role == actor.role and keys[actor.key.id].org == actor.org_code, name
    revoked = keys[ACTORS["s1-implementer"].key.id]
    assert revoked.revoked_seq is not None
    later = [seq for seq, _, b in bodies(ledger) if b["signer"] == revoked.key_id and seq > revoked.revoked_seq]
    assert later == [], "a revoked key signs nothing after its revocation"
    successor = ACTORS["s1-implementer-2"].key.id
    assert any(b["signer"] == successor and b["type"] == "funds.disbursed" for _, _, b in bodies(ledger))


def test_every_project_total_is_the_sum_of_its_entries(demo) -> None:
    _, ledger, _ = demo
    entries = bodies(ledger)
    by_hash = {h: b for _, h, b in entries}
    raised: dict[str, int] = defaultdict(int)
    allocated: dict[str, int] = defaultdict(int)
    disbursed: dict[str, int] = defaultdict(int)
    donations: dict[str, int] = defaultdict(int)
    sums = {"donation.received": raised, "funds.allocated": allocated, "funds.disbursed": disbursed}
    for _, _, body in entries:
        data = body["data"]
        if body["type"] in sums:
            sums[body["type"]][data["project"]] += minor(data["amount"])
            donations[data["project"]] += body["type"] == "donation.received"
        elif body["type"] == "entry.corrected" and "amount" in data:
            target = by_hash[data["target"]]
            assert target["data"]["amount"] == data["amount"] and target["data"]["project"] == data["project"]
            sums[target["type"]][data["project"]] -= minor(data["amount"])
            donations[data["project"]] -= target["type"] == "donation.received"
    funds = {f.project: f for f in rows(ledger, FundRow)}
    assert len(funds) == 8
    for project, fund in funds.items():
        assert fund.raised_minor == raised[project], project
        assert fund.allocated_minor == allocated[project], project
        assert fund.disbursed_minor == disbursed[project], project
        assert fund.donations_count == donations[project], project
        assert fund.balance_minor == raised[project] - disbursed[project], project
        assert fund.raised_minor == fund.raised_restricted_minor + fund.raised_unrestricted_minor
        assert (
            fund.disbursed_minor
            == fund.disbursed_program_minor + fund.disbursed_admin_minor + fund.disbursed_fundraising_cost_minor
        )
    # figures of the data set itself (deterministic)
    assert funds["SZ-ELDER-MEALS"].raised_minor > funds["TY-SENIOR-VISITS"].raised_minor > 0
    assert funds["NS-SENIOR-DIGITAL"].raised_minor == 0
    assert sum(f.raised_minor for f in funds.values()) > 500_000_000  # over 5 million yuan in all
    for fund in funds.values():
        if fund.raised_minor:
            assert fund.disbursed_minor > fund.raised_minor // 2, f"{fund.project} spends most of what it raises"


def test_no_balance_is_negative(demo) -> None:
    _, ledger, _ = demo
    for fund in rows(ledger, FundRow):
        for name in (
            "available_restricted_minor",
            "available_unrestricted_minor",
            "balance_minor",
            "raised_minor",
            "allocated_minor",
            "disbursed_minor",
        ):
            assert getattr(fund, name) >= 0, (fund.project, name)
        assert fund.allocated_minor <= fund.raised_minor and fund.disbursed_minor <= fund.allocated_minor
    balances = rows(ledger, AllocationBalanceRow)
    assert len(balances) >= 8
    for balance in balances:
        assert balance.balance_minor >= 0 and balance.balance_minor == balance.allocated_minor - balance.disbursed_minor


def test_the_kinds_of_money_and_oversight(demo) -> None:
    _, ledger, _ = demo
    donations = rows(ledger, DonationRow)
    assert {d.donor_type for d in donations} == {
        "individual",
        "enterprise",
        "foundation",
        "government_purchase",
        "anonymous",
    }
    assert {d.channel for d in donations} >= {"bank_transfer", "online_platform", "cash", "cheque", "delivery"}
    in_kind = [d for d in donations if d.kind == "in_kind"]
    assert in_kind and all(d.in_kind_description and d.channel == "delivery" for d in in_kind)
    assert any(not d.restricted for d in donations) and any(d.restricted for d in donations)
    government = [d for d in donations if d.donor_type == "government_purchase"]
    assert government and all("购买社会服务" in (d.note or "") for d in government)
    # business dates: the two years up to the base date
    earliest = min(date.fromisoformat(d.received_on) for d in donations)
    assert (BASE_DATE - earliest).days >= 700
    assert all(date.fromisoformat(d.received_on) <= BASE_DATE for d in donations)
    # payments carry evidence hashes; all three cost categories occur
    entries = bodies(ledger)
    paid = [b["data"] for _, _, b in entries if b["type"] == "funds.disbursed"]
    assert all(len(p["evidence"]) == 2 for p in paid)
    assert {p["category"] for p in paid} == {"program", "admin", "fundraising_cost"}
    # oversight: approvals, a flagged payment later resolved, a queried one later resolved
    attestations = rows(ledger, AttestationRow)
    verdicts = Counter(a.verdict for a in attestations)
    assert (
        verdicts["approved"] >= 50
        and verdicts["flagged"] == 1
        and verdicts["queried"] == 1
        and verdicts["resolved"] == 2
    )
    for verdict in ("flagged", "queried"):
        first = next(a for a in attestations if a.verdict == verdict)
        resolution = next(a for a in attestations if a.target == first.target and a.verdict == "resolved")
        assert resolution.previous_verdict == verdict and resolution.seq > first.seq
        assert rows(ledger, EntryRow, id=first.target)[0].last_verdict == "resolved"
    assert {a.overseer_org for a in attestations} == {ORGS["O1"].code}


def test_corrections_and_the_closed_project(demo) -> None:
    _, ledger, _ = demo
    corrected = [e for e in rows(ledger, EntryRow) if e.corrected]
    assert sorted(e.type for e in corrected) == ["donation.received", "funds.disbursed"]
    closed = [p for p in rows(ledger, ProjectRow) if p.closed]
    assert [p.project for p in closed] == ["TY-SENIOR-VISITS"]
    project = closed[0]
    fund = rows(ledger, FundRow, project=project.project)[0]
    assert project.surplus_minor == fund.balance_minor and 0 < project.surplus_minor < fund.raised_minor // 10
    assert project.surplus_handling == "similar_purpose" and project.surplus_note
    assert project.fundraiser_org == ORGS["G1"].code


def test_public_fundraising(demo) -> None:
    _, ledger, _ = demo
    projects = {p.project: p for p in rows(ledger, ProjectRow)}
    typhoon, upcoming = projects["SZ-TYPHOON-RELIEF"], projects["NS-SENIOR-DIGITAL"]
    for project in (typhoon, upcoming):
        assert not project.directed and project.plan_filed_seq is not None and project.plan_ack_seq is not None
    assert typhoon.emergency and typhoon.field == "disaster_relief"
    received = [d.received_on for d in rows(ledger, DonationRow, project=typhoon.project)]
    assert len(received) > 200
    assert all(typhoon.plan_fundraising_start <= r <= typhoon.plan_fundraising_end for r in received)
    assert date.fromisoformat(upcoming.plan_fundraising_start) > BASE_DATE
    directed = [p for p in projects.values() if p.directed]
    assert len(directed) == 6 and {p.field for p in projects.values()} >= {
        "elderly_care",
        "community_service",
        "social_work",
        "disaster_relief",
        "education",
    }
    # raised by one organisation, carried out by another, watched by a third
    assert any(p.fundraiser_org not in json.loads(p.implementers_json) for p in projects.values())


def test_sez_donation_filings(demo) -> None:
    """The foundation files its typhoon donations with the registrar: the emergency in-kind gifts
    (answered), the first donations (awaiting the reply, which the deadline scan shows due)."""
    from ledger.services.oversight import scan_deadlines

    _, ledger, _ = demo
    filings = sorted(rows(ledger, SzFilingRow), key=lambda f: f.seq)
    assert len(filings) == 2 and {f.org for f in filings} == {ORGS["F1"].code}
    emergency, ordinary = filings
    assert emergency.emergency and emergency.accepted_on is not None and emergency.decision == "approved"
    assert not ordinary.emergency and ordinary.replied_on is None
    donations = {d.id: d for d in rows(ledger, DonationRow, project="SZ-TYPHOON-RELIEF")}
    for f in filings:
        covered = json.loads(f.donations_json)
        assert covered and all(donations[c].fundraiser_org == f.org for c in covered)
    assert all(donations[c].kind == "in_kind" for c in json.loads(emergency.donations_json))
    # filed 4 days before the base date: 6 of the registrar's 10 days left then
    items = [i for i in scan_deadlines(ledger.engine, BASE_DATE, window_days=10) if i.subject == ordinary.ref]
    assert [(i.rule, i.org, i.status, i.days) for i in items] == [("authority_reply", ordinary.authority, "due", 6)]


def test_report_issued_names_the_true_root_and_file(demo) -> None:
    _, ledger, _ = demo
    issued = [(seq, b["data"]) for seq, _, b in bodies(ledger) if b["type"] == "report.issued"]
    assert len(issued) == 1
    seq, data = issued[0]
    assert data["tree_size"] == seq and data["root"] == ledger.log.root_at(seq).hex()
    path = ledger.settings.published_report_dir("demo-summary", "demo-summary") / "demo-summary.json"
    raw = path.read_bytes()
    assert data["files"] == [{"name": "demo-summary.json", "sha256": hashlib.sha256(raw).hexdigest(), "size": len(raw)}]
    assert json.loads(raw)["projects"]["SZ-ELDER-MEALS"]["donations"] > 0
    # the API serves it from where the demo wrote it, checked against the entry's SHA-256
    with TestClient(create_app(ledger, settings=ledger.settings)) as client:
        report_id = client.get("/api/v1/reports").json()["items"][0]["id"]
        download = client.get(f"/api/v1/reports/{report_id}/files/demo-summary.json")
    assert download.status_code == 200 and download.content == raw
    assert download.headers["x-content-sha256"] == data["files"][0]["sha256"]


# --- the demo's clock ---------------------------------------------------------------------------------

# the business dates an entry may carry: each is on or before the day the log recorded it
BUSINESS_DATES = ("received_on", "allocated_on", "paid_on", "period_end", "closed_on", "filed_on", "replied_on")


def test_entries_are_logged_when_they_happened(demo) -> None:
    """The log times run over the two years up to the base date, never backwards, in a working
    day in China; each entry is signed at its log time; a business date is the day the log
    recorded it or a few days before (a bank line, a count of cash, a late report)."""
    _, ledger, _ = demo
    previous = None
    days: Counter[date] = Counter()
    lags: Counter[int] = Counter()
    for raw in ledger.log.iter_leaves():
        leaf = parse_leaf_json(raw)
        moment = parse_time(leaf["time"])
        assert leaf["body"]["at"] == leaf["time"], "signed at the sequencer's (simulated) time"
        assert previous is None or moment >= previous
        previous = moment
        local = moment.astimezone(CHINA)
        assert 8 * 60 + 30 <= local.hour * 60 + local.minute < 18 * 60 + 30, leaf["time"]
        days[local.date()] += 1
        for name in BUSINESS_DATES:
            if name in leaf["body"]["data"]:
                lags[(local.date() - date.fromisoformat(leaf["body"]["data"][name])).days] += 1
    assert min(days) <= BASE_DATE - timedelta(days=HISTORY_DAYS) and max(days) == BASE_DATE
    assert len(days) > 600, "entries on most days of the two years"
    assert min(lags) >= 0 and max(lags) <= 60
    assert lags[0] > sum(lags.values()) // 2 and lags[1] and lags[2] and lags[3], "most the same day, some later"
    # a checkpoint for every append, signed at its log time: hundreds of days, not one moment
    with ledger.engine.connect() as conn:
        signed = [
            parse_time(t) for t in conn.execute(select(CHECKPOINT.c.signed_at).order_by(CHECKPOINT.c.size)).scalars()
        ]
    assert signed == sorted(signed) and len({s.astimezone(CHINA).date() for s in signed}) == len(days)
    assert signed[0] < parse_time(parse_leaf_json(ledger.log.leaf(0))["time"]), "the empty tree before the genesis"


def test_disclosures_are_mostly_on_time(demo) -> None:
    """As of the base date: every progress disclosure made, three of them late (a volunteer
    group's first, one after the finance officer changed, one more); every annual report made,
    one late (the volunteer team's for 2025); nothing missing."""
    _, ledger, _ = demo
    projects = [p.project for p in rows(ledger, ProjectRow)]
    made: Counter[str] = Counter()
    late = []
    for project in projects:
        for d in disclosures_of_project(ledger.engine, project, BASE_DATE):
            made[d.status] += 1
            if d.status == "late":
                late.append((project, d.rule, d.index, (d.done_on - d.due_on).days))
    assert made["missing"] == 0 and made["on_time"] > 35
    assert sorted(late) == [
        ("BA-CHILD-SOCIALWORK", "progress_disclosure", 3, 6),
        ("SZ-DISABILITY-AIDS", "progress_disclosure", 3, 11),
        ("TY-SENIOR-VISITS", "progress_disclosure", 1, 17),
    ]
    annual = [
        (name, d.subject[-4:], d.status)
        for name, org in ORGS.items()
        for d in disclosures_of_org(ledger.engine, org.code, BASE_DATE)
    ]
    assert len(annual) == 16
    assert [a for a in annual if a[2] != "on_time"] == [("G2", "2025", "late")]


def _counted_salts() -> Any:
    counter = itertools.count()
    return lambda: hashlib.sha256(b"%d" % next(counter)).digest()[:16]


def test_the_same_salts_and_log_key_give_the_same_bytes(tmp_path: Path) -> None:
    """Two loads into two data folders with the same log key and the same salts export the
    same bytes: times, checkpoints and all (the salts are random in a real load)."""
    exports = []
    for name in ("a", "b"):
        factory = LedgerFactory(tmp_path / name)
        factory.settings.log_key_path.parent.mkdir(parents=True)
        write_key_file(KeyPair.from_seed(b"demo determinism log key"), factory.settings.log_key_path)
        load_demo(factory.ledger, "small", salt_source=_counted_salts())
        export_log(factory.ledger.log, tmp_path / name / "export")
        exports.append({p.name: p.read_bytes() for p in (tmp_path / name / "export").iterdir()})
    assert exports[0] == exports[1] and len(exports[0]["entries.jsonl"]) > 1_000_000


def test_the_log_itself_keeps_the_real_clock(demo) -> None:
    """The simulated clock is the demo loader's alone: after the load, an entry a client dates
    at the demo's last log time (days before the real now) is refused, and nothing is written."""
    factory, ledger, _ = demo
    head = ledger.log.head()
    key = demo_key("o1-overseer")
    target = parse_leaf_json(ledger.log.leaf(head.size - 1))
    entry = factory.sign(
        key,
        "attestation.recorded",
        {"target": leaf_hash(ledger.log.leaf(head.size - 2)).hex(), "verdict": "approved", "findings": "复核一致。"},
        at=parse_time(target["time"]),
    )
    with pytest.raises(LedgerError) as info:
        ledger.log.append([entry])
    assert info.value.code == "clock_skew" and ledger.log.head() == head


def test_only_an_empty_log_has_its_clock_started_earlier(factory: LedgerFactory) -> None:
    ledger = factory.with_genesis()
    head = ledger.log.head()
    with pytest.raises(LedgerError) as info:
        ledger.log.start_clock_at(parse_time("2024-01-01T00:00:00.000Z"))
    assert info.value.code == "log_holds_entries" and ledger.log.head() == head


def test_large_into_an_empty_log_spreads_the_bulk_over_the_two_years(factory: LedgerFactory) -> None:
    ledger = factory.ledger
    report = load_demo(ledger, "large", bulk_entries=3000)
    assert report.added == SMALL_SIZE + 3000
    days: set[date] = set()
    previous = ""
    for raw in ledger.log.iter_leaves():
        leaf = parse_leaf_json(raw)
        assert leaf["time"] >= previous
        previous = leaf["time"]
        if leaf["body"]["idem"].startswith("demo:BULK-"):
            days.add(parse_time(leaf["time"]).astimezone(CHINA).date())
    assert len(days) > 300 and max(days) - min(days) > timedelta(days=HISTORY_DAYS - 60)
    assert check(ledger.log).clean


# --- the log stays sound ------------------------------------------------------------------------------


def test_projections_rebuild_clean_and_the_export_verifies(demo, tmp_path: Path) -> None:
    _, ledger, _ = demo
    assert check(ledger.log).clean
    size = export_log(ledger.log, tmp_path / "export")
    result = verify_log(*read_export(tmp_path / "export"))
    assert result.size == size == SMALL_SIZE
    assert result.entries_by_type == SMALL_COUNTS


# --- donors and receipts ------------------------------------------------------------------------------


def test_receipts_open_the_donor_store_and_names_stay_out_of_the_log(demo) -> None:
    _, ledger, report = demo
    path = Path(report.receipts_file)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    lines = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    assert len(lines) == report.receipts >= 40
    store = DonorStore(ledger.engine, load_privacy_key(ledger.settings))
    leaves = b"".join(ledger.log.iter_leaves())
    for code, project, amount, received_on, masked in lines:
        receipt, donation = store.find_by_receipt(code)
        assert donation["project"] == project and f"{donation['amount_minor'] / 100:.2f} CNY" == amount
        assert donation["received_on"] == received_on
        record = store.get(receipt.seq)
        assert record.personal["name"][0] == masked[0] and "*" in masked
        assert parse_leaf_json(ledger.log.leaf(receipt.seq))["body"]["data"]["receipt"] == receipt_commitment(
            receipt.salt
        )
        assert record.personal["name"].encode() not in leaves or len(record.personal["name"]) < 2
        assert record.personal["id_number"].encode() not in leaves


def test_demo_keys_are_written_for_the_cli(demo) -> None:
    factory, _, report = demo
    folder = Path(report.keys_dir)
    assert folder == factory.home.resolve() / "demo-keys" or folder == factory.home / "demo-keys"
    for name, actor in ACTORS.items():
        path = folder / f"{name}.key"
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert read_key_file(path).id == actor.key.id == demo_key(name).id


# --- idempotency ----------------------------------------------------------------------------------


def test_loading_twice_adds_nothing(demo) -> None:
    _, ledger, _ = demo
    again = load_demo(ledger, "small")
    assert again.added == 0 and again.existing == SMALL_SIZE and ledger.log.head().size == SMALL_SIZE
    assert again.evidence_files == 0  # the files are held already


def test_an_interrupted_load_resumes(factory: LedgerFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}
    real = LocalSink.append

    def flaky(self, entries, **kw):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise LedgerError("log_not_initialised", home="(simulated crash)")
        return real(self, entries, **kw)

    monkeypatch.setattr(LocalSink, "append", flaky)
    with pytest.raises(LedgerError):
        load_demo(factory.ledger, "small")
    partial = factory.ledger.log.head().size
    assert 0 < partial < SMALL_SIZE
    monkeypatch.setattr(LocalSink, "append", real)
    report = load_demo(factory.ledger, "small")
    assert report.existing == partial and report.added == SMALL_SIZE - partial
    assert factory.ledger.log.head().size == SMALL_SIZE
    assert check(factory.ledger.log).clean


def test_a_log_that_is_not_the_demo_is_refused(factory: LedgerFactory) -> None:
    factory.with_genesis()
    with pytest.raises(LedgerError) as info:
        load_demo(factory.ledger, "small")
    assert info.value.code == "demo_log_not_empty" and factory.ledger.log.head().size == 1


def test_serve_demo_loads_an_empty_log_once(factory: LedgerFactory) -> None:
    from ledger.cli.commands import _load_demo  # what `serve --demo` runs before the workers start

    _load_demo(factory.ledger)
    assert factory.ledger.log.head().size == SMALL_SIZE
    _load_demo(factory.ledger)  # a log that holds entries is left alone
    assert factory.ledger.log.head().size == SMALL_SIZE


def test_unknown_scale(factory: LedgerFactory) -> None:
    with pytest.raises(LedgerError) as info:
        load_demo(factory.ledger, "medium")
    assert info.value.code == "demo_scale_invalid"


def test_large_adds_bulk_projects_on_top_of_small(factory: LedgerFactory) -> None:
    ledger = factory.ledger
    load_demo(ledger, "small")
    report = load_demo(ledger, "large", bulk_entries=6000)
    assert report.existing == SMALL_SIZE and report.added == 6000
    bulk = [f for f in rows(ledger, FundRow) if f.project.startswith("BULK-")]
    assert len(bulk) == 3 and all(f.raised_minor > f.disbursed_minor > 0 for f in bulk)
    assert check(ledger.log).clean
    assert load_demo(ledger, "large", bulk_entries=6000).added == 0


# --- the command ----------------------------------------------------------------------------------


def test_cli_demo_data(tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    home = str(tmp_path / "home")
    assert cli.main(["--home", home, "demo-data", "--scale", "small"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["added"] == SMALL_SIZE and out["added_by_type"] == SMALL_COUNTS
    assert "demo-keys" in captured.err and "demo-receipts.txt" in captured.err
    assert cli.main(["--home", home, "demo-data"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["added"] == 0 and "nothing added" in captured.err
    # the demo keys work with the other commands
    erase_code = next(
        line.split("\t")[0]
        for line in (tmp_path / "home" / "demo-receipts.txt").read_text().splitlines()
        if not line.startswith("#")
    )
    assert cli.main(["--home", home, "donor", "erase", "--receipt", erase_code]) == 0
    erased = json.loads(capsys.readouterr().out)
    assert erased["erased_at"]
    receipts = (tmp_path / "home" / "demo-receipts.txt").read_text()
    assert erase_code not in receipts and receipts.count("\n") > 3  # its line (the donor's name) is gone
    # after `donor erase` the donor's code still proves the donation, against the log alone
    engine = create_engine(sqlite_url(tmp_path / "home"))
    try:
        assert find_donation_by_receipt(engine, erase_code)[1]["seq"] == erased["seq"]
    finally:
        engine.dispose()
    assert cli.main(["--home", home, "donor", "erase", "--receipt", erase_code]) == 1
    assert "donor_data_erased" in capsys.readouterr().err


def test_small_demo_on_postgres(pg_schema_url: str, tmp_path: Path) -> None:
    factory = LedgerFactory(tmp_path / "home", database_url=pg_schema_url)
    report = load_demo(factory.ledger, "small")
    assert report.added == SMALL_SIZE and dict(report.by_type) == SMALL_COUNTS
    assert check(factory.ledger.log).clean
    assert load_demo(factory.ledger, "small").added == 0
    funds = {f.project: f for f in rows(factory.ledger, FundRow)}
    assert (
        funds["TY-SENIOR-VISITS"].balance_minor
        == rows(factory.ledger, ProjectRow, project="TY-SENIOR-VISITS")[0].surplus_minor
    )


def test_payments_and_reports_name_files_the_evidence_store_holds(demo) -> None:
    """Every payment names its invoice (a public PDF) and bank slip (restricted text), every
    quarterly report a photo (a PNG without metadata): files in the evidence store whose bytes
    hash to the names; loading again adds none."""
    import io

    from PIL import Image

    from ledger.store.evidence import open_evidence

    _factory, ledger, report = demo
    store = open_evidence(ledger)
    entries = bodies(ledger)
    paid = [b["data"] for _, _, b in entries if b["type"] == "funds.disbursed"]
    held = store.info_many(h for p in paid for h in p["evidence"])
    for p in paid:
        invoice, slip = (held[h] for h in p["evidence"])
        assert (invoice.media_type, invoice.visibility) == ("application/pdf", "public")
        assert (slip.media_type, slip.visibility) == ("text/plain; charset=utf-8", "restricted")
    sample = paid[7]
    info, pdf = store.read(sample["evidence"][0])
    assert hashlib.sha256(pdf).hexdigest() == info.sha256 and f"CNY {sample['amount']}".encode() in pdf
    _info, slip = store.read(sample["evidence"][1])
    assert sample["payee"] in slip.decode("utf-8")
    reports = [
        b["data"] for _, _, b in entries if b["type"] == "progress.reported" and not b["idem"].endswith("final-report")
    ]
    photos = store.info_many(h for r in reports for h in r["evidence"])
    assert len(photos) == len({h for r in reports for h in r["evidence"]}) > 30
    _info, png = store.read(reports[0]["evidence"][0])
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and not image.info
    assert report.evidence_files == len(held) + len(photos)
