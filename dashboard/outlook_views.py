"""The outlook's data and views: the published year cells it reads, the projection cached per release, and its
tables, chart and profile section in the reader's language (the model itself is `dashboard.outlook`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import browser, charts, components, db, i18n, outlook, queries
from dashboard.i18n import t
from published_schema import ALL_CHANNELS, ALL_PROGRAMS, NATIONAL_CODE, PROGRAM_CODES

#: Measure -> its label's text key, in the order the page offers them.
MEASURE_LABELS = {"recipients": "m_recipients", "amount": "m_amount", "eligible_households": "m_eligible",
                  outlook.NEED: "m_need"}
#: The measures in Rupiah (the others count households).
RUPIAH_MEASURES = ("amount", outlook.NEED)
#: What the status of a series says in its row (`ok` says nothing; an unreconciled row says so on its own).
_STATUS_NOTES = {outlook.HIDDEN: "outlook_note_hidden", outlook.SHORT: "outlook_note_short",
                 outlook.NO_DATA: "outlook_note_none", outlook.NO_RATE: "outlook_note_no_rate"}


def year_cells(con: queries.Connection) -> pd.DataFrame:
    """Whole-year disbursement cells of the country, provinces and kabupaten/kota, all channels together, every
    program and published year (outlook.CELL_COLUMNS)."""
    return queries.query(
        con, "SELECT c.region_code, c.level, r.parent_code, c.program, p.year, c.suppressed, "
        "c.eligible_households, c.recipients, c.amount FROM disbursement_cells c "
        "JOIN regions r ON r.code = c.region_code AND r.level = c.level "
        "JOIN periods p ON p.period = c.period AND p.kind = 'year' "
        "WHERE c.channel = ? AND c.level IN (SELECT unnest(?)) ORDER BY c.region_code, c.program, p.year",
        [ALL_CHANNELS, list(outlook.OUTLOOK_LEVELS)])


def last_months(con: queries.Connection) -> dict[int, int]:
    """Each published year's last published month."""
    frame = queries.query(con, "SELECT year, max(month) AS last FROM periods WHERE kind = 'month' GROUP BY year")
    return {int(y): int(m) for y, m in zip(frame["year"], frame["last"], strict=True)}


@dataclass(frozen=True)
class Outlook:
    """The projection of next year, its backtest (None without enough complete years), the cells behind them and the
    published need of each year (`outlook.need_values`' frame: the need has no cell of its own)."""

    plan: outlook.Plan
    projected: pd.DataFrame
    test_plan: outlook.Plan | None
    tested: pd.DataFrame | None
    errors: pd.DataFrame | None
    cells: pd.DataFrame
    need_history: pd.DataFrame


def make_outlook(cells: pd.DataFrame, months: dict[int, int]) -> Outlook:
    """Project next year and backtest the last complete year from the same published cells."""
    plan, test_plan = outlook.outlook_plan(months), outlook.backtest_plan(months)
    tested = errors = None
    if test_plan is not None and len(test_plan.history) >= outlook.MIN_YEARS:
        tested = outlook.backtest(cells, test_plan)
        errors = outlook.backtest_errors(tested)
    need = outlook.need_values(cells, sorted(int(y) for y in cells["year"].unique()))
    return Outlook(plan, outlook.project(cells, plan), test_plan, tested, errors, cells, need)


def make_all_programs_outlook(own: Outlook, programs: Sequence[Outlook]) -> Outlook:
    """All programs' outlook (`own`: its recipients and Rupiah, projected as series of their own) with its need: the
    sum of every program's need (`programs`: each program's outlook), projected, backtested and published."""
    projected = pd.concat([own.projected, outlook.all_programs_need([p.projected for p in programs])],
                          ignore_index=True)
    tested, errors = own.tested, own.errors
    if tested is not None and all(p.tested is not None for p in programs):
        summed = outlook.all_programs_need([p.tested for p in programs if p.tested is not None])
        tested = pd.concat([tested, summed], ignore_index=True)
        errors = outlook.backtest_errors(tested)
    history = outlook.all_programs_need_history([p.need_history for p in programs])
    return replace(own, projected=projected, tested=tested, errors=errors, need_history=history)


@st.cache_data(max_entries=16, show_spinner=False)
def get_outlook(release_id: str, program: str) -> Outlook:
    """One program's outlook in a release (computed once per release, program and server process). Programs are
    reconciled apart, so one program's projection is the same whether or not the others are computed with it. All
    programs' need is the sum of the programs' needs, so "all programs" (what a profile shows) asks for every
    program's outlook too (cached here as well)."""
    con = db.get_connection(release_id)
    cells = year_cells(con)
    own = make_outlook(cells[cells["program"] == program].reset_index(drop=True), last_months(con))
    if program != ALL_PROGRAMS:
        return own
    programs = [p for p in PROGRAM_CODES if p in set(cells["program"])]
    return make_all_programs_outlook(own, [get_outlook(release_id, p) for p in programs])


# --- Views --------------------------------------------------------------------------------------------------------

def format_value(value: float, measure: str, lang: str) -> str:
    """A count in whole households; Rupiah in three significant digits, so that a projection and its bounds, read
    side by side, do not print alike (one decimal made Rp1,3 T of both Rp1,32 T and Rp1,25 T)."""
    if pd.isna(value):
        return "–"
    return i18n.format_rupiah(value, lang) if measure in RUPIAH_MEASURES else i18n.format_int(value, lang)


def _interval(row: pd.Series, level: int, measure: str, lang: str) -> str:
    if row["status"] != outlook.OK:
        return "–"
    return f"{format_value(row[f'lo_{level}'], measure, lang)} – {format_value(row[f'hi_{level}'], measure, lang)}"


def _projection(row: pd.Series, measure: str, lang: str) -> str:
    """The projection; zero where the series was zero in every year (its note says so), '–' where not projected."""
    return format_value(row["forecast"] if row["status"] in (outlook.OK, outlook.NO_DATA) else float("nan"), measure,
                        lang)


def _note(row: pd.Series, lang: str, plan: outlook.Plan) -> str:
    """What a row's status says; a need (never reconciled: rates differ by region) says how it is made."""
    year = plan.last or "–"
    if row["status"] in _STATUS_NOTES:
        return t(_STATUS_NOTES[row["status"]], lang, year=year)
    if row["measure"] == outlook.NEED:
        return t("outlook_note_need_all" if row["program"] == ALL_PROGRAMS else "outlook_note_need", lang, year=year)
    return "" if row["reconciled"] else t("outlook_note_unreconciled", lang)


def outlook_region(release_id: str, code: str) -> str:
    """The region the outlook shows for `code`: itself from kabupaten up, else its kabupaten/kota."""
    region = db.region(release_id, code)
    return code if region["level"] in outlook.OUTLOOK_LEVELS else str(region["kabupaten_code"])


def projection_row(result: Outlook, code: str, program: str, measure: str) -> pd.Series | None:
    """One series' projection (None when the release has no such series)."""
    rows = result.projected
    found = rows[(rows["region_code"] == code) & (rows["program"] == program) & (rows["measure"] == measure)]
    return None if found.empty else found.iloc[0]


def measures_for(program: str) -> list[str]:
    """Eligible households are counted per program: never for all programs together."""
    return [m for m in MEASURE_LABELS if program != ALL_PROGRAMS or m != "eligible_households"]


def eligible_note(program: str, lang: str) -> str | None:
    """Why eligible households are not among this program's measures (None when they are)."""
    return None if "eligible_households" in measures_for(program) else t("outlook_no_eligible", lang)


def outlook_rows(result: Outlook, code: str, level: str) -> list[str]:
    """The region and the regions the table lists under it: a province's kabupaten, the country's provinces."""
    below = {"nasional": "provinsi", "provinsi": "kabupaten"}.get(level)
    rows = result.projected
    children = rows.loc[(rows["level"] == below) & (rows["parent_code"] == code), "region_code"] if below else []
    return [code, *sorted(set(children))]


def build_projection_table(result: Outlook, codes: list[str], names: dict[str, str], program: str, measure: str,
                           lang: str) -> pd.DataFrame:
    """One row per region: the last complete year, the projection, its 80% and 95% intervals and a note."""
    rows = result.projected.set_index(["region_code", "program", "measure"], drop=False)
    plan, table = result.plan, []
    for code in codes:
        if (code, program, measure) not in rows.index:
            continue
        row = rows.loc[(code, program, measure)]
        table.append({t("region", lang): names.get(code, code),
                      t("outlook_col_last_need" if measure == outlook.NEED else "outlook_col_last", lang,
                        year=plan.last or "–"):
                          format_value(row["last_value"], measure, lang),
                      t("outlook_col_projection", lang, year=plan.target): _projection(row, measure, lang),
                      t("outlook_col_interval", lang, level=80): _interval(row, 80, measure, lang),
                      t("outlook_col_interval", lang, level=95): _interval(row, 95, measure, lang),
                      t("col_description", lang): _note(row, lang, plan)})
    return _without_empty_notes(pd.DataFrame(table), lang)


def _without_empty_notes(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The table without its description column where no row has a note: an empty column read as unfinished."""
    column = t("col_description", lang)
    if column in table and (table[column].astype(str).str.strip() == "").all():
        return table.drop(columns=column)
    return table


def build_backtest_table(result: Outlook, program: str, lang: str) -> pd.DataFrame:
    """The backtest's error for one program: a row per measure and level (MAPE, and how often the published value
    fell inside each interval), the count of series scored."""
    if result.errors is None:
        return pd.DataFrame()
    errors = result.errors[result.errors["program"] == program]
    # One first column naming the row, so that a phone's stacked table keeps measure and level together.
    return pd.DataFrame({
        t("outlook_col_scored", lang): [f"{t(MEASURE_LABELS[m], lang)}, {i18n.level_name(lv, lang).lower()}"
                                        for m, lv in zip(errors["measure"], errors["level"], strict=True)],
        t("outlook_col_series", lang): errors["series"].to_numpy(),
        "MAPE": [i18n.format_percent(v / 100, lang) for v in errors["mape"]],
        t("outlook_col_inside", lang, level=80): [i18n.format_percent(v / 100, lang, 0) for v in errors["inside_80"]],
        t("outlook_col_inside", lang, level=95): [i18n.format_percent(v / 100, lang, 0) for v in errors["inside_95"]],
    })


def history_of(result: Outlook, code: str, program: str, measure: str) -> pd.DataFrame:
    """year, value (NaN where hidden), complete (bool): the region's published yearly values (for need, each year's
    eligible households x that year's Rupiah per recipient household)."""
    if measure == outlook.NEED:
        need = result.need_history
        need = need[(need["region_code"] == code) & (need["program"] == program)]
        frame = need.drop(columns=["region_code", "level", "parent_code", "program", "measure"]).melt(
            var_name="year", value_name="value").astype({"year": "int64", "value": "float64"})
    else:
        cells = result.cells
        cells = cells[(cells["region_code"] == code) & (cells["program"] == program)]
        frame = pd.DataFrame({"year": cells["year"].to_numpy(),
                              "value": cells[measure].astype("float64").where(~cells["suppressed"].astype(bool))
                              .to_numpy()})
    frame["complete"] = frame["year"] != result.plan.partial  # only the latest year can be partial
    return frame.sort_values("year").reset_index(drop=True)


def build_outlook_figure(history: pd.DataFrame, row: pd.Series | None, measure: str, lang: str,
                         title: str) -> go.Figure:
    """Published whole years as a line, and the projection as a diamond on its 95% (thin, pale) and 80% (thick)
    intervals, drawn as vertical bars so that the legend shows each interval's own line."""
    fig = go.Figure()
    done = history[history["complete"]]
    fig.add_trace(go.Scatter(x=done["year"].astype(str), y=done["value"], mode="lines+markers", connectgaps=False,
                             name=t("outlook_published_need" if measure == outlook.NEED else "outlook_published",
                                    lang), line={"color": charts.QUALITATIVE[0], "width": 2}))
    if row is not None and row["status"] == outlook.OK:
        target = int(row["target_year"])
        for level, width, opacity in ((95, 2, 0.45), (80, 9, 0.9)):
            fig.add_trace(go.Scatter(
                x=[str(target)] * 2, y=[row[f"lo_{level}"], row[f"hi_{level}"]], mode="lines", opacity=opacity,
                name=t("outlook_interval_name", lang, level=level),
                line={"color": charts.QUALITATIVE[1], "width": width}))
        fig.add_trace(go.Scatter(x=[str(target)], y=[row["forecast"]], mode="markers",
                                 name=t("outlook_col_projection", lang, year=target),
                                 marker={"color": charts.QUALITATIVE[5], "size": 11, "symbol": "diamond",
                                         "line": {"color": "white", "width": 1}}))
    fig = charts._layout(fig, lang, title, t(MEASURE_LABELS[measure], lang))
    fig.update_layout(showlegend=True, hovermode="closest")
    fig.update_xaxes(type="category")
    fig.update_yaxes(rangemode="tozero")
    return charts.money_axis(fig, pd.concat([history["value"], pd.Series([row["hi_95"]] if row is not None else [])]),
                             lang) if measure in RUPIAH_MEASURES else fig


def build_figure_table(history: pd.DataFrame, row: pd.Series | None, measure: str, lang: str) -> pd.DataFrame:
    """The chart's values as a table: each published year, then the projection with its intervals."""
    lines = [{t("outlook_col_year", lang): str(y), t("col_value", lang): format_value(v, measure, lang) if pd.notna(v)
              else i18n.hidden_label(lang)} for y, v in zip(history.loc[history["complete"], "year"],
                                                           history.loc[history["complete"], "value"], strict=True)]
    if row is not None and row["status"] == outlook.OK:
        intervals = "; ".join(f"{level}%: {_interval(row, level, measure, lang)}" for level in outlook.INTERVALS)
        lines.append({t("outlook_col_year", lang): t("outlook_col_projection", lang, year=int(row["target_year"])),
                      t("col_value", lang): f"{format_value(row['forecast'], measure, lang)} ({intervals})"})
    return pd.DataFrame(lines)


def build_plotted(history: pd.DataFrame, row: pd.Series | None) -> pd.DataFrame:
    """What the chart plots, for "download what I see": period (the year), series (`published`, `projection`,
    `lower_80`, `upper_80`, `lower_95`, `upper_95`), value, status (hidden where a published year is hidden).
    Values are whole: households are counted, Rupiah have no smaller unit, and a projection's decimals are noise
    (297188.666667 households read as a precision the model does not have)."""
    done = history[history["complete"]]
    frame = pd.DataFrame({"period": done["year"].astype(str), "series": "published", "value": done["value"],
                          "status": ["ok" if pd.notna(v) else "hidden" for v in done["value"]]})
    if row is not None and row["status"] == outlook.OK:
        year = str(int(row["target_year"]))
        bounds = {"projection": row["forecast"]} | {f"{end}_{level}": row[f"{column}_{level}"]
                                                     for level in outlook.INTERVALS
                                                     for end, column in (("lower", "lo"), ("upper", "hi"))}
        frame = pd.concat([frame, pd.DataFrame({"period": year, "series": list(bounds), "value": list(bounds.values()),
                                                "status": "ok"})], ignore_index=True)
    frame["value"] = frame["value"].round().astype("Int64")
    return frame


def plan_note(result: Outlook, lang: str) -> str:
    """Which years the projection uses, and why a partial latest year is left out."""
    plan = result.plan
    years = ", ".join(str(y) for y in plan.history)
    text = t("outlook_plan", lang, years=years, target=plan.target)
    if plan.partial is not None:
        text += " " + t("outlook_partial", lang, year=plan.partial)
    return text


# --- In a region's profile -----------------------------------------------------------------------------------------

def render_profile_outlook(release_id: str, code: str, level: str, lang: str) -> None:
    """Next year's recipients, Rupiah paid and Rupiah needed for all programs, with intervals, in a region's profile
    (kabupaten and up)."""
    if level not in outlook.OUTLOOK_LEVELS:
        return
    result = get_outlook(release_id, ALL_PROGRAMS)
    st.subheader(t("outlook_profile_title", lang, year=result.plan.target))
    rows = result.projected.set_index(["region_code", "program", "measure"], drop=False)
    table = []
    for measure in ("recipients", "amount", outlook.NEED):
        if (code, ALL_PROGRAMS, measure) in rows.index:
            row = rows.loc[(code, ALL_PROGRAMS, measure)]
            table.append({t("metric", lang): t(MEASURE_LABELS[measure], lang),
                          t("outlook_col_projection", lang, year=result.plan.target): _projection(row, measure,
                                                                                                   lang),
                          t("outlook_col_interval", lang, level=80): _interval(row, 80, measure, lang),
                          t("outlook_col_interval", lang, level=95): _interval(row, 95, measure, lang),
                          t("col_description", lang): _note(row, lang, result.plan)})
    # Stacked on a phone like the profile's other tables (the intervals were cut off at 390 px); the stacked
    # column naming each figure is "Angka" / "Figure" ("Kolom", the table's internal word, leaked as a header, and
    # "Ukuran" is the first column's: a duplicate name crashed the profile at 390 px). A plain table at any width:
    # the data grid cut its notes at 1280 px.
    components.render_table(_without_empty_notes(pd.DataFrame(table), lang), t("col_figure", lang),
                            browser.content_width() < browser.NARROW)
    st.caption(t("outlook_profile_note", lang) + " " + plan_note(result, lang))


def region_names(release_id: str, code: str, level: str, lang: str) -> dict[str, str]:
    """Code -> name of the region and of the regions the outlook table lists under it."""
    names = {NATIONAL_CODE: t("national", lang)}
    region = db.region(release_id, code)
    names[code] = names.get(code) or i18n.region_name(region["name"], region["kind"], lang)
    below = {"nasional": "provinsi", "provinsi": "kabupaten"}.get(level)
    if below:
        children = db.get_regions_in(release_id, code, below)
        names.update({c: i18n.region_name(n, k, lang)
                      for c, n, k in zip(children["code"], children["name"], children["kind"], strict=True)})
    return names
