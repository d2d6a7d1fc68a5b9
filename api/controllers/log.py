"""The log's public protocol (DESIGN section 3): checkpoints, proofs, leaves, witnesses; for the
log being appended to (``/api/v1/log/...``) and for every log of the chain of yearly logs
(``/api/v1/log/shards/{shard}/...``)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.datastructures import CacheControlHeader
from litestar.enums import MediaType
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Example, OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import PathParameter, QueryParameter, RawBody
from sqlalchemy import func, select

from api.config import CHECKPOINTS_PAGE_MAX, ENTRIES_PAGE_MAX
from api.openapi import problems
from api.pagination import Cursor, decode_cursor, page
from api.params import MAX_INT, ApiSettingsDep, LeafHashQuery, LedgerDep, Size
from api.problems import PARAMETER_INVALID, WITNESS_UNKNOWN_KEY
from api.schemas import (
    CHECKPOINT_EXAMPLE,
    HASH_EXAMPLE,
    KEY_EXAMPLE,
    SEALED_CHECKPOINT_EXAMPLE,
    CheckpointPage,
    CheckpointRef,
    ConsistencyProof,
    InclusionProof,
    LogShard,
    LogShardList,
)
from api.security import body_limit, rate_limit, require_media_type
from ledger.errors import InvariantBroken, LedgerError
from ledger.protocol import merkle
from ledger.protocol.checkpoint import Checkpoint, verify_checkpoint, verify_cosignatures
from ledger.protocol.note import add_signatures, parse_note
from ledger.protocol.witness_protocol import (
    MAX_REQUEST_BYTES,
    SIZE_CONTENT_TYPE,
    WITNESS_OLD_SIZE_MISMATCH,
    WITNESS_ROOT_MISMATCH,
    WITNESS_UNKNOWN_LOG,
    check_add_checkpoint,
    check_cosignature_time,
    cosignature_response_body,
    parse_add_checkpoint_request,
    size_response_body,
)
from ledger.store.db import read_transaction
from ledger.store.export import log_vkey, shard_vkey
from ledger.store.log_store import Shard
from ledger.store.log_tables import Cosignature
from ledger.store.runtime import Ledger

NDJSON = "application/x-ndjson"
COSIG = Cosignature.__table__
ADD_CHECKPOINT_EXAMPLE = "old 41\nq1ZCw0Yl8Ke6r3x5lF0m9f1mJ6tq0kGq2bHc3M2s0xE=\n\n" + CHECKPOINT_EXAMPLE
IMMUTABLE = CacheControlHeader(public=True, max_age=31_536_000, immutable=True)
NO_CACHE = CacheControlHeader(no_cache=True)
# The latest checkpoint: true until the next append. Browsers ask again each time (max-age=0,
# answered 304 when unchanged); a shared cache (the front, a CDN) may hold it one second, so a
# cached checkpoint is at most a second older than the log's, and always one the log signed.
LATEST = CacheControlHeader(public=True, max_age=0, s_maxage=1)


# query parameters shared by /api/v1/log/... and /api/v1/log/shards/{shard}/...
CheckpointLimit = Annotated[int, QueryParameter(ge=1, le=CHECKPOINTS_PAGE_MAX, examples=[Example(value=100)])]
# schema_extra: Litestar leaves a bound of 0 out of the schema of an optional parameter
LeafIndex = Annotated[
    int | None,
    QueryParameter(
        ge=0,
        le=MAX_INT,
        schema_extra={"minimum": 0},
        description="The leaf's index (its seq).",
        examples=[Example(value=7)],
    ),
]
ProofSize = Annotated[
    int | None,
    QueryParameter(
        ge=0,
        le=MAX_INT,
        schema_extra={"minimum": 0},
        description="Tree size; the latest if omitted.",
        examples=[Example(value=42)],
    ),
]
First = Annotated[
    int, QueryParameter(ge=0, le=MAX_INT, description="The smaller tree size.", examples=[Example(value=10)])
]
Second = Annotated[
    int, QueryParameter(ge=0, le=MAX_INT, description="The larger tree size.", examples=[Example(value=42)])
]
Start = Annotated[int, QueryParameter(ge=0, le=MAX_INT, description="The first seq.", examples=[Example(value=0)])]
End = Annotated[
    int | None, QueryParameter(ge=1, le=MAX_INT, description="One past the last seq.", examples=[Example(value=1000)])
]


def note_size(note: str) -> int:
    return Checkpoint.parse(parse_note(note).text).size


def with_cosignatures(ledger: Ledger, note: str, size: int, shard: int | None = None) -> str:
    """The signed note with the witness cosignatures the log holds for its size (C2SP style:
    extra signature lines, which verifiers that do not know the witness keys ignore).
    ``shard``: the log of the chain the note is of (None: the one being appended to)."""
    lines = ledger.log.cosignatures(size, shard)
    return add_signatures(note, lines) if lines else note


def latest_cosigned_size(ledger: Ledger, witness: str, shard: int | None = None) -> int:
    """The largest size of the log ``shard`` (None: the one being appended to) that ``witness``
    cosigned; 0 when it cosigned none. Each log of the chain is its own tree: a witness starts
    again from 0 at a new log."""
    index = ledger.log.head().shard if shard is None else shard
    with read_transaction(ledger.engine) as conn:
        size = conn.execute(
            select(func.max(COSIG.c.size)).where(COSIG.c.witness == witness, COSIG.c.shard == index)
        ).scalar_one_or_none()
    return int(size or 0)


# --- the protocol, for any log of the chain ------------------------------------------------
#
# Each helper takes ``target``: a Shard of the chain, or None for the log being appended to
# (the /api/v1/log/... endpoints, which keep their behaviour of before the chain had shards).


def _index(target: Shard | None) -> int | None:
    return None if target is None else target.index


def _sealed(target: Shard | None) -> bool:
    return target is not None and target.sealed


def _size(ledger: Ledger, target: Shard | None) -> int:
    return ledger.log.head().size if target is None else target.size


def _cached(target: Shard | None, otherwise: CacheControlHeader | None) -> dict[str, str]:
    """The Cache-Control header: immutable for a sealed log, ``otherwise`` for a growing one."""
    header = IMMUTABLE if _sealed(target) else otherwise
    return {} if header is None else {"Cache-Control": header.to_header()}


def shard_checkpoint(ledger: Ledger, target: Shard | None) -> str:
    """The latest checkpoint of a log (a sealed log's final one) with its cosignatures."""
    note = ledger.log.latest_checkpoint(_index(target))
    return with_cosignatures(ledger, note, note_size(note), _index(target))


def shard_checkpoint_at(ledger: Ledger, target: Shard | None, size: int) -> str:
    return with_cosignatures(ledger, ledger.log.checkpoint_at(size, _index(target)), size, _index(target))


def shard_checkpoint_page(ledger: Ledger, target: Shard | None, cursor: str | None, limit: int) -> CheckpointPage:
    after = decode_cursor(cursor, int)
    sizes = ledger.log.checkpoint_sizes(
        before=None if after is None else after[0], limit=limit + 1, shard=_index(target)
    )
    items = [CheckpointRef(size=s) for s in sizes[:limit]]
    return CheckpointPage(**page(items, len(sizes), limit, [items[-1].size] if items else None))


def shard_vkey_text(ledger: Ledger, target: Shard | None) -> str:
    return (log_vkey(ledger.log) if target is None else shard_vkey(ledger.log, target)) + "\n"


def shard_inclusion(
    ledger: Ledger, target: Shard | None, index: int | None, leaf_hash: str | None, size: int | None
) -> Response[InclusionProof]:
    if (index is None) == (leaf_hash is None):
        raise LedgerError(PARAMETER_INVALID, detail="give exactly one of index and leaf_hash")
    if index is None:
        if leaf_hash is None:
            raise InvariantBroken("leaf_hash is missing")
        index = ledger.log.seq_of(leaf_hash, _index(target))
    fixed = size is not None
    if size is None:
        size = _size(ledger, target)
    hashes = [h.hex() for h in ledger.log.inclusion_proof(index, size, _index(target))]
    return Response(
        InclusionProof(index=index, size=size, hashes=hashes),
        headers=_cached(target, IMMUTABLE if fixed else NO_CACHE),
    )


def shard_consistency(ledger: Ledger, target: Shard | None, first: int, second: int) -> ConsistencyProof:
    hashes = [h.hex() for h in ledger.log.consistency_proof(first, second, _index(target))]
    return ConsistencyProof(first=first, second=second, hashes=hashes)


def shard_leaves(ledger: Ledger, target: Shard | None, start: int, end: int | None) -> Response[bytes]:
    if end is None:
        end = start + ENTRIES_PAGE_MAX
    if end <= start:
        raise LedgerError(PARAMETER_INVALID, detail=f"end ({end}) must be greater than start ({start})")
    size = _size(ledger, target)
    if start >= size:
        raise LedgerError("size_out_of_range", what="start", value=start, size=size)
    stop = min(end, size, start + ENTRIES_PAGE_MAX)
    leaves = ledger.log.leaves(start, stop, _index(target))
    body = b"".join(leaf + b"\n" for leaf in leaves)
    complete = stop == end
    return Response(
        body,
        media_type=NDJSON,
        headers={"X-Log-Tree-Size": str(size), **_cached(target, IMMUTABLE if complete else NO_CACHE)},
    )


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
                    schema=Schema(
                        type=OpenAPIType.STRING, max_length=MAX_REQUEST_BYTES, examples=[ADD_CHECKPOINT_EXAMPLE]
                    ),
                    examples={"request": Example(value=ADD_CHECKPOINT_EXAMPLE)},
                )
            },
        )


class LogController(Controller):
    """Checkpoints, proofs and leaves of the transparency log."""

    path = "/api/v1/log"
    tags = ("log",)

    @get(
        "/checkpoint",
        operation_id="getLatestCheckpoint",
        media_type=MediaType.TEXT,
        sync_to_thread=True,
        cache_control=LATEST,
        responses=problems(503),
        response_description="The latest signed checkpoint (C2SP tlog-checkpoint), with the witness cosignatures the log holds.",
    )
    def latest_checkpoint(self, ledger: LedgerDep) -> str:
        """The latest checkpoint as a C2SP signed note, with witness cosignature lines."""
        return shard_checkpoint(ledger, None)

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
        return shard_checkpoint_at(ledger, None, size)

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
        limit: CheckpointLimit = 100,
    ) -> CheckpointPage:
        """The tree sizes the log signed a checkpoint for, newest first."""
        return shard_checkpoint_page(ledger, None, cursor, limit)

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
        return shard_vkey_text(ledger, None)

    @get(
        "/proof/inclusion",
        operation_id="getInclusionProof",
        sync_to_thread=True,
        responses=problems(400, 404, 503),
    )
    def inclusion(
        self,
        ledger: LedgerDep,
        index: LeafIndex = None,
        leaf_hash: LeafHashQuery = None,
        size: ProofSize = None,
    ) -> Response[InclusionProof]:
        """RFC 9162 inclusion proof of a leaf (by index or leaf hash) in the tree of ``size``."""
        return shard_inclusion(ledger, None, index, leaf_hash, size)

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
        first: First,
        second: Second,
    ) -> ConsistencyProof:
        """RFC 9162 consistency proof that the tree of ``first`` leaves is a prefix of ``second``."""
        return shard_consistency(ledger, None, first, second)

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
        start: Start,
        end: End = None,
    ) -> Response[bytes]:
        """Leaves by seq range, as stored (the same bytes as entries.jsonl of an export)."""
        return shard_leaves(ledger, None, start, end)

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

        The checkpoint may be of any log of the chain, named by its origin line: the log being
        appended to, or a sealed one (its final checkpoint, which witnesses may cosign after
        the roll-over); ``old`` is then a size of that log.
        """
        request = parse_add_checkpoint_request(body)
        store = ledger.log
        checkpoint = request.checkpoint
        target = store.shard(checkpoint.origin, missing_ok=True)
        if target is None:
            raise LedgerError(WITNESS_UNKNOWN_LOG, origin=checkpoint.origin)
        shard = target.index
        vkey = shard_vkey(store, target)
        verify_checkpoint(request.checkpoint_note, vkey)
        ours = Checkpoint.parse(parse_note(store.checkpoint_at(checkpoint.size, shard)).text)
        if ours.root != checkpoint.root:
            raise LedgerError(WITNESS_ROOT_MISMATCH, size=checkpoint.size)
        if not api_settings.witness_keys:
            raise LedgerError(WITNESS_UNKNOWN_KEY)
        cosigners = verify_cosignatures(request.checkpoint_note, api_settings.witness_keys)
        if not cosigners:
            raise LedgerError(WITNESS_UNKNOWN_KEY)
        trusted = {k.key for k in api_settings.witness_keys}
        signatures = [s for s in parse_note(request.checkpoint_note).signatures if s.key in trusted]
        held = {line.rstrip("\n") for line in store.cosignatures(checkpoint.size, shard)}
        new = [s for s in signatures if s.line().rstrip("\n") not in held]
        if new:
            stamps = {c.name: c.timestamp for c in cosigners}
            clock = wall_clock()
            for sig in new:  # dated 0 or over 10 minutes ahead of this clock: refused, nothing stored
                check_cosignature_time(sig.name, stamps[sig.name], clock)
            witness = new[0].name
            latest = latest_cosigned_size(ledger, witness, shard)
            latest_root = merkle.EMPTY_ROOT if latest == 0 else store.root_at(latest, shard)
            try:
                check_add_checkpoint(request, {target.origin: [vkey]}, latest_size=latest, latest_root=latest_root)
            except LedgerError as exc:
                if exc.code == WITNESS_OLD_SIZE_MISMATCH:
                    # exactly text/x.tlog.size (C2SP tlog-witness): no charset parameter appended
                    return Response(
                        size_response_body(latest),
                        status_code=409,
                        media_type=SIZE_CONTENT_TYPE,
                        headers={"content-type": SIZE_CONTENT_TYPE},
                    )
                raise
            for sig in new:
                store.add_cosignature(checkpoint.size, sig.name, sig.line().rstrip("\n"), stamps[sig.name], shard)
        return Response(cosignature_response_body(new or signatures), media_type=MediaType.TEXT)


def wall_clock() -> int:
    """This server's clock in seconds since 1970, against which cosignature times are judged
    (witnesses date cosignatures by their own wall clocks, not by the log's time)."""
    return int(time.time())


ShardPath = Annotated[
    int,
    PathParameter(
        ge=0,
        le=32_767,
        description="The log's index in the chain: 0 for the first, as listed by /api/v1/log/shards.",
        examples=[Example(value=0)],
    ),
]
# a sealed log's checkpoint never changes, but witnesses may still add cosignature lines to it
COSIGNED_NOTE = CacheControlHeader(public=True, max_age=60)
SHARD_PROBLEMS = (400, 404, 503)


SEALED_VKEY_EXAMPLE = LogShard.__example__["vkey"] + "\n"
LEAF_LINE_EXAMPLE = (
    '{"body":{"at":"2026-11-27T08:30:00.000Z","data":{"amount":"200.00","currency":"CNY","project":"P-ELDER-2026"},'
    '"idem":"bank-2026-11-27-0042","log":"charity-ledger.example/log/2026","signer":"' + KEY_EXAMPLE + '",'
    '"type":"donation.received","v":1},"prev":"' + HASH_EXAMPLE + '","seq":41,"sig":"3q2+7w' + "A" * 80 + '==",'
    '"time":"2026-11-27T08:30:00.123Z"}\n'
)


def _ok(description: str, example: str, media_type: str = MediaType.TEXT) -> dict[int, ResponseSpec]:
    """The documented 200 answer of a text endpoint, with an example."""
    return {
        200: ResponseSpec(
            data_container=str,
            media_type=media_type,
            description=description,
            generate_examples=False,
            examples=[Example(summary="example", value=example)],
        )
    }


def _text(body: str, headers: dict[str, str]) -> Response[str]:
    return Response(body, media_type=MediaType.TEXT, headers=headers)


class LogShardsController(Controller):
    """The chain of logs (shards, normally one per year) and the protocol of each of them.

    ``/api/v1/log/shards/{shard}/...`` answers like ``/api/v1/log/...`` for one log of the
    chain, sealed or not, with seqs and tree sizes of that log. What a sealed log answers never
    changes (immutable caching), apart from witness cosignature lines added to its checkpoints.
    """

    path = "/api/v1/log/shards"
    tags = ("log",)

    @get(
        "/",
        operation_id="listLogShards",
        summary="The chain of logs",
        sync_to_thread=True,
        cache_control=NO_CACHE,
        responses=problems(503),
    )
    def list_shards(self, ledger: LedgerDep) -> LogShardList:
        """Every log of the chain, oldest first; the last one is the log being appended to.

        Each sealed log comes with its final signed checkpoint and the verifier key of the key
        that signed it; the next log's first entry (a ``registry.genesis``) names that checkpoint
        in ``data.previous``, which is how a verifier links the chain.
        """
        store = ledger.log
        return LogShardList(
            shards=[
                LogShard(
                    **shard.to_json(),
                    checkpoint=shard.checkpoint if shard.sealed else None,
                    vkey=shard_vkey(store, shard),
                    tiles=f"/tlog/shards/{shard.index}/",
                )
                for shard in store.shards()
            ]
        )

    @get(
        "/{shard:int}/checkpoint",
        operation_id="getShardCheckpoint",
        summary="A log's latest (or final) checkpoint",
        media_type=MediaType.TEXT,
        sync_to_thread=True,
        responses=_ok(
            "The log's latest signed checkpoint (for a sealed log its final one), with the witness cosignatures "
            "the log holds.",
            SEALED_CHECKPOINT_EXAMPLE,
        )
        | problems(*SHARD_PROBLEMS),
    )
    def checkpoint(self, ledger: LedgerDep, shard: ShardPath) -> Response[str]:
        """The latest checkpoint of one log of the chain; a sealed log's final checkpoint."""
        target = ledger.log.shard(shard)
        return _text(
            shard_checkpoint(ledger, target),
            {"Cache-Control": (COSIGNED_NOTE if _sealed(target) else LATEST).to_header()},
        )

    @get(
        "/{shard:int}/checkpoint/{size:int}",
        operation_id="getShardCheckpointAtSize",
        summary="A log's checkpoint at a size",
        media_type=MediaType.TEXT,
        sync_to_thread=True,
        cache_control=COSIGNED_NOTE,
        responses=_ok("The checkpoint the log signed at this tree size, with cosignatures.", SEALED_CHECKPOINT_EXAMPLE)
        | problems(*SHARD_PROBLEMS),
    )
    def checkpoint_at(self, ledger: LedgerDep, shard: ShardPath, size: Size) -> str:
        """The signed checkpoint of one tree size of one log of the chain."""
        return shard_checkpoint_at(ledger, ledger.log.shard(shard), size)

    @get(
        "/{shard:int}/checkpoints",
        operation_id="listShardCheckpoints",
        summary="A log's checkpoint sizes",
        sync_to_thread=True,
        responses=problems(*SHARD_PROBLEMS),
    )
    def checkpoints(
        self, ledger: LedgerDep, shard: ShardPath, cursor: Cursor = None, limit: CheckpointLimit = 100
    ) -> Response[CheckpointPage]:
        """The tree sizes one log of the chain signed a checkpoint for, newest first."""
        target = ledger.log.shard(shard)
        return Response(shard_checkpoint_page(ledger, target, cursor, limit), headers=_cached(target, None))

    @get(
        "/{shard:int}/vkey",
        operation_id="getShardVerifierKey",
        summary="A log's verifier key",
        media_type=MediaType.TEXT,
        sync_to_thread=True,
        responses=_ok(
            "The note verifier key of the key that signs this log's checkpoints (for a sealed log, the one that "
            "signed its final checkpoint), and a newline.",
            SEALED_VKEY_EXAMPLE,
        )
        | problems(*SHARD_PROBLEMS),
    )
    def vkey(self, ledger: LedgerDep, shard: ShardPath) -> Response[str]:
        """The C2SP note verifier key of one log of the chain (its origin is the key's name)."""
        target = ledger.log.shard(shard)
        return _text(shard_vkey_text(ledger, target), _cached(target, CacheControlHeader(public=True, max_age=3600)))

    @get(
        "/{shard:int}/proof/inclusion",
        operation_id="getShardInclusionProof",
        summary="Inclusion proof in a log",
        sync_to_thread=True,
        responses=problems(*SHARD_PROBLEMS),
    )
    def inclusion(
        self,
        ledger: LedgerDep,
        shard: ShardPath,
        index: LeafIndex = None,
        leaf_hash: LeafHashQuery = None,
        size: ProofSize = None,
    ) -> Response[InclusionProof]:
        """RFC 9162 inclusion proof of a leaf of one log (by its seq in that log, or its leaf hash)
        in that log's tree of ``size`` (by default the log's size: a sealed log's final size)."""
        return shard_inclusion(ledger, ledger.log.shard(shard), index, leaf_hash, size)

    @get(
        "/{shard:int}/proof/consistency",
        operation_id="getShardConsistencyProof",
        summary="Consistency proof in a log",
        sync_to_thread=True,
        cache_control=IMMUTABLE,
        responses=problems(*SHARD_PROBLEMS),
    )
    def consistency(self, ledger: LedgerDep, shard: ShardPath, first: First, second: Second) -> ConsistencyProof:
        """RFC 9162 consistency proof between two tree sizes of one log of the chain."""
        return shard_consistency(ledger, ledger.log.shard(shard), first, second)

    @get(
        "/{shard:int}/entries",
        operation_id="getShardLeaves",
        summary="A log's leaves",
        media_type=NDJSON,
        sync_to_thread=True,
        responses=_ok(
            "The leaves [start, end) of this log exactly as hashed, one per line (newline-delimited JSON). At most "
            f"{ENTRIES_PAGE_MAX} per answer and never past the log's tree; continue from start + the number of lines. "
            "X-Log-Tree-Size gives the log's size.",
            LEAF_LINE_EXAMPLE,
            NDJSON,
        )
        | problems(*SHARD_PROBLEMS),
    )
    def leaves(self, ledger: LedgerDep, shard: ShardPath, start: Start, end: End = None) -> Response[bytes]:
        """Leaves of one log of the chain by seq range (seqs of that log), as stored."""
        return shard_leaves(ledger, ledger.log.shard(shard), start, end)
