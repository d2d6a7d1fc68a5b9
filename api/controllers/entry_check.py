"""A dry run of an append: ``POST /api/v1/entries/check`` runs the log's rules and writes nothing.

Forms check an entry before their user signs it; API clients can do the same. The body is one
submission or a list of them (checked together, as an atomic batch: a correction and its
replacement), each ``{"body": {...}}`` (not signed yet) or ``{"body": {...}, "sig": base64}``.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any, ClassVar

import anyio
from litestar import Controller, Request, post
from litestar.params import Body
from msgspec import Meta

from api.openapi import WRITE_PROBLEMS, problems
from api.params import LedgerDep
from api.schemas import EntryBody, Submission, _Schema
from api.security import body_limit, rate_limit, require_media_type
from ledger.errors import LedgerError
from ledger.protocol.canonical import parse_json
from ledger.protocol.entry import parse_submission
from ledger.protocol.grammar import schema_pattern
from ledger.store.dry_run import Checked, dry_run, unsigned_entry


class CheckSubmission(_Schema, forbid_unknown_fields=True):
    """An entry to check: its body, and its signature if it is signed already."""

    body: EntryBody
    sig: Annotated[str, Meta(pattern=schema_pattern("b64_sig"), min_length=88, max_length=88)] | None = None

    # an unsigned body, checked before it is signed (the signed form is Submission's example)
    __example__: ClassVar[Any] = {"body": Submission.__example__["body"]}


class CheckedEntry(_Schema):
    """An entry the log would take now."""

    type: str
    signing_message: str  # base64 of b"charity-ledger/entry/v1\n" + JCS(body): the bytes to sign
    canonical: str  # JCS(body) as text: what the signer reviews
    signature_checked: bool
    existing: bool  # an identical entry is stored already (a retry would answer it)

    __example__: ClassVar[Any] = {
        "type": "donation.received",
        "signing_message": "Y2hhcml0eS1sZWRnZXIvZW50cnkvdjEKeyJhdCI6Ii4uLiJ9",
        "canonical": '{"at":"..."}',
        "signature_checked": False,
        "existing": False,
    }


class CheckResult(_Schema):
    """Every entry passed every rule; nothing was written."""

    ok: bool
    entries: list[CheckedEntry]

    __example__: ClassVar[Any] = {
        "ok": True,
        "entries": [
            {
                "type": "donation.received",
                "signing_message": "Y2hhcml0eS1sZWRnZXIvZW50cnkvdjEKeyJhdCI6Ii4uLiJ9",
                "canonical": '{"at":"..."}',
                "signature_checked": False,
                "existing": False,
            }
        ],
    }


def parse_check_body(raw: bytes) -> tuple[list[Any], list[bool]]:
    """The entries of a check request and whether each is signed (typed 400s for bad shapes)."""
    value = parse_json(raw)
    items = value if isinstance(value, list) else [value]
    entries: list[Any] = []
    signed: list[bool] = []
    for item in items:
        if not isinstance(item, dict) or "body" not in item or not set(item) <= {"body", "sig"}:
            raise LedgerError(
                "body_invalid", detail='an entry to check is {"body": {...}} or {"body": {...}, "sig": "<base64>"}'
            )
        if item.get("sig") is None:
            entries.append(unsigned_entry(item["body"]))
            signed.append(False)
        else:
            entries.append(parse_submission(item))
            signed.append(True)
    return entries, signed


def checked_json(checked: Checked) -> dict[str, Any]:
    return {
        "type": checked.type,
        "signing_message": base64.b64encode(checked.signing_message).decode(),
        "canonical": checked.signing_message.split(b"\n", 1)[1].decode("utf-8"),
        "signature_checked": checked.signature_checked,
        "existing": checked.existing,
    }


class EntryCheckController(Controller):
    path = "/api/v1/entries/check"
    tags = ("entries",)

    @post(
        "/",
        operation_id="checkEntries",
        status_code=200,
        guards=[rate_limit, require_media_type("application/json"), body_limit("max_batch_bytes")],
        responses=problems(*WRITE_PROBLEMS),
        response_description="Every entry passed every rule the log would apply now; nothing was written.",
    )
    async def check(
        self,
        request: Request,  # type: ignore[type-arg]
        data: Annotated[CheckSubmission | list[CheckSubmission], Body(title="entries to check")],
        ledger: LedgerDep,
    ) -> CheckResult:
        """Run the append rules on one entry (or a batch) without writing anything.

        The same checks as ``POST /api/v1/entries`` (``/batch`` for a list), in the same order,
        with the same problem answers: a wrong ``data`` names every wrong field at once in
        ``params.problems``. An entry without ``sig`` is checked as if it were signed by its
        ``signer``; the answer gives the exact bytes to sign. A pass is advice, not a
        reservation: another entry may be appended in between."""
        entries, signed = parse_check_body(await request.body())
        checked = await anyio.to_thread.run_sync(dry_run, ledger.log, entries, signed)
        return CheckResult(ok=True, entries=[CheckedEntry(**checked_json(c)) for c in checked])
