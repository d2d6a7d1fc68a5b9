"""The bank presets added for the workbench's wizard (CCB, ABC, BOC, BOCOM) read a synthetic
export of each bank's known layout, in GB18030 with a title row and a totals line: a donation,
interest, a fee; and a file of another bank is refused with the missing columns named."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.errors import LedgerError
from ledger.services.importer import RowClass, read_statement

DAY = date(2026, 3, 20)
LAYOUTS = {
    "ccb": (
        "交易时间,借方发生额（支取）,贷方发生额（收入）,余额,币种,对方户名,对方账号,对方开户机构,记账日期,摘要,备注,账户明细编号-交易流水号",
        [
            "2026-03-20 10:00:00,,500.00,1500.00,人民币,张伟,6217000000000000,建设银行,20260320,转账存入,助学,CCB-1",
            "2026-03-20 10:00:00,,3.21,1503.21,人民币,,,,20260320,结息,,CCB-2",
            "2026-03-20 10:00:00,1.50,,1501.71,人民币,,,,20260320,手续费,,CCB-3",
        ],
    ),
    "abc": (
        "交易时间,收入金额,支出金额,本次余额,手续费总额,交易方式,交易行名,交易类别,对方省市,对方账号,对方户名,交易说明,交易摘要,交易附言,交易流水号",
        [
            "20260320 100000,500.00,,1500.00,0,转账,农行,转账,广东,6228,张伟,转账,转账,助学,ABC-1",
            "20260320 100000,3.21,,1503.21,0,,,,,,,结息,利息,,ABC-2",
            "20260320 100000,,1.50,1501.71,1.50,,,,,,,收费,手续费,,ABC-3",
        ],
    ),
    "boc": (
        "交易类型,业务类型,付款人开户行号,付款人开户行名,付款人账号,付款人名称,收款人开户行行号,收款人开户行名,收款人账号,收款人名称,"
        "交易日期,交易时间,交易货币,交易金额,交易后余额,起息日期,汇率,交易流水号,客户申请号,客户业务编号,用途,备注,摘要",
        [
            "来账,转账,,,6217,张伟,,,7559,深圳市助学基金会,20260320,10:00:00,CNY,500.00,1500.00,,,BOC-1,,,助学,,转账",
            "来账,利息,,,,,,,7559,深圳市助学基金会,20260320,10:00:00,CNY,3.21,1503.21,,,BOC-2,,,,,结息",
            "往账,收费,,,7559,深圳市助学基金会,,,,,20260320,10:00:00,CNY,-1.50,1501.71,,,BOC-3,,,,,手续费",
        ],
    ),
    "bocom": (
        "交易时间,借贷标志,发生额,余额,对方户名,对方账号,对方开户行,摘要,附言,会计流水号",
        [
            "2026-03-20 10:00:00,贷,500.00,1500.00,张伟,6222,交通银行,转账,助学,BOCOM-1",
            "2026-03-20 10:00:00,贷,3.21,1503.21,,,,结息,,BOCOM-2",
            "2026-03-20 10:00:00,借,1.50,1501.71,,,,手续费,,BOCOM-3",
        ],
    ),
}


def statement(preset: str) -> bytes:
    header, rows = LAYOUTS[preset]
    columns = header.count(",")
    lines = ["账户交易明细", header, *rows, "合计" + "," * columns]
    return ("\r\n".join(lines) + "\r\n").encode("gb18030")


@pytest.mark.parametrize("preset", sorted(LAYOUTS))
def test_each_bank_preset_reads_its_export(preset: str) -> None:
    read = read_statement(statement(preset), project="P-1", preset=preset, today=DAY)
    assert read.encoding == "gb18030" and not read.bad, read.bad
    assert [(r.line, r.data["amount"], r.personal) for r in read.rows] == [(3, "500.00", {"name": "张伟"})]
    assert read.rows[0].data["channel"] == "bank_transfer" and read.rows[0].data.get("note") == "助学"
    assert [(s.line, s.row_class, s.amount, s.sign) for s in read.skipped] == [
        (4, RowClass.INTEREST, "3.21", "+"),
        (5, RowClass.FEE, "1.50", "-"),
        (6, RowClass.SUBTOTAL, None, ""),
    ]


def test_a_preset_refuses_another_banks_file() -> None:
    with pytest.raises(LedgerError) as refused:
        read_statement(statement("abc"), project="P-1", preset="bocom", today=DAY)
    assert refused.value.code == "import_file_invalid"
    assert "交通银行" in refused.value.message_zh
