"""A separate process that appends entries to a shared ledger (concurrency tests)."""

from __future__ import annotations

import sys
from pathlib import Path

from ledger.store.runtime import open_ledger
from tests.support.ledger_factory import LedgerFactory


def write(home: str, database_url: str | None, first: int, count: int, batch: int) -> list[int]:
    factory = LedgerFactory(Path(home), database_url=database_url)
    ledger = open_ledger(factory.settings)
    seqs: list[int] = []
    for start in range(first, first + count, batch):
        entries = [factory.org_entry(n) for n in range(start, min(start + batch, first + count))]
        seqs += [r.seq for r in ledger.log.append(entries)]
    ledger.engine.dispose()
    return seqs


if __name__ == "__main__":
    home, url, first, count, batch = sys.argv[1:6]
    print(",".join(map(str, write(home, url or None, int(first), int(count), int(batch)))))
