"""Open-data files of a release: CSV, Parquet and GeoJSON with their source line, the Frictionless data package,
the bulk zip, release history and the hash chain. Pure builders (frames and dicts in, bytes out) plus the one
function that gathers a whole release's files."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import streamlit as st

import provenance
from dashboard import db, i18n

PROJECT = "bansos-terbuka"
LICENCE = {"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0 International",
           "path": "https://creativecommons.org/licenses/by/4.0/"}
#: CSV flavours: (field separator, decimal mark). Indonesian Excel splits on `;` and writes decimals with `,`.
CSV_FORMATS = {"csv": (",", "."), "csv_id": (";", ",")}
FORMATS = ("csv", "csv_id", "parquet")
#: DuckDB column types as Frictionless Table Schema field types.
_TYPES = (("BOOL", "boolean"), ("INT", "integer"), ("DOUBLE", "number"), ("FLOAT", "number"),
          ("DECIMAL", "number"), ("TIMESTAMP", "datetime"), ("DATE", "date"))
#: Dictionary units as short Frictionless-style unit names.
_UNITS = {"Rupiah": "Rupiah", "keluarga / households": "households", "transaksi / payments": "payments",
          "pengaduan / complaints": "complaints", "pengajuan / submissions": "submissions"}


def source_line(release_id: str) -> str:
    """The citation every file carries."""
    return f"Sumber: {PROJECT}, rilis {release_id}, CC BY 4.0"


def file_name(release_id: str, stem: str, extension: str) -> str:
    return f"{PROJECT}-{release_id}-{stem}.{extension}"


def csv_bytes(frame: pd.DataFrame, release_id: str, fmt: str = "csv") -> bytes:
    """UTF-8 with a BOM (Excel then reads the encoding right), the source line first as a `#` comment."""
    sep, decimal = CSV_FORMATS[fmt]
    body = frame.to_csv(index=False, sep=sep, decimal=decimal, lineterminator="\r\n")
    return f"# {source_line(release_id)}\r\n{body}".encode("utf-8-sig")


def read_csv(data: bytes, fmt: str = "csv") -> pd.DataFrame:
    """Read back what `csv_bytes` wrote (tests, and a reader's own check)."""
    sep, decimal = CSV_FORMATS[fmt]
    return pd.read_csv(io.BytesIO(data), sep=sep, decimal=decimal, comment="#", encoding="utf-8-sig",
                       keep_default_na=False, na_values=[""])


def parquet_bytes(frame: pd.DataFrame, release_id: str) -> bytes:
    """Parquet with the source line, licence and release id in the file's key-value metadata."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    metadata = {**(table.schema.metadata or {}), b"source": source_line(release_id).encode(),
                b"license": LICENCE["name"].encode(), b"release_id": release_id.encode()}
    buffer = io.BytesIO()
    pq.write_table(table.replace_schema_metadata(metadata), buffer)
    return buffer.getvalue()


def table_bytes(frame: pd.DataFrame, release_id: str, fmt: str) -> bytes:
    return parquet_bytes(frame, release_id) if fmt == "parquet" else csv_bytes(frame, release_id, fmt)


def extension(fmt: str) -> str:
    return "parquet" if fmt == "parquet" else "csv"


def geojson_bytes(layer: pd.DataFrame, level: str, source: dict | None, release_id: str) -> bytes:
    """One MultiPolygon feature per region from the release's polygon parts (`[[[lng, lat], ...], [hole]]` text)."""
    features = []
    for code, parts in layer.groupby("code", sort=True):
        first = parts.iloc[0]
        polygons = ",".join(parts["polygon"])
        properties = json.dumps({"code": code, "name": first["name"], "kind": first["kind"], "level": level,
                                 "parent_code": first["parent_code"]}, ensure_ascii=False)
        features.append(f'{{"type":"Feature","properties":{properties},'
                        f'"geometry":{{"type":"MultiPolygon","coordinates":[{polygons}]}}}}')
    head = {"type": "FeatureCollection", "name": f"{PROJECT}-{level}", "source": source_line(release_id),
            "boundary_source": (source or {}).get("name"), "boundary_licence": (source or {}).get("licence"),
            "attribution": (source or {}).get("attribution_en")}
    text = json.dumps(head, ensure_ascii=False)[:-1] + ',"features":[' + ",".join(features) + "]}"
    return text.encode("utf-8")


def field_type(duckdb_type: str) -> str:
    upper = duckdb_type.upper()
    return next((kind for prefix, kind in _TYPES if prefix in upper), "string")


def build_schema(columns: pd.DataFrame, dictionary: pd.DataFrame) -> dict:
    """A Table Schema: each column's type, unit and description in both languages (from the data dictionary)."""
    notes = dictionary.set_index("column_name")
    fields = []
    for name, kind in zip(columns["column_name"], columns["data_type"], strict=True):
        field = {"name": name, "type": field_type(kind)}
        if name in notes.index:
            note = notes.loc[name]
            field.update(description=str(note["description_id"]), description_en=str(note["description_en"]))
            if note["unit"] in _UNITS:
                field["unit"] = _UNITS[note["unit"]]
        fields.append(field)
    return {"fields": fields, "missingValues": [""]}


def resource(name: str, path: str, data: bytes, **extra: object) -> dict:
    """A data package resource with the file's size and SHA-256 (checked by `python -m anonymize verify`)."""
    return {"name": re.sub(r"[^a-z0-9._-]", "-", name.lower()), "path": path, "bytes": len(data),
            "hash": "sha256:" + hashlib.sha256(data).hexdigest(), **extra}


def build_datapackage(release: dict, manifest: dict | None, resources: list[dict],
                      boundary_sources: pd.DataFrame) -> dict:
    """A Frictionless Data Package (v1) that CKAN portals (Satu Data Indonesia) ingest as it is."""
    release_id = str(release["release_id"])
    sources = [{"title": source_line(release_id), "path": f"{PROJECT}/releases/{release_id}"}]
    for row in boundary_sources.drop_duplicates("name").to_dict("records"):
        sources.append({"title": f"{row['name']} — {row['licence']}", "description": row["attribution_en"]})
    return {
        "profile": "data-package", "name": f"{PROJECT}-{release_id.lower()}", "id": f"{PROJECT}/{release_id}",
        "title": f"Bansos Terbuka — rilis {release_id}",
        "description": ("Agregat penyaluran bantuan sosial (PKH, Sembako, BLT Dana Desa) per wilayah; sel dengan "
                        f"kurang dari {release['threshold']} keluarga disembunyikan. / Social-assistance aggregates "
                        f"by region; cells with fewer than {release['threshold']} households are hidden."),
        "version": release_id, "created": str(release["created_at"]), "licenses": [LICENCE], "sources": sources,
        "keywords": ["bansos", "bantuan sosial", "PKH", "BPNT", "BLT Dana Desa", "social assistance", "Indonesia"],
        "bansos_terbuka": {
            "release_id": release_id, "data_year": int(release["data_year"]),
            "data_through": str(release["data_through"]), "threshold": int(release["threshold"]),
            "previous_release_id": release.get("previous_release_id"), "source_line": source_line(release_id),
            "manifest_sha256": provenance.manifest_digest(manifest) if manifest else None,
            "previous_manifest_sha256": (manifest or {}).get("previous_manifest_sha256")},
        "resources": resources,
    }


def csv_resource(name: str, data: bytes, schema: dict, description: str) -> dict:
    return resource(name, f"data/{name}.csv", data, format="csv", mediatype="text/csv", encoding="utf-8-sig",
                    dialect={"delimiter": ",", "commentChar": "#", "header": True}, description=description,
                    schema=schema, licenses=[LICENCE])


def geo_resource(level: str, data: bytes, source: dict | None) -> dict:
    """A boundary layer keeps its own licence (MIT for the upstream boundaries): the notice travels beside it."""
    text = str((source or {}).get("licence", ""))
    licence = ({"name": "MIT", "path": "https://opensource.org/licenses/MIT", "title": text.splitlines()[0]}
               if "MIT" in text else {"name": "other", "title": text})
    return resource(f"boundaries_{level}", f"data/boundaries_{level}.geojson", data, format="geojson",
                    mediatype="application/geo+json", licenses=[licence], notice="data/LICENSE-boundaries.txt",
                    description=str((source or {}).get("attribution_en", "")))


def boundary_notice(sources: pd.DataFrame) -> bytes:
    """Each boundary source's name, attribution and full licence text (the MIT notice must travel with copies)."""
    parts = [f"{row['name']}\n{row['attribution_en']}\n\n{row['licence']}\n"
             for row in sources.drop_duplicates("name").to_dict("records")]
    return "\n\n".join(parts).encode("utf-8")


def readme(release_id: str, manifest_sha: str | None) -> bytes:
    lines = [source_line(release_id), "",
             "release/         the published database and its manifest (SHA-256 of every file)",
             "release/chain/   manifests of the earlier kept releases (the hash chain)",
             "data/            every table as CSV (UTF-8 with BOM, ',' separated, '#' source line) and map layers",
             "datapackage.json Frictionless Data Package: schema, units, licences, sources, file hashes", "",
             f"Manifest SHA-256 of this release: {manifest_sha or '-'}",
             "Verify (with the bansos-terbuka code): python -m anonymize verify THIS.zip", ""]
    return "\n".join(lines).encode("utf-8")


def zip_bytes(files: dict[str, bytes], release_id: str) -> bytes:
    """A zip of `files` (path inside the zip -> content) under one folder named after the release."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.comment = source_line(release_id).encode("utf-8")
        for path, data in files.items():
            archive.writestr(f"{PROJECT}-{release_id}/{path}", data)
    return buffer.getvalue()


# --- Gathering a release (reads through db.py only) ------------------------------------------------------------

def get_package_files(release_id: str) -> dict[str, bytes]:
    """Every derived file of a release and its `datapackage.json` (path in the package -> bytes)."""
    return _package_files(release_id)


@st.cache_data(max_entries=2, show_spinner=False)
def _package_files(release_id: str) -> dict[str, bytes]:
    columns, dictionary = db.get_table_columns(release_id), db.get_dictionary(release_id)
    files, resources = {}, []
    for name in db.get_table_names(release_id):
        data = csv_bytes(db.get_table(release_id, name), release_id)
        notes = dictionary[dictionary["table_name"] == name.removesuffix("_earlier")]
        described = notes[notes["column_name"].fillna("") == ""]["description_id"]
        schema = build_schema(columns[columns["table_name"] == name], notes[notes["column_name"].fillna("") != ""])
        files[f"data/{name}.csv"] = data
        resources.append(csv_resource(name, data, schema, described.iloc[0] if len(described) else ""))
    sources = db.get_table(release_id, "boundary_sources")
    for level in sources["level"]:
        source = db.get_boundary_source(release_id, level)
        data = geojson_bytes(db.get_boundary_layer(release_id, level), level, source, release_id)
        files[f"data/boundaries_{level}.geojson"] = data
        resources.append(geo_resource(level, data, source))
    files["data/LICENSE-boundaries.txt"] = boundary_notice(sources)
    manifest = _manifest(release_id)
    package = build_datapackage(db.get_release_row(release_id), manifest, resources, sources)
    files["datapackage.json"] = json.dumps(package, indent=2, ensure_ascii=False).encode("utf-8")
    files["README.txt"] = readme(release_id, package["bansos_terbuka"]["manifest_sha256"])
    return files


def _manifest(release_id: str) -> dict | None:
    folder = db.release_folder(release_id)
    return provenance.read_manifest(folder / provenance.MANIFEST_NAME) if folder else None


def get_release_zip(release_id: str) -> bytes:
    """The whole release: its database and manifest, earlier manifests (chain), derived files and data package."""
    files = dict(get_package_files(release_id))
    folder = db.release_folder(release_id)
    if folder is not None:
        for path in sorted(folder.iterdir()):
            if path.is_file():
                files[f"release/{path.name}"] = path.read_bytes()
        for older in db.kept_release_ids():
            older_folder = db.release_folder(older)
            if older < release_id and older_folder is not None:
                manifest = (older_folder / provenance.MANIFEST_NAME).read_bytes()
                files[f"release/chain/{older}.{provenance.MANIFEST_NAME}"] = manifest
    return zip_bytes(files, release_id)


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
    return sum(int(t.get("suppressed", 0)) for t in (release.get("tables") or {}).values())


def build_history(rows: list[dict], manifests: list[dict], lang: str) -> pd.DataFrame:
    """Kept releases, newest first: date, period covered, hidden cells, changelog, manifest hash and its link."""
    by_id = {str(r["release_id"]): r for r in rows}
    ordered = sorted(by_id, reverse=True)
    chained = sorted(manifests, key=lambda m: str(m.get("release_id")))
    chain_ok = {str(n.get("release_id")): not provenance.check_chain([o, n]) for o, n in itertools.pairwise(chained)}
    digests = {str(m.get("release_id")): provenance.manifest_digest(m) for m in manifests}
    records = []
    for index, release_id in enumerate(ordered):
        row = by_id[release_id]
        older = by_id.get(ordered[index + 1]) if index + 1 < len(ordered) else None
        link = chain_ok.get(release_id)
        records.append({
            i18n.t("col_release", lang): release_id,
            i18n.t("col_date", lang): i18n.format_date(str(row["created_at"]), lang),
            i18n.t("col_covers", lang): f"{row['data_year']}-01 – {row['data_through']}",
            i18n.t("col_hidden", lang): i18n.format_int(_hidden(row), lang),
            i18n.t("col_changelog", lang): changelog_line(older, row, lang),
            i18n.t("col_manifest", lang): digests.get(release_id, "–"),
            i18n.t("col_chain", lang): "–" if link is None else ("✓" if link else "✗"),
        })
    return pd.DataFrame(records)


def verify_kept(folders: list[Path]) -> provenance.Verdict:
    """Recompute every kept release's file hashes and the chain (what `python -m anonymize verify` does)."""
    return provenance.verify_releases(folders)


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


def build_dictionary_table(dictionary: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Every column of every table with its unit and description in the page's language."""
    columns = dictionary[dictionary["column_name"].fillna("") != ""]
    return pd.DataFrame({i18n.t("col_table", lang): columns["table_name"].to_numpy(),
                         i18n.t("col_column", lang): columns["column_name"].to_numpy(),
                         i18n.t("col_unit", lang): columns["unit"].fillna("").to_numpy(),
                         i18n.t("col_description", lang): columns[f"description_{lang}"].to_numpy()})
