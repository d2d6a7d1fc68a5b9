"""Report endpoints of the API, mounted by ``ledger.cli.app.create_app`` (on the API app) through :func:`reports.routes`.

=======================================================  =====================================================
``POST /api/v1/reports``                                 request a report: 202 with a job id
``GET /api/v1/reports/jobs/{job}``                       the job: queued, running, done (files) or failed
``GET /api/v1/reports/jobs/{job}/files/{name}``          a file of a finished job
``GET /api/v1/reports``                                  published reports (``report.issued``), newest first
``GET /api/v1/reports/{id}``                             one published report (its leaf hash)
``GET /api/v1/reports/{id}/files/{name}``                a published file, served only if its SHA-256 is the
                                                         one recorded in the log
=======================================================  =====================================================

Who may ask for what:

- ``overview`` (all organisations) needs a bearer token with the ``regulator`` scope, to request
  it, poll it and download it (published ones too);
- a receipt with the donor's personal data needs a bearer token, to request it, poll it and
  download it: with the ``receipts`` or ``regulator`` scope when the receipt code is sent as
  ``donation`` (its salt must match the donor store; the code is not sent on to the task queue:
  the task gets the seq), with the ``regulator`` scope for a seq or leaf hash with ``personal:
  true``. Personal receipts are not recorded or published; ``donor erase`` removes them;
- every other report: anyone.

Limits (:mod:`reports.service`): requests per client address are rate limited (429 with
Retry-After, checked before the body is read); a finished job lasts ``CHARITY_LEDGER_REPORT_TTL``
seconds, then its personal files are deleted and the job answers 410; an identical request at
the same log state gets the job already made for it (rendered once); the API renders at most
``CHARITY_LEDGER_REPORT_RENDERS`` reports at once, in threads of their own, so reads of the log
keep being answered while reports render.

The task runs in a worker (``CHARITY_LEDGER_BROKER_URL``) or, in the embedded default, inside
the request; either way the job record in the data folder answers the polls.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import CacheControlHeader
from litestar.openapi.spec import Example
from litestar.params import JSONBody, PathParameter, QueryParameter
from msgspec import Meta, Struct
from sqlalchemy import desc, select

from api.openapi import BEARER, problems
from api.params import LedgerDep
from api.problems import CODE_STATUS, TOKEN_SCOPE_MISSING
from api.security import _unauthenticated, require_scope
from api.tokens import check_token
from ledger.domain.rows import OrgRow, ProjectRow, ReportRow
from ledger.errors import InvariantBroken, LedgerError
from ledger.protocol.grammar import schema_pattern
from ledger.store import reads
from ledger.store.db import read_transaction
from ledger.store.donors import TABLE as DONORS
from ledger.store.log_tables import LogLeaf
from reports import celery_app, jobs
from reports.archive import recorded_files
from reports.bundle import CHECKSUMS, digest
from reports.celery_app import settings_ref
from reports.codes import REPORT_FILE_MISMATCH, REPORT_JOB_EXPIRED, REPORT_RATE_LIMITED
from reports.common import DONATION_REF, REGULATOR_KINDS, URL, ReportRequest
from reports.issue import _receipt_context
from reports.kinds.receipt import find_donation
from reports.service import ReportService, service_of
from reports.snapshot import open_snapshot
from reports.tasks import generate_report_task

REGULATOR = "regulator"
RECEIPTS = "receipts"
PERSONAL_SCOPES = (RECEIPTS, REGULATOR)  # a holder's receipt code asks for a personal receipt with either
# codes of these endpoints whose HTTP status is not their kind's
CODE_STATUS.setdefault(REPORT_JOB_EXPIRED, 410)
CODE_STATUS.setdefault(REPORT_RATE_LIMITED, 429)
HASH = schema_pattern("hex64")
JOB = r"^[0-9a-f]{32}$(?!\n)"  # "(?!\n)": see ledger.protocol.grammar.schema_pattern
FILE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,150}$(?!\n)"
NO_STORE = CacheControlHeader(no_store=True)
OCTETS = "application/octet-stream"
HASH_EXAMPLE = "3f1c8a0e9f4b7d2c6e5a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e"


class _Schema(Struct, kw_only=True):
    __example__: ClassVar[Any] = None


class ReportRequestBody(_Schema):
    """What to report on. ``annual``: org and year; ``project``/``campaign``: project;
    ``overview``: year (optional; regulator token); ``receipt``: donation (seq, leaf hash or
    receipt code); ``verification``: nothing."""

    kind: Literal["annual", "project", "campaign", "overview", "receipt", "verification"]
    org: Annotated[str, Meta(pattern=schema_pattern("uscc"))] | None = None
    project: Annotated[str, Meta(pattern=schema_pattern("project"))] | None = None
    year: Annotated[int, Meta(ge=1990, le=2200)] | None = None
    donation: Annotated[str, Meta(pattern=f"^{DONATION_REF}$(?!\\n)")] | None = None
    personal: bool = False
    site_url: Annotated[str, Meta(max_length=200, pattern=f"^{URL}$(?!\\n)")] | None = None

    __example__: ClassVar[Any] = {"kind": "annual", "org": "53440300MJL00001AX", "year": 2025}


class ReportFileLink(_Schema):
    name: str
    sha256: str
    size: int
    url: str

    __example__: ClassVar[Any] = {
        "name": "annual-53440300MJL00001AX-2025-t42.pdf",
        "sha256": HASH_EXAMPLE,
        "size": 512345,
        "url": "/api/v1/reports/jobs/0f1e2d3c4b5a69788796a5b4c3d2e1f0/files/annual-53440300MJL00001AX-2025-t42.pdf",
    }


class ReportJob(_Schema):
    """A report request and what became of it. ``result`` once done: the log state the figures
    were computed at and the report.issued entry (``entry``, null when not recorded)."""

    job: str
    status: Literal["queued", "running", "done", "failed"]
    kind: str
    request: dict[str, Any]
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    files: list[ReportFileLink]
    created: str
    updated: str

    __example__: ClassVar[Any] = {
        "job": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "status": "done",
        "kind": "annual",
        "request": {"kind": "annual", "org": "53440300MJL00001AX", "year": 2025},
        "result": {
            "tree_size": 42,
            "root": HASH_EXAMPLE,
            "entry": {"seq": 42, "leaf_hash": HASH_EXAMPLE, "existing": False},
            "recorded": True,
            "not_recorded": None,
        },
        "error": None,
        "files": [ReportFileLink.__example__],
        "created": "2026-11-27T08:30:00.000Z",
        "updated": "2026-11-27T08:30:04.000Z",
    }


class PublishedReport(_Schema):
    """A report recorded in the log (``report.issued``)."""

    id: str
    seq: int
    kind: str
    subject: str
    period_start: str
    period_end: str
    rule_set: str
    tree_size: int
    root: str
    time: str
    withdrawn: bool
    restricted: bool
    files: list[ReportFileLink]

    __example__: ClassVar[Any] = {
        "id": HASH_EXAMPLE,
        "seq": 43,
        "kind": "annual",
        "subject": "53440300MJL00001AX",
        "period_start": "2025-01-01",
        "period_end": "2025-12-31",
        "rule_set": "cn-charity/1",
        "tree_size": 42,
        "root": HASH_EXAMPLE,
        "time": "2026-11-27T08:30:04.000Z",
        "withdrawn": False,
        "restricted": False,
        "files": [
            {
                **ReportFileLink.__example__,
                "url": f"/api/v1/reports/{HASH_EXAMPLE}/files/annual-53440300MJL00001AX-2025-t42.pdf",
            }
        ],
    }


class PublishedReportList(_Schema):
    items: list[PublishedReport]

    __example__: ClassVar[Any] = {"items": [PublishedReport.__example__]}


JobId = Annotated[
    str,
    PathParameter(
        pattern=JOB,
        description="A report job id (32 hex digits).",
        examples=[Example(value="0f1e2d3c4b5a69788796a5b4c3d2e1f0")],
    ),
]
ReportId = Annotated[
    str,
    PathParameter(
        pattern=HASH, description="The leaf hash of a report.issued entry.", examples=[Example(value=HASH_EXAMPLE)]
    ),
]
FileName = Annotated[
    str,
    PathParameter(
        pattern=FILE,
        max_length=151,
        description="A file name of the report.",
        examples=[Example(value="annual-53440300MJL00001AX-2025-t42.pdf")],
    ),
]
KindQuery = Annotated[
    str | None,
    QueryParameter(
        pattern=r"^[a-z][a-z0-9._/-]{0,63}$",
        description="Only reports of this kind.",
        examples=[Example(value="annual")],
    ),
]
SubjectQuery = Annotated[
    str | None,
    QueryParameter(
        max_length=200,
        description="Only reports on this subject (organisation code, project id...).",
        examples=[Example(value="53440300MJL00001AX")],
    ),
]
LimitQuery = Annotated[
    int, QueryParameter(ge=1, le=500, description="At most this many reports.", examples=[Example(value=50)])
]


async def _regulator(request: Request) -> None:
    """Raise 401/403 unless the request carries a live token with the regulator scope."""
    await require_scope(REGULATOR)(request, None)  # type: ignore[arg-type]


async def _any_scope(request: Request, scopes: tuple[str, ...]) -> None:
    """Raise 401 without a live bearer token, 403 unless it has one of ``scopes``."""
    if scopes == (REGULATOR,):
        await _regulator(request)
        return
    wanted = " or ".join(scopes)
    kind, _, token = request.headers.get("authorization", "").partition(" ")
    if kind.lower() != "bearer" or not token.strip():
        raise _unauthenticated(wanted, "no bearer token was sent", "请求未携带访问令牌")
    info = await anyio.to_thread.run_sync(check_token, request.app.state.ledger.engine, token.strip())
    if info is None:
        raise _unauthenticated(wanted, "the token is unknown or revoked", "令牌无效或已被吊销")
    if not any(info.has(scope) for scope in scopes):
        raise LedgerError(TOKEN_SCOPE_MISSING, name=info.name, scope=wanted)


async def _may_read(request: Request, record: dict[str, Any]) -> None:
    """Poll and download need what the request needed (the scopes are kept in the record)."""
    scopes = tuple(record.get("scopes") or ((REGULATOR,) if record.get("restricted") else ()))
    if scopes:
        await _any_scope(request, scopes)


def _rate_guard(connection: Any, _: Any) -> None:
    """A guard (before the body is read): one request from the client's report bucket."""
    client = connection.client
    service_of(connection.app).check_rate(client.host if client else "unknown")


def _state_of(ledger: Any, body: dict[str, Any], personal: bool) -> list[Any]:
    """What a report's content depends on besides the request: the last entry other than a
    report.issued (recording a report does not change the next answer) and, for a personal
    receipt, the donor record's state."""
    leaf = LogLeaf.__table__
    with read_transaction(ledger.engine) as conn:
        mark = conn.execute(
            select(leaf.c.seq).where(leaf.c.type != "report.issued").order_by(desc(leaf.c.seq)).limit(1)
        ).scalar_one_or_none()
        donor = None
        if personal and str(body.get("donation", "")).isdigit():
            row = conn.execute(
                select(DONORS.c.stored_at, DONORS.c.erased_at).where(DONORS.c.seq == int(body["donation"]))
            ).first()
            donor = None if row is None else [row.stored_at, row.erased_at]
    return [mark, donor]


def _expired(service: ReportService, ledger: Any, record: dict[str, Any]) -> dict[str, Any]:
    """The record, expired when its time is up (410 for polls and downloads)."""
    record = jobs.expire_if_due(ledger.settings, record, service.limits.ttl_s, service.clock)
    if record.get("status") == "expired":
        raise LedgerError(
            REPORT_JOB_EXPIRED, job=record["job"], finished=record.get("updated"), expired=record.get("expired")
        )
    return record


def _check_subject(ledger: Any, req: ReportRequest) -> ReportRequest:
    """Refuse (404) a request about something the registry does not hold, before any work;
    turn a receipt code into the donation's seq after checking it against the donor store."""
    with open_snapshot(ledger.engine) as snap:
        if req.kind == "annual" and snap.get(OrgRow, req.org) is None:
            raise LedgerError("not_found", what="organisation", what_zh="组织", ref=req.org)
        if req.kind in ("project", "campaign") and snap.get(ProjectRow, req.project) is None:
            raise LedgerError("not_found", what="project", what_zh="项目", ref=req.project)
        if req.kind == "receipt":
            if (req.donation or "")[:1].upper() == "D":
                checked, _ = _receipt_context(ledger, snap, req)  # 404 unless the code's salt is the stored one
                return replace(checked, personal=True)
            found = find_donation(snap, req.donation or "")
            if req.personal:  # by its seq, so donor erase finds the job
                return replace(req, donation=str(found.seq))
    return req


def _links(base: str, files: list[dict[str, Any]]) -> list[ReportFileLink]:
    return [
        ReportFileLink(name=f["name"], sha256=f["sha256"], size=f["size"], url=f"{base}/files/{f['name']}")
        for f in files
    ]


def _job_view(record: dict[str, Any]) -> ReportJob:
    result = record.get("result")
    files = (result or {}).get("files") or []
    public = None
    if result is not None:
        public = {
            k: result.get(k)
            for k in (
                "kind",
                "subject",
                "period_start",
                "period_end",
                "rule_set",
                "stem",
                "tree_size",
                "root",
                "entry",
                "recorded",
                "not_recorded",
                "not_recorded_zh",
                "files_match_record",
            )
        }
    return ReportJob(
        job=record["job"],
        status=record["status"],
        kind=(record.get("request") or {}).get("kind", ""),
        request=record.get("request") or {},
        result=public,
        error=record.get("error"),
        files=_links(f"/api/v1/reports/jobs/{record['job']}", files),
        created=record.get("created", ""),
        updated=record.get("updated", ""),
    )


def _file_response(data: bytes, name: str, sha256: str) -> Response[bytes]:
    return Response(
        content=data,
        media_type=OCTETS,
        status_code=200,
        headers={"Content-Disposition": f'attachment; filename="{name}"', "X-Content-SHA256": sha256},
    )


FILE_RESPONSE = {"media_type": OCTETS, "response_description": "The file's bytes (its SHA-256 is in X-Content-SHA256)."}


class ReportsController(Controller):
    """Compliance reports: request, poll, download; published reports."""

    path = "/api/v1/reports"
    tags = ("reports",)

    @post(
        "/",
        operation_id="requestReport",
        status_code=202,
        responses=problems(400, 401, 403, 404, 413, 415, 422, 429, 503),
        security=[{BEARER: []}, {}],
        guards=[_rate_guard],
    )
    async def request_report(self, request: Request, ledger: LedgerDep, data: JSONBody[ReportRequestBody]) -> ReportJob:
        """Ask for a report; the answer is a job to poll. ``overview`` and receipts with
        ``personal: true`` need a bearer token with the regulator scope; a receipt asked for
        with its receipt code (the holder's, personal data included) a token with the receipts
        or regulator scope. An identical request at the same log state is answered with the
        job already made for it. Rate limited per client (429 with Retry-After)."""
        service = service_of(request.app)
        req = ReportRequest(
            kind=data.kind,
            org=data.org,
            project=data.project,
            year=data.year,
            donation=data.donation,
            personal=data.personal,
            site_url=data.site_url,
        ).checked()
        holder = req.kind == "receipt" and (req.donation or "")[:1].upper() == "D"
        regulator = req.kind in REGULATOR_KINDS or (req.personal and not holder)
        scopes: tuple[str, ...] = PERSONAL_SCOPES if holder else ((REGULATOR,) if regulator else ())
        if scopes:
            await _any_scope(request, scopes)  # before anything is looked up or rendered
        req = await anyio.to_thread.run_sync(_check_subject, ledger, req)
        settings = ledger.settings
        body = req.to_json()
        requester = "regulator" if regulator else ("holder" if holder else None)
        key = jobs.request_key(body, requester, await anyio.to_thread.run_sync(_state_of, ledger, body, bool(scopes)))
        job = jobs.new_id()

        def create() -> dict[str, Any] | None:
            """Make the job, or find the live one made for the same request (then None)."""
            if service.purge_due():
                jobs.purge_expired(settings, service.limits.ttl_s, service.clock)
            jobs.create(settings, job, body, restricted=bool(scopes), requester=requester, scopes=list(scopes))
            found = jobs.claim(settings, key, job)
            if found is None:
                return None
            record = jobs.read(settings, found) if found else None
            if record is not None:
                record = jobs.expire_if_due(settings, record, service.limits.ttl_s, service.clock)
                if record.get("status") in ("queued", "running", "done"):
                    jobs.discard(settings, job)
                    return record
            jobs.reclaim(settings, key, job)
            return None

        existing = await anyio.to_thread.run_sync(create)
        if existing is not None:
            return _job_view(existing)

        def send() -> None:
            try:
                # the queue is read when sending, so a deployment (or a test) may change it
                generate_report_task.apply_async(
                    args=[settings_ref(settings), body, job], task_id=job, queue=celery_app.app.conf.task_default_queue
                )
            except Exception as exc:  # eager mode: the job record holds the error
                record = jobs.read(settings, job) or {}
                if record.get("status") != "failed":
                    jobs.update(settings, job, status="failed", error={"code": "task_failed", "message": str(exc)})

        def dropped() -> None:
            """The client left before the job was sent: never leave it queued for others to wait on."""
            record = jobs.read(settings, job) or {}
            if record.get("status") == "queued":
                jobs.update(
                    settings,
                    job,
                    status="failed",
                    error={"code": "task_cancelled", "message": "the request was cancelled"},
                )

        # in the embedded default the task renders here: in a thread, at most `renders` at once,
        # with threads of their own (the log's reads keep theirs)
        try:
            await anyio.to_thread.run_sync(send, limiter=service.render_limiter())
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(dropped)
            raise
        record = jobs.read(settings, job)
        if record is None:
            raise InvariantBroken("record is missing")
        return _job_view(record)

    @get(
        "/jobs/{job:str}",
        operation_id="getReportJob",
        cache_control=NO_STORE,
        responses=problems(400, 401, 403, 404, 410, 503),
    )
    async def job_status(self, request: Request, ledger: LedgerDep, job: JobId) -> ReportJob:
        """The job's status; once done, its files and the report.issued entry. 410 once expired."""
        record = await anyio.to_thread.run_sync(jobs.read, ledger.settings, job)
        if record is None:
            raise LedgerError("not_found", what="report job", what_zh="报告任务", ref=job)
        await _may_read(request, record)
        record = await anyio.to_thread.run_sync(_expired, service_of(request.app), ledger, record)
        return _job_view(record)

    @get(
        "/jobs/{job:str}/files/{name:str}",
        operation_id="getReportJobFile",
        cache_control=NO_STORE,
        responses=problems(400, 401, 403, 404, 410, 503),
        **FILE_RESPONSE,
    )
    async def job_file(self, request: Request, ledger: LedgerDep, job: JobId, name: FileName) -> Response[bytes]:
        """A file of a finished job (personal receipts are only here). 410 once expired."""
        record = await anyio.to_thread.run_sync(jobs.read, ledger.settings, job)
        if record is None:
            raise LedgerError("not_found", what="report job", what_zh="报告任务", ref=job)
        await _may_read(request, record)
        record = await anyio.to_thread.run_sync(_expired, service_of(request.app), ledger, record)
        result = record.get("result") or {}
        listed = {f["name"]: f for f in result.get("files") or []}
        folders = result.get("folders") or []
        if name not in listed or not folders:
            raise LedgerError("not_found", what="report file", what_zh="报告文件", ref=name)

        def read() -> bytes:
            path = Path(folders[0]) / name
            data = path.read_bytes() if path.is_file() else b""
            if digest(name, data).sha256 != listed[name]["sha256"]:
                raise LedgerError(REPORT_FILE_MISMATCH, name=name, report=job)
            return data

        data = await anyio.to_thread.run_sync(read)
        return _file_response(data, name, listed[name]["sha256"])

    @get("/", operation_id="listReports", responses=problems(400, 503))
    async def list_reports(
        self, ledger: LedgerDep, kind: KindQuery = None, subject: SubjectQuery = None, limit: LimitQuery = 50
    ) -> PublishedReportList:
        """Reports recorded in the log (report.issued), newest first."""

        def query() -> list[PublishedReport]:
            with read_transaction(ledger.engine) as conn:
                found = reads.issued_reports(conn, limit=limit, kind=kind, subject=subject)
            return [_published(x.row, x.withdrawn) for x in found]

        return PublishedReportList(items=await anyio.to_thread.run_sync(query))

    @get("/{report_id:str}", operation_id="getReport", responses=problems(400, 404, 503))
    async def get_report(self, ledger: LedgerDep, report_id: ReportId) -> PublishedReport:
        """One report recorded in the log, by the leaf hash of its report.issued entry."""
        row, withdrawn = await anyio.to_thread.run_sync(_report_row, ledger, report_id)
        return _published(row, withdrawn)

    @get(
        "/{report_id:str}/files/{name:str}",
        operation_id="getReportFile",
        responses=problems(400, 401, 403, 404, 503),
        **FILE_RESPONSE,
    )
    async def report_file(
        self, request: Request, ledger: LedgerDep, report_id: ReportId, name: FileName
    ) -> Response[bytes]:
        """A file of a recorded report, served only when its bytes have the SHA-256 the log records."""
        row, _ = await anyio.to_thread.run_sync(_report_row, ledger, report_id)
        if row.kind in REGULATOR_KINDS:
            await _regulator(request)
        recorded = {f["name"] for f in json.loads(row.files_json)}
        if name == CHECKSUMS or name not in recorded:
            raise LedgerError("not_found", what="report file", what_zh="报告文件", ref=name)
        # every file of the report, each checked against the log's record (report_file_mismatch)
        files = await anyio.to_thread.run_sync(recorded_files, ledger.settings, row)
        data, sha256 = next((data, sha256) for found, data, sha256 in files if found == name)
        return _file_response(data, name, sha256)


def _report_row(ledger: Any, report_id: str) -> tuple[ReportRow, bool]:
    with read_transaction(ledger.engine) as conn:
        found = reads.issued_report(conn, report_id)
    if found is None:
        raise LedgerError("not_found", what="report", what_zh="报告", ref=report_id)
    return found.row, found.withdrawn


def _published(row: ReportRow, withdrawn: bool) -> PublishedReport:
    files = json.loads(row.files_json)
    return PublishedReport(
        id=row.id,
        seq=row.seq,
        kind=row.kind,
        subject=row.subject,
        period_start=row.period_start,
        period_end=row.period_end,
        rule_set=row.rule_set,
        tree_size=row.tree_size,
        root=row.root,
        time=row.time,
        withdrawn=withdrawn,
        restricted=row.kind in REGULATOR_KINDS,
        files=_links(f"/api/v1/reports/{row.id}", files),
    )


def routes() -> list[Any]:
    return [ReportsController]
