"""A ledger in a temporary data folder, with a registrar ready to sign entries: a preset of the
one builder (tests/support/world.py) on the real store, signing at the real time (the API
tests' data is dated relative to today)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledger.domain.uscc import make_uscc
from ledger.protocol.entry import SignedEntry
from ledger.protocol.keys import KeyPair
from ledger.settings import Settings
from ledger.store.log_store import AppendResult
from ledger.store.runtime import Ledger, init_ledger
from tests.support.world import Clock, Registry, StoreLog, genesis_data, ledger_settings, org_data

ORIGIN = "test.charity-ledger.example/log"
REGISTRAR_ORG = "11440300MB2C92051K"  # check digit per GB 32100-2015


@dataclass
class LedgerFactory:
    home: Path
    database_url: str | None = None
    registrar: KeyPair = field(default_factory=lambda: KeyPair.from_seed(b"test registrar"))
    clock: Clock = field(default_factory=Clock.system)
    _ledger: Ledger | None = None
    _registry: Registry | None = None

    @property
    def settings(self) -> Settings:
        return ledger_settings(self.home, self.database_url, ORIGIN)

    @property
    def ledger(self) -> Ledger:
        if self._ledger is None:  # a test sets it back to None to open the ledger as a new process
            self._ledger = init_ledger(self.settings, clock=self.clock)
        return self._ledger

    @property
    def registry(self) -> Registry:
        """Signs and appends to ``ledger`` (the one open now)."""
        if self._registry is None:
            self._registry = Registry(StoreLog(self.ledger), self.clock, idem_prefix="t-", first_idem=0)
        self._registry.log = StoreLog(self.ledger)
        return self._registry

    def sign(self, key: KeyPair, type_: str, data: dict[str, Any], **options: Any) -> SignedEntry:
        """Signed now for the log being appended to (it changes at a roll-over); ``options``:
        ``idem``, ``at``, ``log`` as :meth:`Registry.sign`."""
        return self.registry.sign(key, type_, data, **options)

    def genesis_entry(self) -> SignedEntry:
        data = genesis_data(
            self.registrar,
            origin=ORIGIN,
            org=REGISTRAR_ORG,
            holder="登记管理处",
            log_key=self.ledger.log_key.public_b64,
        )
        return self.sign(self.registrar, "registry.genesis", data, idem="genesis")

    def with_genesis(self) -> Ledger:
        self.ledger.log.append([self.genesis_entry()])
        return self.ledger

    def org_entry(self, n: int, **overrides: Any) -> SignedEntry:
        """A valid org.registered by the registrar, with the n-th generated credit code."""
        data = org_data(
            make_uscc(f"53440300{n:09d}"),
            public=n % 2 == 0,
            name_zh=f"测试慈善基金会{n}",
            name_en=f"Test Charity Foundation {n}",
        )
        data.update(overrides)
        return self.sign(self.registrar, "org.registered", data, idem=f"org-{n}")

    def append_orgs(self, count: int, start: int = 0, batch: int = 200) -> list[AppendResult]:
        results: list[AppendResult] = []
        for first in range(start, start + count, batch):
            entries = [self.org_entry(n) for n in range(first, min(first + batch, start + count))]
            results += self.ledger.log.append(entries)
        return results
