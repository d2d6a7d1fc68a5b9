"""Hostile requests for the fuzz tests: path segments, bodies and headers a careless or malicious
client sends, and a snapshot of everything a request could write (to show nothing was)."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text

from ledger.store.runtime import Ledger

# Path segments, already percent-encoded where a client would have to (they go into the URL as
# they are). Each names the class of input it stands for.
PATH_SEGMENTS: dict[str, str] = {
    "nul": "%00",
    "nul-inside": "a%00b",
    "control": "a%0Ab%0D%09",
    "uint64+1": "18446744073709551616",
    "int64+1": "9223372036854775808",
    "huge-int": "9" * 400,
    "negative": "-1",
    "float": "1e400",
    "nan": "NaN",
    "unicode-digits": "%D9%A3%EF%BC%91",  # ARABIC-INDIC THREE, FULLWIDTH ONE
    "overlong-dot": "%C0%AE%C0%AE",
    "invalid-utf8": "%FF%FE",
    "truncated-utf8": "%E4%B8",
    "surrogate": "%ED%A0%80",
    "dot-dot": "..",
    "encoded-dot-dot": "%2e%2e",
    "encoded-slash": "..%2F..%2Fetc%2Fpasswd",
    "backslash": "..%5C..%5Cwin.ini",
    "long": "x" * 5000,
    "space": "%20",
    "emoji": "%F0%9F%92%A9",
    "html": "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
}


@dataclass(frozen=True)
class Body:
    content_type: str
    content: bytes
    headers: dict[str, str] = field(default_factory=dict)


def _deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


BODIES: dict[str, Body] = {
    "deep-array": Body("application/json", _deep(100_000)),
    "deep-object": Body("application/json", b'{"a":' * 5_000 + b"1" + b"}" * 5_000),
    "deep-in-field": Body("application/json", b'{"code":' + _deep(10_000) + b"}"),
    "invalid-utf8": Body("application/json", b'{"code": "\xff\xfe"}'),
    "utf16": Body("application/json", '{"code": "x"}'.encode("utf-16")),
    "utf8-bom": Body("application/json", b'\xef\xbb\xbf{"code": "x"}'),
    "empty": Body("application/json", b""),
    "duplicate-keys": Body("application/json", b'{"code": "a", "code": "b"}'),
    "nan": Body("application/json", b'{"code": NaN, "x": Infinity}'),
    "1e400": Body("application/json", b'{"code": 1e400}'),
    "huge-int": Body("application/json", b'{"code": ' + b"9" * 5_000 + b"}"),
    "nul": Body("application/json", b'{"code": "\\u0000"}'),
    "lone-surrogate": Body("application/json", b'{"code": "\\ud800"}'),
    "null": Body("application/json", b"null"),
    "bytes": Body("application/json", bytes(range(256))),
    "wrong-type": Body("text/plain", b'{"code": "x"}'),
    "xml": Body("application/xml", b"<code>x</code>"),
    "form-bad": Body("application/x-www-form-urlencoded", b"code=%FF%00&code=2&=&&"),
    "multipart-no-boundary": Body("multipart/form-data", b"--x\r\nbroken"),
    "multipart-broken": Body("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data\r\n\r\n"),
    "charset-utf16": Body("application/json; charset=utf-16", b'{"code": "x"}'),
    "content-type-junk": Body('application/json; charset="', b'{"code": "x"}'),
    "no-content-type": Body("", b'{"code": "x"}'),
    "gzip": Body("application/json", gzip.compress(b'{"code": "x"}'), {"content-encoding": "gzip"}),
    "gzip-claimed": Body("application/json", b'{"code": "x"}', {"content-encoding": "gzip"}),
    "br-claimed": Body("application/x-www-form-urlencoded", b"code=x", {"content-encoding": "br"}),
    "huge-content-length": Body("application/json", b'{"code": "x"}', {"content-length": "99999999999999999999"}),
}

# Odd request headers, as bytes: any octet a client can put on the wire.
HEADERS: dict[str, dict[bytes, bytes]] = {
    "if-none-match-nul": {b"if-none-match": b'"\x00"'},
    "if-none-match-junk": {b"if-none-match": b"," * 2000 + b'W/"", *, "\xff'},
    "if-none-match-star": {b"if-none-match": b"*"},
    "accept-encoding-junk": {b"accept-encoding": b"gzip;q=abc, \xff;q=-1, *;q=1e400"},
    "accept-encoding-zero": {b"accept-encoding": b"gzip;q=0, identity;q=0"},
    "accept-language-junk": {b"accept-language": b"\xff;q=x, zh;q=999999999999999999999, *;;;"},
    "accept-junk": {b"accept": b"\x00/\xff;q=nan"},
    "cookie-junk": {b"cookie": b"\xff=\xff; lang=\x00; =; lang=zh;;"},
    "range": {b"range": b"bytes=99999999999999999999999-1"},
    "if-modified-since": {b"if-modified-since": b"not a date"},
    "authorization-junk": {b"authorization": b"Bearer \xff\x00"},
    "x-forwarded-for": {b"x-forwarded-for": b"::::, 999.999.999.999, \xff"},
    "host-junk": {b"host": b"\xff:99999999"},
}


def written(ledger: Ledger) -> dict[str, Any]:
    """What a request could have written: the log's head, the donor store, the API tokens and
    every file of the data folder (SQLite's shared-memory index aside, which reads touch)."""
    head = ledger.log.head()
    with ledger.engine.connect() as conn:
        donors = (
            conn.execute(text("SELECT seq, token, erased_at FROM donor_private ORDER BY seq")).all()
            if _has(conn, "donor_private")
            else []
        )
        tokens = conn.execute(text("SELECT COUNT(*) FROM api_token")).scalar() if _has(conn, "api_token") else 0
    home = Path(ledger.settings.home)
    files = {
        str(p.relative_to(home)): (p.stat().st_size if p.name.endswith((".sqlite3", "-wal")) else _digest(p))
        for p in sorted(home.rglob("*"))
        if p.is_file() and not p.name.endswith("-shm")
    }
    return {"log": (head.size, head.root), "donors": [tuple(r) for r in donors], "tokens": tokens, "files": files}


def _has(conn: Any, table: str) -> bool:
    return conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = :n"), {"n": table}).first() is not None


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
