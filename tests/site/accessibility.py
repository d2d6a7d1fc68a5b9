"""axe-core (vendored under tests/vendor/axe-core, MPL-2.0) run inside a page: the WCAG 2.1 A and AA
rules and axe's best practices; the findings a test fails on are the serious and critical ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parent.parent / "vendor" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def serious_findings(page: Any) -> list[str]:
    """Run axe on the page as it is now; each serious or critical violation as
    ``"rule (impact): target, target…"``."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
    out = []
    for v in result["violations"]:
        if v["impact"] in ("serious", "critical"):
            targets = ", ".join(" ".join(map(str, n["target"])) for n in v["nodes"][:5])
            out.append(f"{v['id']} ({v['impact']}): {targets} — {v['help']}")
    return out
