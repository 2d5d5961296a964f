"""One chart per shareable view (map, trend, gap, profile), shared by its full page and embed mode: the view's
parameters in, the figure and exactly the values it plots out. Reads through db.py's cached `get_*` only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import pandas as pd
import plotly.graph_objects as go
import pydeck as pdk
import streamlit as st

from dashboard import change, charts, components, db, i18n, maps, metrics, shareable, views, yearly
from dashboard.components import PageContext
from dashboard.i18n import format_int, format_percent, format_period, t
from published_schema import ALL_PROGRAMS, FEEDBACK_LEVELS, QUALITY_INDICATORS, has_months

#: Panels kept per process, keyed on (view, release, language, parameters): a news story sends thousands of
#: visitors to the same few views, and a rerun of a seen view is then a lookup (figures are shared, never mutated).
PANEL_CACHE_ENTRIES = 256



@dataclass
class ChartPanel:
    """A plotly chart, the values it plots (one row per point: value, status, label) and its accessible table."""

    title: str
    figure: go.Figure
    plotted: pd.DataFrame
    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    #: Every row the chart was cut from (the gap ranking before "top N"), for the charts beside it.
    source: pd.DataFrame | None = None


@dataclass
class MapPanel:
    title: str
    deck: pdk.Deck | None
    plotted: pd.DataFrame
    shapes: dict[str, tuple[str, ...]]
    cells: pd.DataFrame
    edges: list[float]
    level: str
    notes: list[str] = field(default_factory=list)
    #: Pixels the map is drawn at (its view is fitted to this height and the reader's width).
    height: int = 520
    #: The colours of its classes (a change: diverging, centred on 0) and how a class edge reads in the legend
    #: (None: as the metric's values).
    palette: tuple = maps.PALETTE
    format_edge: Callable[[float], str] | None = None
    legend_title: str = ""
    #: What a change compares, as files say it ('2025 vs 2024'); empty for a level.
    period_code: str = ""
    #: Desa of a year not complete yet: nothing published to map, rank or download (a note says which year is).
    waiting: bool = False

    def drawn(self) -> pd.Series:
        """The published values the map colours (its legend lists only their classes)."""
        shown = self.plotted[(self.plotted["status"] == metrics.OK)
                             & self.plotted["region_code"].isin(list(self.shapes))]
        return shown["value"]


def _build_map(ctx: PageContext, code: str, level: str, program: str, period: str, metric: str,
              norm: str, width: int = 700, change_kind: str = "none", tallest: int = maps.MAP_HEIGHT) -> MapPanel:
    """The choropleth of the regions at `level` inside `code` (desa: the whole year only), zoomed to fit `width`
    pixels (the reader's content width) and at most `tallest` pixels; `change_kind` abs/pct: the change since the
    year before instead."""
    release_id, year, threshold = ctx.release.release_id, ctx.year, ctx.release.threshold
    notes = []
    if not has_months(level) and period != year:
        notes.append(t("desa_year_only", ctx.lang, year=year))
        period = year
    wait = components.small_area_wait(ctx, level)
    if wait:
        notes.append(wait)
    if change_kind != "none" and norm != "none":
        notes.append(t("change_absolute_only", ctx.lang))
        norm = "none"
    if norm == "eligible" and program == ALL_PROGRAMS:
        notes.append(t("n_eligible_semua", ctx.lang))
    if metric == "coverage" and program == ALL_PROGRAMS and change_kind == "none":
        notes.append(t("coverage_semua", ctx.lang))
    cells = db.get_cells(release_id, code, level, program, period)
    denominators = db.get_denominators(release_id, code, level, year) if norm != "none" else None
    values = metrics.build_values(cells, metric, norm, denominators)
    names = [i18n.region_name(n, k, ctx.lang) for n, k in zip(cells["name"], cells["kind"], strict=True)]
    values = values.assign(name=names, label=metrics.format_values(values, metric, norm, ctx.lang, threshold))
    measure, period_label = metrics.metric_label(metric, norm, ctx.lang), format_period(period, ctx.lang)
    palette: tuple[list[int], ...] = maps.PALETTE
    format_edge, period_code = None, ""
    comparison, table = (yearly.map_changes(ctx, code, level, program, period, metric) if change_kind != "none"
                         else (None, None))
    if change_kind != "none" and (comparison is None or table is None):
        before = str(int(year) - 1)
        notes.append(t("no_previous_month" if len(period) == 7 and yearly.previous_year(ctx) else "no_previous_year",
                       ctx.lang, before=before))
    elif comparison is not None and table is not None:
        notes.extend(yearly.notes(ctx, comparison, metric))
        plotted = change.as_values(table, change_kind)
        values = plotted.assign(name=names, label=change.format_changes(plotted, metric, change_kind, ctx.lang,
                                                                         threshold))
        measure = change.change_label(metric, change_kind, comparison.before, ctx.lang)
        period_label, period_code = comparison.label(ctx.lang), comparison.code()
        palette = maps.DIVERGING

        def format_edge(v: float) -> str:
            return change.format_number(v, metric, change_kind, ctx.lang)

    edges = maps.make_bins(values["value"]) if palette is maps.PALETTE else maps.diverging_bins(values["value"])
    region_level = db.level_of_code(code)
    shapes = db.get_boundaries(release_id, code, level, maps.uses_detail(region_level, level))
    # The tooltip of a hidden region says why in a few words (the legend's note says it in full), or its range.
    tooltips = values["label"].where((values["status"] != metrics.HIDDEN) | values["lower"].notna(),
                                     t("hidden_tooltip", ctx.lang))
    rows = maps.build_map_rows(shapes, values.assign(label=tooltips), edges, palette)
    bbox = db.get_bbox(release_id, tuple(shapes))
    height = maps.map_height(width, bbox, tallest)
    view = maps.view_for_bbox(bbox, width, height)
    deck = maps.build_deck(rows, view, stroked=len(shapes) < 500) if rows else None
    region = db.region(release_id, code)
    title = shareable.VIEWS["map"].title(ctx.lang, measure=measure, region=components.region_label(region, ctx.lang),
                                         program=components.program_name(ctx, program), period=period_label)
    return MapPanel(title, deck, values, shapes, cells, edges, level, notes, height, palette, format_edge, measure,
                    period_code, waiting=bool(wait) and cells.empty)



def _build_trend(ctx: PageContext, code: str, program: str, metric: str, norm: str, breakdown: str) -> ChartPanel:
    """Monthly lines of one region by program, channel or payment status, or one line per published year."""
    release_id, year, threshold = ctx.release.release_id, ctx.year, ctx.release.threshold
    names = components.program_names(ctx)
    notes = []
    if breakdown == "program":
        names, absent = views.programs_here(db.get_region_cells(release_id, code, year), names)
        if absent:
            notes.append(t("programs_not_here", ctx.lang, programs=", ".join(absent)))
        monthly = db.get_monthly(release_id, (code,), tuple(names), year)
        series = views.build_monthly_series(monthly, metric, "program", names, norm, ctx.lang, threshold,
                                            db.get_denominators_of(release_id, (code,), year))
    elif breakdown == "channel":
        channels = tuple(db.get_channels(release_id, code, program, year))
        if not channels:
            notes.append(t("channel_kabupaten", ctx.lang))
        monthly = db.get_monthly(release_id, (code,), (program,), year, channels)
        series = views.build_monthly_series(monthly, metric, "channel", {}, norm, ctx.lang, threshold)
    elif breakdown == "year":
        # One year per query: each line's values are normalised by its own year's denominators.
        series = pd.concat([views.build_monthly_series(
            db.get_monthly(release_id, (code,), (program,), each).assign(year=each), metric, "year", {}, norm,
            ctx.lang, threshold, db.get_denominators_of(release_id, (code,), each))
            for each in db.get_years(release_id)], ignore_index=True)
    else:
        monthly = db.get_monthly(release_id, (code,), (program,), year)
        series = views.build_status_series(monthly, ctx.lang, threshold)
        # The lines count payments whatever the measure picked (the picker said Rupiah over counts).
        notes.append(t("status_counts", ctx.lang, measure=metrics.metric_label(metric, norm, ctx.lang)))
        if db.level_of_code(code) == "kecamatan":
            notes.append(t("status_kecamatan", ctx.lang))
    label = metrics.metric_label(metric, norm, ctx.lang)
    measure = (t("late_failed_title", ctx.lang) if breakdown == "status"
               else f"{label} — {t(f'by_{breakdown}', ctx.lang)}")
    title = shareable.VIEWS["trend"].title(
        ctx.lang, measure=measure, region=components.region_label(db.region(release_id, code), ctx.lang),
        detail="" if breakdown == "program" else f", {components.program_name(ctx, program)}")
    figure = charts.build_lines(series, ctx.lang, title, money=metric == "amount" and breakdown != "status",
                                by_month=breakdown == "year")
    table = views.year_table(series, ctx.lang) if breakdown == "year" else views.series_table(series, ctx.lang)
    return ChartPanel(title, figure, series, table, notes)


def _build_gap(ctx: PageContext, code: str, level: str, program: str, rank_by: str, top: str) -> ChartPanel:
    """Regions at `level` inside `code` ranked by the gap between eligible and recipient households."""
    release_id, year, threshold = ctx.release.release_id, ctx.year, ctx.release.threshold
    cells = db.get_cells(release_id, code, level, program, year)
    # "Ende Regency" in English, as on the map and in the pickers (the release says "Kabupaten Ende").
    cells = cells.assign(name=[i18n.region_name(n, k, ctx.lang) for n, k in zip(cells["name"], cells["kind"],
                                                                                 strict=True)])
    cells = cells.assign(region_name=cells["name"])  # what the downloads call `name`: region_code says where
    parents = cells["parent_code"].dropna().unique()
    if len(parents) > 1:
        # Ranked across several parents, a name alone is ambiguous ("Ende" is a kecamatan of Kabupaten Ende and a
        # kabupaten; desa names repeat across kecamatan): each row names its parent, as search results do.
        regions = db.get_all_regions(release_id).set_index("code")
        label = {p: components.region_label({**regions.loc[p].to_dict(), "code": p}, ctx.lang)
                 for p in parents if p in regions.index}
        cells = cells.assign(name=[f"{n} — {label[p]}" if p in label else n
                                   for n, p in zip(cells["name"], cells["parent_code"], strict=True)])
    registered = db.get_denominators(release_id, code, level, year)
    registered = registered[registered["program"] == ALL_PROGRAMS][["region_code", "registered_households",
                                                               "registered_suppressed"]]
    ranked = views.rank_gaps(views.build_gaps(cells, registered), rank_by)
    quality = (views.pivot_quality(db.get_quality(release_id, code, level, year), ctx.lang, threshold)
               if level in FEEDBACK_LEVELS else views.pivot_quality(ranked.iloc[0:0], ctx.lang, threshold))
    shown = ranked if top == "all" else ranked.head(int(top))
    fmt = format_int if rank_by == "gap" else format_percent
    measure = t("gap_abs" if rank_by == "gap" else "gap_pct", ctx.lang)
    labels = [fmt(v, ctx.lang) if s == metrics.OK and pd.notna(v) else
              metrics.format_value(float("nan"), s if s != metrics.OK else metrics.UNDEFINED, "recipients", "none",
                                   ctx.lang, threshold)
              for v, s in zip(shown[rank_by], shown["status"], strict=True)]
    plotted = shown.assign(value=shown[rank_by].astype(float), label=labels)
    bars = plotted[plotted["status"] == metrics.OK]
    # The parent on a second line: on one line the names took most of a phone's width from the bars.
    bars = bars.assign(name=bars["name"].str.replace(" — ", "<br>", regex=False))
    title = shareable.VIEWS["gap"].title(ctx.lang, measure=measure, program=components.program_name(ctx, program),
                                         region=components.region_label(db.region(release_id, code), ctx.lang),
                                         level=i18n.level_name(level, ctx.lang).lower(), year=year)
    figure = charts.build_bars(bars, ctx.lang, title, measure)
    notes = [t("hidden_last", ctx.lang), i18n.hidden_note(ctx.lang, threshold)]
    if program == "BLT_DD":  # its gaps are wide by its rule: a walk read them as villages left behind
        notes.append(t("blt_coverage_note", ctx.lang))
    if level not in FEEDBACK_LEVELS:
        notes.append(t("quality_desa", ctx.lang))
    elif (waiting := components.quality_wait(ctx)) is not None:
        notes.append(waiting)
    elif withheld := sorted(set(QUALITY_INDICATORS) - set(db.get_national_quality_indicators(release_id, year)),
                            key=QUALITY_INDICATORS.index):
        notes.append(t("quality_withheld", ctx.lang, indicators=", ".join(t(f"q_{q}", ctx.lang) for q in withheld),
                       twice=2 * threshold))
    return ChartPanel(title, figure, plotted, views.build_gap_table(shown, quality, ctx.lang, threshold), notes, ranked)


def _build_profile(ctx: PageContext, code: str) -> ChartPanel:
    """A region's recipients by program and month (a desa shows its kecamatan's months)."""
    release_id, threshold = ctx.release.release_id, ctx.release.threshold
    trend_code = shareable.shown_region(release_id, code)
    trend_region = db.region(release_id, trend_code)
    notes = [t("desa_trend_note", ctx.lang, name=trend_region["name"])] if trend_code != code else []
    year = ctx.year
    # The region's own year decides (a kelurahan in a kecamatan with desa still has no BLT Dana Desa).
    year_cells = pd.concat([db.get_region_cells(release_id, c, year) for c in dict.fromkeys((code, trend_code))])
    names, absent = views.programs_here(year_cells, components.program_names(ctx))
    if absent:
        notes.append(t("programs_not_here", ctx.lang, programs=", ".join(absent)))
    series = views.build_monthly_series(db.get_monthly(release_id, (trend_code,), tuple(names), year), "recipients",
                                        "program", names, "none", ctx.lang, threshold)
    # Named with its kind: "Tren Depok" is a kecamatan of Sleman or Kota Depok (a walk at 390 px).
    trend_label = components.region_label(trend_region, ctx.lang)
    if trend_code == code:
        detail = t("trend_title", ctx.lang, name=trend_label)
    else:  # "Trend of Depok" alone read as the desa's own months in an embed or an exported image
        detail = t("trend_title_desa", ctx.lang, kecamatan=trend_label,
                   desa=components.region_label(db.region(release_id, code), ctx.lang))
    title = shareable.VIEWS["profile"].title(ctx.lang, measure=t("m_recipients", ctx.lang), detail=detail)
    # Monthly lines dip to zero between payment rounds, as on the Trends page: say so before readers call it a gap.
    notes.append(t("trend_rounds_note", ctx.lang))
    figure = charts.build_lines(series, ctx.lang, title)
    return ChartPanel(title, figure, series, views.series_table(series, ctx.lang), notes)


_BUILDERS: dict[str, Callable[..., ChartPanel | MapPanel]] = {
    "map": _build_map, "trend": _build_trend, "gap": _build_gap, "profile": _build_profile}
Panel = TypeVar("Panel", ChartPanel, MapPanel)


def _expect(panel: ChartPanel | MapPanel, kind: type[Panel]) -> Panel:
    if not isinstance(panel, kind):
        raise TypeError(f"expected a {kind.__name__}, the cache held a {type(panel).__name__}")
    return panel


@st.cache_resource(max_entries=PANEL_CACHE_ENTRIES, show_spinner=False)
def _panel(view: str, release_id: str, lang: str, year: str, args: tuple) -> ChartPanel | MapPanel:
    return _BUILDERS[view](PageContext(lang, db.get_release(release_id), year), *args)


def map_panel(ctx: PageContext, code: str, level: str, program: str, period: str, metric: str, norm: str,
              width: int = 700, change_kind: str = "none", tallest: int = maps.MAP_HEIGHT) -> MapPanel:
    """The choropleth of the regions at `level` inside `code`, fitted to `width` × at most `tallest` pixels (cached
    per view); `change_kind` abs/pct colours the change since the year before."""
    return _expect(_panel("map", ctx.release.release_id, ctx.lang, ctx.year, (code, level, program, period, metric,
                                                                               norm, width, change_kind, tallest)),
                   MapPanel)


def trend_panel(ctx: PageContext, code: str, program: str, metric: str, norm: str, breakdown: str) -> ChartPanel:
    """Monthly lines of one region by program, channel or payment status (cached per view)."""
    return _expect(_panel("trend", ctx.release.release_id, ctx.lang, ctx.year, (code, program, metric, norm,
                                                                                 breakdown)),
                   ChartPanel)


def gap_panel(ctx: PageContext, code: str, level: str, program: str, rank_by: str, top: str) -> ChartPanel:
    """Regions ranked by their coverage gap (cached per view)."""
    return _expect(_panel("gap", ctx.release.release_id, ctx.lang, ctx.year, (code, level, program, rank_by, top)),
                   ChartPanel)


def profile_panel(ctx: PageContext, code: str) -> ChartPanel:
    """A region's recipients by program and month (cached per view)."""
    return _expect(_panel("profile", ctx.release.release_id, ctx.lang, ctx.year, (code,)), ChartPanel)
