"""The evidence store's backends: a folder of the data folder and an S3-compatible object store
(moto's in-process S3), the same behaviour on both."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.errors import LedgerError
from ledger.store.evidence import DiskBackend, EvidenceStore, S3Backend, backend_from_env, open_evidence
from tests.evidence_files import pdf_bytes
from tests.support.ledger_factory import LedgerFactory

BUCKET = "charity-evidence"


@pytest.fixture
def s3_client() -> Iterator[object]:
    boto3 = pytest.importorskip("boto3")
    moto = pytest.importorskip("moto")
    with moto.mock_aws():
        client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
        client.create_bucket(Bucket=BUCKET)
        yield client


@pytest.fixture(params=["disk", "s3"])
def store(request: pytest.FixtureRequest, factory: LedgerFactory, tmp_path: Path) -> EvidenceStore:
    if request.param == "disk":
        backend = DiskBackend(tmp_path / "evidence")
    else:
        backend = S3Backend(BUCKET, "prod/ev", client=request.getfixturevalue("s3_client"))
    return EvidenceStore(factory.ledger.engine, backend)


def test_roundtrip_and_idempotence(store: EvidenceStore) -> None:
    pdf = pdf_bytes("invoice on any backend")
    sha = hashlib.sha256(pdf).hexdigest()
    first, created = store.add(pdf, "public", filename="a.pdf")
    assert created and first.sha256 == sha and first.size == len(pdf)
    again, created = store.add(pdf, "public", filename="b.pdf")
    assert not created and again == first
    info, data = store.read(sha)
    assert data == pdf and info.media_type == "application/pdf"
    assert store.backend.get("00" * 32) is None
    with pytest.raises(LedgerError) as missing:
        store.read("00" * 32)
    assert missing.value.code == "evidence_not_found"


def test_s3_objects_are_content_addressed_under_the_prefix(s3_client, factory: LedgerFactory) -> None:  # type: ignore[no-untyped-def]
    store = EvidenceStore(factory.ledger.engine, S3Backend(BUCKET, "/prod/ev/", client=s3_client))
    pdf = pdf_bytes("object store")
    sha = hashlib.sha256(pdf).hexdigest()
    store.add(pdf, "restricted")
    keys = [o["Key"] for o in s3_client.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys == [f"prod/ev/{sha[:2]}/{sha[2:]}"]
    head = s3_client.head_object(Bucket=BUCKET, Key=keys[0])
    assert head["ContentType"] == "application/pdf" and head["ContentLength"] == len(pdf)
    # a damaged object is never served
    s3_client.put_object(Bucket=BUCKET, Key=keys[0], Body=pdf + b"x")
    with pytest.raises(LedgerError) as damaged:
        store.read(sha)
    assert damaged.value.code == "evidence_store_unavailable"


def test_an_unreachable_bucket_is_a_typed_error(s3_client, factory: LedgerFactory) -> None:  # type: ignore[no-untyped-def]
    store = EvidenceStore(factory.ledger.engine, S3Backend("no-such-bucket", client=s3_client))
    with pytest.raises(LedgerError) as refused:
        store.add(pdf_bytes("nowhere"), "public")
    assert refused.value.code == "evidence_store_unavailable"
    assert store.info_many([hashlib.sha256(pdf_bytes("nowhere")).hexdigest()]) == {}  # no row without the bytes


def test_backend_from_env(tmp_path: Path) -> None:
    assert isinstance(backend_from_env(tmp_path, {}), DiskBackend)
    assert backend_from_env(tmp_path, {}).root == tmp_path / "evidence"
    assert backend_from_env(tmp_path, {"CHARITY_LEDGER_EVIDENCE_URL": str(tmp_path / "x")}).root == tmp_path / "x"
    pytest.importorskip("boto3")
    s3 = backend_from_env(
        tmp_path,
        {
            "CHARITY_LEDGER_EVIDENCE_URL": "s3://bucket/some/prefix",
            "CHARITY_LEDGER_EVIDENCE_S3_ENDPOINT": "http://127.0.0.1:9000",
            "CHARITY_LEDGER_EVIDENCE_S3_REGION": "cn-south-1",
            "AWS_ACCESS_KEY_ID": "k",
            "AWS_SECRET_ACCESS_KEY": "s",
        },
    )
    assert isinstance(s3, S3Backend) and s3.describe() == "s3://bucket/some/prefix"
    assert s3.client.meta.endpoint_url == "http://127.0.0.1:9000" and s3.client.meta.region_name == "cn-south-1"


def test_disk_writes_leave_no_temporary_files(factory: LedgerFactory) -> None:
    store = open_evidence(factory.ledger)
    for n in range(3):
        store.add(pdf_bytes(f"file {n}"), "public")
    root = factory.ledger.settings.home / "evidence"
    assert root.stat().st_mode & 0o777 == 0o700
    files = [p for p in root.rglob("*") if p.is_file()]
    assert len(files) == 3 and not [p for p in files if p.name.endswith(".tmp")]
    for path in files:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.parent.name + path.name


def test_records_on_sqlite_and_postgresql(any_factory: LedgerFactory) -> None:
    """The metadata table behaves the same on both databases: batch insert, publish, conflict."""
    store = open_evidence(any_factory.ledger)
    a, b = pdf_bytes("a"), pdf_bytes("b")
    results = store.add_many(
        [(a, "restricted", "a.pdf"), (b, "public", "b.pdf"), (a, "restricted", None)], uploaded_by="k" * 64
    )
    assert [created for _, created in results] == [True, True, True]  # the same file twice in one batch: one row
    assert len(store.info_many([r.sha256 for r, _ in results])) == 2
    published, created = store.add(a, "public")
    assert not created and published.visibility == "public" and published.uploaded_by == "k" * 64
    with pytest.raises(LedgerError) as conflict:
        store.add(a, "restricted")
    assert conflict.value.code == "evidence_visibility_conflict"
