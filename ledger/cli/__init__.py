"""The ``charity-ledger`` command line: the composition root.

It parses arguments, opens settings and storage, and wires the services, the API server, the site
and the reports together; it is the only part of ``ledger`` allowed to import ``api``,
``public_site`` and ``reports``. ``commands`` holds the log's own commands; ``charity``,
``oversight`` and ``evidence`` add theirs, as do ``reports.cli`` and ``public_site.cli``.

This package's own module stays light on purpose. The ``charity-ledger`` script is
``from ledger.cli import main``, and every process the signature pool starts (``spawn``) runs
that script's module again before it does any work: importing the composition root there (the
site, the API, the reports and their libraries, seconds of CPU) made ``charity-ledger verify``
of a small export take twice as long as without the pool. So :func:`main` names
``ledger.cli.commands`` and imports it only when a command is run.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

COMMANDS = "ledger.cli.commands"

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``charity-ledger`` command (``argv`` without the program's name; ``sys.argv`` when
    None) and give its exit code."""
    commands = importlib.import_module(COMMANDS)
    return int(commands.main(argv))
