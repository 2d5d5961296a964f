from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from cli import UserError
from geo.sources import detect_code_column, read_sources

SQUARE = shapely.box(107.5, -7.0, 107.6, -6.9)


def frame(**columns: list[object]) -> gpd.GeoDataFrame:
    size = len(next(iter(columns.values())))
    return gpd.GeoDataFrame(columns, geometry=[SQUARE] * size, crs="EPSG:4326")


@pytest.mark.parametrize(("values", "expected"), [
    (["32.04.05.2001", "32.04.05.2002"], "32.04.05.2001"),
    (["3204052001", "3204052002"], "32.04.05.2001"),
    ([3204052001, 3204052002], "32.04.05.2001"),
    ([3204052001.0, 3204052002.0], "32.04.05.2001"),
    (["32.04.05", "32.04.06"], "32.04.05"),
])
def test_code_forms_join_the_registry(tmp_path: Path, values: list[object], expected: str) -> None:
    path = tmp_path / "shapes.parquet"
    frame(KDEPUM=values, luas=[1.0, 2.0]).to_parquet(path)
    shapes, report = read_sources([path])
    assert report.code_columns == {"shapes.parquet": "KDEPUM"}
    assert shapes["code"].iloc[0] == expected
    assert report.match_rate == 1.0


def test_the_most_detailed_code_column_wins() -> None:
    shapes = frame(kode_kec=["32.04.05", "32.04.05"], kode=["32.04.05.2001", "32.04.05.2002"],
                   nama=["Cileunyi Kulon", "Cileunyi Wetan"])
    assert detect_code_column(shapes, "x") == "kode"


def test_a_file_without_codes_is_a_user_error() -> None:
    with pytest.raises(UserError, match="--code-column"):
        detect_code_column(frame(nama=["a", "b"], luas=[1.0, 2.0]), "x.geojson")


def test_unmatched_codes_and_names_that_differ_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "shapes.geojson"
    # 11.01.05.2001 is "Kuta Buloh II" in the registry: title case, `Desa` and spaces do not count.
    frame(kode=["11.01.05.2001", "32.04.05.2001", "32.04.05.2002", "99.99.99.9999"],
          nama=["Kuta Buloh Ii", "DESA  CILEUNYI KULON", "Somewhere Else", "Nowhere"]).to_file(path)
    shapes, report = read_sources([path])
    assert report.unmatched == ["99.99.99.9999"]
    assert report.matched == 3
    assert (report.names_differ, report.names_compared) == (1, 3)
    assert report.names_differ_examples == ["32.04.05.2002 is 'Cileunyi Wetan' in the registry but 'Somewhere Else' "
                                            "in the file"]
    assert sorted(shapes["code"]) == ["11.01.05.2001", "32.04.05.2001", "32.04.05.2002"]


@pytest.mark.parametrize("fixture", ["kab_bandung_desa", "kota_bandung_desa", "kab_kupang_desa"])
def test_fixtures_import_with_every_code_matched(fixtures_dir: Path, fixture: str) -> None:
    shapes, report = read_sources([fixtures_dir / f"{fixture}.geojson"])
    assert report.match_rate == 1.0
    assert report.unmatched == []
    assert report.code_columns == {f"{fixture}.geojson": "kode"}
    assert set(shapes["level"]) == {"desa"}


def test_shapefile_zip_folder_and_geopackage_in_a_projected_crs(tmp_path: Path, fixtures_dir: Path) -> None:
    desa = gpd.read_file(fixtures_dir / "kota_bandung_desa.geojson")[["kode", "nama", "geometry"]]
    projected = desa.rename(columns={"kode": "KDEPUM"}).to_crs(23830)  # DGN95 / Indonesia TM-3 zone 48.2
    (tmp_path / "shp").mkdir()
    projected.to_file(tmp_path / "shp" / "desa.shp")
    with zipfile.ZipFile(tmp_path / "desa.zip", "w") as archive:
        for file in (tmp_path / "shp").iterdir():
            archive.write(file, f"inside/{file.name}")
    projected.to_file(tmp_path / "desa.gpkg", layer="desa")
    for source in (tmp_path / "shp", tmp_path / "desa.zip", tmp_path / "desa.gpkg"):
        shapes, report = read_sources([source])
        assert report.match_rate == 1.0 and len(shapes) == 151, source
        assert shapes.crs.to_epsg() == 4326
        assert shapes.total_bounds[0] == pytest.approx(107.55, abs=0.01)


def test_projected_coordinates_without_a_crs_are_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "shapes.shp"
    shapes = gpd.GeoDataFrame({"kode": ["32.04.05.2001"]}, geometry=[shapely.box(7e5, 9.2e6, 7.1e5, 9.21e6)])
    with pytest.warns(UserWarning, match="crs"):
        shapes.to_file(path)  # a Shapefile without its .prj
    with pytest.raises(UserError, match="coordinate system"):
        read_sources([path])


@pytest.mark.parametrize("name", ["missing.geojson", "notes.txt"])
def test_unreadable_sources_are_user_errors(tmp_path: Path, name: str) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(UserError):
        read_sources([tmp_path / name])
