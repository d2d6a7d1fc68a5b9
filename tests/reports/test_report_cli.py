"""``charity-ledger report`` and ``charity-ledger worker`` (registered from reports.cli)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import ledger.cli as cli
from ledger.domain.privacy import format_receipt_code
from tests.domain import helpers as H
from tests.reports import pdfcheck
from tests.reports.world import PUB, SALT, ReportWorld


@pytest.fixture(autouse=True)
def _registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARITY_LEDGER_ORIGIN", H.ORIGIN)
    monkeypatch.delenv("CHARITY_LEDGER_BROKER_URL", raising=False)


def run(world: ReportWorld, *argv: str) -> int:
    return cli.main(["--home", str(world.ledger.settings.home), *argv])


def test_report_writes_the_files_and_records_them(
    world: ReportWorld, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    world.install_system_key()
    out = tmp_path / "out"
    assert run(world, "report", "project", "--project", PUB, "--out", str(out)) == 0
    printed = capsys.readouterr()
    result = json.loads(printed.out)
    assert result["recorded"] and result["entry"]["existing"] is False and printed.err == ""
    names = sorted(p.name for p in out.iterdir())
    stem = result["stem"]
    assert names == sorted([f["name"] for f in result["files"]] + ["SHA256SUMS"])
    assert {f"{stem}.pdf", f"{stem}.json", f"{stem}.xlsx", f"{stem}-donations.csv", f"{stem}-progress.csv"} <= set(
        names
    )
    pdfcheck.assert_cjk_font_embedded((out / f"{stem}.pdf").read_bytes())
    # asked again: the same report, recorded once
    assert run(world, "report", "project", "--project", PUB, "--out", str(tmp_path / "again")) == 0
    printed = capsys.readouterr()
    assert json.loads(printed.out)["entry"] == {**result["entry"], "existing": True}
    assert "already recorded" in printed.err


def test_without_the_system_key_the_cli_says_it_did_not_record(
    world: ReportWorld, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert run(world, "report", "annual", "--org", H.FOUNDATION, "--year", "2026", "--out", str(tmp_path / "out")) == 0
    printed = capsys.readouterr()
    assert json.loads(printed.out)["recorded"] is False
    assert "not recorded: no system key at" in printed.err and "未登记" in printed.err


def test_receipt_for_the_holder_from_the_cli(world: ReportWorld, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    world.store_donor()
    code = format_receipt_code(world.ledger.log.seq_of(world.ids["d_bank"]), SALT)
    assert (
        run(
            world,
            "report",
            "receipt",
            "--donation",
            code,
            "--out",
            str(tmp_path / "r"),
            "--site-url",
            "https://charity.example",
        )
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    document = json.loads((tmp_path / "r" / f"{result['stem']}.json").read_text(encoding="utf-8"))
    assert document["figures"]["holder"]["name"] == "李四"
    assert document["figures"]["verify_url"] == f"https://charity.example/verify#code={code}"


def test_report_errors_are_bilingual_with_a_status(
    world: ReportWorld, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert run(world, "report", "annual", "--org", H.FOUNDATION, "--out", str(tmp_path / "x")) == 1
    err = capsys.readouterr().err
    assert "report_param_missing" in err and "--year" in err and "需要提供" in err
    assert run(world, "report", "project", "--project", "NO-SUCH", "--out", str(tmp_path / "x")) == 1
    assert "not_found" in capsys.readouterr().err
    assert (
        run(
            world,
            "report",
            "annual",
            "--org",
            H.FOUNDATION,
            "--year",
            "2026",
            "--tree-size",
            "100000",
            "--out",
            str(tmp_path / "x"),
        )
        == 1
    )
    assert "report_size_out_of_range" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_report_at_an_earlier_tree_size(world: ReportWorld, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    size = world.ledger.log.seq_of(world.ids["fin2026"])
    assert (
        run(
            world,
            "report",
            "annual",
            "--org",
            H.FOUNDATION,
            "--year",
            "2026",
            "--tree-size",
            str(size),
            "--no-record",
            "--out",
            str(tmp_path / "then"),
        )
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert result["tree_size"] == size and result["root"] == world.ledger.log.root_at(size).hex()


def test_worker_needs_a_broker(world: ReportWorld, capsys: pytest.CaptureFixture) -> None:
    assert run(world, "worker", "--no-beat", "--concurrency", "1") == 1
    assert "worker_needs_broker" in capsys.readouterr().err
