"""Demo data: a deterministic, realistic registry in the spirit of the Shenzhen charity reform.

``load_demo(ledger, scale="small")`` signs and appends, through the ordinary log and all the
domain rules (nothing is written behind the log's back):

- the **registrar** 深圳市民政局 (registry.genesis), the log operator's **system** key;
- **organisations** registered or filed with it: three foundations (two with the public-fundraising
  qualification, one gaining it later by ``org.updated``), three social service organisations,
  two filed community groups, an independent **oversight committee** and an **audit firm**;
- **keys**: organisation administrators and overseers granted by the registrar, fundraisers and
  implementers granted by their organisation's administrator; one implementer key is revoked
  when its holder leaves and a successor's key is granted;
- **projects** on elderly care, community service centres, social work, education, disability aid
  and disaster relief, raised by one organisation and carried out by another (募集 / 使用),
  watched by a third (监督): directed fundraising (定向募捐) with individual, enterprise,
  foundation and anonymous donors, **government purchase of services**, **in-kind gifts**;
  monthly **allocations**, **disbursements** with evidence hashes in the three cost categories,
  quarterly **progress reports**, **attestations** (approved ones, a flagged one later resolved, a
  queried one later resolved), **audit opinions**, two **corrections** (a duplicated bank line
  reversed, a mistyped payment reversed and recorded again), a **closed project with a surplus**;
- **public fundraising**: an emergency typhoon-relief campaign from mid-September 2026 (gifts
  from the first day, plan filed on the third, within the 10 days after the start an emergency
  has, acknowledged by the registrar; a month of fundraising, two of relief work, a final
  report), and an upcoming campaign whose plan is filed 30 days before it starts;
- **SEZ donation filings** (``sz.donation_filed``, Shenzhen SEZ Regulations on Donations for
  Public Welfare art. 24-26) by the foundation running the typhoon campaign: its in-kind gifts,
  accepted first as emergency donations and filed afterwards, answered by the registrar
  (``sz.filing_replied``) 5 days later; and its first donations, filed 4 days before
  :data:`BASE_DATE`, awaiting the reply;
- **disclosures mostly on time**: every progress disclosure is filed in the last days of its
  period or on its due date except three (6, 11 and 17 days late), every annual report in April
  or May except the volunteer team G2's for 2025 (9 June, 9 days late);
- a **report.issued** by the system key over a small summary file (written to
  ``home/reports/demo-summary/demo-summary/``, where the API serves it from), naming the tree size and root it was computed at.
- **evidence files** in the evidence store (``ledger.store.evidence``), made from the entries'
  own figures: each payment names its invoice (a one-page PDF, public) and its bank slip (UTF-8
  text, restricted), each quarterly progress report a site "photo" (a small PNG without
  metadata); the hashes in the entries are those files'. Other hashes (audit reports, annual
  reports, SEZ filing papers, the closing report) name no file (the site shows "not uploaded").
  Bulk projects (``large``) keep placeholder hashes.

``scale="large"`` adds bulk projects (directed fundraising, the same flows) up to 1,000,000
entries, for benchmarks, merged into the same two years. Loaded over a small demo already in the
log, the bulk is logged at the small demo's last time (the clock never runs backwards); load
``large`` into an empty log for true times.

The demo's clock. Every step is dated: the day the log records it (a payment or a bank line
a few days after its business date, a report on its due date). The loader appends the steps
to the same log through a sequencer whose clock is simulated (:class:`SimulatedClock`, given
to a copy of the :class:`~ledger.store.runtime.Ledger`; nothing else changes): each entry is
signed and logged at a moment of a working day in China on the day it is recorded
(:func:`timed_steps`), the entries of a day in up to :data:`SLOTS_PER_DAY` appends, each with
its checkpoint. So timelines, "latest activity" and checkpoints span the two years before
:data:`BASE_DATE` (from :data:`SETUP_DAY`, when the registry is set up), and the disclosure
deadlines, measured against the log's time, read true. The log's rules hold for this clock as
for the real one: ``at`` within the skew of the clock, business dates not after the log's day,
plans filed in time, the clock never backwards (a step dated before one already logged would be
logged at the later time: :func:`_merged` refuses streams out of date order). The production
log's clock is the real one; only the demo's loader sets another, and only for its own appends.
An empty log's tree is dated at the start of the simulated clock first
(:meth:`~ledger.store.log_store.LogStore.start_clock_at`).

Today. The demo's story ends on :data:`BASE_DATE`, whatever the day of the load. The site and
the deadline scans measure against the real today: viewed later, a disclosure that fell due
after the base date shows as due, then missing, as it would in a registry whose charities
stopped filing (they did: the demo stops). The authority's reply to the last SEZ filing is due
6 days after the base date; the next progress disclosures within weeks.

Determinism. Keys come from :meth:`KeyPair.from_seed`, idems are fixed, amounts, dates and log
times come from seeded generators. Commitment salts are random, as every salt must be
(``load_demo(salt_source=...)`` lets a test pass its own), and so is the log key of a new data
folder: with the same salts and log key, two loads export the same bytes.

Idempotency. Every entry has a fixed idem; before each batch the loader asks the log which of
them exist already and skips those, so loading twice adds nothing and an interrupted load resumes.
A log that holds anything but the demo is refused (``demo_log_not_empty``).

Demo actors' private keys are written to ``home/demo-keys/<name>.key`` (mode 0600, no
passphrase) so that the CLI can be tried with them; receipt codes of the donations whose
(fictional) donors' personal data was stored go to ``home/demo-receipts.txt``.
"""

from __future__ import annotations

import hashlib
import heapq
import io
import itertools
import json
import os
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw
from sqlalchemy import select

from ledger.compliance.deadlines import recurring_dues
from ledger.compliance.rulesets import ruleset
from ledger.domain.money import format_amount
from ledger.domain.privacy import donor_fields, format_receipt_code, new_salt
from ledger.domain.rows import FundRow
from ledger.domain.uscc import make_uscc
from ledger.errors import InvariantBroken, LedgerError, define
from ledger.protocol.entry import make_body, parse_leaf_json, sign_entry
from ledger.protocol.keys import KeyPair, read_key_file, write_key_file
from ledger.services.client import CHINA, LocalSink, donation_data
from ledger.store.evidence import open_evidence
from ledger.store.evidence_content import PNG, clean_image, simple_pdf
from ledger.store.log_store import MAX_BATCH
from ledger.store.personal_files import private_dir, write_private
from ledger.store.projection_tables import table_for

BASE_DATE = date(2026, 11, 30)  # the fixed end of the demo's two-year history: its last log day
HISTORY_DAYS = 730
SETUP_DAY = BASE_DATE - timedelta(days=HISTORY_DAYS + 3)  # the registry is set up before the first project
WORK_START = timedelta(hours=8, minutes=30)  # log times fall in a working day in China...
WORK_SPAN_MS = 10 * 3600 * 1000  # ...of ten hours
SLOTS_PER_DAY = 8  # at most this many appends (log times, checkpoints) a day...
ENTRIES_PER_SLOT = 8  # ...of at least this many entries each, as a client's batch (or all the day has)
SEED = b"charity-ledger demo v1/"
SCALES = ("small", "large")
LARGE_ENTRIES = 1_000_000
CURRENCY = "CNY"

DEMO_LOG_NOT_EMPTY = define(
    "demo_log_not_empty",
    "conflict",
    "The log in {home} already holds {size} entries that are not the demo data; demo data is only loaded into an empty log (or one holding the demo).",
    "{home} 中的账本已有 {size} 条非演示数据的条目；演示数据只能载入空账本（或已载入演示数据的账本）。",
)
DEMO_SCALE_INVALID = define(
    "demo_scale_invalid",
    "invalid",
    "The demo scale {scale!r} is not known; use small or large.",
    "演示数据规模 {scale!r} 无效，请使用 small 或 large。",
)
DEMO_KEY_FILE_MISMATCH = define(
    "demo_key_file_mismatch",
    "conflict",
    "{path} holds another key than the demo actor {name}; move it away and run again.",
    "{path} 中的密钥不是演示角色 {name} 的密钥，请移走该文件后重试。",
)


def _money(yuan: int) -> int:
    """Whole yuan to fen (the demo's amounts are whole yuan; fen come from integer arithmetic)."""
    return yuan * 100


def _amt(minor: int) -> str:
    return format_amount(minor, CURRENCY)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _sha_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _payment_files(
    idem: str,
    project: str,
    payer: str,
    payee: str,
    purpose: str,
    amount: int,
    category: str,
    day: date,
) -> tuple[tuple[bytes, str, str], ...]:
    """A payment's evidence: the invoice (a PDF, public) and the bank slip (UTF-8 text,
    restricted: it would carry account numbers). Made from the payment alone: deterministic."""
    invoice = simple_pdf(
        [
            "DEMO INVOICE - fictional, for the charity-ledger demonstration",
            f"Reference: {idem}",
            f"Project: {project}",
            f"Amount: {CURRENCY} {_amt(amount)}",
            f"Paid on: {day.isoformat()}",
            f"Category: {category}",
        ]
    )
    slip = (
        f"银行转账回单（演示数据，虚构）\n参考号：{idem}\n付款方：{payer}\n收款方：{payee}\n"
        f"金额：{CURRENCY} {_amt(amount)}\n日期：{day.isoformat()}\n用途：{purpose}\n"
    ).encode()
    return ((invoice, "public", "invoice.pdf"), (slip, "restricted", "bank-slip.txt"))


def _progress_photo(seed: str) -> bytes:
    """A small "site photo" (a PNG of coloured bands from ``seed``), already as the evidence store
    keeps images (encoded again from its pixels), so its hash is the one the store answers."""
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    image = Image.new("RGB", (96, 64), (digest[0], digest[1], digest[2]))
    draw = ImageDraw.Draw(image)
    for band in range(8):
        colour = (digest[3 + band * 3], digest[4 + band * 3], digest[5 + band * 3])
        draw.rectangle((band * 12, 40, band * 12 + 11, 63), fill=colour)
    out = io.BytesIO()
    image.save(out, "PNG")
    return clean_image(out.getvalue(), PNG)


# --- the cast -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Org:
    code: str
    name_zh: str
    name_en: str
    legal_form: str
    track: str
    public_fundraising: bool
    registered_on: str


REGISTRAR = make_uscc("11440300MB2C01234")
ORGS: dict[str, Org] = {
    "F1": Org(
        make_uscc("53440300MJL01001A"),
        "深圳市鹏城公益基金会",
        "Shenzhen Pengcheng Public Welfare Foundation",
        "foundation",
        "registered",
        True,
        "2015-06-18",
    ),
    "F2": Org(
        make_uscc("53440300MJL01002B"),
        "深圳市南山长者关爱基金会",
        "Shenzhen Nanshan Elderly Care Foundation",
        "foundation",
        "registered",
        False,
        "2019-03-12",
    ),
    "F3": Org(
        make_uscc("53440300MJL01003C"),
        "深圳市蓝海教育基金会",
        "Shenzhen Blue Sea Education Foundation",
        "foundation",
        "registered",
        True,
        "2016-11-02",
    ),
    "S1": Org(
        make_uscc("52440304MJL02001D"),
        "深圳市福田区颐康社会工作服务中心",
        "Futian Yikang Social Work Service Centre",
        "social_service_org",
        "registered",
        False,
        "2013-08-20",
    ),
    "S2": Org(
        make_uscc("52440307MJL02002E"),
        "深圳市龙岗区邻里社区服务中心",
        "Longgang Neighbourhood Community Service Centre",
        "social_service_org",
        "registered",
        False,
        "2017-05-09",
    ),
    "S3": Org(
        make_uscc("52440306MJL02003F"),
        "深圳市宝安区晨光社工服务社",
        "Bao'an Morning Light Social Work Agency",
        "social_service_org",
        "registered",
        False,
        "2014-10-15",
    ),
    "G1": Org(
        make_uscc("51440305MJL03001G"),
        "南山区桃源街道长者互助会",
        "Taoyuan Street Seniors' Mutual Aid Group",
        "social_group",
        "filed",
        False,
        "2021-04-01",
    ),
    "G2": Org(
        make_uscc("51440309MJL03002H"),
        "龙华区民治街道应急志愿服务队",
        "Minzhi Street Emergency Volunteer Team",
        "social_group",
        "filed",
        False,
        "2020-07-22",
    ),
    "O1": Org(
        make_uscc("12440300MB0100011"),
        "深圳市慈善事业第三方监督委员会",
        "Shenzhen Independent Charity Oversight Committee",
        "other",
        "registered",
        False,
        "2018-01-10",
    ),
    "A1": Org(
        make_uscc("91440300MA5F01001"),
        "深圳鹏信会计师事务所（特殊普通合伙）",
        "Pengxin Certified Public Accountants",
        "enterprise",
        "registered",
        False,
        "2012-09-27",
    ),
}


@dataclass(frozen=True, slots=True)
class Actor:
    name: str
    role: str
    org: str  # key of ORGS, or "R" for the registrar
    holder: str
    granted_by: str  # actor name

    @property
    def key(self) -> KeyPair:
        return demo_key(self.name)

    @property
    def org_code(self) -> str:
        return REGISTRAR if self.org == "R" else ORGS[self.org].code


def demo_key(name: str) -> KeyPair:
    return KeyPair.from_seed(SEED + name.encode())


ACTORS: dict[str, Actor] = {
    a.name: a
    for a in (
        Actor("registrar", "registrar", "R", "深圳市民政局社会组织管理处", ""),
        Actor("system", "system", "R", "账本运营方（深圳市民政局信息中心）", "registrar"),
        Actor("f1-admin", "org_admin", "F1", "鹏城公益基金会秘书处", "registrar"),
        Actor("f2-admin", "org_admin", "F2", "南山长者关爱基金会秘书处", "registrar"),
        Actor("f3-admin", "org_admin", "F3", "蓝海教育基金会秘书处", "registrar"),
        Actor("s1-admin", "org_admin", "S1", "颐康社工中心行政部", "registrar"),
        Actor("s2-admin", "org_admin", "S2", "邻里社区服务中心行政部", "registrar"),
        Actor("s3-admin", "org_admin", "S3", "晨光社工服务社行政部", "registrar"),
        Actor("g1-admin", "org_admin", "G1", "桃源街道长者互助会理事会", "registrar"),
        Actor("g2-admin", "org_admin", "G2", "民治街道应急志愿服务队队委会", "registrar"),
        Actor("o1-overseer", "overseer", "O1", "监督委员会项目监督组", "registrar"),
        Actor("a1-auditor", "overseer", "A1", "鹏信会计师事务所审计一部", "registrar"),
        Actor("f1-fundraiser", "fundraiser", "F1", "募捐部 王芳", "f1-admin"),
        Actor("f1-fundraiser-2", "fundraiser", "F1", "募捐部 陈磊", "f1-admin"),
        Actor("f2-fundraiser", "fundraiser", "F2", "资源拓展部 刘洋", "f2-admin"),
        Actor("f3-fundraiser", "fundraiser", "F3", "公众筹款部 周敏", "f3-admin"),
        Actor("f3-implementer", "implementer", "F3", "项目部 孙杰", "f3-admin"),
        Actor("s1-implementer", "implementer", "S1", "财务部 李明", "s1-admin"),
        Actor("s1-implementer-2", "implementer", "S1", "财务部 赵静", "s1-admin"),
        Actor("s2-implementer", "implementer", "S2", "财务部 黄丽", "s2-admin"),
        Actor("s3-fundraiser", "fundraiser", "S3", "资源拓展部 吴涛", "s3-admin"),
        Actor("s3-implementer", "implementer", "S3", "财务部 郭娟", "s3-admin"),
        Actor("g1-fundraiser", "fundraiser", "G1", "会长 何秀英", "g1-admin"),
        Actor("g1-implementer", "implementer", "G1", "出纳 林华", "g1-admin"),
        Actor("g2-implementer", "implementer", "G2", "队长 罗勇", "g2-admin"),
    )
}


# --- steps ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class Step:
    """One entry to sign: its actor, type, fixed idem and data (or a function of the resolved
    leaf hashes). Donations get their commitment at signing time; ``personal`` donors have their
    data stored and a receipt written."""

    actor: str
    type: str
    idem: str
    data: dict[str, Any] | Callable[[Context], dict[str, Any]]
    needs: tuple[str, ...] = ()
    keep: bool = False  # remember the leaf hash: a later step targets this entry
    barrier: bool = False  # everything before must be in the log first
    personal: dict[str, str] | None = None
    label: str = ""  # for the receipts file
    files: tuple[tuple[bytes, str, str], ...] = ()  # evidence files the entry names: (bytes, visibility, name)
    day: date | None = None  # the day (China) the log records it: set when the streams are merged

    def fields(self) -> dict[str, Any]:
        """The data of a step whose data is already known (not a function of earlier entries)."""
        if callable(self.data):
            raise TypeError(f"step {self.idem} has data computed at signing time")
        return self.data


class Context:
    """What a step's data function may ask: leaf hashes of earlier entries, the log itself."""

    def __init__(self, ledger: Any, hashes: dict[str, str]) -> None:
        self.ledger = ledger
        self.hashes = hashes

    def hash(self, idem: str) -> str:
        return self.hashes[idem]


# --- the registry: genesis, organisations, keys --------------------------------------------------


def _base_steps(origin: str, log_key: str | None) -> Iterator[Step]:
    registrar = ACTORS["registrar"]
    genesis: dict[str, Any] = {
        "origin": origin,
        "jurisdiction": "CN-GD-Shenzhen",
        "rule_sets": ["cn-charity/1", "sz-donation/1"],
        "public_key": registrar.key.public_b64,
        "role": "registrar",
        "org": REGISTRAR,
        "org_name_zh": "深圳市民政局",
        "org_name_en": "Shenzhen Civil Affairs Bureau",
        "holder": registrar.holder,
    }
    if log_key is not None:
        genesis["log_key"] = log_key  # the log operator's checkpoint key, named by the trust root
    yield Step("registrar", "registry.genesis", "demo:genesis", genesis)
    for name, org in ORGS.items():
        yield Step(
            "registrar",
            "org.registered",
            f"demo:org:{name}",
            {
                "org": org.code,
                "name_zh": org.name_zh,
                "name_en": org.name_en,
                "legal_form": org.legal_form,
                "track": org.track,
                "public_fundraising": org.public_fundraising,
                "registered_on": org.registered_on,
            },
        )
    for actor in ACTORS.values():
        if actor.granted_by == "registrar":
            yield _grant(actor)
    for actor in ACTORS.values():
        if actor.granted_by not in ("", "registrar") and actor.name != "s1-implementer-2":
            yield _grant(actor)


def _grant(actor: Actor) -> Step:
    return Step(
        actor.granted_by,
        "key.granted",
        f"demo:key:{actor.name}",
        {
            "public_key": actor.key.public_b64,
            "role": actor.role,
            "org": actor.org_code,
            "holder": actor.holder,
        },
    )


# --- fictional donors -----------------------------------------------------------------------------

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
_GIVEN = (
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "洋",
    "艳",
    "勇",
    "军",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "华",
    "慧",
    "建国",
    "晓燕",
    "志强",
    "丽娟",
    "海涛",
    "雪梅",
)
_DISTRICTS = (
    ("440304", "福田区"),
    ("440305", "南山区"),
    ("440306", "宝安区"),
    ("440307", "龙岗区"),
    ("440303", "罗湖区"),
    ("440309", "龙华区"),
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def _id_number(rng: random.Random, region: str) -> str:
    """A resident ID number with a valid GB 11643 check character (fictional person)."""
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 50))
    body = f"{region}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return body + _ID_CHECK[sum(int(c) * w for c, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]


def _donor(rng: random.Random) -> dict[str, str]:
    """A fictional donor, never named like a member of the demo's staff (their names are in
    the log, a donor's must not be)."""
    region, district = rng.choice(_DISTRICTS)
    name = rng.choice(_SURNAMES) + rng.choice(_GIVEN)
    while any(name in actor.holder for actor in ACTORS.values()):
        name = rng.choice(_SURNAMES) + rng.choice(_GIVEN)
    personal = {
        "name": name,
        "id_number": _id_number(rng, region),
        "address": f"深圳市{district}示例路{rng.randrange(1, 300)}号",
    }
    if rng.random() < 0.6:
        personal["phone"] = f"1390000{rng.randrange(10000):04d}"
    return personal


# --- projects -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Template:
    field: str
    title_zh: str
    title_en: str
    description: str
    payees: tuple[str, ...]
    purposes: tuple[str, ...]
    in_kind: tuple[tuple[str, int], ...] = ()  # (description, valuation in yuan)
    government_buyer: str | None = None  # who buys services (government purchase)
    government_quarterly: int = 0  # yuan per quarter
    beneficiaries: str = "服务对象"


TEMPLATES: dict[str, Template] = {
    "elderly": Template(
        "elderly_care",
        "长者助餐点运营",
        "Community meal points for the elderly",
        "为辖区 60 岁以上独居、高龄长者提供每日午餐、送餐上门与定期探访。",
        ("福田区香蜜湖街道长者饭堂", "深圳市颐膳餐饮管理有限公司", "福田区华富街道长者服务站"),
        ("{ym} 长者助餐补贴", "助餐点食材采购", "长者探访交通补贴", "送餐保温设备购置"),
        (("大米 200 袋（每袋 10 公斤，按市场价估价）", 12000), ("食用油 150 桶（按捐赠企业出厂价估价）", 9750)),
        "深圳市福田区民政局",
        90000,
        "长者",
    ),
    "community": Template(
        "community_service",
        "邻里中心社区服务",
        "Neighbourhood community service centre programme",
        "依托社区党群服务中心开展邻里互助、四点半课堂、社区议事与志愿服务。",
        ("龙岗区布吉街道邻里中心", "深圳市邻里家政服务有限公司", "龙岗区坂田街道社区服务站"),
        ("{ym} 社区活动物资", "社区服务中心场地维护", "社区志愿者培训", "四点半课堂耗材"),
        (("儿童图书 800 册（按定价五折估价）", 9600),),
        "深圳市龙岗区民政局",
        150000,
        "社区居民",
    ),
    "socialwork": Template(
        "social_work",
        "困境儿童社工陪伴计划",
        "Social work support for children in difficulty",
        "由持证社工为困境儿童提供个案管理、成长小组与家庭支持服务。",
        ("宝安区新安街道社工站", "深圳市晨光社工服务社", "宝安区西乡街道儿童之家"),
        ("{ym} 困境儿童个案服务", "儿童成长小组活动", "社工督导费用", "家庭探访交通费"),
        (("学习用品礼包 300 套（按采购发票价值估价）", 15000),),
        "深圳市宝安区民政局",
        60000,
        "困境儿童",
    ),
    "education": Template(
        "education",
        "乡村学校图书角",
        "Reading corners for rural schools",
        "深河对口帮扶：为河源市乡村小学建设班级图书角并开展阅读推广。",
        ("河源市和平县林寨镇中心小学", "深圳书城图书发行有限公司", "河源市紫金县龙窝镇中心小学"),
        ("图书角图书采购", "{ym} 阅读推广活动", "乡村教师阅读培训", "书架与阅读桌椅购置"),
        (("儿童读物 3000 册（按定价五折估价）", 36000), ("书架 40 个（按采购价估价）", 16000)),
    ),
    "disability": Template(
        "disability",
        "残障人士辅具适配",
        "Assistive devices for people with disabilities",
        "为经济困难的残障人士适配轮椅、助行器等康复辅具并提供康复训练。",
        ("深圳市康复辅具中心", "福田区残疾人联合会康复站", "深圳市安康医疗器械有限公司"),
        ("轮椅及助行器采购", "{ym} 康复训练服务", "辅具适配评估", "上门康复指导"),
        (("轮椅 20 台（按捐赠方发票价值估价）", 25600),),
    ),
    "disaster": Template(
        "disaster_relief",
        "台风灾害受灾群众紧急救助",
        "Emergency relief for people affected by the typhoon",
        "为台风受灾群众提供饮用水、食品、临时安置物资和应急救助金。",
        ("深圳市应急物资供应有限公司", "龙华区民治街道应急安置点", "龙岗区园山街道临时安置点"),
        ("饮用水及食品采购", "临时安置点物资", "受灾家庭应急救助金", "清淤消杀物资"),
        (("瓶装饮用水 2000 箱（按捐赠企业出厂价估价）", 48000), ("棉被 500 床（按采购发票价值估价）", 45000)),
    ),
}


@dataclass(slots=True)
class ProjectSpec:
    pid: str
    template: str
    fundraiser: str  # actor name
    implementers: tuple[str, ...]  # actor names (implementer keys), one per implementing org
    overseers: tuple[str, ...]  # ORGS keys
    start: date
    end: date
    title_suffix: str = ""
    donations_per_day: float = 0.4
    disbursements_per_month: float = 4.0
    approve_every: int = 5  # the overseer approves one disbursement in N
    target_yuan: int = 1_000_000
    closes_on: date | None = None
    personal_every: int = 20  # one donation in N has a (fictional) donor with stored data
    special: str = ""
    title_en_suffix: str = ""
    government: bool = False  # receives a government purchase of services every quarter
    small_donors: bool = False  # neighbours only: small individual and anonymous gifts
    title: tuple[str, str] | None = None  # (zh, en) instead of the template's title + suffix
    in_kind: bool = True  # receives occasional in-kind gifts
    evidence_files: bool = True  # payments and reports name real files put into the evidence store
    late_reports: tuple[tuple[int, int], ...] = ()  # (n-th progress disclosure, days after its due date)
    online_gifts: bool = False  # a public campaign: gifts of money from individuals come through the platform


class ProjectFlow:
    """The money of one project, simulated exactly as the rules will account it, so every
    generated allocation and payment is covered."""

    def __init__(self, spec: ProjectSpec, rng: random.Random) -> None:
        self.spec = spec
        self.t = TEMPLATES[spec.template]
        self.rng = rng
        self.available = {"restricted": 0, "unrestricted": 0}
        self.held: dict[str, int] = defaultdict(int)  # implementer actor -> allocated, not yet paid
        self.balance = 0
        self.counter = itertools.count(1)
        self.donations = itertools.count(1)  # the typhoon campaign numbers its gifts here
        self.later: list[tuple[date, int, Step]] = []
        self.disbursements: list[str] = []
        self.closed = False

    # ids and names
    def idem(self, kind: str) -> str:
        return f"demo:{self.spec.pid}:{kind}:{next(self.counter)}"

    def implementer_org(self, actor: str) -> str:
        return ACTORS[actor].org_code

    # entries
    def registered(self) -> Step:
        s, t = self.spec, self.t
        return Step(
            s.fundraiser,
            "project.registered",
            f"demo:{s.pid}:registered",
            {
                "project": s.pid,
                "title_zh": s.title[0] if s.title else t.title_zh + s.title_suffix,
                "title_en": s.title[1] if s.title else t.title_en + s.title_en_suffix,
                "field": t.field,
                "region": "广东省深圳市" if s.template != "education" else "广东省河源市（深河对口帮扶）",
                "start_date": s.start.isoformat(),
                "end_date": s.end.isoformat(),
                "currency": CURRENCY,
                "target": _amt(_money(s.target_yuan)),
                "implementers": [self.implementer_org(a) for a in s.implementers],
                "overseers": [ORGS[o].code for o in s.overseers],
                "directed": True,
                "emergency": False,
                "description": t.description,
            },
        )

    def recorded_late(self, day: date, channel: str) -> date:
        """The business date of money recorded on ``day``: online gifts the same day, bank
        lines from the statement a day or two later, cash and cheques after the count or the
        clearing (never before the project's start)."""
        lags = {"online_platform": (0,), "bank_transfer": (0, 1, 1, 2), "cash": (0, 1, 2, 3), "cheque": (1, 2, 3, 4)}
        lag = self.rng.choice(lags.get(channel, (0, 1, 2)))
        return max(self.spec.start, day - timedelta(days=lag))

    def donation(self, day: date, index: int, *, kind: str | None = None, amount: int | None = None) -> Step:
        """A donation recorded on ``day``: ``kind`` None (a random donor, received a few days
        before by some channels), "government" (the quarterly purchase of services),
        "in_kind", or "enterprise" (a bank transfer of ``amount``, received that day)."""
        rng, t = self.rng, self.t
        in_kind_description = None
        personal = None
        receipt_no = None
        note = None
        restricted = rng.random() < 0.85
        if kind == "government":
            donor_type, channel = "government_purchase", "bank_transfer"
            amount = _money(t.government_quarterly)
            note = f"{t.government_buyer}购买社会服务（{day.year}年第{(day.month - 1) // 3 + 1}季度）"
            restricted = True
        elif kind == "in_kind":
            description, value = rng.choice(t.in_kind)
            donor_type, channel, amount = "enterprise", "delivery", _money(value)
            in_kind_description = description
            restricted = True
        elif kind == "enterprise":
            if amount is None:
                raise InvariantBroken("amount is missing")
            donor_type, channel, restricted = "enterprise", "bank_transfer", True
        elif self.spec.small_donors:
            if rng.random() < 0.85:
                donor_type, channel = "individual", rng.choice(("cash", "cash", "online_platform"))
            else:
                donor_type, channel = "anonymous", "cash"
            amount = _money(rng.choice((10, 20, 20, 50, 50, 100, 100, 200, 500)))
        else:
            roll = rng.random()
            if roll < 0.80:
                donor_type = "individual"
                channel = rng.choice(("online_platform", "online_platform", "bank_transfer", "cash"))
                amount = _money(rng.choice((10, 20, 50, 66, 88, 100, 100, 200, 200, 300, 500, 500, 1000, 2000)))
                if channel == "online_platform" and rng.random() < 0.3:
                    amount += rng.randrange(1, 100)
            elif roll < 0.88:
                donor_type, channel = "enterprise", rng.choice(("bank_transfer", "bank_transfer", "cheque"))
                amount = _money(rng.choice((2000, 5000, 5000, 10000, 20000, 50000)))
            elif roll < 0.89:
                donor_type, channel = "foundation", "bank_transfer"
                amount = _money(rng.choice((20000, 50000)))
            else:
                donor_type, channel = "anonymous", rng.choice(("cash", "online_platform", "bank_transfer"))
                amount = _money(rng.choice((20, 50, 100, 200, 500, 1000)))
        if kind is None:
            if self.spec.online_gifts and channel in ("cash", "online_platform"):
                channel, note = "online_platform", "互联网公开募捐信息平台（示例）"
            day = self.recorded_late(day, channel)
        if donor_type in ("enterprise", "foundation", "government_purchase"):
            receipt_no = f"SZ{day:%Y}-{self.spec.pid[-6:]}-{index:05d}"
        if donor_type == "individual" and self.spec.personal_every and index % self.spec.personal_every == 0:
            personal = _donor(rng)
        pot = "restricted" if restricted else "unrestricted"
        self.available[pot] += amount
        self.balance += amount
        data = donation_data(
            self.spec.pid,
            _amt(amount),
            CURRENCY,
            commitment="",
            receipt="",
            received_on=day.isoformat(),
            channel=channel,
            donor_type=donor_type,
            restricted=restricted,
            kind="in_kind" if in_kind_description else "money",
            in_kind_description=in_kind_description,
            receipt_no=receipt_no,
            note=note,
        )
        del data["commitment"], data["receipt"]  # made at signing time, with a fresh salt
        label = f"{self.spec.pid}\t{_amt(amount)} {CURRENCY}\t{day.isoformat()}"
        return Step(
            self.spec.fundraiser, "donation.received", self.idem("donation"), data, personal=personal, label=label
        )

    def allocate(self, day: date, share: float | None = None) -> list[Step]:
        """Monthly: most of the restricted pot and half the unrestricted one (or ``share`` of
        both), split over the implementers, in whole hundreds of yuan."""
        steps = []
        n = len(self.spec.implementers)
        for pot, pot_share in (("restricted", 0.85), ("unrestricted", 0.5)):
            if share is not None:
                pot_share = share
            total = int(self.available[pot] * pot_share) // (10000 * n) * 10000 * n
            if total <= 0:
                continue
            for actor in self.spec.implementers:
                amount = total // n
                self.available[pot] -= amount
                self.held[actor] += amount
                steps.append(
                    Step(
                        self.spec.fundraiser,
                        "funds.allocated",
                        self.idem("allocation"),
                        {
                            "project": self.spec.pid,
                            "currency": CURRENCY,
                            "amount": _amt(amount),
                            "implementer": self.implementer_org(actor),
                            "source": pot,
                            "allocated_on": day.isoformat(),
                            "note": f"{day.year}年{day.month}月拨付项目执行资金（{'定向' if pot == 'restricted' else '非定向'}）",
                        },
                    )
                )
        return steps

    def disburse(
        self,
        day: date,
        actor: str,
        signer: str | None = None,
        *,
        amount: int | None = None,
        category: str | None = None,
        keep: bool = False,
        paid_on: date | None = None,
        payee_purpose: tuple[str, str] | None = None,
    ) -> Step | None:
        """A payment recorded on ``day``: a random one (``amount`` None) was paid up to three
        days before; ``paid_on`` and ``payee_purpose`` set those of a payment recorded again."""
        rng = self.rng
        held = self.held[actor]
        amount_was_drawn = amount is None
        if amount is None:
            if held < _money(500):
                return None
            share = int(held * rng.uniform(0.08, 0.3))
            amount = min(held, max(_money(500), share // 100 * 100 + rng.randrange(100)))
        if not (0 < amount <= held):
            raise InvariantBroken("broken: 0 < amount <= held")
        if category is None:
            roll = rng.random()
            category = "program" if roll < 0.86 else "admin" if roll < 0.96 else "fundraising_cost"
        org = ORGS[ACTORS[actor].org]
        if paid_on is not None:
            day = paid_on
        elif amount_was_drawn:
            day = max(self.spec.start, day - timedelta(days=rng.choice((0, 0, 1, 1, 2, 3))))
        payee, purpose = payee_purpose or self.payee_purpose(category, day, org)
        self.held[actor] -= amount
        self.balance -= amount
        idem = self.idem("disbursement")
        files: tuple[tuple[bytes, str, str], ...] = ()
        if self.spec.evidence_files:
            files = _payment_files(idem, self.spec.pid, org.name_zh, payee, purpose, amount, category, day)
            evidence = [_sha_bytes(data) for data, _, _ in files]
        else:
            evidence = [_sha(f"demo-evidence/{idem}/invoice"), _sha(f"demo-evidence/{idem}/payment")]
        step = Step(
            signer or actor,
            "funds.disbursed",
            idem,
            {
                "project": self.spec.pid,
                "currency": CURRENCY,
                "amount": _amt(amount),
                "category": category,
                "payee": payee,
                "purpose": purpose,
                "paid_on": day.isoformat(),
                "evidence": evidence,
            },
            keep=keep,
            files=files,
        )
        self.disbursements.append(idem)
        return step

    def payee_purpose(self, category: str, day: date, org: Org) -> tuple[str, str]:
        if category == "program":
            payee = self.rng.choice(self.t.payees)
            return payee, self.rng.choice(self.t.purposes).format(ym=f"{day.year}年{day.month}月")
        if category == "admin":
            return f"{org.name_zh}（项目管理）", f"{day.year}年{day.month}月项目人员薪酬及办公费用"
        return "深圳市公益传播有限公司", "募捐宣传材料制作与发布"

    def progress(self, period_start: date, period_end: date, signer: str) -> Step:
        people = self.rng.randrange(40, 400)
        files: tuple[tuple[bytes, str, str], ...] = ()
        if self.spec.evidence_files:
            # each implementer's own site photo (two implementers report the same period)
            files = ((_progress_photo(f"{self.spec.pid}/{period_end}/{signer}"), "public", "photo.png"),)
            evidence = [_sha_bytes(files[0][0])]
        else:
            evidence = [_sha(f"demo-evidence/{self.spec.pid}/progress/{period_end}")]
        return Step(
            signer,
            "progress.reported",
            self.idem("progress"),
            {
                "project": self.spec.pid,
                "period_start": period_start.isoformat(),
                "period_end": period_end.isoformat(),
                "summary": f"{period_start.isoformat()} 至 {period_end.isoformat()}：{self.t.title_zh}按计划推进，"
                f"服务{self.t.beneficiaries}{people}人次，支出凭证已归档备查。",
                "beneficiaries": people,
                "evidence": evidence,
            },
            files=files,
        )

    def attest(
        self, target: str, verdict: str, findings: str, overseer: str = "o1-overseer", keep: bool = False
    ) -> Step:
        return Step(
            overseer,
            "attestation.recorded",
            self.idem("attestation"),
            lambda ctx: {"target": ctx.hash(target), "verdict": verdict, "findings": findings},
            needs=(target,),
            keep=keep,
        )

    def schedule(self, day: date, step: Step) -> None:
        heapq.heappush(self.later, (day, next(self.counter), step))

    def due(self, day: date) -> Iterator[Step]:
        while self.later and self.later[0][0] <= day:
            yield heapq.heappop(self.later)[2]


def _signer_for(actor: str, day: date) -> str:
    """The S1 implementer key changes hands on the rotation date."""
    if actor == "s1-implementer" and day >= KEY_ROTATION_DAY:
        return "s1-implementer-2"
    return actor


KEY_ROTATION_DAY = BASE_DATE - timedelta(days=240)
QUALIFICATION_DAY = BASE_DATE - timedelta(days=120)
AUDIT_DAY = date(BASE_DATE.year, 4, 28) if BASE_DATE >= date(BASE_DATE.year, 4, 28) else BASE_DATE


def _project_timeline(spec: ProjectSpec, seed: str) -> Iterator[tuple[date, int, Step]]:
    """The dated steps of one project, in log order (the priority orders steps within a day)."""
    rng = random.Random(seed)
    flow = ProjectFlow(spec, rng)
    t = flow.t
    last = min(spec.closes_on or BASE_DATE, BASE_DATE)
    yield spec.start, 1, flow.registered()
    reports = _report_days(spec, rng)
    donation_no = 0
    duplicate_day = spec.start + timedelta(days=200)
    while not 10 <= duplicate_day.day <= 20:
        duplicate_day += timedelta(days=1)
    day = spec.start
    while day <= last:
        for step in flow.due(day):
            yield day, 3, step
        # donations
        if spec.government and t.government_buyer and day.day == 15 and day.month in (1, 4, 7, 10):
            donation_no += 1
            yield day, 2, flow.donation(day, donation_no, kind="government")
        if spec.in_kind and t.in_kind and rng.random() < 0.006:
            donation_no += 1
            yield day, 2, flow.donation(day, donation_no, kind="in_kind")
        for _ in range(_poisson(rng, spec.donations_per_day)):
            donation_no += 1
            yield day, 2, flow.donation(day, donation_no)
        if spec.special == "duplicate" and day == duplicate_day:
            # an enterprise transfer typed in twice from the bank statement; reversed the next day
            amount = _money(20000)
            donation_no += 1
            original = flow.donation(day, donation_no, kind="enterprise", amount=amount)
            yield day, 2, original
            duplicate = flow.donation(day, donation_no, kind="enterprise", amount=amount)
            duplicate.keep = True
            yield day, 2, duplicate
            flow.available["restricted"] -= amount  # the reversal below, before any allocation
            flow.balance -= amount
            flow.schedule(
                day + timedelta(days=1),
                Step(
                    spec.fundraiser,
                    "entry.corrected",
                    f"demo:{spec.pid}:correction:duplicate",
                    _reversal(
                        duplicate.idem,
                        spec.pid,
                        amount,
                        "银行流水重复录入：同一笔企业捐赠（回单号相同）被记录了两次，冲销重复的一条。",
                    ),
                    needs=(duplicate.idem,),
                ),
            )
        # winding down before the project closes: allocate all, pay nearly all
        if spec.closes_on is not None and day == spec.closes_on - timedelta(days=20):
            for step in flow.allocate(day, share=1.0):
                yield day, 4, step
        if spec.closes_on is not None and day == spec.closes_on - timedelta(days=10):
            for actor in spec.implementers:
                leftover = int(flow.held[actor] * rng.uniform(0.02, 0.06))
                if flow.held[actor] - leftover > 0:
                    final = flow.disburse(
                        day, actor, _signer_for(actor, day), amount=flow.held[actor] - leftover, category="program"
                    )
                    if final is not None:  # there is money held to pay with (checked just above)
                        yield day, 5, final
        # monthly allocation on the 5th
        if day.day == 5 and day > spec.start + timedelta(days=20):
            for step in flow.allocate(day):
                yield day, 4, step
        # payments, some of them checked by the overseer later
        if rng.random() < spec.disbursements_per_month / 30:
            actor = rng.choice(spec.implementers)
            payment = flow.disburse(day, actor, _signer_for(actor, day))
            if payment is not None:
                step = payment
                count = len(flow.disbursements)
                checks: list[tuple[int, str, str]] = []
                if spec.special == "flag" and count == 12:
                    checks = [
                        (9, "flagged", "发票抬头与收款单位名称不一致，且缺少送餐签收记录，请执行方补充说明。"),
                        (30, "resolved", "执行方已补充更正后的发票及送餐签收记录，核对一致，关闭该问题。"),
                    ]
                elif spec.special == "query" and count == 8:
                    checks = [
                        (7, "queried", "培训费单价高于同类服务市场价，请说明采购方式。"),
                        (21, "resolved", "执行方提供了三家比价记录，价格合理。"),
                    ]
                elif count % spec.approve_every == 0:
                    checks = [(14, "approved", "抽查发票、合同与付款凭证，金额与用途一致。")]
                mistyped = spec.special == "mistyped" and count == 6
                step.keep = bool(checks) or mistyped
                yield day, 5, step
                for days, verdict, findings in checks:
                    flow.schedule(day + timedelta(days=days), flow.attest(step.idem, verdict, findings))
                if mistyped:
                    yield from _retype_payment(flow, day, actor, step)
        # the progress disclosure of the period ending (every 3 months from the start)
        for period_start, period_end in reports.pop(day, ()):
            for actor in spec.implementers:
                yield day, 6, flow.progress(period_start, period_end, _signer_for(actor, day))
        day += timedelta(days=1)
    for step in flow.due(date.max):
        yield last, 3, step
    if spec.closes_on is not None:
        surplus = flow.balance
        yield (
            spec.closes_on,
            7,
            Step(
                spec.fundraiser,
                "project.closed",
                f"demo:{spec.pid}:closed",
                {
                    "project": spec.pid,
                    "closed_on": spec.closes_on.isoformat(),
                    "summary": f"{spec.title[0] if spec.title else t.title_zh + spec.title_suffix}已完成，累计服务{t.beneficiaries}{rng.randrange(300, 900)}人次。",
                    "currency": CURRENCY,
                    "surplus": _amt(surplus),
                    "surplus_handling": "similar_purpose" if surplus else "none",
                    **(
                        {"surplus_note": "结余资金经理事会决议，转入本会下一年度长者探访服务（同类用途）。"}
                        if surplus
                        else {}
                    ),
                },
            ),
        )
        yield (
            spec.closes_on,
            8,
            Step(
                spec.implementers[0],
                "progress.reported",
                f"demo:{spec.pid}:final-report",
                {
                    "project": spec.pid,
                    "period_start": spec.start.isoformat(),
                    "period_end": spec.closes_on.isoformat(),
                    "summary": "结项报告：项目全部活动已完成，结余资金按理事会决议转入同类用途，财务明细已公开。",
                    "beneficiaries": 520,
                    "evidence": [_sha(f"demo-evidence/{spec.pid}/final-report")],
                },
            ),
        )


def _report_days(spec: ProjectSpec, rng: random.Random) -> dict[date, list[tuple[date, date]]]:
    """The day each progress disclosure the rules ask of the project (every 3 months from its
    start, under the rule set in force then) is recorded, with the period it reports: in the
    last days of the period or on its due date, mostly; ``spec.late_reports`` days after the
    due date for the few filed late (the period then reported whole)."""
    late = dict(spec.late_reports)
    out: dict[date, list[tuple[date, date]]] = defaultdict(list)
    for due in recurring_dues(ruleset("cn-charity", spec.start), "progress_disclosure", spec.start, spec.end):
        if due.period_start is None or due.period_end is None:
            raise InvariantBroken("a recurring disclosure has a period")
        if due.index in late:
            out[due.due_on + timedelta(days=late[due.index])].append((due.period_start, due.period_end))
            continue
        day = due.due_on - timedelta(days=rng.choice((0, 0, 1, 2, 3)))
        out[day].append((due.period_start, min(due.period_end, day)))
    return out


def _reversal(target_idem: str, project: str, amount: int, reason: str) -> Callable[[Context], dict[str, Any]]:
    return lambda ctx: {
        "target": ctx.hash(target_idem),
        "reason": reason,
        "project": project,
        "currency": CURRENCY,
        "amount": _amt(amount),
    }


def _retype_payment(flow: ProjectFlow, day: date, actor: str, step: Step) -> Iterator[tuple[date, int, Step]]:
    """A payment typed with the wrong amount: reversed the next day and recorded again."""
    wrong = int(step.fields()["amount"].replace(".", ""))
    right = max(wrong * 2 // 3 // 100 * 100, 100)
    reason = f"付款金额录入错误：实付 {_amt(right)} 元，误录为 {_amt(wrong)} 元，冲销后重新记录。"
    flow.held[actor] += wrong
    flow.balance += wrong
    yield (
        day + timedelta(days=1),
        5,
        Step(
            step.actor,
            "entry.corrected",
            f"demo:{flow.spec.pid}:correction:mistyped",
            _reversal(step.idem, flow.spec.pid, wrong, reason),
            needs=(step.idem,),
        ),
    )
    wrong_one = step.fields()
    again = flow.disburse(
        day,
        actor,
        step.actor,
        amount=right,
        category=wrong_one["category"],
        paid_on=date.fromisoformat(wrong_one["paid_on"]),
        payee_purpose=(wrong_one["payee"], wrong_one["purpose"]),
    )
    if again is None:
        raise InvariantBroken("again is missing")
    yield day + timedelta(days=1), 5, again


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    # Knuth's method is fine for the small means used here
    limit, k, p = pow(2.718281828459045, -mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


# --- the showcase: history, public campaigns, report ---------------------------------------------


def _showcase_specs() -> list[ProjectSpec]:
    b = BASE_DATE
    return [
        ProjectSpec(
            "SZ-ELDER-MEALS",
            "elderly",
            "f1-fundraiser",
            ("s1-implementer",),
            ("O1",),
            b - timedelta(days=700),
            b + timedelta(days=180),
            title_suffix="（福田区）",
            title_en_suffix=" (Futian)",
            donations_per_day=0.6,
            special="flag",
            target_yuan=1_200_000,
            government=True,
        ),
        ProjectSpec(
            "LG-COMMUNITY-CENTRE",
            "community",
            "f1-fundraiser-2",
            ("s2-implementer",),
            ("O1",),
            b - timedelta(days=640),
            b + timedelta(days=90),
            title_suffix="（龙岗区）",
            title_en_suffix=" (Longgang)",
            donations_per_day=0.5,
            special="query",
            target_yuan=1_500_000,
            government=True,
        ),
        ProjectSpec(
            "BA-CHILD-SOCIALWORK",
            "socialwork",
            "s3-fundraiser",
            ("s3-implementer",),
            ("O1",),
            b - timedelta(days=600),
            b + timedelta(days=120),
            title_suffix="（宝安区）",
            title_en_suffix=" (Bao'an)",
            donations_per_day=0.45,
            special="mistyped",
            target_yuan=800_000,
            government=True,
            late_reports=((3, 6),),
        ),
        ProjectSpec(
            "HY-READING-CORNERS",
            "education",
            "f3-fundraiser",
            ("f3-implementer",),
            ("O1",),
            b - timedelta(days=560),
            b + timedelta(days=60),
            title_suffix="（深河帮扶）",
            title_en_suffix=" (Shenzhen-Heyuan pairing)",
            donations_per_day=0.5,
            special="duplicate",
            target_yuan=600_000,
        ),
        ProjectSpec(
            "SZ-DISABILITY-AIDS",
            "disability",
            "f2-fundraiser",
            ("s1-implementer",),
            ("O1",),
            b - timedelta(days=500),
            b + timedelta(days=200),
            donations_per_day=0.4,
            target_yuan=500_000,
            late_reports=((3, 11),),  # the implementer's finance officer changed (the key handed over)
        ),
        ProjectSpec(
            "TY-SENIOR-VISITS",
            "elderly",
            "g1-fundraiser",
            ("g1-implementer",),
            ("O1",),
            b - timedelta(days=720),
            b - timedelta(days=200),
            title=("桃源街道长者互助探访", "Seniors' mutual visiting in Taoyuan Street"),
            donations_per_day=0.3,
            disbursements_per_month=1.5,
            target_yuan=30_000,
            closes_on=b - timedelta(days=190),
            personal_every=0,
            in_kind=False,
            small_donors=True,
            late_reports=((1, 17),),  # volunteers, their first report
        ),
    ]


def _cast_events() -> Iterator[tuple[date, int, Step]]:
    """Dated registry events, in date order: a key handed over, a qualification granted,
    annual figures, audit opinions."""
    yield from sorted(_unsorted_cast_events(), key=lambda event: (event[0], event[1]))


def _unsorted_cast_events() -> Iterator[tuple[date, int, Step]]:
    old, new = ACTORS["s1-implementer"], ACTORS["s1-implementer-2"]
    yield (
        KEY_ROTATION_DAY,
        0,
        Step(
            "s1-admin",
            "key.revoked",
            "demo:key-revoked:s1-implementer",
            {
                "key_id": old.key.id,
                "reason": "持有人李明离职，密钥停用；由财务部赵静接任。",
            },
        ),
    )
    yield KEY_ROTATION_DAY, 0, _grant(new)
    yield (
        QUALIFICATION_DAY,
        0,
        Step(
            "registrar",
            "org.updated",
            "demo:org-updated:F2",
            {
                "org": ORGS["F2"].code,
                "public_fundraising": True,
                "reason": "经评估认定，取得公开募捐资格（深民函〔2026〕88号，示例）。",
            },
        ),
    )
    yield from _annual_financials()
    for org, opinion, summary in (
        ("F1", "unqualified", "财务报表在所有重大方面公允反映了基金会2025年度的财务状况和业务活动成果。"),
        ("S1", "qualified", "除部分项目支出凭证归档不完整外，财务报表在所有重大方面公允反映了2025年度的财务状况。"),
    ):
        yield (
            AUDIT_DAY,
            8,
            Step(
                "a1-auditor",
                "audit.opinion",
                f"demo:audit:{org}:2025",
                {
                    "org": ORGS[org].code,
                    "year": 2025,
                    "opinion": opinion,
                    "report_sha256": _sha(f"demo-evidence/audit/{org}/2025"),
                    "summary": summary,
                },
            ),
        )


# Each charity's annual figures (yuan) for 2024 and 2025: income, charitable spending,
# management costs, fundraising costs, year-end net assets. S3's management costs break the
# 13% cap in 2025 (above the 200,000-yuan exemption), so the reports show a ratio breach.
ANNUAL_FIGURES: dict[str, dict[int, tuple[int, int, int, int, int]]] = {
    "F1": {
        2024: (38_500_000, 29_800_000, 2_650_000, 620_000, 61_000_000),
        2025: (42_300_000, 31_900_000, 2_880_000, 700_000, 66_500_000),
    },
    "F2": {2024: (6_200_000, 4_900_000, 410_000, 0, 9_800_000), 2025: (7_100_000, 5_300_000, 460_000, 0, 10_900_000)},
    "F3": {
        2024: (15_600_000, 11_800_000, 1_150_000, 280_000, 23_400_000),
        2025: (17_900_000, 13_400_000, 1_260_000, 310_000, 26_000_000),
    },
    "S1": {2024: (3_900_000, 3_050_000, 420_000, 0, 1_600_000), 2025: (4_300_000, 3_380_000, 460_000, 0, 1_800_000)},
    "S2": {2024: (2_600_000, 2_100_000, 250_000, 0, 900_000), 2025: (2_900_000, 2_300_000, 280_000, 0, 1_050_000)},
    "S3": {2024: (2_200_000, 1_700_000, 260_000, 0, 700_000), 2025: (2_400_000, 1_650_000, 520_000, 0, 760_000)},
    "G1": {2024: (180_000, 150_000, 21_000, 0, 90_000), 2025: (210_000, 170_000, 24_000, 0, 105_000)},
    "G2": {2024: (320_000, 270_000, 30_000, 0, 140_000), 2025: (360_000, 300_000, 33_000, 0, 160_000)},
}


# Days after 1 April of the next year on which each charity files its annual figures (due by
# 31 May): most in April; the volunteer team G2 files its 2025 report on 9 June, late.
ANNUAL_FILING_DAYS: dict[str, dict[int, int]] = {
    "F1": {2024: 9, 2025: 13},
    "F2": {2024: 20, 2025: 16},
    "F3": {2024: 14, 2025: 24},
    "S1": {2024: 27, 2025: 22},
    "S2": {2024: 29, 2025: 35},
    "S3": {2024: 41, 2025: 38},
    "G1": {2024: 45, 2025: 51},
    "G2": {2024: 55, 2025: 69},
}


def _annual_financials() -> Iterator[tuple[date, int, Step]]:
    """financials.reported by each charity's administrator, for the years before the base date."""
    for org, years in ANNUAL_FIGURES.items():
        admin = f"{org.lower()}-admin"
        for year, (income, charitable, management, fundraising, net_assets) in sorted(years.items()):
            day = date(year + 1, 4, 1) + timedelta(days=ANNUAL_FILING_DAYS[org][year])
            if day > BASE_DATE:
                continue
            total = charitable + management + fundraising
            yield (
                day,
                7,
                Step(
                    admin,
                    "financials.reported",
                    f"demo:financials:{org}:{year}",
                    {
                        "org": ORGS[org].code,
                        "year": year,
                        "currency": CURRENCY,
                        "total_income": _amt(_money(income)),
                        "charitable_spending": _amt(_money(charitable)),
                        "management_costs": _amt(_money(management)),
                        "fundraising_costs": _amt(_money(fundraising)),
                        "total_spending": _amt(_money(total)),
                        "net_assets": _amt(_money(net_assets)),
                        "audit_report_sha256": _sha(f"demo-evidence/annual-report/{org}/{year}"),
                    },
                ),
            )


def _setup(origin: str, log_key: str | None) -> Iterator[tuple[date, int, Step]]:
    """The registry set up before the history: the registrar's entries on SETUP_DAY, the keys
    the organisations grant their staff the next working day."""
    for step in _base_steps(origin, log_key):
        yield SETUP_DAY if step.actor == "registrar" else SETUP_DAY + timedelta(days=1), 0, step


def _small_streams(origin: str, log_key: str | None) -> list[Iterator[tuple[date, int, Step]]]:
    """The dated streams of the small demo: set-up, projects, registry events, campaigns."""
    streams = [_setup(origin, log_key)]
    streams += [_project_timeline(spec, f"demo/{spec.pid}") for spec in _showcase_specs()]
    streams += [_cast_events(), _typhoon_campaign(), _upcoming_campaign()]
    return streams


def _merged(streams: list[Iterator[tuple[date, int, Step]]]) -> Iterator[Step]:
    """The steps of dated streams in log order: by day, then priority within the day, then
    stream; each step's ``day`` is set to the day it is recorded."""
    last = date.min
    for (day, *_), step in heapq.merge(*[_keyed(s, n) for n, s in enumerate(streams)], key=lambda item: item[0]):
        if day < last:  # a stream out of date order: the log's clock would stop at its latest day
            raise InvariantBroken(f"demo step {step.idem} is dated {day}, after a step of {last}")
        last = step.day = day
        yield step


def _keyed(stream: Iterator[tuple[date, int, Step]], n: int) -> Iterator[tuple[tuple[date, int, int, int], Step]]:
    for i, (day, prio, step) in enumerate(stream):
        yield (day, prio, n, i), step


TYPHOON_START = BASE_DATE - timedelta(days=75)  # a typhoon in mid-September
TYPHOON_FUNDRAISING_DAYS = 30  # public fundraising for a month; the relief work goes on a month more
UPCOMING_START = BASE_DATE + timedelta(days=20)


def _typhoon_registered(flow: ProjectFlow, fundraising_end: date) -> Step:
    spec = flow.spec
    plan = {
        "purpose": "为台风受灾群众提供饮用水、食品、临时安置物资和应急救助金。",
        "fundraising_start": spec.start.isoformat(),
        "fundraising_end": fundraising_end.isoformat(),
        "area": "广东省深圳市",
        "responsible_person": "鹏城公益基金会秘书长 张主任",
        "office_address": "深圳市福田区示例路 1 号公益大厦 8 楼",
        "receiving_methods": "互联网公开募捐信息平台、银行转账、实物捐赠（需提前联系）",
        "bank_account": "深圳市鹏城公益基金会 中国银行深圳分行 7000 0000 0001（示例）",
        "beneficiaries": "深圳市受台风影响的困难群众及临时安置人员",
        "use_of_funds": "应急物资 70%，受灾家庭救助金 25%，项目执行 5%",
        "fundraising_cost": "不超过募集总额的 2%",
        "surplus_handling": "结余用于灾后重建及同类防灾减灾项目",
    }
    registered = flow.registered()
    registered.data = dict(
        registered.fields(),
        directed=False,
        emergency=True,
        plan=plan,
        title_zh="台风灾害受灾群众紧急救助（公开募捐）",
        title_en="Emergency relief for people affected by the typhoon (public fundraising)",
        region="广东省深圳市",
    )
    return registered


def _typhoon_campaign() -> Iterator[tuple[date, int, Step]]:
    """The emergency public campaign of F1 after a typhoon: donations from the first day, its
    plan filed on the third (within 10 days after the start, as an emergency may), acknowledged
    by the registrar; a heavy first week, then fewer gifts until the fundraising ends; relief
    paid out for two months, a report when the fundraising ends and a final one at the end."""
    start = TYPHOON_START
    fundraising_end = start + timedelta(days=TYPHOON_FUNDRAISING_DAYS)
    spec = ProjectSpec(
        "SZ-TYPHOON-RELIEF",
        "disaster",
        "f1-fundraiser",
        ("s2-implementer", "g2-implementer"),
        ("O1",),
        start,
        start + timedelta(days=2 * TYPHOON_FUNDRAISING_DAYS),
        approve_every=3,
        target_yuan=3_000_000,
        online_gifts=True,
    )
    flow = ProjectFlow(spec, random.Random("demo/SZ-TYPHOON-RELIEF"))
    yield start, 1, _typhoon_registered(flow, fundraising_end)
    in_kind: list[str] = []  # filed with the authority as emergency donations (SEZ art. 26)
    first_days: list[str] = []  # filed in an ordinary SEZ filing (art. 24)
    day = start
    while day <= BASE_DATE:
        offset = (day - start).days
        for step in flow.due(day):
            yield day, 3, step
        if day <= fundraising_end:
            yield from _typhoon_gifts(flow, day, in_kind, first_days)
        if offset == 3:  # the gifts to file with the authority are known now
            for when, filing in _sz_filings(start, in_kind, first_days):
                flow.schedule(when, filing)
            yield day, 3, _plan_filed(flow.spec, "0917")
        if offset == 5:
            yield day, 3, _plan_acknowledged(flow.spec, "0917", "紧急募捐，已于启动后十日内补办备案。")
        if (1 <= offset <= 6 or offset % 7 == 0) and day <= spec.end:
            yield from _typhoon_relief(flow, day, 3 if offset <= 6 else 1)
        if day == fundraising_end:
            yield day, 6, flow.progress(start, day, "g2-implementer")
        if day == spec.end + timedelta(days=5):
            for actor in spec.implementers:
                yield day, 6, flow.progress(start, spec.end, actor)
        day += timedelta(days=1)
    for step in flow.due(date.max):
        yield BASE_DATE, 3, step


def _typhoon_gifts(
    flow: ProjectFlow, day: date, in_kind: list[str], first_days: list[str]
) -> Iterator[tuple[date, int, Step]]:
    """A day's gifts to the typhoon campaign: 35 a day the first week, then fewer each day."""
    offset = (day - flow.spec.start).days
    mean = 35.0 if offset < 7 else max(1.5, 35.0 * 0.8 ** (offset - 6))
    for _ in range(_poisson(flow.rng, mean)):
        step = flow.donation(day, next(flow.donations))
        if len(first_days) < 3:
            step.keep = True
            first_days.append(step.idem)
        yield day, 2, step
    if offset in (1, 3):
        step = flow.donation(day, next(flow.donations), kind="in_kind")
        step.keep = True
        in_kind.append(step.idem)
        yield day, 2, step


def _typhoon_relief(flow: ProjectFlow, day: date, payments: int) -> Iterator[tuple[date, int, Step]]:
    """Money allocated to the implementers and paid out on ``day``, every third payment checked
    by the overseer three days later."""
    for step in flow.allocate(day):
        yield day, 4, step
    for actor in flow.spec.implementers:
        for _ in range(payments):
            payment = flow.disburse(day, actor)
            if payment is None:
                continue
            payment.keep = len(flow.disbursements) % flow.spec.approve_every == 0
            yield day, 5, payment
            if payment.keep:
                check = flow.attest(payment.idem, "approved", "核对采购合同、入库单与发放签收表，数量与金额一致。")
                flow.schedule(day + timedelta(days=3), check)


def _upcoming_campaign() -> Iterator[tuple[date, int, Step]]:
    """A public campaign of F2 (qualified since QUALIFICATION_DAY) that starts after the base
    date, its plan filed 30 days before the start (10 are the minimum) and acknowledged."""
    start = UPCOMING_START
    upcoming = ProjectSpec(
        "NS-SENIOR-DIGITAL",
        "elderly",
        "f2-fundraiser",
        ("s1-implementer",),
        ("O1",),
        start,
        start + timedelta(days=365),
        target_yuan=400_000,
    )
    step = ProjectFlow(upcoming, random.Random("demo/NS-SENIOR-DIGITAL")).registered()
    step.data = dict(
        step.fields(),
        directed=False,
        title_zh="长者数字技能助老计划（公开募捐）",
        title_en="Digital skills for seniors (public fundraising)",
        region="广东省深圳市南山区",
        description="教长者使用智能手机就医挂号、移动支付与防范电信诈骗。",
        plan={
            "purpose": "帮助南山区长者跨越数字鸿沟。",
            "fundraising_start": start.isoformat(),
            "fundraising_end": (start + timedelta(days=90)).isoformat(),
            "area": "广东省深圳市南山区",
            "responsible_person": "南山长者关爱基金会秘书长 刘主任",
            "office_address": "深圳市南山区示例路 8 号",
            "receiving_methods": "互联网公开募捐信息平台、银行转账",
            "bank_account": "深圳市南山长者关爱基金会 招商银行深圳分行 7550 0000 0002（示例）",
            "beneficiaries": "南山区 60 岁以上长者",
            "use_of_funds": "课程与教材 60%，志愿者培训 30%，其他 10%",
            "fundraising_cost": "不超过募集总额的 3%",
            "surplus_handling": "结余用于同类助老服务",
        },
    )
    yield start - timedelta(days=33), 1, step
    yield start - timedelta(days=30), 3, _plan_filed(upcoming, "1102")
    yield start - timedelta(days=26), 3, _plan_acknowledged(upcoming, "1102")


def _plan_filed(spec: ProjectSpec, number: str) -> Step:
    """The fundraising plan of a public campaign filed by its fundraiser (``plan.filed``)."""
    data = {"project": spec.pid, "filing_number": f"SZ-MZ-{spec.start.year}-{number}"}
    return Step(spec.fundraiser, "plan.filed", f"demo:{spec.pid}:plan-filed", data)


def _plan_acknowledged(spec: ProjectSpec, number: str, note: str | None = None) -> Step:
    """The registrar's record of a filed plan (``plan.acknowledged``)."""
    data = {"project": spec.pid, "record_number": f"深民慈备〔{spec.start.year}〕{number}号（示例）"}
    if note is not None:
        data["note"] = note
    return Step("registrar", "plan.acknowledged", f"demo:{spec.pid}:plan-acknowledged", data)


def _sz_filings(start: date, in_kind: list[str], first_days: list[str]) -> Iterator[tuple[date, Step]]:
    """SEZ donation filings (Shenzhen SEZ Regulations on Donations for Public Welfare, art.
    24-26) by the foundation F1 for the typhoon campaign: the in-kind gifts, accepted first in
    the emergency and filed 4 days after the start, answered by the registrar 5 days later (of
    the 10 it has); and the first donations, filed 4 days before the base date, still awaiting
    the reply."""
    f1 = ORGS["F1"].code

    def filing(
        ref: str, idems: list[str], filed_on: date, purpose: str, **extra: Any
    ) -> Callable[[Context], dict[str, Any]]:
        def data(ctx: Context) -> dict[str, Any]:
            return {
                "ref": ref,
                "authority": REGISTRAR,
                "donations": [ctx.hash(i) for i in idems],
                "filed_on": filed_on.isoformat(),
                "emergency": False,
                "purpose": purpose,
                "intent_sha256": _sha(f"demo-evidence/sz-filing/{ref}/intent"),
                "declaration_sha256": _sha(f"demo-evidence/sz-filing/{ref}/declaration"),
                "property_list_sha256": _sha(f"demo-evidence/sz-filing/{ref}/property-list"),
                **extra,
            }

        return data

    filed = start + timedelta(days=4)
    emergency_ref = f"PC-JZBA-{start.year}-001"
    yield (
        filed,
        Step(
            "f1-admin",
            "sz.donation_filed",
            "demo:sz-filing:F1:emergency",
            filing(
                emergency_ref,
                in_kind,
                filed,
                "台风受灾群众应急生活物资，按安置点人数直接发放。",
                emergency=True,
                accepted_on=(start + timedelta(days=1)).isoformat(),
                note="紧急救灾物资先行接受，三个月内补办备案。",
            ),
            needs=tuple(in_kind),
            keep=True,
        ),
    )
    replied = filed + timedelta(days=5)
    yield (
        replied,
        Step(
            "registrar",
            "sz.filing_replied",
            "demo:sz-filing:F1:emergency:reply",
            lambda ctx: {
                "target": ctx.hash("demo:sz-filing:F1:emergency"),
                "decision": "approved",
                "replied_on": replied.isoformat(),
                "note": "准予备案（示例）。",
            },
            needs=("demo:sz-filing:F1:emergency",),
        ),
    )
    ordinary = BASE_DATE - timedelta(days=4)
    yield (
        ordinary,
        Step(
            "f1-admin",
            "sz.donation_filed",
            "demo:sz-filing:F1:first-days",
            filing(
                f"PC-JZBA-{start.year}-002",
                first_days,
                ordinary,
                "台风应急救助金及物资采购，按募捐方案使用。",
                note=f"{f1} 首批公开募捐捐赠备案。",
            ),
            needs=tuple(first_days),
        ),
    )


def _report_step() -> Step:
    def data(ctx: Context) -> dict[str, Any]:
        log = ctx.ledger.log
        size = log.head().size
        root = log.root_at(size).hex()
        summary = _fund_summary(ctx.ledger)
        body = json.dumps(
            {"tree_size": size, "root": root, "projects": summary}, ensure_ascii=False, indent=2, sort_keys=True
        )
        raw = body.encode("utf-8")

        # where the API serves a recorded report's files from (kind, then the file's stem)
        folder = private_dir(ctx.ledger.settings.published_report_dir("demo-summary", "demo-summary"))
        write_private(folder / "demo-summary.json", raw)
        return {
            "kind": "demo-summary",
            "subject": "registry",
            "period_start": (BASE_DATE - timedelta(days=HISTORY_DAYS)).isoformat(),
            "period_end": BASE_DATE.isoformat(),
            "rule_set": "cn-charity/1",
            "tree_size": size,
            "root": root,
            "files": [{"name": "demo-summary.json", "sha256": hashlib.sha256(raw).hexdigest(), "size": len(raw)}],
        }

    return Step("system", "report.issued", "demo:report:summary", data, barrier=True)


def _fund_summary(ledger: Any) -> dict[str, Any]:
    fund = table_for(FundRow)
    with ledger.engine.connect() as conn:
        rows = conn.execute(select(fund).order_by(fund.c.project)).mappings().all()
    return {
        r["project"]: {
            "raised": _amt(r["raised_minor"]),
            "allocated": _amt(r["allocated_minor"]),
            "disbursed": _amt(r["disbursed_minor"]),
            "balance": _amt(r["balance_minor"]),
            "donations": r["donations_count"],
        }
        for r in rows
    }


# --- bulk (large scale) ---------------------------------------------------------------------------

_BULK_COMBOS = (
    ("elderly", "f1-fundraiser-2", ("s2-implementer",)),
    ("community", "f1-fundraiser", ("s2-implementer", "g2-implementer")),
    ("socialwork", "s3-fundraiser", ("s3-implementer",)),
    ("education", "f3-fundraiser", ("f3-implementer",)),
    ("disability", "f2-fundraiser", ("s3-implementer",)),
)
_BULK_DISTRICTS = ("福田", "罗湖", "南山", "宝安", "龙岗", "盐田", "龙华", "坪山", "光明", "大鹏")


def _bulk(entries: int) -> Iterator[tuple[date, int, Step]]:
    """Exactly ``entries`` dated steps of bulk projects (directed fundraising), merged by date.

    A project over the two-year history with ``d`` donations a day yields about
    ``d * 730 * 1.045`` entries (payments, allocations, reports, attestations on top); the
    projects are sized to give a little more, and the merged stream is cut at ``entries``
    (every step depends only on earlier ones, so any prefix is valid)."""
    if entries <= 0:
        return
    projects = max(1, min(100, entries // 2000))
    per_project = entries / projects
    per_day = max(0.05, per_project / (HISTORY_DAYS * 1.0))
    specs = []
    for i in range(projects):
        template, fundraiser, implementers = _BULK_COMBOS[i % len(_BULK_COMBOS)]
        district = _BULK_DISTRICTS[i % len(_BULK_DISTRICTS)]
        specs.append(
            ProjectSpec(
                f"BULK-{i + 1:03d}",
                template,
                fundraiser,
                implementers,
                ("O1",),
                BASE_DATE - timedelta(days=HISTORY_DAYS - 1 - (i % 7)),
                BASE_DATE + timedelta(days=365),
                title_suffix=f"（{district}第{i // len(_BULK_DISTRICTS) + 1}期）",
                title_en_suffix=f" ({district} {i + 1})",
                donations_per_day=per_day,
                disbursements_per_month=max(3.0, per_day * 1.2),
                approve_every=25,
                target_yuan=5_000_000,
                personal_every=2000,
                government=True,
                evidence_files=False,
            )
        )
    merged = heapq.merge(
        *[_keyed(_project_timeline(s, f"demo/{s.pid}"), n) for n, s in enumerate(specs)], key=lambda item: item[0]
    )
    for (day, prio, *_), step in itertools.islice(merged, entries):
        yield day, prio, step


def demo_steps(
    origin: str,
    scale: str,
    *,
    log_key: str | None = None,
    bulk_entries: int | None = None,
) -> Iterator[Step]:
    """Every step of the demo at ``scale``, in log order, each with the day it is recorded.
    ``large`` is ``small`` with bulk projects merged into the same history, up to
    :data:`LARGE_ENTRIES` entries in all (or plus exactly ``bulk_entries``). ``log_key``
    (base64) is the log's checkpoint key, named in the genesis entry."""
    streams = _small_streams(origin, log_key)
    if scale == "large":
        if bulk_entries is None:  # the small part counted first: its size decides the bulk's
            bulk_entries = LARGE_ENTRIES - 1 - sum(1 for _ in _merged(_small_streams(origin, log_key)))
        streams.append(_bulk(bulk_entries))
    streams.append(iter([(BASE_DATE, 99, _report_step())]))  # last: it names the tree it summarises
    yield from _merged(streams)


def _log_moments(day: date, n: int) -> list[datetime]:
    """The log times (UTC) of ``n`` entries recorded on ``day``: a working day in China split
    into slots (one for every :data:`ENTRIES_PER_SLOT` entries, at most :data:`SLOTS_PER_DAY`),
    one moment at a seeded point of each slot, entries shared out over the slots in order: the
    times rise, and the entries of a slot are one append, as a client's batch would be (one
    append and one checkpoint an entry would make the load several times slower).
    Deterministic: the same day and count give the same times."""
    slots = max(1, min(SLOTS_PER_DAY, -(-n // ENTRIES_PER_SLOT)))
    rng = random.Random(f"demo/clock/{day.isoformat()}/{slots}")
    width = WORK_SPAN_MS // slots
    opening = datetime(day.year, day.month, day.day, tzinfo=CHINA) + WORK_START
    moments = [opening + timedelta(milliseconds=j * width + rng.randrange(width)) for j in range(slots)]
    return [moments[i * slots // n].astimezone(UTC) for i in range(n)]


def timed_steps(steps: Iterable[Step]) -> Iterator[tuple[datetime, Step]]:
    """Each step with the log time the demo's clock gives it (:func:`_log_moments`); the days
    of ``steps`` never go back, so neither do the times."""
    for day, group in itertools.groupby(steps, key=lambda s: s.day):
        if day is None:
            raise InvariantBroken("a demo step has no day")
        batch = list(group)
        yield from zip(_log_moments(day, len(batch)), batch, strict=True)


class SimulatedClock:
    """The demo sequencer's own clock: it reads the moment the loader set (see
    :func:`load_demo`); the log's rules (times never backwards, ``at`` within the skew of the
    clock, business dates not after the log's day) apply to it as to the real one."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


# --- the loader -----------------------------------------------------------------------------------


@dataclass
class DemoReport:
    scale: str
    added: int = 0
    existing: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    size: int = 0
    seconds: float = 0.0
    keys_dir: str = ""
    receipts_file: str = ""
    receipts: int = 0
    evidence_files: int = 0  # files put into the evidence store by this load

    @property
    def rate(self) -> float:
        return self.added / self.seconds if self.seconds else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "scale": self.scale,
            "added": self.added,
            "already_present": self.existing,
            "log_size": self.size,
            "added_by_type": dict(sorted(self.by_type.items())),
            "seconds": round(self.seconds, 2),
            "entries_per_s": round(self.rate),
            "keys_dir": self.keys_dir,
            "receipts_file": self.receipts_file,
            "receipts_written": self.receipts,
            "evidence_files_added": self.evidence_files,
        }


def write_demo_keys(home: Path) -> Path:
    """Write every demo actor's private key to ``home/demo-keys/<name>.key`` (mode 0600)."""
    folder = Path(home) / "demo-keys"
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    for name, actor in ACTORS.items():
        path = folder / f"{name}.key"
        if path.exists():
            if read_key_file(path).id != actor.key.id:
                raise LedgerError(DEMO_KEY_FILE_MISMATCH, path=str(path), name=name)
            continue
        write_key_file(actor.key, path)
    readme = folder / "README.txt"
    if not readme.exists():
        lines = [
            "Demo actors' keys (no passphrase). Try, for example:",
            "  charity-ledger submit --key demo-keys/o1-overseer.key attestation.recorded --data '{...}'",
            "",
        ]
        lines += [
            f"{name}.key\t{a.role}\t{ORGS[a.org].name_zh if a.org != 'R' else '深圳市民政局'}\t{a.holder}"
            for name, a in ACTORS.items()
        ]
        readme.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _is_demo_log(ledger: Any) -> bool:
    raw = ledger.log.leaf(0)
    body = parse_leaf_json(raw)["body"]
    return bool(body.get("type") == "registry.genesis" and body.get("signer") == ACTORS["registrar"].key.id)


def load_demo(
    ledger: Any,
    scale: str = "small",
    *,
    progress: Callable[[str], None] | None = None,
    bulk_entries: int | None = None,
    batch_size: int = MAX_BATCH,
    salt_source: Callable[[], bytes] = new_salt,
) -> DemoReport:
    """Load the demo data set into ``ledger`` (idempotent; see the module docstring). The
    entries are appended by a sequencer of the same log whose clock is simulated (the day
    each is recorded, :func:`timed_steps`); ``salt_source`` makes the donations' commitment salts
    (random: only a test that compares two loads byte for byte passes another)."""
    if scale not in SCALES:
        raise LedgerError(DEMO_SCALE_INVALID, scale=scale)
    started = time.perf_counter()
    head = ledger.log.head()
    if head.size and not _is_demo_log(ledger):
        raise LedgerError(DEMO_LOG_NOT_EMPTY, home=str(ledger.settings.home), size=head.size)
    resume = head.size > 0
    clock = SimulatedClock(datetime(SETUP_DAY.year, SETUP_DAY.month, SETUP_DAY.day, 8, tzinfo=CHINA).astimezone(UTC))
    ledger = replace(ledger, clock=clock)  # the same log; its sequencer reads the simulated clock
    if not resume:
        ledger.log.start_clock_at(clock.moment)  # the empty tree, dated before the registry's set-up
    report = DemoReport(scale)
    home = Path(ledger.settings.home)
    report.keys_dir = str(write_demo_keys(home))
    sink = LocalSink(ledger)
    evidence = open_evidence(ledger)
    origin = ledger.log.origin
    hashes: dict[str, str] = {}
    ctx = Context(ledger, hashes)
    keys = {name: actor.key for name, actor in ACTORS.items()}
    receipts: list[str] = []
    pending: list[Step] = []
    pending_idems: set[str] = set()
    pending_at = [clock.moment]  # the log time of the pending steps
    last_note = [time.perf_counter()]

    def flush() -> None:
        if not pending:
            return
        todo = pending[:]
        pending.clear()
        pending_idems.clear()
        if resume:
            by_signer: dict[str, list[str]] = defaultdict(list)
            for s in todo:
                by_signer[keys[s.actor].id].append(s.idem)
            known: dict[str, Any] = {}
            for signer, idems in by_signer.items():
                known.update(sink.known([signer], idems))  # idems are unique across demo signers
            fresh = []
            for s in todo:
                found = known.get(s.idem)
                if found is None:
                    fresh.append(s)
                    continue
                report.existing += 1
                if s.keep:
                    hashes[s.idem] = found.leaf_hash
            todo = fresh
            if not todo:
                return
        moment = clock.moment = pending_at[0]
        entries = []
        salts: list[bytes | None] = []
        for s in todo:
            data = s.data(ctx) if callable(s.data) else s.data
            salt = None
            if s.type == "donation.received":
                salt = salt_source()
                data = dict(data, **donor_fields(s.personal or {}, salt))
            salts.append(salt)
            key = keys[s.actor]
            entries.append(sign_entry(key, make_body(origin, s.type, key.id, moment, s.idem, data)))
        donors = [
            (s.personal, salt) if s.personal is not None and salt is not None else None
            for s, salt in zip(todo, salts, strict=True)
        ]
        results, _stored = sink.append_with_donors(entries, donors, keys[todo[0].actor])  # todo is never empty here
        for s, result, salt in zip(todo, results, salts, strict=True):
            if s.keep:
                hashes[s.idem] = result.leaf_hash
            if result.existing:
                report.existing += 1
                continue
            report.added += 1
            report.by_type[s.type] += 1
            if s.personal is not None and salt is not None:
                name = s.personal["name"]
                receipts.append(f"{format_receipt_code(result.pos, salt)}\t{s.label}\t{name[0]}{'*' * (len(name) - 1)}")
        if progress and time.perf_counter() - last_note[0] > 10:
            last_note[0] = time.perf_counter()
            progress(f"demo-data: {report.added + report.existing} entries so far ({report.added} added)")

    steps = demo_steps(origin, scale, log_key=ledger.log_key.public_b64, bulk_entries=bulk_entries)
    timed = timed_steps(steps)
    while chunk := list(itertools.islice(timed, batch_size)):
        # the files the entries name are in the store before the entries are in the log; flushed
        # to disk once, at the end of the load (an fsync per file would triple its time)
        files = [f for _, s in chunk for f in s.files]
        if files:
            report.evidence_files += sum(created for _, created in evidence.add_many(files, durable=False))
        for moment, step in chunk:
            if moment != pending_at[0] or step.barrier or any(n not in hashes for n in step.needs):
                flush()
            pending_at[0] = moment
            pending.append(step)
            pending_idems.add(step.idem)
            if len(pending) >= batch_size:
                flush()
    flush()

    if report.evidence_files:
        os.sync()  # the evidence files written without a flush of their own
    report.receipts_file = str(home / "demo-receipts.txt")
    if receipts:
        path = home / "demo-receipts.txt"
        new_file = not path.exists()
        with open(path, "a", encoding="utf-8") as out:
            if new_file:
                out.write(
                    '# Demo donation receipt codes (fictional donors). Try them on the public "verify my donation" page.\n'
                )
                out.write("# receipt code\tproject\tamount\treceived on\tdonor\n")
            out.write("\n".join(receipts) + "\n")
        os.chmod(path, 0o600)
    report.receipts = len(receipts)
    report.size = ledger.log.head().size
    report.seconds = time.perf_counter() - started
    return report


# ``api.serve`` (``charity-ledger serve --demo``) calls ``ledger.services.demo.load``.
load = load_demo

__all__ = [
    "ACTORS",
    "BASE_DATE",
    "ORGS",
    "DemoReport",
    "demo_key",
    "demo_steps",
    "load",
    "load_demo",
    "write_demo_keys",
]
