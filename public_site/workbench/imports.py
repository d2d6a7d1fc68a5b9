"""The import wizard's pages and JSON endpoints (issue 14, item 5; see
:mod:`ledger.services.import_wizard`), and the donors' receipt codes (item 8).

- ``GET /workbench/import``: choose the statement, its format (a bank's or platform's preset, or
  the columns as named) and the project; the page's script sends the file with the public key
  of the browser's signing key to ``POST /workbench/api/import/prepare`` (multipart: ``file``,
  ``project``, ``preset``, ``public_key``, optional ``mapping`` JSON and ``drop_personal_text``).
  The answer is the row-by-row preview and, when no row is bad, the bodies to sign, in the
  forms' format (``canonical``, ``signing_message``): the same signing code signs them
  (``WorkbenchSigning.signEntries``, over ``WorkbenchKeys.sign``).
- ``POST /workbench/api/import/{id}/commit`` with ``{"entries": [{"body", "sig"}]}`` appends them
  as one batch; the answer lists each entry and each donation's receipt code.
- ``GET /workbench/import/{id}/receipts.csv``: the mail-merge file (donor contact from the
  private donor store, the receipt code, the bilingual message); ``GET /workbench/receipts/message``
  the message template.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from typing import Annotated, Any

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import Parameter
from litestar.response import Template

from ledger.domain.privacy import format_receipt_code
from ledger.errors import InvariantBroken, LedgerError
from ledger.protocol.entry import parse_submission
from ledger.services.import_wizard import commit_import, plan_import, remembered
from ledger.services.importer import COLUMNS, IMPORT_FILE_INVALID, PRESETS, Preset
from ledger.store import imports as I
from ledger.store import reads
from ledger.store.db import read_transaction
from ledger.store.donors import DonorStore, load_privacy_key
from ledger.store.runtime import Ledger
from public_site.workbench.forms import _account, _entry_json, _json_body, _org_of, _problem, _public_key_id
from public_site.workbench.session import require_roles

LedgerDep = NamedDependency[Ledger]
ImportId = Annotated[int, Parameter(ge=1, le=2**62, description="an import's number")]
MAX_STATEMENT_BYTES = 5 * 1024 * 1024
SIGNING_ROLES = frozenset({"fundraiser", "org_admin"})

MESSAGE_ZH = (
    "【{charity}】感谢您于 {date} 捐赠 {amount} {currency}。您的捐赠码：{code}。"
    "请在 {site}/verify 输入捐赠码，查看善款去向并下载捐赠证明。捐赠码请妥善保管，勿转发他人。"
)
MESSAGE_EN = (
    "[{charity}] Thank you for your gift of {amount} {currency} on {date}. Your receipt code: {code}. "
    "Enter it at {site}/verify to see where the money went and download your certificate. Keep the code to yourself."
)
CSV_COLUMNS = (
    "seq",
    "receipt_code",
    "name",
    "phone",
    "address",
    "amount",
    "currency",
    "received_on",
    "verify_url",
    "message_zh",
    "message_en",
)


def _fernet(ledger: Ledger) -> Any:
    return load_privacy_key(ledger.settings)


def _custom(mapping_text: str | None, preset: str | None) -> Preset | None:
    """A person's column mapping ({header as printed: canonical column or ""}) as a preset."""
    if not mapping_text:
        return None
    try:
        mapping = json.loads(mapping_text)
    except ValueError:
        mapping = None
    known = set(COLUMNS) | {"", "counterparty_combined"}
    if not isinstance(mapping, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v in known for k, v in mapping.items()
    ):
        raise LedgerError(
            IMPORT_FILE_INVALID,
            file="mapping",
            detail=f"the column mapping is an object of header -> one of {', '.join(sorted(COLUMNS))}",
            detail_zh="列对应关系应为“表头 -> 列含义”的对象",
        )
    channel = PRESETS[preset].channel if preset in PRESETS else "bank_transfer"
    return Preset("custom", "自定义列对应 custom columns", mapping, (), channel)


def _prepare(ledger: Ledger, form: dict[str, Any], raw: bytes, org: str, login: str) -> dict[str, Any]:
    signer = _public_key_id(form.get("public_key"))
    preset = form.get("preset") or None
    if preset is not None and preset not in PRESETS:
        raise LedgerError(
            IMPORT_FILE_INVALID,
            file=str(form.get("file_name")),
            detail=f"there is no preset {preset!r}",
            detail_zh=f"没有预设格式 {preset!r}",
        )
    custom = _custom(form.get("mapping"), preset)
    given = custom is not None
    if custom is None:
        found = remembered(ledger, raw, org)
        if found is not None:
            custom, preset = found
    project = str(form.get("project") or "")
    plan = plan_import(
        ledger,
        raw,
        file=str(form.get("file_name") or "statement"),
        org=org,
        project=project,
        signer=signer,
        preset=None if custom else preset,
        custom=custom,
        drop_personal_text=form.get("drop_personal_text") in ("1", "true", "on"),
    )
    layout = I.layout_of(list(plan.header))
    if given and custom is not None:
        I.remember_mapping(ledger.engine, org=org, layout=layout, columns=custom.columns, preset=preset, login=login)
    answer: dict[str, Any] = {
        "ok": plan.ok,
        "preview": plan.preview(),
        "layout": layout,
        "mapping": None if custom is None else custom.columns,
        "mapping_remembered": custom is not None and not given,
        "import": None,
    }
    if plan.ok and plan.bodies:
        answer["import"] = I.save_pending(
            ledger.engine,
            _fernet(ledger),
            org=org,
            login=login,
            file_name=plan.file,
            file_sha256=hashlib.sha256(raw).hexdigest(),
            bodies=plan.bodies,
            private=plan.private,
            preview=plan.preview(),
        )
        answer["entries"] = [_entry_json(b) for b in plan.bodies]
    return answer


def _keep(ledger: Ledger) -> Any:
    donors = DonorStore(ledger.engine, _fernet(ledger))
    key = I.order_key(ledger.settings)

    def keep(conn: Any, seq: int, private: dict[str, Any]) -> None:
        donors.store(seq, private["personal"], base64.b64decode(private["salt"]), conn=conn)
        if private.get("order"):
            I.keep_order(conn, key, private["order"], seq)

    return keep


def _commit(ledger: Ledger, import_id: int, org: str, items: list[Any]) -> dict[str, Any]:
    fernet = _fernet(ledger)
    pending = I.load_pending(ledger.engine, fernet, import_id, org)
    entries = [parse_submission(item) for item in items]
    done = commit_import(ledger, pending, entries, _keep(ledger))
    return {
        "items": [
            {"line": c.line, "seq": c.seq, "leaf_hash": c.leaf_hash, "type": c.type, "receipt_code": c.receipt_code}
            for c in done
        ],
        "receipts_csv": f"/workbench/import/{import_id}/receipts.csv",
    }


def receipts_csv(ledger: Ledger, seqs: list[int], charity: str, site: str) -> str:
    """The mail-merge file of donations ``seqs``: contact from the donor store, code, message."""
    donors = DonorStore(ledger.engine, _fernet(ledger))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for seq in seqs:
        try:
            record = donors.get(seq)
        except LedgerError:
            continue
        if record.salt is None:  # erased: no code to send
            continue
        donation = _donation(ledger, seq)
        code = format_receipt_code(seq, record.salt)
        personal = record.personal or {}
        fill = {
            "charity": charity,
            "date": donation["received_on"],
            "amount": donation["amount"],
            "currency": donation["currency"],
            "code": code,
            "site": site,
        }
        writer.writerow(
            [
                seq,
                code,
                personal.get("name", ""),
                personal.get("phone", ""),
                personal.get("address", ""),
                donation["amount"],
                donation["currency"],
                donation["received_on"],
                f"{site}/verify",
                MESSAGE_ZH.format(**fill),
                MESSAGE_EN.format(**fill),
            ]
        )
    return "\ufeff" + out.getvalue()  # a BOM: spreadsheet programs then read the Chinese right


def _donation(ledger: Ledger, seq: int) -> dict[str, str]:
    with read_transaction(ledger.engine) as conn:
        donation = reads.donation_at(conn, seq)
    if donation is None:
        raise InvariantBroken(f"broken: the import committed no donation at seq {seq}")
    return {"received_on": donation.received_on, "amount": donation.amount.plain(), "currency": donation.currency}


def _org_name(ledger: Ledger, org: str) -> str:
    with read_transaction(ledger.engine) as conn:
        found = reads.organisation(conn, org)
    return found.name_zh if found is not None and found.name_zh else org


class WorkbenchImports(Controller):
    path = "/workbench"
    include_in_schema = False
    guards = [require_roles()]  # noqa: RUF012 (Litestar reads this class attribute)
    signature_namespace = {"Ledger": Ledger}  # noqa: RUF012

    @get("/import", sync_to_thread=False)
    def page(self, request: Request) -> Template:  # type: ignore[type-arg]
        account = _account(request)
        presets = [(p.name, p.title) for p in PRESETS.values()]
        return Template(
            "workbench/import.html",
            context={
                "account": account,
                "presets": presets,
                "columns": sorted(COLUMNS),
                "may_sign": bool(account.roles & SIGNING_ROLES),
                "message_zh": MESSAGE_ZH,
                "message_en": MESSAGE_EN,
            },
        )

    @post("/api/import/prepare", status_code=200, guards=[require_roles("fundraiser", "org_admin")])
    async def prepare(self, request: Request, ledger: LedgerDep) -> Response[Any]:  # type: ignore[type-arg]
        account = _account(request)
        try:
            org = _org_of(account)
            form = await request.form()
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise LedgerError(IMPORT_FILE_INVALID, file="(none)", detail="no file was sent", detail_zh="未上传文件")
            raw = await upload.read(MAX_STATEMENT_BYTES + 1)
            if len(raw) > MAX_STATEMENT_BYTES:
                raise LedgerError(
                    IMPORT_FILE_INVALID,
                    file=upload.filename,
                    detail=f"it is larger than {MAX_STATEMENT_BYTES // 1024 // 1024} MB",
                    detail_zh=f"文件大于 {MAX_STATEMENT_BYTES // 1024 // 1024} MB",
                )
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            fields["file_name"] = upload.filename or "statement"
            answer = await anyio.to_thread.run_sync(_prepare, ledger, fields, raw, org, account.login)
        except LedgerError as exc:
            return _problem(request, exc)
        return Response(answer, status_code=200 if answer["ok"] else 422)

    @post("/api/import/{import_id:int}/commit", status_code=201, guards=[require_roles("fundraiser", "org_admin")])
    async def commit(self, request: Request, ledger: LedgerDep, import_id: ImportId) -> Response[Any]:  # type: ignore[type-arg]
        account = _account(request)
        try:
            org = _org_of(account)
            payload = await _json_body(request)
            if not isinstance(payload, dict) or not isinstance(payload.get("entries"), list):
                raise LedgerError("body_invalid", detail='{"entries": [{"body", "sig"}]}')
            answer = await anyio.to_thread.run_sync(_commit, ledger, import_id, org, payload["entries"])
        except LedgerError as exc:
            return _problem(request, exc)
        return Response(answer, status_code=201)

    @get("/import/{import_id:int}/receipts.csv", sync_to_thread=True, guards=[require_roles("fundraiser", "org_admin")])
    def receipts(self, request: Request, ledger: LedgerDep, import_id: ImportId) -> Response[str]:  # type: ignore[type-arg]
        account = _account(request)
        org = _org_of(account)
        pending = I.load_pending(ledger.engine, _fernet(ledger), import_id, org)
        seqs = [int(s) for s in pending.preview.get("committed_seqs", [])]
        site = str(request.base_url).rstrip("/")
        text = receipts_csv(ledger, seqs, _org_name(ledger, org), site)
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="receipts-{import_id}.csv"',
                "Cache-Control": "no-store",
            },
        )


__all__ = ["WorkbenchImports", "receipts_csv"]
