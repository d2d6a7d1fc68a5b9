"""Report generation and the deadline scan as Celery tasks: in-process (the embedded default)
and through a REAL worker on the REAL Redis broker (CHARITY_LEDGER_TEST_REDIS_URL), also behind
the API. Every test here counts as a Redis test for CI (the file name contains "redis"); only
the real-broker ones may skip, through the ``redis_url`` fixture."""

from __future__ import annotations

import json
import sys
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select

from api.config import ApiSettings
from api.tokens import TOKEN_TABLE, create_token
from ledger.cli.app import create_app
from ledger.domain.privacy import format_receipt_code
from ledger.domain.rows import ReportRow
from ledger.store.donors import DonorStore, erase_donor, load_privacy_key
from ledger.store.projection_tables import table_for
from reports import celery_app, jobs
from reports.celery_app import make_app, settings_ref
from reports.tasks import generate_report_task, scan_deadlines_task
from tests.domain import helpers as H
from tests.reports.test_worker_redis import TIMEOUT_S, _cleanup, _get, _worker_env, running
from tests.reports.world import DONOR, PUB, SALT, ReportWorld
from tests.support.serving import wait_until

ANNUAL = {"kind": "annual", "org": H.FOUNDATION, "year": 2026}


def report_count(world: ReportWorld) -> int:
    table = table_for(ReportRow)
    with world.ledger.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def worker_cmd(queue: str) -> list[str]:
    return [
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


# --- in-process ------------------------------------------------------------------------------------


def test_generate_task_in_process_is_idempotent(world: ReportWorld, embedded_world: None) -> None:
    world.install_system_key()
    ref = settings_ref(world.ledger.settings)
    first = generate_report_task.delay(ref, ANNUAL).get(timeout=TIMEOUT_S)
    second = generate_report_task.delay(ref, ANNUAL).get(timeout=TIMEOUT_S)
    assert first["recorded"] and first["entry"]["existing"] is False
    assert second["entry"] == {**first["entry"], "existing": True} and second["files"] == first["files"]
    assert report_count(world) == 1


def test_scan_deadlines_task_in_process(world: ReportWorld, embedded_world: None) -> None:
    result = scan_deadlines_task.delay(settings_ref(world.ledger.settings), "2026-12-20").get(timeout=TIMEOUT_S)
    data = json.loads(Path(result["file"]).read_text(encoding="utf-8"))
    assert result["overdue"] == data["overdue"] > 0 and data["on"] == "2026-12-20"
    overdue = {(i["subject"], i["rule"], i["index"]) for i in data["items"] if i["status"] == "overdue"}
    assert (PUB, "progress_disclosure", 3) in overdue  # due 2026-12-01, never made
    again = scan_deadlines_task.delay(settings_ref(world.ledger.settings), "2026-12-20").get(timeout=TIMEOUT_S)
    assert again == result and Path(result["file"]).name == "deadlines-2026-12-20.json"


def test_beat_runs_the_daily_deadline_scan() -> None:
    entry = celery_app.app.conf.beat_schedule["deadline-scan-daily"]
    assert entry["task"] == "reports.scan_deadlines" and scan_deadlines_task.name == "reports.scan_deadlines"
    assert (entry["schedule"].hour, entry["schedule"].minute) == (
        {7},
        {0},
    ) and celery_app.app.conf.timezone == "Asia/Shanghai"


# --- a real worker on Redis -------------------------------------------------------------------------


def test_generate_report_on_a_real_redis_worker(redis_url: str, world: ReportWorld, tmp_path: Path) -> None:
    world.install_system_key()
    queue = f"test-report-{uuid.uuid4().hex[:12]}"
    client = make_app(replace(world.ledger.settings, broker_url=redis_url))
    ref = settings_ref(world.ledger.settings)
    log = tmp_path / "worker.log"
    sent: list = []  # type: ignore[type-arg]
    try:
        with running(worker_cmd(queue), _worker_env(redis_url), log) as proc:
            job = jobs.new_id()
            jobs.create(world.ledger.settings, job, ANNUAL, restricted=False, requester=None)
            first = client.send_task("reports.generate", args=[ref, ANNUAL, job], queue=queue, task_id=job)
            second = client.send_task("reports.generate", args=[ref, ANNUAL], queue=queue)
            scan = client.send_task("reports.scan_deadlines", args=[ref, "2026-12-20"], queue=queue)
            bad = client.send_task(
                "reports.generate", args=[ref, {"kind": "campaign", "project": "P-DIRECT-2026"}], queue=queue
            )
            sent += [first, second, scan, bad]
            one = _get(first, proc, log)
            two = _get(second, proc, log)
            assert one["recorded"] and one["entry"]["existing"] is False and one["job"] == job
            assert two["entry"] == {**one["entry"], "existing": True} and two["files"] == one["files"]
            assert report_count(world) == 1  # one report.issued
            record = jobs.read(world.ledger.settings, job)
            assert record["status"] == "done" and record["result"]["entry"] == one["entry"]
            assert _get(scan, proc, log)["overdue"] > 0
            from reports.celery_app import TaskError

            with pytest.raises(TaskError) as err:
                bad.get(timeout=TIMEOUT_S)
            assert err.value.code == "report_not_applicable"
            assert proc.poll() is None
        text = log.read_text(errors="replace")
        assert "reports.generate" in text and "succeeded" in text
    finally:
        _cleanup(redis_url, queue, sent)
        client.close()


def _wait(api: TestClient, job: str, headers: dict[str, str], log: Path) -> dict:  # type: ignore[type-arg]
    status: dict = {}  # type: ignore[type-arg]

    def finished() -> bool:
        status.update(api.get(f"/api/v1/reports/jobs/{job}", headers=headers).json())
        return status["status"] in ("done", "failed")

    try:
        wait_until(finished, f"report job {job}", timeout=TIMEOUT_S)
    except RuntimeError as exc:
        raise AssertionError(f"{exc}: {status}\n{log.read_text(errors='replace')[-3000:]}") from exc
    return status


def test_api_request_served_by_a_real_redis_worker(redis_url: str, world: ReportWorld, tmp_path: Path) -> None:
    """POST /api/v1/reports queues the task on Redis (202, queued); a worker makes the report;
    polling the job shows it done, and its files download."""
    world.install_system_key()
    TOKEN_TABLE.create(world.ledger.engine, checkfirst=True)
    queue = f"test-report-api-{uuid.uuid4().hex[:12]}"
    before = celery_app.default_settings()
    celery_app.configure(replace(world.ledger.settings, broker_url=redis_url))
    celery_app.app.conf.task_default_queue = queue
    log = tmp_path / "worker.log"
    job_id = None
    try:
        with (
            running(worker_cmd(queue), _worker_env(redis_url), log) as proc,
            TestClient(create_app(world.ledger, api_settings=ApiSettings(write_rate=0))) as api,
        ):
            r = api.post("/api/v1/reports", json={"kind": "project", "project": PUB})
            assert r.status_code == 202 and r.json()["status"] in ("queued", "running", "done")
            job_id = r.json()["job"]
            # the same request while it is queued or running: the same job, no second task
            assert api.post("/api/v1/reports", json={"kind": "project", "project": PUB}).json()["job"] == job_id
            status = _wait(api, job_id, {}, log)
            assert status["status"] == "done", (status, log.read_text(errors="replace")[-3000:])
            assert status["result"]["recorded"] and proc.poll() is None
            csv = next(f for f in status["files"] if f["name"].endswith("-donations.csv"))
            assert api.get(csv["url"]).content.startswith("\ufeff".encode())
            assert api.post("/api/v1/reports", json={"kind": "project", "project": PUB}).json()["job"] == job_id
            assert len(list(jobs.folder(world.ledger.settings).glob("*.json"))) == 1
            # a personal receipt made by the worker: the token's, and erased with the donor
            world.store_donor()
            code = format_receipt_code(world.ledger.log.seq_of(world.ids["d_bank"]), SALT)
            assert api.post("/api/v1/reports", json={"kind": "receipt", "donation": code}).status_code == 401
            token = {"Authorization": f"Bearer {create_token(world.ledger.engine, 'desk', ['receipts'])}"}
            personal = api.post("/api/v1/reports", json={"kind": "receipt", "donation": code}, headers=token).json()
            done = _wait(api, personal["job"], token, log)
            assert done["status"] == "done" and api.get(done["files"][0]["url"]).status_code == 401
            from celery.result import AsyncResult

            backend = make_app(replace(world.ledger.settings, broker_url=redis_url))
            kept = AsyncResult(personal["job"], app=backend)  # what the result backend holds, for days
            assert kept.get(timeout=TIMEOUT_S)["job"] == personal["job"] and "sha256" not in json.dumps(kept.result)
            kept.forget()
            backend.close()
            private = jobs.private_folder(world.ledger.settings, personal["job"])
            assert DONOR["name"].encode() in b"".join(p.read_bytes() for p in private.iterdir())
            store = DonorStore(world.ledger.engine, load_privacy_key(world.ledger.settings, create=False))
            erase_donor(store, world.ledger.settings, int(personal["request"]["donation"]))
            assert not private.exists()
            assert api.get(f"/api/v1/reports/jobs/{personal['job']}", headers=token).status_code == 404
    finally:
        celery_app.configure(before)
        if job_id:
            from celery.result import AsyncResult

            _cleanup(
                redis_url,
                queue,
                [AsyncResult(job_id, app=make_app(replace(world.ledger.settings, broker_url=redis_url)))],
            )
