"""Group commit for single submissions: no batching delay, fewer transactions.

Requests that arrive while an append transaction is running wait in a queue; the writer
thread takes everything queued (up to ``max_batch``) as soon as the previous transaction
commits and appends it with :meth:`LogStore.append_each`, where every entry is checked on its
own. A lone request goes straight through; under load, requests share a lock, a commit and a
checkpoint. Each caller gets its own result or its own refusal.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future

from ..entry import SignedEntry
from ..errors import LedgerError
from .log_store import MAX_BATCH, AppendResult, LogStore

_STOP = object()


class AppendCoalescer:
    def __init__(self, log: LogStore, *, max_batch: int = MAX_BATCH) -> None:
        self.log = log
        self.max_batch = max_batch
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="append-coalescer", daemon=True)
        self._thread.start()

    def submit(self, entry: SignedEntry) -> Future[AppendResult]:
        """Queue one entry; the future holds its AppendResult or raises its LedgerError."""
        future: Future[AppendResult] = Future()
        self._queue.put((entry, future))
        return future

    def append(self, entry: SignedEntry, timeout: float | None = 60) -> AppendResult:
        return self.submit(entry).result(timeout)

    def close(self) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            batch = [item]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    stop = True
                    break
                batch.append(more)
            self._append(batch)
            if stop:
                return

    def _append(self, batch: list[tuple[SignedEntry, Future]]) -> None:
        try:
            results = self.log.append_each([entry for entry, _ in batch])
        except Exception as exc:  # the database failed: every waiting caller learns it
            for _, future in batch:
                future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if isinstance(result, LedgerError):
                future.set_exception(result)
            else:
                future.set_result(result)
