"""The committed golden export verifies, and the fixed seed rebuilds it byte for byte.

If this fails after a change that alters the protocol bytes on purpose, regenerate it
(``python -m tests.simulation.golden --write``) and say so in the commit; see
tests/golden/README.md.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ledger.cli import main
from tests.simulation.golden import FILES, GOLDEN, build, differences


def test_the_golden_export_verifies(capsys: pytest.CaptureFixture[str]) -> None:
    lines = (GOLDEN / "entries.jsonl").read_bytes().splitlines()
    assert main(["verify", str(GOLDEN)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is True and report["size"] == len(lines)
    assert (GOLDEN / "checkpoint").read_text().splitlines()[1] == str(len(lines))
    # the log rotated its key: the checkpoint is signed by the last key, which log.vkey names
    assert report["entries_by_type"].get("log.key_rotated", 0) >= 1


def test_a_changed_byte_of_the_golden_export_is_caught(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "export"
    shutil.copytree(GOLDEN, copy)
    raw = bytearray((copy / "entries.jsonl").read_bytes())
    at = raw.index(b'"amount":"') + len(b'"amount":"')
    raw[at] = ord("9") if raw[at] != ord("9") else ord("8")
    (copy / "entries.jsonl").write_bytes(bytes(raw))
    assert main(["verify", str(copy)]) != 0


def test_the_seed_rebuilds_the_golden_export_byte_for_byte(tmp_path: Path) -> None:
    size = build(tmp_path / "export")
    assert size == len((GOLDEN / "entries.jsonl").read_bytes().splitlines())
    assert differences(tmp_path / "export") == [], (
        "regenerate with: python -m tests.simulation.golden --write (see tests/golden/README.md)"
    )
    assert sorted(p.name for p in (tmp_path / "export").iterdir()) == sorted(FILES)
