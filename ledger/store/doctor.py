"""``charity-ledger doctor``: checks a deployment end to end and says what is wrong.

Each check returns ok or a message a person can act on; the command exits non-zero when any
check fails. Nothing is changed by running it.
"""

from __future__ import annotations

import shutil
import stat
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text

from ledger.errors import LedgerError
from ledger.settings import Settings


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str
    warning: bool = False  # passes, but a person should act on it

    def to_json(self) -> dict[str, Any]:
        return {"check": self.name, "ok": self.ok, "warning": self.warning, "detail": self.detail}


def _private_file(path: Path, what: str) -> Check:
    if not path.exists():
        return Check(what, False, f"{path} does not exist (run `charity-ledger init`)")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        return Check(what, False, f"{path} has mode {mode:o}; others can read it — run chmod 600 {path}")
    return Check(what, True, f"{path} (mode {mode:o})")


class _Checks(list[Check]):
    def attempt(self, name: str, func: Callable[[], str]) -> bool:
        """Run one check and add its outcome: what it found, or why it failed."""
        try:
            self.append(Check(name, True, func()))
            return True
        except LedgerError as exc:
            self.append(Check(name, False, f"[{exc.code}] {exc.message_en} / {exc.message_zh}"))
        except Exception as exc:  # a check must report, not crash
            self.append(Check(name, False, f"{type(exc).__name__}: {exc}"))
        return False


def run_checks(settings: Settings, *, deep: bool = False) -> list[Check]:
    checks = _Checks()
    attempt = checks.attempt

    from ledger.store import migrate
    from ledger.store.db import make_engine

    engine = make_engine(settings.database_url)

    def database() -> str:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return engine.url.render_as_string(hide_password=True)

    def migrations() -> str:
        current, head = migrate.current_revision(engine), migrate.head_revision()
        if current != head:
            raise RuntimeError(f"schema at revision {current}, code expects {head}: run `charity-ledger init`")
        return f"revision {current}"

    db_ok = attempt("database reachable", database) and attempt("migrations current", migrations)
    if db_ok:
        checks.append(_origin_check(settings))
    key_check = _private_file(settings.log_key_path, "log key file")
    checks.append(key_check)
    if settings.privacy_key:
        checks.append(Check("donor data key", True, "from CHARITY_LEDGER_PRIVACY_KEY"))
    else:
        checks.append(_private_file(settings.privacy_key_path, "donor data key"))

    if key_check.ok and db_ok:
        _check_the_log(checks, settings, deep=deep)

    if settings.broker_url:
        attempt("task broker reachable", lambda: _broker(settings.broker_url or ""))
    else:
        checks.append(Check("task broker", True, "none configured: tasks run in-process"))
    attempt("report fonts", _fonts)
    engine.dispose()
    return list(checks)


def _check_the_log(checks: _Checks, settings: Settings, *, deep: bool) -> None:
    """The stored log verifies, its projections match it (``deep``), its trust root and evidence."""
    attempt = checks.attempt
    from ledger.store.export import verify_stored_chain
    from ledger.store.runtime import open_ledger

    def log_verifies() -> str:
        ledger = open_ledger(settings)
        chain = verify_stored_chain(ledger.log)
        report = chain.logs[-1]
        earlier = f"; {len(chain.logs) - 1} sealed earlier logs verify and link" if len(chain.logs) > 1 else ""
        return f"{report.size} entries verify against the latest checkpoint (root {report.root[:16]}…){earlier}"

    if attempt("log verifies", log_verifies) and deep:
        from ledger.store.rebuild import check as rebuild_check

        def projections() -> str:
            report = rebuild_check(open_ledger(settings).log)
            if not report.clean:
                tables = ", ".join(d.table for d in report.diffs if not d.clean)
                raise RuntimeError(f"projections differ from the log in {tables}: run `charity-ledger rebuild --check`")
            return f"{report.entries} entries replayed; every projection table matches"

        attempt("projections match the log", projections)

    def trust_root() -> str:
        from ledger.store.onboarding import check_trust_root

        return check_trust_root(open_ledger(settings))

    attempt("genesis and system key", trust_root)
    attempt("evidence files", lambda: _evidence(settings, deep=deep))


def _evidence(settings: Settings, *, deep: bool) -> str:
    """The evidence store: every file the database names is there (``deep``: and hashes to its
    name); a folder store is private (0700)."""
    from sqlalchemy import select

    from ledger.store.evidence import TABLE, DiskBackend, open_evidence
    from ledger.store.runtime import open_ledger

    ledger = open_ledger(settings)
    try:
        store = open_evidence(ledger)
        backend = store.backend
        if isinstance(backend, DiskBackend) and backend.root.exists():
            mode = stat.S_IMODE(backend.root.stat().st_mode)
            if mode & 0o077:
                root = backend.root
                raise RuntimeError(f"{root} has mode {mode:o}; others can list it — run chmod 700 {root}")
        with ledger.engine.connect() as conn:
            names = list(conn.execute(select(TABLE.c.sha256)).scalars())
        for sha in names:
            if deep:
                store.read(sha)  # evidence_store_unavailable when missing or damaged
            elif isinstance(backend, DiskBackend) and not (backend.root / sha[:2] / sha[2:]).exists():
                raise LedgerError("evidence_store_unavailable", sha256=sha)
        checked = ", each hashes to its name" if deep else ""
        return f"{len(names)} file{'' if len(names) == 1 else 's'} in {backend.describe()}{checked}"
    finally:
        ledger.engine.dispose()


def _origin_check(settings: Settings) -> Check:
    from ledger.settings import is_example_origin
    from ledger.store.runtime import stored_origin

    origin = stored_origin(settings) or settings.origin
    if is_example_origin(origin):
        return Check(
            "log origin",
            True,
            f"{origin} is the example origin: fine for a demo, but a public registry needs its own "
            "(start a new data folder with `charity-ledger init --origin <your domain>/log`) / "
            "这是示例名称，仅适合演示；公开运行的登记平台需要自己的账本名称",
            warning=True,
        )
    return Check("log origin", True, origin)


def _broker(url: str) -> str:
    from kombu.connection import Connection

    with Connection(url, connect_timeout=5) as conn:  # type: ignore[no-untyped-call]  # kombu's constructor is untyped
        conn.ensure_connection(max_retries=1)
    return url.split("@")[-1]


def _fonts() -> str:
    if shutil.which("fc-list") is None:
        raise RuntimeError("fontconfig (fc-list) is missing: install fontconfig and fonts-noto-cjk")
    out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=30).stdout
    families = sorted({line.split(",")[0].strip() for line in out.splitlines() if line.strip()})
    if not families:
        raise RuntimeError("no Chinese font: install fonts-noto-cjk (reports need a CJK font)")
    import weasyprint  # noqa: F401  (Pango must load for PDF reports)

    return ", ".join(families[:3])
