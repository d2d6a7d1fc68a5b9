"""Celery configuration from settings, task references, after-commit sending, per-process engines."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from ledger.errors import LedgerError
from ledger.settings import from_env
from reports import celery_app
from reports.celery_app import (
    TaskError,
    celery_config,
    enqueue_after_commit,
    ledger_for,
    make_app,
    resolve_ref,
    result_backend_for,
    send_after_commit,
    settings_ref,
)
from reports.worker import run_worker, worker_argv
from tests.support.ledger_factory import ORIGIN, LedgerFactory


def settings(tmp_path: Path, **env: str):  # type: ignore[no-untyped-def]
    return from_env({"CHARITY_LEDGER_HOME": str(tmp_path / "home"), **env})


def test_embedded_default_runs_tasks_in_process(tmp_path: Path) -> None:
    conf = celery_config(settings(tmp_path))
    assert conf["task_always_eager"] is True and conf["task_eager_propagates"] is True
    assert conf["broker_url"] == "memory://" and conf["result_backend"] is None
    assert conf["include"] == ["reports.tasks"]


@pytest.mark.parametrize(
    ("broker", "backend"),
    [
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("rediss://cache.example:6380/1", "rediss://cache.example:6380/1"),
        ("amqp://guest@mq.example//", "rpc://"),
    ],
)
def test_broker_from_settings(tmp_path: Path, broker: str, backend: str) -> None:
    app = make_app(settings(tmp_path, CHARITY_LEDGER_BROKER_URL=broker))
    assert app.conf.broker_url == broker and app.conf.result_backend == backend
    assert app.conf.task_always_eager is False
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert app.conf.accept_content == ["json"] and app.conf.task_serializer == "json"
    assert app.conf.worker_prefetch_multiplier == 1
    assert result_backend_for(None) is None


def test_tasks_are_registered_with_their_conventions() -> None:
    import reports.tasks

    task = celery_app.app.tasks["reports.verify_log"]
    assert task.name == reports.tasks.verify_log_task.name == "reports.verify_log"
    assert task.acks_late is True and task.reject_on_worker_lost is True


def test_settings_ref_carries_no_secrets(tmp_path: Path) -> None:
    s = settings(
        tmp_path, CHARITY_LEDGER_KEY_PASSPHRASE="secret", CHARITY_LEDGER_DATABASE_URL="postgresql+psycopg://u:pw@db/x"
    )
    ref = settings_ref(s)
    assert ref == {"home": str((tmp_path / "home").resolve()), "origin": s.origin}
    assert "secret" not in repr(ref) and "pw" not in repr(ref)


def test_resolve_ref(tmp_path: Path) -> None:
    home = tmp_path / "other"
    s = resolve_ref({"home": str(home), "origin": "x.example/log"})
    assert s.home == home.resolve() and s.origin == "x.example/log"
    assert resolve_ref(str(home)).home == home.resolve()
    assert resolve_ref(None) is celery_app.default_settings()
    for bad in ("relative", {"home": 5}, {"home": str(home), "password": "x"}, {"home": str(home), "origin": ""}, 42):
        with pytest.raises(LedgerError) as err:
            resolve_ref(bad)  # type: ignore[arg-type]
        assert err.value.code == "task_ref_invalid"


def test_task_error_round_trips_through_its_args() -> None:
    original = LedgerError("log_not_initialised", home="/srv/x")
    err = TaskError.from_ledger_error(original)
    rebuilt = TaskError(*err.args)  # what Celery does with the JSON it stored
    assert rebuilt.to_dict() == err.to_dict() == original.to_dict()
    assert rebuilt.code == "log_not_initialised" and "/srv/x" in str(rebuilt)


# --- one engine per process -------------------------------------------------------------------


def test_ledgers_are_cached_per_process_and_reset_after_fork(factory: LedgerFactory) -> None:
    factory.with_genesis()
    ref = settings_ref(factory.settings)
    first = ledger_for(ref)
    assert ledger_for(ref) is first
    disposed: list[bool] = []
    original = first.engine.dispose
    first.engine.dispose = lambda close=True: disposed.append(close)  # type: ignore[method-assign]
    try:
        celery_app._after_fork()  # what worker_process_init triggers in a pool child
    finally:
        first.engine.dispose = original  # type: ignore[method-assign]
    assert disposed == [False]  # the parent's connections are left alone
    second = ledger_for(ref)
    assert second is not first and second.engine is not first.engine
    celery_app._on_shutdown()
    assert ledger_for(ref) is not second


# --- enqueue only after commit ----------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.sent = 0

    def apply_async(self) -> None:
        self.sent += 1


def test_send_after_commit_with_a_core_transaction(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    sig = Recorder()
    with send_after_commit() as later:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
            later(sig)
            assert sig.sent == 0
    assert sig.sent == 1
    sig = Recorder()
    with pytest.raises(RuntimeError):
        with send_after_commit() as later:
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO t VALUES (2)"))
                later(sig)
                raise RuntimeError("rolled back")
    assert sig.sent == 0
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 1


def test_enqueue_after_commit_with_a_session(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'y.db'}")
    with Session(engine) as session:
        session.execute(text("CREATE TABLE t (x INTEGER)"))
        committed, rolled_back = Recorder(), Recorder()
        enqueue_after_commit(session, committed)
        assert committed.sent == 0
        session.commit()
        assert committed.sent == 1
        session.execute(text("INSERT INTO t VALUES (1)"))
        enqueue_after_commit(session, rolled_back)
        session.rollback()
        session.execute(text("INSERT INTO t VALUES (2)"))
        session.commit()  # a later commit does not send the dropped one
        assert (committed.sent, rolled_back.sent) == (1, 0)
        now = Recorder()
        enqueue_after_commit(session, now)  # no transaction open: sent at once
        assert now.sent == 1
    with pytest.raises(TypeError):
        enqueue_after_commit(engine.connect(), Recorder())


# --- the worker entry point ---------------------------------------------------------------------


def test_run_worker_needs_a_broker_and_an_initialised_home(tmp_path: Path, factory: LedgerFactory) -> None:
    with pytest.raises(LedgerError) as err:
        run_worker(settings(tmp_path), beat=False)
    assert err.value.code == "worker_needs_broker" and "CHARITY_LEDGER_BROKER_URL" in err.value.message_en
    with pytest.raises(LedgerError) as err:
        run_worker(settings(tmp_path, CHARITY_LEDGER_BROKER_URL="redis://127.0.0.1:1/0"), beat=False)
    assert err.value.code == "log_not_initialised"


def test_worker_argv(factory: LedgerFactory) -> None:
    s = replace(factory.settings, broker_url="redis://127.0.0.1:6379/0")
    argv = worker_argv(s, beat=True, concurrency=2, queues=["a", "b"])
    assert argv[0] == "worker" and "--concurrency=2" in argv and "--queues=a,b" in argv
    assert "--beat" in argv and f"--schedule={s.home / 'celerybeat-schedule'}" in argv
    assert "--beat" not in worker_argv(s, beat=False)
    assert s.origin == ORIGIN
