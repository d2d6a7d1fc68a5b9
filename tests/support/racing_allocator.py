"""A separate process that races to allocate from one project fund (balance tests)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ledger.errors import LedgerError
from ledger.protocol.canonical import now
from ledger.protocol.entry import make_body, sign_entry
from ledger.store.runtime import open_ledger
from tests.domain import helpers
from tests.support.world import ledger_settings


def race(home: str, url: str | None, worker: int, attempts: int, amount: str, project: str) -> dict[str, list]:
    ledger = open_ledger(ledger_settings(Path(home), url))
    fundraiser = helpers.key("fundraiser")
    out: dict[str, list] = {"ok": [], "refused": []}
    for i in range(attempts):
        data = helpers.allocation_data(project, amount)
        body = make_body(helpers.ORIGIN, "funds.allocated", fundraiser.id, now(), f"race-{worker}-{i}", data)
        try:
            out["ok"].append(ledger.log.append([sign_entry(fundraiser, body)])[0].seq)
        except LedgerError as exc:
            out["refused"].append(exc.code)
    ledger.engine.dispose()
    return out


if __name__ == "__main__":
    home, url, worker, attempts, amount, project = sys.argv[1:7]
    print(json.dumps(race(home, url or None, int(worker), int(attempts), amount, project)))
