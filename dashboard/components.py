"""Render functions shared by the pages: header, selectors bound to the URL, region picker and breadcrumb."""

from __future__ import annotations

import functools
import html
import json
import math
from dataclasses import dataclass
from urllib.parse import urlsplit

import streamlit as st

from dashboard import browser, db, export, i18n, maps, metrics, opendata, search, shareable, state, views
from dashboard.db import Release
from published_schema import ALL_PROGRAMS, LEVELS, NATIONAL_CODE, PROGRAM_CHOICES, PROGRAM_CODES


@dataclass(frozen=True)
class PageContext:
    """What every page needs first: the language, the current release and the year shown."""

    lang: str
    release: Release
    #: The published year the page shows (`year=`, default the latest): every figure of a view is of one year.
    year: str = ""

    def __post_init__(self) -> None:
        if not self.year:
            object.__setattr__(self, "year", str(self.release.data_year))


def render_header(title_key: str) -> PageContext:
    """Title, data freshness, and a banner when a link pins an older release."""
    lang = state.current("lang", i18n.DEFAULT_LANG)
    release = current_release()
    st.title(i18n.t(title_key, lang))
    st.caption(freshness(release, lang))
    render_pinned_banner(release, lang)
    return PageContext(lang, release, current_year(release))


def current_year(release: Release) -> str:
    """The `year` parameter: one of the release's published years (another falls back to the latest with a notice
    saying the release has no such year, or that the value is no year). A link without it shows the latest year, so
    it follows the data as new years are published."""
    years = db.get_years(release.release_id) or [str(release.data_year)]
    period = state.current("period")
    if state.current("year") is None and isinstance(period, str) and period[:4] in years \
            and period in db.get_periods(release.release_id, period[:4]):
        # A link with a month of an earlier year and no `year` (`/peta?period=2024-10`) means that year: the
        # latest year's October instead changed what the link shows without a word.
        state.set_value("year", period[:4])
    return state.get("year", years, years[-1], known=_looks_like_year, absent="year_not_in_release")


def _looks_like_year(value: str) -> bool:
    return len(value) == 4 and value.isascii() and value.isdigit()


def select_year(ctx: PageContext) -> str:
    """The year picker (newest first), shown when the release publishes more than one year."""
    years = db.get_years(ctx.release.release_id) or [ctx.year]
    if len(years) < 2:
        return ctx.year
    return state.widget(st.selectbox, "year", years[::-1], years[-1], known=_looks_like_year,
                        absent="year_not_in_release", label=i18n.t("year", ctx.lang))


def incomplete_through(ctx: PageContext) -> str | None:
    """The last published month of the picked year when the year is not complete yet (no December), else None."""
    months = [p for p in db.get_periods(ctx.release.release_id, ctx.year) if len(p) == 7]   # in order
    return None if not months or months[-1].endswith("-12") else months[-1]


def latest_complete_year(ctx: PageContext) -> str | None:
    """The latest year other than the picked one that the release publishes through December."""
    release_id = ctx.release.release_id
    complete = [y for y in db.get_years(release_id) or [] if y != ctx.year
                and any(p.endswith("-12") for p in db.get_periods(release_id, y))]
    return max(complete) if complete else None


def small_area_wait(ctx: PageContext, level: str) -> str | None:
    """Why a desa/kelurahan has no figures in the picked year, when it is not complete yet (desa are published for
    the complete year only: anonymize.aggregate.Scope.small_area_codes), naming the latest complete year if the
    release has one; None at other levels or in a complete year."""
    return _complete_year_note(ctx, "desa") if level == "desa" else None


def quality_wait(ctx: PageContext) -> str | None:
    """Why no data-quality flag is shown in the picked year, when it is not complete yet (the indicators count
    distinct households over the year: published for the complete year only, anonymize.tables.quality_table),
    naming the latest complete year if the release has one; None in a complete year."""
    return _complete_year_note(ctx, "quality")


def _complete_year_note(ctx: PageContext, topic: str) -> str | None:
    """i18n `<topic>_complete_year_only` for an incomplete picked year, with `<topic>_complete_year_pick` naming the
    latest complete year when there is one; None in a complete year."""
    through = incomplete_through(ctx)
    if through is None:
        return None
    note = i18n.t(f"{topic}_complete_year_only", ctx.lang, year=ctx.year,
                  through=i18n.format_period(through, ctx.lang))
    complete = latest_complete_year(ctx)
    if complete:
        note += i18n.t(f"{topic}_complete_year_pick", ctx.lang, complete=complete)
    return note


def current_release() -> Release:
    """The release a link pins (`release=<id>`, one of the kept releases), else the current one. A release that is
    no longer kept falls back to the current one with a notice."""
    pinned = state.get("release", lambda _: True, "")
    if pinned and pinned == db.get_release().release_id:
        # The current release pins itself, kept or not: a release served from its database alone keeps no folder,
        # and every embed and pinned link of it warned that the release it showed was gone.
        return db.get_release()
    if pinned and pinned not in db.kept_release_ids():
        # A URL notice (escaped when shown): it stays through the rerun the browser's width report causes.
        state.add_notice("release_gone", release=pinned)
        state.set_value("release", "")
        pinned = ""
    return db.get_release(pinned or None)


#: Rows of a table a phone shows stacked at once; the others wait behind an expander. A province's outlook table
#: (Nusa Tenggara Timur: the province and 22 kabupaten/kota, five figures each) was about 12,000 px tall at 390 px.
PHONE_ROWS = 4


def render_table(table, measure: str, narrow: bool) -> None:
    """A short table drawn whole as a plain table whose text wraps (a data grid cut a column's text at its edge at
    1280 px: "disembunyikan (anta…" in the profile's complaints); on a phone (`narrow`) stacked, one (first column,
    `measure`, value) row per cell: a phone reads down instead of scrolling eight columns sideways. A phone shows
    the first `PHONE_ROWS` rows stacked and the rest under "Show N more rows"."""
    if not narrow or table.empty:
        st.table(table, hide_index=True, border="horizontal")
        return
    lang = state.current("lang", i18n.DEFAULT_LANG)
    first, rest = split_rows(table)
    st.table(views.stack_table(first, measure, i18n.t("col_value", lang), lang), hide_index=True,
             border="horizontal")
    if not rest.empty:
        stacked = views.stack_table(rest, measure, i18n.t("col_value", lang), lang)
        # Named by the rows it shows (stacked: a row per cell), not the source rows ("3 more rows" held 12).
        with st.expander(i18n.t("more_rows", lang, n=len(stacked))):
            st.table(stacked, hide_index=True, border="horizontal")


def split_rows(table, rows: int = PHONE_ROWS) -> tuple:
    """(the rows a phone shows at once, the rest): the rest only when it is more than one row (an expander
    that hides one row saves nothing)."""
    if len(table) <= rows + 1:
        return table, table.iloc[0:0]
    return table.iloc[:rows], table.iloc[rows:]


def render_metric(column, label: str, value: str, lang: str, **options) -> None:
    """`column.metric`, with a hidden value's range (or its derivable value) as a caption under a short 'hidden',
    and "not published at this level" as a caption under "–": a metric card cuts its value at its width
    ('disembunyikan (anta…' at 390 and 1280 px)."""
    hidden = i18n.t("hidden", lang)
    if value == i18n.t("not_published", lang):  # cut to "not published …" in a third of 1280 px
        column.metric(label, "–", **options)
        column.caption(value)
        return
    if not i18n.is_hidden_label(value, lang) or value == hidden:
        column.metric(label, value, **options)
        return
    column.metric(label, hidden, **options)
    column.caption(value[len(hidden):].lstrip(", ").removeprefix("(").removesuffix(")"))


def render_hidden_note(ctx: PageContext, plotted) -> None:
    """Why cells are hidden, under a chart or table that shows one (`plotted` has a `status` column)."""
    if "status" in plotted and (plotted["status"] == metrics.HIDDEN).any():
        st.caption(i18n.hidden_note(ctx.lang, ctx.release.threshold))


def _show_newest() -> None:
    state.set_value("release", "")


def render_pinned_banner(release: Release, lang: str) -> None:
    newest = db.get_release()
    if release.release_id != newest.release_id:
        st.info(i18n.t("pinned_banner", lang, release=release.release_id, newest=newest.release_id))
        st.button(i18n.t("show_newest", lang), key="show_newest", on_click=_show_newest)


def freshness(release: Release, lang: str, kept: list[str] | None = None) -> str:
    """'Data through October 2025, release 2025-11-03'; with the release id when another kept release shares its
    day (ids begin with the date: 20251103T...)."""
    day = release.created_at[:10]
    kept = db.kept_release_ids() if kept is None else kept
    same_day = [k for k in kept if k[:8] == day.replace("-", "")]
    released = f"{day} ({release.release_id})" if len(same_day) > 1 else day
    return i18n.t("freshness", lang, through=i18n.format_period(release.data_through, lang), released=released)


def _program_names(ctx: PageContext) -> dict[str, str]:
    """Every program of the release and "all programs", code -> name in the page's language."""
    programs = db.get_programs(ctx.release.release_id)
    return dict(zip(programs["code"], programs[f"name_{ctx.lang}"], strict=True))


def program_names(ctx: PageContext) -> dict[str, str]:
    """The three programs (not "all"), code -> the short name that labels a program beside others (legends, table
    rows, controls), in the page's language: a profile's legend said "Program Keluarga Harapan" over tables saying
    "PKH". Titles name one program in full (`program_name`)."""
    return {code: i18n.program_short(code, ctx.lang) for code in PROGRAM_CODES}


def compare_options(ctx: PageContext, code: str) -> dict[str, str]:
    """Regions to compare with: every province and kabupaten/kota, and the kecamatan of this region's kabupaten."""
    release_id = ctx.release.release_id
    within = [(NATIONAL_CODE, "provinsi"), (NATIONAL_CODE, "kabupaten")]
    region = db.get_region(release_id, code)
    if region and region["kabupaten_code"]:
        within.append((region["kabupaten_code"], "kecamatan"))
    options = {}
    for parent, level in within:
        frame = db.get_regions_in(release_id, parent, level)
        options.update({c: i18n.region_label(n, k, level, ctx.lang)
                        for c, n, k in zip(frame["code"], frame["name"], frame["kind"], strict=True)})
    return options


def program_name(ctx: PageContext, code: str) -> str:
    return _program_names(ctx).get(code, code)


def select_program(ctx: PageContext, allow_all: bool = True, default: str = ALL_PROGRAMS) -> str:
    names = _program_names(ctx)
    options = list(PROGRAM_CHOICES if allow_all else PROGRAM_CODES)
    if not allow_all and state.current("program") == ALL_PROGRAMS:  # chosen on another page: say why it changed
        state.set_value("program", default)
        st.info(i18n.t("gaps_semua", ctx.lang, program=names.get(default, default)))
    # Short names fit the control at any width (the full ones were cut: "Program Keluarga Harap..."); the help
    # icon beside the label gives every full name.
    full = "  \n".join(f"**{i18n.program_short(c, ctx.lang)}**: {names.get(c, c)}" for c in options
                        if i18n.program_short(c, ctx.lang) != names.get(c, c))
    return state.widget(st.selectbox, "program", options, default, label=i18n.t("program", ctx.lang),
                        format_func=lambda c: i18n.program_short(c, ctx.lang), help=full or None)


def select_period(ctx: PageContext, year_only: bool = False) -> str:
    """Months of the picked year and the whole year (default). `year_only`: the period parameter is kept but shown
    as the year, in a picker that cannot change it (a desa is published for whole years only; the month in the URL
    applies again once a kecamatan or above is picked)."""
    periods = db.get_periods(ctx.release.release_id, ctx.year)
    year = ctx.year
    if year_only:
        st.selectbox(i18n.t("period", ctx.lang), [year], key="period_year_only", disabled=True,
                     format_func=lambda p: i18n.format_period(p, ctx.lang))
        return year
    options = [year, *[p for p in periods if p != year]]
    follow_year(ctx, options)
    return state.widget(st.selectbox, "period", options, year, label=i18n.t("period", ctx.lang),
                        format_func=lambda p: i18n.format_period(p, ctx.lang))


def follow_year(ctx: PageContext, options: list[str]) -> None:
    """A period of another published year (the reader picked another year) becomes the same month of the picked
    year, or its whole year: not an "invalid parameter" notice for a choice the reader made."""
    chosen = state.current("period")
    release_id = ctx.release.release_id
    if not isinstance(chosen, str) or chosen in options or chosen[:4] not in db.get_years(release_id) \
            or chosen not in db.get_periods(release_id, chosen[:4]):
        return  # a period of no published year (`2025-13`) is invalid: the period picker says so
    month = f"{ctx.year}{chosen[4:]}"
    state.set_value("period", month if month in options else ctx.year)


def select_change(ctx: PageContext) -> str:
    """Colour the level, or the change since the year before (difference or percent)."""
    kind = shareable.CHANGE
    return state.widget(st.segmented_control, kind.name, kind.options_for(), kind.default_for(),
                        label=i18n.t("change", ctx.lang),
                        format_func=lambda k: i18n.t({"none": "change_none", "abs": "change_abs_short",
                                                      "pct": "change_pct_short"}[k], ctx.lang))


def select_metric(ctx: PageContext, options: tuple[str, ...] = metrics.METRICS) -> str:
    return state.widget(st.selectbox, "metric", list(options), options[0], label=i18n.t("metric", ctx.lang),
                        format_func=lambda m: i18n.t(f"m_{m}", ctx.lang))


def select_norm(ctx: PageContext, metric: str) -> str:
    norm = state.widget(st.radio, "norm", list(metrics.NORMS), "none", label=i18n.t("normalisation", ctx.lang),
                        format_func=lambda n: i18n.t(f"n_{n}", ctx.lang), horizontal=True,
                        disabled=metric in metrics.RATES)
    if metric in metrics.RATES and norm != "none":
        st.caption(i18n.t("n_not_applicable", ctx.lang))
    return metrics.effective_norm(metric, norm)


def current_region(ctx: PageContext, default: str = NATIONAL_CODE) -> str:
    """The `region` parameter: any region code of this release."""
    release_id = ctx.release.release_id
    return state.get("region", lambda c: db.get_region(release_id, c) is not None, default)


def region_label(region: dict, lang: str) -> str:
    """'Desa Sinduadi' / 'Sinduadi Village', 'Kabupaten Sleman' / 'Sleman Regency' (`i18n.region_label`)."""
    return i18n.region_label(region["name"], region["kind"], region["level"], lang)


def go_to(code: str) -> None:
    """Show another region; the map level is the new region's default again (it depends on the region)."""
    state.set_value("region", code)
    state.set_value("level", None)


def render_breadcrumb(ctx: PageContext, code: str) -> None:
    """Posisi: Indonesia › Provinsi › Kabupaten › **Kecamatan**, as one line of text that wraps: each ancestor a
    link-like button that goes back up, the region shown in bold (a disabled button of its own, stretched to the
    page's width, read as an empty input box at the national level)."""
    lineage = db.get_lineage(ctx.release.release_id, code)
    with st.container(horizontal=True, gap="xsmall", vertical_alignment="center", key="breadcrumb"):
        st.markdown(f":gray[{i18n.t('breadcrumb', ctx.lang)}:]", width="content")
        for row in lineage.itertuples(index=False):
            name = i18n.escape(i18n.t("national", ctx.lang) if row.level == "nasional"
                               else i18n.region_name(row.name, row.kind, ctx.lang), limit=200)
            if row.code == code:  # with its kind word ("Kecamatan Ende"): no button tooltip says it here
                shown = i18n.escape(region_label(row._asdict(), ctx.lang), limit=200)
                st.markdown(f"**{shown}**", width="content")
                continue
            # An ancestor and the "›" after it never part: where the line wraps on a phone, the next line starts
            # with a name, not with a separator.
            with st.container(horizontal=True, gap="xsmall", vertical_alignment="center", width="content",
                              wrap=False):
                st.button(f":primary[{name}]", key=f"crumb_{row.code}", on_click=go_to, args=(row.code,),
                          type="tertiary", help=i18n.region_kind(row.kind, ctx.lang))
                st.markdown(":gray[›]", width="content")


def _pick(level: str, parent: str, choices: tuple[str, ...]) -> None:
    chosen = st.session_state.get(f"pick_{level}")
    if chosen and chosen not in choices:
        return      # a stale label from the other language, not a region code (state._copy_back)
    go_to(chosen or parent)


#: Most selects of the region picker in one row on a wide screen: the Trends page's four (down to desa) go two by
#: two.
PICKER_ROW = 3


def render_region_picker(ctx: PageContext, code: str, deepest: str = "kecamatan") -> None:
    """Cascading selects (province, kabupaten, kecamatan) that set the `region` parameter."""
    release_id = ctx.release.release_id
    lineage = db.get_lineage(release_id, code)
    chosen = dict(zip(lineage["level"], lineage["code"], strict=True))
    levels = LEVELS[1:LEVELS.index(deepest) + 1]
    shown: list[tuple[str, str, dict[str, str]]] = []  # (level, parent, names of its choices)
    parent = NATIONAL_CODE
    for level in levels:
        children = db.get_regions_in(release_id, parent, level)
        if children.empty:
            break
        shown.append((level, parent, {c: i18n.region_name(n, k, ctx.lang) for c, n, k
                                      in zip(children["code"], children["name"], children["kind"], strict=True)}))
        parent = chosen.get(level, "")
        if parent not in shown[-1][2]:
            break
    # On a wide screen one column per level, in rows of at most PICKER_ROW (four in a row cut "Daerah Istimewa
    # Yogyakarta" at 1280 px), each row made only once a select of it is shown; on a phone only the selects shown
    # (stacked empty columns left a gap under "Provinsi").
    if browser.content_width() >= browser.NARROW:
        per_row = math.ceil(len(levels) / math.ceil(len(levels) / PICKER_ROW))  # even rows: 4 levels, 2 + 2
        columns = [column for start in range(0, len(shown), per_row) for column in st.columns(per_row)]
    else:
        columns = [st.container() for _ in shown]
    for column, (level, above, names) in zip(columns, shown, strict=False):
        value = chosen.get(level, "")
        st.session_state[f"pick_{level}"] = value if value in names else ""
        whole = i18n.t(f"whole_{LEVELS[LEVELS.index(level) - 1]}", ctx.lang)
        column.selectbox(i18n.pick(i18n.LEVEL_ONE[level], ctx.lang), ["", *names], key=f"pick_{level}",
                         on_change=_pick, args=(level, above, tuple(names)),
                         format_func=functools.partial(option_label, names, whole))


def option_label(names: dict[str, str], empty: str, code: str) -> str:
    """A picker's option: the region's name, and for the empty choice words saying what it means."""
    return names.get(code, empty)


def level_label(level: str, lang: str) -> str:
    return i18n.level_name(level, lang)


def render_drill_picker(ctx: PageContext, cells, region_level: str, level: str) -> None:
    """The keyboard way into a region shown on the map (and to a desa's profile)."""
    names = dict(zip(cells["region_code"], cells["name"], strict=True))
    key = f"drill_{level}"
    none = i18n.t("drill_none", ctx.lang)
    st.session_state[key] = ""
    if not maps.drills(region_level, level):     # a click on the map goes nowhere: the pick opens a profile
        chosen = st.selectbox(i18n.t("drill_pick", ctx.lang), ["", *names], key=key,
                              format_func=functools.partial(option_label, names, none))
        if chosen:
            st.page_link("app_pages/region.py", label=i18n.t("open_profile", ctx.lang, name=names[chosen]),
                         query_params={"region": chosen, "lang": ctx.lang})
        return
    st.selectbox(i18n.t("drill_pick", ctx.lang), ["", *names], key=key, on_change=_drill, args=(key, tuple(names)),
                 format_func=functools.partial(option_label, names, none))


def _drill(key: str, choices: tuple[str, ...]) -> None:
    if st.session_state.get(key) in choices:     # not a stale label (state._copy_back)
        go_to(st.session_state[key])


@st.cache_resource(max_entries=2, show_spinner=False)
def get_search_index(release_id: str) -> search.SearchIndex:
    return search.build_index(db.get_all_regions(release_id))


def search_index(ctx: PageContext) -> search.SearchIndex:
    return get_search_index(ctx.release.release_id)


def result_label(row: dict, lang: str) -> str:
    """'Sinduadi — Desa, Kecamatan Mlati, Kabupaten Sleman, DI Yogyakarta' ('Sinduadi — Village, Mlati District,
    Sleman Regency, DI Yogyakarta'): enough to tell same-named desa apart. A kabupaten or kota names its kind
    already ('Sleman Regency — DI Yogyakarta', not 'Kabupaten Sleman — Regency, ...')."""
    name = i18n.region_name(row["name"], row.get("kind"), lang)
    context = [] if i18n.names_its_kind(row.get("kind")) else [i18n.region_kind(row["kind"], lang)]
    if not i18n.is_missing(row.get("kecamatan")):
        context.append(i18n.region_label(row["kecamatan"], "kecamatan", "kecamatan", lang))
    if not i18n.is_missing(row.get("kabupaten")):
        context.append(i18n.region_name(row["kabupaten"], row.get("kabupaten_kind"), lang))
    if not i18n.is_missing(row.get("provinsi")):
        context.append(str(row["provinsi"]))
    return f"{name} — {', '.join(context)}"


def best_match(found, current: str | None, searched: str | None, query: str) -> str | None:
    """The region a search opens: the reader's pick when it is among the results and this query already showed
    them, else the best match (a new query opens its best match at once)."""
    if found.empty:
        return None
    codes = list(found["code"])
    if current in codes and searched in (query, None):  # the reader's pick, or a shared link's region
        return current
    return codes[0]


def render_search_results(ctx: PageContext, found, chosen: str) -> None:
    labels = {row["code"]: result_label(row, ctx.lang) for row in found.to_dict("records")}
    st.session_state["search_pick"] = chosen if chosen in labels else None
    # Region names come from the release, yet a radio label is markdown: escape them as any other text.
    st.radio(i18n.t("search_results", ctx.lang), list(labels), key="search_pick", index=None,
             format_func=lambda c: i18n.escape(labels[c], limit=200), on_change=_pick_result, args=(tuple(labels),))


def _pick_result(choices: tuple[str, ...]) -> None:
    if st.session_state.get("search_pick") in choices:     # not a stale label (state._copy_back)
        go_to(st.session_state["search_pick"])


def view_params(lang: str) -> dict[str, str]:
    """What a link to this view carries: the parameters that differ from their defaults, without the release (a
    link to the newest unless pinned), and the language always, last. One rule for every link to a view: a region
    page showed two, its own (region and lang) and the share panel's (with the search text, without lang), and a
    new user could not tell which to share."""
    params = {k: v for k, v in state.params().items() if k not in ("release", "lang")}
    return {**params, "lang": lang}


def share_link(url_path: str, params: dict[str, str]) -> str:
    """An absolute link to a page with these parameters (relative when the server address is unknown)."""
    base = ""
    try:
        url = st.context.url
    except Exception:  # not in a browser session (tests)
        url = None
    if url:
        parts = urlsplit(url)
        base = f"{parts.scheme}://{parts.netloc}"
    return f"{base}/{url_path}{state.query_string(params)}"


def embed_height(view: str, top: str = "10") -> int:
    """The iframe height of a view before its script reports the real one; a gap ranking grows 28 px per bar."""
    height = shareable.VIEWS[view].embed_height if view in shareable.VIEWS else 720
    if view == "gap" and top != "10":
        height += 28 * ((int(top) if top.isdigit() else 50) - 10)
    return height


def embed_snippet(src: str, title: str, height: int = 720) -> str:
    """The iframe an official pastes into a page or a briefing, and a few lines that let the embed set its own
    height (it posts its content height; without scripts the measured `height` still shows everything)."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(src)) if urlsplit(src).netloc else ""
    from_us = f"e.origin!=={json.dumps(origin)}||" if origin else ""
    listener = (
        "<script>addEventListener(\"message\",function(e){"
        f"if({from_us}!e.data||e.data.type!==\"{browser.HEIGHT_MESSAGE}\")return;"
        "document.querySelectorAll(\"iframe[data-bansos-terbuka]\").forEach(function(f){"
        "if(f.contentWindow===e.source)f.style.height=(e.data.height+16)+\"px\"})})</script>")
    return (f'<iframe data-bansos-terbuka src="{html.escape(src)}" title="{html.escape(title)}" width="100%" '
            f'height="{height}" style="border:0;width:100%;height:{height}px" loading="lazy"></iframe>\n{listener}')


def render_share(ctx: PageContext, url_path: str, embed: dict[str, str] | None, title: str,
                 figure=None) -> None:
    """Links to this view (newest release, and pinned to this one), its embed snippet and (`figure`, a figure or a
    function drawing one) a static PNG/SVG of it for slides; `st.code` copies."""
    params = view_params(ctx.lang)
    pinned = {**params, "release": ctx.release.release_id}
    with st.expander(i18n.t("share_title", ctx.lang)):
        st.caption(i18n.t("share_latest", ctx.lang))
        st.code(share_link(url_path, params), language=None, wrap_lines=True)
        st.caption(i18n.t("share_pinned", ctx.lang, release=ctx.release.release_id))
        st.code(share_link(url_path, pinned), language=None, wrap_lines=True)
        if embed is None:
            return
        st.caption(i18n.t("embed_snippet", ctx.lang))
        chart = shareable.CHART.name
        src = share_link("", {"embed": "true", **{k: v for k, v in pinned.items() if k != chart}, **embed})
        st.code(embed_snippet(src, title, embed_height(embed.get(chart, ""), state.current("top", "10"))),
                language="html", wrap_lines=True)
        if figure is not None:
            st.caption(i18n.t("embed_image", ctx.lang))
            render_image_downloads(ctx, figure, f"share_{url_path}", url_path)


def render_image_downloads(ctx: PageContext, figure, key: str, stem: str) -> None:
    """PNG and SVG of a chart with its source line (drawn only when clicked, by kaleido)."""
    columns = st.columns(2)
    citation = opendata.citation(ctx.release.release_id)
    for column, fmt in zip(columns, export.IMAGE_FORMATS, strict=True):
        column.download_button(
            i18n.t(f"download_{fmt}", ctx.lang),
            export.image_drawer(figure, citation, fmt),
            file_name=opendata.file_name(ctx.release.release_id, stem, fmt),
            mime="image/png" if fmt == "png" else "image/svg+xml", key=f"{key}_{fmt}", on_click="ignore")
