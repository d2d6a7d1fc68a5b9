"""Signed entries: submit one or a batch, and read them back."""

from __future__ import annotations

from typing import Any

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody

from api import queries
from api.openapi import READ_PROBLEMS, WRITE_PROBLEMS, problems
from api.pagination import Cursor, Limit
from api.params import EntryType, Idem, LeafHash, LedgerDep, Order, Org, ProjectId, Seq, Signer, Since, Until
from api.queries import parse_time_param
from api.schemas import AppendResult, BatchResult, Entry, EntryPage, Submission
from api.security import write_checks
from ledger.protocol.canonical import json_value, parse_json
from ledger.protocol.entry import parse_submission
from ledger.store.log_store import AppendResult as StoredResult

JSON = "application/json"


def _origin(checkpoint: str) -> str:
    """The origin line of a signed checkpoint: the log it is of."""
    return checkpoint.split("\n", 1)[0]


def result_json(result: StoredResult) -> dict[str, Any]:
    """An append result as answered: the store's fields (``seq`` and the proof are of the
    entry's own log) with ``log``, that log's origin, and ``position``, the entry's place in the
    chain of logs (the ``seq`` of /api/v1/entries/{seq} and of the registry's reads)."""
    return result.to_json() | {"log": _origin(result.checkpoint), "position": result.pos}


def _append_response(result: StoredResult) -> Response[dict[str, Any]]:
    # The log committed before we get here: a failed commit raised and never reaches a 2xx.
    return Response(result_json(result), status_code=200 if result.existing else 201)


class EntriesController(Controller):
    """The log's entries: the signature of each is its authentication."""

    path = "/api/v1/entries"
    tags = ("entries",)

    @post(
        "/",
        operation_id="submitEntry",
        before_request=write_checks(JSON, "max_entry_bytes"),
        responses={
            200: ResponseSpec(
                data_container=AppendResult,
                description="An identical earlier submission (same signer, idem and body): the stored entry.",
            ),
            **problems(*WRITE_PROBLEMS),
        },
        response_description="Appended: seq, leaf hash, and the inclusion proof against the signed checkpoint.",
    )
    async def submit(self, request: Request, data: JSONBody[Submission]) -> Response[AppendResult]:
        """Append one signed entry ``{"body": {...}, "sig": base64}``.

        201 with the new entry's place and proof; 200 with the same answer for an idempotent
        retry (same signer, ``idem`` and body). A refused entry writes nothing (4xx problem
        with the rule's code; 422 for a rule, 409 for an ``idem`` reused with another body).
        """
        # the body as read for ``data`` (api.requests: strictly, no duplicate keys, exact
        # numbers), held by the request; checked against the protocol's limits here
        # the log the entry names is checked by the store, which knows the chain
        entry = parse_submission(json_value(await request.json()))
        # appended together with the submissions that arrive meanwhile (api.coalescer)
        result = await request.app.state.appender.submit(entry)
        return _append_response(result)

    @post(
        "/batch",
        operation_id="submitEntryBatch",
        before_request=write_checks(JSON, "max_batch_bytes"),
        responses={
            200: ResponseSpec(
                data_container=BatchResult, description="Every entry was an idempotent retry: nothing new was written."
            ),
            **problems(*WRITE_PROBLEMS),
        },
        response_description="The batch was appended atomically, in the order sent.",
    )
    async def submit_batch(
        self, request: Request, data: JSONBody[list[Submission]], ledger: LedgerDep
    ) -> Response[BatchResult]:
        """Append up to 1,000 signed entries atomically: all of them or none.

        A refused entry refuses the whole batch (code ``batch_entry_refused``, with the
        position and the inner code in ``params``). Entries may depend on earlier ones in the
        same batch (a key granted at position 0 signs at position 1).
        """
        raw = await request.body()
        # each entry is parsed without naming the log: the store judges the log an entry names
        # (the retry of one stored in a sealed log, log_sealed, another registry's wrong_log)
        results = await anyio.to_thread.run_sync(ledger.log.submit_batch, parse_json(raw))
        checkpoint = results[0].checkpoint
        items = []
        for r in results:
            item = result_json(r)
            if r.checkpoint == checkpoint:  # else a retry of an entry stored in a sealed log: its own
                del item["checkpoint"]
            items.append(item)
        body = {"size": results[0].tree_size, "checkpoint": checkpoint, "items": items}
        return Response(body, status_code=200 if all(r.existing for r in results) else 201)

    @get("/", operation_id="listEntries", sync_to_thread=True, responses=problems(*READ_PROBLEMS))
    def list_entries(
        self,
        ledger: LedgerDep,
        type_: EntryType = None,
        org: Org = None,
        project: ProjectId = None,
        signer: Signer = None,
        idem: Idem = None,
        since: Since = None,
        until: Until = None,
        order: Order = "asc",
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> EntryPage:
        """Entries in seq order, filtered by type, signing organisation, project, signer key, the
        signer's request id (``idem``: finds a submission again) and log time (``since``
        inclusive, ``until`` exclusive)."""
        body = queries.list_entries(
            ledger.engine,
            limit=limit,
            cursor=cursor,
            descending=order == "desc",
            type_=type_,
            signer=signer,
            idem=idem,
            org=org,
            project=project,
            since=parse_time_param(since, "since"),
            until=parse_time_param(until, "until"),
        )
        return EntryPage(**body)

    @get("/{seq:int}", operation_id="getEntryBySeq", sync_to_thread=True, responses=problems(*READ_PROBLEMS))
    def by_seq(self, ledger: LedgerDep, seq: Seq) -> Entry:
        """One entry by its seq."""
        return queries.get_entry(ledger.engine, seq=seq)

    @get(
        "/by-hash/{leaf_hash:str}",
        operation_id="getEntryByLeafHash",
        sync_to_thread=True,
        responses=problems(*READ_PROBLEMS),
    )
    def by_hash(self, ledger: LedgerDep, leaf_hash: LeafHash) -> Entry:
        """One entry by its leaf hash (its id)."""
        return queries.get_entry(ledger.engine, leaf_hash=leaf_hash)
