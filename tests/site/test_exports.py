"""Journalists' data: the site-wide ledger export (CSV and XLSX) with its filters, the
per-project CSV with the same columns, the search by organisation name, the monthly in/out
chart and the timeline by business date."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from ledger.store.db import read_transaction
from ledger.store.reads.export import ExportFilter, export_rows
from public_site.exports import HEADER
from tests.domain import helpers as H
from tests.site.test_pages import DISBURSEMENT, DONATION, ENTRY, PUB, live_sum, scalar
from tests.site.world import TRICKY_PAYEE

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def rows_of(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    text = body.decode("utf-8")[1:]
    assert "\r\n" in text
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert tuple(reader.fieldnames or ()) == HEADER
    return list(reader)


def export(client, query: str = "") -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    r = client.get("/exports/ledger.csv" + query)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == 'attachment; filename="ledger.csv"'
    return rows_of(r.content)


def test_the_csv_has_every_entry_with_business_dates_payees_and_evidence(client, site_world):
    rows = export(client)
    assert len(rows) == scalar(site_world, select(func.count()).select_from(ENTRY))
    assert [int(r["seq"]) for r in rows] == sorted(int(r["seq"]) for r in rows)
    by_hash = {r["leaf_hash"]: r for r in rows}
    pay1 = by_hash[site_world.ids["pay1"]]
    assert {k: pay1[k] for k in HEADER if k not in ("seq", "log_time", "signer")} == {
        "leaf_hash": site_world.ids["pay1"],
        "type": "funds.disbursed",
        "business_date": "2026-04-20",
        "received_on": "",
        "allocated_on": "",
        "paid_on": "2026-04-20",
        "project": PUB,
        "signer_org": H.SERVICE_ORG,
        "signer_role": "implementer",
        "implementer": H.SERVICE_ORG,
        "amount": "15000.00",
        "currency": "CNY",
        "donor_type": "",
        "payee": "福田区长者饭堂",
        "purpose": "四月助餐补贴",
        "category": "program",
        "evidence": f"{H.sha('inv-1')} {H.sha('contract-1')}",
        "last_verdict": "approved",
        "corrected": "false",
        "corrected_by": "",
    }
    assert pay1["log_time"].startswith("2026-04-20T")
    assert by_hash[site_world.ids["pay3"]]["last_verdict"] == "flagged"
    mine = by_hash[site_world.receipt_id]
    assert (mine["received_on"], mine["donor_type"], mine["amount"]) == ("2026-03-21", "individual", "1234.50")
    typo = by_hash[site_world.donations["typo"]]
    assert typo["corrected"] == "true" and typo["corrected_by"] == site_world.ids["correction"]
    alloc = by_hash[site_world.ids["alloc2"]]
    assert (alloc["allocated_on"], alloc["implementer"], alloc["amount"]) == ("2026-04-02", H.SERVICE_ORG_2, "20000.00")
    progress = by_hash[site_world.ids["progress1"]]
    assert (progress["business_date"], progress["evidence"]) == ("2026-05-31", H.sha("photos-q1"))
    assert by_hash[site_world.ids["pay5"]]["payee"] == TRICKY_PAYEE


def test_no_donor_names_or_personal_data_in_any_export(client, site_world):
    # "mine" was given with a name and a phone number, kept in the donor store only
    for path in ("/exports/ledger.csv", "/exports/ledger.xlsx", f"/projects/{PUB}/entries.csv"):
        body = client.get(path).content
        for secret in ("王小明", "13800000000", site_world.receipt_code):
            assert secret.encode() not in body, (path, secret)
    book = load_workbook(io.BytesIO(client.get("/exports/ledger.xlsx").content), read_only=True)
    cells = {str(c) for row in book["ledger"].iter_rows(values_only=True) for c in row if c is not None}
    assert not any("王小明" in c or "13800000000" in c for c in cells)


def test_filters_narrow_the_rows(client, site_world):
    payments = export(client, "?type=funds.disbursed")
    assert sorted(r["amount"] for r in payments) == ["1200.00", "15000.00", "500.00", "8000.00", "9000.00"]
    big = export(client, "?type=funds.disbursed&min=9000&max=15000")
    assert sorted(r["leaf_hash"] for r in big) == sorted([site_world.ids["pay1"], site_world.ids["pay4"]])
    assert [r["amount"] for r in export(client, "?min=1234.5&max=1234.50")] == ["1234.50"]
    day = export(client, "?from=2026-04-02&to=2026-04-02")
    assert sorted(r["leaf_hash"] for r in day) == sorted([site_world.ids["alloc1"], site_world.ids["alloc2"]])
    # an organisation: entries it signed or that name it as implementer
    second = export(client, f"?org={H.SERVICE_ORG_2.lower()}&type=funds.disbursed")
    assert sorted(r["leaf_hash"] for r in second) == sorted([site_world.ids["pay4"], site_world.ids["pay5"]])
    named = export(client, f"?org={H.SERVICE_ORG_2}&type=funds.allocated")
    assert [r["leaf_hash"] for r in named] == [site_world.ids["alloc2"]]
    directed = export(client, "?project=P-D-00")
    assert [r["type"] for r in directed] == ["project.registered"]
    march = export(client, f"?project={PUB}&type=donation.received&from=2026-03-01&to=2026-03-31")
    assert len(march) == scalar(
        site_world, select(func.count()).select_from(DONATION).where(DONATION.c.received_on <= "2026-03-31")
    )
    # blank values are no filter
    assert len(export(client, "?org=&from=&min=")) == scalar(site_world, select(func.count()).select_from(ENTRY))


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("from=2026-13-01", "from"),
        ("to=yesterday", "to"),
        ("from=2026-05-01&to=2026-04-01", "to"),
        ("min=abc", "min"),
        ("min=1.234", "min"),
        ("max=99999999999999999", "max"),
        ("min=500&max=100", "max"),
        ("type=funds.stolen", "type"),
        ("org=NOTACODE", "org"),
        ("project=..%2Fetc", "project"),
        ("currency=XYZ&min=1", "currency"),
    ],
)
def test_bad_filters_are_a_bilingual_400_page(client, query, name):
    for path in ("/exports/ledger.csv", "/exports/ledger.xlsx", f"/projects/{PUB}/entries.csv"):
        if path.startswith("/projects") and name == "project":
            continue
        r = client.get(f"{path}?{query}")
        assert r.status_code == 400, (path, query, r.status_code)
        assert r.headers["content-type"].startswith("text/html")
        assert "filter_invalid" in r.text and f"筛选条件 {name}=" in r.text and f"The filter {name}=" in r.text


def test_the_xlsx_has_the_same_rows_with_numbers_and_dates(client, site_world):
    r = client.get("/exports/ledger.xlsx?type=funds.disbursed")
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    sheet = load_workbook(io.BytesIO(r.content))["ledger"]
    rows = list(sheet.iter_rows(values_only=True))
    head = [str(c).split(" ")[-1] for c in rows[0]]
    assert tuple(head) == HEADER
    records = [dict(zip(HEADER, row, strict=True)) for row in rows[1:]]
    assert len(records) == 5
    pay1 = next(x for x in records if x["leaf_hash"] == site_world.ids["pay1"])
    assert Decimal(str(pay1["amount"])) == Decimal("15000.00")
    assert pay1["paid_on"].date() == date(2026, 4, 20)
    assert (pay1["payee"], pay1["last_verdict"], pay1["corrected"]) == ("福田区长者饭堂", "approved", False)
    assert sheet.auto_filter.ref == f"A1:W{len(rows)}"
    total = sum(Decimal(str(x["amount"])) * 100 for x in records)
    assert total == live_sum(site_world, DISBURSEMENT, project=PUB)


def test_a_workbook_past_the_row_cap_is_refused_with_the_csv_named(client, site_world, monkeypatch):
    """Past XLSX_ROW_CAP rows the workbook is a bilingual 400 naming the CSV with the same
    filters (which still streams every row); at the cap and below it is built."""
    from public_site import exports

    cap = len(export(client, "?type=funds.disbursed"))
    everything = len(export(client))
    filtered = len(export(client, f"?project={PUB}&min=1"))
    assert everything > filtered > cap
    monkeypatch.setattr(exports, "XLSX_ROW_CAP", cap)
    for query, csv_link in (
        ("", "/exports/ledger.csv。"),
        (f"?org=&project={PUB}&min=1", f"/exports/ledger.csv?project={PUB}&amp;min=1.00&amp;currency=CNY"),
    ):
        r = client.get("/exports/ledger.xlsx" + query)
        assert r.status_code == 400 and r.headers["content-type"].startswith("text/html"), query
        assert "export_too_large" in r.text
        assert f"电子表格最多导出 {cap:,} 行" in r.text and f"at most {cap:,} rows" in r.text
        assert csv_link in r.text
    fits = client.get("/exports/ledger.xlsx?type=funds.disbursed")
    assert fits.status_code == 200 and fits.headers["content-type"] == XLSX
    assert len(list(load_workbook(io.BytesIO(fits.content))["ledger"].iter_rows())) == cap + 1
    assert len(export(client)) == everything  # the CSV has no cap


def test_the_project_csv_has_the_export_columns(client, site_world):
    r = client.get(f"/projects/{PUB}/entries.csv?type=funds.disbursed&min=9000")
    rows = rows_of(r.content)
    assert r.headers["content-disposition"] == f'attachment; filename="{PUB}-entries.csv"'
    assert sorted(x["amount"] for x in rows) == ["15000.00", "9000.00"]
    assert {x["payee"] for x in rows} == {"福田区长者饭堂"}
    # the project in the address wins over a project in the query
    assert len(rows_of(client.get(f"/projects/{PUB}/entries.csv?project=P-D-00").content)) == scalar(
        site_world, select(func.count()).select_from(ENTRY).where(ENTRY.c.project == PUB)
    )


def test_search_organisations_by_name(client):
    everyone = client.get("/organisations").text
    assert everyone.count('<tr><th scope="row"><a href="/organisations/') >= 4
    page = client.get("/organisations", params={"q": "组织0003"}).text
    found = re.findall(r'<tr><th scope="row"><a href="/organisations/([0-9A-Z]{18})"', page)
    assert found == [H.SERVICE_ORG_2]
    assert re.findall(
        r'<tr><th scope="row"><a href="/organisations/([0-9A-Z]{18})"',
        client.get("/organisations", params={"q": "organisation 0002", "lang": "en"}).text,
    ) == [H.SERVICE_ORG]
    assert re.findall(
        r'<tr><th scope="row"><a href="/organisations/([0-9A-Z]{18})"',
        client.get("/organisations", params={"q": H.FOUNDATION[:12].lower()}).text,
    ) == [H.FOUNDATION]
    none = client.get("/organisations", params={"q": "100%_无此", "lang": "zh-CN"})
    assert none.status_code == 200 and "没有匹配的组织" in none.text
    assert 'value="100%_无此"' in none.text


def test_monthly_chart_of_a_project_and_an_organisation(client, site_world):
    page = client.get(f"/projects/{PUB}").text
    chart = page[page.index('id="monthly"') :]
    assert 'role="img"' in chart[:600] and "aria-label=" in chart[:600]
    table = page[page.index('id="monthly-table"') : page.index("</table>", page.index('id="monthly-table"'))]
    months = dict(
        (m, (int(a), int(b)))
        for m, a, b in re.findall(
            r'<tr data-month="(\d{4}-\d{2})">.*?data-minor="(\d+)".*?data-minor="(\d+)"', table, flags=re.S
        )
    )
    march_in = scalar(
        site_world,
        select(func.sum(DONATION.c.amount_minor)).where(
            DONATION.c.corrected == False,  # noqa: E712
            DONATION.c.received_on.like("2026-03-%"),
        ),
    )
    assert months["2026-03"] == (march_in, 0)
    assert months["2026-04"] == (0, 3_370_000)  # the five payments of April, 33,700.00
    with read_transaction(site_world.ledger.engine) as conn:
        last_day = conn.execute(select(func.max(DONATION.c.received_on))).scalar_one()
    assert max(months) == max("2026-04", str(last_day)[:7])
    org = client.get(f"/organisations/{H.SERVICE_ORG_2}").text
    table = org[org.index('id="monthly-table"') :]
    assert re.search(r'<tr data-month="2026-04">.*?data-minor="0".*?data-minor="950000"', table, flags=re.S)
    assert f'href="/exports/ledger.csv?org={H.SERVICE_ORG_2}"' in org


def test_the_timeline_shows_the_business_date_with_the_log_time_beside_it(client, site_world):
    page = client.get(f"/projects/{PUB}?lang=en").text
    timeline = page[page.index('id="timeline"') : page.index("</ol>", page.index('id="timeline"'))]
    items = re.findall(r'<li[^>]*data-seq="(\d+)"(?: data-date="([0-9-]+)")?', timeline)
    dates = [d for _, d in items if d]
    assert dates == sorted(dates, reverse=True) and "2026-04-20" in dates
    assert "logged " in timeline and "CST" in timeline


def test_rows_read_in_a_small_first_chunk_then_bigger_ones_are_every_row_once(site_world):
    engine = site_world.ledger.engine
    whole = [r.seq for r in export_rows(engine, ExportFilter(), chunk=100_000, first=100_000)]
    pieces = [r.seq for r in export_rows(engine, ExportFilter(), chunk=7, first=2)]
    assert len(whole) > 9 and pieces == whole == sorted(set(whole))
