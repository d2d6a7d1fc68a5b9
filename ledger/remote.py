"""Reading a served log over HTTP (for ``verify --url``, the witness and the monitor)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx

from .errors import VerificationError

PAGE = 1000


class LogClient:
    """The public log endpoints of DESIGN section 3."""

    def __init__(self, base_url: str, *, timeout: float = 30.0, client: httpx.Client | None = None) -> None:
        self.base = base_url.rstrip("/")
        self.http = client or httpx.Client(timeout=timeout)
        self.prefix = "/api/v1/log"  # the log being appended to; for a sealed one see for_shard

    def _get(self, path: str, **params: object) -> httpx.Response:
        try:
            response = self.http.get(self.base + path, params=params or None)
        except httpx.HTTPError as exc:
            raise VerificationError("log unreachable", expected=self.base + path, actual=str(exc)) from exc
        if response.status_code != 200:
            raise VerificationError("log answered with an error", expected=f"200 for {path}", actual=f"{response.status_code} {response.text[:200]}")
        return response

    def checkpoint(self) -> str:
        return self._get(self.prefix + "/checkpoint").text

    def shards(self) -> list[dict[str, object]]:
        """The chain of logs, oldest first (``GET /api/v1/log/shards``)."""
        return self._get("/api/v1/log/shards").json()["shards"]

    def for_shard(self, index: int) -> "LogClient":
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
                raise VerificationError("log returned no entries", seq=position, expected=f"entries {position}..{end - 1}", actual="none")
            yield from lines
            position += len(lines)

    def consistency(self, first: int, second: int) -> list[str]:
        return self._get(self.prefix + "/proof/consistency", first=first, second=second).json()["hashes"]

    def inclusion(self, index: int, size: int) -> list[str]:
        return self._get(self.prefix + "/proof/inclusion", index=index, size=size).json()["hashes"]


def fetch_log_for_verify(url: str, vkey: str | None) -> tuple[Iterator[bytes], str, str]:
    from .checkpoint import verify_checkpoint

    client = LogClient(url)
    key = vkey or client.vkey()
    note = client.checkpoint()
    size = verify_checkpoint(note, key).size
    return client.entries(0, size), note, key


def _whole(shard: dict[str, object], name: str) -> int:
    """A number of the served chain: a JSON integer, never a string or float ``int()`` would read."""
    value = shard.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise VerificationError("log answered a malformed chain", expected=f"a whole number for {name}",
                                actual=repr(value)[:60])
    return value


def fetch_chain_for_verify(url: str, vkey: str | None) -> tuple[list[tuple[Iterator[bytes], str]], str]:
    """Every log of a served chain, oldest first: each with its leaves (streamed) and its
    checkpoint (a sealed log's final one), and the vkey to trust."""
    from .checkpoint import verify_checkpoint

    client = LogClient(url)
    key = vkey or client.vkey()
    logs: list[tuple[Iterator[bytes], str]] = []
    for shard in client.shards()[:-1]:
        sealed = client.for_shard(_whole(shard, "index"))
        note = sealed.checkpoint()
        logs.append((sealed.entries(0, _whole(shard, "size")), note))
    note = client.checkpoint()
    size = verify_checkpoint(note, key).size
    logs.append((client.entries(0, size), note))
    return logs, key
