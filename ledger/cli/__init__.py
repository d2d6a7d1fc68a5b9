"""The ``charity-ledger`` command line: the composition root.

It parses arguments, opens settings and storage, and wires the services, the API server, the site
and the reports together; it is the only part of ``ledger`` allowed to import ``api``,
``public_site`` and ``reports``. ``commands`` holds the log's own commands; ``charity``,
``oversight`` and ``evidence`` add theirs, as do ``reports.cli`` and ``public_site.cli``.
"""

from ledger.cli.commands import main

__all__ = ["main"]
