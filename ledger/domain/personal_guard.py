"""The personal-data guard: free text bound for the public, append-only log is checked for
personal data before it is signed or appended.

The log is public and nothing in it can be taken back, so a donor's name or phone number in a
note is published for good. Every free-text field of every entry type (notes, reasons,
purposes, summaries, findings, descriptions: :data:`FREE_TEXT_FIELDS`) passes
:func:`find_personal_data`; a hit refuses the entry with ``personal_data_in_text``, naming the
field and the kind of data found, never the data itself.

What it finds (on the NFKC form of the text, so full-width digits and letters count):

- ``phone``: mainland mobile numbers (11 digits, ``1[3-9]...``, with ``+86``/``0086``, spaces or
  hyphens, also masked as ``138****1234``); landlines with an area code (``0755-83001234``,
  ``(010)12345678``, ``075583001234``); a 7-8 digit number right after 电话/手机/tel.
- ``id_number``: resident ID numbers, 18 characters with a correct GB 11643 check character and a
  real birth date (also grouped ``6-8-4``), and the old 15-digit form with a real birth date.
- ``bank_card``: 16 to 19 digits (contiguous or in groups of four) passing the Luhn check.
- ``account_number``: any other run of 12 or more digits (bank account numbers, long
  transaction numbers); a valid unified social credit code (an organisation's public code) is
  not counted.
- ``email``: e-mail addresses, masked ones (``zha***@163.com``) included.
- ``personal_name``:
  * the names given in ``names`` (the importer passes the personal names of the same statement:
    its counterparty and donor-name columns), found anywhere in the text, ignoring spaces and
    letter case;
  * a Chinese name after a label (姓名, 捐赠人, 捐款人, 汇款人, 付款人, 户名, 联系人, 受助人, ...)
    unless what follows is an organisation (…公司, …基金会, …协会);
  * a surname with up to two more characters before 先生, 女士 or 小姐 (王女士, 张小明先生);
  * 代 + a surname and one or two characters + 捐/汇/转/付 (代李四捐);
  * a capitalised Latin name after ``Mr``/``Mrs``/``Ms``/``Miss``/``Dr`` or a ``name:``/
    ``donor:``/``payer:``/``contact:`` label;
  * with ``strict`` (the importer's statement remarks), also a surname and one or two
    characters standing alone, or before 捐款/捐赠/捐助/汇款/转账 (张三捐款, "李四 爱心捐款").

What it cannot find: a bare Chinese name with nothing around it that marks it as one (张三 in the
middle of a sentence is not told apart from ordinary words; only ``strict`` tries, at the cost of
refusing some harmless words), names from surnames outside the common list, names in pinyin or
other scripts without a label, nicknames, addresses, passport and Hong Kong/Macau/Taiwan
document numbers, and numbers shorter than 12 digits that are not phone numbers. The guard
lowers the risk; the clerk's care stays needed.

Pure: the standard library and ``ledger.*`` only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from ledger.domain.codes import PERSONAL_DATA_IN_TEXT
from ledger.domain.uscc import ALPHABET as _USCC_ALPHABET
from ledger.domain.uscc import check_character as _uscc_check
from ledger.errors import LedgerError

# --- kinds ----------------------------------------------------------------------------------

PERSONAL_NAME = "personal_name"
PHONE = "phone"
ID_NUMBER = "id_number"
BANK_CARD = "bank_card"
ACCOUNT_NUMBER = "account_number"
EMAIL = "email"

KINDS: dict[str, tuple[str, str]] = {
    PERSONAL_NAME: ("a person's name", "个人姓名"),
    PHONE: ("a phone number", "电话号码"),
    ID_NUMBER: ("a resident ID number", "身份证号码"),
    BANK_CARD: ("a bank card number", "银行卡号"),
    ACCOUNT_NUMBER: ("an account number (a run of 12 or more digits)", "账号（12 位以上的连续数字）"),
    EMAIL: ("an e-mail address", "电子邮箱地址"),
}
NUMBERS = frozenset({PHONE, ID_NUMBER, BANK_CARD, ACCOUNT_NUMBER, EMAIL})

# --- where free text is ---------------------------------------------------------------------

# entry type -> the free-text fields checked (dotted paths into data). Fields that carry the
# charity's own public particulars by law (the plan's responsible person, office address,
# receiving methods and bank account) and identifiers are not free text.
FREE_TEXT_FIELDS: dict[str, tuple[str, ...]] = {
    "org.updated": ("reason",),
    "org.deregistered": ("reason",),
    "key.revoked": ("reason",),
    "project.registered": (
        "title_zh",
        "title_en",
        "description",
        "plan.purpose",
        "plan.beneficiaries",
        "plan.use_of_funds",
        "plan.fundraising_cost",
        "plan.surplus_handling",
    ),
    "plan.acknowledged": ("note",),
    "donation.received": ("note", "in_kind_description"),
    "funds.allocated": ("note",),
    "funds.disbursed": ("purpose",),
    "progress.reported": ("summary",),
    "project.closed": ("summary", "surplus_note"),
    "attestation.recorded": ("findings",),
    "query.answered": ("answer",),
    "audit.opinion": ("summary",),
    "financials.reported": ("note",),
    "entry.corrected": ("reason",),
    "sz.donation_filed": ("purpose", "note"),
    "sz.filing_replied": ("note",),
    "project.amended": ("reason",),  # forms (issue 14)
    "interest.received": ("note",),  # import wizard (issue 14)
    "fee.charged": ("note",),
}
# fields that name someone on purpose (a payee, a key's holder): numbers and addresses are
# still refused there, names are not
NAME_FIELDS: dict[str, tuple[str, ...]] = {
    "funds.disbursed": ("payee",),
    "key.granted": ("holder",),
    "registry.genesis": ("holder",),
}

# --- patterns -------------------------------------------------------------------------------

# common surnames (the most frequent single-character ones and the usual compound ones)
_SURNAMES_1 = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔汤"
    "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴"
    "霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳穆农司卓古吉缪简车项连芦麦褚娄窦戚岑"
    "景党宫费卜冷晏席卫米柏宗瞿桂佟臧闵苟邬边卞姬仇栾隋刁沙荣巫寇桑郎甄丛仲虞敖巩佘池查麻苑迟邝"
)
_SURNAMES_2 = (
    "欧阳",
    "司马",
    "诸葛",
    "上官",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "令狐",
    "长孙",
    "宇文",
    "司徒",
    "夏侯",
    "轩辕",
    "端木",
    "独孤",
    "南宫",
    "西门",
    "申屠",
    "太史",
    "澹台",
    "呼延",
    "万俟",
)
_HAN = "\u4e00-\u9fff"
_SURNAME = "(?:" + "|".join(_SURNAMES_2) + f"|[{_SURNAMES_1}])"
_NAME = f"{_SURNAME}[{_HAN}]{{1,2}}"
_NAME_LAZY = f"{_SURNAME}[{_HAN}]{{1,2}}?"
# characters that make "X…先生" a greeting, not a name (感谢各位女士, 诸位先生, 老先生)
_NOT_GIVEN = "各位诸们这那每该此其众广全大老"

_ORG_SUFFIXES = (
    "有限责任公司",
    "股份有限公司",
    "有限公司",
    "公司",
    "集团",
    "基金会",
    "协会",
    "学会",
    "商会",
    "联合会",
    "促进会",
    "研究会",
    "慈善会",
    "委员会",
    "村委会",
    "居委会",
    "合作社",
    "事务所",
    "银行",
    "支行",
    "分行",
    "中心",
    "医院",
    "学校",
    "大学",
    "学院",
    "中学",
    "小学",
    "幼儿园",
    "研究院",
    "研究所",
    "工作室",
    "俱乐部",
    "商行",
    "企业",
    "厂",
    "店",
    "社",
    "局",
    "厅",
    "院",
    "所",
    "部",
    "会",
    "队",
    "馆",
    "站",
    "办",
)
_LABELS = (
    "姓名",
    "名字",
    "捐赠人",
    "捐款人",
    "捐助人",
    "捐赠者",
    "爱心人士",
    "汇款人",
    "付款人",
    "转账人",
    "户名",
    "联系人",
    "收款人",
    "受助人",
    "患者",
    "病人",
    "家属",
    "持卡人",
    "经手人",
)
# a label, then the name (after a colon or straight away: "受益人为高龄老人" is no name)
_LABELLED = re.compile("(?:" + "|".join(_LABELS) + r")\s*[:：=]?\s*" + f"({_SURNAME}[{_HAN}]{{1,30}})")
_HONORIFIC = re.compile(f"{_SURNAME}(?:(?![{_NOT_GIVEN}])[{_HAN}]){{0,2}}?(?:先生|女士|小姐)")
_ON_BEHALF = re.compile(f"代{_NAME_LAZY}(?:捐|汇|转|付)")
_LATIN_TITLE = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Dr|Mx)\.?\s+[A-Z][A-Za-z'-]+")
_LATIN_LABEL = re.compile(r"\b(?i:name|donor|payer|contact)\s*[:：]\s*([A-Z][A-Za-z .'&-]{0,80})")
_STRICT_GIFT = re.compile(f"(?:^|(?<=[^{_HAN}])){_NAME_LAZY}(?:的)?(?:爱心)?(?:捐款|捐赠|捐助|汇款|转账|善款)")
_STRICT_ALONE = re.compile(f"(?:^|(?<=[^{_HAN}])){_NAME}(?=$|[^{_HAN}])")

_EMAIL = re.compile(r"[A-Za-z0-9._%+*\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_MOBILE = re.compile(r"(?<![0-9])(?:(?:\+|00)86[ \-]?)?1[3-9][0-9](?:[ \-]?[0-9]){8}(?![0-9])")
_MOBILE_MASKED = re.compile(r"(?<![0-9])1[3-9][0-9][*xX]{4}[0-9]{4}(?![0-9])")
_LANDLINE = re.compile(r"(?<![0-9])(?:\(0[0-9]{2,3}\)\s?|0[0-9]{2,3}[ \-])[2-9][0-9]{6,7}(?:-[0-9]{1,5})?(?![0-9])")
_PHONE_LABEL = re.compile(r"(?:电话|手机|联系方式|tel|phone|mobile)\s*[:：]?\s*[2-9][0-9]{6,7}(?![0-9])", re.IGNORECASE)
_ID_GROUPED = re.compile(r"(?<![0-9])([0-9]{6})[ \-]([0-9]{8})[ \-]([0-9]{3}[0-9Xx])(?![0-9A-Za-z])")
_CARD_GROUPED = re.compile(r"(?<![0-9])[0-9]{4}(?:[ \-][0-9]{4}){3}(?:[ \-][0-9]{1,3})?(?![0-9])")
# a run of digits; not one followed by a decimal part (an amount such as 100000000000.00)
_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9]{11,}(?:[Xx](?![A-Za-z]))?(?![0-9])(?!\.[0-9])")
_USCC_LIKE = re.compile(f"(?<![0-9A-Z])[{_USCC_ALPHABET}]{{18}}(?![0-9A-Z])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Finding:
    """A kind of personal data found in a text, and where (on the text's NFKC form)."""

    kind: str
    start: int
    end: int


# --- number checks --------------------------------------------------------------------------


def _real_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return 1900 <= year <= 2100


def is_resident_id(text: str) -> bool:
    """An 18-character resident ID number: 17 digits, a GB 11643 check character, a real birth date."""
    if len(text) != 18 or not text[:17].isdigit() or not (text[17].isdigit() or text[17] in "Xx"):
        return False
    if _ID_CHECK[sum(int(c) * w for c, w in zip(text[:17], _ID_WEIGHTS, strict=True)) % 11] != text[17].upper():
        return False
    return _real_date(int(text[6:10]), int(text[10:12]), int(text[12:14]))


def _is_old_id(digits: str) -> bool:
    return len(digits) == 15 and _real_date(1900 + int(digits[6:8]), int(digits[8:10]), int(digits[10:12]))


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _is_uscc(text: str) -> bool:
    return len(text) == 18 and _uscc_check(text[:17]) == text[17]


def _digit_kind(run: str) -> str | None:
    if is_resident_id(run):
        return ID_NUMBER
    digits = run.rstrip("Xx")
    if digits != run:
        return ACCOUNT_NUMBER if len(digits) >= 12 else None
    if _is_old_id(digits):
        return ID_NUMBER
    if 16 <= len(digits) <= 19 and luhn_ok(digits):
        return BANK_CARD
    if len(digits) in (11, 12) and digits.startswith("0"):
        return PHONE
    if len(digits) >= 12:
        return ACCOUNT_NUMBER
    return None


# --- the search -----------------------------------------------------------------------------


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _fold(text: str) -> str:
    return _SPACES.sub("", normalise(text)).casefold()


class NameSet:
    """Personal names to look for in texts, folded (no spaces, case-folded), two characters or
    more (Chinese) or four or more (Latin), masked names (with ``*``) left out. Finding them is
    linear in the text's length (one set look-up per position and name length), so a statement's
    thousands of payers cost no more per remark than a few."""

    __slots__ = ("lengths", "names")

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.names: frozenset[str] = frozenset(_usable(names))
        self.lengths: tuple[int, ...] = tuple(sorted({len(n) for n in self.names}, reverse=True))

    def __bool__(self) -> bool:
        return bool(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def spans(self, folded: str) -> list[tuple[int, int]]:
        """Where the names occur in ``folded`` (a text folded like the names), longest first."""
        out: list[tuple[int, int]] = []
        for length in self.lengths:
            for start in range(len(folded) - length + 1):
                if folded[start : start + length] in self.names:
                    out.append((start, start + length))
        return out


def _usable(names: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for name in names:
        folded = _fold(name)
        if "*" in folded:
            continue
        han = sum(1 for ch in folded if "\u4e00" <= ch <= "\u9fff")
        if (han >= 2) or (han == 0 and len(folded) >= 4):
            out.add(folded)
    return out


def usable_names(names: Iterable[str] | NameSet) -> NameSet:
    """The names worth looking for, ready to be found (see :class:`NameSet`)."""
    return names if isinstance(names, NameSet) else NameSet(names)


def looks_like_organisation(name: str) -> bool:
    """Whether a name ends like an organisation's (公司, 基金会, 协会, 银行, ...)."""
    spaced = normalise(name).strip()
    text = _SPACES.sub("", spaced)
    text = re.sub(r"[(（][^()（）]*[)）]?$", "", text) or text  # a trailing "(branch)" or "（个体）"
    return text.endswith(_ORG_SUFFIXES) or bool(
        re.search(
            r"\b(?:co|ltd|inc|llc|limited|corp|corporation|foundation|association|bank|group)\.?$",
            spaced,
            re.IGNORECASE,
        )
    )


def find_personal_data(
    text: str,
    names: Iterable[str] | NameSet = (),
    *,
    strict: bool = False,
    kinds: Iterable[str] | None = None,
) -> list[Finding]:
    """Every kind of personal data found in ``text`` (see the module doc), in text order.

    ``names``: personal names known from elsewhere (the same statement); ``strict``: also the
    looser name shapes (for bank remarks); ``kinds``: look only for these kinds."""
    wanted = set(KINDS) if kinds is None else set(kinds)
    value = normalise(text)
    found: list[Finding] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, start: int, end: int) -> None:
        if kind in wanted and not any(s < end and start < e for s, e in taken):
            found.append(Finding(kind, start, end))
            taken.append((start, end))

    for match in _EMAIL.finditer(value):
        add(EMAIL, match.start(), match.end())
    for match in _ID_GROUPED.finditer(value):
        if is_resident_id("".join(match.groups())):
            add(ID_NUMBER, match.start(), match.end())
    for match in _USCC_LIKE.finditer(value):  # an organisation's public code is not personal
        if _is_uscc(match.group()) and not is_resident_id(match.group()):
            taken.append((match.start(), match.end()))
    for match in _DIGIT_RUN.finditer(value):
        kind = _digit_kind(match.group())
        if kind is not None:
            add(kind, match.start(), match.end())
    for match in _CARD_GROUPED.finditer(value):
        digits = re.sub(r"[ \-]", "", match.group())
        add(BANK_CARD if luhn_ok(digits) else ACCOUNT_NUMBER, match.start(), match.end())
    for pattern in (_MOBILE, _MOBILE_MASKED, _LANDLINE, _PHONE_LABEL):
        for match in pattern.finditer(value):
            add(PHONE, match.start(), match.end())
    if PERSONAL_NAME in wanted:
        _find_names(value, names, strict, add)
    return sorted(found, key=lambda f: f.start)


def _find_names(value: str, names: Iterable[str] | NameSet, strict: bool, add: Any) -> None:
    known = usable_names(names)
    if known:
        # compare without spaces and case: map positions of the folded text back to the text
        index = [i for i, ch in enumerate(value) if not ch.isspace()]
        folded = "".join(value[i] for i in index).casefold()
        if len(folded) == len(index):  # casefold kept the length (it does for Han and ASCII)
            for start, end in known.spans(folded):
                add(PERSONAL_NAME, index[start], index[end - 1] + 1)
        elif known.spans(folded):
            add(PERSONAL_NAME, 0, len(value))
    for match in _LABELLED.finditer(value):
        following = re.split(r"[\s,，。;；、:：()（）/]", match.group(1))[0]
        if not looks_like_organisation(following):
            add(PERSONAL_NAME, match.start(1), match.start(1) + len(following))
    for pattern in (_HONORIFIC, _ON_BEHALF, _LATIN_TITLE):
        for match in pattern.finditer(value):
            add(PERSONAL_NAME, match.start(), match.end())
    for match in _LATIN_LABEL.finditer(value):
        if not looks_like_organisation(match.group(1).strip(" .")):
            add(PERSONAL_NAME, match.start(1), match.end(1))
    if strict:
        for pattern in (_STRICT_GIFT, _STRICT_ALONE):
            for match in pattern.finditer(value):
                if match.end() > match.start():
                    add(PERSONAL_NAME, match.start(), match.end())


# --- refusals -------------------------------------------------------------------------------


def kind_names(kind: str) -> tuple[str, str]:
    return KINDS[kind]


def check_text(
    field: str,
    text: str,
    names: Iterable[str] | NameSet = (),
    *,
    type_name: str = "entry",
    strict: bool = False,
    kinds: Iterable[str] | None = None,
) -> None:
    """Refuse ``text`` (bound for ``field``) with ``personal_data_in_text`` if it holds personal
    data. The error names the field and the kind, never the text."""
    found = find_personal_data(text, names, strict=strict, kinds=kinds)
    if found:
        kind = found[0].kind
        en, zh = KINDS[kind]
        raise LedgerError(PERSONAL_DATA_IN_TEXT, type=type_name, field=field, kind=kind, kind_en=en, kind_zh=zh)


def _get(data: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def free_text_of(type_name: str, data: Any) -> list[tuple[str, str, frozenset[str] | None]]:
    """The free-text values of an entry's data: (field path, text, kinds looked for)."""
    out: list[tuple[str, str, frozenset[str] | None]] = []
    for path in FREE_TEXT_FIELDS.get(type_name, ()):
        value = _get(data, path)
        if isinstance(value, str):
            out.append((path, value, None))
    for path in NAME_FIELDS.get(type_name, ()):
        value = _get(data, path)
        if isinstance(value, str):
            out.append((path, value, NUMBERS))
    return out


def check_entry_text(type_name: str, data: Any, names: Iterable[str] | NameSet = ()) -> None:
    """The append rule: refuse an entry whose free text holds personal data."""
    folded = usable_names(names)  # folded once for every field
    for path, value, kinds in free_text_of(type_name, data):
        check_text(path, value, folded, type_name=type_name, kinds=kinds)


__all__ = [
    "FREE_TEXT_FIELDS",
    "KINDS",
    "NAME_FIELDS",
    "Finding",
    "NameSet",
    "check_entry_text",
    "check_text",
    "find_personal_data",
    "free_text_of",
    "is_resident_id",
    "looks_like_organisation",
    "luhn_ok",
    "usable_names",
]
