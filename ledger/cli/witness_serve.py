"""``charity-ledger witness serve``: a C2SP tlog-witness HTTP server (the logs push to it).

A small Litestar app around :class:`ledger.services.witness_server.WitnessService`, served by
uvicorn: ``POST /add-checkpoint`` (any content type; the body is what the spec says) and
``GET /<sha256 of an origin>/checkpoint`` (the latest checkpoint cosigned for that log).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Annotated, Any

import anyio
import uvicorn
from litestar import Litestar, Request, Response, get, post
from litestar.logging import LoggingConfig
from litestar.params import PathParameter

from ledger.protocol.keys import KeyPair
from ledger.protocol.witness_protocol import MAX_REQUEST_BYTES
from ledger.services.witness import witness_name_for, witness_vkey
from ledger.services.witness_server import Answer, WitnessService


def _response(answer: Answer) -> Response[bytes]:
    # the content type exactly as given: Litestar would add a charset to text/x.tlog.size
    headers = {"content-type": answer.content_type}
    return Response(answer.body, status_code=answer.status, media_type=answer.content_type, headers=headers)


def create_witness_app(service: WitnessService) -> Litestar:
    """The ASGI app answering add-checkpoint for ``service``."""

    @post("/add-checkpoint", status_code=200)
    async def add_checkpoint(request: Request[Any, Any, Any]) -> Response[bytes]:
        body = await request.body()
        return _response(await anyio.to_thread.run_sync(service.add_checkpoint, body))

    @get("/{hashed:str}/checkpoint")
    async def latest(
        hashed: Annotated[str, PathParameter(description="SHA-256 of the origin, hex")],
    ) -> Response[bytes]:
        return _response(await anyio.to_thread.run_sync(service.checkpoint, hashed))

    return Litestar(
        route_handlers=[add_checkpoint, latest],
        request_max_body_size=MAX_REQUEST_BYTES,
        logging_config=LoggingConfig(log_exceptions="debug"),
        openapi_config=None,
    )


def open_service(key: KeyPair, state: Path, log_vkeys: list[str], name: str | None) -> WitnessService:
    return WitnessService(key, name or witness_name_for(key), state, log_vkeys).open()


def serve(service: WitnessService, host: str, port: int) -> uvicorn.Server:
    """A uvicorn server for ``service``: ``.run()`` binds ``host:port``; ``.run(sockets=[s])``
    serves a socket already listening (tests bind port 0 first)."""
    config = uvicorn.Config(create_witness_app(service), host=host, port=port, log_level="warning", lifespan="off")
    return uvicorn.Server(config)


def start_line(service: WitnessService, args: argparse.Namespace) -> str:
    return json.dumps(
        {
            "vkey": witness_vkey(service.key, service.name),
            "url": f"http://{args.host}:{args.port}",
            "logs": list(service.status()),
        },
        ensure_ascii=False,
    )
