"""Compliance reports: rule sets as dated data, ratio and deadline checks, rendering to
PDF/CSV/XLSX/JSON, and the Celery app and tasks. See ``docs/reports.md``.

Modules: :mod:`.rulesets` (loader, ``RuleSet``), :mod:`.ratios`, :mod:`.deadlines`,
:mod:`.render` (Jinja environment, PDF, QR), :mod:`.formats` (Money, Table, CSV/XLSX/JSON),
:mod:`.bundle`, :mod:`.celery_app`, :mod:`.tasks`, :mod:`.worker`.
"""
