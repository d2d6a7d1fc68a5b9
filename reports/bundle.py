"""A report bundle: the PDF, CSV, XLSX and JSON files of one report, and their SHA-256.

:func:`render_bundle` turns a report's data into file bytes with fixed names; it does no I/O.
:func:`write_bundle` writes them into a folder (each file atomically: written beside its name,
flushed to disk and renamed), adds a ``SHA256SUMS`` file in the format of ``sha256sum`` (so
``sha256sum -c SHA256SUMS`` checks a downloaded bundle), and returns name, SHA-256 and size of
every report file — exactly what ``report.issued`` records (``ReportRow.files_json``).
``SHA256SUMS`` itself is not in that list: it is derived from it.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ledger.errors import LedgerError
from ledger.store.personal_files import private_dir, write_private
from reports.codes import BUNDLE_INVALID
from reports.formats import SUMMARY_SHEET, Table, summary_table, table_csv, to_json_bytes, workbook_xlsx

CHECKSUMS = "SHA256SUMS"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,150}$")


@dataclass(frozen=True, slots=True)
class BundleFile:
    name: str
    sha256: str  # lowercase hex
    size: int

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "size": self.size}


def render_bundle(
    stem: str,
    document: Mapping[str, Any],
    *,
    tables: Sequence[Table] = (),
    pdf: bytes | None = None,
    title: str = "",
    as_of: datetime | None = None,
    xlsx: bool = True,
    csv_of: Sequence[Table] | None = None,
    json: bool = True,
) -> dict[str, bytes]:
    """The files of one report, by name:

    - ``<stem>.json``: ``document`` plus ``"tables"`` (each table's columns and rows), so every
      figure of the CSV and XLSX files is also in the JSON;
    - ``<stem>-<table>.csv`` per table and ``<stem>.xlsx`` with a sheet per table (when any);
    - ``<stem>.pdf`` when ``pdf`` is given (rendered by the caller from the same data).
    """
    _check_name(stem)
    if "tables" in document:
        raise LedgerError(BUNDLE_INVALID, detail="the document must not have its own 'tables' key; pass tables=")
    names = [t.name for t in tables]
    if len(set(names)) != len(names):
        raise LedgerError(BUNDLE_INVALID, detail=f"two tables share a name: {names}")
    files: dict[str, bytes] = {}
    if pdf is not None:
        files[f"{stem}.pdf"] = pdf
    for table in tables if csv_of is None else csv_of:  # csv_of: only these tables' CSV files (the rest later)
        files[csv_name(stem, table)] = table_csv(table)
    if tables and xlsx:
        files[f"{stem}.xlsx"] = bundle_xlsx(document, tables, title=title, as_of=as_of)
    if json:
        files[f"{stem}.json"] = bundle_json(document, tables)
    return files


def bundle_json(document: Mapping[str, Any], tables: Sequence[Table]) -> bytes:
    """The JSON of a bundle: the document with every table."""
    return to_json_bytes({**document, "tables": {t.name: t for t in tables}})


def csv_name(stem: str, table: Table) -> str:
    return f"{stem}-{table.name}.csv"


def bundle_xlsx(
    document: Mapping[str, Any], tables: Sequence[Table], *, title: str = "", as_of: datetime | None = None
) -> bytes:
    """The workbook of a bundle: the summary sheet, then a sheet per table."""
    return workbook_xlsx(tables, title=title, as_of=as_of, summary=summary_table(document, _unclashed(tables)))


def _unclashed(tables: Sequence[Table]) -> Sequence[Table]:
    if any(t.name == SUMMARY_SHEET for t in tables):
        raise LedgerError(
            BUNDLE_INVALID, detail=f"a table may not be named {SUMMARY_SHEET!r}: the workbook's first sheet is"
        )
    return tables


def digest(name: str, data: bytes) -> BundleFile:
    return BundleFile(name, hashlib.sha256(data).hexdigest(), len(data))


def write_bundle(folder: Path, files: Mapping[str, bytes], *, checksums: bool = True) -> tuple[BundleFile, ...]:
    """Write ``files`` into ``folder`` (created if needed); returns their digests, sorted by name."""
    if not files:
        raise LedgerError(BUNDLE_INVALID, detail="no files")
    for name, data in files.items():
        _check_name(name)
        if name == CHECKSUMS:
            raise LedgerError(BUNDLE_INVALID, detail=f"{CHECKSUMS} is written by the bundle itself")
        if not isinstance(data, (bytes, bytearray)):
            raise LedgerError(BUNDLE_INVALID, detail=f"{name} is {type(data).__name__}, not bytes")
    folder = private_dir(Path(folder))  # report outputs are the registry's own: 0700 folders, 0600 files
    out = tuple(digest(name, bytes(files[name])) for name in sorted(files))
    for name in sorted(files):
        _write_atomic(folder / name, bytes(files[name]))
    if checksums:
        _write_atomic(folder / CHECKSUMS, "".join(f"{f.sha256}  {f.name}\n" for f in out).encode("ascii"))
    _fsync_dir(folder)
    return out


def files_json(files: Sequence[BundleFile]) -> list[dict[str, Any]]:
    """The ``files`` list of a ``report.issued`` entry."""
    return [f.to_json() for f in files]


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not NAME_RE.match(name) or ".." in name:
        raise LedgerError(BUNDLE_INVALID, detail=f"{name!r} is not a plain file name (letters, digits, '.', '_', '-')")


def _write_atomic(path: Path, data: bytes) -> None:
    write_private(path, data, sync=True)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
