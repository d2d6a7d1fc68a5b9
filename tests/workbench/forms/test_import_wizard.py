"""The import wizard (issue 14, item 5): a CMB statement in GB18030 with title rows, a totals
line, interest, a fee, a refund and a platform settlement; a WeChat Pay export with the
per-donor rows the settlement pays out. Signed as the browser signs (the prepared bytes)."""

from __future__ import annotations

import base64
import copy
import csv
import io
from datetime import date, datetime, timedelta
from typing import Any

from litestar.testing import TestClient
from sqlalchemy import func, select

from ledger.protocol.canonical import canonical_bytes
from ledger.protocol.entry import ENTRY_PREFIX
from ledger.protocol.keys import KeyPair
from ledger.store import imports as I
from ledger.store.db import read_transaction
from ledger.store.donors import DonorStore, load_privacy_key
from tests.api.world import CHINA, FOUNDATION, PROJECT, World

TODAY = datetime.now(CHINA).date()
YESTERDAY = TODAY - timedelta(days=1)
CMB_HEADER = (
    "交易日,交易时间,起息日,交易类型,借方金额,贷方金额,余额,摘要,流水号,流程实例号,业务名称,用途,业务参考号,"
    "业务摘要,其它摘要,收/付方分行名,收/付方名称,收/付方帐号,收/付方开户行行号,收/付方开户行名,收/付方开户行地址,冲帐标志"
)
NAMES = ("张伟", "王秀英", "深圳市海风科技有限公司", "陈小明", "刘芳")


def _d(day: date) -> str:
    return day.strftime("%Y%m%d")


def cmb_row(
    day: date, debit: str, credit: str, summary: str, ref: str, payer: str, note: str = "", rev: str = ""
) -> str:
    cells = [_d(day), "10:00:00", _d(day), "", debit, credit, "", summary, ref, "", "", note, "", "", "", ""]
    cells += [payer, "6214********1234", "", "", "", rev]
    return ",".join(cells)


def cmb_statement(*extra: str, note: str = "助学") -> bytes:
    lines = [
        "招商银行交易明细",
        "账号：755900000000000,户名：深圳市助学基金会",
        CMB_HEADER,
        cmb_row(TODAY, "", "500.00", "汇入", "CMB0001", NAMES[0], note),
        cmb_row(TODAY, "", "2000.00", "汇入", "CMB0002", NAMES[2], "公司捐款"),
        cmb_row(TODAY, "", "3.21", "结息", "CMB0003", ""),
        cmb_row(TODAY, "1.50", "", "手续费", "CMB0004", ""),
        cmb_row(TODAY, "", "80.00", "退款", "CMB0005", NAMES[1]),
        cmb_row(TODAY, "", "150.00", "财付通结算", "CMB0006", "财付通支付科技有限公司"),
        *extra,
        "合计,,,,1.50,2733.21,,,,,,,,,,,,,,,,",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("gb18030")


def wechat_export() -> bytes:
    lines = [
        "微信支付账单明细",
        "微信昵称：[助学基金会]",
        "----------------------微信支付账单明细列表--------------------",
        "交易时间,交易类型,交易对方,商品,收/支,金额(元),支付方式,当前状态,交易单号,商户单号,备注",
        f"{YESTERDAY.isoformat()} 09:00:00,转账,{NAMES[3]},/,收入,¥100.00,/,已存入零钱,4200000001202612030001,/,/",
        f"{YESTERDAY.isoformat()} 11:30:00,转账,{NAMES[4]},/,收入,¥50.00,/,已存入零钱,4200000001202612030002,/,/",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def prepare(client: TestClient, key: KeyPair, raw: bytes, preset: str, **fields: str) -> Any:
    data = {"project": PROJECT, "preset": preset, "public_key": key.public_b64, **fields}
    return client.post("/workbench/api/import/prepare", data=data, files={"file": ("statement.csv", raw, "text/csv")})


def sign(key: KeyPair, prepared: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for entry in prepared["entries"]:
        message = base64.b64decode(entry["signing_message"])
        assert message == ENTRY_PREFIX + canonical_bytes(entry["body"])
        out.append({"body": entry["body"], "sig": base64.b64encode(key.sign(message)).decode()})
    return out


def leaves(world: World) -> list[bytes]:
    log = world.factory.ledger.log
    return [log.leaf(i) for i in range(log.head().size)]


def pending_count(world: World) -> int:
    with read_transaction(world.factory.ledger.engine) as conn:
        return int(conn.execute(select(func.count()).select_from(I.IMPORT)).scalar_one())


def commit(client: TestClient, key: KeyPair, prepared: dict[str, Any]) -> Any:
    return client.post(f"/workbench/api/import/{prepared['import']}/commit", json={"entries": sign(key, prepared)})


def test_the_wizard_records_donations_interest_and_fees_and_reconciles_the_settlement(
    world: World, client: TestClient
) -> None:
    key = world.keys["fundraiser"]
    # the WeChat Pay export first: the per-donor rows the bank's settlement line pays out
    r = prepare(client, key, wechat_export(), "wechat")
    assert r.status_code == 200, r.text
    done = commit(client, key, r.json())
    assert done.status_code == 201, done.text
    assert [i["type"] for i in done.json()["items"]] == ["donation.received", "donation.received"]

    before = world.factory.ledger.log.head().size
    r = prepare(client, key, cmb_statement(), "cmb")
    assert r.status_code == 200, r.text
    answer = r.json()
    actions = {row["line"]: row["action"] for row in answer["preview"]["rows"]}
    assert sorted(actions.values()) == sorted(
        ["donation.received", "donation.received", "interest.received", "fee.charged", "skip", "matched", "skip"]
    )
    assert answer["preview"]["encoding"] == "gb18030"
    skipped = sorted(row["class"] for row in answer["preview"]["rows"] if row["action"] == "skip")
    assert skipped == ["refund", "subtotal"]  # the 合计 line and the refund are never recorded
    types = [e["body"]["type"] for e in answer["entries"]]
    assert sorted(types) == ["donation.received", "donation.received", "fee.charged", "interest.received"]
    interest = next(e["body"]["data"] for e in answer["entries"] if e["body"]["type"] == "interest.received")
    fee = next(e["body"]["data"] for e in answer["entries"] if e["body"]["type"] == "fee.charged")
    assert (interest["amount"], interest["org"], interest["received_on"]) == ("3.21", FOUNDATION, TODAY.isoformat())
    assert (fee["amount"], fee["fee_kind"]) == ("1.50", "bank_fee")
    company = next(e["body"]["data"] for e in answer["entries"] if e["body"]["data"].get("amount") == "2000.00")
    assert company["donor_type"] == "enterprise"

    done = commit(client, key, answer)
    assert done.status_code == 201, done.text
    items = done.json()["items"]
    assert world.factory.ledger.log.head().size == before + 4  # the settlement (150.00) is not a donation
    assert all(i["receipt_code"] for i in items if i["type"] == "donation.received")

    # counterparty names are in no public entry's bytes, only in the donor store
    public = b"".join(leaves(world))
    for name in NAMES:
        assert name.encode() not in public
    store = DonorStore(world.factory.ledger.engine, load_privacy_key(world.factory.ledger.settings))
    seq = next(i["seq"] for i in items if i["type"] == "donation.received" and i["line"] == 4)
    assert store.get(seq).personal == {"name": NAMES[0]}

    # importing the same file again adds nothing
    again = prepare(client, key, cmb_statement(), "cmb").json()
    assert again["import"] is None
    assert {row["action"] for row in again["preview"]["rows"]} <= {"already", "skip", "matched"}
    assert world.factory.ledger.log.head().size == before + 4

    # the mail-merge file: contact from the donor store, the code, the message in both languages
    assert client.get(done.json()["receipts_csv"], headers={"X-Test-Login": "clerk"}).status_code == 403
    sheet = client.get(done.json()["receipts_csv"])
    assert sheet.status_code == 200 and sheet.headers["cache-control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(sheet.text.lstrip("\ufeff"))))
    assert {r["name"] for r in rows} == {NAMES[0], NAMES[2]}
    assert all(r["receipt_code"] in r["message_zh"] and r["receipt_code"] in r["message_en"] for r in rows)


def test_an_unmatched_settlement_is_a_warning_and_never_a_donation(world: World, client: TestClient) -> None:
    key = world.keys["fundraiser"]
    answer = prepare(client, key, cmb_statement(), "cmb").json()
    settlement = next(row for row in answer["preview"]["rows"] if row["class"] == "settlement")
    assert settlement["action"] == "unmatched"
    assert any("结算" in w for w in answer["preview"]["warnings"])
    assert all(e["body"]["data"].get("amount") != "150.00" for e in answer["entries"])


def test_hostile_statements_are_refused_in_both_languages_and_write_nothing(world: World, client: TestClient) -> None:
    key = world.keys["fundraiser"]
    size = world.factory.ledger.log.head().size
    utf16 = prepare(client, key, cmb_statement().decode("gb18030").encode("utf-16"), "cmb")
    assert utf16.status_code == 400
    assert utf16.json()["code"] == "import_file_invalid"
    assert "UTF-16" in utf16.json()["detail"] and "UTF-16" in utf16.json()["message_zh"]
    garbage = prepare(client, key, b"\x81\x30\xff\xfe\x00" * 20, "cmb")
    assert garbage.status_code == 400 and garbage.json()["code"] == "import_file_invalid"

    id_note = cmb_statement(note="捐款人身份证 11010519491231002X")
    r = prepare(client, key, id_note, "cmb")
    assert r.status_code == 422
    bad = r.json()["preview"]["bad"]
    assert [b["code"] for b in bad] == ["personal_data_in_text"]
    assert bad[0]["line"] == 4 and "身份证" not in bad[0]["reason"] and bad[0]["reason_zh"]
    assert r.json()["import"] is None

    not_cmb = prepare(client, key, wechat_export(), "cmb")
    assert (
        not_cmb.status_code == 400 and "表头" in not_cmb.json()["message_zh"] and "header" in not_cmb.json()["detail"]
    )
    assert world.factory.ledger.log.head().size == size
    assert pending_count(world) == 0


def test_a_commit_must_sign_exactly_what_was_prepared(world: World, client: TestClient) -> None:
    key = world.keys["fundraiser"]
    answer = prepare(client, key, cmb_statement(), "cmb").json()
    size = world.factory.ledger.log.head().size
    entries = copy.deepcopy(sign(key, answer))
    entries[0]["body"]["data"]["amount"] = "5.00"
    message = ENTRY_PREFIX + canonical_bytes(entries[0]["body"])
    entries[0]["sig"] = base64.b64encode(key.sign(message)).decode()
    r = client.post(f"/workbench/api/import/{answer['import']}/commit", json={"entries": entries})
    assert r.status_code >= 400 and r.json()["code"] == "draft_refused"
    assert world.factory.ledger.log.head().size == size
    assert commit(client, key, answer).status_code == 201
    assert commit(client, key, answer).json()["code"] == "draft_refused"  # committed once


def test_the_page_offers_every_preset(client: TestClient) -> None:
    page = client.get("/workbench/import")
    assert page.status_code == 200
    for name in ("cmb", "icbc", "ccb", "abc", "boc", "bocom", "wechat", "alipay"):
        assert f'value="{name}"' in page.text
    assert "WorkbenchSigning" not in page.text  # the signing code is the forms' script, loaded once
    assert "/static/workbench/forms.js" in page.text and "/static/workbench/import.js" in page.text


def test_a_column_mapping_is_remembered_for_the_organisation(world: World, client: TestClient) -> None:
    key = world.keys["fundraiser"]
    odd = f"某农商行对账单\n入账日,来款金额,来款单位,说明\n{_d(TODAY)},88.00,{NAMES[1]},助学\n".encode("gb18030")
    unknown = prepare(client, key, odd, "")
    assert unknown.status_code == 400 and unknown.json()["code"] == "import_file_invalid"
    mapping = '{"入账日": "date", "来款金额": "credit", "来款单位": "counterparty", "说明": "note"}'
    first = prepare(client, key, odd, "", mapping=mapping)
    assert first.status_code == 200, first.text
    assert first.json()["mapping_remembered"] is False
    again = prepare(client, key, odd, "")  # no mapping sent: the organisation's is used
    assert again.status_code == 200, again.text
    assert again.json()["mapping_remembered"] is True
    assert [e["body"]["data"]["amount"] for e in again.json()["entries"]] == ["88.00"]
    bad = prepare(client, key, odd, "", mapping='{"入账日": "birthday"}')
    assert bad.status_code == 400 and bad.json()["code"] == "import_file_invalid"


def test_a_donor_finds_the_gift_by_order_number_and_downloads_the_certificate(world: World, client: TestClient) -> None:
    key = world.keys["fundraiser"]
    done = commit(client, key, prepare(client, key, wechat_export(), "wechat").json()).json()
    order = "4200000001202612030001"
    assert order.encode() not in b"".join(leaves(world))  # the order number is never public
    with read_transaction(world.factory.ledger.engine) as conn:
        kept = [tuple(r) for r in conn.execute(select(I.ORDER))]
    assert len(kept) == 2 and all(order not in str(r) for r in kept)  # only keyed hashes

    page = client.post("/verify/order", data={"order_no": order})
    assert page.status_code == 200
    seq = done["items"][0]["seq"]
    assert f'href="/ledger/{seq}"' in page.text and 'id="order-note"' in page.text
    assert order not in page.text
    missing = client.post("/verify/order", data={"order_no": "4200000001209999999999"})
    assert I.ORDER_NOT_FOUND == "order_not_found"
    assert missing.status_code == 404 and ("订单号" in missing.text or "order number" in missing.text)
    assert 'id="donation"' not in missing.text

    code = done["items"][0]["receipt_code"]
    found = client.post("/verify", data={"code": code})
    assert found.status_code == 200 and 'formaction="/verify/certificate"' in found.text and code not in found.text
    pdf = client.post("/verify/certificate", data={"code": code})
    assert pdf.status_code == 200, pdf.text[:500]
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert pdf.headers["cache-control"] == "no-store"
    wrong = client.post("/verify/certificate", data={"code": code[:-1] + ("A" if code[-1] != "A" else "B")})
    assert wrong.status_code == 400 and "application/pdf" not in wrong.headers["content-type"]


def test_interest_and_fee_entries_show_on_the_public_site(world: World, client: TestClient) -> None:
    key = world.keys["fundraiser"]
    items = commit(client, key, prepare(client, key, cmb_statement(), "cmb").json()).json()["items"]
    for item in items:
        page = client.get(f"/ledger/{item['seq']}")
        assert page.status_code == 200, (item["type"], page.text[:300])
    interest = next(i for i in items if i["type"] == "interest.received")
    assert "利息收入" in client.get(f"/ledger/{interest['seq']}", headers={"Accept-Language": "zh-CN"}).text
    for path in ("/ledger", f"/projects/{PROJECT}", f"/api/v1/entries/{interest['seq']}"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert all(name not in page.text for name in NAMES), path
