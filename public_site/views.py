"""The site's pages: one controller, handlers in page order. Each handler reads what it shows
in one read transaction from the projections (see :mod:`.queries`) and renders a template."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as dt_time
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException, NotAuthorizedException, NotFoundException
from litestar.params import Body, FromPath, Parameter
from litestar.response import Redirect, Stream, Template

from api.pagination import decode_cursor, page
from api.privacy import donor_store
from api.problems import problem_of
from ledger.compliance.ratios import check_org_year
from ledger.compliance.rulesets import ruleset
from ledger.domain.money import plain_or_none
from ledger.domain.privacy import RECEIPT_TEXT_MAX
from ledger.domain.rows import EntryRow, KeyRow, OrgRow, ProjectRow
from ledger.domain.schemas import ENTRY_TYPES, FIELDS
from ledger.errors import InvariantBroken, LedgerError
from ledger.protocol.canonical import format_time, parse_json
from ledger.protocol.checkpoint import verify_cosignatures
from ledger.protocol.grammar import parse_uint
from ledger.protocol.grammar import pattern as grammar_pattern
from ledger.protocol.note import add_signatures
from ledger.services.oversight import (
    DeadlineItem,
    Disclosure,
    disclosures_of_org,
    overseer_view,
    project_disclosures_and_deadlines,
    rules_in_force,
    scan_deadlines,
)
from ledger.store import reads
from ledger.store.db import read_transaction
from ledger.store.export import log_vkey, shard_vkey
from ledger.store.reads import chain, figures, listing, timeline
from ledger.store.runtime import Ledger
from public_site import i18n
from public_site import queries as Q
from public_site.charts import build_monthly
from public_site.evidence import hashes_of
from public_site.evidence import held as held_evidence
from public_site.exports import check_xlsx_size, csv_chunks, parse_filters, xlsx_chunks
from public_site.flow import build_flow
from public_site.i18n import CHINA, LANG_TAGS
from public_site.standalone import build_verifier
from public_site.templating import CSP, ENTRY_CACHE, VARY, Helpers, render, request_locale
from reports.common import REGULATOR_KINDS

# matched in full (fullmatch), ASCII only: the grammar of ledger.protocol.grammar
_ORG = grammar_pattern("uscc")
_PROJECT = grammar_pattern("project")
_HEX64 = grammar_pattern("hex64")
PER_PAGE = 20
# a seq in an address: bounded like the API's (api.params.MAX_INT), so a number beyond what the
# database holds is a 400 page, not a query that overflows
SeqPath = Annotated[int, Parameter(ge=0, le=2**62)]
EXPLORER_PAGE = 50
DESK_PAGE = 50
# a project page counts its entries and payments up to this many ("more than" past it): a
# count over every entry of a big project would grow with it (the ledger's filter lists them all)
COUNT_CAP = 1000
# a project page shows its newest payments as cards with their evidence (the heaviest part of
# the page to render and to read on a phone); every payment is one link away, in the ledger
# filtered to the project's payments, and every figure on the page counts them all
PAYMENTS_SHOWN = 10


def _param(request: Request, name: str, max_len: int = 100) -> str | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    value = value.strip()[:max_len]
    return value or None


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    # ASCII digits only, like the API (other scripts' digits are not numbers here), clamped to low..high
    raw = request.query_params.get(name)
    if raw is None:
        return default
    negative = raw.startswith("-")
    value = parse_uint(raw[1:] if negative else raw, limit=2**63)
    if value is None:
        return default
    return min(high, max(low, -value if negative else value))


def _signed_after_distrust(key: KeyRow | None, logged_at: str) -> bool:
    """Whether an entry logged at ``logged_at`` was signed on or after the day from which its key
    is not to be trusted (a revocation's effective date), though before the revocation itself
    was logged. Log times have one fixed form (``format_time``), so comparing the text with the
    moment that day begins in China is comparing the times: nothing is parsed per page."""
    distrust = key.revoked_effective_on if key is not None else None
    if not distrust:
        return False
    return bool(logged_at >= _day_starts_at(distrust))


@functools.lru_cache(maxsize=256)
def _day_starts_at(day: str) -> str:
    """The log time at which ``day`` (YYYY-MM-DD) begins in China Standard Time."""
    return format_time(datetime.combine(date.fromisoformat(day), dt_time(), CHINA))


def _today() -> Any:
    return datetime.now(CHINA).date()


@dataclass(frozen=True, slots=True)
class Disclosures:
    """What a page shows of :mod:`ledger.services.oversight`: the history of disclosures (``items``),
    the ones overdue or due soon (``deadlines``), the rule set applied, or why there is none."""

    items: tuple[Disclosure, ...] = ()
    deadlines: tuple[DeadlineItem, ...] = ()
    ruleset: str | None = None
    unavailable: str | None = None

    @property
    def overdue(self) -> list[DeadlineItem]:
        return [d for d in self.deadlines if d.status == "overdue"]


_ORG_DEADLINES: OrderedDict[tuple[Any, ...], tuple[DeadlineItem, ...]] = OrderedDict()
_ORG_DEADLINES_MAX = 512
_ORG_DEADLINES_LOCK = threading.Lock()


def _org_deadlines(conn: Any, org: str, today: Any, rules: Any) -> tuple[DeadlineItem, ...]:
    """``scan_deadlines(org=...)``: the disclosure history of every project the organisation
    raises for (tens of projects at a million entries: most of its page's time), kept in this
    process for the state of the log it was computed on (the head's shard, size and root: the
    projections are the log's, so the same state gives the same answer) and the day."""
    state = chain.log_state(conn)
    key = (org, today, rules.ref, state)
    with _ORG_DEADLINES_LOCK:
        found = _ORG_DEADLINES.get(key)
        if found is not None:
            _ORG_DEADLINES.move_to_end(key)
            return found
    items = tuple(scan_deadlines(conn, today, org=org, rules=rules))
    with _ORG_DEADLINES_LOCK:
        _ORG_DEADLINES[key] = items
        while len(_ORG_DEADLINES) > _ORG_DEADLINES_MAX:
            _ORG_DEADLINES.popitem(last=False)
    return items


def clear_caches() -> None:
    """Forget what this process keeps between requests (the organisations' deadline scans, the
    formatted dates and times of day): the next view of every page is rendered from scratch, as
    after a restart (``benchmarks/site_pages.py --cold`` measures that)."""
    with _ORG_DEADLINES_LOCK:
        _ORG_DEADLINES.clear()
    i18n.clear_caches()


def _disclosures(
    request: Request,
    conn: Any,
    today: Any,
    *,
    project: str | None = None,
    org: str | None = None,
    row: ProjectRow | None = None,
    org_row: OrgRow | None = None,
    reported: Any = None,
) -> Disclosures:
    """A project's disclosures (``row``: its row, read already), or an organisation's annual
    reports (``org_row``, ``reported``: its row and figures in force, read already) and
    everything it has to do, on ``today`` under the rule set in force then (the same
    calculation as the API's)."""
    try:
        rules = rules_in_force("cn-charity", today)
        if project is not None:
            items, deadlines = project_disclosures_and_deadlines(conn, project, today, rules=rules, row=row)
        else:
            if org is None:
                raise InvariantBroken("org is missing")
            items = disclosures_of_org(conn, org, today, rules=rules, row=org_row, reported=reported)
            deadlines = _org_deadlines(conn, org, today, rules)
    except LedgerError as exc:  # no rule set in force: the rest of the page still renders
        locale, _ = request_locale(request)
        return Disclosures(unavailable=exc.message_zh if locale == "zh_CN" else exc.message_en)
    return Disclosures(tuple(items), tuple(deadlines), rules.ref)


def _verified_cosigners(note: str, witness_keys: Any) -> dict[str, bool]:
    """Witness name -> whether its cosignature verifies with a key this site trusts."""
    if not witness_keys:
        return {}
    try:
        return {c.name: True for c in verify_cosignatures(note, witness_keys)}
    except LedgerError:
        return {}


def _witness_keys(request: Request) -> tuple[Any, ...]:
    settings = getattr(request.app.state, "api_settings", None)
    return tuple(getattr(settings, "witness_keys", ()) or ())


def _proof_data(
    ledger: Ledger,
    log: chain.ChainLog,
    position: int,
    leaf_hash: str,
    signer: str,
    size: int,
    key: KeyRow | chain.LogKey | None,
    request: Request,
    from_tiles: bool = False,
) -> dict[str, Any]:
    """What the browser needs to check an entry on its own: leaf bytes, proof, signed note with
    its cosignatures, the key of the log that holds the entry, the signer's public key and the
    witness keys this site knows.

    ``log`` is the log (shard) of the chain holding the entry at chain ``position``; the proof
    is in that log's own tree, so its index is the entry's seq in that log (what the leaf bytes
    say), and ``size`` is one of that log's checkpoints (a sealed log's final one).

    ``from_tiles`` (a log still being appended to): no size, proof or checkpoint, but where the
    log's tiles are; the browser reads the latest checkpoint and the proof from them
    (static/verify.js), so the page does not change with every append and the front can keep it."""
    index = position - log.base
    store = ledger.log
    if from_tiles and not log.sealed:
        key_b64 = key.public_key if key else None
        return {
            "index": index,
            "log": log.origin,
            "sealed": False,
            "position": position,
            "leaf_hash": leaf_hash,
            "leaf_b64": base64.b64encode(store.leaf(position)).decode("ascii"),
            "tiles": f"/tlog/shards/{log.index}/",
            "vkey": shard_vkey(store, log.shard),
            "signer": signer,
            "signer_public_key": key_b64,
            "witnesses": [v.to_string() for v in _witness_keys(request)],
        }
    if log.sealed and size == log.size and log.shard.checkpoint:
        note = log.shard.checkpoint
    else:
        note = store.checkpoint_at(size, log.index)
    lines = store.cosignatures(size, log.index)
    return {
        "index": index,
        "size": size,
        "log": log.origin,
        "sealed": log.sealed,
        "position": position,
        "leaf_hash": leaf_hash,
        "leaf_b64": base64.b64encode(store.leaf(position)).decode("ascii"),
        "proof": [h.hex() for h in store.inclusion_proof(index, size, log.index)],
        "note": add_signatures(note, lines) if lines else note,
        "vkey": shard_vkey(store, log.shard),
        "signer": signer,
        "signer_public_key": key.public_key if key else None,
        "witnesses": [v.to_string() for v in _witness_keys(request)],
    }


def _proof_size(conn: Any, log: chain.ChainLog, position: int) -> tuple[int, bool]:
    """The checkpoint of ``log`` to prove the entry at chain ``position`` against. A sealed log:
    its final checkpoint (the next log's genesis names it). The log being appended to: the
    latest checkpoint a witness cosigned when it covers the entry and is signed with the log
    key in force now (the key the page gives), else the latest one. Returns (size, witnessed)."""
    if log.sealed:
        return log.size, chain.latest_witnessed_size(conn, log.index) == log.size
    witnessed = chain.latest_witnessed_size(conn, log.index)
    if (
        witnessed is not None
        and witnessed > position - log.base
        and witnessed >= chain.log_key_from_size(conn, log.origin)
    ):
        return witnessed, True
    return chain.head_size(conn), False


def _entry_log(conn: Any, position: int) -> tuple[list[chain.ChainLog], chain.ChainLog]:
    """The chain of logs and the one holding the entry at ``position``."""
    logs = chain.chain(conn)
    log = chain.log_of(logs, position)
    if log is None:
        raise LedgerError("not_found", what="entry", what_zh="条目", ref=f"seq {position}")
    return logs, log


def error_page(request: Request, exc: Exception) -> Response[Any]:
    """Errors of the site as an HTML page (the API answers problem JSON): the same Problem the
    API would give (:func:`api.problems.problem_of`: status, typed code, headers), its message
    in the page's language and, below it, in the other one."""
    path = request.scope.get("path", "")
    if isinstance(exc, NotAuthorizedException) and (path == "/workbench" or path.startswith("/workbench/")):
        if request.method in ("GET", "HEAD"):  # a page of the workbench without a session: sign in first
            return Redirect(path="/workbench/sign-in?next=" + quote(path, safe="/"), status_code=303)
    problem = problem_of(request, exc)
    err = problem.error
    try:
        locale, _ = request_locale(request)
    except Exception:  # a header or query too odd to read: the default language
        locale = "zh_CN"
    first, second = (err.message_zh, err.message_en) if locale == "zh_CN" else (err.message_en, err.message_zh)
    response = render(
        request,
        "error.html",
        status=problem.status,
        title=str(problem.status),
        status_code=problem.status,
        message=first,
        message_other=second,
        other_lang="en" if locale == "zh_CN" else "zh-CN",
        code=err.code,
        cache="no-store",
    )
    for name, value in (problem.headers or {}).items():
        response.headers.setdefault(name, value)
    return response


def verify_error(request: Request, exc: LedgerError, code: str = "") -> Template:
    """The look-up form again with why the code (or order number) was refused: the message in
    the page's language, then in the other one, and its code; 404 when nothing was found."""
    locale, _ = request_locale(request)
    first, second = (exc.message_zh, exc.message_en) if locale == "zh_CN" else (exc.message_en, exc.message_zh)
    return render(
        request,
        "verify.html",
        nav="verify",
        result=None,
        error=first,
        error_other=second,
        other_lang="en" if locale == "zh_CN" else "zh-CN",
        error_code=exc.code,
        code=code[:RECEIPT_TEXT_MAX],
        status=404 if exc.code.endswith("not_found") else 400,
        cache="no-store",
    )


class SitePages(Controller):
    path = "/"
    include_in_schema = False
    exception_handlers = {LedgerError: error_page, HTTPException: error_page, Exception: error_page}  # noqa: RUF012 (Litestar reads these class attributes)
    signature_namespace = {"Ledger": Ledger}  # noqa: RUF012 (as above)

    # --- home ---------------------------------------------------------------------------------

    @get("/", name="site:home", sync_to_thread=True)
    def home(self, request: Request, ledger: NamedDependency[Ledger]) -> Template:
        with read_transaction(ledger.engine) as conn:
            totals = reads.registry_totals(conn)
            latest = timeline.latest_entries(conn, 8)
            featured = listing.featured_projects(conn, 6)
            size = chain.head_size(conn)
            checkpoint = chain.checkpoint_info(conn, size)
            witnessed_size = chain.latest_witnessed_size(conn)
            witnessed = (
                chain.checkpoint_info(conn, witnessed_size)
                if witnessed_size is not None and witnessed_size != size
                else None
            )
            logs = chain.chain(conn)
            orgs = listing.org_names(conn, [*(e.signer_org for e in latest), *(p.fundraiser_org for p in featured)])
            titles = listing.project_titles(conn, [e.project for e in latest])
        return render(
            request,
            "home.html",
            nav="home",
            totals=totals,
            latest=latest,
            featured=featured,
            checkpoint=checkpoint,
            witnessed=witnessed,
            orgs=orgs,
            titles=titles,
            size=size,
            log=logs[-1],
            logs=logs,
        )

    # --- projects -----------------------------------------------------------------------------

    @get("/projects", name="site:projects", sync_to_thread=True)
    def projects(self, request: Request, ledger: NamedDependency[Ledger]) -> Template:
        field = _param(request, "field", 32)
        org = _param(request, "org", 18)
        status = _param(request, "status", 10)
        directed = _param(request, "directed", 10)
        sort = _param(request, "sort", 20) or "newest"
        filters = listing.ProjectSearch(
            q=_param(request, "q", 100),
            field=field if field in FIELDS else None,
            region=_param(request, "region", 100),
            org=org.upper() if org and _ORG.fullmatch(org.upper()) else None,
            status=status if status in ("open", "closed") else None,
            directed={"yes": True, "no": False}.get(directed or ""),
            sort=sort if sort in listing.SORTS else "newest",
            page=_int_param(request, "page", 1, 1, 100_000),
            per_page=PER_PAGE,
        )
        with read_transaction(ledger.engine) as conn:
            items, total = listing.search_projects(conn, filters)
            facets = listing.facets(conn)
            orgs = listing.org_names(conn, [p.fundraiser_org for p in items])
        pages = max(1, -(-total // PER_PAGE))
        return render(
            request,
            "projects.html",
            nav="projects",
            items=items,
            total=total,
            filters=filters,
            facets=facets,
            orgs=orgs,
            pages=pages,
            sorts=list(listing.SORTS),
        )

    @get("/projects/{project:str}", name="site:project", sync_to_thread=True)
    def project(self, request: Request, ledger: NamedDependency[Ledger], project: FromPath[str]) -> Template:
        if not _PROJECT.fullmatch(project):
            raise NotFoundException()
        of_project = {"project": project}
        with read_transaction(ledger.engine) as conn:
            disbursements = reads.flows_by_seq(
                conn, reads.Disbursement, limit=PAYMENTS_SHOWN, descending=True, equals=of_project
            )
            attestations = reads.flows_by_seq(conn, reads.Attestation, limit=50, descending=True, equals=of_project)
            recent = timeline.project_entries(conn, project, limit=25)
            # the names of every organisation the page names, in one read with the project's
            view = Q.project_view(
                conn,
                project,
                more_orgs=[
                    *(a.overseer_org for a in attestations),
                    *(d.implementer for d in disbursements),
                    *(e.signer_org for e in recent),
                ],
            )
            if view is None:
                raise LedgerError("not_found", what="project", what_zh="项目", ref=project)
            p = view.project
            donor_types = figures.donor_types(conn, project)
            spending = figures.spending_flows(conn, project)
            entry_count, disbursement_count = timeline.count_project_entries_and_payments(
                conn, project, cap=COUNT_CAP + 1
            )
            progress = reads.flows_by_seq(conn, reads.ProgressReport, limit=None, equals=of_project)
            disclosures = _disclosures(request, conn, _today(), project=project, row=p)
            targets = timeline.seqs_of(conn, [a.target for a in attestations])
            business = timeline.business_dates(conn, recent)
            monthly = figures.monthly_in_out(conn, project=project)
        orgs = view.orgs
        evidence = held_evidence(ledger, hashes_of([*disbursements, *progress]))
        helpers = Helpers(request, request_locale(request)[0])
        fund = view.fund

        def label(kind: str, value: str) -> str:
            if kind == "org":
                return helpers.org(value, orgs)
            if kind == "others":
                return helpers.t.ngettext("%(num)s other payee", "%(num)s other payees", int(value)) % {"num": value}
            return helpers.label(kind, value)

        flow = build_flow(
            project_label=helpers.title(p, project),
            donor_types=donor_types,
            balances=view.balances,
            spending=spending,
            raised=sum(d.amount for d in donor_types),
            label=label,
        )
        return render(
            request,
            "project.html",
            nav="projects",
            title=helpers.title(p, project),
            v=view,
            p=p,
            fund=fund,
            orgs=orgs,
            donor_types=donor_types,
            flow=flow,
            disbursements=disbursements,
            disbursement_count=disbursement_count,
            progress=list(reversed(progress)),
            attestations=attestations,
            targets=targets,
            timeline=_by_business_date(recent, business),
            business=business,
            monthly=build_monthly(monthly.money_in, monthly.money_out, p.currency),
            entry_count=entry_count,
            count_cap=COUNT_CAP,
            disclosures=disclosures,
            evidence=evidence,
        )

    @get("/projects/{project:str}/entries.csv", name="site:project-csv", sync_to_thread=True)
    def project_csv(self, request: Request, ledger: NamedDependency[Ledger], project: FromPath[str]) -> Stream:
        """Every entry of the project, with the columns of the site-wide export (filters too)."""
        self._require_project(ledger, project)
        filters = parse_filters(request.query_params, project=project)
        return _download(csv_chunks(ledger.engine, filters), "text/csv; charset=utf-8", f"{project}-entries.csv")

    @get("/exports/ledger.csv", name="site:export-csv", sync_to_thread=True)
    def export_csv(self, request: Request, ledger: NamedDependency[Ledger]) -> Stream:
        """The whole ledger (or the part the filters keep) as CSV, streamed (:mod:`.exports`)."""
        filters = parse_filters(request.query_params)
        return _download(csv_chunks(ledger.engine, filters), "text/csv; charset=utf-8", "ledger.csv")

    @get("/exports/ledger.xlsx", name="site:export-xlsx", sync_to_thread=True)
    def export_xlsx(self, request: Request, ledger: NamedDependency[Ledger]) -> Stream:
        """The same rows as a workbook, up to :data:`.exports.XLSX_ROW_CAP` of them (else a 400
        that points to the CSV with the same filters)."""
        filters = parse_filters(request.query_params)
        check_xlsx_size(ledger.engine, filters, "/exports/ledger.csv" + filters.query())
        return _download(
            xlsx_chunks(ledger.engine, filters, title="Charity Transparency Ledger / 慈善透明账本"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "ledger.xlsx",
        )

    @get("/projects/{project:str}/entries.json", name="site:project-json", sync_to_thread=True)
    def project_json(self, ledger: NamedDependency[Ledger], project: FromPath[str]) -> Stream:
        self._require_project(ledger, project)
        with read_transaction(ledger.engine) as conn:
            logs = chain.chain(conn)
        active = logs[-1]
        end = active.base + active.size  # entries appended after this are left out

        def chunks() -> Iterator[bytes]:
            # "seq" is an entry's position in the chain of logs (the site's /ledger/{seq});
            # the leaf's own seq is its place in the log named by "log" ("log_seq")
            head = {
                "project": project,
                "origin": active.origin,
                "tree_size": active.size,
                "logs": [{"origin": g.origin, "first_seq": g.base, "size": g.size, "sealed": g.sealed} for g in logs],
            }
            yield json.dumps(head, ensure_ascii=False)[:-1].encode() + b', "entries": ['
            first = True
            for r, leaf in timeline.project_entries_with_leaves(ledger.engine, project):
                if r.seq >= end:
                    break
                log = chain.log_of(logs, r.seq)
                if log is None:
                    raise InvariantBroken("broken: every position below the head is in a log of the chain")
                meta = {
                    "seq": r.seq,
                    "log": log.origin,
                    "log_seq": r.seq - log.base,
                    "leaf_hash": r.id,
                    "time": r.time,
                    "type": r.type,
                    "signer": r.signer,
                    "signer_role": r.signer_role,
                    "signer_org": r.signer_org,
                    "amount": plain_or_none(r.amount_minor, r.currency),
                    "currency": r.currency,
                    "corrected": bool(r.corrected),
                    "corrected_by": r.corrected_by,
                    "last_verdict": r.last_verdict,
                }
                text = json.dumps(meta, ensure_ascii=False)[:-1].encode() + b', "leaf": ' + leaf + b"}"
                yield (b"\n" if first else b",\n") + text
                first = False
            yield b"\n]}\n"

        return Stream(
            chunks(),
            media_type="application/json",
            headers={
                "Content-Disposition": f'attachment; filename="{project}-entries.json"',
                "Content-Security-Policy": CSP,
            },
        )

    @staticmethod
    def _require_project(ledger: Ledger, project: str) -> None:
        if not _PROJECT.fullmatch(project):
            raise NotFoundException()
        with read_transaction(ledger.engine) as conn:
            if listing.project_titles(conn, [project]) == {}:
                raise LedgerError("not_found", what="project", what_zh="项目", ref=project)

    # --- organisations ------------------------------------------------------------------------

    @get("/organisations", name="site:organisations", sync_to_thread=True)
    def organisations(self, request: Request, ledger: NamedDependency[Ledger]) -> Template:
        q = _param(request, "q", 100)
        with read_transaction(ledger.engine) as conn:
            items = reads.search_organisations(conn, q)
        return render(request, "organisations.html", nav="organisations", items=items, q=q or "")

    @get("/organisations/{org:str}", name="site:organisation", sync_to_thread=True)
    def organisation(self, request: Request, ledger: NamedDependency[Ledger], org: FromPath[str]) -> Template:
        if not _ORG.fullmatch(org):
            raise NotFoundException()
        with read_transaction(ledger.engine) as conn:
            row = reads.organisation(conn, org)
            if row is None:
                raise LedgerError("not_found", what="organisation", what_zh="组织", ref=org)
            projects = listing.projects_of(conn, org)
            years = figures.org_years(conn, org)
            financials = figures.org_financials(conn, org)
            org_changes = figures.org_changes(conn, org)
            audits = figures.audit_opinions(conn, org)
            flags = timeline.open_flags(conn, org)
            project_flags = timeline.flags_on_projects(conn, [p.project for p in projects.fundraiser])
            flags = sorted({f.id: f for f in [*flags, *project_flags]}.values(), key=lambda f: -f.seq)
            names = listing.org_names(
                conn,
                [
                    org,
                    *(a.auditor_org for a in audits),
                    *(f.signer_org for f in flags),
                    *(p.fundraiser_org for p in projects.all()),
                ],
            )
            disclosures = _disclosures(request, conn, _today(), org=org, org_row=row, reported=financials.values())
            titles = listing.project_titles(
                conn, [*(f.project for f in flags), *(d.project for d in disclosures.deadlines)]
            )
            monthly = figures.monthly_in_out(conn, org=org)
        ratio_rule = _ratio_thresholds(row)
        return render(
            request,
            "organisation.html",
            nav="organisations",
            title=Helpers(request, request_locale(request)[0]).org(org, names),
            o=row,
            projects=projects,
            years=years,
            audits=audits,
            flags=flags,
            orgs=names,
            titles=titles,
            ratio_rule=ratio_rule,
            disclosures=disclosures,
            ratio_checks=_ratio_checks(row, org_changes, financials),
            monthly=build_monthly(
                monthly.money_in, monthly.money_out, _main_currency(monthly.money_in, monthly.money_out)
            ),
            fin_seq={f.id: f.seq for f in financials.values()},
        )

    # --- an oversight organisation's desk -------------------------------------------------------

    @get("/overseers/{org:str}", name="site:overseer", sync_to_thread=True)
    def overseer(self, request: Request, ledger: NamedDependency[Ledger], org: FromPath[str]) -> Template:
        """What the API's ``GET /api/v1/overseers/{org}`` answers, as a page: entries of the
        projects it oversees awaiting its verdict, its queries and flags with their resolution,
        overdue disclosures of those projects and their organisations. Risk signals are not
        public (the API gives them to regulator tokens). An organisation that oversees no project and
        made no finding has no desk (404)."""
        if not _ORG.fullmatch(org):
            raise NotFoundException()
        after = _int_param(request, "after", -1, -1, 2**62)
        today = _today()
        with read_transaction(ledger.engine) as conn:
            row = reads.organisation(conn, org)
            if row is None:
                raise LedgerError("not_found", what="organisation", what_zh="组织", ref=org)
            view = overseer_view(conn, org, today, limit=DESK_PAGE + 1, after_seq=after, risks=False)
            if not view.projects and not view.findings:  # oversees nothing, never did: no desk
                raise LedgerError("not_found", what="oversight desk", what_zh="监督工作台", ref=org)
            awaiting = list(view.awaiting[:DESK_PAGE])
            findings = list(reversed(view.findings))  # newest first
            titles = listing.project_titles(
                conn, [*view.projects, *(f.project for f in findings), *(e.project for e in awaiting)]
            )
            names = listing.org_names(conn, [org, *(e.signer_org for e in awaiting), *(i.org for i in view.overdue)])
            seqs = timeline.seqs_of(conn, [*(f.target for f in findings), *(f.resolved_by for f in findings)])
        return render(
            request,
            "overseer.html",
            nav="organisations",
            title=Helpers(request, request_locale(request)[0]).org(org, names),
            o=row,
            view=view,
            awaiting=awaiting,
            next_after=awaiting[-1].seq if len(view.awaiting) > DESK_PAGE else None,
            first_page=after < 0,
            findings=findings,
            open_count=sum(1 for f in findings if f.status == "open"),
            titles=titles,
            orgs=names,
            seqs=seqs,
            today=today,
        )

    # --- verify my donation -------------------------------------------------------------------

    @get("/verify", name="site:verify", sync_to_thread=True, cache_control=None)
    def verify_form(self, request: Request) -> Template | Redirect:
        """The look-up form. A receipt code never travels in an address: a query string (a
        hand-made ``?code=``) is dropped by a redirect to the bare form, not read or echoed."""
        if request.url.query:
            return Redirect("/verify", status_code=303, headers={"Cache-Control": "no-store"})
        return render(
            request, "verify.html", nav="verify", title="", result=None, error=None, code="", cache="no-store"
        )

    @post("/verify", name="site:verify-post", sync_to_thread=True, status_code=200)
    def verify(
        self,
        request: Request,
        ledger: NamedDependency[Ledger],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template:
        code = str(data.get("code", ""))
        try:
            # the code must prove itself against the log (ledger.store.donors.find_donation_by_receipt)
            _, row = donor_store(ledger).find_by_receipt(code)
        except LedgerError as exc:
            if exc.code not in ("receipt_code_invalid", "receipt_code_checksum", "receipt_not_found"):
                raise
            return verify_error(request, exc, code)
        return verify_result(request, ledger, reads.Donation.from_row(row))

    # --- ledger explorer ----------------------------------------------------------------------

    @get("/ledger", name="site:ledger", sync_to_thread=True)
    def ledger_list(self, request: Request, ledger: NamedDependency[Ledger]) -> Template:
        type_ = _param(request, "type", 40)
        org = _param(request, "org", 18)
        project = _param(request, "project", 64)
        filters = {
            "type": type_ if type_ in ENTRY_TYPES else None,
            "org": org.upper() if org and _ORG.fullmatch(org.upper()) else None,
            "project": project if project and _PROJECT.fullmatch(project) else None,
        }
        after = decode_cursor(_param(request, "cursor", 512), int)
        wanted = reads.EntryFilter(type=filters["type"], org=filters["org"], project=filters["project"])
        with read_transaction(ledger.engine) as conn:
            found = reads.entries(
                conn, wanted, limit=EXPLORER_PAGE + 1, after=after[0] if after else None, descending=True
            )
            items = found[:EXPLORER_PAGE]
            result = page(items, len(found), EXPLORER_PAGE, [items[-1].seq] if items else None)
            orgs = listing.org_names(conn, [e.signer_org for e in items])
            titles = listing.project_titles(conn, [e.project for e in items])
            logs = chain.chain(conn)
            if filters["project"]:
                titles.update(listing.project_titles(conn, [filters["project"]]))
            if filters["org"]:
                orgs.update(listing.org_names(conn, [filters["org"]]))
        return render(
            request,
            "ledger.html",
            nav="ledger",
            items=items,
            next_cursor=result["next_cursor"],
            filters=filters,
            types=ENTRY_TYPES,
            orgs=orgs,
            titles=titles,
            size=logs[-1].base + logs[-1].size,
            logs=logs,
        )

    @get("/ledger/{seq:int}", name="site:entry", sync_to_thread=True)
    def entry(self, request: Request, ledger: NamedDependency[Ledger], seq: SeqPath) -> Template:
        with read_transaction(ledger.engine) as conn:
            e = reads.entry_at(conn, seq=seq) if seq >= 0 else None
            if e is None:
                raise LedgerError("not_found", what="entry", what_zh="条目", ref=f"seq {seq}")
            raw = e.leaf
            leaf = parse_json(raw)
            data = leaf["body"]["data"]
            signer_key = chain.key_row(conn, e.signer)
            refs = timeline.seqs_of(conn, [data.get("target"), e.corrected_by, e.last_verdict_by])
            key_target = (
                chain.key_row(conn, data["key_id"])
                if e.type == "key.revoked" and isinstance(data.get("key_id"), str)
                else None
            )
            named_key = (
                chain.key_row(conn, _key_id_of(data.get("public_key")))
                if e.type in ("key.granted", "registry.genesis")
                else None
            )
            referring = chain.referring(conn, e.leaf_hash)
            org_codes = [e.signer_org, *(r.org for r in referring)]
            for name in ("org", "implementer"):
                if isinstance(data.get(name), str):
                    org_codes.append(data[name])
            for name in ("implementers", "overseers"):
                if isinstance(data.get(name), list):
                    org_codes.extend(x for x in data[name] if isinstance(x, str))
            orgs = listing.org_names(conn, org_codes)
            titles = listing.project_titles(
                conn, [e.project, data.get("project") if isinstance(data.get("project"), str) else None]
            )
            logs, log = _entry_log(conn, seq)
            # the entry's own log: a sealed one's final checkpoint, else the latest checkpoint
            # entries the log signs itself (log.sealed, a continuing genesis) are checked with its key
            proof_key = signer_key or chain.log_key_row(conn, e.signer)
            proof = _proof_data(ledger, log, seq, e.leaf_hash, e.signer, log.size, proof_key, request, from_tiles=True)
        by_index = {g.index: g for g in logs}
        named = data.get("evidence") if isinstance(data.get("evidence"), list) else []
        return render(
            request,
            "entry.html",
            nav="ledger",
            title=f"#{seq}",
            e=e,
            leaf=leaf,
            data=data,
            raw=raw.decode("utf-8"),
            signer_key=signer_key,
            after_distrust=_signed_after_distrust(signer_key, e.time),
            refs=refs,
            key_target=key_target,
            named_key=named_key,
            referring=referring,
            orgs=orgs,
            titles=titles,
            proof=proof,
            data_json=json.dumps(data, ensure_ascii=False, indent=2),
            log=log,
            log_seq=seq - log.base,
            next_log=by_index.get(log.index + 1),
            # the last entry links to no next one (a held page may miss a newer entry, never name a missing one)
            has_next=seq + 1 < logs[-1].base + logs[-1].size,
            previous_log=by_index.get(log.index - 1),
            evidence_hashes=named,
            evidence=held_evidence(ledger, named),
            cache=ENTRY_CACHE,
        )

    # --- checkpoints, how to verify, reports ----------------------------------------------------

    @get("/checkpoints", name="site:checkpoints", sync_to_thread=True)
    def checkpoints(self, request: Request, ledger: NamedDependency[Ledger]) -> Template:
        before = _int_param(request, "before", 0, 0, 2**62) or None
        keys = _witness_keys(request)
        with read_transaction(ledger.engine) as conn:
            logs = chain.chain(conn)
            wanted = _int_param(request, "log", logs[-1].index, -1, 2**15)
            log = next((g for g in logs if g.index == wanted), None)
            if log is None:
                raise LedgerError("not_found", what="log", what_zh="账本", ref=str(wanted))
            items = chain.checkpoints(conn, limit=30, before=before, shard=log.index)
            witnesses = chain.witnesses(conn, log.index)
            pushes = chain.witness_pushes(conn)
        verified: dict[int, dict[str, bool]] = {}
        for c in items:
            if c.cosignatures:
                verified[c.size] = _verified_cosigners(add_signatures(c.note, [s.line for s in c.cosignatures]), keys)
        return render(
            request,
            "checkpoints.html",
            nav="checkpoints",
            items=items,
            witnesses=witnesses,
            pushes=pushes,
            verified=verified,
            witness_keys=[(k.name, k.to_string()) for k in keys],
            vkey=shard_vkey(ledger.log, log.shard),
            size=log.size,
            next_before=items[-1].size if len(items) == 30 else None,
            logs=logs,
            log=log,
        )

    @get("/how-to-verify", name="site:how-to-verify", sync_to_thread=True)
    def how_to_verify(self, request: Request, ledger: NamedDependency[Ledger]) -> Template:
        with read_transaction(ledger.engine) as conn:
            logs = chain.chain(conn)
        active = logs[-1]
        sealed = [(g, shard_vkey(ledger.log, g.shard)) for g in logs[:-1]]
        return render(
            request,
            "how_to_verify.html",
            nav="checkpoints",
            vkey=log_vkey(ledger.log),
            origin=active.origin,
            size=active.size,
            total=active.base + active.size,
            logs=logs,
            sealed=sealed,
            base=str(request.base_url).rstrip("/"),
        )

    @get("/verifier.html", name="site:verifier", sync_to_thread=True)
    def verifier(self, request: Request) -> Response[str]:
        """The standalone verifier (:mod:`.standalone`): one file, to save and open offline. Its
        policy allows its own inline blocks and no connection, here as in the saved copy."""
        locale, _ = request_locale(request)
        page, csp = build_verifier(locale)
        return Response(
            page,
            media_type="text/html; charset=utf-8",
            headers={
                "Content-Security-Policy": csp + "; frame-ancestors 'none'",
                "Content-Language": LANG_TAGS[locale],
                "Vary": VARY,
                "Cache-Control": "no-cache",
            },
        )

    @get("/reports", name="site:reports", sync_to_thread=True)
    def reports(self, request: Request, ledger: NamedDependency[Ledger]) -> Template:
        """Every published report (``report.issued``) with its files: each downloads from the API
        (which serves only bytes with the recorded SHA-256), and the browser can check a download
        against the hash read from the entry's own leaf bytes (static/report-check.js)."""
        with read_transaction(ledger.engine) as conn:
            items = Q.reports(conn)
            orgs = listing.org_names(conn, [r["subject"] for r in items])
            titles = listing.project_titles(conn, [r["subject"] for r in items])
        for r in items:
            r["leaf_b64"] = base64.b64encode(ledger.log.leaf(r["seq"])).decode("ascii")
            r["restricted"] = r["kind"] in REGULATOR_KINDS
        return render(request, "reports.html", nav="reports", items=items, orgs=orgs, titles=titles)


def _by_business_date(entries: list[EntryRow], business: dict[str, str]) -> list[EntryRow]:
    """Entries newest first by the date they are about (their business date, else the day
    they were logged), then by seq."""
    return sorted(entries, key=lambda e: (business.get(e.id) or e.time[:10], e.seq), reverse=True)


def _main_currency(*sums: dict[tuple[str, str], int]) -> str:
    """The currency most of the money is in (CNY when there is none)."""
    totals: dict[str, int] = {}
    for by_month in sums:
        for (_month, currency), minor in by_month.items():
            totals[currency] = totals.get(currency, 0) + minor
    return max(sorted(totals), key=lambda c: totals[c]) if totals else "CNY"


def _download(chunks: Iterator[bytes], media_type: str, filename: str) -> Stream:
    return Stream(
        chunks,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Content-Security-Policy": CSP},
    )


def _key_id_of(public_b64: Any) -> str | None:
    if not isinstance(public_b64, str):
        return None
    try:
        return hashlib.sha256(base64.b64decode(public_b64, validate=True)).hexdigest()
    except ValueError:
        return None


def _ratio_checks(org: Any, changes: list[Any], figures: dict[int, Any]) -> list[Any]:
    """The spending-ratio check of every year the organisation reported figures for, newest
    first: ``check_org_year``, the one calculator the annual report calls (the rule set in force
    at each year's end, the legal form and qualification the organisation held on that day), so
    the page and the report can never disagree."""
    return [check_org_year(org, changes, figures, year) for year in sorted(figures, reverse=True)]


def _ratio_thresholds(org: OrgRow) -> dict[str, Any] | None:
    """The spending minimum and management cap of the organisation's rule (first tier), for
    showing next to its ratios; None when the rule set has none for its legal form."""
    try:
        rs = ruleset("cn-charity", _today())
        rule = rs.ratio_rules().rule_for(org.legal_form, org.public_fundraising)
    except Exception:  # reports package absent or rule missing: show ratios only
        return None
    if rule is None or not rule.tiers:
        return None
    tiers = [
        {
            "min_bp": t.min_spending[0].basis_points if t.min_spending else None,
            "bases": list(t.min_spending[0].of_any) if t.min_spending else [],
            "max_admin_bp": t.max_management_basis_points,
            "from": t.net_assets_from_fen,
            "below": t.net_assets_below_fen,
            "verified": t.verified,
        }
        for t in rule.tiers
    ]
    return {"ruleset": rs.ref, "tiers": tiers}


def verify_result(
    request: Request,  # type: ignore[type-arg]
    ledger: Ledger,
    donation: reads.Donation,
    *,
    note: str | None = None,
) -> Template:
    """The verify page for a donation found (by its receipt code, or its payment's order
    number): the signed entry, where its money went and the proof. The page never holds the
    receipt code (the certificate is asked for with the code typed in the form again)."""
    trace = reads.trace(ledger.engine, donation)
    with read_transaction(ledger.engine) as conn:
        _, log = _entry_log(conn, donation.seq)
        size, witnessed = _proof_size(conn, log, donation.seq)
        proof = _proof_data(
            ledger,
            log,
            donation.seq,
            donation.id,
            donation.recorded_by,
            size,
            chain.key_row(conn, donation.recorded_by),
            request,
        )
        checkpoint = chain.checkpoint_info(conn, size, log.index)
        project = Q.project_view(conn, donation.project)
        orgs = listing.org_names(conn, [donation.fundraiser_org, *(a.implementer for a in trace.allocations)])
        if project is not None:
            orgs.update(project.orgs)
    return render(
        request,
        "verify.html",
        nav="verify",
        result=donation,
        trace=trace,
        proof=proof,
        witnessed=witnessed,
        checkpoint=checkpoint,
        log=log,
        project=project.project if project else None,
        orgs=orgs,
        error=None,
        code="",
        lookup_note=note,
        cache="no-store",
    )
