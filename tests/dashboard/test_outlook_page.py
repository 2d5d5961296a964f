"""The needs outlook through the real app on the dashboard tests' four-year release, built with the real commands: the
page in both languages, its backtest table against an independent recomputation from the published database, the
projection adding up, the Rupiah needed (per program and for all programs), "download what I see" and the region
profile."""

from __future__ import annotations

import io
import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from outlook_recompute import recompute_errors
from streamlit.testing.v1 import AppTest

import openformat
from dashboard import export, outlook, outlook_views
from dashboard.i18n import format_percent, format_rupiah_digits, t
from published_schema import ALL_PROGRAMS, PROGRAM_CODES


@pytest.fixture
def open_outlook(open_page):
    def run(page: str = "proyeksi", **params: str) -> AppTest:
        at = open_page(page, **params)
        assert not at.exception, at.exception
        return at

    return run


def _table_with(at: AppTest, column: str) -> pd.DataFrame:
    return next(d.value for d in (*at.dataframe, *at.table) if column in d.value.columns)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_outlook_page_shows_projection_backtest_and_limits(open_outlook, lang: str) -> None:
    at = open_outlook(lang=lang, region="34", program="PKH", measure="eligible_households")
    assert at.title[0].value == t("outlook_title", lang)
    headings = [s.value for s in at.subheader]
    assert t("outlook_table_title", lang, year=2026) in headings
    assert t("outlook_backtest_title", lang, year=2025, years="2022, 2023, 2024") in headings
    table = _table_with(at, t("outlook_col_projection", lang, year=2026))
    assert len(table) == 1 + 5  # the province and its five kabupaten/kota (three without households here)
    limits = at.markdown[-1].value
    assert "statsmodels" in limits and "BPS" in limits
    assert t("outlook_synthetic", lang) in limits  # the release was made by the generator


def _published_cells(published_db: Path) -> pd.DataFrame:
    """Whole-year cells of the country, provinces and kabupaten, all channels, read here with SQL of its own."""
    with duckdb.connect(str(published_db), read_only=True) as con:
        return con.execute(
            "SELECT c.region_code, c.level, r.parent_code, c.program, CAST(c.period AS INTEGER) AS year, "
            "c.suppressed, c.eligible_households, c.recipients, c.amount FROM disbursement_cells c "
            "JOIN regions r ON r.code = c.region_code WHERE c.channel = 'SEMUA' AND length(c.period) = 4 "
            "AND c.level IN ('nasional', 'provinsi', 'kabupaten')").df()


def _published_need(cells: pd.DataFrame, code: str, program: str, year: int) -> float:
    """A program's eligible households x Rupiah per recipient household of `year` (all programs: the sum)."""
    if program == ALL_PROGRAMS:
        return sum(_published_need(cells, code, p, year) for p in PROGRAM_CODES)
    row = cells[(cells["region_code"] == code) & (cells["program"] == program) & (cells["year"] == year)].iloc[0]
    assert not row["suppressed"]
    return 0.0 if row["recipients"] == 0 else row["eligible_households"] * row["amount"] / row["recipients"]


def test_backtest_table_equals_a_recomputation_from_the_published_db(open_outlook, published_db: Path) -> None:
    cells = _published_cells(published_db)
    expected = recompute_errors(cells, [2022, 2023, 2024], 2025)
    assert {"PKH", "SEMUA"} <= set(expected.xs(outlook.NEED, level="measure").index.get_level_values("program"))
    for program in ("SEMUA", "PKH"):
        shown = _table_with(open_outlook(lang="en", program=program), "MAPE")
        # The page lists measures in alphabetical order, each from the country down to kabupaten.
        rows = expected.loc[program].reindex(
            [(m, lv) for m in sorted(outlook_views.MEASURE_LABELS) for lv in outlook.OUTLOOK_LEVELS]).dropna()
        assert len(shown) == len(rows) > 0
        assert list(shown["MAPE"]) == [format_percent(v / 100, "en") for v in rows["mape"]]
        for level in outlook.INTERVALS:
            assert list(shown[t("outlook_col_inside", "en", level=level)]) == [
                format_percent(v / 100, "en", 0) for v in rows[f"inside_{level}"]]
        assert list(shown[t("outlook_col_series", "en")]) == list(rows["series"])


def test_projection_adds_up_on_the_published_release(published_db: Path) -> None:
    with duckdb.connect(str(published_db), read_only=True) as con:
        result = outlook_views.make_outlook(outlook_views.year_cells(con), outlook_views.last_months(con))
    projected = result.projected[result.projected["measure"] != outlook.NEED]  # a need does not add up
    assert result.plan.history == (2022, 2023, 2024, 2025) and result.plan.target == 2026
    kab = projected[projected["level"] == "kabupaten"].groupby(["program", "measure"])["forecast"].sum()
    province = projected[projected["level"] == "provinsi"].set_index(["program", "measure"])["forecast"]
    np.testing.assert_allclose(kab.sort_index(), province.reindex(kab.sort_index().index), rtol=1e-9)


def test_region_profile_shows_the_projection_from_kabupaten_up(open_outlook) -> None:
    at = open_outlook(page="wilayah", region="34.01", lang="en")
    assert t("outlook_profile_title", "en", year=2026) in [s.value for s in at.subheader]
    table = _table_with(at, t("outlook_col_projection", "en", year=2026))
    assert list(table[t("metric", "en")]) == [t("m_recipients", "en"), t("m_amount", "en"), t("m_need", "en")]
    assert (table[t("outlook_col_projection", "en", year=2026)] != "–").all()
    desa = open_outlook(page="wilayah", region="34.01.01.2001", lang="en")
    assert t("outlook_profile_title", "en", year=2026) not in [s.value for s in desa.subheader]


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("program", ["PKH", ALL_PROGRAMS])
def test_rupiah_needed_on_the_page(open_outlook, published_db: Path, program: str, lang: str) -> None:
    at = open_outlook(lang=lang, region="34", program=program, measure=outlook.NEED)
    label = t("m_need", lang)
    assert at.selectbox(key="w_measure").value == outlook.NEED
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["yaxis"]["title"]["text"].replace("<br>", " ") == label  # wrapped to fit a phone
    # The province's projection: each program's (reconciled) eligible households x its Rupiah per recipient household
    # in 2025, summed for all programs.
    cells = _published_cells(published_db)
    programs = PROGRAM_CODES if program == ALL_PROGRAMS else (program,)
    with duckdb.connect(str(published_db), read_only=True) as con:
        result = outlook_views.make_outlook(outlook_views.year_cells(con), outlook_views.last_months(con))
    expected = 0.0
    for one in programs:
        paid = cells.query("region_code == '34' and program == @one and year == 2025").iloc[0]
        eligible = outlook_views.projection_row(result, "34", one, "eligible_households")
        assert eligible is not None and eligible["status"] == outlook.OK
        expected += eligible["forecast"] * paid["amount"] / paid["recipients"]
    table = _table_with(at, t("outlook_col_projection", lang, year=2026))
    assert table.iloc[0][t("outlook_col_projection", lang, year=2026)] == format_rupiah_digits(expected, lang)
    # The need has no cell of its own: its column says it is worked out, not published.
    assert table.iloc[0][t("outlook_col_last_need", lang, year=2025)] == format_rupiah_digits(
        _published_need(cells, "34", program, 2025), lang)
    assert (table[t("outlook_col_interval", lang, level=95)] != "").all()
    note = "outlook_note_need_all" if program == ALL_PROGRAMS else "outlook_note_need"
    assert table.iloc[0][t("col_description", lang)] == t(note, lang, year=2025)
    assert t("outlook_need_caption", lang, year=2025) in [c.value for c in at.caption]
    backtest = _table_with(at, "MAPE")
    assert sum(v.startswith(label) for v in backtest[t("outlook_col_scored", lang)]) == 3  # one row per level
    links = [c.value for c in at.code if "proyeksi" in c.value]  # the share links (latest and pinned) carry it
    assert len(links) == 2 and all("measure=need" in link for link in links)


@pytest.mark.parametrize("program", ["PKH", ALL_PROGRAMS])
def test_download_of_rupiah_needed(published_db: Path, program: str) -> None:
    """The published line of the need is each year's published eligible households x that year's rate."""
    cells = _published_cells(published_db)
    with duckdb.connect(str(published_db), read_only=True) as con:
        own = outlook_views.make_outlook(outlook_views.year_cells(con), outlook_views.last_months(con))
    if program == ALL_PROGRAMS:
        own = outlook_views.make_all_programs_outlook(own, [own])
    history = outlook_views.history_of(own, "34.01", program, outlook.NEED)
    row = outlook_views.projection_row(own, "34.01", program, outlook.NEED)
    assert row is not None and row["status"] == outlook.OK
    view = {"measure": outlook.NEED, "program": program, "region_code": "34.01"}
    frame = export.plotted_frame(outlook_views.build_plotted(history, row), export.SERIES_KEYS, "r", view)
    read = pd.read_csv(io.BytesIO(openformat.csv_bytes(frame)))
    published = read[read["series"] == "published"]
    assert list(published["period"]) == [2022, 2023, 2024, 2025]
    np.testing.assert_allclose(published["value"], [_published_need(cells, "34.01", program, y)
                                                    for y in (2022, 2023, 2024, 2025)], rtol=1e-9)
    assert set(read["measure"]) == {outlook.NEED} and (read["status"] == "ok").all()
    assert read.loc[read["series"] == "projection", "value"].item() == pytest.approx(row["forecast"], abs=0.5)


def test_download_what_i_see_reads_back_with_pandas_defaults(published_db: Path) -> None:
    with duckdb.connect(str(published_db), read_only=True) as con:
        result = outlook_views.make_outlook(outlook_views.year_cells(con), outlook_views.last_months(con))
    history = outlook_views.history_of(result, "34.01", "PKH", "recipients")
    row = outlook_views.projection_row(result, "34.01", "PKH", "recipients")
    view = {"measure": "recipients", "program": "PKH", "region_code": "34.01"}
    frame = export.plotted_frame(outlook_views.build_plotted(history, row), export.SERIES_KEYS, "r", view)
    read = pd.read_csv(io.BytesIO(openformat.csv_bytes(frame)))
    assert list(read["period"]) == [2022, 2023, 2024, 2025, *[2026] * 5]
    values = dict(zip(read["series"], read["value"], strict=False))
    # Whole households: a projection's decimals are noise, not precision.
    assert values["projection"] == round(row["forecast"]) and read["value"].dropna().mod(1).eq(0).all()
    assert values["lower_95"] <= values["lower_80"] <= values["projection"] <= values["upper_80"] <= values["upper_95"]
    assert set(read["region_code"]) == {"ID.34.01"}


@pytest.mark.parametrize("lang", ["id", "en"])
def test_outlook_tables_on_a_phone_convert_to_arrow_without_fixes(open_outlook, lang: str) -> None:
    """At 390 px the tables are stacked; the backtest's counts beside its formatted shares in one column made
    Streamlit log an ArrowInvalid traceback for every view. Every stacked value is now the reader's text."""
    import logging

    records: list[str] = []
    seen = logging.Handler()
    seen.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("streamlit.dataframe_util")  # Streamlit's loggers do not propagate to caplog
    logger.addHandler(seen)
    try:
        at = open_outlook(lang=lang, region="34", program="PKH")
        at.session_state["_content_width"] = 390
        at.run()
    finally:
        logger.removeHandler(seen)
    assert not at.exception, at.exception
    # The projection and the backtest, stacked: each its first rows, then the others under "Show N more rows".
    assert len(at.table) == 4
    assert not [r for r in records if "Arrow" in r], records
    backtest = pd.concat([at.table[2].value, at.table[3].value])
    value = t("col_value", lang)
    # Three distinct headers: it read "Ukuran, tingkat | Ukuran | Nilai" (measure, level | measure | value).
    assert list(backtest.columns) == [t("outlook_col_scored", lang), t("outlook_col_result", lang), value]
    assert set(backtest[t("outlook_col_result", lang)]) >= {"MAPE", t("outlook_col_series", lang)}
    assert any(v.endswith("%") for v in backtest[value]) and any(v.isdigit() for v in backtest[value])
    # A region with nothing to note has no empty description row.
    projection = pd.concat([at.table[0].value, at.table[1].value])
    assert (projection[value].str.strip() != "").all()
    # Human headers: region, the figure each row gives, its value (not "Ukuran", which named the measure picked).
    assert list(projection.columns) == [t("region", lang), t("col_figure", lang), value]
    described = projection[projection[t("col_figure", lang)] == t("col_description", lang)]
    assert 0 < len(described) < projection.iloc[:, 0].nunique()


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_projection_table_without_notes_has_no_empty_description_column(published_db, lang) -> None:
    """At 1280 px the description column of "Proyeksi 2026 per wilayah" was empty on every row (a new user's walk):
    it shows only where some row has a note."""
    with duckdb.connect(str(published_db), read_only=True) as con:
        result = outlook_views.make_outlook(outlook_views.year_cells(con), outlook_views.last_months(con))
    rows = result.projected
    mine = rows[(rows["program"] == "SEMUA") & (rows["measure"] == "recipients")].set_index("region_code")
    notes = {code: outlook_views._note(row, lang, result.plan) for code, row in mine.iterrows()}
    quiet = sorted(code for code, note in notes.items() if not note)
    noted = sorted(code for code, note in notes.items() if note)
    assert quiet and noted, notes
    names = {code: code for code in notes}
    column = t("col_description", lang)
    table = outlook_views.build_projection_table(result, quiet, names, "SEMUA", "recipients", lang)
    assert len(table) == len(quiet) and column not in table.columns
    table = outlook_views.build_projection_table(result, [quiet[0], noted[0]], names, "SEMUA", "recipients", lang)
    assert list(table[column]) == ["", notes[noted[0]]]


def test_the_two_intervals_look_different_in_the_legend(open_outlook) -> None:
    """Both intervals were the same orange diamond in the legend (their error bars do not show there)."""

    at = open_outlook(lang="en", region="34", program="SEMUA", measure="recipients")
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    traces = {trace["name"]: trace for trace in spec["data"]}
    looks = []
    for level in (80, 95):
        trace = traces[t("outlook_interval_name", "en", level=level)]
        assert trace["mode"] == "lines" and "error_y" not in trace  # a legend shows a line's own width
        looks.append((trace["line"]["width"], trace.get("opacity", 1), trace["line"].get("dash", "solid")))
    assert looks[0] != looks[1] and looks[0][0] > looks[1][0]  # 80% thick, 95% thin
    assert t("outlook_col_projection", "en", year=2026) in traces


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_region_the_program_never_paid_says_zero_not_missing_data(published_db: Path, lang: str) -> None:
    """A kabupaten the program paid nothing in any year (a kota has no desa for BLT Dana Desa) is projected zero; its
    note said "no data", which read as if figures were missing."""
    cells = _published_cells(published_db)
    kabupaten = cells[(cells["level"] == "kabupaten") & (cells["region_code"].str.startswith("34."))]
    never = kabupaten.groupby("region_code")["recipients"].sum().loc[lambda s: s == 0].index
    assert len(never) > 0  # the fixture has kabupaten without households
    with duckdb.connect(str(published_db), read_only=True) as con:
        result = outlook_views.make_outlook(outlook_views.year_cells(con), outlook_views.last_months(con))
    names = {code: code for code in kabupaten["region_code"]}
    table = outlook_views.build_projection_table(result, sorted(names), names, "PKH", "recipients", lang)
    rows = table.set_index(t("region", lang))
    for code in never:
        assert rows.loc[code, t("outlook_col_projection", lang, year=2026)] == "0"
        assert rows.loc[code, t("col_description", lang)] == t("outlook_note_none", lang)
    assert not (rows[t("col_description", lang)] == t("no_data", lang)).any()


def test_rupiah_bounds_read_apart_where_one_decimal_printed_them_alike() -> None:
    """Rp1,32 T and its 80% bound Rp1,25 T both read "Rp1,3 T" at one decimal."""
    row = pd.Series({"status": outlook.OK, "lo_80": 1.2504e12, "hi_80": 1.3891e12})
    assert outlook_views._interval(row, 80, "amount", "id") == "Rp1,25\u00a0T – Rp1,39\u00a0T"
    assert outlook_views.format_value(999.4e6, "amount", "en") == "Rp999mn"
    assert outlook_views.format_value(999.96e6, "amount", "id") == "Rp1,00\u00a0M"
    assert outlook_views.format_value(297188.67, "recipients", "id") == "297.189"


@pytest.mark.parametrize(("lang", "width"), [("id", 390), ("en", 390), ("id", 1280)])
def test_a_profiles_outlook_table_on_a_phone_and_a_wide_screen(open_page, lang: str, width: int) -> None:
    """The profile's outlook table crashed at 390 px ("melt output columns cannot contain duplicate names:
    ['Ukuran']": its first column and the stacked figure column had one name), and its notes were cut at 1280 px
    in a data grid. It is a plain table, stacked on a phone."""
    at = open_page("wilayah", region="34.01", lang=lang)
    at.session_state["_content_width"] = width
    at.run()
    assert not at.exception, at.exception
    need = t("m_need", lang)
    tables = [d.value for d in at.table if need in d.value.to_csv()]
    assert len(tables) == 1, [d.value.columns.tolist() for d in at.table]
    if width < 400:  # human headers: "Kolom" / "Column", the table's internal word, leaked as the middle one
        headers = {"id": ["Ukuran", "Angka", "Nilai"], "en": ["Measure", "Figure", "Value"]}[lang]
        assert list(tables[0].columns) == headers
    else:
        assert t("outlook_col_interval", lang, level=95) in tables[0].columns


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("measure", [*outlook_views.MEASURE_LABELS])
def test_the_published_line_of_the_need_says_it_is_worked_out(measure: str, lang: str) -> None:
    """The need's line was named "Published (complete years)" in the legend, while the need has no published cell
    (its table column says "worked out from published figures")."""
    history = pd.DataFrame({"year": [2022, 2023, 2024], "value": [1.0e9, 1.1e9, 1.2e9], "complete": True})
    figure = outlook_views.build_outlook_figure(history, None, measure, lang, "title")
    legend = figure.data[0].name
    if measure == outlook.NEED:
        column = t("outlook_col_last_need", lang, year=2025)
        assert legend == t("outlook_published_need", lang) != t("outlook_published", lang)
        assert column.split("(", 1)[1].rstrip(")").lower() in legend.lower()  # the column's own words
    else:
        assert legend == t("outlook_published", lang)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_eligible_households_hint_only_where_it_explains_the_measure(open_outlook, lang: str) -> None:
    """The hint "eligible households are counted per program" stood under every measure of all programs (a new user
    read it under "Rupiah needed", which it does not explain). It now comes only when the reader asked for eligible
    households with all programs; the measure select's help says it always."""
    hint = t("outlook_no_eligible", lang)
    for measure in ("recipients", "amount", outlook.NEED):
        at = open_outlook(lang=lang, region="34", program=ALL_PROGRAMS, measure=measure)
        assert hint not in [c.value for c in at.caption], measure
        assert at.selectbox(key="w_measure").help == hint
    asked = open_outlook(lang=lang, region="34", program=ALL_PROGRAMS, measure="eligible_households")
    assert asked.selectbox(key="w_measure").value != "eligible_households"
    assert hint in [c.value for c in asked.caption]
    one = open_outlook(lang=lang, region="34", program="PKH", measure=outlook.NEED)
    assert hint not in [c.value for c in one.caption] and not one.selectbox(key="w_measure").help


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_long_table_on_a_phone_shows_its_first_rows_and_the_rest_on_demand(open_outlook, lang: str) -> None:
    """At 390 px the stacked projection table of a province with many kabupaten (Nusa Tenggara Timur: 22) was about
    12,000 px tall. A phone shows the first rows stacked; the others are one tap away, none lost or repeated."""
    from dashboard import components

    at = open_outlook(lang=lang, region="34", program="PKH", measure=outlook.NEED)
    wide = _table_with(at, t("outlook_col_projection", lang, year=2026))
    at.session_state["_content_width"] = 390
    at.run()
    assert not at.exception, at.exception
    region = t("region", lang)
    first = at.table[0].value
    assert first[region].nunique() == components.PHONE_ROWS < len(wide)
    labels = {t("more_rows", lang, n=k) for k in range(1, 2000)}
    # The projection's (the backtest below has its own): the one whose rows complete the projection's regions.
    more = [e for e in at.expander if e.label in labels and region in e.table[0].value.columns
            and list(dict.fromkeys([*first[region], *e.table[0].value[region]])) == list(wide[region])]
    assert len(more) == 1
    rest = more[0].table[0].value
    # Named by the rows it shows (stacked: one per cell), not the regions behind them: "3 more rows" held 12.
    assert more[0].label == t("more_rows", lang, n=len(rest)) and len(rest) > len(wide) - components.PHONE_ROWS
    assert list(dict.fromkeys([*first[region], *rest[region]])) == list(wide[region])  # every region, once, in order
    assert not set(first[region]) & set(rest[region])
