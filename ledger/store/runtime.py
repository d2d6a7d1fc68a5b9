"""Opening a ledger from settings: data folder, database, migrations, the log operator key."""

from __future__ import annotations

import stat
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from sqlalchemy import Engine

from .. import domain
from ..canonical import now
from ..errors import LedgerError
from ..keys import KeyPair, read_key_file, write_key_file
from ..settings import Settings
from . import migrate
from .db import make_engine
from .log_store import LogStore


def load_or_create_log_key(settings: Settings, *, create: bool) -> KeyPair:
    """The log operator's key: created once (mode 0600, encrypted if a passphrase is set)."""
    path = settings.log_key_path
    if path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise LedgerError("key_file_invalid", path=str(path), detail=f"permissions {mode:o} let others read it; run chmod 600")
        return read_key_file(path, settings.key_passphrase)
    if not create:
        raise LedgerError("log_not_initialised", home=str(settings.home))
    pair = KeyPair.generate()
    write_key_file(pair, path, settings.key_passphrase)
    return pair


@dataclass
class Ledger:
    """Everything a process needs to serve one log."""

    settings: Settings
    engine: Engine
    log_key: KeyPair
    clock: Callable[[], datetime] = now

    @cached_property
    def log(self) -> LogStore:
        return LogStore(
            self.engine,
            origin=self.settings.origin,
            log_key=self.log_key,
            domain=domain,
            max_clock_skew_s=self.settings.max_clock_skew_s,
            clock=self.clock,
        )


def init_ledger(settings: Settings, *, clock: Callable[[], datetime] = now) -> Ledger:
    """Create the data folder, the schema (Alembic) and the log key; idempotent."""
    settings.home.mkdir(parents=True, exist_ok=True)
    settings.log_key_path.parent.mkdir(mode=0o700, exist_ok=True)
    key = load_or_create_log_key(settings, create=True)
    engine = make_engine(settings.database_url)
    migrate.upgrade(engine)
    ledger = Ledger(settings, engine, key, clock)
    ledger.log.ensure_head()
    return ledger


def open_ledger(settings: Settings) -> Ledger:
    """Open an initialised ledger; refuses when the schema is not current."""
    key = load_or_create_log_key(settings, create=False)
    engine = make_engine(settings.database_url)
    if not migrate.is_current(engine):
        raise LedgerError("log_not_initialised", home=str(settings.home))
    return Ledger(settings, engine, key)

