"""The offline verifier: checks a whole log against its signed checkpoint.

Given the leaves (in seq order), the checkpoint note and the log's verifier key, it checks:

- the checkpoint's signature by the log key, and its origin;
- every leaf: canonical bytes (RFC 8785), exact fields, ``seq`` equal to its position,
  ``prev`` equal to the previous leaf's hash, log time never running backwards, the body
  signed for this log;
- every signature, against actor keys taken from the log itself (``registry.genesis`` and
  ``key.granted``; ``key.revoked`` ends a key from its seq on);
- the Merkle root of the leaves against the checkpoint's root and size.

It stops at the first problem and raises :class:`VerificationError` naming the seq and what
was expected. It needs nothing but ``ledger`` core modules: no database, no network.

A registry whose history spans several logs (shards) is verified by :func:`verify_chain`,
oldest log first: each sealed log must end with ``log.sealed`` naming the next origin, and
the next log's genesis must name the sealed log's final checkpoint (origin, size, root),
restate the trust root and be signed by the log key in force. Actor keys and log keys carry
across logs; "granted before" and "revoked from" are judged by an entry's position in the
whole chain (the sizes of the earlier logs plus its seq).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field, replace
from itertools import chain, islice
from pathlib import Path
from typing import Any

from ledger.errors import LedgerError, VerificationError
from ledger.protocol import leafcheck, merkle, sigcheck
from ledger.protocol.checkpoint import Checkpoint, verify_checkpoint
from ledger.protocol.entry import GENESIS_PREV, Leaf, SignedEntry, parse_leaf
from ledger.protocol.keys import b64, check_public_key, key_id, unb64
from ledger.protocol.leafcheck import RunResult
from ledger.protocol.note import NoteVerifier, format_verifier_key, parse_note, parse_verifier_key
from ledger.protocol.sigcheck import Pending
from ledger.protocol.sigcheck import start as start_verify

LOG_KEY_ROTATED = "log.key_rotated"
LOG_SEALED = "log.sealed"
GENESIS = "registry.genesis"
KEY_ENTRIES = ("key.granted", "key.revoked", LOG_KEY_ROTATED)  # after entry 0, these change the key ring


@dataclass(slots=True)
class ActorKey:
    public: bytes
    role: str
    org: str
    granted_seq: int  # positions in the chain of logs (seqs, in the first log)
    revoked_seq: int | None = None


@dataclass(frozen=True, slots=True)
class SealedLog:
    """What the genesis of the log after a sealed one must name."""

    origin: str
    size: int
    root_hash: str
    next_origin: str


@dataclass(slots=True)
class VerifyReport:
    size: int
    root: str
    origin: str
    entries_by_type: dict[str, int] = field(default_factory=dict)
    keys: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "valid": True,
            "origin": self.origin,
            "size": self.size,
            "root": self.root,
            "entries_by_type": dict(sorted(self.entries_by_type.items())),
            "keys": self.keys,
        }


class KeyRing:
    """Actor keys as the log itself grants and revokes them.

    Positions are counted across the chain of logs: ``base`` is the number of entries in the
    logs before the one being read (0 for the first), so a position is ``base + seq``.
    """

    def __init__(self) -> None:
        self.keys: dict[str, ActorKey] = {}
        # the log's checkpoint keys as (first chain position signed, raw key): from genesis,
        # then each log.key_rotated, which the key before signs
        self.log_keys: list[tuple[int, bytes]] = []
        self.base = 0
        self.root: tuple[str, str] | None = None  # the trust root: registrar key id and org

    def public_key_for(self, seq: int, signer: str, type_: str = "", data: Any = None) -> bytes | None:
        """The key ``signer`` stands for at position ``seq`` for an entry of ``type_``."""
        if type_ in (LOG_KEY_ROTATED, LOG_SEALED) or (
            type_ == GENESIS and isinstance(data, dict) and "previous" in data
        ):
            current = self.log_keys[-1][1] if self.log_keys else None
            return current if current is not None and key_id(current) == signer else None
        key = self.keys.get(signer)
        if key is None or (key.revoked_seq is not None and seq > key.revoked_seq):
            return None
        return key.public

    def snapshot(self) -> tuple[dict[str, ActorKey], list[tuple[int, bytes]], tuple[str, str] | None]:
        """What :meth:`restore` puts back (the ring before a run of leaves it may have to walk again)."""
        return {k: replace(v) for k, v in self.keys.items()}, list(self.log_keys), self.root

    def restore(self, saved: tuple[dict[str, ActorKey], list[tuple[int, bytes]], tuple[str, str] | None]) -> None:
        self.keys, self.log_keys, self.root = saved[0], saved[1], saved[2]

    def raw_keys(self) -> list[bytes]:
        """Every key the ring has learnt (actor keys, then log keys)."""
        return [k.public for k in self.keys.values()] + [raw for _, raw in self.log_keys]

    def observe(self, seq: int, type_: str, data: dict[str, Any]) -> None:
        """Learn from a key-granting or key-revoking entry (after its signature checked);
        ``seq`` is the entry's position in the chain."""
        if type_ == GENESIS and "previous" in data:
            return  # a later log restates the trust root; keys carry over
        if type_ in (GENESIS, "key.granted"):
            raw = _strict_key(data.get("public_key"), "data.public_key")
            self.keys[key_id(raw)] = ActorKey(raw, str(data.get("role")), str(data.get("org")), seq)
            if type_ == GENESIS:
                self.root = (key_id(raw), str(data.get("org")))
                if data.get("log_key") is not None:
                    self.log_keys.append((0, _strict_key(data.get("log_key"), "data.log_key")))
        elif type_ == LOG_KEY_ROTATED:
            index = seq - self.base
            if data.get("from_size") != index + 1:
                raise LedgerError("body_invalid", detail=f"from_size must be {index + 1}")
            self.log_keys.append((seq + 1, _strict_key(data.get("public_key"), "data.public_key")))
        elif type_ == "key.revoked":
            target = self.keys.get(str(data.get("key_id")))
            if target is not None and target.revoked_seq is None:
                target.revoked_seq = seq


def _strict_key(value: Any, what: str) -> bytes:
    """A key entering the log: base64 of 32 bytes, canonical, not of small order, on the curve
    (libsodium's rule, :mod:`ledger.protocol.ed25519_strict`); else LedgerError naming why."""
    return check_public_key(unb64(value, length=32, what=what), what=what)


def verify_leaves(
    leaves: Iterable[bytes], checkpoint: Checkpoint, ring: KeyRing | None = None, *, after: SealedLog | None = None
) -> VerifyReport:
    """Check every leaf and the root against a checkpoint (whose signature the caller checks).
    ``after``: the sealed log this one continues (its genesis must name it)."""
    walk = _Walk(checkpoint, ring if ring is not None else KeyRing(), after)
    try:
        _Runs(walk).run(iter(leaves))
        walk.signatures.settle()
    except VerificationError:
        walk.signatures.settle()  # a bad signature before the problem found is the first bad entry
        raise
    count = walk.position + 1
    if count < checkpoint.size:
        raise VerificationError(
            "log is shorter than its checkpoint",
            seq=count,
            expected=f"{checkpoint.size} entries",
            actual=f"{count} entries",
        )
    root = walk.edge.root()
    if root != checkpoint.root:
        last = checkpoint.size - 1 if checkpoint.size else None
        raise VerificationError(
            "Merkle root differs from the checkpoint", seq=last, expected=checkpoint.root.hex(), actual=root.hex()
        )
    walk.report.keys = len(walk.ring.keys)
    return walk.report


class _Signatures:
    """Signature checks queued in chunks and verified by the process pool while parsing goes
    on; :meth:`settle` waits for all and raises for the first bad one, by seq."""

    CHUNK = 2048

    def __init__(self, base: int = 0) -> None:
        self.base = base  # errors name seqs in the log being read
        self.items: list[tuple[bytes, bytes, bytes]] = []
        self.meta: list[tuple[int, str, str]] = []
        self.pending: list[tuple[list[tuple[int, str, str]], Pending]] = []

    def add(self, position: int, entry: SignedEntry, public: bytes) -> None:
        self.items.append((public, entry.sig, entry.signing_message()))
        self.meta.append((position, entry.signer, entry.type))
        if len(self.items) >= self.CHUNK:
            self._submit()
            if len(self.pending) > 2:  # keep the pipeline short: settle the oldest chunk
                self._check(*self.pending.pop(0))

    def _submit(self) -> None:
        if self.items:
            self.pending.append((self.meta, start_verify(self.items)))
            self.items, self.meta = [], []

    def _check(self, meta: list[tuple[int, str, str]], pending: Pending) -> None:
        for (position, signer, type_), ok in zip(meta, pending.result(), strict=True):
            if not ok:
                raise VerificationError(
                    "signature does not verify",
                    seq=position - self.base,
                    expected=f"signature by {signer}",
                    actual=type_,
                )

    def settle(self) -> None:
        self._submit()
        while self.pending:
            self._check(*self.pending.pop(0))


@dataclass(slots=True)
class _Walk:
    """A verification under way: what it checks against, and how far it has come."""

    checkpoint: Checkpoint
    ring: KeyRing
    after: SealedLog | None = None  # the sealed log this one continues
    edge: merkle.CompactRange = field(default_factory=merkle.CompactRange)
    report: VerifyReport = field(init=False)
    signatures: _Signatures = field(init=False)
    position: int = -1  # the last position checked
    prev: str = GENESIS_PREV  # the hash of the leaf at ``position``, in hex
    last_time: str = ""
    sealed_at: int | None = None

    def __post_init__(self) -> None:
        cp = self.checkpoint
        self.report = VerifyReport(cp.size, cp.root.hex(), cp.origin)
        self.signatures = _Signatures(self.ring.base)


def _walk(walk: _Walk, stream: Iterator[bytes], limit: int | None = None) -> None:
    """The sequential checks of each leaf, from ``walk.position + 1`` on, for ``limit`` leaves
    (all when None); signatures go to ``walk.signatures``. ``stream`` goes on past the limit:
    naming which of two leaves broke the chain reads the next one."""
    checkpoint, ring, edge, base = walk.checkpoint, walk.ring, walk.edge, walk.ring.base
    first = walk.position + 1
    for position, raw in enumerate(stream, start=first):
        leaf = _leaf_in_place(position, raw, checkpoint, walk.sealed_at)
        if leaf.prev != walk.prev:
            raise _chain_break(position, leaf, walk.prev, stream, edge, checkpoint)
        if leaf.time < walk.last_time:
            raise VerificationError(
                "log time runs backwards", seq=position, expected=f">= {walk.last_time}", actual=leaf.time
            )
        body = leaf.entry.body
        if body["log"] != checkpoint.origin:
            raise VerificationError(
                "entry signed for another log", seq=position, expected=checkpoint.origin, actual=body["log"]
            )
        _check_genesis_place(position, body, ring, walk.after, checkpoint.origin)
        public = ring.public_key_for(base + position, leaf.entry.signer, body["type"], body["data"])
        if public is None:
            raise VerificationError(
                "signer key not granted (or revoked) at this point of the log",
                seq=position,
                expected="a granted key",
                actual=leaf.entry.signer,
            )
        walk.signatures.add(base + position, leaf.entry, public)
        if position > 0 and body["type"] in KEY_ENTRIES:
            _observe_key_entry(ring, position, body)
        if body["type"] == LOG_SEALED:
            walk.sealed_at = _sealed_at(position, body)
        walk.report.entries_by_type[body["type"]] = walk.report.entries_by_type.get(body["type"], 0) + 1
        lh = merkle.leaf_hash(raw)
        edge.append(lh)
        walk.position, walk.prev, walk.last_time = position, lh.hex(), leaf.time
        if limit is not None and position - first + 1 >= limit:
            return


# Runs of leaves go to the process pool when the log has at least this many entries (a smaller
# one is checked in this process, the same way); a run holds RUN_MIN to RUN_MAX leaves, fewer
# as the end nears so that the pool's processes finish together.
PARALLEL_MIN = 512
RUN_MIN = 64
RUN_MAX = 1024


class _Runs:
    """The walk in runs of leaves: the pool checks each run (:func:`leafcheck.check_run`), this
    process absorbs the results in order, keeping what is sequential: the links between runs,
    the key ring, the tree's edge, the counts. A run that reports a problem, or that the key
    ring refuses, is walked again leaf by leaf (:func:`_walk`) from the state before it, so the
    error raised is the sequential walk's."""

    def __init__(self, walk: _Walk) -> None:
        self.walk = walk
        size = walk.checkpoint.size
        self.pool: Executor | None = sigcheck.pool() if size >= PARALLEL_MIN else None
        self.width = sigcheck.pool_size() if self.pool is not None else 1
        self.keys = bytearray()  # the raw keys sent with each run (append only)
        self.key_ids: set[str] = set()
        self.in_flight: deque[tuple[int, list[bytes], Future[RunResult]]] = deque()

    def run(self, stream: Iterator[bytes]) -> None:
        walk, start = self.walk, self.walk.position + 1
        self._learn(walk.ring.raw_keys())
        while True:
            while len(self.in_flight) < 2 * self.width + 1:
                raws = list(islice(stream, self._run_length(start)))
                if not raws:
                    break
                if start == 0:
                    self._learn(_named_keys(raws[0]))
                self.in_flight.append((start, raws, self._submit(start, raws)))
                start += len(raws)
            if not self.in_flight:
                return
            first, raws, future = self.in_flight.popleft()
            if not self._absorb(first, raws, future.result()):
                later = (r for _, run, _ in self.in_flight for r in run)
                _walk(walk, chain(raws, later, stream), limit=len(raws))
                walk.signatures.settle()
                self._learn(walk.ring.raw_keys())

    def _run_length(self, start: int) -> int:
        remaining = self.walk.checkpoint.size - start
        return max(1, min(RUN_MAX, max(RUN_MIN, remaining // (4 * self.width))))

    def _submit(self, start: int, raws: list[bytes]) -> Future[RunResult]:
        args = (start, raws, self.walk.checkpoint.origin, self.walk.checkpoint.size, bytes(self.keys))
        if self.pool is not None:
            return self.pool.submit(leafcheck.check_run, *args)
        done: Future[RunResult] = Future()
        done.set_result(leafcheck.check_run(*args))
        return done

    def _learn(self, raws: Iterable[bytes]) -> None:
        for raw in raws:
            kid = key_id(raw)
            if len(raw) == 32 and kid not in self.key_ids:
                self.key_ids.add(kid)
                self.keys += raw

    def _absorb(self, start: int, raws: list[bytes], result: RunResult) -> bool:
        """Take a run's result if all is well with it; False when it must be walked again."""
        walk = self.walk
        if (
            result.bad is not None
            or walk.sealed_at is not None
            or result.first_prev != walk.prev
            or result.first_time < walk.last_time
        ):
            return False
        saved = walk.ring.snapshot() if result.ring else None
        try:
            publics = _ring_events(walk, start, result)
        except VerificationError:
            publics = None
        if publics is None:
            if saved is not None:
                walk.ring.restore(saved)
            walk.sealed_at = None
            return False
        _defer_unchecked(walk, start, raws, result, publics)
        for level, root in result.roots:
            walk.edge.extend(level, root)
        walk.position, walk.prev, walk.last_time = start + len(raws) - 1, result.last_hash.hex(), result.last_time
        for type_, n in result.by_type.items():
            walk.report.entries_by_type[type_] = walk.report.entries_by_type.get(type_, 0) + n
        if result.ring:
            self._learn(walk.ring.raw_keys())
        return True


def _ring_events(walk: _Walk, start: int, result: RunResult) -> dict[int, bytes] | None:
    """The key ring's checks of a run, in order: each signer's first entry after each entry
    that changes the ring, and those entries themselves (which then change it). Returns the
    key found for each ring entry (by index), or None when a signer may not sign there."""
    ring, base = walk.ring, walk.ring.base
    publics: dict[int, bytes] = {}
    events: list[tuple[Any, ...]] = sorted([*result.ring, *result.firsts], key=lambda e: int(e[0]))
    for event in events:
        position = start + event[0]
        if len(event) == 2:
            if ring.public_key_for(base + position, event[1]) is None:
                return None
            continue
        _, type_, signer, data = event
        body = {"type": type_, "data": data}
        _check_genesis_place(position, body, ring, walk.after, walk.checkpoint.origin)
        public = ring.public_key_for(base + position, signer, type_, data)
        if public is None:
            return None
        publics[event[0]] = public
        if position > 0 and type_ in KEY_ENTRIES:
            _observe_key_entry(ring, position, body)
        if type_ == LOG_SEALED:
            walk.sealed_at = _sealed_at(position, body)
    return publics


def _defer_unchecked(walk: _Walk, start: int, raws: list[bytes], result: RunResult, publics: dict[int, bytes]) -> None:
    """Signatures the run could not check (it did not know the key yet) go to the pool with
    the key the ring found."""
    for i in result.unchecked:
        leaf = parse_leaf(raws[i])
        public = publics.get(i) or walk.ring.keys[leaf.entry.signer].public
        walk.signatures.add(walk.ring.base + start + i, leaf.entry, public)


def _named_keys(raw: bytes) -> list[bytes]:
    """The keys the first leaf names (a genesis: the trust root and the log key), when it parses:
    sent to the pool with the first runs, so that they need not wait for the ring."""
    try:
        data = leafcheck.leaf_fields(raw)[6]
    except LedgerError:
        return []
    out = []
    for name in ("public_key", "log_key"):
        try:
            out.append(unb64(data.get(name), length=32))
        except LedgerError:
            continue
    return out


def _leaf_in_place(position: int, raw: bytes, checkpoint: Checkpoint, sealed_at: int | None) -> Leaf:
    """The leaf at ``position``, parsed: one the log may hold there (not after a seal or
    beyond the checkpoint's size), well formed, and naming its own seq."""
    if sealed_at is not None:
        raise VerificationError(
            "entry after log.sealed",
            seq=position,
            expected=f"the log ends at seq {sealed_at}",
            actual="more entries",
        )
    if position >= checkpoint.size:
        raise VerificationError(
            "entry beyond the checkpoint's tree size",
            seq=position,
            expected=f"{checkpoint.size} entries",
            actual="more",
        )
    try:
        leaf = parse_leaf(raw)
    except LedgerError as exc:
        raise VerificationError(
            f"leaf is not well formed ({exc.message_en})",
            seq=position,
            expected="canonical leaf",
            actual=raw[:80].decode("utf-8", "replace"),
        ) from exc
    if leaf.seq != position:
        raise VerificationError("seq out of place", seq=position, expected=position, actual=leaf.seq)
    return leaf


def _check_genesis_place(
    position: int, body: dict[str, Any], ring: KeyRing, after: SealedLog | None, origin: str
) -> None:
    """Entry 0, and only entry 0, is the log's genesis: it starts the key ring and, in a later
    log, continues the sealed one (``after``)."""
    if position != 0:
        if body["type"] == GENESIS:
            raise VerificationError(
                "registry.genesis after entry 0", seq=position, expected="one genesis per log", actual="another"
            )
        return
    if body["type"] != GENESIS:
        raise VerificationError(
            "entry 0 must be registry.genesis", seq=0, expected="registry.genesis", actual=body["type"]
        )
    if after is not None:
        _check_continuation(body["data"], after, ring, origin)
    elif "previous" in body["data"]:
        raise VerificationError(
            "this log continues another; verify the chain from its first log",
            seq=0,
            expected="the first log's genesis",
            actual=f"previous: {body['data'].get('previous', {}).get('origin') if isinstance(body['data'].get('previous'), dict) else '?'}",
        )
    try:
        ring.observe(ring.base, GENESIS, body["data"])
    except LedgerError as exc:
        raise VerificationError(
            "genesis names no valid public key", seq=0, expected="data.public_key", actual=exc.message_en
        ) from exc


def _observe_key_entry(ring: KeyRing, position: int, body: dict[str, Any]) -> None:
    """A grant, a revocation or a log key rotation changes the key ring from here on."""
    try:
        ring.observe(ring.base + position, body["type"], body["data"])
    except LedgerError as exc:
        raise VerificationError(
            "key entry names no valid public key",
            seq=position,
            expected="data.public_key",
            actual=exc.message_en,
        ) from exc


def _sealed_at(position: int, body: dict[str, Any]) -> int:
    """The position of a ``log.sealed`` entry, which must name its log's final size."""
    if body["data"].get("size") != position + 1:
        raise VerificationError(
            "log.sealed names the wrong final size",
            seq=position,
            expected=position + 1,
            actual=body["data"].get("size"),
        )
    return position


def _chain_break(
    position: int, leaf: Leaf, computed: str, stream: Any, edge: merkle.CompactRange, checkpoint: Checkpoint
) -> VerificationError:
    """Name the bad entry when leaf ``position`` does not link to the one before it.

    Either the previous leaf was altered (it no longer hashes to what this one recorded), or
    this leaf's own ``prev`` was. In the second case this leaf no longer hashes to what the
    next one recorded either; for the last leaf, putting the computed ``prev`` back makes the
    root match the checkpoint. That tells the two apart.
    """
    following = next(stream, None)
    if following is None:
        restored = Leaf(leaf.seq, computed, leaf.time, leaf.entry)
        trial = merkle.CompactRange(edge.size, edge.hashes)
        trial.append(restored.hash())
        this_is_bad = trial.root() == checkpoint.root
    else:
        try:
            this_is_bad = parse_leaf(following).prev != leaf.hash().hex()
        except LedgerError:
            this_is_bad = False
    if this_is_bad:
        return VerificationError(
            "prev does not link to the entry before", seq=position, expected=computed, actual=leaf.prev
        )
    return VerificationError(
        "entry does not hash to the prev its successor recorded", seq=position - 1, expected=leaf.prev, actual=computed
    )


def _check_continuation(data: dict[str, Any], after: SealedLog, ring: KeyRing, origin: str) -> None:
    """The genesis of a later log names the sealed log's final checkpoint and restates the
    trust root; the chain link the walk across years relies on."""
    previous = data.get("previous")
    if not isinstance(previous, dict):
        raise VerificationError(
            "the genesis of a later log must name the log it continues",
            seq=0,
            expected=f"previous: {after.origin}",
            actual="none",
        )
    named = (previous.get("origin"), previous.get("size"), previous.get("root_hash"))
    if named != (after.origin, after.size, after.root_hash):
        raise VerificationError(
            "genesis names another final checkpoint than the sealed log's",
            seq=0,
            expected=f"{after.origin} size {after.size} root {after.root_hash}",
            actual=" ".join(map(str, named)),
        )
    if after.next_origin != origin or data.get("origin") != origin:
        raise VerificationError(
            "the sealed log names another next log", seq=0, expected=after.next_origin, actual=origin
        )
    try:
        note_checkpoint = Checkpoint.parse(parse_note(str(previous.get("checkpoint"))).text)
    except LedgerError as exc:
        raise VerificationError(
            "previous.checkpoint is not a signed checkpoint", seq=0, expected="C2SP checkpoint", actual=exc.message_en
        ) from exc
    if (note_checkpoint.origin, note_checkpoint.size, note_checkpoint.root.hex()) != (
        after.origin,
        after.size,
        after.root_hash,
    ):
        raise VerificationError(
            "previous.checkpoint is not the sealed log's final checkpoint",
            seq=0,
            expected=f"{after.origin} {after.size}",
            actual=f"{note_checkpoint.origin} {note_checkpoint.size}",
        )
    _check_restated_keys(data, ring)


def _check_restated_keys(data: dict[str, Any], ring: KeyRing) -> None:
    """A later log's genesis restates the trust root and names the log key in force."""
    try:
        restated = key_id(unb64(data.get("public_key"), length=32, what="data.public_key"))
    except LedgerError as exc:
        raise VerificationError(
            "genesis names no valid public key", seq=0, expected="data.public_key", actual=exc.message_en
        ) from exc
    if ring.root is None or (restated, str(data.get("org"))) != ring.root:
        raise VerificationError(
            "a later log must restate the trust root unchanged",
            seq=0,
            expected=ring.root[0] if ring.root else "the first genesis",
            actual=restated,
        )
    current = ring.log_keys[-1][1] if ring.log_keys else None
    if current is None or data.get("log_key") != b64(current):
        raise VerificationError(
            "a later log must name the log key in force when the last was sealed",
            seq=0,
            expected=key_id(current) if current else "a log key",
            actual=data.get("log_key"),
        )


@dataclass(slots=True)
class ChainReport:
    logs: list[VerifyReport]

    def to_json(self) -> dict[str, Any]:
        last = self.logs[-1]
        out = last.to_json()
        if len(self.logs) > 1:
            by_type: dict[str, int] = {}
            for r in self.logs:
                for t, n in r.entries_by_type.items():
                    by_type[t] = by_type.get(t, 0) + n
            out["chain"] = {
                "logs": [{"origin": r.origin, "size": r.size, "root": r.root} for r in self.logs],
                "entries": sum(r.size for r in self.logs),
                "entries_by_type": dict(sorted(by_type.items())),
            }
        return out


def verify_chain(logs: Sequence[tuple[Iterable[bytes], str]], vkey: str) -> ChainReport:
    """Verify a chain of logs, oldest first: each as :func:`verify_log` does, and the links
    between them. ``logs`` holds each log's leaves and checkpoint (a sealed log's final one).
    ``vkey`` is the log key the caller trusts (any key of the rotation chain, from the first)."""
    if not logs:
        raise VerificationError("no log to verify", expected="at least one log", actual="none")
    try:
        verifier = parse_verifier_key(vkey.strip())
    except LedgerError as exc:
        raise VerificationError(
            "log verifier key is not valid", expected="name+hash+key", actual=exc.message_en
        ) from exc
    ring = KeyRing()
    reports: list[VerifyReport] = []
    after: SealedLog | None = None
    for number, (leaves, note) in enumerate(logs):
        try:
            checkpoint = Checkpoint.parse(parse_note(note).text)
        except LedgerError as exc:
            raise VerificationError(
                f"log {number}: checkpoint is not a signed note", expected="C2SP checkpoint", actual=exc.message_en
            ) from exc
        try:
            if after is not None and checkpoint.origin != after.next_origin:
                raise VerificationError(
                    "logs out of order", seq=None, expected=after.next_origin, actual=checkpoint.origin
                )
            last: list[bytes] = []
            report = verify_leaves(_remember_last(leaves, last), checkpoint, ring, after=after)
            if number == len(logs) - 1:
                check_checkpoint_key(note, checkpoint, verifier, ring)
            else:
                # a sealed log's leaves are vouched for by the next log's genesis (which names
                # its root) and so by the trusted latest checkpoint; its own final checkpoint
                # must still carry the signature of the log key in force then
                check_signed_in_force(note, checkpoint, ring, verifier)
        except VerificationError as exc:
            if len(logs) == 1:
                raise
            raise VerificationError(
                f"log {checkpoint.origin}: {exc.what}", seq=exc.seq, expected=exc.expected, actual=exc.actual
            ) from exc
        reports.append(report)
        ring.base += checkpoint.size
        if number < len(logs) - 1:
            after = _sealed(last, checkpoint)
    return ChainReport(reports)


def _remember_last(leaves: Iterable[bytes], box: list[bytes]) -> Iterator[bytes]:
    for raw in leaves:
        box[:] = [raw]
        yield raw


def _sealed(last: list[bytes], checkpoint: Checkpoint) -> SealedLog:
    """The link a sealed log hands to the next: its last entry must be log.sealed."""
    body = parse_leaf(last[0]).entry.body if last else None
    if body is None or body["type"] != LOG_SEALED:
        raise VerificationError(
            f"log {checkpoint.origin}: a log followed by another must end with log.sealed",
            seq=checkpoint.size - 1,
            expected="log.sealed",
            actual=body["type"] if body else "no entries",
        )
    return SealedLog(checkpoint.origin, checkpoint.size, checkpoint.root.hex(), str(body["data"].get("next_origin")))


def check_signed_in_force(note: str, checkpoint: Checkpoint, ring: KeyRing, trusted: NoteVerifier) -> None:
    if not ring.log_keys:
        verify_checkpoint(note, trusted, origin=checkpoint.origin)
        return
    at = ring.base + checkpoint.size
    in_force = max(i for i, (from_size, _) in enumerate(ring.log_keys) if from_size <= at)
    verify_checkpoint(
        note, format_verifier_key(checkpoint.origin, ring.log_keys[in_force][1]), origin=checkpoint.origin
    )


def verify_log(leaves: Iterable[bytes], checkpoint_note: str, vkey: str, *, origin: str | None = None) -> VerifyReport:
    """Verify every leaf against the checkpoint, and the checkpoint's signature.

    ``vkey`` is the log key the caller trusts. When the log names its checkpoint keys (genesis
    ``log_key`` and ``log.key_rotated`` entries), the checkpoint must be signed by the key in
    force at its size, reached from ``vkey`` through rotations each signed by the key before.
    """
    try:
        verifier = parse_verifier_key(vkey.strip())
    except LedgerError as exc:
        raise VerificationError(
            "log verifier key is not valid", expected="name+hash+key", actual=exc.message_en
        ) from exc
    try:
        claimed = Checkpoint.parse(parse_note(checkpoint_note).text)
    except LedgerError as exc:
        raise VerificationError(
            "checkpoint is not a signed note", expected="C2SP checkpoint", actual=exc.message_en
        ) from exc
    if origin is not None and claimed.origin != origin:
        raise VerificationError("checkpoint origin", expected=origin, actual=claimed.origin)
    ring = KeyRing()
    report = verify_leaves(leaves, claimed, ring)
    check_checkpoint_key(checkpoint_note, claimed, verifier, ring)
    return report


def check_checkpoint_key(note: str, checkpoint: Checkpoint, trusted: NoteVerifier, ring: KeyRing) -> None:
    """The checkpoint is signed by the log key in force at its size, and that key is the one
    the verifier trusts or follows from it through rotations the log recorded."""
    chain = ring.log_keys
    if not chain:  # the genesis named no log key: the trusted key signs every checkpoint
        verify_checkpoint(note, trusted, origin=checkpoint.origin)
        return
    at = ring.base + checkpoint.size  # log keys are in force from positions in the chain
    in_force = max(i for i, (from_size, _) in enumerate(chain) if from_size <= at)
    trusted_at = [i for i, (_, raw) in enumerate(chain) if raw == trusted.public]
    if not trusted_at or min(trusted_at) > in_force:
        raise VerificationError(
            "the trusted log key is not the log's key at this size, nor an earlier key it rotated from",
            expected=key_id(chain[in_force][1]),
            actual=key_id(trusted.public),
        )
    verify_checkpoint(note, format_verifier_key(checkpoint.origin, chain[in_force][1]), origin=checkpoint.origin)


SHARDS_FOLDER = "shards"


def read_chain_export(folder: Path) -> tuple[list[tuple[Iterator[bytes], str]], str]:
    """Open an export of a chain of logs: ``shards/NNNN/`` for each sealed log (oldest first),
    then the folder itself for the log being appended to. Returns the logs and the vkey."""
    folder = Path(folder)
    logs: list[tuple[Iterator[bytes], str]] = []
    sealed = folder / SHARDS_FOLDER
    if sealed.is_dir():
        for sub in sorted(p for p in sealed.iterdir() if p.is_dir()):
            leaves, note, _ = read_export(sub)
            logs.append((leaves, note))
    leaves, note, vkey = read_export(folder)
    logs.append((leaves, note))
    return logs, vkey


def read_export(folder: Path) -> tuple[Iterator[bytes], str, str]:
    """Open an export folder: the leaves (streamed, one per line), the checkpoint, the vkey."""
    folder = Path(folder)
    try:
        note = (folder / "checkpoint").read_text(encoding="utf-8")
        vkey = (folder / "log.vkey").read_text(encoding="utf-8").strip()
        entries = folder / "entries.jsonl"
        if not entries.is_file():
            raise FileNotFoundError(str(entries))
    except (OSError, UnicodeDecodeError) as exc:
        raise VerificationError(
            "export folder is incomplete", expected="entries.jsonl, checkpoint, log.vkey", actual=str(exc)
        ) from exc

    def lines() -> Iterator[bytes]:
        with open(entries, "rb") as f:
            for line in f:
                if not line.endswith(b"\n"):
                    yield line  # a last line without newline is still checked as a leaf
                else:
                    yield line[:-1]

    return lines(), note, vkey
