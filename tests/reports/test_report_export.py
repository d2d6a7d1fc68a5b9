"""How a regulator checks a report: the figures recomputed from an export alone (verified, then
replayed through the domain rules) are the database's, byte for byte; and the CLI compares them
with the report.issued entries the export holds."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import ledger.cli as cli
from ledger.store.export import export_log
from reports.bundle import files_json
from reports.common import ReportRequest, render_report
from reports.issue import build_from_export, build_from_ledger, issue
from tests.domain import helpers as H
from tests.reports.world import PUB, SMALL, ReportWorld

CASES: list[tuple[str, dict[str, Any]]] = [
    ("annual", {"org": H.FOUNDATION, "year": 2026}),
    ("annual", {"org": H.SERVICE_ORG, "year": 2026}),
    ("project", {"project": PUB}),
    ("project", {"project": SMALL}),
    ("campaign", {"project": PUB}),
    ("overview", {"year": 2026}),
]


def data_files(files: dict[str, bytes]) -> dict[str, bytes]:
    return {name: data for name, data in files.items() if not name.endswith(".pdf")}


@pytest.mark.parametrize(("kind", "params"), CASES, ids=[f"{k}-{next(iter(p.values()))}" for k, p in CASES])
def test_json_from_the_export_equals_the_json_from_the_database(
    kind: str, params: dict, built: Callable, shared_export: Path
) -> None:
    doc, files = built(kind, **params)
    again, info, _ = build_from_export(shared_export, ReportRequest(kind, **params))
    assert info is not None and info.size == doc.at.tree_size
    recomputed = render_report(again, pdf=False)
    json_name = f"{doc.stem}.json"
    assert recomputed[json_name] == files[json_name]  # byte for byte
    assert data_files(recomputed) == data_files(files)  # and every CSV and the XLSX


def test_receipt_from_the_export(built: Callable, shared_world: ReportWorld, shared_export: Path) -> None:
    seq = shared_world.ledger.log.seq_of(shared_world.ids["d_bank"])
    _doc, files = built("receipt", donation=str(seq))
    again, _, _ = build_from_export(shared_export, ReportRequest("receipt", donation=str(seq)))
    assert data_files(render_report(again, pdf=False)) == data_files(files)


def test_verification_from_the_export_differs_only_by_the_witnesses(built: Callable, shared_export: Path) -> None:
    doc, files = built("verification")
    again, _, _ = build_from_export(shared_export, ReportRequest("verification"))
    ours = json.loads(files[f"{doc.stem}.json"])
    theirs = json.loads(render_report(again, pdf=False)[f"{again.stem}.json"])
    assert ours["figures"].pop("witnesses")["available"] is True
    assert theirs["figures"].pop("witnesses") == {
        "available": False,
        "reason_en": "an export holds no witness cosignatures",
        "reason_zh": "导出数据不含见证方联署签名",
    }
    ours["tables"].pop("witnesses"), theirs["tables"].pop("witnesses")
    assert ours == theirs


def test_live_projections_equal_a_replay_of_the_log(built: Callable, shared_world: ReportWorld) -> None:
    doc, files = built("annual", org=H.FOUNDATION, year=2026)
    replayed = build_from_ledger(
        shared_world.ledger, ReportRequest("annual", org=H.FOUNDATION, year=2026), tree_size=doc.at.tree_size
    )
    assert data_files(render_report(replayed, pdf=False)) == data_files(files)


def test_an_earlier_tree_size_from_the_log_and_from_the_export(shared_world: ReportWorld, shared_export: Path) -> None:
    size = shared_world.ledger.log.seq_of(shared_world.ids["fin2026"])  # before the 2026 figures were reported
    request = ReportRequest("annual", org=H.FOUNDATION, year=2026)
    from_log = build_from_ledger(shared_world.ledger, request, tree_size=size)
    from_export, _, _ = build_from_export(shared_export, request, tree_size=size)
    assert from_log.at.tree_size == size and from_log.at.root == shared_world.ledger.log.root_at(size).hex()
    assert from_log.figures["ratios"]["status"] == "not_computed" and from_log.figures["ratios"]["missing_years"] == [
        2026
    ]
    assert render_report(from_log, pdf=False) == render_report(from_export, pdf=False)


# --- the CLI check ----------------------------------------------------------------------------------


@pytest.fixture
def cli_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARITY_LEDGER_ORIGIN", H.ORIGIN)


def test_cli_from_export_confirms_the_issued_report(
    world: ReportWorld, tmp_path: Path, cli_modules: None, capsys: pytest.CaptureFixture
) -> None:
    world.install_system_key()
    issued = issue(world.ledger, ReportRequest("annual", org=H.FOUNDATION, year=2026))
    assert issued.entry is not None
    export_log(world.ledger.log, tmp_path / "export")
    capsys.readouterr()
    out = tmp_path / "check"
    status = cli.main(
        [
            "report",
            "annual",
            "--org",
            H.FOUNDATION,
            "--year",
            "2026",
            "--from-export",
            str(tmp_path / "export"),
            "--out",
            str(out),
        ]
    )
    printed = capsys.readouterr()
    assert status == 0, printed.err
    result = json.loads(printed.out)
    assert (
        result["tree_size"] == issued.tree_size and result["export_size"] == issued.tree_size + 1
    )  # + the report.issued itself
    (check,) = result["issued"]
    assert check["seq"] == issued.entry["seq"] and check["root_match"] and check["all_data_files_match"]
    assert all(f["match"] for f in check["files"] if f["deterministic"])
    assert "valid" in printed.err
    assert (out / f"{issued.stem}.json").read_bytes() == (Path(issued.folders[0]) / f"{issued.stem}.json").read_bytes()


def test_cli_from_export_catches_a_report_that_does_not_match_the_log(
    world: ReportWorld, tmp_path: Path, cli_modules: None, capsys: pytest.CaptureFixture
) -> None:
    """A report.issued whose JSON is not what the log gives (an operator who edited a figure)."""
    request = ReportRequest("annual", org=H.FOUNDATION, year=2026)
    doc = build_from_ledger(world.ledger, request)
    files = render_report(doc, pdf=False)
    name = f"{doc.stem}.json"
    files[name] = files[name].replace(b'"64800.50"', b'"99800.50"')
    from reports.bundle import digest

    data = {
        "kind": "annual",
        "subject": H.FOUNDATION,
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "rule_set": "cn-charity/1",
        "tree_size": doc.at.tree_size,
        "root": doc.at.root,
        "files": files_json(sorted((digest(n, b) for n, b in files.items()), key=lambda f: f.name)),
    }
    world.append(world.system, "report.issued", data)
    export_log(world.ledger.log, tmp_path / "export")
    status = cli.main(
        [
            "report",
            "annual",
            "--org",
            H.FOUNDATION,
            "--year",
            "2026",
            "--from-export",
            str(tmp_path / "export"),
            "--out",
            str(tmp_path / "check"),
        ]
    )
    printed = capsys.readouterr()
    assert status == 1 and "INVALID" in printed.err and name in printed.err
    (check,) = json.loads(printed.out)["issued"]
    assert not check["all_data_files_match"] and [f["name"] for f in check["files"] if not f["match"]] == [name]


def test_cli_from_a_tampered_export_fails_verification(
    world: ReportWorld, tmp_path: Path, cli_modules: None, capsys: pytest.CaptureFixture
) -> None:
    export_log(world.ledger.log, tmp_path / "export")
    entries = tmp_path / "export" / "entries.jsonl"
    entries.write_bytes(entries.read_bytes().replace(b"10000.00", b"10900.00", 1))
    status = cli.main(
        ["report", "project", "--project", PUB, "--from-export", str(tmp_path / "export"), "--out", str(tmp_path / "x")]
    )
    assert status == 1 and "INVALID" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
