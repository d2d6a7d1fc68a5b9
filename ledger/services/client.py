"""Writing entries as a charity would: sign locally with the actor's key, submit to a log.

A :class:`Client` holds one actor key (a fundraiser's, an implementer's, ...) and the origin of
the log it writes to. It signs every entry itself (:func:`ledger.protocol.entry.make_body` +
:func:`ledger.protocol.entry.sign_entry`, ``at`` = now) and hands the signed entries to a *sink*:

- :class:`LocalSink` appends in-process through the ledger's :class:`~ledger.store.log_store.LogStore`
  (the embedded default, scripts, the demo loader, bulk imports on the server itself);
- :class:`HttpSink` posts them to a served API: ``POST /api/v1/entries`` (one ``{"body", "sig"}``)
  and ``POST /api/v1/entries/batch`` (a JSON array of them, at most 1,000, atomic).

Both answer :class:`~ledger.store.log_store.AppendResult` objects (seq, leaf hash, inclusion
proof, signed checkpoint). A refusal raises a :class:`~ledger.errors.LedgerError` whose ``code`` is
the log's stable error code (over HTTP: the ``code`` of the RFC 9457 problem details, as a
:class:`RemoteError`).

Idempotency. Every entry carries an ``idem``; a retry of the *same signed entry* returns the stored
one, and the same ``idem`` with another body is refused (``idem_conflict``). The client therefore

- resends the very same signed bytes when a request fails in transit (:class:`HttpSink` retries);
- derives, when the caller gives no ``idem``, a deterministic one from the entry's type and data
  (:func:`auto_idem`): submitting the same facts twice by mistake is refused instead of being
  recorded twice. Give an explicit ``idem`` to record two identical facts on purpose.

Donations (:meth:`Client.record_donation`) get a fresh random 16-byte salt and the donor
commitment of DESIGN section 5; the donor's personal data never enters the entry. With a
:class:`LocalSink` the personal data and salt go to the encrypted donor store right after the
append; with an :class:`HttpSink` they are returned to the caller (:class:`DonationReceipt`
carries the salt and the receipt code) — storing personal data over HTTP is an endpoint of the
API issue, not of this client.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Protocol

import httpx
from sqlalchemy import select

from ledger import domain
from ledger.domain.money import CURRENCY_DIGITS, check_currency, parse_amount
from ledger.domain.privacy import donor_data_message, donor_fields, format_receipt_code, new_salt
from ledger.domain.rows import KeyRow
from ledger.errors import KINDS, InvariantBroken, LedgerError, define
from ledger.protocol.canonical import canonical_bytes, format_time, now
from ledger.protocol.entry import SignedEntry, make_body, parse_leaf_json, sign_entry
from ledger.protocol.keys import KeyPair
from ledger.store.db import read_transaction
from ledger.store.donors import DonorStore, load_privacy_key
from ledger.store.log_store import MAX_BATCH, AppendResult
from ledger.store.projection_tables import table_for
from ledger.store.sql_state import SqlState
from ledger.store.tables import LEAF

CHINA = timezone(timedelta(hours=8))

LOG_UNREACHABLE = define(
    "log_unreachable",
    "unavailable",
    "The log at {url} cannot be reached: {detail}. Nothing was written; try again later.",
    "无法连接账本 {url}：{detail}。未写入任何内容，请稍后重试。",
)
LOG_ANSWER_INVALID = define(
    "log_answer_invalid",
    "unavailable",
    "The log at {url} gave an answer this client does not understand (HTTP {status}): {detail}.",
    "账本 {url} 的应答无法识别（HTTP {status}）：{detail}。",
)

Item = tuple[str, dict[str, Any], "str | None"]  # (type, data, idem)


# --- helpers ----------------------------------------------------------------------------------


def auto_idem(type_: str, data: dict[str, Any]) -> str:
    """The deterministic idem of an entry whose caller gave none: ``auto:`` + SHA-256 of
    ``JCS({"type", "data"})``. The same facts give the same idem, so a mistaken second submission
    is refused as ``idem_conflict`` rather than recorded twice."""
    digest = hashlib.sha256(canonical_bytes({"type": type_, "data": data})).hexdigest()
    return "auto:" + digest


def china_today() -> str:
    """Today's date in China Standard Time (the date the domain measures deadlines in)."""
    return now().astimezone(CHINA).date().isoformat()


def amount_text(value: str | int | Decimal, currency: str) -> str:
    """A money amount as the protocol writes it: a decimal string with exactly the currency's
    minor digits. Accepts such a string, a :class:`~decimal.Decimal` or an ``int`` of whole
    units; never a float (money is never binary floating point)."""
    currency = check_currency(currency)
    digits = CURRENCY_DIGITS[currency]
    if isinstance(value, bool) or isinstance(value, float):
        raise LedgerError(
            "amount_invalid", amount=value, currency=currency, detail="write it as a decimal string, not a float"
        )
    if isinstance(value, int):
        value = Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise LedgerError("amount_invalid", amount=str(value), currency=currency, detail="it is not a number")
        quantum = Decimal(1).scaleb(-digits)
        exact = value.quantize(quantum)
        if exact != value:
            raise LedgerError(
                "amount_invalid", amount=str(value), currency=currency, detail=f"it has more than {digits} decimals"
            )
        value = format(exact, "f")
    parse_amount(value, currency)  # exact digits, positive, bounded
    return value


# --- errors from a served log -------------------------------------------------------------------


_STATUS_KIND = {400: "invalid", 404: "not_found", 409: "conflict", 422: "refused", 403: "forbidden", 401: "forbidden"}


class RemoteError(LedgerError):
    """A refusal answered by a served log as RFC 9457 problem details.

    ``code`` is the problem's stable ``code``; the messages are the server's (English ``detail``,
    Chinese ``message_zh``), since the server may know codes this client does not. ``status`` is
    the HTTP status; for a refused batch, ``params["position"]`` names the entry and
    ``params["code"]`` its own refusal code, as :class:`LedgerError` from a local batch does.
    """

    def __init__(self, problem: dict[str, Any], status: int) -> None:  # no super().__init__: codes may be unknown here
        self.code = str(problem.get("code") or f"http_{status}")
        self.status = status
        self.kind = _STATUS_KIND.get(status, "unavailable")
        if self.kind not in KINDS:
            raise InvariantBroken("broken: self.kind in KINDS")
        params = problem.get("params")
        self.params = params if isinstance(params, dict) else {}
        self.message_en = str(problem.get("detail") or problem.get("title") or f"HTTP {status}")
        self.message_zh = str(problem.get("message_zh") or self.message_en)
        self.problem = problem
        Exception.__init__(self, f"[{self.code}] {self.message_en} / {self.message_zh}")


def refused_code(exc: LedgerError) -> str:
    """The code of the refusal itself: for a refused batch, the code of the refused entry."""
    if exc.code == "batch_entry_refused":
        inner = getattr(exc, "inner", None)
        if isinstance(inner, LedgerError):
            return inner.code
        return str(exc.params.get("code") or exc.code)
    return exc.code


def refused_position(exc: LedgerError) -> int | None:
    """For a refused batch, the position (0-based) of the refused entry; else None."""
    if exc.code != "batch_entry_refused":
        return None
    position = exc.params.get("position")
    return position if isinstance(position, int) and not isinstance(position, bool) else None


# --- sinks ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KnownEntry:
    """An entry already in the log, found by its signer and idem."""

    seq: int
    leaf_hash: str
    body: dict[str, Any]


Donor = tuple[dict[str, str], bytes]  # a donation's personal data and the salt of its commitment


class Sink(Protocol):
    """Where a client's signed entries go."""

    def append(self, entries: Sequence[SignedEntry]) -> list[AppendResult]:
        """Append at most 1,000 entries atomically; raise LedgerError on refusal."""
        ...

    def known(self, signers: Sequence[str], idems: Iterable[str]) -> dict[str, KnownEntry]:
        """Entries already signed by any of ``signers`` with one of ``idems``, by idem."""
        ...

    def fellow_signers(self, key_id: str) -> list[str]:
        """Keys of the same organisation and role as ``key_id`` (it included), revoked ones too."""
        ...

    def check(self, entries: Sequence[SignedEntry]) -> list[tuple[int, LedgerError]] | None:
        """Dry-run the domain rules on ``entries`` in order, writing nothing: the refusals by
        position. None when the sink cannot (over HTTP)."""
        ...

    def append_with_donors(
        self, entries: Sequence[SignedEntry], donors: Sequence[Donor | None], key: KeyPair
    ) -> tuple[list[AppendResult], list[bool]]:
        """Append entries atomically and hand each donation's personal data and salt (``donors``,
        position by position; None for entries without) to the donor store. Returns the
        results and, per entry, whether its donor data is now stored."""
        ...


class LocalSink:
    """Appends in-process to a :class:`~ledger.store.runtime.Ledger`."""

    def __init__(self, ledger: Any) -> None:
        self.ledger = ledger
        self._donors: Any = None

    @property
    def origin(self) -> str:
        return str(self.ledger.log.current_origin())  # the log being appended to, after any roll-over

    def append(self, entries: Sequence[SignedEntry], *, then: Any = None) -> list[AppendResult]:
        results: list[AppendResult] = self.ledger.log.append(list(entries), then=then)
        return results

    def known(self, signers: Sequence[str], idems: Iterable[str]) -> dict[str, KnownEntry]:
        wanted = sorted(set(idems))
        found: dict[str, KnownEntry] = {}
        if not wanted:
            return found
        with read_transaction(self.ledger.engine) as conn:
            # one signer at a time: "signer = ? AND idem IN (...)" is a range of the unique
            # (signer, idem) index; a row-value IN over both columns is not, on SQLite
            for signer in dict.fromkeys(signers):
                for start in range(0, len(wanted), 500):
                    rows = conn.execute(
                        select(LEAF.c.idem, LEAF.c.seq, LEAF.c.leaf_hash, LEAF.c.leaf)
                        .where(LEAF.c.signer == signer, LEAF.c.idem.in_(wanted[start : start + 500]))
                        .order_by(LEAF.c.seq)
                    )
                    for idem, seq, leaf_hash, leaf in rows:
                        found.setdefault(idem, KnownEntry(seq, leaf_hash, parse_leaf_json(bytes(leaf))["body"]))
        return found

    def fellow_signers(self, key_id: str) -> list[str]:
        table = table_for(KeyRow)
        with read_transaction(self.ledger.engine) as conn:
            me = conn.execute(select(table.c.role, table.c.org).where(table.c.key_id == key_id)).first()
            if me is None:
                return [key_id]
            others = conn.execute(
                select(table.c.key_id)
                .where(table.c.role == me.role, table.c.org == me.org)
                .order_by(table.c.granted_seq)
            ).scalars()
            return [key_id] + [k for k in others if k != key_id]

    def check(self, entries: Sequence[SignedEntry]) -> list[tuple[int, LedgerError]]:
        """Apply the domain's rules to ``entries`` on an overlay of the live projections, as if
        appended now in this order, and throw the overlay away. Entries refused here are
        left out of the simulation, so each refusal is reported once, on its own row."""
        problems: list[tuple[int, LedgerError]] = []
        log_time = format_time(now())
        with read_transaction(self.ledger.engine) as conn:
            head = self.ledger.log.head()
            overlay = domain.Overlay(SqlState(conn))
            seq = head.size  # in the log being appended to; the rules see chain positions
            for position, entry in enumerate(entries):
                fake_hash = hashlib.sha256(b"dry-run\n" + entry.body_bytes).hexdigest()
                try:
                    if domain.signer_public_key(overlay, entry, head.base + seq) is None:
                        raise LedgerError("unknown_signer", signer=entry.signer)
                    ctx = domain.AppendContext(head.base + seq, fake_hash, log_time, head.origin, seq)
                    domain.apply(overlay, ctx, entry)
                except LedgerError as exc:
                    problems.append((position, exc))
                    continue
                seq += 1
        return problems

    @property
    def donors(self) -> Any:
        """The ledger's :class:`~ledger.store.donors.DonorStore`."""
        if self._donors is None:
            self._donors = DonorStore(self.ledger.engine, load_privacy_key(self.ledger.settings))
        return self._donors

    def append_with_donors(
        self, entries: Sequence[SignedEntry], donors: Sequence[Donor | None], key: KeyPair
    ) -> tuple[list[AppendResult], list[bool]]:
        """In one transaction: the donor data commits with the entries or not at all, so a
        crash never leaves a commitment whose salt is lost."""
        stored: list[bool] = []

        def keep(conn: Any, results: list[AppendResult]) -> None:
            for result, donor in zip(results, donors, strict=True):
                if donor is not None and not result.existing:
                    self.donors.store(result.pos, donor[0], donor[1], conn=conn)  # by chain position
                stored.append(donor is not None and not result.existing)

        return self.append(entries, then=keep), stored


class HttpSink:
    """Submits to a served log over HTTP (the API of issue 4).

    Writes: ``POST {base}/api/v1/entries`` with ``{"body", "sig"}`` and
    ``POST {base}/api/v1/entries/batch`` with a JSON array of them. Successful answers (200 or
    201) are ``AppendResult`` JSON; a batch answers either a JSON array of them or
    ``{"size", "checkpoint", "items": [...]}`` (items without their own checkpoint). Errors are
    RFC 9457 problem details and raise :class:`RemoteError` with the problem's ``code``.

    A request that fails in transit (connection refused or reset, timeout) or is answered
    429/502/503/504 is sent again — the very same signed bytes, so the log's idempotency makes
    the retry safe — up to ``retries`` times, honouring ``Retry-After``.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout: float = 60.0,
        retries: int = 4,
        client: Any = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base = base_url.rstrip("/")
        self.retries = retries
        self.sleep = sleep
        headers = {"Accept": "application/json, application/problem+json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.http = client or httpx.Client(timeout=timeout)
        self.headers = headers

    # --- transport ----------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        url = self.base + path
        attempt = 0
        while True:
            try:
                response = self.http.request(method, url, headers=self.headers, **kwargs)
            except httpx.TransportError as exc:
                if attempt >= self.retries:
                    raise LedgerError(LOG_UNREACHABLE, url=self.base, detail=str(exc) or type(exc).__name__) from exc
                self.sleep(min(0.25 * 2**attempt, 5.0))
                attempt += 1
                continue
            if response.status_code in (429, 502, 503, 504) and attempt < self.retries:
                self.sleep(_retry_after(response, attempt))
                attempt += 1
                continue
            return response

    def _json(self, response: Any) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise LedgerError(
                LOG_ANSWER_INVALID, url=self.base, status=response.status_code, detail=response.text[:200]
            ) from exc

    def _raise_for(self, response: Any) -> None:
        if response.status_code in (200, 201):
            return
        try:
            problem = response.json()
        except ValueError:
            problem = None
        if not isinstance(problem, dict):
            raise LedgerError(
                LOG_ANSWER_INVALID, url=self.base, status=response.status_code, detail=response.text[:200]
            )
        raise RemoteError(problem, response.status_code)

    # --- the sink -----------------------------------------------------------------------------

    def origin(self) -> str:
        """The log's origin: the first line of its latest checkpoint."""
        response = self._request("GET", "/api/v1/log/checkpoint")
        self._raise_for(response)
        return str(response.text).split("\n", 1)[0].strip()

    def append(self, entries: Sequence[SignedEntry]) -> list[AppendResult]:
        if len(entries) == 1:
            response = self._request("POST", "/api/v1/entries", json=entries[0].to_json())
            self._raise_for(response)
            return [_append_result(self._json(response), None, self.base)]
        response = self._request("POST", "/api/v1/entries/batch", json=[e.to_json() for e in entries])
        self._raise_for(response)
        answer = self._json(response)
        if isinstance(answer, dict) and isinstance(answer.get("items"), list):
            items, checkpoint = answer["items"], answer.get("checkpoint")
        elif isinstance(answer, list):
            items, checkpoint = answer, None
        else:
            raise LedgerError(
                LOG_ANSWER_INVALID, url=self.base, status=response.status_code, detail="a batch answer is a list"
            )
        if len(items) != len(entries):
            raise LedgerError(
                LOG_ANSWER_INVALID,
                url=self.base,
                status=response.status_code,
                detail=f"{len(items)} results for {len(entries)} entries",
            )
        return [_append_result(item, checkpoint, self.base) for item in items]

    def known(self, signers: Sequence[str], idems: Iterable[str]) -> dict[str, KnownEntry]:
        """Pages through ``GET /api/v1/entries?signer=S`` (the entry list of issue 4, newest
        filters only) and keeps the entries whose ``leaf.body.idem`` is wanted."""
        wanted = set(idems)
        found: dict[str, KnownEntry] = {}
        for signer in dict.fromkeys(signers):
            cursor: str | None = None
            while wanted - found.keys():
                params: dict[str, Any] = {"signer": signer, "limit": 500}
                if cursor:
                    params["cursor"] = cursor
                response = self._request("GET", "/api/v1/entries", params=params)
                self._raise_for(response)
                page = self._json(response)
                for item in page.get("items", []):
                    leaf = item.get("leaf") or {}
                    body = leaf.get("body") or {}
                    idem = body.get("idem")
                    if idem in wanted and idem not in found and body.get("signer") == signer:
                        found[idem] = KnownEntry(item["seq"], item["leaf_hash"], body)
                cursor = page.get("next_cursor")
                if not cursor:
                    break
        return found

    def fellow_signers(self, key_id: str) -> list[str]:
        return [key_id]

    def check(self, entries: Sequence[SignedEntry]) -> None:
        return None

    def append_with_donors(
        self, entries: Sequence[SignedEntry], donors: Sequence[Donor | None], key: KeyPair
    ) -> tuple[list[AppendResult], list[bool]]:
        """The entries, then one ``POST /api/v1/donations/{id}/donor-data`` per new donation,
        signed by ``key``. If one of those fails, the caller still holds the salt (in the
        receipt) and can resend it with :meth:`store_donor_data`."""
        results = self.append(entries)
        stored = []
        for result, donor in zip(results, donors, strict=True):
            if donor is not None and not result.existing:
                self.store_donor_data(result.leaf_hash, donor[0], donor[1], key)
                stored.append(True)
            else:
                stored.append(False)
        return results, stored

    def store_donor_data(self, donation: str, personal: dict[str, str], salt: bytes, key: KeyPair) -> None:
        body = {
            "personal": personal,
            "salt": base64.b64encode(salt).decode("ascii"),
            "signer": key.id,
            "sig": base64.b64encode(key.sign(donor_data_message(donation, personal, salt))).decode("ascii"),
        }
        response = self._request("POST", f"/api/v1/donations/{donation}/donor-data", json=body)
        self._raise_for(response)


def _retry_after(response: Any, attempt: int) -> float:
    value = str(response.headers.get("Retry-After") or "")
    try:
        return min(max(float(value), 0.0), 30.0)
    except (TypeError, ValueError):
        return min(0.25 * 2.0**attempt, 5.0)


def _append_result(item: Any, checkpoint: str | None, url: str) -> AppendResult:
    try:
        proof = item["inclusion_proof"]
        return AppendResult(
            seq=int(item["seq"]),
            leaf_hash=str(item["leaf_hash"]),
            time=str(item["time"]),
            existing=bool(item.get("existing", False)),
            tree_size=int(proof["size"]),
            proof=list(proof["hashes"]),
            checkpoint=str(item.get("checkpoint") or checkpoint or ""),
            position=int(item.get("position", item["seq"])),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise LedgerError(LOG_ANSWER_INVALID, url=url, status=200, detail=f"an append result lacks {exc}") from exc


# --- the client -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DonationReceipt:
    """What :meth:`Client.record_donation` returns: ``str(receipt)`` is the receipt code.

    ``salt`` opens the donor commitment; with ``stored`` False (an :class:`HttpSink`) the caller
    must keep it (and the personal data) until the donor store has it, or the donor can never
    prove the donation.
    """

    code: str
    seq: int
    leaf_hash: str
    salt: bytes
    stored: bool
    result: AppendResult

    def __str__(self) -> str:
        return self.code


def donation_data(
    project: str,
    amount: str | int | Decimal,
    currency: str,
    *,
    commitment: str,
    receipt: str,
    received_on: str,
    channel: str,
    donor_type: str,
    restricted: bool,
    kind: str = "money",
    in_kind_description: str | None = None,
    receipt_no: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """The ``data`` of a ``donation.received`` entry (optional fields only when given).
    ``commitment`` and ``receipt`` come from :func:`~ledger.domain.privacy.donor_fields`."""
    data: dict[str, Any] = {
        "project": project,
        "currency": currency,
        "amount": amount_text(amount, currency),
        "kind": kind,
        "channel": channel,
        "donor_type": donor_type,
        "commitment": commitment,
        "receipt": receipt,
        "restricted": restricted,
        "received_on": received_on,
    }
    for name, value in (("in_kind_description", in_kind_description), ("receipt_no", receipt_no), ("note", note)):
        if value is not None:
            data[name] = value
    return data


class Client:
    """Signs entries with one actor key and submits them to a sink."""

    def __init__(self, key: KeyPair, origin: str, sink: Sink, *, clock: Callable[[], datetime] = now) -> None:
        self.key = key
        self.origin = origin
        self.sink = sink
        self.clock = clock

    # --- signing ------------------------------------------------------------------------------

    def sign(
        self, type_: str, data: dict[str, Any], idem: str | None = None, *, at: datetime | None = None
    ) -> SignedEntry:
        """A signed entry of this client's key, ``at`` = now unless given."""
        return sign_entry(
            self.key,
            make_body(self.origin, type_, self.key.id, at or self.clock(), idem or auto_idem(type_, data), data),
        )

    # --- submitting ---------------------------------------------------------------------------

    def submit(self, entries: Sequence[SignedEntry]) -> list[AppendResult]:
        """Submit signed entries in order, as batches of at most 1,000 (each batch atomic)."""
        out: list[AppendResult] = []
        for start in range(0, len(entries), MAX_BATCH):
            out += self.sink.append(entries[start : start + MAX_BATCH])
        return out

    def append(self, type_: str, data: dict[str, Any], idem: str | None = None) -> AppendResult:
        """Sign and append one entry."""
        return self.sink.append([self.sign(type_, data, idem)])[0]

    def append_batch(self, items: Sequence[Item]) -> list[AppendResult]:
        """Sign and append ``(type, data, idem)`` items in order. Each run of up to 1,000 is one
        atomic batch, signed just before it is sent (so ``at`` stays within the log's clock
        window however long the whole run takes). On a refusal, batches already sent stay
        written; the error names the refused entry's position within its batch."""
        out: list[AppendResult] = []
        for start in range(0, len(items), MAX_BATCH):
            chunk = items[start : start + MAX_BATCH]
            moment = self.clock()
            out += self.sink.append([self.sign(t, d, i, at=moment) for t, d, i in chunk])
        return out

    # --- donations ----------------------------------------------------------------------------

    def record_donation(
        self,
        project: str,
        amount: str | int | Decimal,
        currency: str = "CNY",
        *,
        received_on: str | None = None,
        channel: str = "bank_transfer",
        donor_type: str | None = None,
        restricted: bool = True,
        kind: str = "money",
        in_kind_description: str | None = None,
        receipt_no: str | None = None,
        note: str | None = None,
        personal: dict[str, str] | None = None,
        idem: str | None = None,
    ) -> DonationReceipt:
        """Record a ``donation.received`` and return the donor's receipt.

        ``personal`` (name, id_number, phone, address — all optional) never enters the log: the
        entry carries only ``commitment = donor_commitment(personal or {}, salt)`` with a fresh
        random salt, and ``receipt = receipt_commitment(salt)``, which the receipt code is checked
        against. ``donor_type`` defaults to ``individual`` with personal data and
        ``anonymous`` without. ``received_on`` defaults to today (China time).

        The personal data (``{}`` for an anonymous donor) and salt go to the encrypted donor
        store, so the receipt code can be looked up and the donor erased later: with a
        :class:`LocalSink` in the same transaction as the entry, with an :class:`HttpSink` by the
        signed donor-data request right after it.
        The default ``idem`` is ``donation:`` + the salt's hex: unique per call, so two equal
        gifts are two donations (retry by resending the same signed entry, not by calling again).
        """
        personal = dict(personal or {})
        salt = new_salt()
        data = donation_data(
            project,
            amount,
            currency,
            **donor_fields(personal, salt),
            received_on=received_on or china_today(),
            channel=channel,
            donor_type=donor_type or ("individual" if personal else "anonymous"),
            restricted=restricted,
            kind=kind,
            in_kind_description=in_kind_description,
            receipt_no=receipt_no,
            note=note,
        )
        entry = self.sign("donation.received", data, idem or "donation:" + salt.hex())
        (result,), (stored,) = self.sink.append_with_donors([entry], [(personal, salt)], self.key)
        # receipt codes and the site's /ledger/{n} name the entry's position in the chain of logs
        return DonationReceipt(
            format_receipt_code(result.pos, salt), result.pos, result.leaf_hash, salt, stored, result
        )


__all__ = [
    "Client",
    "DonationReceipt",
    "HttpSink",
    "KnownEntry",
    "LocalSink",
    "RemoteError",
    "Sink",
    "amount_text",
    "auto_idem",
    "china_today",
    "donation_data",
    "refused_code",
    "refused_position",
]
