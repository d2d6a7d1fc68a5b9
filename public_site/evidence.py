"""Which of the evidence hashes a page shows the store holds, and how (public or restricted)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from markupsafe import Markup, escape

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


def item_markup(sha: str, held: Held, gettext: Callable[..., Markup], n: int = 12) -> Markup:
    """One evidence hash as a page shows it (``templates/evidence.html``'s ``item``, written
    here: a page of payments has dozens)."""
    s = escape(sha)
    state = held.get(sha)
    pdf = held.media.get(sha) == "application/pdf"
    short = escape(sha[:n] + "…" if len(sha) > n else sha)
    if state == "public":
        thumb = ""
        if held.image(sha):
            alt = gettext("Photo, SHA-256 %(hash)s", hash=sha[:12] + "…" if len(sha) > 12 else sha)
            thumb = (
                f'<a class="evidence-thumb" href="/evidence/{s}" data-viewer="image"><img src="/evidence/{s}" '
                f'alt="{alt}" width="96" height="72" loading="lazy" decoding="async"></a>'
            )
        elif pdf:
            alt = gettext("First page of the PDF, SHA-256 %(hash)s", hash=sha[:12] + "…" if len(sha) > 12 else sha)
            thumb = (
                f'<a class="evidence-thumb evidence-pdf" href="/evidence/{s}"><img src="/evidence/{s}/thumbnail.png" '
                f'alt="{alt}" width="72" height="102" loading="lazy" decoding="async"></a>'
            )
        head = f'{thumb}<a class="evidence-link" href="/evidence/{s}" title="{s}"><code class="hash">{short}</code></a>'
        said = f"{gettext('view file')}{' (PDF)' if pdf else ''}"
        auto = f'<output class="evidence-auto small" data-auto-check="{s}" aria-live="polite"></output>'
    else:
        head = f'<code class="hash" title="{s}">{short}</code>'
        said = gettext("restricted: held for overseers") if state == "restricted" else gettext("not uploaded")
        auto = ""
    return Markup(
        f'<span class="evidence" data-evidence="{s}">{head}'
        f'<span class="small evidence-state evidence-{escape(state or "absent")}">{said}</span>\n'
        f'<label class="evidence-check small" hidden>{gettext("Check a file against this hash")} '
        f'<input type="file" data-sha256="{s}"></label>\n'
        f'{auto}<output class="evidence-result small" aria-live="polite"></output>\n</span>'
    )


def list_markup(hashes: Iterable[str], held: Held, gettext: Callable[..., Markup]) -> Markup:
    """Evidence hashes one a line, or a dash for none (``templates/evidence.html``'s ``list``)."""
    items = [item_markup(sha, held, gettext) for sha in hashes]
    return Markup("<br>").join(items) if items else Markup("—")
