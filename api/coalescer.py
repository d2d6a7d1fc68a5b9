"""Group commit of single submissions: concurrent POST /api/v1/entries share one transaction.

Every append takes the log's write lock, writes a checkpoint and commits; done one request at
a time, the commit (and its fsync) bounds the throughput. Here the requests that arrive while
an append is running wait for it to end and then go in together, in arrival order, through
:meth:`LogStore.append_each`: one lock, one commit, one signed checkpoint for all of them, and
each entry still judged on its own (a refused one writes nothing and gets its own error; the
others are appended). There is no batching delay: a request that finds the log idle is
appended at once, alone.

Each answer is sent only after the transaction that holds its entry has committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import anyio

from ledger.errors import LedgerError
from ledger.protocol.entry import SignedEntry
from ledger.store.log_store import MAX_BATCH, AppendResult, LogStore


class AppendCoalescer:
    """One per app (so one per worker process and event loop)."""

    def __init__(
        self, log: LogStore, max_group: int = MAX_BATCH, on_appended: Callable[[], None] | None = None
    ) -> None:
        self.log = log
        self.max_group = max_group
        self.on_appended = on_appended  # told (without waiting) after each group: a new checkpoint
        self._pending: list[tuple[SignedEntry, asyncio.Future[AppendResult]]] = []
        self._draining = False
        # The running drain task, kept so the event loop cannot garbage-collect it mid-flight.
        self._drain_task: asyncio.Task[None] | None = None

    async def submit(self, entry: SignedEntry) -> AppendResult:
        future: asyncio.Future[AppendResult] = asyncio.get_running_loop().create_future()
        self._pending.append((entry, future))
        if not self._draining:
            self._draining = True
            self._drain_task = asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                group = self._pending[: self.max_group]
                del self._pending[: self.max_group]
                await self._append(group)
        finally:
            self._draining = False

    async def _append(self, group: Sequence[tuple[SignedEntry, asyncio.Future[AppendResult]]]) -> None:
        try:
            results = await anyio.to_thread.run_sync(self.log.append_each, [entry for entry, _ in group])
        except BaseException as exc:  # the whole transaction failed (database down, a bug): nothing written
            for _, future in group:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        if self.on_appended is not None:
            self.on_appended()
        for (_, future), result in zip(group, results, strict=True):
            if future.done():  # the client went away; its entry is in the log all the same
                continue
            if isinstance(result, LedgerError):
                future.set_exception(result)
            else:
                future.set_result(result)
