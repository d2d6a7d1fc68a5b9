"""Serving an app to a test over real HTTP: a free 127.0.0.1 port, uvicorn in a thread, and the
one readiness wait (polling with a deadline for a server, worker or job to be ready, never a
wait for time to pass: a test that needs time to pass moves the injected clock of
tests/support/world.py)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _always() -> bool:
    return True


def wait_until(
    ready: Callable[[], bool], what: str, *, timeout: float = 20, alive: Callable[[], bool] = _always
) -> None:
    """Poll ``ready`` until it holds; fail when ``timeout`` seconds pass or ``alive()`` is false
    (the server's process or thread ended)."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline or not alive():
            raise RuntimeError(f"{what}: not ready after {timeout} s (or it stopped)")
        time.sleep(0.05)


def log_served(base: str) -> bool:
    """The API at ``base`` answers its checkpoint."""
    try:
        return httpx.get(base + "/api/v1/log/checkpoint", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def serving(app: Any, **config: Any) -> Iterator[str]:
    """``app`` on uvicorn in a thread on a free 127.0.0.1 port (``config``: more
    ``uvicorn.Config`` options); yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, **({"log_level": "warning", "lifespan": "on"} | config)))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, "uvicorn", alive=thread.is_alive)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()
