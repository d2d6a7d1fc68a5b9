"""Overdue items on project and organisation pages, and the overseer's desk page, on a fixed
day (5 June 2026, China time) over the site's registry (tests.site.world):

- PUB and DIR and the 20 directed projects P-D-xx run 2026-03-01 .. 2027-02-28, raised for by
  the foundation and overseen by OVERSIGHT; PUB reported progress on 25 May, the others never,
  so their first progress disclosure (due 1 June) is 4 days late;
- the charities' 2025 annual reports were due on 31 May (5 days late): the foundation has an
  audit opinion for 2025 but reported no figures, which is what counts.
"""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from litestar.testing import TestClient

from api.config import ApiSettings
from ledger.cli.app import create_app
from public_site import views
from tests.domain import helpers as H

DAY = date(2026, 6, 5)
PUB, DIR = H.World.PUB, H.World.DIR
DIRECTED = [f"P-D-{n:02d}" for n in range(20)]


@pytest.fixture(autouse=True)
def on_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "_today", lambda: DAY)


def table(page: str, element_id: str) -> str:
    start = page.index(f'id="{element_id}"')
    return page[start : page.index("</table>", start)]


def rows(page: str, element_id: str, attrs: str) -> list[tuple[str, ...]]:
    """The data attributes ``attrs`` (a regex of groups) of each row of a table."""
    return re.findall(r"<tr " + attrs, table(page, element_id))


def text_of(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def seq(site_world, name: str) -> int:  # type: ignore[no-untyped-def]
    return site_world.ledger.log.seq_of(site_world.ids[name])


# --- project pages ------------------------------------------------------------------------------


def test_project_page_shows_its_overdue_disclosure(client):
    page = client.get(f"/projects/{DIR}?lang=en").text
    notice = page[page.index('id="overdue-notice"') : page.index("</p>", page.index('id="overdue-notice"'))]
    assert re.findall(r'data-rule="(\w+)" data-due="([\d-]+)" data-days="(\d+)"', notice) == [
        ("progress_disclosure", "2026-06-01", "4")
    ]
    assert "1 required disclosure is overdue" in text_of(notice) and "Jun 1, 2026" in text_of(notice)
    # the table: the first period missing, the two later ones (due 1 September and 1 December;
    # 1 March 2027 is past the end) and the final disclosure not yet due
    statuses = rows(page, "disclosures", r'data-rule="(\w+)" data-status="(\w+)"')
    assert statuses == [("progress_disclosure", "missing")] + [("progress_disclosure", "due")] * 2 + [
        ("final_disclosure", "due")
    ]
    zh = client.get(f"/projects/{DIR}?lang=zh-CN").text
    assert "1 项应公开事项已逾期" in text_of(zh) and "逾期 4 天" in text_of(zh)


def test_project_page_without_overdue_items_says_when_each_was_made(client, site_world):
    page = client.get(f"/projects/{PUB}?lang=en").text
    assert 'id="overdue-notice"' not in page
    disclosures = table(page, "disclosures")
    assert rows(page, "disclosures", r'data-rule="(\w+)" data-status="(\w+)"')[:3] == [
        ("plan_filing", "on_time"),
        ("progress_disclosure", "on_time"),
        ("progress_disclosure", "due"),
    ]
    # the first period was made by the progress report of 25 May, linked
    first = disclosures[disclosures.index('data-rule="progress_disclosure"') :]
    first = first[: first.index("</tr>")]
    assert "May 25, 2026" in text_of(first) and f'href="/ledger/{seq(site_world, "progress1")}"' in first


# --- organisation pages ------------------------------------------------------------------------


def test_foundation_page_lists_what_it_owes(client):
    page = client.get(f"/organisations/{H.FOUNDATION}?lang=en").text
    items = rows(
        page, "org-deadlines", r'data-rule="(\w+)" data-status="(\w+)" data-subject="([^"]+)" data-days="(\d+)"'
    )
    # its own annual report (an audit opinion is not the report), then every project it raises
    # money for that has not disclosed its first quarter
    assert items[0] == ("annual_report", "overdue", f"{H.FOUNDATION}/2025", "5")
    assert sorted(items[1:]) == sorted(("progress_disclosure", "overdue", p, "4") for p in [DIR, *DIRECTED])
    assert "5 days late" in text_of(table(page, "org-deadlines"))
    assert rows(page, "annual-reports", r'data-year="(\d+)" data-status="(\w+)"') == [("2025", "missing")]
    assert 'id="desk-link"' not in page  # it oversees nothing


def test_implementer_page_lists_only_its_annual_report(client):
    page = client.get(f"/organisations/{H.SERVICE_ORG}?lang=en").text
    assert rows(page, "org-deadlines", r'data-rule="(\w+)" data-status="(\w+)" data-subject="([^"]+)"') == [
        ("annual_report", "overdue", f"{H.SERVICE_ORG}/2025"),
    ]


def test_oversight_body_page_links_its_desk(client):
    page = client.get(f"/organisations/{H.OVERSIGHT}?lang=en").text
    assert f'<a href="/overseers/{H.OVERSIGHT}" id="desk-link">' in page
    assert "Nothing overdue or due in the next 14 days." in text_of(table(page, "org-deadlines"))  # not a charity
    assert 'id="annual-reports"' not in page


# --- the overseer's desk -----------------------------------------------------------------------


def test_desk_shows_the_same_view_as_the_api(client, site_world):
    page = client.get(f"/overseers/{H.OVERSIGHT}?lang=en").text
    with TestClient(create_app(site_world.ledger, api_settings=ApiSettings())) as api:
        view = api.get(f"/api/v1/overseers/{H.OVERSIGHT}", params={"on": DAY.isoformat(), "limit": 500}).json()
    figures = dict(re.findall(r'id="fig-(\w+)" data-count="(\d+)"', page))
    assert figures == {"projects": "22", "awaiting": "8", "open": "1", "overdue": "24"}
    # awaiting: the plan filing, both allocations, the payments it neither approved nor flagged,
    # the progress report and the correction, oldest first (pay1 was approved, pay3 flagged)
    ids = site_world.ids
    awaiting = [i for _, i in rows(page, "awaiting", r'data-seq="(\d+)" data-id="(\w+)"')]
    assert awaiting == [e["id"] for e in view["awaiting"]["items"]]
    assert awaiting[1:] == [ids[k] for k in ("alloc1", "alloc2", "pay2", "pay4", "pay5", "progress1", "correction")]
    amounts = re.findall(r'data-minor="(\d+)"', table(page, "awaiting"))
    assert amounts == ["4000000", "2000000", "800000", "900000", "50000", "30000"]  # the correction repeats 300.00
    # its one flag, still open, on the audit fee
    assert rows(page, "findings", r'data-attestation="(\w+)" data-status="(\w+)"') == [(ids["flag"], "open")]
    assert "审计费用缺少合同" in table(page, "findings") and f'href="/ledger/{seq(site_world, "pay3")}"' in table(
        page, "findings"
    )
    assert [(f["attestation"], f["status"]) for f in view["findings"]] == [(ids["flag"], "open")]
    # overdue: every project's first progress disclosure but PUB's, and the annual reports of
    # the foundation and both implementers (not of the community group, which has no part here)
    overdue = rows(page, "overdue", r'data-rule="(\w+)" data-subject="([^"]+)" data-days="(\d+)"')
    assert overdue == [(i["rule"], i["subject"], str(i["days"])) for i in view["overdue"]]
    assert sorted(s for r, s, d in overdue if r == "annual_report") == sorted(
        f"{o}/2025" for o in (H.FOUNDATION, H.SERVICE_ORG, H.SERVICE_ORG_2)
    )
    assert sorted(s for r, s, d in overdue if r == "progress_disclosure") == sorted([DIR, *DIRECTED])
    assert {d for r, s, d in overdue} == {"5", "4"}
    assert re.findall(r'<li><a href="/projects/([^"]+)"', page[page.index('id="desk-projects"') :]) == view["projects"]
    assert 'id="risk-note"' in page and "near_threshold" not in page


def test_desk_pages_and_language(client, site_world, monkeypatch):
    monkeypatch.setattr(views, "DESK_PAGE", 3)
    first = client.get(f"/overseers/{H.OVERSIGHT}").text
    assert dict(re.findall(r'id="fig-(\w+)" data-count="(\d+)"', first))["awaiting"] == "3"
    assert 'id="fig-awaiting" data-count="3">3+<' in first
    seqs = [int(s) for s, _ in rows(first, "awaiting", r'data-seq="(\d+)" data-id="(\w+)"')]
    link = re.search(r'<a rel="next" href="([^"]+)"', first)
    assert link and link.group(1) == f"/overseers/{H.OVERSIGHT}?after={seqs[-1]}"
    second = client.get(html.unescape(link.group(1))).text
    more = [int(s) for s, _ in rows(second, "awaiting", r'data-seq="(\d+)" data-id="(\w+)"')]
    assert len(more) == 3 and more[0] > seqs[-1]
    # Chinese by default
    assert "监督工作台" in first and "逾期未公开事项" in first and "未解决" in text_of(table(first, "findings"))


def test_desk_of_unknown_organisations(client):
    r = client.get("/overseers/91440300MA5F99999X")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    assert client.get("/overseers/not-a-code").status_code == 404
    # registered, but oversees no project and made no finding: no desk, and its page links none
    idle = client.get(f"/overseers/{H.AUDITOR}?lang=en")
    assert idle.status_code == 404 and "text/html" in idle.headers["content-type"]
    assert "/overseers/" not in client.get(f"/organisations/{H.AUDITOR}").text


def test_an_organisations_deadlines_follow_the_log(tmp_path, monkeypatch):
    """The organisation page keeps what it computed of its deadlines for one state of the log:
    asked again it answers the same, and an append (a progress report that meets a due date)
    shows at once."""
    from tests.support.store_world import StoreWorld

    world = StoreWorld(tmp_path / "home")
    scans: list[str] = []
    real = views.scan_deadlines

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        scans.append(kwargs.get("org"))
        return real(*args, **kwargs)

    monkeypatch.setattr(views, "scan_deadlines", counted)
    path = f"/organisations/{H.FOUNDATION}?lang=en"
    due = r'data-rule="(\w+)" data-status="(\w+)" data-subject="([^"]+)"'
    with TestClient(create_app(world.ledger, api_settings=ApiSettings())) as client:
        before = rows(client.get(path).text, "org-deadlines", due)
        assert ("progress_disclosure", "overdue", world.PUB) in before
        assert rows(client.get(path).text, "org-deadlines", due) == before
        assert scans == [H.FOUNDATION]  # the second view computed nothing
        world.set_date("2026-05-20")
        world.append(world.implementer, "progress.reported", H.progress_data(world.PUB))
        after = rows(client.get(path).text, "org-deadlines", due)
    assert ("progress_disclosure", "overdue", world.PUB) not in after
    assert ("progress_disclosure", "overdue", world.DIR) in after
    assert scans == [H.FOUNDATION, H.FOUNDATION]
