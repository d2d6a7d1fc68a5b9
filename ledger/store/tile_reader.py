"""C2SP tlog-tiles read from the stored tree (see :mod:`ledger.protocol.tiles` for the format).

A hash tile is a range of one level of the ``merkle_node`` table (tile level ``L`` is tree level
``8 * L``, every perfect subtree being stored once when its last leaf arrives); an entry bundle
is a range of ``log_leaf``. Nothing is computed: a tile is bytes the log already wrote, so it is
byte for byte what the signed checkpoints commit to.
"""

from __future__ import annotations

from sqlalchemy import and_, select

from ledger.protocol import tiles
from ledger.store.db import read_transaction
from ledger.store.log_store import LogStore, Shard
from ledger.store.tables import NODE


def read_tile(log: LogStore, shard: Shard, tile: tiles.Tile) -> bytes:
    """The bytes of ``tile`` of the log ``shard`` (404 ``not_found`` if its tree is too small)."""
    tiles.check_available(tile, shard.size)
    first = tile.first()
    if tile.level == tiles.ENTRIES:
        return tiles.encode_bundle(log.leaves(first, first + tile.width, shard.index))
    level = tile.level * tiles.TILE_HEIGHT
    with read_transaction(log.engine) as conn:
        rows = conn.execute(
            select(NODE.c.hash)
            .where(
                and_(
                    NODE.c.shard == shard.index,
                    NODE.c.level == level,
                    NODE.c.idx >= first,
                    NODE.c.idx < first + tile.width,
                )
            )
            .order_by(NODE.c.idx)
        ).all()
    if len(rows) != tile.width:  # the tree says they exist: a damaged database, not a client's mistake
        raise RuntimeError(f"{tile.path} of log {shard.origin}: {len(rows)} of {tile.width} nodes stored")
    return b"".join(bytes(r[0]) for r in rows)
