"""Tren / Trends: monthly series by program, channel or status; cumulative Rupiah vs annual target; compare regions."""

import streamlit as st

from dashboard import charts, components, db, export, metrics, panels, shareable, state, views
from dashboard.i18n import format_period, t
from published_schema import ALL_PROGRAMS, NATIONAL_CODE

ctx = components.render_header("trends_title")
release_id, threshold, year = ctx.release.release_id, ctx.release.threshold, ctx.year

chosen = components.current_region(ctx)
components.render_region_picker(ctx, chosen, deepest="desa")
code = shareable.shown_region(release_id, chosen)
if code != chosen:
    st.info(t("desa_trend_note", ctx.lang, name=db.region(release_id, code)["name"]))
level = db.level_of_code(code)
left, middle, right = st.columns(3)
with left:
    program = components.select_program(ctx)
with middle:
    components.select_year(ctx)
with right:
    metric = components.select_metric(ctx, shareable.TREND_METRICS)
norm = components.select_norm(ctx, metric)
# The breakdown is `by=` (links made before the rename say `view=`: still read).
BREAKDOWN = shareable.BREAKDOWN
shareable.read_legacy(BREAKDOWN)
breakdown = state.widget(st.segmented_control, BREAKDOWN.name, BREAKDOWN.options_for(),
                         BREAKDOWN.default_for(), label=t("breakdown_by", ctx.lang),
                         format_func=lambda v: t(f"by_short_{v}", ctx.lang))
label = metrics.metric_label(metric, norm, ctx.lang)
panel = panels.trend_panel(ctx, code, program, metric, norm, breakdown)
for note in panel.notes:
    st.info(note)
# The year names the files too: two years' downloads of one view shared a name, and one overwrote the other.
view = {"measure": export.measure_name(metric, norm), "program": program, "period": year, "region_code": code}
if panel.plotted.empty:  # channels or statuses below kabupaten: empty axes and a header-only file said nothing
    st.caption(t("nothing_to_draw", ctx.lang))
else:
    charts.render_chart(panel.figure, panel.table, ctx.lang, key="breakdown")
    if breakdown != "year":     # month lines dip to zero between payment rounds: say so before readers call it a gap
        st.caption(t("trend_rounds_note", ctx.lang))
    if breakdown == "status":
        st.caption(t("status_pending_note", ctx.lang,
                     through=format_period(ctx.release.data_through, ctx.lang)))
    components.render_hidden_note(ctx, panel.plotted)
    # Lines by program draw every program whatever the picker holds: the file is named for all of them, and each
    # row says its own program (`plotted_frame`).
    named = {**view, "program": ALL_PROGRAMS} if breakdown == "program" else view
    if breakdown == "year":     # lines of every year: the file is named for the years it holds (a walk's finding)
        named = {**view, "period": export.years_span(panel.plotted)}
    export.render_downloads(panel.plotted, export.SERIES_KEYS, panel.figure, release_id, ctx.lang, "breakdown",
                            f"tren-{breakdown}", named)

st.subheader(t("cumulative_title", ctx.lang))
own = db.get_monthly(release_id, (code,), (program,), year)
year_cells = db.get_region_cells(release_id, code, year)
target = views.annual_target(year_cells, program)
cumulative = views.build_cumulative(own, ctx.lang)
st.caption(views.target_definition(ctx.lang) if target is not None else t("target_unavailable", ctx.lang))
if target is not None and views.shows_blt_coverage(year_cells, program):
    # Its target counts every eligible household, PKH families included: a walk read "paid a third of its target".
    st.caption(t("blt_coverage_note", ctx.lang))
# Titles name what the chart is of: an image or embed seen alone said "Cumulative Rupiah" of no region.
region_label = components.region_label(db.region(release_id, code), ctx.lang)
program_label = components.program_name(ctx, program)
figure = charts.build_cumulative(cumulative, target, ctx.lang, shareable.VIEWS["trend"].title(
    ctx.lang, measure=t("cumulative_title", ctx.lang), region=region_label, detail=f", {program_label}"))
charts.render_chart(figure, views.cumulative_table(cumulative, target, ctx.lang), ctx.lang, key="cumulative",
                    heading=False)
export.render_downloads(cumulative, export.SERIES_KEYS, figure, release_id, ctx.lang, "cumulative", "kumulatif",
                        {**view, "measure": "amount_cumulative"})

st.subheader(t("compare", ctx.lang))
options = components.compare_options(ctx, code)
others = state.widget(st.multiselect, "compare", list(options), [], label=t("compare", ctx.lang), max_selections=5,
                      placeholder=t("choose_regions", ctx.lang), format_func=lambda c: options.get(c, c))
# The country beside the regions picked drew them flat near zero (a new user's walk): as the page's region it is
# drawn only while nothing else is picked.
codes = (*([] if code == NATIONAL_CODE and others else [code]), *[c for c in others if c != code])
compared = db.get_monthly(release_id, codes, (program,), year)
labels = {db.region(release_id, c)["name"]: components.region_label(db.region(release_id, c), ctx.lang)
          for c in codes}  # "Kulon Progo Regency" in English
# Each compared line's region code goes into its CSV rows (a name alone may be shared by two regions).
series_codes = {labels[db.region(release_id, c)["name"]]: c for c in codes}
series = views.build_monthly_series(compared, metric, "name", labels, norm, ctx.lang, threshold,
                                    db.get_denominators_of(release_id, codes, year))
figure = charts.build_lines(series, ctx.lang, f"{label} — {program_label}", money=metric == "amount")
charts.render_chart(figure, views.series_table(series, ctx.lang), ctx.lang, key="compare")
if norm == "none" and views.scales_apart(series):
    st.caption(t("compare_scale_hint", ctx.lang))
export.render_downloads(series.assign(region_code=series["series"].map(series_codes)), export.COMPARE_KEYS, figure,
                        release_id, ctx.lang, "compare", "banding", view)
components.render_share(ctx, "tren", shareable.embed_params("trend", by=breakdown), panel.title, panel.figure)
