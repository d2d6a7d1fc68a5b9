"""The one builder of the tests' registries: the cast, the clock, and signing and appending.

Every test world is a :class:`Registry` over one of two logs:

- :class:`MemoryLog`: the domain alone (``signer_public_key`` + ``apply`` with a running seq,
  as the log core would), for the pure domain tests;
- :class:`StoreLog`: the real log store (SQLite in a data folder, or PostgreSQL), opened by
  :func:`store_log` with the registry's clock injected.

The clock (:class:`Clock`) is injected, never slept on: a fixed clock starts at :data:`T0`
and steps one minute after every append, so business dates and log times line up; a test
moves it with ``advance`` or ``set_date``. Worlds whose data is dated relative to today use
:meth:`Clock.system`. Keys come from fixed seeds (:func:`key`), organisations carry valid
credit codes (``make_uscc``). The presets (the domain cast in ``tests/domain/helpers.py``, the
store cast in ``tests/support/store_world.py``, the factory in ``tests/support/ledger_factory.py``,
the API's registry in ``tests/api/world.py``) hold only their scenario data.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import pytest

from ledger.domain import AppendContext, MemoryState, apply, signer_public_key
from ledger.domain.uscc import make_uscc
from ledger.errors import LedgerError
from ledger.protocol.canonical import format_time
from ledger.protocol.canonical import now as system_now
from ledger.protocol.entry import GENESIS_PREV, Leaf, SignedEntry, make_body, sign_entry, signature_valid
from ledger.protocol.keys import KeyPair
from ledger.settings import Settings, from_env
from ledger.store.runtime import Ledger, init_ledger

ORIGIN = "ledger.test.example/charity"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 2026-03-02 09:00 in Shenzhen
REGISTRAR_ORG = make_uscc("11440300MB2C01234")  # civil-affairs bureau (机关)
ONE_MINUTE = timedelta(minutes=1)


def key(name: str, namespace: str = "test-key/") -> KeyPair:
    """The key of a member of the cast, from a fixed seed."""
    return KeyPair.from_seed(namespace.encode() + name.encode())


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def assert_rendered(err: LedgerError) -> None:
    """Both messages were filled in: no placeholder left, as a clerk would read them."""
    for message in (err.message_en, err.message_zh):
        assert "{" not in message and "}" not in message, message


# --- the clock -------------------------------------------------------------------------------


class Clock:
    """The time the registry signs and logs at, injected into the log store: tests move it
    instead of sleeping. ``step`` is how far it moves after each append."""

    def __init__(self, start: datetime | None = T0, step: timedelta = ONE_MINUTE) -> None:
        self._now = start
        self.step = step

    @classmethod
    def system(cls) -> Clock:
        """The real time (for registries dated relative to today); it never steps."""
        return cls(None, timedelta(0))

    def __call__(self) -> datetime:
        return self.now

    @property
    def now(self) -> datetime:
        return system_now() if self._now is None else self._now

    @now.setter
    def now(self, value: datetime) -> None:
        self._now = value

    def advance(self, **kwargs: float) -> None:
        self.now = self.now + timedelta(**kwargs)

    def set_date(self, day: str) -> None:
        """Move to 10:00 Shenzhen time on ``day``."""
        self.now = datetime.fromisoformat(day + "T02:00:00+00:00")

    def tick(self) -> None:
        if self._now is not None:
            self._now += self.step


# --- the logs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Appended:
    seq: int
    leaf_hash: str


class Log(Protocol):
    @property
    def origin(self) -> str: ...

    def append(self, entries: Sequence[SignedEntry], log_time: datetime, seq: int, prev: str) -> Sequence[Appended]:
        """Append after the entry ``seq - 1`` (whose leaf hash is ``prev``)."""
        ...

    def mark(self) -> object:
        """What a refused entry must leave unchanged."""
        ...


class MemoryLog:
    """The domain rules alone, at the seqs the registry runs (as the log core would);
    ``open_next`` continues in a later log."""

    def __init__(self, origin: str = ORIGIN) -> None:
        self.state = MemoryState()
        self.origin = origin
        self.base = 0  # seq of the current log's first entry

    def append(self, entries: Sequence[SignedEntry], log_time: datetime, seq: int, prev: str) -> list[Appended]:
        appended: list[Appended] = []
        for entry in entries:
            appended.append(self._append(entry, format_time(log_time), seq, prev))
            seq, prev = seq + 1, appended[-1].leaf_hash
        return appended

    def _append(self, entry: SignedEntry, log_time: str, seq: int, prev: str) -> Appended:
        public = signer_public_key(self.state, entry, seq)
        if public is None:
            raise LedgerError("unknown_signer", signer=entry.signer)
        assert signature_valid(entry, public)
        index = seq - self.base
        leaf_hash = Leaf(index, prev, log_time, entry).hash().hex()
        apply(self.state, AppendContext(seq, leaf_hash, log_time, self.origin, index if self.base else None), entry)
        return Appended(seq, leaf_hash)

    def open_next(self, origin: str, seq: int) -> None:
        """Later entries go to the log ``origin``, whose first entry is ``seq``."""
        self.base, self.origin = seq, origin

    def mark(self) -> object:
        return self.state.snapshot()


def ledger_settings(home: Path, database_url: str | None = None, origin: str = ORIGIN) -> Settings:
    """Settings of a ledger in the data folder ``home`` (SQLite there unless ``database_url``)."""
    env = {"CHARITY_LEDGER_HOME": str(home), "CHARITY_LEDGER_ORIGIN": origin}
    if database_url:
        env["CHARITY_LEDGER_DATABASE_URL"] = database_url
    return from_env(env)


class StoreLog:
    """The real log store of ``ledger``."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    @property
    def origin(self) -> str:
        return self.ledger.log.origin  # the log being appended to (it changes when the chain rolls over)

    def append(self, entries: Sequence[SignedEntry], log_time: datetime, seq: int, prev: str) -> Sequence[Appended]:
        return self.ledger.log.append(list(entries))  # the store keeps its own seq and reads its clock

    def mark(self) -> object:
        return self.ledger.log.head()


def store_log(clock: Clock, home: Path, database_url: str | None = None, origin: str = ORIGIN) -> StoreLog:
    """A new ledger in ``home`` whose log reads ``clock``."""
    return StoreLog(init_ledger(ledger_settings(home, database_url, origin), clock=clock))


# --- the registry ----------------------------------------------------------------------------


class Registry:
    """Signs entries at the clock's time and appends them to ``log``."""

    def __init__(
        self, log: Log, clock: Clock | None = None, *, idem_prefix: str = "idem-", first_idem: int = 1
    ) -> None:
        self.log = log
        self.clock = clock or Clock()
        self.idem_prefix = idem_prefix
        self._idem = first_idem - 1
        self.seq = 0  # the next entry's seq
        self.prev = GENESIS_PREV
        self.types: dict[str, str] = {}  # leaf hash -> type

    @property
    def origin(self) -> str:
        """The log entries are signed for (it changes when the chain rolls over)."""
        return self.log.origin

    @property
    def now(self) -> datetime:
        return self.clock.now

    @now.setter
    def now(self, value: datetime) -> None:
        self.clock.now = value

    def advance(self, **kwargs: float) -> None:
        self.clock.advance(**kwargs)

    def set_date(self, day: str) -> None:
        """Move the log clock to 10:00 Shenzhen time on ``day``."""
        self.clock.set_date(day)

    def sign(
        self,
        signer: KeyPair,
        type_: str,
        data: dict[str, Any],
        *,
        idem: str | None = None,
        at: datetime | None = None,
        log: str | None = None,
    ) -> SignedEntry:
        """Signed at ``at`` (the clock's time) for ``log`` (the log being appended to)."""
        self._idem += 1
        idem = idem or f"{self.idem_prefix}{self._idem}"
        body = make_body(log or self.origin, type_, signer.id, at or self.now, idem, copy.deepcopy(data))
        return sign_entry(signer, body)

    def append_entries(self, entries: Sequence[SignedEntry]) -> list[Appended]:
        """Append signed entries in one batch; the clock steps after it."""
        results = list(self.log.append(entries, self.now, self.seq, self.prev))
        for entry, result in zip(entries, results, strict=True):
            self.types[result.leaf_hash] = entry.type
        if results:
            self.seq, self.prev = results[-1].seq + 1, results[-1].leaf_hash
        self.clock.tick()
        return results

    def append_entry(self, entry: SignedEntry) -> str:
        return self.append_entries([entry])[0].leaf_hash

    def append(self, signer: KeyPair, type_: str, data: dict[str, Any], *, idem: str | None = None) -> str:
        """Append; returns the leaf hash (the entry's id)."""
        return self.append_entry(self.sign(signer, type_, data, idem=idem))

    def refuse(self, signer: KeyPair, type_: str, data: dict[str, Any], code: str) -> LedgerError:
        """Assert the entry is refused with ``code`` and that nothing changed."""
        before, seq = self.log.mark(), self.seq
        with pytest.raises(LedgerError) as info:
            self.append(signer, type_, data)
        assert info.value.code == code, info.value
        assert_rendered(info.value)
        assert self.log.mark() == before, "a refused entry changed the log"
        assert self.seq == seq
        return info.value


# --- the cast's entries ----------------------------------------------------------------------


def genesis_data(
    registrar: KeyPair, *, origin: str = ORIGIN, org: str = REGISTRAR_ORG, holder: str = "社会组织管理处", **over: Any
) -> dict[str, Any]:
    """The registrar's genesis of the registry (Shenzhen's civil-affairs bureau)."""
    data = {
        "origin": origin,
        "jurisdiction": "CN-GD-Shenzhen",
        "rule_sets": ["cn-charity/1", "sz-donation/1"],
        "public_key": registrar.public_b64,
        "role": "registrar",
        "org": org,
        "org_name_zh": "深圳市民政局",
        "org_name_en": "Shenzhen Civil Affairs Bureau",
        "holder": holder,
    }
    data.update(over)
    return data


def org_data(
    org: str, legal_form: str = "foundation", track: str = "registered", public: bool = False, **over: Any
) -> dict[str, Any]:
    """An org.registered; the names default to ones made from the credit code."""
    data = {
        "org": org,
        "name_zh": f"组织{org[-6:]}",
        "name_en": f"Organisation {org[-6:]}",
        "legal_form": legal_form,
        "track": track,
        "public_fundraising": public,
    }
    data.update(over)
    return data


def grant_data(pair: KeyPair, role: str, org: str, holder: str = "财务部") -> dict[str, Any]:
    return {"public_key": pair.public_b64, "role": role, "org": org, "holder": holder}
