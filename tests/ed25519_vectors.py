"""The vendored Ed25519 edge-case vectors (tests/vectors/ed25519/), as (name, public, sig, msg)."""

from __future__ import annotations

import json
from pathlib import Path

VECTORS = Path(__file__).parent / "vectors" / "ed25519"


def all_vectors() -> list[tuple[str, bytes, bytes, bytes]]:
    out: list[tuple[str, bytes, bytes, bytes]] = []
    for i, case in enumerate(json.loads((VECTORS / "speccheck_cases.json").read_text())):
        out.append(
            (
                f"speccheck-{i}",
                bytes.fromhex(case["pub_key"]),
                bytes.fromhex(case["signature"]),
                bytes.fromhex(case["message"]),
            )
        )
    wycheproof = json.loads((VECTORS / "wycheproof_ed25519_test.json").read_text())
    for group in wycheproof["testGroups"]:
        public = bytes.fromhex(group["publicKey"]["pk"])
        for test in group["tests"]:
            out.append((f"wycheproof-{test['tcId']}", public, bytes.fromhex(test["sig"]), bytes.fromhex(test["msg"])))
    for case in json.loads((VECTORS / "cctv_ed25519vectors.json").read_text()):
        out.append(
            (
                f"cctv-{case['number']}",
                bytes.fromhex(case["key"]),
                bytes.fromhex(case["sig"]),
                case["msg"].encode("utf-8"),
            )
        )
    return out
