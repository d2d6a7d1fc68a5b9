"""The sequencer: one writer at a time appends entries, signs checkpoints, answers retries.

An append (one entry or a batch) is one transaction:

1. take the write lock (PostgreSQL: ``SELECT … FOR UPDATE`` on the head row; SQLite:
   ``BEGIN IMMEDIATE``), so concurrent appends from any number of processes are serialised
   and never fork the chain, skip or repeat a seq;
2. for each entry: idempotency (same signer and idem: same body returns the stored entry,
   another body is refused), signer key, signature, clock, then the domain's rules (through
   :class:`~ledger.store.log.plugin.LogDomain`);
3. write the leaves, the perfect subtrees they complete, the domain's rows, the new head and
   a signed checkpoint of the new size;
4. return each entry's seq, leaf hash and inclusion proof against that checkpoint.

Any refusal rolls the whole transaction back: nothing of a refused entry or batch is written.
May import :mod:`ledger.protocol`, :mod:`ledger.errors`, the generic storage helpers
(:mod:`ledger.store.db`, :mod:`ledger.store.fastsql`, :mod:`ledger.store.log_tables`) and the
other modules of :mod:`ledger.store.log`.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, insert, select, update

from ledger.errors import LedgerError
from ledger.protocol import merkle
from ledger.protocol.canonical import format_time, now, parse_time
from ledger.protocol.checkpoint import Checkpoint, sign_checkpoint
from ledger.protocol.entry import GENESIS_PREV, Leaf, SignedEntry, signature_valid
from ledger.protocol.keys import KeyPair
from ledger.protocol.note import NoteSigner
from ledger.store.db import read_transaction, write_transaction
from ledger.store.fastsql import Rows, run, write_all
from ledger.store.log import sql
from ledger.store.log.model import (
    LOG_HOLDS_ENTRIES,
    LOG_KEY_MISSING,
    LOG_KEY_ROTATED,
    LOG_SEALED,
    LOG_SEALED_ERROR,
    ROTATION_BY_COMMAND,
    SEAL_BY_COMMAND,
    AppendResult,
    Head,
    batch_error,
    check_batch_size,
)
from ledger.store.log.plugin import LogDomain
from ledger.store.log.reader import LogReader
from ledger.store.log.signatures import SignatureChecks, start_checks
from ledger.store.log_tables import CHECKPOINT, HEAD

Accepted = tuple[int, str, str, bool]  # seq in the shard, leaf hash, time, existing


@dataclass(slots=True)
class _Batch:
    """The working state of one append under the lock."""

    head: Head
    edge: merkle.CompactRange
    entries: Sequence[SignedEntry]
    checked: SignatureChecks
    independent: bool
    rotate_to: NoteSigner | None
    operator: bool
    known: dict[tuple[str, str], sql.IdemHit]
    verdicts: dict[int, bool]
    # Every proof of this append is made of nodes written now or of the tree's edge before
    # it (a left sibling wholly before the old size is an edge node), so no reads are needed.
    fresh_nodes: dict[tuple[int, int], bytes]
    state: Any  # the domain's state over the transaction
    moment: datetime
    log_time: str
    prev: str
    seq: int  # in this shard's log; the domain sees head.base + seq
    leaf_rows: list[tuple[Any, ...]] = field(default_factory=list)  # sql.LEAF_COLUMNS
    node_rows: list[tuple[Any, ...]] = field(default_factory=list)  # sql.NODE_COLUMNS
    out: list[Accepted | AppendResult | LedgerError] = field(default_factory=list)
    seen: dict[tuple[str, str], sql.IdemHit] = field(default_factory=dict)

    @property
    def single(self) -> bool:
        return len(self.entries) == 1 and not self.independent


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch is judged and written: every row, leaf and
    proof made under the lock lives to the end of the append, so each collection the
    allocations trigger would walk them (and the process's whole heap, now and then) to free
    nothing. The collector runs again, as usual, once the append is done. Left alone when
    something else turned it off."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


class Sequencer:
    def __init__(
        self,
        engine: Engine,
        reader: LogReader,
        *,
        origin: str,
        log_key: KeyPair,
        domain: LogDomain,
        max_clock_skew_s: int = 600,
        clock: Any = now,
        key_loader: Any = None,
    ) -> None:
        self.engine = engine
        self.reader = reader
        self.origin = origin
        self.log_key = log_key
        self.domain = domain
        self.max_clock_skew_s = max_clock_skew_s
        self.clock = clock
        self.key_loader = key_loader  # key id -> KeyPair, to follow rotations made elsewhere
        self.is_postgres = engine.dialect.name == "postgresql"
        self.signer = NoteSigner(origin, log_key)
        # key id -> public key: a key id is the hash of its key, so this never goes stale
        self.key_cache: dict[str, bytes] = {}

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
            self.store_checkpoint(conn, 0, merkle.EMPTY_ROOT, t, 0)

    def start_clock_at(self, moment: datetime) -> None:
        """Date the empty tree of a log that holds no entry yet at ``moment``: the head's time
        and the signed_at of the size-0 checkpoint (the note itself names no time). The log
        clock never runs backwards from the head's time, so a sequencer whose own clock starts
        before the moment the log was created (the demo's simulated clock) says so here first.
        An empty log has no history this could contradict; a log with entries is refused."""
        t = format_time(moment)
        with write_transaction(self.engine) as conn:
            head, _edge = self.lock_head(conn)
            if head.size or head.base:
                raise LedgerError(LOG_HOLDS_ENTRIES, origin=head.origin, size=head.base + head.size)
            conn.execute(update(HEAD).where(HEAD.c.id == 1).values(last_time=t))
            conn.execute(
                update(CHECKPOINT)
                .where(and_(CHECKPOINT.c.shard == head.shard, CHECKPOINT.c.size == 0))
                .values(signed_at=t)
            )

    # --- the log's own key and origin -----------------------------------------------------

    def adopt(self, origin: str, current_id: str) -> None:
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
        self.signer = NoteSigner(origin, self.log_key)

    def refresh(self) -> None:
        """Adopt the origin and key the head names now (a roll-over or rotation by any process)."""
        with read_transaction(self.engine) as conn:
            row = run(conn, sql.SELECT_HEAD).fetchone()
        if row is not None:
            self.adopt(row[6], row[5])

    def lock_head(self, conn: Connection) -> tuple[Head, merkle.CompactRange]:
        """The head, locked for this transaction, and its tree's edge (adopting its origin and key)."""
        head, edge, log_key_id = sql.read_head(conn, for_update=self.is_postgres)
        self.adopt(head.origin, log_key_id)
        return head, edge

    def store_checkpoint(self, conn: Connection, size: int, root: bytes, signed_at: str, shard: int = 0) -> str:
        note = sign_checkpoint(Checkpoint(self.origin, size, root), self.signer)
        row = {"shard": shard, "size": size, "root": root.hex(), "note": note, "signed_at": signed_at}
        write_all(conn, [(sql.INSERT_CHECKPOINT, row)])
        return note

    # --- append ---------------------------------------------------------------------------

    def append(
        self, entries: Sequence[SignedEntry], *, then: Callable[[Connection, list[AppendResult]], None] | None = None
    ) -> list[AppendResult]:
        """Append entries atomically (all or none). ``then(conn, results)`` runs inside the same
        transaction after the log's writes: what it writes commits with the entries, or not at all."""
        check_batch_size(len(entries))
        for position, entry in enumerate(entries):
            exc = self.log_mismatch(entry)
            if exc is not None:
                if len(entries) == 1:
                    raise exc
                raise batch_error(position, exc)
        checked = self.check_signatures(entries)
        with write_transaction(self.engine) as conn:
            head, edge = self.lock_head(conn)
            results: list[AppendResult] = self.append_locked(conn, head, edge, entries, checked)  # type: ignore[assignment]
            if then is not None:
                then(conn, results)
            return results

    def append_each(self, entries: Sequence[SignedEntry]) -> list[AppendResult | LedgerError]:
        """Append entries that stand alone (requests from different clients) in one transaction:
        each is checked on its own, refused ones come back as errors and write nothing, the
        others share one lock, one commit and one checkpoint. This is how the API coalesces
        concurrent single submissions without a batching delay."""
        check_batch_size(len(entries))
        out: list[AppendResult | LedgerError | None] = [None] * len(entries)
        keep: list[int] = []
        for position, entry in enumerate(entries):
            exc = self.log_mismatch(entry)
            if exc is not None:
                out[position] = exc
            else:
                keep.append(position)
        if keep:
            chosen = [entries[i] for i in keep]
            checked = self.check_signatures(chosen)
            with write_transaction(self.engine) as conn:
                head, edge = self.lock_head(conn)
                results = self.append_locked(conn, head, edge, chosen, checked, independent=True)
            for i, result in zip(keep, results, strict=True):
                out[i] = result
        return out  # type: ignore[return-value]

    def log_mismatch(
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
            fresh = self.reader.head()
            if fresh.origin != current:
                return self.log_mismatch(entry, fresh, before_lock=before_lock)
        sealed = self.reader.shard(entry.body["log"], missing_ok=True)
        if sealed is not None and sealed.sealed:
            return (
                None
                if before_lock
                else LedgerError(LOG_SEALED_ERROR, origin=sealed.origin, size=sealed.size, current=current)
            )
        return LedgerError("wrong_log", got=entry.body["log"], expected=current)

    def check_signatures(self, entries: Sequence[SignedEntry]) -> SignatureChecks:
        """Start verifying signatures before the write lock (:mod:`.signatures`)."""
        return start_checks(self.engine, self.domain, self.key_cache, entries)

    def check_clock(self, entry: SignedEntry, moment: datetime) -> None:
        at = parse_time(entry.body["at"])
        if abs((at - moment).total_seconds()) > self.max_clock_skew_s:
            raise LedgerError("clock_skew", at=entry.body["at"], now=format_time(moment), limit_s=self.max_clock_skew_s)

    # --- under the lock -------------------------------------------------------------------

    def append_locked(
        self,
        conn: Connection,
        head: Head,
        edge: merkle.CompactRange,
        entries: Sequence[SignedEntry],
        checked: SignatureChecks,
        *,
        independent: bool = False,
        rotate_to: NoteSigner | None = None,
        operator: bool = False,
    ) -> list[AppendResult | LedgerError]:
        """Append under the lock. Atomic by default: the first refusal raises and nothing is
        written. ``independent``: each entry stands alone (its rule changes are kept on an
        overlay and dropped if it is refused); refusals come back in the result list.
        ``rotate_to`` signs the new checkpoint (a key rotation); ``operator`` admits a seal."""
        with gc_paused():
            return self._append_locked(conn, head, edge, entries, checked, independent, rotate_to, operator)

    def _append_locked(
        self,
        conn: Connection,
        head: Head,
        edge: merkle.CompactRange,
        entries: Sequence[SignedEntry],
        checked: SignatureChecks,
        independent: bool,
        rotate_to: NoteSigner | None,
        operator: bool,
    ) -> list[AppendResult | LedgerError]:
        self.domain.refuse_unsound_log(conn)
        known = sql.existing_by_idem(conn, entries)
        verdicts = checked.verdicts() if independent else {}
        state = self.domain.state(conn)
        self.domain.prefetch(state, entries, head.origin)
        moment = self.clock()
        batch = _Batch(
            head=head,
            edge=edge,
            entries=entries,
            checked=checked,
            independent=independent,
            rotate_to=rotate_to,
            operator=operator,
            known=known,
            verdicts=verdicts,
            fresh_nodes=dict(zip(merkle.edge_nodes(head.size), edge.hashes, strict=True)),
            state=state,
            moment=moment,
            log_time=max(format_time(moment), head.last_time),  # the log clock never runs backwards
            prev=head.last_leaf_hash,
            seq=head.size,
        )
        for position, entry in enumerate(entries):
            self._take(conn, batch, position, entry)
        note = self._commit(conn, batch) if independent else self._commit_signed(conn, batch)
        return self._results(conn, batch, note)

    def _commit_signed(self, conn: Connection, batch: _Batch) -> str:
        """:meth:`_commit` of an atomic batch, then its signatures: the pool goes on checking
        them while the database writes (nothing is committed before they all hold, and a bad
        one is still the refusal, before any failure of the writes)."""
        try:
            note = self._commit(conn, batch)
        except Exception:
            self._refuse_bad_signature(batch)
            raise
        self._refuse_bad_signature(batch)
        return note

    @staticmethod
    def _refuse_bad_signature(batch: _Batch) -> None:
        bad = batch.checked.first_bad(batch.entries, len(batch.entries) - 1)
        if bad is not None:
            if batch.single:
                raise bad
            raise batch_error(bad.params["position"], bad)

    def _take(self, conn: Connection, batch: _Batch, position: int, entry: SignedEntry) -> None:
        """Judge one entry and, if it is accepted, add its leaf and nodes to the batch."""
        state = self.domain.standalone(batch.state) if batch.independent else batch.state
        body_hash = hashlib.sha256(entry.body_bytes).hexdigest()
        key = (entry.signer, entry.idem)
        try:
            previous = batch.seen.get(key) or batch.known.get(key)
            if previous is not None:
                batch.out.append(self._retry(conn, batch, position, entry, body_hash, previous))
                return
            leaf_bytes, lh, lh_hex = self._admit(state, batch, position, entry)
        except LedgerError as exc:
            self._refuse(batch, position, exc)
            return
        if batch.independent:
            state.flush()  # the overlay's rows into the transaction's state
        self._record(batch, entry, leaf_bytes, lh, lh_hex, body_hash)

    def _retry(
        self, conn: Connection, batch: _Batch, position: int, entry: SignedEntry, body_hash: str, previous: sql.IdemHit
    ) -> Accepted | AppendResult:
        """The answer to an entry stored before under the same signer and idem."""
        p_seq, p_hash, p_time, p_body_hash = previous
        if p_body_hash != body_hash:
            raise LedgerError("idem_conflict", idem=entry.idem, seq=p_seq)
        # a retry is answered with the stored entry only if its own signature holds
        if batch.checked.keys[position] is None:
            raise LedgerError("unknown_signer", signer=entry.signer)
        if not batch.verdicts:
            batch.verdicts = batch.checked.verdicts()
        if not batch.verdicts[position]:
            raise LedgerError("bad_signature", signer=entry.signer)
        if p_seq < batch.head.base:  # stored in a sealed shard before the roll-over
            return self.reader.stored_in_sealed_shard(conn, p_seq, p_hash, p_time)
        return (p_seq - batch.head.base, p_hash, p_time, True)

    def _admit(self, state: Any, batch: _Batch, position: int, entry: SignedEntry) -> tuple[bytes, bytes, str]:
        """Check a new entry (type, log, signer, signature, clock, the domain's rules) and
        return its leaf, leaf hash and the hash in hex."""
        if entry.type == LOG_KEY_ROTATED and batch.rotate_to is None:
            raise LedgerError(ROTATION_BY_COMMAND)
        if entry.type == LOG_SEALED and not batch.operator:
            raise LedgerError(SEAL_BY_COMMAND)
        mismatch = self.log_mismatch(entry, batch.head, before_lock=False)
        if mismatch is not None:
            raise mismatch
        public = self.domain.signer_public_key(state, entry, batch.head.base + batch.seq)
        if public is None:
            raise LedgerError("unknown_signer", signer=entry.signer)
        if batch.checked.keys[position] == public:
            if batch.independent and not batch.verdicts[position]:
                raise LedgerError("bad_signature", signer=entry.signer)
        elif not signature_valid(entry, public):
            raise LedgerError("bad_signature", signer=entry.signer)
        self.check_clock(entry, batch.moment)
        leaf_bytes = Leaf(batch.seq, batch.prev, batch.log_time, entry).to_bytes()
        lh = merkle.leaf_hash(leaf_bytes)
        lh_hex = lh.hex()
        self.domain.apply(
            state,
            entry,
            position=batch.head.base + batch.seq,
            leaf_hash=lh_hex,
            log_time=batch.log_time,
            origin=batch.head.origin,
            seq=batch.seq,
        )
        return leaf_bytes, lh, lh_hex

    def _refuse(self, batch: _Batch, position: int, exc: LedgerError) -> None:
        """A refused entry: kept as its answer when entries stand alone, else the batch fails."""
        if batch.independent:
            batch.out.append(exc)
            return
        # a bad signature at or before this entry is the first thing wrong
        exc = batch.checked.first_bad(batch.entries, position) or exc
        if batch.single:
            raise exc from None
        raise batch_error(exc.params.get("position", position), exc) from exc

    @staticmethod
    def _record(batch: _Batch, entry: SignedEntry, leaf_bytes: bytes, lh: bytes, lh_hex: str, body_hash: str) -> None:
        """Add an accepted entry's leaf row and the tree nodes it completes to the batch."""
        head = batch.head
        for level, idx, h in batch.edge.append(lh):
            batch.node_rows.append((head.shard, level, idx, h))
            batch.fresh_nodes[(level, idx)] = h
        body = entry.body
        batch.leaf_rows.append(
            (
                head.base + batch.seq,
                lh_hex,
                str(body["signer"]),
                str(body["idem"]),
                body_hash,
                str(body["type"]),
                batch.log_time,
                leaf_bytes,
            )
        )
        batch.seen[(entry.signer, entry.idem)] = (head.base + batch.seq, lh_hex, batch.log_time, body_hash)
        batch.out.append((batch.seq, lh_hex, batch.log_time, False))
        batch.prev = lh_hex
        batch.seq += 1

    def _commit(self, conn: Connection, batch: _Batch) -> str:
        """Write the batch (domain rows, leaves, nodes, head, signed checkpoint); its checkpoint."""
        size = batch.edge.size
        if not batch.leaf_rows:
            return sql.checkpoint_note(conn, size, batch.head.shard)
        root = batch.edge.root()
        signer = batch.rotate_to or self.signer
        note = sign_checkpoint(Checkpoint(batch.head.origin, size, root), signer)
        head_row = {
            "size": size,
            "root": root.hex(),
            "prev": batch.prev,
            "time": batch.log_time,
            "edge": b"".join(batch.edge.hashes),
            "log_key_id": signer.pair.id,
        }
        checkpoint_row = {
            "shard": batch.head.shard,
            "size": size,
            "root": root.hex(),
            "note": note,
            "signed_at": batch.log_time,
        }
        write_all(
            conn,
            [
                *batch.state.pending_writes(),
                (sql.INSERT_LEAF, Rows(sql.LEAF_COLUMNS, batch.leaf_rows)),
                (sql.INSERT_NODE, Rows(sql.NODE_COLUMNS, batch.node_rows)),
                (sql.UPDATE_HEAD, head_row),
                (sql.INSERT_CHECKPOINT, checkpoint_row),
            ],
        )
        return note

    @staticmethod
    def _results(conn: Connection, batch: _Batch, note: str) -> list[AppendResult | LedgerError]:
        """Each entry's answer: its result with an inclusion proof, or its refusal."""
        size = batch.edge.size
        # the new leaves' proofs in one pass over the nodes in memory; retries' from storage
        proofs = merkle.new_leaf_proofs(batch.fresh_nodes, batch.head.size, size)
        retried = [o[0] for o in batch.out if isinstance(o, tuple) and o[3]]
        if retried:
            proofs.update(sql.proofs(sql.SqlNodes(conn, batch.fresh_nodes, batch.head.shard), retried, size))
        base = batch.head.base
        return [
            o
            if not isinstance(o, tuple)
            else AppendResult(o[0], o[1], o[2], o[3], size, proofs[o[0]], note, base + o[0])
            for o in batch.out
        ]
