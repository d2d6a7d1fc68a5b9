"""The regulator's console, the overseer's desk and the charity's query inbox (``/workbench/...``).

- ``/workbench/console``: for the registrar and regulators, what is due and overdue across the
  registry, the compliance matrix of the last whole year (the regulator overview report's, so
  the page and the report agree), and every organisation; for an overseer, the same for the
  projects it oversees.
- ``/workbench/console/orgs/{org}``: an organisation's filings (annual figures, audit opinions,
  SEZ donation filings with their replies) and the reports issued about it, each downloadable
  as a zip with its ``SHA256SUMS``, or all of them in one zip.
- ``/workbench/desk``: the overseer's desk: entries awaiting its verdict and its query threads,
  each thread with the organisation's answers; verdicts are signed in the browser on the
  entry form (``/workbench/entries/new/attestation.recorded``).
- ``/workbench/queries``: the queries and flags raised on the signed-in organisation's entries,
  with their answers and a link to answer (``query.answered``) in the browser.

Pages are private to the signed-in person (``Cache-Control: private, no-store``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import FromPath
from litestar.response import Template

from ledger.errors import LedgerError
from ledger.protocol.grammar import pattern as grammar_pattern
from ledger.services.oversight import (
    answers_to,
    findings_of,
    overseen_projects,
    overseer_view,
    queries_on,
    scan_deadlines,
)
from ledger.store import reads
from ledger.store.db import read_transaction
from ledger.store.reads import figures, listing, timeline
from ledger.store.reads import reports as reads_reports
from ledger.store.runtime import Ledger
from public_site.i18n import CHINA
from public_site.templating import render
from public_site.views import error_page
from public_site.workbench.session import Account, current_account, require_roles
from reports.archive import reports_zip
from reports.common import ReportRequest
from reports.kinds import overview
from reports.snapshot import open_snapshot

PRIVATE = "private, no-store"
_ORG = grammar_pattern("uscc")
_HASH = grammar_pattern("hex64")
REGISTRY_WIDE = ("registrar", "regulator")


def _today(ledger: Ledger) -> date:
    """Today in China, by the ledger's clock (the one appends are stamped with)."""
    return ledger.clock().astimezone(CHINA).date()


def _account(request: Request) -> Account:
    account = current_account(request)
    if account is None:  # the guards run first; this is for the type checker
        raise HTTPException(status_code=401)
    return account


def _org_param(org: str) -> str:
    if not _ORG.fullmatch(org):
        raise LedgerError("not_found", what="organisation", what_zh="组织", ref=org[:40])
    return org


def _zip(data: bytes, name: str) -> Response[bytes]:
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": PRIVATE},
    )


def _threads(
    conn: Any, threads: list[Any], *, projects: Iterable[str] = (), orgs: Iterable[str] = ()
) -> dict[str, Any]:
    """What a page of query threads shows beside them (workbench/_thread.html): the answers,
    the projects' titles, the organisations' names and the targets' positions."""
    return {
        "threads": threads,
        "answers": answers_to(conn, [t.attestation for t in threads]),
        "titles": listing.project_titles(conn, [*projects, *(t.project for t in threads)]),
        "names": listing.org_names(conn, list(orgs)),
        "seqs": timeline.seqs_of(conn, [t.target for t in threads]),
    }


def _matrix(ledger: Ledger, year: int) -> Any:
    """The compliance matrix table of the regulator overview report for ``year``."""
    with open_snapshot(ledger.engine) as snap:
        doc = overview.build(snap, ReportRequest(kind="overview", year=year).checked())
    return next(t for t in doc.tables if t.name == "matrix")


class Console(Controller):
    path = "/workbench"
    include_in_schema = False
    exception_handlers = {LedgerError: error_page}  # noqa: RUF012 (Litestar reads these class attributes)
    signature_namespace = {"Ledger": Ledger}  # noqa: RUF012 (as above)

    @get("/console", name="workbench:console", sync_to_thread=True, guards=[require_roles(*REGISTRY_WIDE, "overseer")])
    def console(self, request: Request, ledger: NamedDependency[Ledger]) -> Template:
        account = _account(request)
        today = _today(ledger)
        wide = account.has(*REGISTRY_WIDE)
        with read_transaction(ledger.engine) as conn:
            if wide:
                items = scan_deadlines(conn, today)
                orgs = reads.search_organisations(conn)
            else:
                projects = overseen_projects(conn, account.organisation or "")
                related = {p.fundraiser_org for p in projects} | {
                    i for p in projects for i in json.loads(p.implementers_json)
                }  # the organisations of its projects, whose annual reports it watches as well
                ids = [p.project for p in projects]
                items = scan_deadlines(conn, today, projects=ids, orgs=sorted(related)) if ids else []
                orgs = []
            names = listing.org_names(conn, [i.org for i in items])
            titles = listing.project_titles(conn, [i.project for i in items])
        matrix = _matrix(ledger, today.year - 1) if wide else None
        return render(
            request,
            "workbench/console.html",
            title="监管台 Console",
            cache=PRIVATE,
            account=account,
            overdue=[i for i in items if i.status == "overdue"],
            due=[i for i in items if i.status != "overdue"],
            orgs=orgs,
            names=names,
            titles=titles,
            matrix=matrix,
            matrix_year=today.year - 1,
            today=today,
        )

    @get(
        "/console/orgs/{org:str}",
        name="workbench:console-org",
        sync_to_thread=True,
        guards=[require_roles(*REGISTRY_WIDE, "overseer")],
    )
    def organisation(self, request: Request, ledger: NamedDependency[Ledger], org: FromPath[str]) -> Template:
        org = _org_param(org)
        with read_transaction(ledger.engine) as conn:
            row = reads.organisation(conn, org)
            if row is None:
                raise LedgerError("not_found", what="organisation", what_zh="组织", ref=org)
            recorded = figures.org_filings(conn, org)
            financials, audits, filings = recorded.financials, recorded.audits, recorded.filings
            reports = reads_reports.report_rows(conn, org=org)
            deadlines = scan_deadlines(conn, _today(ledger), org=org)
            names = listing.org_names(conn, [org, *(f.authority for f in filings), *(a.auditor_org for a in audits)])
        return render(
            request,
            "workbench/console_org.html",
            title=row.name_zh or org,
            cache=PRIVATE,
            account=_account(request),
            o=row,
            financials=financials,
            audits=audits,
            filings=filings,
            reports=reports,
            deadlines=deadlines,
            names=names,
        )

    @get(
        "/console/orgs/{org:str}/reports.zip",
        name="workbench:console-org-zip",
        sync_to_thread=True,
        guards=[require_roles(*REGISTRY_WIDE, "overseer")],
    )
    def organisation_zip(self, ledger: NamedDependency[Ledger], org: FromPath[str]) -> Response[bytes]:
        org = _org_param(org)
        with read_transaction(ledger.engine) as conn:
            rows = reads_reports.report_rows(conn, org=org)
        if not rows:
            raise LedgerError("not_found", what="reports of the organisation", what_zh="该组织的报告", ref=org)
        return _zip(reports_zip(ledger.settings, rows), f"reports-{org}.zip")

    @get(
        "/console/reports/{report_id:str}/files.zip",
        name="workbench:console-report-zip",
        sync_to_thread=True,
        guards=[require_roles(*REGISTRY_WIDE, "overseer")],
    )
    def report_zip(self, ledger: NamedDependency[Ledger], report_id: FromPath[str]) -> Response[bytes]:
        if not _HASH.fullmatch(report_id):
            raise LedgerError("not_found", what="report", what_zh="报告", ref=report_id[:80])
        with read_transaction(ledger.engine) as conn:
            rows = reads_reports.report_rows(conn, report_id=report_id)
        if not rows:
            raise LedgerError("not_found", what="report", what_zh="报告", ref=report_id)
        return _zip(reports_zip(ledger.settings, rows), f"report-{rows[0].seq}.zip")

    @get("/desk", name="workbench:desk", sync_to_thread=True, guards=[require_roles("overseer", "registrar")])
    def desk(self, request: Request, ledger: NamedDependency[Ledger]) -> Template:
        account = _account(request)
        org = account.organisation or ""
        with read_transaction(ledger.engine) as conn:
            view = overseer_view(conn, org, _today(ledger), limit=100, risks=True)
            threads = list(reversed(findings_of(conn, org)))
            context = _threads(conn, threads, projects=view.projects, orgs=[e.signer_org for e in view.awaiting])
        return render(
            request,
            "workbench/desk.html",
            title="监督工作台 Overseer's desk",
            cache=PRIVATE,
            account=account,
            view=view,
            **context,
        )

    @get(
        "/queries",
        name="workbench:queries",
        sync_to_thread=True,
        guards=[require_roles("org_admin", "fundraiser", "implementer", "staff")],
    )
    def queries(self, request: Request, ledger: NamedDependency[Ledger]) -> Template:
        account = _account(request)
        org = account.organisation or ""
        with read_transaction(ledger.engine) as conn:
            threads = list(reversed(queries_on(conn, org)))
            context = _threads(conn, threads, orgs=[t.overseer_org for t in threads])
        return render(
            request,
            "workbench/queries.html",
            title="质询与答复 Queries",
            cache=PRIVATE,
            account=account,
            **context,
        )
