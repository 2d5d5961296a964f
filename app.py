"""Bansos Terbuka: the router. URL state, language, embed mode, first-run build and the page list; pages do the rest."""

from collections.abc import Collection

import streamlit as st
from streamlit.errors import StreamlitAPIException
from streamlit.navigation.page import StreamlitPage

from dashboard import browser, build_demo, db, i18n, runs, state, warm

st.set_page_config(page_title="Bansos Terbuka", layout="wide")
state.begin_run()
# `?embed=true`: one chart, no menu and no sidebar (Streamlit's own embed mode hides neither).
embedded = bool(st.context.is_embedded)
# A phone shows the sidebar only behind an unlabelled "»": there the pages and the language are in a "Menu" at the
# top of the page ("Menu" in both languages, so the button needs no language to be drawn). The width is the one the
# browser reported (DEFAULT_WIDTH, the sidebar, until it has).
menu = None if embedded or browser.content_width() >= browser.NARROW else st.popover("Menu", icon=":material/menu:")
if embedded:
    lang = state.get("lang", list(i18n.LANGS), i18n.DEFAULT_LANG)
else:
    lang = state.widget(st.sidebar.radio if menu is None else menu.radio, "lang", list(i18n.LANGS),
                        i18n.DEFAULT_LANG, label="Bahasa / Language",
                        format_func=lambda code: {"id": "Bahasa Indonesia", "en": "English"}[code], horizontal=True)
if menu is not None:
    # On a phone the Menu holds the pages (and, on the first-run build's page, the language): a sidebar left with
    # them showed Streamlit's "»" beside it, two menus. (A visit's first run is drawn wide, before the width report,
    # and Streamlit keeps the sidebar it drew, empty, behind its "»": the button is hidden on every page.)
    st.html("<style>[data-testid='stExpandSidebarButton']{display:none}</style>")
#: What Streamlit makes of the default page's own path: reserved, yet routed nowhere (the default page is served at
#: "/" only), so Beranda's is one nobody types and `/beranda` reaches it through stray_page below.
DEFAULT_PATH = "_"
#: Each page's path (its key), script and the i18n key of its title; Beranda is the default page.
PAGE_SPECS = {"beranda": ("app_pages/overview.py", "page_overview"), "peta": ("app_pages/map.py", "page_map"),
              "tren": ("app_pages/trends.py", "page_trends"), "kesenjangan": ("app_pages/gaps.py", "page_gaps"),
              "wilayah": ("app_pages/region.py", "page_region"), "proyeksi": ("app_pages/outlook.py", "page_outlook"),
              "data": ("app_pages/open_data.py", "page_open_data")}
PAGES = {key: st.Page(script, title=i18n.t(title, lang), url_path=DEFAULT_PATH if key == "beranda" else key,
                      default=key == "beranda") for key, (script, title) in PAGE_SPECS.items()}


def stray_page(paths: Collection[str], script: str) -> list[StreamlitPage]:
    """A hidden page (running `script`) at the path the browser asked for when it is none of `paths` (the routed
    ones) nor DEFAULT_PATH (a mistyped or old link), so that the run can switch to a real page with a notice in the
    reader's language: left to Streamlit, such a path shows its own "Page not found" dialog, in English only. Empty
    for a known path, DEFAULT_PATH (a second page there would clash with the default's), and for a name
    no page may have (blank, `%2F` inside), which keeps Streamlit's dialog. (A path of two segments, `/peta/x`,
    never gets here: the browser then asks for Streamlit's scripts under `/peta/` and the page stays blank; the
    nginx of dashboard.serve sends it to `/peta`.)"""
    asked = state.requested_path()
    if not asked or asked in paths or asked == DEFAULT_PATH:
        return []
    try:
        return [st.Page(script, title="Bansos Terbuka", url_path=asked, visibility="hidden")]
    except StreamlitAPIException:
        return []


#: The paths Streamlit routes to PAGES (Beranda's is "").
ROUTED = {page.url_path for page in PAGES.values()}
if not db.published_path().exists():
    # No menu while the demo builds; a stray path shows the build too (not Streamlit's dialog).
    st.navigation([*PAGES.values(), *stray_page(ROUTED, "app_pages/overview.py")], position="hidden")
    browser.measure()
    build_demo.render_first_run(lang)
release = db.get_release()
warm.start(release.release_id)  # once per process and release: the national views' caches, in the background
notices = st.container()  # filled after the page ran: its widgets validate their URL values
if embedded:
    embed_page = st.Page("app_pages/embed.py", title="Bansos Terbuka", url_path=DEFAULT_PATH, default=True)
    navigation = st.navigation([embed_page, *stray_page({""}, "app_pages/embed.py")], position="hidden")
    if navigation.url_path != "":
        st.switch_page(embed_page)  # the chart the query names: a stray path changes nothing in an embed
    browser.measure()
else:
    # `?page=peta` also opens a page (links that carry everything in the query string).
    requested = state.take("page", PAGES)
    stray = stray_page(ROUTED, "app_pages/overview.py")
    navigation = st.navigation([*PAGES.values(), *stray], position="sidebar" if menu is None else "hidden")
    if navigation.url_path not in ROUTED:
        # A path that names no page: `/beranda` is Beranda and `/Peta` Peta (PAGES' keys are their paths); anything
        # else opens the page `?page=` names, or Beranda, with a notice.
        asked = navigation.url_path
        target = asked.lower() if asked.lower() in PAGES else requested or "beranda"
        if asked.lower() not in PAGES:
            state.add_notice("page_not_found", path=asked, page=i18n.t(PAGE_SPECS[target][1], lang))
        state.carry_notices()
        st.switch_page(PAGES[target])
    # The browser's width report, drawn before the page (whose layout depends on it) and after the navigation (a
    # report that interrupted the first run before it reran the default page: /wilayah at 390 px opened Beranda).
    browser.measure()
    if menu is not None:
        with menu:
            for page in PAGES.values():
                st.page_link(page)
    if requested and PAGES[requested].url_path != navigation.url_path:
        state.carry_notices()
        st.switch_page(PAGES[requested])
    (st.sidebar if menu is None else menu).caption(i18n.t("app_tagline", lang))
    if release.synthetic:
        # On every page: a screenshot of the demo must not pass for real disbursements.
        st.info(i18n.t("synthetic_banner", lang), icon=":material/science:")
with runs.slot():  # a burst of visitors queues here instead of time-slicing every run (see dashboard/runs.py)
    navigation.run()
# Not reached when the page asks for a rerun (a map click): the next run writes the URL, from the new state.
with notices:
    state.render_notices(lang)
state.write_url()
