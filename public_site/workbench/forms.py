"""The workbench's entry forms (issue 14): one form per entry type a role signs, generated from
the type's JSON Schema (``ledger.domain.json_schema``, itself generated from the field specs the
log checks), checked by the log's own rules before signing (a dry run), previewed as the exact
bytes to be signed, signed in the browser with the person's key (``window.WorkbenchKeys``, whose
private keys never leave the browser), and answered with the entry's inclusion proof.

Pages (HTML): ``/workbench/entries/new/<type>``, ``/workbench/entries/correct/<leaf hash>``
(a reversal and its replacement, signed together and appended as one atomic batch),
``/workbench/drafts`` and ``/workbench/drafts/<id>`` (prepare -> review -> approve -> sign).

JSON endpoints the pages' script calls (same origin, ``application/json`` only):
``POST /workbench/api/prepare`` (build the bodies to sign and dry-run them; every wrong field
named at once), ``POST /workbench/api/submit`` (append the signed entries; a draft is marked
signed in the same transaction), ``POST /workbench/api/drafts``, ``.../drafts/<id>/approve``,
``.../drafts/<id>/withdraw`` and ``POST /workbench/api/approval-rule`` (org_admin).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Annotated, Any

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import FromPath, Parameter
from litestar.response import Template

from api.controllers.entries import result_json
from api.problems import problem_response, status_of
from ledger.domain import codes as C
from ledger.domain.entry_names import ENTRY_TYPE_NAMES
from ledger.domain.json_schema import entry_data_schema, kind, label
from ledger.domain.schemas import SCHEMAS
from ledger.errors import LedgerError
from ledger.protocol.canonical import canonical_bytes, now, parse_json
from ledger.protocol.entry import ENTRY_PREFIX, SignedEntry, make_body, parse_submission
from ledger.protocol.keys import key_id, unb64
from ledger.store import drafts as D
from ledger.store.dry_run import dry_run, unsigned_entry
from ledger.store.runtime import Ledger
from public_site.workbench.session import Account, current_account, require_roles

LedgerDep = NamedDependency[Ledger]
DraftId = Annotated[int, Parameter(ge=1, le=2**62, description="a draft's number")]
JSON_ONLY = "application/json"
ENTRY_BYTES_LIMIT = 256 * 1024


def type_title(type_name: str) -> tuple[str, str]:
    """(Chinese, English) name of an entry type."""
    return ENTRY_TYPE_NAMES.get(type_name, (type_name, type_name))


def prefill(type_name: str, query: Any) -> dict[str, str]:
    """Initial values from the page's query (``?target=<leaf hash>`` from the overseer's desk,
    ``?project=`` from a project): only the schema's own top-level text and choice fields, each
    at most the field's length; anything else in the query is ignored."""
    properties = entry_data_schema(type_name).get("properties", {})
    out: dict[str, str] = {}
    for name, prop in properties.items():
        value = query.get(name)
        if not isinstance(value, str) or "type" not in prop or kind(prop) != "string":
            continue
        if len(value) <= int(prop.get("maxLength", 500)) and ("enum" not in prop or value in prop["enum"]):
            out[name] = value
    return out


# --- the form, generated from the JSON Schema ------------------------------------------------


@dataclass(frozen=True, slots=True)
class FormField:
    """One control of a generated form (a nested object is a fieldset with its own fields)."""

    path: str  # "plan.purpose": where the value goes in data
    dom_id: str
    label_zh: str
    label_en: str
    control: str  # text, textarea, select, bool, date, amount, integer, lines, fieldset
    required: bool
    options: tuple[str, ...] = ()
    hint: str = ""
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    pattern: str | None = None
    children: tuple[FormField, ...] = ()


def _control(prop: dict[str, Any]) -> str:
    type_ = kind(prop)
    if type_ == "object":
        return "fieldset"
    if type_ == "boolean":
        return "bool"
    if type_ == "integer":
        return "integer"
    if type_ == "array":
        return "lines"
    if "enum" in prop:
        return "select"
    if prop.get("format") == "date":
        return "date"
    if prop.get("x-amount"):
        return "amount"
    if prop.get("x-multiline"):
        return "textarea"
    return "text"


def form_fields(schema: dict[str, Any], prefix: str = "") -> tuple[FormField, ...]:
    """The controls of an object schema, in the schema's order."""
    required = set(schema.get("required", ()))
    out: list[FormField] = []
    for name, prop in schema["properties"].items():
        path = prefix + name
        control = _control(prop)
        en, zh = prop.get("title") or label(name)[0], prop.get("x-title-zh") or label(name)[1]
        hint = str(prop.get("description", ""))
        if control == "lines":
            hint = ("每行一项 · one per line. " + str(prop["items"].get("description", ""))).strip()
        out.append(
            FormField(
                path=path,
                dom_id="f-" + path.replace(".", "-"),
                label_zh=zh,
                label_en=en,
                control=control,
                required=name in required,
                options=tuple(o for o in prop.get("enum", ()) if o is not None),
                hint=hint,
                max_length=prop.get("maxLength"),
                minimum=prop.get("minimum"),
                maximum=prop.get("maximum"),
                pattern=None,
                children=form_fields(prop, path + ".") if control == "fieldset" else (),
            )
        )
    return tuple(out)


def _types_for(account: Account) -> list[tuple[str, str, str, bool]]:
    """(type, zh, en, may sign) of every type the account's organisation can prepare."""
    out = []
    for t in D.WORKBENCH_TYPES:
        zh, en = type_title(t)
        out.append((t, zh, en, bool(account.roles & set(D.signing_roles(t)))))
    return out


# --- JSON answers ----------------------------------------------------------------------------


def _problem(request: Request, exc: LedgerError) -> Response[Any]:  # type: ignore[type-arg]
    """Problem JSON; a refused entry of a batch answers the entry's own problem (every wrong
    field of its data) with its ``position``, so that the form can mark the fields."""
    inner = getattr(exc, "inner", None)
    if exc.code == "batch_entry_refused" and isinstance(inner, LedgerError):
        inner.params["position"] = exc.params.get("position")
        exc = inner
    return problem_response(request, exc, status=status_of(exc.code))


def _account(request: Request) -> Account:  # type: ignore[type-arg]
    account = current_account(request)
    if account is None:  # the guard let nobody through without one
        raise HTTPException(status_code=401)
    return account


async def _json_body(request: Request) -> Any:  # type: ignore[type-arg]
    if request.headers.get("content-type", "").split(";")[0].strip() != JSON_ONLY:
        raise LedgerError("body_invalid", detail="send application/json")
    raw = await request.body()
    if len(raw) > ENTRY_BYTES_LIMIT * 3:
        raise LedgerError("body_invalid", detail=f"at most {ENTRY_BYTES_LIMIT * 3} bytes")
    return parse_json(raw)


def _org_of(account: Account) -> str:
    if account.organisation is None:
        raise LedgerError(
            C.DRAFT_REFUSED,
            draft="(new)",
            action="prepared",
            action_zh="准备",
            detail="your account belongs to no organisation",
            detail_zh="您的账户不属于任何机构",
        )
    return account.organisation


def _public_key_id(value: Any) -> str:
    raw = unb64(value, length=32, what="public_key")
    return key_id(raw)


def _bodies(ledger: Ledger, signer: str, items: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    """The bodies to sign: the log's origin, the signer's key id, the time now, a fresh idem."""
    origin = ledger.log.current_origin()
    at = now()
    stem = "wb-" + secrets.token_hex(8)
    return [make_body(origin, type_name, signer, at, f"{stem}-{i}", data) for i, (type_name, data) in enumerate(items)]


def _items_of(payload: dict[str, Any]) -> list[tuple[str, Any]]:
    """The entries a form stands for: one, or a correction and its replacement."""
    type_name = payload.get("type")
    if not isinstance(type_name, str) or type_name not in SCHEMAS:
        raise LedgerError("unknown_type", type=str(type_name)[:70])
    items: list[tuple[str, Any]] = [(type_name, payload.get("data"))]
    replacement = payload.get("replacement")
    if replacement is not None:
        if not isinstance(replacement, dict) or not isinstance(replacement.get("type"), str):
            raise LedgerError("body_invalid", detail='a replacement is {"type": ..., "data": {...}}')
        items.append((replacement["type"], replacement.get("data")))
    return items


def _entry_json(body: dict[str, Any]) -> dict[str, Any]:
    canonical = canonical_bytes(body)
    return {
        "body": body,
        "canonical": canonical.decode("utf-8"),
        "signing_message": base64.b64encode(ENTRY_PREFIX + canonical).decode(),
        "body_sha256": hashlib.sha256(canonical).hexdigest(),
    }


# --- the controller --------------------------------------------------------------------------


class WorkbenchForms(Controller):
    path = "/workbench"
    include_in_schema = False
    guards = [require_roles()]  # noqa: RUF012 (Litestar reads this class attribute)
    signature_namespace = {"Ledger": Ledger}  # noqa: RUF012

    # --- pages ---------------------------------------------------------------------------------

    @get("/entries/new", sync_to_thread=False)
    def choose(self, request: Request) -> Template:  # type: ignore[type-arg]
        account = _account(request)
        return Template("workbench/choose.html", context={"account": account, "types": _types_for(account)})

    @get("/entries/new/{type_name:str}", sync_to_thread=False)
    def new_entry(self, request: Request, type_name: FromPath[str]) -> Template:  # type: ignore[type-arg]
        account = _account(request)
        if type_name not in D.WORKBENCH_TYPES:
            raise LedgerError("unknown_type", type=type_name[:70])
        return self._form_page(account, type_name, initial=prefill(type_name, request.query_params), correction=None)

    @get("/entries/correct/{leaf_hash:str}", sync_to_thread=True)
    def correct(self, request: Request, ledger: LedgerDep, leaf_hash: FromPath[str]) -> Template:  # type: ignore[type-arg]
        """A correction in one step: the reversal (reason, and for money the target's project,
        amount and currency) and a replacement of the target's type, prefilled with its data."""
        account = _account(request)
        position = ledger.log.position_of(leaf_hash)
        leaf = json.loads(ledger.log.leaf(position))
        target = leaf["body"]
        data = target["data"]
        reversal: dict[str, Any] = {"target": leaf_hash}
        if all(k in data for k in ("project", "amount", "currency")):
            reversal.update(project=data["project"], amount=data["amount"], currency=data["currency"])
        return self._form_page(
            account,
            "entry.corrected",
            initial=reversal,
            correction={"target": leaf_hash, "type": target["type"], "data": data},
        )

    def _form_page(
        self, account: Account, type_name: str, initial: dict[str, Any], correction: dict[str, Any] | None
    ) -> Template:
        schema = entry_data_schema(type_name)
        zh, en = type_title(type_name)
        replacement_fields: tuple[FormField, ...] = ()
        if correction is not None:
            replacement_fields = form_fields(entry_data_schema(correction["type"]), "")
        return Template(
            "workbench/entry_form.html",
            context={
                "account": account,
                "type_name": type_name,
                "title_zh": zh,
                "title_en": en,
                "fields": form_fields(schema),
                "initial": initial,
                "may_sign": bool(account.roles & set(D.signing_roles(type_name))),
                "signing_roles": D.signing_roles(type_name),
                "schema_json": json.dumps(schema, ensure_ascii=False),
                "correction": correction,
                "replacement_fields": replacement_fields,
                "replacement_title": type_title(correction["type"]) if correction else None,
                "draft": None,
            },
        )

    @get("/drafts", sync_to_thread=True)
    def drafts(self, request: Request, ledger: LedgerDep) -> Template:  # type: ignore[type-arg]
        account = _account(request)
        org = _org_of(account)
        rows = D.list_drafts(ledger.engine, org)
        return Template(
            "workbench/drafts.html",
            context={"account": account, "drafts": rows, "titles": {d.type: type_title(d.type) for d in rows}},
        )

    @get("/drafts/{draft_id:int}", sync_to_thread=True)
    def draft(self, request: Request, ledger: LedgerDep, draft_id: DraftId) -> Template:  # type: ignore[type-arg]
        account = _account(request)
        d = D.get(ledger.engine, draft_id, _org_of(account))
        zh, en = type_title(d.type)
        return Template(
            "workbench/draft.html",
            context={
                "account": account,
                "draft": d,
                "title_zh": zh,
                "title_en": en,
                "data_pretty": json.dumps(d.data, ensure_ascii=False, indent=2),
                "replacement_pretty": None
                if d.replacement is None
                else json.dumps(d.replacement, ensure_ascii=False, indent=2),
                "needs_approval": D.needs_approval(ledger.engine, d),
                "may_sign": bool(account.roles & set(D.signing_roles(d.type))),
                "may_approve": d.prepared_by != account.login
                and bool(account.roles & ({"org_admin"} | set(D.signing_roles(d.type)))),
                "payload": {"type": d.type, "data": d.data, "replacement": d.replacement, "draft": d.id},
            },
        )

    # --- JSON endpoints ------------------------------------------------------------------------

    @post("/api/prepare", status_code=200)
    async def prepare(self, request: Request, ledger: LedgerDep) -> Response[Any]:  # type: ignore[type-arg]
        """Build the bodies a form stands for, signed by the browser's key, and dry-run them."""
        try:
            payload = await _json_body(request)
            if not isinstance(payload, dict):
                raise LedgerError("body_invalid", detail="a JSON object")
            signer = _public_key_id(payload.get("public_key"))
            items = _items_of(payload)
            bodies = await anyio.to_thread.run_sync(_bodies, ledger, signer, items)
            entries = [unsigned_entry(b) for b in bodies]
            await anyio.to_thread.run_sync(dry_run, ledger.log, entries, [False] * len(entries))
        except LedgerError as exc:
            return _problem(request, exc)
        return Response({"ok": True, "entries": [_entry_json(b) for b in bodies]})

    @post("/api/submit", status_code=201)
    async def submit(self, request: Request, ledger: LedgerDep) -> Response[Any]:  # type: ignore[type-arg]
        """Append the signed entries (one, or a correction and its replacement, atomically)."""
        account = _account(request)
        try:
            payload = await _json_body(request)
            if not isinstance(payload, dict) or not isinstance(payload.get("entries"), list):
                raise LedgerError("body_invalid", detail='{"entries": [{"body", "sig"}], "draft": id or null}')
            entries = [parse_submission(item) for item in payload["entries"]]
            if not 1 <= len(entries) <= 2:
                raise LedgerError("body_invalid", detail="one entry, or a correction and its replacement")
            for entry in entries:
                if not account.roles & set(D.signing_roles(entry.type)):
                    raise LedgerError(
                        C.DRAFT_REFUSED,
                        draft=payload.get("draft") or "(form)",
                        action="signed",
                        action_zh="签署",
                        detail=f"{entry.type} is signed by {', '.join(D.signing_roles(entry.type))}",
                        detail_zh=f"{entry.type} 须由 {'、'.join(D.signing_roles(entry.type))} 签署",
                    )
            draft_id = payload.get("draft")
            results = await anyio.to_thread.run_sync(_append, ledger, account, entries, draft_id)
        except LedgerError as exc:
            return _problem(request, exc)
        return Response({"items": [result_json(r) for r in results]}, status_code=201)

    @post("/api/drafts", status_code=201)
    async def save_draft(self, request: Request, ledger: LedgerDep) -> Response[Any]:  # type: ignore[type-arg]
        account = _account(request)
        try:
            payload = await _json_body(request)
            if not isinstance(payload, dict):
                raise LedgerError("body_invalid", detail="a JSON object")
            d = await anyio.to_thread.run_sync(
                lambda: D.prepare(
                    ledger.engine,
                    org=_org_of(account),
                    login=account.login,
                    type_name=str(payload.get("type")),
                    data=payload.get("data"),
                    replacement=payload.get("replacement"),
                )
            )
        except LedgerError as exc:
            return _problem(request, exc)
        return Response({"draft": d.to_json(), "url": f"/workbench/drafts/{d.id}"}, status_code=201)

    @post("/api/drafts/{draft_id:int}/approve", status_code=200)
    async def approve(self, request: Request, ledger: LedgerDep, draft_id: DraftId) -> Response[Any]:  # type: ignore[type-arg]
        account = _account(request)
        try:
            await _json_body(request)
            d = await anyio.to_thread.run_sync(
                lambda: D.approve(
                    ledger.engine, draft_id, org=_org_of(account), login=account.login, roles=account.roles
                )
            )
        except LedgerError as exc:
            return _problem(request, exc)
        return Response({"draft": d.to_json()})

    @post("/api/drafts/{draft_id:int}/withdraw", status_code=200)
    async def withdraw(self, request: Request, ledger: LedgerDep, draft_id: DraftId) -> Response[Any]:  # type: ignore[type-arg]
        account = _account(request)
        try:
            await _json_body(request)
            d = await anyio.to_thread.run_sync(
                lambda: D.withdraw(ledger.engine, draft_id, org=_org_of(account), login=account.login)
            )
        except LedgerError as exc:
            return _problem(request, exc)
        return Response({"draft": d.to_json()})

    @post("/api/approval-rule", status_code=200, guards=[require_roles("org_admin")])
    async def approval_rule(self, request: Request, ledger: LedgerDep) -> Response[Any]:  # type: ignore[type-arg]
        """The organisation's amount above which a draft needs a second person's approval."""
        account = _account(request)
        try:
            payload = await _json_body(request)
            if not isinstance(payload, dict):
                raise LedgerError("body_invalid", detail='{"currency": "CNY", "amount": "10000.00"}')
            await anyio.to_thread.run_sync(
                lambda: D.set_threshold(
                    ledger.engine,
                    org=_org_of(account),
                    currency=payload.get("currency"),  # type: ignore[arg-type]
                    amount=payload.get("amount"),  # type: ignore[arg-type]
                    login=account.login,
                )
            )
        except LedgerError as exc:
            return _problem(request, exc)
        return Response({"ok": True})


def _append(ledger: Ledger, account: Account, entries: list[SignedEntry], draft_id: Any) -> list[Any]:
    """Append; with a draft, check it may be signed now and mark it signed in the same transaction."""
    if draft_id is None:
        return ledger.log.append(entries)
    if not isinstance(draft_id, int) or isinstance(draft_id, bool):
        raise LedgerError("body_invalid", detail="draft is the draft's number")
    d = D.get(ledger.engine, draft_id, _org_of(account))
    D.check_signable(ledger.engine, d, login=account.login, roles=account.roles)
    signed = [[e.type, e.data] for e in entries]
    expected = [[d.type, d.data]] + ([[d.replacement["type"], d.replacement["data"]]] if d.replacement else [])
    if canonical_bytes(signed) != canonical_bytes(expected):
        raise LedgerError(
            C.DRAFT_REFUSED,
            draft=draft_id,
            action="signed",
            action_zh="签署",
            detail="the signed entries are not the draft's",
            detail_zh="签署的条目与草稿不一致",
        )

    def then(conn: Any, results: list[Any]) -> None:
        D.mark_signed(conn, draft_id, login=account.login, signer_key=entries[0].signer, leaf_hash=results[0].leaf_hash)

    return ledger.log.append(entries, then=then)
