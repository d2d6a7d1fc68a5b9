"""Hostile input, one class at a time: each is answered with a typed, bilingual 4xx problem on
the API (an HTML page on the site) and writes nothing. The route-by-route sweep is
tests/test_route_fuzz.py; this file pins the code each class gets and why."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from api.config import ApiSettings
from ledger.cli.app import create_app
from ledger.errors import LedgerError
from ledger.protocol.canonical import MAX_JSON_DEPTH, check_depth, json_depth_exceeds, parse_json
from tests.api.world import World
from tests.support.hostile import BODIES, written
from tests.support.ledger_factory import LedgerFactory

JSON_ROUTES = [
    "/api/v1/entries",
    "/api/v1/entries/batch",
    "/api/v1/donations/by-receipt/trace",
    "/api/v1/reports",
]


@pytest.fixture(scope="module")
def hostile_client(shared_world: World) -> Iterator[TestClient]:
    """A client that gets a 500 as an answer (not as an exception), so the test can say which."""
    from reports.service import STATE_KEY, ReportLimits, ReportService

    app = create_app(shared_world.factory.ledger, api_settings=ApiSettings(write_rate=0))
    app.state[STATE_KEY] = ReportService(ReportLimits(per_minute=0))  # hundreds of requests: no rate limits
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert (problem["code"], problem["status"], problem["type"]) == (code, status, f"/api/v1/problems/{code}")
    assert problem["detail"] and problem["message_zh"] and problem["detail"] != problem["message_zh"]
    return problem


def _nest(levels: int) -> str:
    return "[" * levels + "]" * levels


# --- nesting depth: found on the bytes, before a decoder recurses ---------------------------


@pytest.mark.parametrize(
    ("text", "deep"),
    [
        (_nest(MAX_JSON_DEPTH), False),
        (_nest(MAX_JSON_DEPTH + 1), True),
        (_nest(1_000_000), True),
        ('{"a":' * MAX_JSON_DEPTH + "1" + "}" * MAX_JSON_DEPTH, False),
        ('{"a":' * (MAX_JSON_DEPTH + 1) + "1" + "}" * (MAX_JSON_DEPTH + 1), True),
        (
            "[{}," * MAX_JSON_DEPTH + "1" + "]" * MAX_JSON_DEPTH,
            True,
        ),  # the {} inside the deepest list is one more level
        ("[" + "[]," * 10_000 + "1]", False),  # long and flat
        (("[" + _nest(MAX_JSON_DEPTH - 1) + "],") * 2_000 + "1", False),
        (("[" + _nest(MAX_JSON_DEPTH) + "],") * 2_000 + "1", True),
        ('["' + "[" * 1_000 + '"]', False),  # brackets in a string do not nest
        ('["\\"' + "[" * 1_000 + '"]', False),  # nor after an escaped quote
        ('["\\\\", ' + _nest(MAX_JSON_DEPTH) + "]", True),  # an escaped backslash ends no string
    ],
)
def test_depth_is_measured_on_the_text(text: str, deep: bool) -> None:
    assert json_depth_exceeds(text) is deep
    assert json_depth_exceeds(text.encode()) is deep


def test_too_deep_is_refused_before_decoding() -> None:
    with pytest.raises(LedgerError) as caught:
        parse_json(_nest(200_000))  # the stdlib decoder would recurse 200 000 times
    assert caught.value.code == "json_too_deep" and caught.value.params == {"limit": MAX_JSON_DEPTH}
    with pytest.raises(LedgerError):
        check_depth(b'{"a":' * 65 + b"1" + b"}" * 65)
    check_depth(b"[" * 64 + b"]" * 64)


@pytest.mark.parametrize("path", JSON_ROUTES)
@pytest.mark.parametrize("body", ["deep-array", "deep-object", "deep-in-field"])
def test_deep_json_bodies_are_400_json_too_deep(
    hostile_client: TestClient, shared_world: World, path: str, body: str
) -> None:
    before = written(shared_world.factory.ledger)
    sent = BODIES[body]
    problem = assert_problem(
        hostile_client.post(path, content=sent.content, headers={"content-type": sent.content_type}),
        400,
        "json_too_deep",
    )
    assert problem["params"] == {"limit": MAX_JSON_DEPTH}
    assert written(shared_world.factory.ledger) == before


def test_deep_donor_data_is_400(hostile_client: TestClient, shared_world: World) -> None:
    url = f"/api/v1/donations/{shared_world.ids['d1']}/donor-data"
    assert_problem(
        hostile_client.post(url, content=_nest(50_000).encode(), headers={"content-type": "application/json"}),
        400,
        "json_too_deep",
    )


# --- numbers, literals, encodings ------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["[1e400]", "[-1e999]", '{"a": NaN}', "[Infinity]", "[-Infinity]", "[" + "9" * 5000 + "]"]
)
def test_numbers_beyond_range_are_malformed(text: str) -> None:
    with pytest.raises(LedgerError) as caught:
        parse_json(text)
    assert caught.value.code == "malformed_json"


@pytest.mark.parametrize("path", JSON_ROUTES)
@pytest.mark.parametrize(
    "body", ["invalid-utf8", "utf16", "utf8-bom", "nan", "1e400", "huge-int", "lone-surrogate", "bytes", "empty"]
)
def test_undecodable_json_is_400_malformed_json(
    hostile_client: TestClient, shared_world: World, path: str, body: str
) -> None:
    before = written(shared_world.factory.ledger)
    sent = BODIES[body]
    assert_problem(
        hostile_client.post(path, content=sent.content, headers={"content-type": sent.content_type}),
        400,
        "malformed_json",
    )
    assert written(shared_world.factory.ledger) == before


def test_duplicate_keys_are_refused(hostile_client: TestClient) -> None:
    raw = b'{"code": "D1-AAAA-A", "code": "D2-BBBB-B"}'
    response = hostile_client.post(
        "/api/v1/donations/by-receipt/trace", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400 and response.json()["code"] in ("malformed_json", "body_invalid")


# --- how the body is sent ------------------------------------------------------------------


@pytest.mark.parametrize("path", JSON_ROUTES)
@pytest.mark.parametrize("body", ["gzip", "gzip-claimed"])
def test_encoded_bodies_are_415(hostile_client: TestClient, shared_world: World, path: str, body: str) -> None:
    before = written(shared_world.factory.ledger)
    sent = BODIES[body]
    problem = assert_problem(
        hostile_client.post(path, content=sent.content, headers={"content-type": sent.content_type, **sent.headers}),
        415,
        "content_encoding_unsupported",
    )
    assert problem["params"] == {"encoding": "gzip"}
    assert written(shared_world.factory.ledger) == before


def test_identity_encoding_is_read(hostile_client: TestClient) -> None:
    response = hostile_client.post(
        "/api/v1/donations/by-receipt/trace",
        json={"code": "not a code"},
        headers={"content-encoding": "identity"},
    )
    assert response.status_code == 400 and response.json()["code"] == "receipt_code_invalid"


def test_content_length_that_is_no_number_is_400(hostile_client: TestClient) -> None:
    response = hostile_client.post(
        "/api/v1/donations/by-receipt/trace",
        content=b'{"code": "x"}',
        headers={"content-type": "application/json", "content-length": "lots"},
    )
    assert_problem(response, 400, "request_unreadable")


def test_huge_content_length_is_413_before_reading(hostile_client: TestClient) -> None:
    response = hostile_client.post(
        "/api/v1/entries",
        content=b"{}",
        headers={"content-type": "application/json", "content-length": "99999999999999999999"},
    )
    assert_problem(response, 413, "request_too_large")


def test_site_form_with_encoded_body_is_an_html_page(hostile_client: TestClient) -> None:
    response = hostile_client.post(
        "/verify",
        content=b"code=x",
        headers={"content-type": "application/x-www-form-urlencoded", "content-encoding": "gzip"},
    )
    assert response.status_code == 415
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text and "Content-Encoding" in response.text


def test_catalogue_lists_the_new_codes(hostile_client: TestClient) -> None:
    for code, status in (("json_too_deep", 400), ("request_unreadable", 400), ("content_encoding_unsupported", 415)):
        entry = hostile_client.get(f"/api/v1/problems/{code}")
        assert entry.status_code == 200, code
        assert json.dumps(entry.json()).count(str(status)) >= 1


# --- paths: the site answers pages, the API problems -----------------------------------------


def assert_page(response: Any, status: int, code: str | None = None) -> str:
    """An HTML error page of the site, with its message in both languages."""
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert page.lstrip().lower().startswith("<!doctype html>") and "problem+json" not in page
    assert 'lang="en"' in page or 'lang="zh-CN"' in page
    if code is not None:
        assert f"<code>{code}</code>" in page
    return page


def test_site_unknown_address_is_a_page_in_both_languages(hostile_client: TestClient) -> None:
    page = assert_page(hostile_client.get("/no/such/page"), 404, "route_not_found")
    assert "不存在" in page and "There is nothing at" in page


def test_site_wrong_method_is_a_page_with_allow(hostile_client: TestClient) -> None:
    response = hostile_client.post("/projects", content=b"x", headers={"content-type": "text/plain"})
    assert_page(response, 405, "method_not_allowed")
    assert "GET" in response.headers["allow"]


# Litestar's int path converter reads int("٣") == 3: api.params replaces it with the grammar's
# (canonical ASCII digits only), so an Arabic-Indic or full-width digit finds no entry.
UNICODE_DIGITS = "%D9%A3"


@pytest.mark.parametrize("seq", ["18446744073709551616", "9223372036854775808", "9" * 400, "-1", "%00", UNICODE_DIGITS])
def test_site_entry_number_beyond_the_database_is_400(hostile_client: TestClient, seq: str) -> None:
    response = hostile_client.get(f"/ledger/{seq}")
    assert response.status_code in (400, 404), response.text[:200]
    assert_page(response, response.status_code)


def test_site_entry_still_found(hostile_client: TestClient, shared_world: World) -> None:
    assert hostile_client.get(f"/ledger/{shared_world.seqs['d1']}").status_code == 200


@pytest.mark.parametrize(
    "name", ["%00", "a%00b.css", "x" * 5000, "%FF%FE", "%C0%AE%C0%AE/site.css", "..%2F..%2Fpyproject.toml"]
)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_static_files_refuse_odd_names_with_a_404_page(hostile_client: TestClient, name: str, method: str) -> None:
    response = hostile_client.request(method, f"/static/{name}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


def test_static_files_still_served(hostile_client: TestClient) -> None:
    response = hostile_client.get("/static/site.css")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/css")


@pytest.mark.parametrize(
    "path", ["/api/v1/nope", "/api/v1/entries/%00", "/api/v1/entries/18446744073709551616", "/tlog/nope"]
)
def test_api_paths_stay_problem_json(hostile_client: TestClient, path: str) -> None:
    response = hostile_client.get(path)
    assert response.status_code in (400, 404)
    assert response.headers["content-type"] == "application/problem+json"


def test_every_int_path_parameter_is_bounded(hostile_client: TestClient) -> None:
    """The class behind "a seq beyond 64 bits is a 500": a path integer without bounds reaches
    the database. Every handler's int path parameter has a range the database holds."""
    app = hostile_client.app
    seen = 0
    for route in app.routes:
        for name, parameter in getattr(route, "path_parameters", {}).items():
            if parameter.type is not int:
                continue
            for handler in route.route_handlers:
                field = handler.parsed_fn_signature.parameters.get(name)
                if field is None:  # Litestar's OPTIONS handler takes no parameters
                    continue
                bounds = field.kwarg_definition
                assert bounds is not None and bounds.ge is not None and bounds.le is not None, (route.path, name)
                assert 0 <= bounds.ge and bounds.le < 2**63, (route.path, name)
                seen += 1
    assert seen >= 10


# --- headers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("host", [b"example.org:99999999", b"\xff:1", b"a b", b"[::1", b"example.org:8x"])
@pytest.mark.parametrize("path", ["/api/v1/log/checkpoint", "/projects", "/no/such/page"])
def test_a_host_that_is_no_host_is_400(hostile_client: TestClient, host: bytes, path: str) -> None:
    response = hostile_client.get(path, headers={b"host": host})
    if path.startswith("/api/"):
        assert_problem(response, 400, "request_unreadable")
    else:
        page = assert_page(response, 400, "request_unreadable")
        assert "Host" in page and "主机名" in page


@pytest.mark.parametrize(
    "host", [b"example.org", b"example.org:8443", b"127.0.0.1:8000", b"[::1]:8000", b"xn--fiqs8s.example"]
)
def test_ordinary_hosts_pass(hostile_client: TestClient, host: bytes) -> None:
    assert hostile_client.get("/api/v1/log/checkpoint", headers={b"host": host}).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {b"if-none-match": b'"\x00", W/"", ,,,'},
        {b"if-none-match": b"*"},
        {b"accept-encoding": b"gzip;q=abc, \xff;q=-1"},
        {b"accept-encoding": b"gzip;q=0"},
        {b"accept-language": b"\xff;q=x"},
        {b"cookie": b"lang=\xff\x00; ="},
    ],
)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("path", ["/api/v1/log/checkpoint", "/projects", "/static/site.css", "/api/v1/nope"])
def test_caching_layer_takes_odd_conditional_headers(
    hostile_client: TestClient, headers: dict[bytes, bytes], method: str, path: str
) -> None:
    response = hostile_client.request(method, path, headers=headers)
    assert response.status_code in (200, 304, 404), response.status_code
    if headers.get(b"if-none-match") == b"*" and response.status_code != 404:
        assert response.status_code == 304 and response.content == b""


def test_a_body_cut_off_is_400_request_unreadable(shared_world: World) -> None:
    """A client that leaves mid-body: Litestar's "client disconnected" (a 500 of its own) is a 400."""
    app = create_app(shared_world.factory.ledger, api_settings=ApiSettings(write_rate=0))
    before = written(shared_world.factory.ledger)
    messages = iter(
        [
            {"type": "http.request", "body": b'{"body": {"v": 1, "lo', "more_body": True},
            {"type": "http.disconnect"},
        ]
    )
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/entries",
        "raw_path": b"/api/v1/entries",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 400
    assert json.loads(b"".join(m.get("body", b"") for m in sent[1:]))["code"] == "request_unreadable"
    assert written(shared_world.factory.ledger) == before


@pytest.mark.parametrize("body", ["wrong-type", "xml", "no-content-type", "charset-utf16", "form-bad"])
@pytest.mark.parametrize("path", JSON_ROUTES)
def test_json_routes_refuse_other_media_types_with_415(
    hostile_client: TestClient, shared_world: World, path: str, body: str
) -> None:
    """Every route reading a JSON body, the guarded writes and the others alike."""
    before = written(shared_world.factory.ledger)
    sent = BODIES[body]
    headers = {"content-type": sent.content_type} if sent.content_type else {}
    assert_problem(hostile_client.post(path, content=sent.content, headers=headers), 415, "unsupported_media_type")
    assert written(shared_world.factory.ledger) == before


def test_the_snapshot_sees_a_write(factory: LedgerFactory) -> None:
    """``written`` is what the "nothing written" checks compare: an append changes it."""
    ledger = factory.with_genesis()
    before = written(ledger)
    ledger.log.append([factory.org_entry(7)])
    after = written(ledger)
    assert after["log"] != before["log"] and after["files"] != before["files"]
