"""The report endpoints mounted in the API (reports.routes): request, poll, download, publish;
who may ask for what. Tasks run in the request (the embedded default)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from api.config import ApiSettings
from api.tokens import TOKEN_TABLE, create_token
from ledger.cli.app import create_app
from ledger.domain.privacy import format_receipt_code
from reports import jobs
from tests.domain import helpers as H
from tests.reports.world import DIR, PUB, SALT, ReportWorld


@pytest.fixture
def client(world: ReportWorld, embedded_world: None) -> Iterator[TestClient]:
    world.install_system_key()
    world.store_donor()
    TOKEN_TABLE.create(world.ledger.engine, checkfirst=True)
    with TestClient(create_app(world.ledger, api_settings=ApiSettings(write_rate=0))) as c:
        yield c


def bearer(world: ReportWorld, *scopes: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(world.ledger.engine, 'test', list(scopes))}"}


def test_request_poll_download(client: TestClient, world: ReportWorld) -> None:
    r = client.post("/api/v1/reports", json={"kind": "annual", "org": H.FOUNDATION, "year": 2026})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] == "done" and job["request"] == {"kind": "annual", "org": H.FOUNDATION, "year": 2026}
    assert job["result"]["recorded"] is True and job["result"]["entry"]["existing"] is False
    assert "folders" not in job["result"]  # no server paths in answers
    polled = client.get(f"/api/v1/reports/jobs/{job['job']}").json()
    assert polled["files"] == job["files"] and polled["status"] == "done"
    pdf = next(f for f in job["files"] if f["name"].endswith(".pdf"))
    got = client.get(pdf["url"])
    assert got.status_code == 200 and got.headers["content-type"] == "application/octet-stream"
    assert hashlib.sha256(got.content).hexdigest() == pdf["sha256"] == got.headers["x-content-sha256"]
    assert got.content.startswith(b"%PDF")
    # the same request again at the same log state: the same job, not rendered again
    again = client.post("/api/v1/reports", json={"kind": "annual", "org": H.FOUNDATION, "year": 2026}).json()
    assert again["job"] == job["job"] and again["result"]["entry"] == job["result"]["entry"]


def test_published_reports_are_listed_and_served_as_recorded(client: TestClient, world: ReportWorld) -> None:
    made = client.post("/api/v1/reports", json={"kind": "project", "project": PUB}).json()
    listing = client.get("/api/v1/reports").json()["items"]
    assert [(i["kind"], i["subject"], i["id"]) for i in listing] == [
        ("project", PUB, made["result"]["entry"]["leaf_hash"])
    ]
    report = client.get(f"/api/v1/reports/{listing[0]['id']}").json()
    assert report["tree_size"] == made["result"]["tree_size"] and not report["restricted"] and not report["withdrawn"]
    json_file = next(f for f in report["files"] if f["name"].endswith(".json"))
    got = client.get(json_file["url"])
    assert got.status_code == 200 and json.loads(got.content)["figures"]["funds"]["raised"] == "14000.50"
    assert client.get("/api/v1/reports", params={"kind": "annual"}).json()["items"] == []
    # a file changed on disk is not served
    folder = world.ledger.settings.reports_dir / "project" / made["result"]["stem"]
    (folder / json_file["name"]).write_bytes(b"{}")
    bad = client.get(json_file["url"])
    assert bad.status_code == 503 and bad.json()["code"] == "report_file_mismatch"
    assert client.get(f"/api/v1/reports/{'0' * 64}").status_code == 404
    assert client.get(f"/api/v1/reports/{listing[0]['id']}/files/SHA256SUMS").status_code == 404


def test_overview_is_for_regulators(client: TestClient, world: ReportWorld) -> None:
    r = client.post("/api/v1/reports", json={"kind": "overview", "year": 2026})
    assert r.status_code == 401 and r.json()["code"] == "not_authenticated"
    r = client.post("/api/v1/reports", json={"kind": "overview", "year": 2026}, headers=bearer(world, "auditor"))
    assert r.status_code == 403
    regulator = bearer(world, "regulator")
    job = client.post("/api/v1/reports", json={"kind": "overview", "year": 2026}, headers=regulator).json()
    assert job["status"] == "done"
    assert client.get(f"/api/v1/reports/jobs/{job['job']}").status_code == 401
    assert client.get(f"/api/v1/reports/jobs/{job['job']}", headers=regulator).status_code == 200
    assert client.get(job["files"][0]["url"]).status_code == 401
    assert client.get(job["files"][0]["url"], headers=regulator).status_code == 200
    (published,) = client.get("/api/v1/reports").json()["items"]  # listed (its hashes are public)...
    assert published["restricted"] is True
    assert client.get(published["files"][0]["url"]).status_code == 401  # ...its files are the regulator's
    assert client.get(published["files"][0]["url"], headers=regulator).status_code == 200


def test_receipts_with_personal_data(client: TestClient, world: ReportWorld) -> None:
    seq = world.ledger.log.seq_of(world.ids["d_bank"])
    code = format_receipt_code(seq, SALT)
    receipts = bearer(world, "receipts")
    r = client.post("/api/v1/reports", json={"kind": "receipt", "donation": code})
    assert r.status_code == 401 and r.json()["code"] == "not_authenticated"  # personal data needs a token
    r = client.post("/api/v1/reports", json={"kind": "receipt", "donation": code}, headers=bearer(world, "auditor"))
    assert r.status_code == 403 and r.json()["code"] == "token_scope_missing"
    job = client.post("/api/v1/reports", json={"kind": "receipt", "donation": code}, headers=receipts).json()
    assert job["status"] == "done" and job["result"]["recorded"] is False
    assert job["request"] == {"kind": "receipt", "donation": str(seq), "personal": True}  # the code is not kept
    record = jobs.read(world.ledger.settings, job["job"])
    assert code not in json.dumps(record)
    document = next(f for f in job["files"] if f["name"].endswith(".json"))
    assert client.get(document["url"]).status_code == 401  # nor read without one
    assert client.get(f"/api/v1/reports/jobs/{job['job']}").status_code == 401
    assert json.loads(client.get(document["url"], headers=receipts).content)["figures"]["holder"]["name"] == "李四"
    assert client.get("/api/v1/reports").json()["items"] == []  # never published
    wrong = format_receipt_code(seq, b"\x07" * 16)
    r = client.post("/api/v1/reports", json={"kind": "receipt", "donation": wrong}, headers=receipts)
    assert r.status_code == 404 and r.json()["code"] == "receipt_not_found"
    assert (
        client.post("/api/v1/reports", json={"kind": "receipt", "donation": str(seq), "personal": True}).status_code
        == 401
    )
    ok = client.post(
        "/api/v1/reports",
        json={"kind": "receipt", "donation": str(seq), "personal": True},
        headers=bearer(world, "regulator"),
    )
    assert ok.status_code == 202 and ok.json()["status"] == "done"
    public = client.post("/api/v1/reports", json={"kind": "receipt", "donation": str(seq)}).json()
    assert public["result"]["recorded"] is True


def test_refused_requests(client: TestClient) -> None:
    r = client.post("/api/v1/reports", json={"kind": "project", "project": "NO-SUCH"})
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = client.post("/api/v1/reports", json={"kind": "annual", "org": H.FOUNDATION})
    assert r.status_code == 400 and r.json()["code"] == "report_param_missing"
    assert client.post("/api/v1/reports", json={"kind": "balance-sheet"}).status_code == 400
    assert client.post("/api/v1/reports", json={"kind": "annual", "org": "../../etc", "year": 2026}).status_code == 400
    assert client.get(f"/api/v1/reports/jobs/{'a' * 32}").status_code == 404
    assert client.get("/api/v1/reports/jobs/not-a-job").status_code in (400, 404)


def test_a_failed_task_shows_in_the_job(client: TestClient) -> None:
    job = client.post("/api/v1/reports", json={"kind": "campaign", "project": DIR}).json()
    assert job["status"] == "failed" and job["error"]["code"] == "report_not_applicable" and job["files"] == []
