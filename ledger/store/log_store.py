"""The log on SQL: one sequencer, atomic appends with proofs, checkpoints, reads.

An append (one entry or a batch) is one transaction:

1. take the write lock (PostgreSQL: ``SELECT … FOR UPDATE`` on the head row; SQLite:
   ``BEGIN IMMEDIATE``), so concurrent appends from any number of processes are serialised
   and never fork the chain, skip or repeat a seq;
2. for each entry: idempotency (same signer and idem: same body returns the stored entry,
   another body is refused), signer key, signature, clock, then the domain's rules on the
   projections;
3. write the leaves, the perfect subtrees they complete, the projection rows, the new head
   and a signed checkpoint of the new size;
4. return each entry's seq, leaf hash and inclusion proof against that checkpoint.

Any refusal rolls the whole transaction back: nothing of a refused entry or batch is written.

Shards: the registry's history is a chain of logs. :meth:`LogStore.roll_over` seals the log
being appended to (its last entry is ``log.sealed``, naming the next origin) and opens the
next one (its entry 0 is a ``registry.genesis`` that names the sealed log's final
checkpoint), in one transaction. Seqs, sizes and proofs are always those of one shard's own
log (the active one unless a ``shard`` is named); the domain sees each entry's *position* in
the whole chain (the shard's base plus its seq), so keys, organisations, projects and
balances carry across shards.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, and_, func, insert, select, update

from ledger.domain.state import Overlay
from ledger.errors import InvariantBroken, LedgerError, define
from ledger.protocol import ed25519_strict, merkle
from ledger.protocol.canonical import format_time, now, parse_time
from ledger.protocol.checkpoint import Checkpoint, sign_checkpoint
from ledger.protocol.entry import (
    GENESIS_PREV,
    Leaf,
    SignedEntry,
    make_body,
    parse_submission,
    sign_entry,
    signature_valid,
)
from ledger.protocol.keys import KeyPair, key_id, unb64
from ledger.protocol.note import NoteSigner, parse_note
from ledger.protocol.sigcheck import Pending
from ledger.protocol.sigcheck import start as start_verify
from ledger.protocol.witness_protocol import COSIGNATURE_OLDER
from ledger.store.db import read_transaction, write_transaction
from ledger.store.fastsql import in_list, run, write_all
from ledger.store.sql_state import SqlState
from ledger.store.tables import CHECKPOINT, COSIG, HEAD, LEAF, SHARD

MAX_BATCH = 1000
# a seq later than any key's grant: "which key does this id stand for", asked before the lock
# (the rules ask again under the lock with the entry's real seq)
_AFTER_EVERY_GRANT = 2**62

_SELECT_HEAD = (
    "SELECT size, root, last_leaf_hash, last_time, edge, log_key_id, origin, shard, base FROM log_head WHERE id = 1"
)
_SELECT_HEAD_FOR_UPDATE = _SELECT_HEAD + " FOR UPDATE"
_UPDATE_HEAD = (
    "UPDATE log_head SET size = :size, root = :root, last_leaf_hash = :prev, last_time = :time, edge = :edge, "
    "log_key_id = :log_key_id WHERE id = 1"
)
LOG_KEY_ROTATED = "log.key_rotated"
LOG_SEALED = "log.sealed"
GENESIS = "registry.genesis"
SEAL_BY_COMMAND = define(
    "log_seal_by_command",
    "refused",
    "A log is sealed, and the next one opened, with `charity-ledger shard roll` by its operator, not by submitting an entry.",
    "账本须由运营方用 `charity-ledger shard roll` 封存并开启下一分片，不能通过提交条目完成。",
)
LOG_SEALED_ERROR = define(
    "log_sealed",
    "conflict",
    "The log {origin!r} is sealed (its final size is {size}); sign the entry for the log {current!r} and submit it again.",
    "账本 {origin!r} 已封存（最终大小 {size}）；请为账本 {current!r} 重新签署该条目后提交。",
)
SHARD_ORIGIN_INVALID = define(
    "shard_origin_invalid",
    "invalid",
    "The next log's origin {origin!r} cannot be used: {reason}.",
    "下一分片的账本名称 {origin!r} 不可用：{reason_zh}。",
)
SHARD_NO_LOG_KEY = define(
    "shard_no_log_key",
    "conflict",
    "The log {origin!r} cannot be continued: its genesis names no checkpoint key (data.log_key), so a verifier could not tell who sealed it.",
    "账本 {origin!r} 无法延续：其登记根未写明检查点密钥（data.log_key），验证者无法确认封存者。",
)
SHARD_EMPTY = define(
    "shard_empty",
    "conflict",
    "The log {origin!r} has no entries yet; there is nothing to seal.",
    "账本 {origin!r} 尚无条目，无需封存。",
)
ROTATION_BY_COMMAND = define(
    "log_key_rotation_by_command",
    "refused",
    "The log's checkpoint key is rotated with `charity-ledger rotate-log-key` by its operator, not by submitting an entry.",
    "账本检查点密钥须由运营方用 `charity-ledger rotate-log-key` 轮换，不能通过提交条目完成。",
)
LOG_HOLDS_ENTRIES = define(
    "log_holds_entries",
    "conflict",
    "The log {origin!r} holds {size} entries; only an empty log's clock can be set to start at another time.",
    "账本 {origin!r} 已有 {size} 条条目；只有空账本的时钟可以改为从另一时间开始。",
)
LOG_KEY_MISSING = define(
    "log_key_missing",
    "unavailable",
    "The log now signs with key {key_id}, which this process cannot find in the key folder.",
    "账本现用密钥 {key_id} 签署检查点，但本进程在密钥目录中找不到该密钥。",
)
_INSERT_LEAF = (
    "INSERT INTO log_leaf (seq, leaf_hash, signer, idem, body_hash, type, time, leaf) "
    "VALUES (:seq, :leaf_hash, :signer, :idem, :body_hash, :type, :time, :leaf)"
)
_IDEM_SELECT = "SELECT idem, seq, leaf_hash, time, body_hash FROM log_leaf WHERE signer = :signer"
_IDEM_ANY = (
    "SELECT l.idem, l.seq, l.leaf_hash, l.time, l.body_hash FROM unnest(CAST(:idems AS varchar[])) AS wanted(idem) "
    "JOIN log_leaf AS l ON l.signer = :signer AND l.idem = wanted.idem"
)
_NODES_ANY = (
    "SELECT n.level, n.idx, n.hash FROM unnest(CAST(:levels AS smallint[]), CAST(:idxs AS bigint[])) AS w(level, idx) "
    "JOIN merkle_node AS n ON n.shard = :shard AND n.level = w.level AND n.idx = w.idx"
)
_INSERT_NODE = "INSERT INTO merkle_node (shard, level, idx, hash) VALUES (:shard, :level, :idx, :hash)"
_INSERT_CHECKPOINT = (
    "INSERT INTO log_checkpoint (shard, size, root, note, signed_at) VALUES (:shard, :size, :root, :note, :signed_at)"
)
_OPEN_SHARD = (
    "UPDATE log_head SET origin = :origin, shard = :shard, base = :base, size = 0, root = :root, "
    "last_leaf_hash = :prev, last_time = :time, edge = :edge WHERE id = 1"
)


class Domain(Protocol):
    """What the log needs from the domain (the ``ledger.domain`` package): keys and rules."""

    def signer_public_key(self, state: Any, entry: SignedEntry, seq: int) -> bytes | None: ...

    def apply(self, state: Any, ctx: Any, entry: SignedEntry) -> None: ...

    def AppendContext(self, seq: int, leaf_hash: str, log_time: str, origin: str, index: int | None = None) -> Any: ...

    def continuation_data(self, state: Any, previous: dict[str, Any], origin: str) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Head:
    size: int
    root: bytes
    last_leaf_hash: str
    last_time: str
    origin: str = ""
    shard: int = 0  # the shard being appended to
    base: int = 0  # its first entry's position in the chain of shards


@dataclass(frozen=True, slots=True)
class Shard:
    """One log of the chain: sealed (with its final checkpoint) or the one being appended to."""

    index: int
    origin: str
    base: int
    size: int
    root: str
    sealed: bool
    next_origin: str | None = None
    checkpoint: str | None = None  # the final checkpoint of a sealed shard
    sealed_at: str | None = None

    def contains(self, position: int) -> bool:
        return self.base <= position < self.base + self.size

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "origin": self.origin,
            "base": self.base,
            "size": self.size,
            "root_hash": self.root,
            "sealed": self.sealed,
            "next_origin": self.next_origin,
            "sealed_at": self.sealed_at,
        }


@dataclass(frozen=True, slots=True)
class AppendResult:
    seq: int  # in its own log (shard)
    leaf_hash: str
    time: str
    existing: bool  # True when an identical earlier submission was returned (idempotent retry)
    tree_size: int
    proof: list[str]
    checkpoint: str
    position: int = -1  # in the chain of shards (the seq of the projections); -1: same as seq

    @property
    def pos(self) -> int:
        return self.seq if self.position < 0 else self.position

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "leaf_hash": self.leaf_hash,
            "time": self.time,
            "existing": self.existing,
            "inclusion_proof": {"index": self.seq, "size": self.tree_size, "hashes": self.proof},
            "checkpoint": self.checkpoint,
        }


class _SqlNodes:
    """NodeSource over the merkle_node table, with nodes written in this transaction on top."""

    def __init__(self, conn: Connection, fresh: dict[tuple[int, int], bytes] | None = None, shard: int = 0) -> None:
        self.conn = conn
        self.fresh = fresh or {}
        self.shard = shard

    def get_nodes(self, nodes: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        found = {n: self.fresh[n] for n in nodes if n in self.fresh}
        by_level: dict[int, list[int]] = {}
        for level, idx in nodes:
            if (level, idx) not in found:
                by_level.setdefault(level, []).append(idx)
        if not by_level:
            return found
        if self.conn.dialect.name == "postgresql":
            # one array pair: each wanted node is one lookup of the (shard, level, idx) key (an
            # IN list on idx, the key's last column, is only a filter in a plain index scan)
            wanted = [(level, idx) for level, idxs in by_level.items() for idx in idxs]
            pairs = {"shard": self.shard, "levels": [w[0] for w in wanted], "idxs": [w[1] for w in wanted]}
            for level, idx, h in run(self.conn, _NODES_ANY, pairs):
                found[(level, idx)] = bytes(h)
            return found
        # SQLite: one indexed (shard, level, idx IN …) lookup per level, joined by UNION ALL (as
        # OR terms sharing "shard = ?", SQLite factors the shard out and scans all of it)
        parts: list[str] = []
        params: dict[str, Any] = {"shard": self.shard}
        for level, idxs in by_level.items():
            for i in range(0, len(idxs), 400):
                clause, p = in_list("idx", idxs[i : i + 400], prefix=f"i{level}_{i}")
                parts.append(
                    f"SELECT level, idx, hash FROM merkle_node WHERE shard = :shard AND level = :l{level}_{i} AND {clause}"
                )
                params.update(p)
                params[f"l{level}_{i}"] = level
        if parts:
            for level, idx, h in run(self.conn, " UNION ALL ".join(parts), params):
                found[(level, idx)] = bytes(h)
        return found


@dataclass(slots=True)
class _SignatureChecks:
    """Signatures checked (or being checked) against the key each signer id must stand for."""

    keys: list[bytes | None]  # per position: the key checked against, None when unknown then
    positions: list[int]  # positions with a key, in the order of pending's results
    pending: Pending

    def verdicts(self) -> dict[int, bool]:
        """Position -> signature valid, for the positions checked (waits for the pool)."""
        return dict(zip(self.positions, self.pending.result(), strict=True))

    def first_bad(self, entries: Sequence[SignedEntry], upto: int) -> LedgerError | None:
        """The bad_signature error of the first entry at or before ``upto`` that fails."""
        if not self.positions or self.positions[0] > upto:
            return None
        for position, ok in zip(self.positions, self.pending.result(), strict=True):
            if position > upto:
                break
            if not ok:
                err = LedgerError("bad_signature", signer=entries[position].signer)
                err.params["position"] = position
                return err
        return None


class LogStore:
    def __init__(
        self,
        engine: Engine,
        *,
        origin: str,
        log_key: KeyPair,
        domain: Domain,
        max_clock_skew_s: int = 600,
        clock: Any = now,
        key_loader: Any = None,
    ) -> None:
        self.engine = engine
        self.origin = origin
        self.log_key = log_key
        self.domain = domain
        self.max_clock_skew_s = max_clock_skew_s
        self.clock = clock
        self.key_loader = key_loader  # key id -> KeyPair, to follow rotations made elsewhere
        self.is_postgres = engine.dialect.name == "postgresql"
        self._signer = NoteSigner(origin, log_key)
        # key id -> public key: a key id is the hash of its key, so this never goes stale
        self._key_cache: dict[str, bytes] = {}
        self._keys_checked = False  # no weak key in the log (see _refuse_if_weak_key)

    # --- set-up ---------------------------------------------------------------------------

    def ensure_head(self) -> None:
        """Create the head row and the checkpoint of the empty tree (idempotent)."""
        with write_transaction(self.engine) as conn:
            row = conn.execute(select(HEAD.c.origin).where(HEAD.c.id == 1)).first()
            if row is not None:
                if row.origin != self.origin:
                    raise LedgerError("wrong_log", got=self.origin, expected=row.origin)
                return
            t = format_time(self.clock())
            conn.execute(
                insert(HEAD).values(
                    id=1,
                    origin=self.origin,
                    size=0,
                    last_leaf_hash=GENESIS_PREV,
                    last_time=t,
                    root=merkle.EMPTY_ROOT.hex(),
                    edge=b"",
                    log_key_id=self.log_key.id,
                )
            )
            self._store_checkpoint(conn, 0, merkle.EMPTY_ROOT, t, 0)

    def start_clock_at(self, moment: datetime) -> None:
        """Date the empty tree of a log that holds no entry yet at ``moment``: the head's time
        and the signed_at of the size-0 checkpoint (the note itself names no time). The log
        clock never runs backwards from the head's time, so a sequencer whose own clock starts
        before the moment the log was created (the demo's simulated clock) says so here first.
        An empty log has no history this could contradict; a log with entries is refused."""
        t = format_time(moment)
        with write_transaction(self.engine) as conn:
            head, _edge = self._lock_head(conn)
            if head.size or head.base:
                raise LedgerError(LOG_HOLDS_ENTRIES, origin=head.origin, size=head.base + head.size)
            conn.execute(update(HEAD).where(HEAD.c.id == 1).values(last_time=t))
            conn.execute(
                update(CHECKPOINT)
                .where(and_(CHECKPOINT.c.shard == head.shard, CHECKPOINT.c.size == 0))
                .values(signed_at=t)
            )

    # --- append ---------------------------------------------------------------------------

    def submit(self, submission: Any) -> AppendResult:
        """Append one ``{"body", "sig"}`` submission (already parsed from JSON). The log the
        entry names is judged by :meth:`append`, which knows the chain (a sealed log's retry,
        ``log_sealed``, a roll-over made by another process)."""
        return self.append([parse_submission(submission)])[0]

    def submit_batch(self, submissions: Sequence[Any]) -> list[AppendResult]:
        if not isinstance(submissions, list):
            raise LedgerError("body_invalid", detail="a batch is a JSON array of submissions")
        self._check_batch_size(len(submissions))
        entries = []
        for position, sub in enumerate(submissions):
            try:
                entries.append(parse_submission(sub))
            except LedgerError as exc:
                raise _batch_error(position, exc) from exc
        return self.append(entries)

    @staticmethod
    def _check_batch_size(size: int) -> None:
        if size == 0:
            raise LedgerError("batch_empty")
        if size > MAX_BATCH:
            raise LedgerError("batch_too_large", size=size, limit=MAX_BATCH)

    def append(
        self, entries: Sequence[SignedEntry], *, then: Callable[[Connection, list[AppendResult]], None] | None = None
    ) -> list[AppendResult]:
        """Append entries atomically (all or none). ``then(conn, results)`` runs inside the same
        transaction after the log's writes: what it writes commits with the entries, or not at all."""
        self._check_batch_size(len(entries))
        for position, entry in enumerate(entries):
            exc = self._log_mismatch(entry)
            if exc is not None:
                if len(entries) == 1:
                    raise exc
                raise _batch_error(position, exc)
        checked = self._check_signatures_unlocked(entries)
        with write_transaction(self.engine) as conn:
            head, edge = self._lock_head(conn)
            results: list[AppendResult] = self._append_locked(conn, head, edge, entries, checked)  # type: ignore[assignment]
            if then is not None:
                then(conn, results)
            return results

    def _log_mismatch(
        self, entry: SignedEntry, head: Head | None = None, *, before_lock: bool = True
    ) -> LedgerError | None:
        """None when the entry is signed for the log being appended to; else the error: the
        log it names was sealed (the chain moved on, maybe in another process), or it is
        another registry's log. Before the lock an entry for a sealed log goes on (it may be
        the retry of one stored there, which the idem look-up under the lock returns)."""
        current = head.origin if head is not None else self.origin
        if entry.body["log"] == current:
            return None
        if head is None:  # another process may have rolled the chain over: look again
            fresh = self.head()
            if fresh.origin != current:
                return self._log_mismatch(entry, fresh, before_lock=before_lock)
        sealed = self.shard(entry.body["log"], missing_ok=True)
        if sealed is not None and sealed.sealed:
            return (
                None
                if before_lock
                else LedgerError(LOG_SEALED_ERROR, origin=sealed.origin, size=sealed.size, current=current)
            )
        return LedgerError("wrong_log", got=entry.body["log"], expected=current)

    # --- the log's own key -----------------------------------------------------------------

    def _adopt(self, origin: str, current_id: str) -> None:
        """Follow a rotation or a roll-over made by another process: the head names the log
        being appended to and the key that signs its checkpoints."""
        if current_id != self.log_key.id:
            pair = self.key_loader(current_id) if self.key_loader else None
            if pair is None or pair.id != current_id:
                raise LedgerError(LOG_KEY_MISSING, key_id=current_id)
            self.log_key = pair
        elif origin == self.origin:
            return
        self.origin = origin
        self._signer = NoteSigner(origin, self.log_key)

    def _refresh(self) -> None:
        """Adopt the origin and key the head names now (a roll-over or rotation by any process)."""
        with read_transaction(self.engine) as conn:
            row = run(conn, _SELECT_HEAD).fetchone()
        if row is not None:
            self._adopt(row[6], row[5])

    def current_origin(self) -> str:
        """The origin of the log being appended to now (after a roll-over by any process)."""
        self._refresh()
        return self.origin

    def current_log_key(self) -> KeyPair:
        """The key that signs checkpoints now (after any rotation, by any process)."""
        self._refresh()
        return self.log_key

    def rotate_log_key(self, new: KeyPair) -> AppendResult:
        """Announce ``new`` in a log.key_rotated entry signed with the current key; the checkpoint
        of the tree that holds the announcement, and every later one, is signed with ``new``."""
        with write_transaction(self.engine) as conn:
            head, edge = self._lock_head(conn)
            old = self.log_key
            body = make_body(
                self.origin,
                LOG_KEY_ROTATED,
                old.id,
                self.clock(),
                f"log-key-rotation-{new.id[:32]}",
                {
                    "public_key": new.public_b64,
                    "from_size": head.size + 1,
                },
            )
            entry = sign_entry(old, body)
            checked = _signed_now(old)
            (result,) = self._append_locked(conn, head, edge, [entry], checked, rotate_to=NoteSigner(self.origin, new))
        self.log_key = new
        self._signer = NoteSigner(self.origin, new)
        return result  # type: ignore[return-value]

    def append_each(self, entries: Sequence[SignedEntry]) -> list[AppendResult | LedgerError]:
        """Append entries that stand alone (requests from different clients) in one transaction:
        each is checked on its own, refused ones come back as errors and write nothing, the
        others share one lock, one commit and one checkpoint. This is how the API coalesces
        concurrent single submissions without a batching delay."""
        self._check_batch_size(len(entries))
        out: list[AppendResult | LedgerError | None] = [None] * len(entries)
        keep: list[int] = []
        for position, entry in enumerate(entries):
            exc = self._log_mismatch(entry)
            if exc is not None:
                out[position] = exc
            else:
                keep.append(position)
        if keep:
            chosen = [entries[i] for i in keep]
            checked = self._check_signatures_unlocked(chosen)
            with write_transaction(self.engine) as conn:
                head, edge = self._lock_head(conn)
                results = self._append_locked(conn, head, edge, chosen, checked, independent=True)
            for i, result in zip(keep, results, strict=True):
                out[i] = result
        return out  # type: ignore[return-value]

    def _check_signatures_unlocked(self, entries: Sequence[SignedEntry]) -> _SignatureChecks:
        """Verify signatures before taking the write lock, so the lock covers only cheap work.

        A key id is the SHA-256 of its public key, so a public key found for a signer — in the
        projections now, or named by an entry of this batch that grants it — is the only key
        that id can ever stand for. Under the lock the log asks the domain again which key
        (if any) may sign; when it is the one checked here, the result is reused. Large batches
        are verified by a process pool while the rules run under the lock.
        """
        pubs: dict[str, bytes] = {}
        for e in entries:
            raw = _named_public_key(e)
            if raw is not None:
                pubs.setdefault(key_id(raw), raw)
        for signer in {e.signer for e in entries} - pubs.keys():
            cached = self._key_cache.get(signer)
            if cached is not None:
                pubs[signer] = cached
        missing = {e.signer for e in entries} - pubs.keys()
        if missing:
            with read_transaction(self.engine) as conn:
                state = SqlState(conn)
                for e in entries:
                    if e.signer in missing and e.signer not in pubs:
                        raw = self.domain.signer_public_key(state, e, _AFTER_EVERY_GRANT)
                        if raw is not None and key_id(raw) == e.signer:
                            pubs[e.signer] = self._key_cache[e.signer] = raw
        keys = [pubs.get(e.signer) for e in entries]
        positions = [i for i, raw in enumerate(keys) if raw is not None]
        pending = start_verify([(keys[i], entries[i].sig, entries[i].signing_message()) for i in positions])  # type: ignore[misc]
        return _SignatureChecks(keys, positions, pending)

    def _refuse_if_weak_key(self, conn: Connection) -> None:
        """Refuse to append to a log that already holds a key of small order, non-canonical or
        off the curve (put there before the strict rule, ledger.protocol.ed25519_strict): strict
        verifiers call such a log invalid from that entry on, so it must not grow as if it
        were sound (docs/protocol.md). No such key can enter any more, so a clean scan of the
        keys is remembered for the life of the process."""
        if self._keys_checked:
            return
        from ledger.domain.codes import LOG_HOLDS_WEAK_KEY
        from ledger.domain.rows import KeyRow, RegistryRow
        from ledger.store.projection_tables import table_for

        keys, registry = table_for(KeyRow), table_for(RegistryRow)
        found: list[tuple[int, str, str]] = []
        for key_id_, public, granted_seq in conn.execute(select(keys.c.key_id, keys.c.public_key, keys.c.granted_seq)):
            problem = _key_problem(public)
            if problem is not None:
                found.append((granted_seq, key_id_, problem))
        for log_key, log_key_id, from_size in conn.execute(
            select(registry.c.log_key, registry.c.log_key_id, registry.c.log_key_from_size)
        ):
            problem = _key_problem(log_key) if log_key is not None else None
            if problem is not None:
                found.append((max((from_size or 1) - 1, 0), log_key_id or "?", problem))
        if found:
            seq, bad_id, problem = min(found)
            raise LedgerError(LOG_HOLDS_WEAK_KEY, seq=seq, key_id=bad_id, problem=problem)
        self._keys_checked = True

    def _lock_head(self, conn: Connection) -> tuple[Head, merkle.CompactRange]:
        row = run(conn, _SELECT_HEAD_FOR_UPDATE if self.is_postgres else _SELECT_HEAD).fetchone()
        if row is None:
            raise LedgerError("log_not_initialised", home="the database")
        size, root, last_leaf_hash, last_time, edge, log_key_id, origin, shard, base = row
        self._adopt(origin, log_key_id)
        edge = bytes(edge)
        hashes = [edge[i : i + 32] for i in range(0, len(edge), 32)]
        head = Head(size, bytes.fromhex(root), last_leaf_hash, last_time, origin, shard, base)
        return head, merkle.CompactRange(size, hashes)

    def _append_locked(
        self,
        conn: Connection,
        head: Head,
        edge: merkle.CompactRange,
        entries: Sequence[SignedEntry],
        checked: _SignatureChecks,
        *,
        independent: bool = False,
        rotate_to: NoteSigner | None = None,
        operator: bool = False,
    ) -> list[AppendResult | LedgerError]:
        """Append under the lock. Atomic by default: the first refusal raises and nothing is
        written. ``independent``: each entry stands alone (its rule changes are kept on an
        overlay and dropped if it is refused); refusals come back in the result list."""
        self._refuse_if_weak_key(conn)
        single = len(entries) == 1 and not independent
        known = self._existing_by_idem(conn, entries)
        verdicts = checked.verdicts() if independent else {}
        # Every proof of this append is made of nodes written now or of the tree's edge before
        # it (a left sibling wholly before the old size is an edge node), so no reads are needed.
        fresh_nodes: dict[tuple[int, int], bytes] = dict(zip(merkle.edge_nodes(head.size), edge.hashes, strict=True))
        base_state = SqlState(conn)
        prefetch = getattr(self.domain, "prefetch", None)  # the rows the rules will read, in a few queries
        if prefetch is not None:
            prefetch(base_state, entries, head.origin)
        state: SqlState | Overlay = base_state
        moment = self.clock()
        log_time = format_time(moment)
        if log_time < head.last_time:  # the log clock never runs backwards
            log_time = head.last_time
        prev = head.last_leaf_hash
        seq = head.size  # in this shard's log; the domain sees head.base + seq
        leaf_rows: list[dict[str, Any]] = []
        node_rows: list[dict[str, Any]] = []
        out: list[tuple[int, str, str, bool] | AppendResult | LedgerError] = []
        seen_in_batch: dict[tuple[str, str], tuple[int, str, str, str]] = {}
        for position, entry in enumerate(entries):
            if independent:
                state = Overlay(base_state)
            try:
                body_hash = hashlib.sha256(entry.body_bytes).hexdigest()
                key = (entry.signer, entry.idem)
                previous = seen_in_batch.get(key) or known.get(key)
                if previous is not None:
                    p_seq, p_hash, p_time, p_body_hash = previous
                    if p_body_hash != body_hash:
                        raise LedgerError("idem_conflict", idem=entry.idem, seq=p_seq)
                    # a retry is answered with the stored entry only if its own signature holds
                    if checked.keys[position] is None:
                        raise LedgerError("unknown_signer", signer=entry.signer)
                    if not verdicts:
                        verdicts = checked.verdicts()
                    if not verdicts[position]:
                        raise LedgerError("bad_signature", signer=entry.signer)
                    if p_seq < head.base:  # stored in a sealed shard before the roll-over
                        out.append(self._stored_in_sealed_shard(conn, p_seq, p_hash, p_time))
                    else:
                        out.append((p_seq - head.base, p_hash, p_time, True))
                    continue
                if entry.type == LOG_KEY_ROTATED and rotate_to is None:
                    raise LedgerError(ROTATION_BY_COMMAND)
                if entry.type == LOG_SEALED and not operator:
                    raise LedgerError(SEAL_BY_COMMAND)
                mismatch = self._log_mismatch(entry, head, before_lock=False)
                if mismatch is not None:
                    raise mismatch
                public = self.domain.signer_public_key(state, entry, head.base + seq)
                if public is None:
                    raise LedgerError("unknown_signer", signer=entry.signer)
                if checked.keys[position] == public:
                    if independent and not verdicts[position]:
                        raise LedgerError("bad_signature", signer=entry.signer)
                elif not signature_valid(entry, public):
                    raise LedgerError("bad_signature", signer=entry.signer)
                self._check_clock(entry, moment)
                leaf = Leaf(seq, prev, log_time, entry)
                leaf_bytes = leaf.to_bytes()
                lh = merkle.leaf_hash(leaf_bytes)
                lh_hex = lh.hex()
                ctx = self.domain.AppendContext(head.base + seq, lh_hex, log_time, head.origin, seq)
                self.domain.apply(state, ctx, entry)
            except LedgerError as exc:
                if independent:
                    out.append(exc)
                    continue
                # a bad signature at or before this entry is the first thing wrong
                exc = checked.first_bad(entries, position) or exc
                if single:
                    raise exc from None
                raise _batch_error(exc.params.get("position", position), exc) from exc
            if independent:
                state.flush()  # the overlay's rows into the transaction's state
            for level, idx, h in edge.append(lh):
                node_rows.append({"shard": head.shard, "level": level, "idx": idx, "hash": h})
                fresh_nodes[(level, idx)] = h
            leaf_rows.append(
                {
                    "seq": head.base + seq,
                    "leaf_hash": lh_hex,
                    "signer": entry.signer,
                    "idem": entry.idem,
                    "body_hash": body_hash,
                    "type": entry.type,
                    "time": log_time,
                    "leaf": leaf_bytes,
                }
            )
            seen_in_batch[key] = (head.base + seq, lh_hex, log_time, body_hash)
            out.append((seq, lh_hex, log_time, False))
            prev = lh_hex
            seq += 1
        state = base_state
        bad = None if independent else checked.first_bad(entries, len(entries) - 1)
        if bad is not None:
            if single:
                raise bad
            raise _batch_error(bad.params["position"], bad)
        size = edge.size
        root = edge.root()
        signer = rotate_to or self._signer
        if leaf_rows:
            note = sign_checkpoint(Checkpoint(head.origin, size, root), signer)
            write_all(
                conn,
                [
                    *base_state.pending_writes(),
                    (_INSERT_LEAF, leaf_rows),
                    (_INSERT_NODE, node_rows),
                    (
                        _UPDATE_HEAD,
                        {
                            "size": size,
                            "root": root.hex(),
                            "prev": prev,
                            "time": log_time,
                            "edge": b"".join(edge.hashes),
                            "log_key_id": signer.pair.id,
                        },
                    ),
                    (
                        _INSERT_CHECKPOINT,
                        {"shard": head.shard, "size": size, "root": root.hex(), "note": note, "signed_at": log_time},
                    ),
                ],
            )
        else:
            note = self._checkpoint_note(conn, size, head.shard)
        accepted = [o for o in out if isinstance(o, tuple)]
        proofs = self._proofs(_SqlNodes(conn, fresh_nodes, head.shard), [o[0] for o in accepted], size)
        return [
            o
            if not isinstance(o, tuple)
            else AppendResult(o[0], o[1], o[2], o[3], size, proofs[o[0]], note, head.base + o[0])
            for o in out
        ]

    def _existing_by_idem(
        self, conn: Connection, entries: Sequence[SignedEntry]
    ) -> dict[tuple[str, str], tuple[int, str, str, str]]:
        """Entries already stored under the batch's (signer, idem) pairs (index lookups)."""
        by_signer: dict[str, set[str]] = {}
        for e in entries:
            by_signer.setdefault(e.signer, set()).add(e.idem)
        found: dict[tuple[str, str], tuple[int, str, str, str]] = {}
        for signer, idems in by_signer.items():
            ordered = sorted(idems)
            if self.is_postgres:
                # one array parameter: the plan (prepared after a few runs) looks each idem up in
                # the (signer, idem) unique index, where a long IN list ended in a scan of every
                # entry of the signer, growing with the log
                batches = [(_IDEM_ANY, {"signer": signer, "idems": ordered})]
            else:
                batches = []
                for i in range(0, len(ordered), 400):
                    clause, params = in_list("idem", ordered[i : i + 400])
                    params["signer"] = signer
                    batches.append((f"{_IDEM_SELECT} AND {clause}", params))
            for sql, params in batches:
                for idem, s, h, t, bh in run(conn, sql, params):
                    found[(signer, idem)] = (s, h, t, bh)
        return found

    def _check_clock(self, entry: SignedEntry, moment: datetime) -> None:
        at = parse_time(entry.body["at"])
        if abs((at - moment).total_seconds()) > self.max_clock_skew_s:
            raise LedgerError("clock_skew", at=entry.body["at"], now=format_time(moment), limit_s=self.max_clock_skew_s)

    @staticmethod
    def _proofs(source: merkle.NodeSource, seqs: Sequence[int], size: int) -> dict[int, list[str]]:
        """Inclusion proofs of many leaves at one size; ranges shared between proofs are hashed once."""
        ranges = {s: merkle.inclusion_ranges(s, size) for s in set(seqs)}
        distinct = {r for rs in ranges.values() for r in rs}
        nodes_of = {r: merkle.range_nodes(*r) for r in distinct}
        nodes = source.get_nodes(sorted({n for ns in nodes_of.values() for n in ns}))
        hashed = {r: merkle.fold([nodes[n] for n in ns]).hex() for r, ns in nodes_of.items()}
        return {s: [hashed[r] for r in rs] for s, rs in ranges.items()}

    # --- shards ---------------------------------------------------------------------------

    def roll_over(self, next_origin: str, *, only_from: str | None = None) -> tuple[AppendResult, AppendResult] | None:
        """Seal the log being appended to and open the next one, in one transaction.

        The sealed log's last entry is ``log.sealed`` (signed by the log key, naming
        ``next_origin`` and its own final size); its checkpoint of that size is final. The
        next log's entry 0 is a ``registry.genesis`` signed by the log key that restates the
        registry's trust root and names the sealed log's final checkpoint in ``previous``.
        Returns the two entries' results. A crash at any point leaves the chain as it was.
        ``only_from``: do it only if that is still the log being appended to (else None: another
        process rolled the chain over first).
        """
        _check_origin(next_origin)
        saved = (self.origin, self.log_key, self._signer)
        try:
            with write_transaction(self.engine) as conn:
                head, edge = self._lock_head(conn)
                if only_from is not None and head.origin != only_from:
                    return None
                if head.size == 0:
                    raise LedgerError(SHARD_EMPTY, origin=head.origin)
                taken = conn.execute(select(SHARD.c.shard).where(SHARD.c.origin == next_origin)).first()
                if next_origin == head.origin or taken is not None:
                    raise LedgerError(
                        SHARD_ORIGIN_INVALID,
                        origin=next_origin,
                        reason="a log of this chain already has it",
                        reason_zh="本链中已有同名账本",
                    )
                key = self.log_key
                body = make_body(
                    head.origin,
                    LOG_SEALED,
                    key.id,
                    self.clock(),
                    f"log-sealed-{head.shard}",
                    {
                        "next_origin": next_origin,
                        "size": head.size + 1,
                    },
                )
                if self.domain.signer_public_key(SqlState(conn), sign_entry(key, body), head.base + head.size) is None:
                    raise LedgerError(SHARD_NO_LOG_KEY, origin=head.origin)
                (sealed,) = self._append_locked(
                    conn, head, edge, [sign_entry(key, body)], _signed_now(key), operator=True
                )
                if not isinstance(sealed, AppendResult):
                    raise InvariantBroken("sealed is not a AppendResult")
                final = sealed.tree_size
                root_hex = Checkpoint.parse(parse_note(sealed.checkpoint).text).root.hex()
                conn.execute(
                    insert(SHARD).values(
                        shard=head.shard,
                        origin=head.origin,
                        base=head.base,
                        size=final,
                        root=root_hex,
                        last_leaf_hash=sealed.leaf_hash,
                        checkpoint=sealed.checkpoint,
                        log_key_id=key.id,
                        next_origin=next_origin,
                        sealed_at=sealed.time,
                    )
                )
                write_all(
                    conn,
                    [
                        (
                            _OPEN_SHARD,
                            {
                                "origin": next_origin,
                                "shard": head.shard + 1,
                                "base": head.base + final,
                                "root": merkle.EMPTY_ROOT.hex(),
                                "prev": GENESIS_PREV,
                                "time": sealed.time,
                                "edge": b"",
                            },
                        )
                    ],
                )
                opened, opened_edge = self._lock_head(conn)  # adopts the new origin
                self._store_checkpoint(conn, 0, merkle.EMPTY_ROOT, sealed.time, opened.shard)
                previous = {
                    "origin": head.origin,
                    "size": final,
                    "root_hash": root_hex,
                    "checkpoint": sealed.checkpoint,
                }
                data = self.domain.continuation_data(SqlState(conn), previous, next_origin)
                body = make_body(next_origin, GENESIS, key.id, self.clock(), f"registry-genesis-{opened.shard}", data)
                (first,) = self._append_locked(
                    conn, opened, opened_edge, [sign_entry(key, body)], _signed_now(key), operator=True
                )
                if not isinstance(first, AppendResult):
                    raise InvariantBroken("first is not a AppendResult")
        except BaseException:
            self.origin, self.log_key, self._signer = saved
            raise
        return sealed, first

    def shards(self) -> list[Shard]:
        """Every log of the chain, oldest first; the last is the one being appended to."""
        with read_transaction(self.engine) as conn:
            sealed = [_sealed_shard(r) for r in conn.execute(select(SHARD).order_by(SHARD.c.shard)).mappings()]
            head = conn.execute(select(HEAD).where(HEAD.c.id == 1)).mappings().first()
        if head is None:
            raise LedgerError("log_not_initialised", home="the database")
        return [*sealed, Shard(head["shard"], head["origin"], head["base"], head["size"], head["root"], False)]

    def _active(self) -> Shard:
        head = self.head()
        return Shard(head.shard, head.origin, head.base, head.size, head.root.hex(), False)

    def shard(self, which: int | str | None = None, *, missing_ok: bool = False) -> Shard | None:
        """One log of the chain by index or origin; None: the one being appended to."""
        if which is None:
            return self._active()
        column = SHARD.c.shard if isinstance(which, int) else SHARD.c.origin
        with read_transaction(self.engine) as conn:
            row = conn.execute(select(SHARD).where(column == which)).mappings().first()
        if row is not None:
            return _sealed_shard(row)
        current = self._active()
        if which in (current.index, current.origin):
            return current
        if missing_ok:
            return None
        raise LedgerError("not_found", what="log shard", what_zh="账本分片", ref=str(which))

    def shard_of(self, position: int) -> Shard:
        """The log (shard) holding the entry at ``position`` in the chain."""
        for shard in reversed(self.shards()):
            if shard.base <= position:
                if position >= shard.base + shard.size:
                    break
                return shard
        raise LedgerError("not_found", what="entry", what_zh="条目", ref=f"position {position}")

    def _stored_in_sealed_shard(self, conn: Connection, position: int, leaf_hash: str, time: str) -> AppendResult:
        """The answer to a retry of an entry that was stored before its log was sealed: its
        inclusion proof against that log's final checkpoint."""
        row = (
            conn.execute(select(SHARD).where(SHARD.c.base <= position).order_by(SHARD.c.base.desc()).limit(1))
            .mappings()
            .one()
        )
        shard = _sealed_shard(row)
        index = position - shard.base
        proof = merkle.inclusion_proof(index, shard.size, _SqlNodes(conn, shard=shard.index))
        return AppendResult(
            index, leaf_hash, time, True, shard.size, [h.hex() for h in proof], shard.checkpoint or "", position
        )

    def _index(self, shard: int | None) -> int:
        return self.head().shard if shard is None else shard

    # --- checkpoints ----------------------------------------------------------------------

    def _store_checkpoint(self, conn: Connection, size: int, root: bytes, signed_at: str, shard: int = 0) -> str:
        note = sign_checkpoint(Checkpoint(self.origin, size, root), self._signer)
        write_all(
            conn,
            [
                (
                    _INSERT_CHECKPOINT,
                    {"shard": shard, "size": size, "root": root.hex(), "note": note, "signed_at": signed_at},
                )
            ],
        )
        return note

    def _checkpoint_note(self, conn: Connection, size: int, shard: int) -> str:
        row = conn.execute(
            select(CHECKPOINT.c.note).where(and_(CHECKPOINT.c.shard == shard, CHECKPOINT.c.size == size))
        ).first()
        if row is None:
            raise LedgerError("not_found", what="checkpoint", what_zh="检查点", ref=f"size {size}")
        return str(row.note)

    def latest_checkpoint(self, shard: int | None = None) -> str:
        """The latest checkpoint of a log of the chain (the active one by default); for a
        sealed shard, its final checkpoint."""
        target = self.shard(shard)
        if target is None:
            raise InvariantBroken("target is missing")
        if target.checkpoint is not None:
            return target.checkpoint
        return self.checkpoint_at(target.size, target.index)

    def checkpoint_at(self, size: int, shard: int | None = None) -> str:
        index = self._index(shard)
        with read_transaction(self.engine) as conn:
            return self._checkpoint_note(conn, size, index)

    def checkpoint_sizes(self, *, before: int | None = None, limit: int = 100, shard: int | None = None) -> list[int]:
        index = self._index(shard)
        with read_transaction(self.engine) as conn:
            stmt = (
                select(CHECKPOINT.c.size)
                .where(CHECKPOINT.c.shard == index)
                .order_by(CHECKPOINT.c.size.desc())
                .limit(limit)
            )
            if before is not None:
                stmt = stmt.where(CHECKPOINT.c.size < before)
            return list(conn.execute(stmt).scalars())

    # --- reads ----------------------------------------------------------------------------

    def head(self) -> Head:
        """The head of the log being appended to (sizes and seqs are of that log)."""
        with read_transaction(self.engine) as conn:
            row = conn.execute(select(HEAD).where(HEAD.c.id == 1)).mappings().first()
            if row is None:
                raise LedgerError("log_not_initialised", home="the database")
            return Head(
                row["size"],
                bytes.fromhex(row["root"]),
                row["last_leaf_hash"],
                row["last_time"],
                row["origin"],
                row["shard"],
                row["base"],
            )

    def root_at(self, size: int, shard: int | None = None) -> bytes:
        target = self._check_size(size, shard=shard)
        with read_transaction(self.engine) as conn:
            return merkle.root_at(size, _SqlNodes(conn, shard=target.index))

    def _check_size(self, size: int, what: str = "size", shard: int | None = None) -> Shard:
        target = self.shard(shard)
        if target is None:
            raise InvariantBroken("target is missing")
        if not 0 <= size <= target.size:
            raise LedgerError("size_out_of_range", what=what, value=size, size=target.size)
        return target

    def inclusion_proof(self, index: int, size: int, shard: int | None = None) -> list[bytes]:
        target = self._check_size(size, shard=shard)
        if not 0 <= index < size:
            raise LedgerError("size_out_of_range", what="index", value=index, size=size)
        with read_transaction(self.engine) as conn:
            return merkle.inclusion_proof(index, size, _SqlNodes(conn, shard=target.index))

    def consistency_proof(self, first: int, second: int, shard: int | None = None) -> list[bytes]:
        target = self._check_size(second, "second", shard=shard)
        if not 0 <= first <= second:
            raise LedgerError("size_out_of_range", what="first", value=first, size=second)
        with read_transaction(self.engine) as conn:
            return merkle.consistency_proof(first, second, _SqlNodes(conn, shard=target.index))

    def position_of(self, leaf_hash: str) -> int:
        """An entry's position in the chain of shards, by its leaf hash."""
        with read_transaction(self.engine) as conn:
            seq = conn.execute(select(LEAF.c.seq).where(LEAF.c.leaf_hash == leaf_hash)).scalar_one_or_none()
        if seq is None:
            raise LedgerError("not_found", what="entry", what_zh="条目", ref=leaf_hash)
        return int(seq)

    def seq_of(self, leaf_hash: str, shard: int | None = None) -> int:
        """An entry's seq in its log (the active one unless ``shard`` is named), by leaf hash."""
        target = self.shard(shard)
        if target is None:
            raise InvariantBroken("target is missing")
        position = self.position_of(leaf_hash)
        if not target.contains(position):
            raise LedgerError("not_found", what="entry", what_zh="条目", ref=f"{leaf_hash} in {target.origin}")
        return position - target.base

    def leaf(self, position: int) -> bytes:
        """The leaf at ``position`` in the chain (its seq, in the first shard)."""
        with read_transaction(self.engine) as conn:
            raw = conn.execute(select(LEAF.c.leaf).where(LEAF.c.seq == position)).scalar_one_or_none()
        if raw is None:
            raise LedgerError("not_found", what="entry", what_zh="条目", ref=f"seq {position}")
        return bytes(raw)

    def leaves(self, start: int, end: int, shard: int | None = None) -> list[bytes]:
        """Leaves ``start`` to ``end`` (exclusive) of one log, by seq in that log."""
        base = 0 if shard == 0 else self.shard(shard).base  # type: ignore[union-attr]
        end = max(start, end)
        with read_transaction(self.engine) as conn:
            rows = conn.execute(
                select(LEAF.c.leaf)
                .where(and_(LEAF.c.seq >= base + start, LEAF.c.seq < base + end))
                .order_by(LEAF.c.seq)
            )
            return [bytes(r[0]) for r in rows]

    def iter_leaves(
        self, start: int = 0, end: int | None = None, chunk: int = 5000, shard: int | None = None
    ) -> Iterator[bytes]:
        """The leaves of one log in seq order, read in chunks (for export and verification)."""
        target = self.shard(shard)
        if target is None:
            raise InvariantBroken("target is missing")
        end = target.size if end is None else end
        position = start
        while position < end:
            batch = self.leaves(position, min(position + chunk, end), target.index)
            if not batch:
                return
            yield from batch
            position += len(batch)

    def iter_chain(self, chunk: int = 5000) -> Iterator[bytes]:
        """Every leaf of every log of the chain, in position order (for rebuilding projections)."""
        with read_transaction(self.engine) as conn:
            end = conn.execute(select(func.coalesce(func.max(LEAF.c.seq), -1))).scalar_one() + 1
        position = 0
        while position < end:
            with read_transaction(self.engine) as conn:
                rows = conn.execute(
                    select(LEAF.c.leaf)
                    .where(and_(LEAF.c.seq >= position, LEAF.c.seq < position + chunk))
                    .order_by(LEAF.c.seq)
                )
                batch = [bytes(r[0]) for r in rows]
            yield from batch
            position += chunk

    def cosignatures(self, size: int, shard: int | None = None) -> list[str]:
        index = self._index(shard)
        with read_transaction(self.engine) as conn:
            rows = conn.execute(
                select(COSIG.c.line).where(and_(COSIG.c.shard == index, COSIG.c.size == size)).order_by(COSIG.c.witness)
            )
            return [r[0] for r in rows]

    def add_cosignature(
        self,
        size: int,
        witness: str,
        line: str,
        timestamp: int,
        shard: int | None = None,
        *,
        then: Callable[[Connection], None] | None = None,
    ) -> None:
        """Store a cosignature line (a newer one by the same witness replaces it, never an older
        one); ``then`` writes more in the same transaction (the pusher's record of the witness)."""
        index = self._index(shard)
        where = and_(COSIG.c.shard == index, COSIG.c.size == size, COSIG.c.witness == witness)
        with write_transaction(self.engine) as conn:
            if then is not None:
                then(conn)
            held = conn.execute(select(COSIG.c.timestamp).where(where)).scalar_one_or_none()
            if held is not None:
                if timestamp < held:  # never replaced by an older one (a replay, or a clock gone back)
                    raise LedgerError(COSIGNATURE_OLDER, witness=witness, size=size, held=held, timestamp=timestamp)
                conn.execute(update(COSIG).where(where).values(line=line, timestamp=timestamp))
            else:
                conn.execute(
                    insert(COSIG).values(shard=index, size=size, witness=witness, line=line, timestamp=timestamp)
                )


def _sealed_shard(row: Any) -> Shard:
    return Shard(
        row["shard"],
        row["origin"],
        row["base"],
        row["size"],
        row["root"],
        True,
        row["next_origin"],
        row["checkpoint"],
        row["sealed_at"],
    )


def _signed_now(key: KeyPair) -> _SignatureChecks:
    """The signature check of an entry the log signed itself, just now."""
    return _SignatureChecks([key.public], [0], Pending(done=[True]))


def _check_origin(origin: Any) -> None:
    """A checkpoint origin line: printable, no spaces or line breaks (C2SP tlog-checkpoint)."""
    if (
        not isinstance(origin, str)
        or not origin
        or len(origin) > 200
        or any(ch.isspace() or not ch.isprintable() for ch in origin)
    ):
        raise LedgerError(
            SHARD_ORIGIN_INVALID,
            origin=origin,
            reason="an origin is 1 to 200 printable characters without spaces",
            reason_zh="账本名称须为 1 到 200 个可打印字符，不含空格",
        )


def _key_problem(public: str) -> str | None:
    """Why a stored base64 public key is not usable (ledger.protocol.ed25519_strict), or None."""
    try:
        return ed25519_strict.public_key_problem(unb64(public, length=32, what="public_key"))
    except LedgerError as exc:
        return exc.message_en


def _named_public_key(entry: SignedEntry) -> bytes | None:
    """The raw public key an entry names in ``data.public_key`` (genesis, key grants), if valid."""
    value = entry.data.get("public_key")
    if not isinstance(value, str):
        return None
    try:
        return unb64(value, length=32, what="data.public_key")
    except LedgerError:
        return None


def _batch_error(position: int, exc: LedgerError) -> LedgerError:
    err = LedgerError(
        "batch_entry_refused", position=position, reason=exc.message_en, reason_zh=exc.message_zh, code=exc.code
    )
    err.inner = exc  # type: ignore[attr-defined]
    return err
