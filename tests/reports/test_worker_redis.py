"""The verify-log task, in-process (embedded default) and through a REAL worker on REAL Redis.

Every test in this module counts as a Redis test for CI (its name contains "redis"), so only
the real-broker tests may skip, and only through the ``redis_url`` fixture (which fails
instead when CHARITY_LEDGER_REQUIRE_SERVICES=1).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import update

from ledger.protocol.canonical import canonical_bytes
from ledger.store.log_tables import LogLeaf
from reports import celery_app
from reports.celery_app import TaskError, make_app, settings_ref
from reports.tasks import verify_log_task
from tests.support.ledger_factory import ORIGIN, LedgerFactory
from tests.support.serving import wait_until

REPO = Path(__file__).resolve().parents[2]
ORGS = 5
TIMEOUT_S = 90


@pytest.fixture
def small_log(factory: LedgerFactory) -> LedgerFactory:
    factory.with_genesis()
    factory.append_orgs(ORGS, batch=2)
    return factory


def expected_report(f: LedgerFactory) -> dict:
    head = f.ledger.log.head()
    return {
        "valid": True,
        "origin": ORIGIN,
        "size": ORGS + 1,
        "root": head.root.hex(),
        "entries_by_type": {"org.registered": ORGS, "registry.genesis": 1},
        "keys": 1,
    }


@pytest.fixture
def embedded(factory: LedgerFactory) -> Iterator[None]:
    """The app as the embedded default configures it: no broker, tasks in-process."""
    before = celery_app.default_settings()
    celery_app.configure(replace(factory.settings, broker_url=None))
    try:
        yield
    finally:
        celery_app.configure(before)


# --- in-process (the embedded default) ---------------------------------------------------------


def test_verify_log_task_in_process(small_log: LedgerFactory, embedded: None) -> None:
    assert celery_app.app.conf.task_always_eager is True
    result = verify_log_task.delay(settings_ref(small_log.settings)).get(timeout=TIMEOUT_S)
    checkpoint = result.pop("checkpoint")
    assert result == expected_report(small_log)
    assert checkpoint == small_log.ledger.log.latest_checkpoint()
    assert checkpoint.splitlines()[:2] == [ORIGIN, str(ORGS + 1)]
    # idempotent: the same log state, the same answer
    again = verify_log_task.delay(settings_ref(small_log.settings)).get(timeout=TIMEOUT_S)
    assert again == {**result, "checkpoint": checkpoint}


def test_verify_log_task_reports_a_tampered_log_as_invalid(small_log: LedgerFactory, embedded: None) -> None:
    seq = 3
    leaf = json.loads(small_log.ledger.log.leaf(seq))
    leaf["body"]["data"]["name_zh"] = "篡改后的名称"
    with small_log.ledger.engine.begin() as conn:
        conn.execute(update(LogLeaf.__table__).where(LogLeaf.__table__.c.seq == seq).values(leaf=canonical_bytes(leaf)))
    result = verify_log_task.delay(settings_ref(small_log.settings)).get(timeout=TIMEOUT_S)
    assert result["valid"] is False
    assert result["error"]["code"] == "verification_failed"
    assert result["seq"] == seq


def test_verify_log_task_refusal_comes_back_as_task_error(tmp_path: Path, embedded: None) -> None:
    with pytest.raises(TaskError) as err:
        verify_log_task.delay({"home": str(tmp_path / "nothing-here")}).get(timeout=TIMEOUT_S)
    assert err.value.code == "log_not_initialised" and err.value.kind == "unavailable"
    with pytest.raises(TaskError) as err:
        verify_log_task.delay("relative/home").get(timeout=TIMEOUT_S)
    assert err.value.code == "task_ref_invalid"


# --- a real worker on the real Redis broker ------------------------------------------------------


def _worker_env(redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARITY_LEDGER_")}
    env.update(CHARITY_LEDGER_BROKER_URL=redis_url, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
    return env


@contextmanager
def running(cmd: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """Start a worker process (its own process group) and stop it with SIGTERM afterwards."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            yield proc
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)  # warm shutdown: finish the task, exit
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=10)


def _client(redis_url: str, f: LedgerFactory):  # type: ignore[no-untyped-def]
    return make_app(replace(f.settings, broker_url=redis_url))


def _get(result, proc: subprocess.Popen, log: Path):  # type: ignore[no-untyped-def]
    try:
        return result.get(timeout=TIMEOUT_S, propagate=True)
    except Exception:
        if proc.poll() is not None or not isinstance(sys.exc_info()[1], TaskError):
            print(log.read_text(errors="replace")[-4000:])
        raise


def _cleanup(redis_url: str, queue: str, results: list) -> None:  # type: ignore[type-arg]
    """Remove this test's queue, its kombu binding keys and its results (names are unique)."""
    import redis

    for result in results:
        result.forget()
    client = redis.Redis.from_url(redis_url)
    keys = [k for k in client.scan_iter(match=f"*{queue}*") if queue.encode() in k]
    if keys:
        client.delete(*keys)
    client.close()


def test_verify_log_task_on_a_real_redis_worker(redis_url: str, small_log: LedgerFactory, tmp_path: Path) -> None:
    queue = f"test-verify-{uuid.uuid4().hex[:12]}"
    cmd = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "reports.celery_app",
        "worker",
        "--queues",
        queue,
        "--concurrency",
        "1",
        "--pool",
        "prefork",
        "--loglevel",
        "INFO",
        "--hostname",
        f"{queue}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    client = _client(redis_url, small_log)
    assert client.conf.result_backend == redis_url and client.conf.task_always_eager is False
    log = tmp_path / "worker.log"
    sent: list = []  # type: ignore[type-arg]
    try:
        with running(cmd, _worker_env(redis_url), log) as proc:
            ref = settings_ref(small_log.settings)
            first = client.send_task("reports.verify_log", args=[ref], queue=queue)
            second = client.send_task("reports.verify_log", args=[ref], queue=queue)
            missing = client.send_task("reports.verify_log", args=[{"home": str(tmp_path / "none")}], queue=queue)
            sent += [first, second, missing]
            result = _get(first, proc, log)
            assert _get(second, proc, log) == result  # idempotent
            checkpoint = result.pop("checkpoint")
            assert result == expected_report(small_log)
            assert checkpoint == small_log.ledger.log.latest_checkpoint()
            with pytest.raises(TaskError) as err:  # rebuilt from JSON as itself
                missing.get(timeout=TIMEOUT_S)
            assert err.value.code == "log_not_initialised" and str(tmp_path / "none") in err.value.message_en
            assert proc.poll() is None
        text = log.read_text(errors="replace")
        assert "reports.verify_log" in text and "succeeded" in text
    finally:
        _cleanup(redis_url, queue, sent)
        client.close()


def test_run_worker_with_beat_on_real_redis(redis_url: str, small_log: LedgerFactory, tmp_path: Path) -> None:
    """reports.worker.run_worker (what `charity-ledger worker` calls) serves tasks, with beat."""
    queue = f"test-run-worker-{uuid.uuid4().hex[:12]}"
    home = str(small_log.settings.home)
    script = (
        "import sys\n"
        "from ledger.settings import from_env\n"
        "from reports.worker import run_worker\n"
        f"sys.exit(run_worker(from_env().with_home({home!r}), beat=True, concurrency=1, queues=[{queue!r}], hostname={queue + '@%h'!r}))\n"
    )
    env = _worker_env(redis_url)
    env["CHARITY_LEDGER_ORIGIN"] = ORIGIN
    client = _client(redis_url, small_log)
    log = tmp_path / "run_worker.log"
    sent: list = []  # type: ignore[type-arg]
    try:
        with running([sys.executable, "-c", script], env, log) as proc:
            # no ref: the worker's own --home and origin are the default
            sent.append(client.send_task("reports.verify_log", args=[], queue=queue))
            result = _get(sent[0], proc, log)
            assert result["valid"] is True and result["size"] == ORGS + 1
            wait_until(lambda: "beat: Starting" in log.read_text(errors="replace"), "celery beat", timeout=20)
            assert "beat: Starting" in log.read_text(errors="replace")
        assert proc.returncode == 0, log.read_text(errors="replace")[-3000:]
        assert (Path(home) / "celerybeat-schedule").exists() or any(Path(home).glob("celerybeat-schedule*"))
    finally:
        _cleanup(redis_url, queue, sent)
        client.close()
