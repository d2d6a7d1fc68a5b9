"""Settings, read from the environment once (and from the ``--home`` option of the CLI).

| variable | default | meaning |
|---|---|---|
| CHARITY_LEDGER_HOME | ./data | data folder: SQLite file, log key, reports |
| CHARITY_LEDGER_DATABASE_URL | sqlite in the data folder | any SQLAlchemy URL (postgresql+psycopg://...) |
| CHARITY_LEDGER_ORIGIN | charity-ledger.example/log | the log's origin line (checkpoint name) |
| CHARITY_LEDGER_KEY_PASSPHRASE | (none) | encrypts the log key file when set |
| CHARITY_LEDGER_PRIVACY_KEY | generated in the data folder | Fernet key of the donor data store |
| CHARITY_LEDGER_BROKER_URL | (none: tasks run in-process) | Celery broker (redis:// or amqp://) |
| CHARITY_LEDGER_MAX_CLOCK_SKEW | 600 | seconds an entry's `at` may differ from the log clock |
| CHARITY_LEDGER_WITNESSES | (none) | witnesses the log pushes checkpoints to (C2SP tlog-witness): comma-separated `<witness vkey> <submission URL>` |
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

DEFAULT_ORIGIN = "charity-ledger.example/log"


def is_example_origin(origin: str) -> bool:
    """The origin shipped as a default (or any under the reserved ``.example`` name, RFC 2606):
    fine for demos and tests, never for a registry the public relies on."""
    host = origin.split("/", 1)[0].lower()
    return origin == DEFAULT_ORIGIN or host == "example" or host.endswith(".example")


@dataclass(frozen=True, slots=True)
class Settings:
    home: Path
    database_url: str
    origin: str
    key_passphrase: bytes | None
    privacy_key: str | None
    broker_url: str | None
    max_clock_skew_s: int
    origin_explicit: bool = False  # set in the environment, rather than the default
    witnesses: tuple[tuple[str, str], ...] = ()  # (witness verifier key, submission URL prefix)

    @property
    def log_key_path(self) -> Path:
        return self.home / "keys" / "log.key"

    @property
    def privacy_key_path(self) -> Path:
        return self.home / "keys" / "privacy.key"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    def published_report_dir(self, kind: str, stem: str) -> Path:
        """Where the files of a report recorded in the log (``report.issued``) are kept: the
        report pipeline writes them there, the API serves them from there, checked against the
        SHA-256 the entry records (the demo's summary report goes there too)."""
        return self.reports_dir / kind / stem

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def with_home(self, home: Path) -> Settings:
        """Settings for another data folder; the database follows unless set explicitly."""
        home = Path(home).resolve()
        url = self.database_url
        if not os.environ.get("CHARITY_LEDGER_DATABASE_URL"):
            url = sqlite_url(home)
        return replace(self, home=home, database_url=url)


def sqlite_url(home: Path) -> str:
    return f"sqlite:///{Path(home).resolve() / 'ledger.sqlite3'}"


def parse_witnesses(value: str | None) -> tuple[tuple[str, str], ...]:
    """``CHARITY_LEDGER_WITNESSES``: comma-separated ``<witness vkey> <submission URL>`` pairs
    (the key's syntax is checked where it is used, :mod:`ledger.services.witness_push`)."""
    pairs = []
    for item in (value or "").split(","):
        if not item.strip():
            continue
        parts = item.split()
        if len(parts) != 2 or not parts[1].startswith(("http://", "https://")):
            raise ValueError(
                f"CHARITY_LEDGER_WITNESSES: {item.strip()!r} is not '<witness vkey> <submission URL>' "
                "(CHARITY_LEDGER_WITNESSES 的每一项须为“见证方公钥 空格 提交地址”)"
            )
        pairs.append((parts[0], parts[1].rstrip("/")))
    return tuple(pairs)


def from_env(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    home = Path(env.get("CHARITY_LEDGER_HOME", "data")).resolve()
    passphrase = env.get("CHARITY_LEDGER_KEY_PASSPHRASE")
    return Settings(
        home=home,
        database_url=env.get("CHARITY_LEDGER_DATABASE_URL") or sqlite_url(home),
        origin=env.get("CHARITY_LEDGER_ORIGIN", DEFAULT_ORIGIN),
        key_passphrase=passphrase.encode() if passphrase else None,
        privacy_key=env.get("CHARITY_LEDGER_PRIVACY_KEY") or None,
        broker_url=env.get("CHARITY_LEDGER_BROKER_URL") or None,
        max_clock_skew_s=int(env.get("CHARITY_LEDGER_MAX_CLOCK_SKEW", "600")),
        origin_explicit=bool(env.get("CHARITY_LEDGER_ORIGIN")),
        witnesses=parse_witnesses(env.get("CHARITY_LEDGER_WITNESSES")),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return from_env()
