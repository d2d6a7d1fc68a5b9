"""Celery tasks of the reports package (conventions: :mod:`reports.celery_app`).

Task names are stable (clients send them by name):

- ``reports.verify_log``: verify the log as an outsider would (read-only);
- ``reports.generate``: build, write and record one report (:func:`reports.issue.issue`);
  idempotent: the same request at the same log state finds its ``report.issued`` and records
  nothing more. Its progress is kept in a job record (:mod:`reports.jobs`), so a client can
  poll it in eager mode too;
- ``ledger.push_to_witnesses`` / ``ledger.push_to_witness``: push the latest checkpoint to each
  witness of ``CHARITY_LEDGER_WITNESSES`` (:mod:`ledger.services.witness_push`), one task per
  witness; beat runs the first every few seconds when witnesses are configured;
- ``reports.scan_deadlines``: the daily deadline scan of ``ledger.services.oversight`` (beat runs it at
  07:00 China time), written to ``<home>/oversight/deadlines-<date>.json``.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ledger.domain.rules import CHINA
from ledger.errors import LedgerError, VerificationError
from ledger.protocol.checkpoint import Checkpoint
from ledger.protocol.note import parse_note
from ledger.protocol.verify import read_chain_export, verify_chain
from ledger.services.oversight import scan_deadlines
from ledger.services.witness_push import WitnessPusher, witness_targets
from ledger.store.export import export_log
from ledger.store.personal_files import private_dir, write_private
from ledger.store.personal_files import record as note_personal
from ledger.store.runtime import roll_over
from ledger.store.tile_writer import write_tiles
from reports import issue as issuing  # the module: tests and operators may wrap issuing.issue
from reports import jobs
from reports.celery_app import TILES_DIR_ENV, ledger_for, ledger_task
from reports.codes import TILES_DIR_MISSING
from reports.common import ReportRequest


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
        logs, vkey = read_chain_export(folder)  # every log of the chain, oldest first
        note = logs[-1][1]
        try:
            if Checkpoint.parse(parse_note(note).text).origin != ledger.log.current_origin():
                raise VerificationError("checkpoint origin", expected=ledger.log.origin, actual=note.split("\n", 1)[0])
            report = verify_chain(logs, vkey)
        except VerificationError as exc:
            return {"valid": False, "error": exc.to_dict(), "seq": exc.seq, "checkpoint": note}
    return {**report.to_json(), "checkpoint": note}


@ledger_task("reports.generate")
def generate_report_task(
    ref: str | dict[str, Any] | None, request: dict[str, Any], job: str | None = None
) -> dict[str, Any]:
    """Build, write and record the report ``request`` (a :class:`~reports.common.ReportRequest`
    as JSON) for the ledger of ``ref``; returns :meth:`reports.issue.Issued.to_json` plus
    ``job``. With ``job`` (a :mod:`reports.jobs` id, as the API sends) the job record follows
    the task, and a personal receipt is written only into the job's private folder."""
    ledger = ledger_for(ref)
    job_id = job
    settings = ledger.settings
    try:
        req = ReportRequest.from_json(request)
        if job_id:
            jobs.update(settings, job_id, status="running")
        personal = req.personal or (req.donation or "").strip()[:1].upper() == "D"
        private = jobs.private_folder(settings, job_id or jobs.new_id()) if personal else None
        if private is not None and job_id and (req.donation or "").isdigit():  # the API sends the seq
            note_personal(
                settings,
                int(req.donation or 0),
                [private, jobs.record_path(settings, job_id)],
                by=f"report job {job_id}",
            )
        result = issuing.issue(ledger, req, folder=private, publish=private is None)
    except LedgerError as exc:
        if job_id:
            jobs.update(settings, job_id, status="failed", error=exc.to_dict())
        raise
    out = {**result.to_json(), "job": job_id}
    if job_id:
        jobs.update(settings, job_id, status="done", result=out)
    if private is not None and job_id:
        # the result backend keeps task results for days and donor erase does not reach it: no
        # paths or hashes of files holding a name there (the job record has them)
        return {
            **{k: v for k, v in out.items() if k not in ("files", "folders", "checks")},
            "files": [{"name": f["name"]} for f in out["files"]],
        }
    return out


@ledger_task("reports.scan_deadlines")
def scan_deadlines_task(ref: str | dict[str, Any] | None = None, on: str | None = None) -> dict[str, Any]:
    """Scan every project and organisation for disclosures due within the warning window or
    overdue on ``on`` (default: today in China Standard Time), with
    :func:`ledger.services.oversight.scan_deadlines`; write the result to
    ``<home>/oversight/deadlines-<date>.json`` and return a summary. The same day and log
    state give the same file."""
    ledger = ledger_for(ref)
    day = date.fromisoformat(on) if on else datetime.now(CHINA).date()
    items = [i.to_json() for i in scan_deadlines(ledger.engine, day)]
    summary = {
        "on": day.isoformat(),
        "overdue": sum(1 for i in items if i["status"] == "overdue"),
        "due": sum(1 for i in items if i["status"] == "due"),
    }

    folder = private_dir(ledger.settings.home / "oversight")
    path = folder / f"deadlines-{day.isoformat()}.json"
    text = json.dumps({**summary, "items": items}, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    write_private(path, text.encode("utf-8"))
    return {**summary, "file": str(path)}


@ledger_task("ledger.roll_over_if_due")
def roll_over_if_due_task(ref: str | dict[str, Any] | None = None, year: int | None = None) -> dict[str, Any]:
    """Yearly log shards: seal the log being appended to and open the one for ``year`` (default:
    this year, China Standard Time) if the log was opened in an earlier year and has entries
    (:func:`ledger.store.runtime.roll_over` with ``if_due``). Run daily by beat; a second run,
    or one on another machine, finds nothing due: the chain rolls over once a year."""
    out = roll_over(ledger_for(ref), year=year, if_due=True)
    out.pop("final_checkpoint", None)
    return out


@ledger_task("ledger.write_tiles")
def write_tiles_task(ref: str | dict[str, Any] | None = None, folder: str | None = None) -> dict[str, Any]:
    """Bring the static tile folder (``folder``, else ``$CHARITY_LEDGER_TILES_DIR``) up to the
    latest checkpoint of every log: :func:`ledger.store.tile_writer.write_tiles`. Only new tiles
    are written, so running it often is cheap; beat runs it every few seconds when the folder is
    configured. Two runs at once write the same bytes under the same names."""
    target = folder or os.environ.get(TILES_DIR_ENV)
    if not target:
        raise LedgerError(TILES_DIR_MISSING)
    return write_tiles(ledger_for(ref).log, Path(target)).to_json()


MAX_PUSHES_PER_TASK = 20  # the log may grow while a push runs: follow it this many times at most


@ledger_task("ledger.push_to_witnesses")
def push_to_witnesses_task(ref: str | dict[str, Any] | None = None) -> dict[str, Any]:
    """Queue one ``ledger.push_to_witness`` per configured witness (beat runs this)."""
    targets = witness_targets(ledger_for(ref).settings.witnesses)
    for target in targets:
        push_to_witness_task.delay(ref, target.vkey)
    return {"witnesses": [t.name for t in targets]}


@ledger_task("ledger.push_to_witness")
def push_to_witness_task(ref: str | dict[str, Any] | None = None, vkey: str = "") -> dict[str, Any]:
    """Push the latest checkpoint to the witness ``vkey`` until it holds it (or the push fails;
    the backoff is kept in the store, so a task arriving early does nothing). Idempotent."""
    ledger = ledger_for(ref)
    targets = [t for t in witness_targets(ledger.settings.witnesses) if t.vkey == vkey]
    if not targets:
        return {"witness": vkey, "status": "not_configured"}
    pusher = WitnessPusher(ledger.log, targets[0])
    try:
        for _ in range(MAX_PUSHES_PER_TASK):
            result = pusher.push_once()
            if result.status != "cosigned":
                break
    finally:
        pusher.client.close()
    return {"witness": result.witness, "status": result.status, "size": result.size, "code": result.code}
