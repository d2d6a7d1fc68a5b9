"""What the browser tests share: an app served by uvicorn on a free 127.0.0.1 port, Debian's
headless Chromium driven by Playwright, a watch on every request a page makes, screenshots at
desktop and phone widths."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.serving import free_port as free_port  # re-exported for the browser tests
from tests.support.serving import serving as serving

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
INSECURE_HOST = "showcase.test"


@contextmanager
def chromium(server: str) -> Iterator[Any]:
    """Headless Chromium; ``INSECURE_HOST`` resolves to the server (a non-secure context)."""
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail(f"{CHROMIUM} is missing: scripts/bootstrap.sh test installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    port = server.rsplit(":", 1)[1]
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[*ARGS, f"--host-resolver-rules=MAP {INSECURE_HOST} 127.0.0.1"],
        )
        b.site_port = port  # type: ignore[attr-defined]
        try:
            yield b
        finally:
            b.close()


class Watch:
    """Every request a page makes: all must stay on the site and succeed."""

    def __init__(self, page: Any, origin: str) -> None:
        self.origin = origin
        self.failed: list[str] = []
        self.foreign: list[str] = []
        self.errors: list[str] = []
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}"))
        page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.url} {r.status}"))
        page.on(
            "request",
            lambda r: not r.url.startswith(origin) and not r.url.startswith("data:") and self.foreign.append(r.url),
        )
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))

    def check(self, allow_status: tuple[int, ...] = (), *, allow_aborted: bool = False) -> None:
        """No failed request, none to another site, no script error. ``allow_aborted``: requests
        the browser cancelled itself (``net::ERR_ABORTED``), as when a page reloads itself after
        storing a key and a navigation overtakes the reload: nothing is lost, the page is fetched again."""
        failed = [f for f in self.failed if not any(f.endswith(f" {s}") for s in allow_status)]
        # the browser asks for the favicon on its own and cancels it when the next page is opened
        failed = [f for f in failed if not ("/favicon" in f and f.endswith("net::ERR_ABORTED"))]
        if allow_aborted:
            failed = [f for f in failed if not f.endswith("net::ERR_ABORTED")]
        assert not failed, failed
        assert not self.foreign, self.foreign
        errors = [e for e in self.errors if not any(f"status of {s}" in e for s in allow_status)]
        assert not errors, errors


@contextmanager
def watched_page(browser: Any, server: str, **context_options: Any) -> Iterator[Any]:
    """A fresh page (zh-CN, desktop size) with ``page.watch`` on its requests."""
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", **context_options)
    pg = context.new_page()
    pg.watch = Watch(pg, server)  # type: ignore[attr-defined]
    try:
        yield pg
    finally:
        context.close()


def shoot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.wait_for_timeout(100)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= size["width"] + 1, f"{name} scrolls sideways at {size['width']} px ({width})"
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
