"""Reads of the chain of logs: heads, shards, checkpoints, leaves and proofs.

Every read runs in its own read transaction; nothing here writes. Sizes, seqs and proofs are
those of one shard's own log (the one being appended to unless a ``shard`` is named), a
leaf's *position* is its place in the whole chain. May import :mod:`ledger.protocol`,
:mod:`ledger.errors` and the generic storage helpers (:mod:`ledger.store.db`,
:mod:`ledger.store.log_tables`).
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Connection, Engine, and_, func, select

from ledger.errors import InvariantBroken, LedgerError
from ledger.protocol import merkle
from ledger.store.db import read_transaction
from ledger.store.log.model import AppendResult, Head, Shard, sealed_shard
from ledger.store.log.sql import SqlNodes, checkpoint_note
from ledger.store.log_tables import CHECKPOINT, HEAD, LEAF, SHARD


class LogReader:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- the chain of logs ----------------------------------------------------------------

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

    def shards(self) -> list[Shard]:
        """Every log of the chain, oldest first; the last is the one being appended to."""
        with read_transaction(self.engine) as conn:
            sealed = [sealed_shard(r) for r in conn.execute(select(SHARD).order_by(SHARD.c.shard)).mappings()]
            head = conn.execute(select(HEAD).where(HEAD.c.id == 1)).mappings().first()
        if head is None:
            raise LedgerError("log_not_initialised", home="the database")
        return [*sealed, Shard(head["shard"], head["origin"], head["base"], head["size"], head["root"], False)]

    def active(self) -> Shard:
        head = self.head()
        return Shard(head.shard, head.origin, head.base, head.size, head.root.hex(), False)

    def shard(self, which: int | str | None = None, *, missing_ok: bool = False) -> Shard | None:
        """One log of the chain by index or origin; None: the one being appended to."""
        if which is None:
            return self.active()
        column = SHARD.c.shard if isinstance(which, int) else SHARD.c.origin
        with read_transaction(self.engine) as conn:
            row = conn.execute(select(SHARD).where(column == which)).mappings().first()
        if row is not None:
            return sealed_shard(row)
        current = self.active()
        if which in (current.index, current.origin):
            return current
        if missing_ok:
            return None
        raise LedgerError("not_found", what="log shard", what_zh="账本分片", ref=str(which))

    def target(self, shard: int | None) -> Shard:
        """The named log of the chain (the one being appended to when None)."""
        found = self.shard(shard)
        if found is None:
            raise InvariantBroken("target is missing")
        return found

    def shard_of(self, position: int) -> Shard:
        """The log (shard) holding the entry at ``position`` in the chain."""
        for shard in reversed(self.shards()):
            if shard.base <= position:
                if position >= shard.base + shard.size:
                    break
                return shard
        raise LedgerError("not_found", what="entry", what_zh="条目", ref=f"position {position}")

    def index(self, shard: int | None) -> int:
        return self.head().shard if shard is None else shard

    @staticmethod
    def stored_in_sealed_shard(conn: Connection, position: int, leaf_hash: str, time: str) -> AppendResult:
        """The answer to a retry of an entry that was stored before its log was sealed: its
        inclusion proof against that log's final checkpoint."""
        row = (
            conn.execute(select(SHARD).where(SHARD.c.base <= position).order_by(SHARD.c.base.desc()).limit(1))
            .mappings()
            .one()
        )
        shard = sealed_shard(row)
        index = position - shard.base
        proof = merkle.inclusion_proof(index, shard.size, SqlNodes(conn, shard=shard.index))
        return AppendResult(
            index, leaf_hash, time, True, shard.size, [h.hex() for h in proof], shard.checkpoint or "", position
        )

    # --- checkpoints ----------------------------------------------------------------------

    def latest_checkpoint(self, shard: int | None = None) -> str:
        """The latest checkpoint of a log of the chain (the active one by default); for a
        sealed shard, its final checkpoint."""
        target = self.target(shard)
        if target.checkpoint is not None:
            return target.checkpoint
        return self.checkpoint_at(target.size, target.index)

    def checkpoint_at(self, size: int, shard: int | None = None) -> str:
        index = self.index(shard)
        with read_transaction(self.engine) as conn:
            return checkpoint_note(conn, size, index)

    def checkpoint_sizes(self, *, before: int | None = None, limit: int = 100, shard: int | None = None) -> list[int]:
        index = self.index(shard)
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

    # --- trees and proofs -----------------------------------------------------------------

    def root_at(self, size: int, shard: int | None = None) -> bytes:
        target = self.check_size(size, shard=shard)
        with read_transaction(self.engine) as conn:
            return merkle.root_at(size, SqlNodes(conn, shard=target.index))

    def check_size(self, size: int, what: str = "size", shard: int | None = None) -> Shard:
        target = self.target(shard)
        if not 0 <= size <= target.size:
            raise LedgerError("size_out_of_range", what=what, value=size, size=target.size)
        return target

    def inclusion_proof(self, index: int, size: int, shard: int | None = None) -> list[bytes]:
        target = self.check_size(size, shard=shard)
        if not 0 <= index < size:
            raise LedgerError("size_out_of_range", what="index", value=index, size=size)
        with read_transaction(self.engine) as conn:
            return merkle.inclusion_proof(index, size, SqlNodes(conn, shard=target.index))

    def consistency_proof(self, first: int, second: int, shard: int | None = None) -> list[bytes]:
        target = self.check_size(second, "second", shard=shard)
        if not 0 <= first <= second:
            raise LedgerError("size_out_of_range", what="first", value=first, size=second)
        with read_transaction(self.engine) as conn:
            return merkle.consistency_proof(first, second, SqlNodes(conn, shard=target.index))

    # --- leaves ---------------------------------------------------------------------------

    def position_of(self, leaf_hash: str) -> int:
        """An entry's position in the chain of shards, by its leaf hash."""
        with read_transaction(self.engine) as conn:
            seq = conn.execute(select(LEAF.c.seq).where(LEAF.c.leaf_hash == leaf_hash)).scalar_one_or_none()
        if seq is None:
            raise LedgerError("not_found", what="entry", what_zh="条目", ref=leaf_hash)
        return int(seq)

    def seq_of(self, leaf_hash: str, shard: int | None = None) -> int:
        """An entry's seq in its log (the active one unless ``shard`` is named), by leaf hash."""
        target = self.target(shard)
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
        base = 0 if shard == 0 else self.target(shard).base
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
        target = self.target(shard)
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
