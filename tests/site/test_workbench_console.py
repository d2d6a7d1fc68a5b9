"""The regulator's console, the overseer's desk and the charity's query inbox, on the report
world (tests/reports/world.py): who may see what, the figures beside the scan and the overview
report they come from, zips whose SHA256SUMS check, and a query answered in the log."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from ledger.cli.app import create_app
from ledger.services.oversight import scan_deadlines
from ledger.store.db import read_transaction
from public_site.i18n import CHINA
from public_site.workbench.session import SCOPE_KEY, Account
from reports.common import ReportRequest
from reports.issue import Issued, issue
from tests.domain import helpers as H
from tests.reports.world import ReportWorld

ACCOUNTS = {
    "regulator": Account(1, "reg", "民政局监管员", None, frozenset({"regulator"})),
    "overseer": Account(2, "ovs", "监督机构", H.OVERSIGHT, frozenset({"overseer"})),
    "fundraiser": Account(3, "fin", "基金会财务", H.FOUNDATION, frozenset({"fundraiser"})),
    "implementer": Account(4, "svc", "执行机构", H.SERVICE_ORG, frozenset({"implementer"})),
}


@pytest.fixture(scope="module")
def rw(tmp_path_factory: pytest.TempPathFactory) -> tuple[ReportWorld, Issued]:
    world = ReportWorld(Path(tmp_path_factory.mktemp("console")) / "home")
    world.install_system_key()
    issued = issue(world.ledger, ReportRequest(kind="annual", org=H.FOUNDATION, year=2026))
    assert issued.entry is not None  # recorded in the log as report.issued
    return world, issued


def signed_in_as(app: Litestar) -> Litestar:
    """Put the account named by the test header into the scope, as the sign-in layer does."""
    inner = app.asgi_handler

    async def handler(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            name = dict(scope["headers"]).get(b"x-test-account", b"").decode()
            if name in ACCOUNTS:
                scope[SCOPE_KEY] = ACCOUNTS[name]
        await inner(scope, receive, send)

    app.asgi_handler = handler
    return app


@pytest.fixture(scope="module")
def client(rw: tuple[ReportWorld, Issued]) -> Iterator[TestClient]:
    with TestClient(signed_in_as(create_app(rw[0].ledger))) as c:
        yield c


def get(client: TestClient, path: str, who: str | None) -> Any:
    return client.get(path, headers={"x-test-account": who} if who else {}, follow_redirects=False)


def test_nobody_signed_in_sees_nothing_and_roles_are_kept_apart(client: TestClient) -> None:
    for path in ("/workbench/console", "/workbench/desk", "/workbench/queries", "/workbench/console/orgs/x"):
        answer = get(client, path, None)  # pages send people to sign in first
        assert answer.status_code == 303 and answer.headers["location"].startswith("/workbench/sign-in?next=")
    assert get(client, "/workbench/console", "fundraiser").status_code == 403
    assert get(client, "/workbench/desk", "implementer").status_code == 403
    assert get(client, "/workbench/queries", "regulator").status_code == 403
    page = get(client, "/workbench/console", "regulator")
    assert page.status_code == 200 and page.headers["cache-control"] == "private, no-store"


def test_the_regulator_sees_the_registry_scan_and_the_overview_matrix(
    client: TestClient, rw: tuple[ReportWorld, Issued]
) -> None:
    world, _ = rw
    today = world.ledger.clock().astimezone(CHINA).date()
    with read_transaction(world.ledger.engine) as conn:
        items = scan_deadlines(conn, today)
    page = get(client, "/workbench/console", "regulator").text
    shown = re.findall(r'data-rule="([a-z_]+)" data-org="(\w+)" data-subject="([^"]+)" data-status="(\w+)"', page)
    assert sorted(shown) == sorted((i.rule, i.org, i.subject, i.status) for i in items) and shown
    assert f'data-count="{sum(1 for i in items if i.status == "overdue")}"' in page
    # the matrix is the overview report's for the last whole year: one row per charity
    assert f"{today.year - 1} 年合规矩阵" in page or f"Compliance matrix, {today.year - 1}" in page
    rows = re.findall(r'<tr data-org="(\w+)">', page)
    assert H.FOUNDATION in rows and H.SERVICE_ORG in rows and H.REGISTRAR_ORG not in rows


def test_an_overseer_sees_only_the_projects_it_oversees(client: TestClient, rw: tuple[ReportWorld, Issued]) -> None:
    page = get(client, "/workbench/console", "overseer").text
    orgs = set(re.findall(r'data-rule="[a-z_]+" data-org="(\w+)"', page))
    subjects = set(re.findall(r'data-rule="[a-z_]+" data-org="\w+" data-subject="([^"]+)"', page))
    # its projects, and the annual reports and filings of their fundraiser and implementers only
    # (with the registrar's replies those filings wait for)
    assert (
        orgs and orgs <= {H.FOUNDATION, H.SERVICE_ORG, H.SERVICE_ORG_2, H.REGISTRAR_ORG} and 'id="matrix"' not in page
    )
    assert not any(s.startswith((H.SMALL_GROUP, H.AUDITOR)) for s in subjects)


def test_an_organisation_page_and_its_reports_as_zips_that_check(
    client: TestClient, rw: tuple[ReportWorld, Issued]
) -> None:
    issued = rw[1]
    report_id = issued.entry["leaf_hash"]  # type: ignore[index]
    page = get(client, f"/workbench/console/orgs/{H.FOUNDATION}", "regulator")
    assert page.status_code == 200
    assert "SZ-2026-001" in page.text and "SZ-2026-002" in page.text and report_id in page.text
    for path in (
        f"/workbench/console/reports/{report_id}/files.zip",
        f"/workbench/console/orgs/{H.FOUNDATION}/reports.zip",
    ):
        answer = get(client, path, "regulator")
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
        archive = zipfile.ZipFile(io.BytesIO(answer.content))
        sums = archive.read("SHA256SUMS").decode().splitlines()
        members = {n for n in archive.namelist() if n != "SHA256SUMS"}
        assert len(sums) == len(members) == len(issued.files)
        for line in sums:  # what `sha256sum -c SHA256SUMS` does
            digest, name = line.split("  ", 1)
            assert hashlib.sha256(archive.read(name)).hexdigest() == digest
        assert {f.sha256 for f in issued.files} == {line.split("  ")[0] for line in sums}
    assert get(client, f"/workbench/console/reports/{'0' * 64}/files.zip", "regulator").status_code == 404
    assert get(client, "/workbench/console/orgs/not-a-code", "regulator").status_code == 404


def test_a_changed_report_file_is_never_shipped(client: TestClient, rw: tuple[ReportWorld, Issued]) -> None:
    world, issued = rw
    report_id = issued.entry["leaf_hash"]  # type: ignore[index]
    folder = next(p for p in (world.ledger.settings.reports_dir).rglob(issued.files[0].name))
    original = folder.read_bytes()
    folder.write_bytes(original + b"changed")
    try:
        answer = get(client, f"/workbench/console/reports/{report_id}/files.zip", "regulator")
        assert answer.status_code == 503 and "SHA-256" in answer.text and answer.content[:2] != b"PK"
    finally:
        folder.write_bytes(original)


def test_a_query_answered_in_the_log_shows_on_both_sides(client: TestClient, rw: tuple[ReportWorld, Issued]) -> None:
    world, _ = rw
    inbox = get(client, "/workbench/queries", "implementer").text  # the 400.00 payment flagged, open
    flagged = re.findall(r'data-attestation="([0-9a-f]{64})" data-status="open"', inbox)
    assert (len(flagged) == 1 and "尚无答复" in inbox) or "No answer yet" in inbox
    assert f"/workbench/entries/new/query.answered?attestation={flagged[0]}" in inbox
    assert get(client, "/workbench/queries", "fundraiser").text.count("data-attestation=") == 0
    world.append(
        world.implementer,
        "query.answered",
        {"attestation": flagged[0], "answer": "合同已补充上传。", "evidence": [H.sha("contract")]},
    )
    inbox = get(client, "/workbench/queries", "implementer").text
    desk = get(client, "/workbench/desk", "overseer").text
    for page in (inbox, desk):
        assert "合同已补充上传。" in page and "data-answer=" in page
    assert "attestation.recorded?target=" in desk
