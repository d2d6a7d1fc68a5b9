"""Ledger verification certificate (账本校验证明): the signed checkpoint, the result of a full
verification of the log against it (every leaf, hash chain, signature and the Merkle root, as
``charity-ledger verify`` does), and the witnesses that cosigned it.

- From the database (:func:`from_ledger`): the log is exported to a temporary folder and the
  export is verified like an outsider's copy; the witnesses are the cosignatures the log holds
  on that checkpoint, and on the latest witnessed checkpoint at or before it, whose consistency
  with the certified one is proved (RFC 9162) and checked here. Cosignatures are verified with
  the trusted witness keys of ``CHARITY_LEDGER_WITNESS_KEYS`` when set.
- From an export (:func:`from_export`): the same verification; an export holds no
  cosignatures, so the ``witnesses`` block says so. Everything else is the same JSON.

A log that fails verification still gets a certificate, saying where it fails; it is not
recorded in the log (``record`` is false).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from ledger.errors import LedgerError, VerificationError
from ledger.protocol import merkle
from ledger.protocol.checkpoint import Checkpoint, verify_cosignatures
from ledger.protocol.note import add_signatures, parse_note
from ledger.services.oversight import witness_policy_from_env
from ledger.store.db import read_transaction
from ledger.store.export import export_log
from ledger.store.log_tables import Cosignature
from reports.codes import REPORT_NO_CHECKPOINT, REPORT_SIZE_OUT_OF_RANGE
from reports.common import ReportDoc, ReportRequest, figure_pairs, rules_for
from reports.disclosures import china_date
from reports.formats import Column, Table
from reports.render import Section
from reports.snapshot import ExportInfo, LogState, verify_export

Witnesses = Callable[[int, str], dict[str, Any]]


def _edge_times(folder: Path) -> tuple[str | None, str | None]:
    """Log times of the first and last leaf of an export (None when unreadable)."""
    first = last = None
    try:
        with open(folder / "entries.jsonl", "rb") as f:
            head = f.readline()
            first = json.loads(head)["time"] if head.strip() else None
            f.seek(0, 2)
            end = f.tell()
            chunk = 1 << 16
            f.seek(max(0, end - chunk))
            tail = f.read().rstrip(b"\n").rsplit(b"\n", 1)[-1]
            last = json.loads(tail)["time"] if tail.strip() else None
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return first, last


def from_export(folder: Path, req: ReportRequest, *, witnesses: Witnesses | None = None) -> ReportDoc:
    folder = Path(folder)
    error: dict[str, Any] | None = None
    try:
        info: ExportInfo | None = verify_export(folder)
    except VerificationError as exc:
        info, error = None, {**exc.to_dict(), "seq": exc.seq}
    first, last = _edge_times(folder)
    sealed = sorted(p for p in (folder / "shards").iterdir() if p.is_dir()) if (folder / "shards").is_dir() else []
    if sealed:  # the chain's first entry is in its oldest log
        first = _edge_times(sealed[0])[0] or first
    if info is not None:
        origin, size, root, note, vkey = info.origin, info.size, info.root, info.checkpoint, info.vkey
    else:
        note = (folder / "checkpoint").read_text(encoding="utf-8") if (folder / "checkpoint").exists() else ""
        vkey = (folder / "log.vkey").read_text(encoding="utf-8").strip() if (folder / "log.vkey").exists() else ""
        try:
            claimed = Checkpoint.parse(parse_note(note).text)
            origin, size, root = claimed.origin, claimed.size, claimed.root.hex()
        except LedgerError:
            origin, size, root = "", 0, "0" * 64
    time = last or "1970-01-01T00:00:00.000Z"
    at = LogState(origin, size, root, time, info.base if info is not None else 0)
    as_of = at.as_of
    start = china_date(first) if first else as_of
    rs = rules_for(as_of)
    valid = info is not None
    by_type = info.entries_by_type if info else {}
    witness_block = (
        witnesses(size, root)
        if (witnesses and valid)
        else {
            "available": False,
            "reason_en": "an export holds no witness cosignatures"
            if witnesses is None
            else "the log failed verification",
            "reason_zh": "导出数据不含见证方联署签名" if witnesses is None else "账本校验未通过",
        }
    )
    types = Table(
        "entries_by_type",
        "各类条目数量",
        "Entries by type",
        (
            Column("type", "条目类型", "Entry type"),
            Column("count", "数量", "Count", "int"),
        ),
        [[t, n] for t, n in sorted(by_type.items())],
    )
    chain = Table(
        "chain",
        "账本各年度分片（由早到晚）",
        "Logs of the chain, oldest first",
        (
            Column("origin", "账本 Origin", "Origin"),
            Column("size", "条目数", "Entries", "int"),
            Column("root", "最终根哈希", "Root"),
        ),
        [[o, n, r] for o, n, r in (info.logs if info else ())],
    )
    cosig_rows = [
        [c["size"], c["witness"], c["timestamp"], c.get("verified")] for c in witness_block.get("cosignatures", [])
    ]
    cosigs = Table(
        "witnesses",
        "见证方联署",
        "Witness cosignatures",
        (
            Column("size", "树大小", "Tree size", "int"),
            Column("witness", "见证方", "Witness"),
            Column("timestamp", "时间戳（秒）", "Timestamp (s)", "int"),
            Column("verified", "已用可信密钥验证", "Verified with a trusted key", "bool"),
        ),
        cosig_rows,
    )
    figures = {
        "checkpoint": {"origin": origin, "size": size, "root": root, "note": note, "log_vkey": vkey},
        # every log of the chain (one per year), oldest first; the last is the one above
        "chain": [{"origin": o, "size": n, "root": r} for o, n, r in (info.logs if info else ())],
        "verification": {
            "valid": valid,
            "entries": size if valid else None,
            "keys": info.keys if info else None,
            "entries_by_type": by_type,
            "error": error,
            "checks": [
                "leaf canonical bytes and fields",
                "hash chain (prev)",
                "log time order",
                "entry signatures by keys granted in the log",
                "Merkle root (RFC 9162)",
                "checkpoint signature by the log key in force at its size",
            ],
        },
        "witnesses": witness_block,
        "first_entry_at": first,
    }
    result_zh = "通过 VALID" if valid else f"未通过 INVALID（{error['message_zh'] if error else ''}）"
    latest = witness_block.get("latest_witnessed") or {}
    sections = [
        Section(
            "checkpoint",
            "检查点 Checkpoint",
            figures=figure_pairs(
                [
                    ("账本 Origin", origin),
                    ("树大小 Tree size", str(size)),
                    ("根哈希 Root", root),
                    ("账本公钥 Log key", vkey),
                ]
            ),
            paragraphs=(note,),
        ),
        Section(
            "verification",
            "完整校验结果 Full verification",
            figures=figure_pairs(
                [
                    ("结论 Result", result_zh),
                    ("条目数 Entries", str(size) if valid else None),
                    ("签名密钥数 Keys", str(info.keys) if info else None),
                    ("失败位置 Failed at seq", str(error["seq"]) if error and error.get("seq") is not None else None),
                ]
            ),
            paragraphs=tuple(figures["verification"]["checks"]),
            tables=(types, chain) if len(chain.rows) > 1 else (types,),
        ),
        Section(
            "witnesses",
            "见证方 Witnesses",
            figures=figure_pairs(
                [
                    (
                        "本检查点联署 Cosignatures on this checkpoint",
                        str(len(witness_block.get("on_checkpoint", []))) if witness_block.get("available") else None,
                    ),
                    ("最近见证的树大小 Latest witnessed size", str(latest.get("size")) if latest else None),
                    (
                        "与本检查点一致 Consistent with this checkpoint",
                        {True: "是 Yes", False: "否 No"}.get(latest.get("consistent")) if latest else None,
                    ),
                    (
                        "法定见证数 Quorum",
                        f"{witness_block['quorum']['met']} ({witness_block['quorum']['cosigned']}/{witness_block['quorum']['threshold']})"
                        if witness_block.get("quorum")
                        else None,
                    ),
                ]
            ),
            paragraphs=(
                ()
                if witness_block.get("available")
                else (f"{witness_block['reason_zh']}。{witness_block['reason_en']}.",)
            ),
            tables=(cosigs,),
        ),
    ]
    notes = [
        "任何人可用 `charity-ledger verify DIR` 对导出数据重复本校验。Anyone can repeat this check on an export with `charity-ledger verify DIR`."
    ]
    return ReportDoc(
        kind="verification",
        name="verification",
        subject="registry",
        subject_name=origin,
        title_zh="账本校验证明",
        title_en="Ledger verification certificate",
        period_start=min(start, as_of),
        period_end=as_of,
        ruleset=rs,
        at=at,
        figures=figures,
        tables=[types, cosigs, *([chain] if len(chain.rows) > 1 else [])],
        sections=sections,
        notes=notes,
        record=valid,
    )


def witness_block(ledger: Any, size: int, root: str) -> dict[str, Any]:
    """Cosignatures the log holds on the checkpoint of ``size`` and on the latest witnessed
    checkpoint at or before it, with the consistency of the two (checked here)."""
    cosig = Cosignature.__table__
    policy = witness_policy_from_env()
    shard = ledger.log.head().shard  # cosignatures of the log being appended to
    with read_transaction(ledger.engine) as conn:
        latest = conn.execute(
            select(func.max(cosig.c.size)).where(cosig.c.shard == shard, cosig.c.size <= size)
        ).scalar_one_or_none()
        sizes = sorted({size} | ({latest} if latest else set()))
        rows = (
            conn.execute(
                select(cosig)
                .where(cosig.c.shard == shard, cosig.c.size.in_(sizes))
                .order_by(cosig.c.size, cosig.c.witness)
            )
            .mappings()
            .all()
        )

    def verified(at_size: int) -> set[str]:
        if policy is None:
            return set()
        lines = [r["line"] for r in rows if r["size"] == at_size]
        if not lines:
            return set()
        note = add_signatures(ledger.log.checkpoint_at(at_size), lines)
        return {c.name for c in verify_cosignatures(note, policy.keys)}

    trusted = {s: verified(s) for s in sizes}
    cosignatures = [
        {
            "size": r["size"],
            "witness": r["witness"],
            "timestamp": r["timestamp"],
            "line": r["line"],
            "verified": (r["witness"] in trusted[r["size"]]) if policy is not None else None,
        }
        for r in rows
    ]
    block: dict[str, Any] = {
        "available": True,
        "policy": None
        if policy is None
        else {"keys": [k.to_string() for k in policy.keys], "threshold": policy.threshold},
        "on_checkpoint": [c for c in cosignatures if c["size"] == size],
        "cosignatures": cosignatures,
        "latest_witnessed": None,
        "quorum": None,
    }
    if latest:
        first_root = ledger.log.root_at(latest)
        proof = ledger.log.consistency_proof(latest, size)
        try:
            merkle.verify_consistency(latest, size, first_root, bytes.fromhex(root), proof)
            consistent = True
        except LedgerError:
            consistent = False
        block["latest_witnessed"] = {
            "size": latest,
            "root": first_root.hex(),
            "consistent": consistent,
            "proof": [h.hex() for h in proof],
        }
        if policy is not None:
            n = len(trusted[latest])
            block["quorum"] = {
                "size": latest,
                "cosigned": n,
                "threshold": policy.threshold,
                "met": n >= policy.threshold,
            }
    return block


def from_ledger(ledger: Any, req: ReportRequest, *, tree_size: int | None = None) -> ReportDoc:
    """Export the log (at its latest checkpoint, or at the checkpoint of ``tree_size``), verify
    the export, add the witnesses."""
    with tempfile.TemporaryDirectory(prefix="charity-ledger-certificate-") as tmp:
        export_log(ledger.log, Path(tmp))
        if tree_size is not None:
            _cut_export(ledger.log, Path(tmp), tree_size)
        return from_export(Path(tmp), req, witnesses=lambda size, root: witness_block(ledger, size, root))


def _cut_export(log: Any, folder: Path, size: int) -> None:
    """Make the export in ``folder`` an export at the checkpoint of ``size`` (of the log being
    appended to): its first ``size`` leaves and that checkpoint with its cosignatures."""
    exported = Checkpoint.parse(parse_note((folder / "checkpoint").read_text(encoding="utf-8")).text).size
    if not 1 <= size <= log.head().size:
        raise LedgerError(REPORT_SIZE_OUT_OF_RANGE, size=size, available=log.head().size)
    try:
        note = log.checkpoint_at(size)
    except LedgerError as exc:
        if exc.code != "not_found":
            raise
        nearby = log.checkpoint_sizes(before=size, limit=2) + log.checkpoint_sizes(limit=1)
        raise LedgerError(
            REPORT_NO_CHECKPOINT, size=size, nearby=", ".join(str(n) for n in sorted(set(nearby))) or "—"
        ) from None
    if size > exported:
        raise LedgerError(REPORT_SIZE_OUT_OF_RANGE, size=size, available=exported)
    entries = folder / "entries.jsonl"
    with open(entries, "rb") as f:
        kept = [next(f) for _ in range(size)]
    entries.write_bytes(b"".join(kept))
    (folder / "checkpoint").write_text(add_signatures(note, log.cosignatures(size)), encoding="utf-8")
