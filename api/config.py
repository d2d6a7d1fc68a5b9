"""Settings of the HTTP layer, read from the environment once (the ledger's own settings are
:mod:`ledger.settings`).

| variable | default | meaning |
|---|---|---|
| CHARITY_LEDGER_CORS_ORIGINS | (none: no CORS) | comma-separated origins allowed to call the API from a browser |
| CHARITY_LEDGER_WITNESS_KEYS | (none) | comma-separated C2SP witness verifier keys (type 0x04) whose cosignatures the log accepts |
| CHARITY_LEDGER_WRITE_RATE | 50 | write requests per second per client address (0: no limit) |
| CHARITY_LEDGER_WRITE_BURST | 300 | writes a client address may send at once before the rate applies |
| CHARITY_LEDGER_RATE_LIMIT_STORE | memory:// | where write counts are kept: `memory://` (one process) or `redis://host:6379/N` (shared by every API process) |
| CHARITY_LEDGER_RATE_LIMIT_EXEMPT | (none) | comma-separated addresses or networks (CIDR) that are never rate limited |
| CHARITY_LEDGER_MAX_ENTRY_BYTES | 262144 | largest request body of POST /api/v1/entries |
| CHARITY_LEDGER_MAX_BATCH_BYTES | 16777216 | largest request body of POST /api/v1/entries/batch |
| CHARITY_LEDGER_FORWARDED_ALLOW_IPS | 127.0.0.1 | proxies whose X-Forwarded-For uvicorn trusts (``serve``) |
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from ledger.protocol.checkpoint import parse_witness_key
from ledger.protocol.note import NoteVerifier
from ledger.protocol.witness_protocol import MAX_REQUEST_BYTES as MAX_WITNESS_REQUEST_BYTES

# Pagination: every list takes ?limit= (default, at most) and answers next_cursor.
PAGE_DEFAULT = 50
PAGE_MAX = 500
# GET /api/v1/log/entries answers at most this many leaves; the client continues from there.
ENTRIES_PAGE_MAX = 1000
# GET /api/v1/log/checkpoints
CHECKPOINTS_PAGE_MAX = 1000

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class ApiSettings:
    cors_origins: tuple[str, ...] = ()
    witness_keys: tuple[NoteVerifier, ...] = ()
    write_rate: float = 50.0
    write_burst: int = 300
    rate_limit_exempt: tuple[Network, ...] = ()
    rate_limit_store: str = "memory://"
    max_entry_bytes: int = 256 * 1024
    max_batch_bytes: int = 16 * 1024 * 1024
    forwarded_allow_ips: str = "127.0.0.1"

    @property
    def max_witness_bytes(self) -> int:
        return MAX_WITNESS_REQUEST_BYTES

    def is_exempt(self, host: str | None) -> bool:
        if not host or not self.rate_limit_exempt:
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in net for net in self.rate_limit_exempt)


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def from_env(env: Mapping[str, str] | None = None) -> ApiSettings:
    """Read the settings; a malformed value raises ValueError naming the variable."""
    env = os.environ if env is None else env

    def number(name: str, default: float, kind: type = int) -> float:
        raw = env.get(name)
        if raw is None or raw.strip() == "":
            return default
        try:
            value = kind(raw)
        except ValueError:
            raise ValueError(f"{name}={raw!r} is not a number") from None
        if value < 0:
            raise ValueError(f"{name}={raw!r} must not be negative")
        return float(value)

    witness_keys = []
    for text in _split(env.get("CHARITY_LEDGER_WITNESS_KEYS")):
        try:
            witness_keys.append(parse_witness_key(text))
        except Exception as exc:  # LedgerError: say which variable is wrong
            raise ValueError(f"CHARITY_LEDGER_WITNESS_KEYS: {text!r} is not a witness verifier key: {exc}") from None
    exempt = []
    for text in _split(env.get("CHARITY_LEDGER_RATE_LIMIT_EXEMPT")):
        try:
            exempt.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(f"CHARITY_LEDGER_RATE_LIMIT_EXEMPT: {text!r} is not an address or network") from None
    store = env.get("CHARITY_LEDGER_RATE_LIMIT_STORE", "").strip() or "memory://"
    if not store.startswith(("memory://", "redis://", "rediss://", "redis+unix://", "redis+sentinel://")):
        raise ValueError(f"CHARITY_LEDGER_RATE_LIMIT_STORE={store!r} is not memory:// or a redis:// URL")
    return ApiSettings(
        cors_origins=tuple(_split(env.get("CHARITY_LEDGER_CORS_ORIGINS"))),
        witness_keys=tuple(witness_keys),
        write_rate=float(number("CHARITY_LEDGER_WRITE_RATE", 50.0, float)),
        write_burst=int(number("CHARITY_LEDGER_WRITE_BURST", 300)),
        rate_limit_exempt=tuple(exempt),
        rate_limit_store=store,
        max_entry_bytes=int(number("CHARITY_LEDGER_MAX_ENTRY_BYTES", 256 * 1024)),
        max_batch_bytes=int(number("CHARITY_LEDGER_MAX_BATCH_BYTES", 16 * 1024 * 1024)),
        forwarded_allow_ips=env.get("CHARITY_LEDGER_FORWARDED_ALLOW_IPS", "127.0.0.1"),
    )


@lru_cache(maxsize=1)
def get_api_settings() -> ApiSettings:
    return from_env()
