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
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, and_, func, insert, select, update

from .. import merkle
from ..canonical import format_time, now, parse_time
from ..checkpoint import Checkpoint, sign_checkpoint
from ..note import NoteSigner
from ..entry import GENESIS_PREV, Leaf, SignedEntry, make_body, parse_submission, sign_entry, signature_valid
from ..errors import LedgerError, define
from ..keys import KeyPair, key_id, unb64
from ..sigcheck import Pending
from ..sigcheck import start as start_verify
from .db import read_transaction, write_transaction
from .fastsql import in_list, run, write_all
from .tables import CHECKPOINT, COSIG, HEAD, LEAF, NODE
from ..domain.state import Overlay
from .sql_state import SqlState


MAX_BATCH = 1000
# a seq later than any key's grant: "which key does this id stand for", asked before the lock
# (the rules ask again under the lock with the entry's real seq)
_AFTER_EVERY_GRANT = 2**62

_SELECT_HEAD = "SELECT size, root, last_leaf_hash, last_time, edge, log_key_id FROM log_head WHERE id = 1"
_SELECT_HEAD_FOR_UPDATE = _SELECT_HEAD + " FOR UPDATE"
_UPDATE_HEAD = (
    "UPDATE log_head SET size = :size, root = :root, last_leaf_hash = :prev, last_time = :time, edge = :edge, "
    "log_key_id = :log_key_id WHERE id = 1"
)
LOG_KEY_ROTATED = "log.key_rotated"
ROTATION_BY_COMMAND = define(
    "log_key_rotation_by_command",
    "refused",
    "The log's checkpoint key is rotated with `charity-ledger rotate-log-key` by its operator, not by submitting an entry.",
    "账本检查点密钥须由运营方用 `charity-ledger rotate-log-key` 轮换，不能通过提交条目完成。",
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
_INSERT_NODE = "INSERT INTO merkle_node (level, idx, hash) VALUES (:level, :idx, :hash)"
_INSERT_CHECKPOINT = "INSERT INTO log_checkpoint (size, root, note, signed_at) VALUES (:size, :root, :note, :signed_at)"


class Domain(Protocol):
    """What the log needs from the domain (the ``ledger.domain`` package): keys and rules."""

    def signer_public_key(self, state: Any, entry: SignedEntry, seq: int) -> bytes | None: ...

    def apply(self, state: Any, ctx: Any, entry: SignedEntry) -> None: ...

    def AppendContext(self, seq: int, leaf_hash: str, log_time: str, origin: str) -> Any: ...  # noqa: N802


@dataclass(frozen=True, slots=True)
class Head:
    size: int
    root: bytes
    last_leaf_hash: str
    last_time: str


@dataclass(frozen=True, slots=True)
class AppendResult:
    seq: int
    leaf_hash: str
    time: str
    existing: bool  # True when an identical earlier submission was returned (idempotent retry)
    tree_size: int
    proof: list[str]
    checkpoint: str

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

    def __init__(self, conn: Connection, fresh: dict[tuple[int, int], bytes] | None = None) -> None:
        self.conn = conn
        self.fresh = fresh or {}

    def get_nodes(self, nodes: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        found = {n: self.fresh[n] for n in nodes if n in self.fresh}
        by_level: dict[int, list[int]] = {}
        for level, idx in nodes:
            if (level, idx) not in found:
                by_level.setdefault(level, []).append(idx)
        # one query, one indexed (level, idx IN …) term per level: SQLite does not use the
        # primary key index for a row-value IN list
        terms: list[str] = []
        params: dict[str, Any] = {}
        for level, idxs in by_level.items():
            for i in range(0, len(idxs), 400):
                clause, p = in_list("idx", idxs[i : i + 400], prefix=f"i{level}_{i}")
                terms.append(f"(level = :l{level}_{i} AND {clause})")
                params.update(p)
                params[f"l{level}_{i}"] = level
        if terms:
            for level, idx, h in run(self.conn, f"SELECT level, idx, hash FROM merkle_node WHERE {' OR '.join(terms)}", params):
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
            conn.execute(insert(HEAD).values(
                id=1, origin=self.origin, size=0, last_leaf_hash=GENESIS_PREV, last_time=t,
                root=merkle.EMPTY_ROOT.hex(), edge=b"", log_key_id=self.log_key.id,
            ))
            self._store_checkpoint(conn, 0, merkle.EMPTY_ROOT, t)

    # --- append ---------------------------------------------------------------------------

    def submit(self, submission: Any) -> AppendResult:
        """Append one ``{"body", "sig"}`` submission (already parsed from JSON)."""
        return self.append([parse_submission(submission, log=self.origin)])[0]

    def submit_batch(self, submissions: Sequence[Any]) -> list[AppendResult]:
        if not isinstance(submissions, list):
            raise LedgerError("body_invalid", detail="a batch is a JSON array of submissions")
        self._check_batch_size(len(submissions))
        entries = []
        for position, sub in enumerate(submissions):
            try:
                entries.append(parse_submission(sub, log=self.origin))
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
            if entry.body["log"] != self.origin:
                exc = LedgerError("wrong_log", got=entry.body["log"], expected=self.origin)
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

    # --- the log's own key -----------------------------------------------------------------

    def _adopt_key(self, current_id: str) -> None:
        """Follow a rotation made by another process: load the key the head says is in use."""
        if current_id == self.log_key.id:
            return
        pair = self.key_loader(current_id) if self.key_loader else None
        if pair is None or pair.id != current_id:
            raise LedgerError(LOG_KEY_MISSING, key_id=current_id)
        self.log_key = pair
        self._signer = NoteSigner(self.origin, pair)

    def current_log_key(self) -> KeyPair:
        """The key that signs checkpoints now (after any rotation, by any process)."""
        with read_transaction(self.engine) as conn:
            row = run(conn, _SELECT_HEAD).fetchone()
        if row is not None:
            self._adopt_key(row[5])
        return self.log_key

    def rotate_log_key(self, new: KeyPair) -> AppendResult:
        """Announce ``new`` in a log.key_rotated entry signed with the current key; the checkpoint
        of the tree that holds the announcement, and every later one, is signed with ``new``."""
        with write_transaction(self.engine) as conn:
            head, edge = self._lock_head(conn)
            old = self.log_key
            body = make_body(self.origin, LOG_KEY_ROTATED, old.id, self.clock(), f"log-key-rotation-{new.id[:32]}", {
                "public_key": new.public_b64, "from_size": head.size + 1,
            })
            entry = sign_entry(old, body)
            checked = _SignatureChecks([old.public], [0], Pending(done=[True]))  # signed just now
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
            if entry.body["log"] != self.origin:
                out[position] = LedgerError("wrong_log", got=entry.body["log"], expected=self.origin)
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

    def _lock_head(self, conn: Connection) -> tuple[Head, merkle.CompactRange]:
        row = run(conn, _SELECT_HEAD_FOR_UPDATE if self.is_postgres else _SELECT_HEAD).fetchone()
        if row is None:
            raise LedgerError("log_not_initialised", home="the database")
        size, root, last_leaf_hash, last_time, edge, log_key_id = row
        self._adopt_key(log_key_id)
        edge = bytes(edge)
        hashes = [edge[i : i + 32] for i in range(0, len(edge), 32)]
        return Head(size, bytes.fromhex(root), last_leaf_hash, last_time), merkle.CompactRange(size, hashes)

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
    ) -> list[AppendResult | LedgerError]:
        """Append under the lock. Atomic by default: the first refusal raises and nothing is
        written. ``independent``: each entry stands alone (its rule changes are kept on an
        overlay and dropped if it is refused); refusals come back in the result list."""
        single = len(entries) == 1 and not independent
        known = self._existing_by_idem(conn, entries)
        verdicts = checked.verdicts() if independent else {}
        # Every proof of this append is made of nodes written now or of the tree's edge before
        # it (a left sibling wholly before the old size is an edge node), so no reads are needed.
        fresh_nodes: dict[tuple[int, int], bytes] = dict(zip(merkle.edge_nodes(head.size), edge.hashes, strict=True))
        state = SqlState(conn)
        moment = self.clock()
        log_time = format_time(moment)
        if log_time < head.last_time:  # the log clock never runs backwards
            log_time = head.last_time
        prev = head.last_leaf_hash
        seq = head.size
        leaf_rows: list[dict[str, Any]] = []
        node_rows: list[dict[str, Any]] = []
        out: list[tuple[int, str, str, bool] | LedgerError] = []
        seen_in_batch: dict[tuple[str, str], tuple[int, str, str, str]] = {}
        base_state = state
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
                    out.append((p_seq, p_hash, p_time, True))
                    continue
                if entry.type == LOG_KEY_ROTATED and rotate_to is None:
                    raise LedgerError(ROTATION_BY_COMMAND)
                public = self.domain.signer_public_key(state, entry, seq)
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
                self.domain.apply(state, self.domain.AppendContext(seq, lh_hex, log_time, self.origin), entry)
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
                node_rows.append({"level": level, "idx": idx, "hash": h})
                fresh_nodes[(level, idx)] = h
            leaf_rows.append({
                "seq": seq, "leaf_hash": lh_hex, "signer": entry.signer, "idem": entry.idem,
                "body_hash": body_hash, "type": entry.type, "time": log_time, "leaf": leaf_bytes,
            })
            seen_in_batch[key] = (seq, lh_hex, log_time, body_hash)
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
            note = sign_checkpoint(Checkpoint(self.origin, size, root), signer)
            write_all(conn, [
                *state.pending_writes(),
                (_INSERT_LEAF, leaf_rows),
                (_INSERT_NODE, node_rows),
                (_UPDATE_HEAD, {
                    "size": size, "root": root.hex(), "prev": prev, "time": log_time, "edge": b"".join(edge.hashes),
                    "log_key_id": signer.pair.id,
                }),
                (_INSERT_CHECKPOINT, {"size": size, "root": root.hex(), "note": note, "signed_at": log_time}),
            ])
        else:
            note = self._checkpoint_note(conn, size)
        accepted = [o for o in out if not isinstance(o, LedgerError)]
        proofs = self._proofs(_SqlNodes(conn, fresh_nodes), [o[0] for o in accepted], size)
        return [
            o if isinstance(o, LedgerError) else AppendResult(o[0], o[1], o[2], o[3], size, proofs[o[0]], note)
            for o in out
        ]

    def _existing_by_idem(self, conn: Connection, entries: Sequence[SignedEntry]) -> dict[tuple[str, str], tuple[int, str, str, str]]:
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

    # --- checkpoints ----------------------------------------------------------------------

    def _store_checkpoint(self, conn: Connection, size: int, root: bytes, signed_at: str) -> str:
        note = sign_checkpoint(Checkpoint(self.origin, size, root), self._signer)
        write_all(conn, [(_INSERT_CHECKPOINT, {"size": size, "root": root.hex(), "note": note, "signed_at": signed_at})])
        return note

    def _checkpoint_note(self, conn: Connection, size: int) -> str:
        row = conn.execute(select(CHECKPOINT.c.note).where(CHECKPOINT.c.size == size)).first()
        if row is None:
            raise LedgerError("not_found", what="checkpoint", what_zh="检查点", ref=f"size {size}")
        return row.note

    def latest_checkpoint(self) -> str:
        with read_transaction(self.engine) as conn:
            size = conn.execute(select(HEAD.c.size).where(HEAD.c.id == 1)).scalar_one_or_none()
            if size is None:
                raise LedgerError("log_not_initialised", home="the database")
            return self._checkpoint_note(conn, size)

    def checkpoint_at(self, size: int) -> str:
        with read_transaction(self.engine) as conn:
            return self._checkpoint_note(conn, size)

    def checkpoint_sizes(self, *, before: int | None = None, limit: int = 100) -> list[int]:
        with read_transaction(self.engine) as conn:
            stmt = select(CHECKPOINT.c.size).order_by(CHECKPOINT.c.size.desc()).limit(limit)
            if before is not None:
                stmt = stmt.where(CHECKPOINT.c.size < before)
            return list(conn.execute(stmt).scalars())

    # --- reads ----------------------------------------------------------------------------

    def head(self) -> Head:
        with read_transaction(self.engine) as conn:
            row = conn.execute(select(HEAD).where(HEAD.c.id == 1)).mappings().first()
            if row is None:
                raise LedgerError("log_not_initialised", home="the database")
            return Head(row["size"], bytes.fromhex(row["root"]), row["last_leaf_hash"], row["last_time"])

    def root_at(self, size: int) -> bytes:
        self._check_size(size)
        with read_transaction(self.engine) as conn:
            return merkle.root_at(size, _SqlNodes(conn))

    def _check_size(self, size: int, what: str = "size") -> int:
        current = self.head().size
        if not 0 <= size <= current:
            raise LedgerError("size_out_of_range", what=what, value=size, size=current)
        return current

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        self._check_size(size)
        if not 0 <= index < size:
            raise LedgerError("size_out_of_range", what="index", value=index, size=size)
        with read_transaction(self.engine) as conn:
            return merkle.inclusion_proof(index, size, _SqlNodes(conn))

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        self._check_size(second, "second")
        if not 0 <= first <= second:
            raise LedgerError("size_out_of_range", what="first", value=first, size=second)
        with read_transaction(self.engine) as conn:
            return merkle.consistency_proof(first, second, _SqlNodes(conn))

    def seq_of(self, leaf_hash: str) -> int:
        with read_transaction(self.engine) as conn:
            seq = conn.execute(select(LEAF.c.seq).where(LEAF.c.leaf_hash == leaf_hash)).scalar_one_or_none()
        if seq is None:
            raise LedgerError("not_found", what="entry", what_zh="条目", ref=leaf_hash)
        return seq

    def leaf(self, seq: int) -> bytes:
        with read_transaction(self.engine) as conn:
            raw = conn.execute(select(LEAF.c.leaf).where(LEAF.c.seq == seq)).scalar_one_or_none()
        if raw is None:
            raise LedgerError("not_found", what="entry", what_zh="条目", ref=f"seq {seq}")
        return bytes(raw)

    def leaves(self, start: int, end: int) -> list[bytes]:
        with read_transaction(self.engine) as conn:
            rows = conn.execute(select(LEAF.c.leaf).where(and_(LEAF.c.seq >= start, LEAF.c.seq < end)).order_by(LEAF.c.seq))
            return [bytes(r[0]) for r in rows]

    def iter_leaves(self, start: int = 0, end: int | None = None, chunk: int = 5000) -> Iterator[bytes]:
        """All leaves in seq order, read in chunks (for export and rebuild)."""
        end = self.head().size if end is None else end
        position = start
        while position < end:
            batch = self.leaves(position, min(position + chunk, end))
            if not batch:
                return
            yield from batch
            position += len(batch)

    def cosignatures(self, size: int) -> list[str]:
        with read_transaction(self.engine) as conn:
            rows = conn.execute(select(COSIG.c.line).where(COSIG.c.size == size).order_by(COSIG.c.witness))
            return [r[0] for r in rows]

    def add_cosignature(self, size: int, witness: str, line: str, timestamp: int) -> None:
        with write_transaction(self.engine) as conn:
            exists = conn.execute(select(func.count()).select_from(COSIG).where(and_(COSIG.c.size == size, COSIG.c.witness == witness))).scalar_one()
            if exists:
                conn.execute(update(COSIG).where(and_(COSIG.c.size == size, COSIG.c.witness == witness)).values(line=line, timestamp=timestamp))
            else:
                conn.execute(insert(COSIG).values(size=size, witness=witness, line=line, timestamp=timestamp))


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
    err = LedgerError("batch_entry_refused", position=position, reason=exc.message_en, reason_zh=exc.message_zh, code=exc.code)
    err.inner = exc  # type: ignore[attr-defined]
    return err
