"""``charity-ledger verdict``: an overseer signs a verdict with its key file and submits it, to the
log in the data folder (LocalSink) or to a served API (HttpSink)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from ledger.domain.rows import AttestationRow, EntryRow
from ledger.protocol.keys import write_key_file
from ledger.store.projection_tables import table_for
from tests.domain import helpers
from tests.oversight.conftest import uvicorn_served

ATTESTATION = table_for(AttestationRow)
ENTRY = table_for(EntryRow)


def overseer_key_file(world, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path / "overseer.key"
    write_key_file(world.overseer, path, None)
    return path


def attestations(world) -> list[dict]:  # type: ignore[no-untyped-def]
    with world.ledger.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(ATTESTATION).order_by(ATTESTATION.c.seq)).mappings()]


def test_verdict_to_the_local_log(world, tmp_path, run_cli, capsys):
    key = overseer_key_file(world, tmp_path)
    home = str(world.ledger.settings.home)
    code = run_cli(
        "--home",
        home,
        "verdict",
        "--key",
        str(key),
        "--target",
        world.plan,
        "--verdict",
        "queried",
        "--findings",
        "备案编号与计划不一致",
    )
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    [row] = attestations(world)
    assert (row["id"], row["seq"], row["target"], row["verdict"], row["findings"]) == (
        printed["leaf_hash"],
        printed["seq"],
        world.plan,
        "queried",
        "备案编号与计划不一致",
    )
    assert (row["overseer_org"], row["target_type"], row["project"]) == (helpers.OVERSIGHT, "plan.filed", world.PUB)
    assert row["recorded_by"] == world.overseer.id
    assert printed["verdict"] == "queried" and printed["inclusion_proof"]["index"] == printed["seq"]
    with world.ledger.engine.connect() as conn:
        assert conn.execute(select(ENTRY.c.last_verdict).where(ENTRY.c.id == world.plan)).scalar_one() == "queried"

    # the same verdict signed again is refused, not recorded twice (its idem comes from the verdict)...
    assert (
        run_cli(
            "--home",
            home,
            "verdict",
            "--key",
            str(key),
            "--target",
            world.plan,
            "--verdict",
            "queried",
            "--findings",
            "备案编号与计划不一致",
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "idem_conflict" in err and "--idem" in err
    assert len(attestations(world)) == 1
    # ...unless asked for on purpose
    assert (
        run_cli(
            "--home",
            home,
            "verdict",
            "--key",
            str(key),
            "--target",
            world.plan,
            "--verdict",
            "queried",
            "--findings",
            "备案编号与计划不一致",
            "--idem",
            "second-look",
        )
        == 0
    )
    again = json.loads(capsys.readouterr().out)
    assert again["seq"] > printed["seq"] and not again["existing"]

    # findings from a file; then a resolution
    (tmp_path / "findings.txt").write_text("已补充备案回执\n", encoding="utf-8")
    assert (
        run_cli(
            "--home",
            home,
            "verdict",
            "--key",
            str(key),
            "--target",
            world.plan,
            "--verdict",
            "resolved",
            "--findings",
            f"@{tmp_path / 'findings.txt'}",
        )
        == 0
    )
    capsys.readouterr()
    assert [(a["verdict"], a["findings"]) for a in attestations(world)] == [
        ("queried", "备案编号与计划不一致"),
        ("queried", "备案编号与计划不一致"),
        ("resolved", "已补充备案回执"),
    ]


def test_refusals_and_usage(world, tmp_path, run_cli, capsys):
    key = overseer_key_file(world, tmp_path)
    home = str(world.ledger.settings.home)
    size = world.ledger.log.head().size
    # an overseer cannot judge an entry it does not know of
    assert (
        run_cli(
            "--home",
            home,
            "verdict",
            "--key",
            str(key),
            "--target",
            "ab" * 32,
            "--verdict",
            "approved",
            "--findings",
            "x",
        )
        == 1
    )
    assert "error [" in capsys.readouterr().err
    # not a leaf hash: a usage error, nothing signed
    assert (
        run_cli(
            "--home",
            home,
            "verdict",
            "--key",
            str(key),
            "--target",
            "seq-12",
            "--verdict",
            "approved",
            "--findings",
            "x",
        )
        == 2
    )
    assert "--target" in capsys.readouterr().err
    # a fundraiser's key may not record verdicts
    fundraiser = tmp_path / "fundraiser.key"
    write_key_file(world.fundraiser, fundraiser, None)
    assert (
        run_cli(
            "--home",
            home,
            "verdict",
            "--key",
            str(fundraiser),
            "--target",
            world.plan,
            "--verdict",
            "approved",
            "--findings",
            "x",
        )
        == 1
    )
    assert "role_not_allowed" in capsys.readouterr().err
    assert world.ledger.log.head().size == size


def test_verdict_over_http(world, tmp_path, run_cli, capsys):
    """To a served log: the entry goes through POST /api/v1/entries (HttpSink)."""
    world.now = datetime.now(UTC)  # the served log's clock; the CLI signs at the real time
    key = overseer_key_file(world, tmp_path)
    with uvicorn_served(world) as url:
        assert (
            run_cli(
                "verdict",
                "--key",
                str(key),
                "--target",
                world.plan,
                "--verdict",
                "approved",
                "--findings",
                "备案齐全",
                "--url",
                url,
            )
            == 0
        )
    printed = json.loads(capsys.readouterr().out)
    [row] = attestations(world)
    assert (row["id"], row["verdict"], row["findings"], row["overseer_org"]) == (
        printed["leaf_hash"],
        "approved",
        "备案齐全",
        helpers.OVERSIGHT,
    )
    assert printed["checkpoint"].startswith(world.ledger.log.origin + "\n")
