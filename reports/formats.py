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
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import IO, Any

from ledger.domain.money import Money

KINDS = ("text", "int", "money", "date", "bp", "bool", "year")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


@dataclass(frozen=True, slots=True)
class Column:
    key: str  # the JSON key and the machine part of the CSV header
    title_zh: str
    title_en: str
    kind: str = "text"  # text | int | money | date | bp | bool | year (an int printed without grouping)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.key):
            raise ValueError(f"column key {self.key!r} must be lower_snake_case")


@dataclass(frozen=True, slots=True)
class Table:
    """Detail or summary lines; the same values go to CSV, XLSX, JSON and (bounded) the PDF."""

    name: str  # file and sheet name: lower-kebab or snake, ASCII
    title_zh: str
    title_en: str
    columns: tuple[Column, ...]
    rows: Sequence[Sequence[Any]] = field(default_factory=tuple)
    # a totals row under the lines (PDF and XLSX; CSV and JSON keep only the lines): None sums
    # when the table has money columns and no year column (figures of different years do not add up)
    totals: bool | None = None

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_-]{0,30}", self.name):
            raise ValueError(f"table name {self.name!r} must be short lowercase ASCII (it names a file and a sheet)")
        keys = [c.key for c in self.columns]
        if len(set(keys)) != len(keys):
            raise ValueError(f"table {self.name}: duplicate column keys")
        for i, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise ValueError(f"table {self.name} row {i}: {len(row)} cells for {len(self.columns)} columns")
            for col, value in zip(self.columns, row, strict=True):
                _check_cell(self.name, i, col, value)

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip((c.key for c in self.columns), row, strict=True)) for row in self.rows]

    def to_json_head(self) -> dict[str, Any]:
        """Everything of :meth:`to_json` but the rows."""
        return {
            "title_zh": self.title_zh,
            "title_en": self.title_en,
            "columns": [
                {"key": c.key, "kind": c.kind, "title_zh": c.title_zh, "title_en": c.title_en} for c in self.columns
            ],
        }

    def to_json(self) -> dict[str, Any]:
        return {
            **self.to_json_head(),
            "rows": [[_json_cell(c, v) for c, v in zip(self.columns, row, strict=True)] for row in self.rows],
        }


@dataclass(frozen=True, slots=True)
class StreamedTable:
    """A sheet whose rows are read as it is written (an iterator, read once): for exports too
    large to hold, such as the site's ledger export. Only :func:`write_workbook_xlsx` takes it."""

    name: str
    title_zh: str
    title_en: str
    columns: tuple[Column, ...]
    rows: Iterable[Sequence[Any]]

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_-]{0,30}", self.name):
            raise ValueError(f"table name {self.name!r} must be short lowercase ASCII (it names a file and a sheet)")


def _check_cell(table: str, i: int, col: Column, value: Any) -> None:
    if value is None:
        return
    ok = {
        "text": lambda v: isinstance(v, str),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "year": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "money": lambda v: isinstance(v, Money),
        "date": lambda v: isinstance(v, date) and not isinstance(v, datetime),
        "bp": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "bool": lambda v: isinstance(v, bool),
    }[col.kind](value)
    if not ok:
        raise TypeError(f"table {table} row {i} column {col.key}: {type(value).__name__} is not a {col.kind} cell")


# --- totals ---------------------------------------------------------------------------------

TOTAL_COUNT_KEYS = frozenset({"count", "donations", "payments", "entries"})
REVERSED_KEYS = frozenset({"corrected", "withdrawn", "reversed"})  # a line reversed in the log adds nothing


def has_totals(table: Table) -> bool:
    if table.totals is not None:
        return table.totals and bool(table.rows)
    kinds = {c.kind for c in table.columns}
    keys = {c.key for c in table.columns}
    return "money" in kinds and "year" not in kinds and "year" not in keys and len(table.rows) > 1


def table_totals(table: Table) -> list[tuple[str, dict[int, Any]]]:
    """The totals rows of a table: one per currency, ``(currency, {column index: sum})``.

    Lines marked reversed (a true ``corrected``/``withdrawn`` column) are left out. Money
    columns are summed in integer minor units (exact), count columns (``int`` columns
    named ``count`` and the like) as integers; a row's counts go to its first money cell's
    currency. Nothing for a table without totals (:func:`has_totals`).
    """
    if not has_totals(table):
        return []
    money_cols = [i for i, c in enumerate(table.columns) if c.kind == "money"]
    count_cols = [i for i, c in enumerate(table.columns) if c.kind == "int" and c.key in TOTAL_COUNT_KEYS]
    reversed_cols = [i for i, c in enumerate(table.columns) if c.kind == "bool" and c.key in REVERSED_KEYS]
    sums: dict[str, dict[int, int]] = {}
    for row in table.rows:
        if any(row[i] for i in reversed_cols):
            continue
        currency = next((row[i].currency for i in money_cols if row[i] is not None), "")
        for i in money_cols:
            value = row[i]
            if value is not None:
                line = sums.setdefault(value.currency, {})
                line[i] = line.get(i, 0) + value.minor
        for i in count_cols:
            if row[i] is not None:
                line = sums.setdefault(currency, {})
                line[i] = line.get(i, 0) + row[i]
    return [
        (currency, {i: Money(n, currency) if i in money_cols else n for i, n in sorted(cells.items())})
        for currency, cells in sorted(sums.items())
    ]


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
        utc = value.astimezone(UTC)
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
    RFC 8785: readers recompute the figures and compare values, not bytes. The same bytes as
    ``json.dumps(jsonable(document), ensure_ascii=False, sort_keys=True, indent=2) + "\n"``,
    written piece by piece: a table's rows are converted one at a time, so a report with
    100,000 detail lines is not copied whole into JSON values first.
    """
    out = io.BytesIO()
    _emit(document, 0, out)
    out.write(b"\n")
    return out.getvalue()


_PAD = "  "


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _emit(value: Any, depth: int, out: io.BytesIO) -> None:
    if isinstance(value, Table):
        _emit_table(value, depth, out)
        return
    if isinstance(value, Mapping):
        if not value:
            out.write(b"{}")
            return
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be strings, not {type(key).__name__}")
        inner = "\n" + _PAD * (depth + 1)
        out.write(b"{")
        for i, key in enumerate(sorted(value)):
            out.write(((inner if i == 0 else "," + inner) + _dumps(key) + ": ").encode("utf-8"))
            _emit(value[key], depth + 1, out)
        out.write(("\n" + _PAD * depth + "}").encode("utf-8"))
        return
    if isinstance(value, (list, tuple)):
        if not value:
            out.write(b"[]")
            return
        inner = "\n" + _PAD * (depth + 1)
        out.write(b"[")
        for i, item in enumerate(value):
            out.write((inner if i == 0 else "," + inner).encode("utf-8"))
            _emit(item, depth + 1, out)
        out.write(("\n" + _PAD * depth + "]").encode("utf-8"))
        return
    plain = jsonable(value)
    if isinstance(plain, (dict, list)):
        _emit(plain, depth, out)
    else:
        out.write(_dumps(plain).encode("utf-8"))


def _emit_table(table: Table, depth: int, out: io.BytesIO) -> None:
    """A table as ``Table.to_json()`` gives it (keys sorted: columns, rows, title_en, title_zh)."""
    head = table.to_json_head()
    inner = "\n" + _PAD * (depth + 1)
    out.write(("{" + inner + '"columns": ').encode("utf-8"))
    _emit(head["columns"], depth + 1, out)
    out.write(("," + inner + '"rows": ').encode("utf-8"))
    if not table.rows:
        out.write(b"[]")
    else:
        row_pad = "\n" + _PAD * (depth + 2)
        out.write(b"[")
        columns = table.columns
        for i, row in enumerate(table.rows):
            cells = json.dumps(
                [_json_cell(c, v) for c, v in zip(columns, row, strict=True)], ensure_ascii=False, indent=2
            )
            out.write(((row_pad if i == 0 else "," + row_pad) + cells.replace("\n", row_pad)).encode("utf-8"))
        out.write(inner.encode("utf-8") + b"]")
    out.write(
        (
            ","
            + inner
            + '"title_en": '
            + _dumps(head["title_en"])
            + ","
            + inner
            + '"title_zh": '
            + _dumps(head["title_zh"])
            + "\n"
            + _PAD * depth
            + "}"
        ).encode("utf-8")
    )


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
    if col.kind in ("int", "year"):
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
    """``捐赠金额 amount``: the Chinese title for people, the key for programs (XLSX headers)."""
    return f"{col.title_zh} {col.key}"


def table_csv(table: Table) -> bytes:
    """One table as CSV: BOM, CRLF, two header rows — the Chinese titles (for people), then the
    stable keys (for programs: ``amount``, ``received_on``; they never change with wording) —
    then the rows. A program reads the second row as its header and skips the first
    (``pandas.read_csv(f, header=1)``, ``csv.DictReader`` after one ``next()``)."""
    buf = io.StringIO()
    buf.write(BOM)
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([c.title_zh for c in table.columns])
    writer.writerow([c.key for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_cell(c, v) for c, v in zip(table.columns, row, strict=True)])
    return buf.getvalue().encode("utf-8")


# --- XLSX -----------------------------------------------------------------------------------
#
# SpreadsheetML (ECMA-376) written directly: a sheet per table, streamed row by row into the
# zip, with the parts openpyxl itself writes (workbook, styles, sheets, core properties).
# openpyxl's writer costs ~35 us a cell without lxml, which puts a 100,000-donation annual
# report (1.3 million cells) at 45 s; this writer does the same cells in a few seconds, and its
# bytes depend only on the input. The tests read every workbook back with openpyxl.

FIXED_TIME = datetime(1980, 1, 1, tzinfo=UTC)
_EPOCH = date(1899, 12, 30)  # Excel's day 0 (1900 date system, past its 1900 leap bug)
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# cellXfs indices (styles.xml below)
_ST_DATE, _ST_PERCENT, _ST_HEADER, _ST_MONEY0 = 1, 2, 3, 4  # money with d digits: _ST_MONEY0 + d
_MONEY_DIGITS = 4
_ROWS_PER_WRITE = 2000


def _x(text: str) -> str:
    """Text for XML character data and attributes."""
    if _XML_ILLEGAL.search(text):
        text = _XML_ILLEGAL.sub("\ufffd", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _decimal_text(value: Decimal) -> str:
    """The exact decimal, shortest: 1234.50 -> "1234.5", 1E+11 -> "100000000000"."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _cell_writer(col: Column) -> Any:
    """A function (ref, value) -> the cell's XML, for one column (None values are skipped)."""
    kind = col.kind
    if kind == "money":

        def money(ref: str, v: Money) -> str:
            return f'<c r="{ref}" s="{_ST_MONEY0 + v.digits}"><v>{_decimal_text(v.decimal())}</v></c>'

        return money
    if kind == "date":
        return lambda ref, v: f'<c r="{ref}" s="{_ST_DATE}"><v>{(v - _EPOCH).days}</v></c>'
    if kind == "bp":
        return lambda ref, v: f'<c r="{ref}" s="{_ST_PERCENT}"><v>{_decimal_text(Decimal(v).scaleb(-4))}</v></c>'
    if kind in ("int", "year"):
        return lambda ref, v: f'<c r="{ref}"><v>{v}</v></c>'
    if kind == "bool":
        return lambda ref, v: f'<c r="{ref}" t="b"><v>{1 if v else 0}</v></c>'
    # text: always an inline string, never a formula, whatever it starts with
    return lambda ref, v: f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_x(v)}</t></is></c>'


def _sheet_xml(table: Table | StreamedTable, out: Any) -> str:
    """Write the worksheet XML of ``table`` to the binary stream ``out``; returns its range.
    A streamed table's rows are counted as they are written (its sheet has no ``dimension``,
    an optional element)."""
    letters = [_column_letter(i) for i in range(len(table.columns))]
    streamed = isinstance(table, StreamedTable)
    last = f"{letters[-1] if letters else 'A'}{0 if streamed else len(table.rows) + 1}"
    area = f"A1:{last}"
    sums = [] if isinstance(table, StreamedTable) else table_totals(table)
    extent = (
        f"A1:{letters[-1] if letters else 'A'}{0 if streamed else len(table.rows) + 1 + len(sums)}"  # with the totals
    )
    widths = "".join(
        f'<col min="{i + 1}" max="{i + 1}" width="{max({"money": 16, "date": 12, "bp": 10, "int": 10, "bool": 8}.get(c.kind, 24), min(40, len(header(c)) + 2))}" customWidth="1"/>'
        for i, c in enumerate(table.columns)
    )
    out.write(
        (
            f'{_HEAD}<worksheet xmlns="{_NS}" xmlns:r="{_NS_R}">'
            + ("" if streamed else f'<dimension ref="{extent}"/>')
            + '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>' + (f"<cols>{widths}</cols>" if widths else "") + "<sheetData>"
        ).encode("utf-8")
    )
    head = "".join(
        f'<c r="{letters[i]}1" s="{_ST_HEADER}" t="inlineStr"><is><t>{_x(header(c))}</t></is></c>'
        for i, c in enumerate(table.columns)
    )
    out.write(f'<row r="1">{head}</row>'.encode())
    writers = [_cell_writer(c) for c in table.columns]
    pairs = list(zip(letters, writers, strict=True))
    chunk: list[str] = []
    r = 1
    for r, row in enumerate(table.rows, 2):
        cells = "".join(w(f"{letter}{r}", v) for (letter, w), v in zip(pairs, row, strict=True) if v is not None)
        chunk.append(f'<row r="{r}">{cells}</row>')
        if len(chunk) >= _ROWS_PER_WRITE:
            out.write("".join(chunk).encode("utf-8"))
            chunk.clear()
    out.write("".join(chunk).encode("utf-8"))
    if streamed:
        area = f"A1:{letters[-1] if letters else 'A'}{r}"
    elif sums and isinstance(table, Table):
        out.write(_totals_xml(table, sums, letters, writers, len(table.rows) + 2).encode("utf-8"))
    out.write(f'</sheetData><autoFilter ref="{area}"/></worksheet>'.encode())
    return area


def _totals_xml(
    table: Table, sums: list[tuple[str, dict[int, Any]]], letters: list[str], writers: list[Any], first_row: int
) -> str:
    """The totals rows under a sheet's lines (outside its filter range): exact sums as numbers."""
    label_at = next((i for i, c in enumerate(table.columns) if c.kind not in ("money", "int")), None)
    rows = []
    for r, (currency, cells) in enumerate(sums, first_row):
        parts = []
        for i, letter in enumerate(letters):
            if i == label_at:
                label = "合计 Total" + (f" {currency}" if len(sums) > 1 and currency else "")
                parts.append(f'<c r="{letter}{r}" s="{_ST_HEADER}" t="inlineStr"><is><t>{_x(label)}</t></is></c>')
            elif i in cells:
                parts.append(writers[i](f"{letter}{r}", cells[i]))
        rows.append(f'<row r="{r}">{"".join(parts)}</row>')
    return "".join(rows)


def _styles() -> str:
    money = "".join(
        f'<numFmt numFmtId="{166 + d}" formatCode="{"#,##0" + ("." + "0" * d if d else "")}"/>'
        for d in range(_MONEY_DIGITS + 1)
    )
    xfs = [
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>',
        '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>',
        '<xf numFmtId="10" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>',
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1"><alignment wrapText="1"/></xf>',
        *(
            f'<xf numFmtId="{166 + d}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
            for d in range(_MONEY_DIGITS + 1)
        ),
    ]
    return (
        f'{_HEAD}<styleSheet xmlns="{_NS}"><numFmts count="{_MONEY_DIGITS + 2}"><numFmt numFmtId="165" formatCode="yyyy-mm-dd"/>{money}</numFmts>'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
    )


def workbook_xlsx(
    tables: Iterable[Table], *, title: str = "", as_of: datetime | None = None, summary: Table | None = None
) -> bytes:
    """All tables as one workbook, a sheet per table (streamed: fine for 100,000 rows), each
    with its header row frozen, an auto-filter over its rows (sort and filter in Excel) and its
    totals rows under them (:func:`table_totals`); ``summary`` (see :func:`summary_table`)
    first when given.

    The bytes depend only on the input: document times are ``as_of`` (the time the report's
    figures refer to; 1980-01-01 when not given) and the zip entries carry a fixed date.
    """
    buf = io.BytesIO()
    write_workbook_xlsx(buf, [*([summary] if summary is not None else []), *tables], title=title, as_of=as_of)
    return buf.getvalue()


def write_workbook_xlsx(
    out: IO[bytes], tables: Iterable[Table | StreamedTable], *, title: str = "", as_of: datetime | None = None
) -> None:
    """:func:`workbook_xlsx` written to the binary file ``out`` (a spooled temporary file, say):
    with :class:`StreamedTable` sheets, memory holds one chunk of rows, not the workbook."""
    stamp = (as_of or FIXED_TIME).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    sheets: list[Table | StreamedTable] = list(tables) or [Table("empty", "", "", ())]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:

        def put(name: str, text: str) -> None:
            z.writestr(_zip_entry(name), text.encode("utf-8"))

        areas = []
        for i, table in enumerate(sheets, 1):
            with z.open(_zip_entry(f"xl/worksheets/sheet{i}.xml"), "w") as out:
                areas.append(_sheet_xml(table, out))
        n = len(sheets)
        put(
            "[Content_Types].xml",
            (
                f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                + "".join(
                    f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                    for i in range(1, n + 1)
                )
                + '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
                '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>'
            ),
        )
        put(
            "_rels/.rels",
            (
                f'{_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
                '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
                "</Relationships>"
            ),
        )
        filters = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">\'{_x(t.name)}\'!{_absolute(a)}</definedName>'
            for i, (t, a) in enumerate(zip(sheets, areas, strict=True))
            if t.columns
        )
        put(
            "xl/workbook.xml",
            (
                f'{_HEAD}<workbook xmlns="{_NS}" xmlns:r="{_NS_R}"><bookViews><workbookView activeTab="0"/></bookViews><sheets>'
                + "".join(f'<sheet name="{_x(t.name)}" sheetId="{i}" r:id="rId{i}"/>' for i, t in enumerate(sheets, 1))
                + "</sheets>"
                + (f"<definedNames>{filters}</definedNames>" if filters else "")
                + "</workbook>"
            ),
        )
        put(
            "xl/_rels/workbook.xml.rels",
            (
                f'{_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                + "".join(
                    f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>'
                    for i in range(1, n + 1)
                )
                + f'<Relationship Id="rId{n + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
                "</Relationships>"
            ),
        )
        put("xl/styles.xml", _styles())
        put(
            "docProps/core.xml",
            (
                f'{_HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
                'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
                'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
                + (f"<dc:title>{_x(title)}</dc:title>" if title else "")
                + f'<dc:creator>charity-ledger</dc:creator><dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
                f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified></cp:coreProperties>'
            ),
        )


SUMMARY_SHEET = "report_summary"
_SUMMARY_COLUMNS = (
    Column("item", "项目", "Item"),
    Column("value", "内容", "Value"),
    Column("number", "数值", "Number", "int"),
    Column("amount", "金额", "Amount", "money"),
)


def summary_table(document: Mapping[str, Any], tables: Sequence[Table]) -> Table:
    """The first sheet of a report's workbook: what the report is, the log state it was
    computed at, and each sheet's line count and totals (numbers as numbers)."""
    rows: list[list[Any]] = []

    def text(item: str, value: Any) -> None:
        if value not in (None, ""):
            rows.append([item, str(value), None, None])

    title = document.get("title") or {}
    subject = document.get("subject") or {}
    period = document.get("period") or {}
    log = document.get("log") or {}
    text("报告 Report", " ".join(v for v in (title.get("zh"), title.get("en")) if v))
    text("对象 Subject", " ".join(v for v in (subject.get("name"), subject.get("id")) if v))
    for key, label in (("start", "期间开始 Period start"), ("end", "期间结束 Period end")):
        value = period.get(key)
        text(label, value.isoformat() if isinstance(value, date) else value)
    text("规则集 Rule set", (document.get("rule_set") or {}).get("ref"))
    if isinstance(log.get("tree_size"), int):
        rows.append(["账本树大小 Tree size", None, log["tree_size"], None])
    text("根哈希 Root", log.get("root"))
    if log.get("time"):
        text("账本时间 Log time (UTC+8)", china_time(log["time"]))
    for table in tables:
        rows.append([f"{table.title_zh}：行数 Lines ({table.name})", None, len(table.rows), None])
        for currency, cells in table_totals(table):
            for i, value in cells.items():
                col = table.columns[i]
                item = f"{table.title_zh}：合计 {col.title_zh}" + (f" ({currency})" if currency else "")
                rows.append([item, None, None, value] if col.kind == "money" else [item, None, value, None])
    return Table(SUMMARY_SHEET, "摘要", "Summary", _SUMMARY_COLUMNS, rows, totals=False)


CHINA = timezone(timedelta(hours=8))


def china_time(value: str | datetime, seconds: bool = True) -> str:
    """A log time (RFC 3339, UTC) as China time: ``2027-06-15 18:00:00 (UTC+8)``."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value
    if moment.tzinfo is None:
        raise ValueError("a naive time cannot be shown as China time")
    local = moment.astimezone(CHINA)
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M") + " (UTC+8)"


def _absolute(area: str) -> str:
    """``A1:F5`` -> ``$A$1:$F$5``."""
    return ":".join(re.sub(r"^([A-Z]+)(\d+)$", r"$\1$\2", ref) for ref in area.split(":"))


def _zip_entry(name: str) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.external_attr = 0o644 << 16
    return entry


def _column_letter(i: int) -> str:
    letters = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
