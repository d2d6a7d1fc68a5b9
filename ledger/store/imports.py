"""The import wizard's working tables (issue 14, item 5): statements prepared for signing, the
column mapping each organisation chose for a statement layout, and the payment platforms' order
numbers of imported donations (for the donor's look-up on ``/verify``).

- ``workbench_import``: one uploaded statement between preview and commit: the bodies the
  browser signs (public data only) and, encrypted with the donor store's key, each donation's
  personal data, salt and order number. Committing appends the signed entries and keeps the
  personal data in the donor store in the same transaction, then forgets the encrypted copy.
- ``workbench_import_mapping``: per organisation and header layout (SHA-256 of the header
  row's cells), the meaning the person gave each column; the next statement of that layout is
  read with it.
- ``donor_order``: HMAC-SHA256 (keyed from the donor data key) of a platform order number ->
  the donation's seq (erasing the donor's data removes it too). The order number itself is kept nowhere in clear, never in the log.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import BigInteger, Column, Connection, Engine, Integer, String, Text, select, update
from sqlmodel import Field, SQLModel

from ledger.domain import codes as C
from ledger.errors import InvariantBroken, LedgerError, define
from ledger.protocol.canonical import format_time, now
from ledger.settings import Settings
from ledger.store.db import read_transaction, table_of, write_transaction

ORDER_PREFIX = b"charity-ledger/order-lookup/v1\n"
ORDER_NOT_FOUND = define(
    "order_not_found",
    "not_found",
    "No donation recorded here was paid with this order number. Check it in your payment app, or ask the charity for your receipt code.",
    "本站没有用该订单号支付的捐赠记录。请在支付应用中核对订单号，或向慈善组织索取捐赠码。",
)


class WorkbenchImport(SQLModel, table=True):
    __tablename__ = "workbench_import"
    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    org: str = Field(sa_column=Column(String(18), nullable=False, index=True))
    created_by: str = Field(sa_column=Column(String(100), nullable=False))
    created_at: str = Field(sa_column=Column(String(24), nullable=False))
    file_name: str = Field(sa_column=Column(String(200), nullable=False))
    file_sha256: str = Field(sa_column=Column(String(64), nullable=False))
    status: str = Field(sa_column=Column(String(12), nullable=False))  # prepared / committed
    bodies_json: str = Field(sa_column=Column(Text, nullable=False))
    private_token: str = Field(sa_column=Column(Text, nullable=False))  # Fernet; "" once committed
    preview_json: str = Field(sa_column=Column(Text, nullable=False))
    committed_at: str | None = Field(default=None, sa_column=Column(String(24), nullable=True))


class WorkbenchImportMapping(SQLModel, table=True):
    __tablename__ = "workbench_import_mapping"
    org: str = Field(sa_column=Column(String(18), primary_key=True))
    layout: str = Field(sa_column=Column(String(64), primary_key=True))
    columns_json: str = Field(sa_column=Column(Text, nullable=False))
    preset: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    set_by: str = Field(sa_column=Column(String(100), nullable=False))
    set_at: str = Field(sa_column=Column(String(24), nullable=False))


class DonorOrder(SQLModel, table=True):
    __tablename__ = "donor_order"
    digest: str = Field(sa_column=Column(String(64), primary_key=True))
    seq: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))


IMPORT = table_of(WorkbenchImport)
MAPPING = table_of(WorkbenchImportMapping)
ORDER = table_of(DonorOrder)


@dataclass(frozen=True, slots=True)
class PendingImport:
    id: int
    org: str
    created_by: str
    file_name: str
    file_sha256: str
    status: str
    bodies: list[dict[str, Any]]
    private: list[dict[str, Any] | None]  # per body: {"personal", "salt", "order"} or None
    preview: dict[str, Any]


def _refused(detail: str, detail_zh: str) -> LedgerError:
    return LedgerError(
        C.DRAFT_REFUSED, draft="(import)", action="committed", action_zh="提交", detail=detail, detail_zh=detail_zh
    )


def save_pending(
    engine: Engine,
    fernet: Fernet,
    *,
    org: str,
    login: str,
    file_name: str,
    file_sha256: str,
    bodies: list[dict[str, Any]],
    private: list[dict[str, Any] | None],
    preview: dict[str, Any],
) -> int:
    token = fernet.encrypt(json.dumps(private, ensure_ascii=False).encode("utf-8")).decode("ascii")
    with write_transaction(engine) as conn:
        inserted = conn.execute(
            IMPORT.insert().values(
                org=org,
                created_by=login,
                created_at=format_time(now()),
                file_name=file_name[:200],
                file_sha256=file_sha256,
                status="prepared",
                bodies_json=json.dumps(bodies, ensure_ascii=False),
                private_token=token,
                preview_json=json.dumps(preview, ensure_ascii=False),
            )
        ).inserted_primary_key
    if inserted is None:
        raise InvariantBroken("the import's insert gave no id")
    return int(inserted[0])


def load_pending(engine: Engine, fernet: Fernet, import_id: int, org: str) -> PendingImport:
    with read_transaction(engine) as conn:
        row = conn.execute(select(IMPORT).where(IMPORT.c.id == import_id, IMPORT.c.org == org)).mappings().first()
    if row is None:
        raise LedgerError("not_found", what="import", what_zh="导入", ref=str(import_id))
    private = json.loads(fernet.decrypt(row["private_token"].encode("ascii"))) if row["private_token"] else []
    return PendingImport(
        id=row["id"],
        org=row["org"],
        created_by=row["created_by"],
        file_name=row["file_name"],
        file_sha256=row["file_sha256"],
        status=row["status"],
        bodies=json.loads(row["bodies_json"]),
        private=private,
        preview=json.loads(row["preview_json"]),
    )


def mark_committed(conn: Connection, import_id: int, preview: dict[str, Any]) -> None:
    """Inside the append's transaction: committed once, the encrypted personal copy dropped
    (the donor store holds it now), ``preview`` (with the donations' seqs) kept."""
    done = conn.execute(
        update(IMPORT)
        .where(IMPORT.c.id == import_id, IMPORT.c.status == "prepared")
        .values(
            status="committed",
            private_token="",
            committed_at=format_time(now()),
            preview_json=json.dumps(preview, ensure_ascii=False),
        )
    )
    if done.rowcount != 1:
        raise _refused("this import was committed already", "该导入已提交")


def layout_of(header: list[str]) -> str:
    """The layout key of a header row: SHA-256 of its trimmed cells."""
    return hashlib.sha256(json.dumps([h.strip() for h in header], ensure_ascii=False).encode("utf-8")).hexdigest()


def remember_mapping(
    engine: Engine, *, org: str, layout: str, columns: dict[str, str], preset: str | None, login: str
) -> None:
    with write_transaction(engine) as conn:
        conn.execute(MAPPING.delete().where(MAPPING.c.org == org, MAPPING.c.layout == layout))
        conn.execute(
            MAPPING.insert().values(
                org=org,
                layout=layout,
                columns_json=json.dumps(columns, ensure_ascii=False, sort_keys=True),
                preset=preset,
                set_by=login,
                set_at=format_time(now()),
            )
        )


def mapping_for(engine: Engine, org: str, layout: str) -> tuple[dict[str, str], str | None] | None:
    with read_transaction(engine) as conn:
        row = conn.execute(select(MAPPING).where(MAPPING.c.org == org, MAPPING.c.layout == layout)).mappings().first()
    if row is None:
        return None
    return json.loads(row["columns_json"]), row["preset"]


def order_key(settings: Settings) -> bytes:
    """The HMAC key of order numbers, derived from the donor data key (env or key file)."""
    material = settings.privacy_key.encode() if settings.privacy_key else settings.privacy_key_path.read_bytes().strip()
    return hashlib.sha256(ORDER_PREFIX + material).digest()


def order_digest(key: bytes, order_no: str) -> str:
    """Platform order numbers are unique at the platform: the digest needs no organisation."""
    return hmac.new(key, order_no.strip().encode("utf-8"), hashlib.sha256).hexdigest()


def keep_order(conn: Connection, key: bytes, order_no: str, seq: int) -> None:
    digest = order_digest(key, order_no)
    if conn.execute(select(ORDER.c.seq).where(ORDER.c.digest == digest)).first() is None:
        conn.execute(ORDER.insert().values(digest=digest, seq=seq))


def find_order(engine: Engine, key: bytes, order_no: str) -> int | None:
    """The seq of the donation paid with ``order_no``, if a statement recorded it."""
    if not order_no.strip() or len(order_no) > 128:
        return None
    with read_transaction(engine) as conn:
        value = conn.execute(select(ORDER.c.seq).where(ORDER.c.digest == order_digest(key, order_no))).scalar()
    return None if value is None else int(value)


__all__ = [
    "ORDER_NOT_FOUND",
    "DonorOrder",
    "PendingImport",
    "WorkbenchImport",
    "WorkbenchImportMapping",
    "find_order",
    "keep_order",
    "layout_of",
    "load_pending",
    "mapping_for",
    "mark_committed",
    "order_digest",
    "order_key",
    "remember_mapping",
    "save_pending",
]
