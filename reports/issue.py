"""Producing a report: build it from the log, write its files, record it as ``report.issued``.

``report.issued`` is signed by the log operator's ``system`` key (the only role the append rules
let record it). For the local ledger that key is the file ``<home>/keys/system.key`` (mode
0600, encrypted with ``CHARITY_LEDGER_KEY_PASSPHRASE`` when set), and the registrar grants it
once with ``key.granted`` (``role: system``, ``org``: the registrar's organisation) — see
docs/reports.md. Without the file, or while the key is not granted, a report is still written
but not recorded, and the result says why.

Idempotent: the entry's ``idem`` is made of the kind, subject, period and tree size
(:meth:`~reports.common.ReportDoc.idem`), so a repeated request at the same log state finds
the entry already there and records nothing more. Two requests racing each other both append;
the log keeps the first and refuses the second (``idem_conflict``), which then answers with the
first one's entry.

Where files go: published reports in ``<home>/reports/<kind>/<stem>/`` (what the API serves,
checked against the recorded SHA-256 before it serves them), plus any folder the caller names
(``charity-ledger report --out DIR``).
"""

from __future__ import annotations

import json
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, select

from ledger.domain.privacy import format_receipt_code
from ledger.domain.rows import KeyRow, ReportRow
from ledger.errors import InvariantBroken, LedgerError
from ledger.protocol.entry import make_body, sign_entry
from ledger.protocol.keys import KeyPair, read_key_file
from ledger.settings import Settings
from ledger.store.db import read_transaction
from ledger.store.donors import DonorStore, find_donation_by_receipt, load_privacy_key
from ledger.store.log_tables import LogLeaf
from ledger.store.personal_files import record as note_personal
from ledger.store.projection_tables import table_for
from reports.bundle import CHECKSUMS, BundleFile, digest, files_json, write_bundle
from reports.codes import REPORT_POSITION_MOVED
from reports.common import ReportDoc, ReportRequest, default_site_url, render_report
from reports.kinds import build
from reports.kinds.receipt import find_donation
from reports.kinds.verification import from_export, from_ledger
from reports.render import IssuedRef
from reports.signing import pdf_signer
from reports.snapshot import ExportInfo, Snapshot, export_snapshot, log_snapshot, open_snapshot, verify_export

SYSTEM_KEY = "system.key"
DETERMINISTIC = (".json", ".csv", ".xlsx")  # bytes depend only on the figures


def system_key_path(settings: Settings) -> Path:
    return settings.home / "keys" / SYSTEM_KEY


def load_system_key(settings: Settings) -> KeyPair | None:
    """The system key from the data folder, or None when there is none."""
    path = system_key_path(settings)
    if not path.exists():
        return None
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise LedgerError(
            "key_file_invalid", path=str(path), detail=f"permissions {mode:o} let others read it; run chmod 600"
        )
    return read_key_file(path, settings.key_passphrase)


def published_folder(settings: Settings, kind: str, stem: str) -> Path:
    return settings.published_report_dir(kind, stem)


@dataclass
class Issued:
    """What became of one report request."""

    kind: str
    subject: str
    period_start: str
    period_end: str
    rule_set: str
    stem: str
    tree_size: int
    root: str
    files: list[BundleFile]
    folders: list[str]
    entry: dict[str, Any] | None = None  # {"seq", "leaf_hash", "existing"} when recorded
    not_recorded_en: str | None = None
    not_recorded_zh: str | None = None
    restricted: bool = False
    files_match_record: bool | None = None  # None when not recorded
    checks: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "period_start": self.period_start,
            "period_end": self.period_end,
            "rule_set": self.rule_set,
            "stem": self.stem,
            "tree_size": self.tree_size,
            "root": self.root,
            "files": files_json(self.files),
            "folders": self.folders,
            "entry": self.entry,
            "recorded": self.entry is not None,
            "not_recorded": self.not_recorded_en,
            "not_recorded_zh": self.not_recorded_zh,
            "restricted": self.restricted,
            "files_match_record": self.files_match_record,
            "checks": self.checks,
        }


# --- building ---------------------------------------------------------------------------------


def _receipt_context(ledger: Any, snap: Snapshot, request: ReportRequest) -> tuple[ReportRequest, dict[str, Any]]:
    """Personal data for a receipt: a receipt code proves the holder (against the donation's
    receipt commitment in the log, or for an older donation the stored salt:
    :func:`ledger.store.donors.find_donation_by_receipt`); ``personal`` with a seq or leaf hash is
    for callers already entitled (the CLI operator of the data folder, a regulator through the API)."""
    if request.donation is None:
        raise InvariantBroken("request.donation is missing")
    ref = request.donation.strip()
    holder = ref[:1].upper() == "D"
    if not (request.personal or holder):
        return request, {}
    settings = ledger.settings
    has_key = bool(settings.privacy_key) or settings.privacy_key_path.exists()
    if holder:
        find_donation_by_receipt(
            ledger.engine, ref, DonorStore(ledger.engine, load_privacy_key(settings, create=False)) if has_key else None
        )
    donation = find_donation(snap, ref)
    request = replace(request, personal=True, donation=str(donation.seq))
    if not has_key:
        return request, {"personal": None, "receipt_code": None}
    store = DonorStore(ledger.engine, load_privacy_key(settings, create=False))
    try:
        record = store.get(donation.seq)
    except LedgerError as exc:
        if exc.code != "not_found":
            raise
        return request, {"personal": None, "receipt_code": None}
    code = format_receipt_code(donation.seq, record.salt) if record.salt is not None else None
    return request, {"personal": record.personal, "receipt_code": code}


def build_from_ledger(ledger: Any, request: ReportRequest, *, tree_size: int | None = None) -> ReportDoc:
    """Build from the live projections (one read transaction), or at an earlier ``tree_size``
    by replaying the log's leaves."""
    request = request.checked()
    if request.kind == "verification":
        return from_ledger(ledger, request, tree_size=tree_size)
    if tree_size is not None:
        snap = log_snapshot(ledger.log, tree_size)
        if request.kind == "receipt":
            request, context = _receipt_context(ledger, snap, request)
            return build(snap, request, **context)
        return build(snap, request)
    with open_snapshot(ledger.engine) as live:
        context: dict[str, Any] = {}
        if request.kind == "receipt":
            request, context = _receipt_context(ledger, live, request)
        return build(live, request, **context)


def build_from_export(
    folder: Path, request: ReportRequest, *, tree_size: int | None = None
) -> tuple[ReportDoc, ExportInfo | None, Snapshot | None]:
    """Recompute a report from an export alone (verified first). Without ``tree_size``: at the
    tree size of the latest ``report.issued`` in the export for the same kind, subject and
    period, or at the export's size when there is none.

    Returns the report, the export's verification, and the snapshot of the *whole* export
    (where the report.issued entries to compare with are: they come after the size a report
    was computed at)."""
    request = request.checked()
    if request.personal or (request.donation or "").strip()[:1].upper() == "D":
        request = replace(request, personal=False, donation=(request.donation or "").strip())
    if request.kind == "verification":
        return from_export(folder, request), None, None
    info = verify_export(folder)
    full = export_snapshot(folder, info.size, info=info)
    doc = build(full, request)
    size = tree_size
    if size is None:
        issued = issued_reports(full, doc)
        size = issued[-1].tree_size if issued else info.size
    if size != info.size:
        doc = build(export_snapshot(folder, size, info=info), request)
    return doc, info, full


def issued_reports(snap: Snapshot, doc: ReportDoc) -> list[ReportRow]:
    """The report.issued entries (projection rows) for the same kind, subject and period,
    recorded in the log the snapshot is of (their tree sizes count in that log; one recorded
    in an earlier year's log is checked against that log, not this one)."""
    rows = snap.rows(
        ReportRow,
        kind=doc.kind,
        subject=doc.subject,
        period_start=doc.period_start.isoformat(),
        period_end=doc.period_end.isoformat(),
    )
    return sorted((r for r in rows if r.seq >= snap.at.base), key=lambda r: r.seq)


def compare_with_issued(snap: Snapshot, doc: ReportDoc, files: dict[str, bytes]) -> list[dict[str, Any]]:
    """Each report.issued for this report at its tree size, with every recorded file's match."""
    out = []
    for row in issued_reports(snap, doc):
        if row.tree_size != doc.at.tree_size:
            continue
        recorded = json.loads(row.files_json)
        results = []
        for f in recorded:
            data = files.get(f["name"])
            match = data is not None and digest(f["name"], data).sha256 == f["sha256"]
            results.append(
                {
                    "name": f["name"],
                    "sha256": f["sha256"],
                    "match": match,
                    "deterministic": f["name"].endswith(DETERMINISTIC),
                }
            )
        out.append(
            {
                "entry": row.id,
                "seq": row.seq,
                "tree_size": row.tree_size,
                "root": row.root,
                "root_match": row.root == doc.at.root,
                "files": results,
                "all_data_files_match": all(r["match"] for r in results if r["deterministic"]),
            }
        )
    return out


# --- recording --------------------------------------------------------------------------------


def find_issued(ledger: Any, signer: str, idem: str) -> tuple[int, str, list[dict[str, Any]]] | None:
    """(seq, leaf hash, recorded files) of the report.issued with this signer and idem."""
    leaf = LogLeaf.__table__
    report = table_for(ReportRow)
    with read_transaction(ledger.engine) as conn:
        row = conn.execute(
            select(leaf.c.seq, leaf.c.leaf_hash).where(and_(leaf.c.signer == signer, leaf.c.idem == idem))
        ).first()
        if row is None:
            return None
        files = conn.execute(select(report.c.files_json).where(report.c.id == row.leaf_hash)).scalar_one_or_none()
    return row.seq, row.leaf_hash, json.loads(files or "[]")


def _granted(ledger: Any, key: KeyPair) -> bool:
    table = table_for(KeyRow)
    with read_transaction(ledger.engine) as conn:
        row = conn.execute(select(table.c.role, table.c.revoked_seq).where(table.c.key_id == key.id)).first()
    return row is not None and row.role == "system" and row.revoked_seq is None


def _matches(files: list[BundleFile], recorded: list[dict[str, Any]]) -> bool:
    return sorted((f.name, f.sha256) for f in files) == sorted((f["name"], f["sha256"]) for f in recorded)


def _read_folder(folder: Path, recorded: list[dict[str, Any]]) -> dict[str, bytes] | None:
    """The recorded files from a folder, if every one is there with its recorded hash."""
    out = {}
    for f in recorded:
        path = folder / f["name"]
        if not path.is_file():
            return None
        data = path.read_bytes()
        if digest(f["name"], data).sha256 != f["sha256"]:
            return None
        out[f["name"]] = data
    return out


def equivalent_issued(ledger: Any, doc: ReportDoc) -> ReportRow | None:
    """The latest report.issued of the same report (kind, subject, period, rule set) computed
    at a tree size M <= the doc's N, when nothing but report.issued entries was appended in
    between: its figures are this request's figures, so it is the answer (one report.issued
    per request, however many times it is asked)."""
    report, leaf = table_for(ReportRow), LogLeaf.__table__
    with read_transaction(ledger.engine) as conn:
        found = (
            conn.execute(
                select(report)
                .where(
                    and_(
                        report.c.kind == doc.kind,
                        report.c.subject == doc.subject,
                        report.c.period_start == doc.period_start.isoformat(),
                        report.c.period_end == doc.period_end.isoformat(),
                        report.c.rule_set == doc.ruleset.ref,
                        report.c.tree_size <= doc.at.tree_size,
                        report.c.seq >= doc.at.base,  # recorded in the same log of the chain: sizes count in it
                    )
                )
                .order_by(report.c.seq.desc())
                .limit(1)
            )
            .mappings()
            .first()
        )
        if found is None:
            return None
        others = conn.execute(
            select(func.count())
            .select_from(leaf)
            .where(
                and_(
                    leaf.c.seq >= doc.at.base + found["tree_size"],
                    leaf.c.seq < doc.at.base + doc.at.tree_size,
                    leaf.c.type != "report.issued",
                )
            )
        ).scalar_one()
    return ReportRow(**found) if others == 0 else None


def _recording_key(ledger: Any, doc: ReportDoc, record: bool) -> tuple[KeyPair | None, tuple[str, str] | None]:
    settings = ledger.settings
    if not doc.record:
        return None, (
            "personal receipts and certificates of a log that fails verification are not recorded",
            "含个人信息的票据和未通过校验的证明不在账本中登记",
        )
    if not record:
        return None, ("not recorded on request", "按要求不登记")
    key = load_system_key(settings)
    if key is None:
        return None, (
            f"no system key at {system_key_path(settings)}; the report is written but not recorded",
            f"{system_key_path(settings)} 处没有系统密钥；报告已生成，但未在账本中登记",
        )
    if not _granted(ledger, key):
        return None, (
            f"the system key {key.id} is not granted (or is revoked) in this log; the registrar grants it with key.granted (role system)",
            f"系统密钥 {key.id} 未在本账本授权（或已吊销）；须由登记管理机关以 key.granted（角色 system）授权",
        )
    return key, None


POSITION_ATTEMPTS = 3  # renderings of a recorded report before a busy log is reported


def _issued_ref(ledger: Any, doc: ReportDoc, request: ReportRequest) -> IssuedRef:
    """Where the report.issued entry will be: the next position of the log being appended to."""
    position = ledger.log.head().size
    site = (request.site_url or default_site_url(doc.at.origin)).rstrip("/")
    return IssuedRef(position, doc.at.tree_size, doc.at.root, f"{site}/ledger/{position}")


def _signer(ledger: Any, key: KeyPair, doc: ReportDoc) -> Any:
    return pdf_signer(
        system_key_path(ledger.settings),
        key,
        name=doc.at.origin.split("/", 1)[0],
        now=ledger.clock(),
        reason=f"report.issued {doc.kind} {doc.subject} ({doc.period_start} – {doc.period_end})",
    )


def _targets(
    ledger: Any, doc: ReportDoc, stem: str, *, out: Path | None, folder: Path | None, publish: bool
) -> list[Path]:
    targets: list[Path] = []
    if folder is not None:
        targets.append(Path(folder))
    if publish and doc.variant != "personal":
        targets.append(published_folder(ledger.settings, doc.kind, stem))
    if out is not None:
        targets.append(Path(out))
    return targets


def _write_targets(
    ledger: Any,
    doc: ReportDoc,
    request: ReportRequest,
    files: dict[str, bytes],
    stem: str,
    *,
    out: Path | None,
    folder: Path | None,
    publish: bool,
) -> list[BundleFile]:
    targets = _targets(ledger, doc, stem, out=out, folder=folder, publish=publish)
    digests = sorted((digest(n, b) for n, b in files.items()), key=lambda f: f.name)
    if doc.variant == "personal" and targets:  # noted before writing, so donor erase finds them even after a crash
        seq = int(doc.figures["donation"]["seq"])
        for target in targets:
            named = [Path(target) / n for n in [*files, CHECKSUMS]]
            note_personal(
                ledger.settings,
                seq,
                named,
                by=f"report {doc.kind} {stem}",
                root=Path(target) if folder is not None and Path(target) == Path(folder) else None,
            )
    for target in targets:
        digests = list(write_bundle(target, files))
    return digests


def _result(
    ledger: Any,
    doc: ReportDoc,
    request: ReportRequest,
    files: dict[str, bytes],
    stem: str,
    size: int,
    root: str,
    *,
    out: Path | None,
    folder: Path | None,
    publish: bool,
) -> Issued:
    """Write ``files`` where they go; what became of the request (its entry is added by the caller)."""
    digests = _write_targets(ledger, doc, request, files, stem, out=out, folder=folder, publish=publish)
    return Issued(
        kind=doc.kind,
        subject=doc.subject,
        period_start=doc.period_start.isoformat(),
        period_end=doc.period_end.isoformat(),
        rule_set=doc.ruleset.ref,
        stem=stem,
        tree_size=size,
        root=root,
        files=digests,
        folders=[str(t) for t in _targets(ledger, doc, stem, out=out, folder=folder, publish=publish)],
        restricted=doc.restricted,
    )


def _append_issued(
    ledger: Any, key: KeyPair, doc: ReportDoc, digests: list[BundleFile], position: int
) -> dict[str, Any]:
    """Append report.issued; refused (nothing written) unless it lands at ``position``, the
    position its PDF names."""
    data = {
        "kind": doc.kind,
        "subject": doc.subject,
        "period_start": doc.period_start.isoformat(),
        "period_end": doc.period_end.isoformat(),
        "rule_set": doc.ruleset.ref,
        "tree_size": doc.at.tree_size,
        "root": doc.at.root,
        "files": files_json(digests),
    }
    # signed for the log the figures were computed on (refused as log_sealed if it was
    # sealed since, rather than recorded in the next log with a size of another tree)
    entry = sign_entry(key, make_body(doc.at.origin, "report.issued", key.id, ledger.clock(), doc.idem(), data))

    def at_position(_conn: Any, results: list[Any]) -> None:
        if results[0].seq != position and not results[0].existing:
            raise LedgerError(REPORT_POSITION_MOVED, expected=position, actual=results[0].seq)

    appended = ledger.log.append([entry], then=at_position)[0]
    return {"seq": appended.seq, "leaf_hash": appended.leaf_hash, "existing": appended.existing}


def issue(
    ledger: Any,
    request: ReportRequest,
    *,
    out: Path | None = None,
    publish: bool = True,
    record: bool = True,
    tree_size: int | None = None,
    folder: Path | None = None,
) -> Issued:
    """Build, write and record one report.

    ``out``: a folder to write the files into as well. ``publish``: write them into the
    published folder (``<home>/reports/<kind>/<stem>``) unless the report is personal (a
    personal receipt goes only to ``out`` or ``folder``). ``record``: append report.issued when
    the system key exists and is granted. A report already recorded for the same request (see
    :func:`equivalent_issued`) is answered with its entry and files; nothing is appended.
    """
    settings = ledger.settings
    doc = build_from_ledger(ledger, request, tree_size=tree_size)
    key, reason = _recording_key(ledger, doc, record)
    existing: tuple[int, str, list[dict[str, Any]]] | None = None
    files: dict[str, bytes] | None = None
    stem, size, root = doc.stem, doc.at.tree_size, doc.at.root
    if key is not None:
        prior = equivalent_issued(ledger, doc)
        if prior is not None:
            existing = (prior.seq, prior.id, json.loads(prior.files_json))
            stem, size, root = f"{doc.name}-t{prior.tree_size}", prior.tree_size, prior.root
            files = _read_folder(published_folder(settings, doc.kind, stem), existing[2])
            if files is None and prior.tree_size != doc.at.tree_size:  # its files are gone: recompute them at its size
                doc = build_from_ledger(ledger, request, tree_size=prior.tree_size)
    issued_at: IssuedRef | None = None
    for attempt in range(1, POSITION_ATTEMPTS + 1):
        if key is not None and existing is None:
            issued_at = _issued_ref(ledger, doc, request)
            files = render_report(doc, issued=issued_at, sign=_signer(ledger, key, doc))
        elif files is None:
            files = render_report(doc)
        if key is None or existing is not None or issued_at is None:
            break
        digests = sorted((digest(n, b) for n, b in files.items()), key=lambda f: f.name)
        try:
            entry = _append_issued(ledger, key, doc, digests, issued_at.position)
        except LedgerError as exc:
            if exc.code == REPORT_POSITION_MOVED and attempt < POSITION_ATTEMPTS:
                continue  # another entry took the position the PDF names: print the new one
            if exc.code != "idem_conflict":
                raise
            existing = find_issued(ledger, key.id, doc.idem())  # a concurrent request recorded it first
            if existing is None:
                raise InvariantBroken("existing is missing") from exc
            # its files, as the request that recorded it wrote them (not this request's PDF); when
            # they are not there yet, that request writes them: this one leaves the folder alone
            recorded_files = _read_folder(published_folder(settings, doc.kind, stem), existing[2])
            publish = publish and recorded_files is not None
            files = recorded_files or files
            break
        # written once recorded: a request that lost a race never overwrites the recorded files
        result = _result(ledger, doc, request, files, stem, size, root, out=out, folder=folder, publish=publish)
        result.entry = entry
        result.files_match_record = True
        return result
    if files is None:
        raise InvariantBroken("no files were rendered")
    result = _result(ledger, doc, request, files, stem, size, root, out=out, folder=folder, publish=publish)
    if key is None:
        if reason is None:
            raise InvariantBroken("reason is missing")
        result.not_recorded_en, result.not_recorded_zh = reason
        return result
    if existing is None:
        raise InvariantBroken("a recorded report without its entry")
    position, leaf_hash, recorded = existing
    seq = position - ledger.log.shard_of(position).base  # its seq in its own log, as an append answers
    result.entry = {"seq": seq, "leaf_hash": leaf_hash, "existing": True}
    result.files_match_record = _matches(result.files, recorded)
    return result
