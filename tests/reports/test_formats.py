"""CSV, XLSX and JSON writers: money from integer fen, BOM for Excel, no formulas, no floats."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import openpyxl
import pytest

from ledger.errors import LedgerError
from reports.formats import Column, Money, Table, table_csv, to_json_bytes, workbook_xlsx
from tests.reports.filecheck import csv_rows, xlsx_rows

COLUMNS = (
    Column("received_on", "收款日期", "Received on", "date"),
    Column("amount", "金额", "Amount", "money"),
    Column("payee", "收款人", "Payee"),
    Column("count", "笔数", "Count", "int"),
    Column("share", "占比", "Share", "bp"),
    Column("restricted", "定向", "Restricted", "bool"),
)
ROWS = [
    (date(2026, 1, 5), Money(123450), "深圳市某某社工服务中心", 3, 7000, True),
    (date(2026, 2, 28), Money(-99), '=HYPERLINK("http://evil","x")', 0, -5, False),
    (None, Money(10**13), "+86 755 0000", 1_000_000, 10_000, None),
    (date(2026, 3, 1), Money(1), "@SUM(A1)", 1, 1, True),
]


def table() -> Table:
    return Table("lines", "明细", "Lines", COLUMNS, ROWS)


def test_money_value() -> None:
    assert str(Money(123450)) == "1234.50"
    assert str(Money(-5)) == "-0.05"
    assert Money(123456789).grouped() == "1,234,567.89"
    assert Money(-123456789).grouped() == "-1,234,567.89"
    assert Money(1234, "JPY").grouped() == "1,234" and str(Money(1234, "JPY")) == "1234"
    assert Money(123450).decimal() == Decimal("1234.50")
    with pytest.raises(TypeError):
        Money(12.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(True)  # type: ignore[arg-type]
    with pytest.raises(LedgerError):
        Money(1, "BTC")


def test_table_checks_cells() -> None:
    with pytest.raises(TypeError, match="column amount"):
        Table("t", "t", "t", COLUMNS[:2], [(date(2026, 1, 1), 100)])  # fen not wrapped in Money
    with pytest.raises(TypeError):
        Table("t", "t", "t", COLUMNS[:1], [(datetime(2026, 1, 1),)])
    with pytest.raises(ValueError, match="cells"):
        Table("t", "t", "t", COLUMNS[:2], [(date(2026, 1, 1),)])
    with pytest.raises(ValueError):
        Table("Bad Name", "t", "t", COLUMNS, [])


def test_csv_bom_crlf_and_cells() -> None:
    data = table_csv(table())
    assert data.startswith("\ufeff".encode("utf-8"))
    assert b"\r\n" in data and data.endswith(b"\r\n")
    head, rows = csv_rows(data)
    assert head == [
        "收款日期 received_on",
        "金额 amount",
        "收款人 payee",
        "笔数 count",
        "占比 share",
        "定向 restricted",
    ]
    assert rows[0] == ["2026-01-05", "1234.50", "深圳市某某社工服务中心", "3", "70.00", "true"]
    assert rows[1][1] == "-0.99" and rows[1][4] == "-0.05"  # numbers are never defused
    assert rows[1][2].startswith("'=HYPERLINK")  # text that would be a formula
    assert rows[2] == ["", "100000000000.00", "'+86 755 0000", "1000000", "100.00", ""]
    assert rows[3][2] == "'@SUM(A1)"


def test_xlsx_money_is_numeric_from_fen_and_text_is_never_a_formula() -> None:
    data = workbook_xlsx([table()], title="测试")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["lines"]
    assert ws.freeze_panes == "A2"
    amount = ws["B2"]
    assert amount.data_type == "n" and amount.number_format == "#,##0.00"
    assert Decimal(str(amount.value)) == Money(123450).decimal()
    assert Decimal(str(ws["B4"].value)).quantize(Decimal("0.01")) == Decimal("100000000000.00")
    assert ws["C3"].data_type == "s" and ws["C3"].value.startswith("=HYPERLINK")
    assert ws["E2"].number_format == "0.00%" and Decimal(str(ws["E2"].value)) == Decimal("0.7")
    assert ws["A2"].value.date() == date(2026, 1, 5) and ws["A2"].number_format == "yyyy-mm-dd"
    assert ws["F2"].value is True and ws["A4"].value is None
    # the XML holds the exact decimal text, not a binary artefact like 1234.4999999
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<v>1234.5</v>" in sheet and "<v>100000000000</v>" in sheet and "<f>" not in sheet


def test_xlsx_bytes_depend_only_on_input() -> None:
    as_of = datetime(2026, 1, 5, 8, 0, tzinfo=timezone(timedelta(hours=8)))
    a = workbook_xlsx([table()], as_of=as_of)
    b = workbook_xlsx([table()], as_of=as_of)
    assert a == b
    with zipfile.ZipFile(io.BytesIO(a)) as z:
        core = z.read("docProps/core.xml").decode()
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in z.infolist())
    assert core.count("2026-01-05T00:00:00Z") == 2
    head, rows = xlsx_rows(a, "lines")
    assert head[1] == "金额 amount" and len(rows) == len(ROWS)


def test_xlsx_parts_are_well_formed_and_filters_are_defined() -> None:
    import xml.etree.ElementTree as ET

    second = Table("more", "更多", "More", COLUMNS[:2], [(date(2026, 1, 1), Money(1234, "JPY"))])
    data = workbook_xlsx([table(), second], title="标题 <&>")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            ET.fromstring(z.read(name))  # every part parses as XML
        workbook = z.read("xl/workbook.xml").decode()
    assert "'lines'!$A$1:$F$5" in workbook and "'more'!$A$1:$B$2" in workbook
    wb = openpyxl.load_workbook(io.BytesIO(data))  # full load: styles, names, filters
    assert wb.sheetnames == ["lines", "more"] and wb.properties.title == "标题 <&>"
    assert wb["lines"].auto_filter.ref == "A1:F5" and wb["more"].freeze_panes == "A2"
    assert wb["more"]["B2"].value == 1234 and wb["more"]["B2"].number_format == "#,##0"
    assert wb["lines"]["A1"].font.b and wb["lines"].column_dimensions["B"].width == 16


def test_xlsx_of_no_tables_is_still_a_workbook() -> None:
    wb = openpyxl.load_workbook(io.BytesIO(workbook_xlsx([])))
    assert wb.sheetnames == ["empty"]


def test_json_conventions() -> None:
    doc = {
        "org": "深圳市测试慈善基金会",
        "raised": Money(123450),
        "on": date(2026, 1, 5),
        "at": datetime(2026, 1, 5, 8, 0, 0, 123456, tzinfo=UTC),
        "ratios": [7000, None, True],
        "lines": table(),
    }
    data = to_json_bytes(doc)
    text = data.decode("utf-8")
    assert "深圳市测试慈善基金会" in text and data.endswith(b"}\n")
    parsed = json.loads(text)
    assert list(parsed) == sorted(parsed)
    assert parsed["raised"] == "1234.50" and parsed["on"] == "2026-01-05" and parsed["at"] == "2026-01-05T08:00:00.123Z"
    assert parsed["lines"]["rows"][0] == ["2026-01-05", "1234.50", "深圳市某某社工服务中心", 3, 7000, True]
    assert parsed["lines"]["rows"][1][2] == '=HYPERLINK("http://evil","x")'  # JSON keeps the text as is
    assert [c["kind"] for c in parsed["lines"]["columns"]] == ["date", "money", "text", "int", "bp", "bool"]
    assert to_json_bytes(doc) == data


@pytest.mark.parametrize(
    "bad",
    [
        {"x": 1.5},
        {"x": [1, {"y": 0.1}]},
        {"x": datetime(2026, 1, 1)},
        {1: "a"},
        {"x": object()},
    ],
)
def test_json_refuses_floats_naive_times_and_unknown_types(bad: dict) -> None:
    with pytest.raises(TypeError):
        to_json_bytes(bad)
