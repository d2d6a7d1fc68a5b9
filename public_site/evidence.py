"""Which of the evidence hashes a page shows the store holds, and how (public or restricted)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ledger.store.evidence import open_evidence


def hashes_of(rows: Iterable[dict[str, Any]], field: str = "evidence_json") -> list[str]:
    """The evidence hashes named by projection rows (their ``evidence_json`` lists)."""
    out: list[str] = []
    for row in rows:
        text = row.get(field)
        if text:
            out.extend(h for h in json.loads(text) if isinstance(h, str))
    return out


def held(ledger: Any, hashes: Iterable[Any]) -> dict[str, str]:
    """``{sha256: "public" | "restricted"}`` for the hashes the evidence store holds."""
    wanted = [h for h in hashes if isinstance(h, str)]
    if not wanted:
        return {}
    return {sha: info.visibility for sha, info in open_evidence(ledger).info_many(wanted).items()}
