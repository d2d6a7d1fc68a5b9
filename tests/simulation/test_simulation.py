"""A handful of seeds of the deterministic simulation on SQLite and PostgreSQL.

Each run checks, after every step, the store against the independent model (see README.md);
a failure names the seed and the one-line command that replays it. Longer runs:
``python -m tests.simulation.runner --seed N --steps 1000``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.simulation.model import Model
from tests.simulation.operations import OP_WEIGHTS, ORIGIN, REGISTRAR_ORG
from tests.simulation.runner import Config, SimulationFailed, simulate

SEEDS = (1, 2, 3)
STEPS = 30  # every run starts with a tour of every kind of operation (21 of them), then random ones


def run_seed(seed: int, tmp_path: Path, postgres: str | None = None) -> None:
    counts = simulate(Config(seed, STEPS), tmp_path, postgres=postgres)  # PostgreSQL: a fresh schema
    made = {op for op in counts if not op.startswith("refused")}
    assert made == set(OP_WEIGHTS) and sum(counts[op] for op in made) == STEPS
    assert counts["refused log_sealed"] >= 1  # the stale-log entry met a sealed log


@pytest.mark.parametrize("seed", SEEDS)
def test_simulation_on_sqlite(seed: int, tmp_path: Path) -> None:
    run_seed(seed, tmp_path)


@pytest.mark.postgres
@pytest.mark.parametrize("seed", SEEDS[:1])
def test_simulation_on_postgres(seed: int, tmp_path: Path, postgres_url: str) -> None:
    run_seed(seed, tmp_path, postgres_url)


def test_a_broken_invariant_names_the_seed_and_the_replay_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The model is made to expect one more unit in every fund: the first check fails, and the
    message says how to replay the run exactly."""
    real = Model.balances

    def off_by_one(self: Model) -> dict:
        out = real(self)
        out["funds"] = {p: (a + 1, b, c) for p, (a, b, c) in out["funds"].items()}
        return out

    monkeypatch.setattr(Model, "balances", off_by_one)
    with pytest.raises(SimulationFailed) as info:
        simulate(Config(11, 5, kills=False, backups=False), tmp_path)
    message = str(info.value)
    assert "seed 11 failed at step 0" in message and "funds" in message
    assert (
        message.splitlines()[-1]
        == "replay: python -m tests.simulation.runner --seed 11 --steps 1 --no-kills --no-backups"
    )


def test_the_model_refuses_what_the_rules_refuse_without_a_store() -> None:
    """The model on its own: a fresh registry knows nobody, so any entry is unknown_signer,
    and an entry for another log is wrong_log."""
    model = Model(ORIGIN, REGISTRAR_ORG, 2026)
    body = {
        "v": 1,
        "log": ORIGIN,
        "type": "donation.received",
        "signer": "ab" * 32,
        "at": "2026-03-21T02:00:00.000Z",
        "idem": "x",
        "data": {},
    }
    assert model.judge(body, b"") == "unknown_signer"
    assert model.judge(dict(body, log="elsewhere.example/log"), b"") == "wrong_log"
