"""The ``charity-ledger`` script's module is light: the signature pool's processes (``spawn``)
run it again before they check anything, so importing ``ledger.cli`` must not import the
composition root (the site, the API, the reports), only running a command does."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("ledger.cli.commands", "api.app", "public_site", "reports", "litestar", "weasyprint")


def _imported_by(code: str) -> dict[str, bool]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps({{m: m in sys.modules for m in {list(HEAVY)!r}}}))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_the_script_module_imports_no_command() -> None:
    assert _imported_by("from ledger.cli import main") == dict.fromkeys(HEAVY, False)


def test_running_a_command_imports_the_composition_root() -> None:
    # the same probe sees the import once a command runs, so the test above can fail
    found = _imported_by("from ledger.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass")
    assert found["ledger.cli.commands"] is True
    assert found["api.app"] or found["public_site"] or found["reports"]
