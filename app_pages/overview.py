"""Beranda / Overview: headline figures, a monthly sparkline, data freshness, and what is hidden and why."""

import streamlit as st

from dashboard import browser, charts, components, db, export, i18n, metrics, shareable, state, views, yearly
from dashboard.i18n import format_period, t
from published_schema import NATIONAL_CODE, has_months

ctx = components.render_header("overview_title")
release_id, threshold = ctx.release.release_id, ctx.release.threshold
year = ctx.year

code = components.current_region(ctx)
# Down to the desa: a citizen looks up their own (a desa's link opened here with no picker showing it).
components.render_region_picker(ctx, code, deepest="desa")
# A desa is published for the whole year only: a month asked for (a link, a kecamatan's month before the pick)
# shows the year, in the period picker too, rather than a month the figures are not of.
year_only = not has_months(db.level_of_code(code))
asked_month = year_only and state.current("period", year) != year
left, middle, right = st.columns(3)
with left:
    program = components.select_program(ctx)
with middle:
    components.select_year(ctx)
with right:
    period = components.select_period(ctx, year_only=year_only)
if asked_month:
    st.info(t("desa_year_only_figures", ctx.lang, year=year))

region = db.region(release_id, code)
cells = db.get_region_cells(release_id, code, period)
year_cells = db.get_region_cells(release_id, code, year)
program_name = components.program_name(ctx, program)
st.subheader(t("headline_for", ctx.lang, region=components.region_label(region, ctx.lang), program=program_name,
               period=format_period(period, ctx.lang)))
if code == NATIONAL_CODE:
    st.caption(views.release_coverage(db.get_regions_in(release_id, NATIONAL_CODE, "provinsi"), ctx.lang))
# A program that does not run here (BLT Dana Desa in a kota: no eligible household, no recipient all year) has
# no figures to show: its zeros drawn as a flat line and a "0 failed" tile read as a program that paid nothing.
render_figures = not views.programs_here(year_cells[year_cells["program"] == program], {program: program_name})[1]
if metrics.region_without_data(year_cells):
    # Not "PKH does not run here": the release's raw data did not cover the region (a walk read that of Sleman).
    render_figures = False
    st.info(t("region_without_data", ctx.lang, region=components.region_label(region, ctx.lang), year=year))
elif not render_figures:
    st.info(t("program_not_here", ctx.lang, program=program_name, region=components.region_label(region, ctx.lang),
              year=year))
headlines = views.build_headlines(cells[cells["program"] == program], year_cells, program, ctx.lang, threshold)
for title, figures in views.headline_rows(headlines, ctx.lang) if render_figures else ():
    if title:
        st.markdown(f"**{title}**")
    for start in range(0, len(figures), 3):  # one row of columns per three figures: a phone stacks them in order
        for column, (label, value) in zip(st.columns(3), figures[start:start + 3], strict=False):
            components.render_metric(column, label, value, ctx.lang)
if render_figures and any(value == t("not_published", ctx.lang) for _, value in headlines):
    st.caption(t("statuses_from_kabupaten", ctx.lang))
if render_figures and any(i18n.is_hidden_label(value, ctx.lang) for _, value in headlines):
    st.caption(i18n.hidden_note(ctx.lang, threshold))
if render_figures and views.shows_blt_coverage(year_cells, program):
    st.caption(t("blt_coverage_note", ctx.lang))
if render_figures:
    yearly.render_changes(ctx, code, program, period)

    monthly_code = shareable.shown_region(release_id, code)
    monthly = db.get_monthly(release_id, (monthly_code,), (program,), year)
    if monthly_code != code:
        st.caption(t("desa_trend_note", ctx.lang, name=db.region(release_id, monthly_code)["name"]))
    series = views.build_monthly_series(monthly, "amount", "program", {program: program_name}, "none", ctx.lang,
                                        threshold)
    spark_region = components.region_label(db.region(release_id, monthly_code), ctx.lang)
    figure = charts.build_sparkline(series, ctx.lang, t("trend_spark", ctx.lang, region=spark_region))
    charts.render_chart(figure, views.series_table(series, ctx.lang), ctx.lang, key="sparkline")
    # Months between payment rounds are zero: a new user read the overview's drops as missing payments.
    st.caption(t("trend_rounds_note", ctx.lang))
    components.render_hidden_note(ctx, series)
    export.render_downloads(series, export.SERIES_KEYS, figure, release_id, ctx.lang, "sparkline", "rupiah-bulanan",
                            {"measure": "amount", "program": program, "period": year,
                             "region_code": monthly_code})

st.subheader(t("hidden_why_title", ctx.lang))
counted, tables = yearly.year_tables(ctx)  # the picked year's: each year is protected as its own table
st.write(views.hidden_explanation(tables, ctx.lang, threshold, counted))
summary = views.build_hidden_summary(tables, db.get_dictionary(release_id), ctx.lang)
st.markdown(f"**{t('hidden_tables', ctx.lang, year=counted)}**")
if browser.content_width() < browser.NARROW:  # a phone: each table's figures on a line, its description below
    for line, description in views.hidden_summary_lines(summary, ctx.lang):
        st.markdown(line)
        st.caption(description)
else:  # a plain table wraps the descriptions (a data grid cut them at the column's edge)
    st.table(summary, hide_index=True, border="horizontal")
components.render_share(ctx, "", None, t("overview_title", ctx.lang))
