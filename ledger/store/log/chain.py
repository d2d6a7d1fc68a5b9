"""The chain of logs: sealing the log being appended to, opening the next, rotating its key.

The registry's history is a chain of logs. :meth:`LogChain.roll_over` seals the log being
appended to (its last entry is ``log.sealed``, naming the next origin) and opens the next one
(its entry 0 is a ``registry.genesis`` that names the sealed log's final checkpoint), in one
transaction. Seqs, sizes and proofs are always those of one shard's own log; the domain sees
each entry's *position* in the whole chain (the shard's base plus its seq), so what the
domain keeps (keys, balances) carries across shards. :meth:`LogChain.rotate_log_key`
announces a new checkpoint key in the log. May import :mod:`ledger.protocol`,
:mod:`ledger.errors`, the generic storage helpers and the other modules of
:mod:`ledger.store.log`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select

from ledger.errors import InvariantBroken, LedgerError
from ledger.protocol import merkle
from ledger.protocol.checkpoint import Checkpoint
from ledger.protocol.entry import GENESIS_PREV, SignedEntry, make_body, sign_entry
from ledger.protocol.keys import KeyPair
from ledger.protocol.note import NoteSigner, parse_note
from ledger.store.db import write_transaction
from ledger.store.fastsql import write_all
from ledger.store.log import sql
from ledger.store.log.model import (
    GENESIS,
    LOG_KEY_ROTATED,
    LOG_SEALED,
    SHARD_EMPTY,
    SHARD_NO_LOG_KEY,
    SHARD_ORIGIN_INVALID,
    AppendResult,
    Head,
    check_origin,
)
from ledger.store.log.sequencer import Sequencer
from ledger.store.log.signatures import signed_now
from ledger.store.log_tables import SHARD


class LogChain:
    def __init__(self, sequencer: Sequencer) -> None:
        self.sequencer = sequencer

    def rotate_log_key(self, new: KeyPair) -> AppendResult:
        """Announce ``new`` in a log.key_rotated entry signed with the current key; the checkpoint
        of the tree that holds the announcement, and every later one, is signed with ``new``."""
        seq = self.sequencer
        with write_transaction(seq.engine) as conn:
            head, edge = seq.lock_head(conn)
            old = seq.log_key
            data = {"public_key": new.public_b64, "from_size": head.size + 1}
            entry = self._own_entry(seq.origin, LOG_KEY_ROTATED, f"log-key-rotation-{new.id[:32]}", data)
            (result,) = seq.append_locked(
                conn, head, edge, [entry], signed_now(old), rotate_to=NoteSigner(seq.origin, new)
            )
        seq.log_key = new
        seq.signer = NoteSigner(seq.origin, new)
        return _appended(result)

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
        check_origin(next_origin)
        seq = self.sequencer
        saved = (seq.origin, seq.log_key, seq.signer)
        try:
            with write_transaction(seq.engine) as conn:
                head, edge = seq.lock_head(conn)
                if only_from is not None and head.origin != only_from:
                    return None
                self._check_next_origin(conn, head, next_origin)
                sealed = self._seal(conn, head, edge, next_origin)
                first = self._open_next(conn, head, sealed, next_origin)
        except BaseException:
            seq.origin, seq.log_key, seq.signer = saved
            raise
        return sealed, first

    @staticmethod
    def _check_next_origin(conn: Connection, head: Head, next_origin: str) -> None:
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

    def _seal(self, conn: Connection, head: Head, edge: merkle.CompactRange, next_origin: str) -> AppendResult:
        """Append the ``log.sealed`` entry and record the sealed shard with its final checkpoint."""
        seq = self.sequencer
        key = seq.log_key
        data = {"next_origin": next_origin, "size": head.size + 1}
        entry = self._own_entry(head.origin, LOG_SEALED, f"log-sealed-{head.shard}", data)
        if seq.domain.signer_public_key(seq.domain.state(conn), entry, head.base + head.size) is None:
            raise LedgerError(SHARD_NO_LOG_KEY, origin=head.origin)
        (result,) = seq.append_locked(conn, head, edge, [entry], signed_now(key), operator=True)
        sealed = _appended(result)
        conn.execute(
            insert(SHARD).values(
                shard=head.shard,
                origin=head.origin,
                base=head.base,
                size=sealed.tree_size,
                root=_root_hex(sealed),
                last_leaf_hash=sealed.leaf_hash,
                checkpoint=sealed.checkpoint,
                log_key_id=key.id,
                next_origin=next_origin,
                sealed_at=sealed.time,
            )
        )
        return sealed

    def _open_next(self, conn: Connection, head: Head, sealed: AppendResult, next_origin: str) -> AppendResult:
        """Open the next log and append its ``registry.genesis``, which names the sealed one."""
        seq = self.sequencer
        opening = {
            "origin": next_origin,
            "shard": head.shard + 1,
            "base": head.base + sealed.tree_size,
            "root": merkle.EMPTY_ROOT.hex(),
            "prev": GENESIS_PREV,
            "time": sealed.time,
            "edge": b"",
        }
        write_all(conn, [(sql.OPEN_SHARD, opening)])
        opened, opened_edge = seq.lock_head(conn)  # adopts the new origin
        seq.store_checkpoint(conn, 0, merkle.EMPTY_ROOT, sealed.time, opened.shard)
        previous = {
            "origin": head.origin,
            "size": sealed.tree_size,
            "root_hash": _root_hex(sealed),
            "checkpoint": sealed.checkpoint,
        }
        data = seq.domain.continuation_data(seq.domain.state(conn), previous, next_origin)
        entry = self._own_entry(next_origin, GENESIS, f"registry-genesis-{opened.shard}", data)
        (first,) = seq.append_locked(conn, opened, opened_edge, [entry], signed_now(seq.log_key), operator=True)
        return _appended(first)

    def _own_entry(self, origin: str, type_: str, idem: str, data: dict[str, Any]) -> SignedEntry:
        """An entry of the log itself, signed now with its checkpoint key."""
        key = self.sequencer.log_key
        return sign_entry(key, make_body(origin, type_, key.id, self.sequencer.clock(), idem, data))


def _appended(result: Any) -> AppendResult:
    if not isinstance(result, AppendResult):
        raise InvariantBroken("the log's own entry was not appended")
    return result


def _root_hex(sealed: AppendResult) -> str:
    return Checkpoint.parse(parse_note(sealed.checkpoint).text).root.hex()
