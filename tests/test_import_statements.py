"""Bank and platform statements as downloaded (tests/fixtures/statements, synthetic data): what
is recorded as a donation (and what is not), where the names go, and that nothing personal
reaches the log."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from ledger import cli
from ledger.errors import LedgerError
from ledger.protocol.keys import write_key_file
from ledger.services.importer import RowClass, import_donations, read_statement
from ledger.store.donors import DonorStore, load_privacy_key
from ledger.store.export import export_log
from tests.support.ledger_factory import ORIGIN, LedgerFactory
from tests.test_client import DIRECTED, World, build_world, k

FIXTURES = Path(__file__).parent / "fixtures" / "statements"

# what each statement must give: the donations (line, amount, donor type, public note), the
# personal data kept for each (donor store only), the rows skipped with their class, the
# remarks left out, and everything that must never appear in the log
EXPECTED: dict[str, dict[str, Any]] = {
    "cmb": {
        "donations": [
            (9, "1000.00", "individual", "爱心捐款", {"name": "张伟明"}),
            (10, "50000.00", "enterprise", "助老项目定向捐赠", {"name": "深圳市示例科技有限公司"}),
            (11, "500.00", "individual", None, {"name": "李秀英"}),
            (16, "3000.00", "foundation", "捐赠", {"name": "深圳市示例公益基金会"}),
            (17, "300.00", "individual", None, {"name": "陈静"}),
        ],
        "dates": ["2025-03-01", "2025-03-03", "2025-03-05", "2025-03-25", "2025-03-28"],
        "skipped": [
            (8, "balance", None),
            (12, "outgoing", "2000.00"),
            (13, "fee", "15.00"),
            (14, "interest", "23.56"),
            (15, "refund", "200.00"),
            (18, "refund", "1200.00"),
            (19, "subtotal", None),
        ],
        "dropped": [(11, "personal_name"), (17, "personal_name")],
        "channel": "bank_transfer",
        "never": [
            "张伟明",
            "李秀英",
            "陈静",
            "王建国",
            "深圳市示例科技有限公司",
            "深圳市示例公益基金会",
            "深圳市示例社工服务中心",
            "13912345678",
            "6222021234567890128",
            "6217001234567890123",
            "755900001111222",
            "755912345678901",
        ],
    },
    "icbc": {
        "donations": [
            (7, "2000.00", "enterprise", "公益捐赠", {"name": "深圳市示例贸易集团"}),
            (8, "88.88", "individual", None, {"name": "赵敏"}),
            (10, "666.00", "individual", None, {"name": "刘洋"}),
            (14, "20.00", "anonymous", None, {}),
        ],
        "dates": ["2025-03-02", "2025-03-06", "2025-03-12", "2025-03-30"],
        "skipped": [
            (9, "outgoing", "500.00"),
            (11, "interest", "5.21"),
            (12, "fee", "2.00"),
            (13, "refund", "66.00"),
            (15, "subtotal", None),
        ],
        "dropped": [(8, "personal_name"), (10, "personal_name")],
        "channel": "bank_transfer",
        "never": [
            "赵敏",
            "刘洋",
            "深圳市示例贸易集团",
            "深圳市示例电商有限公司",
            "liuyang@example.com",
            "6212261234567890123",
            "4000023109200654321",
            "4000023109200123456",
        ],
    },
    "alipay": {
        "donations": [
            (6, "100.00", "individual", None, {"name": "孙丽"}),
            (7, "1000.00", "individual", None, {"name": "周杰", "phone": "13800138000"}),
            (8, "5000.00", "enterprise", "企业年度公益捐赠", {"name": "深圳市示例网络科技有限公司"}),
            (12, "50.00", "individual", None, {"name": "吴*"}),
        ],
        "dates": ["2025-03-01", "2025-03-02", "2025-03-05", "2025-03-15"],
        "skipped": [(9, "fee", "0.60"), (10, "outgoing", "2000.00"), (11, "refund", "100.00")],
        "dropped": [(7, "personal_name")],
        "channel": "online_platform",
        "never": [
            "孙丽",
            "周杰",
            "吴*",
            "深圳市示例网络科技有限公司",
            "13800138000",
            "sunli@example.com",
            "finance@example.com",
            "20250301200040011100560000000001",
            "20880012345678900156",
        ],
    },
}


@pytest.fixture
def world(factory: LedgerFactory) -> World:
    return build_world(factory)


def statement(name: str) -> bytes:
    return (FIXTURES / f"{name}.csv").read_bytes()


def run(world: World, raw: bytes, **kwargs: Any):
    kwargs.setdefault("project", DIRECTED)
    return import_donations(world.fundraiser, raw, file="statement.csv", **kwargs)


def exported_log(world: World, folder: Path) -> bytes:
    """Every byte of the published log (export_log's files), and the JSON-decoded text of each entry."""
    export_log(world.ledger.log, folder)
    raw = b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())
    lines = (folder / "entries.jsonl").read_bytes().splitlines()
    decoded = "\n".join(json.dumps(json.loads(line), ensure_ascii=False) for line in lines)
    return raw + b"\n" + decoded.encode("utf-8")


def test_the_fixtures_are_gbk_with_title_rows_above_the_table() -> None:
    for name in EXPECTED:
        raw = statement(name)
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        assert read_statement(raw, project=DIRECTED, preset=name).encoding == "gb18030"
        assert read_statement(raw, project=DIRECTED, preset=name).header_line > 1


@pytest.mark.parametrize("name", list(EXPECTED))
def test_a_statement_imports_as_downloaded(world: World, name: str, tmp_path: Path) -> None:
    expected = EXPECTED[name]
    size = world.size()
    raised_before = world.fund().raised_minor
    report = run(world, statement(name), preset=name, drop_personal_text=True)
    assert report.ok and report.written, report.to_json()
    # exactly the donation rows, with their amounts in integer fen
    assert [i.line for i in report.imported] == [d[0] for d in expected["donations"]]
    assert world.size() == size + len(expected["donations"])
    fen = sum(int(d[1].replace(".", "")) for d in expected["donations"])
    assert world.fund().raised_minor - raised_before == fen
    entries = {i.seq: json.loads(world.ledger.log.leaf(i.seq))["body"]["data"] for i in report.imported}
    got = [
        (i.line, entries[i.seq]["amount"], entries[i.seq]["donor_type"], entries[i.seq].get("note"))
        for i in report.imported
    ]
    assert got == [d[:4] for d in expected["donations"]]
    assert [entries[i.seq]["received_on"] for i in report.imported] == expected["dates"]
    assert {entries[i.seq]["channel"] for i in report.imported} == {expected["channel"]}
    # the other rows are listed with their class, never recorded
    assert [(s.line, str(s.row_class), s.amount) for s in report.skipped] == expected["skipped"]
    assert report.classes["donation"] == len(expected["donations"])
    assert sum(report.classes.values()) == report.rows
    # remarks with personal data were left out, and the report says which and why (not what)
    assert [(d.line, d.kind) for d in report.dropped] == expected["dropped"]
    # the names (people and companies alike) went to the donor store only
    store = DonorStore(world.ledger.engine, load_privacy_key(world.ledger.settings))
    assert [store.get(i.seq).personal for i in report.imported] == [d[4] for d in expected["donations"]]
    published = exported_log(world, tmp_path / "export")
    for value in expected["never"]:
        assert value.encode("utf-8") not in published, value
    as_json = json.dumps(report.to_json(), ensure_ascii=False)
    for value in expected["never"]:
        if not value.isdigit() or len(value) < 20:  # the report names lines, never the data
            assert value not in as_json, value
    # importing the same file again adds nothing
    again = run(world, statement(name), preset=name, drop_personal_text=True)
    assert len(again.already) == len(expected["donations"]) and world.size() == size + len(expected["donations"])


@pytest.mark.parametrize("name", list(EXPECTED))
def test_without_drop_the_remarks_with_personal_data_refuse_their_rows(world: World, name: str) -> None:
    size = world.size()
    report = run(world, statement(name), preset=name)
    assert not report.ok and not report.written and world.size() == size
    dropped_lines = [line for line, _kind in EXPECTED[name]["dropped"]]
    assert [(b.line, b.code) for b in report.bad] == [(line, "personal_data_in_text") for line in dropped_lines]
    for bad in report.bad:
        assert "--drop-personal-text" in bad.reason and "--drop-personal-text" in bad.reason_zh
        for value in EXPECTED[name]["never"]:
            assert value not in bad.reason + bad.reason_zh
    # with --skip-bad the other donations are written, the refused ones are not
    written = run(world, statement(name), preset=name, skip_bad=True)
    assert [i.line for i in written.imported] == [
        d[0] for d in EXPECTED[name]["donations"] if d[0] not in dropped_lines
    ]


def test_the_wrong_preset_is_named(world: World) -> None:
    with pytest.raises(LedgerError) as info:
        run(world, statement("alipay"), preset="cmb")
    assert info.value.code == "import_file_invalid" and "China Merchants Bank" in info.value.message_en
    assert "--preset" in info.value.message_en and "--preset" in info.value.message_zh


def test_without_a_preset_a_bank_export_needs_the_channel(world: World) -> None:
    """The generic reader knows CMB's columns too (摘要 and 交易类型 are both read for the class);
    without --preset it asks for the channel, and says a preset would give it."""
    with pytest.raises(LedgerError) as info:
        run(world, statement("cmb"))
    assert info.value.code == "import_file_invalid" and "--preset" in info.value.message_en
    report = run(world, statement("cmb"), channel="bank_transfer", drop_personal_text=True)
    assert report.ok and len(report.imported) == 5


# --- classes, directions and donors, row by row ---------------------------------------------------


def make_csv(header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def classes(raw: bytes, **kw: Any) -> list[tuple[int, str]]:
    s = read_statement(raw, project=DIRECTED, channel="bank_transfer", **kw)
    out = [(r.line, "donation") for r in s.rows] + [(x.line, str(x.row_class)) for x in s.skipped]
    out += [(b.line, f"bad:{b.code}") for b in s.bad]
    return sorted(out)


def test_a_direction_column_with_one_amount_column() -> None:
    raw = make_csv(
        ["日期", "借/贷", "金额", "摘要"],
        [
            ["2025-03-01", "贷", "100.00", "转账"],
            ["2025-03-02", "借", "100.00", "转账"],
            ["2025-03-03", "收入", "5.00", "利息"],
            ["2025-03-04", "支出", "1.00", "手续费"],
            ["2025-03-05", "其他", "1.00", "转账"],
        ],
    )
    assert classes(raw) == [(2, "donation"), (3, "outgoing"), (4, "interest"), (5, "fee"), (6, "bad:row_invalid")]


def test_signed_amounts_and_amount_spellings() -> None:
    raw = make_csv(
        ["交易日期", "交易金额", "交易摘要"],
        [
            ["2025/3/1", "+1,234.50元", "转账存入"],
            ["20250302", "-20.00", "消费"],
            ["2025年3月3日", "￥66.00", "转账存入"],
            ["2025-03-04", "\u22128.00", "转账"],  # the minus sign U+2212
        ],
    )
    s = read_statement(raw, project=DIRECTED, channel="bank_transfer")
    assert [(r.line, r.data["amount"], r.data["received_on"]) for r in s.rows] == [
        (2, "1234.50", "2025-03-01"),
        (4, "66.00", "2025-03-03"),
    ]
    assert [(x.line, str(x.row_class), x.amount) for x in s.skipped] == [
        (3, "outgoing", "20.00"),
        (5, "outgoing", "8.00"),
    ]


@pytest.mark.parametrize(
    "summary, expected",
    [
        ("结息", "interest"),
        ("存款利息", "interest"),
        ("汇划手续费", "fee"),
        ("账户管理费", "fee"),
        ("短信服务费", "fee"),
        ("退款", "refund"),
        ("冲正", "refund"),
        ("退汇", "refund"),
        ("网银转账", "donation"),
        ("爱心捐赠", "donation"),
    ],
)
def test_keywords_of_the_transaction_type(summary: str, expected: str) -> None:
    raw = make_csv(["日期", "收入", "支出", "摘要"], [["2025-03-01", "10.00", "", summary]])
    assert classes(raw) == [(2, expected)]


def test_totals_balances_and_lines_without_a_transaction() -> None:
    raw = make_csv(
        ["日期", "收入", "支出", "摘要"],
        [
            ["2025-03-01", "", "", "期初余额"],
            ["2025-03-01", "10.00", "", "转账"],
            ["合计", "10.00", "0.00", ""],
            ["", "10.00", "", "本页小计"],
            ["导出时间 2025-04-01", "", "", ""],
            ["2025-03-31", "", "", "期末余额 10.00"],
        ],
    )
    assert classes(raw) == [
        (2, "balance"),
        (3, "donation"),
        (4, "subtotal"),
        (5, "subtotal"),
        (6, "text"),
        (7, "balance"),
    ]


def test_a_row_with_both_sides_or_no_amount_is_a_bad_row() -> None:
    raw = make_csv(["日期", "收入", "支出"], [["2025-03-01", "10.00", "5.00"], ["2025-03-02", "0.00", "--"]])
    s = read_statement(raw, project=DIRECTED, channel="bank_transfer")
    assert [(b.line, b.reason) for b in s.bad] == [
        (2, "the row has an amount in both the credit (收入/贷方) and the debit (支出/借方) column"),
        (3, "the amount is missing"),
    ]


@pytest.mark.parametrize(
    "payer, credit_code, expected",
    [
        ("深圳市示例科技有限公司", "", "enterprise"),
        ("示例集团", "", "enterprise"),
        ("招商银行深圳分行", "", "enterprise"),
        ("深圳市示例慈善基金会", "", "foundation"),
        ("Example Trading Co., Ltd.", "", "enterprise"),
        ("示例商行（个体）", "", "enterprise"),
        ("张三", "", "individual"),
        ("", "", "anonymous"),
        ("深圳市示例", "91440300MA5G00000", "enterprise"),
        ("深圳市示例", "53440300MJL00001A", "foundation"),
    ],
)
def test_an_organisation_payer_is_not_anonymous(payer: str, credit_code: str, expected: str) -> None:
    from ledger.domain.uscc import make_uscc

    code = make_uscc(credit_code[:17]) if credit_code else ""
    raw = make_csv(["日期", "收入", "对方户名", "统一社会信用代码"], [["2025-03-01", "10.00", payer, code]])
    s = read_statement(raw, project=DIRECTED, channel="bank_transfer")
    assert [r.data["donor_type"] for r in s.rows] == [expected], s.bad
    personal = s.rows[0].personal
    assert personal.get("name") == (payer or None) and personal.get("id_number") == (code or None)


def test_an_organisation_without_a_fitting_donor_type_asks_for_one() -> None:
    raw = make_csv(
        ["日期", "收入", "对方户名", "捐赠人类型"],
        [["2025-03-01", "10.00", "深圳市示例慈善协会", ""], ["2025-03-02", "10.00", "深圳市示例慈善协会", "企业"]],
    )
    s = read_statement(raw, project=DIRECTED, channel="bank_transfer")
    assert [(b.line, b.code) for b in s.bad] == [(2, "donor_type_undecided")]
    assert "捐赠人类型" in s.bad[0].reason and "捐赠人类型" in s.bad[0].reason_zh
    assert [(r.line, r.data["donor_type"]) for r in s.rows] == [(3, "enterprise")]


def test_other_organisations_can_be_typed_for_the_whole_file() -> None:
    raw = make_csv(
        ["日期", "收入", "对方户名"], [["2025-03-01", "10.00", "深圳市示例慈善协会"], ["2025-03-02", "10.00", "王芳"]]
    )
    s = read_statement(raw, project=DIRECTED, channel="bank_transfer", organisation_donor_type="enterprise")
    assert [(r.line, r.data["donor_type"]) for r in s.rows] == [(2, "enterprise"), (3, "individual")]
    with pytest.raises(LedgerError) as info:
        read_statement(raw, project=DIRECTED, channel="bank_transfer", organisation_donor_type="individual")
    assert info.value.code == "import_file_invalid" and "--organisation-donor-type" in info.value.message_en


def test_a_preset_keeps_its_own_columns_when_another_would_clash() -> None:
    """An ICBC export with a 用途 column beside 附言: the preset reads 附言 as the remark and
    ignores 用途 with a warning, instead of refusing the file."""
    text = statement("icbc").decode("gb18030")
    text = text.replace("对方账号,附言\r\n", "对方账号,附言,用途\r\n")
    s = read_statement(text.encode("gb18030"), project=DIRECTED, preset="icbc", drop_personal_text=True)
    assert any("用途" in w for w in s.warnings) and len(s.rows) == 4


def test_an_alipay_payer_known_by_a_phone_number_only_is_an_individual() -> None:
    text = statement("alipay").decode("gb18030").replace("吴*", "139****0000")
    s = read_statement(text.encode("gb18030"), project=DIRECTED, preset="alipay", drop_personal_text=True)
    row = next(r for r in s.rows if r.line == 12)
    assert row.data["donor_type"] == "individual" and row.personal == {"phone": "139****0000"}


def test_a_remark_naming_the_payer_of_another_row_is_caught() -> None:
    raw = make_csv(
        ["日期", "收入", "对方户名", "附言"],
        [["2025-03-01", "10.00", "欧阳娜娜", "助学"], ["2025-03-02", "10.00", "", "转欧阳娜娜的心意"]],
    )
    s = read_statement(raw, project=DIRECTED, channel="bank_transfer")
    assert [(b.line, b.code) for b in s.bad] == [(3, "personal_data_in_text")]


# --- the command ----------------------------------------------------------------------------------


def test_cli_import_with_a_preset(world: World, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARITY_LEDGER_ORIGIN", ORIGIN)
    key_file = tmp_path / "fundraiser.key"
    write_key_file(k("fundraiser"), key_file)
    file = tmp_path / "招商银行交易明细.csv"
    file.write_bytes(statement("cmb"))
    base = [
        "--home",
        str(world.factory.home),
        "import",
        "donations",
        str(file),
        "--key",
        str(key_file),
        "--project",
        DIRECTED,
        "--preset",
        "cmb",
    ]
    size = world.size()

    assert cli.main(base) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["bad"] == 2 and world.size() == size
    assert "line 11:" in captured.err and "--drop-personal-text" in captured.err and "李秀英" not in captured.err

    assert cli.main([*base, "--drop-personal-text"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert (out["imported"], out["skipped"], out["dropped_text"], out["preset"]) == (5, 7, 2, "cmb")
    assert out["classes"] == {
        "donation": 5,
        "interest": 1,
        "fee": 1,
        "refund": 2,
        "outgoing": 1,
        "subtotal": 1,
        "balance": 1,
    }
    assert (
        "line 14: skipped [interest] 23.56" in captured.err and "第 14 行：已跳过（银行利息，不是捐赠）" in captured.err
    )
    assert "line 11: the note held a person's name; it was left out of the log" in captured.err
    assert world.size() == size + 5
    assert RowClass.INTEREST.value == "interest"
