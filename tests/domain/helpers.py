"""The domain tests' cast and entry data, over the one test-world builder
(:mod:`tests.support.world`): ``Harness`` appends signed entries to the domain alone
(a MemoryState with a running seq, as the log core would); ``World`` registers the usual cast.
The same World runs through the real store as :class:`tests.support.store_world.StoreWorld`."""

from __future__ import annotations

from typing import Any

from ledger.domain import MemoryState
from ledger.domain.privacy import donor_commitment
from ledger.domain.uscc import make_uscc
from ledger.protocol.keys import KeyPair
from tests.support.world import ORIGIN as ORIGIN  # the builder's names, re-exported for the tests
from tests.support.world import REGISTRAR_ORG as REGISTRAR_ORG
from tests.support.world import T0 as T0
from tests.support.world import Clock, Log, MemoryLog, Registry, genesis_data, key, org_data, sha
from tests.support.world import assert_rendered as assert_rendered
from tests.support.world import grant_data as grant_data

FOUNDATION = make_uscc("53440300MJL00001A")  # public-fundraising foundation: the fundraiser
SERVICE_ORG = make_uscc("52440300MJL00002B")  # social service organisation: implementer
SERVICE_ORG_2 = make_uscc("52440300MJL00003C")  # a second implementer
OVERSIGHT = make_uscc("12440300MB0000011")  # independent oversight body
AUDITOR = make_uscc("91440300MA5F00001")  # audit firm
SMALL_GROUP = make_uscc("51440300MJL00004D")  # filed community group, no qualification


class Harness(Registry):
    """A registry over the domain alone (or over ``log``, e.g. the real store)."""

    def __init__(self, log: Log | None = None, clock: Clock | None = None) -> None:
        super().__init__(log or MemoryLog(), clock)

    @property
    def state(self) -> MemoryState:
        log = self.log
        assert isinstance(log, MemoryLog), "the state of a store-backed world is in its database"
        return log.state

    @state.setter
    def state(self, state: MemoryState) -> None:
        assert isinstance(self.log, MemoryLog)
        self.log.state = state


class KeyedRegistry(Harness):
    """A registry whose genesis names the log's checkpoint key (``log_key``), with the
    foundation registered."""

    def __init__(self, log: Log | None = None, clock: Clock | None = None) -> None:
        super().__init__(log, clock)
        self.registrar = key("registrar")
        self.log_key = key("log key")
        self.append(self.registrar, "registry.genesis", genesis_data(self.registrar, log_key=self.log_key.public_b64))
        self.append(self.registrar, "org.registered", org_data(FOUNDATION, public=True))


# --- data builders --------------------------------------------------------------------------


def plan_data(start: str = "2026-03-20", end: str = "2026-12-31", **over: Any) -> dict[str, Any]:
    data = {
        "purpose": "为社区独居老人提供助餐与探访服务",
        "fundraising_start": start,
        "fundraising_end": end,
        "area": "广东省深圳市",
        "responsible_person": "张主任",
        "office_address": "深圳市福田区福中三路 1 号",
        "receiving_methods": "银行转账、互联网公开募捐信息平台",
        "bank_account": "中国银行深圳分行 7000 0000 0001",
        "beneficiaries": "福田区 60 岁以上独居老人",
        "use_of_funds": "助餐补贴 80%，探访服务 15%，其他 5%",
        "fundraising_cost": "不超过募集总额的 3%",
        "surplus_handling": "结余用于同类养老服务项目",
    }
    data.update(over)
    return data


def project_data(project: str, directed: bool = False, **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "project": project,
        "title_zh": "长者助餐计划",
        "title_en": "Meals for the elderly",
        "field": "elderly_care",
        "region": "440304",
        "start_date": "2026-03-01",
        "end_date": "2027-02-28",
        "currency": "CNY",
        "target": "500000.00",
        "implementers": [SERVICE_ORG, SERVICE_ORG_2],
        "overseers": [OVERSIGHT],
        "directed": directed,
        "emergency": False,
    }
    if not directed:
        data["plan"] = plan_data()
    data.update(over)
    return data


def donation_data(project: str, amount: str = "100.00", restricted: bool = True, **over: Any) -> dict[str, Any]:
    data = {
        "project": project,
        "currency": "CNY",
        "amount": amount,
        "kind": "money",
        "channel": "bank_transfer",
        "donor_type": "individual",
        "commitment": donor_commitment({"name": "李四"}, b"\x01" * 16),
        "restricted": restricted,
        "received_on": "2026-03-21",
    }
    data.update(over)
    return data


def allocation_data(
    project: str, amount: str, implementer: str = SERVICE_ORG, source: str = "restricted", **over: Any
) -> dict[str, Any]:
    data = {
        "project": project,
        "currency": "CNY",
        "amount": amount,
        "implementer": implementer,
        "source": source,
        "allocated_on": "2026-03-21",
    }
    data.update(over)
    return data


def disbursement_data(project: str, amount: str, category: str = "program", **over: Any) -> dict[str, Any]:
    data = {
        "project": project,
        "currency": "CNY",
        "amount": amount,
        "category": category,
        "payee": "福田区长者饭堂",
        "purpose": "三月助餐补贴",
        "paid_on": "2026-03-21",
        "evidence": [sha("invoice-1")],
    }
    data.update(over)
    return data


def progress_data(project: str, start: str = "2026-03-01", end: str = "2026-05-19", **over: Any) -> dict[str, Any]:
    data = {
        "project": project,
        "period_start": start,
        "period_end": end,
        "summary": "三月至五月助餐 1200 人次",
        "evidence": [sha("photos")],
    }
    data.update(over)
    return data


def sz_filing_data(ref: str, donations: list[str], filed_on: str = "2026-03-21", **over: Any) -> dict[str, Any]:
    """An SEZ donation filing (sz.donation_filed) with the registrar as the authority."""
    data = {
        "ref": ref,
        "authority": REGISTRAR_ORG,
        "donations": donations,
        "filed_on": filed_on,
        "emergency": False,
        "purpose": "长者助餐，资金按项目预算使用",
        "intent_sha256": sha(f"intent-{ref}"),
        "declaration_sha256": sha(f"declaration-{ref}"),
        "property_list_sha256": sha(f"list-{ref}"),
    }
    data.update(over)
    return data


def financials_data(org: str, year: int, **over: Any) -> dict[str, Any]:
    """Annual figures of an organisation (financials.reported): spending 820,000.00 of which
    650,000.00 charitable, 120,000.00 management and 30,000.00 fundraising."""
    data = {
        "org": org,
        "year": year,
        "currency": "CNY",
        "total_income": "1000000.00",
        "charitable_spending": "650000.00",
        "management_costs": "120000.00",
        "fundraising_costs": "30000.00",
        "total_spending": "820000.00",
        "net_assets": "2500000.00",
        "audit_report_sha256": sha(f"audit-report-{org}-{year}"),
    }
    data.update(over)
    return data


def disclosure_data(ref: str, kind: str = "related_party_transaction", **over: Any) -> dict[str, Any]:
    """A related-party transaction on 2026-01-10, disclosed on 2026-02-05 (26 days later)."""
    data: dict[str, Any] = {
        "ref": ref,
        "kind": kind,
        "title": "向关联企业采购助餐服务",
        "summary": "理事长担任董事的企业按市场价提供助餐服务，理事会回避表决后通过。",
        "occurred_on": "2026-01-10",
        "published_on": "2026-02-05",
        "evidence": [sha(f"disclosure-{ref}")],
        "counterparty": "深圳市某餐饮管理有限公司",
        "currency": "CNY",
        "amount": "120000.00",
    }
    data.update(over)
    return data


def results_data(project: str, **over: Any) -> dict[str, Any]:
    """A campaign's results: 300,000.00 received, 250,000.00 used, 12,000.00 costs under a
    15,000.00 cap."""
    data: dict[str, Any] = {
        "project": project,
        "currency": "CNY",
        "receipts": "300000.00",
        "used": "250000.00",
        "fundraising_costs": "12000.00",
        "cost_cap": "15000.00",
        "ended_on": "2026-03-20",
        "published_on": "2026-03-21",
        "use_summary": "为 400 名长者提供助餐 9,000 人次",
        "evidence": [sha(f"results-{project}")],
    }
    data.update(over)
    return data


def work_report_data(org: str, year: int, **over: Any) -> dict[str, Any]:
    """An annual work report: income 1,000,000.00 (800,000 donations, 150,000 grants, 50,000
    investment), spending 820,000.00, assets 3,000,000.00 less liabilities 500,000.00."""
    data: dict[str, Any] = {
        "org": org,
        "year": year,
        "currency": "CNY",
        "staff": 12,
        "volunteers": 340,
        "council_members": 9,
        "supervisors": 3,
        "council_meetings": 4,
        "total_assets": "3000000.00",
        "total_liabilities": "500000.00",
        "net_assets": "2500000.00",
        "donation_income": "800000.00",
        "membership_income": "0.00",
        "service_income": "0.00",
        "sales_income": "0.00",
        "government_grants": "150000.00",
        "investment_income": "50000.00",
        "other_income": "0.00",
        "total_income": "1000000.00",
        "charitable_spending": "650000.00",
        "management_costs": "120000.00",
        "fundraising_costs": "30000.00",
        "other_expenses": "20000.00",
        "total_spending": "820000.00",
        "report_sha256": sha(f"work-report-{org}-{year}"),
        "published_on": "2026-03-01",
    }
    data.update(over)
    return data


class World(Harness):
    """A registry with the usual cast: registrar, a qualified foundation raising funds, two
    implementing service organisations, an oversight body, an auditor, the log operator's
    system key, a filed community group; a public project ``PUB`` with a filed plan, in its
    fundraising period; and a directed project ``DIR``."""

    PUB = "P-ELDER-2026"
    DIR = "P-DIRECT-2026"

    def __init__(self, log: Log | None = None, clock: Clock | None = None, *, projects: bool = True) -> None:
        super().__init__(log, clock)
        self.registrar = key("registrar")
        self.k: dict[str, KeyPair] = {}
        self.genesis = self.append(
            self.registrar, "registry.genesis", genesis_data(self.registrar, **self.genesis_extra())
        )
        for org, form, track, public in (
            (FOUNDATION, "foundation", "registered", True),
            (SERVICE_ORG, "social_service_org", "registered", False),
            (SERVICE_ORG_2, "social_service_org", "registered", False),
            (OVERSIGHT, "other", "registered", False),
            (AUDITOR, "enterprise", "registered", False),
            (SMALL_GROUP, "social_group", "filed", False),
        ):
            self.append(self.registrar, "org.registered", org_data(org, form, track, public))
        for name, role, org in (
            ("foundation_admin", "org_admin", FOUNDATION),
            ("service_admin", "org_admin", SERVICE_ORG),
            ("service2_admin", "org_admin", SERVICE_ORG_2),
            ("group_admin", "org_admin", SMALL_GROUP),
            ("overseer", "overseer", OVERSIGHT),
            ("auditor", "overseer", AUDITOR),
            ("system", "system", REGISTRAR_ORG),
        ):
            self.k[name] = key(name)
            self.append(self.registrar, "key.granted", grant_data(self.k[name], role, org))
        for name, role, org, admin in (
            ("fundraiser", "fundraiser", FOUNDATION, "foundation_admin"),
            ("fundraiser2", "fundraiser", FOUNDATION, "foundation_admin"),
            ("implementer", "implementer", SERVICE_ORG, "service_admin"),
            ("implementer2", "implementer", SERVICE_ORG_2, "service2_admin"),
            ("group_fundraiser", "fundraiser", SMALL_GROUP, "group_admin"),
        ):
            self.k[name] = key(name)
            self.append(self.k[admin], "key.granted", grant_data(self.k[name], role, org))
        if projects:
            self.project_pub = self.append(self.fundraiser, "project.registered", project_data(self.PUB))
            self.plan = self.append(
                self.fundraiser, "plan.filed", {"project": self.PUB, "filing_number": "SZ-2026-001"}
            )
            self.project_dir = self.append(self.fundraiser, "project.registered", project_data(self.DIR, directed=True))
            self.set_date("2026-03-21")

    def genesis_extra(self) -> dict[str, Any]:
        """More genesis fields (a world on a real log names its checkpoint key)."""
        return {}

    def __getattr__(self, name: str) -> KeyPair:
        try:
            return self.__dict__["k"][name]
        except KeyError:
            raise AttributeError(name) from None
