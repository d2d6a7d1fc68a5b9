"""The donor's side of receipts (issue 14, item 8), beside ``/verify``:

- ``POST /verify/certificate`` (form field ``code``): "download my certificate": the personal
  donation receipt (``reports.kinds.receipt``) as a PDF, built for the holder of the receipt code
  once the code proves itself against the log; never stored, never listed, never cached;
- ``POST /verify/order`` (form field ``order_no``): look a donation up by the payment platform's
  order number, which the import wizard kept only as a keyed hash in the private
  ``donor_order`` table. The answer is the same page as a receipt code's, without the
  certificate (an order number is not the receipt's secret).
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template

from ledger.domain.privacy import RECEIPT_TEXT_MAX
from ledger.errors import LedgerError
from ledger.store import imports as I
from ledger.store import reads
from ledger.store.db import read_transaction
from ledger.store.runtime import Ledger
from public_site.templating import render, request_locale
from public_site.views import verify_result
from reports.common import ReportRequest, render_pdf
from reports.issue import build_from_ledger

FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
CODE_ERRORS = ("receipt_code_invalid", "receipt_code_checksum", "receipt_not_found")


def _error_page(request: Request, exc: LedgerError, code: str = "") -> Template:  # type: ignore[type-arg]
    locale, _ = request_locale(request)
    return render(
        request,
        "verify.html",
        nav="verify",
        result=None,
        error=exc.message_zh if locale == "zh_CN" else exc.message_en,
        code=code[:RECEIPT_TEXT_MAX],
        status=404 if exc.code in ("receipt_not_found", I.ORDER_NOT_FOUND) else 400,
        cache="no-store",
    )


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

    @post("/certificate", name="site:verify-certificate", status_code=200)
    async def certificate(self, request: Request, ledger: NamedDependency[Ledger], data: FormData) -> Any:  # type: ignore[type-arg]
        code = str(data.get("code", ""))[: RECEIPT_TEXT_MAX + 1]
        site = str(request.base_url).rstrip("/")
        try:
            stem, pdf = await anyio.to_thread.run_sync(_certificate, ledger, code, site)
        except LedgerError as exc:
            if exc.code not in (*CODE_ERRORS, "not_found"):
                raise
            return _error_page(request, exc, code)
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
            return _error_page(request, exc)
        return verify_result(request, ledger, row, note="order")


__all__ = ["DonorReceipts"]
