"""The Celery app of the project, configured from :mod:`ledger.settings`.

- ``CHARITY_LEDGER_BROKER_URL`` set (``redis://...`` or ``amqp://...``): tasks go to that broker
  and run in workers (``charity-ledger worker``, :func:`reports.worker.run_worker`, or
  ``celery -A reports.celery_app worker``). Results are kept in Redis for a Redis broker and
  sent back over AMQP (``rpc://``) for RabbitMQ.
- Unset (the embedded default): ``task_always_eager`` — ``.delay()`` runs the task in the
  calling process and returns its result; nothing listens on a network.

Task conventions (every task in :mod:`reports.tasks` follows them):

1. **Idempotent**: the same arguments give the same result and the same effects, so a task
   redelivered after a crash (``acks_late``, ``reject_on_worker_lost``) does no harm.
2. **Ids, not objects**: arguments are JSON values — a data-folder reference from
   :func:`settings_ref`, entry and report ids. Never settings objects, rows or secrets: the
   broker is not a safe place for a key passphrase or a database password. Each worker takes
   those from its own environment.
3. **One sync engine per worker process, made after fork**: :func:`ledger_for` opens the
   ledger lazily and caches it per process; the ``worker_process_init`` signal empties the
   cache in each new pool process (engines inherited from the parent are disposed without
   closing the parent's connections, as SQLAlchemy documents for ``fork``).
4. **Enqueue only after commit**: :func:`enqueue_after_commit` (ORM sessions) and
   :func:`send_after_commit` (Core connections, ``LogStore.append``) send a task once the
   transaction that made its input has committed, and never if it rolled back.
5. **Errors travel as data**: a refusal (:class:`~ledger.errors.LedgerError`) is re-raised as
   :class:`TaskError`, whose arguments are plain JSON, so the caller gets the code and the
   bilingual message back from a worker as well as in eager mode.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import wraps
from pathlib import Path
from typing import Any

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_process_init, worker_process_shutdown
from sqlalchemy import event
from sqlalchemy.orm import Session

from ledger.errors import LedgerError
from ledger.settings import Settings, get_settings
from ledger.store.runtime import open_ledger
from reports.codes import TASK_REF_INVALID

TASK_MODULES = ("reports.tasks",)
# Periodic tasks (run by the one beat of a deployment, in the app's time zone, China time).
# Checkpoints need no periodic signing: the log signs one with every append.
BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "deadline-scan-daily": {"task": "reports.scan_deadlines", "schedule": crontab(hour=7, minute=0)},
    # daily, just after midnight: seals last year's log and opens this year's once (idempotent)
    "log-roll-over-yearly": {"task": "ledger.roll_over_if_due", "schedule": crontab(hour=0, minute=5)},
}
# With a static tile folder configured (served by the front at /tlog/), beat keeps it up to date.
TILES_DIR_ENV = "CHARITY_LEDGER_TILES_DIR"
TILES_EVERY_S = 5.0
if os.environ.get(TILES_DIR_ENV):
    BEAT_SCHEDULE["tiles-write"] = {"task": "ledger.write_tiles", "schedule": TILES_EVERY_S}
# With witnesses configured (C2SP tlog-witness, the log pushes), beat fans a push out to each
# of them every few seconds: one task per witness, so a slow one delays no other.
WITNESSES_ENV = "CHARITY_LEDGER_WITNESSES"
WITNESS_PUSH_EVERY_S = 2.0
if os.environ.get(WITNESSES_ENV):
    BEAT_SCHEDULE["witness-push"] = {"task": "ledger.push_to_witnesses", "schedule": WITNESS_PUSH_EVERY_S}
DEFAULT_QUEUE = "charity-ledger"
RESULT_TTL_S = 7 * 24 * 3600
VISIBILITY_TIMEOUT_S = 2 * 3600  # Redis redelivers an unacknowledged task after this long


class TaskError(Exception):
    """A task refused its input or failed with a ledger error; rebuilt as itself by the caller.

    ``args`` are (code, kind, message_en, message_zh, params): JSON values only.
    """

    def __init__(
        self,
        code: str,
        kind: str = "unavailable",
        message_en: str = "",
        message_zh: str = "",
        params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(code, kind, message_en, message_zh, params or {})
        self.code = code
        self.kind = kind
        self.message_en = message_en
        self.message_zh = message_zh
        self.params = params or {}

    @classmethod
    def from_ledger_error(cls, exc: LedgerError) -> TaskError:
        d = exc.to_dict()
        return cls(d["code"], d["kind"], d["message"], d["message_zh"], d["params"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "kind": self.kind,
            "message": self.message_en,
            "message_zh": self.message_zh,
            "params": self.params,
        }

    def __str__(self) -> str:
        return f"[{self.code}] {self.message_en} / {self.message_zh}"


# --- configuration --------------------------------------------------------------------------


def result_backend_for(broker_url: str | None) -> str | None:
    if not broker_url:
        return None
    scheme = broker_url.split(":", 1)[0].lower()
    if scheme in ("redis", "rediss", "redis+socket"):
        return broker_url
    if scheme in ("amqp", "amqps", "pyamqp"):
        return "rpc://"
    return None


def celery_config(settings: Settings) -> dict[str, Any]:
    conf: dict[str, Any] = {
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "result_accept_content": ["json"],
        "timezone": "Asia/Shanghai",
        "enable_utc": True,
        "task_default_queue": DEFAULT_QUEUE,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_track_started": True,
        "worker_prefetch_multiplier": 1,
        "result_expires": RESULT_TTL_S,
        "result_extended": True,
        "broker_connection_retry_on_startup": True,
        "beat_schedule": dict(BEAT_SCHEDULE),
        "include": list(TASK_MODULES),
    }
    if settings.broker_url:
        conf.update(
            broker_url=settings.broker_url,
            result_backend=result_backend_for(settings.broker_url),
            task_always_eager=False,
            broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT_S},
            result_backend_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT_S},
        )
    else:
        conf.update(
            broker_url="memory://",  # never used: tasks run in the caller; nothing connects out
            result_backend=None,
            task_always_eager=True,
            task_eager_propagates=True,
            task_store_eager_result=False,
        )
    return conf


def make_app(settings: Settings) -> Celery:
    """A Celery app for ``settings`` (the module-level :data:`app` is the one tasks live on;
    build others only to *send* tasks by name, as tests and tools do)."""
    app = Celery("charity_ledger", set_as_current=False)
    app.conf.update(celery_config(settings))
    return app


_default: Settings = get_settings()
app: Celery = make_app(_default)


def configure(settings: Settings) -> Celery:
    """Reconfigure :data:`app` for ``settings`` (the ``--home`` of ``charity-ledger worker``)."""
    global _default
    _default = settings
    app.conf.update(celery_config(settings))
    _drop_connections(app)
    return app


def _drop_connections(celery: Celery) -> None:
    """Forget the pools made under the previous broker URL: the next send takes the pools of
    the new one (Celery keeps its pools once made; kombu shares them per URL, so they are left
    open for whoever else uses them)."""
    celery._pool = None
    celery.amqp._producer_pool = None


def default_settings() -> Settings:
    return _default


# --- settings references: what a task gets instead of a Settings object -----------------------


def settings_ref(settings: Settings) -> dict[str, str]:
    """The part of ``settings`` a task may carry: the data folder and the log origin. The
    database URL, key passphrase and privacy key stay in the worker's own environment."""
    return {"home": str(Path(settings.home).resolve()), "origin": settings.origin}


def resolve_ref(ref: str | dict[str, Any] | None) -> Settings:
    """Settings for a task: this process's settings, moved to ``ref``'s data folder."""
    base = _default
    if ref is None:
        return base
    if isinstance(ref, str):
        ref = {"home": ref}
    if not isinstance(ref, dict) or set(ref) - {"home", "origin"} or not isinstance(ref.get("home"), str):
        raise LedgerError(TASK_REF_INVALID, ref=ref)
    home = Path(ref["home"])
    if not home.is_absolute():
        raise LedgerError(TASK_REF_INVALID, ref=ref)
    settings = base.with_home(home)
    origin = ref.get("origin")
    if origin is not None:
        if not isinstance(origin, str) or not origin:
            raise LedgerError(TASK_REF_INVALID, ref=ref)
        settings = replace(settings, origin=origin)
    return settings


# --- one ledger (engine) per process, made after fork -------------------------------------------

_ledgers: dict[tuple[str, str, str], Any] = {}
_ledgers_lock = threading.Lock()


def ledger_for(ref: str | dict[str, Any] | None) -> Any:
    """The opened ledger (:class:`ledger.store.runtime.Ledger`) of ``ref`` in this process."""
    settings = resolve_ref(ref)
    key = (str(settings.home), settings.database_url, settings.origin)
    with _ledgers_lock:
        ledger = _ledgers.get(key)
        if ledger is None:
            ledger = open_ledger(settings)
            _ledgers[key] = ledger
        return ledger


@worker_process_init.connect
def _after_fork(**_: Any) -> None:
    """In a new pool process: forget the parent's engines (without closing its connections)."""
    with _ledgers_lock:
        for ledger in _ledgers.values():
            ledger.engine.dispose(close=False)
        _ledgers.clear()


@worker_process_shutdown.connect
def _on_shutdown(**_: Any) -> None:
    with _ledgers_lock:
        for ledger in _ledgers.values():
            ledger.engine.dispose()
        _ledgers.clear()


# --- tasks --------------------------------------------------------------------------------------


def ledger_task(name: str, **options: Any) -> Callable[[Callable[..., Any]], Any]:
    """Declare a task on :data:`app` with the project's conventions (see the module docstring)."""

    def decorate(fn: Callable[..., Any]) -> Any:
        @wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except LedgerError as exc:
                raise TaskError.from_ledger_error(exc) from None

        opts = {"acks_late": True, "reject_on_worker_lost": True, **options}
        return app.task(name=name, **opts)(run)

    return decorate


def enqueue_after_commit(session: Any, signature: Any) -> None:
    """Send ``signature`` (``task.s(...)``) after the ORM ``session``'s transaction commits, and
    never if it rolls back. Outside a transaction it is sent at once.

    For Core connections (``with engine.begin() as conn``) use :func:`send_after_commit`:
    Core's ``commit`` event fires *before* the database commits, so it cannot be used here.
    """
    if not isinstance(session, Session):
        raise TypeError(
            f"enqueue_after_commit needs a SQLAlchemy Session, not {type(session).__name__}; use send_after_commit()"
        )
    if not session.in_transaction():
        signature.apply_async()
        return

    def on_commit(_: Any) -> None:
        event.remove(session, "after_rollback", on_rollback)
        signature.apply_async()

    def on_rollback(_: Any) -> None:
        event.remove(session, "after_commit", on_commit)

    event.listen(session, "after_commit", on_commit, once=True)
    event.listen(session, "after_rollback", on_rollback, once=True)


@contextmanager
def send_after_commit() -> Iterator[Callable[[Any], None]]:
    """Collect signatures and send them when the block ends without an error.

    Put the transaction *inside* the block, so the block ends after the commit::

        with send_after_commit() as later:
            with engine.begin() as conn:       # or: result = ledger.log.append([...])
                ...
                later(report_task.s(report_id))
        # committed; the tasks are sent now. An error (the commit's too) sends nothing.
    """
    pending: list[Any] = []
    yield pending.append
    for signature in pending:
        signature.apply_async()
