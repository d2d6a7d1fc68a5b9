"""The site as the product's app (``ledger.cli.app.create_app``) mounts it: pages, assets and the API
side by side."""

from __future__ import annotations

from litestar.testing import TestClient

from api.config import ApiSettings
from ledger.cli.app import create_app
from ledger.protocol.checkpoint import parse_witness_key
from tests.site.world import SiteWorld


def test_create_app_mounts_the_site(site_world: SiteWorld) -> None:
    app = create_app(
        site_world.ledger, api_settings=ApiSettings(witness_keys=(parse_witness_key(site_world.witness_key),))
    )
    with TestClient(app) as client:
        home = client.get("/")
        assert home.status_code == 200 and "慈善透明账本" in home.text
        assert home.headers["content-security-policy"].startswith("default-src 'self'; script-src 'self'")
        assert client.get("/static/verify.js").status_code == 200
        # site errors are pages, API errors stay problem details
        missing = client.get("/projects/NO-SUCH")
        assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
        assert client.get("/api/v1/projects/NO-SUCH").headers["content-type"].startswith("application/problem+json")
        verify = client.post("/verify", data={"code": site_world.receipt_code})
        assert verify.status_code == 200 and site_world.receipt_id in verify.text
        assert client.get("/api/v1/log/checkpoint").text.startswith(site_world.ledger.log.origin + "\n")
