"""Kesenjangan cakupan / Coverage gaps: eligible vs recipient households per region, ranked; poverty vs recipients
per eligible household; flags."""

import streamlit as st

from dashboard import browser, charts, components, export, panels, shareable, state, views
from dashboard.i18n import t

ctx = components.render_header("gaps_title")
release_id, threshold, year = ctx.release.release_id, ctx.release.threshold, ctx.year
st.write(t("gaps_intro", ctx.lang))

code = shareable.shown_region(release_id, components.current_region(ctx))
components.render_region_picker(ctx, code)
gap, at = shareable.VIEWS["gap"], shareable.where(release_id, year, code)
columns = st.columns([1.5, 1.2, 1.6, 0.8, 0.8])  # the level and rank names are the long ones
with columns[0]:
    level = shareable.choose(st.selectbox, gap.param("level"), at, label=t("rank_level", ctx.lang),
                             format_func=lambda lv: components.level_label(lv, ctx.lang))
with columns[1]:
    program = components.select_program(ctx, allow_all=False, default=gap.param("program").default_for(at))
with columns[2]:
    rank_by = shareable.choose(st.selectbox, gap.param("rank"), at, label=t("rank_by", ctx.lang),
                               format_func=lambda r: t("gap_abs" if r == "gap" else "gap_pct", ctx.lang))
with columns[4]:
    components.select_year(ctx)
with columns[3]:
    top = shareable.choose(st.selectbox, gap.param("top"), at, label=t("top_n", ctx.lang),
                           format_func=lambda n: t("all_rows", ctx.lang) if n == "all" else n)
if state.current("period", year) != year:
    st.info(t("gaps_year", ctx.lang, year=year))

panel = panels.gap_panel(ctx, code, level, program, rank_by, top)
for note in panel.notes:
    st.caption(note)
width = browser.content_width()
narrow = width < browser.NARROW
# Plain tables, whose headers and text wrap: the ranked figures, then the data-quality flags where the level has them
# (in one data grid they scrolled sideways at 1280 px). A phone keeps rank, name and the ranked figure in the first,
# and gets the second below it stacked, one (name, figure, value) row per cell: its columns do not fit 390 px, and a
# phone without it had no data-quality flag at all.
figures, others, others_title = views.split_gap_table(panel.table, ctx.lang)
table = panel.table.iloc[:, [0, 1, 5 if rank_by == "gap" else 6]] if narrow else figures
charts.render_chart(panel.figure, table, ctx.lang, key="gap_bars", expanded=True, plain=True)
# The ranked figures' downloads right under them: below the flags table they read as its own.
view = {"measure": rank_by, "program": program, "period": year, "level": level, "region_code": code}
export.render_downloads(panel.plotted, export.GAP_KEYS, panel.figure, release_id, ctx.lang, "gap_bars",
                        f"kesenjangan-top{top}", view)
stacked = (t("metric", ctx.lang), t("col_value", ctx.lang)) if narrow else None
if others is not None:
    charts.render_table(others.iloc[:, 1:] if narrow else others, ctx.lang, key="gap_others", expanded=True,
                        plain=True, label=others_title, stack=stacked)

st.subheader(t("scatter_title", ctx.lang))
points = views.build_scatter_points(panel.source, ctx.lang)
st.caption(t("outlier_note_narrow" if narrow else "outlier_note", ctx.lang))
scatter = charts.build_scatter(points, ctx.lang, t("scatter_title", ctx.lang), t("eligible_share", ctx.lang),
                               t("m_coverage", ctx.lang), names=not narrow, width=width)
charts.render_chart(scatter, views.scatter_table(points, ctx.lang), ctx.lang, key="scatter", heading=False)
export.render_downloads(points.assign(value=points["y"], status="ok"), export.SCATTER_KEYS, scatter, release_id,
                        ctx.lang, "scatter", "kemiskinan-cakupan", {**view, "measure": "coverage"})
components.render_share(ctx, "kesenjangan", shareable.embed_params("gap"), panel.title, panel.figure)
