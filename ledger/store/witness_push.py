"""The log's record of each witness it pushes checkpoints to (table ``log_witness_push``).

One row per witness name: the URL, the origin and size of the latest checkpoint the witness
cosigned (as far as the log knows: a 200 from it), and the last error of a push (its code, the
HTTP status and a detail a person can read), with the number of failures in a row. The
cosignatures themselves are in ``log_cosignature`` (:meth:`LogStore.add_cosignature`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, insert, select, update

from ledger.errors import LedgerError
from ledger.protocol.witness_protocol import COSIGNATURE_OLDER
from ledger.store.db import read_transaction, write_transaction
from ledger.store.log_store import LogStore
from ledger.store.tables import WITNESS_PUSH


@dataclass(frozen=True, slots=True)
class PushStatus:
    witness: str
    url: str
    origin: str = ""
    size: int = 0
    cosigned_at: int = 0
    attempted_at: int = 0
    error_code: str | None = None
    error_status: int | None = None
    error_detail: str | None = None
    failures: int = 0


def push_status(engine: Engine, witness: str) -> PushStatus | None:
    with read_transaction(engine) as conn:
        row = conn.execute(select(WITNESS_PUSH).where(WITNESS_PUSH.c.witness == witness)).mappings().first()
    return PushStatus(**dict(row)) if row is not None else None


def push_statuses(engine: Engine) -> list[PushStatus]:
    with read_transaction(engine) as conn:
        rows = conn.execute(select(WITNESS_PUSH).order_by(WITNESS_PUSH.c.witness)).mappings().all()
    return [PushStatus(**dict(r)) for r in rows]


def record_cosigned(conn: Connection, witness: str, url: str, origin: str, size: int, at: int, now: int) -> None:
    """The witness cosigned ``origin`` at ``size`` (in the caller's transaction, the one storing
    the cosignature): the size only moves forward within one origin."""
    values = {"url": url, "origin": origin, "cosigned_at": at, "attempted_at": now, "failures": 0}
    values |= {"error_code": None, "error_status": None, "error_detail": None}
    where = WITNESS_PUSH.c.witness == witness
    held = conn.execute(select(WITNESS_PUSH.c.origin, WITNESS_PUSH.c.size).where(where)).first()
    if held is None:
        conn.execute(insert(WITNESS_PUSH).values(witness=witness, size=size, **values))
    elif held.origin != origin or size >= held.size:
        conn.execute(update(WITNESS_PUSH).where(where).values(size=size, **values))


def store_cosignature(
    log: LogStore, witness: str, line: str, timestamp: int, where: tuple[str, str, int, int | None], now: int
) -> None:
    """Keep a witness's cosignature of the checkpoint of size ``where[2]`` of the log ``where[3]``
    (None: the one being appended to) and move the witness's record (URL ``where[0]``, origin
    ``where[1]``) forward, in one transaction. A newer cosignature by the same witness for that
    size is kept; the record moves all the same."""
    url, origin, size, shard = where

    def record(conn: Connection) -> None:
        record_cosigned(conn, witness, url, origin, size, timestamp, now)

    try:
        log.add_cosignature(size, witness, line, timestamp, shard, then=record)
    except LedgerError as exc:
        if exc.code != COSIGNATURE_OLDER:
            raise
        with write_transaction(log.engine) as conn:
            record(conn)


def record_failure(
    engine: Engine, witness: str, url: str, origin: str, code: str, status: int | None, detail: str, now: int
) -> None:
    """A push failed: keep what and why (the cosigned size stays)."""
    where = WITNESS_PUSH.c.witness == witness
    error = {"error_code": code, "error_status": status, "error_detail": detail[:2000], "attempted_at": now}
    with write_transaction(engine) as conn:
        held = conn.execute(select(WITNESS_PUSH.c.failures).where(where)).scalar_one_or_none()
        if held is None:
            row = {"witness": witness, "url": url, "origin": origin, "size": 0, "cosigned_at": 0, "failures": 1}
            conn.execute(insert(WITNESS_PUSH).values(**row, **error))
        else:
            conn.execute(update(WITNESS_PUSH).where(where).values(url=url, failures=held + 1, **error))
