"""A raw database made before a column was added still publishes: the publisher adds the column (NULL)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from anonymize.publish import _upgrade_raw
from data.schema import ADDED_COLUMNS, create_raw_schema


def test_a_raw_database_without_the_columns_added_since_gains_them(tmp_path: Path) -> None:
    raw = tmp_path / "raw.duckdb"
    con = duckdb.connect(str(raw))
    create_raw_schema(con)
    for table, column, _ in ADDED_COLUMNS:
        con.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    con.close()
    _upgrade_raw(raw)
    con = duckdb.connect(str(raw), read_only=True)
    have = {(t, c) for t, c in con.execute("SELECT table_name, column_name FROM information_schema.columns").fetchall()}
    con.close()
    assert {(table, column) for table, column, _ in ADDED_COLUMNS} <= have
