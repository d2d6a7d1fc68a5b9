"""The public showcase: server-rendered pages, mounted by ``api.app.create_app``.

``create_app`` calls :func:`routes` (the page controller and the static files router) and
:func:`on_app_init` (which sets the app's template configuration to :func:`template_config`).
Handlers take the ``ledger`` dependency the app provides, and read the witness keys from
``app.state.api_settings`` when it is there. See docs/site.md.
"""

from __future__ import annotations

from typing import Any

from litestar.config.app import AppConfig
from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router

from .templating import STATIC, template_config

__all__ = ["on_app_init", "routes", "template_config"]


def routes() -> list[Any]:
    """The site's route handlers: pages at ``/...`` and assets at ``/static``."""
    from .views import SitePages

    static = create_static_files_router(
        path="/static",
        directories=[STATIC],
        name="site:static",
        cache_control=CacheControlHeader(public=True, max_age=86_400),
        include_in_schema=False,
    )
    return [SitePages, static]


def on_app_init(app_config: AppConfig) -> AppConfig:
    """Give the app the site's template engine (one Jinja environment, autoescaping)."""
    if app_config.template_config is not None:
        raise RuntimeError("public_site needs the app's template_config; another package set one already")
    app_config.template_config = template_config()
    return app_config
