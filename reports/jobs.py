"""Report jobs: what the API answers when a client polls a report it requested.

A job is a JSON record ``<home>/reports/jobs/<id>.json`` (``queued`` -> ``running`` ->
``done`` with the result, or ``failed`` with the error), written by the API when it sends the
task and by the task as it runs. Records live in the data folder, not in Celery's result
backend, so polling works the same in the embedded default (tasks run in the caller) and with
workers (which share the data folder with the API: they write the report files there too).
Personal receipts are written into the job's private folder ``<home>/reports/jobs/<id>/``,
noted for ``donor erase`` (:mod:`ledger.store.personal_files`). Job ids are random (128 bits).
Records and folders are private to the registry's account (0600 / 0700).

A finished job lasts ``ttl`` seconds (:func:`expire_if_due`): then its private files are
removed and the record says ``expired`` (the API answers 410). An identical request at the
same log state is answered with the job already made for it (:func:`claim`), so a report is
rendered once however often it is asked for.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ledger.protocol.canonical import format_time, now, parse_time
from ledger.settings import Settings
from ledger.store.personal_files import private_dir, write_private

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


def record_path(settings: Settings, job: str) -> Path:
    return _path(settings, job)


def write(settings: Settings, job: str, record: dict[str, Any]) -> None:
    path = _path(settings, job)
    private_dir(path.parent)
    write_private(path, json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8"))


def create(
    settings: Settings,
    job: str,
    request: dict[str, Any],
    *,
    restricted: bool,
    requester: str | None,
    scopes: list[str] | None = None,
) -> dict[str, Any]:
    """``scopes``: a token with one of them is needed to read the job (none: anyone)."""
    record = {
        "job": job,
        "status": "queued",
        "request": request,
        "restricted": restricted,
        "requester": requester,
        "created": format_time(now()),
        "updated": format_time(now()),
        "result": None,
        "error": None,
    }
    if scopes:
        record["scopes"] = list(scopes)
    write(settings, job, record)
    return record


def discard(settings: Settings, job: str) -> None:
    """Remove a job record that was never sent (an identical request had one already)."""
    _path(settings, job).unlink(missing_ok=True)


def update(settings: Settings, job: str, **changes: Any) -> dict[str, Any]:
    record = read(settings, job) or {
        "job": job,
        "request": None,
        "restricted": True,
        "requester": None,
        "created": format_time(now()),
        "result": None,
        "error": None,
    }
    record.update(changes, updated=format_time(now()))
    write(settings, job, record)
    return record


def is_personal(record: dict[str, Any]) -> bool:
    """Whether the job's files hold a donor's personal data (a personal receipt)."""
    request = record.get("request") or {}
    return request.get("kind") == "receipt" and bool(request.get("personal"))


# --- expiry -----------------------------------------------------------------------------------

FINISHED = ("done", "failed")


def expires_at(record: dict[str, Any], ttl_s: float) -> datetime | None:
    """When a finished job expires (None while it runs)."""
    if record.get("status") not in FINISHED:
        return None
    return parse_time(record["updated"]) + timedelta(seconds=ttl_s)


def expire_if_due(
    settings: Settings, record: dict[str, Any], ttl_s: float, clock: Callable[[], datetime] = now
) -> dict[str, Any]:
    """The record, expired if it finished more than ``ttl_s`` ago: its private files are removed
    and it keeps only what says it existed (status ``expired``, no result)."""
    due = expires_at(record, ttl_s)
    if due is None or clock() < due:
        return record
    job = record["job"]
    shutil.rmtree(private_folder(settings, job), ignore_errors=True)
    expired = {
        k: record.get(k) for k in ("job", "request", "restricted", "requester", "created", "scopes") if k in record
    }
    expired.update(status="expired", result=None, error=None, updated=record["updated"], expired=format_time(clock()))
    write(settings, job, expired)
    return expired


def purge_expired(settings: Settings, ttl_s: float, clock: Callable[[], datetime] = now, *, limit: int = 1000) -> int:
    """Expire the finished jobs past their time (at most ``limit`` records looked at); returns
    how many expired now. Cheap enough to run on every report request."""
    count = 0
    try:
        names = sorted(os.listdir(folder(settings)))[:limit]
    except FileNotFoundError:
        return 0
    for name in names:
        job = name[: -len(".json")] if name.endswith(".json") else ""
        record = read(settings, job) if JOB_RE.match(job) else None
        if record is not None and expire_if_due(settings, record, ttl_s, clock) is not record:
            count += 1
    return count


# --- one job per identical request ------------------------------------------------------------


def request_key(request: dict[str, Any], requester: str | None, state: Any) -> str:
    """The key of a request at a log (and donor store) state: identical requests share it."""
    text = json.dumps({"request": request, "requester": requester, "state": state}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _index(settings: Settings, key: str) -> Path:
    return folder(settings) / "by-request" / f"{key}.job"


def claim(settings: Settings, key: str, job: str) -> str | None:
    """Make ``job`` the one for ``key`` unless a job is there already; returns that job's id
    (None when ``job`` was made the one). Atomic across processes (exclusive create)."""
    path = _index(settings, key)
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        found = path.read_text(encoding="ascii").strip()
        return found if JOB_RE.match(found) else ""
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(job)
    return None


def reclaim(settings: Settings, key: str, job: str) -> None:
    """Make ``job`` the one for ``key`` in place of a failed, expired or erased one."""
    write_private(_index(settings, key), job.encode("ascii"))


# --- erasure ----------------------------------------------------------------------------------


def erase_personal_jobs(settings: Settings, seq: int) -> list[str]:
    """Remove the personal receipt jobs of donation ``seq``: their folders and records (for
    ``donor erase``; jobs made since the files are noted are removed by the note as well)."""
    removed: list[str] = []
    try:
        names = os.listdir(folder(settings))
    except FileNotFoundError:
        return removed
    for name in names:
        job = name[: -len(".json")] if name.endswith(".json") else ""
        record = read(settings, job) if JOB_RE.match(job) else None
        if record is None or not is_personal(record) or str((record.get("request") or {}).get("donation")) != str(seq):
            continue
        private = private_folder(settings, job)
        if private.exists():
            shutil.rmtree(private, ignore_errors=True)
            removed.append(str(private))
        _path(settings, job).unlink(missing_ok=True)
        removed.append(str(_path(settings, job)))
    return removed
