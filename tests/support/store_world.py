"""The domain tests' World (tests/domain/helpers.py) through the real log store (SQLite or
PostgreSQL): a preset of the one builder (tests/support/world.py) whose log reads the world's
injected clock, so business dates and log times line up the way the domain tests expect."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.domain import helpers
from tests.support.world import Clock, store_log


class StoreWorld(helpers.World):
    def __init__(
        self, home: Path, database_url: str | None = None, *, name_log_key: bool = False, **kwargs: bool
    ) -> None:
        clock = Clock()
        log = store_log(clock, home, database_url)
        self.ledger = log.ledger
        self.name_log_key = name_log_key
        super().__init__(log, clock, **kwargs)

    def genesis_extra(self) -> dict[str, Any]:
        """``name_log_key``: the genesis names the log's checkpoint key (needed to roll the log over)."""
        return {"log_key": self.ledger.log_key.public_b64} if self.name_log_key else {}
