"""Tren / Trends: monthly series by program, channel or status; cumulative Rupiah vs annual target; compare regions."""

import streamlit as st

from dashboard import charts, components, db, metrics, state, views
from dashboard.i18n import t

ctx = components.render_header("trends_title")
release_id, threshold, year = ctx.release.release_id, ctx.release.threshold, str(ctx.release.data_year)

code = components.current_region(ctx)
components.render_region_picker(ctx, code, deepest="desa")
region = db.get_region(release_id, code)
if region["level"] == "desa":  # desa have whole-year figures only: show their kecamatan's months
    code = region["kecamatan_code"]
    st.info(t("desa_trend_note", ctx.lang, name=db.get_region(release_id, code)["name"]))
level = db.level_of_code(code)
left, right = st.columns(2)
with left:
    program = components.select_program(ctx)
with right:
    metric = components.select_metric(ctx, ("recipients", "amount", "ontime", "failed_share"))
norm = components.select_norm(ctx, metric)
breakdown = state.widget(st.segmented_control, "view", ["program", "channel", "status"], "program",
                         label=t("breakdown", ctx.lang), format_func=lambda v: t(f"by_{v}", ctx.lang))
label = metrics.metric_label(metric, norm, ctx.lang)
names = components.program_names(ctx)

if breakdown == "program":
    monthly = db.get_monthly(release_id, (code,), tuple(names))
    series = views.build_monthly_series(monthly, metric, "program", names, norm, ctx.lang, threshold,
                                        db.get_denominators_of(release_id, (code,), year))
elif breakdown == "channel":
    channels = tuple(db.get_channels(release_id, code, program))
    if not channels:
        st.info(t("channel_kabupaten", ctx.lang))
    monthly = db.get_monthly(release_id, (code,), (program,), channels)
    series = views.build_monthly_series(monthly, metric, "channel", {}, norm, ctx.lang, threshold)
else:
    monthly = db.get_monthly(release_id, (code,), (program,))
    series = views.build_status_series(monthly, ctx.lang, threshold)
if level == "kecamatan" and breakdown != "program":
    st.caption(t("status_kecamatan", ctx.lang))
title = t("late_failed_title", ctx.lang) if breakdown == "status" else f"{label} — {t(f'by_{breakdown}', ctx.lang)}"
money = metric == "amount" and breakdown != "status"
charts.render_chart(charts.build_lines(series, ctx.lang, title, money=money),
                    views.series_table(series, ctx.lang), ctx.lang, key="breakdown")

st.subheader(t("cumulative_title", ctx.lang))
own = db.get_monthly(release_id, (code,), (program,))
target = views.annual_target(db.get_region_cells(release_id, code, year), program)
cumulative = views.build_cumulative(own, ctx.lang)
st.caption(t("target_definition", ctx.lang) if target is not None else t("target_unavailable", ctx.lang))
charts.render_chart(charts.build_cumulative(cumulative, target, ctx.lang, t("cumulative_title", ctx.lang)),
                    views.cumulative_table(cumulative, target, ctx.lang), ctx.lang, key="cumulative")

st.subheader(t("compare", ctx.lang))
options = components.compare_options(ctx, code)
others = state.widget(st.multiselect, "compare", list(options), [], label=t("compare", ctx.lang), max_selections=4,
                      format_func=lambda c: options.get(c, c))
codes = (code, *[c for c in others if c != code])
compared = db.get_monthly(release_id, codes, (program,))
series = views.build_monthly_series(compared, metric, "name", {}, norm, ctx.lang, threshold,
                                    db.get_denominators_of(release_id, codes, year))
charts.render_chart(charts.build_lines(series, ctx.lang, label, money=metric == "amount"),
                    views.series_table(series, ctx.lang), ctx.lang, key="compare")
