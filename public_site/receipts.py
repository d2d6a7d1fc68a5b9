"""The donor's side of receipts (issue 14, item 8), beside ``/verify``:

- ``POST /verify/certificate`` (form field ``code``): "download my certificate": the personal
  donation receipt (``reports.kinds.receipt``) as a PDF, built for the holder of the receipt code
  once the code proves itself against the log; never stored, never listed, never cached;
- ``POST /verify/order`` (form field ``order_no``): look a donation up by the payment platform's
  order number, which the import wizard kept only as a keyed hash in the private
  ``donor_order`` table. The answer is the same page as a receipt code's, without the
  certificate (an order number is not the receipt's secret).

A certificate is a PDF built on request (a second or so of a worker), so it has a rate limit of
its own per client address (:data:`CERTIFICATE_BURST` at once, then :data:`CERTIFICATE_RATE`
a second), counted with the API's :class:`api.security.RateLimiter` in the store the settings
name (Redis: shared by every process), before the code is read. Whatever a client sends wrong
is a typed error on the verify page or the site's error page, in both languages.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.enums import MediaType, RequestEncodingType
from litestar.exceptions import HTTPException
from litestar.params import Body
from litestar.response import Template

from api.problems import CERTIFICATE_RATE_LIMITED
from api.security import RateLimiter, app_limiter
from ledger.domain.privacy import RECEIPT_TEXT_MAX, parse_receipt_code
from ledger.errors import LedgerError
from ledger.store import imports as I
from ledger.store import reads
from ledger.store.db import read_transaction
from ledger.store.runtime import Ledger
from public_site.views import error_page, verify_error, verify_result
from reports.common import ReportRequest, render_pdf
from reports.issue import build_from_ledger

FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
CODE_ERRORS = ("receipt_code_invalid", "receipt_code_checksum", "receipt_not_found")
CERTIFICATE_BURST = 5
CERTIFICATE_RATE = 0.1  # a second, in the long run (6 a minute)


def _certificate_limiter(request: Request) -> RateLimiter:  # type: ignore[type-arg]
    """The certificates' own count (made once per app, in the event loop)."""
    return app_limiter(
        request.app.state, "certificate_limiter", "charity-ledger-certificates", CERTIFICATE_RATE, CERTIFICATE_BURST
    )


def _take_certificate(limiter: RateLimiter, client: str) -> None:
    """One certificate from the client address's count, or a 429 with Retry-After."""
    try:
        limiter.check(client)
    except LedgerError as exc:
        retry = exc.params.get("retry_after", 1)
        err = LedgerError(
            CERTIFICATE_RATE_LIMITED,
            client=client,
            burst=CERTIFICATE_BURST,
            per_minute=f"{CERTIFICATE_RATE * 60:g}",
            retry_after=retry,
        )
        err.headers = {"Retry-After": str(retry)}  # type: ignore[attr-defined]
        raise err from None


def _certificate(ledger: Ledger, code: str, site: str) -> tuple[str, bytes]:
    doc = build_from_ledger(ledger, ReportRequest(kind="receipt", donation=code.strip(), personal=True, site_url=site))
    return doc.stem, render_pdf(doc)


def _by_order(ledger: Ledger, order_no: str) -> reads.Donation:
    seq = None
    settings = ledger.settings
    if settings.privacy_key or settings.privacy_key_path.exists():
        seq = I.find_order(ledger.engine, I.order_key(settings), order_no)
    if seq is None:
        raise LedgerError(I.ORDER_NOT_FOUND)
    with read_transaction(ledger.engine) as conn:
        donation = reads.donation_at(conn, seq)
    if donation is None:
        raise LedgerError(I.ORDER_NOT_FOUND)
    return donation


class DonorReceipts(Controller):
    path = "/verify"
    include_in_schema = False
    exception_handlers = {LedgerError: error_page, HTTPException: error_page, Exception: error_page}  # noqa: RUF012 (Litestar reads these class attributes)

    @post("/certificate", name="site:verify-certificate", status_code=200, media_type=MediaType.HTML)
    async def certificate(self, request: Request, ledger: NamedDependency[Ledger], data: FormData) -> Any:  # type: ignore[type-arg]
        client = request.client.host if request.client else "unknown"
        await anyio.to_thread.run_sync(
            _take_certificate, _certificate_limiter(request), client
        )  # the store may be Redis
        code = str(data.get("code", ""))[: RECEIPT_TEXT_MAX + 1]
        site = str(request.base_url).rstrip("/")
        try:
            parse_receipt_code(code)  # a code of the wrong form is the look-up form's answer, as on /verify
            stem, pdf = await anyio.to_thread.run_sync(_certificate, ledger, code, site)
        except LedgerError as exc:
            if exc.code not in (*CODE_ERRORS, "not_found"):
                raise
            return verify_error(request, exc, code)
        return Response(
            pdf,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="{stem}.pdf"',
                "Cache-Control": "no-store",
                "Referrer-Policy": "no-referrer",
            },
        )

    @post("/order", name="site:verify-order", sync_to_thread=True, status_code=200)
    def order(self, request: Request, ledger: NamedDependency[Ledger], data: FormData) -> Template:  # type: ignore[type-arg]
        order_no = str(data.get("order_no", "")).strip().lstrip("`'")
        try:
            row = _by_order(ledger, order_no)
        except LedgerError as exc:
            return verify_error(request, exc)
        return verify_result(request, ledger, row, note="order")


__all__ = ["DonorReceipts"]
