"""The monitor replays the log through the rules on its own: an entry written past the rules
(straight into the database) is reported with its seq and the code the rules give it."""

from __future__ import annotations

import json
from types import SimpleNamespace

from sqlalchemy import text

from ledger import domain
from ledger.protocol.merkle import leaf_hash
from ledger.services.monitor import ExportSource, HttpSource, Monitor
from ledger.store.export import export_log
from ledger.store.log_store import LogStore
from tests.domain import helpers
from tests.oversight.conftest import served, twin_world


def funded(world) -> None:  # type: ignore[no-untyped-def]
    """PUB raised 300.00 and gave 100.00 to the first implementer."""
    world.append(world.fundraiser, "donation.received", helpers.donation_data(world.PUB, "300.00"))
    world.append(world.fundraiser, "funds.allocated", helpers.allocation_data(world.PUB, "100.00"))


def bypass_rules(world, entry, *also_known) -> int:  # type: ignore[no-untyped-def]
    """Append ``entry`` through a log whose domain checks keys and signatures but no rule and
    writes no projection: what a compromised or buggy server would do. Returns its seq.
    ``also_known`` keys pass as signers too (keys granted past the rules)."""
    extra = {pair.id: pair.public for pair in also_known}
    no_rules = SimpleNamespace(
        signer_public_key=lambda state, entry, seq: (
            extra.get(entry.signer) or domain.signer_public_key(state, entry, seq)
        ),
        AppendContext=domain.AppendContext,
        apply=lambda state, ctx, entry: None,
    )
    log = world.ledger.log
    rogue = LogStore(log.engine, origin=log.origin, log_key=log.log_key, domain=no_rules, clock=log.clock)
    seq = rogue.append([entry])[0].seq
    world.advance(minutes=1)
    return seq


def overdraw(world) -> int:  # type: ignore[no-untyped-def]
    """A disbursement of 500.00 from an allocation of 100.00, signed correctly, past the rules."""
    return bypass_rules(
        world, world.sign(world.implementer, "funds.disbursed", helpers.disbursement_data(world.PUB, "500.00"))
    )


def test_a_clean_log_has_no_violation(world, tmp_path):
    funded(world)
    world.append(world.implementer, "funds.disbursed", helpers.disbursement_data(world.PUB, "60.00"))
    export_log(world.ledger.log, tmp_path / "export")
    report = Monitor(ExportSource(tmp_path / "export")).run_once()
    assert report.clean and report.checked == world.ledger.log.head().size == report.size


def test_an_overdraft_written_past_the_rules_is_reported_with_seq_and_code(world, tmp_path):
    funded(world)
    bad = overdraw(world)
    # the server's own projections never saw it, so later entries still go through
    world.append(world.implementer, "funds.disbursed", helpers.disbursement_data(world.PUB, "40.00"))
    export_log(world.ledger.log, tmp_path / "export")
    report = Monitor(ExportSource(tmp_path / "export")).run_once()
    assert [(v.seq, v.type, v.code) for v in report.violations] == [(bad, "funds.disbursed", "insufficient_allocation")]
    v = report.violations[0]
    assert "500.00" in v.message and "100.00" in v.message
    assert v.leaf_hash == leaf_hash(world.ledger.log.leaf(bad)).hex()  # tied to the stored leaf


def test_the_monitor_reads_a_served_log_too(world):
    funded(world)
    bad = overdraw(world)
    with served(world) as log:
        report = Monitor(HttpSource(log)).run_once()
    assert [(v.seq, v.code) for v in report.violations] == [(bad, "insufficient_allocation")]


def test_every_rule_not_just_money(world, tmp_path):
    """A role the rules refuse (an implementer registering a project) and an attestation by the
    fundraiser's own organisation on its entry."""
    funded(world)
    a = bypass_rules(world, world.sign(world.implementer, "project.registered", helpers.project_data("P-ROGUE-1")))
    donation = world.append(world.fundraiser, "donation.received", helpers.donation_data(world.PUB, "5.00"))
    b = bypass_rules(
        world,
        world.sign(
            world.implementer, "attestation.recorded", {"target": donation, "verdict": "approved", "findings": "ok"}
        ),
    )
    export_log(world.ledger.log, tmp_path / "e")
    report = Monitor(ExportSource(tmp_path / "e")).run_once()
    assert [(v.seq, v.code) for v in report.violations] == [(a, "role_not_allowed"), (b, "role_not_allowed")]


def test_resuming_from_state_checks_only_the_new_entries(world, tmp_path):
    funded(world)
    state = tmp_path / "state"
    export_log(world.ledger.log, tmp_path / "e1")
    first = Monitor(ExportSource(tmp_path / "e1"), state).run_once()
    assert first.clean and first.saved and first.checked_from == 0
    checked = first.size

    bad = overdraw(world)
    world.append(world.registrar, "org.registered", helpers.org_data(helpers.make_uscc("53440300000000777")))
    export_log(world.ledger.log, tmp_path / "e2")
    second = Monitor(ExportSource(tmp_path / "e2"), state).run_once()
    assert (second.checked_from, second.checked) == (checked, world.ledger.log.head().size - checked)
    assert [(v.seq, v.code) for v in second.violations] == [(bad, "insufficient_allocation")]
    kept = [json.loads(line) for line in (state / "violations.jsonl").read_text().splitlines()]
    assert [(v["seq"], v["code"]) for v in kept] == [(bad, "insufficient_allocation")]

    third = Monitor(ExportSource(tmp_path / "e2"), state).run_once()
    assert third.clean and third.checked == 0  # reported once

    # the resumed replay holds the same projections as a replay from 0
    from ledger.services.monitor import Replay

    saved = json.loads((state / "monitor.json").read_text())
    fresh = Replay(saved["replay"]["origin"])
    for raw in world.ledger.log.iter_leaves():
        fresh.feed(raw)
    assert Replay.from_json(saved["replay"]).to_json() == fresh.to_json()


def test_a_rewritten_past_is_caught_when_resuming(world, tmp_path):
    """History changed under a saved state: the new leaves do not extend the checked tree."""
    twin = twin_world(tmp_path, world, "twin")  # same log key and origin, same leaves so far
    world.append(world.registrar, "org.registered", helpers.org_data(helpers.make_uscc("53440300000000801")))
    twin.append(twin.registrar, "org.registered", helpers.org_data(helpers.make_uscc("53440300000000802")))
    state = tmp_path / "state"
    export_log(world.ledger.log, tmp_path / "e1")
    assert Monitor(ExportSource(tmp_path / "e1"), state).run_once().clean
    saved = (state / "monitor.json").read_bytes()
    size = world.ledger.log.head().size

    twin.append(twin.registrar, "org.registered", helpers.org_data(helpers.make_uscc("53440300000000803")))
    export_log(twin.ledger.log, tmp_path / "e2")
    report = Monitor(ExportSource(tmp_path / "e2"), state).run_once()
    codes = [(v.seq, v.code) for v in report.violations]
    assert codes == [(size, "monitor_chain_broken"), (None, "monitor_root_mismatch")]
    assert not report.saved and (state / "monitor.json").read_bytes() == saved


def test_tampered_leaf_in_the_database(world, tmp_path):
    funded(world)
    donation_seq = world.ledger.log.head().size - 2
    with world.ledger.engine.begin() as conn:
        raw = conn.execute(text("SELECT leaf FROM log_leaf WHERE seq = :s"), {"s": donation_seq}).scalar_one()
        changed = bytes(raw).replace(b'"amount":"300.00"', b'"amount":"3000.00"')
        assert changed != bytes(raw)
        conn.execute(text("UPDATE log_leaf SET leaf = :l WHERE seq = :s"), {"l": changed, "s": donation_seq})
    export_log(world.ledger.log, tmp_path / "e")
    report = Monitor(ExportSource(tmp_path / "e")).run_once()
    codes = [(v.seq, v.code) for v in report.violations]
    assert (donation_seq, "bad_signature") in codes
    assert (donation_seq + 1, "monitor_chain_broken") in codes
    assert (None, "monitor_root_mismatch") in codes


def test_cli_monitor_prints_json_lines_and_exits_1(world, tmp_path, run_cli, capsys):
    funded(world)
    bad = overdraw(world)
    export_log(world.ledger.log, tmp_path / "e")
    assert run_cli("monitor", "--export", str(tmp_path / "e"), "--once") == 1
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert [(v["seq"], v["type"], v["code"]) for v in lines] == [(bad, "funds.disbursed", "insufficient_allocation")]
    assert set(lines[0]) >= {"seq", "type", "code", "message"}
    summary = json.loads(captured.err.strip().splitlines()[-1])
    assert summary["violations"] == 1 and summary["checked"] == world.ledger.log.head().size


def test_cli_monitor_clean_exit_0(world, tmp_path, run_cli, capsys):
    export_log(world.ledger.log, tmp_path / "e")
    assert run_cli("monitor", "--export", str(tmp_path / "e"), "--once", "--state", str(tmp_path / "s")) == 0
    assert capsys.readouterr().out == ""
    assert run_cli("monitor", "--export", str(tmp_path / "e"), "--log", "http://x") == 2


def test_checkpoints_across_a_log_key_rotation(factory, tmp_path):
    from ledger.protocol.keys import KeyPair
    from ledger.protocol.note import format_verifier_key
    from ledger.store.export import log_vkey
    from ledger.store.runtime import rotate_log_key

    factory.with_genesis()
    factory.append_orgs(3)
    old = log_vkey(factory.ledger.log)
    export_log(factory.ledger.log, tmp_path / "e1")
    state = tmp_path / "state"
    assert Monitor(ExportSource(tmp_path / "e1"), state, log_vkey=old).run_once().clean
    rotate_log_key(factory.ledger)
    factory.append_orgs(2, start=20)
    export_log(factory.ledger.log, tmp_path / "e2")
    # resumed across the rotation, from the key pinned before it
    resumed = Monitor(ExportSource(tmp_path / "e2"), state, log_vkey=old).run_once()
    assert resumed.clean and resumed.saved and resumed.checked == 3
    # from scratch with either key
    for key in (old, log_vkey(factory.ledger.log)):
        assert Monitor(ExportSource(tmp_path / "e2"), log_vkey=key).run_once().clean
    # a key the log never named: the checkpoint is not authenticated
    stranger = format_verifier_key(factory.ledger.log.origin, KeyPair.from_seed(b"stranger").public)
    report = Monitor(ExportSource(tmp_path / "e2"), log_vkey=stranger).run_once()
    assert [(v.seq, v.code) for v in report.violations] == [(None, "verification_failed")]


def test_follow_on_violations_are_marked_as_consequences_of_the_root_cause(world, tmp_path):
    """A key granted past the rules, then entries signed with it and built on them: the monitor
    names one root cause, marks the rest as its consequences, and keeps an unrelated overdraft
    a problem of its own; every violation names its log."""
    funded(world)
    rogue = helpers.key("rogue fundraiser")
    root = bypass_rules(
        world, world.sign(world.implementer, "key.granted", helpers.grant_data(rogue, "fundraiser", helpers.FOUNDATION))
    )
    project = bypass_rules(world, world.sign(rogue, "project.registered", helpers.project_data("P-ROGUE-2")), rogue)
    gift = bypass_rules(world, world.sign(world.fundraiser, "donation.received", helpers.donation_data("P-ROGUE-2")))
    own = overdraw(world)
    export_log(world.ledger.log, tmp_path / "e")
    report = Monitor(ExportSource(tmp_path / "e")).run_once()
    origin = world.ledger.log.origin
    got = [(v.seq, v.caused_by, v.log) for v in report.violations]
    assert got == [(root, None, origin), (project, root, origin), (gift, root, origin), (own, None, origin)]
    summary = report.summary()
    assert summary["consequences"] == 2
    assert [(c["seq"], c["consequences"]) for c in summary["root_causes"]] == [(root, 2), (own, 0)]
    line = report.violations[1].to_json()
    assert line["consequence_of"] == f"a consequence of the refused entry {root} of {origin}: fix that one first"
