"""Limits of the report endpoints: how long results live, how often a client may ask, and how
many reports the API renders at once.

| variable | default | meaning |
|---|---|---|
| CHARITY_LEDGER_REPORT_TTL | 3600 | seconds a finished report job (and a personal receipt's files) is kept; then 410 |
| CHARITY_LEDGER_REPORT_RATE | 6 | report requests a minute per client address, after the burst |
| CHARITY_LEDGER_REPORT_BURST | 10 | report requests a client address may send at once |
| CHARITY_LEDGER_REPORT_RENDERS | 2 | reports one API process renders at once (embedded mode; a worker has its own) |

The rate limit is counted like the write limit (api.security.RateLimiter, under its own
namespace: per process, or in the shared store of ``CHARITY_LEDGER_RATE_LIMIT_STORE``); addresses in
``CHARITY_LEDGER_RATE_LIMIT_EXEMPT`` are not limited. The app keeps one :class:`ReportService`
in ``app.state.report_service`` (made on first use from the environment; a test may put its own).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import anyio

from api.config import ApiSettings
from api.security import RateLimiter
from ledger.errors import LedgerError
from ledger.protocol.canonical import now
from reports.codes import REPORT_RATE_LIMITED

STATE_KEY = "report_service"
PURGE_EVERY_S = 60.0


@dataclass(frozen=True, slots=True)
class ReportLimits:
    ttl_s: float = 3600.0
    per_minute: float = 6.0
    burst: int = 10
    renders: int = 2


def limits_from_env(env: Mapping[str, str] | None = None) -> ReportLimits:
    """Read the limits; a malformed value raises ValueError naming the variable."""
    env = os.environ if env is None else env

    def number(name: str, default: float, minimum: float) -> float:
        raw = (env.get(name) or "").strip()
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"{name}={raw!r} is not a number") from None
        if value < minimum:
            raise ValueError(f"{name}={raw!r} must be at least {minimum:g}")
        return value

    return ReportLimits(
        ttl_s=number("CHARITY_LEDGER_REPORT_TTL", 3600.0, 1),
        per_minute=number("CHARITY_LEDGER_REPORT_RATE", 6.0, 0),
        burst=int(number("CHARITY_LEDGER_REPORT_BURST", 10, 1)),
        renders=int(number("CHARITY_LEDGER_REPORT_RENDERS", 2, 1)),
    )


class ReportService:
    """The report endpoints' limits and state in one API process."""

    def __init__(
        self,
        limits: ReportLimits,
        api_settings: Any = None,
        *,
        clock: Callable[[], datetime] = now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = limits
        self.clock = clock
        self.monotonic = monotonic
        base = api_settings if api_settings is not None else ApiSettings()
        self._rate = RateLimiter(
            replace(base, write_rate=limits.per_minute / 60.0, write_burst=limits.burst), "charity-ledger-reports"
        )
        self._limiter: Any = None
        self._last_purge = float("-inf")

    def check_rate(self, host: str) -> None:
        """Take one request from the client's bucket, or refuse with 429 and Retry-After."""
        try:
            self._rate.check(host)
        except LedgerError as exc:
            retry = exc.params.get("retry_after", 1)
            err = LedgerError(
                REPORT_RATE_LIMITED,
                client=host,
                burst=self.limits.burst,
                per_minute=f"{self.limits.per_minute:g}",
                retry_after=retry,
            )
            err.headers = {"Retry-After": str(retry)}  # type: ignore[attr-defined]
            raise err from None

    def render_limiter(self) -> Any:
        """The cap on reports rendered at once (an anyio CapacityLimiter, made in the event loop)."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.limits.renders)
        return self._limiter

    def purge_due(self) -> bool:
        """Whether expired jobs should be swept now (at most once a minute)."""
        moment = self.monotonic()
        if moment - self._last_purge < PURGE_EVERY_S:
            return False
        self._last_purge = moment
        return True


def service_of(app: Any) -> ReportService:
    """The app's report service, made from the environment on first use."""
    service = app.state.get(STATE_KEY)
    if service is None:
        service = ReportService(limits_from_env(), app.state.get("api_settings"))
        app.state[STATE_KEY] = service
    return service
