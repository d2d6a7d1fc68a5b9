"""Opening a ledger from settings: data folder, database, migrations, the log operator key."""

from __future__ import annotations

import stat
from collections.abc import Callable
from dataclasses import dataclass, replace
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


NEXT_KEY = "log.key.next"


def find_log_key(settings: Settings, wanted: str) -> KeyPair | None:
    """The log key with id ``wanted``: the one in use, or the next one of a rotation under way."""
    folder = settings.log_key_path.parent
    for path in (settings.log_key_path, folder / NEXT_KEY):
        if path.exists():
            pair = read_key_file(path, settings.key_passphrase)
            if pair.id == wanted:
                return pair
    return None


def rotate_log_key(ledger: Ledger) -> dict[str, object]:
    """Rotate the log's checkpoint key, safely across crashes.

    1. the new key is written as ``keys/log.key.next`` (reused if a crashed run left one);
    2. the log appends ``log.key_rotated`` signed by the old key, and signs its checkpoint with
       the new key (one transaction);
    3. ``log.key`` is kept as ``log.key.<old id>.retired`` and ``log.key.next`` becomes ``log.key``.
    Other processes follow at their next append or key look-up (the head names the key in use).
    """
    folder = ledger.settings.log_key_path.parent
    next_path = folder / NEXT_KEY
    current = ledger.log.current_log_key()
    if next_path.exists():
        new = read_key_file(next_path, ledger.settings.key_passphrase)
    else:
        new = KeyPair.generate()
        write_key_file(new, next_path, ledger.settings.key_passphrase)
    result = None
    if current.id != new.id:
        result = ledger.log.rotate_log_key(new)
    key_path = ledger.settings.log_key_path
    if key_path.exists():
        old = read_key_file(key_path, ledger.settings.key_passphrase)
        if old.id != new.id:
            key_path.replace(folder / f"log.key.{old.id[:16]}.retired")
    next_path.replace(key_path)
    ledger.log_key = new
    return {
        "previous_key_id": current.id,
        "key_id": new.id,
        "announced_at_seq": None if result is None else result.seq,
        "from_size": None if result is None else result.seq + 1,
    }


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
            key_loader=lambda wanted: find_log_key(self.settings, wanted),
        )


def init_ledger(settings: Settings, *, clock: Callable[[], datetime] = now) -> Ledger:
    """Create the data folder, the schema (Alembic) and the log key; idempotent."""
    settings.home.mkdir(parents=True, exist_ok=True)
    settings.log_key_path.parent.mkdir(mode=0o700, exist_ok=True)
    key = load_or_create_log_key(settings, create=True)
    engine = make_engine(settings.database_url)
    migrate.upgrade(engine)
    ledger = Ledger(_with_stored_origin(settings, engine), engine, key, clock)
    ledger.log.ensure_head()
    if not settings.privacy_key:
        from .donors import load_privacy_key

        load_privacy_key(settings, create=True)  # the donor data key exists from the start
    return ledger


def open_ledger(settings: Settings) -> Ledger:
    """Open an initialised ledger; refuses when the schema is not current."""
    key = load_or_create_log_key(settings, create=False)
    engine = make_engine(settings.database_url)
    if not migrate.is_current(engine):
        raise LedgerError("log_not_initialised", home=str(settings.home))
    return Ledger(_with_stored_origin(settings, engine), engine, key)


def _with_stored_origin(settings: Settings, engine: Engine) -> Settings:
    """The log's origin is the one it was created with: taken from the database unless the
    environment names one, which must then be the same."""
    from sqlalchemy import select

    from .log_tables import LogHead

    with engine.connect() as conn:
        stored = conn.execute(select(LogHead.__table__.c.origin)).scalar_one_or_none()
    if stored is None or stored == settings.origin:
        return settings
    if settings.origin_explicit:
        raise LedgerError("wrong_log", got=settings.origin, expected=stored)
    return replace(settings, origin=stored)

