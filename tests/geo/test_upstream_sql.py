from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from geo.upstream_sql import DumpError, iter_insert_rows, licence_notice, path_to_geometry, read_dump, tokenize

SAMPLE = """/*
MIT License
copyright (c) 2025 by someone
*/
DELETE FROM wilayah_boundaries WHERE kode LIKE '32.73.%' AND LENGTH(kode)=13;
-- a comment with a quote ' in it
INSERT INTO wilayah_boundaries(kode,nama,lat,lng,path) VALUES
\t('32.73.01.1001','Pasi Kuala Ba\\'U',-6.87,107.58,
\t  '[[[-6.0,107.0],[-6.0,108.0],[-7.0,108.0],[-6.0,107.0]]]'),
\t('32.73.01.1002','Kuta Buloh Ii; (test)',-6.8,107.5,
\t  '[[[[-6,107],[-6,108],[-7,108],[-6,107]]],[[[1,2],[1,3],[0,3],[1,2]]]]');
INSERT INTO `db`.`wilayah_boundaries` (`kode`,`nama`,`lat`,`lng`,`path`)
VALUES ('96.01.05.1012','It''s empty',NULL,NULL,'');
"""


def test_tokenizer_skips_comments_and_keeps_quoted_text_whole() -> None:
    texts = [token.text for token in tokenize("/* x; */ SELECT 'a;b''c' -- y\n, 1.5e3;")]
    assert texts == ["SELECT", "'a;b''c'", ",", "1.5e3", ";"]


def test_rows_are_read_with_escapes_and_other_statements_skipped() -> None:
    rows = list(iter_insert_rows(SAMPLE))
    assert [row["kode"] for row in rows] == ["32.73.01.1001", "32.73.01.1002", "96.01.05.1012"]
    assert rows[0]["nama"] == "Pasi Kuala Ba'U"
    assert rows[1]["nama"] == "Kuta Buloh Ii; (test)"
    assert rows[2]["nama"] == "It's empty"
    assert rows[2]["lat"] is None
    assert rows[0]["lat"] == pytest.approx(-6.87)


@pytest.mark.parametrize("text", [
    "INSERT INTO t(a,b) VALUES (1);",
    "INSERT INTO t(a) VALUES (1",
    "INSERT INTO t(a) VALUES (1) (2);",
    "INSERT t(a) VALUES (1);",
])
def test_malformed_dumps_raise_a_dump_error(text: str) -> None:
    with pytest.raises(DumpError):
        list(iter_insert_rows(text))


def test_path_is_swapped_from_lat_lng_to_lng_lat() -> None:
    polygon = path_to_geometry("[[[-6.0,107.0],[-6.0,108.0],[-7.0,108.0],[-6.0,107.0]]]")
    assert polygon.geom_type == "Polygon"
    assert shapely.get_coordinates(polygon)[0].tolist() == [107.0, -6.0]


def test_depth_four_is_a_multipolygon_and_an_empty_path_an_empty_shape() -> None:
    shapes = read_dump(SAMPLE)
    assert shapes.geometry.geom_type.tolist() == ["Polygon", "MultiPolygon", "Polygon"]
    assert shapes.geometry.iloc[2].is_empty
    assert len(shapes.geometry.iloc[1].geoms) == 2
    assert shapes.crs.to_epsg() == 4326


def test_licence_notice_is_the_header_comment() -> None:
    assert licence_notice(SAMPLE).startswith("MIT License")


def test_upstream_desa_dump_matches_the_geojson_of_the_same_area(shared_geo: Path) -> None:
    text = (shared_geo / "upstream_sql" / "wilayah_boundaries_kel_32.73.sql").read_text(encoding="utf-8")
    converted = read_dump(text).set_index("code")
    geojson = gpd.read_file(shared_geo / "fixtures" / "kota_bandung_desa.geojson").set_index("kode")
    assert len(converted) == 151
    assert set(converted.index) == set(geojson.index)
    joined = converted.geometry.to_frame("dump").join(geojson.geometry.rename("fixture"))
    difference = shapely.area(shapely.symmetric_difference(joined["dump"].array, joined["fixture"].array))
    # The GeoJSON rounds to 7 decimals; unswapped [lat, lng] would not overlap Bandung at all.
    assert (difference < 1e-3 * shapely.area(joined["fixture"].array)).all()
    assert "MIT License" in licence_notice(text)


def test_upstream_kecamatan_dump_keeps_multipolygons(shared_geo: Path) -> None:
    shapes = read_dump((shared_geo / "upstream_sql" / "wilayah_boundaries_kec_32.sql").read_text(encoding="utf-8"))
    assert len(shapes) == 627
    assert (shapes.geometry.geom_type == "MultiPolygon").sum() == 33
    minx, miny, maxx, maxy = shapes.total_bounds
    assert 106 < minx < maxx < 109 and -8 < miny < maxy < -5
