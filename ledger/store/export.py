"""Export of the log as DESIGN section 3 describes: entries.jsonl, checkpoint, log.vkey."""

from __future__ import annotations

import os
from pathlib import Path

from ..checkpoint import verify_checkpoint
from ..note import add_signatures, format_verifier_key
from .log_store import LogStore


def log_vkey(store: LogStore) -> str:
    """The log's note verifier key: ``name+hexkeyid+base64(0x01||pubkey)``."""
    return format_verifier_key(store.origin, store.current_log_key().public)


def export_log(store: LogStore, folder: Path) -> int:
    """Write the latest checkpoint and exactly the leaves it covers; returns the tree size.

    Files are written next to their final names and renamed into place, so a reader never
    sees a half-written export.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    note = store.latest_checkpoint()
    vkey = log_vkey(store)
    size = verify_checkpoint(note, vkey).size
    note = add_signatures(note, store.cosignatures(size))  # the witnesses' cosignatures ride along
    entries_tmp = folder / "entries.jsonl.tmp"
    with open(entries_tmp, "wb") as out:
        for raw in store.iter_leaves(0, size):
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
