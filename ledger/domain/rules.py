"""The append rules of the charity domain (DESIGN section 4, issue 3) and the projections.

:func:`apply` is called by the log core inside the append transaction, after it has checked
the body's shape, the signature (against :func:`signer_public_key`) and idempotency. It

1. checks the place of ``registry.genesis`` (entry 0, and only entry 0);
2. checks the signing key: granted at an earlier seq, not revoked (a key revoked by entry r
   signs nothing after r), its organisation not deregistered, its role allowed for the type;
3. validates ``data`` against the type's schema (:mod:`.schemas`), and refuses free text that
   holds personal data (:mod:`.personal_guard`; not on replay, see ``AppendContext.replay``);
4. checks the type's rules: organisation and project membership, separation of duties,
   qualification and plan filing, closed projects, money that never goes negative,
   corrections and attestations;
5. and only then puts the resulting projection rows (check first, then write: a refused
   entry writes nothing).

Money lives in the project fund (:class:`~.rows.FundRow`), in two pots: restricted (定向) and
unrestricted donations. An allocation names its pot and an implementer of the project and
never takes more than the pot holds; a disbursement never pays more than its implementer holds
for the project (:class:`~.rows.AllocationBalanceRow`). ``entry.corrected`` reverses a money
entry in full (it repeats the target's project, amount and currency) and is refused when the
money was already passed on (reverse the later entries first) or the project is closed; it
withdraws a progress report, attestation, audit opinion, reported financial figures, an SEZ
donation filing, a disclosure, a campaign's results, a work report, interest or a fee; other types
are not corrected
(org.updated, key.revoked, ... say what to use instead). A target is corrected once.

Storage note: the rules read the fund and allocation balance rows and write them back, so
concurrent appends to one project must be serialised (one sequencer, or the State locking
the rows it hands out, e.g. ``SELECT ... FOR UPDATE``).

Dates that deadlines are measured in ("today") are the log time's date in China Standard
Time (UTC+8, the jurisdiction's time zone; it has no daylight saving).

Who signs what (a key holds one role in one organisation):

================================  ==========================================================
registry.genesis                  the registrar key it names (entry 0 only)
org.registered/updated/deregistered   registrar
key.granted / key.revoked         registrar: registrar (own org), org_admin, overseer, system
                                  keys, and revokes any key; org_admin: fundraiser and
                                  implementer keys of its own organisation. No key revokes itself.
project.registered                fundraiser (its organisation becomes the project's fundraiser)
plan.filed / project.closed       fundraiser of the project's fundraising organisation
plan.acknowledged                 registrar
donation.received                 fundraiser of the project's fundraising organisation
funds.allocated                   fundraiser of the project's fundraising organisation
funds.disbursed                   implementer whose organisation is an implementer of the project
progress.reported                 implementer of the project (also after closing)
query.answered                    a key of the organisation whose entry was queried or flagged
attestation.recorded              overseer: of an organisation named as the project's overseer
                                  (for project entries); the registrar, or an overseer key of the
                                  registrar's own bureau, on any project of the registry; never
                                  on its own organisation's entry
audit.opinion                     overseer, not on its own organisation
financials.reported               org_admin of the organisation, or the registrar; one set per
                                  organisation and ended year
entry.corrected                   a key of the same role and organisation as the target's signer
report.issued                     system
sz.donation_filed                 fundraiser or org_admin of the donee (its own donations)
sz.filing_replied                 registrar (the authority the filing names), once per filing
project.amended                   fundraiser of the project's fundraising organisation (open projects)
disclosure.recorded               org_admin of the disclosing organisation (its ``ref`` unique)
fundraising.results               fundraiser of the campaign's fundraising organisation, once per
                                  campaign; costs over the plan's cap only with an explanation
work_report.filed                 org_admin of the organisation, or the registrar; one per
                                  organisation and ended year
interest.received / fee.charged   fundraiser or org_admin of the organisation (its own accounts; a
                                  project of its own, in the project's currency)
================================  ==========================================================
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta, timezone
from functools import lru_cache
from typing import Any

from ledger.domain import codes as C
from ledger.domain.history import org_on
from ledger.domain.money import Money, format_amount
from ledger.domain.personal_guard import check_entry_text
from ledger.domain.rows import (
    AccountMovementRow,
    AllocationBalanceRow,
    AllocationRow,
    AnswerRow,
    AttestationRow,
    AuditOpinionRow,
    CorrectionRow,
    DisbursementRow,
    DisclosureRow,
    DonationRow,
    EntryRow,
    FinancialsRow,
    FundraisingResultRow,
    FundRow,
    KeyRow,
    MonthRow,
    OrgChangeRow,
    OrgRow,
    OrgYearRow,
    ProgressRow,
    ProjectDonorTypeRow,
    ProjectRow,
    RegistryRow,
    ReportRow,
    SzFilingRow,
    WorkReportRow,
)
from ledger.domain.schemas import (
    CHARITY_FORMS,
    MONEY_TYPES,
    OPEN_VERDICTS,
    SCHEMAS,
    WORK_REPORT_INCOME,
    WORK_REPORT_SPENDING,
    validate,
)
from ledger.domain.state import State
from ledger.errors import InvariantBroken, LedgerError
from ledger.protocol.canonical import parse_time
from ledger.protocol.ed25519_strict import public_key_problem
from ledger.protocol.entry import SignedEntry
from ledger.protocol.keys import key_id, unb64

GENESIS = "registry.genesis"
CHINA = timezone(timedelta(hours=8))
PLAN_NOTICE_DAYS = 10  # Order 74 art. 11: file 10 days before; emergency: within 10 days after

TYPE_ROLES: dict[str, tuple[str, ...]] = {
    "registry.genesis": ("registrar",),
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
    "attestation.recorded": ("overseer", "registrar"),
    "query.answered": ("org_admin", "fundraiser", "implementer"),
    "audit.opinion": ("overseer",),
    "financials.reported": ("registrar", "org_admin"),
    "entry.corrected": ("registrar", "org_admin", "fundraiser", "implementer", "overseer", "system"),
    "report.issued": ("system",),
    "log.key_rotated": ("log",),  # the log operator's checkpoint key, not an actor key
    "log.sealed": ("log",),
    "sz.donation_filed": ("fundraiser", "org_admin"),
    "sz.filing_replied": ("registrar",),
    "project.amended": ("fundraiser",),  # forms (issue 14)
    "interest.received": ("fundraiser", "org_admin"),  # import wizard (issue 14)
    "fee.charged": ("fundraiser", "org_admin"),
    "disclosure.recorded": ("org_admin",),  # disclosures (issue 13)
    "fundraising.results": ("fundraiser",),
    "work_report.filed": ("registrar", "org_admin"),
}
LOG_KEY_ROTATED = "log.key_rotated"
LOG_SEALED = "log.sealed"
LOG_KEY_TYPES = (LOG_KEY_ROTATED, LOG_SEALED)  # signed by the log key in force
REGISTRAR_GRANTS = ("registrar", "org_admin", "overseer", "system")
ORG_ADMIN_GRANTS = ("fundraiser", "implementer")

# Types entry.corrected may target: money entries are reversed, the others withdrawn.
CORRECTABLE = frozenset(
    MONEY_TYPES
    | {
        "progress.reported",
        "attestation.recorded",
        "audit.opinion",
        "financials.reported",
        "sz.donation_filed",
        "interest.received",
        "fee.charged",
        "disclosure.recorded",
        "fundraising.results",
        "work_report.filed",
    }
)
_NOT_CORRECTABLE_INSTEAD: dict[str, tuple[str, str]] = {
    "registry.genesis": ("the trust root never changes", "登记根不可更改"),
    "org.registered": ("use org.updated or org.deregistered", "请使用 org.updated 或 org.deregistered"),
    "org.updated": ("record another org.updated", "请再记录一条 org.updated"),
    "org.deregistered": ("register the organisation again under the registrar", "请由登记管理机关重新登记"),
    "key.granted": ("revoke the key with key.revoked", "请用 key.revoked 吊销该密钥"),
    "key.revoked": ("grant a new key with key.granted", "请用 key.granted 授权新密钥"),
    "project.registered": (
        "record the changes in a progress report, or close the project and register a new one",
        "请在进展报告中说明，或结项后重新登记项目",
    ),
    "plan.filed": (
        "a filed plan stays on record; explain changes in a progress report",
        "已备案的方案不可撤回，变更请在进展报告中说明",
    ),
    "plan.acknowledged": ("an acknowledgement stays on record", "备案确认不可撤回"),
    "project.closed": ("a closed project stays closed", "已结项的项目不能重新开启"),
    "entry.corrected": ("a correction is final; record the original entry again", "更正不可再更正，请重新记录原条目"),
    "report.issued": ("issue a new report", "请重新发布报告"),
    "sz.filing_replied": ("a reply stays on record", "答复不可撤回"),
    "project.amended": ("record another project.amended", "请再记录一条 project.amended"),  # forms
}
_POT_ZH = {"restricted": "定向", "unrestricted": "非定向"}


@dataclass(frozen=True, slots=True)
class AppendContext:
    """What the log knows about the entry being appended."""

    seq: int  # the entry's position in the chain of logs (its seq, in the first log)
    leaf_hash: str  # hex of the new leaf's hash: the entry's id
    log_time: str  # RFC 3339 UTC 'Z' ms
    origin: str  # the log's origin
    index: int | None = None  # its seq in its own log (a later shard); None: the same as seq
    # True when an entry the log accepted before is applied again (rebuild, monitor): the
    # admission checks that are not part of the protocol (the personal-data guard) are skipped,
    # so that improving them never turns an accepted entry into a refused one
    replay: bool = False

    @property
    def log_seq(self) -> int:
        """The entry's seq in its own log: what tree sizes are counted in."""
        return self.seq if self.index is None else self.index


@dataclass(slots=True)
class _Call:
    state: State
    ctx: AppendContext
    entry: SignedEntry
    key: KeyRow | None
    org: OrgRow | None
    data: Any

    @property
    def role(self) -> str:
        if self.key is None:
            raise InvariantBroken("self.key is missing")
        return self.key.role

    @property
    def org_id(self) -> str:
        if self.key is None:
            raise InvariantBroken("self.key is missing")
        return self.key.org

    def today(self) -> date:
        return _day_in_china(self.ctx.log_time)

    def entry_row(self, project: str | None = None, amount: int | None = None, currency: str | None = None) -> EntryRow:
        if self.key is None:
            raise InvariantBroken("self.key is missing")
        return EntryRow(
            id=self.ctx.leaf_hash,
            seq=self.ctx.seq,
            type=self.entry.type,
            signer=self.entry.signer,
            signer_role=self.key.role,
            signer_org=self.key.org,
            time=self.ctx.log_time,
            project=project,
            amount_minor=amount,
            currency=currency,
        )


# --- entry points ---------------------------------------------------------------------------


def signer_public_key(state: State, entry: SignedEntry, seq: int) -> bytes | None:
    """The raw public key to check ``entry``'s signature against, or None if the key is unknown.

    For ``registry.genesis`` it is the key the entry names in ``data.public_key``, whose id
    must be the entry's signer; for the genesis of a later shard (``data.previous``) and the
    log's own entries (``log.key_rotated``, ``log.sealed``), the log key in force. Revocation
    is checked by :func:`apply`, not here.
    """
    if seq == 0 and entry.type != GENESIS:
        raise LedgerError(C.GENESIS_REQUIRED, type=entry.type)
    if entry.type == GENESIS:
        data = entry.data
        previous = data.get("previous") if isinstance(data, dict) else None
        if previous is not None:  # a later shard: signed by the log key of the log it continues
            origin = previous.get("origin") if isinstance(previous, dict) else None
            if not isinstance(origin, str) or state.get(RegistryRow, origin) is None:
                raise LedgerError(C.SHARD_CONTINUATION_INVALID, detail=f"no log {origin} in this registry")
            return _log_key(state, origin, entry.signer)
        raw = unb64(data.get("public_key") if isinstance(data, dict) else None, length=32, what="data.public_key")
        problem = public_key_problem(raw)  # refused before its signature is checked, by name
        if problem is not None:
            raise LedgerError(
                C.DATA_INVALID,
                type=GENESIS,
                field="data.public_key",
                detail=problem,
                detail_zh="应为可用的 Ed25519 公钥（编码规范、非小阶点、在曲线上）",
            )
        if key_id(raw) != entry.signer:
            raise LedgerError(C.GENESIS_KEY_MISMATCH, expected=key_id(raw), signer=entry.signer)
        return raw
    if entry.type in LOG_KEY_TYPES:
        return _log_key(state, entry.body.get("log"), entry.signer)
    row = state.get(KeyRow, entry.signer)
    if row is None or row.granted_seq >= seq:
        return None
    return _public_key(row.public_key)


@lru_cache(maxsize=4096)
def _public_key(encoded: str) -> bytes:
    """A stored key's raw bytes (a batch signed by one key decodes it once)."""
    return unb64(encoded, length=32, what="public_key")


@lru_cache(maxsize=64)
def _day_in_china(log_time: str) -> date:
    """The log's day in China at ``log_time`` (a batch's entries share one log time)."""
    return parse_time(log_time).astimezone(CHINA).date()


def _log_key(state: State, origin: str | None, signer: str) -> bytes | None:
    """The checkpoint key in force for the log ``origin``, if ``signer`` is its id."""
    registry = state.get(RegistryRow, origin) if origin else None
    if registry is None or registry.log_key_id != signer or registry.log_key is None:
        return None
    return unb64(registry.log_key, length=32, what="log_key")


def apply(state: State, ctx: AppendContext, entry: SignedEntry) -> None:
    """Check every rule for ``entry`` at ``ctx.seq`` and put its projection rows, or refuse."""
    type_ = entry.type
    if ctx.log_seq == 0 and type_ != GENESIS:
        raise LedgerError(C.GENESIS_REQUIRED, type=type_)
    if ctx.log_seq != 0 and type_ == GENESIS:
        raise LedgerError(C.GENESIS_REPEATED)
    if type_ not in SCHEMAS:
        raise LedgerError(C.UNKNOWN_TYPE, type=type_)
    if type_ in (GENESIS, *LOG_KEY_TYPES):  # signed by keys that are named, not granted
        call = _Call(state, ctx, entry, None, None, validate(type_, entry.data))
    else:
        key, org = _check_signer(state, ctx, entry)
        call = _Call(state, ctx, entry, key, org, validate(type_, entry.data))
    if not ctx.replay:
        check_entry_text(type_, entry.data)
    rows = _HANDLERS[type_](call)
    for row in rows:
        state.put(row)


def _check_signer(state: State, ctx: AppendContext, entry: SignedEntry) -> tuple[KeyRow, OrgRow]:
    key = state.get(KeyRow, entry.signer)
    if key is None or key.granted_seq >= ctx.seq:
        raise LedgerError("unknown_signer", signer=entry.signer)
    if key.revoked_seq is not None and ctx.seq > key.revoked_seq:
        raise LedgerError(C.KEY_REVOKED, key=key.key_id, revoked_seq=key.revoked_seq)
    org = state.get(OrgRow, key.org)
    if org is None:  # cannot happen: keys are only granted to registered organisations
        raise LedgerError(C.ORG_UNKNOWN, org=key.org)
    if org.status != "active":
        raise LedgerError(C.ORG_INACTIVE, org=org.org, seq=org.deregistered_seq)
    allowed = TYPE_ROLES[entry.type]
    if key.role not in allowed:
        raise LedgerError(C.ROLE_NOT_ALLOWED, role=key.role, type=entry.type, allowed=", ".join(allowed))
    return key, org


# --- shared checks --------------------------------------------------------------------------


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@lru_cache(maxsize=256)
def _changed_json(changed: tuple[str, ...]) -> str:
    return _json(list(changed))


def _active_org(state: State, org_id: str) -> OrgRow:
    org = state.get(OrgRow, org_id)
    if org is None:
        raise LedgerError(C.ORG_UNKNOWN, org=org_id)
    if org.status != "active":
        raise LedgerError(C.ORG_INACTIVE, org=org_id, seq=org.deregistered_seq)
    return org


def _project(c: _Call, project_id: str) -> ProjectRow:
    project = c.state.get(ProjectRow, project_id)
    if project is None:
        raise LedgerError(C.PROJECT_UNKNOWN, project=project_id)
    return project


def _fund(c: _Call, project: ProjectRow) -> FundRow:
    fund = c.state.get(FundRow, project.project)
    if fund is None:
        raise InvariantBroken("broken: every project has a fund row")
    return fund


def _implementers(project: ProjectRow) -> list[str]:
    implementers: list[str] = json.loads(project.implementers_json)
    return implementers


def _overseers(project: ProjectRow) -> list[str]:
    overseers: list[str] = json.loads(project.overseers_json)
    return overseers


def _require_fundraiser(c: _Call, project: ProjectRow) -> None:
    if c.org_id != project.fundraiser_org:
        raise LedgerError(
            C.NOT_PROJECT_FUNDRAISER, project=project.project, fundraiser=project.fundraiser_org, org=c.org_id
        )


def _require_implementer(c: _Call, project: ProjectRow, org_id: str) -> None:
    implementers = _implementers(project)
    if org_id not in implementers:
        raise LedgerError(
            C.NOT_PROJECT_IMPLEMENTER, org=org_id, project=project.project, implementers=", ".join(implementers)
        )


def _require_open(project: ProjectRow, what: str, what_zh: str) -> None:
    if project.closed:
        raise LedgerError(C.PROJECT_CLOSED, project=project.project, seq=project.closed_seq, what=what, what_zh=what_zh)


def _require_currency(project: ProjectRow, currency: str) -> None:
    if currency != project.currency:
        raise LedgerError(C.CURRENCY_MISMATCH, project=project.project, expected=project.currency, got=currency)


def _not_future(c: _Call, field: str, value: str) -> None:
    today = c.today()
    if date.fromisoformat(value) > today:
        raise LedgerError(C.DATE_IN_FUTURE, field=field, date=value, today=today.isoformat())


def _not_late(c: _Call, field: str, value: str | None) -> None:
    """A business date may be at most one day after the log's day in China (clock skew)."""
    if value is None:
        return
    latest = c.today() + timedelta(days=1)
    if date.fromisoformat(value) > latest:
        raise LedgerError(C.DATE_TOO_LATE, field=field, date=value, latest=latest.isoformat())


def _not_before_org(c: _Call, field: str, value: str | None, org_id: str) -> None:
    """A business date of an organisation may not be before the day it was registered (if known)."""
    org = c.state.get(OrgRow, org_id)
    if value is None or org is None or org.registered_on is None or value >= org.registered_on:
        return
    raise LedgerError(
        C.DATE_TOO_EARLY,
        field=field,
        date=value,
        earliest=org.registered_on,
        what=f"the registration of {org_id}",
        what_zh=f"机构 {org_id} 的成立登记日期",
    )


def _not_before_project(field: str, value: str, project: ProjectRow) -> None:
    """Money and reports of a project may not be dated before the project's start_date."""
    if value < project.start_date:
        raise LedgerError(
            C.DATE_TOO_EARLY,
            field=field,
            date=value,
            earliest=project.start_date,
            what=f"the start of project {project.project}",
            what_zh=f"项目 {project.project} 的开始日期",
        )


def _qualified(project: ProjectRow, org: OrgRow) -> None:
    if not org.public_fundraising:
        raise LedgerError(C.QUALIFICATION_REQUIRED, org=org.org, project=project.project)


def _qualified_on(c: _Call, org: OrgRow, project: str, day: str) -> None:
    """Public fundraising starting on ``day`` needs the qualification in force that day (its
    effective date, from the organisation's history); a day before the history begins is not judged."""
    held = org_on(c.state.scan(OrgChangeRow, org=org.org), date.fromisoformat(day), org)
    if held is not None and held.entries and not held.public_fundraising:
        raise LedgerError(C.QUALIFICATION_REQUIRED, org=org.org, project=project)


def _check_qualification_form(org: str, legal_form: str, track: str, public_fundraising: bool) -> None:
    if public_fundraising and (legal_form not in CHARITY_FORMS or track != "registered"):
        raise LedgerError(C.QUALIFICATION_INVALID, org=org, legal_form=legal_form, track=track)


REGISTERED_FACTS = ("legal_form", "name_en", "name_zh", "public_fundraising", "track")  # what org.registered sets


def _org_change(c: _Call, row: OrgRow, kind: str, changed: list[str], effective_on: str) -> OrgChangeRow:
    """The history row of an organisation entry: the values after it, the fields it set and
    the day they take effect."""
    return OrgChangeRow(
        org=row.org,
        seq=c.ctx.seq,
        id=c.ctx.leaf_hash,
        kind=kind,
        effective_on=effective_on,
        time=c.ctx.log_time,
        changed_json=_changed_json(tuple(changed)),
        name_zh=row.name_zh,
        name_en=row.name_en,
        legal_form=row.legal_form,
        track=row.track,
        public_fundraising=row.public_fundraising,
        status=row.status,
        reason=getattr(c.data, "reason", None),
    )


def _business_day(c: _Call, day: str) -> list[Any]:
    """The log's registry row with ``business_from`` moved back to ``day`` when ``day`` is the
    earliest business date seen (back-loaded history); nothing when it is not."""
    registry = c.state.get(RegistryRow, c.ctx.origin)
    if registry is None or (registry.business_from is not None and registry.business_from <= day):
        return []
    return [replace(registry, business_from=day)]


def _published(c: _Call) -> str | None:
    """A disclosure's own publication date (``published_on``), checked not to lie ahead of the log."""
    _not_late(c, "published_on", c.data.published_on)
    return c.data.published_on  # type: ignore[no-any-return]


# --- registry, organisations, keys ----------------------------------------------------------


def _genesis(c: _Call) -> list[Any]:
    d = c.data
    if d.previous is not None:
        return _continuation(c)
    public_id = key_id(unb64(d.public_key, length=32))
    if public_id != c.entry.signer:
        raise LedgerError(C.GENESIS_KEY_MISMATCH, expected=public_id, signer=c.entry.signer)
    if d.origin != c.ctx.origin:
        raise LedgerError(C.GENESIS_ORIGIN_MISMATCH, got=d.origin, expected=c.ctx.origin)
    if c.entry.body.get("log") != c.ctx.origin:
        raise LedgerError("wrong_log", got=c.entry.body.get("log"), expected=c.ctx.origin)
    seq, time = c.ctx.seq, c.ctx.log_time
    key = KeyRow(
        key_id=public_id,
        public_key=d.public_key,
        role="registrar",
        org=d.org,
        holder=d.holder,
        granted_seq=seq,
        effective_on=c.today().isoformat(),
    )
    log_key_id = key_id(unb64(d.log_key, length=32)) if d.log_key else None
    return [
        RegistryRow(
            origin=d.origin,
            jurisdiction=d.jurisdiction,
            rule_sets_json=_json(list(d.rule_sets)),
            registrar_org=d.org,
            registrar_key=public_id,
            genesis_id=c.ctx.leaf_hash,
            genesis_time=time,
            log_key=d.log_key,
            log_key_id=log_key_id,
            log_key_from_size=0 if d.log_key else None,
        ),
        OrgRow(
            org=d.org,
            name_zh=d.org_name_zh,
            name_en=d.org_name_en,
            legal_form="government",
            track="registered",
            public_fundraising=False,
            is_registrar=True,
            status="active",
            registered_seq=seq,
            updated_seq=seq,
        ),
        key,
        EntryRow(
            id=c.ctx.leaf_hash,
            seq=seq,
            type=GENESIS,
            signer=public_id,
            signer_role="registrar",
            signer_org=d.org,
            time=time,
        ),
    ]


def _continuation(c: _Call) -> list[Any]:
    """The genesis of a later shard: it continues the sealed log ``previous`` names, restating
    the registry's trust root; keys, organisations and projects carry over unchanged."""
    d = c.data
    if d.origin != c.ctx.origin or c.entry.body.get("log") != c.ctx.origin:
        raise LedgerError(C.GENESIS_ORIGIN_MISMATCH, got=d.origin, expected=c.ctx.origin)
    before = c.state.get(RegistryRow, d.previous.origin)
    problems = []
    if before is None:
        problems.append(f"no log {d.previous.origin} in this registry")
    else:
        if before.next_origin != c.ctx.origin:
            problems.append(f"the log {before.origin} is not sealed into {c.ctx.origin}")
        if before.sealed_size != d.previous.size:
            problems.append(f"its final size is {before.sealed_size}, not {d.previous.size}")
        if key_id(unb64(d.public_key, length=32)) != before.registrar_key or d.org != before.registrar_org:
            problems.append("the trust root (public_key, org) must be restated unchanged")
        if d.log_key is None or before.log_key != d.log_key or before.log_key_id != c.entry.signer:
            problems.append("it must be signed by, and name as log_key, the key that sealed the log")
    if problems:
        raise LedgerError(C.SHARD_CONTINUATION_INVALID, detail="; ".join(problems))
    if before is None:
        raise InvariantBroken("before is missing")
    return [
        replace(
            before,
            origin=c.ctx.origin,
            jurisdiction=d.jurisdiction,
            rule_sets_json=_json(list(d.rule_sets)),
            genesis_id=c.ctx.leaf_hash,
            genesis_time=c.ctx.log_time,
            log_key_from_size=0,
            previous_origin=before.origin,
            next_origin=None,
            sealed_size=None,
        ),
        EntryRow(
            id=c.ctx.leaf_hash,
            seq=c.ctx.seq,
            type=GENESIS,
            signer=c.entry.signer,
            signer_role="log",
            signer_org=before.registrar_org,
            time=c.ctx.log_time,
        ),
    ]


def _signed_by_log_key(c: _Call) -> RegistryRow:
    """The registry row of this log, once the entry is known to be signed by its log key."""
    registry = c.state.get(RegistryRow, c.ctx.origin)
    if registry is None:
        raise InvariantBroken("broken: the registry row exists from entry 0 on")
    if registry.log_key_id is None or registry.log_key_id != c.entry.signer:
        raise LedgerError(C.LOG_KEY_UNKNOWN, expected=registry.log_key_id or "no log key", signer=c.entry.signer)
    return registry


def _log_sealed(c: _Call) -> list[Any]:
    d = c.data
    registry = _signed_by_log_key(c)
    if d.size != c.ctx.log_seq + 1:
        raise LedgerError(
            C.LOG_SEAL_INVALID, detail=f"size must be {c.ctx.log_seq + 1}, the size right after this entry"
        )
    if d.next_origin == c.ctx.origin or c.state.get(RegistryRow, d.next_origin) is not None:
        raise LedgerError(C.LOG_SEAL_INVALID, detail=f"the origin {d.next_origin} is already a log of this registry")
    return [
        replace(registry, next_origin=d.next_origin, sealed_size=d.size),
        EntryRow(
            id=c.ctx.leaf_hash,
            seq=c.ctx.seq,
            type=LOG_SEALED,
            signer=c.entry.signer,
            signer_role="log",
            signer_org=registry.registrar_org,
            time=c.ctx.log_time,
        ),
    ]


def continuation_data(state: State, previous: dict[str, Any], origin: str) -> dict[str, Any]:
    """The data of the genesis that opens ``origin`` after the sealed log ``previous`` names:
    the registry's trust root and rule sets restated, the log key in force, and the link."""
    before = state.get(RegistryRow, previous["origin"])
    if before is None:
        raise LedgerError(C.SHARD_CONTINUATION_INVALID, detail=f"no log {previous['origin']} in this registry")
    root = state.get(KeyRow, before.registrar_key)
    org = state.get(OrgRow, before.registrar_org)
    if not (root is not None and org is not None):
        raise InvariantBroken("broken: the genesis registered both")
    data: dict[str, Any] = {
        "origin": origin,
        "jurisdiction": before.jurisdiction,
        "rule_sets": json.loads(before.rule_sets_json),
        "public_key": root.public_key,
        "role": "registrar",
        "org": before.registrar_org,
        "org_name_zh": org.name_zh,
        "holder": root.holder,
        "log_key": before.log_key,
        "previous": dict(previous),
    }
    if org.name_en:
        data["org_name_en"] = org.name_en
    return data


def _log_key_rotated(c: _Call) -> list[Any]:
    d = c.data
    registry = _signed_by_log_key(c)
    if d.from_size != c.ctx.log_seq + 1:
        raise LedgerError(
            C.LOG_KEY_ROTATION_INVALID, detail=f"from_size must be {c.ctx.log_seq + 1}, the size right after this entry"
        )
    new_id = key_id(unb64(d.public_key, length=32))
    if new_id == registry.log_key_id:
        raise LedgerError(C.LOG_KEY_ROTATION_INVALID, detail="the new key is the current key")
    return [
        replace(registry, log_key=d.public_key, log_key_id=new_id, log_key_from_size=d.from_size),
        EntryRow(
            id=c.ctx.leaf_hash,
            seq=c.ctx.seq,
            type=LOG_KEY_ROTATED,
            signer=c.entry.signer,
            signer_role="log",
            signer_org=registry.registrar_org,
            time=c.ctx.log_time,
        ),
    ]


def _org_registered(c: _Call) -> list[Any]:
    d = c.data
    existing = c.state.get(OrgRow, d.org)
    if existing is not None:
        raise LedgerError(C.ORG_EXISTS, org=d.org, seq=existing.registered_seq)
    _check_qualification_form(d.org, d.legal_form, d.track, d.public_fundraising)
    _not_late(c, "registered_on", d.registered_on)
    _not_late(c, "effective_on", d.effective_on)
    row = OrgRow(
        org=d.org,
        name_zh=d.name_zh,
        name_en=d.name_en,
        legal_form=d.legal_form,
        track=d.track,
        public_fundraising=d.public_fundraising,
        is_registrar=False,
        status="active",
        registered_seq=c.ctx.seq,
        updated_seq=c.ctx.seq,
        registered_on=d.registered_on,
    )
    effective = d.effective_on or d.registered_on or c.today().isoformat()
    change = _org_change(c, row, "registered", list(REGISTERED_FACTS), effective)
    return [row, change, c.entry_row()]


def _org_updated(c: _Call) -> list[Any]:
    d = c.data
    org = _active_org(c.state, d.org)
    changes = {
        name: getattr(d, name)
        for name in ("name_zh", "name_en", "legal_form", "track", "public_fundraising")
        if getattr(d, name) is not None
    }
    if org.is_registrar and changes.get("legal_form", org.legal_form) != org.legal_form:
        raise LedgerError(C.REGISTRAR_ORG_PROTECTED, org=org.org)
    new = replace(org, updated_seq=c.ctx.seq, **changes)
    _check_qualification_form(new.org, new.legal_form, new.track, new.public_fundraising)
    _not_late(c, "effective_on", d.effective_on)
    _not_before_org(c, "effective_on", d.effective_on, org.org)
    effective = d.effective_on or c.today().isoformat()
    return [new, _org_change(c, new, "updated", sorted(changes), effective), c.entry_row()]


def _org_deregistered(c: _Call) -> list[Any]:
    d = c.data
    org = _active_org(c.state, d.org)
    if org.is_registrar:
        raise LedgerError(C.REGISTRAR_ORG_PROTECTED, org=org.org)
    _not_before_org(c, "effective_on", d.effective_on, org.org)
    new = replace(
        org, status="deregistered", deregistered_seq=c.ctx.seq, deregister_reason=d.reason, updated_seq=c.ctx.seq
    )
    effective = d.effective_on or c.today().isoformat()
    return [new, _org_change(c, new, "deregistered", ["status"], effective), c.entry_row()]


def _key_granted(c: _Call) -> list[Any]:
    d = c.data
    new_id = key_id(unb64(d.public_key, length=32))
    existing = c.state.get(KeyRow, new_id)
    if existing is not None:
        raise LedgerError(C.KEY_EXISTS, key=new_id, seq=existing.granted_seq)
    target_org = _active_org(c.state, d.org)

    def refuse(detail: str, detail_zh: str) -> LedgerError:
        return LedgerError(
            C.GRANT_NOT_ALLOWED,
            signer_role=c.role,
            signer_org=c.org_id,
            role=d.role,
            org=d.org,
            detail=detail,
            detail_zh=detail_zh,
        )

    if c.role == "registrar":
        if d.role not in REGISTRAR_GRANTS:
            raise refuse(
                "fundraiser and implementer keys are granted by the organisation's own administrator (org_admin)",
                "募集和执行密钥由该组织自己的管理员（org_admin）授权",
            )
        if d.role == "registrar" and not target_org.is_registrar:
            raise refuse(
                "registrar keys belong to the registrar's own organisation", "登记管理密钥只能属于登记管理机关"
            )
    else:  # org_admin
        if d.role not in ORG_ADMIN_GRANTS:
            raise refuse(
                "an organisation administrator grants only fundraiser and implementer keys; the registrar grants the others",
                "组织管理员只能授权募集和执行密钥，其他密钥由登记管理机关授权",
            )
        if d.org != c.org_id:
            raise refuse(
                "an organisation administrator grants keys only in its own organisation",
                "组织管理员只能为本组织授权密钥",
            )
    _not_late(c, "effective_on", d.effective_on)
    _not_before_org(c, "effective_on", d.effective_on, d.org)
    key = KeyRow(
        key_id=new_id,
        public_key=d.public_key,
        role=d.role,
        org=d.org,
        holder=d.holder,
        granted_seq=c.ctx.seq,
        granted_by=c.entry.signer,
        effective_on=d.effective_on or c.today().isoformat(),
    )
    return [key, c.entry_row()]


def _key_revoked(c: _Call) -> list[Any]:
    d = c.data
    target = c.state.get(KeyRow, d.key_id)
    if target is None:
        raise LedgerError(C.KEY_UNKNOWN, key=d.key_id)
    if target.revoked_seq is not None:
        raise LedgerError(C.KEY_ALREADY_REVOKED, key=d.key_id, revoked_seq=target.revoked_seq)
    if target.key_id == c.entry.signer:
        raise LedgerError(C.KEY_REVOKE_SELF)
    if c.role != "registrar" and (target.role not in ORG_ADMIN_GRANTS or target.org != c.org_id):
        raise LedgerError(
            C.REVOKE_NOT_ALLOWED,
            signer_role=c.role,
            signer_org=c.org_id,
            role=target.role,
            key=target.key_id,
            org=target.org,
        )
    _not_late(c, "effective_on", d.effective_on)
    if d.effective_on is not None and target.effective_on is not None and d.effective_on < target.effective_on:
        raise LedgerError(
            C.DATE_TOO_EARLY,
            field="effective_on",
            date=d.effective_on,
            earliest=target.effective_on,
            what=f"the grant of key {target.key_id[:16]}",
            what_zh=f"密钥 {target.key_id[:16]} 的授权生效日期",
        )
    new = replace(
        target,
        revoked_seq=c.ctx.seq,
        revoked_by=c.entry.signer,
        revoke_reason=d.reason,
        revoked_effective_on=d.effective_on or c.today().isoformat(),
    )
    return [new, c.entry_row()]


# --- projects and plans ---------------------------------------------------------------------


def _project_registered(c: _Call) -> list[Any]:
    d = c.data
    existing = c.state.get(ProjectRow, d.project)
    if existing is not None:
        raise LedgerError(C.PROJECT_EXISTS, project=d.project, seq=existing.registered_seq)
    if c.org is None:
        raise InvariantBroken("c.org is missing")
    fundraiser = c.org
    _not_before_org(c, "start_date", d.start_date, fundraiser.org)
    if fundraiser.legal_form not in CHARITY_FORMS:
        raise LedgerError(C.ORG_NOT_CHARITY, org=fundraiser.org, legal_form=fundraiser.legal_form)
    for org_id in d.implementers + d.overseers:
        _active_org(c.state, org_id)
    _check_separation(d.project, fundraiser.org, d.implementers, d.overseers)
    if not d.directed:
        if d.plan is None:
            raise LedgerError(C.PLAN_REQUIRED, project=d.project)
        if not fundraiser.public_fundraising:
            raise LedgerError(C.QUALIFICATION_REQUIRED, org=fundraiser.org, project=d.project)
        _qualified_on(c, fundraiser, d.project, d.plan.fundraising_start)
    project = ProjectRow(
        project=d.project,
        title_zh=d.title_zh,
        title_en=d.title_en,
        field=d.field,
        region=d.region,
        start_date=d.start_date,
        end_date=d.end_date,
        currency=d.currency,
        target_minor=d.target,
        fundraiser_org=fundraiser.org,
        registered_by=c.entry.signer,
        registered_id=c.ctx.leaf_hash,
        registered_seq=c.ctx.seq,
        implementers_json=_json(list(d.implementers)),
        overseers_json=_json(list(d.overseers)),
        directed=d.directed,
        emergency=d.emergency,
        status="open",
        closed=False,
        description=d.description,
        **_plan_fields(d.plan),
    )
    fund = FundRow(project=d.project, currency=d.currency, fundraiser_org=fundraiser.org)
    return [project, fund, *_business_day(c, d.start_date), c.entry_row(project=d.project)]


def _check_separation(project: str, fundraiser_org: str, implementers: Sequence[str], overseers: Sequence[str]) -> None:
    """No overseer of a project is its fundraiser or one of its implementers."""
    for overseer in overseers:
        if overseer == fundraiser_org:
            raise LedgerError(
                C.SEPARATION_VIOLATION, org=overseer, project=project, other_role="fundraiser", other_role_zh="募集方"
            )
        if overseer in implementers:
            raise LedgerError(
                C.SEPARATION_VIOLATION,
                org=overseer,
                project=project,
                other_role="implementer",
                other_role_zh="执行方",
            )


def _plan_fields(plan: Any) -> dict[str, Any]:
    """The fundraising plan's facts as the project row's ``plan_*`` columns (none for a directed project)."""
    if plan is None:
        return {}
    return {
        "plan_purpose": plan.purpose,
        "plan_fundraising_start": plan.fundraising_start,
        "plan_fundraising_end": plan.fundraising_end,
        "plan_area": plan.area,
        "plan_responsible_person": plan.responsible_person,
        "plan_office_address": plan.office_address,
        "plan_receiving_methods": plan.receiving_methods,
        "plan_bank_account": plan.bank_account,
        "plan_beneficiaries": plan.beneficiaries,
        "plan_use_of_funds": plan.use_of_funds,
        "plan_fundraising_cost": plan.fundraising_cost,
        "plan_surplus_handling": plan.surplus_handling,
    }


def _plan_deadline(project: ProjectRow) -> date:
    if project.plan_fundraising_start is None:
        raise InvariantBroken("project.plan_fundraising_start is missing")
    start = date.fromisoformat(project.plan_fundraising_start)
    days = PLAN_NOTICE_DAYS if project.emergency else -PLAN_NOTICE_DAYS
    return start + timedelta(days=days)


def _plan_filed(c: _Call) -> list[Any]:
    d = c.data
    project = _project(c, d.project)
    _require_fundraiser(c, project)
    _require_open(project, "plan filings", "方案备案")
    if project.directed or project.plan_fundraising_start is None:
        raise LedgerError(C.PLAN_NOT_PUBLIC, project=project.project)
    if project.plan_filed_seq is not None:
        raise LedgerError(C.PLAN_ALREADY_FILED, project=project.project, seq=project.plan_filed_seq)
    if c.org is None:
        raise InvariantBroken("c.org is missing")
    _qualified(project, c.org)
    published = _published(c)
    today, deadline = c.today(), _plan_deadline(project)
    if published is not None:  # filed earlier than recorded (back-loaded history): judged on that day
        today = date.fromisoformat(published)
    if today > deadline:
        raise LedgerError(
            C.PLAN_FILED_LATE,
            project=project.project,
            deadline=deadline.isoformat(),
            start=project.plan_fundraising_start,
            today=today.isoformat(),
        )
    new = replace(
        project,
        plan_filed_seq=c.ctx.seq,
        plan_filed_id=c.ctx.leaf_hash,
        plan_filed_time=c.ctx.log_time,
        plan_filing_number=d.filing_number,
        plan_published_on=published,
        plan_publication_sha256=d.publication_sha256,
    )
    return [new, c.entry_row(project=project.project)]


def _plan_acknowledged(c: _Call) -> list[Any]:
    d = c.data
    project = _project(c, d.project)
    if project.plan_filed_seq is None:
        raise LedgerError(C.PLAN_NOT_FILED, project=project.project)
    if project.plan_ack_seq is not None:
        raise LedgerError(C.PLAN_ALREADY_ACKNOWLEDGED, project=project.project, seq=project.plan_ack_seq)
    new = replace(project, plan_ack_seq=c.ctx.seq, plan_record_number=d.record_number)
    return [new, c.entry_row(project=project.project)]


def _project_closed(c: _Call) -> list[Any]:
    d = c.data
    project = _project(c, d.project)
    _require_fundraiser(c, project)
    _require_open(project, "closing", "结项")
    _require_currency(project, d.currency)
    _not_future(c, "closed_on", d.closed_on)
    _not_before_project("closed_on", d.closed_on, project)
    published = _published(c)
    fund = _fund(c, project)
    if d.surplus != fund.balance_minor:
        raise LedgerError(
            C.CLOSE_SURPLUS_MISMATCH,
            project=project.project,
            computed=Money(fund.balance_minor, project.currency).with_code(),
            stated=Money(d.surplus, project.currency).with_code(),
        )
    new = replace(
        project,
        status="closed",
        closed=True,
        closed_seq=c.ctx.seq,
        closed_id=c.ctx.leaf_hash,
        closed_on=d.closed_on,
        close_summary=d.summary,
        surplus_minor=d.surplus,
        surplus_handling=d.surplus_handling,
        surplus_note=d.surplus_note,
        closed_published_on=published,
        closed_publication_sha256=d.publication_sha256,
    )
    return [new, c.entry_row(project=project.project)]


# --- money ----------------------------------------------------------------------------------


def _org_year(c: _Call, org: str, day: str, currency: str, **deltas: int) -> OrgYearRow:
    """The organisation's year row with ``deltas`` added (a day is YYYY-MM-DD)."""
    year = int(day[:4])
    row = c.state.get(OrgYearRow, org, year, currency) or OrgYearRow(org=org, year=year, currency=currency)
    return replace(row, **{name: getattr(row, name) + delta for name, delta in deltas.items()})


def _months(
    c: _Call, day: str, currency: str, project: str, org: str, *, money_in: int = 0, money_out: int = 0
) -> list[MonthRow]:
    """The month rows of the project and of the organisation with the amounts added."""
    out = []
    for kind, subject in (("project", project), ("org", org)):
        key = (kind, subject, day[:7], currency)
        row = c.state.get(MonthRow, *key) or MonthRow(*key)
        out.append(replace(row, in_minor=row.in_minor + money_in, out_minor=row.out_minor + money_out))
    return out


def _donor_type(c: _Call, project: str, donor_type: str, amount: int, count: int) -> ProjectDonorTypeRow:
    row = c.state.get(ProjectDonorTypeRow, project, donor_type) or ProjectDonorTypeRow(
        project=project, donor_type=donor_type
    )
    return replace(row, raised_minor=row.raised_minor + amount, donations_count=row.donations_count + count)


def _donation_received(c: _Call) -> list[Any]:
    d = c.data
    project = _project(c, d.project)
    _require_fundraiser(c, project)
    _require_open(project, "donations", "捐赠")
    _require_currency(project, d.currency)
    _not_future(c, "received_on", d.received_on)
    _not_before_org(c, "received_on", d.received_on, project.fundraiser_org)
    if not project.directed:
        if not (c.org is not None and project.plan_fundraising_start is not None):
            raise InvariantBroken("broken: c.org is not None and project.plan_fundraising_start is not None")
        _qualified(project, c.org)
        if project.plan_filed_seq is None and not (project.emergency and c.today() <= _plan_deadline(project)):
            raise LedgerError(C.PLAN_NOT_FILED, project=project.project)
        start, end = project.plan_fundraising_start, project.plan_fundraising_end
        if end is None:
            raise InvariantBroken("end is missing")
        if not start <= d.received_on <= end:
            raise LedgerError(
                C.OUTSIDE_FUNDRAISING_PERIOD, date=d.received_on, project=project.project, start=start, end=end
            )
    _not_before_project("received_on", d.received_on, project)
    fund = _fund(c, project)
    amount = d.amount
    pot = "restricted" if d.restricted else "unrestricted"
    new_fund = replace(
        fund,
        raised_minor=fund.raised_minor + amount,
        balance_minor=fund.balance_minor + amount,
        donations_count=fund.donations_count + 1,
        raised_in_kind_minor=fund.raised_in_kind_minor + (amount if d.kind == "in_kind" else 0),
        **{
            f"raised_{pot}_minor": getattr(fund, f"raised_{pot}_minor") + amount,
            f"available_{pot}_minor": getattr(fund, f"available_{pot}_minor") + amount,
        },
    )
    donation = DonationRow(
        id=c.ctx.leaf_hash,
        seq=c.ctx.seq,
        project=project.project,
        amount_minor=amount,
        currency=d.currency,
        kind=d.kind,
        channel=d.channel,
        donor_type=d.donor_type,
        commitment=d.commitment,
        restricted=d.restricted,
        received_on=d.received_on,
        fundraiser_org=project.fundraiser_org,
        recorded_by=c.entry.signer,
        time=c.ctx.log_time,
        in_kind_description=d.in_kind_description,
        receipt_no=d.receipt_no,
        note=d.note,
    )
    year = _org_year(c, project.fundraiser_org, d.received_on, d.currency, raised_minor=amount, donations_count=1)
    by_type = _donor_type(c, project.project, d.donor_type, amount, 1)
    months = _months(c, d.received_on, d.currency, project.project, project.fundraiser_org, money_in=amount)
    entry = c.entry_row(project.project, amount, d.currency)
    return [donation, new_fund, year, by_type, *months, *_business_day(c, d.received_on), entry]


def _funds_allocated(c: _Call) -> list[Any]:
    d = c.data
    project = _project(c, d.project)
    _require_fundraiser(c, project)
    _require_open(project, "allocations", "拨付")
    _require_currency(project, d.currency)
    _require_implementer(c, project, d.implementer)
    _active_org(c.state, d.implementer)
    _not_future(c, "allocated_on", d.allocated_on)
    _not_before_project("allocated_on", d.allocated_on, project)
    _not_before_org(c, "allocated_on", d.allocated_on, project.fundraiser_org)
    _not_before_org(c, "allocated_on", d.allocated_on, d.implementer)
    fund = _fund(c, project)
    amount, pot = d.amount, d.source
    available = getattr(fund, f"available_{pot}_minor")
    if amount > available:
        raise LedgerError(
            C.INSUFFICIENT_FUNDS,
            amount=Money(amount, d.currency).with_code(),
            pot=pot,
            pot_zh=_POT_ZH[pot],
            project=project.project,
            available=Money(available, d.currency).with_code(),
        )
    new_fund = replace(
        fund,
        allocated_minor=fund.allocated_minor + amount,
        **{
            f"allocated_{pot}_minor": getattr(fund, f"allocated_{pot}_minor") + amount,
            f"available_{pot}_minor": available - amount,
        },
    )
    balance = c.state.get(AllocationBalanceRow, project.project, d.implementer) or AllocationBalanceRow(
        project=project.project,
        implementer=d.implementer,
        currency=project.currency,
    )
    new_balance = replace(
        balance,
        allocated_minor=balance.allocated_minor + amount,
        balance_minor=balance.balance_minor + amount,
    )
    allocation = AllocationRow(
        id=c.ctx.leaf_hash,
        seq=c.ctx.seq,
        project=project.project,
        implementer=d.implementer,
        source=pot,
        amount_minor=amount,
        currency=d.currency,
        allocated_on=d.allocated_on,
        recorded_by=c.entry.signer,
        time=c.ctx.log_time,
        note=d.note,
    )
    entry = c.entry_row(project.project, amount, d.currency)
    return [allocation, new_fund, new_balance, *_business_day(c, d.allocated_on), entry]


def _funds_disbursed(c: _Call) -> list[Any]:
    d = c.data
    project = _project(c, d.project)
    implementer = c.org_id
    _require_implementer(c, project, implementer)
    _require_open(project, "payments", "支出")
    _require_currency(project, d.currency)
    _not_future(c, "paid_on", d.paid_on)
    _not_before_project("paid_on", d.paid_on, project)
    _not_before_org(c, "paid_on", d.paid_on, implementer)
    amount = d.amount
    balance = c.state.get(AllocationBalanceRow, project.project, implementer)
    available = 0 if balance is None else balance.balance_minor
    if balance is None or amount > available:
        raise LedgerError(
            C.INSUFFICIENT_ALLOCATION,
            amount=Money(amount, d.currency).with_code(),
            project=project.project,
            implementer=implementer,
            available=Money(available, d.currency).with_code(),
        )
    fund = _fund(c, project)
    category_field = f"disbursed_{d.category}_minor"
    new_fund = replace(
        fund,
        disbursed_minor=fund.disbursed_minor + amount,
        balance_minor=fund.balance_minor - amount,
        **{category_field: getattr(fund, category_field) + amount},
    )
    new_balance = replace(
        balance,
        disbursed_minor=balance.disbursed_minor + amount,
        balance_minor=balance.balance_minor - amount,
    )
    disbursement = DisbursementRow(
        id=c.ctx.leaf_hash,
        seq=c.ctx.seq,
        project=project.project,
        implementer=implementer,
        category=d.category,
        amount_minor=amount,
        currency=d.currency,
        payee=d.payee,
        purpose=d.purpose,
        paid_on=d.paid_on,
        evidence_json=_json(list(d.evidence)),
        recorded_by=c.entry.signer,
        time=c.ctx.log_time,
    )
    year = _org_year(c, implementer, d.paid_on, d.currency, **{category_field: amount})
    months = _months(c, d.paid_on, d.currency, project.project, implementer, money_out=amount)
    entry = c.entry_row(project.project, amount, d.currency)
    return [disbursement, new_fund, new_balance, year, *months, *_business_day(c, d.paid_on), entry]


def _progress_reported(c: _Call) -> list[Any]:
    d = c.data
    project = _project(c, d.project)
    _require_implementer(c, project, c.org_id)
    _not_future(c, "period_start", d.period_start)
    _not_before_org(c, "period_start", d.period_start, c.org_id)
    published = _published(c)
    progress = ProgressRow(
        id=c.ctx.leaf_hash,
        seq=c.ctx.seq,
        project=project.project,
        implementer=c.org_id,
        period_start=d.period_start,
        period_end=d.period_end,
        summary=d.summary,
        evidence_json=_json(list(d.evidence)),
        recorded_by=c.entry.signer,
        time=c.ctx.log_time,
        beneficiaries=d.beneficiaries,
        published_on=published,
        publication_sha256=d.publication_sha256,
    )
    return [progress, c.entry_row(project=project.project)]


# --- oversight ------------------------------------------------------------------------------


def _target(c: _Call, target_id: str) -> EntryRow:
    target = c.state.get(EntryRow, target_id)
    if target is None:
        raise LedgerError(C.TARGET_UNKNOWN, target=target_id)
    return target


def _attestation_recorded(c: _Call) -> list[Any]:
    d = c.data
    target = _target(c, d.target)
    if target.signer == c.entry.signer or target.signer_org == c.org_id:
        raise LedgerError(C.ATTEST_OWN_ENTRY, target=target.id, org=target.signer_org)
    registry = c.state.get(RegistryRow, c.ctx.origin)
    bureau = registry is not None and c.org_id == registry.registrar_org  # the registrar's jurisdiction
    if target.project is not None and not bureau:
        project = _project(c, target.project)
        overseers = _overseers(project)
        if c.org_id not in overseers:
            raise LedgerError(
                C.NOT_PROJECT_OVERSEER, org=c.org_id, project=project.project, overseers=", ".join(overseers)
            )
    if d.verdict == "resolved" and target.last_verdict not in OPEN_VERDICTS:
        raise LedgerError(C.NOTHING_TO_RESOLVE, target=target.id, verdict=target.last_verdict or "none")
    attestation = AttestationRow(
        id=c.ctx.leaf_hash,
        seq=c.ctx.seq,
        target=target.id,
        target_type=target.type,
        overseer_org=c.org_id,
        verdict=d.verdict,
        findings=d.findings,
        recorded_by=c.entry.signer,
        time=c.ctx.log_time,
        project=target.project,
        previous_verdict=target.last_verdict,
        previous_verdict_by=target.last_verdict_by,
    )
    new_target = replace(target, last_verdict=d.verdict, last_verdict_by=c.ctx.leaf_hash)
    return [attestation, new_target, c.entry_row(project=target.project)]


def _query_answered(c: _Call) -> list[Any]:
    d = c.data
    query = c.state.get(AttestationRow, d.attestation)
    if query is None:
        raise LedgerError(C.TARGET_UNKNOWN, target=d.attestation)
    if query.corrected or query.verdict not in OPEN_VERDICTS:
        raise LedgerError(C.NOT_A_QUERY, attestation=d.attestation, verdict=query.verdict)
    target = _target(c, query.target)
    if target.signer_org != c.org_id:
        raise LedgerError(C.NOT_YOUR_QUERY, attestation=d.attestation, org=target.signer_org)
    answer = AnswerRow(
        id=c.ctx.leaf_hash,
        seq=c.ctx.seq,
        attestation=d.attestation,
        target=query.target,
        org=c.org_id,
        answer=d.answer,
        evidence_json=_json(list(d.evidence)),
        recorded_by=c.entry.signer,
        time=c.ctx.log_time,
        project=target.project,
    )
    return [answer, c.entry_row(project=target.project)]


def _audit_opinion(c: _Call) -> list[Any]:
    d = c.data
    org = c.state.get(OrgRow, d.org)
    if org is None:
        raise LedgerError(C.ORG_UNKNOWN, org=d.org)
    if d.org == c.org_id:
        raise LedgerError(C.AUDIT_OWN_ORG, org=d.org)
    today = c.today()
    if d.year > today.year:
        raise LedgerError(C.DATE_IN_FUTURE, field="year", date=str(d.year), today=today.isoformat())
    opinion = AuditOpinionRow(
        id=c.ctx.leaf_hash,
        seq=c.ctx.seq,
        org=d.org,
        year=d.year,
        opinion=d.opinion,
        report_sha256=d.report_sha256,
        auditor_org=c.org_id,
        recorded_by=c.entry.signer,
        time=c.ctx.log_time,
        summary=d.summary,
    )
    return [opinion, c.entry_row()]


def _financials_reported(c: _Call) -> list[Any]:
    d = c.data
    _active_org(c.state, d.org)
    if c.role == "org_admin" and d.org != c.org_id:
        raise LedgerError(C.FINANCIALS_WRONG_ORG, org=d.org, signer_org=c.org_id)
    today = c.today()
    if d.year >= today.year:  # the figures of a year are known once it has ended
        raise LedgerError(C.DATE_IN_FUTURE, field="year", date=f"{d.year}-12-31", today=today.isoformat())
    existing = c.state.get(FinancialsRow, d.org, d.year)
    if existing is not None and not existing.corrected:
        raise LedgerError(C.FINANCIALS_EXIST, org=d.org, year=d.year, seq=existing.seq)
    published = _published(c)
    if published is not None and published <= f"{d.year}-12-31":
        raise LedgerError(
            C.DATE_TOO_EARLY,
            field="published_on",
            date=published,
            earliest=f"{d.year + 1}-01-01",
            what=f"the end of {d.year}",
            what_zh=f"{d.year} 年末",
        )
    row = FinancialsRow(
        org=d.org,
        year=d.year,
        id=c.ctx.leaf_hash,
        seq=c.ctx.seq,
        currency=d.currency,
        total_income_minor=d.total_income,
        charitable_spending_minor=d.charitable_spending,
        management_costs_minor=d.management_costs,
        fundraising_costs_minor=d.fundraising_costs,
        total_spending_minor=d.total_spending,
        net_assets_minor=d.net_assets,
        signer_org=c.org_id,
        recorded_by=c.entry.signer,
        time=c.ctx.log_time,
        audit_report_sha256=d.audit_report_sha256,
        note=d.note,
        published_on=published,
        publication_sha256=d.publication_sha256,
    )
    return [row, c.entry_row()]


def _report_issued(c: _Call) -> list[Any]:
    d = c.data
    if d.tree_size > c.ctx.log_seq:
        raise LedgerError(C.REPORT_TREE_SIZE, tree_size=d.tree_size, size=c.ctx.log_seq)
    files = [{"name": f.name, "sha256": f.sha256, "size": f.size} for f in d.files]
    report = ReportRow(
        id=c.ctx.leaf_hash,
        seq=c.ctx.seq,
        kind=d.kind,
        subject=d.subject,
        period_start=d.period_start,
        period_end=d.period_end,
        rule_set=d.rule_set,
        tree_size=d.tree_size,
        root=d.root,
        files_json=_json(files),
        recorded_by=c.entry.signer,
        time=c.ctx.log_time,
    )
    return [report, c.entry_row()]


# --- SEZ donation filings (Shenzhen SEZ Regulations on Donations for Public Welfare) ----------


def _sz_donation_filed(c: _Call) -> list[Any]:
    """Art. 24-26: the donee files the donations it received (intent or agreement, declaration
    form, list of money and goods as document hashes). An emergency filing names the day the
    donations were accepted; whether it came within 3 months is for the deadline checks
    (ledger.services.oversight, the overview report), not a refusal: a late filing is still recorded."""
    d = c.data
    registry = c.state.get(RegistryRow, c.ctx.origin)
    if registry is None:
        raise InvariantBroken("broken: the registry row exists from entry 0 on")
    if d.authority != registry.registrar_org:
        raise LedgerError(C.SZ_AUTHORITY_INVALID, expected=registry.registrar_org, got=d.authority)
    _active_org(c.state, d.authority)
    _not_future(c, "filed_on", d.filed_on)
    _not_before_org(c, "filed_on", d.filed_on, c.org_id)
    if d.accepted_on is not None:
        _not_future(c, "accepted_on", d.accepted_on)
    existing = [f for f in c.state.scan(SzFilingRow, org=c.org_id, ref=d.ref) if not f.corrected]
    if existing:  # a withdrawn filing frees its reference
        raise LedgerError(C.SZ_FILING_EXISTS, org=c.org_id, ref=d.ref, seq=existing[0].seq)
    for leaf in d.donations:
        _check_filed_donation(c, leaf)
    filing = SzFilingRow(
        id=c.ctx.leaf_hash,
        seq=c.ctx.seq,
        org=c.org_id,
        ref=d.ref,
        authority=d.authority,
        filed_on=d.filed_on,
        emergency=d.emergency,
        donations_json=_json(list(d.donations)),
        purpose=d.purpose,
        intent_sha256=d.intent_sha256,
        declaration_sha256=d.declaration_sha256,
        property_list_sha256=d.property_list_sha256,
        recorded_by=c.entry.signer,
        time=c.ctx.log_time,
        accepted_on=d.accepted_on,
        note=d.note,
    )
    return [filing, c.entry_row()]


def _check_filed_donation(c: _Call, leaf: str) -> None:
    """A filing lists donations this organisation received and did not reverse."""
    donation = c.state.get(DonationRow, leaf)
    if donation is None:
        detail, detail_zh = "it is not a donation.received entry", "该条目不是 donation.received 条目"
    elif donation.fundraiser_org != c.org_id:
        detail = f"it was received by {donation.fundraiser_org}"
        detail_zh = f"该捐赠由 {donation.fundraiser_org} 接受"
    elif donation.corrected:
        detail = f"it was reversed by {donation.corrected_by}"
        detail_zh = f"该捐赠已被 {donation.corrected_by} 冲销"
    else:
        return
    raise LedgerError(C.SZ_DONATION_INVALID, donation=leaf, org=c.org_id, detail=detail, detail_zh=detail_zh)


def _sz_filing_replied(c: _Call) -> list[Any]:
    """Art. 25: the authority replies within 10 days, at most 30; once per filing."""
    d = c.data
    filing = c.state.get(SzFilingRow, d.target)
    if filing is None:
        raise LedgerError(C.SZ_FILING_UNKNOWN, target=d.target)
    if filing.corrected:
        raise LedgerError(C.ALREADY_CORRECTED, target=filing.id, by=filing.corrected_by)
    if filing.reply_seq is not None:
        raise LedgerError(C.SZ_FILING_REPLIED, target=filing.id, seq=filing.reply_seq)
    if c.org_id != filing.authority:  # cannot happen while the authority is the registrar
        raise LedgerError(C.SZ_AUTHORITY_INVALID, expected=filing.authority, got=c.org_id)
    _not_future(c, "replied_on", d.replied_on)
    if d.replied_on < filing.filed_on:
        raise LedgerError(C.SZ_REPLY_BEFORE_FILING, replied_on=d.replied_on, filed_on=filing.filed_on)
    new = replace(
        filing,
        replied_on=d.replied_on,
        decision=d.decision,
        reply_id=c.ctx.leaf_hash,
        reply_seq=c.ctx.seq,
        reply_note=d.note,
    )
    return [new, c.entry_row()]


# --- corrections ----------------------------------------------------------------------------


def _overdraw(target: EntryRow, amount: int, currency: str, available: int, what: str, what_zh: str) -> LedgerError:
    return LedgerError(
        C.CORRECTION_OVERDRAW,
        target=target.id,
        amount=Money(amount, currency).with_code(),
        available=Money(available, currency).with_code(),
        what=what,
        what_zh=what_zh,
    )


def _reverse_donation(c: _Call, target: EntryRow, project: ProjectRow) -> list[Any]:
    donation = c.state.get(DonationRow, target.id)
    if donation is None:
        raise InvariantBroken("donation is missing")
    fund = _fund(c, project)
    amount = donation.amount_minor
    pot = "restricted" if donation.restricted else "unrestricted"
    available = getattr(fund, f"available_{pot}_minor")
    if amount > available:
        raise _overdraw(
            target,
            amount,
            donation.currency,
            available,
            f"the unallocated {pot} funds of {project.project}",
            f"项目 {project.project} 未拨付的{_POT_ZH[pot]}资金",
        )
    new_fund = replace(
        fund,
        raised_minor=fund.raised_minor - amount,
        balance_minor=fund.balance_minor - amount,
        donations_count=fund.donations_count - 1,
        raised_in_kind_minor=fund.raised_in_kind_minor - (amount if donation.kind == "in_kind" else 0),
        **{
            f"raised_{pot}_minor": getattr(fund, f"raised_{pot}_minor") - amount,
            f"available_{pot}_minor": available - amount,
        },
    )
    year = _org_year(
        c, donation.fundraiser_org, donation.received_on, donation.currency, raised_minor=-amount, donations_count=-1
    )
    by_type = _donor_type(c, project.project, donation.donor_type, -amount, -1)
    months = _months(
        c, donation.received_on, donation.currency, project.project, donation.fundraiser_org, money_in=-amount
    )
    return [replace(donation, corrected=True, corrected_by=c.ctx.leaf_hash), new_fund, year, by_type, *months]


def _reverse_allocation(c: _Call, target: EntryRow, project: ProjectRow) -> list[Any]:
    allocation = c.state.get(AllocationRow, target.id)
    if allocation is None:
        raise InvariantBroken("allocation is missing")
    balance = c.state.get(AllocationBalanceRow, project.project, allocation.implementer)
    if balance is None:
        raise InvariantBroken("balance is missing")
    amount, pot = allocation.amount_minor, allocation.source
    if amount > balance.balance_minor:
        raise _overdraw(
            target,
            amount,
            allocation.currency,
            balance.balance_minor,
            f"the allocated funds of {allocation.implementer} for {project.project}",
            f"{allocation.implementer} 在项目 {project.project} 的已拨付资金",
        )
    fund = _fund(c, project)
    new_fund = replace(
        fund,
        allocated_minor=fund.allocated_minor - amount,
        **{
            f"allocated_{pot}_minor": getattr(fund, f"allocated_{pot}_minor") - amount,
            f"available_{pot}_minor": getattr(fund, f"available_{pot}_minor") + amount,
        },
    )
    new_balance = replace(
        balance,
        allocated_minor=balance.allocated_minor - amount,
        balance_minor=balance.balance_minor - amount,
    )
    return [replace(allocation, corrected=True, corrected_by=c.ctx.leaf_hash), new_fund, new_balance]


def _reverse_disbursement(c: _Call, target: EntryRow, project: ProjectRow) -> list[Any]:
    disbursement = c.state.get(DisbursementRow, target.id)
    if disbursement is None:
        raise InvariantBroken("disbursement is missing")
    balance = c.state.get(AllocationBalanceRow, project.project, disbursement.implementer)
    if balance is None:
        raise InvariantBroken("balance is missing")
    amount = disbursement.amount_minor
    fund = _fund(c, project)
    category_field = f"disbursed_{disbursement.category}_minor"
    new_fund = replace(
        fund,
        disbursed_minor=fund.disbursed_minor - amount,
        balance_minor=fund.balance_minor + amount,
        **{category_field: getattr(fund, category_field) - amount},
    )
    new_balance = replace(
        balance,
        disbursed_minor=balance.disbursed_minor - amount,
        balance_minor=balance.balance_minor + amount,
    )
    year = _org_year(
        c, disbursement.implementer, disbursement.paid_on, disbursement.currency, **{category_field: -amount}
    )
    months = _months(
        c, disbursement.paid_on, disbursement.currency, project.project, disbursement.implementer, money_out=-amount
    )
    return [replace(disbursement, corrected=True, corrected_by=c.ctx.leaf_hash), new_fund, new_balance, year, *months]


def _withdraw_attestation(c: _Call, target: EntryRow) -> list[Any]:
    attestation = c.state.get(AttestationRow, target.id)
    if attestation is None:
        raise InvariantBroken("attestation is missing")
    out: list[Any] = [replace(attestation, corrected=True, corrected_by=c.ctx.leaf_hash)]
    attested = c.state.get(EntryRow, attestation.target)
    if attested is not None and attested.last_verdict_by == attestation.id:
        # Fall back to the latest verdict before this one that was not withdrawn itself.
        verdict, by = attestation.previous_verdict, attestation.previous_verdict_by
        while by is not None:
            earlier = c.state.get(AttestationRow, by)
            if earlier is None or not earlier.corrected:
                break
            verdict, by = earlier.previous_verdict, earlier.previous_verdict_by
        out.append(replace(attested, last_verdict=verdict, last_verdict_by=by))
    return out


def _entry_corrected(c: _Call) -> list[Any]:
    d = c.data
    target = _target(c, d.target)
    _check_correctable(c, target)
    rows = _corrected_rows(c, target)
    # mark the target's entry row (keeping any change made to it above: one row per key)
    marked = next((r for r in rows if isinstance(r, EntryRow) and r.id == target.id), target)
    rows = [r for r in rows if not (isinstance(r, EntryRow) and r.id == target.id)]
    rows.append(replace(marked, corrected=True, corrected_by=c.ctx.leaf_hash))
    correction = CorrectionRow(
        id=c.ctx.leaf_hash,
        seq=c.ctx.seq,
        target=target.id,
        target_type=target.type,
        reason=d.reason,
        signer_org=c.org_id,
        recorded_by=c.entry.signer,
        time=c.ctx.log_time,
        project=target.project,
        amount_minor=d.amount,
        currency=d.currency,
    )
    rows.append(correction)
    rows.append(c.entry_row(project=target.project, amount=d.amount, currency=d.currency))
    return rows


def _check_correctable(c: _Call, target: EntryRow) -> None:
    """The target may be corrected, by this signer, and the correction restates its money facts."""
    d = c.data
    if target.type not in CORRECTABLE:
        instead, instead_zh = _NOT_CORRECTABLE_INSTEAD.get(target.type, ("record a new entry", "请记录新的条目"))
        raise LedgerError(C.CORRECTION_NOT_ALLOWED, target_type=target.type, instead=instead, instead_zh=instead_zh)
    if target.corrected:
        raise LedgerError(C.ALREADY_CORRECTED, target=target.id, by=target.corrected_by)
    if target.signer_role != c.role or target.signer_org != c.org_id:
        raise LedgerError(C.CORRECTION_WRONG_SIGNER, role=target.signer_role, org=target.signer_org)
    is_money = target.type in MONEY_TYPES
    for name, expected in (
        ("project", target.project if is_money else None),
        ("amount", target.amount_minor if is_money else None),
        ("currency", target.currency if is_money else None),
    ):
        got = getattr(d, name)
        if got != expected:

            def show(value: Any, name: str = name) -> Any:
                if name == "amount" and value is not None and target.currency is not None:
                    return format_amount(value, target.currency)
                return "(none)" if value is None else value

            raise LedgerError(C.CORRECTION_MISMATCH, field=name, expected=show(expected), got=show(got))


def _corrected_rows(c: _Call, target: EntryRow) -> list[Any]:
    """The rows a correction changes: a money entry reversed, or the target's row withdrawn."""
    rows: list[Any]
    if target.type in MONEY_TYPES:
        if target.project is None:
            raise InvariantBroken("target.project is missing")
        project = _project(c, target.project)
        _require_open(project, "corrections of money entries", "资金条目更正")
        reverse: Callable[[_Call, EntryRow, ProjectRow], list[Any]] = {
            "donation.received": _reverse_donation,
            "funds.allocated": _reverse_allocation,
            "funds.disbursed": _reverse_disbursement,
        }[target.type]
        rows = reverse(c, target, project)
    elif target.type == "attestation.recorded":
        rows = _withdraw_attestation(c, target)
    elif target.type in ("financials.reported", "work_report.filed"):
        # keyed by (org, year); the target is the set in force (a withdrawn one cannot be the
        # target again), so exactly one row carries its id
        yearly: type[FinancialsRow] | type[WorkReportRow] = (
            FinancialsRow if target.type == "financials.reported" else WorkReportRow
        )
        (figures,) = c.state.scan(yearly, id=target.id)
        rows = [replace(figures, corrected=True, corrected_by=c.ctx.leaf_hash)]
    else:
        row_type = {
            "progress.reported": ProgressRow,
            "sz.donation_filed": SzFilingRow,
            "interest.received": AccountMovementRow,
            "fee.charged": AccountMovementRow,
            "disclosure.recorded": DisclosureRow,
            "fundraising.results": FundraisingResultRow,
        }.get(target.type, AuditOpinionRow)
        row = c.state.get(row_type, target.id)
        if row is None:
            raise InvariantBroken("row is missing")
        rows = [replace(row, corrected=True, corrected_by=c.ctx.leaf_hash)]
    return rows


# --- forms (issue 14): project amendments ---------------------------------------------------

MAX_IMPLEMENTERS, MAX_OVERSEERS = 10, 5  # as on project.registered


def _project_amended(c: _Call) -> list[Any]:
    """Dates changed, organisations added; the project's other facts stay as registered."""
    d = c.data
    project = _project(c, d.project)
    _require_fundraiser(c, project)
    _require_open(project, "amendments", "项目变更")

    def refuse(detail: str, detail_zh: str) -> LedgerError:
        return LedgerError(C.PROJECT_AMENDMENT_REFUSED, project=project.project, detail=detail, detail_zh=detail_zh)

    start = d.start_date or project.start_date
    end = d.end_date or project.end_date
    if end < start:
        raise refuse(
            f"the end date {end} would be before the start date {start}", f"结束日期 {end} 将早于开始日期 {start}"
        )
    if d.start_date is not None and d.start_date != project.start_date:
        _not_before_org(c, "start_date", d.start_date, project.fundraiser_org)
        fund = _fund(c, project)
        moved_later = d.start_date > project.start_date
        if moved_later and (fund.donations_count > 0 or fund.allocated_minor > 0 or fund.disbursed_minor > 0):
            raise refuse(
                "money was already recorded from the old start date; the start can only move earlier",
                "已按原开始日期记录了资金，开始日期只能提前",
            )
    implementers = _implementers(project)
    overseers = _overseers(project)
    added_implementers = list(d.add_implementers or ())
    added_overseers = list(d.add_overseers or ())
    for org_id in added_implementers + added_overseers:
        _active_org(c.state, org_id)
    for org_id in added_implementers:
        if org_id in implementers:
            raise refuse(f"{org_id} is already an implementer", f"{org_id} 已是执行机构")
    for org_id in added_overseers:
        if org_id in overseers:
            raise refuse(f"{org_id} is already an overseer", f"{org_id} 已是监督机构")
    new_implementers = implementers + added_implementers
    new_overseers = overseers + added_overseers
    if len(new_implementers) > MAX_IMPLEMENTERS or len(new_overseers) > MAX_OVERSEERS:
        raise refuse(
            f"a project has at most {MAX_IMPLEMENTERS} implementers and {MAX_OVERSEERS} overseers",
            f"一个项目最多 {MAX_IMPLEMENTERS} 个执行机构和 {MAX_OVERSEERS} 个监督机构",
        )
    # separation holds for the amended project as for a new one
    _check_separation(project.project, project.fundraiser_org, new_implementers, new_overseers)
    new = replace(
        project,
        start_date=start,
        end_date=end,
        implementers_json=_json(new_implementers),
        overseers_json=_json(new_overseers),
    )
    return [new, c.entry_row(project=project.project)]


# --- end forms ------------------------------------------------------------------------------


# --- import wizard (issue 14): interest and fees ---------------------------------------------


def _account_movement(c: _Call, kind: str, on_date: str, fee_kind: str | None) -> list[Any]:
    """interest.received / fee.charged: the organisation's own account (and project), a date
    not in the future nor before the organisation's registration."""
    d = c.data
    _active_org(c.state, d.org)
    if d.org != c.org_id:
        raise LedgerError(C.ACCOUNT_WRONG_ORG, signer_org=c.org_id, other=d.org)
    field = "received_on" if kind == "interest" else "charged_on"
    _not_future(c, field, on_date)
    _not_before_org(c, field, on_date, d.org)
    if d.project is not None:
        project = _project(c, d.project)
        if project.fundraiser_org != d.org:
            raise LedgerError(C.ACCOUNT_WRONG_ORG, signer_org=c.org_id, other=d.project)
        _require_currency(project, d.currency)
    row = AccountMovementRow(
        id=c.ctx.leaf_hash,
        seq=c.ctx.seq,
        org=d.org,
        kind=kind,
        amount_minor=d.amount,
        currency=d.currency,
        on_date=on_date,
        recorded_by=c.entry.signer,
        time=c.ctx.log_time,
        project=d.project,
        fee_kind=fee_kind,
        note=d.note,
    )
    return [row, c.entry_row(project=d.project, amount=d.amount, currency=d.currency)]


def _interest_received(c: _Call) -> list[Any]:
    return _account_movement(c, "interest", c.data.received_on, None)


def _fee_charged(c: _Call) -> list[Any]:
    return _account_movement(c, "fee", c.data.charged_on, c.data.fee_kind)


# --- end import wizard ------------------------------------------------------------------------
# --- disclosures (issue 13): events, campaign results, the annual work report -----------------


def _disclosure_recorded(c: _Call) -> list[Any]:
    """Compliance.md item 14: published within 30 days of the event. A late disclosure is
    recorded all the same; the reports measure it against the rule set in force."""
    d = c.data
    _not_future(c, "occurred_on", d.occurred_on)
    _not_future(c, "published_on", d.published_on)
    _not_before_org(c, "occurred_on", d.occurred_on, c.org_id)
    if d.project is not None:
        _project(c, d.project)
    existing = [x for x in c.state.scan(DisclosureRow, org=c.org_id, ref=d.ref) if not x.corrected]
    if existing:  # a withdrawn disclosure frees its reference
        raise LedgerError(C.DISCLOSURE_EXISTS, org=c.org_id, ref=d.ref, seq=existing[0].seq)
    row = DisclosureRow(
        id=c.ctx.leaf_hash,
        seq=c.ctx.seq,
        org=c.org_id,
        ref=d.ref,
        kind=d.kind,
        title=d.title,
        summary=d.summary,
        occurred_on=d.occurred_on,
        published_on=d.published_on,
        evidence_json=_json(list(d.evidence)),
        recorded_by=c.entry.signer,
        time=c.ctx.log_time,
        counterparty=d.counterparty,
        project=d.project,
        amount_minor=d.amount,
        currency=d.currency,
    )
    return [row, c.entry_row(project=d.project)]


def _fundraising_results(c: _Call) -> list[Any]:
    """Compliance.md item 4: a campaign's results (receipts, use, costs against the plan's cap)."""
    d = c.data
    project = _project(c, d.project)
    _require_fundraiser(c, project)
    if project.directed or project.plan_fundraising_start is None:
        raise LedgerError(C.RESULTS_NOT_CAMPAIGN, project=project.project)
    _require_currency(project, d.currency)
    _not_future(c, "ended_on", d.ended_on)
    _not_future(c, "published_on", d.published_on)
    _not_before_project("ended_on", d.ended_on, project)
    existing = [x for x in c.state.scan(FundraisingResultRow, project=project.project) if not x.corrected]
    if existing:
        raise LedgerError(C.RESULTS_EXIST, project=project.project, seq=existing[0].seq)
    over_cap = d.fundraising_costs > d.cost_cap
    if over_cap and d.explanation is None:
        raise LedgerError(
            C.FUNDRAISING_COST_OVER_CAP,
            costs=format_amount(d.fundraising_costs, d.currency),
            cap=format_amount(d.cost_cap, d.currency),
        )
    row = FundraisingResultRow(
        id=c.ctx.leaf_hash,
        seq=c.ctx.seq,
        project=project.project,
        org=project.fundraiser_org,
        currency=d.currency,
        receipts_minor=d.receipts,
        used_minor=d.used,
        fundraising_costs_minor=d.fundraising_costs,
        cost_cap_minor=d.cost_cap,
        over_cap=over_cap,
        ended_on=d.ended_on,
        published_on=d.published_on,
        use_summary=d.use_summary,
        evidence_json=_json(list(d.evidence)),
        recorded_by=c.entry.signer,
        time=c.ctx.log_time,
        explanation=d.explanation,
    )
    return [row, c.entry_row(project=project.project)]


def _work_report_filed(c: _Call) -> list[Any]:
    d = c.data
    _active_org(c.state, d.org)
    if c.role == "org_admin" and d.org != c.org_id:
        raise LedgerError(C.WORK_REPORT_WRONG_ORG, org=d.org, signer_org=c.org_id)
    today = c.today()
    if d.year >= today.year:  # a year's report is made once it has ended
        raise LedgerError(C.DATE_IN_FUTURE, field="year", date=f"{d.year}-12-31", today=today.isoformat())
    _not_future(c, "published_on", d.published_on)
    existing = c.state.get(WorkReportRow, d.org, d.year)
    if existing is not None and not existing.corrected:
        raise LedgerError(C.WORK_REPORT_EXISTS, org=d.org, year=d.year, seq=existing.seq)
    amounts = {f"{name}_minor": getattr(d, name) for name in _WORK_REPORT_AMOUNTS}
    counts = {name: getattr(d, name) for name in _WORK_REPORT_COUNTS}
    row = WorkReportRow(
        org=d.org,
        year=d.year,
        id=c.ctx.leaf_hash,
        seq=c.ctx.seq,
        currency=d.currency,
        report_sha256=d.report_sha256,
        published_on=d.published_on,
        signer_org=c.org_id,
        recorded_by=c.entry.signer,
        time=c.ctx.log_time,
        volunteer_hours=d.volunteer_hours,
        beneficiaries=d.beneficiaries,
        activities=d.activities,
        note=d.note,
        **counts,
        **amounts,
    )
    return [row, c.entry_row()]


_WORK_REPORT_COUNTS = ("staff", "volunteers", "council_members", "supervisors", "council_meetings")
_WORK_REPORT_AMOUNTS = (
    "total_assets",
    "total_liabilities",
    "net_assets",
    *WORK_REPORT_INCOME,
    "total_income",
    *WORK_REPORT_SPENDING,
    "total_spending",
)


_HANDLERS: dict[str, Callable[[_Call], list[Any]]] = {
    "registry.genesis": _genesis,
    "org.registered": _org_registered,
    "org.updated": _org_updated,
    "org.deregistered": _org_deregistered,
    "key.granted": _key_granted,
    "key.revoked": _key_revoked,
    "project.registered": _project_registered,
    "plan.filed": _plan_filed,
    "plan.acknowledged": _plan_acknowledged,
    "donation.received": _donation_received,
    "funds.allocated": _funds_allocated,
    "funds.disbursed": _funds_disbursed,
    "progress.reported": _progress_reported,
    "project.closed": _project_closed,
    "attestation.recorded": _attestation_recorded,
    "query.answered": _query_answered,
    "audit.opinion": _audit_opinion,
    "financials.reported": _financials_reported,
    "entry.corrected": _entry_corrected,
    "report.issued": _report_issued,
    "log.key_rotated": _log_key_rotated,
    "log.sealed": _log_sealed,
    "sz.donation_filed": _sz_donation_filed,
    "sz.filing_replied": _sz_filing_replied,
    "project.amended": _project_amended,  # forms (issue 14)
    "interest.received": _interest_received,  # import wizard (issue 14)
    "fee.charged": _fee_charged,
    "disclosure.recorded": _disclosure_recorded,  # disclosures (issue 13)
    "fundraising.results": _fundraising_results,
    "work_report.filed": _work_report_filed,
}
if not (set(_HANDLERS) == set(SCHEMAS) == set(TYPE_ROLES)):
    raise InvariantBroken("broken: set(_HANDLERS) == set(SCHEMAS) == set(TYPE_ROLES)")
