"""Witnesses' cosignatures of the log's checkpoints, one line per witness and size.

A newer cosignature by the same witness replaces the one held, an older one is refused (a
replay, or a witness whose clock went back). May import :mod:`ledger.protocol`,
:mod:`ledger.errors`, :mod:`ledger.store.db` and :mod:`ledger.store.log_tables`.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Engine, and_, insert, select, update

from ledger.errors import LedgerError
from ledger.protocol.witness_protocol import COSIGNATURE_OLDER
from ledger.store.db import read_transaction, write_transaction
from ledger.store.log.reader import LogReader
from ledger.store.log_tables import COSIG


class Cosignatures:
    def __init__(self, engine: Engine, reader: LogReader) -> None:
        self.engine = engine
        self.reader = reader

    def of(self, size: int, shard: int | None = None) -> list[str]:
        """The cosignature lines of one checkpoint, by witness name."""
        index = self.reader.index(shard)
        with read_transaction(self.engine) as conn:
            rows = conn.execute(
                select(COSIG.c.line).where(and_(COSIG.c.shard == index, COSIG.c.size == size)).order_by(COSIG.c.witness)
            )
            return [r[0] for r in rows]

    def add(
        self,
        size: int,
        witness: str,
        line: str,
        timestamp: int,
        shard: int | None = None,
        *,
        then: Callable[[Connection], None] | None = None,
    ) -> None:
        """Store a cosignature line (a newer one by the same witness replaces it, never an older
        one); ``then`` writes more in the same transaction (the pusher's record of the witness)."""
        index = self.reader.index(shard)
        where = and_(COSIG.c.shard == index, COSIG.c.size == size, COSIG.c.witness == witness)
        with write_transaction(self.engine) as conn:
            if then is not None:
                then(conn)
            held = conn.execute(select(COSIG.c.timestamp).where(where)).scalar_one_or_none()
            if held is not None:
                if timestamp < held:  # never replaced by an older one (a replay, or a clock gone back)
                    raise LedgerError(COSIGNATURE_OLDER, witness=witness, size=size, held=held, timestamp=timestamp)
                conn.execute(update(COSIG).where(where).values(line=line, timestamp=timestamp))
            else:
                conn.execute(
                    insert(COSIG).values(shard=index, size=size, witness=witness, line=line, timestamp=timestamp)
                )
