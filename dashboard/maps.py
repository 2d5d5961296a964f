"""Choropleth maps: colour bins, pydeck layers and selection handling (pure), and the one function that draws them."""

from __future__ import annotations

import html
import json
import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pydeck as pdk
import streamlit as st
from pydeck.bindings.json_tools import default_serialize

from dashboard import i18n
from dashboard.metrics import HIDDEN, OK

LAYER_ID = "regions"
#: Viridis, 5 classes: colour-blind safe and readable in grey scale.
PALETTE = ([68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37])
#: ColorBrewer PuOr for a change centred on 0: orange falls, purple rises (colour-blind safe). The outer six of its
#: eight classes: the six-class scheme's lightest purple (216, 218, 235) read as the "not published" grey beside it
#: (a new user's walk), and its lightest orange nearly white.
DIVERGING = ([179, 88, 6], [224, 130, 20], [253, 184, 99], [178, 171, 210], [128, 115, 172], [84, 39, 136])
HIDDEN_FILL = [150, 150, 150]
#: Very light grey, not white: a region without a value must still show on the white page (a BLT Dana Desa map
#: of Kota Yogyakarta, all "no data", was an empty white box), and stay far from the hidden grey.
NA_FILL = [228, 228, 228]
#: Short keys for the per-polygon attributes: a whole-country kecamatan map has thousands of rows.
ROW_KEYS = {"code": "c", "name": "n", "label": "l", "fill": "f", "polygon": "p"}
#: Which levels a map of a region can draw, nearest first. A whole-country desa map is not offered (83k shapes).
DRAWABLE = {"nasional": ("provinsi", "kabupaten", "kecamatan"), "provinsi": ("kabupaten", "kecamatan"),
            "kabupaten": ("kecamatan", "desa"), "kecamatan": ("desa",), "desa": ()}


def make_bins(values: pd.Series, classes: int = len(PALETTE)) -> list[float]:
    """Quantile class edges of the published values only (hidden and missing values never shift the bins)."""
    finite = pd.Series(values, dtype=float).dropna()
    if finite.empty:
        return []
    # No more classes than distinct values: two regions drew two colours under a key of five classes.
    classes = max(min(classes, finite.nunique()), 1)
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, classes + 1)))
    return [float(e) for e in edges]


def diverging_bins(values: pd.Series, classes: int = len(DIVERGING)) -> list[float]:
    """Class edges symmetric around 0 (half the classes below, half above) out to the largest published change
    either way: a fall and a rise of the same size get the same strength of colour."""
    finite = pd.Series(values, dtype=float).dropna()
    if finite.empty:
        return []
    reach = float(finite.abs().max()) or 1.0
    half = classes // 2
    return [reach * i / half for i in range(-half, half + 1)]


def bin_index(value: float, edges: list[float]) -> int:
    """Class 0..len(edges)-2 of a value (the top edge belongs to the last class)."""
    if len(edges) < 2:
        return 0
    return min(max(int(np.searchsorted(edges, value, side="right")) - 1, 0), len(edges) - 2)


def fill_for(value: float, status: str, edges: list[float], palette: tuple = PALETTE) -> list[int]:
    if status == HIDDEN:
        return HIDDEN_FILL
    if status != OK:
        return NA_FILL
    classes = max(len(edges) - 1, 1)
    # Spread fewer classes over the whole palette so that two classes still differ strongly.
    index = bin_index(value, edges)
    return palette[round(index * (len(palette) - 1) / max(classes - 1, 1))]


def build_map_rows(shapes: dict[str, tuple[str, ...]], values: pd.DataFrame, edges: list[float],
                   palette: tuple = PALETTE) -> list[str]:
    """One JSON object per polygon part: c(ode), n(ame), l(abel, what the tooltip shows), f(ill colour), p(olygon).

    `values` has region_code, name, value, status and label (the formatted value or its hidden/unpublished text);
    `shapes` holds each region's polygon parts as JSON text, pasted in as they are (no parsing, no re-encoding).
    """
    rows: list[str] = []
    for row in values.itertuples(index=False):
        parts = shapes.get(row.region_code)
        if not parts:
            continue
        attributes = {"c": row.region_code, "n": html.escape(str(row.name)), "l": html.escape(str(row.label)),
                      "f": fill_for(row.value, row.status, edges, palette)}
        head = json.dumps(attributes, separators=(",", ":"), ensure_ascii=False)[:-1]
        rows.extend(f'{head},"p":{polygon}}}' for polygon in parts)
    return rows


#: The map's height on a wide screen (pixels); an embed draws it at most EMBED_MAP_HEIGHT tall.
MAP_HEIGHT = 520
EMBED_MAP_HEIGHT = 440


def map_height(width: int, bbox: tuple[float, float, float, float] | None = None, tallest: int = MAP_HEIGHT) -> int:
    """The map's height in pixels for a content width: shorter on a phone, where it should not fill the screen, and
    (`bbox`) no taller than the region needs once it fills the width: a wide, flat region (DI Yogyakarta and Nusa
    Tenggara Timur side by side) left two thirds of a phone's map empty; at most `tallest` (an embed's height)."""
    full = min(380 if width < 480 else MAP_HEIGHT, tallest)
    if bbox is None:
        return full
    lon_span, lat_span = max(bbox[2] - bbox[0], 1e-4), max(bbox[3] - bbox[1], 1e-4)
    return int(min(full, max(240, width * lat_span / lon_span * 1.15 + 24)))


def view_for_bbox(bbox: tuple[float, float, float, float] | None, width: int = 700,
                  height: int = 520) -> pdk.ViewState:
    """A view that fits the box into `width` × `height` pixels (web-mercator zoom from its extent): the width is the
    reader's (see `browser.content_width`), so a 390 px phone sees the whole region, not its empty middle."""
    if bbox is None:
        return pdk.ViewState(longitude=118.0, latitude=-2.5, zoom=3.6)
    min_lon, min_lat, max_lon, max_lat = bbox
    lon_span, lat_span = max(max_lon - min_lon, 1e-4), max(max_lat - min_lat, 1e-4)
    # Near the equator one degree of latitude or longitude spans 512 * 2**zoom / 360 pixels.
    # Less 0.15 (a 5% margin each side): the fitted map fills the box without touching its edges.
    zoom = min(math.log2(width * 360 / (512 * lon_span)), math.log2(height * 360 / (512 * lat_span))) - 0.15
    return pdk.ViewState(longitude=(min_lon + max_lon) / 2, latitude=(min_lat + max_lat) / 2,
                         zoom=round(min(max(zoom, 1.5), 14.0), 2))


_ROWS = "@@rows@@"


class CompactDeck(pdk.Deck):
    """A deck whose layer rows are JSON text already, written compact.

    pydeck indents its JSON (every coordinate on its own lines, about 6 times the bytes) and would re-encode every
    coordinate; here the rows are pasted into the compact JSON of the rest of the deck.
    """

    def __init__(self, rows: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._rows = rows

    def to_json(self) -> str:
        text = json.dumps(self, sort_keys=True, default=_serialize, separators=(",", ":"))
        return text.replace(json.dumps(_ROWS), "[" + ",".join(self._rows) + "]", 1)


def _serialize(obj: Any) -> Any:
    attrs = default_serialize(obj)
    return {k: v for k, v in attrs.items() if k != "_rows"} if isinstance(attrs, dict) else attrs


#: deck.gl blends the hovered region's fill with this colour by its alpha (picking module): white at about a
#: quarter lightens every class without making it look like another class or like "hidden".
HOVER_TINT = [255, 255, 255, 70]


#: deck.gl draws a tooltip with its top-left corner at the pointer, and the map's box cuts what passes its edge:
#: hovering a region 156 px from the right edge at 1280 px cut "Kabupaten Gunungkidul (" after the name. Centred
#: under the pointer (CSS `translate` composes with the `transform` deck.gl positions it by) and at most 260 px wide,
#: it is cut only within about 130 px of either edge.
TOOLTIP_STYLE = {"backgroundColor": "#1f2933", "color": "white", "fontSize": "13px", "maxWidth": "260px",
                 "whiteSpace": "normal", "translate": "-50% 12px"}


def build_deck(rows: list[str], view: pdk.ViewState, stroked: bool) -> pdk.Deck:
    """A basemap-free deck (no tile or style request leaves the browser) with one pickable polygon layer."""
    layer = pdk.Layer("PolygonLayer", data=_ROWS, id=LAYER_ID, get_polygon="p", get_fill_color="f", opacity=0.86,
                      pickable=True, auto_highlight=True, stroked=stroked, filled=True,
                      # Lightened under the pointer, not mixed with deck.gl's default blue: a hidden grey region
                      # turned the blue of a value class, a yellow one the grey of "hidden".
                      highlight_color=HOVER_TINT,
                      get_line_color=[255, 255, 255, 180], line_width_min_pixels=0.5)
    return CompactDeck(rows, layers=[layer], initial_view_state=view, map_provider=None,
                       tooltip={"html": "<b>{n}</b> ({c})<br/>{l}", "style": TOOLTIP_STYLE})


def selected_code(event: Any, layer_id: str = LAYER_ID) -> str | None:
    """The region code a map click selected, from `st.pydeck_chart(..., on_select="rerun")`'s return value."""
    try:
        objects = event["selection"]["objects"].get(layer_id) or []
    except (KeyError, TypeError, AttributeError):
        return None
    for obj in objects:
        if isinstance(obj, dict) and isinstance(obj.get("c"), str):
            return obj["c"]
    return None


def legend_items(edges: list[float], formatter, lang: str, threshold: int,
                 palette: tuple = PALETTE, drawn: pd.Series | None = None) -> list[tuple[list[int], str]]:
    """(colour, text) per class, then the hidden and unpublished swatches. `drawn`: the published values the map
    colours; a class none of them falls in is not listed (a change map's classes are symmetric around 0, and a
    reader looked for the region of its darkest fall that no region had)."""
    if len(edges) == 1:  # one value (a single region, or all alike): its colour and the value, not an empty key
        return [(fill_for(edges[0], OK, edges, palette), formatter(edges[0])), *_status_items(lang)]
    used = None if drawn is None else {bin_index(float(v), edges) for v in pd.Series(drawn, dtype=float).dropna()}
    items = []
    last = len(edges) - 2
    for i in range(max(len(edges) - 1, 0)):
        if used is not None and i not in used:
            continue
        colour = fill_for(edges[i], OK, edges, palette)
        # A class holds its lower edge, not its upper one (bin_index), except the last: "26 – <39", "39 – 59".
        upper = formatter(edges[i + 1]) if i == last else f"<{formatter(edges[i + 1])}"
        items.append((colour, f"{formatter(edges[i])} – {upper}"))
    return [*items, *_status_items(lang)]


def _status_items(lang: str) -> list[tuple[list[int], str]]:
    # White is every region without a value that is not hidden: not published at this level, or no data.
    return [(HIDDEN_FILL, i18n.hidden_label(lang)),
            (NA_FILL, f"{i18n.t('not_published', lang)} / {i18n.t('no_data', lang)}")]


def render_legend(items: list[tuple[list[int], str]], title: str, note: str = "") -> None:
    """The colour classes, the hidden and unpublished swatches, and (`note`) why cells are hidden."""
    swatches = "".join(
        f"<span style='display:inline-flex;align-items:center;margin:0 12px 4px 0'>"
        f"<span style='width:14px;height:14px;border:1px solid #666;margin-right:4px;"
        f"background:rgb({c[0]},{c[1]},{c[2]})'></span>{html.escape(text)}</span>"
        for c, text in items)
    st.markdown(f"<div role='list' aria-label='{html.escape(title)}'><b>{html.escape(title)}:</b> {swatches}</div>",
                unsafe_allow_html=True)
    if note:
        st.caption(note)


def render_map(deck: pdk.Deck, key: str, alt: str, height: int = 520) -> Any:
    """Draw the deck; return the selection event (a click reruns the page)."""
    return st.pydeck_chart(deck, key=key, on_select="rerun", selection_mode="single-object", height=height, alt=alt)


def render_boundary_source(sources: list[dict], lang: str) -> None:
    """Attribution and licence of every source the map draws; illustrative boundaries, when it draws some, say so
    in the reader's language. (The release's own illustrative attribution names operator commands: a public page
    shows none.)"""
    for source in sources:
        if not source.get("illustrative"):
            st.caption(boundary_credit(source, lang))
    if any(source.get("illustrative") for source in sources):
        st.warning(f"**{i18n.t('illustrative', lang)}** {i18n.t('illustrative_text', lang)}")
        st.caption(i18n.t("illustrative_source", lang))


def boundary_credit(source: dict, lang: str) -> str:
    """One credit line: the source's attribution and its licence by name; the source's name only where the
    attribution does not already say it (the shipped pack's does: it was said twice)."""
    attribution = str(source.get(f"attribution_{lang}") or "").strip()
    licence = i18n.t("boundary_licence", lang, licence=licence_name(source["licence"]))
    if attribution and str(source["name"]) in attribution:
        return f"{attribution} {licence}"
    named = i18n.t("boundary_source", lang, name=source["name"], licence=licence_name(source["licence"]))
    return f"{named} {attribution}".strip()


def licence_name(licence: object) -> str:
    """The licence's first line ("MIT License"): its full notice travels in the release files
    (`LICENSE-boundaries.txt`), not under every map."""
    lines = [line.strip() for line in str(licence).splitlines() if line.strip()]
    return (lines[0] if lines else "–").rstrip(".")


def map_levels(level: str) -> tuple[str, ...]:
    return DRAWABLE[level]


def uses_detail(region_level: str, level: str) -> bool:
    """Kecamatan of one province or kabupaten come from the finer `boundaries_detail` rows."""
    return level == "kecamatan" and region_level in ("provinsi", "kabupaten")


def drills(region_level: str, level: str) -> bool:
    """Whether a click on a map of `level` under a region of `region_level` goes one level down: the regions drawn
    are one level below and can themselves be mapped (not desa)."""
    return DRAWABLE[region_level][:1] == (level,) and bool(DRAWABLE.get(level))


def drill_target(clicked: str | None, region_level: str, level: str) -> str | None:
    """The region a click on the map drills into: a region one level down that can itself be mapped."""
    return clicked if clicked is not None and drills(region_level, level) else None


def build_map_figure(shapes: dict[str, tuple[str, ...]], values: pd.DataFrame, edges: list[float],
                     legend: list[tuple[list[int], str]], title: str, palette: tuple = PALETTE) -> go.Figure:
    """The choropleth as a plotly figure, for PNG/SVG export: one filled trace per colour (a legend entry each),
    outer rings only, no basemap, longitude squeezed by the cosine of the latitude as on a map."""
    rings: dict[tuple[int, ...], tuple[list, list]] = {}
    for row in values.itertuples(index=False):
        xs, ys = rings.setdefault(tuple(fill_for(row.value, row.status, edges, palette)), ([], []))
        for part in shapes.get(row.region_code, ()):
            outer = json.loads(part)[0]
            xs.extend([p[0] for p in outer] + [None])
            ys.extend([p[1] for p in outer] + [None])
    fig = go.Figure([go.Scatter(x=rings[tuple(colour)][0], y=rings[tuple(colour)][1], fill="toself", mode="lines",
                                name=text, fillcolor=f"rgb{tuple(colour)}", line={"color": "white", "width": 0.5},
                                hoverinfo="skip")
                     for colour, text in legend if rings.get(tuple(colour), ([], []))[0]])
    latitudes = [y for _, ys in rings.values() for y in ys if y is not None]
    ratio = 1 / max(math.cos(math.radians(sum(latitudes) / len(latitudes))), 0.1) if latitudes else 1.0
    fig.update_layout(title={"text": title, "font": {"size": 15}}, height=560, plot_bgcolor="white",
                      margin={"l": 10, "r": 10, "t": 50, "b": 10}, legend={"orientation": "h", "y": -0.05})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=ratio)
    return fig
