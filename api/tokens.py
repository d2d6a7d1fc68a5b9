"""Bearer tokens for regulator-only reads: created by a CLI command, stored hashed, scoped, revocable.

A token reads ``clt_<id>_<secret>``: ``id`` is 12 hex digits that name it (safe to show and
log), ``secret`` 32 random bytes in base64url. Only SHA-256 of the whole token is stored, in the
table ``api_token``; the token itself is shown once, when it is made. Checking a token hashes
what the client sent and looks the hash up (a unique index): a stolen database gives no usable
token, and the lookup leaks nothing about the secret.

A token may carry an expiry (``expires_at``); past it, it is refused like a revoked one.

Scopes are short lowercase words; the API checks ``regulator`` (cross-organisation views,
donor personal data, restricted evidence files), ``receipts`` (a donor's personal receipt, asked
for with the donor's receipt code: for the service that hands receipts to donors) and
``overseer`` (restricted evidence files).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, insert, select, update

from ledger.errors import LedgerError, define
from ledger.protocol.canonical import format_time, now
from ledger.store.api_tokens import ApiToken
from ledger.store.db import table_of

# Scopes the API checks today; others may be given to tokens for future uses.
KNOWN_SCOPES = ("regulator", "receipts", "overseer")
_SCOPE = re.compile(r"[a-z][a-z_:]{0,31}", re.ASCII)  # matched in full
_TOKEN = re.compile(r"clt_([0-9a-f]{12})_([A-Za-z0-9_-]{43})", re.ASCII)  # matched in full

TOKEN_INVALID = define(
    "token_invalid",
    "invalid",
    "The token request is not valid: {detail}.",
    "令牌请求无效：{detail}。",
)
TOKEN_UNKNOWN = define(
    "token_unknown",
    "not_found",
    "There is no token {token_id}.",
    "不存在令牌 {token_id}。",
)


MAX_LIFETIME = timedelta(days=731)
TOKEN_TABLE = table_of(ApiToken)  # created by the store's migrations


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: str
    name: str
    scopes: tuple[str, ...]
    created_at: str
    revoked_at: str | None
    expires_at: str | None = None  # None: does not expire

    def live(self, at: str) -> bool:
        """Not revoked, and not expired at the RFC 3339 time ``at``."""
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > at)

    def has(self, scope: str) -> bool:
        return scope in self.scopes


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _check_scopes(scopes: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    if isinstance(scopes, str) or not scopes:
        raise LedgerError(TOKEN_INVALID, detail="give at least one scope")
    out = tuple(dict.fromkeys(scopes))
    for scope in out:
        if not isinstance(scope, str) or not _SCOPE.fullmatch(scope):
            raise LedgerError(TOKEN_INVALID, detail=f"the scope {scope!r} is not a lowercase word")
    return out


def create_token(
    engine: Engine,
    name: str,
    scopes: list[str] | tuple[str, ...],
    *,
    at: datetime | None = None,
    expires_in: timedelta | None = None,
) -> str:
    """Make a token with ``scopes`` and return it (the only time it is ever visible); with
    ``expires_in`` it stops working that long after it is made."""
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise LedgerError(TOKEN_INVALID, detail="the name is 1 to 100 characters")
    checked = _check_scopes(scopes)
    if expires_in is not None and not timedelta(minutes=1) <= expires_in <= MAX_LIFETIME:
        raise LedgerError(TOKEN_INVALID, detail="a token lives from one minute to two years")
    made = at or now()
    token_id = secrets.token_hex(6)
    secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode("ascii")
    token = f"clt_{token_id}_{secret}"
    with engine.begin() as conn:
        conn.execute(
            insert(TOKEN_TABLE).values(
                id=token_id,
                name=name.strip(),
                token_hash=_hash(token),
                scopes=" ".join(checked),
                created_at=format_time(made),
                revoked_at=None,
                expires_at=format_time(made + expires_in) if expires_in is not None else None,
            )
        )
    return token


def token_id_of(token_or_id: str) -> str:
    match = _TOKEN.fullmatch(token_or_id)
    return match.group(1) if match else token_or_id


def revoke_token(engine: Engine, token_or_id: str, *, at: datetime | None = None) -> TokenInfo:
    """Revoke a token, given the token or its id; revoking twice keeps the first time."""
    token_id = token_id_of(token_or_id)
    with engine.begin() as conn:
        row = conn.execute(select(TOKEN_TABLE).where(TOKEN_TABLE.c.id == token_id)).mappings().first()
        if row is None:
            raise LedgerError(TOKEN_UNKNOWN, token_id=token_id)
        if row["revoked_at"] is None:
            stamp = format_time(at or now())
            conn.execute(update(TOKEN_TABLE).where(TOKEN_TABLE.c.id == token_id).values(revoked_at=stamp))
            return _info({**row, "revoked_at": stamp})
    return _info(row)


def list_tokens(engine: Engine) -> list[TokenInfo]:
    with engine.connect() as conn:
        rows = conn.execute(select(TOKEN_TABLE).order_by(TOKEN_TABLE.c.created_at, TOKEN_TABLE.c.id)).mappings().all()
    return [_info(r) for r in rows]


def check_token(engine: Engine, token: str, *, at: datetime | None = None) -> TokenInfo | None:
    """The live token ``token`` is, or None (unknown, malformed, revoked or expired)."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    with engine.connect() as conn:
        row = conn.execute(select(TOKEN_TABLE).where(TOKEN_TABLE.c.token_hash == _hash(token))).mappings().first()
    if row is None:
        return None
    info = _info(row)
    return info if info.live(format_time(at or now())) else None


def _info(row: object) -> TokenInfo:
    r = dict(row)  # type: ignore[call-overload]
    return TokenInfo(
        r["id"], r["name"], tuple(r["scopes"].split()), r["created_at"], r["revoked_at"], r.get("expires_at")
    )
