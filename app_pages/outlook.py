"""Proyeksi kebutuhan / Needs outlook: next year's need per kabupaten/kota and province, its intervals and backtest."""

import streamlit as st

from dashboard import browser, charts, components, db, export, i18n, outlook_views, state
from dashboard.i18n import t
from dashboard.outlook import HIDDEN, NEED

ctx = components.render_header("outlook_title")
release_id = ctx.release.release_id
st.write(t("outlook_intro", ctx.lang))

code = outlook_views.outlook_region(release_id, components.current_region(ctx))
components.render_region_picker(ctx, code, deepest="kabupaten")
columns = st.columns(2)
with columns[0]:
    program = components.select_program(ctx)
result = outlook_views.get_outlook(release_id, program)
asked = state.current("measure")  # before the select drops a measure this program does not have
with columns[1]:
    measure = state.widget(st.selectbox, "measure", outlook_views.measures_for(program), "recipients",
                           known=tuple(outlook_views.MEASURE_LABELS), label=t("metric", ctx.lang),
                           format_func=lambda m: t(outlook_views.MEASURE_LABELS[m], ctx.lang),
                           help=outlook_views.eligible_note(program, ctx.lang))
if asked == "eligible_households" and measure != asked:  # the hint says why the select dropped it, only then
    st.caption(outlook_views.eligible_note(program, ctx.lang) or "")
narrow = browser.content_width() < browser.NARROW

region = db.region(release_id, code)
names = outlook_views.region_names(release_id, code, region["level"], ctx.lang)
row = outlook_views.projection_row(result, code, program, measure)
history = outlook_views.history_of(result, code, program, measure)
title = t("outlook_chart_title", ctx.lang, measure=t(outlook_views.MEASURE_LABELS[measure], ctx.lang),
          name=names[code], year=result.plan.target)
figure = outlook_views.build_outlook_figure(history, row, measure, ctx.lang, title)
charts.render_chart(figure, outlook_views.build_figure_table(history, row, measure, ctx.lang), ctx.lang,
                    key="outlook_chart")
view = {"measure": measure, "program": program, "region_code": code}
export.render_downloads(outlook_views.build_plotted(history, row), export.SERIES_KEYS, figure, release_id, ctx.lang,
                        "outlook_chart", "proyeksi", view)
st.caption(outlook_views.plan_note(result, ctx.lang))
if measure == NEED:
    st.caption(t("outlook_need_caption", ctx.lang, year=result.plan.last or "–"))

st.subheader(t("outlook_table_title", ctx.lang, year=result.plan.target))
codes = outlook_views.outlook_rows(result, code, region["level"])
table = outlook_views.build_projection_table(result, codes, names, program, measure, ctx.lang)
components.render_table(table, t("col_figure", ctx.lang), narrow)  # each row's figure: last year, projection, ...
shown = result.projected[result.projected["region_code"].isin(codes)]
if (shown["status"] == HIDDEN).any() or history["value"].isna().any():
    st.caption(i18n.hidden_note(ctx.lang, ctx.release.threshold))

if result.test_plan is None or result.errors is None:
    st.info(t("outlook_backtest_none", ctx.lang))
else:
    years = ", ".join(str(y) for y in result.test_plan.history)
    st.subheader(t("outlook_backtest_title", ctx.lang, year=result.test_plan.target, years=years))
    backtest = outlook_views.build_backtest_table(result, program, ctx.lang)
    components.render_table(backtest, t("outlook_col_result", ctx.lang), narrow)
    st.caption(t("outlook_backtest_note", ctx.lang, year=result.test_plan.target))

st.subheader(t("outlook_knows_title", ctx.lang))
knows = t("outlook_knows", ctx.lang, n=len(result.plan.history))
if ctx.release.synthetic:
    knows += "\n" + t("outlook_synthetic", ctx.lang)
st.markdown(knows)
components.render_share(ctx, "proyeksi", None, title)
