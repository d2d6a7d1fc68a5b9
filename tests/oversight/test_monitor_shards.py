"""The monitor walks the chain of logs: each sealed log to its final checkpoint, the link to
the next log, the projections carried across; a state saved before a roll-over goes on in
the next log; a broken link or an entry written past the rules is reported with its log."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger import domain
from ledger.services.monitor import ExportSource, HttpSource, Monitor, Replay
from ledger.store.export import export_log
from ledger.store.runtime import roll_over
from tests.domain import helpers
from tests.oversight.conftest import served
from tests.oversight.test_monitor import bypass_rules, funded
from tests.support.store_world import StoreWorld

NEXT = helpers.ORIGIN + "/2027"


@pytest.fixture
def chain_world(tmp_path: Path) -> StoreWorld:
    w = StoreWorld(tmp_path / "home", name_log_key=True)
    funded(w)  # 300.00 raised, 100.00 allocated in the first log
    return w


def _total(w: StoreWorld) -> int:
    return sum(s.size for s in w.ledger.log.shards())


def test_a_clean_chain_has_no_violation(chain_world: StoreWorld, tmp_path: Path) -> None:
    w = chain_world
    roll_over(w.ledger, year=2027)
    w.append(w.implementer, "funds.disbursed", helpers.disbursement_data(w.PUB, "60.00"))  # from the carried allocation
    export_log(w.ledger.log, tmp_path / "export")
    report = Monitor(ExportSource(tmp_path / "export")).run_once()
    assert report.clean, report.violations
    assert (report.origin, report.size, report.checked) == (NEXT, 2, _total(w))


def test_a_state_saved_before_the_roll_over_goes_on_in_the_next_log(chain_world: StoreWorld, tmp_path: Path) -> None:
    w = chain_world
    state = tmp_path / "monitor"
    state.mkdir()
    export_log(w.ledger.log, tmp_path / "e1")
    first = Monitor(ExportSource(tmp_path / "e1"), state).run_once()
    assert first.clean and first.saved and first.checked == w.ledger.log.head().size
    w.append(w.fundraiser, "donation.received", helpers.donation_data(w.PUB, "5.00"))
    roll_over(w.ledger, year=2027)
    w.append(w.implementer, "funds.disbursed", helpers.disbursement_data(w.PUB, "100.00"))
    export_log(w.ledger.log, tmp_path / "e2")
    second = Monitor(ExportSource(tmp_path / "e2"), state).run_once()
    # only what is new: the donation and log.sealed in the first log, genesis and disbursement in the next
    assert second.clean and second.saved and second.checked == 4 and second.origin == NEXT
    assert Monitor(ExportSource(tmp_path / "e2"), state).run_once().checked == 0


def test_an_overdraft_of_a_carried_balance_is_reported_with_its_log(chain_world: StoreWorld, tmp_path: Path) -> None:
    w = chain_world
    roll_over(w.ledger, year=2027)
    w.append(w.implementer, "funds.disbursed", helpers.disbursement_data(w.PUB, "80.00"))
    bad = bypass_rules(
        w, w.sign(w.implementer, "funds.disbursed", helpers.disbursement_data(w.PUB, "30.00"))
    )  # 110 > 100
    export_log(w.ledger.log, tmp_path / "export")
    report = Monitor(ExportSource(tmp_path / "export")).run_once()
    assert [(v.log, v.seq, v.code) for v in report.violations] == [(NEXT, bad, "insufficient_allocation")]


def test_a_genesis_naming_another_checkpoint_breaks_the_chain(
    chain_world: StoreWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = chain_world
    real = domain.continuation_data

    def lying(state, previous, origin):  # type: ignore[no-untyped-def]
        data = real(state, previous, origin)
        data["previous"] = {**data["previous"], "root_hash": "cd" * 32}  # the rules cannot see roots
        return data

    monkeypatch.setattr(domain, "continuation_data", lying)
    roll_over(w.ledger, year=2027)
    export_log(w.ledger.log, tmp_path / "export")
    report = Monitor(ExportSource(tmp_path / "export")).run_once()
    assert [(v.log, v.seq, v.code) for v in report.violations] == [(NEXT, 0, "monitor_chain_link_broken")]
    assert (
        "not the final checkpoint" in report.violations[0].message and "未按要求衔接" in report.violations[0].message_zh
    )


def test_entries_after_log_sealed_are_reported(chain_world: StoreWorld) -> None:
    w = chain_world
    roll_over(w.ledger, year=2027)
    sealed = w.ledger.log.shards()[0]
    replay = Replay(helpers.ORIGIN)
    for raw in w.ledger.log.iter_leaves(shard=0):
        assert replay.feed(raw) == []
    again = replay.feed(w.ledger.log.leaves(0, 1, shard=0)[0])  # any leaf after log.sealed
    assert (sealed.size, "monitor_entry_after_seal") in [(v.seq, v.code) for v in again]


def test_the_monitor_walks_a_served_chain(chain_world: StoreWorld) -> None:
    w = chain_world
    roll_over(w.ledger, year=2027)
    bad = bypass_rules(w, w.sign(w.implementer, "funds.disbursed", helpers.disbursement_data(w.PUB, "150.00")))
    with served(w) as log:
        report = Monitor(HttpSource(log)).run_once()
    assert [(v.log, v.seq, v.code) for v in report.violations] == [(NEXT, bad, "insufficient_allocation")]
    assert report.checked == _total(w)
