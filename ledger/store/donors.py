"""The donor store: personal data and salts, encrypted, apart from the log, erasable.

Personal data (name, ID number, phone, address) and the commitment's salt are kept as one
Fernet token (AES-128-CBC with HMAC-SHA256, from ``cryptography``) per donation, keyed by the
donation's seq. The log holds only the salted commitment, so:

- storing checks that the data and salt open the commitment recorded in the log;
- a receipt code (seq + salt) finds the donation only if it proves itself
  (:func:`find_donation_by_receipt`): against the donation's ``receipt`` commitment in the log,
  or, for a donation recorded without one, against the salt this store still holds;
- erasing deletes the token (data and salt) for good; the log and its proofs are untouched, and
  a code checked against the log still works. :func:`erase_donor` (``charity-ledger donor
  erase``) also removes the files written with the donor's data (:mod:`.personal_files`) and
  the database's own leftovers of the token (:func:`scrub_database`).

The encryption key comes from ``CHARITY_LEDGER_PRIVACY_KEY`` or a key file in the data folder
(mode 0600), created on first use.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import BigInteger, Column, Connection, Engine, String, Text, select, update
from sqlmodel import Field, SQLModel

from ledger.domain.privacy import (
    ReceiptCode,
    check_personal_data,
    parse_receipt_code,
    receipt_matches,
    verify_commitment,
)
from ledger.domain.rows import DonationRow
from ledger.errors import LedgerError, define
from ledger.protocol.canonical import format_time, now, parse_json
from ledger.settings import Settings
from ledger.store.db import table_of
from ledger.store.imports import ORDER
from ledger.store.projection_tables import table_for
from ledger.store.tables import LEAF

DONOR_DATA_MISMATCH = define(
    "donor_data_mismatch",
    "refused",
    "The personal data and salt do not match the commitment recorded for donation {seq}.",
    "个人信息与盐值和捐赠 {seq} 在账本中记录的承诺值不一致。",
)
DONOR_DATA_EXISTS = define(
    "donor_data_exists",
    "conflict",
    "Personal data for donation {seq} is stored already.",
    "捐赠 {seq} 的个人信息已存储。",
)
DONOR_DATA_ERASED = define(
    "donor_data_erased",
    "not_found",
    "The personal data of donation {seq} was erased on {erased_at}.",
    "捐赠 {seq} 的个人信息已于 {erased_at} 删除。",
)
RECEIPT_NOT_FOUND = define(
    "receipt_not_found",
    "not_found",
    "No donation matches this receipt code. Check it against your receipt.",
    "没有与该收据码对应的捐赠，请对照收据核对。",
)
DONOR_DATA_SIGNER = define(
    "donor_data_signer_not_allowed",
    "forbidden",
    "The key {signer} may not hand in donor data for donation {seq}: only a live fundraiser or administrator key of {org} may.",
    "密钥 {signer} 无权提交捐赠 {seq} 的捐赠人信息：只有 {org} 未吊销的募集或管理员密钥可以提交。",
)
PRIVACY_KEY_INVALID = define(
    "privacy_key_invalid",
    "unavailable",
    "The donor data key cannot be used: {detail}.",
    "捐赠人信息密钥不可用：{detail}。",
)


class DonorPrivate(SQLModel, table=True):
    """One donation's personal data and salt, encrypted; ``token`` is NULL once erased."""

    __tablename__ = "donor_private"
    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    token: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    stored_at: str = Field(sa_column=Column(String(24), nullable=False))
    erased_at: str | None = Field(default=None, sa_column=Column(String(24), nullable=True))


TABLE = table_of(DonorPrivate)
DONATION = table_for(DonationRow)


def load_privacy_key(settings: Settings, *, create: bool = True) -> Fernet:
    if settings.privacy_key:
        try:
            return Fernet(settings.privacy_key.encode())
        except ValueError as exc:
            raise LedgerError(PRIVACY_KEY_INVALID, detail="CHARITY_LEDGER_PRIVACY_KEY is not a Fernet key") from exc
    path: Path = settings.privacy_key_path
    if path.exists():
        if path.stat().st_mode & 0o077:
            raise LedgerError(PRIVACY_KEY_INVALID, detail=f"{path} is readable by others; run chmod 600")
        return Fernet(path.read_bytes().strip())
    if not create:
        raise LedgerError(PRIVACY_KEY_INVALID, detail=f"{path} does not exist")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(Fernet.generate_key())
    return Fernet(path.read_bytes().strip())


@dataclass(frozen=True, slots=True)
class DonorRecord:
    seq: int
    personal: dict[str, str] | None  # None once erased
    salt: bytes | None
    stored_at: str
    erased_at: str | None


class DonorStore:
    def __init__(self, engine: Engine, fernet: Fernet) -> None:
        self.engine = engine
        self.fernet = fernet

    def _donation(self, conn: Any, seq: int) -> dict[str, Any]:
        row = conn.execute(select(DONATION).where(DONATION.c.seq == seq)).mappings().first()
        if row is None:
            raise LedgerError("not_found", what="donation", what_zh="捐赠", ref=f"seq {seq}")
        return dict(row)

    def store(self, seq: int, personal: dict[str, str], salt: bytes, *, conn: Connection | None = None) -> None:
        """Keep a donation's personal data; it must open the commitment in the log. With
        ``conn``, inside that transaction (the one appending the donation, say)."""
        personal = check_personal_data(personal)
        if conn is None:
            with self.engine.begin() as own:
                self._store(own, seq, personal, salt)
        else:
            self._store(conn, seq, personal, salt)

    def _store(self, conn: Connection, seq: int, personal: dict[str, str], salt: bytes) -> None:
        donation = self._donation(conn, seq)
        if not verify_commitment(donation["commitment"], personal, salt):
            raise LedgerError(DONOR_DATA_MISMATCH, seq=seq)
        if conn.execute(select(TABLE.c.seq).where(TABLE.c.seq == seq)).first() is not None:
            raise LedgerError(DONOR_DATA_EXISTS, seq=seq)
        payload = json.dumps({"personal": personal, "salt": base64.b64encode(salt).decode()}, ensure_ascii=False)
        token = self.fernet.encrypt(payload.encode("utf-8")).decode("ascii")
        conn.execute(TABLE.insert().values(seq=seq, token=token, stored_at=format_time(now())))

    def store_signed(
        self, donation_id: str, personal: dict[str, str], salt: bytes, signer: str, signature: bytes
    ) -> int:
        """Keep personal data handed in over the network: signed (donor_data_message) by a live
        fundraiser or org_admin key of the organisation that recorded the donation. Returns the seq."""
        from ledger.domain.privacy import donor_data_message
        from ledger.domain.rows import KeyRow
        from ledger.protocol.keys import load_public, unb64, verify

        keys = table_for(KeyRow)
        with self.engine.connect() as conn:
            donation = conn.execute(select(DONATION).where(DONATION.c.id == donation_id)).mappings().first()
            key = conn.execute(select(keys).where(keys.c.key_id == signer)).mappings().first()
        if donation is None:
            raise LedgerError("not_found", what="donation", what_zh="捐赠", ref=donation_id)
        seq, org = donation["seq"], donation["fundraiser_org"]
        if (
            key is None
            or key["org"] != org
            or key["role"] not in ("fundraiser", "org_admin")
            or key["revoked_seq"] is not None
        ):
            raise LedgerError(DONOR_DATA_SIGNER, signer=signer, seq=seq, org=org)
        message = donor_data_message(donation_id, personal, salt)
        if not verify(load_public(unb64(key["public_key"], length=32)), signature, message):
            raise LedgerError("bad_signature", signer=signer)
        self.store(seq, personal, salt)
        return int(seq)

    def get(self, seq: int) -> DonorRecord:
        with self.engine.connect() as conn:
            row = conn.execute(select(TABLE).where(TABLE.c.seq == seq)).mappings().first()
        if row is None:
            raise LedgerError("not_found", what="donor record", what_zh="捐赠人记录", ref=f"seq {seq}")
        if row["token"] is None:
            return DonorRecord(seq, None, None, row["stored_at"], row["erased_at"])
        try:
            payload = json.loads(self.fernet.decrypt(row["token"].encode("ascii")))
        except InvalidToken as exc:
            raise LedgerError(PRIVACY_KEY_INVALID, detail="the stored data does not open with this key") from exc
        return DonorRecord(seq, payload["personal"], base64.b64decode(payload["salt"]), row["stored_at"], None)

    def find_by_receipt(self, code: str) -> tuple[ReceiptCode, dict[str, Any]]:
        """The public donation row a receipt code names, once the code has proved itself (see
        :func:`find_donation_by_receipt`); ``receipt_not_found`` otherwise."""
        return find_donation_by_receipt(self.engine, code, self)

    def holds_salt(self, seq: int, salt: bytes) -> bool:
        """Whether this store still holds ``salt`` for donation ``seq`` (compared in constant
        time); False once erased or never stored."""
        try:
            record = self.get(seq)
        except LedgerError as exc:
            if exc.code != "not_found":
                raise
            return False
        return record.salt is not None and hmac.compare_digest(record.salt, salt)

    def erase(self, seq: int) -> str:
        """Remove the personal data and salt of a donation from the table; returns the erasure
        time. (SQLite connections run with ``secure_delete``, so the old row's bytes are zeroed
        in its page; :func:`erase_donor` also clears the WAL and, on PostgreSQL, the dead row.)"""
        with self.engine.begin() as conn:
            row = conn.execute(select(TABLE).where(TABLE.c.seq == seq)).mappings().first()
            if row is None:
                raise LedgerError("not_found", what="donor record", what_zh="捐赠人记录", ref=f"seq {seq}")
            if row["token"] is None:
                raise LedgerError(DONOR_DATA_ERASED, seq=seq, erased_at=row["erased_at"])
            when = format_time(now())
            conn.execute(update(TABLE).where(TABLE.c.seq == seq).values(token=None, erased_at=when))
            conn.execute(ORDER.delete().where(ORDER.c.seq == seq))  # the payment's order number goes too
        return when


def find_donation_by_receipt(
    engine: Engine, code: str, store: DonorStore | None = None
) -> tuple[ReceiptCode, dict[str, Any]]:
    """The public donation row a receipt code names, if the code proves it holds the donation's
    secret; else ``receipt_not_found``, the same answer as for a seq with no donation, so a code
    made up from a public seq and the public check formula learns nothing.

    The proof is against the log: the ``donation.received`` leaf at the code's seq carries
    ``receipt`` = hash of the salt, and the code's salt must hash to it (constant-time compare).
    This holds with or without a donor record, and after erasure. A donation recorded without
    that field (before it existed) can be found only while ``store`` holds its salt.
    """
    receipt = parse_receipt_code(code)
    donation, committed = _donation_and_receipt(engine, receipt.seq)
    if committed is not None:
        proved = receipt_matches(committed, receipt.salt)
    else:
        proved = store is not None and store.holds_salt(receipt.seq, receipt.salt)
    if not proved:
        raise LedgerError(RECEIPT_NOT_FOUND)
    return receipt, donation


def find_donation_by_receipt_hash(engine: Engine, seq: int, receipt: str) -> dict[str, Any]:
    """The public donation row at ``seq`` when ``receipt`` is its ``data.receipt`` (the hash of
    the salt, which the holder of the code computes: the code itself never travels); else
    ``receipt_not_found``, as for a wrong code. A donation recorded without that field can only
    be looked up with its code (:func:`find_donation_by_receipt`)."""
    donation, committed = _donation_and_receipt(engine, seq)
    if not isinstance(committed, str) or not hmac.compare_digest(committed.encode(), receipt.encode()):
        raise LedgerError(RECEIPT_NOT_FOUND)
    return donation


def _donation_and_receipt(engine: Engine, seq: int) -> tuple[dict[str, Any], Any]:
    """The donation row at ``seq`` and its leaf's ``data.receipt`` (None when the entry has
    none); ``receipt_not_found`` when there is no donation there."""
    with engine.connect() as conn:
        donation = conn.execute(select(DONATION).where(DONATION.c.seq == seq)).mappings().first()
        leaf = conn.execute(
            select(LEAF.c.leaf).where(LEAF.c.seq == seq, LEAF.c.type == "donation.received")
        ).scalar_one_or_none()
    if donation is None or leaf is None:
        raise LedgerError(RECEIPT_NOT_FOUND)
    return dict(donation), parse_json(bytes(leaf))["body"]["data"].get("receipt")


# --- erasure that erases --------------------------------------------------------------------------


def scrub_database(engine: Engine, *, vacuum: bool = False) -> dict[str, Any]:
    """Remove the database's own copies of erased rows (run after :meth:`DonorStore.erase`).

    SQLite: every connection runs with ``PRAGMA secure_delete=ON`` (:func:`ledger.store.db.make_engine`),
    so the update zeroed the old token in its page; ``wal_checkpoint(TRUNCATE)`` then copies the
    pages into the database file and empties the ``-wal`` file, which still held earlier
    versions of the page. A reader of another process can hold the checkpoint back: the result
    says so (``wal_truncated: false``); run the erase again once it is gone.

    PostgreSQL: an UPDATE leaves the old row version in the table file until it is vacuumed;
    ``VACUUM (FULL) donor_private`` rewrites the table into a new file and drops the old one
    (it locks only that table, for a time proportional to its size; docs/operations.md).

    ``vacuum`` (SQLite): rebuild the whole file first (``VACUUM``), for a database that ran
    without ``secure_delete`` before (free space may hold rows erased back then).
    """
    name = engine.dialect.name
    if name == "sqlite":
        raw = engine.raw_connection()
        try:
            driver: Any = raw.driver_connection
            if vacuum:
                driver.execute("VACUUM")
            busy, frames, done = driver.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            raw.close()
        out = {"database": "sqlite", "wal_truncated": busy == 0, "wal_frames": frames, "checkpointed": done}
        if vacuum:
            out["vacuumed"] = True
        return out
    if name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"VACUUM (FULL) {TABLE.name}")
        return {"database": "postgresql", "vacuum_full": TABLE.name}
    return {"database": name}


DEMO_RECEIPTS = "demo-receipts.txt"


def _scrub_demo_receipts(settings: Settings, seq: int) -> list[str]:
    """Drop the donation's line from the demo's receipt list (it names the donor)."""
    from ledger.store.personal_files import write_private

    path = settings.home / DEMO_RECEIPTS
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = []
    for line in lines:
        code = line.split("\t", 1)[0].strip()
        try:
            mine = not line.startswith("#") and parse_receipt_code(code).seq == seq
        except LedgerError:
            mine = False
        if not mine:
            kept.append(line)
    if len(kept) == len(lines):
        return []
    write_private(path, "".join(kept).encode("utf-8"))
    return [f"{path} (one line)"]


@dataclass(frozen=True, slots=True)
class Erasure:
    """What :func:`erase_donor` removed."""

    seq: int
    erased_at: str
    already_erased: bool
    files: tuple[str, ...]
    database: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "erased_at": self.erased_at,
            "already_erased": self.already_erased,
            "files_removed": list(self.files),
            "database": self.database,
        }


def erase_donor(
    store: DonorStore, settings: Settings, seq: int, *, more_files: Any = None, vacuum: bool = False
) -> Erasure:
    """Erase every copy of a donation's personal data this registry holds: the donor store's
    row, the files noted for it (:mod:`.personal_files`: personal receipts, the API's report
    jobs), its line in the demo receipt list, ``more_files(seq)`` (a callable returning the
    paths it removed: the report jobs' own sweep), and the database's leftovers
    (:func:`scrub_database`; ``vacuum``: the whole SQLite file rebuilt too). The log is
    untouched: it never held personal data.

    Run again on an erased donation, it removes what is left (after a crash, say) and reports
    ``already_erased``."""
    from ledger.store.personal_files import erase_files

    already = False
    try:
        when = store.erase(seq)
    except LedgerError as exc:
        if exc.code != DONOR_DATA_ERASED:
            raise
        already, when = True, str(exc.params.get("erased_at"))
    files = list(erase_files(settings, seq))
    files += _scrub_demo_receipts(settings, seq)
    if more_files is not None:
        files += list(more_files(seq))
    database = scrub_database(store.engine, vacuum=vacuum)
    return Erasure(seq, when, already, tuple(files), database)
