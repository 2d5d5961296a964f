"""A release made by the real `publish` command, checked against the published-schema contract (published_schema.py)
and the data dictionary against both."""

from __future__ import annotations

import duckdb
import pytest

import published_schema as schema
from anonymize.dictionary import dictionary_frame


def _columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    rows = con.execute("SELECT table_name, list(column_name ORDER BY ordinal_position) FROM information_schema.columns "
                       "WHERE table_schema = 'main' GROUP BY table_name").fetchall()
    return {table: list(columns) for table, columns in rows}


def test_every_table_and_column_is_the_contracts(published):
    assert _columns(published) == {t: list(c) for t, c in schema.TABLE_COLUMNS.items()}


def test_the_dictionary_describes_exactly_the_contracts_columns():
    frame = dictionary_frame()
    described = frame[frame["column_name"] != ""].groupby("table_name", sort=False)["column_name"].apply(list)
    assert described.to_dict() == {t: list(c) for t, c in schema.TABLE_COLUMNS.items()}


def test_codes_are_the_contracts(published):
    programs = [c for (c,) in published.execute("SELECT code FROM programs").fetchall()]
    assert programs == list(schema.PROGRAM_CHOICES)
    assert {c for (c,) in published.execute("SELECT DISTINCT program FROM disbursement_cells").fetchall()} \
        == set(schema.PROGRAM_CHOICES)
    channels = {c for (c,) in published.execute("SELECT DISTINCT channel FROM disbursement_cells").fetchall()}
    assert schema.ALL_CHANNELS in channels
    assert channels <= {schema.ALL_CHANNELS, *schema.CHANNELS, schema.UNKNOWN_CHANNEL}
    levels = {lv for (lv,) in published.execute("SELECT DISTINCT level FROM regions").fetchall()}
    assert levels == set(schema.LEVELS)
    codes = published.execute("SELECT code, level FROM regions").fetchall()
    assert all(schema.level_of_code(code) == level for code, level in codes)
    assert ("ID", "nasional") in codes and schema.NATIONAL_CODE == "ID"
    for table, column, values in ((schema.COMPLAINT_CELLS, "category", schema.COMPLAINT_CATEGORIES),
                                  (schema.PROPOSAL_CELLS, "kind", schema.PROPOSAL_KINDS),
                                  (schema.QUALITY_CELLS, "indicator", schema.QUALITY_INDICATORS)):
        found = {v for (v,) in published.execute(f"SELECT DISTINCT {column} FROM {table}").fetchall()}
        assert found == {schema.ALL, *values} - ({schema.ALL} if table == schema.QUALITY_CELLS else set()), table


@pytest.mark.parametrize("table", schema.CELL_TABLES)
def test_each_table_has_rows_at_its_levels_only(published, table):
    levels = {lv for (lv,) in published.execute(f"SELECT DISTINCT level FROM {table}").fetchall()}
    assert levels == set(schema.TABLE_LEVELS[table])


def test_breakdowns_are_published_at_the_contracts_levels(published):
    def levels(where: str) -> set[str]:
        sql = f"SELECT DISTINCT level FROM disbursement_cells WHERE {where}"
        return {lv for (lv,) in published.execute(sql).fetchall()}

    assert levels("length(period) = 7") == set(schema.MONTHLY_LEVELS)
    assert levels("channel <> 'SEMUA'") == set(schema.CHANNEL_LEVELS)
    assert levels("failed_payments IS NOT NULL AND length(period) = 7") == set(schema.STATUS_MONTHLY_LEVELS)
    assert levels("failed_payments IS NOT NULL AND length(period) = 4") == set(schema.STATUS_YEAR_LEVELS)
    # has_months is the dashboard's reading of the same rule: a desa has no months.
    assert {lv for lv in schema.LEVELS if schema.has_months(lv)} == levels("length(period) = 7")


def test_primary_keys_hold(published):
    for table, key in schema.PRIMARY_KEYS.items():
        columns = ", ".join(key)
        sql = f"SELECT count(*) - count(DISTINCT ({columns})) FROM {table}"
        assert published.execute(sql).fetchone()[0] == 0, table


def test_the_earlier_tables_speak_of_revisions_only_where_late_records_revise():
    """Late records revise disbursement and data-quality cells (anonymize.build.revised_frames), never complaints
    or proposals: the dictionary of complaint_cells_earlier told readers of `2025-04+10` codes and late payments
    that its table never holds."""
    frame = dictionary_frame()
    frame = frame[frame["table_name"].str.endswith("_earlier")]
    text = {name: " ".join(rows[["description_id", "description_en"]].astype(str).to_numpy().ravel())
            for name, rows in frame.groupby("table_name")}
    assert set(text) == {"disbursement_cells_earlier", "complaint_cells_earlier", "proposal_cells_earlier",
                         "quality_cells_earlier"}
    for name in ("complaint_cells_earlier", "proposal_cells_earlier"):
        assert "+10" not in text[name] and "late records revise" not in text[name], name
        assert "do not revise this table" in text[name] and "tidak direvisi" in text[name]
    for name in ("disbursement_cells_earlier", "quality_cells_earlier"):
        assert "2025-04+10" in text[name] and "late records revise" in text[name], name
