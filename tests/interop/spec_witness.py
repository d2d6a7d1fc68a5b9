"""A C2SP tlog-witness written from the specification text alone (stdlib + cryptography, no import
of this project): ``POST /add-checkpoint`` on a ``ThreadingHTTPServer``.

Spec rules followed, in the spec's words: verify the checkpoint signature against the keys
trusted for the origin and ignore unknown keys; unknown origin 404; no trusted signature, or a
trusted key's signature that fails, 403; old size above the checkpoint size 400; old size not
the latest cosigned size (0 if none) 409 with that size and a newline as ``text/x.tlog.size``;
size 0 without the empty root, a non-empty proof from 0, a proof that does not verify, or the
same size with another root, 422; else persist, then 200 with timestamped cosignature/v1 lines.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.interop import spec_tlog as t


class Refusal(Exception):
    def __init__(self, status: int, body: bytes = b"", content_type: str = "text/plain") -> None:
        super().__init__(status)
        self.status, self.body, self.content_type = status, body, content_type


class SpecWitness:
    def __init__(self, signer: t.Signer, log_vkeys: list[str], state_file: Path) -> None:
        self.signer = signer
        self.logs: dict[str, list[tuple[bytes, bytes]]] = {}  # origin -> [(key id, public)]
        for text in log_vkeys:
            name, alg, public = t.parse_vkey(text)
            if alg == t.ALG_ED25519:
                self.logs.setdefault(name, []).append((t.key_id(name, alg, public), public))
        self.state_file = state_file
        self.lock = threading.Lock()
        self.requests: list[tuple[int, bytes]] = []  # (status, body) of each answer

    @property
    def vkey(self) -> str:
        return self.signer.vkey(t.ALG_COSIGNATURE_V1)

    def state(self) -> dict[str, Any]:
        if not self.state_file.exists():
            return {}
        data: dict[str, Any] = json.loads(self.state_file.read_text())
        return data

    def _persist(self, state: dict[str, Any]) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        with open(tmp, "w") as f:
            json.dump(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.state_file)

    def handle(self, body: bytes) -> tuple[int, bytes, str]:
        try:
            with self.lock:
                line = self._add_checkpoint(body)
        except Refusal as r:
            self.requests.append((r.status, r.body))
            return r.status, r.body, r.content_type
        self.requests.append((200, line.encode()))
        return 200, line.encode(), "text/plain; charset=utf-8"

    def _parse(self, body: bytes) -> tuple[int, list[bytes], str]:
        try:
            text = body.decode("utf-8")
            head, sep, note = text.partition("\n\n")
            if not sep:
                raise ValueError("no empty line")
            lines = head.split("\n")
            if not lines[0].startswith("old "):
                raise ValueError("no old line")
            old_text = lines[0][4:]
            if not old_text.isdigit() or (len(old_text) > 1 and old_text[0] == "0"):
                raise ValueError("bad old size")
            proof = [base64.b64decode(x, validate=True) for x in lines[1:]]
            if len(proof) > 63 or any(len(p) != 32 for p in proof):
                raise ValueError("bad proof")
            return int(old_text), proof, note
        except (ValueError, UnicodeDecodeError) as exc:
            raise Refusal(400, str(exc).encode()) from exc

    def _add_checkpoint(self, body: bytes) -> str:
        old, proof, note = self._parse(body)
        try:
            text, sigs = t.split_note(note)
            origin, size, root = t.parse_checkpoint(text)
        except (ValueError, IndexError) as exc:
            raise Refusal(400, b"bad checkpoint") from exc
        keys = self.logs.get(origin)
        if keys is None:
            raise Refusal(404, b"unknown log")
        verified = False
        for name, kid, sig in sigs:
            for key, public in keys:
                if name == origin and kid == key:
                    if not t.verify_ed25519(public, sig, text.encode()):
                        raise Refusal(403, b"bad signature")
                    verified = True
        if not verified:
            raise Refusal(403, b"no trusted signature")
        if old > size:
            raise Refusal(400, b"old size above checkpoint size")
        state = self.state()
        latest = state.get(origin, {"size": 0, "root": base64.b64encode(t.EMPTY_ROOT).decode()})
        if old != latest["size"]:
            raise Refusal(409, f"{latest['size']}\n".encode(), "text/x.tlog.size")
        old_root = base64.b64decode(latest["root"])
        if size == 0 and root != t.EMPTY_ROOT:
            raise Refusal(422, b"size 0 needs the empty root")
        if old == 0 and proof:
            raise Refusal(422, b"proof from 0 must be empty")
        if old == size and root != old_root:
            raise Refusal(422, b"same size, other root")
        if 0 < old and not t.verify_consistency(old, size, old_root, root, proof):
            raise Refusal(422, b"consistency proof does not verify")
        line = self.signer.cosign_line(text, int(time.time()))
        state[origin] = {"size": size, "root": base64.b64encode(root).decode()}
        self._persist(state)
        return line


def serve(witness: SpecWitness, port: int = 0) -> ThreadingHTTPServer:
    """An HTTP server on 127.0.0.1 and ``port`` (0: a free one); run ``serve_forever`` in a thread."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            if self.path != "/add-checkpoint":
                status, out, ctype = 404, b"", "text/plain"
            else:
                status, out, ctype = witness.handle(body)
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


def main() -> None:
    """``python -m tests.interop.spec_witness --state FILE --name N --port P --log-vkey V …``:
    serve until killed; the first line printed is the witness's vkey and URL as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--state", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log-vkey", action="append", required=True)
    args = parser.parse_args()
    witness = SpecWitness(t.Signer.generate(args.name), args.log_vkey, Path(args.state))
    server = serve(witness, args.port)
    print(json.dumps({"vkey": witness.vkey, "url": f"http://127.0.0.1:{server.server_address[1]}"}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
