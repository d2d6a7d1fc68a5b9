"""api.redaction: a receipt code in an address never reaches a log line, however it was typed."""

from __future__ import annotations

import logging
from urllib.parse import quote, quote_plus

from api.redaction import REDACTED, ReceiptCodeRedactor, install, redact

CODE = "D1234-AAAQEAYEAUDAOCAJBIFQYDIOB4-G"
FULL_WIDTH = "".join(chr(ord(ch) + 0xFEE0) for ch in CODE)


def test_codes_in_paths_and_queries_are_replaced_whatever_the_form() -> None:
    for path in (
        f"/api/v1/donations/by-receipt/{CODE}/trace",
        f"/api/v1/donations/by-receipt/{CODE.lower()}/trace",
        f"/api/v1/donations/by-receipt/{quote(FULL_WIDTH)}/trace",
        f"/verify?code={quote_plus(' '.join(CODE))}&lang=en",
        f"/verify?lang=en&code={quote(CODE.replace('-', chr(0x2014)))}",
    ):
        out = redact(path)
        assert REDACTED in out and "AAAQEAYE" not in out.upper() and "%EF%BC" not in out, (path, out)
    assert redact(f"/verify?code={CODE}&lang=en") == f"/verify?code={REDACTED}&lang=en"


def test_other_addresses_are_left_alone() -> None:
    for path in (
        "/api/v1/donations/" + "ab" * 32 + "/trace",
        "/projects/P-2026-MEALS",
        "/ledger?type=donation.received&cursor=abc",
    ):
        assert redact(path) == path


def test_the_filter_rewrites_uvicorns_access_record_and_is_installed_once() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/verify?code={CODE}", "1.1", 303),
        None,
    )
    assert ReceiptCodeRedactor().filter(record) is True
    assert record.getMessage() == f'127.0.0.1:5000 - "GET /verify?code={REDACTED} HTTP/1.1" 303'
    install()
    install()
    assert sum(isinstance(f, ReceiptCodeRedactor) for f in logging.getLogger("uvicorn.access").filters) == 1
