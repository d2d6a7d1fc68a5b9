"""Oversight reads: disclosure deadlines and an oversight organisation's desk.

Everything is computed by :mod:`ledger.services.oversight` (the one place that says what is due, overdue
or made) from the projections, in one read transaction per answer.

- ``GET /api/v1/deadlines`` is public: disclosures a charity owes are public information.
- ``GET /api/v1/overseers/{org}`` and ``.../awaiting`` are public: they list entries of the
  public log (those an overseer has not judged yet), the overseer's own public verdicts and
  overdue disclosures — the public can see whether oversight is keeping up.
- ``GET /api/v1/overseers/{org}/risks`` needs a bearer token with the ``regulator`` scope (the
  scope of the oversight bodies' cross-organisation views): risk signals are heuristics that
  name payees and charities, not findings, and publishing them would put a mark on people and
  organisations before anyone has looked. Anyone can still compute them from an export.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from litestar import Controller, get
from litestar.openapi.spec import Example
from litestar.params import FromQuery, QueryParameter

from api import queries
from api.controllers.regulator import REGULATOR
from api.openapi import BEARER, READ_PROBLEMS, problems
from api.pagination import Cursor, Limit, decode_cursor, encode_cursor
from api.params import LedgerDep, Org, OrgPath, ProjectId
from api.problems import CURSOR_INVALID, PARAMETER_INVALID
from api.schemas import (
    AwaitingEntry,
    AwaitingPage,
    Deadline,
    DeadlinePage,
    OverseerFinding,
    OverseerRisks,
    OverseerView,
    RiskSignal,
)
from api.security import require_scope
from ledger.domain.money import Money, plain_or_none
from ledger.domain.rules import CHINA
from ledger.errors import LedgerError
from ledger.protocol.grammar import schema_pattern
from ledger.services.oversight import (
    DeadlineItem,
    awaiting_verdict,
    overseer_risks,
    overseer_view,
    parse_threshold,
    scan_deadlines,
)
from ledger.store.db import read_transaction

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2199, 12, 31)

Day = Annotated[
    str | None,
    QueryParameter(
        pattern=schema_pattern("date"),
        description="The day to compute for (YYYY-MM-DD, China Standard Time; default today). Before the first rule "
        "set's effective date there is none in force (404 ruleset_not_in_force).",
        examples=[Example(value="2026-06-05")],
    ),
]
Window = Annotated[
    int,
    QueryParameter(
        ge=0,
        le=366,
        description="Days ahead of `on` in which a deadline counts as due (default 14).",
        examples=[Example(value=14)],
    ),
]
Threshold = Annotated[
    list[str] | None,
    QueryParameter(
        max_length=7,
        description="An approval threshold, `AMOUNT CURRENCY` or `AMOUNT` (CNY), e.g. `50000.00 CNY`; repeat for other "
        "currencies. Payments in the band just under it are signalled. Without one, no near-threshold signal.",
        examples=[Example(value=["50000.00 CNY"])],
    ),
]
BandBp = Annotated[
    int,
    QueryParameter(
        ge=1,
        le=10_000,
        description="How far under the threshold is 'just under', in basis points (1000 = 10 %).",
        examples=[Example(value=1000)],
    ),
]
MinProjects = Annotated[
    int,
    QueryParameter(
        ge=2, le=1000, description="Projects paying one payee before it is a signal.", examples=[Example(value=3)]
    ),
]


def _day(value: str | None) -> date:
    if value is None:
        return datetime.now(CHINA).date()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise LedgerError(PARAMETER_INVALID, detail=f"on={value!r} is not a date like 2026-06-05") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise LedgerError(PARAMETER_INVALID, detail=f"on={value!r} is outside {FIRST_DAY} to {LAST_DAY}")
    return day


def _deadline(item: DeadlineItem) -> Deadline:
    return Deadline(**item.to_json())


def _awaiting(rows: list[Any], limit: int) -> AwaitingPage:
    items = [
        AwaitingEntry(
            id=r.id,
            seq=r.seq,
            type=r.type,
            time=r.time,
            signer_org=r.signer_org,
            signer_role=r.signer_role,
            project=r.project,
            amount=plain_or_none(r.amount_minor, r.currency),
            currency=r.currency,
            last_verdict=r.last_verdict,
        )
        for r in rows[:limit]
    ]
    more = len(rows) > limit
    return AwaitingPage(items=items, next_cursor=encode_cursor([items[-1].seq]) if more and items else None)


class DeadlinesController(Controller):
    path = "/api/v1/deadlines"
    tags = ("oversight",)

    @get("/", operation_id="listDeadlines", sync_to_thread=True, responses=problems(*READ_PROBLEMS))
    def list_deadlines(
        self,
        ledger: LedgerDep,
        on: Day = None,
        window: Window = 14,
        project: ProjectId = None,
        org: Org = None,
        status: FromQuery[Literal["overdue", "due"] | None] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> DeadlinePage:
        """Disclosures and filings not yet made that are overdue on ``on`` or due within ``window``
        days: progress disclosures every 3 months of projects longer than 6 months, final
        disclosures, plan filings, annual reports. ``org`` is the organisation that has to act
        (the fundraising charity for a project's disclosures); ``project`` keeps one project's.
        Overdue first, then by due date. A cursor carries its day: later pages are computed for
        the same ``on`` as the first."""
        after = decode_cursor(cursor, str, int, str, str, str, str, int)
        if after is not None:
            if on is not None and on != after[0]:
                raise LedgerError(CURSOR_INVALID)
            try:
                day = _day(after[0])
            except LedgerError:
                raise LedgerError(CURSOR_INVALID) from None
        else:
            day = _day(on)
        with read_transaction(ledger.engine) as conn:
            if project is not None:
                items = scan_deadlines(conn, day, window_days=window, projects=[project], orgs=[], org=org)
            else:
                items = scan_deadlines(conn, day, window_days=window, org=org)
        if status is not None:
            items = [i for i in items if i.status == status]
        if after is not None:
            key = tuple(after[1:])
            items = [i for i in items if i.sort_key() > key]
        page = items[:limit]
        next_cursor = encode_cursor([day.isoformat(), *page[-1].sort_key()]) if len(items) > limit else None
        return DeadlinePage(on=day.isoformat(), items=[_deadline(i) for i in page], next_cursor=next_cursor)


class OverseersController(Controller):
    path = "/api/v1/overseers"
    tags = ("oversight",)

    @get("/{org:str}", operation_id="getOverseerView", sync_to_thread=True, responses=problems(*READ_PROBLEMS))
    def get_view(self, ledger: LedgerDep, org: OrgPath, on: Day = None, limit: Limit = 50) -> OverseerView:
        """An oversight organisation's desk: the projects naming it as overseer, the entries of
        those projects awaiting its verdict (allocations, payments, progress reports, closings,
        plan filings, corrections; the first ``limit``, more at ``.../awaiting``), the queries
        and flags it raised with their resolution, and the overdue disclosures of its projects
        and annual reports of their organisations on ``on``."""
        day = _day(on)
        queries.get_organisation(ledger.engine, org)  # 404 for an organisation the registry does not know
        with read_transaction(ledger.engine) as conn:
            view = overseer_view(conn, org, day, limit=limit + 1, risks=False)
        return OverseerView(
            org=org,
            on=day.isoformat(),
            projects=list(view.projects),
            awaiting=_awaiting(list(view.awaiting), limit),
            findings=[OverseerFinding(**_fields(f)) for f in view.findings],
            overdue=[_deadline(i) for i in view.overdue],
        )

    @get(
        "/{org:str}/awaiting",
        operation_id="listAwaitingVerdict",
        sync_to_thread=True,
        responses=problems(*READ_PROBLEMS),
    )
    def list_awaiting(self, ledger: LedgerDep, org: OrgPath, limit: Limit = 50, cursor: Cursor = None) -> AwaitingPage:
        """Entries of the projects ``org`` oversees that have no verdict of ``org`` yet, in seq
        order (withdrawn verdicts do not count; corrected entries and its own are left out)."""
        after = decode_cursor(cursor, int)
        queries.get_organisation(ledger.engine, org)
        rows = awaiting_verdict(ledger.engine, org, after_seq=after[0] if after else -1, limit=limit + 1)
        return _awaiting(rows, limit)

    @get(
        "/{org:str}/risks",
        operation_id="getOverseerRisks",
        sync_to_thread=True,
        guards=[require_scope(REGULATOR)],
        security=[{BEARER: []}],
        responses=problems(400, 401, 403, 404, 503),
    )
    def get_risks(
        self,
        ledger: LedgerDep,
        org: OrgPath,
        threshold: Threshold = None,
        band_bp: BandBp = 1000,
        min_projects: MinProjects = 3,
    ) -> OverseerRisks:
        """Risk signals on the payments of the projects ``org`` oversees: payments just under an
        approval threshold, one payee paid by at least ``min_projects`` projects anywhere in the
        registry, payees that are the project's own fundraising organisation. Signals are not
        findings; they need the ``regulator`` scope."""
        thresholds: dict[str, int] = {}
        for value in threshold or ():
            currency, minor = parse_threshold(value)
            if currency in thresholds:
                raise LedgerError(PARAMETER_INVALID, detail=f"two thresholds for {currency}")
            thresholds[currency] = minor
        queries.get_organisation(ledger.engine, org)
        signals = overseer_risks(ledger.engine, org, thresholds=thresholds, band_bp=band_bp, min_projects=min_projects)
        return OverseerRisks(
            org=org,
            thresholds={c: Money(m, c).plain() for c, m in sorted(thresholds.items())},
            band_bp=band_bp,
            min_projects=min_projects,
            items=[
                RiskSignal(
                    kind=s.kind,
                    payee=s.payee,
                    projects=list(s.projects),
                    en=s.en,
                    zh=s.zh,
                    entry=s.entry,
                    seq=s.seq,
                    amount=plain_or_none(s.amount_minor, s.currency),
                    currency=s.currency,
                )
                for s in signals
            ],
        )


def _fields(value: Any) -> dict[str, Any]:
    return {name: getattr(value, name) for name in value.__dataclass_fields__}
