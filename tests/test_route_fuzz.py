"""Every route of the app (API, site, tiles, reports, static files, schema), taken from the
Litestar app itself, against a corpus of hostile requests (tests/support/hostile.py): path
parameters filled with hostile segments, bodies that are deep, undecodable or oddly sent,
hostile query strings and odd headers, through the HTTP caching layer (GET and HEAD).

For every answer: no 5xx; an error is ``application/problem+json`` with a typed code on the
API's paths and an HTML page on the site's; and nothing was written (the log, the donor store,
the API tokens and the data folder are as they were). A route added later is swept too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.config import ApiSettings
from api.problems import is_api_path
from api.tokens import create_token
from ledger.cli.app import create_app
from tests.api.world import FOUNDATION, OVERSIGHT, PROJECT, World, build_world
from tests.support.hostile import BODIES, HEADERS, PATH_SEGMENTS, written
from tests.support.ledger_factory import LedgerFactory

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# one segment of each class of tests.support.hostile.PATH_SEGMENTS goes into every parameter of
# every route (the focused tests in tests/api/test_hostile_input.py take the rest)
SWEEP_SEGMENTS = (
    "nul",
    "control",
    "uint64+1",
    "huge-int",
    "float",
    "unicode-digits",
    "overlong-dot",
    "invalid-utf8",
    "dot-dot",
    "encoded-slash",
    "long",
    "html",
)
# every odd header at once (the Host header apart: a bad one stops the request at the door)
ALL_ODD_HEADERS = {k: v for name, headers in HEADERS.items() if name != "host-junk" for k, v in headers.items()}
# routes that each odd header is sent to on its own: API, site, tiles, reports, static files
HEADER_ROUTES = (
    "/api/v1/log/checkpoint",
    "/api/v1/entries/{seq:int}",
    "/",
    "/projects/{project:str}",
    "/ledger",
    "/tlog/tile/{rest:path}",
    "/api/v1/reports",
    "/static/{file_path:path}",
)
HOSTILE_QUERY = (
    "cursor=%00&limit=99999999999999999999&offset=-1&since=%FF&until=1e400&seq=NaN&size=18446744073709551616"
    "&type=..%2F&org=%C0%AE&project=" + "x" * 3000 + "&lang=%00&before=9" + "9" * 300 + "&log=-1&page=%D9%A3"
)


@dataclass
class Sweep:
    world: World
    app: Litestar
    client: TestClient
    auth: dict[str, str]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sweep]:
    world = build_world(LedgerFactory(Path(tmp_path_factory.mktemp("fuzz")) / "home"))
    token = create_token(world.factory.ledger.engine, "fuzz regulator", ["regulator", "reports"])
    # no rate limit: every hostile write reaches the body reader instead of a 429
    app = create_app(world.factory.ledger, api_settings=ApiSettings(write_rate=0))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Sweep(world, app, client, {"authorization": f"Bearer {token}"})


def _routes(app: Litestar) -> list[tuple[str, frozenset[str], dict[str, type]]]:
    """(path template, methods, path parameter types) of every HTTP route of the app."""
    out = []
    for route in app.routes:
        methods = getattr(route, "methods", None)
        if not methods:
            continue
        params = {name: p.type for name, p in getattr(route, "path_parameters", {}).items()}
        out.append((route.path, frozenset(methods), params))
    return out


def _valid(world: World, name: str, kind: type) -> str:
    """A plausible value for a path parameter, so the hostile one is the only odd part."""
    if kind is int:
        return "1"
    return {
        "org": FOUNDATION,
        "project": PROJECT,
        "code": "json_too_deep",
        "file_path": "site.css",
        "rest": "0/000",
    }.get(name, world.ids["d1"])


def _fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+):[^}]+\}", lambda m: values[m.group(1)], path)


def _check(response: Any, method: str, url: str, label: str = "") -> str | None:
    """Why the answer is wrong, or None."""
    status = response.status_code
    # the path the server was asked for: the client resolves dot segments ("/evidence/../x" is "/x")
    path = response.request.url.path
    url = f"{url} {label}".strip()
    if status >= 500:
        return f"{method} {url[:120]}: {status} {response.text[:200]!r}"
    if status < 400:
        return None
    media = response.headers.get("content-type", "")
    if path.startswith("/schema/"):  # Litestar's OpenAPI pages answer their own 404 page
        return None if media.startswith(("text/html", "application/problem+json")) else f"{method} {url[:120]}: {media}"
    workbench_json = path.startswith("/workbench/api/") and media == "application/problem+json"
    if is_api_path(path) or workbench_json:  # the workbench's JSON endpoints answer problems too
        if media != "application/problem+json":
            return f"{method} {url[:120]}: {status} as {media!r}, not a problem"
        if method != "HEAD" and not re.fullmatch(r"[a-z][a-z0-9_]*", str(response.json().get("code", ""))):
            return f"{method} {url[:120]}: problem without a typed code"
        return None
    if not media.startswith("text/html"):
        return f"{method} {url[:120]}: {status} as {media!r}, not an HTML page"
    return None


def _assert_nothing_wrong(failures: list[str]) -> None:
    assert not failures, f"{len(failures)} bad answers:\n" + "\n".join(failures[:40])


def test_every_route_is_swept(sweep: Sweep) -> None:
    paths = {path for path, _, _ in _routes(sweep.app)}
    for expected in (
        "/api/v1/entries",
        "/ledger/{seq:int}",
        "/static/{file_path:path}",
        "/verify",
        "/api/v1/reports",
        "/tlog/tile/{rest:path}",
        "/api/v1/donations/{donation_id:str}/donor-data",
    ):
        assert expected in paths
    assert len(paths) >= 70


def test_hostile_path_segments(sweep: Sweep) -> None:
    """Each path parameter of each route gets each class of hostile segment (a route without
    parameters gets it as an extra segment), the route's methods taking turns."""
    before = written(sweep.world.factory.ledger)
    failures = []
    for path, methods, params in _routes(sweep.app):
        turns = sorted((methods - {"OPTIONS"}) | ({"HEAD"} if "GET" in methods else set())) or ["OPTIONS"]
        for target in list(params) or [None]:
            for i, name in enumerate(SWEEP_SEGMENTS):
                segment = PATH_SEGMENTS[name]
                values = {p: _valid(sweep.world, p, kind) for p, kind in params.items()}
                if target is None:
                    url = path.rstrip("/") + "/" + segment
                else:
                    values[target] = segment
                    url = _fill(path, values)
                method = turns[i % len(turns)]
                kwargs: dict[str, Any] = {}
                if method in WRITES:
                    kwargs = {"content": b"{}", "headers": {"content-type": "application/json"}}
                failures.append(_check(sweep.client.request(method, url, **kwargs), method, url))
    _assert_nothing_wrong([f for f in failures if f])
    assert written(sweep.world.factory.ledger) == before


def test_hostile_bodies(sweep: Sweep) -> None:
    before = written(sweep.world.factory.ledger)
    failures = []
    for path, methods, params in _routes(sweep.app):
        url = _fill(path, {name: _valid(sweep.world, name, kind) for name, kind in params.items()})
        for method in sorted(methods & WRITES):
            for auth in ({}, sweep.auth):
                for body in BODIES.values():
                    headers = {**auth, **body.headers}
                    if body.content_type:
                        headers["content-type"] = body.content_type
                    response = sweep.client.request(method, url, content=body.content, headers=headers)
                    failure = _check(response, method, url)
                    if failure:
                        failures.append(failure)
    _assert_nothing_wrong(failures)
    assert written(sweep.world.factory.ledger) == before


def test_hostile_queries_and_headers(sweep: Sweep) -> None:
    """Odd query strings and headers on every GET (and HEAD), through the caching layer."""
    before = written(sweep.world.factory.ledger)
    failures = []
    for path, methods, params in _routes(sweep.app):
        if "GET" not in methods:
            continue
        url = _fill(path, {name: _valid(sweep.world, name, kind) for name, kind in params.items()})
        for method in ("GET", "HEAD"):
            response = sweep.client.request(method, f"{url}?{HOSTILE_QUERY}")
            failures.append(_check(response, method, f"{url}?{HOSTILE_QUERY}"))
            failures.append(
                _check(sweep.client.request(method, url, headers=ALL_ODD_HEADERS), method, url, "[odd headers]")
            )
            if path in HEADER_ROUTES:
                for name, headers in HEADERS.items():
                    failures.append(
                        _check(sweep.client.request(method, url, headers=headers), method, url, f"[{name}]")
                    )
    _assert_nothing_wrong([f for f in failures if f])
    assert written(sweep.world.factory.ledger) == before


def test_odd_methods(sweep: Sweep) -> None:
    """Methods no route has (and ones it lacks) are 405s of the right side, never 5xx."""
    before = written(sweep.world.factory.ledger)
    failures = []
    for path, methods, params in _routes(sweep.app):
        url = _fill(path, {name: _valid(sweep.world, name, kind) for name, kind in params.items()})
        for method in ("FOO", "TRACE", "PROPFIND", "DELETE", "PUT"):
            if method not in methods:
                response = sweep.client.request(
                    method, url, content=b"{}", headers={"content-type": "application/json"}
                )
                failures.append(_check(response, method, url))
                if response.status_code < 400:
                    failures.append(f"{method} {url}: {response.status_code}, not refused")
    _assert_nothing_wrong([f for f in failures if f])
    assert written(sweep.world.factory.ledger) == before


def test_overseer_and_project_pages_survive_the_sweep(sweep: Sweep) -> None:
    """The sweep left the app working: real pages and API reads still answer."""
    for url in (
        f"/organisations/{FOUNDATION}",
        f"/overseers/{OVERSIGHT}",
        f"/projects/{PROJECT}",
        "/api/v1/log/checkpoint",
    ):
        assert sweep.client.get(url).status_code == 200, url
