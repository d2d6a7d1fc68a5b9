"""The log's public protocol (DESIGN section 3): checkpoints, proofs, leaves, witnesses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.datastructures import CacheControlHeader
from litestar.enums import MediaType
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Example
from litestar.openapi.spec import OpenAPIMediaType
from litestar.openapi.spec import Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import QueryParameter, RawBody
from sqlalchemy import func, select

from ledger import merkle
from ledger.checkpoint import Checkpoint, verify_checkpoint, verify_cosignatures
from ledger.errors import LedgerError
from ledger.note import add_signatures, parse_note
from ledger.store.db import read_transaction
from ledger.store.export import log_vkey
from ledger.store.log_tables import Cosignature
from ledger.store.runtime import Ledger
from ledger.witness_protocol import (
    MAX_REQUEST_BYTES,
    SIZE_CONTENT_TYPE,
    WITNESS_OLD_SIZE_MISMATCH,
    WITNESS_ROOT_MISMATCH,
    WITNESS_UNKNOWN_LOG,
    check_add_checkpoint,
    cosignature_response_body,
    parse_add_checkpoint_request,
    size_response_body,
)

from ..config import CHECKPOINTS_PAGE_MAX, ENTRIES_PAGE_MAX
from ..openapi import problems
from ..pagination import Cursor, decode_cursor, page
from ..params import MAX_INT, ApiSettingsDep, LeafHashQuery, LedgerDep, Size
from ..problems import PARAMETER_INVALID, WITNESS_UNKNOWN_KEY
from ..schemas import CHECKPOINT_EXAMPLE, CheckpointPage, CheckpointRef, ConsistencyProof, InclusionProof
from ..security import body_limit, rate_limit, require_media_type

NDJSON = "application/x-ndjson"
COSIG = Cosignature.__table__
ADD_CHECKPOINT_EXAMPLE = "old 41\nq1ZCw0Yl8Ke6r3x5lF0m9f1mJ6tq0kGq2bHc3M2s0xE=\n\n" + CHECKPOINT_EXAMPLE
IMMUTABLE = CacheControlHeader(public=True, max_age=31_536_000, immutable=True)
NO_CACHE = CacheControlHeader(no_cache=True)


def note_size(note: str) -> int:
    return Checkpoint.parse(parse_note(note).text).size


def with_cosignatures(ledger: Ledger, note: str, size: int) -> str:
    """The signed note with the witness cosignatures the log holds for its size (C2SP style:
    extra signature lines, which verifiers that do not know the witness keys ignore)."""
    lines = ledger.log.cosignatures(size)
    return add_signatures(note, lines) if lines else note


def latest_cosigned_size(ledger: Ledger, witness: str) -> int:
    with read_transaction(ledger.engine) as conn:
        size = conn.execute(select(func.max(COSIG.c.size)).where(COSIG.c.witness == witness)).scalar_one_or_none()
    return int(size or 0)


@dataclass
class AddCheckpointOperation(Operation):
    """The add-checkpoint operation, with its text/plain request body documented (the handler
    reads the raw bytes, which Litestar does not describe)."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            description=(
                "C2SP tlog-witness: 'old <size>', the consistency proof from that size (base64 lines), an empty "
                "line, then the signed checkpoint carrying the witness's cosignature line."
            ),
            content={
                "text/plain": OpenAPIMediaType(
                    schema=Schema(type=OpenAPIType.STRING, max_length=MAX_REQUEST_BYTES, examples=[ADD_CHECKPOINT_EXAMPLE]),
                    examples={"request": Example(value=ADD_CHECKPOINT_EXAMPLE)},
                )
            },
        )


class LogController(Controller):
    """Checkpoints, proofs and leaves of the transparency log."""

    path = "/api/v1/log"
    tags = ["log"]

    @get(
        "/checkpoint",
        operation_id="getLatestCheckpoint",
        media_type=MediaType.TEXT,
        sync_to_thread=True,
        cache_control=NO_CACHE,
        responses=problems(503),
        response_description="The latest signed checkpoint (C2SP tlog-checkpoint), with the witness cosignatures the log holds.",
    )
    def latest_checkpoint(self, ledger: LedgerDep) -> str:
        """The latest checkpoint as a C2SP signed note, with witness cosignature lines."""
        note = ledger.log.latest_checkpoint()
        return with_cosignatures(ledger, note, note_size(note))

    @get(
        "/checkpoint/{size:int}",
        operation_id="getCheckpointAtSize",
        media_type=MediaType.TEXT,
        sync_to_thread=True,
        cache_control=CacheControlHeader(public=True, max_age=60),
        responses=problems(400, 404, 503),
        response_description="The checkpoint the log signed at this tree size, with cosignatures.",
    )
    def checkpoint_at(self, ledger: LedgerDep, size: Size) -> str:
        """The signed checkpoint of one tree size (only sizes the log signed; see /checkpoints)."""
        return with_cosignatures(ledger, ledger.log.checkpoint_at(size), size)

    @get(
        "/checkpoints",
        operation_id="listCheckpoints",
        sync_to_thread=True,
        responses=problems(400, 503),
    )
    def checkpoints(
        self,
        ledger: LedgerDep,
        cursor: Cursor = None,
        limit: Annotated[int, QueryParameter(ge=1, le=CHECKPOINTS_PAGE_MAX, examples=[Example(value=100)])] = 100,
    ) -> CheckpointPage:
        """The tree sizes the log signed a checkpoint for, newest first."""
        after = decode_cursor(cursor, int)
        sizes = ledger.log.checkpoint_sizes(before=None if after is None else after[0], limit=limit + 1)
        items = [CheckpointRef(size=s) for s in sizes[:limit]]
        return CheckpointPage(**page(items, len(sizes), limit, [items[-1].size] if items else None))

    @get(
        "/vkey",
        operation_id="getLogVerifierKey",
        media_type=MediaType.TEXT,
        sync_to_thread=False,
        cache_control=CacheControlHeader(public=True, max_age=3600),
        response_description="The log's note verifier key: name+hexkeyid+base64(0x01||public key), and a newline.",
    )
    def vkey(self, ledger: LedgerDep) -> str:
        """The log's C2SP note verifier key."""
        return log_vkey(ledger.log) + "\n"

    @get(
        "/proof/inclusion",
        operation_id="getInclusionProof",
        sync_to_thread=True,
        responses=problems(400, 404, 503),
    )
    def inclusion(
        self,
        ledger: LedgerDep,
        index: Annotated[int | None, QueryParameter(ge=0, le=MAX_INT, description="The leaf's index (its seq).", examples=[Example(value=7)])] = None,
        leaf_hash: LeafHashQuery = None,
        size: Annotated[int | None, QueryParameter(ge=0, le=MAX_INT, description="Tree size; the latest if omitted.", examples=[Example(value=42)])] = None,
    ) -> Response[InclusionProof]:
        """RFC 9162 inclusion proof of a leaf (by index or leaf hash) in the tree of ``size``."""
        if (index is None) == (leaf_hash is None):
            raise LedgerError(PARAMETER_INVALID, detail="give exactly one of index and leaf_hash")
        if index is None:
            assert leaf_hash is not None
            index = ledger.log.seq_of(leaf_hash)
        fixed = size is not None
        if size is None:
            size = ledger.log.head().size
        hashes = [h.hex() for h in ledger.log.inclusion_proof(index, size)]
        cache = IMMUTABLE if fixed else NO_CACHE
        return Response(InclusionProof(index=index, size=size, hashes=hashes), headers={"Cache-Control": cache.to_header()})

    @get(
        "/proof/consistency",
        operation_id="getConsistencyProof",
        sync_to_thread=True,
        cache_control=IMMUTABLE,
        responses=problems(400, 503),
    )
    def consistency(
        self,
        ledger: LedgerDep,
        first: Annotated[int, QueryParameter(ge=0, le=MAX_INT, description="The smaller tree size.", examples=[Example(value=10)])],
        second: Annotated[int, QueryParameter(ge=0, le=MAX_INT, description="The larger tree size.", examples=[Example(value=42)])],
    ) -> ConsistencyProof:
        """RFC 9162 consistency proof that the tree of ``first`` leaves is a prefix of ``second``."""
        hashes = [h.hex() for h in ledger.log.consistency_proof(first, second)]
        return ConsistencyProof(first=first, second=second, hashes=hashes)

    @get(
        "/entries",
        operation_id="getLeaves",
        media_type=NDJSON,
        sync_to_thread=True,
        responses=problems(400, 503),
        response_description=(
            "The leaves [start, end) exactly as hashed, one per line (newline-delimited JSON, each line "
            f"ending in \\n). At most {ENTRIES_PAGE_MAX} per answer and never past the tree: the answer "
            "may hold fewer leaves than asked; continue from start + the number of lines."
        ),
    )
    def leaves(
        self,
        ledger: LedgerDep,
        start: Annotated[int, QueryParameter(ge=0, le=MAX_INT, description="The first seq.", examples=[Example(value=0)])],
        end: Annotated[int | None, QueryParameter(ge=1, le=MAX_INT, description="One past the last seq.", examples=[Example(value=1000)])] = None,
    ) -> Response[bytes]:
        """Leaves by seq range, as stored (the same bytes as entries.jsonl of an export)."""
        if end is None:
            end = start + ENTRIES_PAGE_MAX
        if end <= start:
            raise LedgerError(PARAMETER_INVALID, detail=f"end ({end}) must be greater than start ({start})")
        size = ledger.log.head().size
        if start >= size:
            raise LedgerError("size_out_of_range", what="start", value=start, size=size)
        stop = min(end, size, start + ENTRIES_PAGE_MAX)
        leaves = ledger.log.leaves(start, stop)
        body = b"".join(leaf + b"\n" for leaf in leaves)
        complete = stop == end
        return Response(
            body,
            media_type=NDJSON,
            headers={"X-Log-Tree-Size": str(size), "Cache-Control": (IMMUTABLE if complete else NO_CACHE).to_header()},
        )

    @post(
        "/add-checkpoint",
        operation_id="addCheckpointCosignature",
        media_type=MediaType.TEXT,
        status_code=200,
        sync_to_thread=True,
        guards=[rate_limit, require_media_type("text/plain"), body_limit("max_witness_bytes")],
        request_max_body_size=MAX_REQUEST_BYTES,
        operation_class=AddCheckpointOperation,
        responses={
            409: ResponseSpec(
                data_container=str,
                media_type=SIZE_CONTENT_TYPE,
                description=(
                    "The old size is not the latest size this witness cosigned at this log: the body is that size "
                    "and a newline (text/x.tlog.size). A checkpoint with another root than the log's is a 409 problem."
                ),
                generate_examples=False,
                examples=[Example(value="41\n")],
            ),
            **problems(400, 403, 404, 413, 415, 422, 429, 503),
        },
        response_description="The witness cosignature lines the log stored, each ending in a newline.",
    )
    def add_checkpoint(self, ledger: LedgerDep, api_settings: ApiSettingsDep, body: RawBody) -> Response[bytes]:
        """A witness hands the log its cosignature of a checkpoint the log signed.

        The log checks the checkpoint is its own, that the cosignature is by a witness it trusts
        (CHARITY_LEDGER_WITNESS_KEYS), that ``old`` is the latest size it holds a cosignature
        of that witness for (else 409 with that size), and the consistency proof from there;
        then it stores the cosignature and serves it with the checkpoint.
        """
        request = parse_add_checkpoint_request(body)
        store = ledger.log
        checkpoint = request.checkpoint
        if checkpoint.origin != store.origin:
            raise LedgerError(WITNESS_UNKNOWN_LOG, origin=checkpoint.origin)
        vkey = log_vkey(store)
        verify_checkpoint(request.checkpoint_note, vkey)
        ours = Checkpoint.parse(parse_note(store.checkpoint_at(checkpoint.size)).text)
        if ours.root != checkpoint.root:
            raise LedgerError(WITNESS_ROOT_MISMATCH, size=checkpoint.size)
        if not api_settings.witness_keys:
            raise LedgerError(WITNESS_UNKNOWN_KEY)
        cosigners = verify_cosignatures(request.checkpoint_note, api_settings.witness_keys)
        if not cosigners:
            raise LedgerError(WITNESS_UNKNOWN_KEY)
        trusted = {k.key for k in api_settings.witness_keys}
        signatures = [s for s in parse_note(request.checkpoint_note).signatures if s.key in trusted]
        held = {line.rstrip("\n") for line in store.cosignatures(checkpoint.size)}
        new = [s for s in signatures if s.line().rstrip("\n") not in held]
        if new:
            witness = new[0].name
            latest = latest_cosigned_size(ledger, witness)
            latest_root = merkle.EMPTY_ROOT if latest == 0 else store.root_at(latest)
            try:
                check_add_checkpoint(request, {store.origin: [vkey]}, latest_size=latest, latest_root=latest_root)
            except LedgerError as exc:
                if exc.code == WITNESS_OLD_SIZE_MISMATCH:
                    return Response(size_response_body(latest), status_code=409, media_type=SIZE_CONTENT_TYPE)
                raise
            stamps = {c.name: c.timestamp for c in cosigners}
            for sig in new:
                store.add_cosignature(checkpoint.size, sig.name, sig.line().rstrip("\n"), stamps[sig.name])
        return Response(cosignature_response_body(new or signatures), media_type=MediaType.TEXT)
