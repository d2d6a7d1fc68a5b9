"""Route tests: every page renders, and the figures it shows are the projections' and the log's."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from datetime import date, datetime
from typing import Any

import pytest
from litestar.testing import TestClient
from markupsafe import escape
from sqlalchemy import func, select

from ledger.domain import rows as R
from ledger.protocol import merkle, tiles
from ledger.protocol.canonical import canonical_bytes
from ledger.protocol.checkpoint import verify_checkpoint, verify_cosignatures
from ledger.protocol.note import parse_note
from ledger.store.db import read_transaction
from ledger.store.export import log_vkey
from ledger.store.projection_tables import table_for
from public_site.i18n import CHINA
from tests.domain import helpers as H
from tests.site.world import EXTRA_PROJECTS, TRICKY_PAYEE, WITNESS_NAME, SiteWorld

DONATION = table_for(R.DonationRow)
ALLOCATION = table_for(R.AllocationRow)
DISBURSEMENT = table_for(R.DisbursementRow)
FUND = table_for(R.FundRow)
ENTRY = table_for(R.EntryRow)

PUB = H.World.PUB


def minor_of(page: str, element_id: str) -> int:
    match = re.search(rf'id="{element_id}"[^>]*data-minor="(-?\d+)"', page)
    assert match, f"no #{element_id} with data-minor"
    return int(match.group(1))


def text_of(page: str) -> str:
    page = re.sub(r"<script.*?</script>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def scalar(world: SiteWorld, stmt) -> int:  # type: ignore[no-untyped-def]
    with read_transaction(world.ledger.engine) as conn:
        return int(conn.execute(stmt).scalar_one() or 0)


def live_sum(world: SiteWorld, table, **where) -> int:  # type: ignore[no-untyped-def]
    conds = [table.c.corrected == False]  # noqa: E712
    conds += [table.c[k] == v for k, v in where.items()]
    return scalar(world, select(func.sum(table.c.amount_minor)).where(*conds))


# --- the home page ----------------------------------------------------------------------------


def test_home_totals_are_the_sums_of_the_project_funds(client, site_world):
    r = client.get("/")
    assert r.status_code == 200
    page = r.text
    raised = scalar(site_world, select(func.sum(FUND.c.raised_minor)))
    assert raised == live_sum(site_world, DONATION) > 0
    for name, column in (
        ("raised", FUND.c.raised_minor),
        ("allocated", FUND.c.allocated_minor),
        ("disbursed", FUND.c.disbursed_minor),
    ):
        expected = scalar(site_world, select(func.sum(column)))
        assert re.search(rf'data-minor="{expected}"', page), name
    assert "¥79,734.17" in page  # 80,100.17 received, 300.00 reversed, 66.00 after: see world.py
    assert raised == 7_973_417
    # the latest checkpoint and who cosigned the witnessed one
    size = site_world.ledger.log.head().size
    assert f"{size:,}" in text_of(page)
    assert WITNESS_NAME in page


def test_pages_are_chinese_by_default_and_switch_to_english(client):
    page = client.get("/").text
    assert '<html lang="zh-CN">' in page and "慈善透明账本" in page and "查验我的捐赠" in page
    r = client.get("/projects?lang=en")
    assert '<html lang="en">' in r.text and "Verify my donation" in r.text
    assert "lang=en" in r.headers.get("set-cookie", "")
    assert r.headers["content-language"] == "en"
    # the cookie keeps the choice on the next page
    page = client.get(f"/projects/{PUB}").text
    assert '<html lang="en">' in page and "Where the money went" in page
    # dates and amounts per locale
    assert "Mar 1, 2026" in page and "¥500,000.00" in page
    page = client.get(f"/projects/{PUB}?lang=zh-CN").text
    assert '<html lang="zh-CN">' in page and "2026年3月1日" in page and "¥500,000.00" in page and "资金去向" in page


def test_every_page_links_both_languages(client):
    for url in (
        "/",
        "/projects",
        f"/projects/{PUB}",
        "/verify",
        "/ledger",
        "/ledger/3",
        "/checkpoints",
        "/how-to-verify",
        "/reports",
        "/organisations",
        f"/overseers/{H.OVERSIGHT}",
    ):
        page = client.get(url).text
        assert 'hreflang="en"' in page and 'hreflang="zh-CN"' in page, url


# --- projects ---------------------------------------------------------------------------------


def project_ids(page: str) -> list[str]:
    return re.findall(r'<tr data-project="([^"]+)"', page)


def test_projects_filters_sorting_and_pages(client):
    page = client.get("/projects").text
    assert f"{EXTRA_PROJECTS + 2}" in text_of(page)
    assert len(project_ids(page)) == 20
    second = client.get("/projects?page=2").text
    assert len(project_ids(second)) == EXTRA_PROJECTS + 2 - 20
    assert not set(project_ids(page)) & set(project_ids(second))

    assert project_ids(client.get("/projects?directed=no").text) == [PUB]
    directed = project_ids(client.get("/projects?directed=yes&page=1").text)
    assert PUB not in directed and len(directed) == 20
    education = project_ids(client.get("/projects?field=education").text)
    assert education and all(p.startswith("P-D-") for p in education)
    assert len(education) == len(range(0, EXTRA_PROJECTS, 5))
    futian = project_ids(client.get("/projects?region=440304").text)
    assert set(futian) == {PUB, H.World.DIR}
    # organisation in any role: the second implementer is in every project
    assert len(project_ids(client.get(f"/projects?org={H.SERVICE_ORG_2}&page=2").text)) == 2
    assert set(project_ids(client.get(f"/projects?org={H.SERVICE_ORG}").text)) == {PUB, H.World.DIR}
    assert project_ids(client.get("/projects?status=closed").text) == []
    assert project_ids(client.get("/projects?q=Directed%20project%2007").text) == ["P-D-07"]
    assert project_ids(client.get("/projects?q=定向项目1").text) == [f"P-D-{n}" for n in range(19, 9, -1)]
    assert project_ids(client.get("/projects?sort=raised").text)[0] == PUB
    ending = project_ids(client.get("/projects?sort=title&lang=zh-CN").text)
    assert ending[0] == "P-D-00"
    # nonsense parameters are ignored, not errors
    assert client.get("/projects?field=%3Cx%3E&page=-4&sort=zzz&org=lower").status_code == 200


def test_project_figures_match_the_projections(client, site_world):
    page = client.get(f"/projects/{PUB}").text
    raised = live_sum(site_world, DONATION, project=PUB)
    allocated = live_sum(site_world, ALLOCATION, project=PUB)
    disbursed = live_sum(site_world, DISBURSEMENT, project=PUB)
    assert minor_of(page, "fig-raised") == raised == 7_973_417
    assert minor_of(page, "fig-allocated") == allocated == 6_000_000
    assert minor_of(page, "fig-disbursed") == disbursed == 3_370_000
    assert minor_of(page, "fig-balance") == raised - disbursed
    for category in ("program", "admin", "fundraising_cost"):
        expected = live_sum(site_world, DISBURSEMENT, project=PUB, category=category)
        assert re.search(rf'data-category="{category}">.*?data-minor="{expected}"', page, flags=re.S), category
    # the fund-flow table: what donors gave adds up to what was raised; what went out of the
    # project adds up to it too (allocations + not yet allocated)
    table = page[page.index('id="flow-table"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(
        r'<tr data-from="[^"]*" data-to="[^"]*"><td data-label="[^"]*">(.*?)</td><td data-label="[^"]*">(.*?)</td>'
        r'<td class="num money" data-label="[^"]*" data-minor="(\d+)"',
        table,
    )
    title = "长者助餐计划"
    into = sum(int(m) for a, b, m in rows if b == title)
    out = sum(int(m) for a, b, m in rows if a == title)
    assert into == out == raised
    # the SVG has a path per link, with widths from the same amounts
    assert page.count('class="flow-link') == len(rows)


def test_project_lists_payments_progress_verdicts_and_disclosures(client, site_world):
    page = client.get(f"/projects/{PUB}?lang=en").text
    ids = site_world.ids
    seq = {k: site_world.ledger.log.seq_of(v) for k, v in ids.items()}
    text = text_of(page)
    for h in (H.sha("inv-1"), H.sha("contract-1"), H.sha("inv-3")):
        assert f'title="{h}"' in page  # evidence hashes in full
    assert f'href="/ledger/{seq["progress1"]}"' in page and "240 beneficiaries" in text
    assert "Flagged" in text and "Approved" in text and "审计费用缺少合同" in text
    # disclosures: the first quarter was reported on time, the second never
    statuses = re.findall(r'data-rule="progress_disclosure" data-status="(\w+)"', page)
    assert statuses[0] == "on_time" and statuses[1] == "missing"
    today = datetime.now(CHINA).date()
    assert statuses[2] == ("due" if today <= date(2026, 12, 1) else "missing")
    assert re.search(r'data-rule="plan_filing" data-status="on_time"', page)
    assert re.search(r'data-rule="final_disclosure" data-status="due"', page)
    # the reversed donation is shown as corrected in the timeline
    assert 'class="corrected"' in page


def test_user_text_is_escaped(client):
    page = client.get(f"/projects/{PUB}").text
    assert "<script>alert(1)</script>" not in page
    assert "A&amp;B &lt;script&gt;alert(1)&lt;/script&gt; 平台" in page
    assert TRICKY_PAYEE in text_of(page)


def test_unknown_project_is_a_404_page(client):
    r = client.get("/projects/NO-SUCH-PROJECT")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    assert "未找到" in r.text and "NO-SUCH-PROJECT" in r.text


def test_downloads_hold_every_entry_of_the_project(client, site_world):
    count = scalar(site_world, select(func.count()).select_from(ENTRY).where(ENTRY.c.project == PUB))
    r = client.get(f"/projects/{PUB}/entries.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith("\ufeffseq,leaf_hash,".encode())  # a BOM, so Excel reads the Chinese
    lines = r.text.lstrip("\ufeff").strip().split("\r\n")
    assert len(lines) == count + 1 and lines[0].startswith("seq,leaf_hash,")
    assert any(",funds.disbursed," in line and ",15000.00,CNY," in line for line in lines)
    r = client.get(f"/projects/{PUB}/entries.json")
    body = json.loads(r.content)
    assert body["project"] == PUB and len(body["entries"]) == count
    for e in body["entries"]:
        # the embedded leaf is the signed leaf: its canonical bytes hash to the entry id
        assert hashlib.sha256(b"\x00" + canonical_bytes(e["leaf"])).hexdigest() == e["leaf_hash"]
        assert e["leaf"]["seq"] == e["seq"]


# --- organisations ----------------------------------------------------------------------------


def test_organisation_page_figures(client, site_world):
    page = client.get(f"/organisations/{H.FOUNDATION}").text
    income = live_sum(site_world, DONATION, fundraiser_org=H.FOUNDATION)
    assert re.search(rf'<tr data-year="2026">.*?data-minor="{income}"', page, flags=re.S)
    assert 'id="qualification">是<' in page
    assert "无保留意见" in page and H.sha("audit-2025")[:16] in page
    flagged = site_world.ledger.log.seq_of(site_world.ids["pay3"])
    flags = page[page.index('id="flags"') :]
    assert f'href="/ledger/{flagged}"' in flags[: flags.index("</ul>")]
    page = client.get(f"/organisations/{H.SERVICE_ORG}").text
    spent = live_sum(site_world, DISBURSEMENT, implementer=H.SERVICE_ORG)
    assert re.search(rf'<tr data-year="2026">.*?data-minor="0".*?data-minor="{spent}"', page, flags=re.S)
    assert client.get("/organisations/NOTACODE").status_code == 404


# --- verify my donation -----------------------------------------------------------------------


def proof_data(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="proof-data">(.*?)</script>', page, flags=re.S)
    assert match
    return json.loads(match.group(1))


def from_tiles(client: TestClient, d: dict[str, Any]) -> dict[str, Any]:
    """A page of the log being appended to names its tiles, not a proof: read the latest
    checkpoint and build the proof from the tiles, as static/verify.js does in the browser."""
    assert "proof" not in d and "note" not in d and "size" not in d
    note = client.get(d["tiles"] + "checkpoint").text
    size = int(parse_note(note).text.split("\n")[1])

    def fetch(tile: tiles.Tile) -> bytes:
        r = client.get(d["tiles"] + tile.path)
        assert r.status_code == 200, tile.path
        return r.content

    proof = merkle.inclusion_proof(d["index"], size, tiles.TileNodes(size, fetch))
    return {**d, "note": note, "size": size, "proof": [h.hex() for h in proof]}


def test_verify_page_shows_the_donation_trace_and_a_checkable_proof(client, site_world):
    r = client.post("/verify", data={"code": site_world.receipt_code.lower()})
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    page = r.text
    assert site_world.receipt_code not in page and site_world.receipt_code.lower() not in page
    assert minor_of(page, "don-amount") == 123_450
    assert site_world.receipt_id in page
    unallocated, allocated = minor_of(page, "tr-unallocated"), minor_of(page, "tr-allocated")
    disbursed, undisbursed = minor_of(page, "tr-disbursed"), minor_of(page, "tr-undisbursed")
    assert unallocated + allocated == 123_450 and allocated == disbursed + undisbursed
    parts = re.findall(
        r'<td class="num money" data-label="[^"]*" data-minor="(\d+)">', page[page.index('id="trace-payments"') :]
    )
    assert sum(map(int, parts)) == disbursed > 0
    # the proof data checks out with the ledger's own verifiers
    d = proof_data(page)
    leaf = base64.b64decode(d["leaf_b64"])
    assert leaf == site_world.ledger.log.leaf(site_world.receipt_seq)
    assert d["index"] == site_world.receipt_seq and d["size"] == site_world.witnessed_size
    assert merkle.leaf_hash(leaf).hex() == d["leaf_hash"] == site_world.receipt_id
    checkpoint = verify_checkpoint(d["note"], d["vkey"])
    merkle.verify_inclusion(
        merkle.leaf_hash(leaf), d["index"], d["size"], [bytes.fromhex(h) for h in d["proof"]], checkpoint.root
    )
    assert [c.name for c in verify_cosignatures(d["note"], d["witnesses"])] == [WITNESS_NAME]
    assert d["vkey"] == log_vkey(site_world.ledger.log)
    assert hashlib.sha256(base64.b64decode(d["signer_public_key"])).hexdigest() == d["signer"]


@pytest.mark.parametrize(
    ("code", "status", "message"),
    [
        ("not a code", 400, "收据码"),
        ("D25-AAAQEAYEAUDAOCAJBIFQYDIOB4-Z", 400, "收据码"),
    ],
)
def test_verify_refuses_bad_codes(client, code, status, message):
    r = client.post("/verify", data={"code": code})
    assert r.status_code == status and message in r.text and 'role="alert"' in r.text


def test_verify_refuses_a_code_with_another_salt(client, site_world):
    from ledger.domain.privacy import format_receipt_code

    r = client.post("/verify", data={"code": format_receipt_code(site_world.receipt_seq, b"\x07" * 16), "lang": "en"})
    assert r.status_code == 404 and 'role="alert"' in r.text


# --- the ledger -------------------------------------------------------------------------------


def test_ledger_explorer_filters_and_pages(client, site_world):
    page = client.get("/ledger?type=funds.disbursed").text
    types = re.findall(r'data-type="([a-z._]+)"', page)
    assert types == ["funds.disbursed"] * 5
    page = client.get(f"/ledger?project={PUB}").text
    count = scalar(site_world, select(func.count()).select_from(ENTRY).where(ENTRY.c.project == PUB))
    assert len(re.findall(r'data-type="', page)) == count
    first = client.get("/ledger").text
    assert len(re.findall(r'data-type="', first)) == 50
    nxt = re.search(r'rel="next" href="([^"]+)"', first)
    assert nxt
    second = client.get(html.unescape(nxt.group(1))).text
    seqs_1 = [int(s) for s in re.findall(r'<td data-label="#"><a href="/ledger/(\d+)">', first)]
    seqs_2 = [int(s) for s in re.findall(r'<td data-label="#"><a href="/ledger/(\d+)">', second)]
    assert seqs_1 == sorted(seqs_1, reverse=True) and seqs_2 and max(seqs_2) < min(seqs_1)
    assert client.get("/ledger?cursor=garbage").status_code == 400


def test_entry_page_shows_the_leaf_signature_signer_and_links(client, site_world):
    log = site_world.ledger.log
    seq = log.seq_of(site_world.ids["approve"])
    page = client.get(f"/ledger/{seq}").text
    raw = log.leaf(seq)
    leaf = json.loads(raw)
    assert str(escape(raw.decode())) in page
    assert leaf["sig"] in page
    assert "监督方" in page and f'href="/organisations/{H.OVERSIGHT}"' in page
    target = log.seq_of(site_world.ids["pay1"])
    assert f'href="/ledger/{target}"' in page
    # the payment names the attestation that approved it
    page = client.get(f"/ledger/{target}").text
    assert f'href="/ledger/{seq}"' in page and "通过" in page
    d = from_tiles(client, proof_data(page))
    checkpoint = verify_checkpoint(d["note"], d["vkey"])
    merkle.verify_inclusion(
        bytes.fromhex(d["leaf_hash"]), target, d["size"], [bytes.fromhex(h) for h in d["proof"]], checkpoint.root
    )
    assert client.get("/ledger/999999").status_code == 404


def test_checkpoints_page_names_the_witness_and_verifies_it(client, site_world):
    page = client.get("/checkpoints").text
    assert log_vkey(site_world.ledger.log) in page
    row = re.search(rf'<tr data-size="{site_world.witnessed_size}">(.*?)</tr>', page, flags=re.S)
    assert row and WITNESS_NAME in row.group(1) and "✓" in row.group(1)
    assert "charity-ledger verify" in client.get("/how-to-verify").text


def test_reports_page_lists_published_reports(client, site_world):
    page = client.get("/reports").text
    assert "annual-work-report" in page and "report.pdf" in page and H.sha("pdf")[:12] in page
    assert f'href="/organisations/{H.FOUNDATION}"' in page


# --- qualities --------------------------------------------------------------------------------

PAGES = (
    "/",
    "/projects",
    f"/projects/{PUB}",
    f"/organisations/{H.FOUNDATION}",
    "/verify",
    "/ledger",
    "/ledger/30",
    "/checkpoints",
    "/how-to-verify",
    "/reports",
    "/organisations",
    f"/overseers/{H.OVERSIGHT}",
)


@pytest.mark.parametrize("url", PAGES)
def test_pages_load_nothing_from_elsewhere_and_stay_small(client, url):
    check_self_contained_and_small(client, url)


def check_self_contained_and_small(client, url: str) -> None:  # type: ignore[no-untyped-def]
    """The page answers 200 under the site's CSP, links no asset or page of another site, has
    no inline style, and weighs under 300 KB with its assets."""
    r = client.get(url)
    assert r.status_code == 200
    page = r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page), "a link or asset from another site"
    assert " style=" not in page and "<style" not in page  # the CSP allows no inline style
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    total = len(r.content) + sum(len(client.get(a).content) for a in set(assets))
    assert total < 300_000, total
    for a in set(assets):
        assert client.get(a).status_code == 200


def test_a_project_counts_its_entries_and_payments_exactly_up_to_the_cap(
    client: TestClient, site_world: SiteWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The link under the timeline says how many entries there are; past the page's cap it says
    "more than" the cap (the count never reads past it), in both languages."""
    from public_site import views

    entries = scalar(site_world, select(func.count()).select_from(ENTRY).where(ENTRY.c.project == PUB))
    payments = scalar(site_world, select(func.count()).select_from(DISBURSEMENT).where(DISBURSEMENT.c.project == PUB))
    assert entries > payments > 1
    exact = text_of(client.get(f"/projects/{PUB}", headers={"Accept-Language": "en"}).text)
    assert f"All {entries} entries of this project in the ledger" in exact
    monkeypatch.setattr(views, "COUNT_CAP", payments - 1)
    capped = text_of(client.get(f"/projects/{PUB}", headers={"Accept-Language": "en"}).text)
    assert f"More than {payments - 1} entries of this project in the ledger" in capped
    assert "All " + str(entries) not in capped
    zh = text_of(client.get(f"/projects/{PUB}", headers={"Accept-Language": "zh-CN"}).text)
    assert f"在账本中查看该项目的全部条目（超过 {payments - 1} 个）" in zh
