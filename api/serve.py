"""``charity-ledger serve``: the app under uvicorn, with several worker processes.

The schema is brought up to date (and the log key created) once, in this process; then uvicorn
starts ``workers`` processes, each of which builds its own app with
the factory it is given (``ledger.cli.app.APP_FACTORY`` for the product; its own engine, made
after the fork). The settings reach
the workers through the environment.

Extra environment: ``CHARITY_LEDGER_ACCESS_LOG=0`` turns uvicorn's per-request log off;
``CHARITY_LEDGER_FORWARDED_ALLOW_IPS`` names the proxies whose X-Forwarded-For is trusted
(the client address the rate limit keys on).
"""

from __future__ import annotations

import os
from collections.abc import Callable

import uvicorn

from api.config import get_api_settings
from ledger.settings import Settings, get_settings
from ledger.store.runtime import Ledger, init_ledger


def serve(
    settings: Settings,
    *,
    factory: str,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    prepare: Callable[[Ledger], None] | None = None,
) -> int:
    """Run the app ``factory`` (``module:function``) under uvicorn; ``prepare`` runs once, first."""
    ledger = init_ledger(settings)
    if prepare is not None:
        prepare(ledger)
    ledger.engine.dispose()
    export_settings(settings)
    api_settings = get_api_settings()  # a malformed variable fails here, not in every worker
    uvicorn.run(
        factory,
        factory=True,
        host=host,
        port=port,
        workers=max(1, workers),
        proxy_headers=True,
        forwarded_allow_ips=api_settings.forwarded_allow_ips,
        server_header=False,
        access_log=os.environ.get("CHARITY_LEDGER_ACCESS_LOG", "1") not in ("0", "false", "no"),
        timeout_graceful_shutdown=10,
        timeout_keep_alive=5,  # deploy/nginx.conf closes idle connections first (keepalive_timeout 4s)
    )
    return 0


def export_settings(settings: Settings) -> None:
    """Put ``settings`` into the environment, where the worker processes read them."""
    os.environ["CHARITY_LEDGER_HOME"] = str(settings.home)
    os.environ["CHARITY_LEDGER_DATABASE_URL"] = settings.database_url
    os.environ["CHARITY_LEDGER_ORIGIN"] = settings.origin
    os.environ["CHARITY_LEDGER_MAX_CLOCK_SKEW"] = str(settings.max_clock_skew_s)
    if settings.privacy_key:
        os.environ["CHARITY_LEDGER_PRIVACY_KEY"] = settings.privacy_key
    if settings.broker_url:
        os.environ["CHARITY_LEDGER_BROKER_URL"] = settings.broker_url
    get_settings.cache_clear()
