"""Group commit of single submissions: concurrent POST /api/v1/entries share one transaction.

Every append takes the log's write lock, writes a checkpoint and commits; done one request at
a time, the commit (and its fsync) bounds the throughput. Here the requests that arrive while
an append is running wait for it to end and then go in together, in arrival order, through
:meth:`LogStore.append_each`: one lock, one commit, one signed checkpoint for all of them, and
each entry still judged on its own (a refused one writes nothing and gets its own error; the
others are appended). There is no batching delay: a request that finds the log idle is
appended at once, alone. Requests that come in while a group waits for the log's lock (held
by another process's group) join that group once the lock is held: the wait gathers them.

Each answer is sent only after the transaction that holds its entry has committed. A group
whose connection turns out to be dead before anything was written (the server restarted; the
pool does not ping connections in steady use) is tried once more on a fresh one.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence

import anyio
from sqlalchemy.exc import DBAPIError

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
        self._taking = threading.Lock()  # the appending thread takes late submissions from _pending
        self._draining = False
        # The running drain task, kept so the event loop cannot garbage-collect it mid-flight.
        self._drain_task: asyncio.Task[None] | None = None

    async def submit(self, entry: SignedEntry) -> AppendResult:
        future: asyncio.Future[AppendResult] = asyncio.get_running_loop().create_future()
        with self._taking:
            self._pending.append((entry, future))
        if not self._draining:
            self._draining = True
            self._drain_task = asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                await self._append(self._take(self.max_group))
        finally:
            self._draining = False

    def _take(self, most: int) -> list[tuple[SignedEntry, asyncio.Future[AppendResult]]]:
        with self._taking:
            taken = self._pending[:most]
            del self._pending[:most]
        return taken

    async def _append(self, group: list[tuple[SignedEntry, asyncio.Future[AppendResult]]]) -> None:
        first = len(group)
        locked: list[bool] = []

        def more() -> list[SignedEntry]:  # in the appending thread, with the lock held
            locked.append(True)
            late = self._take(self.max_group - len(group))
            group.extend(late)
            return [entry for entry, _ in late]

        try:
            results = await anyio.to_thread.run_sync(
                self._append_each, [entry for entry, _ in group[:first]], more, locked
            )
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

    def _append_each(
        self, entries: list[SignedEntry], more: Callable[[], list[SignedEntry]], locked: list[bool]
    ) -> Sequence[AppendResult | LedgerError]:
        try:
            return self.log.append_each(entries, more)
        except DBAPIError as exc:
            # a connection found dead before the lock was held: nothing was written, and the
            # pool has dropped its connections; one found dead later is not retried (a commit
            # may have gone through)
            if not exc.connection_invalidated or locked:
                raise
        return self.log.append_each(entries, more)
