"""Reports for a period state what held at its end (issue 13, items 1, 2 and 7), on a world of
three years whose first two were loaded into the log later (tests/reports/world.py
``ThreeYearWorld``: every figure asserted here is worked out in its docstring)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from ledger.cli.app import create_app
from ledger.services.oversight import disclosures_of_org
from reports.common import ReportRequest, render_report
from reports.issue import build_from_ledger
from tests.domain import helpers as H
from tests.reports.world import CAMP, GROWER, HIST, ThreeYearWorld


def document(world: ThreeYearWorld, year: int, tree_size: int | None = None) -> dict[str, Any]:
    doc = build_from_ledger(world.ledger, ReportRequest("annual", org=GROWER, year=year), tree_size=tree_size)
    return json.loads(render_report(doc, pdf=False)[f"{doc.stem}.json"])


def rows(doc: dict[str, Any], table: str) -> list[dict[str, Any]]:
    t = doc["tables"][table]
    keys = [c["key"] for c in t["columns"]]
    return [dict(zip(keys, r, strict=True)) for r in t["rows"]]


@pytest.fixture(scope="module")
def grown(tmp_path_factory: pytest.TempPathFactory) -> tuple[ThreeYearWorld, dict[str, Any]]:
    """The world with its 2026 facts, and the 2025 report made before they were appended."""
    world = ThreeYearWorld(tmp_path_factory.mktemp("as-of") / "home")
    early = document(world, 2025)
    world.add_2026()
    return world, early


def test_a_past_year_reads_the_same_whenever_it_is_made(grown: tuple[ThreeYearWorld, dict[str, Any]]) -> None:
    world, early = grown
    late = document(world, 2025)
    replayed = document(world, 2025, tree_size=world.first_size)
    assert early["log"]["tree_size"] == world.first_size < late["log"]["tree_size"]
    for doc in (late, replayed):
        assert doc["figures"] == early["figures"]
        assert doc["tables"] == early["tables"]


def test_positions_projects_and_campaigns_are_those_at_the_period_end(
    grown: tuple[ThreeYearWorld, dict[str, Any]],
) -> None:
    world, _ = grown
    for year, raised, allocated, disbursed, balance, in_year in (
        (2024, "100000.00", "60000.00", "40000.00", "60000.00", "100000.00"),
        (2025, "150000.00", "150000.00", "55000.00", "95000.00", "50000.00"),
    ):
        doc = document(world, year)
        (project,) = rows(doc, "projects")  # the 2026 campaign is not listed
        assert project["project"] == HIST and project["status"] == "open"  # closed in 2026
        assert (project["raised"], project["allocated"], project["disbursed"], project["balance"]) == (
            raised,
            allocated,
            disbursed,
            balance,
        )
        assert project["raised_in_year"] == in_year
        assert rows(doc, "campaigns") == []
        assert doc["figures"]["projects"] == {"raised": 1, "implemented": 0, "campaigns": 0, "open": 1}
        assert doc["figures"]["organisation"]["public_fundraising"] is False
    doc = document(world, 2026)
    by_id = {p["project"]: p for p in rows(doc, "projects")}
    assert by_id[HIST]["status"] == "closed" and by_id[HIST]["balance"] == "0.00"
    assert by_id[CAMP]["raised"] == "20000.00" and [c["project"] for c in rows(doc, "campaigns")] == [CAMP]
    assert doc["figures"]["organisation"]["public_fundraising"] is True
    assert doc["figures"]["organisation"]["since"]["public_fundraising"] == "2026-01-01"


def test_the_rules_applied_are_those_the_organisation_was_under_that_year(
    grown: tuple[ThreeYearWorld, dict[str, Any]],
) -> None:
    world, _ = grown
    r2025 = document(world, 2025)["figures"]["ratios"]
    assert r2025["status"] == "passed"
    assert r2025["org_at_year_end"]["public_fundraising"] is False
    result = r2025["result"]
    assert (result["rule"], result["tier"], result["ruleset"]) == ("non_public_foundation", "under_4m", "cn-charity/1")
    (spending,) = result["spending"]
    assert (spending["decided_by"], spending["required"], spending["actual"], spending["actual_basis_points"]) == (
        "prior_year_end_net_assets",
        "240000.00",
        "300000.00",
        1000,
    )
    r2026 = document(world, 2026)["figures"]["ratios"]
    assert r2026["status"] == "passed" and r2026["result"]["rule"] == "public_foundation"
    (spending,) = r2026["result"]["spending"]
    assert [(b["name"], b["required"]) for b in spending["bases"]] == [
        ("prior_year_income", "770000.00"),
        ("prior_3y_avg_income", "700000.00"),
    ]
    assert (spending["decided_by"], spending["actual_basis_points"]) == ("prior_3y_avg_income", 8285)
    assert r2026["result"]["management"]["actual_basis_points"] == 900


def test_the_organisation_page_shows_the_reports_ratios(grown: tuple[ThreeYearWorld, dict[str, Any]]) -> None:
    world, _ = grown
    with TestClient(create_app(world.ledger)) as client:
        page = client.get(f"/organisations/{GROWER}", headers={"Accept-Language": "zh-CN"}).text
    for year, status, public, bps in (
        (2026, "passed", "true", ["8285", "900"]),
        (2025, "passed", "false", ["1000", "1250"]),
        (2024, "passed", "false", ["2321", "1464"]),  # 650,000.00 of 2,800,000.00; 120,000.00 of 820,000.00
    ):
        row = re.search(rf'<tr data-year="{year}" data-status="([a-z_]+)"([^>]*)>(.*?)</tr>', page, re.S)
        assert row is not None, year
        report = document(world, year)["figures"]["ratios"]
        assert row.group(1) == report["status"] == status
        assert f'data-public-fundraising="{public}"' in row.group(2)
        assert re.findall(r'data-actual-bp="(\d*)"', row.group(3)) == bps
    assert '<tr data-year="2023" data-status="not_computed"' in page  # no 2022 figures
    assert "82.85% / 70.00%" in page and "9.00% / 10.00%" in page  # as the report prints them


def test_back_loaded_history_is_judged_on_its_business_dates(grown: tuple[ThreeYearWorld, dict[str, Any]]) -> None:
    world, _ = grown
    doc = document(world, 2025)
    table = rows(doc, "disclosures")
    status = {(d["subject"], d["rule"], d["index"]): (d["status"], d["done_on"], d["recorded_on"]) for d in table}
    # progress 2 on time, progress 3 late (published 2025-04-20 for 1 April), both recorded 2026-03-10
    assert status[(HIST, "progress_disclosure", 2)] == ("on_time", "2024-12-20", "2026-03-10")
    assert status[(HIST, "progress_disclosure", 3)] == ("late", "2025-04-20", "2026-03-10")
    assert status[(HIST, "final_disclosure", None)] == ("on_time", "2025-07-20", "2026-03-10")
    # the annual report of 2024 was late (published 2025-06-20): the log's business dates begin
    # on 2024-07-01, so it is asked for although the log itself began in 2026
    assert status[(f"{GROWER}/2024", "annual_report", None)] == ("late", "2025-06-20", "2026-03-10")
    assert status[(f"{GROWER}/2025", "annual_report", None)] == ("on_time", "2026-04-20", "2026-04-20")
    assert doc["figures"]["disclosures"]["counts"] == {"on_time": 3, "late": 2, "missing": 0, "due": 0}
    d2024 = rows(document(world, 2024), "disclosures")
    assert [(d["rule"], d["index"], d["status"]) for d in d2024] == [
        ("progress_disclosure", 1, "on_time"),
        ("annual_report", None, "late"),
    ]
    # the campaign's plan was filed on time (2026-05-01 for 22 May)
    plan = [d for d in rows(document(world, 2026), "disclosures") if d["rule"] == "plan_filing"]
    assert [(d["subject"], d["status"], d["due_on"], d["done_on"]) for d in plan] == [
        (CAMP, "on_time", "2026-05-22", "2026-05-01")
    ]


def test_the_overseers_scan_finds_the_late_annual_report_and_no_false_lateness(
    grown: tuple[ThreeYearWorld, dict[str, Any]],
) -> None:
    world, _ = grown
    items = disclosures_of_org(world.ledger.engine, GROWER, date(2027, 3, 10))
    assert [(d.subject, d.status, d.done_on, d.recorded_on) for d in items] == [
        (f"{GROWER}/2024", "late", date(2025, 6, 20), date(2026, 3, 10)),
        (f"{GROWER}/2025", "on_time", date(2026, 4, 20), date(2026, 4, 20)),
        (f"{GROWER}/2026", "on_time", date(2027, 3, 10), date(2027, 3, 10)),
    ]


def test_a_publication_date_needs_its_document_and_may_not_lie_ahead(tmp_path: Path) -> None:
    world = ThreeYearWorld(tmp_path / "home")
    progress = {
        "project": HIST,
        "period_start": "2025-04-01",
        "period_end": "2025-06-30",
        "summary": "补充",
        "evidence": [],
    }
    world.refuse(world.implementer, "progress.reported", progress | {"published_on": "2025-07-01"}, "data_invalid")
    world.refuse(
        world.implementer,
        "progress.reported",
        progress | {"published_on": "2026-05-01", "publication_sha256": H.sha("x")},
        "date_too_late",
    )
    world.refuse(
        world.grower_admin,
        "financials.reported",
        H.financials_data(GROWER, 2022, published_on="2022-12-31", publication_sha256=H.sha("y")),
        "date_too_early",
    )


def test_the_overview_judges_each_year_by_what_held_then(grown: tuple[ThreeYearWorld, dict[str, Any]]) -> None:
    world, _ = grown

    def breaches(year: int) -> list[tuple[str, str]]:
        doc = build_from_ledger(world.ledger, ReportRequest("overview", year=year))
        return sorted((b["kind"], b["subject"]) for b in doc.figures["breaches"] if b["org"] == GROWER)

    # 2024: the annual report published late; 2025: progress 3 published late. No audit is asked
    # for 2025 (no public fundraising then), no ratio missed, nothing late of the back-loaded rest.
    assert breaches(2024) == [("annual_report_late", f"{GROWER}/2024")]
    assert breaches(2025) == [("disclosure_late", HIST)]


def test_public_fundraising_before_the_qualification_took_effect_is_refused(
    grown: tuple[ThreeYearWorld, dict[str, Any]],
) -> None:
    world, _ = grown
    head = world.ledger.log.head()
    early = H.project_data(
        "P-EARLY-2025",
        start_date="2025-11-01",
        end_date="2026-02-28",
        implementers=[H.SERVICE_ORG],
        plan=H.plan_data("2025-11-01", "2026-02-28"),
    )
    world.refuse(world.grower_fundraiser, "project.registered", early, "qualification_required")
    assert world.ledger.log.head() == head


def test_the_campaign_and_project_reports_use_the_publication_dates(
    grown: tuple[ThreeYearWorld, dict[str, Any]],
) -> None:
    world, _ = grown
    campaign = build_from_ledger(world.ledger, ReportRequest("campaign", project=CAMP))
    assert (campaign.figures["filing"]["status"], campaign.figures["filing"]["days_before_start"]) == ("on_time", 31)
    project = build_from_ledger(world.ledger, ReportRequest("project", project=HIST))
    doc = json.loads(render_report(project, pdf=False)[f"{project.stem}.json"])
    made = [
        (d["index"], d["status"], d["done_on"]) for d in rows(doc, "disclosures") if d["rule"] == "progress_disclosure"
    ]
    assert made == [(1, "on_time", "2024-09-28"), (2, "on_time", "2024-12-20"), (3, "late", "2025-04-20")]
