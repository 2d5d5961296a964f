"""Peta / Map: a choropleth from provinsi down to desa, drill-down by click or pick, breadcrumb back up."""

import streamlit as st

from dashboard import charts, components, db, maps, metrics, state, views
from dashboard.i18n import t

ctx = components.render_header("map_title")
release_id, threshold, year = ctx.release.release_id, ctx.release.threshold, str(ctx.release.data_year)

code = components.current_region(ctx)
if db.level_of_code(code) == "desa":  # a desa has no map of its own: show its kecamatan's desa
    code = db.get_region(release_id, code)["kecamatan_code"]
region_level = db.level_of_code(code)
components.render_breadcrumb(ctx, code)

columns = st.columns(4)
with columns[0]:
    level = state.widget(st.selectbox, "level", list(maps.map_levels(region_level)), maps.map_levels(region_level)[0],
                         label=t("map_level", ctx.lang), format_func=lambda lv: components.level_label(lv, ctx.lang))
with columns[1]:
    program = components.select_program(ctx)
with columns[2]:
    period = components.select_period(ctx)
with columns[3]:
    metric = components.select_metric(ctx)
norm = components.select_norm(ctx, metric)
if level == "desa" and period != year:
    st.info(t("desa_year_only", ctx.lang, year=year))
    period = year
if norm == "eligible" and program == "SEMUA":
    st.info(t("n_eligible_semua", ctx.lang))

cells = db.get_cells(release_id, code, level, program, period)
denominators = db.get_denominators(release_id, code, level, year) if norm != "none" else None
values = metrics.build_values(cells, metric, norm, denominators)
values = values.assign(name=cells["name"].to_numpy(), label=metrics.format_values(values, metric, norm, ctx.lang,
                                                                                  threshold))
edges = maps.make_bins(values["value"])
shapes = db.get_boundaries(release_id, code, level, maps.uses_detail(region_level, level))
rows = maps.build_map_rows(shapes, values, edges)
deck = maps.build_deck(rows, maps.view_for_bbox(db.get_bbox(release_id, tuple(shapes))), stroked=len(shapes) < 500)
label = metrics.metric_label(metric, norm, ctx.lang)
st.caption(t("map_hint", ctx.lang))
event = maps.render_map(deck, key=f"map_{code}_{level}", alt=label) if rows else st.info(t("no_shapes", ctx.lang))
target = maps.drill_target(maps.selected_code(event), region_level, level)
if target and target != code:
    components.go_to(target)
    st.rerun()

def formatter(v):
    return metrics.format_value(v, metrics.OK, metric, norm, ctx.lang, threshold)

maps.render_legend(maps.legend_items(edges, formatter, ctx.lang, threshold), label)
maps.render_boundary_source(db.get_boundary_source(release_id, level), ctx.lang)
components.render_drill_picker(ctx, cells, region_level, level)
st.caption(t("hidden_last", ctx.lang, threshold=threshold))
charts.render_table(views.build_ranked_table(cells, values, metric, norm, ctx.lang, threshold), ctx.lang,
                    key="map_table", expanded=True)
