"""Aggregation of the raw payments: the same cells however the work is split."""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd

from anonymize import aggregate
from anonymize.build import scope_regions

KEYS = ["region", "program", "period", "channel"]


def test_aggregating_a_few_provinces_at_a_time_gives_the_same_cells(tmp_path, monkeypatch, run_module):
    raw = tmp_path / "raw.duckdb"
    run_module("data", "generate", "--regions", "34.71,52.71,51.71", "--scale", "0.05", "--seed", "1", "--out", raw)
    with duckdb.connect(str(raw), read_only=True) as con:
        scope = aggregate.detect_scope(con, None)
        assert len(scope.provinces) == 3
        regions = scope_regions(con, scope)
        monkeypatch.setattr(aggregate, "PROVINCES_PER_QUERY", 10)
        at_once, quality_at_once = aggregate.payment_tables(con, scope, regions, 14)
        monkeypatch.setattr(aggregate, "PROVINCES_PER_QUERY", 1)
        one_by_one, quality_one_by_one = aggregate.payment_tables(con, scope, regions, 14)
        payments = con.execute("SELECT count(*) FROM disbursements").fetchone()[0]
    assert set(at_once["region"].str[:2]) == {*scope.provinces, "ID"}
    at_once, one_by_one = (f.sort_values(KEYS).reset_index(drop=True) for f in (at_once, one_by_one))
    pd.testing.assert_frame_equal(at_once, one_by_one)
    # A NIK paid in two provinces is a duplicate however the provinces are split.
    quality_keys = ["region", "indicator"]
    pd.testing.assert_frame_equal(quality_at_once.sort_values(quality_keys).reset_index(drop=True),
                                  quality_one_by_one.sort_values(quality_keys).reset_index(drop=True))
    every_payment = at_once[(at_once["program"] == "SEMUA") & (at_once["period"] == "2025")
                            & (at_once["channel"] == "SEMUA")]
    assert every_payment.loc[every_payment["region"] == "ID", "payments"].tolist() == [payments]
    assert every_payment.loc[every_payment["region"].isin(scope.provinces), "payments"].sum() == payments


def test_quarantined_rows_count_in_the_year_of_their_month_only(raw_db, tmp_path):
    raw = tmp_path / "raw.duckdb"
    shutil.copy(raw_db, raw)
    with duckdb.connect(str(raw)) as con:
        scope = aggregate.detect_scope(con, None)
        desa = con.execute("SELECT min(desa_code) FROM disbursements").fetchall()[0][0]
        for line, period in enumerate((f"{scope.year}-03", f"{scope.year}-{scope.through_month:02d}",
                                       f"{scope.year - 1}-12", None)):
            con.execute("INSERT INTO quarantine (source, source_sha256, source_line, reasons, desa_code, record, "
                        "period) VALUES ('x.csv', 'f00', ?, ['amount_fraction: test'], ?, '{}', ?)",
                        [line, desa, period])
        quality = aggregate.payment_tables(con, scope, scope_regions(con, scope), 14)[1]
    quarantined = quality[(quality["indicator"] == "quarantined_rows") & (quality["region"] == desa)]
    assert quarantined["households"].tolist() == [2]
    assert set(quality["period"]) == {str(scope.year)}
