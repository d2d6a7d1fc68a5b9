"""Reports read across the chain of logs: after a roll-over the figures still hold every
entry of the year, whichever log it is in; recomputing from a chain export gives the same
bytes; report.issued records the log it was computed on; the verification certificate lists
the chain."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.errors import LedgerError
from ledger.store.export import export_log
from ledger.store.runtime import roll_over
from reports.common import ReportRequest, render_report
from reports.issue import build_from_export, build_from_ledger, issue
from tests.domain import helpers as H
from tests.reports.world import PUB, ReportWorld, donation

ANNUAL = ReportRequest("annual", org=H.FOUNDATION, year=2026)
PROJECT = ReportRequest("project", project=PUB)


class ChainWorld(ReportWorld):
    def genesis_extra(self) -> dict[str, object]:
        return {"log_key": self.ledger.log_key.public_b64}  # the log can be rolled over


@pytest.fixture
def chain(tmp_path: Path) -> ReportWorld:
    w = ChainWorld(tmp_path / "home")
    w.install_system_key()
    return w


def test_figures_hold_the_entries_of_every_log(chain: ReportWorld, tmp_path: Path) -> None:
    before = build_from_ledger(chain.ledger, PROJECT)
    roll_over(chain.ledger, year=2027)
    chain.append(chain.fundraiser, "donation.received", donation(PUB, "99.50"))
    after = build_from_ledger(chain.ledger, PROJECT)
    funds_before, funds_after = before.figures["funds"], after.figures["funds"]
    assert (funds_before["raised"].minor, funds_before["donations"]) == (1400050, 4)
    assert (funds_after["raised"].minor, funds_after["donations"], funds_after["balance"].minor) == (1410000, 5, 860000)
    rows = lambda doc: next(t for t in doc.tables if t.name == "donations").rows  # noqa: E731
    assert (
        len(rows(after)) == len(rows(before)) + 1 and rows(after)[-1][0] == chain.ledger.log.head().base + 1
    )  # chain position
    assert (
        after.at.origin == H.ORIGIN + "/2027"
        and after.at.tree_size == 2
        and after.at.base == chain.ledger.log.head().base
    )
    # the same report recomputed from a chain export alone: the same bytes
    export_log(chain.ledger.log, tmp_path / "export")
    again, info, _ = build_from_export(tmp_path / "export", PROJECT)
    assert info is not None and [o for o, _, _ in info.logs] == [H.ORIGIN, H.ORIGIN + "/2027"]
    data = lambda files: {n: b for n, b in files.items() if not n.endswith(".pdf")}  # noqa: E731
    assert data(render_report(again, pdf=False)) == data(render_report(after, pdf=False))
    # and at an earlier size of the current log, replayed from the database through the whole chain
    earlier = build_from_ledger(chain.ledger, PROJECT, tree_size=1)
    assert data(render_report(earlier, pdf=False)) == data(
        render_report(build_from_export(tmp_path / "export", PROJECT, tree_size=1)[0], pdf=False)
    )


def test_report_issued_is_recorded_in_the_log_it_was_computed_on(chain: ReportWorld) -> None:
    first = issue(chain.ledger, ANNUAL)
    assert first.entry is not None and not first.entry["existing"]
    roll_over(chain.ledger, year=2027)
    second = issue(chain.ledger, ANNUAL)  # a new log: its figures are of another tree, so another report.issued
    assert second.entry is not None and not second.entry["existing"] and second.tree_size == 1
    again = issue(chain.ledger, ANNUAL)
    assert again.entry == {**second.entry, "existing": True}


def test_a_report_computed_before_a_roll_over_is_not_recorded_in_the_next_log(
    chain: ReportWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reports import issue as issuing

    real = issuing.build_from_ledger

    def build_then_roll(*args, **kwargs):  # type: ignore[no-untyped-def]
        doc = real(*args, **kwargs)
        roll_over(chain.ledger, year=2027)  # another process rolls the chain over meanwhile
        return doc

    monkeypatch.setattr(issuing, "build_from_ledger", build_then_roll)
    with pytest.raises(LedgerError) as info:
        issue(chain.ledger, ANNUAL)
    assert info.value.code == "log_sealed"


def test_the_verification_certificate_lists_the_chain(chain: ReportWorld) -> None:
    roll_over(chain.ledger, year=2027)
    doc = build_from_ledger(chain.ledger, ReportRequest("verification"))
    figures = doc.figures
    assert figures["verification"]["valid"] is True
    assert [log["origin"] for log in figures["chain"]] == [H.ORIGIN, H.ORIGIN + "/2027"]
    assert figures["chain"][0]["size"] == chain.ledger.log.shards()[0].size
    assert any(t.name == "chain" for t in doc.tables)


def test_the_yearly_roll_over_task(chain: ReportWorld) -> None:
    from dataclasses import replace

    from reports import celery_app
    from reports.celery_app import settings_ref
    from reports.tasks import roll_over_if_due_task

    before = celery_app.default_settings()
    celery_app.configure(replace(chain.ledger.settings, broker_url=None))  # tasks run in the caller
    try:
        _roll_over_task_runs_once(chain, celery_app, settings_ref, roll_over_if_due_task)
    finally:
        celery_app.configure(before)


def _roll_over_task_runs_once(chain, celery_app, settings_ref, roll_over_if_due_task) -> None:  # type: ignore[no-untyped-def]
    ref = settings_ref(chain.ledger.settings)
    assert roll_over_if_due_task.delay(ref, 2026).get(timeout=30)["rolled"] is False  # the log was opened in 2026
    done = roll_over_if_due_task.delay(ref, 2027).get(timeout=30)
    assert done["rolled"] is True and done["origin"] == H.ORIGIN + "/2027" and "final_checkpoint" not in done
    assert roll_over_if_due_task.delay(ref, 2027).get(timeout=30)["rolled"] is False  # once a year
    assert [s.origin for s in chain.ledger.log.shards()] == [H.ORIGIN, H.ORIGIN + "/2027"]
    entry = celery_app.app.conf.beat_schedule["log-roll-over-yearly"]
    assert entry["task"] == roll_over_if_due_task.name == "ledger.roll_over_if_due"
    assert (entry["schedule"].hour, entry["schedule"].minute) == (
        {0},
        {5},
    ) and celery_app.app.conf.timezone == "Asia/Shanghai"


def test_receipts_carry_the_log_key_fingerprint_the_genesis_names(chain: ReportWorld, tmp_path: Path) -> None:
    """The fingerprint (SHA-256 of the log key the trust root names) is printed on the receipt and
    carried in its link's fragment, where the site's check compares it with the key it is handed;
    it comes from the log itself, so the public receipt is still recomputable from an export."""
    import hashlib

    fingerprint = hashlib.sha256(chain.ledger.log.current_log_key().public).hexdigest()
    seq = chain.ledger.log.seq_of(chain.ids["d_bank"])
    doc = build_from_ledger(chain.ledger, ReportRequest("receipt", donation=str(seq), site_url="https://site.example"))
    assert doc.figures["verify_url"] == f"https://site.example/ledger/{seq}#logkey={fingerprint}"
    rows = [r for t in doc.tables if t.name == "receipt" for r in t.rows if r[0] == "log_key_fingerprint"]
    assert rows and rows[0][3] == fingerprint
    assert doc.figures["verify_url"] in render_report(doc, pdf=False)[f"{doc.stem}.json"].decode()
    export_log(chain.ledger.log, tmp_path / "export")
    again, _, _ = build_from_export(
        tmp_path / "export", ReportRequest("receipt", donation=str(seq), site_url="https://site.example")
    )
    assert again.figures["verify_url"] == doc.figures["verify_url"]
