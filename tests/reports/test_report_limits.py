"""Report jobs under load and with personal data (issue 12): a token for personal receipts,
results that expire (410), a rate limit per client (429), one render per identical request, and
renders that never hold up the log's reads. Tasks run in the request (the embedded default)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.config import ApiSettings
from api.tokens import TOKEN_TABLE, create_token
from ledger import cli
from ledger.cli.app import create_app
from ledger.domain.privacy import format_receipt_code
from ledger.protocol.canonical import now, parse_time
from reports import issue as issue_module
from reports import jobs
from reports.service import STATE_KEY, ReportLimits, ReportService
from tests.domain import helpers as H
from tests.reports.world import DONOR, PUB, SALT, ReportWorld, donation

NAME = DONOR["name"].encode("utf-8")


class Clock:
    def __init__(self) -> None:
        self.at = now()

    def __call__(self) -> datetime:
        return self.at


class Renders:
    """Counts the reports rendered (calls of reports.issue.issue); ``gate`` holds them."""

    def __init__(self, real: Callable[..., Any]) -> None:
        self.real = real
        self.count = 0
        self.started = threading.Event()
        self.gate: threading.Event | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.count += 1
        self.started.set()
        if self.gate is not None:
            assert self.gate.wait(60), "the test never released the render"
        return self.real(*args, **kwargs)


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> Renders:
    counter = Renders(issue_module.issue)
    monkeypatch.setattr(issue_module, "issue", counter)
    return counter


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(world: ReportWorld, embedded_world: None, clock: Clock) -> Litestar:
    world.install_system_key()
    world.store_donor()
    TOKEN_TABLE.create(world.ledger.engine, checkfirst=True)
    app = create_app(world.ledger, api_settings=ApiSettings(write_rate=0))
    app.state[STATE_KEY] = ReportService(ReportLimits(ttl_s=600, per_minute=0.001, burst=100, renders=1), clock=clock)
    return app


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def bearer(world: ReportWorld, *scopes: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(world.ledger.engine, 'test', list(scopes))}"}


def job_records(world: ReportWorld) -> list[Path]:
    folder = jobs.folder(world.ledger.settings)
    return sorted(folder.glob("*.json")) if folder.exists() else []


def raw_folder(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_personal_receipts_need_a_token_and_nothing_is_rendered_without_one(
    client: TestClient, world: ReportWorld, renders: Renders
) -> None:
    seq = world.ledger.log.seq_of(world.ids["d_bank"])
    code = format_receipt_code(seq, SALT)
    r = client.post("/api/v1/reports", json={"kind": "receipt", "donation": code})
    assert r.status_code == 401 and r.json()["code"] == "not_authenticated" and r.json()["message_zh"]
    assert "receipts or regulator" in r.json()["detail"]
    # a seq with personal: true is for regulators only, whatever other scope the token has
    r = client.post(
        "/api/v1/reports",
        json={"kind": "receipt", "donation": str(seq), "personal": True},
        headers=bearer(world, "receipts"),
    )
    assert r.status_code == 403 and r.json()["code"] == "token_scope_missing"
    r = client.post(
        "/api/v1/reports",
        json={"kind": "receipt", "donation": code},
        headers={"Authorization": "Bearer clt_000000000000_" + "A" * 43},
    )
    assert r.status_code == 401
    assert renders.count == 0 and job_records(world) == []
    assert NAME not in raw_folder(world.ledger.settings.home)


def test_finished_jobs_expire_with_410_and_personal_files_are_deleted(
    client: TestClient, world: ReportWorld, clock: Clock, renders: Renders
) -> None:
    receipts = bearer(world, "receipts")
    code = format_receipt_code(world.ledger.log.seq_of(world.ids["d_bank"]), SALT)
    job = client.post("/api/v1/reports", json={"kind": "receipt", "donation": code}, headers=receipts).json()
    assert job["status"] == "done" and renders.count == 1
    document = next(f for f in job["files"] if f["name"].endswith(".json"))
    assert client.get(document["url"], headers=receipts).status_code == 200
    private = jobs.private_folder(world.ledger.settings, job["job"])
    assert NAME in raw_folder(private)
    finished = parse_time(jobs.read(world.ledger.settings, job["job"])["updated"])
    clock.at = finished + timedelta(seconds=599)
    assert client.get(f"/api/v1/reports/jobs/{job['job']}", headers=receipts).status_code == 200  # not yet
    clock.at += timedelta(seconds=2)
    gone = client.get(f"/api/v1/reports/jobs/{job['job']}", headers=receipts)
    assert gone.status_code == 410 and gone.headers["content-type"].startswith("application/problem+json")
    problem = gone.json()
    assert problem["code"] == "report_job_expired" and problem["type"] == "/api/v1/problems/report_job_expired"
    assert problem["message_zh"] and problem["params"]["job"] == job["job"]
    assert client.get("/api/v1/problems/report_job_expired").json()["status"] == 410  # the catalogue agrees
    assert client.get(document["url"], headers=receipts).status_code == 410
    assert not private.exists() and NAME not in raw_folder(world.ledger.settings.home)
    assert client.get(f"/api/v1/reports/jobs/{job['job']}").status_code == 401  # still the token's, expired or not
    # asked again: a new job, rendered again
    again = client.post("/api/v1/reports", json={"kind": "receipt", "donation": code}, headers=receipts).json()
    assert again["job"] != job["job"] and again["status"] == "done" and renders.count == 2


def test_the_request_after_the_burst_is_refused_with_429_and_nothing_is_queued(
    app: Litestar, client: TestClient, world: ReportWorld, renders: Renders
) -> None:
    app.state[STATE_KEY] = ReportService(ReportLimits(ttl_s=600, per_minute=0.001, burst=3, renders=1))
    asks = [{"kind": "project", "project": PUB}, {"kind": "verification"}, {"kind": "project", "project": PUB}]
    for body in asks:
        assert client.post("/api/v1/reports", json=body).status_code == 202
    records = job_records(world)
    assert renders.count == 2 and len(records) == 2  # the third was the first one again
    r = client.post("/api/v1/reports", json={"kind": "annual", "org": H.FOUNDATION, "year": 2026})
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    problem = r.json()
    assert problem["code"] == "report_rate_limited" and problem["type"] == "/api/v1/problems/report_rate_limited"
    assert problem["message_zh"] and problem["params"]["retry_after"] == int(r.headers["retry-after"])
    assert client.get("/api/v1/problems/report_rate_limited").json()["status"] == 429
    assert renders.count == 2 and job_records(world) == records  # nothing queued, nothing rendered
    assert (
        client.post("/api/v1/reports", content=b"not json", headers={"content-type": "application/json"}).status_code
        == 429
    )
    assert client.get(f"/api/v1/reports/jobs/{records[0].stem}").status_code == 200  # polls are not counted


def test_an_identical_request_gets_the_same_job_rendered_once(
    client: TestClient, world: ReportWorld, renders: Renders
) -> None:
    body = {"kind": "project", "project": PUB}
    first = client.post("/api/v1/reports", json=body).json()
    second = client.post("/api/v1/reports", json=body).json()
    assert first["status"] == "done" and second["job"] == first["job"] and second["files"] == first["files"]
    assert renders.count == 1 and len(job_records(world)) == 1
    # personal receipts: the same for the same token scope, and apart from public ones
    receipts = bearer(world, "receipts")
    code = format_receipt_code(world.ledger.log.seq_of(world.ids["d_bank"]), SALT)
    one = client.post("/api/v1/reports", json={"kind": "receipt", "donation": code}, headers=receipts).json()
    two = client.post("/api/v1/reports", json={"kind": "receipt", "donation": code}, headers=receipts).json()
    public = client.post("/api/v1/reports", json={"kind": "receipt", "donation": one["request"]["donation"]}).json()
    assert one["job"] == two["job"] != public["job"] and renders.count == 3
    # once the log has moved on (an entry other than report.issued), the report is made again
    world.append(world.fundraiser, "donation.received", donation(PUB, "10.00"))
    third = client.post("/api/v1/reports", json=body).json()
    assert (
        third["job"] != first["job"]
        and third["result"]["tree_size"] > first["result"]["tree_size"]
        and renders.count == 4
    )


def test_the_log_is_read_while_reports_render(
    app: Litestar, client: TestClient, world: ReportWorld, renders: Renders
) -> None:
    service: ReportService = app.state[STATE_KEY]
    renders.gate = threading.Event()
    answers: dict[str, Any] = {}

    def ask(name: str, body: dict[str, Any]) -> None:
        answers[name] = client.post("/api/v1/reports", json=body)

    first = threading.Thread(target=ask, args=("project", {"kind": "project", "project": PUB}))
    second = threading.Thread(target=ask, args=("annual", {"kind": "annual", "org": H.FOUNDATION, "year": 2026}))
    try:
        first.start()
        assert renders.started.wait(60)
        second.start()
        # the second waits for the one render slot (renders=1), not in the render itself
        for _ in range(600):
            if service.render_limiter().statistics().tasks_waiting == 1:
                break
            threading.Event().wait(0.05)
        assert service.render_limiter().statistics().tasks_waiting == 1 and renders.count == 1
        checkpoint = client.get("/api/v1/log/checkpoint")
        assert checkpoint.status_code == 200 and checkpoint.text.startswith(world.ledger.log.origin)
        assert client.get("/api/v1/log/entries", params={"start": 0, "limit": 2}).status_code == 200
        assert "project" not in answers and renders.count == 1
    finally:
        renders.gate.set()
        first.join(120)
        second.join(120)
    assert answers["project"].status_code == answers["annual"].status_code == 202
    assert answers["project"].json()["status"] == answers["annual"].json()["status"] == "done" and renders.count == 2


def test_donor_erase_removes_the_receipts_made_by_api_jobs(
    client: TestClient, world: ReportWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    seq = world.ledger.log.seq_of(world.ids["d_bank"])
    receipts, regulator = bearer(world, "receipts"), bearer(world, "regulator")
    code = format_receipt_code(seq, SALT)
    by_code = client.post("/api/v1/reports", json={"kind": "receipt", "donation": code}, headers=receipts).json()
    leaf_hash = world.ids["d_bank"]
    by_hash = client.post(
        "/api/v1/reports", json={"kind": "receipt", "donation": leaf_hash, "personal": True}, headers=regulator
    ).json()
    assert by_hash["request"]["donation"] == str(seq)
    settings = world.ledger.settings
    home = settings.home
    for job in (by_code, by_hash):
        private = jobs.private_folder(settings, job["job"])
        assert NAME in raw_folder(private)
        assert private.stat().st_mode & 0o777 == 0o700
        assert all(p.stat().st_mode & 0o777 == 0o600 for p in private.iterdir())
        assert jobs.record_path(settings, job["job"]).stat().st_mode & 0o777 == 0o600
    assert cli.main(["--home", str(home), "donor", "erase", "--receipt", code]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["seq"] == seq and out["database"]["wal_truncated"] is True
    assert NAME not in raw_folder(home)
    for job in (by_code, by_hash):
        assert client.get(f"/api/v1/reports/jobs/{job['job']}", headers=regulator).status_code == 404
        assert not jobs.private_folder(settings, job["job"]).exists()
    # what was public stays: the log, and receipts without personal data
    assert client.post("/api/v1/reports", json={"kind": "receipt", "donation": str(seq)}).json()["status"] == "done"


def test_on_postgresql_identical_requests_share_a_job_and_erase_removes_the_receipt(
    pg_schema_url: str, tmp_path: Path, renders: Renders, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from ledger.store.donors import DonorStore, erase_donor, load_privacy_key
    from reports import celery_app

    monkeypatch.setenv("CHARITY_LEDGER_DATABASE_URL", pg_schema_url)  # what the task opens, as in a deployment
    world = ReportWorld(tmp_path / "home", pg_schema_url)
    world.install_system_key()
    world.store_donor()
    TOKEN_TABLE.create(world.ledger.engine, checkfirst=True)
    before = celery_app.default_settings()
    celery_app.configure(replace(world.ledger.settings, broker_url=None))
    app = create_app(world.ledger, api_settings=ApiSettings(write_rate=0))
    app.state[STATE_KEY] = ReportService(ReportLimits(ttl_s=600, per_minute=0.001, burst=100, renders=1))
    try:
        with TestClient(app) as client:
            receipts = bearer(world, "receipts")
            code = format_receipt_code(world.ledger.log.seq_of(world.ids["d_bank"]), SALT)
            body = {"kind": "receipt", "donation": code}
            one = client.post("/api/v1/reports", json=body, headers=receipts).json()
            two = client.post("/api/v1/reports", json=body, headers=receipts).json()
            assert one["status"] == "done", one["error"]
            assert two["job"] == one["job"] and renders.count == 1
            private = jobs.private_folder(world.ledger.settings, one["job"])
            assert NAME in raw_folder(private)
            store = DonorStore(world.ledger.engine, load_privacy_key(world.ledger.settings, create=False))
            erasure = erase_donor(store, world.ledger.settings, int(one["request"]["donation"]))
            assert erasure.database == {"database": "postgresql", "vacuum_full": "donor_private"}
            assert not private.exists() and NAME not in raw_folder(world.ledger.settings.home)
            assert client.get(f"/api/v1/reports/jobs/{one['job']}", headers=receipts).status_code == 404
            # the donation predates receipt commitments: with its salt erased, the code finds nothing
            again = client.post("/api/v1/reports", json=body, headers=receipts)
            assert again.status_code == 404 and again.json()["code"] == "receipt_not_found" and renders.count == 1
    finally:
        celery_app.configure(before)
        world.ledger.engine.dispose()
