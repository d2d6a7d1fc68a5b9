"""The log's SQL: the head row, Merkle nodes as a proof source, checkpoints.

Statements shared by the sequencer, the reader and the chain, written out as text where they
are on the append path (prepared once, no statement compilation per append), and the
:class:`SqlNodes` source of tree nodes for proofs. May import :mod:`ledger.protocol`,
:mod:`ledger.errors` and the generic storage helpers (:mod:`ledger.store.fastsql`,
:mod:`ledger.store.log_tables`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, select

from ledger.errors import LedgerError
from ledger.protocol import merkle
from ledger.store.fastsql import in_list, run
from ledger.store.log.model import Head
from ledger.store.log_tables import CHECKPOINT

SELECT_HEAD = (
    "SELECT size, root, last_leaf_hash, last_time, edge, log_key_id, origin, shard, base FROM log_head WHERE id = 1"
)
SELECT_HEAD_FOR_UPDATE = SELECT_HEAD + " FOR UPDATE"
UPDATE_HEAD = (
    "UPDATE log_head SET size = :size, root = :root, last_leaf_hash = :prev, last_time = :time, edge = :edge, "
    "log_key_id = :log_key_id WHERE id = 1"
)
INSERT_LEAF = (
    "INSERT INTO log_leaf (seq, leaf_hash, signer, idem, body_hash, type, time, leaf) "
    "VALUES (:seq, :leaf_hash, :signer, :idem, :body_hash, :type, :time, :leaf)"
)
LEAF_COLUMNS = ("seq", "leaf_hash", "signer", "idem", "body_hash", "type", "time", "leaf")  # INSERT_LEAF's order
IDEM_SELECT = "SELECT idem, seq, leaf_hash, time, body_hash FROM log_leaf WHERE signer = :signer"
IDEM_ANY = (
    "SELECT l.idem, l.seq, l.leaf_hash, l.time, l.body_hash FROM unnest(CAST(:idems AS varchar[])) AS wanted(idem) "
    "JOIN log_leaf AS l ON l.signer = :signer AND l.idem = wanted.idem"
)
NODES_ANY = (
    "SELECT n.level, n.idx, n.hash FROM unnest(CAST(:levels AS smallint[]), CAST(:idxs AS bigint[])) AS w(level, idx) "
    "JOIN merkle_node AS n ON n.shard = :shard AND n.level = w.level AND n.idx = w.idx"
)
INSERT_NODE = "INSERT INTO merkle_node (shard, level, idx, hash) VALUES (:shard, :level, :idx, :hash)"
NODE_COLUMNS = ("shard", "level", "idx", "hash")  # INSERT_NODE's order
INSERT_CHECKPOINT = (
    "INSERT INTO log_checkpoint (shard, size, root, note, signed_at) VALUES (:shard, :size, :root, :note, :signed_at)"
)
OPEN_SHARD = (
    "UPDATE log_head SET origin = :origin, shard = :shard, base = :base, size = 0, root = :root, "
    "last_leaf_hash = :prev, last_time = :time, edge = :edge WHERE id = 1"
)

IdemHit = tuple[int, str, str, str]  # seq (position in the chain), leaf hash, time, body hash


class SqlNodes:
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
            self._read_postgres(by_level, found)
        else:
            self._read_sqlite(by_level, found)
        return found

    def _read_postgres(self, by_level: dict[int, list[int]], found: dict[tuple[int, int], bytes]) -> None:
        # one array pair: each wanted node is one lookup of the (shard, level, idx) key (an
        # IN list on idx, the key's last column, is only a filter in a plain index scan)
        wanted = [(level, idx) for level, idxs in by_level.items() for idx in idxs]
        pairs = {"shard": self.shard, "levels": [w[0] for w in wanted], "idxs": [w[1] for w in wanted]}
        for level, idx, h in run(self.conn, NODES_ANY, pairs):
            found[(level, idx)] = bytes(h)

    def _read_sqlite(self, by_level: dict[int, list[int]], found: dict[tuple[int, int], bytes]) -> None:
        # one indexed (shard, level, idx IN …) lookup per level, joined by UNION ALL (as OR
        # terms sharing "shard = ?", SQLite factors the shard out and scans all of it)
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


def read_head(conn: Connection, *, for_update: bool) -> tuple[Head, merkle.CompactRange, str]:
    """The head row (locked when ``for_update``), its tree's edge, and the checkpoint key's id."""
    row = run(conn, SELECT_HEAD_FOR_UPDATE if for_update else SELECT_HEAD).fetchone()
    if row is None:
        raise LedgerError("log_not_initialised", home="the database")
    size, root, last_leaf_hash, last_time, edge, log_key_id, origin, shard, base = row
    edge = bytes(edge)
    hashes = [edge[i : i + 32] for i in range(0, len(edge), 32)]
    head = Head(size, bytes.fromhex(root), last_leaf_hash, last_time, origin, shard, base)
    return head, merkle.CompactRange(size, hashes), log_key_id


def checkpoint_note(conn: Connection, size: int, shard: int) -> str:
    """The stored checkpoint of one log at ``size``."""
    row = conn.execute(
        select(CHECKPOINT.c.note).where(and_(CHECKPOINT.c.shard == shard, CHECKPOINT.c.size == size))
    ).first()
    if row is None:
        raise LedgerError("not_found", what="checkpoint", what_zh="检查点", ref=f"size {size}")
    return str(row.note)


def proofs(source: merkle.NodeSource, seqs: Sequence[int], size: int) -> dict[int, list[str]]:
    """Inclusion proofs of many leaves at one size; ranges shared between proofs are hashed once."""
    ranges = {s: merkle.inclusion_ranges(s, size) for s in set(seqs)}
    distinct = {r for rs in ranges.values() for r in rs}
    nodes_of = {r: merkle.range_nodes(*r) for r in distinct}
    nodes = source.get_nodes(sorted({n for ns in nodes_of.values() for n in ns}))
    hashed = {r: merkle.fold([nodes[n] for n in ns]).hex() for r, ns in nodes_of.items()}
    return {s: [hashed[r] for r in rs] for s, rs in ranges.items()}


def existing_by_idem(conn: Connection, entries: Sequence[Any]) -> dict[tuple[str, str], IdemHit]:
    """Entries already stored under the batch's (signer, idem) pairs (index lookups)."""
    by_signer: dict[str, set[str]] = {}
    for e in entries:
        by_signer.setdefault(e.signer, set()).add(e.idem)
    postgres = conn.dialect.name == "postgresql"
    found: dict[tuple[str, str], IdemHit] = {}
    for signer, idems in by_signer.items():
        ordered = sorted(idems)
        if postgres:
            # one array parameter: the plan (prepared after a few runs) looks each idem up in
            # the (signer, idem) unique index, where a long IN list ended in a scan of every
            # entry of the signer, growing with the log
            batches = [(IDEM_ANY, {"signer": signer, "idems": ordered})]
        else:
            batches = []
            for i in range(0, len(ordered), 400):
                clause, params = in_list("idem", ordered[i : i + 400])
                params["signer"] = signer
                batches.append((f"{IDEM_SELECT} AND {clause}", params))
        for sql, params in batches:
            for idem, s, h, t, bh in run(conn, sql, params):
                found[(signer, idem)] = (s, h, t, bh)
    return found
