"""The site links each evidence hash to its file when the store holds it for the public, says
"restricted" or "not uploaded" otherwise, in both languages, and offers the in-browser check."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from api.config import ApiSettings
from ledger.cli.app import create_app
from ledger.store.evidence import open_evidence
from tests.domain import helpers as H
from tests.evidence_files import pdf_bytes, png_with_text
from tests.support.store_world import StoreWorld


@pytest.fixture(scope="module")
def evidence_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str], StoreWorld]]:
    w = StoreWorld(Path(tmp_path_factory.mktemp("evsite")) / "home")
    store = open_evidence(w.ledger)
    public, _ = store.add(pdf_bytes("invoice 42"), "public", uploaded_by=w.implementer.id)
    restricted, _ = store.add(pdf_bytes("contract with home address"), "restricted", uploaded_by=w.implementer.id)
    photo, _ = store.add(png_with_text(), "public")
    shas = {
        "public": public.sha256,
        "restricted": restricted.sha256,
        "absent": hashlib.sha256(b"never sent").hexdigest(),
        "photo": photo.sha256,
    }
    pub = w.PUB
    w.append(w.fundraiser, "donation.received", H.donation_data(pub, "1000.00"))
    w.append(w.fundraiser, "funds.allocated", H.allocation_data(pub, "500.00"))
    w.append(
        w.implementer,
        "funds.disbursed",
        H.disbursement_data(pub, "120.00", evidence=[shas["public"], shas["restricted"], shas["absent"]]),
    )
    shas["pay_seq"] = str(w.seq - 1)
    w.append(
        w.implementer,
        "progress.reported",
        {
            "project": pub,
            "period_start": H.T0.date().isoformat(),
            "period_end": H.T0.date().isoformat(),
            "summary": "送餐",
            "beneficiaries": 3,
            "evidence": [shas["photo"]],
        },
    )
    with TestClient(create_app(w.ledger, api_settings=ApiSettings())) as client:
        yield client, shas, w


def evidence_spans(html: str) -> dict[str, str]:
    return dict(re.findall(r'<span class="evidence" data-evidence="([0-9a-f]{64})">(.*?)</output>', html, re.S))


def test_project_page_links_public_files_and_says_what_else_is_known(evidence_site) -> None:  # type: ignore[no-untyped-def]
    client, shas, w = evidence_site
    zh = client.get(f"/projects/{w.PUB}?lang=zh-CN").text
    spans = evidence_spans(zh)
    assert f'href="/evidence/{shas["public"]}"' in spans[shas["public"]]
    assert "查看文件" in spans[shas["public"]]
    assert "/evidence/" not in spans[shas["restricted"]] and "限制查阅" in spans[shas["restricted"]]
    assert "/evidence/" not in spans[shas["absent"]] and "未上传" in spans[shas["absent"]]
    assert f'href="/evidence/{shas["photo"]}"' in spans[shas["photo"]]  # the progress report's photo
    for sha in (shas["public"], shas["restricted"], shas["absent"]):
        assert f'<input type="file" data-sha256="{sha}">' in spans[sha]
    assert "/static/evidence-check.js?v=" in zh and 'id="evidence-messages"' in zh
    en = client.get(f"/projects/{w.PUB}?lang=en").text
    spans = evidence_spans(en)
    assert "restricted: held for overseers" in spans[shas["restricted"]]
    assert "not uploaded" in spans[shas["absent"]]
    assert "Check a file against this hash" in spans[shas["public"]]
    # the link works and serves the bytes that hash to the name
    served = client.get(f"/evidence/{shas['public']}")
    assert hashlib.sha256(served.content).hexdigest() == shas["public"]
    assert client.get(f"/evidence/{shas['restricted']}").status_code == 403


def test_entry_page_lists_its_evidence(evidence_site) -> None:  # type: ignore[no-untyped-def]
    client, shas, _w = evidence_site
    page = client.get(f"/ledger/{shas['pay_seq']}?lang=en").text
    section = page.split('id="evidence"', 1)[1].split("</section>", 1)[0]
    spans = evidence_spans(section)
    assert list(spans) == [shas["public"], shas["restricted"], shas["absent"]]
    assert f'href="/evidence/{shas["public"]}"' in spans[shas["public"]]
    assert "No match: this file is not the one the ledger names (its SHA-256 is %(hash)s)." in page
    assert "/static/evidence-check.js?v=" in section


def test_the_check_script_is_served(evidence_site) -> None:  # type: ignore[no-untyped-def]
    client, _shas, _w = evidence_site
    script = client.get("/static/evidence-check.js")
    assert script.status_code == 200 and "window.crypto.subtle" in script.text
    # hashes locally; the only request it makes reads a public file by its hash (GET)
    assert "SHA-256" in script.text and script.text.count("fetch(") == 1
    assert 'fetch("/evidence/" + sha, { credentials: "same-origin" })' in script.text
