import dataclasses

import pytest

from ledger.domain import ROW_TYPES, MemoryState, Overlay
from ledger.domain.rows import ALLOWED_TYPES, DEFAULT_MAX, AllocationBalanceRow, KeyRow, max_length, pk_of


def test_row_types_are_sql_friendly():
    names = set()
    for row_type in ROW_TYPES:
        assert dataclasses.is_dataclass(row_type)
        assert hasattr(row_type, "__slots__")
        table = row_type.__table__name__
        assert table.startswith("p_") and table not in names
        names.add(table)
        field_names = [f.name for f in dataclasses.fields(row_type)]
        assert row_type.__pk__ and set(row_type.__pk__) <= set(field_names)
        assert "__table__name__" not in field_names and "__pk__" not in field_names
        for f in dataclasses.fields(row_type):
            assert f.type in ALLOWED_TYPES, (row_type, f.name, f.type)
            if f.type in (str, str | None):
                assert 1 <= max_length(row_type, f.name) <= 12000
            if f.name.endswith("_json"):
                assert f.type is str
            if f.type in (int | None, str | None):
                assert f.default is None, (row_type, f.name)


def test_default_max_length():
    assert DEFAULT_MAX == 200


def test_no_personal_data_fields():
    for row_type in ROW_TYPES:
        for f in dataclasses.fields(row_type):
            assert f.name not in ("name", "donor_name", "id_number", "phone", "address", "salt")


def _key(kid: str, role: str = "fundraiser", org: str = "o") -> KeyRow:
    return KeyRow(key_id=kid, public_key="k", role=role, org=org, holder="h", granted_seq=1)


def test_memory_state_get_put_scan_snapshot():
    s = MemoryState()
    assert s.get(KeyRow, "a") is None
    s.put(_key("b", org="x"))
    s.put(_key("a"))
    s.put(_key("a", role="implementer"))  # replace by primary key
    assert s.get(KeyRow, "a").role == "implementer"
    assert [r.key_id for r in s.scan(KeyRow, org="o")] == ["a"]
    assert s.scan(KeyRow, org="o", role="fundraiser") == []
    assert len(s.rows(KeyRow)) == 2
    snap = s.snapshot()
    assert set(snap) == {t.__table__name__ for t in ROW_TYPES}
    assert [r["key_id"] for r in snap["p_key"]] == ["a", "b"]
    assert snap["p_project"] == []
    with pytest.raises(TypeError):
        s.get(KeyRow, "a", "b")
    with pytest.raises(TypeError):
        s.scan(KeyRow, colour="red")


def test_composite_key():
    s = MemoryState()
    row = AllocationBalanceRow(project="p", implementer="i", currency="CNY", allocated_minor=5, balance_minor=5)
    s.put(row)
    assert pk_of(row) == ("p", "i")
    assert s.get(AllocationBalanceRow, "p", "i") is row
    assert s.get(AllocationBalanceRow, "p", "j") is None


def test_overlay_reads_through_and_keeps_changes_aside():
    base = MemoryState()
    base.put(_key("a"))
    base.put(_key("b"))
    o = Overlay(base)
    assert o.get(KeyRow, "a").role == "fundraiser"
    o.put(_key("c"))
    o.put(_key("a", role="implementer"))
    o.put(_key("c", org="x"))
    assert o.get(KeyRow, "a").role == "implementer"
    assert base.get(KeyRow, "a").role == "fundraiser"
    assert base.get(KeyRow, "c") is None
    # last write per key, in first-put order
    assert [(r.key_id, r.org, r.role) for r in o.changes()] == [("c", "x", "fundraiser"), ("a", "o", "implementer")]
    assert sorted(r.key_id for r in o.scan(KeyRow, org="o")) == ["a", "b"]
    assert [r.role for r in o.scan(KeyRow, key_id="a")] == ["implementer"]
    assert [r.key_id for r in o.scan(KeyRow, role="fundraiser")] == ["b", "c"]


def test_overlay_discard_and_flush():
    base = MemoryState()
    o = Overlay(base)
    o.put(_key("a"))
    o.discard()
    assert o.changes() == [] and base.get(KeyRow, "a") is None
    o.put(_key("b"))
    flushed = o.flush()
    assert [r.key_id for r in flushed] == ["b"]
    assert base.get(KeyRow, "b") is not None and len(o) == 0


def test_overlays_stack():
    base = MemoryState()
    outer = Overlay(base)
    inner = Overlay(outer)
    inner.put(_key("a"))
    inner.flush()
    assert outer.get(KeyRow, "a") is not None and base.get(KeyRow, "a") is None
