"""Open-data files of a release as `publish` wrote them into its folder (CSV, Parquet, GeoJSON, the data package,
SHA256SUMS, the zip, signatures): which exist and their bytes, served as they are. Also release history, the hash
chain and the publisher key. Nothing here builds a data file."""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd
import streamlit as st

import openformat
import provenance
import signing
from dashboard import db, i18n

PROJECT = openformat.PROJECT
FORMATS = ("csv", "csv_id", "parquet")
#: Where each format lives inside a release folder (`anonymize.package`).
_FOLDERS = {"csv": ("csv", "csv"), "csv_id": ("csv-id", "csv"), "parquet": ("parquet", "parquet")}
#: What a table's download adds to its name per format: the two CSV flavours share an extension, and under one name a
#: reader who downloaded both kept only the last (the folder that tells them apart does not travel with a download).
_NAME_SUFFIXES = {"csv": "", "csv_id": "-excel", "parquet": ""}
#: The table the page names as its example of the download names (every release publishes it).
EXAMPLE_TABLE = "disbursement_cells"
SUMS_NAME = "SHA256SUMS"
PUBLIC_KEY_NAME = signing.PUBLIC_KEY_NAME
MIME = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet", "geojson": "application/geo+json",
        "zip": "application/zip", "json": "application/json", "minisig": "text/plain", "pub": "text/plain"}


def source_line(release_id: str) -> str:
    return openformat.source_line(release_id)


def citation(release_id: str) -> str:
    """The source line a download or an image carries; a synthetic release's says so (a shared image or CSV must
    never pass the demo's figures off as real disbursements)."""
    line = source_line(release_id)
    return f"{line} — {openformat.SYNTHETIC_MARK}" if db.get_release(release_id).synthetic else line


def file_name(release_id: str, stem: str, extension: str) -> str:
    return openformat.file_name(release_id, stem, extension)


def extension(fmt: str) -> str:
    return _FOLDERS[fmt][1]


def table_file_name(release_id: str, table: str, fmt: str) -> str:
    """The name a table downloads under: `bansos-terbuka-<release>-regions.csv`, `...-regions-excel.csv` (the `;`
    flavour), `...-regions.parquet`."""
    return file_name(release_id, f"{table}{_NAME_SUFFIXES[fmt]}", extension(fmt))


def button_file_name(table: str, fmt: str) -> str:
    """A table's file as its download button names it, without the release (`regions.csv`, `regions-excel.csv`,
    `regions.parquet`): short enough for the button, and the end of the name the file downloads under."""
    return f"{table}{_NAME_SUFFIXES[fmt]}.{extension(fmt)}"


def csv_names(release_id: str, table: str) -> dict[str, str]:
    """A table's two CSV names as the page states them: `comma` and `excel` (the `;` flavour)."""
    return {"comma": table_file_name(release_id, table, "csv"), "excel": table_file_name(release_id, table, "csv_id")}


def table_path(table: str, fmt: str) -> str:
    """A table's file inside the release folder, e.g. `csv-id/regions.csv`."""
    folder, ext = _FOLDERS[fmt]
    return f"{folder}/{table}.{ext}"


def layer_path(level: str) -> str:
    return f"geojson/boundaries_{level}.geojson"


def zip_path(release_id: str) -> str:
    return f"{PROJECT}-{release_id}.zip"


def mime(path: str) -> str:
    return "text/plain" if path == SUMS_NAME else MIME.get(path.rsplit(".", 1)[-1], "application/octet-stream")


def package_file(release_id: str, path: str) -> Path | None:
    """A file of the release's open-data package on disk, or None (a release published before packages existed, or
    a single database file opened without its folder). `path` is one of this module's fixed relative paths."""
    folder = db.release_folder(release_id)
    target = folder / path if folder is not None else None
    return target if target is not None and target.is_file() else None


def read_package_file(release_id: str, path: str) -> bytes:
    """The file's bytes as written and hashed at publish time (read when the download button is clicked)."""
    target = package_file(release_id, path)
    if target is None:
        raise FileNotFoundError(f"release {release_id} has no {path}")
    return target.read_bytes()


def layer_levels(release_id: str) -> list[str]:
    """Levels with a GeoJSON layer in the release folder, in the order of the map's levels."""
    return [level for level in db.LEVELS if package_file(release_id, layer_path(level)) is not None]


def publisher_key(release_id: str) -> signing.PublicKey | None:
    """The public key the release was signed with (`publisher.pub` in its folder), when it was signed."""
    folder = db.release_folder(release_id)
    if folder is None or not (folder / f"{provenance.MANIFEST_NAME}{signing.SIGNATURE_SUFFIX}").is_file():
        return None
    try:
        return signing.read_public_key(folder / PUBLIC_KEY_NAME)
    except signing.SigningError:
        return None


# --- Release history and the hash chain --------------------------------------------------------------------------

def changelog_line(older: dict | None, newer: dict, lang: str) -> str:
    """What changed from one release to the next, in one line (from their `release` rows)."""
    if older is None:
        return i18n.t("log_first", lang, through=i18n.format_period(str(newer["data_through"]), lang))
    cells = _hidden(newer)
    if str(older["data_through"]) != str(newer["data_through"]):
        return i18n.t("log_months", lang, old=i18n.format_period(str(older["data_through"]), lang),
                      new=i18n.format_period(str(newer["data_through"]), lang),
                      hidden=i18n.format_int(cells, lang), before=i18n.format_int(_hidden(older), lang))
    return i18n.t("log_same", lang, hidden=i18n.format_int(cells, lang),
                  before=i18n.format_int(_hidden(older), lang))


def _hidden(release: dict) -> int:
    """Hidden cells of the whole release, every published year's (its `years`); a release without `years` counts
    its latest year's (`tables`) only: the history and the changelog said so of neither."""
    years = [y.get("tables") or {} for y in (release.get("years") or {}).values()] or [release.get("tables") or {}]
    return sum(int(t.get("suppressed", 0)) for tables in years for t in tables.values())


def build_history(rows: list[dict], manifests: list[dict], lang: str) -> pd.DataFrame:
    """Kept releases, newest first: date, period covered, hidden cells, changelog and whether its manifest chains to
    the release before (the manifests' SHA-256 are `manifest_digests`: 64 characters no table column fits)."""
    by_id = {str(r["release_id"]): r for r in rows}
    ordered = sorted(by_id, reverse=True)
    chained = sorted(manifests, key=lambda m: str(m.get("release_id")))
    chain_ok = {str(n.get("release_id")): not provenance.check_chain([o, n]) for o, n in itertools.pairwise(chained)}
    records = []
    for index, release_id in enumerate(ordered):
        row = by_id[release_id]
        older = by_id.get(ordered[index + 1]) if index + 1 < len(ordered) else None
        link = chain_ok.get(release_id)
        records.append({
            i18n.t("col_release", lang): release_id,
            i18n.t("col_date", lang): i18n.format_date(str(row["created_at"]), lang),
            i18n.t("col_covers", lang): f"{_first_year(row)}-01 – {row['data_through']}",
            i18n.t("col_hidden_release", lang): i18n.format_int(_hidden(row), lang),
            i18n.t("col_changelog", lang): changelog_line(older, row, lang),
            i18n.t("col_chain", lang): "–" if link is None else ("✓" if link else "✗"),
        })
    return pd.DataFrame(records)


def manifest_digests(release_ids: list[str], manifests: list[dict]) -> str:
    """One line per kept release, newest first: its id and its manifest's SHA-256 ("–" without a manifest), for a
    code block that wraps on a phone and copies whole."""
    digests = {str(m.get("release_id")): provenance.manifest_digest(m) for m in manifests}
    return "\n".join(f"{release_id}  {digests.get(release_id, '–')}" for release_id in sorted(release_ids,
                                                                                             reverse=True))


def _first_year(row: dict) -> str:
    """The first year a release publishes (its `years`, decoded by queries.release_row; a release before several
    years: its data year)."""
    return min(row.get("years") or {}, default=str(row["data_year"]))


def verify_kept(folders: list[Path]) -> provenance.Verdict:
    """Every kept release's file hashes and the chain (what `python -m anonymize verify` does), recomputed only when
    a file's size or modification time changed since the last check: a click costs a directory listing."""
    stamp = tuple((path.as_posix(), stat.st_size, stat.st_mtime_ns) for folder in folders
                  for path in sorted(folder.rglob("*")) if (stat := path.stat()) and path.is_file())
    return _verify(tuple(str(f) for f in folders), stamp)


def verdict_text(verdict: provenance.Verdict, lang: str) -> str:
    """The verdict in the page's language (a problem's own text stays as the checker wrote it)."""
    if not verdict.intact:
        problem = verdict.problems[0] if verdict.problems else i18n.t("verify_no_manifest", lang)
        return i18n.t("verify_bad", lang, line=problem, more=max(len(verdict.problems) - 1, 0))
    head = verdict.release_ids[-1]
    before = (i18n.t("verify_before", lang, release=verdict.earliest_previous) if verdict.earliest_previous
              else "")
    return i18n.t("verify_ok", lang, release=head, files=i18n.format_int(verdict.files, lang),
                  bytes=i18n.format_int(verdict.bytes, lang), releases=len(verdict.release_ids),
                  chain=" → ".join(verdict.release_ids), before=before, digest=verdict.head_digest)


@st.cache_data(max_entries=4, show_spinner=False)
def _verify(folders: tuple[str, ...], stamp: tuple) -> provenance.Verdict:
    return provenance.verify_releases([Path(f) for f in folders])


# --- What the page lists ----------------------------------------------------------------------------------------

def _table_notes(dictionary: pd.DataFrame, lang: str) -> pd.Series:
    tables = dictionary[dictionary["column_name"].fillna("") == ""]
    return tables.set_index("table_name")[f"description_{lang}"]


def build_catalogue(names: list[str], dictionary: pd.DataFrame, columns: pd.DataFrame, lang: str) -> pd.DataFrame:
    """One row per downloadable table: its name and description (earlier releases' tables say what they hold)."""
    notes = _table_notes(dictionary, lang)
    rows = []
    for name in names:
        base = name.removesuffix("_earlier")
        text = str(notes.get(base, ""))
        if name != base:
            text = i18n.t("earlier_table", lang, table=base)
        count = int((columns["table_name"] == name).sum())
        rows.append({"table": name, "description": text, "columns": count})
    return pd.DataFrame(rows, columns=["table", "description", "columns"])


def unit_text(unit: object, lang: str) -> str:
    """A dictionary unit in the page's language: the dictionary writes most in both ("keluarga / households")."""
    text = "" if i18n.is_missing(unit) else str(unit)
    indonesian, pair, english = text.partition(" / ")
    if pair:
        return indonesian if lang == "id" else english
    return i18n.pick(i18n.UNITS.get(text, (text, text)), lang)


def build_dictionary_table(dictionary: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Every column of every table with its unit and description in the page's language."""
    columns = dictionary[dictionary["column_name"].fillna("") != ""]
    # The files' own forms too (`ID.53.10`, `2025-01/2025-12`): a new user read "YYYY" here and found otherwise in
    # the CSVs beside it.
    side = 0 if lang == "id" else 1
    notes = [f"{text if isinstance(text, str) else ''}{(openformat.file_note(table, column) or ('', ''))[side]}"
             for table, column, text in
             zip(columns["table_name"], columns["column_name"], columns[f"description_{lang}"], strict=True)]
    return pd.DataFrame({i18n.t("col_table", lang): columns["table_name"].to_numpy(),
                         i18n.t("col_column", lang): columns["column_name"].to_numpy(),
                         i18n.t("col_unit", lang): [unit_text(u, lang) for u in columns["unit"]],
                         i18n.t("col_description", lang): notes})


def offered_dictionary(dictionary: pd.DataFrame, offered: list[str]) -> pd.DataFrame:
    """The dictionary without the earlier releases' tables (`*_earlier`) that the page does not offer: a release
    offers them only when they hold rows, and a reader looked for the ones listed and found no download."""
    names = dictionary["table_name"].astype(str)
    return dictionary[~names.str.endswith("_earlier") | names.isin(offered)]


def dictionary_by_table(dictionary: pd.DataFrame, lang: str) -> list[tuple[str, pd.DataFrame]]:
    """Per table, in the dictionary's order: (its heading, its columns: name, unit and description)."""
    table = build_dictionary_table(dictionary, lang)
    by = i18n.t("col_table", lang)
    return [(i18n.t("dictionary_columns", lang, table=i18n.escape(str(name)), n=len(columns)),
             columns.drop(columns=by).reset_index(drop=True))
            for name, columns in table.groupby(by, sort=False)]


def build_dictionary_lists(dictionary: pd.DataFrame, lang: str) -> list[tuple[str, list[str]]]:
    """The dictionary for a phone, per table in its order: (the table's heading, one markdown line per column:
    its name, unit and description). Four columns of a table did not fit 390 px: only Tabel and Kolom showed."""
    out = []
    for heading, columns in dictionary_by_table(dictionary, lang):
        lines = []
        for column, unit, note in columns.itertuples(index=False):
            unit_part = f" ({i18n.escape(unit, limit=200)})" if unit else ""
            lines.append(f"- `{column}`{unit_part}: {i18n.escape(note, limit=2000)}")
        out.append((heading, lines))
    return out


def render_dictionary(dictionary: pd.DataFrame, lang: str, narrow: bool) -> None:
    """One expander per table, in the dictionary's order, the first open (on a phone too: closed there, it hid
    what every other width shows). Inside, a plain table of its columns (name, unit, description; descriptions
    wrap, where a data grid cut them at the column's edge), or on a phone a list (four columns did not fit 390 px:
    only Tabel and Kolom showed). All tables in one box of fixed height scrolled inside the page and cut a row at
    its bottom edge (1280 px)."""
    if narrow:
        for i, (heading, lines) in enumerate(build_dictionary_lists(dictionary, lang)):
            with st.expander(heading, expanded=i == 0):
                st.markdown("\n".join(lines))
        return
    for i, (heading, columns) in enumerate(dictionary_by_table(dictionary, lang)):
        with st.expander(heading, expanded=i == 0):
            st.table(columns, hide_index=True, border="horizontal")


# --- Verifying a download -------------------------------------------------------------------------------------------

def verification_files(release_id: str) -> list[str]:
    """Checksums, manifest, signatures and the public key, as the release folder holds them."""
    zip_name = zip_path(release_id)
    return [SUMS_NAME, f"{SUMS_NAME}{signing.SIGNATURE_SUFFIX}", f"{zip_name}{signing.SIGNATURE_SUFFIX}",
            provenance.MANIFEST_NAME, f"{provenance.MANIFEST_NAME}{signing.SIGNATURE_SUFFIX}", PUBLIC_KEY_NAME]


def verify_commands(release_id: str, signed: bool) -> str:
    """Shell lines that check a download with standard tools (minisign, sha256sum): what any reader has; the
    project's own `python -m anonymize verify` is for those who run the code (README)."""
    zip_name = zip_path(release_id)
    # `unzip` and `cd` on lines of their own: joined, the line wrapped inside the folder's name at 390 px.
    lines = [f"unzip {zip_name}", f"cd {PROJECT}-{release_id}", f"sha256sum -c {SUMS_NAME}"]
    if signed:
        lines = [f"minisign -Vm {zip_name} -p {PUBLIC_KEY_NAME}", *lines,
                 f"minisign -Vm {SUMS_NAME} -p {PUBLIC_KEY_NAME}"]
    return "\n".join(lines)
