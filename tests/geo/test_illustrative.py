from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.illustrative import PROVINCES, fill_missing, illustrative_levels, partition, province_shapes
from geo.levels import BOUNDARY_LEVELS, parent_code, registry_children, registry_codes

DEMO_PROVINCES = ("34", "53")


@pytest.fixture(scope="module")
def demo() -> dict[str, gpd.GeoDataFrame]:
    return illustrative_levels(DEMO_PROVINCES)


def assert_tiles(children: list[shapely.Geometry], parent: shapely.Geometry) -> None:
    """Children are valid, cover the parent exactly and do not overlap."""
    union = shapely.union_all(children)
    assert shapely.is_valid(children).all()
    assert shapely.symmetric_difference(union, parent).area < 1e-9 * parent.area
    assert shapely.area(children).sum() - union.area < 1e-9 * parent.area


def test_every_registry_region_of_the_demo_provinces_has_a_shape(demo) -> None:
    for level in BOUNDARY_LEVELS:
        assert sorted(demo[level]["code"]) == registry_codes(level, DEMO_PROVINCES)
        assert (demo[level]["source"] == "illustrative").all()


@pytest.mark.parametrize("level", BOUNDARY_LEVELS[1:])
def test_children_tile_their_parent_exactly(demo, level: str) -> None:
    parents = demo[BOUNDARY_LEVELS[BOUNDARY_LEVELS.index(level) - 1]].set_index("code").geometry
    children = demo[level]
    for parent, group in children.groupby(children["code"].map(parent_code)):
        assert_tiles(list(group.geometry), parents[parent])


def test_it_is_the_same_every_time(demo) -> None:
    again = illustrative_levels(["53"])
    mine = demo["desa"][demo["desa"]["code"].str.startswith("53.")].reset_index(drop=True)
    assert (mine["code"] == again["desa"]["code"]).all()
    assert all(a.equals_exact(b, 0) for a, b in zip(mine.geometry, again["desa"].geometry, strict=True))


def test_provinces_sit_at_their_real_centre_and_never_overlap() -> None:
    shapes = province_shapes(sorted(PROVINCES))
    assert len(shapes) == len(registry_codes("provinsi")) == 38
    for code, shape in shapes.items():
        lng, lat, _ = PROVINCES[code]
        assert shape.contains(shapely.Point(lng, lat)), code
    geometries = np.array(list(shapes.values()), dtype=object)
    assert shapely.area(geometries).sum() - shapely.union_all(geometries).area < 1e-9


def test_missing_children_fill_what_real_siblings_leave() -> None:
    parent = shapely.box(107.0, -7.2, 107.8, -6.8)
    real = gpd.GeoDataFrame({"code": ["32.04"], "source": "user"}, geometry=[shapely.box(107.0, -7.2, 107.3, -6.8)],
                            crs="EPSG:4326")
    province = gpd.GeoDataFrame({"code": ["32"], "source": "user"}, geometry=[parent], crs="EPSG:4326")
    needed = {"provinsi": {"32"}, "kabupaten": {"32.04", "32.73", "32.01"}}
    shapes, without = fill_missing({"provinsi": province, "kabupaten": real}, needed)
    kabupaten = shapes["kabupaten"].set_index("code")
    assert kabupaten.loc["32.04", "source"] == "user"
    assert kabupaten.loc["32.73", "source"] == "illustrative"
    assert without["kabupaten"] == []
    # Every one of Jawa Barat's other 26 kabupaten got a cell, so the shapes do not depend on the release.
    absent = [code for code in registry_children()["32"] if code != "32.04"]
    tiles = partition("32", shapely.difference(parent, real.geometry.iloc[0]), absent)
    assert_tiles([*tiles.values(), real.geometry.iloc[0]], parent)
    assert tiles["32.73"].equals_exact(kabupaten.loc["32.73", "geometry"], 1e-12)


def test_children_stay_without_shape_when_real_siblings_fill_the_parent() -> None:
    desa = registry_children()["32.04.05"]
    parent = shapely.box(107.0, -7.0, 107.1, -6.9)
    halves = [shapely.box(107.0, -7.0, 107.05, -6.9), shapely.box(107.05, -7.0, 107.1, -6.9)]
    known = gpd.GeoDataFrame({"code": list(desa[:2]), "source": "download"}, geometry=halves, crs="EPSG:4326")
    kecamatan = gpd.GeoDataFrame({"code": ["32.04.05"], "source": "download"}, geometry=[parent], crs="EPSG:4326")
    needed = {"provinsi": {"32"}, "kabupaten": {"32.04"}, "kecamatan": {"32.04.05"}, "desa": set(desa)}
    shapes, without = fill_missing({"kecamatan": kecamatan, "desa": known}, needed)
    assert without["desa"] == sorted(desa[2:])
    assert sorted(shapes["desa"]["code"]) == sorted(desa[:2])
