"""Report bundles: file names, SHA-256 of each file, sha256sum-compatible checksums."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ledger.errors import LedgerError
from reports.bundle import CHECKSUMS, files_json, render_bundle, write_bundle
from reports.formats import Column, Money, Table
from tests.reports.filecheck import assert_tables_agree

DONATIONS = Table(
    "donations",
    "捐赠明细",
    "Donations",
    (
        Column("received_on", "收款日期", "Received on", "date"),
        Column("channel", "渠道", "Channel"),
        Column("amount", "金额", "Amount", "money"),
        Column("restricted", "定向", "Restricted", "bool"),
    ),
    [
        (date(2026, 1, d), ch, Money(d * 10_001), d % 2 == 0)
        for d in range(1, 29)
        for ch in ("bank_transfer", "-online")
    ],
)
SUMMARY = Table(
    "summary",
    "汇总",
    "Summary",
    (
        Column("channel", "渠道", "Channel"),
        Column("total", "合计", "Total", "money"),
        Column("share", "占比", "Share", "bp"),
    ),
    [("bank_transfer", Money(4_060_406), 5000), ("-online", Money(4_060_406), 5000)],
)


def bundle() -> dict[str, bytes]:
    return render_bundle(
        "annual-2026-test",
        {"kind": "annual", "raised": Money(8_120_812), "currency": "CNY"},
        tables=[SUMMARY, DONATIONS],
        pdf=b"%PDF-1.7 stand-in",
        title="年度报告",
        as_of=datetime(2026, 12, 31, 16, 0, tzinfo=UTC),
    )


def test_render_bundle_names_and_figures_agree() -> None:
    files = bundle()
    assert sorted(files) == [
        "annual-2026-test-donations.csv",
        "annual-2026-test-summary.csv",
        "annual-2026-test.json",
        "annual-2026-test.pdf",
        "annual-2026-test.xlsx",
    ]
    doc = json.loads(files["annual-2026-test.json"])
    assert doc["raised"] == "81208.12" and set(doc["tables"]) == {"summary", "donations"}
    rows = assert_tables_agree(files, "annual-2026-test", "donations")
    assert rows[1] == ["2026-01-01", "-online", "100.01", False]
    assert assert_tables_agree(files, "annual-2026-test", "summary")[0] == ["bank_transfer", "40604.06", 5000]
    # re-rendering gives the same bytes for every data file
    again = bundle()
    assert all(again[n] == files[n] for n in files)


def test_write_bundle_returns_the_sha256_of_each_file(tmp_path: Path) -> None:
    files = bundle()
    out = write_bundle(tmp_path / "r", files)
    assert [f.name for f in out] == sorted(files)
    for f in out:
        data = (tmp_path / "r" / f.name).read_bytes()
        assert f.sha256 == hashlib.sha256(data).hexdigest() and f.size == len(data) == len(files[f.name])
    assert files_json(out)[0] == {"name": out[0].name, "sha256": out[0].sha256, "size": out[0].size}
    sums = (tmp_path / "r" / CHECKSUMS).read_text()
    assert sums.splitlines() == [f"{f.sha256}  {f.name}" for f in out]
    assert not [p for p in (tmp_path / "r").iterdir() if p.name.endswith(".tmp")]
    if shutil.which("sha256sum"):
        subprocess.run(["sha256sum", "--check", "--quiet", CHECKSUMS], cwd=tmp_path / "r", check=True)
    # writing again replaces the files with the same content
    assert write_bundle(tmp_path / "r", files) == out


@pytest.mark.parametrize("name", ["../x.json", "/etc/x", "a/b.csv", ".hidden", "", CHECKSUMS, "x..json"])
def test_refuses_names_that_are_not_plain_files(tmp_path: Path, name: str) -> None:
    with pytest.raises(LedgerError) as err:
        write_bundle(tmp_path, {name: b"x"})
    assert err.value.code == "bundle_invalid"
    assert list(tmp_path.iterdir()) == []


def test_refuses_empty_bundles_and_a_tables_key() -> None:
    with pytest.raises(LedgerError):
        write_bundle(Path("/nonexistent"), {})
    with pytest.raises(LedgerError) as err:
        render_bundle("x", {"tables": []})
    assert err.value.code == "bundle_invalid"
    with pytest.raises(LedgerError):
        render_bundle("x", {}, tables=[SUMMARY, SUMMARY])
