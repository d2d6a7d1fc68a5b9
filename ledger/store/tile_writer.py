"""Write the chain of logs as C2SP tlog-tiles files, for any static web server, object store or CDN.

The folder has the layout of the ``/tlog/`` URLs (docs/protocol.md, "Tiles")::

    DIR/shards/<I>/checkpoint          the log's latest (a sealed log's final) checkpoint, cosigned
    DIR/shards/<I>/tile/...            its hash tiles and entry bundles
    DIR/checkpoint -> shards/<A>/checkpoint   the log being appended to (symbolic links, so
    DIR/tile -> shards/<A>/tile               /tlog/checkpoint and /tlog/tile/... serve it)

Each run writes what the tree gained since the last one: a tile's bytes are fixed by its path,
so a file that exists is never written again. Every file is written to a temporary name and
renamed, and a log's tiles are all in place before its checkpoint is replaced, so a reader that
fetched a checkpoint finds every tile it names. The checkpoint written is one the log signed
(with the cosignatures held for it), read before the tiles, never a newer one.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from ledger.protocol import tiles
from ledger.protocol.checkpoint import Checkpoint
from ledger.protocol.note import add_signatures, parse_note
from ledger.store.log_store import LogStore, Shard
from ledger.store.tile_reader import read_tile


@dataclass(frozen=True, slots=True)
class TilesWritten:
    logs: int
    files: int  # tiles written by this run (tiles already there are not counted)
    size: int  # the tree size of the log being appended to, as its checkpoint says

    def to_json(self) -> dict[str, int]:
        return {"logs": self.logs, "files": self.files, "size": self.size}


def _replace(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_bytes(data)
    os.chmod(tmp, 0o644)  # public data, served as it is
    os.replace(tmp, path)


def _link(link: Path, target: str) -> None:
    """Point ``link`` at ``target`` (relative), replacing an older link in one rename."""
    if link.is_symlink() and os.readlink(link) == target:
        return
    tmp = link.with_name(f".{link.name}.{uuid.uuid4().hex[:8]}.tmp")
    os.symlink(target, tmp)
    os.replace(tmp, link)


def _cosigned_checkpoint(log: LogStore, shard: Shard) -> tuple[str, int]:
    note = log.latest_checkpoint(shard.index)
    size = Checkpoint.parse(parse_note(note).text).size
    lines = log.cosignatures(size, shard.index)
    return (add_signatures(note, lines) if lines else note), size


def write_log_tiles(log: LogStore, shard: Shard, folder: Path) -> tuple[int, int]:
    """Bring ``folder`` (one log's prefix) up to the log's latest checkpoint; returns (files
    written, tree size)."""
    note, size = _cosigned_checkpoint(log, shard)
    written = 0
    for tile in tiles.tiles_for_size(size):
        path = folder / tile.path
        if path.exists():
            continue
        _replace(path, read_tile(log, shard, tile))
        written += 1
    _replace(folder / "checkpoint", note.encode("utf-8"))
    return written, size


def write_tiles(log: LogStore, folder: Path) -> TilesWritten:
    """Write every log of the chain under ``folder`` (see the module docstring)."""
    folder.mkdir(parents=True, exist_ok=True)
    shards = log.shards()
    files = 0
    size = 0
    for shard in shards:
        written, size = write_log_tiles(log, shard, folder / "shards" / str(shard.index))
        files += written
    active = shards[-1].index
    (folder / "shards" / str(active) / "tile").mkdir(parents=True, exist_ok=True)
    _link(folder / "tile", f"shards/{active}/tile")
    _link(folder / "checkpoint", f"shards/{active}/checkpoint")
    return TilesWritten(len(shards), files, size)
