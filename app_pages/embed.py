"""Embed mode (`?embed=true&chart=map|trend|profile|gap&...`): one chart or map with its title, source line, release
date and a link back to the full view. No menu, no sidebar, no controls."""

import html

import streamlit as st

from dashboard import browser, charts, components, db, i18n, maps, metrics, panels, shareable, state, views
from dashboard.i18n import t

lang = state.current("lang", i18n.DEFAULT_LANG)
release = components.current_release()
ctx = components.PageContext(lang, release, components.current_year(release))
release_id, year = ctx.release.release_id, ctx.year
shareable.read_legacy(shareable.CHART)  # `view=` of links made before the rename
view = shareable.read(shareable.CHART)
declared = shareable.VIEWS[view]
code = components.current_region(ctx)
if view != "profile":
    code = shareable.shown_region(release_id, code)
at = shareable.where(release_id, year, code)


def read(name: str):
    return shareable.read(declared.param(name), at)


def read_level():
    default = declared.param("level").default_for(at)
    return shareable.read(declared.param("level"), at, components.level_label(default, lang))


panel: panels.MapPanel | panels.ChartPanel
explained = False  # the note on hidden values is shown (once: a profile's table may have said it above its chart)
if view == "map":
    level, program, metric = read_level(), read("program"), read("metric")
    norm = metrics.effective_norm(metric, read("norm"))
    width = browser.content_width()
    # Fitted to the height it is drawn at: fitted to 520 px and drawn at 440, a tall region lost its ends.
    panel = panels.map_panel(ctx, code, level, program, read("period"), metric, norm, width, read("change"),
                             tallest=maps.EMBED_MAP_HEIGHT)
elif view == "trend":
    program, metric = read("program"), read("metric")
    norm = metrics.effective_norm(metric, read("norm"))
    panel = panels.trend_panel(ctx, code, program, metric, norm, read("by"))
elif view == "gap":
    panel = panels.gap_panel(ctx, code, read_level(), read("program"), read("rank"), read("top"))
else:
    panel = panels.profile_panel(ctx, code)

# Embed mode keeps Streamlit's top padding: an iframe should start with its title.
st.html("<style>[data-testid='stMainBlockContainer']{padding-top:0.75rem;padding-bottom:0.5rem}"
        "[data-testid='stHeader']{display:none}</style>")
st.markdown(f"#### {i18n.escape(panel.title, limit=300)}")
for note in panel.notes:
    st.caption(note)
if view == "profile":
    # The region's own figures of the year by program before its chart: a desa has no months, and its embed showed
    # its kecamatan's trend alone (a walk: an official embedding "my desa" found no figure of it).
    year_cells = db.get_region_cells(release_id, code, year)
    figures_of = components.region_label(db.region(release_id, code), lang)
    st.markdown(f"**{i18n.escape(figures_of, limit=200)} — {t('profile_figures', lang, year=year)}**")
    # Program, recipients and Rupiah: three columns fit a phone-wide iframe without stacking (the profile's
    # other figures are a link away).
    figures = views.build_profile_figures(year_cells)
    table = views.build_profile_table(figures, db.get_programs(release_id), lang, ctx.release.threshold)
    st.table(table.iloc[:, :3], hide_index=True, border="horizontal")
    explained = views.has_hidden(figures)
    if explained:
        st.caption(i18n.hidden_note(lang, ctx.release.threshold))
if isinstance(panel, panels.MapPanel):
    threshold = ctx.release.threshold
    if panel.deck is not None:
        st.pydeck_chart(panel.deck, height=panel.height)
    maps.render_legend(maps.legend_items(panel.edges, panel.format_edge or (lambda v: metrics.format_value(
        v, metrics.OK, metric, norm, lang, threshold)), lang, threshold, panel.palette, panel.drawn()),
        panel.legend_title or metrics.metric_label(metric, norm, lang), i18n.hidden_note(lang, threshold))
    # An embedded map carries its boundaries' source and licence too (and says when they are illustrative).
    maps.render_boundary_source(db.get_boundary_sources(release_id, panel.level, tuple(panel.shapes)), lang)
elif panel.plotted.empty:  # a breakdown not published at this level: its notes say why, no empty axes
    st.caption(t("nothing_to_draw", lang))
else:
    st.plotly_chart(charts.untitled(panel.figure), key="embed_chart", width="stretch", config={"displaylogo": False})
    if not explained and (not isinstance(panel, panels.ChartPanel)
                          or i18n.hidden_note(lang, ctx.release.threshold) not in panel.notes):
        components.render_hidden_note(ctx, panel.plotted)

full = shareable.full_view_params(view, state.params(), state.current(shareable.BREAKDOWN.name))
link = components.share_link(declared.page, full)
released = t("embed_released", lang, release=release_id, date=i18n.format_date(ctx.release.created_at, lang),
             through=i18n.format_period(ctx.release.data_through, lang))
synthetic = f" · {t('synthetic_mark', lang)}" if ctx.release.synthetic else ""
st.caption(f"{t('source_line', lang, release=release_id)} · {released}{synthetic}")
st.markdown(f'<a href="{html.escape(link)}" target="_blank" rel="noopener">{t("embed_full_view", lang)}</a>',
            unsafe_allow_html=True)
browser.report_height()
