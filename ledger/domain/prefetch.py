"""The projection rows the rules will read for a batch of entries, named before they run.

On a database every row the rules read and the transaction has not seen yet is one query,
and the rules ask one at a time (each answer decides the next question): for a batch of
donations on many projects that is a few queries per entry, each a round trip to a database
server. :func:`prefetch` names the rows a batch's entries are going to read — the signer's
key, the project and its fund, the organisations, the target entry, and then what those rows
point to (the key's and the project's organisations, the year and month totals) — so that the
state can read them in a few queries for the whole batch (:meth:`Prefetching.load`).

This is a hint and nothing more. A named row is read under the same lock and in the same
transaction as the rules' own reads would be; a row named and never read costs a lookup, a
row read and not named is read on its own as before. Which entries are accepted and what they
write does not depend on it (``tests/test_prefetch.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from ledger.domain.rows import (
    AllocationBalanceRow,
    EntryRow,
    FundRow,
    KeyRow,
    MonthRow,
    OrgRow,
    OrgYearRow,
    ProjectDonorTypeRow,
    ProjectRow,
    RegistryRow,
)
from ledger.protocol.entry import SignedEntry

Wanted = tuple[type, tuple[Any, ...]]

# Smaller batches read as they go: measured over HTTP (groups of a few single submissions),
# naming every row up front cost more than the few reads the rules make after the first entry.
PREFETCH_MIN = 16

# the business date each money type counts its month and year totals on
_MONEY_DAY = {"donation.received": "received_on", "funds.disbursed": "paid_on"}


class Prefetching(Protocol):
    def get(self, row_type: type[Any], *key: Any) -> Any: ...

    def load(self, wanted: Iterable[Wanted]) -> None:
        """Read the rows of these keys (those not known yet) in as few queries as it can."""
        ...


def _text(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    return value if isinstance(value, str) else None


def _data(entry: SignedEntry) -> dict[str, Any]:
    data = entry.body.get("data")
    return data if isinstance(data, dict) else {}


def _first(entry: SignedEntry, origin: str) -> Iterable[Wanted]:
    """Rows named by the entry itself."""
    yield KeyRow, (entry.signer,)
    yield RegistryRow, (origin,)
    data = _data(entry)
    project, org, implementer, target = (_text(data, n) for n in ("project", "org", "implementer", "target"))
    if project is not None:
        yield ProjectRow, (project,)
        yield FundRow, (project,)
        if implementer is not None:
            yield AllocationBalanceRow, (project, implementer)
    for named in (org, implementer):
        if named is not None:
            yield OrgRow, (named,)
    if target is not None:
        yield EntryRow, (target,)


def _second(entry: SignedEntry, state: Prefetching) -> Iterable[Wanted]:
    """Rows named by the rows of :func:`_first`: organisations, balances and totals."""
    data = _data(entry)
    key = state.get(KeyRow, entry.signer)
    signer_org = key.org if isinstance(key, KeyRow) else None
    if signer_org is not None:
        yield OrgRow, (signer_org,)
    name = _text(data, "project")
    target = _text(data, "target")
    if name is None and target is not None:
        found = state.get(EntryRow, target)
        name = found.project if isinstance(found, EntryRow) else None
    project = state.get(ProjectRow, name) if name is not None else None
    if not isinstance(project, ProjectRow):
        return
    yield ProjectRow, (project.project,)
    yield OrgRow, (project.fundraiser_org,)
    if signer_org is not None:
        yield AllocationBalanceRow, (project.project, signer_org)
    day_field = _MONEY_DAY.get(entry.type)
    day = _text(data, day_field) if day_field is not None else None
    currency = _text(data, "currency")
    if day is None or currency is None or len(day) < 10 or not day[:4].isdigit():
        return
    owner = project.fundraiser_org if entry.type == "donation.received" else signer_org
    if owner is None:
        return
    yield OrgYearRow, (owner, int(day[:4]), currency)
    yield MonthRow, ("project", project.project, day[:7], currency)
    yield MonthRow, ("org", owner, day[:7], currency)
    donor_type = _text(data, "donor_type")
    if donor_type is not None:
        yield ProjectDonorTypeRow, (project.project, donor_type)


def prefetch(state: Prefetching, entries: Sequence[SignedEntry], origin: str) -> None:
    """Load the rows the rules will read for ``entries`` on the log ``origin``: two rounds
    (what the entries name, then what those rows name), each as few queries as the state can.
    Batches under :data:`PREFETCH_MIN` entries are left to read as they go."""
    if len(entries) < PREFETCH_MIN:
        return
    state.load(w for entry in entries for w in _first(entry, origin))
    state.load(w for entry in entries for w in _second(entry, state))
