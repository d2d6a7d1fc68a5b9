"""Donor privacy, the pure parts (DESIGN section 5): commitments and receipt codes.

The log never holds a donor's personal data. A ``donation.received`` entry carries only

    commitment = hex SHA-256(b"charity-ledger/donor/v1\\n" + salt + JCS(personal))

where ``salt`` is 16 random bytes and ``personal`` is a JSON object with only the optional keys
``name``, ``id_number``, ``phone`` and ``address`` (bounded strings); an anonymous donation
commits to ``{}``. The personal data and the salt live in a separate, encrypted, erasable store
(not this module's business); erasing them leaves a commitment nobody can open, and the log
still verifies.

The donor's **receipt code** carries the donation's seq and the salt, so the donor (and only who
holds the code) can find the entry, prove the commitment and see where the money went::

    D<seq>-<salt>-<check>        e.g.  D1234-AAAQEAYEAUDAOCAJBIFQYDIOB4-G  (seq 1234, salt bytes 00 01 .. 0f)

- ``seq``: the donation entry's seq in decimal, no leading zeros;
- ``salt``: the 16 salt bytes in RFC 4648 base32, upper case, without padding (26 characters);
- ``check``: one character from ``0-9A-Z``, Luhn mod 36 over the seq digits followed by the salt
  characters (values: digits 0-9, letters 10-35). It catches every single mistyped character
  and most swaps of neighbours.

Parsing accepts what donors type (see :func:`normalise_receipt_text`): full-width characters
from Chinese input methods, spaces anywhere, lower case, and any dash (``–``, ``—``, ``−``,
``－``, ``——``) as a separator; in the salt it reads the digits 0, 1 and 8 (which base32 never
uses) as the letters O, I and B they are mistaken for. What comes out must then match the strict
ASCII grammar above in full.

The code proves something only against the log: every ``donation.received`` the charity's tools
write carries

    receipt = hex SHA-256(b"charity-ledger/receipt/v1\n" + salt)

so a verifier (or the site) holding a code checks that the entry at the code's seq is a donation
whose ``receipt`` is the hash of the code's salt (:func:`receipt_matches`). The secret is the salt
itself: the code keeps its form, and the donor's code still verifies after the charity erases its
own copy of the salt with the donor's data. Anyone who knows only the seq (public) and the check
formula (public) cannot make a code that passes: they would need the 16 random bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from ledger.domain.codes import PERSONAL_DATA_INVALID, RECEIPT_CODE_CHECKSUM, RECEIPT_CODE_INVALID
from ledger.errors import LedgerError
from ledger.protocol.canonical import canonical_bytes

COMMITMENT_PREFIX = b"charity-ledger/donor/v1\n"
RECEIPT_PREFIX = b"charity-ledger/receipt/v1\n"
SALT_BYTES = 16
PERSONAL_FIELDS: dict[str, int] = {"name": 100, "id_number": 32, "phone": 32, "address": 200}

_CHECK_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_CHECK_VALUE = {ch: i for i, ch in enumerate(_CHECK_ALPHABET)}
_RECEIPT = re.compile(r"D(0|[1-9][0-9]{0,17})-([A-Z2-7]{26})-([0-9A-Z])")  # matched in full (fullmatch)
RECEIPT_TEXT_MAX = 120  # longer input is refused before it is normalised (NFKC can expand text)
# dashes donors type for "-" (NFKC already folds the full-width hyphen-minus and small hyphen-minus)
_DASHES = str.maketrans({ch: "-" for ch in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2e3a\u2e3b\u30fc\ufe58"})
_DASH_RUN = re.compile(r"-{2,}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_SALT_TYPOS = str.maketrans({"0": "O", "1": "I", "8": "B"})


def new_salt() -> bytes:
    return os.urandom(SALT_BYTES)


def check_personal_data(personal: Any) -> dict[str, str]:
    """Return ``personal`` if it has only the known keys with bounded, non-empty strings."""
    if not isinstance(personal, dict):
        raise LedgerError(PERSONAL_DATA_INVALID, detail="it must be an object", detail_zh="应为对象")
    unknown = sorted(set(personal) - set(PERSONAL_FIELDS))
    if unknown:
        raise LedgerError(
            PERSONAL_DATA_INVALID,
            detail=f"unknown fields {unknown}; known: {', '.join(PERSONAL_FIELDS)}",
            detail_zh=f"未知字段 {unknown}；可用字段：{'、'.join(PERSONAL_FIELDS)}",
        )
    for name, value in personal.items():
        limit = PERSONAL_FIELDS[name]
        if not isinstance(value, str) or not value.strip():
            raise LedgerError(
                PERSONAL_DATA_INVALID, detail=f"{name} must be non-empty text", detail_zh=f"{name} 应为非空文本"
            )
        if len(value) > limit:
            raise LedgerError(
                PERSONAL_DATA_INVALID,
                detail=f"{name} has more than {limit} characters",
                detail_zh=f"{name} 超过 {limit} 个字符",
            )
        if _CONTROL.search(value):
            raise LedgerError(
                PERSONAL_DATA_INVALID,
                detail=f"{name} contains control characters or line breaks",
                detail_zh=f"{name} 含有控制字符或换行",
            )
    return personal


def donor_commitment(personal: dict[str, str], salt: bytes) -> str:
    """The commitment recorded in ``donation.received``; ``{}`` for an anonymous donor."""
    if not isinstance(salt, bytes) or len(salt) != SALT_BYTES:
        raise ValueError(f"the salt is {SALT_BYTES} bytes")
    body = canonical_bytes(check_personal_data(personal))
    return hashlib.sha256(COMMITMENT_PREFIX + salt + body).hexdigest()


DONOR_DATA_PREFIX = b"charity-ledger/donor-data/v1\n"


def donor_data_message(donation: str, personal: dict[str, str], salt: bytes) -> bytes:
    """What a charity's key signs to hand a donation's personal data to the donor store:
    ``prefix || JCS({"donation": leaf hash, "personal": {...}, "salt": base64})``. The domain
    prefix keeps it from ever being mistaken for an entry signature."""
    body = {
        "donation": donation,
        "personal": check_personal_data(personal),
        "salt": base64.b64encode(salt).decode("ascii"),
    }
    return DONOR_DATA_PREFIX + canonical_bytes(body)


def verify_commitment(commitment: str, personal: dict[str, str], salt: bytes) -> bool:
    return hmac.compare_digest(donor_commitment(personal, salt), commitment)


def receipt_commitment(salt: bytes) -> str:
    """The ``receipt`` field of a ``donation.received``: what a receipt code is checked against."""
    if not isinstance(salt, bytes) or len(salt) != SALT_BYTES:
        raise ValueError(f"the salt is {SALT_BYTES} bytes")
    return hashlib.sha256(RECEIPT_PREFIX + salt).hexdigest()


def receipt_matches(committed: Any, salt: bytes) -> bool:
    """Whether ``committed`` (a donation's ``receipt`` field) is the hash of ``salt``; compared in
    constant time. Anything but a string (an entry without the field) never matches."""
    if not isinstance(committed, str):
        return False
    return hmac.compare_digest(receipt_commitment(salt).encode("ascii"), committed.encode("utf-8"))


def donor_fields(personal: dict[str, str], salt: bytes) -> dict[str, str]:
    """The two fields of a ``donation.received`` that come from the donor's salt: the donor
    ``commitment`` and the ``receipt`` commitment. Every tool that records a donation uses this."""
    return {"commitment": donor_commitment(personal, salt), "receipt": receipt_commitment(salt)}


# --- receipt codes --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReceiptCode:
    seq: int
    salt: bytes

    def __str__(self) -> str:
        return format_receipt_code(self.seq, self.salt)


def _luhn36(payload: str) -> str:
    """Luhn mod N (N = 36) check character over ``payload``."""
    n = len(_CHECK_ALPHABET)
    total = 0
    factor = 2
    for ch in reversed(payload):
        addend = factor * _CHECK_VALUE[ch]
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return _CHECK_ALPHABET[(n - total % n) % n]


def _salt_text(salt: bytes) -> str:
    return base64.b32encode(salt).decode("ascii").rstrip("=")


def format_receipt_code(seq: int, salt: bytes) -> str:
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise ValueError("seq is a non-negative integer")
    if not isinstance(salt, bytes) or len(salt) != SALT_BYTES:
        raise ValueError(f"the salt is {SALT_BYTES} bytes")
    salt_text = _salt_text(salt)
    return f"D{seq}-{salt_text}-{_luhn36(str(seq) + salt_text)}"


def normalise_receipt_text(text: str) -> str:
    """A typed receipt code in the ASCII form of the grammar, if it is one: NFKC (full-width
    ``Ｄ１２３４`` becomes ``D1234``, the ideographic space a space), every dash and run of dashes
    one ``-``, no whitespace anywhere, upper case, and in the salt part 0/1/8 read as O/I/B."""
    text = unicodedata.normalize("NFKC", text).translate(_DASHES)
    text = _DASH_RUN.sub("-", "".join(text.split()))
    if not text.isascii():  # left as it is, to fail the grammar (no case folding of other scripts)
        return text
    text = text.upper()
    parts = text.split("-")
    if len(parts) == 3:
        text = "-".join((parts[0], parts[1].translate(_SALT_TYPOS), parts[2]))
    return text


_RECEIPT_LIKE = re.compile(r"D[0-9]{1,18}-[A-Z0-9]{20,32}(-[0-9A-Z])?")


def looks_like_receipt_code(text: str) -> bool:
    """Whether ``text`` holds something a donor would type as a receipt code, well formed or not
    (for redaction: logs must never keep one)."""
    return _RECEIPT_LIKE.search(normalise_receipt_text(text)) is not None


def parse_receipt_code(code: Any) -> ReceiptCode:
    """Read a receipt code as a donor typed it; refuse malformed codes and typing errors."""
    if not isinstance(code, str):
        raise LedgerError(RECEIPT_CODE_INVALID, code=code)
    if len(code) > RECEIPT_TEXT_MAX:
        raise LedgerError(RECEIPT_CODE_INVALID, code=code[:24] + "…")
    text = normalise_receipt_text(code)
    match = _RECEIPT.fullmatch(text)
    if not match:
        raise LedgerError(RECEIPT_CODE_INVALID, code=code)
    seq_text, salt_text, check = match.groups()
    try:
        salt = base64.b32decode(salt_text + "======")
    except ValueError:
        raise LedgerError(RECEIPT_CODE_INVALID, code=code) from None
    if len(salt) != SALT_BYTES or _salt_text(salt) != salt_text:
        raise LedgerError(RECEIPT_CODE_INVALID, code=code)
    if _luhn36(seq_text + salt_text) != check:
        raise LedgerError(RECEIPT_CODE_CHECKSUM, code=code)
    return ReceiptCode(int(seq_text), salt)
