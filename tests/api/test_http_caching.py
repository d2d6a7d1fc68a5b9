"""Conditional requests, HEAD and gzip on every GET (api.http_caching), checked on the wire:
the tag follows the bytes, a 304 carries no body, HEAD is GET without the body, gzip
decompresses to exactly the identity bytes, and what must not be cached is left alone."""

from __future__ import annotations

import gzip

import httpx
import pytest
from litestar.testing import TestClient

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
