"""Read back the data files of a report bundle, to check their figures agree with the JSON.

Each reader returns the rows of one table as lists of strings in the JSON's conventions (money
as decimal strings, dates ISO, ratios in basis points), so ``csv == xlsx == json`` compares
figures, not formatting.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import openpyxl

BOM = "\ufeff"


def json_table(data: bytes, name: str) -> tuple[list[dict[str, Any]], list[list[Any]]]:
    """(columns, rows) of a table in a report JSON."""
    table = json.loads(data)["tables"][name]
    return table["columns"], table["rows"]


def csv_rows(data: bytes) -> tuple[list[str], list[list[str]]]:
    text = data.decode("utf-8")
    assert text.startswith(BOM), "CSV files start with a byte order mark for Excel"
    rows = list(csv.reader(io.StringIO(text[1:], newline="")))
    titles, keys = rows[0], rows[1]  # Chinese titles for people, then the stable keys
    assert len(titles) == len(keys) and all(k.isascii() and k == k.lower() for k in keys)
    return [f"{t} {k}" for t, k in zip(titles, keys, strict=True)], rows[2:]


TOTAL = "合计 Total"


def xlsx_totals(data: bytes, sheet: str) -> list[list[Any]]:
    """The totals rows under a sheet's lines."""
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return [list(r) for r in wb[sheet].iter_rows(values_only=True) if any(str(c).startswith(TOTAL) for c in r if c)]


def xlsx_rows(data: bytes, sheet: str) -> tuple[list[str], list[list[Any]]]:
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    rows = [list(r) for r in wb[sheet].iter_rows(values_only=True) if not any(str(c).startswith(TOTAL) for c in r if c)]
    width = len(rows[0])
    # a row read back ends at its last non-empty cell: pad it to the header's width
    return [str(h) for h in rows[0]], [r + [None] * (width - len(r)) for r in rows[1:]]


def normalise(columns: list[dict[str, Any]], row: list[Any], source: str) -> list[Any]:
    """A row from CSV, XLSX or JSON in the JSON's terms."""
    out: list[Any] = []
    for col, value in zip(columns, row, strict=True):
        kind = col["kind"]
        if value is None or value == "":
            out.append(None)
        elif source == "json":
            out.append(value)
        elif kind == "money":
            out.append(f"{Decimal(str(value)):.2f}")
        elif kind == "date":
            out.append(value.date().isoformat() if isinstance(value, datetime) else str(value))
        elif kind == "bp":
            out.append(int((Decimal(str(value)) * (10_000 if source == "xlsx" else 100)).to_integral_value()))
        elif kind in ("int", "year"):
            assert source == "csv" or isinstance(value, int), f"{col['key']}: {value!r} is not a number"
            out.append(int(value))
        elif kind == "bool":
            out.append(value if isinstance(value, bool) else value == "true")
        else:
            text = str(value)
            if source == "csv" and text.startswith("'") and text[1:2] in ("=", "+", "-", "@", "\t", "\r"):
                text = text[1:]
            out.append(text)
    return out


def assert_tables_agree(files: dict[str, bytes], stem: str, name: str) -> list[list[Any]]:
    """The table ``name`` has the same figures in ``<stem>.json``, its CSV and the XLSX sheet."""
    columns, rows = json_table(files[f"{stem}.json"], name)
    head_csv, rows_csv = csv_rows(files[f"{stem}-{name}.csv"])
    head_xlsx, rows_xlsx = xlsx_rows(files[f"{stem}.xlsx"], name)
    assert [h.rsplit(" ", 1)[-1] for h in head_csv] == [c["key"] for c in columns]
    assert head_xlsx == head_csv
    want = [normalise(columns, r, "json") for r in rows]
    assert [normalise(columns, r, "csv") for r in rows_csv] == want
    assert [normalise(columns, r, "xlsx") for r in rows_xlsx] == want
    return want
