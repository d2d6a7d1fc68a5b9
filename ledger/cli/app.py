"""The whole product as one Litestar app: the JSON API with the public site and the reports
mounted on it. ``charity-ledger serve`` runs :func:`create_app_from_env` in each worker; tests and
benchmarks call :func:`create_app`.
"""

from __future__ import annotations

from litestar import Litestar

import public_site
import reports
from api.app import Mount
from api.app import create_app as create_api_app
from api.config import ApiSettings
from ledger.settings import Settings
from ledger.store.runtime import Ledger

# The uvicorn factory each worker process calls (``uvicorn --factory``).
APP_FACTORY = "ledger.cli.app:create_app_from_env"

MOUNTS = (
    Mount("public_site", public_site.routes, public_site.on_app_init),
    Mount("reports", reports.routes),
)


def create_app(
    ledger: Ledger | None = None,
    *,
    settings: Settings | None = None,
    api_settings: ApiSettings | None = None,
) -> Litestar:
    """The product's app serving ``ledger`` (opened from ``settings`` or the environment)."""
    return create_api_app(ledger, settings=settings, api_settings=api_settings, mounts=MOUNTS)


def create_app_from_env() -> Litestar:
    """Factory for ``uvicorn --factory ledger.cli.app:create_app_from_env`` (one call per worker)."""
    return create_app()
