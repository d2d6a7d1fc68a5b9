"""Report jobs: what the API answers when a client polls a report it requested.

A job is a JSON record ``<home>/reports/jobs/<id>.json`` (``queued`` -> ``running`` ->
``done`` with the result, or ``failed`` with the error), written by the API when it sends the
task and by the task as it runs. Records live in the data folder, not in Celery's result
backend, so polling works the same in the embedded default (tasks run in the caller) and with
workers (which share the data folder with the API: they write the report files there too).
Personal receipts are written into the job's private folder ``<home>/reports/jobs/<id>/``.
Job ids are random (128 bits): a job's id is what lets its requester read it.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path
from typing import Any

from ledger.canonical import format_time, now
from ledger.settings import Settings

JOB_RE = re.compile(r"[0-9a-f]{32}", re.ASCII)  # matched in full


def new_id() -> str:
    return uuid.uuid4().hex


def folder(settings: Settings) -> Path:
    return settings.reports_dir / "jobs"


def private_folder(settings: Settings, job: str) -> Path:
    return folder(settings) / job


def _path(settings: Settings, job: str) -> Path:
    if not JOB_RE.fullmatch(job):
        raise ValueError(f"not a job id: {job!r}")
    return folder(settings) / f"{job}.json"


def read(settings: Settings, job: str) -> dict[str, Any] | None:
    if not JOB_RE.fullmatch(job or ""):
        return None
    try:
        return json.loads(_path(settings, job).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def write(settings: Settings, job: str, record: dict[str, Any]) -> None:
    path = _path(settings, job)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")  # unique per writer, threads too
    tmp.write_text(json.dumps(record, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def create(settings: Settings, job: str, request: dict[str, Any], *, restricted: bool, requester: str | None) -> dict[str, Any]:
    record = {"job": job, "status": "queued", "request": request, "restricted": restricted, "requester": requester,
              "created": format_time(now()), "updated": format_time(now()), "result": None, "error": None}
    write(settings, job, record)
    return record


def update(settings: Settings, job: str, **changes: Any) -> dict[str, Any]:
    record = read(settings, job) or {"job": job, "request": None, "restricted": True, "requester": None,
                                     "created": format_time(now()), "result": None, "error": None}
    record.update(changes, updated=format_time(now()))
    write(settings, job, record)
    return record
