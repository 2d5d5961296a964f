"""Aggregation of the raw payments: the same cells however the work is split."""

from __future__ import annotations

import shutil
from dataclasses import replace

import duckdb
import pandas as pd
import pytest

from anonymize import aggregate
from anonymize.build import aggregate_frames, scope_regions

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
        # The generator makes several years by default; the release is the latest.
        payments = con.execute("SELECT count(*) FROM disbursements WHERE period LIKE ?",
                               [f"{scope.year}-%"]).fetchone()[0]
        assert con.execute("SELECT count(DISTINCT year) FROM households").fetchone()[0] > 1
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


# --- The aggregation against a straightforward pandas computation from the payment rows -----------------------

MEASURES = ["payments", "paid_payments", "failed_payments", "returned_payments", "pending_payments",
            "late_payments", "amount", "recipients", "eligible_households", "registered_households"]
TARGETS = {"PKH": (4, True, False), "SEMBAKO": (4, False, False), "BLT_DD": (2, False, True)}


def _awkward(raw):
    """Households the generator does not make: paid without a KK number (keyed by NIK), paid to two NIKs, through
    two channels in one program (and an unknown channel), a NIK paid in two provinces, invalid NIKs, heads who died
    mid-year, quarantined rows."""
    with duckdb.connect(str(raw)) as con:
        kk = [k for (k,) in con.execute("SELECT DISTINCT kk_number FROM disbursements WHERE status = 'disalurkan' "
                                        "ORDER BY kk_number LIMIT 40").fetchall()]
        con.execute("UPDATE disbursements SET kk_number = NULL WHERE list_contains(?, kk_number)", [kk[:15]])
        con.execute("UPDATE disbursements SET nik = '9' || right(nik, 15) "
                    "WHERE list_contains(?, kk_number) AND period >= '2025-07'", [kk[15:30]])
        con.execute("UPDATE disbursements SET channel = CASE WHEN channel = 'POS' THEN 'BRI' ELSE 'POS' END "
                    "WHERE list_contains(?, kk_number) AND period >= '2025-10'", [kk[25:35]])
        con.execute("UPDATE disbursements SET channel = NULL WHERE list_contains(?, kk_number) AND period = '2025-04'",
                    [kk[33:40]])
        first, second = con.execute("SELECT min(desa_code), max(desa_code) FROM disbursements").fetchone()
        nik = con.execute("SELECT min(nik) FROM disbursements WHERE desa_code = ? AND status = 'disalurkan'",
                          [first]).fetchone()[0]
        con.execute("UPDATE disbursements SET nik = ? WHERE desa_code = ? AND period = '2025-09' AND nik = "
                    "(SELECT min(nik) FROM disbursements WHERE desa_code = ? AND period = '2025-09')",
                    [nik, second, second])
        con.execute("UPDATE disbursements SET nik_valid = (hash(nik) % 97 <> 0)")
        con.execute("UPDATE households SET head_died_on = DATE '2025-06-15' WHERE hash(kk_number) % 53 = 0")
        for line, period in enumerate(("2025-02", "2025-08", "2025-08", "2024-12", None)):
            con.execute("INSERT INTO quarantine (source, source_sha256, source_line, reasons, desa_code, record, "
                        "period) VALUES ('x.csv', 'f00', ?, ['amount_fraction: test'], ?, '{}', ?)",
                        [line, first, period])


def _expected(raw, scope, regions):
    """Every cell's measures, counted from the rows with pandas: nothing shared with anonymize.aggregate."""
    with duckdb.connect(str(raw), read_only=True) as con:
        rows = con.execute("SELECT * FROM disbursements WHERE period BETWEEN ? AND ?",
                           [f"{scope.year}-01", scope.through]).df()
        # The registry of the release's year (a raw database of several years lists a household once a year).
        households = con.execute("SELECT h.*, r.kind FROM households h JOIN regions r ON r.code = h.desa_code "
                                 "WHERE h.year = ?", [scope.year]).df()
        registered = con.execute("SELECT desa_code FROM households WHERE year = ?", [scope.year]).df()
        quarantine = con.execute("SELECT desa_code, period FROM quarantine WHERE desa_code IS NOT NULL").df()
    ancestors = regions.set_index("code")[["kecamatan_code", "kabupaten_code", "province_code"]]
    rows["channel"] = rows["channel"].fillna("LAINNYA")
    rows["month"] = rows["period"].str[5:].astype(int)
    rows["household"] = rows["desa_code"] + "|" + rows["kk_number"].map("k{}".format, na_action="ignore").fillna(
        "n" + rows["nik"])
    paid = rows["status"] == "disalurkan"
    rows["paid"], rows["late"] = paid, paid & (rows["paid_date"] > rows["scheduled_date"] + pd.Timedelta(days=14))
    for status, name in (("gagal", "failed"), ("retur", "returned"), ("tertunda", "pending")):
        rows[name] = rows["status"] == status
    rows["paid_amount"] = rows["amount"].where(paid, 0)
    rows["paid_household"] = rows["household"].where(paid)
    rows = rows.join(ancestors, on="desa_code")
    rows["nation"] = "ID"
    whole = {scope.year_code: scope.through_month,
             **dict(zip(scope.earlier_codes, scope.earlier, strict=True))}
    periods = [(code, rows["month"] <= last) for code, last in whole.items()]
    periods += [(f"{scope.year}-{m:02d}", rows["month"] == m) for m in range(1, scope.through_month + 1)]
    frames = []
    for level in ("desa_code", "kecamatan_code", "kabupaten_code", "province_code", "nation"):
        for code, inside in periods:
            part = rows[inside]
            for program in (True, False):
                for channel in (True, False):
                    keys = [level, *(["program"] if program else []), *(["channel"] if channel else [])]
                    grouped = part.groupby(keys).agg(
                        payments=("status", "size"), paid_payments=("paid", "sum"), failed_payments=("failed", "sum"),
                        returned_payments=("returned", "sum"), pending_payments=("pending", "sum"),
                        late_payments=("late", "sum"), amount=("paid_amount", "sum"),
                        recipients=("paid_household", "nunique")).reset_index()
                    frames.append(grouped.rename(columns={level: "region"}).assign(
                        period=code, **({} if program else {"program": "SEMUA"}),
                        **({} if channel else {"channel": "SEMUA"})))
    cells = pd.concat(frames, ignore_index=True)

    households["household"] = households["desa_code"] + "|k" + households["kk_number"]
    households = households.join(ancestors, on="desa_code").assign(nation="ID")
    eligibility = []
    for code, _ in periods[:len(whole)]:
        for program, (desil, component, desa_only) in TARGETS.items():
            needs = (households["pkh_components"] > 0) if component else True
            where = (households["kind"] != "kelurahan") if desa_only else True
            eligible = households[(households["desil"] <= desil) & needs & where].assign(eligible_households=1)
            for level in ("desa_code", "kecamatan_code", "kabupaten_code", "province_code", "nation"):
                counts = eligible.groupby(level)[["eligible_households"]].sum().reset_index()
                eligibility.append(counts.rename(columns={level: "region"}).assign(
                    program=program, period=code, channel="SEMUA"))
        counted = registered.join(ancestors, on="desa_code").assign(nation="ID")
        for level in ("desa_code", "kecamatan_code", "kabupaten_code", "province_code", "nation"):
            counts = counted.groupby(level).size().rename("registered_households").reset_index()
            eligibility.append(counts.rename(columns={level: "region"}).assign(
                program="SEMUA", period=code, channel="SEMUA"))
    cells = cells.merge(pd.concat(eligibility, ignore_index=True), how="outer", on=KEYS)

    quality = []
    for code, inside in periods[:len(whole)]:
        part = rows[inside & paid]
        deaths = part.merge(households[["desa_code", "kk_number", "head_died_on"]], on=["desa_code", "kk_number"])
        shared = part.groupby("nik")["desa_code"].nunique()
        last = f"{scope.year}-{whole[code]:02d}"
        per_indicator = {
            "duplicate_nik": part[part["nik"].isin(shared[shared > 1].index)].groupby("desa_code")["household"]
            .nunique(),
            "invalid_nik": part[part["nik_valid"] == False].groupby("desa_code")["household"].nunique(),  # noqa: E712
            "deceased_paid": deaths[deaths["paid_date"] > deaths["head_died_on"]].groupby("desa_code")["household"]
            .nunique(),
            "quarantined_rows": quarantine[quarantine["period"].between(f"{scope.year}-01", last)]
            .groupby("desa_code").size(),
        }
        for indicator, counts in per_indicator.items():
            located = counts.rename("households").reset_index().join(ancestors, on="desa_code").assign(nation="ID")
            for level in ("kecamatan_code", "kabupaten_code", "province_code", "nation"):
                summed = located.groupby(level)["households"].sum().reset_index()
                quality.append(summed.rename(columns={level: "region"}).assign(indicator=indicator, period=code))
    return cells, pd.concat(quality, ignore_index=True)


@pytest.mark.parametrize("earlier", [(), (7,)])
def test_cells_equal_a_straightforward_count_of_the_rows(tmp_path, run_module, earlier):
    raw = tmp_path / "raw.duckdb"
    run_module("data", "generate", "--regions", "34.71,52.71", "--scale", "0.05", "--seed", "2", "--out", raw)
    _awkward(raw)
    with duckdb.connect(str(raw), read_only=True) as con:
        # Through December (this set's last payments are October's): desa publish the complete year only.
        scope = replace(aggregate.detect_scope(con, "2025-12"), earlier=earlier)
        regions = scope_regions(con, scope)
        frames = aggregate_frames(con, scope, regions, 14)
    expected, expected_quality = _expected(raw, scope, regions)
    cells = frames["disbursement_cells"]
    both = cells.merge(expected, how="left", on=KEYS, suffixes=("", "_expected"), indicator=True)
    assert len(both) == len(cells)
    for measure in MEASURES:
        published = both[measure].notna()
        want = both.loc[published, f"{measure}_expected"].fillna(0).to_numpy(dtype=float)
        assert (both.loc[published, measure].to_numpy() == want).all(), measure
    # Every cell the reference finds non-empty at a level that publishes it is there.
    level = expected["region"].map(regions.set_index("code")["level"])
    shown = (expected["channel"].eq("SEMUA") | level.isin(["nasional", "provinsi", "kabupaten"])) & (
        level.ne("desa") | expected["period"].isin(scope.small_area_codes))
    missing = expected[shown].merge(cells[KEYS], how="left", on=KEYS, indicator=True)
    assert (missing["_merge"] == "both").all(), missing[missing["_merge"] != "both"].head(5).to_string()
    # Households keyed by NIK count once each: fewer distinct households than paid payments, more than KK numbers.
    nation = cells[(cells["region"] == "ID") & (cells["program"] == "SEMUA") & (cells["channel"] == "SEMUA")
                   & (cells["period"] == scope.year_code)].iloc[0]
    assert 0 < nation["recipients"] < nation["paid_payments"]

    quality = frames["quality_cells"]
    quality_keys = ["region", "indicator", "period"]
    both = quality.merge(expected_quality, how="outer", on=quality_keys, suffixes=("", "_expected"))
    assert (both["households"].fillna(0) == both["households_expected"].fillna(0)).all()
    national = expected_quality[expected_quality["region"] == "ID"].set_index(["indicator", "period"])["households"]
    assert national[("duplicate_nik", scope.year_code)] >= 2  # the NIK paid in two provinces
    assert national[("invalid_nik", scope.year_code)] > 0
    assert national[("deceased_paid", scope.year_code)] > 0
    assert national[("quarantined_rows", scope.year_code)] == 3
    if earlier:
        assert national[("quarantined_rows", "2025@07")] == 1
