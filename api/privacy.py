"""Access to the donor store (personal data, encrypted, apart from the log) for the API."""

from __future__ import annotations

from cryptography.fernet import Fernet

from ledger.errors import LedgerError
from ledger.store.donors import DonorStore, load_privacy_key
from ledger.store.runtime import Ledger


def donor_store(ledger: Ledger, *, require_key: bool = False) -> DonorStore:
    """The donor store of ``ledger``. The API never creates the privacy key: without one no
    donor data can have been stored, so receipt look-ups work with a throwaway key (and answer
    503 ``privacy_key_invalid`` if stored data exists after all); reading personal data
    (``require_key``) needs the real key."""
    try:
        fernet = load_privacy_key(ledger.settings, create=False)
    except LedgerError:
        if require_key:
            raise
        fernet = Fernet(Fernet.generate_key())
    return DonorStore(ledger.engine, fernet)
