"""charity-ledger: a charity donation registry on a signed, append-only transparency log.

The folders are the layers, each importing only from the ones listed after it:

- ``ledger.cli``: the command line, the composition root (it may reach the API, site and reports);
- ``ledger.services``: things that use a log (client, importer, witness, monitor, oversight, demo);
- ``ledger.store``: the log and its projections in SQL (SQLite or PostgreSQL), evidence, backups;
- ``ledger.domain`` and ``ledger.compliance``: the charity rules, pure;
- ``ledger.protocol``: the public protocol an outside verifier reimplements, pure;
- ``ledger.errors`` and ``ledger.settings``: shared by all of them.

``lint-imports`` (contracts in ``pyproject.toml``) checks the layering in CI.
"""
