"""Embed mode (`?embed=true&view=map|trend|profile|gap&...`): one chart or map with its title, source line, release
date and a link back to the full view. No menu, no sidebar, no controls."""

import html

import streamlit as st

from dashboard import browser, components, db, i18n, maps, metrics, panels, state
from dashboard.i18n import t
from settings import ALL_PROGRAMS

PROGRAMS = [ALL_PROGRAMS, "PKH", "SEMBAKO", "BLT_DD"]
lang = state.current("lang", i18n.DEFAULT_LANG)
ctx = components.PageContext(lang, components.current_release(lang))
release_id, year = ctx.release.release_id, str(ctx.release.data_year)
view = state.get("view", list(panels.EMBED_PAGES), "map")
code = components.current_region(ctx)
region_level = db.level_of_code(code)

if view == "map":
    if region_level == "desa":
        code = db.get_region(release_id, code)["kecamatan_code"]
        region_level = "kecamatan"
    levels = maps.map_levels(region_level)
    level = state.get("level", levels, levels[0], known=db.LEVELS,
                      shown_default=components.level_label(levels[0], lang))
    program = state.get("program", PROGRAMS, ALL_PROGRAMS)
    metric = state.get("metric", metrics.METRICS, metrics.METRICS[0])
    norm = metrics.effective_norm(metric, state.get("norm", metrics.NORMS, "none"))
    width = browser.content_width()
    panel = panels.map_panel(ctx, code, level, program, state.get("period", db.get_periods(release_id), year),
                             metric, norm, width)
elif view == "trend":
    if region_level == "desa":
        code = db.get_region(release_id, code)["kecamatan_code"]
    program = state.get("program", PROGRAMS, ALL_PROGRAMS)
    metric = state.get("metric", ("recipients", "amount", "ontime", "failed_share"), "recipients")
    norm = metrics.effective_norm(metric, state.get("norm", metrics.NORMS, "none"))
    panel = panels.trend_panel(ctx, code, program, metric, norm, state.get("by", ("program", "channel", "status"),
                                                                           "program"))
elif view == "gap":
    if region_level == "desa":
        code = db.get_region(release_id, code)["kecamatan_code"]
    levels = maps.map_levels(db.level_of_code(code))
    default_level = "kecamatan" if "kecamatan" in levels else levels[0]
    level = state.get("level", levels, default_level, known=db.LEVELS,
                      shown_default=components.level_label(default_level, lang))
    panel = panels.gap_panel(ctx, code, level, state.get("program", PROGRAMS[1:], "PKH"),
                             state.get("rank", ("gap", "gap_share"), "gap"), state.get("top", ("10", "20", "50", "all"),
                                                                                       "10"))
else:
    panel = panels.profile_panel(ctx, code)

# Embed mode keeps Streamlit's top padding: an iframe should start with its title.
st.html("<style>[data-testid='stMainBlockContainer']{padding-top:0.75rem;padding-bottom:0.5rem}"
        "[data-testid='stHeader']{display:none}</style>")
st.markdown(f"#### {i18n.escape(panel.title, limit=300)}")
for note in panel.notes:
    st.caption(note)
if isinstance(panel, panels.MapPanel):
    threshold = ctx.release.threshold
    if panel.deck is not None:
        st.pydeck_chart(panel.deck, height=min(maps.map_height(width), 440))
    maps.render_legend(maps.legend_items(panel.edges, lambda v: metrics.format_value(
        v, metrics.OK, metric, norm, lang, threshold), lang, threshold), metrics.metric_label(metric, norm, lang),
        i18n.hidden_note(lang, threshold))
    # An embedded map carries its boundaries' source and licence too (and says when they are illustrative).
    maps.render_boundary_source(db.get_boundary_source(release_id, panel.level), lang)
else:
    st.plotly_chart(panel.figure, key="embed_chart", width="stretch", config={"displaylogo": False})
    if not isinstance(panel, panels.ChartPanel) or i18n.hidden_note(lang, ctx.release.threshold) not in panel.notes:
        components.render_hidden_note(ctx, panel.plotted)

full = {k: v for k, v in state.params().items() if k not in ("view", "by")}
if view == "trend" and state.current("by", "program") != "program":
    full["view"] = state.current("by")
link = components.share_link(panels.EMBED_PAGES[view], full)
released = t("embed_released", lang, release=release_id, date=i18n.format_date(ctx.release.created_at, lang),
             through=i18n.format_period(ctx.release.data_through, lang))
st.caption(f"{t('source_line', lang, release=release_id)} · {released}")
st.markdown(f'<a href="{html.escape(link)}" target="_blank" rel="noopener">{t("embed_full_view", lang)}</a>',
            unsafe_allow_html=True)
browser.report_height()
