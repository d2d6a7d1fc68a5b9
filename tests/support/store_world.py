"""The domain tests' World, appended through the real log store (SQLite or PostgreSQL).

The log's clock follows the world's clock, so business dates and log times line up the way
the domain tests expect.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.errors import LedgerError
from ledger.protocol.entry import SignedEntry
from ledger.settings import Settings, from_env
from ledger.store.runtime import init_ledger
from tests.domain import helpers


def world_settings(home: Path, database_url: str | None = None) -> Settings:
    env = {"CHARITY_LEDGER_HOME": str(home), "CHARITY_LEDGER_ORIGIN": helpers.ORIGIN}
    if database_url:
        env["CHARITY_LEDGER_DATABASE_URL"] = database_url
    return from_env(env)


class StoreWorld(helpers.World):
    def __init__(
        self, home: Path, database_url: str | None = None, *, name_log_key: bool = False, **kwargs: bool
    ) -> None:
        self.now = helpers.T0
        self.ledger = init_ledger(world_settings(home, database_url), clock=lambda: self.now)
        self.name_log_key = name_log_key
        super().__init__(**kwargs)

    @property
    def origin(self) -> str:
        return self.ledger.log.origin  # the log being appended to (it changes when the chain rolls over)

    def genesis_extra(self) -> dict[str, object]:
        """``name_log_key``: the genesis names the log's checkpoint key (needed to roll the log over)."""
        return {"log_key": self.ledger.log_key.public_b64} if self.name_log_key else {}

    def _append(self, entry: SignedEntry) -> str:
        result = self.ledger.log.append([entry])[0]
        self.seq = result.seq + 1
        self.prev = result.leaf_hash
        self.now += helpers.timedelta(minutes=1)
        self.types[result.leaf_hash] = entry.type
        return result.leaf_hash

    def refuse(self, signer, type_, data, code):  # type: ignore[no-untyped-def]
        head = self.ledger.log.head()
        with pytest.raises(LedgerError) as info:
            self._append(self.sign(signer, type_, data))
        assert info.value.code == code, info.value
        assert self.ledger.log.head() == head
        return info.value
