"""Year over year: the change arithmetic (a hidden value never becomes a number), the comparison's months and labels,
every cell query staying within one year, and the pages on a release that publishes two years."""

from __future__ import annotations

import inspect
import io
import json
import os
import re
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import openformat
from dashboard import change, db, export, maps, queries
from dashboard.metrics import HIDDEN, NA, OK, UNDEFINED
from published_schema import ALL_CHANNELS, CELL_TABLES

APP = Path(__file__).resolve().parents[2] / "app.py"
PLACEHOLDER = 777_777.0


def values(rows: list[tuple]) -> pd.DataFrame:
    """region_code, value, status, lower, upper rows (as `metrics.build_values` gives them)."""
    return pd.DataFrame(rows, columns=["region_code", "value", "status", "lower", "upper"])


# --- the arithmetic ---------------------------------------------------------------------------------------------

def test_a_change_of_two_published_values_is_their_difference_and_ratio():
    out = change.changes(values([("a", 120.0, OK, np.nan, np.nan), ("b", 80.0, OK, np.nan, np.nan)]),
                         values([("a", 100.0, OK, np.nan, np.nan), ("b", 100.0, OK, np.nan, np.nan)]))
    assert out["change"].tolist() == [20.0, -20.0]
    assert out["change_pct"].tolist() == pytest.approx([0.2, -0.2])
    assert set(out["change_status"]) == {OK}


@pytest.mark.parametrize("side", ["now", "before"])
def test_a_hidden_value_without_a_range_hides_the_change_whatever_placeholder_it_carries(side):
    """The test line of issue 17: year-over-year figures never use a hidden value (here its row carries a
    placeholder number, as a careless export might: the change must not move with it)."""
    outs = []
    for placeholder in (PLACEHOLDER, 0.0, -5.0):
        hidden = values([("a", placeholder, HIDDEN, np.nan, np.nan)])
        shown = values([("a", 100.0, OK, np.nan, np.nan)])
        now, before = (hidden, shown) if side == "now" else (shown, hidden)
        outs.append(change.changes(now, before))
    for out in outs:
        assert out["change_status"].iloc[0] == HIDDEN and out["change_pct_status"].iloc[0] == HIDDEN
        assert np.isnan(out["change"].iloc[0]) and np.isnan(out["change_pct"].iloc[0])
        assert np.isnan(out["change_lower"].iloc[0]) and np.isnan(out["change_upper"].iloc[0])
        assert np.isnan(out[side].iloc[0])
    pd.testing.assert_frame_equal(outs[0], outs[1])
    pd.testing.assert_frame_equal(outs[0], outs[2])
    labels = change.format_changes(change.as_values(outs[0], "abs"), "recipients", "abs", "id", 10)
    assert labels == ["disembunyikan"]


def test_a_hidden_value_with_a_published_range_gives_the_range_of_the_change():
    now = values([("a", PLACEHOLDER, HIDDEN, 180.0, 260.0), ("b", 300.0, OK, np.nan, np.nan)])
    before = values([("a", 200.0, OK, np.nan, np.nan), ("b", PLACEHOLDER, HIDDEN, 150.0, 250.0)])
    out = change.changes(now, before)
    # [lower_now - upper_before, upper_now - lower_before]; a published value is its own range.
    assert out[["change_lower", "change_upper"]].to_numpy().tolist() == [[-20.0, 60.0], [50.0, 150.0]]
    assert out["change_pct_lower"].tolist() == pytest.approx([180 / 200 - 1, 300 / 250 - 1])
    assert out["change_pct_upper"].tolist() == pytest.approx([260 / 200 - 1, 300 / 150 - 1])
    assert out["change"].isna().all() and (out["change_status"] == HIDDEN).all()
    labels = change.format_changes(change.as_values(out, "abs"), "recipients", "abs", "en", 10)
    assert labels == ["hidden (between −20 and +60)", "hidden (between +50 and +150)"]
    assert str(int(PLACEHOLDER)) not in " ".join(labels) and "777" not in " ".join(labels)


def test_a_range_needs_both_ends_and_a_positive_base_for_percent():
    out = change.changes(values([("a", np.nan, HIDDEN, 10.0, 20.0), ("b", 5.0, OK, np.nan, np.nan)]),
                         values([("a", np.nan, HIDDEN, np.nan, np.nan), ("b", np.nan, HIDDEN, 0.0, 4.0)]))
    assert out["change_lower"].isna().iloc[0]                       # no range the year before: no range
    assert out[["change_lower", "change_upper"]].iloc[1].tolist() == [1.0, 5.0]
    assert np.isnan(out["change_pct_lower"].iloc[1])                # could have been 0 before: no percent range


def test_no_region_or_nothing_the_year_before_is_not_a_change():
    out = change.changes(values([("a", 10.0, OK, np.nan, np.nan), ("b", 10.0, OK, np.nan, np.nan),
                                 ("c", np.nan, NA, np.nan, np.nan)]),
                         values([("b", 0.0, OK, np.nan, np.nan), ("c", 4.0, OK, np.nan, np.nan)]))
    assert out["change_status"].tolist() == [NA, OK, NA]
    assert out["change"].iloc[1] == 10.0
    assert out["change_pct_status"].iloc[1] == UNDEFINED and np.isnan(out["change_pct"].iloc[1])


def test_months_add_up_only_when_every_month_is_published():
    months = [values([("a", 10.0, OK, np.nan, np.nan), ("b", 1.0, OK, np.nan, np.nan)]),
              values([("a", 20.0, OK, np.nan, np.nan), ("b", PLACEHOLDER, HIDDEN, 0.0, 9.0)])]
    summed = change.combine(months, "amount")
    assert summed["value"].iloc[0] == 30.0 and summed["status"].iloc[0] == OK
    assert summed["status"].iloc[1] == HIDDEN and np.isnan(summed["value"].iloc[1])
    assert change.combine(months, "recipients")["value"].iloc[0] == 15.0     # the average month


def test_all_published_looks_at_every_cell():
    cells = pd.DataFrame({"region_code": ["a", "b"], "suppressed": [False, False], "amount": [1.0, 2.0]})
    assert change.all_published([cells, cells], "amount")
    assert not change.all_published([cells, cells.assign(suppressed=[False, True])], "amount")
    assert not change.all_published([cells, cells.iloc[0:0]], "amount")      # a month not published at all


# --- what is compared with what ---------------------------------------------------------------------------------

def test_a_whole_partial_year_compares_the_same_months_from_kabupaten_up():
    found = change.plan("2025", "2025", "2024", range(1, 11), range(1, 13), "kabupaten", "amount")
    assert found.from_months and found.like_for_like
    assert found.now_periods == tuple(f"2025-{m:02d}" for m in range(1, 11))
    assert found.before_periods == tuple(f"2024-{m:02d}" for m in range(1, 11))
    assert found.label("id") == "2025 Jan–Okt dibanding 2024 Jan–Okt"
    assert found.label("en") == "2025 Jan–Oct vs 2024 Jan–Oct"
    assert found.code() == "2025-01/2025-10 vs 2024-01/2024-10"
    # A hidden month: the whole years instead, labelled plainly.
    plain = change.fallback(found)
    assert plain.now_periods == ("2025",) and plain.before_periods == ("2024",) and not plain.like_for_like
    assert plain.label("id") == "2025 Jan–Okt dibanding 2024 Jan–Des"


@pytest.mark.parametrize(("level", "metric"), [("kecamatan", "amount"), ("desa", "recipients"),
                                                ("kabupaten", "coverage")])
def test_below_kabupaten_or_for_a_rate_a_partial_year_is_labelled_plainly(level, metric):
    found = change.plan("2025", "2025", "2024", range(1, 11), range(1, 13), level, metric)
    assert (found.now_periods, found.before_periods) == (("2025",), ("2024",))
    assert found.label("en") == "2025 Jan–Oct vs 2024 Jan–Dec"


def test_whole_years_and_months_compare_like_with_like():
    whole = change.plan("2024", "2024", "2023", range(1, 13), range(1, 13), "kecamatan", "amount")
    assert whole.label("id") == "2024 dibanding 2023" and whole.like_for_like
    month = change.plan("2025-03", "2025", "2024", range(1, 11), range(1, 13), "desa", "amount")
    assert (month.now_periods, month.before_periods) == (("2025-03",), ("2024-03",))
    assert month.label("en") == "Mar 2025 vs Mar 2024"
    assert change.plan("2025-03", "2025", "2024", range(1, 11), range(4, 13), "kabupaten", "amount") is None
    assert change.previous_year("2022", ["2022", "2023"]) is None
    assert change.previous_year("2023", ["2022", "2023"]) == "2022"


def test_changes_are_written_with_their_sign_in_each_language():
    assert change.format_number(-164.8e6, "amount", "abs", "en") == "−Rp164.8 M"
    assert change.format_number(1234, "recipients", "abs", "id") == "+1.234"
    assert change.format_number(0.052, "amount", "pct", "id") == "+5,2%"
    assert change.format_number(-0.021, "coverage", "abs", "en") == "−2.1 percentage points"
    assert change.format_number(0.0, "recipients", "abs", "en") == "0"


def test_the_change_map_is_diverging_and_centred_on_zero():
    edges = maps.diverging_bins(pd.Series([-30.0, 5.0, np.nan, 12.0]))
    assert edges == pytest.approx([-30, -20, -10, 0, 10, 20, 30])
    assert maps.fill_for(-25.0, OK, edges, maps.DIVERGING) == maps.DIVERGING[0]
    assert maps.fill_for(25.0, OK, edges, maps.DIVERGING) == maps.DIVERGING[-1]
    # A fall and a rise of the same size: the same strength of colour on either side of 0.
    falls, rises = (maps.DIVERGING.index(maps.fill_for(v, OK, edges, maps.DIVERGING)) for v in (-15.0, 15.0))
    assert falls + rises == len(maps.DIVERGING) - 1
    assert maps.fill_for(np.nan, HIDDEN, edges, maps.DIVERGING) == maps.HIDDEN_FILL
    assert maps.HIDDEN_FILL not in maps.DIVERGING and maps.NA_FILL not in maps.DIVERGING


def test_a_change_download_reads_right_with_pandas_defaults():
    out = change.changes(values([("34.01", 120.0, OK, np.nan, np.nan), ("34.71", np.nan, HIDDEN, 10.0, 30.0)]),
                         values([("34.01", 100.0, OK, np.nan, np.nan), ("34.71", 20.0, OK, np.nan, np.nan)]))
    plotted = change.as_values(out, "pct").assign(name=["Kulon Progo", "Kota Yogyakarta"])
    view = {"measure": export.measure_name("recipients", "none", "pct"), "program": "SEMUA",
            "period": "2025 vs 2024", "level": "kabupaten", "region_code": "34"}
    frame = export.plotted_frame(plotted, export.REGION_KEYS, "20251201T000000Z", view)
    back = pd.read_csv(io.BytesIO(openformat.csv_bytes(frame)))
    assert back["measure"].tolist() == ["recipients_change_pct"] * 2
    assert back["period"].tolist() == ["2025 vs 2024"] * 2
    assert back["value"].iloc[0] == pytest.approx(0.2) and np.isnan(back["value"].iloc[1])
    assert back["status"].tolist() == ["ok", "hidden"]
    assert back[["range_lower", "range_upper"]].iloc[1].tolist() == pytest.approx([-0.5, 0.5])


# --- every query within one year --------------------------------------------------------------------------------

def shift_year(con: duckdb.DuckDBPyConnection, source: str, target: str, through: int = 12) -> None:
    """Add a copy of `source`'s cells as year `target` (months through `through`), every published count and Rupiah
    multiplied by 0.9 (so the two years differ), hidden rows given a placeholder (so a query or a change that reads
    one shows a number)."""
    months = [f"{target}-{m:02d}" for m in range(1, through + 1)]
    for table in CELL_TABLES:
        columns = con.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
                              "ORDER BY ordinal_position", [table]).fetchall()
        measures = [c for c, kind in columns if kind in ("BIGINT", "INTEGER", "DOUBLE", "HUGEINT")
                    and not c.endswith(("_lower", "_upper"))]
        replace = ", ".join(f"CASE WHEN suppressed THEN {PLACEHOLDER} ELSE round({c} * 0.9) END::{kind} AS {c}"
                            for c, kind in columns if c in measures)
        period = f"CASE WHEN length(period) = 4 THEN '{target}' ELSE '{target}' || substr(period, 5) END AS period"
        con.execute(f"INSERT INTO {table} SELECT * REPLACE ({period}{', ' + replace if replace else ''}) "
                    f"FROM {table} WHERE period = '{source}' OR period LIKE '{source}-%'")
        con.execute(f"DELETE FROM {table} WHERE length(period) = 7 AND period LIKE '{target}-%' "
                    "AND period NOT IN (SELECT unnest(?))", [months])
    con.execute("INSERT INTO periods SELECT * REPLACE (CASE WHEN kind = 'year' THEN ? ELSE ? || substr(period, 5) "
                "END AS period, ?::INTEGER AS year) FROM periods WHERE year = ?", [target, target, int(target),
                                                                                    int(source)])
    con.execute("DELETE FROM periods WHERE year = ? AND kind = 'month' AND period NOT IN (SELECT unnest(?))",
                [int(target), months])


@pytest.fixture(scope="session")
def two_years(published_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture release with the year before added (a copy, 0.9 times each published figure; placeholders in
    hidden rows): a release publishing two years, for the audit and the pages."""
    year = str(duckdb.connect(str(published_db), read_only=True).execute("SELECT data_year FROM release").fetchone()[0])
    path = tmp_path_factory.mktemp("two-years") / "bansos.duckdb"
    shutil.copy(published_db, path)
    with duckdb.connect(str(path)) as con:
        if con.execute("SELECT count(DISTINCT year) FROM periods").fetchone()[0] < 2:
            shift_year(con, year, str(int(year) - 1))
    return path


#: Every query of dashboard.queries that reads a cell table, called for one year.
YEAR_CALLS = {
    "periods": lambda con, year: queries.periods(con, year),
    "cells": lambda con, year: queries.cells(con, "34.01", "kecamatan", "SEMUA", year),
    "denominators": lambda con, year: queries.denominators(con, "34.01", "kecamatan", year),
    "denominators_of": lambda con, year: queries.denominators_of(con, ("34.01", "34.71"), year),
    "monthly": lambda con, year: queries.monthly(con, ("34.01", "34.71"), ("PKH", "SEMUA"), year),
    "monthly_channels": lambda con, year: queries.monthly(con, ("34.01",), ("PKH",), year, ("BRI", ALL_CHANNELS)),
    "channels": lambda con, year: queries.channels(con, "34.01", "PKH", year),
    "complaints": lambda con, year: queries.complaints(con, "34.01", year),
    "quality": lambda con, year: queries.quality(con, "34.01", "kecamatan", year),
    "region_cells": lambda con, year: queries.region_cells(con, "34.01", year),
}
#: Queries that read across years on purpose: the open-data page's downloads of a table as published, and the list
#: of published years itself.
WHOLE_TABLES = {"table", "empty_earlier_tables", "table_columns", "years"}


def test_every_query_of_a_cell_table_is_audited_for_one_year():
    readers = {name for name, fn in inspect.getmembers(queries, inspect.isfunction) if fn.__module__ == queries.__name__
               and re.search(r"_cells\b|_DENOMINATORS|FROM periods", inspect.getsource(fn))}
    assert readers, "the audit found no query at all"
    assert readers - WHOLE_TABLES <= {name.split("_channels")[0] for name in YEAR_CALLS}, \
        f"queries reading cells with no one-year check: {sorted(readers - WHOLE_TABLES - set(YEAR_CALLS))}"


@pytest.mark.parametrize("name", sorted(YEAR_CALLS))
def test_every_query_stays_within_one_year(name, published_db, two_years):
    """On a release of two years, each query of the latest year answers exactly what it answers on the release of
    that year alone, and of the year before only rows of that year (never a row of both)."""
    call = YEAR_CALLS[name]
    with (duckdb.connect(str(published_db), read_only=True) as one,
          duckdb.connect(str(two_years), read_only=True) as two):
        year = str(queries.release(one).data_year)
        before = str(int(year) - 1)
        alone, latest, earlier = call(one, year), call(two, year), call(two, before)
    if isinstance(alone, list):
        assert latest == alone and len(earlier) > 0
        assert all(p.startswith(before) for p in earlier) or name == "channels"
        return
    assert not alone.empty, "the check needs rows"
    pd.testing.assert_frame_equal(latest.reset_index(drop=True), alone.reset_index(drop=True))
    assert len(earlier) == len(alone)
    if "period" in earlier:
        assert earlier["period"].str.startswith(before).all()
    # The year before's values (0.9 times this year's), never this year's.
    measure = next((c for c in ("recipients", "eligible_households", "complaints", "households") if c in earlier), None)
    if measure is not None:
        flag = "eligible_suppressed" if "eligible_suppressed" in earlier else "suppressed"
        # Counts from 5 up: 0.9 times rounds to another number.
        published = (~earlier[flag].astype(bool) & (alone[measure].astype(float).fillna(0) >= 5)).to_numpy()
        assert published.any() or name == "quality"  # quality counts of a small fixture are mostly below 5
        assert (earlier[measure][published].to_numpy() != alone[measure][published].to_numpy()).all()


# --- the pages, on a release of two years -----------------------------------------------------------------------

@pytest.fixture
def open_two_years(two_years: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("BANSOS_PUBLISHED_DB", str(two_years))

    def run(page: str, **params: str) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=90)
        for key, value in params.items():
            at.query_params[key] = value
        at.query_params["page"] = page
        at.run()
        assert not at.exception, at.exception
        return at

    return run


def read(path: Path, sql: str, params: list) -> pd.DataFrame:
    """Expected values, on a connection configured as the app's (DuckDB refuses two configurations of one file in a
    process)."""
    with duckdb.connect(str(path), read_only=True, config=db.connection_config()) as con:
        return con.execute(sql, params).df()


def year_of(path: Path) -> tuple[str, str]:
    years = read(path, "SELECT DISTINCT year FROM periods ORDER BY year", [])["year"].astype(str).tolist()
    return years[-1], years[-2]


def test_the_year_picker_defaults_to_the_latest_and_goes_into_the_share_link(open_two_years, two_years):
    latest, before = year_of(two_years)
    at = open_two_years("beranda")
    picker = next(s for s in at.selectbox if s.label == "Tahun")
    assert picker.value == latest and picker.options == [latest, before]
    assert "year" not in at.query_params  # the default: a link follows the newest year
    at = open_two_years("peta", year=before, period=f"{latest}-03")
    period = next(s for s in at.selectbox if s.label == "Periode")
    assert period.value == f"{before}-03"  # the month follows the picked year
    assert at.query_params["year"] == before
    links = " ".join(c.value for c in at.code)
    assert f"year={before}" in links


def test_an_unknown_year_falls_back_with_an_escaped_notice(open_two_years, two_years):
    latest, _ = year_of(two_years)
    at = open_two_years("beranda", year="[x](https://evil.example)")
    notice = " ".join(w.value for w in at.warning)
    assert "year=" in notice and "](https" not in notice
    assert next(s for s in at.selectbox if s.label == "Tahun").value == latest


def test_the_overview_shows_the_change_since_last_year_from_published_cells(open_two_years, two_years):
    latest, before = year_of(two_years)
    at = open_two_years("beranda", region="34.01", lang="en")
    now, prior = (read(two_years, "SELECT recipients FROM disbursement_cells WHERE region_code = '34.01' "
                       "AND period = ? AND program = 'SEMUA' AND channel = ?", [y, ALL_CHANNELS])["recipients"].iloc[0]
                  for y in (latest, before))
    metric = next(m for m in at.metric if m.label.startswith(f"Recipient households ({latest}"))
    assert f"vs {before}" in metric.label
    assert metric.value == change.format_number(now - prior, "recipients", "abs", "en")
    assert metric.proto.delta == change.format_number(now / prior - 1, "recipients", "pct", "en")


def test_the_change_map_never_shows_a_number_for_a_hidden_value(open_two_years, two_years):
    latest, before = year_of(two_years)
    at = open_two_years("peta", region="34.01", level="kecamatan", change="abs", lang="en")
    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    rows = {row["c"]: row for row in deck["layers"][0]["data"]}
    cells = read(two_years, "SELECT region_code, period, suppressed, recipients FROM disbursement_cells "
                 "WHERE level = 'kecamatan' AND region_code LIKE '34.01.%' AND program = 'SEMUA' "
                 "AND channel = ? AND period IN (?, ?)", [ALL_CHANNELS, latest, before])
    wide = cells.pivot(index="region_code", columns="period")
    hidden = wide["suppressed"].any(axis=1)
    assert hidden.any() and (~hidden).any(), "the fixture needs hidden and published kecamatan"
    for code in wide.index:
        label = rows[code]["l"]
        if hidden[code]:
            assert label.startswith("hidden") and "777" not in label
        else:
            expected = wide.loc[code, ("recipients", latest)] - wide.loc[code, ("recipients", before)]
            assert label == change.format_number(expected, "recipients", "abs", "en")
            assert rows[code]["f"] in [list(c) for c in maps.DIVERGING]
    legend = " ".join(m.value for m in at.markdown)
    assert f"Recipient households: change since {before}" in legend


def test_a_profile_has_a_change_table_by_program_and_trends_a_line_per_year(open_two_years, two_years):
    latest, before = year_of(two_years)
    at = open_two_years("wilayah", region="34.01", lang="en")
    tables = [d.value for d in at.dataframe if "Change (%)" in d.value.columns]
    tables += [t.value for t in at.table if "Change (%)" in t.value.columns]
    assert len(tables) == 2  # recipients and Rupiah
    assert list(tables[0].columns[:3]) == ["Program", latest, before]
    at = open_two_years("tren", region="34.01", by="year")
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [trace["name"] for trace in spec["data"]] == [before, latest]
    assert spec["data"][0]["x"][0] == "Jan"


def test_values_never_mix_two_years_on_any_page(open_two_years, two_years):
    """The earlier year's hidden rows carry a placeholder: no page of either year may show it."""
    latest, before = year_of(two_years)
    for page in ("beranda", "peta", "tren", "kesenjangan", "wilayah"):
        for year in (latest, before):
            at = open_two_years(page, region="34.01", year=year, lang="en")
            text = " ".join(str(e.value) for e in (*at.metric, *at.markdown, *at.caption))
            frames = " ".join(d.value.to_csv() for d in at.dataframe)
            assert "777,777" not in text + frames and "777777" not in text + frames, (page, year)



# --- a real browser ---------------------------------------------------------------------------------------------

def _browser_helpers():
    """The real-browser helpers of test_browser.py (its server, Chromium and waits), loaded from its file."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_yoy_browser", Path(__file__).with_name("test_browser.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.browser
@pytest.mark.slow
def test_the_change_map_and_its_csv_in_a_real_browser(two_years, tmp_path):
    helpers = _browser_helpers()
    helpers._require_chromium()
    from playwright.sync_api import sync_playwright

    latest, before = year_of(two_years)
    cells = read(two_years, "SELECT region_code, period, suppressed, recipients FROM disbursement_cells "
                 "WHERE level = 'kecamatan' AND region_code LIKE '34.01.%' AND program = 'SEMUA' "
                 "AND channel = ? AND period IN (?, ?)", [ALL_CHANNELS, latest, before])
    wide = cells.pivot(index="region_code", columns="period")
    with (helpers._streamlit({**os.environ, "BANSOS_PUBLISHED_DB": str(two_years)}) as url, sync_playwright() as pw):
        context = pw.chromium.launch_persistent_context(str(tmp_path / "profile"), executable_path=helpers.CHROMIUM,
                                                        headless=True, args=helpers.CHROMIUM_ARGS,
                                                        viewport={"width": 1280, "height": 1000})
        page = context.new_page()
        page.goto(f"{url}/peta?region=34.01&level=kecamatan&change=abs&lang=en", wait_until="domcontentloaded")
        helpers._wait_rendered(page, 2.0)
        assert page.locator("[data-testid='stException']").count() == 0
        assert page.locator("canvas").count() >= 1
        assert f"Recipient households: change since {before}" in page.locator("[role='list']").first.inner_text()
        shown = pd.read_csv(io.BytesIO(helpers._download(page, ".st-key-map_csv button")))
        assert set(shown["measure"]) == {"recipients_change"} and set(shown["period"]) == {f"{latest} vs {before}"}
        shown = shown.set_index("region_code")
        for code in wide.index:
            got = shown.loc[openformat.public_code(code)]
            if wide.loc[code, "suppressed"].any():
                assert pd.isna(got["value"]) and got["status"] == "hidden"
            else:
                expected = wide.loc[code, ("recipients", latest)] - wide.loc[code, ("recipients", before)]
                assert got["value"] == expected and got["status"] == "ok"
        # The reader picks the year before: the URL carries it, and the year before has no change to show.
        picker = page.locator(".st-key-w_year input")
        picker.click()
        picker.fill(before)
        page.keyboard.press("Enter")
        page.wait_for_function(f"() => location.search.includes('year={before}')", timeout=20_000)
        helpers._wait_rendered(page, 1.0)
        assert f"{int(before) - 1} is not published" in page.locator("[data-testid='stMain']").inner_text()
        context.close()
