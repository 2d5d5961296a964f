""""Download what I see": the values a chart or map plots as CSV (hidden cells marked), and the chart as PNG/SVG
drawn by kaleido with Debian's Chromium (never a browser download). Every file carries the release's source line (the
CSV in a `source` column: a line above the header would misalign every reader)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import openformat
from dashboard import i18n, opendata
from dashboard.metrics import NA, NODATA, OK, UNDEFINED

#: Kaleido finds a Chrome-family browser itself; point it at Debian's so it never tries to fetch one.
CHROMIUM = "/usr/bin/chromium"
IMAGE_FORMATS = ("png", "svg")


#: Machine-readable reasons a plotted point has no value (`status` column); the page's labels may change, these not.
STATUS_CODES = {NA: "not_published_at_level", NODATA: "no_data"}
#: Key columns of what charts plot, as CSV headers (plain names: the file is for re-analysis).
SERIES_KEYS = {"period": "period", "series": "series"}
REGION_KEYS = {"region_code": "region_code", "name": "name"}
GAP_KEYS = {"rank": "rank", "region_code": "region_code", "name": "name"}
#: The gaps scatter: x is the eligible share of registered households, `value` the coverage (y).
SCATTER_KEYS = {"region_code": "region_code", "name": "name", "x": "eligible_share", "outlier": "outlier"}


def plotted_frame(plotted: pd.DataFrame, keys: dict[str, str], release_id: str) -> pd.DataFrame:
    """The plotted points: key columns (region codes in the files' form, `ID.53.10`), `value` (the number, empty
    where there is none), `status` (ok, hidden, not_published_at_level, no_data, undefined) and `source`."""
    present = {k: v for k, v in keys.items() if k in plotted}  # a single series has no `series` column
    frame = plotted[list(present)].rename(columns=present).reset_index(drop=True)
    if "region_code" in frame:
        frame["region_code"] = frame["region_code"].map(openformat.public_code)
    status = plotted["status"] if "status" in plotted else pd.Series(
        [OK if pd.notna(v) else UNDEFINED for v in plotted["value"]], index=plotted.index)
    ok = (status == OK).to_numpy() & plotted["value"].notna().to_numpy()
    frame["value"] = pd.to_numeric(plotted["value"], errors="coerce").where(ok).to_numpy()
    frame["status"] = status.map(lambda s: STATUS_CODES.get(s, s)).to_numpy()
    frame["source"] = opendata.source_line(release_id)
    return frame


def with_source(figure: go.Figure, release_id: str) -> go.Figure:
    """A copy of the chart with the source line under its title (an image travels without the page around it)."""
    copy = go.Figure(figure)
    top = int(copy.layout.margin.t or 50) + 24
    copy.update_layout(title_subtitle={"text": opendata.source_line(release_id), "font": {"size": 11, "color": "#444"}},
                       margin={"t": top}, paper_bgcolor="white", plot_bgcolor="white")
    copy.update_yaxes(automargin=True)  # tick labels such as "Rp1,2 M" must not be cut at the image's edge
    return copy


def image_drawer(figure: go.Figure | Callable[[], go.Figure], release_id: str, fmt: str) -> Callable[[], bytes]:
    """What a download button calls when clicked (off the script thread): the figure (or the function drawing it)
    as PNG or SVG."""
    def draw() -> bytes:
        return image_bytes(figure() if callable(figure) else figure, release_id, fmt)
    return draw


def image_bytes(figure: go.Figure, release_id: str, fmt: str, width: int = 1000) -> bytes:
    """The chart as PNG or SVG (about 4 s: kaleido starts Chromium)."""
    if os.path.exists(CHROMIUM):
        os.environ.setdefault("BROWSER_PATH", CHROMIUM)
    elif not shutil.which("chromium") and not os.environ.get("BROWSER_PATH"):
        raise RuntimeError("no Chromium to draw images (apt-get install -y chromium)")
    height = int(figure.layout.height or 400) + 24
    return with_source(figure, release_id).to_image(format=fmt, width=width, height=height, scale=2 if fmt == "png"
                                                    else 1)


def render_downloads(plotted: pd.DataFrame, keys: dict[str, str], figure: go.Figure | Callable[[], go.Figure] | None,
                     release_id: str, lang: str, key: str, stem: str) -> None:
    """CSV of the plotted values and PNG and SVG of the chart (`figure` may be a function: a map is drawn as a
    figure only when its image is asked for); one row of buttons."""
    columns = st.columns(3 if figure is not None else 1)
    frame = plotted_frame(plotted, keys, release_id)
    columns[0].download_button(i18n.t("download_csv", lang), openformat.csv_bytes(frame),
                               file_name=opendata.file_name(release_id, stem, "csv"), mime="text/csv",
                               key=f"{key}_csv", on_click="ignore")
    if figure is None:
        return
    # Images are drawn only when clicked: Streamlit calls the function then, off the script thread.
    for column, fmt in zip(columns[1:], IMAGE_FORMATS, strict=True):
        column.download_button(i18n.t(f"download_{fmt}", lang),
                               image_drawer(figure, release_id, fmt),
                               file_name=opendata.file_name(release_id, stem, fmt),
                               mime="image/png" if fmt == "png" else "image/svg+xml", key=f"{key}_{fmt}",
                               on_click="ignore")
