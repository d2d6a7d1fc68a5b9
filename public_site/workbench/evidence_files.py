"""Evidence in the workbench: a signed-in person uploads the invoice, contract or photo behind an
entry before signing it, and overseers, regulators and the organisation's own staff read the
files held back from the public.

``POST /workbench/api/evidence`` takes the same multipart form as the API's signed upload
(``file``, ``visibility`` = ``public`` | ``restricted``) with the session's CSRF token in
``X-CSRF-Token`` instead of a key's signature (DESIGN section 8: "by a signed-in staff member or
with a signed upload"); it answers the API's ``{"sha256","size","media_type","visibility"}``,
the hash the entry's ``evidence`` list should name. The upload is recorded in the workbench's
audit log. A redacted public copy and a restricted original are two uploads whose two hashes the
entry names.

``GET /workbench/evidence/{sha256}`` serves a file to a signed-in overseer, regulator or the
registrar, and to the staff of the organisation whose person uploaded it; public files are
served to everyone at ``/evidence/{sha256}``.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency

from api.controllers.evidence import MULTIPART_OVERHEAD, Sha256, read_upload, served_headers
from ledger.errors import LedgerError
from ledger.store import accounts as A
from ledger.store.evidence import StoredEvidence, check_hash, max_bytes_from_env, open_evidence
from ledger.store.reads import chain
from ledger.store.runtime import Ledger
from public_site.workbench.auth import client_of
from public_site.workbench.session import Account, current_account, require_roles

LedgerDep = NamedDependency[Ledger]
audit = logging.getLogger("api.audit")

READERS = ("overseer", "regulator", "registrar")
UPLOADERS = ("org_admin", "fundraiser", "implementer", "staff")
ACCOUNT_PREFIX = "account:"  # evidence_file.uploaded_by of a workbench upload (else a key id)


def _signed_in(request: Request) -> Account:  # type: ignore[type-arg]
    account = current_account(request)
    if account is None:  # the guard has run; this keeps the type checker honest
        raise LedgerError("forbidden", detail="sign in first", detail_zh="请先登录")
    return account


def uploader_organisation(ledger: Ledger, info: StoredEvidence) -> str | None:
    """The organisation of whoever uploaded a file: the account's (a workbench upload) or the
    signing key's (an API upload); None for the CLI's uploads."""
    by = info.uploaded_by
    if by is None:
        return None
    if by.startswith(ACCOUNT_PREFIX):
        suffix = by[len(ACCOUNT_PREFIX) :]
        record = A.get_account(ledger.engine, int(suffix)) if suffix.isdigit() else None
        return None if record is None else record.organisation
    with ledger.engine.connect() as conn:
        return chain.key_org(conn, by)


def may_read(ledger: Ledger, account: Account, info: StoredEvidence) -> bool:
    """Public files are everyone's; a restricted one is for overseers, regulators, the registrar
    and the staff of the uploader's organisation."""
    if info.public or account.has(*READERS):
        return True
    return account.organisation is not None and account.organisation == uploader_organisation(ledger, info)


class WorkbenchEvidence(Controller):
    path = "/workbench"
    include_in_schema = False
    signature_namespace = {"Ledger": Ledger}  # noqa: RUF012 (Litestar reads this class attribute)

    @post(
        "/api/evidence",
        guards=[require_roles(*UPLOADERS)],
        request_max_body_size=max_bytes_from_env() + MULTIPART_OVERHEAD,
    )
    async def upload(self, request: Request, ledger: LedgerDep) -> Response[dict[str, Any]]:  # type: ignore[type-arg]
        account = _signed_in(request)
        if account.organisation is None:
            raise LedgerError(
                "evidence_upload_invalid",
                detail="only the staff of an organisation upload evidence",
                detail_zh="只有机构工作人员可以上传凭证",
            )
        store = open_evidence(ledger)
        data, visibility, filename = await read_upload(request, store.max_bytes)

        def keep() -> tuple[StoredEvidence, bool]:
            stored, created = store.add(
                data, visibility, filename=filename, uploaded_by=f"{ACCOUNT_PREFIX}{account.id}"
            )
            A.record_audit(
                ledger.engine,
                "evidence_uploaded",
                f"{stored.sha256} {stored.visibility} {stored.media_type} {stored.size}",
                account_id=account.id,
                actor_id=account.id,
                client=client_of(request.scope),
            )
            return stored, created

        stored, created = await anyio.to_thread.run_sync(keep)
        return Response(stored.answer(), status_code=201 if created else 200)

    @get("/evidence/{sha256:str}", guards=[require_roles()], sync_to_thread=True)
    def read(self, request: Request, ledger: LedgerDep, sha256: Sha256) -> Response[bytes]:  # type: ignore[type-arg]
        account = _signed_in(request)
        check_hash(sha256)
        store = open_evidence(ledger)
        info = store.info(sha256)
        if info is None:
            raise LedgerError("evidence_not_found", sha256=sha256)
        if not may_read(ledger, account, info):
            raise LedgerError("evidence_restricted", sha256=sha256, scope=" or ".join(READERS))
        if not info.public:
            audit.info("restricted evidence %s read by account %s", sha256, account.login)
        info, data = store.read(sha256)
        return Response(data, media_type=info.media_type, headers=served_headers(sha256, info.media_type, public=False))
