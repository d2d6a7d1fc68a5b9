"""The domain package is pure: standard library, cryptography and ledger.* only."""

import ast
import pathlib
import sys

import ledger.domain as domain

ALLOWED_THIRD_PARTY = {"cryptography"}


def test_domain_imports_only_stdlib_cryptography_and_ledger():
    package = pathlib.Path(domain.__file__).parent
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative: ledger.*
                    continue
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top == "ledger" or top in ALLOWED_THIRD_PARTY or top in sys.stdlib_module_names, (
                    path.name,
                    name,
                )


def test_public_names():
    for name in (
        "apply",
        "signer_public_key",
        "AppendContext",
        "State",
        "MemoryState",
        "Overlay",
        "ROW_TYPES",
        "validate",
    ):
        assert hasattr(domain, name), name
