"""The donor's certificate on /verify (a PDF built on request) has a rate limit of its own per
client address, counted before the code is read, and everything a client can send wrong is a
typed error page in both languages, never a 500 and never a PDF."""

from __future__ import annotations

import os

import pytest
import redis
from litestar.testing import TestClient

from api.config import ApiSettings
from public_site import receipts
from tests.site.conftest import make_app
from tests.site.world import SiteWorld

CERT = "/verify/certificate"


def _refused(r, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("text/html")
    assert not r.content.startswith(b"%PDF")
    assert code in r.text


def test_certificates_past_the_burst_are_refused_before_anything_is_built(
    site_world: SiteWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[str] = []
    real = receipts._certificate

    def counting(ledger, code, site):  # type: ignore[no-untyped-def]
        built.append(code)
        return real(ledger, code, site)

    monkeypatch.setattr(receipts, "_certificate", counting)
    with TestClient(make_app(site_world)) as client:
        pdf = client.post(CERT, data={"code": site_world.receipt_code})
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        for _ in range(receipts.CERTIFICATE_BURST - 1):
            _refused(client.post(CERT, data={"code": "D1-NOTACODE-X"}), 400, "receipt_code")
        assert len(built) == 1  # malformed codes are refused before a PDF is started, yet counted
        late = client.post(CERT, data={"code": site_world.receipt_code}, headers={"Accept-Language": "en"})
        _refused(late, 429, "certificate_rate_limited")
        assert int(late.headers["retry-after"]) >= 1
        assert "Too many certificates asked for from" in late.text and "证书申请过多" in late.text
        assert len(built) == 1  # the refused genuine code was never built
        assert client.post("/verify", data={"code": site_world.receipt_code}).status_code == 200  # look-ups go on


def test_the_count_is_shared_by_every_process_through_the_store(site_world: SiteWorld) -> None:
    """Two app processes on one Redis store: the burst is counted across both."""
    url = os.environ.get("CHARITY_LEDGER_TEST_REDIS_URL")
    if not url:
        pytest.skip("CHARITY_LEDGER_TEST_REDIS_URL is not set")
    store = redis.Redis.from_url(url)
    for key in store.scan_iter("*charity-ledger-certificates*testclient*"):  # an earlier run's count
        store.delete(key)
    first, second = make_app(site_world), make_app(site_world)
    for app in (first, second):
        app.state.api_settings = ApiSettings(rate_limit_store=url)
    with TestClient(first) as a, TestClient(second) as b:
        for n in range(receipts.CERTIFICATE_BURST):
            r = (a if n % 2 == 0 else b).post(CERT, data={"code": "D1-X-Y"})
            _refused(r, 400, "receipt_code_invalid")
        _refused(b.post(CERT, data={"code": "D1-X-Y"}), 429, "certificate_rate_limited")


@pytest.mark.parametrize(
    ("send", "status", "code"),
    [
        ({"data": {}}, 400, "receipt_code_invalid"),
        ({"data": {"code": ""}}, 400, "receipt_code_invalid"),
        ({"data": {"code": "x" * 5000}}, 400, "receipt_code_invalid"),
        ({"data": {"code": "D\uff11\uff12-\u0000-Z"}}, 400, "receipt_code_invalid"),
        ({"data": {"code": "D1-AAAQEAYEAUDAOCAJBIFQYDIOB4-H"}}, 400, "receipt_code_checksum"),
        ({"json": {"code": "D1-ABC-Z"}}, 400, "receipt_code_invalid"),
        (
            {"content": b"\xff\xfe\x00code=%zz", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
            400,
            "receipt_code_invalid",
        ),
        ({"files": {"code": ("c.txt", b"D1-ABC-Z", "text/plain")}}, 400, "receipt_code_invalid"),
    ],
)
def test_a_clients_mistakes_are_typed_bilingual_pages(site_world: SiteWorld, send, status, code) -> None:  # type: ignore[no-untyped-def]
    with TestClient(make_app(site_world)) as client:
        r = client.post(CERT, **send)
    assert r.status_code < 500 and r.status_code == status, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("text/html") and not r.content.startswith(b"%PDF")
    assert f'<code class="small">{code}</code>' in r.text
    assert "is not a receipt code" in r.text or "check character" in r.text or "typing" in r.text.lower()
    assert "查询码" in r.text
