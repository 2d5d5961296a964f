"""Data terbuka / Open data: every published table as CSV or Parquet, map layers as GeoJSON, the whole release as a
zip with its data package, the data dictionary, the methodology, release history and the hash chain."""

import streamlit as st

from dashboard import components, db, opendata, state
from dashboard.i18n import t

ctx = components.render_header("open_data_title")
release_id, lang = ctx.release.release_id, ctx.lang
source = opendata.source_line(release_id)
st.write(t("open_data_intro", lang, source=source))

st.subheader(t("bundle_title", lang))
st.write(t("bundle_text", lang))
left, right = st.columns(2)
left.download_button(t("download_zip", lang), lambda: opendata.get_release_zip(release_id), type="primary",
                     file_name=f"{opendata.PROJECT}-{release_id}.zip", mime="application/zip", key="zip",
                     on_click="ignore")
right.download_button(t("download_datapackage", lang),
                      lambda: opendata.get_package_files(release_id)["datapackage.json"],
                      file_name="datapackage.json", mime="application/json", key="datapackage", on_click="ignore")

st.subheader(t("downloads_title", lang))
fmt = state.widget(st.radio, "format", list(opendata.FORMATS), "csv", label=t("format", lang), horizontal=True,
                   format_func=lambda f: t(f"f_{f}", lang))
st.caption(t("csv_note", lang))
catalogue = opendata.build_catalogue(db.get_table_names(release_id), db.get_dictionary(release_id),
                                     db.get_table_columns(release_id), lang)
for row in catalogue.itertuples(index=False):
    text, button = st.columns([3, 1])
    text.markdown(f"**`{row.table}`** — {row.description}")
    button.download_button(
        t("download", lang),
        lambda table=row.table: opendata.table_bytes(db.get_table(release_id, table), release_id, fmt),
        file_name=opendata.file_name(release_id, row.table, opendata.extension(fmt)), key=f"dl_{row.table}",
        on_click="ignore")

st.subheader(t("layers_title", lang))
for level in db.get_table(release_id, "boundary_sources")["level"]:
    boundary = db.get_boundary_source(release_id, level)
    text, button = st.columns([3, 1])
    credit = (t("illustrative_source", lang) if boundary.get("illustrative")  # in the reader's language
              else f"{boundary['name']} ({boundary['licence']})")
    text.markdown(f"**{components.level_label(level, lang)}** — {credit}")
    button.download_button(
        "GeoJSON", lambda level=level, boundary=boundary: opendata.geojson_bytes(
            db.get_boundary_layer(release_id, level), level, boundary, release_id),
        file_name=opendata.file_name(release_id, f"batas-{level}", "geojson"), mime="application/geo+json",
        key=f"geo_{level}", on_click="ignore")

st.subheader(t("dictionary_title", lang))
st.dataframe(opendata.build_dictionary_table(db.get_dictionary(release_id), lang), hide_index=True, width="stretch")

st.subheader(t("methodology_title", lang))
st.markdown(t("methodology", lang, threshold=ctx.release.threshold, below=ctx.release.threshold - 1))

st.subheader(t("history_title", lang))
kept = tuple(db.kept_release_ids())
manifests = db.get_manifests(db.get_release().release_id, kept)
history = opendata.build_history([db.get_release_row(k) for k in kept], manifests, lang)
st.dataframe(history, hide_index=True, width="stretch")
for release in kept:
    st.page_link("app_pages/open_data.py", label=t("open_release", lang, release=release),
                 query_params={"release": release, "lang": lang})

st.subheader(t("chain_title", lang))
st.write(t("chain_text", lang))
st.code(f"python -m anonymize verify {opendata.PROJECT}-{release_id}.zip\nsha256sum release/bansos.duckdb",
        language="bash")
if not kept:
    st.caption(t("no_manifest", lang))
elif st.button(t("verify_now", lang), key="verify_now"):
    verdict = opendata.verify_kept([db.release_folder(k) for k in kept])
    (st.success if verdict.intact else st.error)(t("verify_ok" if verdict.intact else "verify_bad", lang,
                                                   line=verdict.line()))
components.render_share(ctx, "data", None, t("open_data_title", lang))
