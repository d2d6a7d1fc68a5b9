"""The application: one :func:`create_app` that lists, in one place, what the API is made of.

Other packages are mounted on it by whoever composes the product (``ledger.cli.app`` mounts the
public site and the reports), each as a :class:`Mount`:

- ``routes() -> Sequence[route handler, Controller or Router]``: added to the app; their
  handlers can ask for the ``ledger`` (:class:`~ledger.store.runtime.Ledger`) and
  ``api_settings`` (:class:`~api.config.ApiSettings`) dependencies like the API's own;
- ``on_app_init(app_config) -> app_config`` (optional): a Litestar hook to add what a package
  needs at app level (a ``TemplateConfig``, static files routers, stores, ...).

Errors raised there get the same problem details and every response the same security headers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.logging import LoggingConfig

from api.coalescer import AppendCoalescer
from api.config import ApiSettings, get_api_settings
from api.controllers.donor_data import DonorDataController
from api.controllers.entries import EntriesController
from api.controllers.entry_check import EntryCheckController
from api.controllers.evidence import EvidenceController
from api.controllers.log import LogController, LogShardsController
from api.controllers.oversight import DeadlinesController, OverseersController
from api.controllers.problems import ProblemsController
from api.controllers.registry import (
    AllocationsController,
    AttestationsController,
    DisbursementsController,
    DonationsController,
    OrganisationsController,
    ProgressController,
    ProjectsController,
)
from api.controllers.regulator import RegulatorController
from api.controllers.tiles import TilesController
from api.http_caching import Clock, http_caching
from api.openapi import ExampleStructPlugin, docs_asset, openapi_config
from api.problems import EXCEPTION_HANDLERS
from api.redaction import install as install_log_redaction
from api.requests import LedgerRequest, host_guard
from api.security import OptionsAllowFix, RateLimiter, add_security_headers
from ledger.errors import LedgerError
from ledger.protocol.canonical import parse_time
from ledger.services.witness_push import PushPool, witness_targets
from ledger.settings import Settings, get_settings
from ledger.store.runtime import Ledger, open_ledger

log = logging.getLogger("api")

CONTROLLERS: tuple[type, ...] = (
    LogController,
    LogShardsController,
    TilesController,
    EntriesController,
    EntryCheckController,
    OrganisationsController,
    ProjectsController,
    DonationsController,
    DonorDataController,
    AllocationsController,
    DisbursementsController,
    ProgressController,
    AttestationsController,
    DeadlinesController,
    OverseersController,
    RegulatorController,
    EvidenceController,
    ProblemsController,
    docs_asset,
)


@dataclass(frozen=True)
class Mount:
    """A package mounted on the API app: its routes and, optionally, an app-level hook."""

    name: str
    routes: Callable[[], Sequence[Any]]
    on_app_init: Callable[[AppConfig], AppConfig] | None = None


def create_app(
    ledger: Ledger | None = None,
    *,
    settings: Settings | None = None,
    api_settings: ApiSettings | None = None,
    mounts: Sequence[Mount] = (),
) -> Litestar:
    """The Litestar app serving ``ledger`` (opened from ``settings`` or the environment), with
    the API's own routes and those of every package in ``mounts``."""
    owns_engine = ledger is None
    if ledger is None:
        ledger = open_ledger(settings or get_settings())
    api_settings = api_settings or get_api_settings()

    pushing = witness_pool(ledger)
    install_log_redaction()  # receipt codes never reach the access log (api.redaction)
    options_allow = OptionsAllowFix()
    app = Litestar(
        route_handlers=[*CONTROLLERS, *(r for m in mounts for r in _routes_of(m))],
        dependencies={
            "ledger": Provide(_constant(ledger), sync_to_thread=False),
            "api_settings": Provide(_constant(api_settings), sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        request_class=LedgerRequest,  # every body is read by api.requests: failures are typed 4xx
        openapi_config=openapi_config(),
        plugins=[ExampleStructPlugin()],
        before_send=[add_security_headers, options_allow],
        cors_config=_cors(api_settings),
        # the largest body of any handler (add-checkpoint sets its own); guards apply the smaller ones
        request_max_body_size=max(api_settings.max_entry_bytes, api_settings.max_batch_bytes),
        state=State(
            {
                "ledger": ledger,
                "api_settings": api_settings,
                "rate_limiter": RateLimiter(api_settings),
                "appender": AppendCoalescer(ledger.log, on_appended=pushing.notify if pushing else None),
                "witness_pool": pushing,
            }
        ),
        on_app_init=[m.on_app_init for m in mounts if m.on_app_init is not None],
        on_startup=[pushing.start] if pushing else [],
        on_shutdown=[*([pushing.stop] if pushing else []), *([ledger.engine.dispose] if owns_engine else [])],
        # Problems are logged by api.problems (server errors only); client errors are not noise.
        logging_config=LoggingConfig(log_exceptions="debug"),
        signature_namespace={"Ledger": Ledger, "ApiSettings": ApiSettings},
    )
    options_allow.learn(app)
    # ETag, 304, HEAD and gzip for every GET (api.http_caching). Around the router, not in the
    # middleware list: Litestar's routing refuses HEAD on a GET route before route middleware runs.
    # A Host header that is no host is refused before anything builds the request's URL from it.
    app.asgi_handler = host_guard(http_caching(app.asgi_handler, _log_clock(ledger)))
    return app


def witness_pool(ledger: Ledger) -> PushPool | None:
    """The in-process pushers to ``CHARITY_LEDGER_WITNESSES`` (C2SP tlog-witness), one thread per
    witness, when tasks run in-process; with a broker, Celery pushes (``ledger.push_to_witness``)."""
    if not ledger.settings.witnesses or ledger.settings.broker_url:
        return None
    return PushPool(ledger.log, witness_targets(ledger.settings.witnesses))


def _log_clock(ledger: Ledger) -> Clock:
    """Last-Modified for api.http_caching: the log clock of the latest entry (it never runs
    backwards), for every answer but tiles and assets, whose bytes are fixed by their path."""

    def read() -> float:
        return parse_time(ledger.log.head().last_time).timestamp()

    async def clock(path: str) -> float | None:
        if path.startswith(_FIXED_BY_PATH) or "/tile/" in path:
            return None
        try:
            return await anyio.to_thread.run_sync(read)
        except LedgerError:  # no log yet: the handler answers that
            return None

    return clock


_FIXED_BY_PATH = ("/static/", "/tlog/tile/")


def _constant(value: Any) -> Callable[[], Any]:
    def provide() -> Any:
        return value

    return provide


def _cors(api_settings: ApiSettings) -> CORSConfig | None:
    if not api_settings.cors_origins:
        return None
    return CORSConfig(
        allow_origins=list(api_settings.cors_origins),
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Content-Type", "Authorization", "X-Evidence-Signature"],
        expose_headers=["Retry-After", "X-Log-Tree-Size"],
        max_age=600,
    )


def _routes_of(mount: Mount) -> Sequence[Any]:
    found = list(mount.routes())
    log.info("mounted %d route handler(s) from %s", len(found), mount.name)
    return found
