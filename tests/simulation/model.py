"""An independent, in-memory model of the registry for the simulation.

It is written from DESIGN section 4 and the rules' documentation, not from ``ledger.domain``:
plain dicts of organisations, keys, projects, pots and entries, and a :meth:`Model.judge` that
says, for one signed entry, either ``None`` (the log must accept it) or the refusal code the
log must answer with. :meth:`Model.commit` records an accepted entry with the seq, leaf hash and
log time the store acknowledged; from those the model rebuilds the leaf bytes itself (RFC 8785)
and the Merkle root of every log (RFC 9162), so the store is checked against bytes and roots it
did not compute.

The model covers the entries the generator (:mod:`.operations`) makes; anything else is a bug
in the generator, and :meth:`Model.judge` raises ``NotImplementedError`` rather than guess.
"""

from __future__ import annotations

import base64
import copy
import hashlib
from dataclasses import dataclass, field
from typing import Any

import rfc8785

GENESIS_PREV = "0" * 64

# who may sign what (DESIGN section 4), written out again on purpose
ROLES_FOR: dict[str, tuple[str, ...]] = {
    "org.registered": ("registrar",),
    "org.updated": ("registrar",),
    "org.deregistered": ("registrar",),
    "key.granted": ("registrar", "org_admin"),
    "key.revoked": ("registrar", "org_admin"),
    "project.registered": ("fundraiser",),
    "plan.filed": ("fundraiser",),
    "plan.acknowledged": ("registrar",),
    "donation.received": ("fundraiser",),
    "funds.allocated": ("fundraiser",),
    "funds.disbursed": ("implementer",),
    "progress.reported": ("implementer",),
    "project.closed": ("fundraiser",),
    "attestation.recorded": ("overseer",),
    "audit.opinion": ("overseer",),
    "financials.reported": ("registrar", "org_admin"),
    "entry.corrected": ("registrar", "org_admin", "fundraiser", "implementer", "overseer", "system"),
    "report.issued": ("system",),
    "sz.donation_filed": ("fundraiser", "org_admin"),
    "sz.filing_replied": ("registrar",),
}
ACTOR_TYPES = tuple(ROLES_FOR)
MONEY = ("donation.received", "funds.allocated", "funds.disbursed")
CORRECTABLE = (
    *MONEY,
    "progress.reported",
    "attestation.recorded",
    "audit.opinion",
    "financials.reported",
    "sz.donation_filed",
)
ROLES = ("registrar", "org_admin", "fundraiser", "implementer", "overseer", "system")
CHARITY = ("foundation", "social_group", "social_service_org")
_PROJECT_TYPES = (
    "project.registered",
    "plan.filed",
    "plan.acknowledged",
    *MONEY,
    "progress.reported",
    "project.closed",
)


@dataclass
class Org:
    code: str
    legal_form: str
    active: bool = True
    registrar: bool = False
    public: bool = False  # holds the public-fundraising qualification


@dataclass
class Key:
    name: str
    id: str
    role: str
    org: str
    revoked: bool = False


@dataclass
class Project:
    id: str
    fundraiser_org: str
    implementers: list[str]
    overseers: list[str]
    directed: bool
    plan_filed: bool = False
    plan_acked: bool = False
    closed: bool = False
    available: dict[str, int] = field(default_factory=lambda: {"restricted": 0, "unrestricted": 0})
    balance: int = 0  # raised - disbursed
    allocated: dict[str, int] = field(default_factory=dict)  # implementer -> held, not paid out


@dataclass
class Entry:
    """One entry of the chain as the model knows it."""

    position: int  # in the chain of logs
    shard: int
    seq: int  # in its own log
    type: str
    signer_id: str
    org: str  # the signer's organisation
    role: str
    data: dict[str, Any]
    leaf: bytes
    leaf_hash: str
    idem: str
    body_bytes: bytes
    corrected: bool = False
    verdicts: list[tuple[int, str]] = field(default_factory=list)  # (attestation position, verdict)
    replied: bool = False
    project: str | None = None
    time: str = ""  # the log's time  # the project the entry is about (a correction's: its target's)


@dataclass
class Log:
    origin: str
    leaves: list[bytes] = field(default_factory=list)  # leaf hashes
    sealed: bool = False
    log_keys: list[tuple[int, bytes]] = field(default_factory=list)  # (from size, public key)


def mth(hashes: list[bytes]) -> bytes:
    """RFC 9162 Merkle tree hash over leaf hashes (the plain recursive definition)."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(hashes[:k]) + mth(hashes[k:])).digest()


def leaf_bytes(seq: int, prev: str, time: str, body: dict[str, Any], sig: bytes) -> bytes:
    return rfc8785.dumps({"seq": seq, "prev": prev, "time": time, "body": body, "sig": base64.b64encode(sig).decode()})


def money(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


class Model:
    def __init__(self, origin: str, registrar_org: str, today_year: int) -> None:
        self.registrar_org = registrar_org
        self.today_year = today_year
        self.orgs: dict[str, Org] = {}
        self.keys: dict[str, Key] = {}  # by key id
        self.projects: dict[str, Project] = {}
        self.entries: list[Entry] = []
        self.by_hash: dict[str, Entry] = {}
        self.idems: dict[tuple[str, str], Entry] = {}
        self.financials: set[tuple[str, int]] = set()
        self.filings: dict[tuple[str, str], Entry] = {}  # (org, ref) -> filing in force
        self.logs: list[Log] = [Log(origin)]

    def copy(self) -> Model:
        return copy.deepcopy(self)

    # --- the chain ------------------------------------------------------------------------

    @property
    def log(self) -> Log:
        return self.logs[-1]

    @property
    def origin(self) -> str:
        return self.log.origin

    def sealed_origins(self) -> set[str]:
        return {log.origin for log in self.logs if log.sealed}

    def root(self, shard: int = -1, size: int | None = None) -> bytes:
        leaves = self.logs[shard].leaves
        return mth(leaves if size is None else leaves[:size])

    def log_key_at(self, shard: int, size: int) -> bytes:
        """The public key that must sign the checkpoint of ``size`` of a log."""
        keys = [k for from_size, k in self.logs[shard].log_keys if from_size <= size]
        return keys[-1]

    def key_named(self, name: str) -> Key | None:
        return next((k for k in self.keys.values() if k.name == name), None)

    # --- verdicts -------------------------------------------------------------------------

    def judge(
        self, body: dict[str, Any], body_bytes: bytes, *, sig_ok: bool = True, skewed: bool = False
    ) -> str | None:
        """None when the log must accept the entry, else the code it must refuse it with.
        ``"existing"``: a retry of a stored entry, answered with it."""
        signer, idem, type_, d = body["signer"], body["idem"], body["type"], body["data"]
        if body["log"] != self.origin and body["log"] not in self.sealed_origins():
            return "wrong_log"
        stored = self.idems.get((signer, idem))
        if stored is not None:
            return "existing" if stored.body_bytes == rfc8785.dumps(body) else "idem_conflict"
        if type_ == "log.key_rotated":
            return "log_key_rotation_by_command"
        if type_ == "log.sealed":
            return "log_seal_by_command"
        if body["log"] != self.origin:
            return "log_sealed"
        key = self.keys.get(signer)
        if key is None:
            return "unknown_signer"
        if not sig_ok:
            return "bad_signature"
        if skewed:
            return "clock_skew"
        if key.revoked:
            return "key_revoked"
        if not self.orgs[key.org].active:
            return "org_inactive"
        if type_ not in ROLES_FOR:
            raise NotImplementedError(type_)
        if key.role not in ROLES_FOR[type_]:
            return "role_not_allowed"
        if d.get("$invalid"):
            return "data_invalid"
        return getattr(self, "_" + type_.replace(".", "_"))(key, d)

    def _org(self, code: str) -> str | None:
        org = self.orgs.get(code)
        if org is None:
            return "org_unknown"
        return None if org.active else "org_inactive"

    def _org_registered(self, key: Key, d: dict[str, Any]) -> str | None:
        return "org_exists" if d["org"] in self.orgs else None

    def _org_updated(self, key: Key, d: dict[str, Any]) -> str | None:
        return self._org(d["org"])

    def _org_deregistered(self, key: Key, d: dict[str, Any]) -> str | None:
        bad = self._org(d["org"])
        if bad:
            return bad
        return "registrar_org_protected" if self.orgs[d["org"]].registrar else None

    def _key_granted(self, key: Key, d: dict[str, Any]) -> str | None:
        new_id = hashlib.sha256(base64.b64decode(d["public_key"])).hexdigest()
        if new_id in self.keys:
            return "key_exists"
        bad = self._org(d["org"])
        if bad:
            return bad
        if key.role == "registrar":
            if d["role"] not in ("registrar", "org_admin", "overseer", "system"):
                return "grant_not_allowed"
            if d["role"] == "registrar" and not self.orgs[d["org"]].registrar:
                return "grant_not_allowed"
        elif d["role"] not in ("fundraiser", "implementer") or d["org"] != key.org:
            return "grant_not_allowed"
        return None

    def _key_revoked(self, key: Key, d: dict[str, Any]) -> str | None:
        target = self.keys.get(d["key_id"])
        if target is None:
            return "key_unknown"
        if target.revoked:
            return "key_already_revoked"
        if target.id == key.id:
            return "key_revoke_self"
        if key.role != "registrar" and (target.role not in ("fundraiser", "implementer") or target.org != key.org):
            return "revoke_not_allowed"
        return None

    def _project_of(self, d: dict[str, Any]) -> Project | str:
        project = self.projects.get(d["project"])
        return "project_unknown" if project is None else project

    def _project_registered(self, key: Key, d: dict[str, Any]) -> str | None:
        if d["project"] in self.projects:
            return "project_exists"
        if self.orgs[key.org].legal_form not in CHARITY:
            return "org_not_charity"
        for org in d["implementers"] + d["overseers"]:
            bad = self._org(org)
            if bad:
                return bad
        if any(o == key.org or o in d["implementers"] for o in d["overseers"]):
            return "separation_violation"
        if not d["directed"]:
            if "plan" not in d:
                return "plan_required"
            if not self.orgs[key.org].public:
                return "qualification_required"
        return None

    def _plan_filed(self, key: Key, d: dict[str, Any]) -> str | None:
        p = self._project_of(d)
        if isinstance(p, str):
            return p
        if key.org != p.fundraiser_org:
            return "not_project_fundraiser"
        if p.closed:
            return "project_closed"
        if p.directed:
            return "plan_not_public"
        return "plan_already_filed" if p.plan_filed else None

    def _plan_acknowledged(self, key: Key, d: dict[str, Any]) -> str | None:
        p = self._project_of(d)
        if isinstance(p, str):
            return p
        if not p.plan_filed:
            return "plan_not_filed"
        return "plan_already_acknowledged" if p.plan_acked else None

    def _money_project(self, key: Key, d: dict[str, Any]) -> Project | str:
        p = self._project_of(d)
        if isinstance(p, str):
            return p
        if key.org != p.fundraiser_org:
            return "not_project_fundraiser"
        return "project_closed" if p.closed else p

    def _donation_received(self, key: Key, d: dict[str, Any]) -> str | None:
        p = self._money_project(key, d)
        return p if isinstance(p, str) else None

    def _funds_allocated(self, key: Key, d: dict[str, Any]) -> str | None:
        p = self._money_project(key, d)
        if isinstance(p, str):
            return p
        if d["implementer"] not in p.implementers:
            return "not_project_implementer"
        bad = self._org(d["implementer"])
        if bad:
            return bad
        return "insufficient_funds" if _minor(d["amount"]) > p.available[d["source"]] else None

    def _funds_disbursed(self, key: Key, d: dict[str, Any]) -> str | None:
        p = self._project_of(d)
        if isinstance(p, str):
            return p
        if key.org not in p.implementers:
            return "not_project_implementer"
        if p.closed:
            return "project_closed"
        held = p.allocated.get(key.org)
        return "insufficient_allocation" if held is None or _minor(d["amount"]) > held else None

    def _progress_reported(self, key: Key, d: dict[str, Any]) -> str | None:
        p = self._project_of(d)
        if isinstance(p, str):
            return p
        return None if key.org in p.implementers else "not_project_implementer"

    def _project_closed(self, key: Key, d: dict[str, Any]) -> str | None:
        p = self._money_project(key, d)
        if isinstance(p, str):
            return p
        return None if _minor(d["surplus"], zero=True) == p.balance else "close_surplus_mismatch"

    def _attestation_recorded(self, key: Key, d: dict[str, Any]) -> str | None:
        target = self.by_hash.get(d["target"])
        if target is None:
            return "target_unknown"
        if target.signer_id == key.id or target.org == key.org:
            return "attest_own_entry"
        project = target.project
        if project is not None and key.org not in self.projects[project].overseers:
            return "not_project_overseer"
        if d["verdict"] == "resolved" and self.last_verdict(target) not in ("queried", "flagged"):
            return "nothing_to_resolve"
        return None

    def last_verdict(self, target: Entry) -> str | None:
        live = [v for pos, v in target.verdicts if not self.entries[pos].corrected]
        return live[-1] if live else None

    def _audit_opinion(self, key: Key, d: dict[str, Any]) -> str | None:
        if d["org"] not in self.orgs:
            return "org_unknown"
        if d["org"] == key.org:
            return "audit_own_org"
        return "date_in_future" if d["year"] > self.today_year else None

    def _financials_reported(self, key: Key, d: dict[str, Any]) -> str | None:
        bad = self._org(d["org"])
        if bad:
            return bad
        if key.role == "org_admin" and d["org"] != key.org:
            return "financials_wrong_org"
        if d["year"] >= self.today_year:
            return "date_in_future"
        return "financials_exist" if (d["org"], d["year"]) in self.financials else None

    def _report_issued(self, key: Key, d: dict[str, Any]) -> str | None:
        return "report_tree_size" if d["tree_size"] > len(self.log.leaves) else None

    def _sz_donation_filed(self, key: Key, d: dict[str, Any]) -> str | None:
        if d["authority"] != self.registrar_org:
            return "sz_authority_invalid"
        if (key.org, d["ref"]) in self.filings:
            return "sz_filing_exists"
        for leaf in d["donations"]:
            e = self.by_hash.get(leaf)
            if e is None or e.type != "donation.received" or e.org != key.org or e.corrected:
                return "sz_donation_invalid"
        return None

    def _sz_filing_replied(self, key: Key, d: dict[str, Any]) -> str | None:
        target = self.by_hash.get(d["target"])
        if target is None or target.type != "sz.donation_filed":
            return "sz_filing_unknown"
        if target.corrected:
            return "already_corrected"
        if target.replied:
            return "sz_filing_replied"
        return "sz_reply_before_filing" if d["replied_on"] < target.data["filed_on"] else None

    def _entry_corrected(self, key: Key, d: dict[str, Any]) -> str | None:
        target = self.by_hash.get(d["target"])
        if target is None:
            return "target_unknown"
        if target.type not in CORRECTABLE:
            return "correction_not_allowed"
        if target.corrected:
            return "already_corrected"
        if target.role != key.role or target.org != key.org:
            return "correction_wrong_signer"
        is_money = target.type in MONEY
        for name in ("project", "amount", "currency"):
            if d.get(name) != (target.data[name] if is_money else None):
                return "correction_mismatch"
        if not is_money:
            return None
        p = self.projects[target.data["project"]]
        if p.closed:
            return "project_closed"
        amount = _minor(target.data["amount"])
        if target.type == "donation.received":
            pot = "restricted" if target.data["restricted"] else "unrestricted"
            return "correction_overdraw" if amount > p.available[pot] else None
        if target.type == "funds.allocated":
            return "correction_overdraw" if amount > p.allocated[target.data["implementer"]] else None
        return None

    # --- accepted entries -----------------------------------------------------------------

    def commit(
        self, body: dict[str, Any], sig: bytes, *, seq: int, time: str, leaf_hash: str | None, name: str = ""
    ) -> Entry:
        """Record an entry the log acknowledged at ``seq`` of the log being appended to, with
        ``leaf_hash``; None: a trial (what-if) commit on a copy, the hash is the model's."""
        log = self.log
        if seq != len(log.leaves):
            raise AssertionError(f"the log acknowledged seq {seq}; the model expected {len(log.leaves)}")
        prev = log.leaves[-1].hex() if log.leaves else GENESIS_PREV
        raw = leaf_bytes(seq, prev, time, body, sig)
        computed = hashlib.sha256(b"\x00" + raw).hexdigest()
        if leaf_hash is None:
            leaf_hash = computed
        if computed != leaf_hash:
            raise AssertionError(
                f"acknowledged leaf hash {leaf_hash} is not the hash {computed} of the leaf the model builds"
            )
        d, type_ = body["data"], body["type"]
        key = self.keys.get(body["signer"])
        role = key.role if key else "log"
        org = key.org if key else self.registrar_org
        if type_ == "registry.genesis" and "previous" not in d:
            role, org = "registrar", d["org"]
        if type_ in ("entry.corrected", "attestation.recorded"):
            project = self.by_hash[d["target"]].project
        elif type_ in _PROJECT_TYPES:
            project = d["project"]
        else:
            project = None
        e = Entry(
            sum(len(x.leaves) for x in self.logs),
            len(self.logs) - 1,
            seq,
            type_,
            body["signer"],
            org,
            role,
            d,
            raw,
            leaf_hash,
            body["idem"],
            rfc8785.dumps(body),
            project=project,
            time=time,
        )
        self.entries.append(e)
        self.by_hash[leaf_hash] = e
        self.idems[(body["signer"], body["idem"])] = e
        log.leaves.append(bytes.fromhex(leaf_hash))
        getattr(self, "_do_" + type_.replace(".", "_"))(e, d, name)
        return e

    def _do_registry_genesis(self, e: Entry, d: dict[str, Any], name: str) -> None:
        if "previous" in d:
            return
        self.orgs[d["org"]] = Org(d["org"], "government", registrar=True)
        self.keys[e.signer_id] = Key(name or "registrar", e.signer_id, "registrar", d["org"])
        self.log.log_keys.append((0, base64.b64decode(d["log_key"])))

    def _do_log_key_rotated(self, e: Entry, d: dict[str, Any], name: str) -> None:
        self.log.log_keys.append((d["from_size"], base64.b64decode(d["public_key"])))

    def _do_log_sealed(self, e: Entry, d: dict[str, Any], name: str) -> None:
        keys = [k for _, k in self.log.log_keys]
        self.log.sealed = True
        self.logs.append(Log(d["next_origin"], log_keys=[(0, keys[-1])]))

    def _do_org_registered(self, e: Entry, d: dict[str, Any], name: str) -> None:
        self.orgs[d["org"]] = Org(d["org"], d["legal_form"], public=d["public_fundraising"])

    def _do_org_updated(self, e: Entry, d: dict[str, Any], name: str) -> None:
        pass

    def _do_org_deregistered(self, e: Entry, d: dict[str, Any], name: str) -> None:
        self.orgs[d["org"]].active = False

    def _do_key_granted(self, e: Entry, d: dict[str, Any], name: str) -> None:
        new_id = hashlib.sha256(base64.b64decode(d["public_key"])).hexdigest()
        self.keys[new_id] = Key(name, new_id, d["role"], d["org"])

    def _do_key_revoked(self, e: Entry, d: dict[str, Any], name: str) -> None:
        self.keys[d["key_id"]].revoked = True

    def _do_project_registered(self, e: Entry, d: dict[str, Any], name: str) -> None:
        self.projects[d["project"]] = Project(
            d["project"], e.org, list(d["implementers"]), list(d["overseers"]), d["directed"]
        )

    def _do_plan_filed(self, e: Entry, d: dict[str, Any], name: str) -> None:
        self.projects[d["project"]].plan_filed = True

    def _do_plan_acknowledged(self, e: Entry, d: dict[str, Any], name: str) -> None:
        self.projects[d["project"]].plan_acked = True

    def _do_donation_received(self, e: Entry, d: dict[str, Any], name: str) -> None:
        p, amount = self.projects[d["project"]], _minor(d["amount"])
        p.available["restricted" if d["restricted"] else "unrestricted"] += amount
        p.balance += amount

    def _do_funds_allocated(self, e: Entry, d: dict[str, Any], name: str) -> None:
        p, amount = self.projects[d["project"]], _minor(d["amount"])
        p.available[d["source"]] -= amount
        p.allocated[d["implementer"]] = p.allocated.get(d["implementer"], 0) + amount

    def _do_funds_disbursed(self, e: Entry, d: dict[str, Any], name: str) -> None:
        p, amount = self.projects[d["project"]], _minor(d["amount"])
        p.allocated[e.org] -= amount
        p.balance -= amount

    def _do_progress_reported(self, e: Entry, d: dict[str, Any], name: str) -> None:
        pass

    def _do_project_closed(self, e: Entry, d: dict[str, Any], name: str) -> None:
        self.projects[d["project"]].closed = True

    def _do_attestation_recorded(self, e: Entry, d: dict[str, Any], name: str) -> None:
        self.by_hash[d["target"]].verdicts.append((e.position, d["verdict"]))

    def _do_audit_opinion(self, e: Entry, d: dict[str, Any], name: str) -> None:
        pass

    def _do_financials_reported(self, e: Entry, d: dict[str, Any], name: str) -> None:
        self.financials.add((d["org"], d["year"]))

    def _do_report_issued(self, e: Entry, d: dict[str, Any], name: str) -> None:
        pass

    def _do_sz_donation_filed(self, e: Entry, d: dict[str, Any], name: str) -> None:
        self.filings[(e.org, d["ref"])] = e

    def _do_sz_filing_replied(self, e: Entry, d: dict[str, Any], name: str) -> None:
        self.by_hash[d["target"]].replied = True

    def _do_entry_corrected(self, e: Entry, d: dict[str, Any], name: str) -> None:
        target = self.by_hash[d["target"]]
        target.corrected = True
        td = target.data
        if target.type == "financials.reported":
            self.financials.discard((td["org"], td["year"]))
        elif target.type == "sz.donation_filed":
            self.filings.pop((target.org, td["ref"]), None)
        elif target.type in MONEY:
            p, amount = self.projects[td["project"]], _minor(td["amount"])
            if target.type == "donation.received":
                p.available["restricted" if td["restricted"] else "unrestricted"] -= amount
                p.balance -= amount
            elif target.type == "funds.allocated":
                p.available[td["source"]] += amount
                p.allocated[td["implementer"]] -= amount
            else:
                p.allocated[target.org] += amount
                p.balance += amount

    # --- what the projections must show ---------------------------------------------------

    def balances(self) -> dict[str, Any]:
        """Per project: available restricted, available unrestricted, balance; per (project,
        implementer): what it holds. Every figure a user would read off the fund pages."""
        funds = {
            p.id: (p.available["restricted"], p.available["unrestricted"], p.balance) for p in self.projects.values()
        }
        held = {(p.id, org): v for p in self.projects.values() for org, v in p.allocated.items()}
        return {"funds": funds, "held": held}


def _minor(text: str, *, zero: bool = False) -> int:
    whole, _, frac = text.partition(".")
    value = int(whole) * 100 + int(frac.ljust(2, "0"))
    assert value > 0 or zero
    return value
