"""Ed25519 verification of many signatures, spread over processes for large batches.

pyca/cryptography holds the GIL while it verifies, so threads do not help; a small process
pool does. Batches under ``PARALLEL_MIN`` are verified inline (a pool round trip costs more).
``CHARITY_LEDGER_VERIFY_PROCESSES`` sets the pool size (default: the number of CPUs; 0 turns
the pool off). The appending process goes on with the rules while the pool verifies. The
verifier sends the pool runs of leaves to check (:mod:`ledger.protocol.leafcheck`).
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.protocol import ed25519_strict, leafcheck

PARALLEL_MIN = 256

Item = tuple[bytes, bytes, bytes]  # (public key raw, signature, message)

_pool: Executor | None = None
_pool_pid: int | None = None


def _verify_chunk(items: Sequence[Item]) -> list[bool]:
    cache: dict[bytes, Ed25519PublicKey] = {}
    out = []
    for public, sig, message in items:
        if len(public) != 32:
            out.append(False)
            continue
        key = cache.get(public)
        if key is None:
            key = cache[public] = Ed25519PublicKey.from_public_bytes(public)
        out.append(ed25519_strict.verify(public, sig, message, key=key))  # libsodium's strictness
    return out


def pool_size() -> int:
    value = os.environ.get("CHARITY_LEDGER_VERIFY_PROCESSES")
    return int(value) if value else (os.cpu_count() or 1)


def _get_pool() -> Executor | None:
    global _pool, _pool_pid
    size = pool_size()
    if size <= 0:
        return None
    if _pool is None or _pool_pid != os.getpid():
        # a process imports leafcheck as it starts (unpickling the initializer does), so that
        # the first runs of leaves a verifier sends it do not wait for the import
        _pool = ProcessPoolExecutor(
            max_workers=size, mp_context=multiprocessing.get_context("spawn"), initializer=leafcheck.ready
        )
        _pool_pid = os.getpid()
        atexit.register(_pool.shutdown, wait=False, cancel_futures=True)
    return _pool


def pool() -> Executor | None:
    """The process pool (started on first use), or None when ``CHARITY_LEDGER_VERIFY_PROCESSES`` is 0."""
    return _get_pool()


class Pending:
    """Signature checks under way: :meth:`result` waits for them (order kept)."""

    def __init__(self, done: list[bool] | None = None, futures: list[Future[Any]] | None = None) -> None:
        self._done = done
        self._futures = futures or []

    def result(self) -> list[bool]:
        if self._done is None:
            self._done = [ok for f in self._futures for ok in f.result()]
        return self._done


def start(items: Sequence[Item]) -> Pending:
    """Begin verifying: large batches go to the process pool and run while the caller works on;
    small ones are verified at once."""
    pool = _get_pool() if len(items) >= PARALLEL_MIN else None
    if pool is None:
        return Pending(done=_verify_chunk(items))
    step = -(-len(items) // pool_size())
    return Pending(futures=[pool.submit(_verify_chunk, list(items[i : i + step])) for i in range(0, len(items), step)])
