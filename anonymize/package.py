"""The open-data package of a release, written by `publish` into the release folder before its manifest: every
published table as CSV (`,` and the `;` flavour) and Parquet, map layers as RFC 7946 GeoJSON, `datapackage.json`,
README and citation, `SHA256SUMS` and one zip. It reads only the staged release database (aggregates), never raw data.

Layout inside `releases/<id>/` (stable paths a portal can harvest):

    bansos.duckdb  datapackage.json  README.md  CITATION.cff  LICENSE-boundaries.txt  publisher.pub (when signed)
    csv/<table>.csv        RFC 4180, UTF-8, `,` and `.`
    csv-id/<table>.csv     `;` and `,` decimal mark, UTF-8 with BOM (Indonesian Excel)
    parquet/<table>.parquet
    geojson/boundaries_<level>.geojson
    SHA256SUMS             every file above (`sha256sum -c SHA256SUMS`)
    bansos-terbuka-<id>.zip  all of the above under one folder
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import duckdb
import numpy as np
import pandas as pd

import openformat
import signing
from anonymize import package_meta
from provenance import sha256_file
from published_schema import GEO_TABLES

DB_NAME = "bansos.duckdb"
SUMS_NAME = "SHA256SUMS"
_MONTH = re.compile(r"^\d{4}-\d{2}$")


@dataclass(frozen=True)
class Package:
    files: list[str]  # paths relative to the release folder
    bytes: int
    zip_name: str


def write_package(folder: Path, public_key: str | None = None) -> Package:
    """Write every open-data file of the release database in `folder`; return what was written."""
    con = duckdb.connect(str(folder / DB_NAME), read_only=True)
    try:
        release = con.execute("SELECT release_id, data_through FROM release").fetchall()[0]
        release_id, through = str(release[0]), str(release[1])
        if not _MONTH.match(through):
            raise ValueError(f"release {release_id} has an unexpected data_through {through!r}")
        tables = [t for (t,) in con.execute("SELECT table_name FROM information_schema.tables WHERE "
                                            "table_schema = 'main' ORDER BY table_name").fetchall()
                  if t not in GEO_TABLES]
        resources = [_write_table(con, folder, table, release_id, through) for table in tables]
        resources += _write_layers(con, folder, release_id)
        dictionary = con.execute("SELECT * FROM data_dictionary").df()
        release_row = con.execute("SELECT * FROM release").df().iloc[0].to_dict()
        sources = con.execute("SELECT * FROM boundary_sources").df() if "boundary_sources" in tables else None
    finally:
        con.close()
    texts = package_meta.texts(folder, release_row, resources, dictionary, sources, public_key)
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    (folder / SUMS_NAME).write_text("".join(f"{sha256_file(folder / f)}  {f}\n" for f in files), encoding="utf-8")
    files.append(SUMS_NAME)
    zip_name = f"{openformat.PROJECT}-{release_id}.zip"
    _write_zip(folder, files, zip_name, release_id)
    files.append(zip_name)
    return Package(files, sum((folder / f).stat().st_size for f in files), zip_name)


# --- Tables --------------------------------------------------------------------------------------------------------

def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return con.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
                       "ORDER BY ordinal_position", [table]).fetchall()


def _whole(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    # `table` and `column` come from the database's own catalogue.
    return bool(con.execute(f'SELECT coalesce(bool_and("{column}" = round("{column}")), true) '  # noqa: S608
                            f'FROM "{table}"').fetchall()[0][0])


def column_kinds(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    """(column, Table Schema type) as the files hold them: whole-valued DOUBLE columns become integers."""
    kinds = []
    for column, data_type in _columns(con, table):
        upper = data_type.upper()
        if upper in ("DOUBLE", "FLOAT", "REAL") or upper.startswith("DECIMAL"):
            kind = "integer" if _whole(con, table, column) else "number"
        elif "INT" in upper:
            kind = "integer"
        elif upper == "BOOLEAN":
            kind = "boolean"
        elif upper.startswith("TIMESTAMP"):
            kind = "datetime"
        else:
            kind = "string"
        kinds.append((column, kind))
    return kinds


def select_sql(table: str, kinds: list[tuple[str, str]], through: str, decimal: str = ".") -> str:
    """The SELECT that gives a table's file form (see `openformat`): region codes under `ID`, periods as ISO
    8601, whole numbers as integers, decimals with `decimal`. `through` was checked to be YYYY-MM."""
    expressions = []
    for column, kind in kinds:
        ref = f'"{column}"'
        if openformat.is_region_code_column(table, column):
            expr = f"CASE WHEN {ref} IS NULL OR {ref} = '{openformat.NATIONAL}' THEN {ref} ELSE 'ID.' || {ref} END"
        elif column == "period":
            year = f"left({ref}, 4)"
            expr = (f"CASE WHEN regexp_full_match({ref}, '\\d{{4}}') THEN {ref} || '-01/' || CASE WHEN "
                    f"{ref} = '{through[:4]}' THEN '{through}' ELSE {ref} || '-12' END "
                    f"WHEN regexp_full_match({ref}, '\\d{{4}}@\\d{{2}}') THEN {year} || '-01/' || {year} || '-' || "
                    f"right({ref}, 2) "
                    # The late records of an earlier release's year to date (anonymize.revisions): its span, marked.
                    f"WHEN regexp_full_match({ref}, '\\d{{4}}\\+\\d{{2}}') THEN {year} || '-01/' || {year} || '-' "
                    f"|| right({ref}, 2) || '+' || right({ref}, 2) ELSE {ref} END")
        elif table == "release" and column == "provinces":
            expr = f"array_to_string(list_transform(string_split({ref}, ','), lambda x: 'ID.' || x), ',')"
        elif kind == "integer":
            expr = f"CAST({ref} AS BIGINT)"
        elif kind == "number" and decimal != ".":
            expr = f"replace(CAST({ref} AS VARCHAR), '.', '{decimal}')"
        elif kind == "string":
            # A column of NULLs only has DuckDB's type "NULL"; an empty text is missing, as every CSV reader sees it.
            expr = f"NULLIF(CAST({ref} AS VARCHAR), '')"
        else:
            expr = ref
        expressions.append(f"{expr} AS {ref}")
    return f"SELECT {', '.join(expressions)} FROM \"{table}\""  # noqa: S608 (catalogue names, checked literals)


def _write_table(con: duckdb.DuckDBPyConnection, folder: Path, table: str, release_id: str, through: str) -> dict:
    kinds = column_kinds(con, table)
    csv = {"header": True, "new_line": "\r\n", "timestampformat": "%Y-%m-%dT%H:%M:%SZ"}
    targets = {}
    for fmt, (sep, decimal, subfolder) in openformat.CSV_FLAVOURS.items():
        path = folder / subfolder / f"{table}.csv"
        path.parent.mkdir(exist_ok=True)
        con.execute(f"COPY ({select_sql(table, kinds, through, decimal)}) TO {_literal(path)} "
                    f"({_options({**csv, 'delimiter': sep})})")
        targets[fmt] = path
    _prepend_bom(targets["csv_id"])  # Excel reads `;` files as UTF-8 only with a BOM
    parquet = folder / "parquet" / f"{table}.parquet"
    parquet.parent.mkdir(exist_ok=True)
    metadata = {"source": openformat.source_line(release_id), "license": openformat.LICENCE["name"],
                "release_id": release_id}
    kv = ", ".join(f"{key}: {_literal(value)}" for key, value in metadata.items())
    con.execute(f"COPY ({select_sql(table, kinds, through)}) TO {_literal(parquet)} (FORMAT parquet, "
                f"COMPRESSION zstd, KV_METADATA {{{kv}}})")
    return {"table": table, "kinds": kinds, "csv": targets["csv"].relative_to(folder).as_posix(),
            "csv_id": targets["csv_id"].relative_to(folder).as_posix(),
            "parquet": parquet.relative_to(folder).as_posix()}


def _literal(value: object) -> str:
    """A SQL string literal (COPY takes no parameters for its target and options)."""
    return "'" + str(value).replace("'", "''") + "'"


def _options(options: dict[str, object]) -> str:
    return ", ".join(f"{key} {str(value).lower() if isinstance(value, bool) else _literal(value)}"
                     for key, value in options.items())


def _prepend_bom(path: Path) -> None:
    staged = path.with_suffix(".tmp")
    with path.open("rb") as source, staged.open("wb") as target:
        target.write(b"\xef\xbb\xbf")
        shutil.copyfileobj(source, target, 1 << 20)
    staged.replace(path)


# --- Map layers ------------------------------------------------------------------------------------------------------

def _write_layers(con: duckdb.DuckDBPyConnection, folder: Path, release_id: str) -> list[dict]:
    if not {"boundaries", "boundary_sources", "regions"} <= {t for (t,) in con.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()}:
        return []
    levels = [level for (level,) in con.execute("SELECT DISTINCT level FROM boundaries ORDER BY level").fetchall()]
    # Each region's own source (a level can mix a user's layers, the shipped pack and illustrative shapes);
    # releases made before `boundary_centroids.source` existed name none per region.
    per_region = "source" in {c for (c,) in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'boundary_centroids'").fetchall()}
    source_join = ("LEFT JOIN boundary_centroids c ON c.level = b.level AND c.code = b.code "
                   "LEFT JOIN boundary_sources s ON s.level = c.level AND s.kind = c.source " if per_region else "")
    resources = []
    for level in levels:
        found = con.execute("SELECT name, licence, attribution_en FROM boundary_sources WHERE level = ? "
                            "ORDER BY illustrative, kind", [level]).df()
        source = _sources_of_level(found)
        path = folder / "geojson" / f"boundaries_{level}.geojson"
        path.parent.mkdir(exist_ok=True)
        cursor = con.cursor()
        try:
            cursor.execute(f"SELECT b.code, r.name, r.kind, r.parent_code, b.polygon, "  # noqa: S608 (constant SQL)
                           f"{'s.name' if per_region else 'NULL'} FROM boundaries b JOIN regions r "
                           f"ON r.code = b.code AND r.level = b.level {source_join}"
                           "WHERE b.level = ? ORDER BY b.code, b.part", [level])
            with path.open("w", encoding="utf-8") as handle:
                write_geojson(handle, _batches(cursor), level, source, release_id)
        finally:
            cursor.close()
        resources.append({"layer": level, "geojson": path.relative_to(folder).as_posix(), "source": source})
    return resources


def _sources_of_level(found: pd.DataFrame) -> dict[str, str]:
    """Every source of a level in one record (name, licence and attribution of each, distinct, joined by "; ";
    real sources before illustrative shapes)."""
    return {column: "; ".join(dict.fromkeys(str(v) for v in found[column] if v is not None and str(v)))
            for column in ("name", "licence", "attribution_en")} if len(found) else {}


def _batches(cursor: duckdb.DuckDBPyConnection, size: int = 10_000) -> Iterator[tuple]:
    """Rows a batch at a time: a national desa layer is hundreds of megabytes of polygon text."""
    while rows := cursor.fetchmany(size):
        yield from rows


def _ccw(ring: list[list[float]]) -> bool:
    """Whether a closed ring runs counter-clockwise (positive shoelace area, lon/lat as x/y)."""
    xy = np.asarray(ring, dtype=float)
    return float(np.dot(xy[:-1, 0], xy[1:, 1]) - np.dot(xy[1:, 0], xy[:-1, 1])) > 0


def oriented_part(polygon: str) -> str:
    """A part (`[[[lng, lat], ...], [hole], ...]` text) with its exterior ring counter-clockwise and holes clockwise
    (RFC 7946 §3.1.6), as GeoJSON coordinate text. Rings are only reversed, never re-parsed through geometry code,
    so coordinates keep the release's own decimals (4-5, about 1-10 m)."""
    rings = json.loads(polygon)
    for index, ring in enumerate(rings):
        if len(ring) >= 4 and _ccw(ring) != (index == 0):
            ring.reverse()
    return json.dumps(rings, separators=(",", ":"))


def write_geojson(handle: TextIO, rows: Iterable[tuple], level: str, source: dict, release_id: str) -> None:
    """A FeatureCollection of one MultiPolygon per region (codes in the files' form), with the source line as a
    foreign member (RFC 7946 §6.1), written as it streams by. `rows` are (code, name, kind, parent_code, polygon)
    ordered by code and part, optionally followed by the region's boundary source (its name)."""
    head = {"type": "FeatureCollection", "name": f"{openformat.PROJECT}-{level}",
            "source": openformat.source_line(release_id), "boundary_source": source.get("name"),
            "boundary_licence": source.get("licence"), "attribution": source.get("attribution_en")}
    handle.write(json.dumps(head, ensure_ascii=False)[:-1] + ',"features":[')
    for index, (code, group) in enumerate(itertools.groupby(rows, key=lambda row: row[0])):
        parts = list(group)
        _, name, kind, parent, _, *own = parts[0]
        fields = {"code": openformat.public_code(code), "name": name, "kind": kind, "level": level,
                  "parent_code": openformat.public_code(parent)}
        if own and own[0]:
            fields["boundary_source"] = own[0]
        properties = json.dumps(fields, ensure_ascii=False)
        polygons = ",".join(oriented_part(part[4]) for part in parts)
        handle.write(f'{"," if index else ""}{{"type":"Feature","properties":{properties},'
                     f'"geometry":{{"type":"MultiPolygon","coordinates":[{polygons}]}}}}')
    handle.write("]}")


# --- The zip ---------------------------------------------------------------------------------------------------------

def _write_zip(folder: Path, files: list[str], zip_name: str, release_id: str) -> None:
    """Every file under one folder named after the release; the source line as the zip comment. Deflate at level 1
    (about twice as fast as the default 6 for 14% more bytes on the demo); Parquet is stored, it is compressed."""
    root = f"{openformat.PROJECT}-{release_id}"
    with zipfile.ZipFile(folder / zip_name, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.comment = openformat.source_line(release_id).encode("utf-8")
        for name in files:
            stored = zipfile.ZIP_STORED if name.endswith(".parquet") else None
            archive.write(folder / name, f"{root}/{name}", compress_type=stored)


# --- Signatures ------------------------------------------------------------------------------------------------------

def sign_release(folder: Path, key: Path, release_id: str, zip_name: str) -> str:
    """Sign the manifest (it chains every file and the earlier releases), `SHA256SUMS` and the zip, each with a
    minisign signature beside it; return the key id."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for name in ("manifest.json", SUMS_NAME, zip_name):
        signing.sign_file(folder / name, key, f"{openformat.PROJECT} release {release_id} file:{name} signed:{stamp}")
    return signing.key_id_text(signing.read_secret_key(key)[0])
