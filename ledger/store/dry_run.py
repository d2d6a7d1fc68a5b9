"""A dry run of the append rules: would the log take these entries now? Nothing is written.

The workbench's forms (and any API client) check an entry before its signer signs it: the same
checks as an append, in the same order (the log it names, ``idem`` reuse, the signer's key, the
signature when there is one, the clock, then every rule of the domain: schema, balances,
qualification, deadlines), run on an overlay over a read transaction that is never committed.
Entries checked together see each other's effects, as in an atomic batch (a correction and its
replacement).

A dry run is advice, not a reservation: another entry appended in between may change the answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from ledger.domain.state import Overlay
from ledger.errors import LedgerError
from ledger.protocol import merkle
from ledger.protocol.canonical import canonical_bytes, format_time
from ledger.protocol.entry import ENTRY_PREFIX, Leaf, SignedEntry, check_body, signature_valid
from ledger.store.db import read_transaction
from ledger.store.fastsql import run
from ledger.store.log.model import batch_error, check_batch_size
from ledger.store.log.sql import SELECT_HEAD, existing_by_idem
from ledger.store.log_store import LogStore
from ledger.store.sql_state import SqlState

UNSIGNED = b"\x00" * 64  # the signature slot of an entry checked before it is signed


@dataclass(frozen=True, slots=True)
class Checked:
    """One entry that passed: what its signer signs (or signed), and whether the log holds it already."""

    type: str
    signing_message: bytes  # b"charity-ledger/entry/v1\n" + JCS(body)
    signature_checked: bool
    existing: bool  # an identical entry (same signer, idem and body) is stored: a retry


def unsigned_entry(body: object) -> SignedEntry:
    """An entry to check before it is signed (its shape checked as a submission's)."""
    checked = check_body(body)
    return SignedEntry(checked, canonical_bytes(checked), UNSIGNED)


def dry_run(log: LogStore, entries: Sequence[SignedEntry], signed: Sequence[bool]) -> list[Checked]:
    """Check ``entries`` as :meth:`LogStore.append` would (all or none), without writing.

    ``signed[i]`` says whether entry ``i`` carries a real signature to check. Raises the
    :class:`LedgerError` an append would raise (in a batch, ``batch_entry_refused`` naming the
    position); returns one :class:`Checked` per entry otherwise."""
    check_batch_size(len(entries))
    out: list[Checked] = []
    with read_transaction(log.engine) as conn:
        row = run(conn, SELECT_HEAD).fetchone()
        if row is None:
            raise LedgerError("log_not_initialised", home="the database")
        size, _root, prev, last_time, _edge, _key_id, origin, _shard, base = row
        known = existing_by_idem(conn, entries)
        state = Overlay(SqlState(conn))  # every put stays here and is dropped
        moment = log.clock()
        log_time = max(format_time(moment), last_time)
        seq = size
        seen: dict[tuple[str, str], str] = {}
        for position, entry in enumerate(entries):
            try:
                out.append(_check_one(log, state, entry, signed[position], known, seen, origin, base + seq))
                if out[-1].existing:
                    continue
                log.sequencer.check_clock(entry, moment)
                leaf_hash = merkle.leaf_hash(Leaf(seq, prev, log_time, entry).to_bytes()).hex()
                ctx = log.domain.AppendContext(base + seq, leaf_hash, log_time, origin, seq)
                log.domain.apply(state, ctx, entry)
            except LedgerError as exc:
                if len(entries) == 1:
                    raise
                raise batch_error(position, exc) from exc
            seen[(entry.signer, entry.idem)] = hashlib.sha256(entry.body_bytes).hexdigest()
            prev = leaf_hash
            seq += 1
        state.discard()  # and the read transaction writes nothing
    return out


def _check_one(
    log: LogStore,
    state: Overlay,
    entry: SignedEntry,
    signed: bool,
    known: dict[tuple[str, str], tuple[int, str, str, str]],
    seen: dict[tuple[str, str], str],
    origin: str,
    chain_seq: int,
) -> Checked:
    if entry.body["log"] != origin:
        raise LedgerError("wrong_log", got=entry.body["log"], expected=origin)
    message = ENTRY_PREFIX + entry.body_bytes
    body_hash = hashlib.sha256(entry.body_bytes).hexdigest()
    key = (entry.signer, entry.idem)
    stored = known.get(key)
    earlier = seen.get(key) or (stored[3] if stored is not None else None)
    if earlier is not None:
        if earlier != body_hash:
            raise LedgerError("idem_conflict", idem=entry.idem, seq=stored[0] if stored is not None else -1)
        return Checked(entry.type, message, False, True)
    public = log.domain.signer_public_key(state, entry, chain_seq)
    if public is None:
        raise LedgerError("unknown_signer", signer=entry.signer)
    if signed and not signature_valid(entry, public):
        raise LedgerError("bad_signature", signer=entry.signer)
    return Checked(entry.type, message, signed, False)
