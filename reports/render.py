"""Rendering: one autoescaping Jinja environment, HTML -> PDF with WeasyPrint, QR codes.

- :func:`environment` is *the* Jinja environment of the project: autoescaping on for every
  template (files and strings), ``StrictUndefined``, and the filters and globals reports and
  the public site share. It loads ``reports/templates`` and, when the ``public_site`` package
  has a ``templates`` folder, that one too (reports' templates are named ``report_*`` so the
  two never clash). Build others with :func:`make_environment`, never with a bare
  ``jinja2.Environment()`` (it does not escape).
- :func:`html_to_pdf` renders A4 pages with running headers and page numbers from
  ``report.css`` (``@page`` rules), CJK text in ``Noto Sans CJK SC`` (in every
  ``font-family`` chain; Debian ``fonts-noto-cjk``), one ``FontConfiguration`` shared by the
  stylesheet and ``write_pdf``, and a URL fetcher that loads only ``data:`` URLs and files
  packaged in ``reports/templates`` (``reports-asset:NAME``). Any other reference — ``file:``,
  ``http(s):``, a relative path — stops the rendering with ``render_url_refused``: templates
  are ours and autoescaped, so such a reference is a bug, never something to skip quietly.
- PDFs are for people: aggregates and bounded tables (:class:`Section` ``row_limit``). Long
  detail goes to CSV/XLSX (:mod:`reports.formats`); WeasyPrint slows down with long tables.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import segno
from markupsafe import Markup

from ledger.errors import LedgerError
from reports.codes import RENDER_URL_REFUSED
from reports.formats import Money, Table, percent_from_bp, table_totals
from reports.formats import china_time as formats_china_time
from reports.labels import column_zh

ASSET_SCHEME = "reports-asset:"
ASSET_BASE = ASSET_SCHEME + "/"
ASSET_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg"}
STYLESHEET = "report.css"
PDF_VARIANT = "pdf/a-3b"
CJK_FONT = "Noto Sans CJK SC"
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")
_USCC = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}")
_TOKEN = re.compile(r"(?=[!-~]*[0-9_./:-])[!-~]+")  # one ASCII word with a digit or a separator: an id, a code
SHORT_TOKEN = 26  # longer tokens (hashes, keys) may break anywhere; shorter ones never break


# --- the Jinja environment ------------------------------------------------------------------


def _templates() -> Any:
    return resources.files("reports") / "templates"


def _site_templates() -> Path | None:
    """``public_site/templates`` when that package exists (found without importing it)."""
    spec = importlib.util.find_spec("public_site")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        folder = Path(location) / "templates"
        if folder.is_dir():
            return folder
    return None


def make_environment(*extra: jinja2.BaseLoader) -> jinja2.Environment:
    """An environment configured like :func:`environment`, looking in ``extra`` loaders first."""
    loaders: list[jinja2.BaseLoader] = [*extra, jinja2.PackageLoader("reports", "templates")]
    site = _site_templates()
    if site is not None:
        loaders.append(jinja2.FileSystemLoader(str(site)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,  # every template, whatever its name, and from_string too
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        money=money_text,
        percent=percent_text,
        short_hash=short_hash,
        cell=cell_text,
        iso=iso_text,
        china_time=china_time,
    )
    env.tests["money"] = lambda value: isinstance(value, Money)
    env.globals.update(qr_svg=qr_svg, asset_url=asset_url, CJK_FONT=CJK_FONT, pdf_table=pdf_table, pdf_cell=figure_cell)
    return env


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The shared environment (created once per process)."""
    return make_environment()


def render_html(template: str, /, **context: Any) -> str:
    return environment().get_template(template).render(**context)


# --- filters --------------------------------------------------------------------------------


def money_text(value: Money | None, with_currency: bool = False) -> str:
    """``Money(123456750)`` -> ``1,234,567.50`` (``1,234,567.50 CNY`` with the currency)."""
    if value is None:
        return "—"
    if not isinstance(value, Money):
        raise TypeError(f"the money filter takes Money, not {type(value).__name__} (wrap fen in Money)")
    return f"{value.grouped()} {value.currency}" if with_currency else value.grouped()


def percent_text(bp: int | None) -> str:
    """Basis points -> ``70.00%``."""
    return "—" if bp is None else percent_from_bp(bp) + "%"


def short_hash(value: str | None, length: int = 12) -> str:
    if not value:
        return "—"
    return value if len(value) <= length else value[:length] + "…"


def iso_text(value: date | datetime | None) -> str:
    return "—" if value is None else value.isoformat()


def china_time(value: str | datetime | None, seconds: bool = True) -> str:
    """A log time as China time (``—`` for none): :func:`reports.formats.china_time`."""
    return "—" if value is None or value == "" else formats_china_time(value, seconds)


def cell_text(value: Any, kind: str = "text") -> str:
    """A table cell for people: grouped money, percent, ISO dates, 是/否."""
    if value is None:
        return "—"
    if kind == "money":
        return money_text(value)
    if kind == "bp":
        return percent_text(value)
    if kind == "bool":
        return "是 Yes" if value else "否 No"
    if kind == "date":
        return value.isoformat()
    if kind == "int":
        return f"{value:,}"
    return str(value)


# --- tables as a PDF prints them ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PdfCell:
    text: str
    css: str  # money | int | bp | date | code | hash | text | bool
    note: str = ""  # a second line: the name beside a credit code


@dataclass(frozen=True, slots=True)
class PdfTable:
    title_zh: str
    title_en: str
    heads: tuple[tuple[str, str, str], ...]  # (title_zh, title_en, css) per printed column
    rows: list[list[PdfCell]]
    totals: list[list[PdfCell]]
    total_rows: int  # lines in the table (the PDF prints at most its row limit)


def _hidden(keys: Sequence[str]) -> set[str]:
    """Columns a Chinese page leaves out: a code beside its Chinese label, the English label."""
    present = set(keys)
    out = set()
    for key in keys:
        if key + "_zh" in present:
            out.add(key)
            if key + "_en" in present:
                out.add(key + "_en")
    return out


def _pdf_cell(key: str, kind: str, value: Any, names: dict[str, str]) -> PdfCell:
    if value is None:
        return PdfCell("—", kind)
    if kind == "year":
        return PdfCell(str(value), "int")
    if kind != "text":
        return PdfCell(cell_text(value, kind), kind)
    text = str(value)
    if _TIME.fullmatch(text):
        return PdfCell(china_time(text, seconds=False), "date")
    if _USCC.fullmatch(text):
        return PdfCell(text, "code", names.get(text, ""))
    label = column_zh(key, text)
    if label != text:
        return PdfCell(label, "text")
    if _TOKEN.fullmatch(text):
        return PdfCell(text, "code" if len(text) <= SHORT_TOKEN else "hash")
    return PdfCell(text, "text")


def pdf_table(table: Table, limit: int = 200, names: dict[str, str] | None = None) -> PdfTable:
    """What a PDF prints of ``table``: Chinese labels for codes (the code columns beside a
    ``_zh`` label are left out), China time, names under credit codes (when the table has no
    name column of its own), the first ``limit`` lines, and totals over *all* lines."""
    keys = [c.key for c in table.columns]
    hidden = _hidden(keys)
    shown = [i for i, c in enumerate(table.columns) if c.key not in hidden]
    lookup = {} if "name_zh" in keys else (names or {})
    heads = tuple(
        (table.columns[i].title_zh, table.columns[i].title_en, _head_css(table.columns[i].kind)) for i in shown
    )
    rows = [
        [_pdf_cell(table.columns[i].key, table.columns[i].kind, row[i], lookup) for i in shown]
        for row in table.rows[:limit]
    ]
    totals = []
    sums = table_totals(table)
    label_at = next((j for j, i in enumerate(shown) if table.columns[i].kind not in ("money", "int")), None)
    for currency, cells in sums:
        line = [PdfCell("", _head_css(table.columns[i].kind)) for i in shown]
        for j, i in enumerate(shown):
            if i in cells:
                line[j] = PdfCell(cell_text(cells[i], table.columns[i].kind), table.columns[i].kind)
        if label_at is not None:
            line[label_at] = PdfCell("合计" + (f"（{currency}）" if len(sums) > 1 and currency else ""), "text")
        totals.append(line)
    return PdfTable(table.title_zh, table.title_en, heads, rows, totals, len(table.rows))


def figure_cell(value: Any, names: dict[str, str] | None = None) -> PdfCell:
    """A figure's value as a PDF prints it (labels for codes, China time, names under codes)."""
    if isinstance(value, bool):
        return PdfCell(cell_text(value, "bool"), "text")
    if isinstance(value, int):
        return PdfCell(f"{value:,}", "int")
    if isinstance(value, (date, datetime)):
        return PdfCell(china_time(value) if isinstance(value, datetime) else value.isoformat(), "date")
    if isinstance(value, str):
        return _pdf_cell("", "text", value, names or {})
    return PdfCell(str(value), "text")


def _head_css(kind: str) -> str:
    return {"money": "money", "int": "int", "bp": "bp", "year": "int", "date": "date"}.get(kind, "text")


# --- QR codes -------------------------------------------------------------------------------


def qr_svg(data: str, *, title: str | None = None, error: str = "m", border: int = 4) -> Markup:
    """An inline SVG QR code of ``data`` (size it with CSS: ``.qr { width: 30mm }``).

    Error correction at least ``m`` (segno raises it for free when the symbol has room), a
    quiet zone of ``border`` modules, no fixed size (a ``viewBox`` instead), no XML header.
    """
    if not isinstance(data, str) or not data:
        raise ValueError("a QR code needs non-empty text")
    code = segno.make(data, error=error, micro=False)
    svg = code.svg_inline(
        scale=1, border=border, omitsize=True, svgclass="qr", lineclass=None, dark="#000", title=title
    )
    return Markup(svg)


# --- HTML -> PDF ----------------------------------------------------------------------------


def asset_url(name: str) -> str:
    """The URL of a file packaged in ``reports/templates`` (checked when fetched)."""
    return ASSET_SCHEME + name


def _read_asset(name: str) -> tuple[bytes, str]:
    parts = name.split("/")
    suffix = Path(name).suffix.lower()
    if not name or name.startswith("/") or any(p in ("", ".", "..") for p in parts) or suffix not in ASSET_TYPES:
        raise FileNotFoundError(name)
    target = _templates()
    for part in parts:
        target = target / part
    if not target.is_file():
        raise FileNotFoundError(name)
    return target.read_bytes(), ASSET_TYPES[suffix]


def _fetcher_class() -> type:
    # lazy: WeasyPrint (Pango, fonts) takes about a second to import; only PDF rendering needs it
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class SafeURLFetcher(URLFetcher):
        """Loads ``data:`` URLs and packaged assets; refuses (and records) everything else."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols=("data",), allow_redirects=False, fail_on_errors=True, timeout=1)
            self.refused: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith(ASSET_SCHEME):
                name = url[len(ASSET_SCHEME) :].lstrip("/")
                try:
                    body, media_type = _read_asset(name)
                except FileNotFoundError:
                    self.refused.append(url)
                    raise
                return URLFetcherResponse(url, body, {"Content-Type": media_type})
            if url[:5].lower() == "data:":
                return super().fetch(url, headers)
            self.refused.append(url)
            raise PermissionError(f"refused URL {url!r}")

    return SafeURLFetcher


def safe_url_fetcher() -> Any:
    """A new fetcher for one rendering (it records what it refused)."""
    return _fetcher_class()()


def html_to_pdf(
    html: str,
    *,
    stylesheets: Sequence[str] = (STYLESHEET,),
    attachments: Mapping[str, bytes] | None = None,
    variant: str | None = PDF_VARIANT,
) -> bytes:
    """Render trusted (our templates') HTML to PDF bytes. Not byte-identical across versions of
    WeasyPrint or fonts: hash the bytes produced, never expect them.

    PDF/A-3b by default (fonts embedded, an sRGB output intent, XMP metadata), which allows
    files inside the PDF: ``attachments`` (name -> bytes, e.g. the report's CSV and JSON) are
    embedded as associated files, so the PDF carries its own data."""
    # lazy: WeasyPrint (Pango, fonts) takes about a second to import; only PDF rendering needs it
    from weasyprint import CSS, HTML, Attachment
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import FatalURLFetchingError

    fetcher = safe_url_fetcher()
    font_config = FontConfiguration()
    try:
        css = [
            CSS(
                string=_read_asset(name)[0].decode("utf-8"),
                base_url=ASSET_BASE,
                url_fetcher=fetcher,
                font_config=font_config,
            )
            for name in stylesheets
        ]
        files = [
            Attachment(string=data, base_url=ASSET_BASE, url_fetcher=fetcher, name=name, description=name)
            for name, data in sorted((attachments or {}).items())
        ]
        return HTML(string=html, base_url=ASSET_BASE, url_fetcher=fetcher).write_pdf(
            stylesheets=css, font_config=font_config, attachments=files, pdf_variant=variant
        )
    except FatalURLFetchingError as exc:
        url = fetcher.refused[0] if fetcher.refused else str(exc)
        raise LedgerError(RENDER_URL_REFUSED, url=url) from None


def render_pdf(template: str, /, **context: Any) -> bytes:
    return html_to_pdf(render_html(template, **context))


# --- what the generic templates take ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReportHeader:
    """The cover and running header of a report PDF."""

    title: str
    subtitle: str = ""
    subject: str = ""  # organisation, project...: who the report is about
    period: str = ""  # "2025-01-01 – 2025-12-31"
    tree_size: int | None = None  # the log state the figures were computed at
    root: str | None = None
    ruleset: str | None = None  # "cn-charity/1"
    as_of: str | None = None  # RFC 3339 time of that log state
    lang: str = "zh-CN"
    subject_id: str = ""  # the code beside the subject's name (credit code, project id)
    issued: IssuedRef | None = None  # where the report is recorded, when it is


@dataclass(frozen=True, slots=True)
class IssuedRef:
    """The ``report.issued`` entry a PDF is recorded by: printed with a QR code of ``url``.

    ``position`` is the entry's seq in its log (known before it is appended: the append checks
    it and refuses with ``report_position_moved`` when another entry took it); ``tree_size`` and
    ``root`` are the log state the figures were computed at, as the entry records them.
    """

    position: int
    tree_size: int
    root: str
    url: str


@dataclass(frozen=True, slots=True)
class Section:
    """One numbered section: text, label/value figures, bounded tables."""

    id: str
    title: str
    paragraphs: tuple[str, ...] = ()
    figures: tuple[tuple[str, Any], ...] = ()
    tables: tuple[Table, ...] = ()
    row_limit: int = 200  # rows per table in the PDF; the rest is in CSV/XLSX


CONTENTS_FROM = 3  # sections from which a contents list is printed


def render_sections_pdf(
    header: ReportHeader,
    sections: Sequence[Section],
    *,
    notes: Sequence[str] = (),
    names: dict[str, str] | None = None,
    attachments: Mapping[str, bytes] | None = None,
) -> bytes:
    """A report PDF from the generic ``report_sections.html`` template."""
    return html_to_pdf(
        render_html(
            "report_sections.html",
            header=header,
            sections=list(sections),
            notes=list(notes),
            contents_from=CONTENTS_FROM,
            names=names or {},
        ),
        attachments=attachments,
    )
