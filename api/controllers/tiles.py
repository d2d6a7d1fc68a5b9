"""C2SP tlog-tiles over HTTP (DESIGN section 8): ``/tlog/`` for the log being appended to and
``/tlog/shards/{shard}/`` for every log of the chain (sealed or not, as listed by
``/api/v1/log/shards``).

A tile's bytes are fixed by its path (a partial tile ``.p/W`` is the first W hashes forever),
so a tile under ``/tlog/shards/{shard}/`` is served ``immutable``. Under ``/tlog/`` the same
path names a tile of whichever log is being appended to, and after a yearly roll-over that is
another log with other bytes: those answers may be held a minute (``max-age=60``, revalidated
by ETag), never for good, so no cache keeps serving the sealed log's tile under the new log's
checkpoint. Only the checkpoint changes otherwise, and it is served ``max-age=0, s-maxage=1``
(a shared cache may hold it one second). A tile the tree does not hold yet is a 404 that is
not cached.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get
from litestar.datastructures import CacheControlHeader
from litestar.enums import MediaType
from litestar.params import PathParameter

from api.controllers.log import COSIGNED_NOTE, IMMUTABLE, LATEST, ShardPath, shard_checkpoint
from api.openapi import problems
from api.params import LedgerDep
from ledger.protocol import tiles
from ledger.store.log_store import Shard
from ledger.store.runtime import Ledger
from ledger.store.tile_reader import read_tile

TILE_MEDIA_TYPE = "application/octet-stream"
# A tile of "the log being appended to": fixed until the next roll-over, which changes the log.
ACTIVE_LOG_TILE = CacheControlHeader(public=True, max_age=60)


def tile_response(ledger: Ledger, target: Shard, path: str, *, pinned: bool) -> Response[bytes]:
    """The tile at ``path`` (below the log's prefix, e.g. ``tile/0/x001/234.p/5``).

    ``pinned``: the address names its log (``/tlog/shards/{shard}/``), so the bytes never change.
    """
    tile = tiles.parse_tile_path(path)
    body = read_tile(ledger.log, target, tile)
    cache = IMMUTABLE if pinned else ACTIVE_LOG_TILE
    return Response(body, media_type=TILE_MEDIA_TYPE, headers={"Cache-Control": cache.to_header()})


def checkpoint_response(ledger: Ledger, target: Shard | None) -> Response[str]:
    sealed = target is not None and target.sealed
    note = shard_checkpoint(ledger, target)
    cache = COSIGNED_NOTE if sealed else LATEST
    return Response(note, media_type=MediaType.TEXT, headers={"Cache-Control": cache.to_header()})


def _tile_path(rest: TilePath) -> str:
    return "tile" + rest  # Litestar's path parameter keeps its leading "/"


TilePath = Annotated[
    str, PathParameter(description="The rest of the tile's path after tile/: <L>/<N>[.p/<W>] or entries/<N>[.p/<W>].")
]

TILE_DESCRIPTION = (
    "A C2SP tlog-tiles tile: tile/<L>/<N>[.p/<W>] is W hashes of 32 bytes (tree level 8L, indexes 256N to 256N+W-1); "
    "tile/entries/<N>[.p/<W>] is W leaves, each prefixed by its length as a big-endian uint16. N is written as "
    "x000/.../000 groups of three digits."
)


class TilesController(Controller):
    """The log as static-style files for caches and CDNs: checkpoint, hash tiles, entry bundles."""

    path = "/tlog"
    tags = ("tiles",)

    @get(
        "/checkpoint",
        operation_id="getTlogCheckpoint",
        media_type=MediaType.TEXT,
        sync_to_thread=True,
        responses=problems(503),
    )
    def checkpoint(self, ledger: LedgerDep) -> Response[str]:
        """The latest checkpoint of the log being appended to, with its cosignatures."""
        return checkpoint_response(ledger, None)

    @get(
        "/tile/{rest:path}",
        operation_id="getTlogTile",
        media_type=TILE_MEDIA_TYPE,
        sync_to_thread=True,
        responses=problems(400, 404, 503),
        description=TILE_DESCRIPTION,
    )
    def tile(self, ledger: LedgerDep, rest: TilePath) -> Response[bytes]:
        """A tile of the log being appended to."""
        return tile_response(ledger, ledger.log.shard(None), _tile_path(rest), pinned=False)  # type: ignore[arg-type]

    @get(
        "/shards/{shard:int}/checkpoint",
        operation_id="getTlogShardCheckpoint",
        media_type=MediaType.TEXT,
        sync_to_thread=True,
        responses=problems(400, 404, 503),
    )
    def shard_checkpoint(self, ledger: LedgerDep, shard: ShardPath) -> Response[str]:
        """The latest (for a sealed log, the final) checkpoint of one log of the chain."""
        return checkpoint_response(ledger, ledger.log.shard(shard))

    @get(
        "/shards/{shard:int}/tile/{rest:path}",
        operation_id="getTlogShardTile",
        media_type=TILE_MEDIA_TYPE,
        sync_to_thread=True,
        responses=problems(400, 404, 503),
        description=TILE_DESCRIPTION,
    )
    def shard_tile(self, ledger: LedgerDep, shard: ShardPath, rest: TilePath) -> Response[bytes]:
        """A tile of one log of the chain."""
        return tile_response(ledger, ledger.log.shard(shard), _tile_path(rest), pinned=True)  # type: ignore[arg-type]
