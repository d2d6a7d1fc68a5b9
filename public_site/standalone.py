"""The standalone verifier: one HTML file, its stylesheet and scripts inline, that checks an entry,
its inclusion proof and a signed checkpoint against a log key the user gives, with nothing from
the network (docs/site.md, "The offline verifier").

The site serves it at ``/verifier.html``; ``charity-ledger verifier --out FILE`` writes it. Its
Content-Security-Policy (a ``<meta>`` in the file, and the header when served) allows only the
inline blocks it carries, by their SHA-256, and no connection at all: a copy opened from
``file://`` cannot reach anything either.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from markupsafe import Markup

from public_site.i18n import DEFAULT_LOCALE, LANG_TAGS, translations
from public_site.templating import STATIC, environment

# Every script the check uses, in load order: ed25519_strict.js first (the strict-encoding
# precheck verify.js calls from its one Ed25519 function, refusing every signature without it).
SCRIPTS = ("ed25519_strict.js", "verify.js", "verifier.js")
STYLES = ("site.css",)


def _inline(text: str, tag: str) -> Markup:
    if f"</{tag}" in text.lower():
        raise ValueError(f"an inline {tag} must not contain </{tag}")
    return Markup(text)  # our own static file, checked above not to close its element


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def policy(scripts: list[str], styles: list[str]) -> str:
    """Only these inline blocks; no fetch, image, font, form target or frame from anywhere."""
    return (
        "default-src 'none'; "
        f"script-src {' '.join(_hash(s) for s in scripts)}; "
        f"style-src {' '.join(_hash(s) for s in styles)}; "
        "img-src data:; form-action 'none'; base-uri 'none'"
    )


def assets(static: Path = STATIC) -> tuple[list[str], list[str]]:
    scripts = [(static / name).read_text(encoding="utf-8") for name in SCRIPTS]
    styles = [(static / name).read_text(encoding="utf-8") for name in STYLES]
    return scripts, styles


def build_verifier(locale: str = DEFAULT_LOCALE) -> tuple[str, str]:
    """The verifier page in ``locale`` and its Content-Security-Policy."""
    scripts, styles = assets()
    csp = policy(scripts, styles)
    page = (
        environment()
        .get_template("verifier.html")
        .render(
            _translations=translations(locale),
            lang=LANG_TAGS[locale],
            locale=locale,
            csp=csp,
            scripts=[_inline(s, "script") for s in scripts],
            styles=[_inline(s, "style") for s in styles],
        )
    )
    return page, csp
