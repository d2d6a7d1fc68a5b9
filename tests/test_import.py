"""Importing bank and payment-platform statements: encodings, headers, bad rows, idempotency,
personal data kept out of the log."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from ledger import cli
from ledger.domain.privacy import parse_receipt_code, receipt_commitment, verify_commitment
from ledger.errors import LedgerError
from ledger.protocol.canonical import now
from ledger.protocol.entry import parse_leaf_json
from ledger.protocol.keys import write_key_file
from ledger.services.client import Client, HttpSink, LocalSink
from ledger.services.importer import (
    RowClass,
    _RowError,
    import_donations,
    parse_amount_text,
    parse_date,
    read_statement,
)
from ledger.store.donors import DonorStore, find_donation_by_receipt, load_privacy_key
from tests.support.ledger_factory import ORIGIN, LedgerFactory
from tests.test_client import DIRECTED, PUBLIC, World, build_world, k

ZH_HEADER = [
    "日期",
    "金额",
    "币种",
    "渠道",
    "捐赠人类型",
    "定向",
    "流水号",
    "捐赠人姓名",
    "证件号",
    "电话",
    "地址",
    "备注",
]
EN_HEADER = [
    "date",
    "amount",
    "currency",
    "channel",
    "donor_type",
    "restricted",
    "reference",
    "donor_name",
    "id_number",
    "phone",
    "address",
    "note",
]
ZHANG = ("张三丰", "110101199003074514", "13900001111", "深圳市福田区莲花路 88 号 3 栋 502")
LI = ("李秀英", "440304198805120027", "", "")


def make_csv(header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def good_rows() -> list[list[str]]:
    return [
        ["2026-01-05", "1,000.00", "人民币", "银行转账", "个人", "是", "BK20260105001", *ZHANG, "助餐捐款"],
        ["2026/1/6", "200", "CNY", "微信", "匿名", "否", "WX20260106002", "", "", "", "", ""],
        ["2026年1月7日", "5000.5", "", "对公转账", "企业", "", "BK20260107003", "", "", "", "", "深圳某科技公司"],
        ["20260108", "\uffe566.60", "", "支付宝", "", "定向", "AP20260108004", *LI, ""],
    ]


@pytest.fixture
def world(factory: LedgerFactory) -> World:
    return build_world(factory)


def run(world: World, raw: bytes, client: Client | None = None, **kwargs: Any):
    kwargs.setdefault("project", DIRECTED)
    return import_donations(client or world.fundraiser, raw, file="statement.csv", **kwargs)


def donations(world: World) -> list[dict[str, Any]]:
    out = []
    for raw in world.leaves():
        body = parse_leaf_json(raw)["body"]
        if body["type"] == "donation.received":
            out.append(body)
    return out


# --- encodings and headers ------------------------------------------------------------------------


@pytest.mark.parametrize("encoding, found", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030")])
@pytest.mark.parametrize("header", [ZH_HEADER, EN_HEADER], ids=["zh", "en"])
def test_statement_imports_in_every_encoding_and_header_language(
    world: World, encoding: str, found: str, header
) -> None:
    size = world.size()
    report = run(world, make_csv(header, good_rows(), encoding))
    assert report.ok and report.encoding == found and report.rows == 4
    assert [i.line for i in report.imported] == [2, 3, 4, 5]
    assert world.size() == size + 4
    data = [d["data"] for d in donations(world)]
    assert [(d["amount"], d["received_on"], d["channel"], d["donor_type"], d["restricted"]) for d in data] == [
        ("1000.00", "2026-01-05", "bank_transfer", "individual", True),
        ("200.00", "2026-01-06", "online_platform", "anonymous", False),
        ("5000.50", "2026-01-07", "bank_transfer", "enterprise", True),
        ("66.60", "2026-01-08", "online_platform", "individual", True),
    ]
    assert data[0]["note"] == "助餐捐款" and data[2]["note"] == "深圳某科技公司" and "note" not in data[1]
    assert world.fund().raised_minor == 100000 + 20000 + 500050 + 6660
    # the Chinese names went through the decoding intact, into the donor store only
    store = DonorStore(world.ledger.engine, load_privacy_key(world.ledger.settings))
    first, fourth = report.imported[0], report.imported[3]
    assert store.get(first.seq).personal == {
        "name": ZHANG[0],
        "id_number": ZHANG[1],
        "phone": ZHANG[2],
        "address": ZHANG[3],
    }
    assert store.get(fourth.seq).personal == {"name": LI[0], "id_number": LI[1]}
    assert store.get(report.imported[1].seq).personal == {}
    receipt = parse_receipt_code(first.receipt_code)
    assert receipt.seq == first.seq and verify_commitment(
        data[0]["commitment"], store.get(first.seq).personal, receipt.salt
    )
    # every imported donation commits to its receipt code's secret: the codes prove themselves against the log
    for item, entry in zip(report.imported, data, strict=True):
        assert entry["receipt"] == receipt_commitment(item.salt)
        assert find_donation_by_receipt(world.ledger.engine, item.receipt_code)[1]["seq"] == item.seq


def test_personal_data_never_reaches_the_log(world: World) -> None:
    report = run(world, make_csv(ZH_HEADER, good_rows()))
    assert report.ok
    leaves = b"\n".join(world.leaves())
    for value in (*ZHANG, LI[0], LI[1]):
        assert value.encode("utf-8") not in leaves, value
    # nor in plain text anywhere in the database: the donor store holds Fernet tokens
    db = Path(world.ledger.settings.home / "ledger.sqlite3").read_bytes()
    wal = Path(str(world.ledger.settings.home / "ledger.sqlite3") + "-wal")
    everything = db + (wal.read_bytes() if wal.exists() else b"")
    for value in (ZHANG[0], ZHANG[1], LI[1]):
        assert value.encode("utf-8") not in everything, value


def test_a_note_repeating_the_donors_name_is_refused(world: World) -> None:
    row = ["2026-01-05", "10.00", "", "现金", "个人", "是", "C1", ZHANG[0], "", "", "", f"{ZHANG[0]}捐款"]
    size = world.size()
    report = run(world, make_csv(ZH_HEADER, [row]))
    assert [(b.line, b.code) for b in report.bad] == [(2, "personal_data_in_text")] and world.size() == size
    bad = report.bad[0]
    assert "a person's name" in bad.reason and "--drop-personal-text" in bad.reason and "个人姓名" in bad.reason_zh
    assert ZHANG[0] not in bad.reason + bad.reason_zh
    # with --drop-personal-text the donation is recorded without the remark, and the report says so
    dropped = run(world, make_csv(ZH_HEADER, [row]), drop_personal_text=True)
    assert dropped.ok and len(dropped.imported) == 1
    assert [d.to_json()["kind"] for d in dropped.dropped] == ["personal_name"] and dropped.dropped[0].line == 2
    assert "note" not in donations(world)[-1]["data"]
    assert ZHANG[0].encode() not in b"".join(world.leaves())


def test_unknown_columns_are_ignored_with_a_warning(world: World) -> None:
    raw = make_csv(
        ["日期", "金额", "渠道", "余额", "对方账号", "柜员号"],
        [["2026-01-05", "10.00", "现金", "99999.00", "6222 0000", "G0042"]],
    )
    report = run(world, raw)
    assert report.ok and len(report.imported) == 1
    # columns a statement always has (balance, account numbers) are known and unused: no warning for them
    assert report.warnings == ["ignored columns (they never reach the log) / 已忽略的列（不会写入账本）: 柜员号"]
    assert b"6222 0000" not in b"".join(world.leaves()) and b"G0042" not in b"".join(world.leaves())


def test_channel_for_the_whole_file(world: World) -> None:
    raw = make_csv(["date", "amount"], [["2026-01-05", "10.00"]])
    with pytest.raises(LedgerError) as info:
        run(world, raw)
    assert info.value.code == "import_file_invalid" and "--channel" in info.value.message_en
    report = run(world, raw, channel="cheque")
    assert report.ok and donations(world)[-1]["data"]["channel"] == "cheque"


@pytest.mark.parametrize(
    "raw, detail",
    [
        (b"", "empty"),
        ("金额\n10.00\n".encode(), "日期/date"),
        ("日期,日期\n2026-01-01,2026-01-02\n".encode(), "two columns"),
        ("\ufeff日期,金额".encode("utf-16"), "UTF-16"),
        (b"date,amount,channel\n2026-01-05,10.00,cash\n\xff\xfe\xfa\n", "neither UTF-8 nor GB18030"),
    ],
)
def test_unreadable_files_are_refused_as_a_whole(world: World, raw: bytes, detail: str) -> None:
    with pytest.raises(LedgerError) as info:
        run(world, raw)
    assert info.value.code == "import_file_invalid" and detail in info.value.message_en


# --- bad rows ---------------------------------------------------------------------------------------


def bad_file() -> bytes:
    future = (now().date() + timedelta(days=3)).isoformat()
    return make_csv(
        ZH_HEADER,
        [
            ["2026-01-05", "100.00", "", "银行转账", "个人", "是", "R1", "", "", "", "", ""],  # line 2: good
            ["2026-01-05", "1e3", "", "银行转账", "个人", "是", "R2", "", "", "", "", ""],  # 3: exponent
            ["2026-01-05", "100.00", "", "信鸽", "个人", "是", "R3", "", "", "", "", ""],  # 4: unknown channel
            ["", "100.00", "", "现金", "个人", "是", "R4", "", "", "", "", ""],  # 5: no date
            ["2026-01-06", "50.00", "", "现金", "个人", "是", "R1", "", "", "", "", ""],  # 6: duplicate reference
            ["2026-01-06", "12.345", "", "现金", "个人", "是", "R6", "", "", "", "", ""],  # 7: 3 decimals
            ["2026-01-06", "-80.00", "", "现金", "个人", "是", "R7", "", "", "", "", ""],  # 8: outgoing: skipped
            [future, "80.00", "", "现金", "个人", "是", "R8", "", "", "", "", ""],  # 9: future
            ["2026-01-06", "80.00", "", "现金", "外星人", "是", "R9", "", "", "", "", ""],  # 10: donor type
            ["2026-01-06", "80.00", "", "现金", "个人", "也许", "R10", "", "", "", "", ""],  # 11: restricted
            ["2026-01-06", "1,00.00", "", "现金", "个人", "是", "R11", "", "", "", "", ""],  # 12: grouping
            [
                "2026-01-06",
                "80.00",
                "",
                "现金",
                "个人",
                "是",
                "R12",
                "王",
                "110101199003074515",
                "",
                "",
                "",
            ],  # 13: ID check
            ["2026-02-30", "80.00", "", "现金", "个人", "是", "R13", "", "", "", "", ""],  # 14: no such day
            ["2026-01-06", "80.00", "", "现金", "个人", "是", "R14", "", "", "", "", ""],  # 15: good
        ],
    )


def test_bad_rows_are_reported_by_line_and_nothing_is_written(world: World) -> None:
    size = world.size()
    report = run(world, bad_file())
    assert not report.ok and not report.written and report.imported == []
    assert world.size() == size
    reasons = {b.line: b.reason for b in report.bad}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14]
    assert "1e3" in reasons[3] and "exponent" in reasons[3]
    assert "unknown channel '信鸽'" in reasons[4]
    assert reasons[5] == "the date is missing"
    assert "duplicate reference 'R1': line 2" in reasons[6]
    assert "more than 2 decimals" in reasons[7]
    # a negative amount is money paid out: not a bad row, not a donation, listed as skipped
    assert [(r.line, r.row_class, r.amount) for r in report.skipped] == [(8, RowClass.OUTGOING, "80.00")]
    assert "in the future" in reasons[9]
    assert "unknown donor type '外星人'" in reasons[10]
    assert "restricted must be yes or no" in reasons[11]
    assert "'1,00.00'" in reasons[12]
    assert "check character" in reasons[13]
    assert "not a date in the calendar" in reasons[14]
    zh = {b.line: b.reason_zh for b in report.bad}
    assert zh[5] == "缺少日期" and "重复" in zh[6] and "信鸽" in zh[4]
    assert next(b for b in report.bad if b.line == 6).code == "duplicate_reference"
    assert report.would_import == 2


def test_skip_bad_writes_the_good_rows(world: World) -> None:
    report = run(world, bad_file(), skip_bad=True)
    assert report.written and [i.line for i in report.imported] == [2, 15]
    assert len(report.bad) == 11 and len(report.skipped) == 1
    assert [d["data"]["amount"] for d in donations(world)] == ["100.00", "80.00"]


def test_rule_refusals_are_found_before_writing(world: World) -> None:
    start = date.fromisoformat(
        parse_leaf_json(world.ledger.log.leaf(world.size() - 2))["body"]["data"]["plan"]["fundraising_start"]
    )
    before = (start - timedelta(days=5)).isoformat()
    raw = make_csv(
        ["日期", "金额", "渠道", "流水号"],
        [
            [start.isoformat(), "10.00", "网络平台", "A1"],
            [before, "10.00", "网络平台", "A2"],  # before the fundraising period
            [start.isoformat(), "10.00", "网络平台", "A3"],
        ],
    )
    size = world.size()
    report = run(world, raw, project=PUBLIC)
    assert [(b.line, b.code) for b in report.bad] == [(3, "outside_fundraising_period")]
    assert "fundraising" in report.bad[0].reason and report.bad[0].reason_zh
    assert world.size() == size
    assert run(world, raw, project=PUBLIC, skip_bad=True).would_import == 2
    assert world.size() == size + 2
    unknown = run(world, raw, project="NO-SUCH-PROJECT")
    assert {b.code for b in unknown.bad} == {"project_unknown"} and len(unknown.bad) == 3


def test_an_implementer_key_cannot_import_donations(world: World) -> None:
    report = run(world, make_csv(ZH_HEADER, good_rows()), client=world.implementer)
    assert {b.code for b in report.bad} == {"role_not_allowed"}
    assert not report.written


# --- idempotency ----------------------------------------------------------------------------------


def test_importing_the_same_file_twice_adds_nothing(world: World) -> None:
    raw = make_csv(ZH_HEADER, good_rows())
    first = run(world, raw)
    size = world.size()
    again = run(world, raw)
    assert again.ok and again.imported == [] and world.size() == size
    assert again.already == [(i.line, i.seq) for i in first.imported]
    # a re-encoded copy, with rows in another order, is the same statement
    shuffled = make_csv(EN_HEADER, list(reversed(good_rows())), "gb18030")
    assert run(world, shuffled).already and world.size() == size


def test_another_key_of_the_same_organisation_sees_the_earlier_import(world: World) -> None:
    raw = make_csv(ZH_HEADER, good_rows())
    run(world, raw)
    size = world.size()
    colleague = world.client(k("fundraiser-2"))
    report = run(world, raw, client=colleague)
    assert len(report.already) == 4 and world.size() == size


def test_rows_without_a_reference_are_told_apart_by_occurrence(world: World) -> None:
    rows = [["2026-01-05", "50.00", "现金"], ["2026-01-05", "50.00", "现金"], ["2026-01-05", "20.00", "现金"]]
    raw = make_csv(["日期", "金额", "渠道"], rows)
    assert len(run(world, raw).imported) == 3
    assert len(run(world, raw).already) == 3
    one_more = make_csv(["日期", "金额", "渠道"], [*rows, ["2026-01-05", "50.00", "现金"]])
    report = run(world, one_more)
    assert len(report.already) == 3 and [i.line for i in report.imported] == [5]


def test_a_reference_imported_with_other_facts_is_a_bad_row(world: World) -> None:
    run(world, make_csv(ZH_HEADER, good_rows()))
    changed = good_rows()
    changed[1][1] = "300.00"
    size = world.size()
    report = run(world, make_csv(ZH_HEADER, changed))
    assert [(b.line, b.code) for b in report.bad] == [(3, "already_imported_differently")]
    assert world.size() == size


def test_the_idem_reveals_no_personal_data(world: World) -> None:
    report = run(world, make_csv(ZH_HEADER, good_rows()))
    idems = [parse_leaf_json(world.ledger.log.leaf(i.seq))["body"]["idem"] for i in report.imported]
    assert all(i.startswith("import:") and len(i) == 71 for i in idems)
    statement = read_statement(make_csv(ZH_HEADER, good_rows()), project=DIRECTED)
    without_names = [[*r[:7], "", "", "", "", r[11]] for r in good_rows()]
    assert [r.idem for r in statement.rows] == [
        r.idem for r in read_statement(make_csv(ZH_HEADER, without_names), project=DIRECTED).rows
    ]


# --- batches ----------------------------------------------------------------------------------------


def test_large_statements_go_in_atomic_batches_of_1000(world: World) -> None:
    sink = LocalSink(world.ledger)
    calls: list[int] = []
    real = sink.append

    def counting(entries, **kw):  # type: ignore[no-untyped-def]
        calls.append(len(entries))
        return real(entries, **kw)

    sink.append = counting  # type: ignore[method-assign]
    client = Client(k("fundraiser"), ORIGIN, sink)
    rows = [["2026-01-05", f"{10 + i % 90}.{i % 100:02d}", "网络平台", f"T{i:05d}"] for i in range(2300)]
    report = run(world, make_csv(["日期", "金额", "渠道", "流水号"], rows), client=client)
    assert report.ok and len(report.imported) == 2300
    assert calls == [1000, 1000, 300]
    expected = sum(int(r[1].replace(".", "")) for r in rows)
    assert world.fund().raised_minor == expected and world.fund().donations_count == 2300


def test_import_over_http(world: World) -> None:
    """Through the real API app: entries in one batch, each donor's data by a signed request."""
    from litestar.testing import TestClient

    from api.config import ApiSettings
    from ledger.cli.app import create_app
    from ledger.store.donors import DonorStore, load_privacy_key

    with TestClient(create_app(world.ledger, api_settings=ApiSettings(write_rate=0))) as http:
        sink = HttpSink(str(http.base_url), client=http, sleep=lambda s: None)
        client = Client(k("fundraiser"), sink.origin(), sink)
        raw = make_csv(ZH_HEADER, good_rows())
        report = run(world, raw, client=client)
        assert report.ok and len(report.imported) == 4 and all(i.donor_stored for i in report.imported)
        data = [d["data"] for d in donations(world)]
        zhang = {"name": ZHANG[0], "id_number": ZHANG[1], "phone": ZHANG[2], "address": ZHANG[3]}
        assert verify_commitment(data[0]["commitment"], zhang, report.imported[0].salt)
        kept = DonorStore(world.ledger.engine, load_privacy_key(world.ledger.settings)).get(report.imported[0].seq)
        assert kept.personal == zhang and kept.salt == report.imported[0].salt
        size = world.size()
        again = run(world, raw, client=client)
        assert len(again.already) == 4 and world.size() == size


# --- parsing details --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, currency, expected",
    [
        ("1234.5", "CNY", "1234.50"),
        ("1,234.50", "CNY", "1234.50"),
        ("1,234,567", "CNY", "1234567.00"),
        ("¥100", "CNY", "100.00"),
        ("￥ 0.01", "CNY", "0.01"),
        ("007.10", "CNY", "7.10"),
        ("1000", "JPY", "1000"),
        (" 66 ", "CNY", "66.00"),
        ("100元", "CNY", "100.00"),
        ("1,234.50 元", "CNY", "1234.50"),
    ],
)
def test_amounts(text: str, currency: str, expected: str) -> None:
    assert parse_amount_text(text, currency) == expected


@pytest.mark.parametrize(
    "text",
    [
        "1e3",
        "1E3",
        "12.345",
        "1,00.00",
        "1.234,50",
        "1 000.00",
        "-5.00",
        "+5.00",
        "0",
        "0.00",
        "",
        "abc",
        "NaN",
        "inf",
        "12,5",
        "$100",
        "100美元",
        # digits of other scripts, which int() would convert
        "\u0661\u0662\u0663.00",
        "\uff11\uff12\uff13.00",
        "12\u0663.00",
        "1\u200b00.00",
        "1" * 40,
    ],
)
def test_amounts_refused(text: str) -> None:
    with pytest.raises(_RowError):
        parse_amount_text(text, "CNY")


def test_jpy_has_no_decimals() -> None:
    with pytest.raises(_RowError):
        parse_amount_text("1000.5", "JPY")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-01-05", "2026-01-05"),
        ("2026/1/5", "2026-01-05"),
        ("2026.01.05", "2026-01-05"),
        ("20260105", "2026-01-05"),
        ("2026年1月5日", "2026-01-05"),
        ("2026-01-05 14:22:31", "2026-01-05"),
        ("2026/01/05 09:00", "2026-01-05"),
        ("2026年1月5日 14:22", "2026-01-05"),
    ],
)
def test_dates(text: str, expected: str) -> None:
    assert parse_date(text, date(2026, 6, 1)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "05/01/2026",
        "1/5/2026",
        "2026-13-01",
        "2026-02-29",
        "yesterday",
        "2026-1",
        "\uff12\uff10\uff12\uff16-01-05",
        "\u0662\u0660\u0662\u0666-01-05",
        "2026年\uff11月5日",
        "20260105\u0661",
    ],
)
def test_dates_refused(text: str) -> None:
    with pytest.raises(_RowError):
        parse_date(text, date(2026, 6, 1))


# --- the command ----------------------------------------------------------------------------------


@pytest.fixture
def charity_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARITY_LEDGER_ORIGIN", ORIGIN)


def test_cli_import(world: World, tmp_path: Path, capsys, charity_cli) -> None:
    key_file = tmp_path / "fundraiser.key"
    write_key_file(k("fundraiser"), key_file)
    statement = tmp_path / "statement.csv"
    statement.write_bytes(bad_file())
    home = str(world.factory.home)
    base = ["--home", home, "import", "donations", str(statement), "--key", str(key_file), "--project", DIRECTED]
    size = world.size()

    assert cli.main(base) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["bad"] == 11 and world.size() == size
    assert "line 3:" in captured.err and "第 3 行" in captured.err and "import_has_bad_rows" in captured.err

    assert cli.main([*base, "--skip-bad", "--dry-run"]) == 0
    assert json.loads(capsys.readouterr().out)["would_import"] == 2 and world.size() == size

    receipts = tmp_path / "receipts.csv"
    assert cli.main([*base, "--skip-bad", "--receipts", str(receipts)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["imported"], out["written"]) == (2, True) and world.size() == size + 2
    assert stat.S_IMODE(os.stat(receipts).st_mode) == 0o600
    lines = list(csv.DictReader(receipts.open(encoding="utf-8")))
    assert [row["line"] for row in lines] == ["2", "15"]
    assert parse_receipt_code(lines[0]["receipt_code"]).seq == int(lines[0]["seq"])

    assert cli.main([*base, "--skip-bad"]) == 0
    assert json.loads(capsys.readouterr().out)["already_imported"] == 2 and world.size() == size + 2


def test_cli_import_over_url_needs_a_receipts_file(world: World, tmp_path: Path, capsys, charity_cli) -> None:
    key_file = tmp_path / "fundraiser.key"
    write_key_file(k("fundraiser"), key_file)
    statement = tmp_path / "s.csv"
    statement.write_bytes(make_csv(ZH_HEADER, good_rows()))
    code = cli.main(
        [
            "import",
            "donations",
            str(statement),
            "--key",
            str(key_file),
            "--project",
            DIRECTED,
            "--url",
            "http://127.0.0.1:9",
        ]
    )
    assert code == 2 and "--receipts" in capsys.readouterr().err


def test_import_and_reimport_on_postgres(pg_schema_url: str, tmp_path: Path) -> None:
    world = build_world(LedgerFactory(tmp_path / "home", database_url=pg_schema_url))
    raw = make_csv(ZH_HEADER, good_rows(), "gb18030")
    first = run(world, raw)
    assert first.ok and len(first.imported) == 4
    size = world.size()
    again = run(world, raw)
    assert len(again.already) == 4 and world.size() == size
    store = DonorStore(world.ledger.engine, load_privacy_key(world.ledger.settings))
    assert store.get(first.imported[0].seq).personal["name"] == ZHANG[0]
    assert ZHANG[1].encode() not in b"".join(world.leaves())
