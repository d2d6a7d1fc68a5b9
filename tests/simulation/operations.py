"""The cast of the simulated registry and the seeded generator of operations.

Every key is derived from a fixed seed (``KeyPair.from_seed``), so a run is a function of its
seed. The generator reads the model only for *decisions* (which project, how much, which
earlier entry to correct); leaf hashes it copies into data are whatever the store gave, so a
replay makes the same operations in the same order.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ledger.domain.privacy import donor_commitment
from ledger.domain.uscc import make_uscc
from ledger.protocol.keys import KeyPair
from tests.simulation.model import ACTOR_TYPES, MONEY, Model, money

ORIGIN = "sim.charity-ledger.example/log"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # set-up: 09:00 in Shenzhen
T1 = datetime(2026, 3, 21, 2, 0, tzinfo=UTC)  # the simulation proper: 10:00, 21 March
TODAY = "2026-03-21"

REGISTRAR_ORG = make_uscc("11440300MB2C09876")
FOUNDATION = make_uscc("53440300MJL00071A")
SERVICE_1 = make_uscc("52440300MJL00072B")
SERVICE_2 = make_uscc("52440300MJL00073C")
OVERSIGHT = make_uscc("12440300MB0000071")
AUDITOR = make_uscc("91440300MA5F00071")
PUB, DIR = "P-SIM-PUBLIC", "P-SIM-DIRECTED"


def key(name: str) -> KeyPair:
    return KeyPair.from_seed(b"simulation/" + name.encode())


def extra_org(n: int) -> str:
    return make_uscc(f"52440300MJL9{n:05d}")


def sha(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Draft:
    """An entry to sign: by the cast key ``signer``, for the log being appended to unless
    ``log`` names another; ``bad_sig`` spoils the signature, ``skew`` signs it an hour early."""

    signer: str
    type: str
    data: dict[str, Any]
    idem: str
    grants: str = ""  # key.granted: the name of the key granted
    bad_sig: bool = False
    skew: bool = False
    log: str | None = None


@dataclass
class Op:
    kind: str
    drafts: list[Draft] = field(default_factory=list)
    arg: int = 0  # a crash point (statements before the crash), a target position, ...

    def describe(self) -> str:
        parts = [
            f"{d.type} by {d.signer}" + (" (bad sig)" if d.bad_sig else "") + (" (skewed)" if d.skew else "")
            for d in self.drafts
        ]
        return f"{self.kind}[{self.arg}] " + ", ".join(parts)


def plan_data() -> dict[str, Any]:
    return {
        "purpose": "为社区独居老人提供助餐服务",
        "fundraising_start": "2026-03-20",
        "fundraising_end": "2026-12-31",
        "area": "广东省深圳市",
        "responsible_person": "王主任",
        "office_address": "深圳市福田区 1 号",
        "receiving_methods": "银行转账",
        "bank_account": "中国银行 7000 0000 0071",
        "beneficiaries": "独居老人",
        "use_of_funds": "助餐补贴",
        "fundraising_cost": "不超过 3%",
        "surplus_handling": "用于同类项目",
    }


def project_data(project: str, implementers: list[str], directed: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "project": project,
        "title_zh": "模拟项目",
        "field": "elderly_care",
        "region": "440304",
        "start_date": "2026-03-01",
        "end_date": "2027-02-28",
        "currency": "CNY",
        "target": "500000.00",
        "implementers": implementers,
        "overseers": [OVERSIGHT],
        "directed": directed,
        "emergency": False,
    }
    if not directed:
        data["plan"] = plan_data()
    return data


def setup_drafts(log_key_b64: str) -> list[Draft]:
    """The registry every run starts from: genesis, six organisations, their keys, a public
    project with a filed and acknowledged plan, and a directed project."""
    reg = key("registrar")
    out = [
        Draft(
            "registrar",
            "registry.genesis",
            {
                "origin": ORIGIN,
                "jurisdiction": "CN-GD-Shenzhen",
                "rule_sets": ["cn-charity/1", "sz-donation/1"],
                "public_key": reg.public_b64,
                "role": "registrar",
                "org": REGISTRAR_ORG,
                "org_name_zh": "深圳市民政局",
                "holder": "社会组织管理处",
                "log_key": log_key_b64,
            },
            "genesis",
        )
    ]
    for org, form, public in (
        (FOUNDATION, "foundation", True),
        (SERVICE_1, "social_service_org", False),
        (SERVICE_2, "social_service_org", False),
        (OVERSIGHT, "other", False),
        (AUDITOR, "enterprise", False),
    ):
        out.append(
            Draft(
                "registrar",
                "org.registered",
                {
                    "org": org,
                    "name_zh": f"组织{org[-6:]}",
                    "legal_form": form,
                    "track": "registered",
                    "public_fundraising": public,
                },
                f"org-{org}",
            )
        )
    for name, role, org, by in (
        ("foundation_admin", "org_admin", FOUNDATION, "registrar"),
        ("s1_admin", "org_admin", SERVICE_1, "registrar"),
        ("s2_admin", "org_admin", SERVICE_2, "registrar"),
        ("overseer", "overseer", OVERSIGHT, "registrar"),
        ("auditor", "overseer", AUDITOR, "registrar"),
        ("system", "system", REGISTRAR_ORG, "registrar"),
        ("fundraiser", "fundraiser", FOUNDATION, "foundation_admin"),
        ("implementer1", "implementer", SERVICE_1, "s1_admin"),
        ("implementer2", "implementer", SERVICE_2, "s2_admin"),
    ):
        out.append(Draft(by, "key.granted", grant(name, role, org), f"grant-{name}", grants=name))
    out += [
        Draft("fundraiser", "project.registered", project_data(PUB, [SERVICE_1, SERVICE_2], False), "project-pub"),
        Draft("fundraiser", "plan.filed", {"project": PUB, "filing_number": "SZ-SIM-001"}, "plan-pub"),
        Draft("registrar", "plan.acknowledged", {"project": PUB, "record_number": "R-SIM-001"}, "ack-pub"),
        Draft("fundraiser", "project.registered", project_data(DIR, [SERVICE_1], True), "project-dir"),
    ]
    return out


def grant(name: str, role: str, org: str) -> dict[str, Any]:
    return {"public_key": key(name).public_b64, "role": role, "org": org, "holder": "财务部"}


# --- the generator -------------------------------------------------------------------------

APPEND_WEIGHTS = {
    "donation.received": 14,
    "funds.allocated": 10,
    "funds.disbursed": 9,
    "entry.corrected": 6,
    "attestation.recorded": 5,
    "progress.reported": 2,
    "audit.opinion": 1,
    "financials.reported": 2,
    "report.issued": 2,
    "sz.donation_filed": 2,
    "sz.filing_replied": 2,
    "org.registered": 2,
    "org.updated": 1,
    "org.deregistered": 1,
    "key.granted": 3,
    "key.revoked": 2,
    "project.registered": 2,
    "project.closed": 1,
    "plan.filed": 1,
    "plan.acknowledged": 1,
    "wrong_role": 3,
    "invalid": 1,
    "stranger": 2,
}
OP_WEIGHTS = {
    "append": 60,
    "batch": 6,
    "each": 4,
    "retry": 5,
    "batch_retry": 2,
    "conflict": 2,
    "bad_sig": 1,
    "skew": 1,
    "clock_back": 1,
    "stale_log": 1,
    "race": 4,
    "race_operator": 2,
    "interleave": 4,
    "crash": 5,
    "lost_ack": 3,
    "kill": 1,
    "roll_over": 1,
    "rotate": 1,
    "rotate_crash": 1,
    "restart": 2,
    "backup": 1,
    "rebuild": 1,
}


class Generator:
    def __init__(self, rng: random.Random, model: Model, *, exclude: tuple[str, ...] = ()) -> None:
        self.rng = rng
        self.model = model
        self.n = 0
        self.weights = {k: 0 if k in exclude else w for k, w in OP_WEIGHTS.items()}
        # every run starts with a tour of every kind of operation, in a seeded order (a
        # roll-over first, so that the later ones meet a chain of logs); then random ones
        kinds = [k for k, w in self.weights.items() if w > 0 and k != "roll_over"]
        rng.shuffle(kinds)
        self.tour = (["roll_over"] if self.weights["roll_over"] else []) + kinds

    def idem(self, what: str) -> str:
        self.n += 1
        return f"sim-{self.n}-{what}"

    def pick(self, weights: dict[str, int]) -> str:
        names = [k for k, w in weights.items() if w > 0]
        return self.rng.choices(names, [weights[k] for k in names])[0]

    def next_op(self) -> Op:
        kind = self.tour.pop(0) if self.tour else self.pick(self.weights)
        if kind in ("append", "crash", "lost_ack", "kill", "interleave", "bad_sig", "skew", "stale_log", "clock_back"):
            draft = self.draft()
            if kind == "bad_sig":
                draft.bad_sig = True
            elif kind == "skew":
                draft.skew = True
            elif kind == "stale_log":
                sealed = sorted(self.model.sealed_origins())
                if not sealed:
                    return Op("append", [draft])
                draft.log = self.rng.choice(sealed)
            return Op(kind, [draft], arg=self.rng.randint(1, 14))
        if kind == "batch":
            return Op(kind, [self.draft() for _ in range(self.rng.randint(2, 4))])
        if kind == "each":  # independent entries in one transaction, as the API coalesces them
            drafts = [self.draft() for _ in range(self.rng.randint(2, 5))]
            if self.rng.random() < 0.25:
                self.rng.choice(drafts).bad_sig = True
            return Op(kind, drafts)
        if kind == "race":
            return Op(kind, [self.draft(), self.draft()])
        if kind == "race_operator":
            return Op(kind, [self.draft()], arg=self.rng.randint(1, 12))
        if kind in ("retry", "conflict"):
            actors = [e for e in self.model.entries if e.role != "log" and e.idem != "genesis"]
            return Op(kind, arg=self.rng.choice(actors).position)
        if kind == "batch_retry":  # an acknowledged entry sent again inside a batch of new ones
            actors = [e for e in self.model.entries if e.role != "log" and e.idem != "genesis"]
            return Op(kind, [self.draft() for _ in range(self.rng.randint(1, 3))], arg=self.rng.choice(actors).position)
        return Op(kind, arg=self.rng.randint(1, 12))

    # --- single entries -------------------------------------------------------------------

    def keys_of(self, role: str, org: str | None = None, *, live: bool = True) -> list[str]:
        m = self.model
        return sorted(
            k.name
            for k in m.keys.values()
            if k.role == role
            and (org is None or k.org == org)
            and (not live or (not k.revoked and m.orgs[k.org].active))
        )

    def amount(self, upto: int) -> str:
        return money(self.rng.randint(1, max(1, upto)))

    def project(self, *, open_only: bool = False) -> str:
        ids = sorted(p.id for p in self.model.projects.values() if not (open_only and p.closed))
        if not ids or self.rng.random() < 0.03:
            return "P-SIM-NOWHERE"
        weights = [6 if i in (PUB, DIR) else 1 for i in ids]
        return self.rng.choices(ids, weights)[0]

    def entries(self, *types: str) -> list[Any]:
        return [e for e in self.model.entries if e.type in types]

    def draft(self) -> Draft:
        kind = self.pick(APPEND_WEIGHTS)
        d = getattr(self, "_" + kind.replace(".", "_"))()
        return d if d is not None else self._donation_received()

    def _donation_received(self) -> Draft:
        project = self.project()
        data = {
            "project": project,
            "currency": "CNY",
            "amount": self.amount(self.rng.choice([500, 50_000, 2_000_000])),
            "kind": "money",
            "channel": self.rng.choice(["bank_transfer", "online_platform", "cash"]),
            "donor_type": self.rng.choice(["individual", "enterprise", "anonymous"]),
            "commitment": donor_commitment({"name": f"donor {self.n}"}, b"\x02" * 16),
            "restricted": self.rng.random() < 0.6,
            "received_on": TODAY,
        }
        signer = self.rng.choice(self.keys_of("fundraiser") or ["fundraiser"])
        return Draft(signer, "donation.received", data, self.idem("donation"))

    def _funds_allocated(self) -> Draft:
        project = self.project()
        p = self.model.projects.get(project)
        pot = self.rng.choice(["restricted", "unrestricted"])
        implementers = p.implementers if p else [SERVICE_1]
        implementer = self.rng.choice(implementers) if self.rng.random() < 0.95 else AUDITOR
        have = p.available[pot] if p else 1000
        data = {
            "project": project,
            "currency": "CNY",
            "amount": self.amount(int(have * 1.2) + 50),
            "implementer": implementer,
            "source": pot,
            "allocated_on": TODAY,
        }
        return Draft(
            self.rng.choice(self.keys_of("fundraiser") or ["fundraiser"]),
            "funds.allocated",
            data,
            self.idem("allocation"),
        )

    def _funds_disbursed(self) -> Draft:
        project = self.project()
        p = self.model.projects.get(project)
        signer = self.rng.choice(self.keys_of("implementer") or ["implementer1"])
        held = p.allocated.get(self.model.key_named(signer).org, 0) if p and self.model.key_named(signer) else 0
        data = {
            "project": project,
            "currency": "CNY",
            "amount": self.amount(int(held * 1.2) + 20),
            "category": self.rng.choice(["program", "admin", "fundraising_cost"]),
            "payee": "长者饭堂",
            "purpose": "助餐补贴",
            "paid_on": TODAY,
            "evidence": [sha(f"invoice-{self.n}")],
        }
        return Draft(signer, "funds.disbursed", data, self.idem("disbursement"))

    def _entry_corrected(self) -> Draft | None:
        from tests.simulation.model import CORRECTABLE

        targets = self.entries(*CORRECTABLE)
        if not targets:
            return None
        t = self.rng.choice(targets)
        signers = self.keys_of(t.role, t.org) if t.role != "log" else []
        if not signers or self.rng.random() < 0.05:
            signers = ["overseer"]
        data: dict[str, Any] = {"target": t.leaf_hash, "reason": "录入有误，冲销"}
        if t.type in MONEY:
            data.update(project=t.data["project"], currency="CNY", amount=t.data["amount"])
        return Draft(self.rng.choice(signers), "entry.corrected", data, self.idem("correction"))

    def _attestation_recorded(self) -> Draft | None:
        targets = [e for e in self.model.entries if e.role != "log" and e.project is not None]
        if not targets:
            return None
        t = self.rng.choice(targets)
        signer = "overseer" if self.rng.random() < 0.85 else "auditor"
        data = {
            "target": t.leaf_hash,
            "verdict": self.rng.choice(["approved", "queried", "flagged", "resolved"]),
            "findings": "已核查",
        }
        return Draft(signer, "attestation.recorded", data, self.idem("attestation"))

    def _progress_reported(self) -> Draft:
        data = {
            "project": self.project(),
            "period_start": "2026-03-01",
            "period_end": TODAY,
            "summary": "本月助餐 300 人次",
            "evidence": [sha(f"photo-{self.n}")],
        }
        return Draft(
            self.rng.choice(self.keys_of("implementer") or ["implementer1"]),
            "progress.reported",
            data,
            self.idem("progress"),
        )

    def _audit_opinion(self) -> Draft:
        org = self.rng.choice([FOUNDATION, SERVICE_1, AUDITOR])
        data = {
            "org": org,
            "year": self.rng.choice([2025, 2025, 2027]),
            "opinion": "unqualified",
            "report_sha256": sha(f"audit-{self.n}"),
        }
        return Draft("auditor", "audit.opinion", data, self.idem("audit"))

    def _financials_reported(self) -> Draft:
        signer = self.rng.choice(["foundation_admin", "foundation_admin", "registrar", "s1_admin"])
        data = {
            "org": FOUNDATION,
            "year": self.rng.choice([2024, 2025, 2026]),
            "currency": "CNY",
            "total_income": "1000.00",
            "charitable_spending": "600.00",
            "management_costs": "100.00",
            "fundraising_costs": "20.00",
            "total_spending": "720.00",
            "net_assets": "-5.00",
        }
        return Draft(signer, "financials.reported", data, self.idem("financials"))

    def _report_issued(self) -> Draft:
        size = len(self.model.log.leaves)
        data = {
            "kind": "registry-overview",
            "subject": "registry",
            "period_start": "2026-01-01",
            "period_end": "2026-03-20",
            "rule_set": "cn-charity/1",
            "tree_size": self.rng.randint(1, size + 2),
            "root": sha(f"root-{self.n}"),
            "files": [{"name": "overview.pdf", "sha256": sha(f"pdf-{self.n}"), "size": 1234}],
        }
        return Draft("system", "report.issued", data, self.idem("report"))

    def _sz_donation_filed(self) -> Draft | None:
        donations = self.entries("donation.received")
        if not donations:
            return None
        chosen = self.rng.sample(donations, min(len(donations), self.rng.randint(1, 2)))
        data = {
            "ref": f"SZ-{self.rng.randint(1, 6)}",
            "authority": REGISTRAR_ORG if self.rng.random() < 0.95 else FOUNDATION,
            "donations": sorted({e.leaf_hash for e in chosen}),
            "filed_on": TODAY,
            "emergency": False,
            "purpose": "助餐",
            "intent_sha256": sha("intent"),
            "declaration_sha256": sha("declaration"),
            "property_list_sha256": sha("list"),
        }
        signer = self.rng.choice(["fundraiser", "foundation_admin"])
        return Draft(signer, "sz.donation_filed", data, self.idem("filing"))

    def _sz_filing_replied(self) -> Draft | None:
        filings = self.entries("sz.donation_filed")
        if not filings:
            return None
        data = {
            "target": self.rng.choice(filings).leaf_hash,
            "decision": "approved",
            "replied_on": self.rng.choice([TODAY, "2026-03-20"]),
        }
        return Draft("registrar", "sz.filing_replied", data, self.idem("reply"))

    def _org_registered(self) -> Draft:
        org = extra_org(self.rng.randint(1, 8))
        data = {
            "org": org,
            "name_zh": f"社工机构{org[-5:]}",
            "legal_form": "social_service_org",
            "track": "registered",
            "public_fundraising": False,
        }
        return Draft("registrar", "org.registered", data, self.idem("org"))

    def _org_updated(self) -> Draft:
        return Draft(
            "registrar",
            "org.updated",
            {"org": extra_org(self.rng.randint(1, 8)), "name_zh": f"新名称{self.n}"},
            self.idem("org-upd"),
        )

    def _org_deregistered(self) -> Draft:
        org = extra_org(self.rng.randint(1, 8)) if self.rng.random() < 0.95 else REGISTRAR_ORG
        return Draft("registrar", "org.deregistered", {"org": org, "reason": "自行解散"}, self.idem("org-dereg"))

    def _key_granted(self) -> Draft:
        n = self.rng.randint(1, 12)
        choice = self.rng.random()
        if choice < 0.4:  # an administrator for an extra organisation, by the registrar
            org = extra_org(self.rng.randint(1, 8))
            name = f"admin-{org[-6:]}"
            return Draft("registrar", "key.granted", grant(name, "org_admin", org), self.idem("grant"), grants=name)
        if choice < 0.85:  # a fundraiser or implementer by an organisation's own administrator
            admins = self.keys_of("org_admin") or ["foundation_admin"]
            admin = self.rng.choice(admins)
            k = self.model.key_named(admin)
            org = k.org if k and self.rng.random() < 0.9 else FOUNDATION if k and k.org != FOUNDATION else SERVICE_1
            role = "fundraiser" if org == FOUNDATION else "implementer"
            name = f"{role}-{org[-6:]}-{n}"
            return Draft(admin, "key.granted", grant(name, role, org), self.idem("grant"), grants=name)
        name = f"bad-grant-{n}"  # a registrar granting a fundraiser key is refused
        return Draft("registrar", "key.granted", grant(name, "fundraiser", FOUNDATION), self.idem("grant"), grants=name)

    def _key_revoked(self) -> Draft | None:
        extras = sorted((k for k in self.model.keys.values() if "-" in k.name), key=lambda k: k.name)
        if not extras:
            return None
        target = self.rng.choice(extras)
        signer = "registrar" if self.rng.random() < 0.5 else self.rng.choice(self.keys_of("org_admin") or ["registrar"])
        return Draft(signer, "key.revoked", {"key_id": target.id, "reason": "离职"}, self.idem("revoke"))

    def _project_registered(self) -> Draft:
        project = f"P-SIM-{self.rng.randint(1, 6)}"
        implementers = self.rng.choice(
            [[SERVICE_1], [SERVICE_2], [SERVICE_1, SERVICE_2], [extra_org(self.rng.randint(1, 8))]]
        )
        data = project_data(project, implementers, True)
        if self.rng.random() < 0.05:
            data["overseers"] = [FOUNDATION]  # the fundraiser overseeing itself
        return Draft(
            self.rng.choice(self.keys_of("fundraiser") or ["fundraiser"]),
            "project.registered",
            data,
            self.idem("project"),
        )

    def _project_closed(self) -> Draft:
        project = self.project()
        if project in (PUB, DIR) and self.rng.random() < 0.9:  # keep the two main projects open, mostly
            project = f"P-SIM-{self.rng.randint(1, 6)}"
        p = self.model.projects.get(project)
        surplus = p.balance if p else 0
        if self.rng.random() < 0.2:
            surplus += 1
        data = {
            "project": project,
            "closed_on": TODAY,
            "summary": "项目结束",
            "currency": "CNY",
            "surplus": money(surplus),
            "surplus_handling": "similar_purpose" if surplus else "none",
        }
        return Draft("fundraiser", "project.closed", data, self.idem("close"))

    def _plan_filed(self) -> Draft:
        return Draft("fundraiser", "plan.filed", {"project": self.rng.choice([PUB, DIR])}, self.idem("plan"))

    def _plan_acknowledged(self) -> Draft:
        return Draft(
            "registrar",
            "plan.acknowledged",
            {"project": self.rng.choice([PUB, DIR]), "record_number": "R-2"},
            self.idem("ack"),
        )

    def _wrong_role(self) -> Draft:
        """Any entry type, signed by a live key whose role may not sign it."""
        from tests.simulation.model import ROLES_FOR

        type_ = self.rng.choice([t for t in ACTOR_TYPES if t != "entry.corrected"])  # every role may correct
        names = [
            k.name
            for k in sorted(self.model.keys.values(), key=lambda k: k.name)
            if k.role not in ROLES_FOR[type_] and not k.revoked and self.model.orgs[k.org].active
        ]
        return Draft(self.rng.choice(names), type_, {"project": PUB}, self.idem("wrong-role"))

    def _invalid(self) -> Draft:
        d = self._donation_received()
        d.data["$invalid"] = True  # an unknown field: data_invalid
        return d

    def _stranger(self) -> Draft:
        """An entry by a key that may not sign anything: never granted, revoked, or of a
        deregistered organisation."""
        d = self._donation_received()
        dead = sorted(k.name for k in self.model.keys.values() if k.revoked or not self.model.orgs[k.org].active)
        d.signer = self.rng.choice(dead) if dead and self.rng.random() < 0.7 else "stranger"
        return d
