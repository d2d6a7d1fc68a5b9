"""Evidence from the workbench: a signed-in person uploads the file behind an entry with the
session's CSRF token; restricted files are read by overseers, regulators and the uploader's own
organisation, never by the public or another charity; hostile files are refused and nothing is
kept."""

from __future__ import annotations

import hashlib
import re

from litestar.testing import TestClient
from sqlalchemy import func, select

from ledger.domain.uscc import make_uscc
from ledger.store import accounts as A
from ledger.store.evidence import TABLE as EVIDENCE
from ledger.store.evidence import EvidenceStore, open_evidence
from tests.evidence_files import exif_jpeg, pdf_bytes, polyglot_pdf_zip
from tests.workbench.conftest import CHARITY, PASSWORD, Registry, csrf_of, make_app, sign_in

OTHER_CHARITY = make_uscc("52440300MJL00102B")


def _token(client: TestClient) -> str:
    return csrf_of(client.get("/workbench/entries/new/funds.disbursed").text)


def _upload(client: TestClient, data: bytes, name: str, visibility: str = "public", token: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"X-CSRF-Token": token if token is not None else _token(client)}
    return client.post(
        "/workbench/api/evidence",
        files={"file": (name, data, "application/octet-stream")},
        data={"visibility": visibility},
        headers=headers,
    )


def _held(registry: Registry) -> int:
    with registry.ledger.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(EVIDENCE)).scalar_one())


def _client(registry: Registry, login: str) -> TestClient:
    client = TestClient(make_app(registry.ledger), base_url="http://127.0.0.1:8000")
    client.__enter__()
    sign_in(client, login)
    return client


def _account(registry: Registry, login: str, roles: list[str], organisation: str | None) -> None:
    code = A.invite(
        registry.ledger.engine, login=login, display_name=login, organisation=organisation, roles=roles, actor=None
    )
    A.accept_invitation(registry.ledger.engine, code, PASSWORD)


def test_staff_upload_an_invoice_and_the_public_reads_it(registry: Registry) -> None:
    _account(registry, "clerk", ["staff"], CHARITY)
    clerk = _client(registry, "clerk")
    invoice = pdf_bytes("Invoice 2026-001: 12,000.00 CNY")
    answer = _upload(clerk, invoice, "invoice.pdf")
    assert answer.status_code == 201, answer.text
    assert answer.json() == {
        "sha256": hashlib.sha256(invoice).hexdigest(),
        "size": len(invoice),
        "media_type": "application/pdf",
        "visibility": "public",
    }
    # the same file again: the record it already has
    assert _upload(clerk, invoice, "invoice.pdf").status_code == 200
    public = TestClient(make_app(registry.ledger)).get(f"/evidence/{answer.json()['sha256']}")
    assert public.status_code == 200 and public.content == invoice
    audit = [(r.action, r.detail.split()[0]) for r in A.audit_log(registry.ledger.engine)]
    assert ("evidence_uploaded", answer.json()["sha256"]) in audit


def test_a_photo_is_kept_without_its_metadata(registry: Registry) -> None:
    _account(registry, "clerk", ["staff"], CHARITY)
    clerk = _client(registry, "clerk")
    photo = exif_jpeg()
    answer = _upload(clerk, photo, "site.jpg").json()
    assert answer["media_type"] == "image/jpeg" and answer["sha256"] != hashlib.sha256(photo).hexdigest()
    served = TestClient(make_app(registry.ledger)).get(f"/evidence/{answer['sha256']}").content
    assert hashlib.sha256(served).hexdigest() == answer["sha256"]
    assert b"PhoneMaker" not in served and b"GPS" not in served


def test_restricted_evidence_is_for_overseers_regulators_and_the_uploaders(registry: Registry) -> None:
    org = CHARITY
    _account(registry, "clerk", ["staff"], org)
    _account(registry, "colleague", ["fundraiser"], org)
    _account(registry, "officer", ["regulator"], None)
    _account(registry, "stranger", ["staff"], OTHER_CHARITY)
    original = pdf_bytes("Contract with Zhang San, ID 440301199001011234")
    sha = _upload(_client(registry, "clerk"), original, "contract.pdf", "restricted").json()["sha256"]

    assert TestClient(make_app(registry.ledger)).get(f"/evidence/{sha}").status_code == 403
    for login in ("officer", "colleague"):
        got = _client(registry, login).get(f"/workbench/evidence/{sha}")
        assert got.status_code == 200 and got.content == original
        assert got.headers["cache-control"] == "private, no-store"
    refused = _client(registry, "stranger").get(f"/workbench/evidence/{sha}")
    assert refused.status_code == 403 and "仅供监督方和主管部门查阅" in refused.text
    # signed out: sent to sign in, nothing served
    anonymous = TestClient(make_app(registry.ledger)).get(f"/workbench/evidence/{sha}", follow_redirects=False)
    assert anonymous.status_code in (303, 401) and original not in anonymous.content


def test_refused_uploads_keep_nothing(registry: Registry) -> None:
    _account(registry, "clerk", ["staff"], CHARITY)
    _account(registry, "officer", ["regulator"], None)
    clerk = _client(registry, "clerk")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    cases = [
        (_upload(clerk, svg, "photo.png"), 422),  # an SVG with a script behind an image's name
        (_upload(clerk, polyglot_pdf_zip(), "invoice.pdf"), 422),  # a PDF that is also a ZIP
        (_upload(clerk, b"%PDF-1.4 but not really", "invoice.jpg"), 422),  # the name claims another type
        (_upload(clerk, pdf_bytes("x"), "x.pdf", visibility="secret"), 400),
        (_upload(clerk, pdf_bytes("x"), "x.pdf", token="forged-token-" + "x" * 30), 403),  # no CSRF token
        (_upload(_client(registry, "officer"), pdf_bytes("x"), "x.pdf"), 403),  # not an organisation's staff
    ]
    # a registry whose limit is 1,000 bytes (CHARITY_LEDGER_EVIDENCE_MAX_BYTES): a larger file is refused
    store = open_evidence(registry.ledger)
    registry.ledger.__dict__["_evidence_store"] = EvidenceStore(store.engine, store.backend, max_bytes=1000)
    big = pdf_bytes("x" * 2000)
    cases.append((_upload(clerk, big, "big.pdf"), 413))
    for answer, status in cases:
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert cases[-1][0].json()["code"] == "evidence_too_large"
    assert _held(registry) == 0


def test_every_evidence_field_of_a_form_can_take_an_upload(registry: Registry) -> None:
    """Payments, progress reports and filings: each evidence list and each single file hash has
    its upload box, aimed at its own control."""
    _account(registry, "clerk", ["staff"], CHARITY)
    clerk = _client(registry, "clerk")
    for type_name, fields in {
        "funds.disbursed": ["evidence"],
        "progress.reported": ["evidence", "publication_sha256"],
        "audit.opinion": ["report_sha256"],
        "sz.donation_filed": ["intent_sha256", "declaration_sha256", "property_list_sha256"],
    }.items():
        page = clerk.get(f"/workbench/entries/new/{type_name}").text
        boxes = re.findall(
            r'<div class="wb-field" data-field="([a-z0-9_]+)">(?:(?!<div class="wb-field").)*?class="wb-upload"',
            page,
            re.S,
        )
        assert boxes == fields, (type_name, boxes)
        for name in fields:
            assert f'data-target="main-f-{name}"' in page or f'data-target="main-{name}"' in page


def test_the_upload_hint_says_what_happens_to_the_hash_per_field_kind(registry: Registry) -> None:
    """An evidence list gets the hash added; a single file-hash field gets it written over
    whatever it held (what static/workbench/forms.js does): the hint and button say which."""
    _account(registry, "clerk", ["staff"], CHARITY)
    clerk = _client(registry, "clerk")
    page = clerk.get("/workbench/entries/new/progress.reported").text
    boxes = dict(
        re.findall(
            r'<div class="wb-field" data-field="([a-z0-9_]+)">(?:(?!<div class="wb-field").)*?'
            r'class="wb-upload">(.*?)</div>',
            page,
            re.S,
        )
    )
    assert set(boxes) == {"evidence", "publication_sha256"}
    listed, single = boxes["evidence"], boxes["publication_sha256"]
    assert "added to the list above" in listed and "加入上面的列表" in listed
    assert "Upload and add" in listed
    assert "added to the list" not in single and "加入上面的列表" not in single
    assert "fills the field above and replaces any hash already there" in single
    assert "填入上面的栏，替换栏中原有的哈希" in single
    assert "Upload and fill in" in single and "Upload and add" not in single
