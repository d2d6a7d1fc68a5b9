"""Services that use a log: the signing client, the HTTP client of a remote log, the statement
importer, the witness, the monitor, the overseer's scan and the demo data.

They may import the protocol, the domain, the compliance rules and storage (``ledger.store``),
and ``httpx`` to talk to a log over HTTP; never the API, the site, the reports or the CLI.
"""
