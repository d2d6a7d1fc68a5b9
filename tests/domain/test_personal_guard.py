"""The personal-data guard: what it finds in free text, and the append rule that refuses an
entry whose notes, reasons, purposes or summaries hold personal data (any entry type)."""

from __future__ import annotations

import unicodedata

import pytest

from ledger.domain import AppendContext, apply
from ledger.domain.personal_guard import (
    FREE_TEXT_FIELDS,
    NameSet,
    check_text,
    find_personal_data,
    is_resident_id,
    looks_like_organisation,
    luhn_ok,
)
from ledger.domain.rows import DonationRow
from ledger.errors import LedgerError
from tests.domain.helpers import (
    FOUNDATION,
    ORIGIN,
    World,
    allocation_data,
    assert_rendered,
    disbursement_data,
    donation_data,
    financials_data,
    plan_data,
    project_data,
    sha,
    sz_filing_data,
)

ID = "110101199003074514"  # check character correct (GB 11643), born 1990-03-07
CARD = "6222021234567890128"  # 19 digits, Luhn correct


def kinds(text: str, **kw) -> list[str]:
    return [f.kind for f in find_personal_data(text, **kw)]


# --- what it finds ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("请联系 13912345678", ["phone"]),
        ("手机：139-1234-5678", ["phone"]),
        ("+86 139 1234 5678", ["phone"]),
        ("１３９１２３４５６７８", ["phone"]),  # noqa: RUF001 -- full-width digits, as typed with a Chinese IME
        ("138****1234", ["phone"]),  # masked, as platforms print it
        ("办公室 0755-83001234", ["phone"]),
        ("(010)62345678", ["phone"]),
        ("电话 83001234", ["phone"]),
        (f"身份证 {ID}", ["id_number"]),
        ("110101 19900307 4514", ["id_number"]),
        ("11010119900307451X", ["account_number"]),  # wrong check character: still a long number
        (f"卡号 {CARD}", ["bank_card"]),
        ("6222 0212 3456 7890 128", ["bank_card"]),
        ("账号 755912345678901", ["account_number"]),
        ("zhangsan@example.com", ["email"]),
        ("zha***@163.com", ["email"]),
        ("捐赠人：王小明", ["personal_name"]),
        ("姓名 欧阳娜娜", ["personal_name"]),
        ("感谢王女士", ["personal_name"]),
        ("张小明先生捐赠", ["personal_name"]),
        ("代李四捐", ["personal_name"]),
        ("Thanks to Mr. Zhang", ["personal_name"]),
        ("donor: Li Hua", ["personal_name"]),
        ("代李四捐 13912345678", ["personal_name", "phone"]),
    ],
)
def test_personal_data_is_found(text: str, expected: list[str]) -> None:
    assert kinds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "助餐捐款",
        "深圳某科技公司",
        "三月助餐补贴",
        "2026-03-21 收到 1,000.00 元",
        "20260321",
        "流水号 BK20260105001",
        "感谢各位女士和先生",
        "捐赠人：王氏集团有限公司",
        "donor: ACME Co., Ltd.",
        "结余用于同类养老服务项目",
        "深民函〔2026〕88号",
        "统一社会信用代码 53440300MJL00001A".replace("53440300MJL00001A", FOUNDATION),
        "大米 20 袋，按市价估值",
        "项目完成",
        "长" * 50,
        "2025年第1季度",
        "电话会议纪要",
        "受益人为高龄老人",
        "付款方向为对公账户",
        "捐赠人数 120 人",
        "拨款 100000000000.00 元",  # an amount, not an account number
        "see :func:`donation_data`, from: the client",
    ],
)
def test_ordinary_text_passes(text: str) -> None:
    assert kinds(text) == []


def test_names_from_the_same_statement_are_found_anywhere() -> None:
    assert kinds("感谢张三丰的爱心", names=["张三丰"]) == ["personal_name"]
    assert kinds("张 三 丰", names=["张三丰"]) == ["personal_name"]  # spaces do not hide it
    assert kinds("from ZHANG SAN with love", names=["Zhang San"]) == ["personal_name"]
    assert kinds("感谢张三丰", names=["张*"]) == []  # a masked name finds nothing
    assert kinds("感谢捐助", names=["张三丰"]) == []


def test_a_statement_s_many_names_are_all_looked_for() -> None:
    surnames, given = "王李张刘陈杨黄赵吴周", "一二三四五六七八九十百千万亿兆"
    names = NameSet(f"{s}{a}{b}" for s in surnames for a in given for b in given)
    assert len(names) == 10 * 15 * 15
    assert kinds("感谢周万亿的支持", names=names) == ["personal_name"]
    assert kinds("感谢大家的支持", names=names) == []
    assert [(f.start, f.end) for f in find_personal_data("李四五 and 王一一", names=names)] == [(0, 3), (8, 11)]


def test_strict_mode_also_takes_bare_name_shapes() -> None:
    for text in ("张三捐款", "李四 爱心捐款", "王小明"):
        assert kinds(text) == [] and kinds(text, strict=True) == ["personal_name"], text
    assert kinds("助餐捐款", strict=True) == [] and kinds("爱心捐款", strict=True) == []


def test_number_checks() -> None:
    assert is_resident_id(ID) and not is_resident_id(ID[:-1] + "5") and not is_resident_id("110101199002304511")
    assert luhn_ok(CARD) and not luhn_ok(CARD[:-1] + "9")
    assert looks_like_organisation("深圳市某某科技有限公司") and looks_like_organisation("某某公司（深圳分公司）")
    assert looks_like_organisation("深圳市某某慈善基金会") and not looks_like_organisation("张三丰")


def test_the_refusal_names_the_field_and_kind_never_the_data() -> None:
    with pytest.raises(LedgerError) as info:
        check_text("note", "张三 13912345678", ["张三"], type_name="donation.received")
    err = info.value
    assert err.code == "personal_data_in_text" and err.kind == "invalid"
    assert err.params["field"] == "note" and err.params["kind"] == "personal_name"
    assert "note" in err.message_en and "a person's name" in err.message_en and "个人姓名" in err.message_zh
    assert_rendered(err)
    shown = repr(err.to_dict()) + err.message_en + err.message_zh
    assert "张三" not in shown and "13912345678" not in shown


# --- the append rule ------------------------------------------------------------------------------


@pytest.fixture
def w() -> World:
    return World()


def test_every_type_with_free_text_is_guarded(w: World) -> None:
    """One refusal per free-text field of each entry type, the state unchanged each time."""
    did = w.append(w.fundraiser, "donation.received", donation_data(w.PUB, "1000.00"))
    w.append(w.fundraiser, "funds.allocated", allocation_data(w.PUB, "500.00"))
    xid = w.append(w.implementer, "funds.disbursed", disbursement_data(w.PUB, "100.00"))
    phone = "联系 13912345678"
    progress = {
        "project": w.PUB,
        "period_start": "2026-03-01",
        "period_end": "2026-03-20",
        "summary": "ok",
        "evidence": [],
    }
    cases = [
        ("donation.received", w.fundraiser, "note", donation_data(w.PUB, note=phone)),
        (
            "donation.received",
            w.fundraiser,
            "in_kind_description",
            donation_data(w.PUB, kind="in_kind", channel="delivery", in_kind_description=f"捐赠人：王小明 {ID}"),
        ),
        ("funds.allocated", w.fundraiser, "note", allocation_data(w.PUB, "1.00", note=phone)),
        ("funds.disbursed", w.implementer, "purpose", disbursement_data(w.PUB, "1.00", purpose="给李女士的补贴")),
        ("funds.disbursed", w.implementer, "payee", disbursement_data(w.PUB, "1.00", payee=f"张三 {CARD}")),
        ("progress.reported", w.implementer, "summary", progress | {"summary": "探访王先生等 12 位老人"}),
        ("attestation.recorded", w.overseer, "findings", {"target": xid, "verdict": "queried", "findings": phone}),
        (
            "entry.corrected",
            w.fundraiser,
            "reason",
            {
                "target": did,
                "reason": "捐赠人 zhangsan@example.com 要求更正",
                "project": w.PUB,
                "currency": "CNY",
                "amount": "1000.00",
            },
        ),
        ("financials.reported", w.foundation_admin, "note", financials_data(FOUNDATION, 2025, note=phone)),
        ("sz.donation_filed", w.fundraiser, "purpose", sz_filing_data("F-1", [did], purpose=phone)),
        (
            "project.registered",
            w.fundraiser,
            "plan.beneficiaries",
            project_data("P-NEW", plan=plan_data(beneficiaries="患者李小红及其家属")),
        ),
        ("project.registered", w.fundraiser, "description", project_data("P-NEW", description=phone)),
        ("project.registered", w.fundraiser, "title_zh", project_data("P-NEW", title_zh="王小明女士大病救助")),
        ("key.revoked", w.foundation_admin, "reason", {"key_id": w.fundraiser2.id, "reason": phone}),
    ]
    for type_, signer, field, data in cases:
        err = w.refuse(signer, type_, data, "personal_data_in_text")
        assert (err.params["type"], err.params["field"]) == (type_, field)
    # the same entries without the personal data are accepted
    w.append(w.fundraiser, "donation.received", donation_data(w.PUB, note="助餐捐款"))
    w.append(w.implementer, "funds.disbursed", disbursement_data(w.PUB, "1.00", payee="福田区长者饭堂"))


def test_the_guard_covers_the_types_that_have_free_text() -> None:
    assert {
        "donation.received",
        "funds.allocated",
        "funds.disbursed",
        "progress.reported",
        "project.closed",
        "attestation.recorded",
        "audit.opinion",
        "financials.reported",
        "entry.corrected",
        "sz.donation_filed",
        "sz.filing_replied",
        "plan.acknowledged",
        "project.registered",
        "key.revoked",
        "org.updated",
        "org.deregistered",
    } <= set(FREE_TEXT_FIELDS)


def test_replay_accepts_what_the_log_accepted_before(w: World) -> None:
    """A rebuild or a monitor replays entries the log holds already: the guard (an admission
    check, not a protocol rule) does not turn them into refusals."""
    entry = w.sign(w.fundraiser, "donation.received", donation_data(w.PUB, note="联系 13912345678"))
    ctx = AppendContext(w.seq, sha("replayed"), "2026-03-21T02:00:00.000Z", ORIGIN)
    with pytest.raises(LedgerError) as info:
        apply(w.state, ctx, entry)
    assert info.value.code == "personal_data_in_text" and w.state.get(DonationRow, sha("replayed")) is None
    apply(w.state, AppendContext(w.seq, sha("replayed"), "2026-03-21T02:00:00.000Z", ORIGIN, replay=True), entry)
    assert w.state.get(DonationRow, sha("replayed")).amount_minor == 10000


# --- any text -------------------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402 -- kept beside the property tests
from hypothesis import strategies as st  # noqa: E402

_TEXT = st.text(alphabet=st.sampled_from("王李张三丰先生女士捐款代 0123456789-+@.*:：aZß（）"), max_size=60) | st.text(
    max_size=60
)


@settings(max_examples=300, deadline=None)
@given(text=_TEXT, names=st.lists(st.text(max_size=6), max_size=4))
def test_any_text_is_checked_without_error_and_never_echoed(text: str, names: list[str]) -> None:
    normal = unicodedata.normalize("NFKC", text)
    for strict in (False, True):
        for finding in find_personal_data(text, names, strict=strict):
            assert 0 <= finding.start < finding.end <= len(normal)
    found = find_personal_data(text, names, strict=True)
    try:
        check_text("note", text, names, type_name="donation.received", strict=True)
    except LedgerError as err:
        assert err.code == "personal_data_in_text" and found and err.params["kind"] == found[0].kind
        shown = err.message_en + err.message_zh + repr(err.params)
        for finding in found:
            piece = normal[finding.start : finding.end]
            if (len(piece) >= 5 and not piece.isascii()) or any(ch.isdigit() for ch in piece):
                assert piece not in shown
    else:
        assert not found
