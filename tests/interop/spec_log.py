"""A log driver for C2SP tlog-witness written from the specification text alone (stdlib +
cryptography, no import of this project): it keeps leaves, signs checkpoints as signed notes,
builds RFC 6962 consistency proofs and POSTs ``add-checkpoint`` bodies to a witness."""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from tests.interop import spec_tlog as t


@dataclass
class Answer:
    status: int
    content_type: str
    body: bytes


@dataclass
class SpecLog:
    signer: t.Signer
    leaves: list[bytes] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return self.signer.name

    def grow(self, count: int) -> None:
        self.leaves.extend(t.random_leaves(count))

    def root(self, size: int) -> bytes:
        return t.mth(self.leaves[:size])

    def checkpoint(self, size: int, root: bytes | None = None) -> str:
        body = t.checkpoint_body(self.origin, size, self.root(size) if root is None else root)
        return body + "\n" + self.signer.sign_line(body)

    def body(self, old: int, size: int, *, proof: list[bytes] | None = None, note: str | None = None) -> bytes:
        if proof is None:
            proof = t.consistency_proof(old, self.leaves[:size])
        lines = [f"old {old}\n", *(base64.b64encode(p).decode() + "\n" for p in proof), "\n"]
        return ("".join(lines) + (note or self.checkpoint(size))).encode()


def post(url: str, body: bytes) -> Answer:
    request = urllib.request.Request(url.rstrip("/") + "/add-checkpoint", data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Answer(response.status, response.headers.get("Content-Type", ""), response.read())
    except urllib.error.HTTPError as err:
        return Answer(err.code, err.headers.get("Content-Type", ""), err.read())
