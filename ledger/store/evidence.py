"""The evidence store: invoices, contracts, photos and disclosures behind entries, by SHA-256.

A file is named by the lowercase hex SHA-256 of the bytes the public can fetch
(``GET /evidence/{sha256}``), which is the hash an entry's ``evidence`` list should name. For
PDF and text that is the file as uploaded; an image is kept as the copy cleaned of its metadata
(:mod:`ledger.store.evidence_content`), so its name is the hash of the cleaned copy, which the
upload answers (``original_sha256`` in the table keeps the hash of what was sent).

The bytes live in a backend (:class:`DiskBackend`, a folder of the data folder, by default;
:class:`S3Backend` for an S3-compatible object store); what is known about each file (size,
media type, visibility, who uploaded it and when) in the table ``evidence_file``. The bytes are
written first and the row second: a crash in between leaves an unnamed blob that is never
served (only files with a row are), and the next upload of the same file completes it.

Settings (read from the environment, like :mod:`ledger.settings`):

| variable | default | meaning |
|---|---|---|
| CHARITY_LEDGER_EVIDENCE_URL | ``<data folder>/evidence`` | a folder, or ``s3://bucket/prefix`` |
| CHARITY_LEDGER_EVIDENCE_S3_ENDPOINT | (the provider's) | endpoint URL of an S3-compatible store |
| CHARITY_LEDGER_EVIDENCE_S3_REGION | (boto3's) | region name |
| CHARITY_LEDGER_EVIDENCE_MAX_BYTES | 20971520 (20 MiB) | the largest file accepted |

Object store credentials come from boto3's own chain (``AWS_ACCESS_KEY_ID`` and
``AWS_SECRET_ACCESS_KEY``, a profile, or an instance role).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import BigInteger, Column, Engine, Index, String, insert, select, update
from sqlmodel import Field, SQLModel

from ledger.domain.rows import KeyRow, OrgRow
from ledger.errors import LedgerError
from ledger.protocol.canonical import format_time, now
from ledger.protocol.keys import b64, load_public, unb64, verify
from ledger.store import evidence_content as content
from ledger.store.db import table_of
from ledger.store.projection_tables import table_for

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
VISIBILITIES = ("public", "restricted")
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
UPLOAD_CONTEXT = b"charity-ledger/evidence/v1\n"
SIGNATURE_HEADER = "X-Evidence-Signature"


class EvidenceFile(SQLModel, table=True):
    __tablename__ = "evidence_file"
    __table_args__ = (Index("ix_evidence_file_original_sha256", "original_sha256"),)
    sha256: str = Field(sa_column=Column(String(64), primary_key=True))  # of the bytes served
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    media_type: str = Field(sa_column=Column(String(100), nullable=False))
    visibility: str = Field(sa_column=Column(String(10), nullable=False))  # public | restricted
    original_sha256: str = Field(sa_column=Column(String(64), nullable=False))  # of the bytes uploaded
    uploaded_by: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))  # key id; None: the CLI
    uploaded_at: str = Field(sa_column=Column(String(24), nullable=False))  # RFC 3339 UTC ms


TABLE = table_of(EvidenceFile)  # created by the store's migrations


@dataclass(frozen=True, slots=True)
class StoredEvidence:
    sha256: str
    size: int
    media_type: str
    visibility: str
    original_sha256: str
    uploaded_by: str | None
    uploaded_at: str

    @property
    def public(self) -> bool:
        return self.visibility == "public"

    def answer(self) -> dict[str, Any]:
        """The upload's answer (DESIGN section 8)."""
        return {"sha256": self.sha256, "size": self.size, "media_type": self.media_type, "visibility": self.visibility}


def check_hash(value: object) -> str:
    if not isinstance(value, str) or not SHA256_HEX.match(value):
        raise LedgerError("evidence_hash_invalid", value=str(value)[:80])
    return value


def check_visibility(value: object) -> str:
    if value not in VISIBILITIES:
        raise LedgerError("evidence_visibility_invalid", value=str(value)[:40])
    return str(value)


def max_bytes_from_env(env: dict[str, str] | None = None) -> int:
    value = (os.environ if env is None else env).get("CHARITY_LEDGER_EVIDENCE_MAX_BYTES", "")
    return int(value) if value.strip().isdigit() and int(value) > 0 else DEFAULT_MAX_BYTES


# --- backends ---------------------------------------------------------------------------------


class Backend(Protocol):
    def put(self, sha256: str, data: bytes, media_type: str) -> None:
        """Keep ``data`` under ``sha256`` (idempotent: an existing copy is kept)."""

    def put_many(self, items: list[tuple[str, bytes, str]], *, durable: bool = True) -> None:
        """:meth:`put` for several ``(sha256, data, media_type)``; ``durable=False`` leaves the
        flush to disk to the caller (a bulk load that syncs once at its end)."""

    def get(self, sha256: str) -> bytes | None:
        """The bytes kept under ``sha256``, or None."""

    def describe(self) -> str: ...


def _relative(sha256: str) -> str:
    return f"{sha256[:2]}/{sha256[2:]}"


class DiskBackend:
    """Files ``<root>/ab/cdef…`` (mode 0600 in folders 0700), written to a temporary file in the
    same folder, flushed to disk and renamed into place, so a reader never sees half a file."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def describe(self) -> str:
        return str(self.root)

    def _path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:]

    def put(self, sha256: str, data: bytes, media_type: str) -> None:
        self.put_many([(sha256, data, media_type)])

    def put_many(self, items: list[tuple[str, bytes, str]], *, durable: bool = True) -> None:
        folders: set[Path] = set()
        for sha256, data, _media_type in items:
            path = self._path(sha256)
            if path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == sha256:
                continue
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            path.parent.mkdir(mode=0o700, exist_ok=True)
            tmp = path.parent / f".{sha256[2:18]}.{secrets.token_hex(6)}.tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                    f.flush()
                    if durable:
                        os.fdatasync(f.fileno())
                os.replace(tmp, path)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            folders.add(path.parent)
        for folder in sorted(folders) if durable else ():  # the renames are durable once their folders are
            dir_fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    def get(self, sha256: str) -> bytes | None:
        try:
            return self._path(sha256).read_bytes()
        except FileNotFoundError:
            return None


class S3Backend:
    """Objects ``<prefix>/ab/cdef…`` in a bucket of an S3-compatible store (boto3)."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        client: Any = None,
        endpoint_url: str | None = None,
        region: str | None = None,
    ) -> None:
        if client is None:
            import boto3  # lazy: boto3 comes with the optional "s3" extra, needed only for an S3 store

            client = boto3.client("s3", endpoint_url=endpoint_url or None, region_name=region or None)
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def _key(self, sha256: str) -> str:
        return f"{self.prefix}/{_relative(sha256)}" if self.prefix else _relative(sha256)

    def put(self, sha256: str, data: bytes, media_type: str) -> None:
        # lazy: botocore comes with the optional "s3" extra (see __init__)
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            if self._exists(sha256):
                return
            self.client.put_object(Bucket=self.bucket, Key=self._key(sha256), Body=data, ContentType=media_type)
        except (BotoCoreError, ClientError) as exc:
            raise LedgerError("evidence_store_unavailable", sha256=sha256) from exc

    def put_many(self, items: list[tuple[str, bytes, str]], *, durable: bool = True) -> None:
        for sha256, data, media_type in items:
            self.put(sha256, data, media_type)

    def _exists(self, sha256: str) -> bool:
        # lazy: botocore comes with the optional "s3" extra (see __init__)
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(sha256))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def get(self, sha256: str) -> bytes | None:
        # lazy: botocore comes with the optional "s3" extra (see __init__)
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(sha256))
            data: bytes = answer["Body"].read()
            return data
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise LedgerError("evidence_store_unavailable", sha256=sha256) from exc
        except BotoCoreError as exc:
            raise LedgerError("evidence_store_unavailable", sha256=sha256) from exc


def backend_from_env(home: Path, env: dict[str, str] | None = None) -> Backend:
    """The backend the settings name (see the module docstring)."""
    env = dict(os.environ if env is None else env)
    url = env.get("CHARITY_LEDGER_EVIDENCE_URL", "").strip()
    if url.startswith("s3://"):
        bucket, _, prefix = url[len("s3://") :].partition("/")
        return S3Backend(
            bucket,
            prefix,
            endpoint_url=env.get("CHARITY_LEDGER_EVIDENCE_S3_ENDPOINT"),
            region=env.get("CHARITY_LEDGER_EVIDENCE_S3_REGION"),
        )
    if url.startswith("file://"):
        url = url[len("file://") :]
    return DiskBackend(Path(url) if url else Path(home) / "evidence")


# --- the store --------------------------------------------------------------------------------


class EvidenceStore:
    """Files by SHA-256 with their metadata: :meth:`add` checks and keeps, :meth:`read` serves."""

    def __init__(self, engine: Engine, backend: Backend, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.engine = engine
        self.backend = backend
        self.max_bytes = max_bytes

    def add(
        self,
        data: bytes,
        visibility: str,
        *,
        filename: str | None = None,
        uploaded_by: str | None = None,
        at: datetime | None = None,
    ) -> tuple[StoredEvidence, bool]:
        """Check ``data``, keep the copy the public gets, and record it; the record and whether it
        is new. Idempotent: the same file again answers the stored record (a restricted file sent
        again as public becomes public; a public one cannot become restricted)."""
        return self.add_many([(data, visibility, filename)], uploaded_by=uploaded_by, at=at)[0]

    def add_many(
        self,
        files: Iterable[tuple[bytes, str, str | None]],
        *,
        uploaded_by: str | None = None,
        at: datetime | None = None,
        durable: bool = True,
    ) -> list[tuple[StoredEvidence, bool]]:
        """:meth:`add` for several ``(data, visibility, filename)`` at once: every file is checked
        before anything is kept, and the records are written in one transaction."""
        checked: list[tuple[str, content.Checked, str, str]] = []
        for data, visibility, filename in files:
            visibility = check_visibility(visibility)
            if len(data) > self.max_bytes:
                raise LedgerError("evidence_too_large", limit=self.max_bytes)
            kept = content.check(data, filename)
            checked.append((hashlib.sha256(kept.data).hexdigest(), kept, visibility, hashlib.sha256(data).hexdigest()))
        held = self.info_many(sha for sha, *_ in checked)
        for sha, _kept, visibility, _original in checked:
            existing = held.get(sha)
            if existing is not None and existing.public and visibility == "restricted":
                raise LedgerError("evidence_visibility_conflict", sha256=sha)
        self.backend.put_many([(sha, kept.data, kept.media_type) for sha, kept, _, _ in checked], durable=durable)
        stamp = format_time(at or now())
        new: dict[str, dict[str, Any]] = {}
        publish: set[str] = set()
        with self.engine.begin() as conn:
            wanted = sorted({sha for sha, *_ in checked})
            found: dict[str, str] = {
                row.sha256: row.visibility
                for row in conn.execute(select(TABLE.c.sha256, TABLE.c.visibility).where(TABLE.c.sha256.in_(wanted)))
            }
            for sha, kept, visibility, original in checked:
                if sha not in found and sha not in new:
                    new[sha] = {
                        "sha256": sha,
                        "size": len(kept.data),
                        "media_type": kept.media_type,
                        "visibility": visibility,
                        "original_sha256": original,
                        "uploaded_by": uploaded_by,
                        "uploaded_at": stamp,
                    }
                elif visibility == "public" and sha in new:
                    new[sha]["visibility"] = "public"
                elif visibility == "public" and found.get(sha) == "restricted":
                    publish.add(sha)
            if new:
                conn.execute(insert(TABLE), list(new.values()))
            if publish:
                conn.execute(update(TABLE).where(TABLE.c.sha256.in_(sorted(publish))).values(visibility="public"))
        created = set(new)
        stored = self.info_many(sha for sha, *_ in checked)
        return [(stored[sha], sha in created) for sha, *_ in checked]

    def info(self, sha256: str) -> StoredEvidence | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(TABLE).where(TABLE.c.sha256 == sha256)).mappings().first()
        return None if row is None else StoredEvidence(**dict(row))

    def info_many(self, hashes: Iterable[str]) -> dict[str, StoredEvidence]:
        """What is held of ``hashes`` (malformed ones are skipped)."""
        wanted = sorted({h for h in hashes if isinstance(h, str) and SHA256_HEX.match(h)})
        if not wanted:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(select(TABLE).where(TABLE.c.sha256.in_(wanted))).mappings().all()
        return {r["sha256"]: StoredEvidence(**dict(r)) for r in rows}

    def read(self, sha256: str) -> tuple[StoredEvidence, bytes]:
        """The record and bytes of ``sha256``; refuses a copy whose bytes do not hash to its name."""
        check_hash(sha256)
        info = self.info(sha256)
        if info is None:
            raise LedgerError("evidence_not_found", sha256=sha256)
        data = self.backend.get(sha256)
        if data is None or hashlib.sha256(data).hexdigest() != sha256:
            raise LedgerError("evidence_store_unavailable", sha256=sha256)
        return info, data


def open_evidence(ledger: Any, env: dict[str, str] | None = None) -> EvidenceStore:
    """The evidence store of an open :class:`~ledger.store.runtime.Ledger` (made once per ledger)."""
    cached: EvidenceStore | None = ledger.__dict__.get("_evidence_store")
    if cached is None or env is not None:
        cached = EvidenceStore(
            ledger.engine,
            backend_from_env(ledger.settings.home, env),
            max_bytes=max_bytes_from_env(env),
        )
        if env is None:
            ledger.__dict__["_evidence_store"] = cached
    return cached


# --- signed uploads ---------------------------------------------------------------------------


def upload_message(sha256: str, visibility: str) -> bytes:
    """The bytes an uploader signs: the context line, the hex SHA-256 of the file as sent and the
    visibility, each ended by a newline."""
    return (
        UPLOAD_CONTEXT
        + check_hash(sha256).encode("ascii")
        + b"\n"
        + check_visibility(visibility).encode("ascii")
        + b"\n"
    )


def sign_upload(pair: Any, data: bytes, visibility: str) -> str:
    """The ``X-Evidence-Signature`` header value for uploading ``data`` with ``pair`` (a KeyPair)."""
    return f"{pair.id}:{b64(pair.sign(upload_message(hashlib.sha256(data).hexdigest(), visibility)))}"


_HEADER = re.compile(r"^([0-9a-f]{64}):([A-Za-z0-9+/]{86}==)$")


def parse_signature_header(value: str | None) -> tuple[str, bytes]:
    """``<key id>:<base64 signature>`` as (key id, 64 signature bytes)."""
    if value is None or not value.strip():
        raise LedgerError("evidence_signature_missing")
    match = _HEADER.match(value.strip())
    if not match:
        raise LedgerError(
            "evidence_signature_invalid",
            detail="the header is not <64 hex key id>:<base64 Ed25519 signature>",
            detail_zh="请求头格式应为 <64 位十六进制密钥编号>:<base64 Ed25519 签名>",
        )
    try:
        signature = unb64(match.group(2), length=64, what="signature")
    except LedgerError:
        raise LedgerError(
            "evidence_signature_invalid",
            detail="the signature is not canonical base64",
            detail_zh="签名不是规范的 base64",
        ) from None
    return match.group(1), signature


def check_upload_signature(engine: Engine, header: str | None, data: bytes, visibility: str) -> str:
    """The id of the key that signed this upload; refuses an unknown or revoked key, a key of an
    organisation no longer active, and a signature that does not check."""
    key_id, signature = parse_signature_header(header)
    keys, orgs = table_for(KeyRow), table_for(OrgRow)
    with engine.connect() as conn:
        key = conn.execute(select(keys).where(keys.c.key_id == key_id)).mappings().first()
        org = None if key is None else conn.execute(select(orgs).where(orgs.c.org == key["org"])).mappings().first()
    if key is None:
        raise LedgerError("evidence_signer_unknown", key=key_id)
    if key["revoked_seq"] is not None:
        raise LedgerError(
            "evidence_signer_revoked",
            key=key_id,
            detail=f"revoked at entry {key['revoked_seq']}",
            detail_zh=f"已于条目 {key['revoked_seq']} 吊销",
        )
    if org is None or org["status"] != "active":
        raise LedgerError(
            "evidence_signer_revoked",
            key=key_id,
            detail=f"its organisation {key['org']} is not active",
            detail_zh=f"其所属组织 {key['org']} 已不在册",
        )
    message = upload_message(hashlib.sha256(data).hexdigest(), visibility)
    if not verify(load_public(unb64(key["public_key"], length=32, what="public_key")), signature, message):
        raise LedgerError(
            "evidence_signature_invalid",
            detail="it is not the key's signature of this file and visibility",
            detail_zh="该签名不是此密钥对本文件及其查阅范围的签名",
        )
    return key_id
