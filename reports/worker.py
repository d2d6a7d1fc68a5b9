"""``charity-ledger worker``: a Celery worker (and, by default, the beat scheduler) for a ledger.

Wire into the CLI as::

    p = add("worker", cmd_worker, "run report and checkpoint tasks from the broker")
    p.add_argument("--no-beat", action="store_true")
    p.add_argument("--concurrency", type=int)
    p.add_argument("--loglevel", default="INFO")
    ...
    def cmd_worker(args):
        from reports.worker import run_worker
        return run_worker(_settings(args), beat=not args.no_beat, concurrency=args.concurrency, loglevel=args.loglevel)

Run beat in exactly one process per deployment (several beats send every periodic task several
times); start other workers with ``beat=False``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ledger.errors import LedgerError
from ledger.settings import Settings
from ledger.store.runtime import open_ledger
from reports.celery_app import configure
from reports.codes import WORKER_NEEDS_BROKER

BEAT_SCHEDULE_FILE = "celerybeat-schedule"


def worker_argv(
    settings: Settings,
    *,
    beat: bool = True,
    concurrency: int | None = None,
    loglevel: str = "INFO",
    queues: Sequence[str] = (),
    hostname: str | None = None,
) -> list[str]:
    """The ``celery worker`` arguments :func:`run_worker` uses."""
    argv = ["worker", f"--loglevel={loglevel}", "--without-gossip", "--without-mingle"]
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    if queues:
        argv.append("--queues=" + ",".join(queues))
    if hostname:
        argv.append(f"--hostname={hostname}")
    if beat:
        argv += ["--beat", f"--schedule={settings.home / BEAT_SCHEDULE_FILE}"]
    return argv


def run_worker(
    settings: Settings,
    beat: bool = True,
    *,
    concurrency: int | None = None,
    loglevel: str = "INFO",
    queues: Sequence[str] = (),
    hostname: str | None = None,
) -> int:
    """Run a worker for ``settings`` until it is stopped (SIGTERM: finish running tasks and
    exit); returns the exit status. Refuses without a broker (``worker_needs_broker``) and
    before ``charity-ledger init`` (``log_not_initialised``), before starting anything.
    """
    if not settings.broker_url:
        raise LedgerError(WORKER_NEEDS_BROKER)

    # fail fast on an uninitialised data folder; the pool processes open their own engines
    open_ledger(settings).engine.dispose()
    app = configure(settings)
    status = app.start(
        worker_argv(settings, beat=beat, concurrency=concurrency, loglevel=loglevel, queues=queues, hostname=hostname)
    )
    return int(status or 0)
