"""Benchmark of the log core: appends, full verification and proofs, next to raw limits.

Prints one JSON object. Every rate is measured in this run next to the limit it is judged
against: raw Ed25519 verifications per second on one core, and raw inserts per second of
rows shaped like leaves into the same database.

    .venv/bin/python benchmarks/log_core.py [--entries 20000] [--proof-size 100000]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Column, Integer, LargeBinary, MetaData, String, Table, text

from ledger.protocol import merkle
from ledger.protocol.keys import KeyPair
from ledger.protocol.verify import read_export, verify_log
from ledger.store.db import make_engine
from ledger.store.export import export_log
from ledger.store.log.sql import SqlNodes
from ledger.store.tables import NODE
from tests.support.ledger_factory import LedgerFactory


@contextmanager
def scratch_schemas(url: str, count: int) -> Iterator[list[str]]:
    """``count`` empty PostgreSQL schemas, each as a database URL whose search_path is that
    schema; dropped with everything in them afterwards."""
    schemas = ["bench_" + uuid.uuid4().hex[:8] for _ in range(count)]
    admin = make_engine(url, pool=False)
    sep = "&" if "?" in url else "?"
    try:
        with admin.begin() as conn:
            for schema in schemas:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield [f"{url}{sep}options=-csearch_path%3D{schema}" for schema in schemas]
    finally:
        with admin.begin() as conn:
            for schema in schemas:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def raw_ed25519_verify_per_s(n: int = 20000) -> float:
    key = KeyPair.generate()
    msg = b"x" * 400
    sig = key.sign(msg)
    pub = key.private.public_key()
    t = time.perf_counter()
    for _ in range(n):
        pub.verify(sig, msg)
    return n / (time.perf_counter() - t)


def raw_inserts_per_s(engine, n: int = 20000, batch: int = 1000) -> float:
    md = MetaData()
    table = Table(
        f"bench_raw_{uuid.uuid4().hex[:8]}",
        md,
        Column("seq", Integer, primary_key=True),
        Column("h", String(64)),
        Column("leaf", LargeBinary),
    )
    md.create_all(engine)
    rows = [{"seq": i, "h": "ab" * 32, "leaf": b"y" * 500} for i in range(n)]
    t = time.perf_counter()
    for i in range(0, n, batch):
        with engine.begin() as conn:
            conn.execute(table.insert(), rows[i : i + batch])
    rate = n / (time.perf_counter() - t)
    md.drop_all(engine)
    return rate


def append_rate(factory: LedgerFactory, n: int, batch: int) -> dict:
    factory.with_genesis()
    entries = [factory.org_entry(i) for i in range(n)]
    log = factory.ledger.log
    log.append(entries[:batch])  # warm up (process pool, caches)
    t = time.perf_counter()
    for i in range(batch, n, batch):
        log.append(entries[i : i + batch])
    elapsed = time.perf_counter() - t
    return {"batched_per_s": round((n - batch) / elapsed), "batch": batch, "entries": n - batch}


class KeysOnlyDomain:
    """The log core's own work, without the charity's rules: a key is known from the genesis
    or a grant (the verifier's view), nothing else is checked or projected. Benchmark only: it
    shows what the log costs, next to the same entries with every domain rule."""

    from ledger.domain import AppendContext

    @staticmethod
    def signer_public_key(state, entry, seq):  # type: ignore[no-untyped-def]
        from ledger.domain.rows import KeyRow
        from ledger.protocol.keys import unb64

        if entry.type == "registry.genesis":
            return unb64(entry.data["public_key"], length=32)
        row = state.get(KeyRow, entry.signer)
        return None if row is None else unb64(row.public_key, length=32)

    @staticmethod
    def apply(state, ctx, entry) -> None:  # type: ignore[no-untyped-def]
        from ledger.domain.rows import KeyRow
        from ledger.protocol.keys import key_id, unb64

        if entry.type in ("registry.genesis", "key.granted"):
            raw = unb64(entry.data["public_key"], length=32)
            state.put(
                KeyRow(
                    key_id=key_id(raw),
                    public_key=entry.data["public_key"],
                    role=entry.data["role"],
                    org=entry.data["org"],
                    holder="",
                    granted_seq=ctx.seq,
                )
            )


def log_only_append_rate(factory: LedgerFactory, n: int, batch: int) -> dict:
    """Batched appends with signature checks, the tree, leaves, checkpoints and proofs, but no
    domain rules (KeysOnlyDomain)."""
    log = factory.ledger.log
    log.domain = KeysOnlyDomain
    try:
        entries = [factory.org_entry(i) for i in range(n)]
        log.append(entries[:batch])
        t = time.perf_counter()
        for i in range(batch, n, batch):
            log.append(entries[i : i + batch])
        elapsed = time.perf_counter() - t
    finally:
        from ledger import domain

        log.domain = domain
    return {"log_only_batched_per_s": round((n - batch) / elapsed)}


def single_append_rate(factory: LedgerFactory, n: int = 500) -> float:
    entries = [factory.org_entry(10_000_000 + i) for i in range(n)]
    log = factory.ledger.log
    t = time.perf_counter()
    for e in entries:
        log.append([e])
    return n / (time.perf_counter() - t)


def verify_rate(factory: LedgerFactory, folder: Path) -> float:
    size = export_log(factory.ledger.log, folder)
    t = time.perf_counter()
    verify_log(*read_export(folder))
    return size / (time.perf_counter() - t)


def proof_time_ms(source, size: int, samples: int = 300) -> dict:
    import random

    rng = random.Random(1)
    times = []
    for _ in range(samples):
        i = rng.randrange(size)
        t = time.perf_counter()
        merkle.inclusion_proof(i, size, source)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return {"p50_ms": round(statistics.median(times), 3), "p99_ms": round(times[int(len(times) * 0.99) - 1], 3)}


def synthetic_tree(engine, size: int) -> None:
    """Fill merkle_node with the perfect subtrees of ``size`` synthetic leaves."""
    edge = merkle.CompactRange()
    rows = []
    with engine.begin() as conn:
        for i in range(size):
            for level, idx, h in edge.append(merkle.leaf_hash(i.to_bytes(8, "big"))):
                rows.append({"level": level, "idx": idx, "hash": h})
            if len(rows) >= 20000:
                conn.execute(NODE.insert(), rows)
                rows = []
        if rows:
            conn.execute(NODE.insert(), rows)


def run_backend(name: str, urls: tuple[str | None, str | None], args: argparse.Namespace, tmp: Path) -> dict:
    """``urls``: two empty databases (None: SQLite in a folder), one for the log with the
    domain's rules and one for the log alone, so neither run inherits the other's bloat."""
    url, log_only_url = urls
    factory = LedgerFactory(tmp / name, database_url=url)
    engine = factory.ledger.engine
    out = {"raw_inserts_per_s": round(raw_inserts_per_s(engine))}
    out.update(append_rate(factory, args.entries, 1000))
    out["single_appends_per_s"] = round(single_append_rate(factory))
    log_only = LedgerFactory(tmp / f"{name}-log-only", database_url=log_only_url)
    log_only.with_genesis()
    out.update(log_only_append_rate(log_only, args.entries, 1000))
    out["full_verify_per_s"] = round(verify_rate(factory, tmp / f"{name}-export"))
    with engine.connect() as conn:
        size = factory.ledger.log.head().size
        out["proof_at_log_size"] = {"size": size, **proof_time_ms(SqlNodes(conn), size)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=20000)
    parser.add_argument("--proof-size", type=int, default=1_000_000)
    parser.add_argument("--postgres", default=os.environ.get("CHARITY_LEDGER_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    raw_verify = raw_ed25519_verify_per_s()
    result: dict = {
        "limits": {"raw_ed25519_verify_per_s_one_core": round(raw_verify), "cpus": os.cpu_count()},
        "targets": {
            "batched_append_per_s": round(0.7 * raw_verify),
            "full_verify_per_s": round(0.8 * raw_verify),
            "inclusion_proof_at_1M_ms": 2.0,
        },
    }
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        result["sqlite"] = run_backend("sqlite", (None, None), args, tmp)
        if args.postgres:
            with scratch_schemas(args.postgres, 2) as urls:
                result["postgres"] = run_backend("postgres", (urls[0], urls[1]), args, tmp)
        # proof time at a large tree: the stored perfect subtrees of synthetic leaves
        big = make_engine(f"sqlite:///{tmp / 'big.sqlite3'}")
        NODE.create(big)
        synthetic_tree(big, args.proof_size)
        with big.connect() as conn:
            result["inclusion_proof_sqlite"] = {
                "size": args.proof_size,
                **proof_time_ms(SqlNodes(conn), args.proof_size),
            }
    for backend in ("sqlite", "postgres"):
        if backend in result:
            r = result[backend]
            r["batched_vs_raw_verify"] = round(r["batched_per_s"] / raw_verify, 2)
            r["log_only_batched_vs_raw_verify"] = round(r["log_only_batched_per_s"] / raw_verify, 2)
            r["verify_vs_raw_verify"] = round(r["full_verify_per_s"] / raw_verify, 2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
