"""What every response has: security headers, problem details for errors, no CORS unless asked,
an OpenAPI schema with operation ids and examples; and 500s only for real bugs, without internals."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.testing import TestClient

from api import queries
from ledger.errors import CATALOGUE

HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/log/checkpoint", 200),
        ("GET", "/api/v1/entries", 200),
        ("GET", "/api/v1/nothing-here", 404),
        ("DELETE", "/api/v1/entries", 405),
        ("POST", "/api/v1/entries", 415),
        ("GET", "/api/v1/log/proof/inclusion", 400),
        ("GET", "/api/v1/regulator/open-findings", 401),
    ],
)
def test_security_headers_on_every_response(shared_client: TestClient, method: str, path: str, status: int) -> None:
    response = shared_client.request(method, path)
    assert response.status_code == status
    for name, value in HEADERS.items():
        assert response.headers[name] == value
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert "access-control-allow-origin" not in response.headers


def test_errors_are_problem_details(shared_client: TestClient) -> None:
    response = shared_client.get("/api/v1/nothing-here")
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "/api/v1/problems/route_not_found",
        "title": "Not Found",
        "status": 404,
        "detail": "There is nothing at /api/v1/nothing-here; see /schema for the API.",
        "code": "route_not_found",
        "message_zh": "/api/v1/nothing-here 不存在，请查看 /schema 中的接口说明。",
        "params": {"path": "/api/v1/nothing-here"},
        "instance": "/api/v1/nothing-here",
    }
    wrong_method = shared_client.delete("/api/v1/entries").json()
    assert (wrong_method["status"], wrong_method["code"]) == (405, "method_not_allowed")


def test_problem_catalogue(shared_client: TestClient) -> None:
    listing = shared_client.get("/api/v1/problems").json()["items"]
    codes = {p["code"]: p for p in listing}
    assert set(codes) == set(CATALOGUE)
    assert codes["unknown_signer"]["status"] == 422 and codes["unknown_signer"]["kind"] == "refused"
    assert codes["idem_conflict"]["status"] == 409
    assert codes["rate_limited"]["status"] == 429
    assert codes["not_authenticated"]["status"] == 401
    assert codes["insufficient_funds"]["status"] == 422 and codes["insufficient_funds"]["message_zh"]
    one = shared_client.get("/api/v1/problems/idem_conflict").json()
    assert one == codes["idem_conflict"]
    assert shared_client.get("/api/v1/problems/no_such_code").status_code == 404


def test_a_bug_is_a_500_without_internals(
    shared_client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internal detail /etc/passwd")

    monkeypatch.setattr(queries, "list_organisations", broken)
    response = shared_client.get("/api/v1/organisations")
    assert response.status_code == 500
    problem = response.json()
    assert problem["code"] == "internal_error"
    assert problem["instance"].startswith("urn:uuid:")
    assert "secret" not in response.text and "RuntimeError" not in response.text and "Traceback" not in response.text
    assert any(problem["instance"] in r.getMessage() for r in caplog.records)  # logged for the operator


def test_database_outage_is_a_503(factory: Any, make_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    factory.with_genesis()
    client = make_client()

    def down(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(queries, "list_entries", down)
    response = client.get("/api/v1/entries")
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"
    assert response.headers["retry-after"] == "1"


def test_cors_only_when_configured(factory: Any, make_client: Any) -> None:
    factory.with_genesis()
    closed = make_client()
    preflight = {"origin": "https://site.example", "access-control-request-method": "POST"}
    assert (
        "access-control-allow-origin"
        not in closed.get("/api/v1/log/checkpoint", headers={"origin": "https://site.example"}).headers
    )
    assert "access-control-allow-origin" not in closed.options("/api/v1/entries", headers=preflight).headers
    opened = make_client(cors_origins=("https://site.example",))
    response = opened.get("/api/v1/log/checkpoint", headers={"origin": "https://site.example"})
    assert response.headers["access-control-allow-origin"] == "https://site.example"
    other = opened.get("/api/v1/log/checkpoint", headers={"origin": "https://evil.example"})
    assert other.headers.get("access-control-allow-origin") != "https://evil.example"


def test_openapi_schema(shared_client: TestClient) -> None:
    schema = shared_client.get("/schema/openapi.json").json()
    assert schema["openapi"].startswith("3.1")
    operations = [(path, method, op) for path, item in schema["paths"].items() for method, op in item.items()]
    assert len(operations) >= 30
    ids = [op["operationId"] for _, _, op in operations]
    assert len(set(ids)) == len(ids) and all(ids)
    assert not any(i.startswith(("Api", "api")) for i in ids)  # our names, not generated ones
    for path, _method, op in operations:
        assert path.startswith(("/api/v1/", "/tlog/")), path  # the API, and the log as C2SP tiles
        for status, response in op["responses"].items():
            if status.startswith(("4", "5")):
                assert "application/problem+json" in response["content"] or path.endswith("add-checkpoint"), (
                    path,
                    status,
                )
    for name, component in schema["components"]["schemas"].items():
        if name.startswith("EntryData."):  # generated from the entry schemas; their fields carry titles instead
            assert component["properties"] and all(f.get("title") for f in component["properties"].values()), name
            continue
        assert component.get("examples"), f"{name} has no example"
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    regulator = schema["paths"]["/api/v1/regulator/open-findings"]["get"]
    assert regulator["security"] == [{"bearer": []}]
    add = schema["paths"]["/api/v1/log/add-checkpoint"]["post"]
    assert "text/plain" in add["requestBody"]["content"]
    assert schema["paths"]["/api/v1/log/entries"]["get"]["responses"]["200"]["content"].keys() == {
        "application/x-ndjson"
    }


def test_openapi_page_renders(shared_client: TestClient) -> None:
    assert shared_client.get("/schema").text == shared_client.get("/schema/swagger").text
    page = shared_client.get("/schema/swagger")
    assert page.status_code == 200 and "<html" in page.text.lower()
    # everything the page loads comes from the app: no other host in the page or its policy
    assert not re.findall(r"(?:src|href)=['\"](?:https?:)?//", page.text)
    assert "http" not in page.headers["content-security-policy"]
    assets = re.findall(r"(?:src|href)=['\"](/schema/assets/[^'\"]+)", page.text)
    assert len(assets) == 3
    for url in assets:
        asset = shared_client.get(url)
        assert asset.status_code == 200 and len(asset.content) > 10_000
    assert shared_client.get("/schema/assets/swagger-editor.js").status_code == 404  # only the three
    assert shared_client.get("/schema/openapi.yaml").status_code == 200
