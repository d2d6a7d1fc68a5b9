"""Static tiles: ``charity-ledger tiles write DIR`` lays out the chain of logs as the /tlog/ URLs
are, writes only what is new, puts every tile in place before the checkpoint naming it, and its
files are byte for byte what the API serves."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from litestar.testing import TestClient

from api.config import ApiSettings
from ledger import cli
from ledger.cli.app import create_app
from ledger.protocol import tiles
from ledger.protocol.checkpoint import Checkpoint
from ledger.protocol.note import parse_note
from ledger.store import tile_writer
from ledger.store.runtime import roll_over
from tests.api.world import PROJECT, World, build_world, donation
from tests.support.ledger_factory import LedgerFactory


def _donations(world: World, count: int, start: int = 0) -> None:
    world.factory.ledger.log.append(
        [world.sign("fundraiser", "donation.received", donation(PROJECT, f"{start + i + 1}.00")) for i in range(count)]
    )


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file() and not p.is_symlink()}


def test_written_tiles_are_what_the_api_serves(tmp_path: Path, factory: LedgerFactory) -> None:
    world = build_world(factory)
    _donations(world, 280)
    out = tmp_path / "tlog"
    assert cli.main(["--home", str(factory.home), "tiles", "write", str(out)]) == 0
    size = Checkpoint.parse(parse_note((out / "checkpoint").read_text()).text).size
    with TestClient(create_app(factory.ledger, api_settings=ApiSettings())) as client:
        assert (out / "checkpoint").read_text() == client.get("/tlog/checkpoint").text
        for tile in tiles.tiles_for_size(size):
            assert (out / tile.path).read_bytes() == client.get("/tlog/" + tile.path).content, tile.path
            assert (out / "shards/0" / tile.path).read_bytes() == (out / tile.path).read_bytes()
    assert os.readlink(out / "tile") == "shards/0/tile" and os.readlink(out / "checkpoint") == "shards/0/checkpoint"
    assert oct((out / "shards/0/tile/0/000").stat().st_mode & 0o777) == "0o644"


def test_a_second_run_writes_only_what_is_new(tmp_path: Path, factory: LedgerFactory) -> None:
    world = build_world(factory)
    _donations(world, 250)
    out = tmp_path / "tlog"
    first = tile_writer.write_tiles(factory.ledger.log, out)
    before = _files(out)
    assert tile_writer.write_tiles(factory.ledger.log, out).files == 0
    assert _files(out) == before  # nothing rewritten differently
    _donations(world, 10, start=250)
    second = tile_writer.write_tiles(factory.ledger.log, out)
    grown = second.size - first.size
    assert grown == 10
    new = set(_files(out)) - set(before)
    assert second.files == len(new)
    # the edge tiles at the new size, nothing else: entries and level 0 full + partial, level 1 partial
    assert new == {f"shards/0/{t.path}" for t in tiles.tiles_for_size(second.size)} - set(before)
    assert {k: v for k, v in _files(out).items() if k in before and not k.endswith("checkpoint")} == {
        k: v for k, v in before.items() if not k.endswith("checkpoint")
    }


def test_every_tile_is_in_place_before_its_checkpoint(
    tmp_path: Path, factory: LedgerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build_world(factory)
    _donations(world, 20)
    order: list[str] = []
    real = tile_writer._replace

    def spy(path: Path, data: bytes) -> None:
        order.append(path.name if path.name == "checkpoint" else "tile")
        real(path, data)

    monkeypatch.setattr(tile_writer, "_replace", spy)
    tile_writer.write_tiles(factory.ledger.log, tmp_path / "tlog")
    assert order[-1] == "checkpoint" and order.count("checkpoint") == 1 and len(order) > 1


def test_the_chain_after_a_roll_over(tmp_path: Path, factory: LedgerFactory) -> None:
    world = build_world(factory)
    _donations(world, 5)
    out = tmp_path / "tlog"
    tile_writer.write_tiles(factory.ledger.log, out)
    sealed_size = factory.ledger.log.head().size
    roll_over(factory.ledger, year=2099)
    result = tile_writer.write_tiles(factory.ledger.log, out)
    assert result.logs == 2
    assert os.readlink(out / "tile") == "shards/1/tile" and os.readlink(out / "checkpoint") == "shards/1/checkpoint"
    final = Checkpoint.parse(parse_note((out / "shards/0/checkpoint").read_text()).text)
    assert final.size == sealed_size + 1  # log.sealed is the sealed log's last entry
    bundle = tiles.decode_bundle((out / f"shards/0/tile/entries/000.p/{final.size}").read_bytes())
    assert bundle == factory.ledger.log.leaves(0, final.size, 0)
    assert b'"type":"log.sealed"' in bundle[-1]
    first = tiles.decode_bundle((out / "tile/entries/000.p/1").read_bytes())
    assert b'"type":"registry.genesis"' in first[0]


def test_the_tiles_task(tmp_path: Path, factory: LedgerFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Celery task (in-process here) writes the folder it is given or the configured one,
    and refuses to guess one."""
    from dataclasses import replace

    from reports import celery_app
    from reports.celery_app import TaskError, settings_ref
    from reports.tasks import write_tiles_task

    world = build_world(factory)
    _donations(world, 3)
    before = celery_app.default_settings()
    celery_app.configure(replace(factory.ledger.settings, broker_url=None))
    try:
        ref = settings_ref(factory.ledger.settings)
        done = write_tiles_task.delay(ref, str(tmp_path / "given")).get(timeout=30)
        assert done == {"logs": 1, "files": 2, "size": factory.ledger.log.head().size}  # entries and level 0, partial
        monkeypatch.setenv("CHARITY_LEDGER_TILES_DIR", str(tmp_path / "configured"))
        assert write_tiles_task.delay(ref).get(timeout=30)["files"] == 2
        assert (tmp_path / "configured/checkpoint").read_bytes() == (tmp_path / "given/checkpoint").read_bytes()
        monkeypatch.delenv("CHARITY_LEDGER_TILES_DIR")
        with pytest.raises(TaskError) as info:  # the ledger error, as a task's caller receives it
            write_tiles_task.delay(ref).get(timeout=30)
        assert info.value.code == "tiles_dir_missing"
    finally:
        celery_app.configure(before)
