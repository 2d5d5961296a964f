"""Peta / Map: a choropleth from provinsi down to desa, drill-down by click or pick, breadcrumb back up."""

import streamlit as st

from dashboard import browser, charts, components, db, export, i18n, maps, metrics, panels, shareable, views
from dashboard.i18n import t

ctx = components.render_header("map_title")
release_id, threshold, year = ctx.release.release_id, ctx.release.threshold, ctx.year

code = shareable.shown_region(release_id, components.current_region(ctx))
region_level = db.level_of_code(code)
components.render_breadcrumb(ctx, code)

# Four selects in a row, the measure (the longest names) with the comparison below: five in one row cut them.
columns = st.columns([1.1, 1.1, 0.8, 1.1])
with columns[0]:
    level = shareable.choose(st.selectbox, shareable.VIEWS["map"].param("level"),
                             shareable.where(release_id, year, code), label=t("map_level", ctx.lang),
                             format_func=lambda lv: components.level_label(lv, ctx.lang))
with columns[1]:
    program = components.select_program(ctx)
with columns[2]:
    components.select_year(ctx)
with columns[3]:
    period = components.select_period(ctx)
columns = st.columns([2, 3])
with columns[0]:
    metric = components.select_metric(ctx)
with columns[1]:
    norm = components.select_norm(ctx, metric)
change_kind = components.select_change(ctx)
width = browser.content_width()
panel = panels.map_panel(ctx, code, level, program, period, metric, norm, width, change_kind)
for note in panel.notes:
    st.info(note)
if panel.waiting:  # desa of a year not complete yet: the note above says which year has their figures
    st.stop()
label = panel.legend_title or metrics.metric_label(metric, norm, ctx.lang)
st.caption(t("map_hint" if maps.drills(region_level, level) else "map_hint_profile", ctx.lang))
# The width class is part of the key: deck.gl applies a view only when the chart mounts, so the view fitted to the
# reader's width (known after the first run) needs a new chart, or a phone keeps the desktop zoom and clips the map.
event = maps.render_map(panel.deck, key=f"map_{code}_{level}_{width}", alt=panel.title,
                        height=panel.height) if panel.deck else st.info(t("no_shapes", ctx.lang))
target = maps.drill_target(maps.selected_code(event), region_level, level)
if target and target != code:
    components.go_to(target)
    st.rerun()

def formatter(v):
    return metrics.format_value(v, metrics.OK, metric, norm, ctx.lang, threshold)

legend = maps.legend_items(panel.edges, panel.format_edge or formatter, ctx.lang, threshold, panel.palette,
                           panel.drawn())
maps.render_legend(legend, label, i18n.hidden_note(ctx.lang, threshold))
maps.render_boundary_source(db.get_boundary_sources(release_id, level, tuple(panel.shapes)), ctx.lang)
components.render_drill_picker(ctx, panel.cells, region_level, level)
st.caption(t("hidden_last", ctx.lang))
ranked = views.build_ranked_table(panel.cells, panel.plotted, metric, norm, ctx.lang, threshold)
if width < browser.NARROW:
    # A phone has room for rank, name and value: the code column would push the value out of view.
    ranked = ranked.drop(columns=[t("col_code", ctx.lang)])
# A phone's table is a plain one, whose text wraps: a data grid sized its columns by their headers and cut the values
# at 390 px ("12.34" for 12.340, a walk). Rank, name and value fit a phone's width.
charts.render_table(ranked, ctx.lang, key="map_table", expanded=True, plain=width < browser.NARROW)
def figure():
    return maps.build_map_figure(panel.shapes, panel.plotted, panel.edges, legend, panel.title, panel.palette)

view = {"measure": export.measure_name(metric, norm, change_kind if panel.palette is maps.DIVERGING else "none"),
        "program": program, "period": panel.period_code or period, "level": level, "region_code": code}
export.render_downloads(panel.plotted, export.REGION_KEYS, figure, release_id, ctx.lang, "map", "peta", view)
components.render_share(ctx, "peta", shareable.embed_params("map"), panel.title, figure)
