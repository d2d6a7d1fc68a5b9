"""Reading a served log over HTTP (for ``verify --url``, the witness and the monitor)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx

from ledger.errors import VerificationError
from ledger.protocol import tiles
from ledger.protocol.checkpoint import verify_checkpoint

PAGE = 1000


class LogClient:
    """The public log endpoints of DESIGN section 3."""

    def __init__(self, base_url: str, *, timeout: float = 30.0, client: httpx.Client | None = None) -> None:
        self.base = base_url.rstrip("/")
        self.http = client or httpx.Client(timeout=timeout)
        self.prefix = "/api/v1/log"  # the log being appended to; for a sealed one see for_shard

    def _get(self, path: str, **params: int | str) -> httpx.Response:
        try:
            response = self.http.get(self.base + path, params=params or None)
        except httpx.HTTPError as exc:
            raise VerificationError("log unreachable", expected=self.base + path, actual=str(exc)) from exc
        if response.status_code != 200:
            raise VerificationError(
                "log answered with an error",
                expected=f"200 for {path}",
                actual=f"{response.status_code} {response.text[:200]}",
            )
        return response

    def checkpoint(self) -> str:
        return self._get(self.prefix + "/checkpoint").text

    def shards(self) -> list[dict[str, object]]:
        """The chain of logs, oldest first (``GET /api/v1/log/shards``)."""
        shards: list[dict[str, object]] = self._get("/api/v1/log/shards").json()["shards"]
        return shards

    def for_shard(self, index: int) -> LogClient:
        """The same endpoints for a sealed log of the chain (``/api/v1/log/shards/N/...``)."""
        other = LogClient(self.base, client=self.http)
        other.prefix = f"/api/v1/log/shards/{index}"
        return other

    def vkey(self) -> str:
        return self._get("/api/v1/log/vkey").text.strip()

    def entries(self, start: int, end: int) -> Iterator[bytes]:
        """Leaves [start, end) exactly as stored, following the server's page size."""
        position = start
        while position < end:
            response = self._get(self.prefix + "/entries", start=position, end=min(end, position + PAGE))
            lines = [line for line in response.content.split(b"\n") if line]
            if not lines:
                raise VerificationError(
                    "log returned no entries", seq=position, expected=f"entries {position}..{end - 1}", actual="none"
                )
            yield from lines
            position += len(lines)

    def bundled_entries(self, tiles_prefix: str, start: int, end: int) -> Iterator[bytes]:
        """Leaves [start, end) read from the log's C2SP entry bundles under ``tiles_prefix``
        (e.g. ``/tlog/shards/0/``): static files a front or CDN serves without the API. A bundle
        holding other than the leaves its path names is refused; the leaves themselves are
        checked by the caller against a signed root, like those of :meth:`entries`."""
        prefix = "/" + tiles_prefix.strip("/") + "/"
        for index in range(start // tiles.TILE_WIDTH, -(-end // tiles.TILE_WIDTH)):
            first = index * tiles.TILE_WIDTH
            tile = tiles.Tile(tiles.ENTRIES, index, min(tiles.TILE_WIDTH, end - first))
            leaves = tiles.decode_bundle(self._get(prefix + tile.path).content)
            if len(leaves) != tile.width:
                raise VerificationError(
                    "entry bundle has the wrong number of leaves",
                    seq=first,
                    expected=f"{tile.width} leaves in {tile.path}",
                    actual=str(len(leaves)),
                )
            yield from leaves[max(start - first, 0) :]

    def consistency(self, first: int, second: int) -> list[str]:
        hashes: list[str] = self._get(self.prefix + "/proof/consistency", first=first, second=second).json()["hashes"]
        return hashes

    def inclusion(self, index: int, size: int) -> list[str]:
        hashes: list[str] = self._get(self.prefix + "/proof/inclusion", index=index, size=size).json()["hashes"]
        return hashes


def _whole(shard: dict[str, object], name: str) -> int:
    """A number of the served chain: a JSON integer, never a string or float ``int()`` would read."""
    value = shard.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise VerificationError(
            "log answered a malformed chain", expected=f"a whole number for {name}", actual=repr(value)[:60]
        )
    return value


def fetch_chain_for_verify(
    url: str, vkey: str | None, *, use_tiles: bool = True, client: httpx.Client | None = None
) -> tuple[list[tuple[Iterator[bytes], str]], str]:
    """Every log of a served chain, oldest first: each with its leaves (streamed) and its
    checkpoint (a sealed log's final one), and the vkey to trust.

    Leaves come from the entry bundles of each log's tiles when the server lists them (and
    ``use_tiles``), else from the paged entries endpoint; either way they are only trusted once
    the verifier has rebuilt the signed root from them."""
    remote = LogClient(url, client=client)
    key = vkey or remote.vkey()
    shards = remote.shards()

    def leaves(log: LogClient, shard: dict[str, object], size: int) -> Iterator[bytes]:
        prefix = shard.get("tiles")
        if use_tiles and isinstance(prefix, str) and prefix:
            return log.bundled_entries(prefix, 0, size)
        return log.entries(0, size)

    logs: list[tuple[Iterator[bytes], str]] = []
    for shard in shards[:-1]:
        sealed = remote.for_shard(_whole(shard, "index"))
        logs.append((leaves(sealed, shard, _whole(shard, "size")), sealed.checkpoint()))
    note = remote.checkpoint()
    size = verify_checkpoint(note, key).size
    logs.append((leaves(remote, shards[-1], size), note))
    return logs, key
