"""Access to the donor store (personal data, encrypted, apart from the log) for the API."""

from __future__ import annotations

from cryptography.fernet import Fernet

from ledger.errors import LedgerError
from ledger.store.donors import DonorStore, load_privacy_key
from ledger.store.runtime import Ledger


def has_privacy_key(ledger: Ledger) -> bool:
    return bool(ledger.settings.privacy_key) or ledger.settings.privacy_key_path.exists()


def donor_store(ledger: Ledger) -> DonorStore:
    """The donor store of ``ledger``. The API never creates the privacy key: without one no
    donor data can have been stored, so the store gets a throwaway key. Receipt codes are
    checked against the log and need no key; the store is asked only for donations recorded
    without a receipt commitment, and then finds no record (a record stored under another key
    answers 503 ``privacy_key_invalid``)."""
    fernet = (
        load_privacy_key(ledger.settings, create=False) if has_privacy_key(ledger) else Fernet(Fernet.generate_key())
    )
    return DonorStore(ledger.engine, fernet)


def donor_record(ledger: Ledger, seq: int):
    if not has_privacy_key(ledger):  # nothing was ever stored
        raise LedgerError("not_found", what="donor record", what_zh="捐赠人记录", ref=f"seq {seq}")
    return donor_store(ledger).get(seq)
