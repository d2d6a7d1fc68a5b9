"""Imports sit at the top of their module (issue 18, item 3): no import inside a function to
dodge an import cycle. A cycle is fixed in the design (the shared thing moves down a layer, or
is passed in), and the import-linter contracts in ``pyproject.toml`` say which way imports go.

Inside a function, an import of the project's own packages is never allowed. A third-party
import may stay lazy only for a stated reason (a heavy or optional dependency that one path
alone needs), written as a ``# lazy:`` comment on the import's line or on the line just above
it (or above the run of imports it starts). Alembic migrations are left out: each is a frozen
record of one schema step.
"""

from __future__ import annotations

import ast

from tests.support.source_tree import findings

PACKAGES = ("ledger", "api", "public_site", "reports")
REASON = "# lazy:"


def _imports_in_functions(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if in_function and isinstance(child, ast.Import | ast.ImportFrom):
                found.append(child)
            inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            visit(child, inside)

    visit(tree, False)
    return found


def _is_own(node: ast.Import | ast.ImportFrom) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.level > 0 or (node.module or "").split(".")[0] in PACKAGES
    return any(alias.name.split(".")[0] in PACKAGES for alias in node.names)


def _has_reason(lines: list[str], node: ast.Import | ast.ImportFrom, starts: set[int]) -> bool:
    """A ``# lazy:`` comment on the import's own lines, or on the line above it; an import right
    after another lazy import (a run of them) shares the comment above the run."""
    own = lines[node.lineno - 1 : node.end_lineno]
    if any(REASON in line for line in own):
        return True
    above = node.lineno - 1  # 1-based number of the line above
    while above >= 1:
        line = lines[above - 1]
        if REASON in line:
            return True
        if above in starts:  # the line above belongs to another import of the run: look further up
            above -= 1
            continue
        return False
    return False


def misplaced_imports(source: str, filename: str) -> list[str]:
    """``line: statement (why)`` of every import inside a function that breaks the rule."""
    tree = ast.parse(source, filename=filename)
    lines = source.splitlines()
    inner = _imports_in_functions(tree)
    starts = {line for node in inner for line in range(node.lineno, (node.end_lineno or node.lineno) + 1)}
    found = []
    for node in inner:
        if _is_own(node):
            found.append(f"{node.lineno}: {ast.unparse(node)} (the project's own module: import it at the top)")
        elif not _has_reason(lines, node, starts):
            found.append(f"{node.lineno}: {ast.unparse(node)} (lazy third-party import without a '# lazy:' reason)")
    return found


def test_no_import_inside_a_function_without_a_reason() -> None:
    checked, found = findings(PACKAGES, misplaced_imports)
    assert checked > 150  # the walk found the packages (a moved folder must not make this pass)
    assert found == [], "imports inside functions:\n" + "\n".join(found)


def test_the_rule_catches_own_imports_and_unexplained_lazy_ones() -> None:
    source = """
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ledger.store.runtime import Ledger


class Holder:
    from ledger import errors


def own():
    from ledger.store.db import make_engine
    return make_engine


async def relative():
    from .sibling import thing
    return thing


def unexplained():
    import weasyprint
    return weasyprint


def explained_on_the_line():
    import boto3  # lazy: the optional s3 extra
    return boto3


def explained_above():
    # lazy: about a second to import, only PDF rendering needs it
    from weasyprint import CSS, HTML
    from weasyprint.urls import (
        URLFetcher,
    )
    from weasyprint.text.fonts import FontConfiguration
    return CSS, HTML, URLFetcher, FontConfiguration


def reason_does_not_reach_past_code():
    # lazy: this reason is for the first import only
    import boto3
    client = boto3
    import botocore
    return client, botocore
"""
    assert misplaced_imports(source, "sample.py") == [
        "14: from ledger.store.db import make_engine (the project's own module: import it at the top)",
        "19: from .sibling import thing (the project's own module: import it at the top)",
        "24: import weasyprint (lazy third-party import without a '# lazy:' reason)",
        "47: import botocore (lazy third-party import without a '# lazy:' reason)",
    ]
