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
from dashboard.i18n import t
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


def test_a_relative_range_wider_than_a_hundred_points_shows_as_hidden():
    """A walk read "antara −100,0% dan +30.180,4%" for a desa whose year before was hidden down to a few
    households: a relative range that wide says nothing, so the change reads hidden; its absolute range stays."""
    now = values([("a", 250.0, OK, np.nan, np.nan), ("b", 250.0, OK, np.nan, np.nan)])
    before = values([("a", PLACEHOLDER, HIDDEN, 1.0, 300.0), ("b", PLACEHOLDER, HIDDEN, 200.0, 260.0)])
    out = change.changes(now, before)
    assert out[["change_lower", "change_upper"]].to_numpy().tolist() == [[-50.0, 249.0], [-10.0, 50.0]]
    labels = change.format_changes(change.as_values(out, "pct"), "recipients", "pct", "id", 10)
    assert labels[0] == "disembunyikan"
    assert labels[1].startswith("disembunyikan (antara ") and "%" in labels[1], labels


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
    assert change.format_number(-164.8e6, "amount", "abs", "en") == "−Rp165mn"
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


def _lab(rgb) -> np.ndarray:
    """CIE L*a*b* (D65) of an sRGB colour: the space in which a distance of about 2.3 is just noticeable."""
    c = np.asarray(rgb, float) / 255
    c = np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ c
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_no_change_class_reads_as_the_grey_of_a_hidden_or_unpublished_region():
    """A new user took the change map's lightest rise (PuOr's (216, 218, 235)) for "not published" (228 grey): CIE76
    distance 9.5. Every class stays at least 20 from both greys (a clearly different colour)."""
    for colour in maps.DIVERGING:
        for grey in (maps.NA_FILL, maps.HIDDEN_FILL):
            assert np.linalg.norm(_lab(colour) - _lab(grey)) >= 20, (colour, grey)


def test_a_change_legend_lists_only_the_classes_the_map_draws():
    """Classes are symmetric around 0 out to the largest change: with every region rising at most 5% and one
    falling 30%, the legend listed rises up to +30% that no region had."""
    drawn = pd.Series([-30.0, -2.0, 3.0, 5.0, np.nan])
    edges = maps.diverging_bins(drawn)
    items = maps.legend_items(edges, lambda v: f"{v:+.0f}%", "en", 10, maps.DIVERGING, drawn)
    classes = [text for colour, text in items if colour in maps.DIVERGING]
    assert classes == ["-30% – <-20%", "-10% – <+0%", "+0% – <+10%"], classes
    assert [colour for colour, _ in items][-2:] == [maps.HIDDEN_FILL, maps.NA_FILL]
    # Without the drawn values every class is listed, as before.
    assert len(maps.legend_items(edges, str, "en", 10, maps.DIVERGING)) == len(maps.DIVERGING) + 2


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

def _measures(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """The count and Rupiah columns of a cell table (not its keys, flags or published ranges)."""
    columns = con.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?",
                          [table]).fetchall()
    return [c for c, kind in columns if kind in ("BIGINT", "INTEGER", "DOUBLE", "HUGEINT")
            and not c.endswith(("_lower", "_upper"))]


def hide_behind_placeholders(path: Path) -> None:
    """Give every hidden row of every cell table PLACEHOLDER in its measures (a published release leaves them
    empty): a query, change or page that reads a hidden row's value then shows a number no one can miss."""
    with duckdb.connect(str(path)) as con:
        for table in CELL_TABLES:
            assignments = ", ".join(f"{c} = {PLACEHOLDER}" for c in _measures(con, table))
            con.execute(f"UPDATE {table} SET {assignments} WHERE suppressed")


def keep_one_year(path: Path, year: str) -> None:
    """Delete every other year's cells and periods: the release as if it published `year` alone."""
    with duckdb.connect(str(path)) as con:
        for table in CELL_TABLES:
            con.execute(f"DELETE FROM {table} WHERE period <> ? AND period NOT LIKE ? || '-%'", [year, year])
        con.execute("DELETE FROM periods WHERE year <> ?", [int(year)])


@pytest.fixture(scope="session")
def two_years(published_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture release, built with the real commands (it publishes every generated year), with placeholders in
    its hidden rows."""
    path = tmp_path_factory.mktemp("years") / "bansos.duckdb"
    shutil.copy(published_db, path)
    with duckdb.connect(str(path), read_only=True) as con:
        assert len(queries.years(con)) >= 2, "the fixture release should publish several years"
    hide_behind_placeholders(path)
    return path


@pytest.fixture(scope="session")
def one_year(two_years: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The latest year and the year before, each alone in a copy of the release."""
    with duckdb.connect(str(two_years), read_only=True) as con:
        years = queries.years(con)[-2:]
    copies = {}
    for year in years:
        copies[year] = tmp_path_factory.mktemp(f"year-{year}") / "bansos.duckdb"
        shutil.copy(two_years, copies[year])
        keep_one_year(copies[year], year)
    return copies


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
    "national_quality_indicators": lambda con, year: queries.national_quality_indicators(con, year),
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
def test_every_query_stays_within_one_year(name, two_years, one_year):
    """On a release of several years, each query of a year answers exactly what it answers on a copy of the release
    holding that year alone (never a row of another year, never a row twice)."""
    call = YEAR_CALLS[name]
    for year, alone_path in one_year.items():
        with (duckdb.connect(str(two_years), read_only=True) as several,
              duckdb.connect(str(alone_path), read_only=True) as alone):
            got, expected = call(several, year), call(alone, year)
        if isinstance(got, list):
            assert got == expected and len(got) > 0
            continue
        assert not expected.empty, f"{name} {year}: the check needs rows"
        pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True))
        if "period" in got:
            assert got["period"].astype(str).str.startswith(year).all()


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


def kecamatan_recipients(path: Path, latest: str, before: str) -> pd.DataFrame:
    """Kulon Progo's kecamatan, all programs: suppressed, recipients and its range per year (columns by period)."""
    cells = read(path, "SELECT region_code, period, suppressed, recipients, recipients_lower, recipients_upper "
                 "FROM disbursement_cells WHERE level = 'kecamatan' AND region_code LIKE '34.01.%' "
                 "AND program = 'SEMUA' AND channel = ? AND period IN (?, ?)", [ALL_CHANNELS, latest, before])
    return cells.pivot(index="region_code", columns="period")


def test_the_year_picker_defaults_to_the_latest_and_goes_into_the_share_link(open_two_years, two_years):
    latest, before = year_of(two_years)
    at = open_two_years("beranda")
    picker = next(s for s in at.selectbox if s.label == "Tahun")
    assert picker.value == latest and picker.options[:2] == [latest, before] and len(picker.options) >= 2
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


@pytest.mark.parametrize(("lang", "expected"), [
    ("id", "Tahun 1999 (parameter URL year) tidak ada dalam rilis ini; menampilkan {latest}."),
    ("en", "Year 1999 (URL parameter year) is not in this release; showing {latest}."),
])
def test_a_year_the_release_lacks_is_named_as_such(open_two_years, two_years, lang, expected):
    """`/?year=1999` said the value was unknown; it is a year, only not one this release publishes."""
    latest, _ = year_of(two_years)
    at = open_two_years("beranda", year="1999", lang=lang)
    assert [w.value for w in at.warning] == [expected.format(latest=latest)]
    assert next(s for s in at.selectbox if s.label == t("year", lang)).value == latest


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
    wide = kecamatan_recipients(two_years, latest, before)
    hidden = wide["suppressed"].any(axis=1)
    assert hidden.any() and (~hidden).any(), "the fixture needs hidden and published kecamatan"
    for code in wide.index:
        label = rows[code]["l"]
        if hidden[code]:
            # Each side as a range (a published value is its own): [low_now - high_before, high_now - low_before].
            low, high = ({y: wide.loc[code, ("recipients", y)] if not wide.loc[code, ("suppressed", y)]
                          else wide.loc[code, (f"recipients_{end}", y)] for y in (latest, before)}
                         for end in ("lower", "upper"))
            ends = (change.format_number(low[latest] - high[before], "recipients", "abs", "en"),
                    change.format_number(high[latest] - low[before], "recipients", "abs", "en"))
            # A range of one value (a partner both years pin) says the published figures give it.
            assert label == (f"hidden, but other figures give it: {ends[0]}"
                             if low[latest] - high[before] == high[latest] - low[before]
                             else f"hidden (between {ends[0]} and {ends[1]})")
            assert "777" not in label
        else:
            expected = wide.loc[code, ("recipients", latest)] - wide.loc[code, ("recipients", before)]
            assert label == change.format_number(expected, "recipients", "abs", "en")
            assert rows[code]["f"] in [list(c) for c in maps.DIVERGING]
    legend = " ".join(m.value for m in at.markdown)
    assert f"Recipient households: change since {before}" in legend


def test_a_partial_year_compares_the_same_months_of_the_year_before(chain_db, monkeypatch):
    """The chain's older release publishes 2025 through October: a kabupaten compares January-October of both years
    (recipients as the average month), worked out here from the month cells of that release's file."""
    from dashboard import releases

    monkeypatch.setenv("BANSOS_PUBLISHED_DB", str(chain_db))
    older = sorted(p.name for p in (chain_db.parent / "releases").iterdir())[0]
    months = read(releases.release_file(older), "SELECT period, recipients FROM disbursement_cells WHERE "
                  "region_code = '34.01' AND program = 'SEMUA' AND channel = ? AND length(period) = 7 AND "
                  "suppressed = false AND (period BETWEEN '2025-01' AND '2025-10' OR period BETWEEN '2024-01' AND "
                  "'2024-10')", [ALL_CHANNELS])
    assert len(months) == 20, "every month of both years is published for a kabupaten"
    mean = months.groupby(months["period"].str[:4])["recipients"].mean()
    at = AppTest.from_file(str(APP), default_timeout=90)
    for key, value in {"page": "beranda", "region": "34.01", "release": older, "lang": "en"}.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    metric = next(m for m in at.metric if m.label.startswith("Recipient households (2025 Jan–Oct vs 2024 Jan–Oct)"))
    assert metric.value == change.format_number(mean["2025"] - mean["2024"], "recipients", "abs", "en")
    captions = " ".join(c.value for c in at.caption)
    assert "The same months of both years are compared" in captions and "average month" in captions


def test_a_profile_has_a_change_table_by_program_and_trends_a_line_per_year(open_two_years, two_years):
    latest, before = year_of(two_years)
    at = open_two_years("wilayah", region="34.01", lang="en")
    tables = [d.value for d in at.dataframe if "Change (%)" in d.value.columns]
    tables += [t.value for t in at.table if "Change (%)" in t.value.columns]
    assert len(tables) == 2  # recipients and Rupiah
    assert list(tables[0].columns[:3]) == ["Program", latest, before]
    at = open_two_years("tren", region="34.01", by="year")
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    years = read(two_years, "SELECT DISTINCT year FROM periods ORDER BY year", [])["year"].astype(str).tolist()
    assert [trace["name"] for trace in spec["data"]] == years and years[-2:] == [before, latest]
    assert spec["data"][0]["x"][0] == "Jan"


def test_values_never_mix_two_years_on_any_page(open_two_years, two_years):
    """Hidden rows carry a placeholder: no page of either year may show it."""
    latest, before = year_of(two_years)
    for page in ("beranda", "peta", "tren", "kesenjangan", "wilayah"):
        for year in (latest, before):
            at = open_two_years(page, region="34.01", year=year, lang="en")
            text = " ".join(str(e.value) for e in (*at.metric, *at.markdown, *at.caption))
            frames = " ".join(d.value.to_csv() for d in (*at.dataframe, *at.table))
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
    wide = kecamatan_recipients(two_years, latest, before)
    with (helpers._streamlit({**os.environ, "BANSOS_PUBLISHED_DB": str(two_years)}) as url, sync_playwright() as pw):
        context = pw.chromium.launch_persistent_context(str(tmp_path / "profile"), executable_path=helpers.CHROMIUM,
                                                        headless=True, args=helpers.CHROMIUM_ARGS,
                                                        viewport={"width": 1280, "height": 1000})
        page = context.new_page()
        page.goto(f"{url}/peta?region=34.01&level=kecamatan&change=abs&lang=en", wait_until="domcontentloaded")
        helpers._wait_rendered(page, 2.0)
        assert page.locator("[data-testid='stException']").count() == 0
        # deck.gl draws once its script has loaded, which under load comes after the page's last rerun.
        page.locator("canvas").first.wait_for(timeout=30_000)
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
        # The reader picks the year before: the URL carries it, and the map shows the change since the year before.
        picker = page.locator(".st-key-w_year input")
        picker.click()
        picker.fill(before)
        page.keyboard.press("Enter")
        page.wait_for_function(f"() => location.search.includes('year={before}')", timeout=20_000)
        helpers._wait_rendered(page, 1.0)
        assert f"change since {int(before) - 1}" in page.locator("[role='list']").first.inner_text()
        context.close()


def test_what_is_hidden_is_counted_for_the_picked_year(open_two_years, two_years):
    latest, before = year_of(two_years)
    years = json.loads(read(two_years, "SELECT years FROM release", [])["years"].iloc[0])
    for year in (latest, before):
        at = open_two_years("beranda", year=year, lang="en")
        summary = next(t.value for t in at.table if "Hidden" in t.value.columns)
        stats = years[year]["tables"]["disbursement_cells"]
        row = summary[summary["Table"] == "Disbursements"].iloc[0]
        assert row["Cells"] == f"{int(stats['cells']):,}" and row["Hidden"].startswith(f"{int(stats['suppressed']):,} ")


def test_the_release_history_covers_every_published_year(open_page, published):
    first = str(published.execute("SELECT min(year) FROM periods").fetchone()[0])
    through = published.execute("SELECT data_through FROM release").fetchone()[0]
    at = open_page("data", lang="en")
    history = next(d.value for d in at.table if "Period covered" in d.value.columns)
    assert history["Period covered"].iloc[0] == f"{first}-01 – {through}" and first < through[:4]


def test_an_embedded_change_map_keeps_its_year_and_diverging_legend(two_years, monkeypatch):
    _, before = year_of(two_years)
    monkeypatch.setenv("BANSOS_PUBLISHED_DB", str(two_years))
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.context["is_embedded"] = True
    for key, value in {"embed": "true", "chart": "map", "change": "pct", "region": "34.01", "year": before,
                       "lang": "en"}.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert f"Recipient households: change since {int(before) - 1} (%)" in text
    assert f"{before} vs {int(before) - 1}" in text
    assert "rgb(179,88,6)" in text.replace(" ", "") or "rgb(84,39,136)" in text.replace(" ", "")
    link = next(m.value for m in at.markdown if "href=" in m.value)
    assert f"year={before}" in link and "change=pct" in link


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_kecamatan_before_its_year_is_complete_says_when_its_complaints_come(chain_db, monkeypatch, lang):
    """A kecamatan's complaints are published for the complete year only (anonymize.aggregate.Scope.
    small_area_codes): the chain's older release (2025 through October) has none, and the profile says why, where
    the newer release (the whole year) shows the complaint table."""
    from dashboard import releases

    monkeypatch.setenv("BANSOS_PUBLISHED_DB", str(chain_db))
    older, newer = sorted(p.name for p in (chain_db.parent / "releases").iterdir())
    counts = {release: read(releases.release_file(release), "SELECT count(*) AS n FROM complaint_cells WHERE "
                            "level = 'kecamatan' AND period = '2025'", [])["n"].iloc[0] for release in (older, newer)}
    assert counts[older] == 0 and counts[newer] > 0
    message = t("complaints_complete_year", lang, year="2025")
    shown = {}
    for release in (older, newer):
        at = AppTest.from_file(str(APP), default_timeout=90)
        for key, value in {"page": "wilayah", "region": "34.01.01", "release": release, "lang": lang}.items():
            at.query_params[key] = value
        at.run()
        assert not at.exception
        shown[release] = (" ".join(i.value for i in at.info),
                          [tbl.value for tbl in at.table if t("c_selesai", lang) in tbl.value.columns])
    assert message in shown[older][0] and not shown[older][1]
    assert message not in shown[newer][0] and shown[newer][1]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_desa_before_its_year_is_complete_says_when_its_figures_come(chain_db, monkeypatch, lang):
    """A desa is published for the complete year only (anonymize.aggregate.Scope.small_area_codes): the chain's
    older release (2025 through October) has no desa cell of 2025, and its profile says why and which year has
    them, where the newer release (the whole year) shows the desa's figures."""
    from dashboard import releases

    monkeypatch.setenv("BANSOS_PUBLISHED_DB", str(chain_db))
    older, newer = sorted(p.name for p in (chain_db.parent / "releases").iterdir())
    assert read(releases.release_file(older), "SELECT count(*) AS n FROM disbursement_cells WHERE level = 'desa' "
                "AND period LIKE '2025%'", [])["n"].iloc[0] == 0
    desa = read(releases.release_file(newer), "SELECT region_code FROM disbursement_cells WHERE level = 'desa' "
                "AND period = '2025' AND NOT suppressed ORDER BY region_code LIMIT 1", [])["region_code"].iloc[0]
    profiles = {}
    for release in (older, newer):
        at = AppTest.from_file(str(APP), default_timeout=90)
        for key, value in {"page": "wilayah", "region": desa, "release": release, "lang": lang}.items():
            at.query_params[key] = value
        at.run()
        assert not at.exception
        notes = " ".join(i.value for i in at.info)
        profile = [tbl.value for tbl in at.table if t("program", lang) in tbl.value.columns]
        profiles[release] = (notes, profile)
    notes, profile = profiles[older]
    month = "Oktober 2025" if lang == "id" else "October 2025"
    assert t("desa_complete_year_only", lang, year="2025", through=month) in notes
    assert t("desa_complete_year_pick", lang, complete="2024").strip() in notes
    assert not profile, "no desa figures of an incomplete year"
    notes, profile = profiles[newer]
    assert t("desa_complete_year_only", lang, year="2025", through=month).split(":")[0] not in notes
    assert profile and len(profile[0]) >= 2, "the complete year's profile shows the desa's programs"
    # The desa map of the incomplete year says the same, and offers no empty map, ranking or download.
    at = AppTest.from_file(str(APP), default_timeout=90)
    for key, value in {"page": "peta", "region": desa[:8], "level": "desa", "release": older, "lang": lang}.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    notes = [i.value for i in at.info]
    assert any(t("desa_complete_year_only", lang, year="2025", through=month) in n for n in notes), notes
    assert t("no_shapes", lang) not in notes and not at.get("download_button") and not at.dataframe


@pytest.mark.parametrize("lang", ["id", "en"])
def test_data_quality_flags_of_an_incomplete_year_say_when_they_come(chain_db, monkeypatch, lang):
    """Data-quality flags are published for the complete year only (anonymize.tables.quality_table): the coverage
    gaps of the chain's older release (2025 through October) say why the flag columns are missing and which year
    has them; the newer release (the whole year) shows the columns and no such note."""
    from dashboard import releases

    monkeypatch.setenv("BANSOS_PUBLISHED_DB", str(chain_db))
    older, newer = sorted(p.name for p in (chain_db.parent / "releases").iterdir())
    assert read(releases.release_file(older), "SELECT count(*) AS n FROM quality_cells WHERE period LIKE '2025%'",
                [])["n"].iloc[0] == 0
    month = "Oktober 2025" if lang == "id" else "October 2025"
    waiting = t("quality_complete_year_only", lang, year="2025", through=month)
    flag = t("q_invalid_nik", lang)
    for release, waits in ((older, True), (newer, False)):
        at = AppTest.from_file(str(APP), default_timeout=90)
        for key, value in {"page": "kesenjangan", "region": "34", "level": "kecamatan", "release": release,
                           "lang": lang}.items():
            at.query_params[key] = value
        at.run()
        assert not at.exception
        notes = " ".join(c.value for c in at.caption)
        columns = [str(c) for frame in (*at.dataframe, *at.table) for c in frame.value.columns]
        if waits:
            assert waiting in notes and t("quality_complete_year_pick", lang, complete="2024").strip() in notes
            assert flag not in columns, "no flag column of an incomplete year"
        else:
            assert waiting.split(":")[0] not in notes
            assert flag in columns, columns
