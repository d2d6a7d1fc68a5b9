"""Opening a ledger from settings: data folder, database, migrations, the log operator key."""

from __future__ import annotations

import os
import re
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine, inspect, select
from sqlalchemy.engine import make_url

from ledger import domain
from ledger.domain.rules import CHINA
from ledger.errors import LedgerError
from ledger.protocol.canonical import now, parse_time
from ledger.protocol.entry import parse_leaf
from ledger.protocol.keys import KeyPair, read_key_file, write_key_file
from ledger.settings import Settings, is_example_origin
from ledger.store import migrate
from ledger.store.db import make_engine
from ledger.store.donors import load_privacy_key
from ledger.store.log_store import LogStore
from ledger.store.personal_files import private_dir
from ledger.store.tables import HEAD, SHARD


def load_or_create_log_key(settings: Settings, *, create: bool) -> KeyPair:
    """The log operator's key: created once (mode 0600, encrypted if a passphrase is set)."""
    path = settings.log_key_path
    if path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise LedgerError(
                "key_file_invalid", path=str(path), detail=f"permissions {mode:o} let others read it; run chmod 600"
            )
        return read_key_file(path, settings.key_passphrase)
    if not create:
        raise LedgerError("log_not_initialised", home=str(settings.home))
    pair = KeyPair.generate()
    write_key_file(pair, path, settings.key_passphrase)
    return pair


NEXT_KEY = "log.key.next"


def find_log_key(settings: Settings, wanted: str) -> KeyPair | None:
    """The log key with id ``wanted``: the next one of a rotation under way, or the one in use.

    Looked up in that order because a rotation in another process renames ``log.key.next``
    onto ``log.key``: whenever the next file is gone, ``log.key`` already holds the new key.
    A file that disappears between the look-up and the read is passed over."""
    folder = settings.log_key_path.parent
    for path in (folder / NEXT_KEY, settings.log_key_path):
        try:
            pair = read_key_file(path, settings.key_passphrase)
        except LedgerError:
            if path.exists():
                raise
            continue
        if pair.id == wanted:
            return pair
    return None


def rotate_log_key(ledger: Ledger) -> dict[str, object]:
    """Rotate the log's checkpoint key, safely across crashes.

    1. the new key is written as ``keys/log.key.next`` (reused if a crashed run left one);
    2. the log appends ``log.key_rotated`` signed by the old key, and signs its checkpoint with
       the new key (one transaction);
    3. ``log.key`` is copied to ``log.key.<old id>.retired`` and ``log.key.next`` replaces
       ``log.key`` in one rename, so a crash at any point leaves a ``log.key`` that opens the
       ledger, and running the command again finishes the rotation.
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
            # copy, not move: ``log.key`` must exist at every moment (a process that starts
            # without it refuses to open the ledger), so the new key replaces it in one rename
            retired = folder / f"log.key.{old.id[:16]}.retired"
            tmp = retired.with_name(retired.name + ".tmp")
            shutil.copy2(key_path, tmp)
            os.chmod(tmp, 0o600)
            tmp.replace(retired)
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


def init_ledger(
    settings: Settings, *, clock: Callable[[], datetime] = now, allow_example_origin: bool = True
) -> Ledger:
    """Create the data folder, the schema (Alembic) and the log key; idempotent. The data
    folder and its folders are made 0700 and the SQLite file 0600 (its -wal and -shm files
    take the same mode): only the account running the registry reads them.

    ``allow_example_origin=False`` (the ``init`` command) refuses, before anything is written,
    to start a new log under the example origin; a log that already exists keeps its origin.
    """
    if not allow_example_origin and is_example_origin(settings.origin) and stored_origin(settings) is None:
        raise LedgerError("example_origin", origin=settings.origin)
    private_dir(settings.home)
    private_dir(settings.log_key_path.parent)
    if settings.is_sqlite:
        _create_private_sqlite(settings.database_url)
    key = load_or_create_log_key(settings, create=True)
    engine = make_engine(settings.database_url)
    migrate.upgrade(engine)
    ledger = Ledger(_with_stored_origin(settings, engine), engine, key, clock)
    ledger.log.ensure_head()
    if not settings.privacy_key:
        load_privacy_key(settings, create=True)  # the donor data key exists from the start
    return ledger


def _create_private_sqlite(url: str) -> None:
    """Create the SQLite file empty with mode 0600 before SQLite does (with 0644)."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def open_ledger(settings: Settings) -> Ledger:
    """Open an initialised ledger; refuses when the schema is not current."""
    key = load_or_create_log_key(settings, create=False)
    engine = make_engine(settings.database_url)
    if not migrate.is_current(engine):
        raise LedgerError("log_not_initialised", home=str(settings.home))
    return Ledger(_with_stored_origin(settings, engine), engine, key)


def stored_origin(settings: Settings) -> str | None:
    """The origin of the log being appended to, as the database records it; None when there is
    no log yet. Reads only: a missing SQLite file is not created."""
    if settings.is_sqlite:
        path = settings.database_url.removeprefix("sqlite:///")
        if not path or not Path(path).exists():
            return None
    engine = make_engine(settings.database_url)
    try:
        if not inspect(engine).has_table(HEAD.name):
            return None
        with engine.connect() as conn:
            return conn.execute(select(HEAD.c.origin)).scalar_one_or_none()
    finally:
        engine.dispose()


def _with_stored_origin(settings: Settings, engine: Engine) -> Settings:
    """The log's origin is the one it was created with: taken from the database unless the
    environment names one, which must then be the same."""
    with engine.connect() as conn:
        stored = conn.execute(select(HEAD.c.origin)).scalar_one_or_none()
        sealed = set(conn.execute(select(SHARD.c.origin)).scalars())
    if stored is None or stored == settings.origin:
        return settings
    if settings.origin_explicit and settings.origin not in sealed:  # an earlier log of the chain is fine
        raise LedgerError("wrong_log", got=settings.origin, expected=stored)
    return replace(settings, origin=stored)


_YEAR_SUFFIX = re.compile(r"/([0-9]{4})\Z", re.ASCII)


def next_origin(origin: str, year: int) -> str:
    """The origin of the log for ``year`` after ``origin``: its year suffix replaced
    (``…/2026`` → ``…/2027``), or the year added (``…/log`` → ``…/log/2027``)."""
    if _YEAR_SUFFIX.search(origin):
        return _YEAR_SUFFIX.sub(f"/{year}", origin)
    return f"{origin}/{year}"


def roll_over(
    ledger: Ledger, origin: str | None = None, *, year: int | None = None, if_due: bool = False
) -> dict[str, object]:
    """Seal the log being appended to and open the next one (see :meth:`LogStore.roll_over`).

    ``if_due``: only when the log was opened in an earlier year (China Standard Time) than
    ``year`` (the current one by default) and has entries; this is what the yearly beat task
    runs, so running it twice, or on several machines, rolls over once.
    """
    today = now().astimezone(CHINA)
    year = year or today.year
    shards = ledger.log.shards()
    current = shards[-1]
    if if_due:
        opened = _opened_year(ledger, current)
        if current.size <= 1 or opened is None or opened >= year:
            return {"rolled": False, "origin": current.origin, "size": current.size, "opened_in": opened}
    target = origin or next_origin(current.origin, year)
    if if_due and target == current.origin:  # already the log for that year
        return {"rolled": False, "origin": current.origin, "size": current.size, "opened_in": year}
    done = ledger.log.roll_over(target, only_from=current.origin if if_due else None)
    if done is None:  # another process rolled the chain over meanwhile
        latest = ledger.log.shards()[-1]
        return {"rolled": False, "origin": latest.origin, "size": latest.size, "opened_in": year}
    sealed, first = done
    return {
        "rolled": True,
        "sealed": current.origin,
        "final_size": sealed.tree_size,
        "final_checkpoint": sealed.checkpoint,
        "origin": target,
        "genesis": first.leaf_hash,
        "shard": current.index + 1,
    }


def _opened_year(ledger: Ledger, shard: object) -> int | None:
    if getattr(shard, "size", 0) == 0:
        return None
    first = parse_leaf(ledger.log.leaf(shard.base))  # type: ignore[attr-defined]
    return parse_time(first.time).astimezone(CHINA).year
