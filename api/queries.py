"""The API's answers from the read model (:mod:`ledger.store.reads`): this module turns its
values into the API's schemas (:func:`to_schema`: money as decimal strings, tuples as lists)
and pages them. It holds no SQL of its own (an import-linter contract keeps the API away from
the storage tables). Each list is keyset-paginated on its sort key and reads ``limit + 1``
values to know if there is more.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine

from api import schemas as S
from api.pagination import decode_cursor, page
from api.problems import PARAMETER_INVALID
from ledger.domain.money import Money, plain_or_none
from ledger.domain.tracing import DonationTrace
from ledger.errors import LedgerError
from ledger.protocol.canonical import format_time, parse_json
from ledger.store import reads
from ledger.store.db import read_transaction

T = TypeVar("T")


F = TypeVar("F", bound=reads.Flow)


def _wire(value: Any) -> Any:
    """A read model value as the API writes it: money as its decimal string, tuples as lists."""
    if isinstance(value, Money):
        return value.plain()
    if isinstance(value, tuple):
        return list(value)
    return value


def to_schema(cls: type[T], obj: Any, **override: Any) -> T:
    """The API's Struct ``cls`` from a read model value (its attributes of the same names, with
    ``override`` on top): the one place the read model becomes the API's JSON."""
    names = cls.__struct_fields__  # type: ignore[attr-defined]
    return cls(**{name: _wire(getattr(obj, name)) for name in names if name not in override}, **override)


def _pick(cls: type, row: Any, **override: Any) -> Any:
    """A Struct from the row's columns of the same names, with ``override`` on top."""
    values = {name: row[name] for name in cls.__struct_fields__ if name not in override}
    values.update(override)
    return cls(**values)


def parse_time_param(value: str | None, name: str) -> str | None:
    """An RFC 3339 time or a date (midnight UTC) as the log writes times, or None."""
    if value is None:
        return None
    text = value  # no stripping: "2026-11-27\n" is not a time (ledger.protocol.grammar)
    try:
        if len(text) == 10:
            moment = datetime.fromisoformat(text).replace(tzinfo=UTC)
        else:
            moment = datetime.fromisoformat(text)
    except ValueError:
        raise LedgerError(
            PARAMETER_INVALID, detail=f"{name}={value!r} is not an RFC 3339 time like 2026-11-27T08:00:00Z or a date"
        ) from None
    if moment.tzinfo is None:
        raise LedgerError(PARAMETER_INVALID, detail=f"{name}={value!r} has no time zone; add Z or an offset")
    if not 1970 <= moment.astimezone(UTC).year <= 9999:
        raise LedgerError(PARAMETER_INVALID, detail=f"{name}={value!r} is out of range")
    return format_time(moment)


# --- entries --------------------------------------------------------------------------------


def _entry(e: reads.Entry) -> S.Entry:
    leaf = parse_json(e.leaf)
    return to_schema(S.Entry, e, log=leaf["body"]["log"], leaf=_leaf(leaf))


def _leaf(obj: dict[str, Any]) -> S.Leaf:
    return S.Leaf(seq=obj["seq"], prev=obj["prev"], time=obj["time"], body=S.EntryBody(**obj["body"]), sig=obj["sig"])


def list_entries(
    engine: Engine,
    *,
    limit: int,
    cursor: str | None,
    descending: bool = False,
    type_: str | None = None,
    signer: str | None = None,
    idem: str | None = None,
    org: str | None = None,
    project: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> dict[str, Any]:
    after = decode_cursor(cursor, int)
    f = reads.EntryFilter(type=type_, signer=signer, idem=idem, org=org, project=project, since=since, until=until)
    with read_transaction(engine) as conn:
        found = reads.entries(conn, f, limit=limit + 1, after=after[0] if after else None, descending=descending)
    items = [_entry(e) for e in found[:limit]]
    return page(items, len(found), limit, [items[-1].seq] if items else None)


def get_entry(engine: Engine, *, seq: int | None = None, leaf_hash: str | None = None) -> S.Entry:
    with read_transaction(engine) as conn:
        found = reads.entry_at(conn, seq=seq, leaf_hash=leaf_hash)
    if found is None:
        ref = f"seq {seq}" if seq is not None else str(leaf_hash)
        raise LedgerError("not_found", what="entry", what_zh="条目", ref=ref)
    return _entry(found)


# --- organisations --------------------------------------------------------------------------


def list_organisations(
    engine: Engine,
    *,
    limit: int,
    cursor: str | None,
    status: str | None = None,
    legal_form: str | None = None,
    public_fundraising: bool | None = None,
) -> dict[str, Any]:
    after = decode_cursor(cursor, str)
    with read_transaction(engine) as conn:
        found = reads.organisations(
            conn,
            limit=limit + 1,
            after=after[0] if after else None,
            status=status,
            legal_form=legal_form,
            public_fundraising=public_fundraising,
        )
    items = [to_schema(S.Organisation, o) for o in found[:limit]]
    return page(items, len(found), limit, [items[-1].org] if items else None)


def get_organisation(engine: Engine, org: str) -> S.Organisation:
    with read_transaction(engine) as conn:
        found = reads.organisation(conn, org)
    if found is None:
        raise LedgerError("not_found", what="organisation", what_zh="组织", ref=org)
    return to_schema(S.Organisation, found)


# --- projects -------------------------------------------------------------------------------

_PLAN_FIELDS = (
    "purpose",
    "fundraising_start",
    "fundraising_end",
    "area",
    "responsible_person",
    "office_address",
    "receiving_methods",
    "bank_account",
    "beneficiaries",
    "use_of_funds",
    "fundraising_cost",
    "surplus_handling",
)


def _funds(x: reads.Project) -> S.ProjectFunds | None:
    f = x.fund
    if f is None:
        return None

    def m(minor: int) -> str:
        return x.money(minor).plain()

    return S.ProjectFunds(
        currency=f.currency,
        raised=m(f.raised_minor),
        raised_restricted=m(f.raised_restricted_minor),
        raised_unrestricted=m(f.raised_unrestricted_minor),
        raised_in_kind=m(f.raised_in_kind_minor),
        donations_count=f.donations_count,
        allocated=m(f.allocated_minor),
        allocated_restricted=m(f.allocated_restricted_minor),
        allocated_unrestricted=m(f.allocated_unrestricted_minor),
        available_restricted=m(f.available_restricted_minor),
        available_unrestricted=m(f.available_unrestricted_minor),
        disbursed=m(f.disbursed_minor),
        disbursed_by_category=S.DisbursedByCategory(
            program=m(f.disbursed_program_minor),
            admin=m(f.disbursed_admin_minor),
            fundraising_cost=m(f.disbursed_fundraising_cost_minor),
        ),
        balance=m(f.balance_minor),
    )


def _project(x: reads.Project) -> S.Project:
    p = x.project
    plan = None
    if p.plan_fundraising_start is not None or p.plan_filed_seq is not None:
        plan = S.FundraisingPlan(
            **{name: getattr(p, "plan_" + name) for name in _PLAN_FIELDS},
            filed_seq=p.plan_filed_seq,
            filed_id=p.plan_filed_id,
            filed_time=p.plan_filed_time,
            filing_number=p.plan_filing_number,
            acknowledged_seq=p.plan_ack_seq,
            record_number=p.plan_record_number,
        )
    closing = None
    if p.closed_seq is not None:
        closing = S.ProjectClosing(
            closed_seq=p.closed_seq,
            closed_id=p.closed_id,
            closed_on=p.closed_on,
            summary=p.close_summary,
            surplus=None if p.surplus_minor is None else x.money(p.surplus_minor).plain(),
            surplus_handling=p.surplus_handling,
            surplus_note=p.surplus_note,
        )
    return to_schema(
        S.Project,
        p,
        target=x.money(p.target_minor).plain(),
        implementers=x.implementers,
        overseers=x.overseers,
        plan=plan,
        closing=closing,
        funds=_funds(x),
        implementer_balances=[
            S.ImplementerBalance(
                implementer=b.implementer,
                allocated=Money(b.allocated_minor, b.currency).plain(),
                disbursed=Money(b.disbursed_minor, b.currency).plain(),
                balance=Money(b.balance_minor, b.currency).plain(),
            )
            for b in x.balances
        ],
    )


def list_projects(
    engine: Engine,
    *,
    limit: int,
    cursor: str | None,
    org: str | None = None,
    fundraiser: str | None = None,
    implementer: str | None = None,
    overseer: str | None = None,
    status: str | None = None,
    field: str | None = None,
) -> dict[str, Any]:
    after = decode_cursor(cursor, str)
    f = reads.ProjectFilter(
        org=org, fundraiser=fundraiser, implementer=implementer, overseer=overseer, status=status, field=field
    )
    with read_transaction(engine) as conn:
        found = reads.projects(conn, f, limit=limit + 1, after=after[0] if after else None)
    items = [_project(x) for x in found[:limit]]
    return page(items, len(found), limit, [items[-1].project] if items else None)


def get_project(engine: Engine, project: str) -> S.Project:
    with read_transaction(engine) as conn:
        found = reads.project(conn, project)
    if found is None:
        raise LedgerError("not_found", what="project", what_zh="项目", ref=project)
    return _project(found)


# --- money flows and reports, all in seq order ---------------------------------------------


def _list_flows(
    engine: Engine,
    cls: type[reads.Flow],
    schema: type,
    *,
    limit: int,
    cursor: str | None,
    descending: bool,
    equals: dict[str, Any],
) -> dict[str, Any]:
    after = decode_cursor(cursor, int)
    with read_transaction(engine) as conn:
        flows = reads.flows_by_seq(
            conn, cls, limit=limit + 1, after=after[0] if after else None, descending=descending, equals=equals
        )
    items = [to_schema(schema, f) for f in flows[:limit]]
    return page(items, len(flows), limit, [items[-1].seq] if items else None)


def list_donations(engine: Engine, *, project: str | None, org: str | None, **kw: Any) -> dict[str, Any]:
    return _list_flows(engine, reads.Donation, S.Donation, equals={"project": project, "fundraiser_org": org}, **kw)


def list_allocations(engine: Engine, *, project: str | None, org: str | None, **kw: Any) -> dict[str, Any]:
    return _list_flows(engine, reads.Allocation, S.Allocation, equals={"project": project, "implementer": org}, **kw)


def list_disbursements(
    engine: Engine, *, project: str | None, org: str | None, category: str | None, **kw: Any
) -> dict[str, Any]:
    equals = {"project": project, "implementer": org, "category": category}
    return _list_flows(engine, reads.Disbursement, S.Disbursement, equals=equals, **kw)


def list_progress(engine: Engine, *, project: str | None, org: str | None, **kw: Any) -> dict[str, Any]:
    equals = {"project": project, "implementer": org}
    return _list_flows(engine, reads.ProgressReport, S.ProgressReport, equals=equals, **kw)


def list_attestations(
    engine: Engine,
    *,
    project: str | None,
    org: str | None,
    target: str | None,
    verdict: str | None,
    **kw: Any,
) -> dict[str, Any]:
    equals = {"project": project, "overseer_org": org, "target": target, "verdict": verdict}
    return _list_flows(engine, reads.Attestation, S.Attestation, equals=equals, **kw)


def flow(engine: Engine, cls: type[F], id_: str) -> F:
    """The flow ``cls`` with the entry id ``id_``; ``not_found`` if there is none."""
    with read_transaction(engine) as conn:
        found = reads.flow_by_id(conn, cls, id_)
    if found is None:
        raise LedgerError("not_found", what=cls.what[0], what_zh=cls.what[1], ref=id_)
    return found


def get_donation(engine: Engine, id_: str) -> S.Donation:
    return to_schema(S.Donation, flow(engine, reads.Donation, id_))


def get_allocation(engine: Engine, id_: str) -> S.Allocation:
    return to_schema(S.Allocation, flow(engine, reads.Allocation, id_))


def get_disbursement(engine: Engine, id_: str) -> S.Disbursement:
    return to_schema(S.Disbursement, flow(engine, reads.Disbursement, id_))


def get_progress(engine: Engine, id_: str) -> S.ProgressReport:
    return to_schema(S.ProgressReport, flow(engine, reads.ProgressReport, id_))


def get_attestation(engine: Engine, id_: str) -> S.Attestation:
    return to_schema(S.Attestation, flow(engine, reads.Attestation, id_))


# --- the trace of a donation ----------------------------------------------------------------


def trace_view(
    donation: reads.Donation, t: DonationTrace, proof: S.InclusionProof, checkpoint: str, log: str
) -> S.DonationTrace:
    cur = donation.currency
    return S.DonationTrace(
        donation=to_schema(S.Donation, donation),
        pot=t.pot,
        reversed=t.reversed,
        allocated=Money(t.allocated_minor, cur).plain(),
        unallocated=Money(t.unallocated_minor, cur).plain(),
        disbursed=Money(t.disbursed_minor, cur).plain(),
        undisbursed=Money(t.undisbursed_minor, cur).plain(),
        allocations=[
            S.AllocationPortion(
                allocation=a.allocation, seq=a.seq, implementer=a.implementer, amount=Money(a.amount_minor, cur).plain()
            )
            for a in t.allocations
        ],
        disbursements=[
            S.DisbursementPortion(
                disbursement=d.disbursement,
                seq=d.seq,
                implementer=d.implementer,
                category=d.category,
                payee=d.payee,
                amount=Money(d.amount_minor, cur).plain(),
            )
            for d in t.disbursements
        ],
        inclusion_proof=proof,
        checkpoint=checkpoint,
        log=log,
    )


# --- regulator views ------------------------------------------------------------------------


def funds_by_organisation(engine: Engine, *, limit: int, cursor: str | None, org: str | None = None) -> dict[str, Any]:
    after = decode_cursor(cursor, str, str)
    with read_transaction(engine) as conn:
        found = reads.totals_by_organisation(
            conn, limit=limit + 1, after=(after[0], after[1]) if after else None, org=org
        )
    items = [
        S.OrganisationFunds(
            org=t.org,
            currency=t.currency,
            projects=t.projects,
            donations_count=t.donations,
            raised=t.money(t.raised).plain(),
            allocated=t.money(t.allocated).plain(),
            disbursed=t.money(t.disbursed).plain(),
            balance=t.money(t.balance).plain(),
        )
        for t in found[:limit]
    ]
    return page(items, len(found), limit, [items[-1].org, items[-1].currency] if items else None)


def open_findings(
    engine: Engine, *, limit: int, cursor: str | None, org: str | None = None, project: str | None = None
) -> dict[str, Any]:
    after = decode_cursor(cursor, int)
    with read_transaction(engine) as conn:
        found = reads.open_findings(conn, limit=limit + 1, after=after[0] if after else None, org=org, project=project)
    items = [
        S.Finding(
            id=e.id,
            seq=e.seq,
            type=e.type,
            signer_org=e.signer_org,
            project=e.project,
            amount=plain_or_none(e.amount_minor, e.currency),
            currency=e.currency,
            time=e.time,
            verdict=e.last_verdict,
            verdict_by=e.last_verdict_by,
        )
        for e in found[:limit]
    ]
    return page(items, len(found), limit, [items[-1].seq] if items else None)
