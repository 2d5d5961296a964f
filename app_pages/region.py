"""Cek wilayah / My region: find a desa or kecamatan by name (typos welcome) and read its one-page profile."""

import streamlit as st

from dashboard import (
    browser,
    charts,
    components,
    db,
    export,
    i18n,
    metrics,
    panels,
    search,
    shareable,
    state,
    views,
    yearly,
)
from dashboard.i18n import t
from dashboard.outlook_views import render_profile_outlook
from published_schema import ALL_PROGRAMS, NATIONAL_CODE

ctx = components.render_header("region_title")
release_id, threshold, year = ctx.release.release_id, ctx.release.threshold, ctx.year

query = state.text("q", label=t("search_label", ctx.lang), placeholder=t("search_placeholder", ctx.lang))
components.select_year(ctx)
code = components.current_region(ctx)
found_nothing = False
if query:
    found = search.search(components.search_index(ctx), query)
    if found.empty:
        # Nothing matches: say so, and show no region. The region shown before stayed under the message and in the
        # link, and read as the answer to the new search.
        st.warning(t("search_none", ctx.lang, query=i18n.escape(query)))
        components.go_to(NATIONAL_CODE)  # the default: the link carries no region
        found_nothing = True
    else:
        # A search opens its best match at once; picking another result keeps that pick for the same query.
        code = components.best_match(found, code, st.session_state.get("_searched"), query) or code
        components.go_to(code)
        components.render_search_results(ctx, found, code)
    st.session_state["_searched"] = query
elif code == NATIONAL_CODE:
    st.info(t("search_prompt", ctx.lang))
narrow = browser.content_width() < browser.NARROW


def render_profile(code: str) -> None:
    """The region's one-page profile: figures by program and their change, rank among its siblings, trend,
    complaints, outlook, and the links to share it."""
    region = db.region(release_id, code)
    lineage = db.get_lineage(release_id, code)
    st.header(components.region_label(region, ctx.lang))
    # A no-break space before each "›": where the line wraps, it stays after its region, never starts a line.
    st.caption("\u00a0› ".join(components.region_label(r, ctx.lang) for r in lineage.to_dict("records")[:-1]))

    st.subheader(t("profile_figures", ctx.lang, year=year))
    wait = components.small_area_wait(ctx, region["level"])
    year_cells = None if wait else db.get_region_cells(release_id, code, year)
    if year_cells is not None and metrics.region_without_data(year_cells):
        # A region the release's raw data did not cover (a release of some kabupaten of a province): its published
        # zeros drawn as a profile (figures, rank, trend, complaints) read as a region where nobody is paid.
        st.info(t("region_without_data", ctx.lang, region=components.region_label(region, ctx.lang), year=year))
        return
    if year_cells is None:
        st.info(wait)
    else:
        programs = db.get_programs(release_id)
        figures = views.build_profile_figures(year_cells)
        components.render_table(views.build_profile_table(figures, programs, ctx.lang, threshold),
                                t("metric", ctx.lang), narrow)
        if views.has_hidden(figures):  # (the note under a profile with nothing hidden read as if something were)
            st.caption(i18n.hidden_note(ctx.lang, threshold))
        if (figures["status"] == views.UNDEFINED).any():
            st.caption(t("profile_dash_note", ctx.lang))
        if views.programs_overlap(figures):
            st.caption(t("programs_overlap", ctx.lang))
        if above := views.coverage_above_full(figures):
            names = ", ".join(i18n.program_short(program, ctx.lang) for program in above)
            st.caption(t("coverage_above_full", ctx.lang, programs=names))
        if views.shows_blt_coverage(year_cells):
            st.caption(t("blt_coverage_note", ctx.lang))
        # The region's own figures as a file (its chart's file holds a desa's kecamatan's months).
        export.render_downloads(figures, {}, None, release_id, ctx.lang,
                                "profile_figures", "profil-angka", {"period": year, "region_code": code})
        yearly.render_profile_changes(ctx, code, narrow)

    if region["level"] != "nasional" and not wait:
        parent = region["parent_code"]
        siblings = db.get_cells(release_id, parent, region["level"], ALL_PROGRAMS, year)
        values = metrics.build_values(siblings, "recipients", "registered",
                                      db.get_denominators(release_id, parent, region["level"], year))
        parent_name = components.region_label(db.region(release_id, parent), ctx.lang)
        st.subheader(t("rank_among", ctx.lang, n=len(siblings), parent=parent_name))
        measure = metrics.metric_label("recipients", "registered", ctx.lang)
        st.write(views.rank_text(values, code, measure, ctx.lang))

    panel = panels.profile_panel(ctx, code)
    trend_code = shareable.shown_region(release_id, code)
    trend_name = db.region(release_id, trend_code)["name"]
    st.subheader(t("trend_title", ctx.lang, name=components.region_label(db.region(release_id, trend_code), ctx.lang)))
    for note in panel.notes:
        st.caption(note)
    # A plain table: a data grid cut the hidden labels.
    charts.render_chart(panel.figure, panel.table, ctx.lang, key="profile_trend", plain=True)
    components.render_hidden_note(ctx, panel.plotted)
    # By program: each row's program is its `series`; the months are the trend region's (a desa shows its kecamatan).
    export.render_downloads(panel.plotted, export.SERIES_KEYS, panel.figure, release_id, ctx.lang, "profile_trend",
                            "profil", {"measure": "recipients", "period": year, "region_code": trend_code})

    st.subheader(t("complaints_title", ctx.lang, year=year))
    if trend_code != code:  # complaints are published from kecamatan up
        st.caption(t("complaints_kecamatan", ctx.lang, name=trend_name))
    complaint_cells = db.get_complaints(release_id, trend_code, year)
    if complaint_cells.empty and db.level_of_code(trend_code) == "kecamatan":
        # A kecamatan's complaints are published for the complete year only
        # (anonymize.aggregate.Scope.small_area_codes).
        st.info(t("complaints_complete_year", ctx.lang, year=year))
    else:
        complaints = views.build_complaint_table(complaint_cells, ctx.lang, threshold)
        components.render_table(complaints, t("col_status", ctx.lang), narrow)

    render_profile_outlook(release_id, code, region["level"], ctx.lang)

    st.subheader(t("share_link", ctx.lang))
    st.code(components.share_link("wilayah", components.view_params(ctx.lang)), language=None, wrap_lines=True)
    components.render_share(ctx, "wilayah", shareable.embed_params("profile"), panel.title, panel.figure)


if not found_nothing:
    render_profile(code)
