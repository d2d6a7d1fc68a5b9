"""The log on SQL, as one object: :class:`LogStore` is a thin facade over its parts.

The parts live in :mod:`ledger.store.log` and know nothing of the charity domain: the
:class:`~ledger.store.log.sequencer.Sequencer` (atomic appends, idempotency, signature checks,
checkpoint signing), the :class:`~ledger.store.log.reader.LogReader` (heads, shards,
checkpoints, leaves, proofs), the :class:`~ledger.store.log.chain.LogChain` (roll-over to the
next log, key rotation) and :class:`~ledger.store.log.cosignatures.Cosignatures`. The rules
come in behind :class:`~ledger.store.log.plugin.LogDomain`: here the charity's, through
:class:`~ledger.store.charity_domain.CharityDomain`. The facade keeps one method per thing a
caller does, and forwards it.

May import :mod:`ledger.store.log`, :mod:`ledger.store.charity_domain`, :mod:`ledger.protocol`
and :mod:`ledger.errors`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Engine

from ledger.errors import LedgerError
from ledger.protocol.canonical import now
from ledger.protocol.entry import SignedEntry, parse_submission
from ledger.protocol.keys import KeyPair
from ledger.store.charity_domain import CharityDomain
from ledger.store.log.chain import LogChain
from ledger.store.log.cosignatures import Cosignatures
from ledger.store.log.model import (
    GENESIS,
    LOG_HOLDS_ENTRIES,
    LOG_KEY_MISSING,
    LOG_KEY_ROTATED,
    LOG_SEALED,
    LOG_SEALED_ERROR,
    MAX_BATCH,
    ROTATION_BY_COMMAND,
    SEAL_BY_COMMAND,
    SHARD_EMPTY,
    SHARD_NO_LOG_KEY,
    SHARD_ORIGIN_INVALID,
    AppendResult,
    Head,
    Shard,
    batch_error,
    check_batch_size,
)
from ledger.store.log.reader import LogReader
from ledger.store.log.sequencer import Sequencer
from ledger.store.log.sql import SqlNodes

__all__ = [
    "GENESIS",
    "LOG_HOLDS_ENTRIES",
    "LOG_KEY_MISSING",
    "LOG_KEY_ROTATED",
    "LOG_SEALED",
    "LOG_SEALED_ERROR",
    "MAX_BATCH",
    "ROTATION_BY_COMMAND",
    "SEAL_BY_COMMAND",
    "SHARD_EMPTY",
    "SHARD_NO_LOG_KEY",
    "SHARD_ORIGIN_INVALID",
    "AppendResult",
    "Domain",
    "Head",
    "LogStore",
    "Shard",
    "SqlNodes",
]


class Domain(Protocol):
    """The rules :class:`LogStore` runs (the ``ledger.domain`` package): keys and rules."""

    def signer_public_key(self, state: Any, entry: SignedEntry, seq: int) -> bytes | None: ...

    def apply(self, state: Any, ctx: Any, entry: SignedEntry) -> None: ...

    def AppendContext(self, seq: int, leaf_hash: str, log_time: str, origin: str, index: int | None = None) -> Any: ...

    def continuation_data(self, state: Any, previous: dict[str, Any], origin: str) -> dict[str, Any]: ...


class LogStore(LogReader):
    """The log as callers use it: the reads are the :class:`LogReader`'s own, the rest is forwarded."""

    def __init__(
        self,
        engine: Engine,
        *,
        origin: str,
        log_key: KeyPair,
        domain: Domain,
        max_clock_skew_s: int = 600,
        clock: Any = now,
        key_loader: Any = None,
    ) -> None:
        super().__init__(engine)
        self.is_postgres = engine.dialect.name == "postgresql"
        self._plugin = CharityDomain(domain)
        self.sequencer = Sequencer(
            engine,
            self,
            origin=origin,
            log_key=log_key,
            domain=self._plugin,
            max_clock_skew_s=max_clock_skew_s,
            clock=clock,
            key_loader=key_loader,
        )
        self.chain = LogChain(self.sequencer)
        self.cosigs = Cosignatures(engine, self)

    # --- what the sequencer holds (it follows roll-overs and rotations) ---------------------

    @property
    def domain(self) -> Domain:
        rules: Domain = self._plugin.rules
        return rules

    @domain.setter
    def domain(self, rules: Domain) -> None:
        self._plugin.rules = rules

    @property
    def origin(self) -> str:
        return self.sequencer.origin

    @property
    def log_key(self) -> KeyPair:
        return self.sequencer.log_key

    @property
    def clock(self) -> Any:
        return self.sequencer.clock

    @clock.setter
    def clock(self, clock: Any) -> None:
        self.sequencer.clock = clock

    @property
    def max_clock_skew_s(self) -> int:
        return self.sequencer.max_clock_skew_s

    @property
    def key_loader(self) -> Any:
        return self.sequencer.key_loader

    # --- set-up and appends ---------------------------------------------------------------

    def ensure_head(self) -> None:
        self.sequencer.ensure_head()

    def start_clock_at(self, moment: datetime) -> None:
        self.sequencer.start_clock_at(moment)

    def submit(self, submission: Any) -> AppendResult:
        """Append one ``{"body", "sig"}`` submission (already parsed from JSON). The log the
        entry names is judged by :meth:`append`, which knows the chain (a sealed log's retry,
        ``log_sealed``, a roll-over made by another process)."""
        return self.append([parse_submission(submission)])[0]

    def submit_batch(self, submissions: Sequence[Any]) -> list[AppendResult]:
        if not isinstance(submissions, list):
            raise LedgerError("body_invalid", detail="a batch is a JSON array of submissions")
        check_batch_size(len(submissions))
        entries = []
        for position, sub in enumerate(submissions):
            try:
                entries.append(parse_submission(sub))
            except LedgerError as exc:
                raise batch_error(position, exc) from exc
        return self.append(entries)

    def append(
        self, entries: Sequence[SignedEntry], *, then: Callable[[Connection, list[AppendResult]], None] | None = None
    ) -> list[AppendResult]:
        return self.sequencer.append(entries, then=then)

    def append_each(
        self, entries: Sequence[SignedEntry], more: Callable[[], Sequence[SignedEntry]] | None = None
    ) -> list[AppendResult | LedgerError]:
        return self.sequencer.append_each(entries, more)

    # --- the chain of logs ----------------------------------------------------------------

    def current_origin(self) -> str:
        """The origin of the log being appended to now (after a roll-over by any process)."""
        self.sequencer.refresh()
        return self.sequencer.origin

    def current_log_key(self) -> KeyPair:
        """The key that signs checkpoints now (after any rotation, by any process)."""
        self.sequencer.refresh()
        return self.sequencer.log_key

    def rotate_log_key(self, new: KeyPair) -> AppendResult:
        return self.chain.rotate_log_key(new)

    def roll_over(self, next_origin: str, *, only_from: str | None = None) -> tuple[AppendResult, AppendResult] | None:
        return self.chain.roll_over(next_origin, only_from=only_from)

    # --- cosignatures ---------------------------------------------------------------------

    def cosignatures(self, size: int, shard: int | None = None) -> list[str]:
        return self.cosigs.of(size, shard)

    def add_cosignature(
        self,
        size: int,
        witness: str,
        line: str,
        timestamp: int,
        shard: int | None = None,
        *,
        then: Callable[[Connection], None] | None = None,
    ) -> None:
        self.cosigs.add(size, witness, line, timestamp, shard, then=then)
