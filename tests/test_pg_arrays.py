"""A batch's columns sent to PostgreSQL as binary arrays encoded by ``ledger.store.pg_arrays``
hold exactly what psycopg's own encoding of the same lists holds; values it does not encode
(wrong types, out of range, NUL, unpaired surrogates) are left to psycopg and the server."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from ledger.store import pg_arrays
from ledger.store.db import make_engine
from ledger.store.fastsql import driver_connection

COLUMNS = {
    "VARCHAR[]": ["a", None, "中文\u3000x", "", "e\u0301", "'\"\\{},"],
    "TEXT[]": ["x", None],
    "BYTEA[]": [b"\x00\x01", None, b"", b"y" * 600],
    "BIGINT[]": [0, -1, 2**63 - 1, -(2**63), None],
    "INTEGER[]": [0, -1, 2**31 - 1, None],
    "SMALLINT[]": [0, 5, -32768, None],
    "BOOLEAN[]": [True, False, None],
}


def test_encoded_arrays_hold_what_psycopg_sends(postgres_url: str) -> None:
    engine = make_engine(postgres_url, pool=False)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            cursor = driver_connection(conn).cursor()
            for array_type, values in COLUMNS.items():
                encoded = pg_arrays.encode(array_type, values)
                assert encoded is not None, array_type
                ours = cursor.execute(f"SELECT CAST(%b AS {array_type})", [encoded]).fetchone()[0]
                theirs = cursor.execute(f"SELECT CAST(%b AS {array_type})", [values]).fetchone()[0]
                assert ours == theirs == values
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("array_type", "values"),
    [
        ("VARCHAR[]", ["a\x00"]),
        ("VARCHAR[]", [None, "\ud800"]),
        ("VARCHAR[]", [1]),
        ("BIGINT[]", [2**63]),
        ("BIGINT[]", [True]),
        ("SMALLINT[]", [40000]),
        ("BOOLEAN[]", [1]),
        ("BYTEA[]", [bytearray(b"x")]),
        ("NUMERIC[]", [1]),
        ("VARCHAR[]", []),
    ],
)
def test_values_it_does_not_encode_are_left_to_psycopg(array_type: str, values: list[object]) -> None:
    assert pg_arrays.encode(array_type, values) is None
