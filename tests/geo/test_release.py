from __future__ import annotations

import json
from pathlib import Path

import duckdb
import geopandas as gpd
import pytest
import shapely

from geo.build import BuildOptions, build
from geo.levels import registry_codes
from geo.payload import ATTRIBUTE_BYTES
from geo.regions import load_regions
from geo.release import write_boundaries

SCHEMA = {
    "boundaries": [("level", "VARCHAR"), ("code", "VARCHAR"), ("part", "SMALLINT"), ("polygon", "VARCHAR")],
    "boundaries_detail": [("level", "VARCHAR"), ("code", "VARCHAR"), ("part", "SMALLINT"), ("polygon", "VARCHAR")],
    "boundary_centroids": [("level", "VARCHAR"), ("code", "VARCHAR"), ("lon", "DOUBLE"), ("lat", "DOUBLE"),
                           ("min_lon", "DOUBLE"), ("min_lat", "DOUBLE"), ("max_lon", "DOUBLE"), ("max_lat", "DOUBLE"),
                           ("source", "VARCHAR")],
    "boundary_sources": [("level", "VARCHAR"), ("kind", "VARCHAR"), ("name", "VARCHAR"), ("licence", "VARCHAR"),
                         ("attribution_id", "VARCHAR"), ("attribution_en", "VARCHAR"), ("illustrative", "BOOLEAN"),
                         ("built_at", "TIMESTAMP"), ("regions", "INTEGER"), ("regions_without_shape", "INTEGER")],
}


def codes_under(*prefixes: str) -> list[str]:
    """Registry codes of these regions and everything below them, plus the national root (all levels)."""
    codes = load_regions()["code"]
    return ["ID", *[c for c in codes if any(c == p or c.startswith(p + ".") for p in prefixes)]]


@pytest.fixture(scope="module")
def bandung_release(bandung_geo_dir: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    write_boundaries(con, ["32", *codes_under("32.04")], bandung_geo_dir, pack=None)  # test_pack.py covers the pack
    return con


def test_tables_have_the_documented_columns(bandung_release: duckdb.DuckDBPyConnection) -> None:
    for table, columns in SCHEMA.items():
        described = bandung_release.execute(f"DESCRIBE {table}").fetchall()
        assert [(row[0], row[1]) for row in described] == columns, table


def test_a_kabupaten_desa_map_fits_one_megabyte(bandung_release: duckdb.DuckDBPyConnection) -> None:
    regions, size = bandung_release.execute(
        "SELECT count(DISTINCT code), sum(length(polygon) + ?) FROM boundaries "
        "WHERE level = 'desa' AND code LIKE '32.04.%'", [ATTRIBUTE_BYTES]).fetchone()
    assert regions == 280
    assert size <= 1_000_000


def test_polygons_are_lng_lat_json_rings(bandung_release: duckdb.DuckDBPyConnection) -> None:
    rows = bandung_release.execute("SELECT level, code, part, polygon FROM boundaries_detail").fetchall()
    assert len({code for _, code, _, _ in rows}) == 31
    for level, code, part, polygon in rows:
        rings = json.loads(polygon)
        lng, lat = rings[0][0]
        assert level == "kecamatan" and code.startswith("32.04.") and part >= 0
        assert 107 < lng < 108 and -7.5 < lat < -6.5
        assert rings[0][0] == rings[0][-1]
        assert all(len(str(value).split(".")[-1]) <= 5 for value in (lng, lat))


def test_real_and_illustrative_sources_are_told_apart(bandung_release: duckdb.DuckDBPyConnection) -> None:
    sources = {(row[0], row[1]): row for row in bandung_release.execute(
        "SELECT level, kind, illustrative, attribution_id, attribution_en, regions, regions_without_shape, licence "
        "FROM boundary_sources").fetchall()}
    assert set(sources) == {("provinsi", "illustrative"), ("kabupaten", "user"), ("kecamatan", "user"),
                            ("desa", "user")}
    _, _, illustrative, text_id, text_en, regions, _, _ = sources[("provinsi", "illustrative")]
    assert illustrative and regions == 1
    assert "batas wilayah ilustratif" in text_id and "illustrative boundaries" in text_en
    # Readers of a map are not given developer commands; the operator reads them in the publisher's output.
    assert "python -m" not in text_id + text_en and "`" not in text_id + text_en
    assert sources[("desa", "user")][5:7] == (280, 0)
    assert "Licence not stated" in sources[("desa", "user")][7]


def test_centroids_are_label_points_inside_each_region(bandung_release: duckdb.DuckDBPyConnection) -> None:
    rows = bandung_release.execute("SELECT level, code, lon, lat, min_lon, min_lat, max_lon, max_lat "
                                   "FROM boundary_centroids").fetchall()
    assert len(rows) == 1 + 1 + 31 + 280
    polygons = dict(bandung_release.execute(
        "SELECT code, list(polygon ORDER BY part) FROM boundaries GROUP BY code").fetchall())
    for _, code, lon, lat, min_lon, min_lat, max_lon, max_lat in rows:
        assert min_lon <= lon <= max_lon and min_lat <= lat <= max_lat
        shape = shapely.MultiPolygon([shapely.Polygon(r[0], r[1:]) for r in map(json.loads, polygons[code])])
        assert shape.buffer(1e-4).contains(shapely.Point(lon, lat)), code


def shapes_of(con: duckdb.DuckDBPyConnection, table: str, pattern: str) -> list[shapely.Geometry]:
    """The region shapes of a table whose code matches a LIKE pattern, rebuilt from the polygon JSON."""
    rows = con.execute(f"SELECT code, list(polygon ORDER BY part) FROM {table} WHERE code LIKE ? "
                       "GROUP BY code ORDER BY code", [pattern]).fetchall()
    return [shapely.MultiPolygon([shapely.Polygon(r[0], r[1:]) for r in map(json.loads, parts)]) for _, parts in rows]


def test_without_layers_or_pack_the_demo_release_is_illustrative_and_nested(tmp_path: Path) -> None:
    con = duckdb.connect()
    report = write_boundaries(con, codes_under("34", "53"), tmp_path / "no-layers", pack=None)
    assert report.regions == {"provinsi": 2, "kabupaten": 27, "kecamatan": 393, "desa": 3880}
    assert report.illustrative == report.regions
    assert con.execute("SELECT bool_and(illustrative), count(*) FROM boundary_sources").fetchone() == (True, 4)
    assert report.map_bytes["desa"] <= 1_000_000
    [kecamatan] = shapes_of(con, "boundaries_detail", "34.01.01")
    desa = shapes_of(con, "boundaries", "34.01.01.%")
    assert len(desa) == len([c for c in registry_codes("desa", ("34",)) if c.startswith("34.01.01.")])
    union = shapely.union_all(desa)
    # Exact before rounding; rounding to 5 decimals moves each vertex by at most half a step (about half a metre),
    # so children and parent differ by no more than a strip that wide along the parent's outline.
    assert shapely.symmetric_difference(union, kecamatan).area < 0.5e-5 * kecamatan.length


def test_built_illustrative_layers_and_those_made_while_publishing_agree(demo_geo_dir: Path, tmp_path: Path) -> None:
    codes = codes_under("34.01")
    built, made = duckdb.connect(), duckdb.connect()
    write_boundaries(built, codes, demo_geo_dir)
    write_boundaries(made, codes, tmp_path / "no-layers", pack=None)
    for table, pattern in (("boundaries", "34.01%"), ("boundaries_detail", "34.01%")):
        first, second = shapes_of(built, table, pattern), shapes_of(made, table, pattern)
        assert len(first) == len(second) > 0
        # The same shapes, to one (diagonal) step of the coarsest grid: the build rounds kecamatan twice,
        # to 5 then 4 decimals, which can put a vertex one step away from rounding once to 4.
        assert max(shapely.hausdorff_distance(first, second)) <= 2**0.5 * 1e-4 + 1e-12


def test_missing_shapes_are_counted_on_the_source_that_lacks_them(tmp_path: Path, shared_geo: Path) -> None:
    desa = gpd.read_parquet(shared_geo / "desa" / "desa_13.parquet")
    source = tmp_path / "desa_13_06.parquet"
    desa[desa["kode"].str.startswith("13.06.")].to_parquet(source)
    build(tmp_path / "geo", BuildOptions(sources=(source,)))
    con = duckdb.connect()
    report = write_boundaries(con, [*codes_under("13.06"), "99.99"], tmp_path / "geo")
    assert len(report.without_shape["desa"]) == 10
    assert report.unknown_codes == ["99.99"]
    row = con.execute("SELECT kind, regions, regions_without_shape FROM boundary_sources "
                      "WHERE level = 'desa'").fetchall()
    assert row == [("user", 82, 10)]
    assert con.execute("SELECT count(DISTINCT code) FROM boundaries WHERE level = 'desa'").fetchone()[0] == 82
