"""Signing report PDFs with the registry's report key, so a PDF reader shows them as signed.

The report key is the ``system`` key that records ``report.issued`` (``<home>/keys/system.key``,
Ed25519). A PDF signature (PAdES baseline, CMS inside the PDF) needs an X.509 certificate for
the key: :func:`report_certificate` makes a self-signed one from the key with ``cryptography``
and keeps it beside the key (``<home>/keys/system.crt``), so the certificate a PDF carries is
the same for every report until the key changes. A reader trusts it once the regulator adds it
(or the key's fingerprint, which the log records in ``key.granted``) to its trusted
certificates; until then it shows "signed, identity not verified" and still checks that the
document is unchanged since it was signed.

:func:`sign_pdf` signs with pyHanko: one signature over the whole file (the signature's byte
range covers everything but the signature itself), SHA-512 as Ed25519 requires in CMS
(RFC 8419), the signing time of the ledger's clock.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from ledger.errors import LedgerError
from ledger.protocol.keys import KeyPair
from ledger.store.personal_files import write_private
from reports.codes import REPORT_SIGNING_FAILED

CERT_SUFFIX = ".crt"
FIELD = "ReportSignature"
VALID_YEARS = 30  # the key's certificate lasts as long as reports are kept; revocation is in the log


def certificate_path(key_path: Path) -> Path:
    return Path(key_path).with_suffix(CERT_SUFFIX)


def make_certificate(key: KeyPair, *, name: str, now: datetime) -> x509.Certificate:
    """A self-signed certificate of ``key`` (subject and issuer: ``name`` and the key id)."""
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{name} report key"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, key.id[:64]),
        ]
    )
    start = now.astimezone(UTC).replace(microsecond=0) - timedelta(days=1)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.private.public_key())
        .serial_number(int(key.id[:32], 16))
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=365 * VALID_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.private.public_key()), critical=False)
        .sign(key.private, None)
    )


def report_certificate(key_path: Path, key: KeyPair, *, name: str, now: datetime) -> x509.Certificate:
    """The certificate kept beside the key file; made (and written, mode 0600) when there is
    none or when the one there is for another key."""
    path = certificate_path(key_path)
    if path.exists():
        cert = x509.load_pem_x509_certificate(path.read_bytes())
        public = cert.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        if public == key.public:
            return cert
    cert = make_certificate(key, name=name, now=now)
    write_private(path, cert.public_bytes(serialization.Encoding.PEM), sync=True)
    return cert


def sign_pdf(pdf: bytes, key: KeyPair, cert: x509.Certificate, *, reason: str, location: str = "") -> bytes:
    """``pdf`` with one signature by ``key`` covering the whole document."""
    try:
        asn1_cert = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
        private = asn1_keys.PrivateKeyInfo.load(
            key.private.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        signer = signers.SimpleSigner(
            signing_cert=asn1_cert,
            signing_key=private,
            cert_registry=SimpleCertificateStore.from_certs([asn1_cert]),
        )
        meta = signers.PdfSignatureMetadata(
            field_name=FIELD,
            md_algorithm="sha512",
            reason=reason,
            location=location or None,
            subfilter=fields.SigSeedSubFilter.PADES,
        )
        out = io.BytesIO()
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        _run(lambda: signers.async_sign_pdf(writer, meta, signer=signer, output=out))
        return out.getvalue()
    except (ValueError, TypeError, KeyError) as exc:
        raise LedgerError(REPORT_SIGNING_FAILED, detail=str(exc)) from exc


def _run(make: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """Run pyHanko's signing coroutine to its end: here when this thread runs no event loop (a
    worker, the CLI), else on a thread of its own (an async caller, a browser-driving test), as
    ``asyncio.run`` cannot nest."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def pdf_signer(key_path: Path, key: KeyPair, *, name: str, now: datetime, reason: str) -> Callable[[bytes], bytes]:
    """A function that signs report PDFs with ``key`` (its certificate made or read once)."""
    cert = report_certificate(key_path, key, name=name, now=now)
    return lambda pdf: sign_pdf(pdf, key, cert, reason=reason)
