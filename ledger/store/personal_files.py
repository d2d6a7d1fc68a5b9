"""Files that hold a donor's personal data, and the record that lets ``donor erase`` find them.

Whatever writes a file with a donor's personal data (a personal receipt: its PDF, JSON, CSV,
XLSX and checksums; the job record of the API request that made it) notes it here, by the
donation's seq, before or as it writes. The record is one line per path in
``<home>/personal/<seq>.paths`` (JSON: path, what wrote it, when); it holds paths only, never
the data. :func:`erase_files` removes every path noted for a seq, the folders they leave empty
up to the folder the writer named, and the record itself.

The data folder is private to the account running the registry: :func:`private_dir` makes
folders 0700 and :func:`write_private` files 0600, whatever the umask.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path

from ledger.protocol.canonical import format_time, now
from ledger.settings import Settings

FOLDER = "personal"
DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` and its missing parents with mode 0700 (an existing folder is left as
    it is); returns ``path``."""
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(folder, DIR_MODE)  # mkdir's mode is filtered by the umask
    return path


def write_private(path: Path, data: bytes, *, sync: bool = False) -> None:
    """Write ``data`` to ``path`` atomically (beside it, then renamed), mode 0600."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")  # unique per writer, threads too
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            if sync:
                out.flush()
                os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _record_path(settings: Settings, seq: int) -> Path:
    return settings.home / FOLDER / f"{int(seq)}.paths"


def record(settings: Settings, seq: int, paths: Iterable[Path], *, by: str, root: Path | None = None) -> None:
    """Note that ``paths`` hold personal data of donation ``seq`` (``by``: what wrote them;
    ``root``: a folder made for them alone, removed with them once empty)."""
    lines = []
    when = format_time(now())
    for p in paths:
        item = {"path": str(Path(p).resolve()), "by": by, "at": when}
        if root is not None:
            item["root"] = str(Path(root).resolve())
        lines.append(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n")
    if not lines:
        return
    target = _record_path(settings, seq)
    private_dir(target.parent)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    with os.fdopen(fd, "a", encoding="utf-8") as out:  # one write: appends of other writers never interleave
        out.write("".join(lines))


def recorded(settings: Settings, seq: int) -> list[dict[str, str]]:
    """The paths noted for ``seq``, oldest first."""
    try:
        text = _record_path(settings, seq).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    out = []
    for line in text.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue  # a line cut short by a crash: its file, if any, was not written either
        if isinstance(item, dict) and isinstance(item.get("path"), str):
            out.append(item)
    return out


def erase_files(settings: Settings, seq: int) -> list[str]:
    """Remove every file noted for ``seq``, the folders made for them (once empty) and the
    record; returns the paths removed."""
    removed: list[str] = []
    roots: set[Path] = set()
    for item in recorded(settings, seq):
        path = Path(item["path"])
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(str(path))
        elif path.exists() or path.is_symlink():
            path.unlink(missing_ok=True)
            removed.append(str(path))
        if item.get("root"):
            roots.add(Path(item["root"]))
    for root in sorted(roots, key=lambda p: len(p.parts), reverse=True):
        _remove_empty(root)
    _record_path(settings, seq).unlink(missing_ok=True)
    return removed


def _remove_empty(folder: Path) -> None:
    """Remove ``folder`` if nothing is left in it but checksums and temporary files."""
    if not folder.is_dir():
        return
    leftovers = [p for p in folder.iterdir() if not (p.name == "SHA256SUMS" or p.name.endswith(".tmp"))]
    if leftovers:
        return
    shutil.rmtree(folder, ignore_errors=True)
