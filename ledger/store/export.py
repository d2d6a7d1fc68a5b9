"""Export of the log as DESIGN section 3 describes: entries.jsonl, checkpoint, log.vkey.

The folder itself holds the log being appended to. When the registry's history spans
several logs (shards), each sealed log is exported the same way into ``shards/NNNN/``
(NNNN its index in the chain, oldest first) with its final checkpoint, so that a verifier
can walk the chain from the first log (:func:`ledger.protocol.verify.read_chain_export`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import select

from ledger.protocol.checkpoint import Checkpoint, verify_checkpoint
from ledger.protocol.keys import unb64
from ledger.protocol.note import add_signatures, format_verifier_key, parse_note
from ledger.protocol.verify import SHARDS_FOLDER, ChainReport, verify_chain
from ledger.store.db import read_transaction
from ledger.store.log_store import LogStore, Shard
from ledger.store.tables import REGISTRY


def log_vkey(store: LogStore) -> str:
    """The log's note verifier key: ``name+hexkeyid+base64(0x01||pubkey)``."""
    key = store.current_log_key()  # follows a rotation or roll-over made by another process
    return format_verifier_key(store.origin, key.public)


def shard_vkey(store: LogStore, shard: Shard) -> str:
    """The note verifier key of a log of the chain: for a sealed log, the key that signed its
    final checkpoint (the registry's log key for that origin when it was sealed)."""
    if not shard.sealed:
        return log_vkey(store)
    with read_transaction(store.engine) as conn:
        key = conn.execute(select(REGISTRY.c.log_key).where(REGISTRY.c.origin == shard.origin)).scalar_one_or_none()
    if key is None:
        raise RuntimeError(f"no log key recorded for the sealed log {shard.origin}")
    return format_verifier_key(shard.origin, unb64(key, length=32))


def chain_checkpoints(store: LogStore) -> list[tuple[Shard, str]]:
    """Each log of the chain with its checkpoint (final for a sealed log, latest for the
    active one), the witnesses' cosignatures added."""
    out = []
    for shard in store.shards():
        note = store.latest_checkpoint(shard.index)
        size = _size(note)
        out.append((shard, add_signatures(note, store.cosignatures(size, shard.index))))
    return out


def _size(note: str) -> int:
    return Checkpoint.parse(parse_note(note).text).size


def verify_stored_chain(store: LogStore) -> ChainReport:
    """Verify every log of the chain as stored, oldest first, against the current log key."""
    logs: list[tuple[Iterator[bytes], str]] = [
        (store.iter_leaves(shard=shard.index, end=_size(note)), note) for shard, note in chain_checkpoints(store)
    ]
    return verify_chain(logs, log_vkey(store))


def export_log(store: LogStore, folder: Path) -> int:
    """Write the latest checkpoint and exactly the leaves it covers; returns the tree size.
    Sealed logs of the chain go to ``shards/NNNN/`` (written once: a sealed log never changes).

    Files are written next to their final names and renamed into place, so a reader never
    sees a half-written export.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for shard in store.shards()[:-1]:
        _export_one(store, folder / SHARDS_FOLDER / f"{shard.index:04d}", shard.index, shard_vkey(store, shard))
    return _export_one(store, folder, None, log_vkey(store))


def _export_one(store: LogStore, folder: Path, shard: int | None, vkey: str) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    note = store.latest_checkpoint(shard)
    size = verify_checkpoint(note, vkey).size
    note = add_signatures(note, store.cosignatures(size, shard))  # the witnesses' cosignatures ride along
    entries_tmp = folder / "entries.jsonl.tmp"
    with open(entries_tmp, "wb") as out:
        for raw in store.iter_leaves(0, size, shard=shard):
            out.write(raw)
            out.write(b"\n")
        out.flush()
        os.fsync(out.fileno())
    _write(folder / "checkpoint", note)
    _write(folder / "log.vkey", vkey + "\n")
    os.replace(entries_tmp, folder / "entries.jsonl")
    return size


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
