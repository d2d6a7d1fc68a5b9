"""The golden export: a log built by the simulation from a fixed seed, with fixed keys and a
fixed clock, exported as DESIGN section 3 says (entries.jsonl, checkpoint, log.vkey).

    python -m tests.simulation.golden --write   # regenerate tests/golden/export/
    python -m tests.simulation.golden --check   # build it again and compare byte for byte

The run leaves out the operations whose result depends on thread scheduling (races) or that
would make the export a chain of logs (roll-overs); every other fault stays in, so the golden
log also shows that crashes, restarts and retries leave no trace in the bytes.
See tests/golden/README.md for when to regenerate it.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "export"
FILES = ("entries.jsonl", "checkpoint", "log.vkey")
SEED, STEPS = 2030, 80
LEFT_OUT = ("race", "race_operator", "roll_over", "kill", "backup", "stale_log")


def build(folder: Path) -> int:
    """Run the fixed seed and export the log into ``folder``; returns the tree size."""
    from ledger.store.export import export_log
    from ledger.store.runtime import open_ledger
    from tests.simulation.runner import Config, Simulation

    with tempfile.TemporaryDirectory(prefix="golden-") as tmp:
        sim = Simulation(Config(SEED, STEPS, exclude=LEFT_OUT), Path(tmp))
        sim.run()
        ledger = open_ledger(sim.settings)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            return export_log(ledger.log, folder)
        finally:
            ledger.engine.dispose()


def differences(folder: Path, golden: Path = GOLDEN) -> list[str]:
    """The files of ``folder`` that are not byte for byte those of the golden export."""
    return [name for name in FILES if (folder / name).read_bytes() != (golden / name).read_bytes()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.simulation.golden", description=__doc__.split("\n")[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help="regenerate tests/golden/export/")
    action.add_argument("--check", action="store_true", help="rebuild and compare with the committed files")
    args = parser.parse_args(argv)
    if args.write:
        with tempfile.TemporaryDirectory() as tmp:
            size = build(Path(tmp) / "export")
            if GOLDEN.exists():
                shutil.rmtree(GOLDEN)
            GOLDEN.mkdir(parents=True)
            for name in FILES:
                shutil.copyfile(Path(tmp) / "export" / name, GOLDEN / name)
        print(f"wrote {GOLDEN} ({size} entries)")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        build(Path(tmp) / "export")
        changed = differences(Path(tmp) / "export")
    if changed:
        print(f"the rebuilt export differs from {GOLDEN} in: {', '.join(changed)}", file=sys.stderr)
        return 1
    print(f"{GOLDEN} is rebuilt byte for byte")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
