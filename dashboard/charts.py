"""Plotly figures (pure builders) and the one function that draws a chart with its table alternative."""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import browser, components, i18n, views

#: Okabe-Ito: a qualitative palette that stays distinct for the common colour-vision deficiencies.
QUALITATIVE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "solid", "dash")
_CONFIG = {"displaylogo": False, "responsive": True}


#: Characters per title line: a 390 px phone fits about 45 at 15 px; plotly never wraps a title itself.
TITLE_LINE = 45
#: Characters per line of a y-axis title, which runs up the plot's height: at 390 px a chart whose legend takes
#: four rows keeps about 200 px of plot, and "Kebutuhan Rupiah (semua keluarga sasaran)" (about 260 px) was cut.
AXIS_TITLE_LINE = 24


def wrap_title(title: str, width: int = TITLE_LINE) -> tuple[str, int]:
    """The title with `<br>` between lines of at most `width` characters, and its number of lines."""
    lines = textwrap.wrap(title, width) or [""]
    return "<br>".join(lines), len(lines)


def _layout(fig: go.Figure, lang: str, title: str, y_title: str = "", height: int = 360) -> go.Figure:
    text, lines = wrap_title(title)
    # Plotly's separators: decimal mark then thousands mark (12.345,6 in Bahasa Indonesia).
    fig.update_layout(title={"text": text, "font": {"size": 15}}, separators=",." if lang == "id" else ".,",
                      height=height + 20 * (lines - 1), margin={"l": 10, "r": 10, "t": 30 + 20 * lines, "b": 40},
                      # The legend sits at the figure's foot and the x labels make room for themselves: on a phone
                      # the month labels turn vertical and a legend just under the axis covered them.
                      legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom"},
                      yaxis_title=wrap_title(y_title, AXIS_TITLE_LINE)[0] if y_title else y_title,
                      hovermode="x unified")
    fig.update_xaxes(automargin=True)
    # Markers whole at the plot's edges: a category axis puts the first and last month on its ends, where the
    # clipped plot area cut their markers in half (the sparkline's January at 1280 px). Text stays clipped: outlier
    # labels must not run over the axes.
    fig.for_each_trace(lambda trace: trace.update(cliponaxis=False),
                       selector=lambda trace: trace.type == "scatter" and "text" not in (trace.mode or ""))
    # Numbers on axes as the language writes them (50.000 / 50,000), never Plotly's SI "50k"; 4 significant digits
    # keep rates (0,75) readable. Money axes set their own labels (money_axis), percent axes their own format.
    fig.update_xaxes(tickformat=",.4~r")
    fig.update_yaxes(tickformat=",.4~r")
    return fig


def rupiah_ticks(max_value: float, lang: str, count: int = 4) -> tuple[list[float], list[str]]:
    """Round tick values from 0 to past `max_value`, labelled Rp1,2 M / Rp1.2B as the language writes money."""
    if not max_value > 0:
        return [0.0], ["Rp0"]
    raw = max_value / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    ticks = [step * i for i in range(math.ceil(max_value / step) + 1)]
    return ticks, [i18n.format_rupiah_tick(v, lang) for v in ticks]


def money_axis(fig: go.Figure, values: pd.Series, lang: str) -> go.Figure:
    ticks, labels = rupiah_ticks(float(pd.Series(values, dtype=float).max(skipna=True) or 0), lang)
    fig.update_yaxes(tickvals=ticks, ticktext=labels)
    return fig


def month_name(period: str, lang: str) -> str:
    """'2024-03' -> 'Mar' (one line per year over the same twelve months)."""
    return i18n.MONTHS[lang][int(period[5:7]) - 1][:3]


def build_lines(frame: pd.DataFrame, lang: str, title: str, y_title: str = "", money: bool = False,
                by_month: bool = False) -> go.Figure:
    """Lines per `series` over `period` (YYYY-MM); NaN (hidden or unpublished) leaves a gap, never a guess.
    `by_month`: the x axis is the month alone, January to December (one line per year)."""
    fig = go.Figure()
    x_of = month_name if by_month else i18n.format_month_short
    for i, (name, part) in enumerate(frame.groupby("series", sort=False)):
        part = part.sort_values("period")
        fig.add_trace(go.Scatter(
            x=[x_of(p, lang) for p in part["period"]], y=part["value"], name=str(name),
            mode="lines+markers", connectgaps=False, hovertext=part["label"], hoverinfo="text+name",
            line={"color": QUALITATIVE[i % len(QUALITATIVE)], "dash": DASHES[i % len(DASHES)], "width": 2}))
    fig = _layout(fig, lang, title, y_title)
    if by_month:  # January first even when the first line (a partial year) starts later
        fig.update_xaxes(categoryorder="array", categoryarray=[m[:3] for m in i18n.MONTHS[lang]])
    # Plotly hides the legend of a single line: the region compared alone would be an unnamed line.
    fig.update_layout(showlegend=True)
    # Counts, Rupiah and shares are never negative: an axis from 0 keeps a small change from looking like a fall.
    fig.update_yaxes(rangemode="tozero")
    return money_axis(fig, frame["value"], lang) if money else fig


def build_sparkline(frame: pd.DataFrame, lang: str, title: str) -> go.Figure:
    """A filled line per run of shown months: Plotly's fill to zero bridges a hidden month (NaN) even with
    connectgaps off (a new user saw April joined to July across a hidden May and June), so each run is a trace."""
    months = [i18n.format_month_short(p, lang) for p in frame["period"]]
    shown = frame["value"].notna().to_numpy()
    run = np.cumsum(np.r_[True, shown[1:] != shown[:-1]])[:len(shown)]   # a number per run of shown or hidden months
    fig = go.Figure()
    for number in np.unique(run[shown]):
        part = run == number
        fig.add_trace(go.Scatter(x=[m for m, inside in zip(months, part, strict=True) if inside],
                                 y=frame["value"][part], mode="lines+markers", hovertext=frame["label"][part],
                                 hoverinfo="text", line={"color": QUALITATIVE[0], "width": 2}, fill="tozeroy"))
    # Every month on the axis, hidden ones too, in order.
    fig.update_xaxes(categoryorder="array", categoryarray=months, type="category")
    fig.add_trace(go.Scatter(x=months, y=[None] * len(months), mode="lines", hoverinfo="skip", showlegend=False))
    fig = _layout(fig, lang, title, height=200)
    fig.update_layout(showlegend=False, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return money_axis(fig, frame["value"], lang)


def build_cumulative(frame: pd.DataFrame, target: float | None, lang: str, title: str) -> go.Figure:
    """Cumulative Rupiah by month against a flat annual-target line."""
    x = [i18n.format_month_short(p, lang) for p in frame["period"]]
    fig = go.Figure(go.Scatter(x=x, y=frame["value"], name=i18n.t("cumulative", lang), mode="lines+markers",
                               hovertext=frame["label"], hoverinfo="text+name", connectgaps=False,
                               line={"color": QUALITATIVE[0], "width": 2}))
    if target is not None and x:
        fig.add_trace(go.Scatter(x=x, y=[target] * len(x), name=i18n.t("target", lang), mode="lines",
                                 hovertext=[i18n.format_rupiah(target, lang)] * len(x), hoverinfo="text+name",
                                 line={"color": QUALITATIVE[1], "dash": "dash", "width": 2}))
        # Labelled on the chart itself: a dashed line in a legend under the chart is easy to miss. At the first
        # month, where a running total is lowest: at the last one, a year that reached its target drew its line
        # and points through the label.
        fig.add_annotation(x=x[0], y=target, text=f"{i18n.t('target', lang)}: {i18n.format_rupiah(target, lang)}",
                           showarrow=False, xanchor="left", yanchor="bottom", font={"color": QUALITATIVE[1]})
    fig = _layout(fig, lang, title, "Rupiah")
    fig.update_yaxes(rangemode="tozero")  # a running total read against zero, not against its first month
    return money_axis(fig, pd.concat([frame["value"], pd.Series([target or 0.0])]), lang)


def build_bars(frame: pd.DataFrame, lang: str, title: str, x_title: str) -> go.Figure:
    """Horizontal bars of `value` by `name`, in the frame's order (largest on top)."""
    fig = go.Figure(go.Bar(x=frame["value"], y=frame["name"], orientation="h", hovertext=frame["label"],
                           hoverinfo="text+y", marker={"color": QUALITATIVE[0]}))
    fig = _layout(fig, lang, title, height=max(260, 28 * len(frame) + 90))
    fig.update_layout(xaxis_title=x_title, yaxis={"autorange": "reversed"}, hovermode="closest")
    return fig


def build_scatter(frame: pd.DataFrame, lang: str, title: str, x_title: str, y_title: str,
                  names: bool = True, width: int | None = None) -> go.Figure:
    """Points `x`, `y` with `name`; rows with `outlier` True are marked, and (`names`) labelled on the chart, placed
    for a page `width` px wide: a name is drawn only where it covers no other (the others are in the hover and the
    table). On a phone (`names` False) eight names do not fit beside each other: outliers keep their marker, the
    name is in the hover and in the table under the chart."""
    fig = go.Figure(go.Scatter(x=frame["x"], y=frame["y"], mode="markers", text=frame["name"],
                               hovertext=frame["label"], hoverinfo="text",
                               marker={"color": QUALITATIVE[0], "size": 8, "opacity": 0.7}))
    labelled = frame[frame["outlier"]].sort_values("x")
    plot = (max(float(width or _PAGE_PX) - _PLOT_MARGIN_PX, 200.0), _PLOT_PX[1])
    places = label_positions(labelled["x"].to_numpy(float), labelled["y"].to_numpy(float),
                             labelled["name"].astype(str).tolist(), frame["x"].to_numpy(float),
                             frame["y"].to_numpy(float), plot) if names else []
    fig.add_trace(go.Scatter(x=labelled["x"], y=labelled["y"], mode="markers+text" if names else "markers",
                             text=[n if p else "" for n, p in zip(labelled["name"], places, strict=True)]
                             if names else None, hovertext=labelled["label"],
                             textposition=[p or "top center" for p in places] if names else None,
                             hoverinfo="skip" if names else "text",
                             marker={"color": QUALITATIVE[5], "size": 11, "symbol": "diamond"}))
    fig = _layout(fig, lang, title, y_title, height=420)
    fig.update_layout(xaxis_title=x_title, showlegend=False, hovermode="closest", xaxis_tickformat=".0%",
                      yaxis_tickformat=".0%")
    return fig


#: Plotly text positions tried for a label, in order of preference, with the box each puts the text in relative
#: to its marker: (left, bottom) offsets in label widths and heights.
_LABEL_PLACES = (("top center", -0.5, 0.0), ("bottom center", -0.5, -1.0), ("middle right", 0.0, -0.5),
                 ("middle left", -1.0, -0.5), ("top right", 0.0, 0.0), ("bottom left", -1.0, -1.0),
                 ("top left", -1.0, 0.0), ("bottom right", 0.0, -1.0))
#: The scatter's plot area on a desktop page (pixels) and its label font's character width and line height: enough
#: to tell which names would overlap (Chromium at 1280 px: about 680 x 330).
_PLOT_PX, _CHAR_PX, _LINE_PX, _MARKER_PX = (680.0, 330.0), 6.5, 15.0, 7.0
#: Half the width of an unlabelled dot (size 8 in `build_scatter`).
_DOT_PX = 4.0
#: The page width the desktop plot area above was measured at, and what the axis and margins take of it.
_PAGE_PX, _PLOT_MARGIN_PX = 760, 80


def label_positions(x: np.ndarray, y: np.ndarray, names: list[str], all_x: np.ndarray | None = None,
                    all_y: np.ndarray | None = None, plot: tuple[float, float] = _PLOT_PX) -> list[str | None]:
    """A plotly text position per labelled point (x, y in data units; `all_x`/`all_y` every point of the chart,
    which sets the axes' extent): each name goes where its box overlaps no name placed before it and no labelled
    marker, first choice above; None where every place would cover a name placed before or a labelled marker (that
    name is left off the chart: stacked names read as none). Names beside each other at the same height (Elar
    Selatan, Lamba Leda Timur and Wewaria on the demo's coverage scatter) overlapped when positions only alternated
    by rank, and names of points close together were still drawn over each other where no place was free. `plot`
    is the plot area (px)."""
    span_x = np.concatenate([x, all_x if all_x is not None else x])
    span_y = np.concatenate([y, all_y if all_y is not None else y])
    width = max(float(np.nanmax(span_x) - np.nanmin(span_x)), 1e-9) if len(span_x) else 1.0
    height = max(float(np.nanmax(span_y) - np.nanmin(span_y)), 1e-9) if len(span_y) else 1.0
    origin = (np.nanmin(span_x) if len(span_x) else 0.0, np.nanmin(span_y) if len(span_y) else 0.0)

    def to_px(xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Data units to pixels of the plot area."""
        return ((np.asarray(xs, float) - origin[0]) / width * plot[0],
                (np.asarray(ys, float) - origin[1]) / height * plot[1])

    px, py = to_px(x, y)
    m = _MARKER_PX
    markers = [(px[i] - m, py[i] - m, px[i] + m, py[i] + m) for i in range(len(px))]
    # Every other dot (unlabelled ones too): a name over one is readable but hides it, so among the places that
    # cover no name and no labelled marker the one covering the least of them is taken (at 1280 px a name sat half
    # over an unlabelled dot while the place below was free).
    dot_x, dot_y = to_px(all_x if all_x is not None else x, all_y if all_y is not None else y)
    placed: list[tuple[float, float, float, float]] = []
    positions: list[str | None] = []
    for i, name in enumerate(names):
        w, h = len(name) * _CHAR_PX, _LINE_PX
        best, best_cost = _LABEL_PLACES[0][0], (np.inf, np.inf)
        others = placed + markers[:i] + markers[i + 1:]
        for place, dx, dy in _LABEL_PLACES:
            # The text starts a marker's half-width away from the point on the side it is placed.
            left = px[i] + dx * w + (m if dx == 0.0 else -m if dx == -1.0 else 0.0)
            bottom = py[i] + dy * h + (m if dy == 0.0 else -m if dy == -1.0 else 0.0)
            box = (left, bottom, left + w, bottom + h)
            # Text past the plot area's edge is cut: count it as overlap too.
            overlap = sum(_overlap(box, other) for other in others) + w * h - _overlap(box, (0.0, 0.0, *plot))
            cost = (overlap, _dots_covered(box, dot_x, dot_y))
            if cost < best_cost:
                best, best_cost, best_box = place, cost, box
            if cost == (0.0, 0.0):
                break
        # Boxes are estimates of the rendered text: touching within a pixel is apart.
        inner = (best_box[0] + 1, best_box[1] + 1, best_box[2] - 1, best_box[3] - 1)
        if any(_overlap(inner, other) > 0 for other in others):  # a name or a labelled point covered
            positions.append(None)
            continue
        positions.append(best)
        placed.append(best_box)
    return positions


def _dots_covered(box: tuple[float, float, float, float], x: np.ndarray, y: np.ndarray) -> float:
    """Area (px²) of the chart's dots (`_DOT_PX` half-width, centres `x`, `y` in px) that `box` covers."""
    r = _DOT_PX
    wide = np.clip(np.minimum(box[2], x + r) - np.maximum(box[0], x - r), 0.0, None)
    tall = np.clip(np.minimum(box[3], y + r) - np.maximum(box[1], y - r), 0.0, None)
    return float(np.nansum(wide * tall))


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Area shared by two boxes (left, bottom, right, top)."""
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def title_of(fig: go.Figure) -> str:
    """The figure's title as one line of text (the `<br>` of `wrap_title` undone)."""
    return str(fig.layout.title.text or "").replace("<br>", " ")


def untitled(fig: go.Figure) -> go.Figure:
    """A copy without its title, for a page that writes the title above it: text wraps to any width there, while
    plotly cuts a title at the chart's edge and `wrap_title`'s fixed line length wraps half a desktop chart. The
    figure itself keeps its title for PNG/SVG downloads, which travel without the page."""
    lines = title_of(fig) and len(str(fig.layout.title.text).split("<br>"))
    copy = go.Figure(fig)
    height = copy.layout.height
    copy.update_layout(title=None, margin={"t": 16 if copy.layout.annotations else 8},
                       height=height - 20 * (lines - 1) if height and lines else height)
    return copy


def render_chart(fig: go.Figure, table: pd.DataFrame, lang: str, key: str, expanded: bool = False,
                 heading: bool = True, plain: bool = False) -> None:
    """A chart under its title (`heading` False: the subheader above already says it) and, under it, the same values
    as a table (hidden cells marked) for screen readers and copying (`plain`: a table whose text wraps, for a few
    columns on a phone, where a data grid cuts the last column at the screen's edge)."""
    if heading and title_of(fig):
        st.markdown(f"**{i18n.escape(title_of(fig), limit=300)}**")
    if has_points(fig):
        st.plotly_chart(untitled(fig), key=key, config=_CONFIG, width="stretch")
    else:
        # Every value of the view hidden or missing: an empty frame of axes (-1 to 6) read as a broken chart.
        st.info(i18n.t("no_figure_to_draw", lang))
    render_table(table, lang, key=f"{key}_table", expanded=expanded, plain=plain)


def has_points(fig: go.Figure) -> bool:
    """Whether any trace of `fig` has a point to draw: an x and a y both present (NaN, None and NaT are not; bars
    by region carry names on one axis and numbers on the other)."""
    for trace in fig.data:
        if "x" not in trace or "y" not in trace:
            return True     # not a trace over x and y: drawn as it is
        x, y = trace.x, trace.y
        if x is None or y is None or not len(x) or not len(y):
            continue
        if (pd.notna(pd.Series(list(x))) & pd.notna(pd.Series(list(y)))).any():
            return True
    return False


#: A plain table of more rows than this scrolls inside a box this tall (px): every kecamatan of a province, all
#: shown, would push the rest of the page several screens down.
PLAIN_ROWS, PLAIN_HEIGHT = 25, 720
#: Rows a phone shows of a chart's table at once (stacked: about as many stacked rows); the others one tap away.
#: At 390 px every row of every table was drawn (a province's desa: dozens of screens), and a box that scrolls
#: inside the page traps a phone's swipe.
PHONE_TABLE_ROWS = 15


def render_table(table: pd.DataFrame, lang: str, key: str, expanded: bool = False, plain: bool = False,
                 label: str | None = None, stack: tuple[str, str] | None = None) -> None:
    """A table in an expander (`label`, by default "Chart data as a table"). On a phone its first rows, and the
    others behind "Show N more rows"; `stack` (the stacked table's figure and value headers) draws it there as
    one (first column, figure, value) row per cell, whole source rows in each part."""
    with st.expander(label or i18n.t("table_alt", lang), expanded=expanded):
        if browser.content_width() >= browser.NARROW:
            _draw_table(table, key, plain)
            return
        per_row = max(len(table.columns) - 1, 1) if stack else 1
        first, rest = components.split_rows(table, max(PHONE_TABLE_ROWS // per_row, 1))
        shown = (lambda part: views.stack_table(part, *stack, lang)) if stack else (lambda part: part)
        _draw_table(shown(first), key, plain)
        if rest.empty:
            return
        more = shown(rest)
        # Named by the rows it draws: stacked, a source row is one per cell ("Show 7 more rows" drew 28).
        if st.toggle(i18n.t("more_rows", lang, n=len(more)), key=f"{key}_more"):
            _draw_table(more, f"{key}_rest", plain)


def _draw_table(table: pd.DataFrame, key: str, plain: bool) -> None:
    if plain:
        st.table(table, hide_index=True, border="horizontal",
                 height=PLAIN_HEIGHT if len(table) > PLAIN_ROWS else "content")
    else:
        st.dataframe(table, hide_index=True, width="stretch", key=key)
