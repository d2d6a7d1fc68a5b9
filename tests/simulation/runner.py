"""The deterministic simulation: a seeded run of operations and faults against the real store,
checked after every step against the model.

    python -m tests.simulation.runner --seed 7 --steps 200            # SQLite in a temporary folder
    python -m tests.simulation.runner --seed 7 --steps 200 --postgres # a fresh schema of
                                                                      # CHARITY_LEDGER_TEST_POSTGRES_URL

A failing run prints the seed, the step, the last operations and the one-line command that
replays it. See tests/simulation/README.md for the invariants and the fault model.
"""

from __future__ import annotations

import argparse
import copy
import os
import random
import shutil
import sys
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from ledger.errors import LedgerError
from ledger.protocol import merkle
from ledger.protocol.canonical import format_time
from ledger.protocol.checkpoint import verify_checkpoint
from ledger.protocol.entry import SignedEntry, make_body, parse_leaf, sign_entry
from ledger.protocol.keys import KeyPair, write_key_file
from ledger.protocol.note import format_verifier_key
from ledger.settings import from_env
from ledger.store.log_store import AppendResult
from ledger.store.runtime import Ledger, init_ledger, open_ledger, roll_over, rotate_log_key
from tests.simulation.faults import CrashPoint, SimulatedCrash, crash_at_rename, run_killed
from tests.simulation.model import Model
from tests.simulation.operations import ORIGIN, REGISTRAR_ORG, T0, T1, Draft, Generator, Op, key, setup_drafts

# after these, the projections are compared with a rebuild at once (else every full_check_every steps)
FULL_CHECK_AFTER = {"crash", "kill", "roll_over", "rotate_crash", "rebuild"}


@dataclass
class Config:
    seed: int
    steps: int
    database_url: str | None = None  # None: SQLite in the work folder
    admin_url: str | None = None  # PostgreSQL: where restore databases are created
    kills: bool = True  # the SIGKILLed child process fault (starts a Python process each time)
    backups: bool = True
    exclude: tuple[str, ...] = ()  # operation kinds left out (the golden export leaves out races)
    full_check_every: int = 10  # projections against a replay, more proofs: every n steps and after crashes

    def replay_command(self, steps: int | None = None) -> str:
        extra = " --postgres" if self.database_url else ""
        extra += "" if self.kills else " --no-kills"
        extra += "" if self.backups else " --no-backups"
        extra += f" --exclude {','.join(self.exclude)}" if self.exclude else ""
        return f"python -m tests.simulation.runner --seed {self.seed} --steps {steps or self.steps}{extra}"


class SimulationFailed(AssertionError):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SimulationFailed(message)


def log_key(seed: int, n: int) -> KeyPair:
    return KeyPair.from_seed(f"simulation/{seed}/log-key/{n}".encode())


def expected_next_origin(origin: str, year: int) -> str:
    head, _, last = origin.rpartition("/")
    return f"{head}/{year}" if last.isdigit() and len(last) == 4 else f"{origin}/{year}"


class Simulation:
    def __init__(self, cfg: Config, workdir: Path) -> None:
        self.cfg = cfg
        self.workdir = workdir
        self.rng = random.Random(cfg.seed)
        self.sample = random.Random(cfg.seed * 7919 + 1)  # which proofs to check: apart from the ops' stream
        self.now = T0
        self.env = {"CHARITY_LEDGER_HOME": str(workdir / "home"), "CHARITY_LEDGER_ORIGIN": ORIGIN}
        if cfg.database_url:
            self.env["CHARITY_LEDGER_DATABASE_URL"] = cfg.database_url
        self.settings = from_env(self.env)
        keys = self.settings.log_key_path.parent
        keys.mkdir(parents=True, mode=0o700, exist_ok=True)
        write_key_file(log_key(cfg.seed, 0), self.settings.log_key_path)  # fixed keys: a replay signs the same bytes
        self.ledger = init_ledger(self.settings, clock=self.clock)
        self.crash = CrashPoint(self.ledger.engine)
        self.other: Ledger | None = None
        self.model = Model(ORIGIN, REGISTRAR_ORG, 2026)
        exclude = cfg.exclude + (() if cfg.kills else ("kill",)) + (() if cfg.backups else ("backup",))
        self.gen = Generator(self.rng, self.model, exclude=exclude)
        self.signed: dict[int, SignedEntry] = {}  # position -> the entry as submitted
        self.seen: dict[int, tuple[int, bytes]] = {}  # shard -> the last checkpoint seen (size, root)
        self.rotations = 0
        self.years = 2026
        self.step = 0
        self.trace: list[str] = []
        self.counts: dict[str, int] = {}

    def clock(self) -> Any:
        return self.now

    # --- running --------------------------------------------------------------------------

    def run(self) -> dict[str, int]:
        try:
            for draft in setup_drafts(self.ledger.log_key.public_b64):
                self.trace.append(f"set-up: {draft.type} by {draft.signer}")
                self.append([draft])
                self.now += timedelta(minutes=1)
            self.verify(full=True)
            for step in range(1, self.cfg.steps + 1):
                self.step = step
                self.now = T1 + timedelta(minutes=self.step)
                op = self.gen.next_op()
                self.trace.append(f"step {self.step}: {op.describe()}")
                self.counts[op.kind] = self.counts.get(op.kind, 0) + 1
                getattr(self, "op_" + op.kind)(op)
                self.verify(full=self.step % self.cfg.full_check_every == 0 or op.kind in FULL_CHECK_AFTER)
            self.verify(full=True, final=True)
        except Exception as exc:
            last = "\n  ".join(self.trace[-8:])
            raise SimulationFailed(
                f"seed {self.cfg.seed} failed at step {self.step}: {type(exc).__name__}: {exc}\n"
                f"last operations:\n  {last}\nreplay: {self.cfg.replay_command(max(self.step, 1))}"
            ) from exc
        finally:
            self.close()
        return self.counts

    def close(self) -> None:
        for ledger in (self.ledger, self.other):
            if ledger is not None:
                ledger.engine.dispose()

    def restart(self) -> None:
        """The process died: every connection is dropped, the ledger is opened again."""
        self.ledger.engine.dispose()
        self.ledger = open_ledger(self.settings)
        self.ledger.clock = self.clock
        self.crash = CrashPoint(self.ledger.engine)

    def other_ledger(self) -> Ledger:
        """A second process on the same database (opened once, so it may be stale)."""
        if self.other is None or self.rng.random() < 0.2:
            if self.other is not None:
                self.other.engine.dispose()
            self.other = open_ledger(self.settings)
            self.other.clock = self.clock
        return self.other

    # --- signing and judging --------------------------------------------------------------

    def sign(self, d: Draft) -> SignedEntry:
        k = key(d.signer)
        at = self.now - timedelta(hours=1) if d.skew else self.now
        entry = sign_entry(k, make_body(d.log or self.model.origin, d.type, k.id, at, d.idem, copy.deepcopy(d.data)))
        if d.bad_sig:
            entry = SignedEntry(entry.body, entry.body_bytes, bytes([entry.sig[0] ^ 1]) + entry.sig[1:])
        return entry

    def expect(self, entries: list[SignedEntry], drafts: list[Draft], model: Model | None = None) -> str | None:
        """The model's verdict on an atomic append of ``entries``: None or the refusal code."""
        trial = (model or self.model).copy()
        for entry, d in zip(entries, drafts, strict=True):
            verdict = (
                None
                if d.type == "registry.genesis"
                else trial.judge(entry.body, entry.body_bytes, sig_ok=not d.bad_sig, skewed=d.skew)
            )
            if verdict is not None:
                return verdict
            trial.commit(
                entry.body,
                entry.sig,
                seq=len(trial.log.leaves),
                time=format_time(self.now),
                leaf_hash=None,
                name=d.grants,
            )
        return None

    @staticmethod
    def code(exc: LedgerError) -> str:
        return str(exc.params.get("code", exc.code)) if exc.code == "batch_entry_refused" else exc.code

    def accept(self, entries: list[SignedEntry], drafts: list[Draft], results: list[AppendResult]) -> None:
        for entry, d, r in zip(entries, drafts, results, strict=True):
            check(not r.existing, f"a new entry ({d.type}) was answered as an earlier one")
            e = self.model.commit(entry.body, entry.sig, seq=r.seq, time=r.time, leaf_hash=r.leaf_hash, name=d.grants)
            self.signed[e.position] = entry
        for r in results:
            self.check_receipt(r, len(self.model.logs) - 1)

    def check_receipt(self, r: AppendResult, shard: int) -> None:
        """An append's answer: its checkpoint is signed by the log key in force and has the
        model's root; its inclusion proof leads there."""
        vkey = format_verifier_key(self.model.logs[shard].origin, self.model.log_key_at(shard, r.tree_size))
        cp = verify_checkpoint(r.checkpoint, vkey)
        check(
            cp.size == r.tree_size and cp.root == self.model.root(shard, r.tree_size),
            "the receipt's checkpoint is not the model's tree",
        )
        merkle.verify_inclusion(
            bytes.fromhex(r.leaf_hash), r.seq, r.tree_size, [bytes.fromhex(h) for h in r.proof], cp.root
        )

    def append(
        self,
        drafts: list[Draft],
        ledger: Ledger | None = None,
        *,
        crash_at: int | None = None,
        entries: list[SignedEntry] | None = None,
    ) -> list[AppendResult] | LedgerError | None:
        """Append atomically and compare with the model. Returns the results, the refusal, or
        None when the injected crash happened (then nothing may have been written)."""
        ledger = ledger or self.ledger
        entries = entries or [self.sign(d) for d in drafts]
        verdict = self.expect(entries, drafts)
        head = ledger.log.head()
        if crash_at is not None:
            self.crash.arm(crash_at)
        try:
            results = ledger.log.append(entries)
        except SimulatedCrash:
            self.crash.disarm()
            self.restart()
            check(self.ledger.log.head() == head, "a crashed append left something behind")
            return None
        except LedgerError as exc:
            self.crash.disarm()
            check(
                verdict is not None and self.code(exc) == verdict,
                f"the log refused {[d.type for d in drafts]} with {self.code(exc)}; "
                f"the model says {verdict or 'accept'}",
            )
            check(ledger.log.head() == head, "a refused append changed the head")
            self.counts["refused " + self.code(exc)] = self.counts.get("refused " + self.code(exc), 0) + 1
            return exc
        self.crash.disarm()
        check(verdict is None, f"the log accepted {[d.type for d in drafts]}; the model says {verdict}")
        self.accept(entries, drafts, results)
        return results

    # --- operations -----------------------------------------------------------------------

    def op_append(self, op: Op) -> None:
        self.append(op.drafts)

    op_batch = op_bad_sig = op_skew = op_stale_log = op_append

    def op_clock_back(self, op: Op) -> None:
        """The machine's clock steps back a few minutes (within the accepted skew): the entry is
        accepted and the log's time does not run backwards."""
        self.now -= timedelta(minutes=op.arg % 5 + 1)
        self.append(op.drafts)

    def op_interleave(self, op: Op) -> None:
        self.append(op.drafts, self.other_ledger())

    def op_crash(self, op: Op) -> None:
        entries = [self.sign(d) for d in op.drafts]
        if self.append(op.drafts, crash_at=op.arg, entries=entries) is None:
            self.append(op.drafts, entries=entries)  # the client retries after the restart

    def op_lost_ack(self, op: Op) -> None:
        """The append commits but its answer is lost; the client retries the same bytes."""
        entries = [self.sign(d) for d in op.drafts]
        first = self.append(op.drafts, entries=entries)
        self.restart()
        self.retry(entries, first)

    def retry(self, entries: list[SignedEntry], first: Any) -> None:
        try:
            again = self.ledger.log.append(entries)
        except LedgerError as exc:
            check(
                isinstance(first, LedgerError) and self.code(exc) == self.code(first),
                f"a retry was refused with {self.code(exc)}",
            )
            return
        check(isinstance(first, list), "a retry of a refused entry was accepted")
        for a, b in zip(first, again, strict=True):
            check(
                b.existing and (b.seq, b.leaf_hash, b.time) == (a.seq, a.leaf_hash, a.time),
                f"a retry got seq {b.seq} existing={b.existing}; the first answer was seq {a.seq}",
            )

    def op_retry(self, op: Op) -> None:
        """A client sends an acknowledged entry again: the same entry comes back."""
        entry, e = self.signed[op.arg], self.model.entries[op.arg]
        check(self.model.judge(entry.body, entry.body_bytes) == "existing", "the model does not see the retry")
        (r,) = self.ledger.log.append([entry])
        check(
            r.existing and r.leaf_hash == e.leaf_hash and r.seq == e.seq and r.pos == e.position,
            f"a retry of position {e.position} was answered with seq {r.seq}, existing={r.existing}",
        )
        self.check_receipt(r, e.shard)

    def op_each(self, op: Op) -> None:
        """Independent entries in one transaction (``append_each``, how the API coalesces
        concurrent submissions): each is judged on its own, in order."""
        entries = [self.sign(d) for d in op.drafts]
        trial = self.model.copy()
        verdicts = []
        for entry, d in zip(entries, op.drafts, strict=True):
            verdict = trial.judge(entry.body, entry.body_bytes, sig_ok=not d.bad_sig, skewed=d.skew)
            verdicts.append(verdict)
            if verdict is None:
                trial.commit(
                    entry.body,
                    entry.sig,
                    seq=len(trial.log.leaves),
                    time=format_time(self.now),
                    leaf_hash=None,
                    name=d.grants,
                )
        out = self.ledger.log.append_each(entries)
        for i, (o, verdict) in enumerate(zip(out, verdicts, strict=True)):
            got = o.code if isinstance(o, LedgerError) else None
            check(
                got == verdict,
                f"entry {i} ({op.drafts[i].type}) of an independent batch: {got or 'accepted'}; "
                f"model: {verdict or 'accept'}",
            )
        accepted = [i for i, o in enumerate(out) if isinstance(o, AppendResult)]
        self.accept([entries[i] for i in accepted], [op.drafts[i] for i in accepted], [out[i] for i in accepted])  # type: ignore[misc]

    def op_batch_retry(self, op: Op) -> None:
        """A batch of new entries with an acknowledged one among them (sent by either store):
        the new ones are appended (or all refused), the old one comes back as it was."""
        old, e = self.signed[op.arg], self.model.entries[op.arg]
        entries = [self.sign(d) for d in op.drafts]
        at = op.arg % (len(entries) + 1)
        batch = [*entries[:at], old, *entries[at:]]
        verdict = self.expect(entries, op.drafts)
        ledger = self.ledger if op.arg % 2 else self.other_ledger()
        head = ledger.log.head()
        try:
            results = ledger.log.append(batch)
        except LedgerError as exc:
            check(
                verdict is not None and self.code(exc) == verdict,
                f"the batch was refused with {self.code(exc)}; model: {verdict}",
            )
            check(ledger.log.head() == head, "a refused batch changed the head")
            return
        check(verdict is None, f"the batch was accepted; the model says {verdict}")
        again = results.pop(at)
        self.accept(entries, op.drafts, results)
        check(
            again.existing and (again.leaf_hash, again.seq, again.pos) == (e.leaf_hash, e.seq, e.position),
            f"the retried entry came back as seq {again.seq} existing={again.existing}",
        )
        self.check_receipt(again, e.shard)

    def op_conflict(self, op: Op) -> None:
        """The same idem with another body is refused."""
        entry, e = self.signed[op.arg], self.model.entries[op.arg]
        body = dict(entry.body, at=format_time(self.now))
        if body["at"] == entry.body["at"]:
            body["at"] = format_time(self.now + timedelta(milliseconds=1))
        other = sign_entry(key(self.model.keys[e.signer_id].name), body)
        check(self.model.judge(other.body, other.body_bytes) == "idem_conflict", "the model misses the conflict")
        head = self.ledger.log.head()
        try:
            self.ledger.log.append([other])
            check(False, "the same idem with another body was accepted")
        except LedgerError as exc:
            check(exc.code == "idem_conflict", f"a conflicting idem got {exc.code}")
        check(self.ledger.log.head() == head, "a refused conflict changed the head")

    def op_race(self, op: Op) -> None:
        """Two processes append at the same moment; the outcome must be one of the two orders."""
        ledgers = [self.ledger, self.other_ledger()]
        entries = [self.sign(d) for d in op.drafts]
        out: list[Any] = [None, None]

        def go(i: int) -> None:
            try:
                out[i] = ledgers[i].log.append([entries[i]])[0]
            except LedgerError as exc:
                out[i] = exc
            except Exception as exc:
                out[i] = exc

        threads = [threading.Thread(target=go, args=(i,)) for i in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for o in out:
            if not isinstance(o, (AppendResult, LedgerError)):
                raise o
        accepted = [i for i in (0, 1) if isinstance(out[i], AppendResult)]
        orders = [(0, 1), (1, 0)]
        if len(accepted) == 2:
            orders = [tuple(sorted(accepted, key=lambda i: out[i].seq))]
        explained = None
        for order in orders:
            trial, ok = self.model.copy(), True
            for i in order:
                verdict = trial.judge(entries[i].body, entries[i].body_bytes)
                if isinstance(out[i], AppendResult):
                    ok = ok and verdict is None and out[i].seq == len(trial.log.leaves)
                    if ok:
                        trial.commit(
                            entries[i].body,
                            entries[i].sig,
                            seq=out[i].seq,
                            time=out[i].time,
                            leaf_hash=out[i].leaf_hash,
                        )
                else:
                    ok = ok and verdict == out[i].code
            if ok:
                explained = order
                break
        outcome = [o.code if isinstance(o, LedgerError) else f"seq {o.seq}" for o in out]
        check(explained is not None, f"no order of the two racing appends explains {outcome}")
        for i in explained:
            if isinstance(out[i], AppendResult):
                self.accept([entries[i]], [op.drafts[i]], [out[i]])

    def op_kill(self, op: Op) -> None:
        """A real process appends and is SIGKILLed at its n-th SQL statement."""
        entries = [self.sign(d) for d in op.drafts]
        verdict = self.expect(entries, op.drafts)
        head = self.ledger.log.head()
        job = {
            "env": self.env,
            "now": format_time(self.now),
            "entries": [e.to_json() for e in entries],
            "kill_at": op.arg,
        }
        out = run_killed(job, self.workdir)
        if out is None:
            self.restart()
            check(self.ledger.log.head() == head, "a killed append left something behind")
            self.append(op.drafts, entries=entries)
            return
        if "refused" in out:
            check(out["refused"] == verdict, f"the child was refused with {out['refused']}; the model says {verdict}")
            return
        check(verdict is None, f"the child's append was accepted; the model says {verdict}")
        results = [
            AppendResult(
                r["seq"],
                r["leaf_hash"],
                r["time"],
                r["existing"],
                r["inclusion_proof"]["size"],
                r["inclusion_proof"]["hashes"],
                r["checkpoint"],
            )
            for r in out["results"]
        ]
        self.accept(entries, op.drafts, results)

    def op_restart(self, op: Op) -> None:
        self.restart()

    def read_operator_entry(self, position: int) -> tuple[Any, bytes]:
        raw = self.ledger.log.leaf(position)
        return parse_leaf(raw), raw

    def commit_operator_entry(self, position: int, expect_type: str, expect_data: dict[str, Any]) -> None:
        leaf, raw = self.read_operator_entry(position)
        body = leaf.entry.body
        check(
            body["type"] == expect_type and body["data"] == expect_data,
            f"the log wrote {body['type']} {body['data']}; the model expected {expect_type} {expect_data}",
        )
        check(
            body["signer"] == key_id_of(self.model.log_key_at(-1, len(self.model.log.leaves))),
            "an operator entry is not signed by the log key in force",
        )
        self.model.commit(body, leaf.entry.sig, seq=leaf.seq, time=leaf.time, leaf_hash=merkle.leaf_hash(raw).hex())

    def op_roll_over(self, op: Op) -> None:
        year = self.years + 1
        shards = self.ledger.log.shards()
        if op.arg % 4 == 0:  # a crash somewhere inside the roll-over's transaction
            self.crash.arm(op.arg * 3)
            try:
                roll_over(self.ledger, year=year)
            except SimulatedCrash:
                self.restart()
                check(self.ledger.log.shards() == shards, "a crashed roll-over changed the chain")
                return
            finally:
                self.crash.disarm()
        else:
            roll_over(self.ledger, year=year)
        self.commit_roll_over(year)

    def commit_roll_over(self, year: int) -> None:
        """The model follows a roll-over the store made: log.sealed, then the next genesis."""
        old = len(self.model.logs) - 1
        size = len(self.model.log.leaves)
        self.years = year
        origin = self.model.origin
        target = expected_next_origin(origin, year)
        self.commit_operator_entry(
            self.model.entries[-1].position + 1, "log.sealed", {"next_origin": target, "size": size + 1}
        )
        final = self.ledger.log.latest_checkpoint(old)
        cp = verify_checkpoint(final, format_verifier_key(origin, self.model.log_key_at(old, size + 1)))
        check(
            cp.size == size + 1 and cp.root == self.model.root(old),
            "the sealed log's final checkpoint is not the model's tree",
        )
        self.check_consistent(old, cp.size, cp.root)
        reg = self.model.entries[0].data
        genesis = {
            "origin": target,
            "jurisdiction": reg["jurisdiction"],
            "rule_sets": reg["rule_sets"],
            "public_key": reg["public_key"],
            "role": "registrar",
            "org": reg["org"],
            "org_name_zh": reg["org_name_zh"],
            "holder": reg["holder"],
            "log_key": _b64(self.model.log_key_at(-1, size + 1)),
            "previous": {"origin": origin, "size": size + 1, "root_hash": cp.root.hex(), "checkpoint": final},
        }
        self.commit_operator_entry(self.model.entries[-1].position + 1, "registry.genesis", genesis)

    def op_rotate(self, op: Op) -> None:
        self.rotate(op.arg % 3)

    def op_rotate_crash(self, op: Op) -> None:
        self.rotate(1 + op.arg % 3, crash_at=op.arg)

    def rotate(self, mode: int, crash_at: int = 1) -> None:
        """mode 0: a plain rotation; 1: a crash inside its transaction; 2: a crash after the
        commit, before the key files are moved; 3: a crash between the two renames of the key
        files (2 and 3: a restart, then the next run of the command finishes it)."""
        new = log_key(self.cfg.seed, self.rotations + 1)
        folder = self.settings.log_key_path.parent
        if not (folder / "log.key.next").exists():
            write_key_file(new, folder / "log.key.next")
        head = self.ledger.log.head()
        if mode == 1:
            self.crash.arm(crash_at)
            try:
                rotate_log_key(self.ledger)
            except SimulatedCrash:
                self.restart()
                check(self.ledger.log.head() == head, "a crashed rotation changed the log")
                return
            finally:
                self.crash.disarm()
        elif mode in (2, 3):
            with crash_at_rename(mode - 1):
                try:
                    rotate_log_key(self.ledger)
                    check(False, "the rotation did not reach the crash point")
                except SimulatedCrash:
                    pass
            self.restart()
            self.commit_rotation(new)  # committed in the log; the key files are not swapped yet
            if self.cfg.backups and crash_at % 2 == 0:
                self.op_backup(Op("backup"))  # a backup now must carry the key the log signs with
            info = rotate_log_key(self.ledger)
            check(
                info["announced_at_seq"] is None and info["key_id"] == new.id,
                f"finishing a rotation announced it again: {info}",
            )
            return
        else:
            rotate_log_key(self.ledger)
        self.commit_rotation(new)

    def commit_rotation(self, new: KeyPair) -> None:
        size = len(self.model.log.leaves)
        self.rotations += 1
        self.commit_operator_entry(
            self.model.entries[-1].position + 1,
            "log.key_rotated",
            {"public_key": new.public_b64, "from_size": size + 1},
        )
        check(self.ledger.log.current_log_key().id == new.id, "the log does not sign with the new key")

    def op_race_operator(self, op: Op) -> None:
        """The operator rolls the log over (even ``arg``) or rotates its key (odd) while another
        process appends; the outcome must be one of the two orders."""
        (draft,) = op.drafts
        entry = self.sign(draft)
        rolling = op.arg % 2 == 0
        new = log_key(self.cfg.seed, self.rotations + 1)
        folder = self.settings.log_key_path.parent
        if not rolling and not (folder / "log.key.next").exists():
            write_key_file(new, folder / "log.key.next")
        before = self.model.judge(entry.body, entry.body_bytes)
        position = len(self.model.entries)
        other = self.other_ledger()
        out: list[Any] = [None, None]

        def operator() -> None:
            try:
                out[0] = roll_over(self.ledger, year=self.years + 1) if rolling else rotate_log_key(self.ledger)
            except Exception as exc:  # raised below, in the simulation's thread
                out[0] = exc

        def writer() -> None:
            try:
                out[1] = other.log.append([entry])[0]
            except Exception as exc:  # a refusal is judged below
                out[1] = exc

        threads = [threading.Thread(target=operator), threading.Thread(target=writer)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if isinstance(out[0], Exception):
            raise out[0]
        result = out[1]
        if not isinstance(result, (AppendResult, LedgerError)):
            raise result
        first = isinstance(result, AppendResult) and result.pos == position
        if first:  # the entry went in before the operator's
            check(before is None, f"the racing entry was accepted first; the model says {before}")
            self.accept([entry], [draft], [result])
        operator_commit = (
            (lambda: self.commit_roll_over(self.years + 1)) if rolling else (lambda: self.commit_rotation(new))
        )
        operator_commit()
        if first:
            return
        after = self.model.judge(entry.body, entry.body_bytes)
        if isinstance(result, AppendResult):
            check(after is None, f"the racing entry was accepted after the operator; the model says {after}")
            self.accept([entry], [draft], [result])
        else:
            check(
                result.code in (before, after),
                f"the racing entry was refused with {result.code}; model: {before} / {after}",
            )

    def op_rebuild(self, op: Op) -> None:
        from ledger.store.rebuild import rebuild

        if op.arg % 2 == 0:  # a crash in the middle of the rebuild's transaction changes nothing
            self.crash.arm(op.arg * 4)
            try:
                rebuild(self.ledger.log)
            except SimulatedCrash:
                self.restart()
            self.crash.disarm()
        else:
            rebuild(self.ledger.log)
        self.check_projections(product_check=True)

    def op_backup(self, op: Op) -> None:
        """Back up, restore into an empty place, and check the copy holds every entry
        acknowledged before the backup, byte for byte, with projections equal to a rebuild."""
        from ledger.store.backup import backup, restore
        from ledger.store.rebuild import check as rebuild_check

        folder = self.workdir / f"backup-{self.step}"
        manifest = backup(self.settings, folder)
        env = dict(self.env, CHARITY_LEDGER_HOME=str(self.workdir / f"restored-{self.step}"))
        with self.restore_database() as url:
            if url:
                env["CHARITY_LEDGER_DATABASE_URL"] = url
            result = restore(from_env(env), folder)
            check(
                result["consistent"] and result["published_size"] == manifest["size"] == len(self.model.log.leaves),
                f"restore: {result}",
            )
            restored = open_ledger(from_env(env))
            try:
                leaves = [restored.log.leaf(e.position) for e in self.model.entries]
                check(
                    leaves == [e.leaf for e in self.model.entries],
                    "the restored log differs from the acknowledged entries",
                )
                check(rebuild_check(restored.log).clean, "the restored projections differ from a rebuild")
            finally:
                restored.engine.dispose()
        shutil.rmtree(folder)

    @contextmanager
    def restore_database(self) -> Iterator[str | None]:
        if not self.cfg.database_url:
            yield None
            return
        from sqlalchemy.engine import make_url

        from ledger.store.db import make_engine

        name = "sim_restore_" + uuid.uuid4().hex[:10]
        admin = make_engine(self.cfg.admin_url or self.cfg.database_url, pool=False).execution_options(
            isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(self.cfg.database_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            admin.dispose()

    # --- invariants -----------------------------------------------------------------------

    def check_consistent(self, shard: int, size: int, root: bytes) -> None:
        """No fork: the checkpoint extends the last one seen of the same log."""
        seen = self.seen.get(shard)
        if seen is not None:
            check(size >= seen[0], f"log {shard} shrank from {seen[0]} to {size}")
            proof = self.ledger.log.consistency_proof(seen[0], size, shard)
            merkle.verify_consistency(seen[0], size, seen[1], root, proof)
        self.seen[shard] = (size, root)

    def verify(self, *, full: bool, final: bool = False) -> None:
        m, log = self.model, self.ledger.log
        shard = len(m.logs) - 1
        head = log.head()
        size = len(m.log.leaves)
        check(
            (head.origin, head.shard, head.size) == (m.origin, shard, size),
            f"head is {head.origin} #{head.shard} size {head.size}; the model has {m.origin} #{shard} size {size}",
        )
        check(head.root == m.root(), "the head's root is not the model's")
        times = [e.time for e in m.entries]
        check(times == sorted(times), "the log's time ran backwards")
        # no lost acknowledged entry: every leaf at its position, byte-equal, and nothing else
        with self.ledger.engine.connect() as conn:
            rows = conn.execute(text("SELECT seq, leaf FROM log_leaf ORDER BY seq")).all()
        check([r[0] for r in rows] == list(range(len(m.entries))), "the stored positions are not 0..n-1")
        for r, e in zip(rows, m.entries, strict=True):
            check(bytes(r[1]) == e.leaf, f"the leaf at position {e.position} is not the one acknowledged")
        # no fork: the latest checkpoint is signed by the key in force, is the model's tree, and
        # is consistent with every earlier one seen
        note = log.latest_checkpoint()
        cp = verify_checkpoint(note, format_verifier_key(m.origin, m.log_key_at(shard, size)))
        check(cp.size == size and cp.root == m.root(), "the latest checkpoint is not the model's tree")
        self.check_consistent(shard, cp.size, cp.root)
        # every inclusion proof verifies against the latest checkpoint (a sample between full checks)
        mine = [e for e in m.entries if e.shard == shard]
        limit = 16 if full else 4
        if len(mine) > limit:
            mine = self.sample.sample(mine, limit)
        for e in mine:
            proof = log.inclusion_proof(e.seq, size)
            merkle.verify_inclusion(bytes.fromhex(e.leaf_hash), e.seq, size, proof, cp.root)
        # no negative balance, and the figures are the model's
        with self.ledger.engine.connect() as conn:
            funds = {
                r[0]: tuple(r[1:])
                for r in conn.execute(
                    text(
                        "SELECT project, available_restricted_minor, available_unrestricted_minor, balance_minor "
                        "FROM p_fund"
                    )
                )
            }
            held = {
                (r[0], r[1]): r[2]
                for r in conn.execute(text("SELECT project, implementer, balance_minor FROM p_allocation_balance"))
            }
        check(
            all(v >= 0 for row in funds.values() for v in row) and all(v >= 0 for v in held.values()),
            f"a negative balance: {funds} {held}",
        )
        want = m.balances()
        check(funds == want["funds"], f"funds {funds} != model {want['funds']}")
        check(held == want["held"], f"allocations {held} != model {want['held']}")
        if full:
            self.check_projections(product_check=final)
        if final:
            self.check_export()

    def check_export(self) -> None:
        """At the end: the export of the chain verifies offline, from the log key in use and from
        the first one, and holds exactly the model's logs, leaf for leaf."""
        from ledger.protocol.verify import SHARDS_FOLDER, read_chain_export, verify_chain
        from ledger.store.export import export_log
        from tests.simulation.model import mth

        folder = self.workdir / "export"
        export_log(self.ledger.log, folder)
        logs, vkey = read_chain_export(folder)
        report = verify_chain(logs, vkey)
        want = [(log.origin, len(log.leaves), mth(log.leaves).hex()) for log in self.model.logs]
        check(
            [(r.origin, r.size, r.root) for r in report.logs] == want,
            f"the export verifies as {report.logs}; model: {want}",
        )
        first = self.model.logs[0]
        verify_chain(read_chain_export(folder)[0], format_verifier_key(first.origin, first.log_keys[0][1]))
        folders = [folder / SHARDS_FOLDER / f"{i:04d}" for i in range(len(self.model.logs) - 1)] + [folder]
        for shard, where in enumerate(folders):
            lines = (where / "entries.jsonl").read_bytes().splitlines()
            check(
                lines == [e.leaf for e in self.model.entries if e.shard == shard], f"the export of log {shard} differs"
            )

    def check_projections(self, *, product_check: bool) -> None:
        """Projections equal a rebuild: every projection table, row for row, equals a replay of
        the whole chain. ``product_check``: also through ``rebuild --check`` itself (scratch
        tables and SQL EXCEPT; slower, so at the end of a run and after a rebuild)."""
        import dataclasses

        from sqlalchemy import select

        from ledger import domain
        from ledger.store.projection_tables import table_for
        from ledger.store.rebuild import check as rebuild_check
        from ledger.store.rebuild import replay

        state, count = replay(self.ledger.log)
        check(count == len(self.model.entries), f"a replay applied {count} entries of {len(self.model.entries)}")
        with self.ledger.engine.connect() as conn:
            for row_type in domain.ROW_TYPES:
                table = table_for(row_type)
                names = [c.name for c in table.columns]
                live = sorted(map(tuple, conn.execute(select(*table.columns)).all()), key=repr)
                rebuilt = sorted(
                    (tuple(dataclasses.asdict(r)[n] for n in names) for r in state.rows(row_type)), key=repr
                )
                check(live == rebuilt, f"{table.name} differs from a rebuild: {set(live) ^ set(rebuilt)}")
        if product_check:
            report = rebuild_check(self.ledger.log)
            check(report.clean, f"rebuild --check finds differences: {report.to_json(limit=3)}")


def key_id_of(public: bytes) -> str:
    import hashlib

    return hashlib.sha256(public).hexdigest()


def _b64(raw: bytes) -> str:
    import base64

    return base64.b64encode(raw).decode()


# --- command line ------------------------------------------------------------------------


@contextmanager
def postgres_schema(base_url: str) -> Iterator[str]:
    """A fresh schema of ``base_url`` (dropped afterwards), as the tests' pg_schema_url."""
    from ledger.store.db import make_engine

    schema = "sim_" + uuid.uuid4().hex[:12]
    admin = make_engine(base_url, pool=False)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def simulate(cfg: Config, workdir: Path | None = None, *, postgres: str | None = None) -> dict[str, int]:
    """Run one seed; raises SimulationFailed (with the replay command) on a broken invariant."""
    with tempfile.TemporaryDirectory(prefix=f"sim-{cfg.seed}-") as tmp:
        folder = workdir or Path(tmp)
        if postgres:
            with postgres_schema(postgres) as url:
                cfg.database_url, cfg.admin_url = url, postgres
                return Simulation(cfg, folder).run()
        return Simulation(cfg, folder).run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.simulation.runner", description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument(
        "--postgres", action="store_true", help="use a fresh schema of CHARITY_LEDGER_TEST_POSTGRES_URL"
    )
    parser.add_argument("--no-kills", action="store_true", help="skip the SIGKILLed child process fault")
    parser.add_argument("--no-backups", action="store_true")
    parser.add_argument(
        "--exclude", default="", help="operation kinds to leave out, comma-separated (e.g. race,race_operator)"
    )
    args = parser.parse_args(argv)
    postgres = None
    if args.postgres:
        postgres = os.environ.get("CHARITY_LEDGER_TEST_POSTGRES_URL")
        if not postgres:
            print("--postgres needs CHARITY_LEDGER_TEST_POSTGRES_URL", file=sys.stderr)
            return 2
    exclude = tuple(k for k in args.exclude.split(",") if k)
    cfg = Config(args.seed, args.steps, kills=not args.no_kills, backups=not args.no_backups, exclude=exclude)
    try:
        counts = simulate(cfg, postgres=postgres)
    except SimulationFailed as exc:
        import traceback

        if exc.__cause__ is not None and not isinstance(exc.__cause__, SimulationFailed):
            traceback.print_exception(exc.__cause__, file=sys.stderr)
        print(exc, file=sys.stderr)
        return 1
    print(f"seed {args.seed}: {args.steps} steps passed; operations: {dict(sorted(counts.items()))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
