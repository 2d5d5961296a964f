"""Data terbuka / Open data: every file of the release as `publish` wrote it (tables as CSV or Parquet, map layers as
GeoJSON, the zip, the data package, checksums and signatures), the data dictionary, the methodology, release
history, and how to verify a download with standard tools."""

import streamlit as st

from dashboard import browser, components, db, maps, opendata, state
from dashboard.i18n import t

ctx = components.render_header("open_data_title")
release_id, lang = ctx.release.release_id, ctx.lang
# The credit to copy is the one every download carries: a synthetic release's says so.
st.write(t("open_data_intro", lang, source=opendata.citation(release_id)))
narrow = browser.content_width() < browser.NARROW


def download(column, label: str, path: str, name: str, key: str, **kwargs) -> None:
    """A button serving one file of the release folder as it is (read only when clicked)."""
    column.download_button(label, lambda: opendata.read_package_file(release_id, path), file_name=name,
                           mime=opendata.mime(path), key=key, on_click="ignore", icon=":material/download:",
                           **kwargs)


tables = db.get_table_names(release_id)
st.subheader(t("bundle_title", lang))
if opendata.package_file(release_id, opendata.zip_path(release_id)) is None:
    st.caption(t("no_package", lang))
else:
    st.write(t("bundle_text", lang))
    left, right = st.columns(2)
    download(left, t("download_zip", lang), opendata.zip_path(release_id), opendata.zip_path(release_id), "zip",
             type="primary")
    download(right, t("download_datapackage", lang), "datapackage.json", "datapackage.json", "datapackage")

    st.subheader(t("downloads_title", lang))
    fmt = state.widget(st.radio, "format", list(opendata.FORMATS), "csv", label=t("format", lang), horizontal=True,
                       format_func=lambda f: t(f"f_{f}", lang))
    catalogue = opendata.build_catalogue(tables, db.get_dictionary(release_id),
                                         db.get_table_columns(release_id), lang)
    names = opendata.csv_names(release_id, opendata.EXAMPLE_TABLE)
    st.caption(f"{t('csv_note', lang)} {t('csv_names', lang, table=opendata.EXAMPLE_TABLE, **names)}")
    for row in catalogue.itertuples(index=False):
        text, button = st.columns([3, 2])
        text.markdown(f"**`{row.table}`** — {row.description}")
        # Each button names its file (six buttons that all said "Unduh" told a screen reader nothing), beside a
        # download icon; the column is wide enough for the longest name at 1280 px (`...-excel.csv`).
        download(button, opendata.button_file_name(row.table, fmt), opendata.table_path(row.table, fmt),
                 opendata.table_file_name(release_id, row.table, fmt), f"dl_{row.table}")

    st.subheader(t("layers_title", lang))
    for level in opendata.layer_levels(release_id):
        # Every source of the level (a level can mix them), illustrative ones in the reader's language.
        credit = "; ".join(t("illustrative_source", lang) if boundary.get("illustrative")
                           else f"{boundary['name']} ({maps.licence_name(boundary['licence'])})"
                           for boundary in db.get_boundary_sources(release_id, level)) or "–"
        text, button = st.columns([3, 2])
        text.markdown(f"**{components.level_label(level, lang)}** — {credit}")
        download(button, f"batas-{level}.geojson", opendata.layer_path(level),
                 opendata.file_name(release_id, f"batas-{level}", "geojson"), f"geo_{level}")

st.subheader(t("dictionary_title", lang))
opendata.render_dictionary(opendata.offered_dictionary(db.get_dictionary(release_id), tables), lang, narrow)

st.subheader(t("methodology_title", lang))
st.markdown(t("methodology", lang, threshold=ctx.release.threshold, below=ctx.release.threshold - 1))

st.subheader(t("history_title", lang))
kept = tuple(db.kept_release_ids())
manifests = db.get_manifests(db.get_release().release_id, kept)
history = opendata.build_history([db.get_release_row(k) for k in kept], manifests, lang)
if history.empty:
    # A release opened from its database alone keeps no history (an empty table read "empty", in English).
    st.caption(t("no_manifest", lang))
else:
    components.render_table(history, t("col_item", lang), narrow)  # plain: the changelog wraps; stacked on a phone
if kept:
    st.caption(t("manifest_digests", lang))
    st.code(opendata.manifest_digests(list(kept), manifests), language=None, wrap_lines=True)
for release in kept:
    st.page_link("app_pages/open_data.py", label=t("open_release", lang, release=release),
                 query_params={"release": release, "lang": lang})

st.subheader(t("chain_title", lang))
st.write(t("chain_text", lang))
key = opendata.publisher_key(release_id)
st.markdown(t("publisher_key", lang, fingerprint=key.fingerprint) if key else t("unsigned", lang))
if opendata.package_file(release_id, opendata.zip_path(release_id)) is not None:
    # Commands for the zip the page offers; without it (no_package above) they would check a file nobody can get.
    st.code(opendata.verify_commands(release_id, signed=key is not None), language="bash", wrap_lines=True)
files = [p for p in opendata.verification_files(release_id) if opendata.package_file(release_id, p)]
for column, path in zip(st.columns(max(len(files), 1)), files, strict=False):
    download(column, path, path, path, f"v_{path}")
if kept and st.button(t("verify_now", lang), key="verify_now"):
    verdict = opendata.verify_kept([f for k in kept if (f := db.release_folder(k)) is not None])
    (st.success if verdict.intact else st.error)(opendata.verdict_text(verdict, lang))
components.render_share(ctx, "data", None, t("open_data_title", lang))
