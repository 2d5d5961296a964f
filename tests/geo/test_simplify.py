from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.dissolve import build_levels
from geo.repair import repair
from geo.simplify import VIEWS, coverage_defects, drop_islets, simplify_view
from geo.sources import read_sources

DESA = next(view for view in VIEWS if view.name == "desa")
KECAMATAN_DETAIL = next(view for view in VIEWS if view.name == "kecamatan_detail")


@pytest.fixture(scope="module")
def bandung_desa(fixtures_dir: Path) -> gpd.GeoDataFrame:
    shapes, _ = read_sources([fixtures_dir / "kab_bandung_desa.geojson"])
    levels, _ = build_levels(repair(shapes)[0])
    return levels["desa"]


def test_views_cover_every_level_with_the_issue_budgets() -> None:
    budgets = {(view.level, view.map_of): view.max_bytes for view in VIEWS}
    assert budgets[("kecamatan", "nasional")] == 3_000_000
    assert budgets[("desa", "kabupaten")] == 1_000_000
    assert {view.level for view in VIEWS if view.table == "boundaries"} == {"provinsi", "kabupaten", "kecamatan",
                                                                            "desa"}


def test_small_islands_go_but_parts_touching_a_neighbour_and_largest_parts_stay() -> None:
    mainland = shapely.box(0, 0, 1, 1)
    islet = shapely.box(2, 2, 2.001, 2.001)
    tip = shapely.box(1, 0, 1.001, 0.001)  # tiny, but it touches the neighbour below
    neighbour = shapely.box(1, -1, 2, 0)
    lonely = shapely.box(5, 5, 5.001, 5.001)  # tiny, but the only part of its region
    geometries = np.array([shapely.MultiPolygon([mainland, islet, tip]), neighbour, lonely], dtype=object)
    kept, dropped = drop_islets(geometries, min_area=1e-4)
    assert dropped == 1
    assert len(kept[0].geoms) == 2 and not kept[0].contains(islet.centroid)
    assert kept[2].area == pytest.approx(lonely.area)


def test_coverage_simplification_opens_no_gaps_where_plain_simplification_does(bandung_desa: gpd.GeoDataFrame) -> None:
    simplified, report = simplify_view(bandung_desa, bandung_desa, DESA)
    assert report.bytes_max <= DESA.max_bytes
    assert report.overlap_km2_before == 0.0
    assert report.overlap_km2_after < 0.01  # rounding to 5 decimals (about a metre) only
    assert report.gap_km2_after - report.gap_km2_before < 0.01
    assert (simplified["code"] == bandung_desa["code"]).all()
    # Simplifying each desa on its own at the same tolerance opens real gaps and overlaps:
    plain = shapely.simplify(np.asarray(bandung_desa.geometry.array, dtype=object), report.tolerance_max)
    overlap, gaps = coverage_defects(plain, bandung_desa["code"].to_numpy(), DESA)
    assert overlap > 10 * max(report.overlap_km2_after, 0.01)
    assert gaps - report.gap_km2_before > 10 * 0.01


def test_a_tight_budget_raises_the_tolerance_until_the_map_fits(bandung_desa: gpd.GeoDataFrame) -> None:
    tight = replace(DESA, max_bytes=150_000)
    _, report = simplify_view(bandung_desa, bandung_desa, tight)
    assert report.tolerance_max > DESA.min_tolerance
    assert report.bytes_max <= 150_000
    assert report.gap_km2_after - report.gap_km2_before < 0.05


def test_without_simplification_shapes_are_only_rounded(bandung_desa: gpd.GeoDataFrame) -> None:
    exact = replace(KECAMATAN_DETAIL, min_tolerance=0.0)
    simplified, report = simplify_view(bandung_desa, bandung_desa, exact)
    assert report.tolerance_max == 0.0 and report.dropped_islets == 0
    moved = shapely.hausdorff_distance(simplified.geometry.array, bandung_desa.geometry.array)
    assert np.median(moved) < 1e-5  # half a grid step of 0.00001°
    areas = shapely.area(simplified.geometry.array) / shapely.area(bandung_desa.geometry.array)
    assert areas == pytest.approx(np.ones(len(areas)), abs=1e-3)
