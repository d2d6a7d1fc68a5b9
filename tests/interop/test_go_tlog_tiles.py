"""Our tiles read by Go's own transparency-log code (golang.org/x/mod/sumdb/tlog, as Debian
packages it): tlog fetches the tiles it needs, checks them against the signed root, builds
inclusion and consistency proofs from them and checks those; every entry bundle's leaves hash to
the tree's leaves. A tampered tile is refused by tlog."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from litestar.testing import TestClient

from api.config import ApiSettings
from ledger.cli.app import create_app
from ledger.protocol import tiles
from ledger.protocol.checkpoint import Checkpoint
from ledger.protocol.note import parse_note
from tests.api.world import PROJECT, build_world, donation
from tests.support.ledger_factory import LedgerFactory

PROGRAM = Path(__file__).with_name("tlog_tiles_check.go")
GOPATH = Path("/usr/share/gocode")  # Debian's golang-golang-x-mod-dev


def _go() -> str:
    go = shutil.which("go")
    if go is None or not (GOPATH / "src/golang.org/x/mod/sumdb/tlog").is_dir():
        if os.environ.get("CHARITY_LEDGER_REQUIRE_SERVICES") == "1":
            pytest.fail("Go and golang-golang-x-mod-dev are needed (./scripts/test installs them as root)")
        pytest.skip("Go or golang.org/x/mod is not installed")
    return go


def _run(
    go: str, folder: Path, size: int, root: bytes, records: list[int], olds: list[int], tmp: Path
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GO111MODULE": "off", "GOPATH": str(GOPATH), "GOCACHE": str(tmp / "gocache"), "GOFLAGS": ""}
    args = [
        str(folder),
        str(size),
        base64.b64encode(root).decode(),
        ",".join(map(str, records)),
        ",".join(map(str, olds)),
    ]
    return subprocess.run([go, "run", str(PROGRAM), *args], capture_output=True, text=True, env=env, timeout=300)


def test_go_tlog_checks_our_tiles(tmp_path: Path) -> None:
    go = _go()
    world = build_world(LedgerFactory(tmp_path / "home"))
    world.factory.ledger.log.append(
        [world.sign("fundraiser", "donation.received", donation(PROJECT, f"{i + 1}.00")) for i in range(600)]
    )
    folder = tmp_path / "tiles"
    with TestClient(create_app(world.factory.ledger, api_settings=ApiSettings())) as client:
        note = client.get("/tlog/checkpoint").text
        checkpoint = Checkpoint.parse(parse_note(note).text)
        for tile in tiles.tiles_for_size(checkpoint.size):
            path = folder / tile.path
            path.parent.mkdir(parents=True, exist_ok=True)
            answer = client.get("/tlog/" + tile.path)
            assert answer.status_code == 200, tile.path
            path.write_bytes(answer.content)
        olds = [1, 255, 256, 257, 512, checkpoint.size - 1]
        old_roots = {str(n): base64.b64encode(world.factory.ledger.log.root_at(n)).decode() for n in olds}
    size = checkpoint.size
    records = [0, 1, 255, 256, 511, 512, size - 1]
    done = _run(go, folder, size, checkpoint.root, records, olds, tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["leaves"] == size
    assert result["root"] == base64.b64encode(checkpoint.root).decode()
    assert result["old_roots"] == old_roots

    # one flipped bit in a tile: Go's tlog refuses it (tiles are checked against the signed root)
    for path, why in (("tile/1/000.p/2", "inconsistent"), ("tile/0/001", "record 256")):
        tile = folder / path
        original = tile.read_bytes()
        data = bytearray(original)
        data[5] ^= 1
        tile.write_bytes(bytes(data))
        tampered = _run(go, folder, size, checkpoint.root, [300], [], tmp_path)
        assert tampered.returncode != 0 and why in tampered.stderr, (path, tampered.stderr)
        tile.write_bytes(original)
