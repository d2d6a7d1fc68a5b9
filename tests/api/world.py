"""A small registry for the API tests, signed at the current time (the log checks clocks):
a foundation raising money for a directed project, a service organisation spending it, an
oversight body watching; donations, an allocation, payments, a progress report, verdicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from ledger.domain.privacy import donor_commitment
from ledger.domain.uscc import make_uscc
from ledger.protocol.entry import SignedEntry
from ledger.protocol.keys import KeyPair
from tests.support.ledger_factory import LedgerFactory
from tests.support.world import grant_data, org_data
from tests.support.world import key as world_key

FOUNDATION = make_uscc("53440300MJL00101A")
SERVICE = make_uscc("52440300MJL00102B")
OVERSIGHT = make_uscc("12440300MB0000121")
PROJECT = "P-API-MEALS"
OTHER_PROJECT = "P-API-BOOKS"
CHINA = timezone(timedelta(hours=8))
SALT = bytes(range(16))
DONOR = {"name": "李四", "phone": "13800000000"}


def today() -> str:
    return datetime.now(CHINA).date().isoformat()


def key(name: str) -> KeyPair:
    return world_key(name, "api-test/")


@dataclass
class World:
    """What the tests need to know about the registry they run against."""

    factory: LedgerFactory
    keys: dict[str, KeyPair] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)  # name -> leaf hash
    seqs: dict[str, int] = field(default_factory=dict)

    def sign(self, signer: str, type_: str, data: dict[str, Any], **kw: Any) -> SignedEntry:
        pair = self.factory.registrar if signer == "registrar" else self.keys[signer]
        return self.factory.sign(pair, type_, data, **kw)

    def append(self, name: str, signer: str, type_: str, data: dict[str, Any]) -> str:
        (result,) = self.factory.registry.append_entries([self.sign(signer, type_, data)])
        self.ids[name] = result.leaf_hash
        self.seqs[name] = result.seq
        return result.leaf_hash


def org(code: str, name: str, form: str, public: bool) -> dict[str, Any]:
    return org_data(code, form, public=public, name_zh=name, name_en=None)


def grant(pair: KeyPair, role: str, org_code: str) -> dict[str, Any]:
    return grant_data(pair, role, org_code, holder=f"{role} desk")


def project(project_id: str) -> dict[str, Any]:
    start = (datetime.now(CHINA).date() - timedelta(days=30)).isoformat()
    end = (datetime.now(CHINA).date() + timedelta(days=300)).isoformat()
    return {
        "project": project_id,
        "title_zh": "社区助餐",
        "title_en": "Community meals",
        "field": "elderly_care",
        "region": "440304",
        "start_date": start,
        "end_date": end,
        "currency": "CNY",
        "target": "10000.00",
        "implementers": [SERVICE],
        "overseers": [OVERSIGHT],
        "directed": True,
        "emergency": False,
    }


def donation(project_id: str, amount: str, restricted: bool = True, **over: Any) -> dict[str, Any]:
    data = {
        "project": project_id,
        "currency": "CNY",
        "amount": amount,
        "kind": "money",
        "channel": "bank_transfer",
        "donor_type": "individual",
        "commitment": donor_commitment(DONOR, SALT),
        "restricted": restricted,
        "received_on": today(),
    }
    data.update(over)
    return data


def allocation(project_id: str, amount: str) -> dict[str, Any]:
    return {
        "project": project_id,
        "currency": "CNY",
        "amount": amount,
        "implementer": SERVICE,
        "source": "restricted",
        "allocated_on": today(),
    }


def disbursement(project_id: str, amount: str, category: str = "program") -> dict[str, Any]:
    return {
        "project": project_id,
        "currency": "CNY",
        "amount": amount,
        "category": category,
        "payee": "长者饭堂",
        "purpose": "助餐补贴",
        "paid_on": today(),
        "evidence": ["ab" * 32],
    }


def build_people(factory: LedgerFactory) -> World:
    """Genesis, three organisations and their keys (no projects yet)."""
    world = World(factory)
    factory.with_genesis()
    world.append("org_foundation", "registrar", "org.registered", org(FOUNDATION, "助老基金会", "foundation", True))
    world.append(
        "org_service", "registrar", "org.registered", org(SERVICE, "社区服务中心", "social_service_org", False)
    )
    world.append("org_oversight", "registrar", "org.registered", org(OVERSIGHT, "监督委员会", "other", False))
    for name, role, code, by in (
        ("foundation_admin", "org_admin", FOUNDATION, "registrar"),
        ("service_admin", "org_admin", SERVICE, "registrar"),
        ("overseer", "overseer", OVERSIGHT, "registrar"),
        ("fundraiser", "fundraiser", FOUNDATION, "foundation_admin"),
        ("implementer", "implementer", SERVICE, "service_admin"),
    ):
        world.keys[name] = key(name)
        world.append("grant_" + name, by, "key.granted", grant(world.keys[name], role, code))
    return world


def build_world(factory: LedgerFactory) -> World:
    """The people, two projects and the money of the first one."""
    world = build_people(factory)
    world.append("project", "fundraiser", "project.registered", project(PROJECT))
    world.append("other_project", "fundraiser", "project.registered", project(OTHER_PROJECT))
    world.append("d1", "fundraiser", "donation.received", donation(PROJECT, "100.00"))
    world.append("d2", "fundraiser", "donation.received", donation(PROJECT, "250.50", receipt_no="R-0002"))
    world.append("d3", "fundraiser", "donation.received", donation(PROJECT, "1000.00"))
    world.append("d4", "fundraiser", "donation.received", donation(PROJECT, "50.00", restricted=False))
    world.append("d_other", "fundraiser", "donation.received", donation(OTHER_PROJECT, "7.00"))
    world.append("a1", "fundraiser", "funds.allocated", allocation(PROJECT, "300.00"))
    world.append("p1", "implementer", "funds.disbursed", disbursement(PROJECT, "120.00"))
    world.append("p2", "implementer", "funds.disbursed", disbursement(PROJECT, "30.00", "admin"))
    world.append(
        "progress",
        "implementer",
        "progress.reported",
        {
            "project": PROJECT,
            "period_start": today(),
            "period_end": today(),
            "summary": "本周送餐 40 份",
            "beneficiaries": 12,
            "evidence": [],
        },
    )
    world.append(
        "approve_p1",
        "overseer",
        "attestation.recorded",
        {"target": world.ids["p1"], "verdict": "approved", "findings": "票据齐全"},
    )
    world.append(
        "flag_p2",
        "overseer",
        "attestation.recorded",
        {"target": world.ids["p2"], "verdict": "flagged", "findings": "缺少发票"},
    )
    return world
