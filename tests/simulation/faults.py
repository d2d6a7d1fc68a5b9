"""Faults the simulation injects: a crash at the n-th SQL statement of an operation, and a
real process killed (SIGKILL) at the n-th statement of its transaction.

A crash is raised from SQLAlchemy's ``before_cursor_execute`` hook: the statement is never
sent, the transaction is abandoned half done (the store's context managers roll it back, as
the database does for a connection that dies), and the simulation then throws the whole
engine away and reopens the ledger, as a restarted process would. Counting statements makes
the crash point a pure function of the seed: a replay crashes at the same statement.

``python -m tests.simulation.faults JOB.json`` is the child process of the ``kill`` fault: it
opens the ledger, arms the hook to SIGKILL itself at statement ``kill_at``, appends the
entries and prints the results as JSON (if it lives that long).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event


class SimulatedCrash(Exception):
    """The process 'died' here."""


class CrashPoint:
    """Counts the statements an engine runs; when armed, fails the n-th one."""

    def __init__(self, engine: Engine, action: str = "raise") -> None:
        self.countdown: int | None = None
        self.fired = False
        self.action = action
        event.listen(engine, "before_cursor_execute", self._before)

    def arm(self, n: int) -> None:
        self.countdown, self.fired = n, False

    def disarm(self) -> bool:
        """Disarm; True if the crash happened."""
        self.countdown = None
        return self.fired

    def _before(self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        if self.countdown is None:
            return
        self.countdown -= 1
        if self.countdown == 0:
            self.countdown = None
            self.fired = True
            if self.action == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            raise SimulatedCrash(statement.split()[0] if statement else "?")


@contextmanager
def crash_at_rename(n: int) -> Iterator[None]:
    """The process dies just before its n-th ``Path.replace`` (a rename of a key file)."""
    real = Path.replace
    count = [0]

    def replace(self: Path, target: Any) -> Path:
        count[0] += 1
        if count[0] == n:
            raise SimulatedCrash(f"before renaming {self.name} to {Path(target).name}")
        return real(self, target)

    Path.replace = replace  # type: ignore[method-assign]
    try:
        yield
    finally:
        Path.replace = real  # type: ignore[method-assign]


def run_killed(job: dict[str, Any], folder: Path) -> dict[str, Any] | None:
    """Run the child; None when it was killed, else its results."""
    path = folder / "kill-job.json"
    path.write_text(json.dumps(job), encoding="utf-8")
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(root))
    done = subprocess.run(
        [sys.executable, "-m", "tests.simulation.faults", str(path)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode == -signal.SIGKILL:
        return None
    if done.returncode != 0:
        raise AssertionError(f"the child process failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def _child(path: str) -> None:
    from ledger.errors import LedgerError
    from ledger.protocol.canonical import parse_time
    from ledger.protocol.entry import parse_submission
    from ledger.settings import from_env
    from ledger.store.runtime import open_ledger

    job = json.loads(Path(path).read_text(encoding="utf-8"))
    ledger = open_ledger(from_env(job["env"]))
    moment = parse_time(job["now"])
    ledger.clock = lambda: moment
    crash = CrashPoint(ledger.engine, action="kill")
    entries = [parse_submission(s) for s in job["entries"]]
    crash.arm(job["kill_at"])
    try:
        results = [r.to_json() for r in ledger.log.append(entries)]
        print(json.dumps({"results": results}))
    except LedgerError as exc:
        print(json.dumps({"refused": exc.code}))
    ledger.engine.dispose()


if __name__ == "__main__":
    _child(sys.argv[1])
