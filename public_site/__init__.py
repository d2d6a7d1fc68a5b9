"""The public showcase: server-rendered pages, mounted by ``ledger.cli.app.create_app`` (on the API app).

``create_app`` calls :func:`routes` (the page controller and the static files router) and
:func:`on_app_init` (which sets the app's template configuration to :func:`template_config`).
Handlers take the ``ledger`` dependency the app provides, and read the witness keys from
``app.state.api_settings`` when it is there. See docs/site.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request, Response
from litestar.config.app import AppConfig
from litestar.datastructures import CacheControlHeader
from litestar.file_system import BaseLocalFileSystem
from litestar.static_files import create_static_files_router

from api.problems import is_api_path
from public_site.feeds import SiteFeeds
from public_site.receipts import DonorReceipts
from public_site.templating import STATIC, template_config
from public_site.views import SitePages, error_page
from public_site.workbench.auth import WorkbenchAuthMiddleware
from public_site.workbench.console import Console
from public_site.workbench.evidence_files import WorkbenchEvidence
from public_site.workbench.forms import WorkbenchForms
from public_site.workbench.imports import WorkbenchImports
from public_site.workbench.pages import WorkbenchPages

__all__ = ["on_app_init", "routes", "template_config"]


def routes() -> list[Any]:
    """The site's route handlers: pages at ``/...`` and assets at ``/static``."""
    static = create_static_files_router(
        path="/static",
        directories=[STATIC],
        name="site:static",
        cache_control=CacheControlHeader(public=True, max_age=86_400),
        include_in_schema=False,
        file_system=GuardedFileSystem(),
    )
    return [
        SitePages,
        SiteFeeds,
        DonorReceipts,
        WorkbenchPages,
        Console,
        WorkbenchForms,
        WorkbenchEvidence,
        WorkbenchImports,
        static,
    ]


def on_app_init(app_config: AppConfig) -> AppConfig:
    """Give the app the site's template engine (one Jinja environment, autoescaping), and make
    the app's error handlers answer paths of the site with the site's HTML error page."""
    if app_config.template_config is not None:
        raise RuntimeError("public_site needs the app's template_config; another package set one already")
    app_config.template_config = template_config()

    app_config.middleware = [*app_config.middleware, WorkbenchAuthMiddleware]  # who is signed in, CSRF
    handlers = app_config.exception_handlers
    app_config.exception_handlers = {kind: _site_aware(handler) for kind, handler in handlers.items()}
    return app_config


Handler = Callable[[Request, Exception], Response[Any]]
# the workbench's JSON endpoints, called by its pages' scripts: their errors are problem JSON
WORKBENCH_JSON_PREFIX = "/workbench/api/"


def _site_aware(handler: Handler) -> Handler:
    """The app's handler on the API's paths (problem JSON), the site's error page elsewhere: an
    unknown address, a wrong method or an unreadable body on the site is a page, not JSON."""

    def handle(request: Request, exc: Exception) -> Response[Any]:
        path = request.scope["path"]
        if is_api_path(path) or path.startswith(WORKBENCH_JSON_PREFIX):
            return handler(request, exc)
        return error_page(request, exc)

    return handle


class GuardedFileSystem(BaseLocalFileSystem):
    """The static files' file system: a name the operating system cannot look up (a NUL byte,
    a name longer than the system allows, bytes that are not a file name) is a missing file,
    so the site answers its 404 page instead of a 500."""

    async def info(self, path: Any, **kwargs: Any) -> Any:
        text = str(path)
        if "\x00" in text or "\ufffd" in text or any(len(part) > 255 for part in text.split("/")):
            raise FileNotFoundError(text[:100])
        try:
            return await super().info(path, **kwargs)
        except (ValueError, OSError) as exc:
            if isinstance(exc, PermissionError):
                raise
            raise FileNotFoundError(text[:100]) from exc
