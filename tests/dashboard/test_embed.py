"""Embed mode through AppTest: one chart and nothing else, bad parameters fall back, and the snippet each full view
offers opens the same chart; share links round-trip."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.maps import ROW_KEYS

APP = Path(__file__).resolve().parents[2] / "app.py"
VIEWS = {"map": ("region", "34.01"), "trend": ("region", "34.01"), "gap": ("region", "34"),
         "profile": ("region", "34.01.01")}
#: Widgets a full page has and an embed must not.
WIDGETS = ("selectbox", "radio", "multiselect", "text_input", "button", "segmented_control")


def embed(**params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.context["is_embedded"] = True
    at.query_params["embed"] = "true"
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    return at


def charts(at: AppTest) -> int:
    return len(at.get("plotly_chart")) + len(at.get("deck_gl_json_chart"))


def link_back(at: AppTest) -> str:
    anchors = [m.value for m in at.markdown if m.value.startswith("<a href=")]
    assert len(anchors) == 1
    return unescape(re.search(r'href="([^"]+)"', anchors[0]).group(1))


@pytest.mark.parametrize("view", list(VIEWS))
def test_embed_renders_one_chart_and_nothing_else(published_db, view):
    key, value = VIEWS[view]
    at = embed(view=view, **{key: value})
    assert not at.exception, at.exception
    assert charts(at) == 1
    assert not at.title and not at.sidebar.children  # no page title, no sidebar (language, menu)
    for kind in WIDGETS:
        assert not at.get(kind), kind
    assert any(m.value.startswith("#### ") for m in at.markdown)  # the chart's title
    caption = " ".join(c.value for c in at.caption)
    assert re.search(r"Sumber: bansos-terbuka, rilis \d{8}T\d{6}Z, CC BY 4\.0", caption)
    assert "dirilis " in caption and "data s.d." in caption
    assert len(re.findall(r"\d{8}T\d{6}Z", caption)) == 1  # the release is named once
    assert "data demo sintetis" in caption  # the test release is the generator's: an embed says so too
    path = urlsplit(link_back(at)).path
    assert path == "/" + {"map": "peta", "trend": "tren", "gap": "kesenjangan", "profile": "wilayah"}[view]


def test_embed_in_english_and_bad_params_fall_back(published_db):
    at = embed(view="sideways", region="99.99", metric="nope", release="20000101T000000Z", lang="en")
    assert not at.exception
    assert charts(at) == 1 and at.get("deck_gl_json_chart")  # the default view: the map
    notices = re.sub(r"\\(.)", r"\1", " ".join(w.value for w in at.warning)).replace('"', "")
    assert "view=sideways" in notices and "region=99.99" in notices and "metric=nope" in notices
    assert "20000101T000000Z" in notices
    assert any(c.value.startswith("Source: bansos-terbuka") for c in at.caption)


def test_the_full_view_snippet_opens_the_same_chart(open_page):
    at = open_page("peta", region="34.01", program="PKH", metric="amount", lang="en")
    snippet = next(c.value for c in at.code if c.value.startswith("<iframe"))
    src = unescape(re.search(r'src="([^"]+)"', snippet).group(1))
    params = dict(parse_qsl(urlsplit(src).query))
    assert params.pop("embed") == "true" and params["chart"] == "map" and "release" in params
    full = json.loads(at.get("deck_gl_json_chart")[0].proto.json)["layers"][0]["data"]
    embedded = embed(**params)
    assert not embedded.exception
    shown = json.loads(embedded.get("deck_gl_json_chart")[0].proto.json)["layers"][0]["data"]
    label = ROW_KEYS["label"]
    assert [r[label] for r in shown] == [r[label] for r in full]  # the same regions, the same values


def embed_title(at) -> str:
    """The embed's heading (its chart carries no title of its own: the heading wraps to any width)."""
    return next(m.value.removeprefix("#### ") for m in at.markdown if m.value.startswith("#### "))


@pytest.mark.parametrize(("lang", "level", "words"), [("id", "kabupaten", "per kabupaten/kota"),
                                                       ("en", "kecamatan", "by districts (kecamatan)")])
def test_a_gap_chart_names_its_level_and_year(published_db, lang, level, words):
    """A walk's finding: the gap chart's title (the embed's heading and the exported image's) said neither level nor
    year, so an image shared alone could not say what it ranks; a map's title says its period."""
    import duckdb

    with duckdb.connect(str(published_db), read_only=True) as con:
        year = con.execute("SELECT data_year FROM release").fetchone()[0]
    at = embed(chart="gap", region="34", level=level, lang=lang)
    assert not at.exception and not at.warning
    title = re.sub(r"\\(.)", r"\1", embed_title(at))     # markdown escapes: `\(`, `\/`
    assert title.endswith(f", {words}, {year}"), title


def test_an_embed_link_made_before_the_rename_shows_the_same_chart(published_db):
    """`view=` was the embed's chart kind; an old snippet still shows that chart, as `chart=` does."""
    old, new = embed(view="gap", region="34"), embed(chart="gap", region="34")
    assert not old.exception and not old.warning
    titles = [embed_title(at) for at in (old, new)]
    assert titles[0] == titles[1] and "Kesenjangan" in titles[0]
    assert titles[0] != embed_title(embed(chart="trend", region="34"))


def test_trend_snippet_keeps_the_breakdown_and_links_back(open_page):
    at = open_page("tren", region="34.01", program="PKH", by="channel")
    snippet = next(c.value for c in at.code if c.value.startswith("<iframe"))
    params = dict(parse_qsl(urlsplit(unescape(re.search(r'src="([^"]+)"', snippet).group(1))).query))
    assert params["chart"] == "trend" and params["by"] == "channel" and "view" not in params
    embedded = embed(**params)
    # The same title (written above the chart on the page, as the embed's heading in the embed).
    assert embed_title(embedded) in [m.value.strip("*") for m in at.markdown]
    back = dict(parse_qsl(urlsplit(link_back(embedded)).query))
    assert back["by"] == "channel" and back["program"] == "PKH" and back["region"] == "34.01"


@pytest.mark.parametrize(("page", "params"), [
    ("beranda", {"region": "34.01", "program": "PKH", "period": "2025-03"}),
    ("tren", {"region": "34.01", "metric": "amount", "by": "status"}),
    ("kesenjangan", {"region": "34", "level": "kabupaten", "rank": "gap_share"}),
    ("wilayah", {"region": "34.01.01", "q": "temon"}),
])
def test_share_link_carries_the_whole_view(open_page, page, params):
    at = open_page(page, lang="en", **params)
    assert not at.exception
    path = "" if page == "beranda" else page  # the overview is the root: Streamlit routes `/beranda` nowhere
    links = [c.value for c in at.code if c.value.startswith(f"/{path}?") and "release=" not in c.value]
    assert links, [c.value for c in at.code]
    shared = dict(parse_qsl(urlsplit(links[-1]).query))  # the share panel's link (the profile has its own too)
    assert shared == {**params, "lang": "en"}
    again = AppTest.from_file(str(APP), default_timeout=60)  # "a new browser": a fresh session opens the link
    for key, value in shared.items():
        again.query_params[key] = value
    again.query_params["page"] = page
    again.run()
    assert {k: again.query_params.get(k) for k in shared} == shared


def test_an_embed_pinned_to_an_older_release_keeps_its_figures(chain_db, monkeypatch):
    monkeypatch.setenv("BANSOS_PUBLISHED_DB", str(chain_db))
    older, newer = sorted(p.name for p in (chain_db.parent / "releases").iterdir())
    at = embed(view="trend", region="34.01", release=older, lang="en")
    assert not at.exception
    assert any(f"release {older}" in c.value and "data through October 2025" in c.value for c in at.caption)
    months = {x for trace in json.loads(at.get("plotly_chart")[0].proto.spec)["data"] for x in trace["x"]}
    assert "Oct 2025" in months and "Nov 2025" not in months  # the pinned release stops in October
    assert dict(parse_qsl(urlsplit(link_back(at)).query))["release"] == older
    assert not any(newer in c.value for c in at.caption)


def test_an_embedded_map_names_its_boundaries_and_their_licence(published, published_db):
    """The fixture release draws the shipped boundary pack (real shapes): the embed credits it, as the full map page
    does, and calls nothing illustrative."""
    source = published.execute("SELECT name, licence, attribution_id, attribution_en FROM boundary_sources "
                               "WHERE level = 'desa'").fetchone()
    assert source is not None and "MIT License" in source[1]
    at = embed(view="map", region="34.01")
    assert not at.exception, at.exception
    assert not any("ilustratif" in w.value for w in at.warning)
    assert any(source[0] in c.value and source[2] in c.value for c in at.caption)
    english = embed(view="map", region="34.01", lang="en")
    assert any(source[3] in c.value for c in english.caption)
    for run in (at, english):       # no operator command on a public page
        shown = " ".join(e.value for kind in ("markdown", "caption", "warning", "info") for e in run.get(kind))
        assert "python -m" not in shown
        # The licence by name: its full notice travels in the release files, not under the map.
        assert "MIT License" in shown and "WITHOUT WARRANTY" not in shown


@pytest.mark.parametrize(("lang", "words"), [("id", ("Kecamatan ", "kecamatan tempat Desa ")),
                                              ("en", (" District", "the district of ", " Village"))])
def test_a_desa_profile_embed_says_its_chart_is_the_kecamatans(published_db, lang, words):
    """A desa has no months: its profile's chart shows its kecamatan, and an embed's title (seen alone on another
    site) said only "Trend of Depok" (a new user's walk). It names the kecamatan and the desa."""
    import duckdb

    con = duckdb.connect(str(published_db), read_only=True)
    try:
        desa, name, kecamatan = con.execute(
            "SELECT d.code, d.name, k.name FROM regions d JOIN regions k ON k.code = d.parent_code "
            "WHERE d.level = 'desa' AND d.kind = 'desa' ORDER BY d.code LIMIT 1").fetchone()
    finally:
        con.close()
    title = embed_title(embed(chart="profile", region=desa, lang=lang))
    assert name in title and kecamatan in title
    for word in words:
        assert word in title, (word, title)
    own = embed_title(embed(chart="profile", region=desa[:8], lang=lang))  # a kecamatan's own months
    assert "tempat" not in own and "the district of" not in own
    # Named with its kind: "Trend of Depok" is a kecamatan of Sleman or Kota Depok.
    assert f"Kecamatan {kecamatan}" in own if lang == "id" else f"{kecamatan} District" in own, own


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_desa_profile_embed_shows_the_desas_own_figures(published_db, lang):
    """A walk embedded a desa's profile and got its kecamatan's trend alone, no figure of the desa: the embed shows
    the desa's year by program (the profile's table, the same figures) above the chart."""
    import duckdb

    from dashboard.i18n import program_short, t

    with duckdb.connect(str(published_db), read_only=True) as con:
        desa, recipients = con.execute(
            "SELECT region_code, recipients FROM disbursement_cells WHERE level = 'desa' AND program = 'PKH' "
            "AND channel = 'SEMUA' AND length(period) = 4 AND NOT suppressed AND recipients > 0 "
            "ORDER BY period DESC, region_code LIMIT 1").fetchone()
    at = embed(chart="profile", region=desa, lang=lang)
    assert not at.exception, at.exception
    table = at.table[0].value.set_index(t("program", lang))
    shown = table.loc[program_short("PKH", lang), t("m_recipients", lang)]
    assert shown.replace(".", "").replace(",", "") == str(int(recipients)), (shown, recipients)
    assert charts(at) == 1


def test_an_embedded_map_is_fitted_to_the_height_it_is_drawn_at(open_page, published_db):
    """The embed drew its map at most 440 px tall, fitted for 520: a region taller than wide (Kulon Progo) lost its
    north and south ends at 1280 px (a new user's walk). The embed's view fits its own height: zoomed out from the
    page's."""

    def view(at: AppTest) -> dict:
        return json.loads(at.get("deck_gl_json_chart")[0].proto.json)["initialViewState"]

    page, embedded = open_page("peta", region="34.01"), embed(chart="map", region="34.01")
    assert not page.exception and not embedded.exception
    assert view(embedded)["zoom"] < view(page)["zoom"]


def test_a_profile_embed_says_why_values_are_hidden_once(published_db):
    """The desa's figures above its chart say why values are hidden; the chart (its kecamatan's months) would say it
    again where it hides some too: the embed says it once, wherever either hides something."""
    import duckdb

    from dashboard.i18n import hidden_note

    with duckdb.connect(str(published_db), read_only=True) as con:
        threshold = con.execute("SELECT threshold FROM release").fetchone()[0]
        year = con.execute("SELECT max(period) FROM disbursement_cells WHERE length(period) = 4").fetchone()[0]
        # Desa that hide a figure of the year, in a kecamatan whose months (the chart) hide some too.
        desa = [code for (code,) in con.execute(
            """SELECT DISTINCT d.region_code FROM disbursement_cells d JOIN disbursement_cells k
               ON k.region_code = substr(d.region_code, 1, 8) AND k.suppressed AND length(k.period) = 7
               AND k.period LIKE ? || '-%' AND k.channel = 'SEMUA' AND k.program <> 'SEMUA'
               WHERE d.level = 'desa' AND d.suppressed AND d.period = ? ORDER BY 1 LIMIT 3""",
            [year, year]).fetchall()]
    assert desa, "no desa of the test release hides a figure in a kecamatan whose months hide some"
    for code in desa:
        at = embed(chart="profile", region=code)
        assert not at.exception, at.exception
        assert [c.value for c in at.caption].count(hidden_note("id", threshold)) == 1, code
