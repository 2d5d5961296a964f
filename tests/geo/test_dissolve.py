from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.dissolve import build_levels, merge_duplicates
from geo.levels import registry_codes
from geo.repair import repair
from geo.sources import read_sources


@pytest.fixture(scope="module")
def bandung(fixtures_dir: Path) -> tuple[dict[str, gpd.GeoDataFrame], dict, gpd.GeoDataFrame]:
    """Levels built from Kab. Bandung's desa plus the coarse upstream kecamatan of the same area."""
    coarse = fixtures_dir / "kab_bandung_kecamatan.geojson"
    shapes, _ = read_sources([fixtures_dir / "kab_bandung_desa.geojson", coarse])
    levels, provenance = build_levels(repair(shapes)[0])
    return levels, provenance, gpd.read_file(coarse).rename(columns={"kode": "code"})


def share_inside(children: gpd.GeoDataFrame, parents: gpd.GeoDataFrame) -> np.ndarray:
    """For each child, the share of its area inside its own parent."""
    parent = parents.set_index("code").geometry.reindex(children["code"].str[:8]).array
    inside = shapely.area(shapely.intersection(children.geometry.array, parent))
    return inside / shapely.area(children.geometry.array)


def test_kecamatan_are_dissolved_from_desa_not_taken_from_the_coarse_layer(bandung) -> None:
    levels, provenance, coarse = bandung
    assert (provenance["kecamatan"].dissolved, provenance["kecamatan"].own) == (31, 0)
    desa, kecamatan = levels["desa"], levels["kecamatan"]
    assert share_inside(desa, kecamatan).min() > 0.999
    assert np.median(share_inside(desa, coarse)) < 0.99  # the upstream kecamatan layer does not nest
    for code, group in desa.groupby(desa["code"].str[:8]):
        union = shapely.union_all(group.geometry.array)
        parent = kecamatan.set_index("code").geometry[code]
        assert shapely.symmetric_difference(union, parent).area < 1e-9 * parent.area


def test_parents_need_most_of_their_children(bandung) -> None:
    levels, provenance, _ = bandung
    assert levels["kabupaten"]["code"].tolist() == ["32.04"]
    # One kabupaten of Jawa Barat's 27 must not pass for the province.
    assert levels["provinsi"].empty
    assert provenance["provinsi"].without_shape == ["32"]
    assert len(provenance["kabupaten"].without_shape) == 26


def test_desa_without_polygons_are_reported(shared_geo: Path) -> None:
    desa = gpd.read_parquet(shared_geo / "desa" / "desa_13.parquet").rename(columns={"kode": "code"})
    desa = desa[desa["code"].str.startswith("13.06.")].assign(level="desa")
    expected = sorted(set(registry_codes("desa", ("13",))) - set(desa["code"]))
    expected = [code for code in expected if code.startswith("13.06.")]
    assert len(expected) == 10
    levels, provenance = build_levels(repair(desa)[0])
    assert provenance["desa"].without_shape == expected
    assert len(levels["desa"]) == len(desa)


def test_islands_stay_multipolygons(fixtures_dir: Path) -> None:
    shapes, _ = read_sources([fixtures_dir / "kab_kupang_desa.geojson"])
    islands = set(shapes.loc[shapes.geometry.geom_type == "MultiPolygon", "code"])
    assert len(islands) == 13
    levels, _ = build_levels(repair(shapes)[0])
    built = levels["desa"].set_index("code").geometry
    assert (built[sorted(islands)].geom_type == "MultiPolygon").all()
    assert levels["kabupaten"].geometry.iloc[0].geom_type == "MultiPolygon"  # Semau and the other islands


def test_duplicate_codes_are_merged_into_one_shape() -> None:
    shapes = gpd.GeoDataFrame({"code": ["32.04", "32.04", "32.73"], "level": "kabupaten"},
                              geometry=[shapely.box(0, 0, 1, 1), shapely.box(2, 0, 3, 1), shapely.box(5, 5, 6, 6)],
                              crs="EPSG:4326")
    merged = merge_duplicates(shapes)
    assert sorted(merged["code"]) == ["32.04", "32.73"]
    assert merged.set_index("code").geometry["32.04"].area == pytest.approx(2.0)
    assert list(merged.columns) == list(shapes.columns)
    unique = shapes.iloc[[0, 2]]
    assert merge_duplicates(unique) is unique
