"""Report figures as data files: CSV, XLSX and JSON, all from the same :class:`Table` values.

Money is carried as :class:`Money` (integer minor units + currency) up to the moment a file is
written, and each format writes it in one documented way:

========  ===================================================================================
JSON      a decimal string with exactly the currency's minor digits: ``"1234.50"`` (never a
          number). The currency is a separate field chosen by the report.
CSV       the same decimal string, without thousands separators. UTF-8 *with* a byte order
          mark and CRLF line ends, so Excel opens Chinese text correctly.
XLSX      a numeric cell whose value is ``Decimal(minor) / 10**digits`` (exact: the XML holds
          the decimal text, e.g. ``1234.5``), formatted ``#,##0.00``. Excel reads it as a binary
          double: each amount up to 10^13 fen round-trips to the same fen, but sums made *in
          Excel* are floating point. The authoritative figures are the JSON's.
========  ===================================================================================

Ratios in basis points (``kind="bp"``) are integers in JSON, percent strings with two decimals
in CSV (``"70.00"``) and fractions formatted ``0.00%`` in XLSX.

Text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
tab or carriage return) are written to CSV with a leading apostrophe (OWASP "CSV injection"),
and to XLSX as explicit text cells. Payee names and purposes come from the log, which anyone
with a key can write to; a report must not turn them into formulas.

Floats are refused everywhere: a float reaching a writer is a bug upstream.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, is_dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from ledger.money import CURRENCY_DIGITS, check_currency, format_amount

KINDS = ("text", "int", "money", "date", "bp", "bool")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in integer minor units (fen for CNY)."""

    minor: int
    currency: str = "CNY"

    def __post_init__(self) -> None:
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise TypeError(f"Money needs integer minor units, not {type(self.minor).__name__}")
        check_currency(self.currency)

    def __str__(self) -> str:
        return format_amount(self.minor, self.currency)

    @property
    def digits(self) -> int:
        return CURRENCY_DIGITS[self.currency]

    def decimal(self) -> Decimal:
        """The exact decimal value (``Decimal('1234.50')``), for spreadsheet cells."""
        return Decimal(self.minor).scaleb(-self.digits)

    def grouped(self) -> str:
        """``1,234,567.50``: for people (PDF, site), never for data files."""
        text = format_amount(abs(self.minor), self.currency)
        whole, _, frac = text.partition(".")
        grouped = f"{int(whole):,}"
        return ("-" if self.minor < 0 else "") + (f"{grouped}.{frac}" if frac else grouped)


@dataclass(frozen=True, slots=True)
class Column:
    key: str              # the JSON key and the machine part of the CSV header
    title_zh: str
    title_en: str
    kind: str = "text"    # text | int | money | date | bp | bool

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.key):
            raise ValueError(f"column key {self.key!r} must be lower_snake_case")


@dataclass(frozen=True, slots=True)
class Table:
    """Detail or summary lines; the same values go to CSV, XLSX, JSON and (bounded) the PDF."""

    name: str                       # file and sheet name: lower-kebab or snake, ASCII
    title_zh: str
    title_en: str
    columns: tuple[Column, ...]
    rows: Sequence[Sequence[Any]] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_-]{0,30}", self.name):
            raise ValueError(f"table name {self.name!r} must be short lowercase ASCII (it names a file and a sheet)")
        keys = [c.key for c in self.columns]
        if len(set(keys)) != len(keys):
            raise ValueError(f"table {self.name}: duplicate column keys")
        for i, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise ValueError(f"table {self.name} row {i}: {len(row)} cells for {len(self.columns)} columns")
            for col, value in zip(self.columns, row):
                _check_cell(self.name, i, col, value)

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip((c.key for c in self.columns), row)) for row in self.rows]

    def to_json(self) -> dict[str, Any]:
        return {
            "title_zh": self.title_zh,
            "title_en": self.title_en,
            "columns": [{"key": c.key, "kind": c.kind, "title_zh": c.title_zh, "title_en": c.title_en} for c in self.columns],
            "rows": [[_json_cell(c, v) for c, v in zip(self.columns, row)] for row in self.rows],
        }


def _check_cell(table: str, i: int, col: Column, value: Any) -> None:
    if value is None:
        return
    ok = {
        "text": lambda v: isinstance(v, str),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "money": lambda v: isinstance(v, Money),
        "date": lambda v: isinstance(v, date) and not isinstance(v, datetime),
        "bp": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "bool": lambda v: isinstance(v, bool),
    }[col.kind](value)
    if not ok:
        raise TypeError(f"table {table} row {i} column {col.key}: {type(value).__name__} is not a {col.kind} cell")


# --- JSON -----------------------------------------------------------------------------------


def _json_cell(col: Column, value: Any) -> Any:
    if value is None:
        return None
    if col.kind == "money":
        return str(value)
    if col.kind == "date":
        return value.isoformat()
    return value


def jsonable(value: Any) -> Any:
    """Plain JSON values from report data; refuses floats and unknown types."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        raise TypeError("a float reached a report file: use integer minor units, basis points or Money")
    if isinstance(value, Money):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TypeError("naive datetime in a report: give it a time zone")
        utc = value.astimezone(timezone.utc)
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Table):
        return value.to_json()
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"JSON object keys must be strings, not {type(k).__name__}")
            out[k] = jsonable(v)
        return out
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "to_json") and callable(value.to_json):
        return jsonable(value.to_json())
    if is_dataclass(value):
        raise TypeError(f"{type(value).__name__} has no to_json(); say how it is written")
    raise TypeError(f"cannot write {type(value).__name__} to a report file")


def to_json_bytes(document: Any) -> bytes:
    """Canonical-ish JSON: UTF-8, keys sorted, two-space indent, one trailing newline.

    Stable for equal input (so its SHA-256 is too), readable in a browser, and diffable. Not
    RFC 8785: readers recompute the figures and compare values, not bytes.
    """
    return (json.dumps(jsonable(document), ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8")


# --- CSV ------------------------------------------------------------------------------------


def _csv_cell(col: Column, value: Any) -> str:
    if value is None:
        return ""
    if col.kind == "money":
        return str(value)
    if col.kind == "date":
        return value.isoformat()
    if col.kind == "bp":
        return percent_from_bp(value)
    if col.kind == "bool":
        return "true" if value else "false"
    if col.kind == "int":
        return str(value)
    return _defuse(value)


def _defuse(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def percent_from_bp(bp: int) -> str:
    """7000 -> ``"70.00"`` (percent with two decimals, exact)."""
    sign = "-" if bp < 0 else ""
    whole, frac = divmod(abs(bp), 100)
    return f"{sign}{whole}.{frac:02d}"


def header(col: Column) -> str:
    """``捐赠金额 amount``: the Chinese title for people, the key for programs."""
    return f"{col.title_zh} {col.key}"


def table_csv(table: Table) -> bytes:
    """One table as CSV: BOM, CRLF, header row ``<title_zh> <key>``, then the rows."""
    buf = io.StringIO()
    buf.write(BOM)
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([header(c) for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_cell(c, v) for c, v in zip(table.columns, row)])
    return buf.getvalue().encode("utf-8")


# --- XLSX -----------------------------------------------------------------------------------

FIXED_TIME = datetime(1980, 1, 1, tzinfo=timezone.utc)


def workbook_xlsx(tables: Iterable[Table], *, title: str = "", as_of: datetime | None = None) -> bytes:
    """All tables as one workbook, a sheet per table (streamed: fine for 100,000 rows), each
    with its header row frozen and an auto-filter over its rows (sort and filter in Excel).

    The bytes depend only on the input: document times are ``as_of`` (the time the report's
    figures refer to; 1980-01-01 when not given) and the zip entries carry a fixed date.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    stamp = (as_of or FIXED_TIME).astimezone(timezone.utc).replace(tzinfo=None, microsecond=0)
    wb = Workbook(write_only=True)
    wb.properties.title = title or None
    wb.properties.creator = "charity-ledger"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    bold = Font(bold=True)
    any_sheet = False
    for table in tables:
        any_sheet = True
        ws = wb.create_sheet(table.name)
        ws.freeze_panes = "A2"
        for i, col in enumerate(table.columns):
            letter = _column_letter(i)
            width = {"money": 16, "date": 12, "bp": 10, "int": 10, "bool": 8}.get(col.kind, 24)
            ws.column_dimensions[letter].width = max(width, min(40, len(header(col)) + 2))
        head = []
        for col in table.columns:
            cell = WriteOnlyCell(ws, value=header(col))
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True)
            cell.data_type = "s"
            head.append(cell)
        ws.append(head)
        for row in table.rows:
            ws.append([_xlsx_cell(ws, WriteOnlyCell, c, v) for c, v in zip(table.columns, row)])
        if table.columns:  # a filter on the header row: every table sorts and filters in Excel
            ws.auto_filter.ref = f"A1:{_column_letter(len(table.columns) - 1)}{len(table.rows) + 1}"
    if not any_sheet:
        wb.create_sheet("empty")
    buf = io.BytesIO()
    wb.save(buf)
    return _normalise_zip(buf.getvalue(), stamp)


def _xlsx_cell(ws: Any, cell_type: Any, col: Column, value: Any) -> Any:
    if value is None:
        return None
    if col.kind == "money":
        cell = cell_type(ws, value=value.decimal())
        cell.number_format = "#,##0" if value.digits == 0 else "#,##0." + "0" * value.digits
        return cell
    if col.kind == "date":
        cell = cell_type(ws, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    if col.kind == "bp":
        cell = cell_type(ws, value=Decimal(value).scaleb(-4))
        cell.number_format = "0.00%"
        return cell
    if col.kind in ("int", "bool"):
        return value
    cell = cell_type(ws, value=value)
    cell.data_type = "s"     # never a formula, whatever the text starts with
    return cell


def _column_letter(i: int) -> str:
    letters = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _normalise_zip(data: bytes, stamp: datetime) -> bytes:
    """Rewrite the XLSX zip with fixed entry dates and the given document time."""
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)", rb"\g<1>" + iso + rb"\g<2>", body)
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, body)
    return out.getvalue()
