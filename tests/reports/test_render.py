"""Rendering: the shared autoescaping environment, PDFs (A4, CJK, headers, contents), the URL
fetcher that loads nothing from disk or network, and QR codes."""

from __future__ import annotations

import re
import socket
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date
from importlib import resources

import jinja2
import pytest
import segno

from ledger.errors import LedgerError
from reports import render
from reports.formats import Column, Money, Table
from reports.render import (
    ReportHeader,
    Section,
    environment,
    html_to_pdf,
    make_environment,
    qr_svg,
    render_sections_pdf,
)
from tests.reports import pdfcheck

HEADER = ReportHeader(
    "深圳市测试慈善基金会 2025 年度报告",
    subtitle="年度工作报告和财务会计报告",
    subject="测试慈善基金会 53440300MJL00001A",
    period="2025-01-01 – 2025-12-31",
    tree_size=1234,
    root="ab" * 32,
    ruleset="cn-charity/1",
    as_of="2026-01-05T08:00:00.000Z",
)
LINES = Table(
    "disbursements",
    "支出明细",
    "Disbursements",
    (
        Column("paid_on", "日期", "Paid on", "date"),
        Column("payee", "收款人", "Payee"),
        Column("amount", "金额", "Amount", "money"),
        Column("share", "占比", "Share", "bp"),
    ),
    [(date(2025, 1 + i % 12, 1 + i % 28), f"受益人 <b>{i}</b>", Money(100_000 + i), 10 + i) for i in range(120)],
)


def sections(n: int = 3) -> list[Section]:
    base = [
        Section(
            "income",
            "收入 Income",
            paragraphs=("按来源统计的捐赠收入。",),
            figures=(("捐赠收入 Donations", Money(123_456_789)), ("笔数 Count", "1,234")),
        ),
        Section("spending", "支出 Spending", tables=(LINES,), row_limit=50),
        Section("ratios", "比例 Ratios", paragraphs=("慈善活动支出 72.35%，符合规定。",)),
    ]
    return base[:n]


@pytest.fixture(scope="module")
def report_pdf() -> bytes:
    return render_sections_pdf(HEADER, sections(), notes=["注：本报告依据 cn-charity/1 规则集。"])


# --- the environment ------------------------------------------------------------------------


def test_one_shared_autoescaping_environment() -> None:
    env = environment()
    assert env is environment()
    assert env.autoescape is True
    assert env.from_string("{{ x }}").render(x="<script>") == "&lt;script&gt;"
    assert "&lt;b&gt;" in env.get_template("report_macros.html").module.table(LINES, 1)
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ missing }}").render()


def test_make_environment_keeps_the_configuration_and_looks_in_extra_loaders_first() -> None:
    env = make_environment(jinja2.DictLoader({"report_base.html": "override {{ x }}", "mine.html": "{{ x|money }}"}))
    assert env.get_template("report_base.html").render(x="<i>") == "override &lt;i&gt;"
    assert env.get_template("mine.html").render(x=Money(123456789)) == "1,234,567.89"
    assert env.get_template("report_sections.html") is not None  # the packaged ones still load


def test_filters() -> None:
    env = environment()
    assert env.from_string("{{ m|money(true) }}").render(m=Money(5)) == "0.05 CNY"
    assert env.from_string("{{ 7000|percent }}").render() == "70.00%"
    assert env.from_string("{{ h|short_hash(8) }}").render(h="0123456789abcdef") == "01234567…"
    with pytest.raises(TypeError):
        env.from_string("{{ 100|money }}").render()  # fen must be wrapped in Money


# --- PDFs ------------------------------------------------------------------------------------


def test_pdf_text_fonts_and_page_size(report_pdf: bytes) -> None:
    text = pdfcheck.pdf_text(report_pdf)
    for expected in (
        "深圳市测试慈善基金会 2025 年度报告",
        "年度工作报告和财务会计报告",
        "cn-charity/1",
        "1,234,567.89 CNY",
        "慈善活动支出 72.35%，符合规定",
        "ab" * 32,
        "受益人 <b>3</b>",
        "注：本报告依据 cn-charity/1 规则集",
    ):
        assert expected in text, expected
    font = pdfcheck.assert_cjk_font_embedded(report_pdf)
    assert font.subset and font.unicode
    pdfcheck.assert_all_fonts_embedded(report_pdf)
    assert {f.name for f in pdfcheck.fonts_pypdf(report_pdf)} == {f.name for f in pdfcheck.fonts(report_pdf)}
    import io

    from pypdf import PdfReader

    box = PdfReader(io.BytesIO(report_pdf)).pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297)
    assert pdfcheck.metadata(report_pdf)["Title"] == HEADER.title


def test_page_numbers_running_header_and_contents(report_pdf: bytes) -> None:
    pages = pdfcheck.pdf_text(report_pdf).split("\f")
    n = len(pages)
    assert n >= 2
    for i, page in enumerate(pages, start=1):
        assert f"第 {i} 页 共 {n} 页" in re.sub(r"\s+", " ", page)
    # page 2 has no cover: the organisation and the period come from the running header
    assert f"{HEADER.subject} · {HEADER.period}" in pages[1]
    assert "树大小 1234 · 根哈希 abababababababab…" in pages[1]
    contents = re.findall(r"(\d)\. (\S+ \S+) ?\.+ ?(\d+)", pages[0])
    assert [(c[0], c[1]) for c in contents] == [("1", "收入 Income"), ("2", "支出 Spending"), ("3", "比例 Ratios")]
    ratios_page = int(contents[2][2])
    assert "3. 比例 Ratios" in pages[ratios_page - 1]


def test_long_tables_are_cut_in_the_pdf(report_pdf: bytes) -> None:
    text = pdfcheck.pdf_text(report_pdf)
    assert "受益人 <b>49</b>" in text and "受益人 <b>50</b>" not in text
    assert "仅列出前 50 行，共 120 行" in text


def test_short_reports_have_no_contents_list() -> None:
    pdf = render_sections_pdf(HEADER, sections(2))
    assert "目录 Contents" not in pdfcheck.pdf_text(pdf)


def test_every_font_family_chain_has_the_cjk_font() -> None:
    templates = resources.files("reports") / "templates"
    chains = []
    for entry in templates.iterdir():
        if entry.name.endswith((".css", ".html")):
            chains += re.findall(
                r"font-family\s*:\s*([^;}\"]+(?:\"[^\"]*\"[^;}\"]*)*)", entry.read_text(encoding="utf-8")
            )
    assert len(chains) >= 5
    for chain in chains:
        assert "Noto Sans CJK SC" in chain, chain


# --- the URL fetcher ---------------------------------------------------------------------------


@pytest.fixture
def listener() -> Iterator[tuple[str, list[bytes]]]:
    """A local TCP port that records any connection (there must be none)."""
    hits: list[bytes] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            hits.append(conn.recv(1024))
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.getsockname()[1]}", hits
    stop.set()
    thread.join(2)
    server.close()


def _html(body: str, head: str = "") -> str:
    return f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">{head}</head><body><p>测试</p>{body}</body></html>'


@pytest.mark.parametrize(
    "make",
    [
        lambda hp: _html('<img src="file:///etc/hostname">'),
        lambda hp: _html(f'<img src="http://{hp}/logo.png">'),
        lambda hp: _html("", f'<link rel="stylesheet" href="https://{hp}/x.css">'),
        lambda hp: _html("", f'<style>@import url("http://{hp}/y.css");</style>'),
        lambda hp: _html('<div style="background: url(file:///etc/passwd)">x</div>'),
        lambda hp: _html('<img src="logo.png">'),
        lambda hp: _html('<img src="reports-asset:../codes.py">'),
        lambda hp: _html('<img src="reports-asset:report_base.html">'),
    ],
)
def test_refuses_files_and_remote_urls(make, listener) -> None:  # type: ignore[no-untyped-def]
    hostport, hits = listener
    with pytest.raises(LedgerError) as err:
        html_to_pdf(make(hostport))
    assert err.value.code == "render_url_refused"
    assert hits == []


def test_loads_data_urls_and_packaged_assets() -> None:
    dot = "data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg' width='4' height='4'><rect width='4' height='4'/></svg>"
    pdf = html_to_pdf(
        _html(
            f'<img src="{dot}" style="width:4mm">', f'<link rel="stylesheet" href="{render.asset_url("report.css")}">'
        )
    )
    assert "测试" in pdfcheck.pdf_text(pdf)


# --- QR codes -------------------------------------------------------------------------------


def _svg_modules(svg: str) -> tuple[int, set[tuple[int, int]]]:
    """The dark modules drawn by a segno SVG path ("M x y", "m dx dy", "h n")."""
    root = ET.fromstring(svg)
    size = int(root.attrib["viewBox"].split()[2])
    path = next(el for el in root.iter() if el.tag.endswith("path")).attrib["d"]
    x = y = 0.0
    dark: set[tuple[int, int]] = set()
    for op, args in re.findall(r"([MmHhVv])([-\d.\s]+)", path):
        nums = [float(a) for a in args.split()]
        if op == "M":
            x, y = nums
        elif op == "m":
            x, y = x + nums[0], y + nums[1]
        elif op == "h":
            for i in range(int(nums[0])):
                dark.add((int(y - 0.5), int(x) + i))
            x += nums[0]
        else:
            raise AssertionError(f"unexpected path op {op}")
    return size, dark


def test_qr_svg_encodes_the_data() -> None:
    url = "https://charity.example.org/verify?receipt=R-2026-000123&salt=3q2+7w=="
    svg = str(qr_svg(url, title="捐赠票据 <R-2026-000123>"))
    assert svg.startswith("<svg") and "<?xml" not in svg and "width=" not in svg.split(">")[0]
    assert "&lt;R-2026-000123&gt;" in svg
    size, dark = _svg_modules(svg)
    code = segno.make(url, error="m", micro=False)
    border = 4
    assert size == len(code.matrix) + 2 * border
    expected = {(r + border, c + border) for r, row in enumerate(code.matrix) for c, v in enumerate(row) if v}
    assert dark == expected
    assert code.error in ("M", "Q", "H")
    with pytest.raises(ValueError):
        qr_svg("")


def test_qr_is_drawn_in_the_pdf() -> None:
    template = environment().from_string(
        '<!DOCTYPE html><html lang="zh-CN"><body><p>扫码验证</p>{% if q %}<div class="qr">{{ qr_svg(url) }}</div>{% endif %}</body></html>'
    )
    plain = html_to_pdf(template.render(q=False, url=""))
    with_qr = html_to_pdf(template.render(q=True, url="https://charity.example.org/verify?r=1"))
    import io

    from pypdf import PdfReader

    def ops(pdf: bytes) -> int:
        content = PdfReader(io.BytesIO(pdf)).pages[0].get_contents().get_data()
        return len(re.findall(rb"\s[lm]\s", content))

    assert ops(with_qr) > ops(plain) + 100
