"""Recording reports in the log: report.issued signed by the system key, once per request."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ledger.domain.rows import ReportRow
from ledger.errors import LedgerError
from ledger.protocol.keys import KeyPair, write_key_file
from ledger.store.projection_tables import table_for
from reports import issue as issuing
from reports.bundle import CHECKSUMS, digest
from reports.common import ReportRequest
from reports.issue import issue, published_folder
from tests.domain import helpers as H
from tests.reports.world import PUB, ReportWorld

ANNUAL = ReportRequest("annual", org=H.FOUNDATION, year=2026)


def issued_rows(world: ReportWorld) -> list[ReportRow]:
    table = table_for(ReportRow)
    with world.ledger.engine.connect() as conn:
        return [ReportRow(**m) for m in conn.execute(select(table).order_by(table.c.seq)).mappings()]


def test_report_issued_records_the_files_and_the_log_state(world: ReportWorld, tmp_path: Path) -> None:
    world.install_system_key()
    head = world.ledger.log.head()
    result = issue(world.ledger, ANNUAL, out=tmp_path / "out")
    assert result.entry == {"seq": head.size, "leaf_hash": result.entry["leaf_hash"], "existing": False}
    assert (result.tree_size, result.root) == (head.size, head.root.hex()) and result.files_match_record
    (row,) = issued_rows(world)
    assert (row.id, row.kind, row.subject, row.period_start, row.period_end, row.rule_set, row.tree_size, row.root) == (
        result.entry["leaf_hash"],
        "annual",
        H.FOUNDATION,
        "2026-01-01",
        "2026-12-31",
        "cn-charity/1",
        head.size,
        head.root.hex(),
    )
    assert row.recorded_by == world.system.id
    recorded = json.loads(row.files_json)
    assert {f["name"] for f in recorded} >= {
        f"{result.stem}.pdf",
        f"{result.stem}.json",
        f"{result.stem}.xlsx",
        f"{result.stem}-donations.csv",
    }
    for folder in (published_folder(world.ledger.settings, "annual", result.stem), tmp_path / "out"):
        for f in recorded:
            data = (folder / f["name"]).read_bytes()
            assert digest(f["name"], data).sha256 == f["sha256"] and len(data) == f["size"]
        sums = (folder / CHECKSUMS).read_text().splitlines()
        assert sorted(sums) == sorted(f"{f['sha256']}  {f['name']}" for f in recorded)


def test_one_report_issued_for_a_repeated_request(world: ReportWorld, tmp_path: Path) -> None:
    world.install_system_key()
    first = issue(world.ledger, ANNUAL)
    size = world.ledger.log.head().size
    again = issue(world.ledger, ANNUAL, out=tmp_path / "again")  # the log grew by the first report only
    assert again.entry == {**first.entry, "existing": True} and again.files == first.files and again.stem == first.stem
    other = issue(world.ledger, ReportRequest("project", project=PUB))  # another report in between changes nothing
    assert other.entry["seq"] == size
    third = issue(world.ledger, ANNUAL)
    assert third.entry == {**first.entry, "existing": True} and third.tree_size == first.tree_size
    assert [r.kind for r in issued_rows(world)] == ["annual", "project"]
    assert (tmp_path / "again" / f"{first.stem}.json").read_bytes() == (
        Path(first.folders[0]) / f"{first.stem}.json"
    ).read_bytes()
    # a new fact: a new report, at the new tree size
    world.append(world.fundraiser, "donation.received", H.donation_data(PUB, "10.00", received_on="2026-12-30"))
    fourth = issue(world.ledger, ANNUAL)
    assert fourth.entry["existing"] is False and fourth.tree_size > first.tree_size
    assert [r.tree_size for r in issued_rows(world) if r.kind == "annual"] == [first.tree_size, fourth.tree_size]


def test_racing_requests_record_one_entry(world: ReportWorld) -> None:
    world.install_system_key()
    results: list = []
    errors: list = []

    def run() -> None:
        try:
            results.append(issue(world.ledger, ANNUAL))
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len({r.entry["seq"] for r in results}) == 1 and sum(not r.entry["existing"] for r in results) == 1
    assert len(issued_rows(world)) == 1


def test_a_conflicting_idem_answers_with_the_recorded_entry(
    world: ReportWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two requests built at the same log state, recorded a moment apart (another signing time):
    the log refuses the second body under the same idem; the answer is the first entry."""
    world.install_system_key()
    doc = issuing.build_from_ledger(world.ledger, ANNUAL)
    monkeypatch.setattr(issuing, "build_from_ledger", lambda *a, **k: doc)
    monkeypatch.setattr(issuing, "equivalent_issued", lambda *a, **k: None)
    first = issue(world.ledger, ANNUAL)
    world.advance(seconds=30)  # another signing time: another body under the same idem
    second = issue(world.ledger, ANNUAL)
    assert second.entry == {**first.entry, "existing": True} and second.files_match_record is True
    assert len(issued_rows(world)) == 1


def test_without_a_system_key_the_report_is_written_not_recorded(world: ReportWorld, tmp_path: Path) -> None:
    size = world.ledger.log.head().size
    result = issue(world.ledger, ANNUAL, out=tmp_path / "out")
    assert (
        result.entry is None
        and "keys/system.key" in result.not_recorded_en
        and "未在账本中登记" in result.not_recorded_zh
    )
    assert (tmp_path / "out" / f"{result.stem}.pdf").exists() and world.ledger.log.head().size == size


def test_a_key_the_registrar_did_not_grant_records_nothing(world: ReportWorld) -> None:
    path = world.ledger.settings.home / "keys" / "system.key"
    write_key_file(KeyPair.from_seed(b"not granted"), path, None)
    os.chmod(path, 0o600)
    result = issue(world.ledger, ANNUAL)
    assert result.entry is None and "not granted" in result.not_recorded_en and issued_rows(world) == []


def test_a_system_key_readable_by_others_is_refused(world: ReportWorld) -> None:
    os.chmod(world.install_system_key(), 0o644)
    with pytest.raises(LedgerError) as err:
        issue(world.ledger, ANNUAL)
    assert err.value.code == "key_file_invalid"


def test_personal_receipts_are_neither_recorded_nor_published(world: ReportWorld, tmp_path: Path) -> None:
    world.install_system_key()
    world.store_donor()
    seq = world.ledger.log.seq_of(world.ids["d_bank"])
    result = issue(world.ledger, ReportRequest("receipt", donation=str(seq), personal=True), out=tmp_path / "mine")
    assert result.entry is None and result.restricted and result.folders == [str(tmp_path / "mine")]
    assert not (world.ledger.settings.reports_dir / "receipt").exists() and issued_rows(world) == []
    assert "李四" in (tmp_path / "mine" / f"{result.stem}.json").read_text(encoding="utf-8")
    public = issue(world.ledger, ReportRequest("receipt", donation=str(seq)))
    assert public.entry is not None and public.subject == world.ids["d_bank"]
    assert "李四" not in (Path(public.folders[0]) / f"{public.stem}.json").read_text(encoding="utf-8")


def test_verification_certificate_is_recorded(world: ReportWorld) -> None:
    world.install_system_key()
    result = issue(world.ledger, ReportRequest("verification"))
    assert result.entry is not None and result.subject == "registry"
    (row,) = issued_rows(world)
    assert row.kind == "verification" and row.tree_size == result.tree_size


def test_report_entries_only_counted_in_between(world: ReportWorld) -> None:
    """equivalent_issued looks at what was appended since: report.issued entries only."""
    world.install_system_key()
    issue(world.ledger, ANNUAL)
    leaf = issuing.LogLeaf.__table__
    with world.ledger.engine.connect() as conn:
        types = conn.execute(select(leaf.c.type, func.count()).group_by(leaf.c.type)).all()
    assert dict(types)["report.issued"] == 1
