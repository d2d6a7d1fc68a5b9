"""Running witnesses for the interop tests: ours (``charity-ledger witness serve``'s app on
uvicorn) and the spec-only one, each on 127.0.0.1 and a port of its own, in a thread."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ledger.cli import witness_serve
from ledger.protocol.keys import KeyPair
from ledger.services.witness import witness_vkey
from ledger.services.witness_server import WitnessService
from tests.interop import spec_tlog, spec_witness


@dataclass
class Running:
    url: str
    vkey: str


@contextmanager
def our_witness(
    state: Path, log_vkeys: list[str], name: str = "witness.test/ours"
) -> Iterator[tuple[Running, WitnessService]]:
    key = KeyPair.generate()
    service = WitnessService(key, name, state, log_vkeys).open()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)  # listening before the thread starts: clients queue until uvicorn accepts
    server = witness_serve.serve(service, "127.0.0.1", sock.getsockname()[1])
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield Running(f"http://127.0.0.1:{sock.getsockname()[1]}", witness_vkey(key, name)), service
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()
        service.close()


@contextmanager
def spec_only_witness(
    state: Path, log_vkeys: list[str], name: str = "witness.test/spec"
) -> Iterator[tuple[Running, spec_witness.SpecWitness]]:
    witness = spec_witness.SpecWitness(spec_tlog.Signer.generate(name), log_vkeys, state)
    server = spec_witness.serve(witness)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Running(f"http://127.0.0.1:{server.server_address[1]}", witness.vkey), witness
    finally:
        server.shutdown()
        server.server_close()
        thread.join(30)
