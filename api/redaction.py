"""Receipt codes never reach a log.

The API and the site take receipt codes only in request bodies, but a client may still put one in
an address (an old bookmark of a removed ``GET`` route, a hand-made ``?code=``). Uvicorn's access
log prints every request's path and query, and the ``api`` logger names the path of a server
error, so :class:`ReceiptCodeRedactor` rewrites, in every record of those loggers, each part of
a path or query (split at ``/ ? & = # ;``) that reads as a receipt code once percent-decoded and
normalised (:func:`ledger.domain.privacy.looks_like_receipt_code`) to ``[receipt-code]``.
:func:`install` adds it to the loggers once per process (the app factory calls it, so every
uvicorn worker has it).
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import unquote_plus

from ledger.domain.privacy import looks_like_receipt_code

REDACTED = "[receipt-code]"
LOGGERS = ("uvicorn.access", "uvicorn.error", "api", "litestar")
_PARTS = re.compile(r"([/?&=#;\s\"']+)")


def redact(text: str) -> str:
    """``text`` with each path or query part that reads as a receipt code replaced."""
    pieces = _PARTS.split(text)
    changed = False
    for i, piece in enumerate(pieces):
        if i % 2 == 0 and piece and looks_like_receipt_code(unquote_plus(piece)):
            pieces[i] = REDACTED
            changed = True
    return "".join(pieces) if changed else text


def _redact_value(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class ReceiptCodeRedactor(logging.Filter):
    """Rewrites a record's message and string arguments; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_value(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _redact_value(v) for k, v in record.args.items()}
        return True


def install() -> None:
    """Add the filter to :data:`LOGGERS` (once: calling again adds nothing)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, ReceiptCodeRedactor) for f in logger.filters):
            logger.addFilter(ReceiptCodeRedactor())
