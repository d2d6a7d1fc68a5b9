"""Celery tasks of the reports package (conventions: :mod:`reports.celery_app`).

Task names are stable (clients send them by name): ``reports.verify_log``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from ledger.errors import VerificationError
from ledger.store.export import export_log
from ledger.verify import read_export, verify_log

from .celery_app import ledger_for, ledger_task


@ledger_task("reports.verify_log")
def verify_log_task(ref: str | dict[str, Any] | None = None) -> dict[str, Any]:
    """Export the log of ``ref`` (a data folder, or :func:`~reports.celery_app.settings_ref`)
    to a temporary folder and verify the export as an outsider would.

    Returns the verifier's report as JSON: ``valid``, ``origin``, ``size``, ``root`` (hex),
    ``entries_by_type``, ``keys``, plus ``checkpoint`` (the signed note that was verified).
    A log that fails verification is a result, not a task failure: ``{"valid": false,
    "error": {...}, "checkpoint": ...}`` with the error's code, message and the seq concerned.
    Read-only, so idempotent: the same log state gives the same answer.
    """
    ledger = ledger_for(ref)
    with tempfile.TemporaryDirectory(prefix="charity-ledger-verify-") as tmp:
        folder = Path(tmp)
        export_log(ledger.log, folder)
        leaves, note, vkey = read_export(folder)
        try:
            report = verify_log(leaves, note, vkey, origin=ledger.settings.origin)
        except VerificationError as exc:
            return {"valid": False, "error": exc.to_dict(), "seq": exc.seq, "checkpoint": note}
    return {**report.to_json(), "checkpoint": note}
