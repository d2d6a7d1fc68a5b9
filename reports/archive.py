"""Issued reports as one zip file: each report's files in a folder of its own, and a
``SHA256SUMS`` over all of them (``sha256sum -c SHA256SUMS`` checks an unpacked download).

Only bytes that hash to what the log recorded (``report.issued``) go into an archive: a file
that was changed or lost on disk is refused with ``report_file_mismatch``, never shipped.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path

from ledger.domain.rows import ReportRow
from ledger.errors import LedgerError
from ledger.settings import Settings
from reports.bundle import CHECKSUMS, digest
from reports.codes import REPORT_FILE_MISMATCH
from reports.issue import published_folder

# A fixed time for every member, so the same reports always make the same zip bytes.
ZIP_TIME = (2020, 1, 1, 0, 0, 0)


def stem_of(files: Sequence[dict[str, str]]) -> str:
    """The stem of a recorded report's files: the name of its JSON file without ``.json``."""
    for f in files:
        if f["name"].endswith(".json"):
            return f["name"][: -len(".json")]
    return files[0]["name"].rsplit(".", 1)[0]


def recorded_files(settings: Settings, row: ReportRow) -> list[tuple[str, bytes, str]]:
    """``(name, bytes, sha256)`` of each file of the report, checked against the log's record."""
    files = json.loads(row.files_json)
    folder: Path = published_folder(settings, row.kind, stem_of(files))
    out = []
    for f in files:
        path = folder / f["name"]
        data = path.read_bytes() if path.is_file() else b""
        if digest(f["name"], data).sha256 != f["sha256"]:
            raise LedgerError(REPORT_FILE_MISMATCH, name=f["name"], report=row.id)
        out.append((f["name"], data, f["sha256"]))
    return out


def reports_zip(settings: Settings, rows: Sequence[ReportRow]) -> bytes:
    """One zip of ``rows``' files (``<stem>/<file>``) with a ``SHA256SUMS`` for all of them."""
    buffer = io.BytesIO()
    sums: list[str] = []
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for row in sorted(rows, key=lambda r: r.seq):
            folder = f"{row.seq:08d}-{stem_of(json.loads(row.files_json))}"
            for name, data, sha256 in recorded_files(settings, row):
                member = f"{folder}/{name}"
                archive.writestr(zipfile.ZipInfo(member, ZIP_TIME), data)
                sums.append(f"{sha256}  {member}\n")
        archive.writestr(zipfile.ZipInfo(CHECKSUMS, ZIP_TIME), "".join(sums).encode())
    return buffer.getvalue()
