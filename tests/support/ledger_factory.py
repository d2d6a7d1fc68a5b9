"""A ledger in a temporary data folder, with a registrar ready to sign entries."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledger.protocol.canonical import now
from ledger.protocol.entry import SignedEntry, make_body, sign_entry
from ledger.protocol.keys import KeyPair
from ledger.settings import Settings, from_env
from ledger.store.log_store import AppendResult
from ledger.store.runtime import Ledger, init_ledger

ORIGIN = "test.charity-ledger.example/log"
REGISTRAR_ORG = "11440300MB2C92051K"  # check digit per GB 32100-2015


@dataclass
class LedgerFactory:
    home: Path
    database_url: str | None = None
    registrar: KeyPair = field(default_factory=lambda: KeyPair.from_seed(b"test registrar"))
    _ledger: Ledger | None = None
    _counter: itertools.count = field(default_factory=itertools.count)

    @property
    def settings(self) -> Settings:
        env = {"CHARITY_LEDGER_HOME": str(self.home), "CHARITY_LEDGER_ORIGIN": ORIGIN}
        if self.database_url:
            env["CHARITY_LEDGER_DATABASE_URL"] = self.database_url
        return from_env(env)

    @property
    def ledger(self) -> Ledger:
        if self._ledger is None:
            self._ledger = init_ledger(self.settings)
        return self._ledger

    def sign(
        self,
        key: KeyPair,
        type_: str,
        data: dict[str, Any],
        *,
        idem: str | None = None,
        at: Any = None,
        log: str | None = None,
    ) -> SignedEntry:
        """Signed for ``log``; by default the log being appended to (it changes at a roll-over)."""
        origin = log or (self._ledger.log.origin if self._ledger is not None else ORIGIN)
        return sign_entry(key, make_body(origin, type_, key.id, at or now(), idem or f"t-{next(self._counter)}", data))

    def genesis_entry(self) -> SignedEntry:
        return self.sign(
            self.registrar,
            "registry.genesis",
            {
                "origin": ORIGIN,
                "jurisdiction": "CN-GD-Shenzhen",
                "rule_sets": ["cn-charity/1", "sz-donation/1"],
                "public_key": self.registrar.public_b64,
                "role": "registrar",
                "org": REGISTRAR_ORG,
                "org_name_zh": "深圳市民政局",
                "org_name_en": "Shenzhen Civil Affairs Bureau",
                "holder": "登记管理处",
                "log_key": self.ledger.log_key.public_b64,
            },
            idem="genesis",
        )

    def with_genesis(self) -> Ledger:
        self.ledger.log.append([self.genesis_entry()])
        return self.ledger

    def org_entry(self, n: int, **overrides: Any) -> SignedEntry:
        """A valid org.registered by the registrar, with the n-th generated credit code."""
        from ledger.domain.uscc import make_uscc

        data = {
            "org": make_uscc(f"53440300{n:09d}"),
            "name_zh": f"测试慈善基金会{n}",
            "name_en": f"Test Charity Foundation {n}",
            "legal_form": "foundation",
            "track": "registered",
            "public_fundraising": n % 2 == 0,
        }
        data.update(overrides)
        return self.sign(self.registrar, "org.registered", data, idem=f"org-{n}")

    def append_orgs(self, count: int, start: int = 0, batch: int = 200) -> list[AppendResult]:
        results: list[AppendResult] = []
        for first in range(start, start + count, batch):
            entries = [self.org_entry(n) for n in range(first, min(first + batch, start + count))]
            results += self.ledger.log.append(entries)
        return results
