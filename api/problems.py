"""Errors as RFC 9457 problem details: the one place that turns failures into HTTP answers.

Every error the API returns has the media type ``application/problem+json`` and the body::

    {"type": "/api/v1/problems/<code>", "title": "<HTTP reason phrase>", "status": <int>,
     "detail": "<English message>", "code": "<stable code>", "message_zh": "<Chinese message>",
     "params": {...}, "instance": "<request path, or urn:uuid:... for server errors>"}

- A :class:`~ledger.errors.LedgerError` gets the status of its *kind* (:data:`KIND_STATUS`),
  unless its code has a status of its own (:data:`CODE_STATUS`: codes of the HTTP layer such
  as 401, 413, 415, 429).
- Litestar's own exceptions (unknown route, wrong method, validation of parameters, body too
  large, ...) become problems with the codes below.
- Database failures become 503 (unreachable or busy) or 409 (a write raced another one;
  nothing was written).
- Anything else is a bug: it is logged with a fresh ``urn:uuid`` and answered with a 500
  problem that names that id and nothing of the internals.

:func:`problem_of` is that mapping, used by the API (:func:`problem_json`) and by the site
(``public_site.views.error_page``, which shows the same problem as an HTML page on paths
outside :data:`API_PREFIXES`).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from api.redaction import redact
from ledger.errors import CATALOGUE, LedgerError, define

log = logging.getLogger("api")

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "/api/v1/problems/"

# The one mapping from the kind of a domain error to an HTTP status.
KIND_STATUS: dict[str, int] = {
    "invalid": 400,
    "not_found": 404,
    "conflict": 409,
    "refused": 422,
    "forbidden": 403,
    "unavailable": 503,
}

# --- codes of the HTTP layer ----------------------------------------------------------------

ROUTE_NOT_FOUND = define(
    "route_not_found",
    "not_found",
    "There is nothing at {path}; see /schema for the API.",
    "{path} 不存在，请查看 /schema 中的接口说明。",
)
METHOD_NOT_ALLOWED = define(
    "method_not_allowed",
    "invalid",
    "{method} is not allowed on {path}.",
    "{path} 不支持 {method} 方法。",
)
PARAMETER_INVALID = define(
    "parameter_invalid",
    "invalid",
    "The request has invalid parameters: {detail}.",
    "请求参数无效：{detail}。",
)
FILTER_INVALID = define(
    "filter_invalid",
    "invalid",
    "The filter {name}={value!r} cannot be used: {detail}.",
    "筛选条件 {name}={value!r} 无法使用：{detail_zh}。",
)
EXPORT_TOO_LARGE = define(
    "export_too_large",
    "invalid",
    "A spreadsheet is made for at most {cap} rows and this export has more; narrow it with a filter "
    "(organisation, project, type, business dates or amounts), or download the CSV, which has every row: {csv}.",
    "电子表格最多导出 {cap} 行，本次导出超过此数：请用筛选条件（组织、项目、类型、业务日期或金额）缩小范围，"
    "或下载包含全部条目的 CSV：{csv}。",
)
CERTIFICATE_RATE_LIMITED = define(
    "certificate_rate_limited",
    "unavailable",
    "Too many certificates asked for from {client} (at most {burst} at once, then {per_minute} a minute); "
    "try again in {retry_after} s.",
    "来自 {client} 的证书申请过多（一次最多 {burst} 份，之后每分钟 {per_minute} 份），请 {retry_after} 秒后重试。",
)
REQUEST_INVALID = define(
    "request_invalid",
    "invalid",
    "The request cannot be processed: {detail}.",
    "无法处理该请求：{detail}。",
)
REQUEST_TOO_LARGE = define(
    "request_too_large",
    "invalid",
    "The request body is larger than the {limit} bytes accepted here; send fewer entries per request.",
    "请求内容超过此处允许的 {limit} 字节，请减少每次提交的条目数。",
)
UNSUPPORTED_MEDIA_TYPE = define(
    "unsupported_media_type",
    "invalid",
    "Send the request body as {expected}, not {got}.",
    "请求内容须为 {expected}，而不是 {got}。",
)
RATE_LIMITED = define(
    "rate_limited",
    "unavailable",
    "Too many writes from {client}; try again in {retry_after} s, or send a batch.",
    "来自 {client} 的写入过于频繁，请 {retry_after} 秒后重试，或改用批量提交。",
)
NOT_AUTHENTICATED = define(
    "not_authenticated",
    "forbidden",
    "This needs a bearer token with the {scope} scope: {detail}.",
    "此操作需要具有 {scope} 权限的访问令牌：{detail_zh}。",
)
TOKEN_SCOPE_MISSING = define(
    "token_scope_missing",
    "forbidden",
    "The token {name!r} does not have the {scope} scope.",
    "令牌 {name!r} 没有 {scope} 权限。",
)
CURSOR_INVALID = define(
    "cursor_invalid",
    "invalid",
    "The cursor is not one this list gave out; start again without a cursor.",
    "翻页游标无效，请不带游标重新开始。",
)
WITNESS_UNKNOWN_KEY = define(
    "witness_unknown_key",
    "forbidden",
    "The checkpoint carries no cosignature by a witness this log trusts.",
    "该检查点没有本账本信任的见证方的副署。",
)
DATABASE_UNAVAILABLE = define(
    "database_unavailable",
    "unavailable",
    "The database is not reachable or too busy; nothing was written; try again shortly.",
    "数据库暂时无法访问或过于繁忙，未写入任何内容，请稍后重试。",
)
WRITE_CONFLICT = define(
    "write_conflict",
    "conflict",
    "The write collided with another one and nothing was written; send it again.",
    "写入与另一次写入冲突，未写入任何内容，请重新提交。",
)
INTERNAL_ERROR = define(
    "internal_error",
    "unavailable",
    "Something went wrong on our side; it was logged as {instance}. Nothing you sent was the cause.",
    "服务器内部出错，已记录为 {instance}。这不是您提交的内容造成的。",
)

# --- fuzz ---
REQUEST_UNREADABLE = define(
    "request_unreadable",
    "invalid",
    "The request cannot be read: {detail}; nothing was written.",
    "无法读取该请求：{detail_zh}；未写入任何内容。",
)
CONTENT_ENCODING_UNSUPPORTED = define(
    "content_encoding_unsupported",
    "invalid",
    "Send the request body as it is, without a Content-Encoding (this one says {encoding!r}).",
    "请求内容须按原样发送，不带 Content-Encoding（本次为 {encoding!r}）。",
)

# Codes whose status is not their kind's.
CODE_STATUS: dict[str, int] = {
    METHOD_NOT_ALLOWED: 405,
    REQUEST_TOO_LARGE: 413,
    UNSUPPORTED_MEDIA_TYPE: 415,
    CONTENT_ENCODING_UNSUPPORTED: 415,
    RATE_LIMITED: 429,
    CERTIFICATE_RATE_LIMITED: 429,
    NOT_AUTHENTICATED: 401,
    INTERNAL_ERROR: 500,
}


def status_of(code: str) -> int:
    """The HTTP status every problem with ``code`` gets."""
    if code in CODE_STATUS:
        return CODE_STATUS[code]
    spec = CATALOGUE.get(code)
    return KIND_STATUS[spec.kind] if spec else 500


def problem_body(err: LedgerError, *, status: int, instance: str) -> dict[str, Any]:
    data = err.to_dict()
    return {
        "type": PROBLEM_TYPE_PREFIX + err.code,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": err.message_en,
        "code": err.code,
        "message_zh": err.message_zh,
        "params": data["params"],
        "instance": instance,
    }


def problem_response(
    request: Request | None,
    err: LedgerError,
    *,
    status: int | None = None,
    headers: dict[str, str] | None = None,
    instance: str | None = None,
) -> Response[dict[str, Any]]:
    status = status or status_of(err.code)
    where = instance or (_where(request) if request is not None else "")  # a receipt code is never echoed
    return Response(
        problem_body(err, status=status, instance=where),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


# --- exception handlers ---------------------------------------------------------------------

# Paths answered with problem JSON whatever failed; any other path belongs to the site (when
# public_site is mounted), which answers errors with an HTML page built from the same Problem.
API_PREFIXES = ("/api/", "/tlog/", "/schema/", "/evidence/")


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES) or path.rstrip("/") in ("/api", "/tlog", "/schema", "/evidence")


@dataclass(frozen=True, slots=True)
class Problem:
    """What went wrong, as the API and the site both tell it: a typed error, the HTTP status,
    headers to send (``Allow``, ``Retry-After``, ...) and the ``instance`` it names (None: the
    request path, redacted)."""

    error: LedgerError
    status: int
    headers: dict[str, str] | None = None
    instance: str | None = None


def problem_of(request: Request, exc: Exception) -> Problem:
    """The one mapping from any exception to a :class:`Problem` (server errors are logged here)."""
    if isinstance(exc, LedgerError):
        return Problem(exc, status_of(exc.code), getattr(exc, "headers", None))
    if isinstance(exc, HTTPException):
        return _http_problem(request, exc)
    if isinstance(exc, IntegrityError):
        log.warning("write conflict on %s %s: %s", request.method, _where(request), exc.orig)
        return Problem(LedgerError(WRITE_CONFLICT), status_of(WRITE_CONFLICT))
    if isinstance(exc, OperationalError):
        log.warning("database unavailable on %s %s: %s", request.method, _where(request), exc.orig)
        return Problem(LedgerError(DATABASE_UNAVAILABLE), status_of(DATABASE_UNAVAILABLE), {"Retry-After": "1"})
    return _internal_problem(request, exc)


def _validation_problem(exc: ValidationException) -> LedgerError:
    errors = [e for e in (exc.extra if isinstance(exc.extra, list) else []) if isinstance(e, dict)]
    body_errors = [e for e in errors if e.get("source") == "body"]
    if any(e.get("message") == "'data'" for e in body_errors):  # Litestar's word for "no body at all"
        return LedgerError("malformed_json", detail="the request body is empty")
    messages = "; ".join(
        str(e.get("message")) if e.get("key") in (None, "data") else f"{e.get('key')}: {e.get('message')}"
        for e in errors
    ) or str(exc.detail)
    if body_errors:
        return LedgerError("body_invalid", detail=messages)
    return LedgerError(PARAMETER_INVALID, detail=messages, errors=errors)


def _http_problem(request: Request, exc: HTTPException) -> Problem:
    status = exc.status_code
    headers = dict(exc.headers or {})
    if isinstance(exc, ValidationException):
        return Problem(_validation_problem(exc), 400)
    if status == 400:  # bodies are read by api.requests; any other 400 of Litestar's is about reading the request
        detail = str(exc.detail)[:200]
        return Problem(LedgerError(REQUEST_UNREADABLE, detail=detail, detail_zh=detail), 400)
    if status == 404:
        err = LedgerError(ROUTE_NOT_FOUND, path=_where(request))
    elif status == 405:
        err = LedgerError(METHOD_NOT_ALLOWED, method=request.method, path=_where(request))
    elif status == 413:
        limit = request.route_handler.resolve_request_max_body_size() if _has_handler(request) else None
        err = LedgerError(REQUEST_TOO_LARGE, limit=limit if limit is not None else "allowed")
    elif status == 429:
        retry = headers.get("Retry-After", "1")
        err = LedgerError(RATE_LIMITED, client=request.client.host if request.client else "you", retry_after=retry)
    elif status == 401:
        err = LedgerError(NOT_AUTHENTICATED, scope="required", detail=str(exc.detail), detail_zh=str(exc.detail))
        headers.setdefault("WWW-Authenticate", "Bearer")
    elif status >= 500:
        return _internal_problem(request, exc)
    else:
        err = LedgerError(REQUEST_INVALID, detail=str(exc.detail))
    return Problem(err, status, headers or None)


def _internal_problem(request: Request, exc: Exception) -> Problem:
    instance = f"urn:uuid:{uuid.uuid4()}"
    log.error("unhandled error %s on %s %s", instance, request.method, _where(request), exc_info=exc)
    return Problem(LedgerError(INTERNAL_ERROR, instance=instance), 500, None, instance)


def _where(request: Request) -> str:
    """The request path as problems echo it: receipt codes redacted, at most 300 characters."""
    path = redact(request.scope["path"])  # the scope's: request.url fails on a Host it cannot parse
    return path if len(path) <= 300 else path[:300] + "…"


def _has_handler(request: Request) -> bool:
    try:
        return request.route_handler is not None
    except Exception:  # no route matched
        return False


def problem_json(request: Request, exc: Exception) -> Response[dict[str, Any]]:
    """The API's exception handler: every failure as ``application/problem+json``."""
    problem = problem_of(request, exc)
    return problem_response(
        request, problem.error, status=problem.status, headers=problem.headers, instance=problem.instance
    )


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    LedgerError: problem_json,
    HTTPException: problem_json,
    DBAPIError: problem_json,
    Exception: problem_json,
}
