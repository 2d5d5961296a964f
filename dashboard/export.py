""""Download what I see": the values a chart or map plots as CSV (hidden cells marked), and the chart as PNG/SVG
drawn by kaleido with Debian's Chromium (never a browser download). Every file carries the release's source line (the
CSV in a `source` column: a line above the header would misalign every reader)."""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import openformat
from dashboard import charts, db, i18n, metrics, opendata
from dashboard.metrics import HIDDEN, NA, NODATA, OK, UNDEFINED

#: Kaleido finds a Chrome-family browser itself; point it at Debian's so it never tries to fetch one.
CHROMIUM = "/usr/bin/chromium"
#: Seconds one image may take (kaleido starts Chromium for it: about 4 s alone). Past it the image is drawn once more
#: in a new browser, then the export fails with a message. Under load Chromium can leave kaleido waiting for ever:
#: a test worker beside two benchmarks waited 40 minutes on one SVG (2026-12-06), and a visitor's download would.
IMAGE_SECONDS = 60.0
IMAGE_ATTEMPTS = 2
IMAGE_FORMATS = ("png", "svg")


#: Machine-readable reasons a plotted point has no value (`status` column); the page's labels may change, these not.
STATUS_CODES = {NA: "not_published_at_level", NODATA: "no_data"}
#: Decimals of a downloaded figure that is not a whole number (coverage 0.8066 is 80.66%; the page shows 80,7%):
#: the counts it is worked out from are published whole, so the 17 digits of a float said nothing more.
RATIO_DECIMALS = 4
#: Key columns of what charts plot, as CSV headers (plain names: the file is for re-analysis).
SERIES_KEYS = {"period": "period", "series": "series"}
REGION_KEYS = {"region_code": "region_code", "name": "name"}
#: The gaps ranking: the households the gap is worked out from beside it, as the page's table shows them (the file
#: held the gap alone, a new user's finding); empty where the region is hidden.
#: `region_name` is the region's own name: the page's `name` adds the parent where rows have several.
GAP_KEYS = {"rank": "rank", "region_code": "region_code", "region_name": "name",
            "eligible_households": "eligible_households", "recipients": "recipients"}
#: The gaps scatter: x is the eligible share of registered households, `value` the coverage (y).
SCATTER_KEYS = {"region_code": "region_code", "region_name": "name", "x": "eligible_share", "outlier": "outlier"}
#: Compared regions: each line's region code next to its name.
COMPARE_KEYS = {"period": "period", "series": "series", "region_code": "region_code"}
#: Columns naming the view (what `value` is), in this order after the key columns; region codes in public form.
VIEW_COLUMNS = ("measure", "program", "period", "level", "region_code")


class ImageTimeout(RuntimeError):
    """The chart's image was not drawn within IMAGE_SECONDS, IMAGE_ATTEMPTS times."""


def measure_name(metric: str, norm: str, change: str = "none") -> str:
    """The measure as a file says it: `recipients`, `amount_per_eligible` (rates take no normalisation), and a change
    since the year before `recipients_change` (difference) or `amount_change_pct` (0.05 = +5%)."""
    if change != "none":
        return f"{metric}_change" + ("_pct" if change == "pct" else "")
    norm = metrics.effective_norm(metric, norm)
    return metric if norm == "none" else f"{metric}_per_{norm}"


def view_stem(stem: str, view: dict[str, str]) -> str:
    """The download's name part: the page's stem and the view's parameters in `VIEW_COLUMNS` order, safe characters
    only (`peta-recipients-PKH-2025-10-desa-34.01`), so two different views never download under one name."""
    named = {**view, "region_code": openformat.public_code(view.get("region_code"))}
    parts = [stem, *(named[k] for k in VIEW_COLUMNS if named.get(k))]
    return "-".join(p for p in (re.sub(r"[^A-Za-z0-9._-]+", "_", str(part)).strip("._-") for part in parts) if p)


def years_span(plotted: pd.DataFrame) -> str:
    """The years a frame's `period` column (YYYY or YYYY-MM) covers, as a file name says them: `2022-2025`, or
    `2025` for one year; empty where it has none."""
    years = sorted({str(period)[:4] for period in plotted.get("period", pd.Series(dtype=str)).dropna()})
    return "" if not years else years[0] if len(years) == 1 else f"{years[0]}-{years[-1]}"


def download_frame(plotted: pd.DataFrame, keys: dict[str, str], release_id: str,
                   view: dict[str, str] | None = None) -> pd.DataFrame:
    """What "download what I see" writes: plotted_frame with the release's citation (a synthetic release's says so)
    and periods in the open-data files' form (`2025-01/2025-12`: a bare year `2025` reads back as a number, a new
    user's finding)."""
    return plotted_frame(plotted, keys, release_id, view, source=opendata.citation(release_id),
                         data_through=db.get_release(release_id).data_through)


def plotted_frame(plotted: pd.DataFrame, keys: dict[str, str], release_id: str,
                  view: dict[str, str] | None = None, source: str | None = None,
                  data_through: str | None = None) -> pd.DataFrame:
    """The plotted points: key columns (region codes in the files' form, `ID.53.10`; periods too where
    `data_through` is given, `2025-01/2025-12`), the view's columns saying what
    the values are (`measure`, `program`, `period`, `level`, `region_code`: each row's own where the points carry
    one, as a trend's lines by program do their `program`, else the view's), `value` (the number, RATIO_DECIMALS
    decimals at most, empty where there is none), where the points carry ranges `range_lower` and `range_upper` (a
    hidden value's published range, empty elsewhere), `status` (ok, hidden, not_published_at_level, no_data,
    undefined) and `source`."""
    present = {k: v for k, v in keys.items() if k in plotted}  # a single series has no `series` column
    frame = plotted[list(present)].rename(columns=present).reset_index(drop=True)
    for column in VIEW_COLUMNS:
        if column in frame:
            continue
        if column in plotted:  # lines of several programs: each row is of its own, not of the view's choice
            frame[column] = plotted[column].to_numpy()
        elif view and view.get(column):
            frame[column] = view[column]
    if "region_code" in frame:
        frame["region_code"] = frame["region_code"].map(openformat.public_code)
    if "period" in frame and data_through is not None:
        frame["period"] = frame["period"].map(lambda period: openformat.public_period(period, data_through))
    status = plotted["status"] if "status" in plotted else pd.Series(
        [OK if pd.notna(v) else UNDEFINED for v in plotted["value"]], index=plotted.index)
    ok = (status == OK).to_numpy() & plotted["value"].notna().to_numpy()
    frame["value"] = pd.to_numeric(plotted["value"], errors="coerce").where(ok).round(RATIO_DECIMALS).to_numpy()
    for column in frame.columns[:len(present)]:
        if pd.api.types.is_float_dtype(frame[column]):  # a scatter's eligible share
            frame[column] = frame[column].round(RATIO_DECIMALS)
    if "lower" in plotted and "upper" in plotted:
        # A hidden value's published range (worked out from the published figures alone), empty elsewhere.
        hidden = (status == HIDDEN).to_numpy()
        for end in ("lower", "upper"):
            frame[f"range_{end}"] = pd.to_numeric(plotted[end], errors="coerce").where(hidden).to_numpy()
    frame["status"] = status.map(lambda s: STATUS_CODES.get(s, s)).to_numpy()
    frame["source"] = source or opendata.source_line(release_id)
    return frame


def with_source(figure: go.Figure, source: str) -> go.Figure:
    """A copy of the chart with `source` (the release's citation: opendata.citation) under its title (an image
    travels without the page around it)."""
    copy = go.Figure(figure)
    top = int(copy.layout.margin.t or 50) + 24
    copy.update_layout(title_subtitle={"text": source, "font": {"size": 11, "color": "#444"}},
                       margin={"t": top}, paper_bgcolor="white", plot_bgcolor="white")
    copy.update_yaxes(automargin=True)  # tick labels such as "Rp1,2 M" must not be cut at the image's edge
    return copy


def image_drawer(figure: go.Figure | Callable[[], go.Figure], source: str, fmt: str) -> Callable[[], bytes]:
    """What a download button calls when clicked (off the script thread, so `source`, the citation, is read
    before): the figure (or the function drawing it) as PNG or SVG."""
    def draw() -> bytes:
        return image_bytes(figure() if callable(figure) else figure, source, fmt)
    return draw


def image_bytes(figure: go.Figure, source: str, fmt: str, width: int = 1000) -> bytes:
    """The chart as PNG or SVG with `source` under its title (about 4 s: kaleido starts Chromium)."""
    if os.path.exists(CHROMIUM):
        os.environ.setdefault("BROWSER_PATH", CHROMIUM)
    elif not shutil.which("chromium") and not os.environ.get("BROWSER_PATH"):
        raise RuntimeError("no Chromium to draw images (apt-get install -y chromium)")
    height = int(figure.layout.height or 400) + 24
    copy = with_source(figure, source)
    for _ in range(IMAGE_ATTEMPTS):
        drawn = within(lambda: copy.to_image(format=fmt, width=width, height=height, scale=2 if fmt == "png" else 1),
                       IMAGE_SECONDS)
        if drawn is not None:
            return drawn
    raise ImageTimeout(f"the chart's {fmt.upper()} image was not drawn in {IMAGE_ATTEMPTS} x {IMAGE_SECONDS:.0f} s")


def within(work: Callable[[], bytes], seconds: float) -> bytes | None:
    """`work()`'s result, or None if it has not returned after `seconds` (it is left running in a daemon thread:
    nothing can stop a thread that waits on a browser); its exception is raised here."""
    outcome: list[bytes | BaseException] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as error:     # handed to the caller's thread
            outcome.append(error)
    thread = threading.Thread(target=run, name="image-export", daemon=True)
    thread.start()
    thread.join(seconds)
    if not outcome:
        return None
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def render_downloads(plotted: pd.DataFrame, keys: dict[str, str], figure: go.Figure | Callable[[], go.Figure] | None,
                     release_id: str, lang: str, key: str, stem: str, view: dict[str, str]) -> None:
    """CSV of the plotted values and PNG and SVG of the chart (`figure` may be a function: a map is drawn as a
    figure only when its image is asked for); one row of buttons. `view` names what is shown (see `plotted_frame`)
    and goes into the files' names. A chart with nothing to draw (charts.has_points) offers its CSV alone."""
    if isinstance(figure, go.Figure) and not charts.has_points(figure):
        figure = None
    columns = st.columns(3 if figure is not None else 1)
    frame = download_frame(plotted, keys, release_id, view)
    stem = view_stem(stem, view)
    columns[0].download_button(i18n.t("download_csv", lang), openformat.csv_bytes(frame),
                               file_name=opendata.file_name(release_id, stem, "csv"), mime="text/csv",
                               key=f"{key}_csv", on_click="ignore")
    if figure is None:
        return
    # Images are drawn only when clicked: Streamlit calls the function then, off the script thread.
    citation = opendata.citation(release_id)
    for column, fmt in zip(columns[1:], IMAGE_FORMATS, strict=True):
        column.download_button(i18n.t(f"download_{fmt}", lang),
                               image_drawer(figure, citation, fmt),
                               file_name=opendata.file_name(release_id, stem, fmt),
                               mime="image/png" if fmt == "png" else "image/svg+xml", key=f"{key}_{fmt}",
                               on_click="ignore")
