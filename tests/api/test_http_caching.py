"""Conditional requests, HEAD and gzip on every GET (api.http_caching), checked on the wire:
the tag follows the bytes, a 304 carries no body, HEAD is GET without the body, gzip
decompresses to exactly the identity bytes, and what must not be cached is left alone."""

from __future__ import annotations

import gzip
from email.utils import formatdate, parsedate_to_datetime

import brotli  # type: ignore[import-untyped]
import httpx
import pytest
from litestar.testing import TestClient

from ledger.protocol.canonical import parse_time
from tests.api.world import PROJECT, World, donation

PATHS = [
    "/api/v1/log/checkpoint",
    "/api/v1/projects",
    f"/api/v1/projects/{PROJECT}",
    "/api/v1/log/entries?start=0",
    "/tlog/tile/0/000.p/3",
    "/schema/openapi.json",
    "/",
    "/projects",
    "/ledger",
]


def _raw(client: TestClient, method: str, path: str, **headers: str) -> tuple[httpx.Response, bytes]:
    """The answer and its body as sent (not decoded by httpx)."""
    request = client.build_request(method, path, headers={"accept-encoding": "identity", **headers})
    response = client.send(request, stream=True)
    return response, b"".join(response.iter_raw())


@pytest.mark.parametrize("path", PATHS)
def test_etag_and_304(shared_client: TestClient, path: str) -> None:
    first = shared_client.get(path)
    assert first.status_code == 200, path
    tag = first.headers["etag"]
    assert tag.startswith('"') and tag.endswith('"') and not tag.startswith("W/")
    again = shared_client.get(path, headers={"if-none-match": tag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag
    assert shared_client.get(path, headers={"if-none-match": '"other", ' + tag}).status_code == 304
    assert shared_client.get(path, headers={"if-none-match": "*"}).status_code == 304
    assert shared_client.get(path, headers={"if-none-match": '"not-it"'}).status_code == 200


@pytest.mark.parametrize("path", PATHS)
def test_head_is_get_without_the_body(shared_client: TestClient, path: str) -> None:
    get, get_body = _raw(shared_client, "GET", path)
    head, head_body = _raw(shared_client, "HEAD", path)
    assert head.status_code == 200 and head_body == b""
    for name in ("content-type", "content-length", "etag", "cache-control"):
        assert head.headers.get(name) == get.headers.get(name), name
    assert int(head.headers["content-length"]) == len(get_body)


def test_gzip_is_the_same_bytes_with_its_own_tag(shared_client: TestClient) -> None:
    plain, plain_body = _raw(shared_client, "GET", "/api/v1/projects")
    zipped, zipped_body = _raw(shared_client, "GET", "/api/v1/projects", **{"accept-encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip" and "content-encoding" not in plain.headers
    assert gzip.decompress(zipped_body) == plain_body
    assert int(zipped.headers["content-length"]) == len(zipped_body) < len(plain_body)
    assert zipped.headers["etag"] == plain.headers["etag"][:-1] + '-gzip"'
    assert "accept-encoding" in zipped.headers["vary"].lower() and "accept-encoding" in plain.headers["vary"].lower()
    _again, again_body = _raw(shared_client, "GET", "/api/v1/projects", **{"accept-encoding": "gzip"})
    assert again_body == zipped_body  # no timestamp in the gzip header: one body, one tag
    refused, _refused_body = _raw(shared_client, "GET", "/api/v1/projects", **{"accept-encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers


def test_tiles_are_not_compressed_and_small_bodies_neither(shared_client: TestClient) -> None:
    tile, tile_body = _raw(shared_client, "GET", "/tlog/tile/0/000.p/3", **{"accept-encoding": "gzip"})
    assert "content-encoding" not in tile.headers and len(tile_body) == 96


def test_the_tag_follows_the_log(world: World, client: TestClient) -> None:
    before = client.get("/api/v1/log/checkpoint").headers["etag"]
    world.factory.ledger.log.append([world.sign("fundraiser", "donation.received", donation(PROJECT, "1.00"))])
    answer = client.get("/api/v1/log/checkpoint", headers={"if-none-match": before})
    assert answer.status_code == 200 and answer.headers["etag"] != before


def test_posts_and_errors_are_left_alone(shared_client: TestClient) -> None:
    missing = shared_client.get("/api/v1/projects/P-NOPE")
    assert missing.status_code == 404 and "etag" not in missing.headers
    posted = shared_client.post("/api/v1/entries", json={})
    assert posted.status_code == 400 and "etag" not in posted.headers


# --- Last-Modified and brotli (issue 15) ------------------------------------------------------

PAGES_AND_READS = [p for p in PATHS if "/tile/" not in p]


def _log_time(world: World) -> int:
    return int(parse_time(world.factory.ledger.log.head().last_time).timestamp())


@pytest.mark.parametrize("path", PAGES_AND_READS)
def test_last_modified_is_the_time_of_the_latest_entry(
    shared_world: World, shared_client: TestClient, path: str
) -> None:
    world = shared_world
    first = shared_client.get(path)
    modified = first.headers["last-modified"]
    assert parsedate_to_datetime(modified).timestamp() == _log_time(world)
    # If-Modified-Since: 304 at or after it, 200 before it; If-None-Match wins over it
    assert shared_client.get(path, headers={"if-modified-since": modified}).status_code == 304
    later = formatdate(_log_time(world) + 3600, usegmt=True)
    assert shared_client.get(path, headers={"if-modified-since": later}).status_code == 304
    earlier = formatdate(_log_time(world) - 1, usegmt=True)
    again = shared_client.get(path, headers={"if-modified-since": earlier})
    assert again.status_code == 200 and again.content == first.content
    both = shared_client.get(path, headers={"if-modified-since": modified, "if-none-match": '"not-it"'})
    assert both.status_code == 200
    assert shared_client.get(path, headers={"if-modified-since": "not a date"}).status_code == 200
    head = shared_client.head(path, headers={"if-modified-since": modified})
    assert head.status_code == 304 and head.content == b""


def test_last_modified_moves_with_the_log(world: World, client: TestClient) -> None:
    before = client.get("/projects")
    world.factory.ledger.log.append([world.sign("fundraiser", "donation.received", donation(PROJECT, "2.00"))])
    after = client.get("/projects", headers={"if-modified-since": formatdate(_log_time(world) - 1, usegmt=True)})
    assert after.status_code == 200
    assert parsedate_to_datetime(after.headers["last-modified"]) >= parsedate_to_datetime(
        before.headers["last-modified"]
    )


def test_tiles_carry_no_last_modified(shared_client: TestClient) -> None:
    assert "last-modified" not in shared_client.get("/tlog/tile/0/000.p/3").headers


@pytest.mark.parametrize("path", ["/api/v1/projects", "/projects", "/ledger"])
def test_brotli_is_the_same_bytes_with_its_own_tag(shared_client: TestClient, path: str) -> None:
    plain, plain_body = _raw(shared_client, "GET", path)
    br, br_body = _raw(shared_client, "GET", path, **{"accept-encoding": "gzip, br"})
    assert br.headers["content-encoding"] == "br"
    assert brotli.decompress(br_body) == plain_body
    assert int(br.headers["content-length"]) == len(br_body) < len(plain_body)
    assert br.headers["etag"] == plain.headers["etag"][:-1] + '-br"'
    assert (
        shared_client.get(path, headers={"accept-encoding": "br", "if-none-match": br.headers["etag"]}).status_code
        == 304
    )
    no_br, _ = _raw(shared_client, "GET", path, **{"accept-encoding": "gzip, br;q=0"})
    assert no_br.headers["content-encoding"] == "gzip"


def test_pages_and_checkpoints_say_how_long_a_shared_cache_may_keep_them(shared_client: TestClient) -> None:
    assert shared_client.get("/").headers["cache-control"] == "public, max-age=0, s-maxage=5"
    assert shared_client.get("/ledger/0").headers["cache-control"] == "public, max-age=0, s-maxage=600"
    assert shared_client.get("/tlog/checkpoint").headers["cache-control"] == "max-age=0, s-maxage=1, public"
    # a tile named by its log is fixed for good; under /tlog/ the log being appended to, which a
    # roll-over replaces, so a minute at most
    assert "immutable" in shared_client.get("/tlog/shards/0/tile/0/000.p/3").headers["cache-control"]
    assert shared_client.get("/tlog/tile/0/000.p/3").headers["cache-control"] == "max-age=60, public"
