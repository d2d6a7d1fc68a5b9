"""Print quality and files of a recorded report (issue 13, items 5 and 6): what a regulator's
PDF reader and spreadsheet show.

One annual report is recorded in a registry of its own (module scope: rendering is slow) and
read back with the tools an officer would use: pyHanko's validator for the signature,
poppler's ``pdftotext``/``pdfdetach``/``pdffonts`` for the pages, attachments and fonts,
openpyxl for the workbook.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from decimal import Decimal
from html import unescape as html_unescape
from itertools import pairwise
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

import ledger.cli as cli
from ledger.errors import LedgerError
from ledger.protocol.keys import KeyPair
from ledger.store.log_store import LogStore
from reports import issue as issuing
from reports.common import ReportRequest
from reports.issue import Issued, issue
from reports.labels import LABELS
from reports.render import IssuedRef, render_html
from reports.signing import certificate_path
from tests.domain import helpers as H
from tests.reports import filecheck
from tests.reports.pdfcheck import pdf_text
from tests.reports.world import ReportWorld

ANNUAL = ReportRequest("annual", org=H.FOUNDATION, year=2026, site_url="https://registry.example.org")
POPPLER = all(shutil.which(t) for t in ("pdftotext", "pdfdetach", "pdffonts"))
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdftotext, pdfdetach, pdffonts) not installed")


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[ReportWorld, Issued, dict[str, bytes]]:
    home = tmp_path_factory.mktemp("print") / "home"
    world = ReportWorld(home)
    world.install_system_key()
    out = home.parent / "out"
    result = issue(world.ledger, ANNUAL, out=out)
    files = {f.name: (out / f.name).read_bytes() for f in result.files}
    return world, result, files


def org_name(code: str) -> str:
    return f"组织{code[-6:]}"  # tests/domain/helpers.org_data


def _pdf(recorded: Any) -> tuple[Path, bytes]:
    _, result, files = recorded
    name = f"{result.stem}.pdf"
    path = Path(result.folders[-1]) / name
    return path, files[name]


def _poppler(tool: str, *args: str) -> str:
    return subprocess.run([tool, *args], check=True, capture_output=True, text=True, timeout=120).stdout


# --- the signature -----------------------------------------------------------------------------


def test_the_pdf_is_signed_by_the_report_key_over_the_whole_document(recorded: Any) -> None:
    world, result, _ = recorded
    path, data = _pdf(recorded)
    reader = PdfFileReader(io.BytesIO(data))
    (signature,) = reader.embedded_signatures
    cert = signature.signer_cert
    # the certificate is the one kept beside the report key, and it certifies that key
    kept = certificate_path(issuing.system_key_path(world.ledger.settings))
    assert kept.exists() and oct(kept.stat().st_mode & 0o777) == "0o600"
    assert cert.public_key.dump() == _spki(world.system.private)
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[cert]))
    assert status.intact and status.valid and status.trusted
    assert status.coverage.name == "ENTIRE_FILE" and status.modification_level.name == "NONE"
    # the recorded SHA-256 is of the signed bytes
    recorded_files = {f.name: f.sha256 for f in result.files}
    assert recorded_files[path.name] == issuing.digest(path.name, data).sha256


def test_a_changed_byte_breaks_the_signature(recorded: Any) -> None:
    _, data = _pdf(recorded)
    reader = PdfFileReader(io.BytesIO(data))
    start = reader.embedded_signatures[0].byte_range[1] - 400  # inside the signed content
    tampered = bytearray(data)
    tampered[start] = ord("0") if tampered[start] != ord("0") else ord("1")
    sig = PdfFileReader(io.BytesIO(bytes(tampered))).embedded_signatures[0]
    assert not validate_pdf_signature(sig, ValidationContext(trust_roots=[sig.signer_cert])).intact


def _spki(private: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


# --- pages -------------------------------------------------------------------------------------


@needs_poppler
def test_footers_header_and_the_issued_entry(recorded: Any) -> None:
    _, result, _ = recorded
    path, _ = _pdf(recorded)
    pages = _poppler("pdftotext", str(path), "-").split("\f")[:-1]
    n = len(pages)
    assert n >= 2
    for i, page in enumerate(pages, 1):
        assert f"第 {i} 页 共 {n} 页" in page
    text = _poppler("pdftotext", "-layout", str(path), "-")
    for page in text.split("\f")[1:-1]:  # the running header, on every page after the cover
        assert f"{org_name(H.FOUNDATION)} · 2026-01-01 – 2026-12-31" in page.strip().splitlines()[0]
    seq = result.entry["seq"]
    assert re.search(rf"账本位置 Position\s+{seq}\b", text)
    assert f"https://registry.example.org/ledger/{seq}" in text
    assert result.root in text.replace("\n", "").replace(" ", "") or result.root[:32] in text
    assert "(UTC+8)" in text and "Z\n" not in text  # log times in China time


@needs_poppler
def test_no_english_codes_on_chinese_pages(recorded: Any) -> None:
    path, _ = _pdf(recorded)
    text = _poppler("pdftotext", str(path), "-")
    prose = ("report.issued", "financials.reported", "work_report.filed")  # named in notes beside Chinese text
    codes = {code for vocab in LABELS.values() for code in vocab if ("_" in code or "." in code) and code not in prose}
    leaked = sorted(c for c in codes if re.search(rf"(?<![\w.]){re.escape(c)}(?![\w.])", text))
    assert leaked == []
    # no table cell or figure of the pages holds a one-word code ("late", "approved", "active")
    world = recorded[0]
    doc = issuing.build_from_ledger(world.ledger, ANNUAL)
    html = render_html(
        "report_sections.html",
        header=doc.header(),
        sections=doc.sections,
        notes=doc.notes,
        contents_from=3,
        names=doc.org_names,
    )
    cells = {html_unescape(c).strip() for c in re.findall(r"<(?:td|dd)[^>]*>(?:<span[^>]*>)?([^<]*)<", html)}
    single = {code for vocab in LABELS.values() for code in vocab}
    assert sorted(single & cells) == []
    assert "按时" in cells  # a status, in Chinese
    assert "按时" in text and "逾期" in text  # the statuses, in Chinese


@needs_poppler
def test_codes_and_dates_are_never_split_across_lines(recorded: Any) -> None:
    path, _ = _pdf(recorded)
    text = _poppler("pdftotext", "-layout", str(path), "-")
    lines = text.splitlines()
    for code in (H.FOUNDATION, H.SERVICE_ORG):
        whole = sum(code in line for line in lines)
        assert whole >= 1, code
        # no line ends with a proper prefix of the code whose rest starts a later line
        for a, b in pairwise(lines):
            tail, head = a.rstrip().rsplit(" ", 1)[-1], b.strip().split(" ", 1)[0]
            if tail and head and tail != code and code.startswith(tail) and len(tail) >= 4:
                assert tail + head[: len(code) - len(tail)] != code, (a, b)
    for a, b in pairwise(lines):
        assert not re.search(r"\b20\d\d-\d?$", a.rstrip()), (a, b)  # a date cut after its year


@needs_poppler
def test_names_beside_credit_codes(recorded: Any) -> None:
    path, _ = _pdf(recorded)
    text = _poppler("pdftotext", "-layout", str(path), "-")
    names = {H.SERVICE_ORG: org_name(H.SERVICE_ORG)}
    for code, name in names.items():
        at = [i for i, line in enumerate(text.splitlines()) if code in line]
        assert at, code
        near = "\n".join(text.splitlines()[at[0] : at[0] + 3])
        assert name in near or name[:6] in near


@needs_poppler
def test_pdfa_with_the_data_files_attached_and_fonts_embedded(recorded: Any) -> None:
    _, result, files = recorded
    path, data = _pdf(recorded)
    listed = _poppler("pdfdetach", "-list", str(path))
    attached = set(re.findall(r"^\d+: (.+)$", listed, re.M))
    assert attached == {n for n in files if n.endswith((".csv", ".json"))}
    assert f"{result.stem}.json" in attached and f"{result.stem}-donations.csv" in attached
    xmp = PdfReader(io.BytesIO(data)).xmp_metadata
    assert xmp is not None
    meta = xmp.stream.get_data()
    assert b'pdfaid:part="3"' in meta and b'pdfaid:conformance="B"' in meta  # PDF/A-3b
    fonts = _poppler("pdffonts", str(path)).splitlines()[2:]
    assert fonts and all(" yes " in line for line in fonts)  # every font embedded


def test_the_attached_json_is_the_recorded_json(recorded: Any, tmp_path: Path) -> None:
    _, result, files = recorded
    path, _ = _pdf(recorded)
    if not POPPLER:
        pytest.skip("pdfdetach not installed")
    _poppler("pdfdetach", "-saveall", "-o", str(tmp_path), str(path))
    name = f"{result.stem}.json"
    assert (tmp_path / name).read_bytes() == files[name]


# --- files -------------------------------------------------------------------------------------


def test_xlsx_summary_sheet_totals_and_numbers(recorded: Any) -> None:
    _, result, files = recorded
    stem = result.stem
    wb = openpyxl.load_workbook(io.BytesIO(files[f"{stem}.xlsx"]))
    assert wb.sheetnames[0] == "report_summary"
    summary = {row[0]: row[1:] for row in wb["report_summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["账本树大小 Tree size"][1] == result.tree_size  # a number, not text
    assert summary["根哈希 Root"][0] == result.root
    # totals: exact sums of the JSON's decimal strings, as numbers formatted with 2 decimals
    columns, rows = filecheck.json_table(files[f"{stem}.json"], "donations")
    amount = [c["key"] for c in columns].index("amount")
    corrected = [c["key"] for c in columns].index("corrected")
    expected = sum((Decimal(r[amount]) for r in rows if not r[corrected]), Decimal(0))
    assert expected == Decimal("64800.50")  # 14,000.50 + 50,000.00 + 800.00; the reversed 999.99 is left out
    sheet = wb["donations"]
    (total,) = filecheck.xlsx_totals(files[f"{stem}.xlsx"], "donations")
    assert total[amount] == float(expected) and Decimal(str(total[amount])) == expected
    total_row = [r for r in sheet.iter_rows() if r[0].value and str(r[0].value).startswith("合计")]
    if total_row:
        assert total_row[0][amount].number_format == "#,##0.00"
    assert any(k.startswith("捐赠明细") or "donations" in k for k in summary)
    # years are numbers
    fin = [list(r) for r in wb["financials"].iter_rows(min_row=2, values_only=True)]
    assert fin and all(isinstance(r[0], int) for r in fin)
    filecheck.assert_tables_agree(files, stem, "donations")
    filecheck.assert_tables_agree(files, stem, "financials")


def test_csv_has_chinese_titles_then_stable_keys(recorded: Any) -> None:
    _, result, files = recorded
    text = files[f"{result.stem}-donations.csv"].decode("utf-8")
    titles, keys = text.lstrip("\ufeff").split("\r\n")[:2]
    assert re.search(r"[\u4e00-\u9fff]", titles) and "amount" not in titles
    columns, _ = filecheck.json_table(files[f"{result.stem}.json"], "donations")
    assert keys.split(",") == [c["key"] for c in columns]


# --- the position the PDF names ------------------------------------------------------------------


def test_a_moved_position_records_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world = ReportWorld(tmp_path / "home")
    world.install_system_key()
    before = world.ledger.log.head().size

    def elsewhere(ledger: Any, doc: Any, request: Any) -> IssuedRef:
        return IssuedRef(ledger.log.head().size + 1, doc.at.tree_size, doc.at.root, "https://x.example/ledger/0")

    monkeypatch.setattr(issuing, "_issued_ref", elsewhere)
    monkeypatch.setattr(issuing, "POSITION_ATTEMPTS", 1)
    request = ReportRequest("project", project="P-SMALL-2026")
    with pytest.raises(LedgerError) as caught:
        issue(world.ledger, request, out=tmp_path / "out")
    assert caught.value.code == "report_position_moved"
    assert "账本已到" in caught.value.message_zh and "Nothing was recorded" in caught.value.message_en
    assert world.ledger.log.head().size == before


def test_output_of_a_json_result_names_the_entry(recorded: Any) -> None:
    _, result, _ = recorded
    assert json.loads(json.dumps(result.to_json()))["entry"]["seq"] == result.entry["seq"]


# --- the command line ----------------------------------------------------------------------------


def _cli(world: ReportWorld, monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    monkeypatch.setenv("CHARITY_LEDGER_ORIGIN", H.ORIGIN)
    monkeypatch.delenv("CHARITY_LEDGER_BROKER_URL", raising=False)
    return cli.main(["--home", str(world.ledger.settings.home), *argv])


def _report(world: ReportWorld, monkeypatch: pytest.MonkeyPatch, out: Path | str, *argv: str) -> int:
    return _cli(world, monkeypatch, "report", *argv, "--no-record", "--out", str(out))


def _listing(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))}


def test_no_record_writes_nothing_into_the_data_folder(
    world: ReportWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    world.install_system_key()  # it could record: --no-record says not to
    home = world.ledger.settings.home
    world.ledger.engine.dispose()
    before = _listing(home)
    out = tmp_path / "out"
    assert _report(world, monkeypatch, str(out), "annual", "--org", H.FOUNDATION, "--year", "2026") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["recorded"] is False and result["folders"] == [str(out)]
    assert _listing(home) == before
    assert sorted(p.name for p in out.iterdir()) == sorted([f["name"] for f in result["files"]] + ["SHA256SUMS"])
    pdf = (out / f"{result['stem']}.pdf").read_bytes()
    assert PdfFileReader(io.BytesIO(pdf)).embedded_signatures == []  # not recorded: not signed


def test_verification_at_a_tree_size(
    world: ReportWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    log = world.ledger.log
    sizes = sorted(log.checkpoint_sizes(limit=1000))
    head = log.head().size
    earlier = next(n for n in sizes if 1 < n < head)
    assert _report(world, monkeypatch, str(tmp_path / "v"), "verification", "--tree-size", str(earlier)) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["tree_size"] == earlier and result["root"] == log.root_at(earlier).hex()
    document = json.loads((tmp_path / "v" / f"{result['stem']}.json").read_bytes())
    assert document["figures"]["checkpoint"]["size"] == earlier
    # a size without a checkpoint is refused, naming the nearest ones; nothing written
    missing = earlier + 1  # a log that signs a checkpoint every few entries has none at most sizes
    signed = LogStore.checkpoint_at

    def sparse(self: LogStore, size: int, shard: int | None = None) -> str:
        if size == missing:
            raise LedgerError("not_found", what="checkpoint", what_zh="检查点", ref=f"size {size}")
        return signed(self, size, shard)

    monkeypatch.setattr(LogStore, "checkpoint_at", sparse)
    assert _report(world, monkeypatch, str(tmp_path / "w"), "verification", "--tree-size", str(missing)) == 1
    err = capsys.readouterr().err
    assert "report_no_checkpoint" in err and "检查点" in err and str(earlier) in err
    assert not (tmp_path / "w").exists()


def test_a_moved_position_is_printed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another entry takes the position while the PDF renders: the report is rendered again
    with the next position and recorded there; the PDF names the position it got."""
    world = ReportWorld(tmp_path / "home")
    world.install_system_key()
    real = issuing._issued_ref
    calls: list[int] = []

    def busy(ledger: Any, doc: Any, request: Any) -> IssuedRef:
        ref = real(ledger, doc, request)
        calls.append(ref.position)
        if len(calls) == 1:  # an entry lands between this rendering and its append
            world.append(world.registrar, "key.granted", H.grant_data(KeyPair.generate(), "overseer", H.OVERSIGHT))
        return ref

    monkeypatch.setattr(issuing, "_issued_ref", busy)
    result = issue(world.ledger, ReportRequest("project", project="P-SMALL-2026"), out=tmp_path / "out")
    assert calls == [calls[0], calls[0] + 1] and result.entry["seq"] == calls[0] + 1
    text = re.sub(r"\s+", " ", pdf_text((tmp_path / "out" / f"{result.stem}.pdf").read_bytes()))
    assert f"账本位置 Position {calls[0] + 1}" in text and f"/ledger/{calls[0] + 1}" in text


def test_a_pdf_is_signed_from_inside_a_running_event_loop(tmp_path: Path) -> None:
    """An async caller (or a test driving a browser) signs too: pyHanko's own event loop cannot
    nest in a running one, so signing moves to a thread of its own there."""
    import asyncio
    from datetime import UTC, datetime

    from ledger.protocol.keys import KeyPair
    from ledger.store.evidence_content import simple_pdf
    from reports.signing import pdf_signer

    key = KeyPair.from_seed(b"report key in a loop")
    sign = pdf_signer(tmp_path / "system.key", key, name="test registry", now=datetime.now(UTC), reason="test")

    async def inside() -> bytes:
        return sign(simple_pdf(["signed inside a loop"]))

    signed = asyncio.run(inside())
    signature = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
    assert validate_pdf_signature(signature, ValidationContext(trust_roots=[signature.signer_cert])).intact
