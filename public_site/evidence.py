"""Which of the evidence hashes a page shows the store holds, and how (public or restricted)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ledger.store.evidence import open_evidence
from ledger.store.reads import Disbursement, ProgressReport


def hashes_of(flows: Iterable[Disbursement | ProgressReport]) -> list[str]:
    """The evidence hashes payments and progress reports name, in their order."""
    return [h for flow in flows for h in flow.evidence]


class Held(dict[str, str]):
    """``{sha256: "public" | "restricted"}`` for the hashes the evidence store holds, and
    their media types in ``media`` (``image/jpeg``, ``application/pdf``...): pages show a
    thumbnail for a public image, a file link for the rest."""

    media: dict[str, str]

    def __init__(self, visibility: dict[str, str] | None = None, media: dict[str, str] | None = None) -> None:
        super().__init__(visibility or {})
        self.media = media or {}

    def image(self, sha256: str) -> bool:
        return self.get(sha256) == "public" and self.media.get(sha256, "").startswith("image/")


def held(ledger: Any, hashes: Iterable[Any]) -> Held:
    """What the evidence store holds of ``hashes`` (one indexed read)."""
    wanted = [h for h in hashes if isinstance(h, str)]
    if not wanted:
        return Held()
    infos = open_evidence(ledger).info_many(wanted)
    return Held({sha: i.visibility for sha, i in infos.items()}, {sha: i.media_type for sha, i in infos.items()})
