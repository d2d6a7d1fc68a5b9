"""Compliance reports: rule sets as dated data, ratio and deadline checks, rendering to
PDF/CSV/XLSX/JSON, and the Celery app and tasks. See ``docs/reports.md``.

Modules: :mod:`.rulesets` (loader, ``RuleSet``), :mod:`.ratios`, :mod:`.deadlines`,
:mod:`.disclosures` (timeliness), :mod:`.render` (Jinja environment, PDF, QR), :mod:`.formats`
(Money, Table, CSV/XLSX/JSON), :mod:`.bundle`, :mod:`.snapshot` (rows and log state, live or
replayed), :mod:`.common` (request, built report, shared tables), :mod:`.kinds` (one builder per
kind), :mod:`.issue` (write and record), :mod:`.jobs`, :mod:`.celery_app`, :mod:`.tasks`,
:mod:`.worker`, :mod:`.cli` (``charity-ledger report``/``worker``), :mod:`.api` (:func:`routes`).
"""

from reports.api import routes as api_routes


def routes() -> list[object]:
    """The report endpoints, for ``ledger.cli.app.create_app``, which mounts them on the API app."""
    return api_routes()
