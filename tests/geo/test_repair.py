from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.repair import clean_coverage, polygonal, repair


def test_polygonal_keeps_only_polygons_of_collections() -> None:
    mixed = shapely.GeometryCollection([shapely.box(0, 0, 1, 1), shapely.LineString([(0, 0), (2, 2)]),
                                        shapely.MultiPolygon([shapely.box(2, 2, 3, 3)])])
    result = polygonal(np.array([shapely.box(0, 0, 1, 1), mixed, shapely.Point(0, 0), None], dtype=object))
    assert result[0].geom_type == "Polygon"
    assert result[1].geom_type == "MultiPolygon" and len(result[1].geoms) == 2
    assert result[2].is_empty
    assert result[3] is None


def test_nested_shells_are_repaired_without_losing_area_or_islands(shared_geo: Path) -> None:
    provinces = gpd.read_parquet(shared_geo / "national" / "provinsi.parquet").rename(columns={"kode": "code"})
    assert (~provinces.is_valid).sum() == 34  # mostly a MultiPolygon with one part nested inside another
    repaired, report = repair(provinces)
    assert report.repaired == 34
    assert repaired.is_valid.all()
    assert (repaired.geometry.geom_type == "MultiPolygon").sum() == 37
    ratio = shapely.area(repaired.geometry.array) / shapely.area(provinces.geometry.array)
    assert ratio == pytest.approx(np.ones(38), abs=1e-3)


def test_empty_shapes_are_dropped_with_a_warning(shared_geo: Path, caplog: pytest.LogCaptureFixture) -> None:
    desa = gpd.read_parquet(shared_geo / "desa" / "desa_96.parquet").rename(columns={"kode": "code"})
    # Upstream has one row with an empty geometry; the shared GeoParquet dropped it, so put it back.
    empty = gpd.GeoDataFrame({"code": ["96.01.05.1012"]}, geometry=[shapely.Polygon()], crs="EPSG:4326")
    with caplog.at_level(logging.WARNING):
        repaired, report = repair(pd.concat([desa[["code", "geometry"]], empty], ignore_index=True))
    assert report.dropped_empty == ["96.01.05.1012"]
    assert "96.01.05.1012" in caplog.text
    assert len(repaired) == len(desa)


def test_projected_shapes_are_normalised_to_wgs84() -> None:
    shapes = gpd.GeoDataFrame({"code": ["32.04"]}, geometry=[shapely.box(107.5, -7.0, 107.6, -6.9)], crs=4326)
    repaired, _ = repair(shapes.to_crs(23830))
    assert repaired.crs.to_epsg() == 4326
    assert repaired.total_bounds == pytest.approx([107.5, -7.0, 107.6, -6.9], abs=1e-6)


def overlap_area(geometries: np.ndarray) -> float:
    return float(shapely.area(geometries).sum() - shapely.union_all(geometries).area)


def test_slivers_and_overlaps_between_desa_are_cleaned(fixtures_dir: Path) -> None:
    desa = gpd.read_file(fixtures_dir / "kab_bandung_desa.geojson").rename(columns={"kode": "code"})
    geometries = np.asarray(desa.geometry.array, dtype=object)
    tree = shapely.STRtree(geometries)
    left, right = tree.query(geometries, predicate="overlaps")
    assert (left < right).sum() > 400  # the README counts 514 overlapping pairs in Kab. Bandung
    assert overlap_area(geometries) > 1e-5  # about 0.4 km²
    cleaned = clean_coverage(desa[["code", "geometry"]], lambda code: code[:5])
    after = np.asarray(cleaned.geometry.array, dtype=object)
    assert len(cleaned) == 280
    assert shapely.coverage_is_valid(after)
    assert overlap_area(after) < 1e-9
    assert shapely.area(after).sum() == pytest.approx(shapely.area(geometries).sum(), rel=1e-3)
