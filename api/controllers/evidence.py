"""Evidence files: upload (signed by a key granted in the log) and serve by SHA-256.

``POST /api/v1/evidence`` takes a multipart form with ``file`` and ``visibility`` (``public`` or
``restricted``) and an ``X-Evidence-Signature: <key id>:<base64 signature>`` header, the
signature of ``"charity-ledger/evidence/v1\\n" + sha256 hex of the file + "\\n" + visibility +
"\\n"`` by a granted, unrevoked key of an active organisation (docs/protocol.md). It answers
``{"sha256","size","media_type","visibility"}``: 201 for a new file, 200 for one held already.
Nothing is stored when anything is refused.

``GET /evidence/{sha256}`` serves a public file, with headers that keep a browser from running
anything in it; a restricted file is 403 to the public and readable with a bearer token with
the ``regulator`` or ``overseer`` scope (``charity-ledger token create``).
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.openapi import ResponseSpec
from litestar.params import PathParameter

from api.openapi import problems
from api.params import LedgerDep
from api.problems import CODE_STATUS
from api.security import rate_limit, require_media_type
from api.tokens import check_token
from ledger.errors import LedgerError
from ledger.store import evidence_content
from ledger.store.evidence import (
    SIGNATURE_HEADER,
    check_hash,
    check_upload_signature,
    check_visibility,
    max_bytes_from_env,
    open_evidence,
)
from ledger.store.evidence_thumbnails import thumbnail

audit = logging.getLogger("api.audit")

READ_SCOPES = ("regulator", "overseer")
# Checked by the handler (not a pattern here), so a malformed hash is the typed evidence_hash_invalid.
Sha256 = Annotated[str, PathParameter(description="The file's SHA-256 (64 lowercase hex digits).")]
MULTIPART_OVERHEAD = 64 * 1024  # the form's boundaries and part headers around the file

CODE_STATUS.update(
    {
        "evidence_too_large": 413,
        "evidence_signature_missing": 401,
        "evidence_signature_invalid": 401,
    }
)

IMMUTABLE = "public, max-age=31536000, immutable"
# Nothing in a served file may run: no script, no plugin, no form, no frame around it. Images
# and text are also sandboxed; PDFs are not, as a browser's built-in PDF viewer may refuse to open
# a sandboxed document (PDF JavaScript and other active content are refused at upload instead).
_NOTHING_RUNS = "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
CSP_PDF = f"default-src 'none'; script-src 'none'; object-src 'none'; {_NOTHING_RUNS}"
CSP_OTHER = f"default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; {_NOTHING_RUNS}; sandbox"


def _size_guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """A declared body larger than the evidence limit is refused before anything is read."""
    limit = open_evidence(connection.app.state.ledger).max_bytes
    declared = connection.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit + MULTIPART_OVERHEAD:
        raise LedgerError("evidence_too_large", limit=limit)


def _signature_guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """An upload without a signature is refused before its body is read."""
    if not (connection.headers.get(SIGNATURE_HEADER) or "").strip():
        raise LedgerError("evidence_signature_missing")


def served_headers(sha256: str, media_type: str, *, public: bool) -> dict[str, str]:
    ext = evidence_content.EXTENSION.get(media_type, "bin")
    return {
        "Content-Disposition": f'inline; filename="{sha256}.{ext}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": CSP_PDF if media_type == evidence_content.PDF else CSP_OTHER,
        "Cache-Control": IMMUTABLE if public else "private, no-store",
        "Cross-Origin-Resource-Policy": "same-origin",
    }


def _reader_token(request: Request, ledger: Any) -> Any:
    header = request.headers.get("authorization", "")
    kind, _, token = header.partition(" ")
    if kind.lower() != "bearer" or not token.strip():
        return None
    info = check_token(ledger.engine, token.strip())
    if info is None or not any(info.has(scope) for scope in READ_SCOPES):
        return None
    return info


async def read_upload(request: Request, limit: int) -> tuple[bytes, str, str | None]:  # type: ignore[type-arg]
    """The one ``file`` part (at most ``limit`` bytes), its checked ``visibility`` and its name."""
    form = await request.form()
    files = form.getall("file") if "file" in form else []
    visibilities = form.getall("visibility") if "visibility" in form else []
    if len(files) != 1 or isinstance(files[0], str):
        raise LedgerError(
            "evidence_upload_invalid",
            detail="send exactly one file part named file",
            detail_zh="须上传且仅上传一个名为 file 的文件",
        )
    if len(visibilities) != 1 or not isinstance(visibilities[0], str):
        raise LedgerError(
            "evidence_upload_invalid",
            detail="send one visibility field (public or restricted)",
            detail_zh="须提供一个 visibility 字段（public 或 restricted）",
        )
    upload = files[0]
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise LedgerError("evidence_too_large", limit=limit)
    return data, check_visibility(visibilities[0]), upload.filename


def _readable(request: Request, ledger: Any, sha256: str) -> tuple[Any, bytes]:  # type: ignore[type-arg]
    """The record and bytes of a file the request may read: public, or restricted with a bearer
    token with the regulator or overseer scope (each such read is audited)."""
    check_hash(sha256)
    store = open_evidence(ledger)
    info = store.info(sha256)
    if info is None:
        raise LedgerError("evidence_not_found", sha256=sha256)
    if not info.public:
        token = _reader_token(request, ledger)
        if token is None:
            raise LedgerError("evidence_restricted", sha256=sha256, scope=" or ".join(READ_SCOPES))
        audit.info("restricted evidence %s read with token %s (%s)", sha256, token.id, token.name)
    return store.read(sha256)


class EvidenceController(Controller):
    """Invoices, contracts, photos and disclosures behind entries, named by their SHA-256."""

    path = "/"
    tags = ("evidence",)

    @post(
        "/api/v1/evidence",
        operation_id="uploadEvidence",
        guards=[rate_limit, _signature_guard, require_media_type("multipart/form-data"), _size_guard],
        request_max_body_size=max_bytes_from_env() + MULTIPART_OVERHEAD,
        responses={
            200: ResponseSpec(data_container=dict[str, Any], description="The file was held already: its record."),
            **problems(400, 401, 403, 409, 413, 415, 422, 429, 503),
        },
        response_description="Stored: sha256 (of the bytes the public can fetch), size, media_type, visibility.",
    )
    async def upload(self, request: Request, ledger: LedgerDep) -> Response[dict[str, Any]]:
        """Upload an evidence file (multipart ``file`` and ``visibility``), signed by a granted key
        in ``X-Evidence-Signature``. Images are stored cleaned of their metadata, so the answer's
        ``sha256`` (the hash entries should name) is that of the cleaned copy."""
        store = open_evidence(ledger)
        data, visibility, filename = await read_upload(request, store.max_bytes)
        signer = await anyio.to_thread.run_sync(
            check_upload_signature, ledger.engine, request.headers.get(SIGNATURE_HEADER), data, visibility
        )

        def store_it() -> tuple[Any, bool]:
            return store.add(data, visibility, filename=filename, uploaded_by=signer)

        stored, created = await anyio.to_thread.run_sync(store_it)
        return Response(stored.answer(), status_code=201 if created else 200)

    @get(
        "/evidence/{sha256:str}/thumbnail.png",
        operation_id="getEvidenceThumbnail",
        sync_to_thread=True,
        include_in_schema=False,
        responses=problems(400, 403, 404, 503),
        media_type="image/png",
    )
    def thumbnail(self, request: Request, ledger: LedgerDep, sha256: Sha256) -> Response[bytes]:
        """A small PNG of a file: a PDF's first page, or the photo (404 for text); restricted
        files as the file itself is."""
        info, data = _readable(request, ledger, sha256)
        png = thumbnail(sha256, data, info.media_type)
        if png is None:
            raise LedgerError("evidence_not_found", sha256=sha256)
        return Response(png, media_type="image/png", headers=served_headers(sha256, "image/png", public=info.public))

    @get(
        "/evidence/{sha256:str}",
        operation_id="getEvidence",
        sync_to_thread=True,
        include_in_schema=False,  # a file, not part of the API (like the site's pages)
        responses=problems(400, 403, 404, 503),
        media_type="application/octet-stream",
    )
    def serve(self, request: Request, ledger: LedgerDep, sha256: Sha256) -> Response[bytes]:
        """The evidence file whose SHA-256 is ``sha256`` (its bytes hash to its name). A
        restricted file needs a bearer token with the regulator or overseer scope."""
        info, data = _readable(request, ledger, sha256)
        return Response(
            data, media_type=info.media_type, headers=served_headers(sha256, info.media_type, public=info.public)
        )
