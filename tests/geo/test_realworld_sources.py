"""Real-world boundary files of `../shared/realworld/` and variants of each kind: never drawn in the wrong place.

Each shared file gets its right result (skipped when `../shared` is absent); the variants (other provinces,
text and number forms, OCHA codes, names only) are written here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from cli import EXIT_USER_ERROR, UserError
from geo.regions import get_registry
from geo.sources import read_sources

Cli = Callable[..., int]
REALWORLD = Path(__file__).resolve().parents[2].parent / "shared" / "realworld"
needs_shared = pytest.mark.skipif(not REALWORLD.is_dir(), reason="../shared/realworld is not here")


def squares(count: int) -> list[shapely.Polygon]:
    return [shapely.box(110 + i * 0.1, -7.0, 110.09 + i * 0.1, -6.91) for i in range(count)]


def write(path: Path, **columns: list[object]) -> Path:
    size = len(next(iter(columns.values())))
    gpd.GeoDataFrame(columns, geometry=squares(size), crs="EPSG:4326").to_file(path)
    return path


# --- the shared files ----------------------------------------------------------------------------------

@needs_shared
def test_bps_coded_desa_are_refused_naming_two_examples(geo_cli: Cli, capsys: pytest.CaptureFixture[str]) -> None:
    assert geo_cli("build", "--source", str(REALWORLD / "bps_coded_desa_one_kecamatan.geojson")) == EXIT_USER_ERROR
    err = capsys.readouterr().err
    assert "the names of 7 of 7 regions matched by code" in err and "BPS codes" in err
    assert "53.03.14.2001 is 'Oelami' in the registry but 'Kuanheum' in the file" in err
    assert err.count(" in the file") == 2


@needs_shared
def test_a_kdpkab_number_is_read_as_its_kabupaten(geo_cli: Cli, geo_dir: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert geo_cli("build", "--source", str(REALWORLD / "big2020_kab_kdpkab_float.geojson")) == 0
    assert "matched 4/4 (100.0%), unmatched 0, names differ 0/4, shapes merged into a shared code 0" in (
        capsys.readouterr().out)
    manifest = json.loads((geo_dir / "layers" / "sources.json").read_text())
    assert manifest["counts"]["code_columns"] == {"big2020_kab_kdpkab_float.geojson": "KDPKAB"}
    assert manifest["levels"]["kabupaten"]["own"] == 4


@needs_shared
def test_names_only_desa_are_matched_down_the_hierarchy(geo_cli: Cli, capsys: pytest.CaptureFixture[str]) -> None:
    source = str(REALWORLD / "dukcapil_names_only_desa.geojson")
    assert geo_cli("build", "--source", source) == EXIT_USER_ERROR
    assert "--match-names" in capsys.readouterr().err
    shapes, report = read_sources([Path(source)], match_names=True)
    assert list(shapes["code"]) == ["11.01.01.2001"] and report.matched_by_name == 1
    assert geo_cli("build", "--source", source, "--match-names") == 0
    assert "matched 1/1 (100.0%; by name)" in capsys.readouterr().out


@needs_shared
def test_a_2020_edition_papua_file_moves_to_todays_codes(geo_cli: Cli, capsys: pytest.CaptureFixture[str]) -> None:
    shapes, report = read_sources([REALWORLD / "papua_2020_edition_desa.geojson"])
    assert sorted(shapes["code"]) == [f"93.01.01.100{n}" for n in range(2, 8)]
    assert report.earlier_edition == 6 and report.names_differ == 0
    assert geo_cli("build", "--source", str(REALWORLD / "papua_2020_edition_desa.geojson")) == 0
    assert "matched 6/6 (100.0%; 6 earlier-edition codes moved to today's)" in capsys.readouterr().out


# --- variants -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("province", ["73", "35", "12", "61"])
def test_codes_of_other_desa_with_their_own_names_are_refused_in_any_province(tmp_path: Path, province: str) -> None:
    names = get_registry().names
    codes = [c for c in sorted(names) if c.startswith(province + ".") and len(c) == 13][:40:4]
    shifted = [names[c] for c in codes[3:] + codes[:3]]  # each shape carries another desa's name
    path = write(tmp_path / "x.geojson", kode_desa=[c.replace(".", "") for c in codes], nama=shifted)
    with pytest.raises(UserError, match=r"the names of \d+ of 10 regions matched by code"):
        read_sources([path])


def test_a_few_names_that_differ_are_counted_not_refused(tmp_path: Path) -> None:
    names = get_registry().names
    codes = [c for c in sorted(names) if c.startswith("34.04.") and len(c) == 13][:10]
    given = [names[c].upper() for c in codes[:7]] + ["Lain", "Beda", "Nama"]
    _, report = read_sources([write(tmp_path / "x.geojson", KDEPUM=codes, WADMKD=given)])
    assert (report.names_differ, report.names_compared, report.matched) == (3, 10, 10)


@pytest.mark.parametrize(("values", "expected"), [
    ([32.1, 32.04, 32.73], ["32.04", "32.10", "32.73"]),           # numbers, as DBF numeric fields have them
    (["32.1", "32.04", "32.73"], ["32.04", "32.10", "32.73"]),     # the same numbers written as text
    (["ID3210", "ID3204", "ID3273"], ["32.04", "32.10", "32.73"]),  # OCHA/HDX p-codes
    (["'3210", "'3204", "'3273"], ["32.04", "32.10", "32.73"]),     # Excel's keep-as-text apostrophe
])
def test_kabupaten_codes_in_the_forms_of_other_systems(tmp_path: Path, values: list[object],
                                                      expected: list[str]) -> None:
    names = get_registry().names
    path = write(tmp_path / "kab.geojson", KDPKAB=values, KDPPUM=[32, 32, 32],
                 WADMKK=[names[c].replace("Kabupaten ", "") for c in ("32.10", "32.04", "32.73")])
    shapes, report = read_sources([path])
    assert sorted(shapes["code"]) == expected and report.code_columns == {"kab.geojson": "KDPKAB"}
    assert report.names_differ == 0


def test_a_file_without_names_says_its_names_were_not_checked(geo_cli: Cli, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "kode.geojson", kode=["3204052001", "3204052002"])
    assert geo_cli("build", "--source", str(path)) == 0
    assert "matched 2/2 (100.0%), unmatched 0, names not checked (no name column)" in capsys.readouterr().out


def test_ocha_desa_pcodes_and_names_only_kecamatan_of_another_province(tmp_path: Path) -> None:
    shapes, _ = read_sources([write(tmp_path / "ocha.geojson", ADM4_PCODE=["ID3404012001", "ID3404012002"],
                                    ADM4_EN=["Balecatur", "Ambarketawang"])])
    assert sorted(shapes["code"]) == ["34.04.01.2001", "34.04.01.2002"]
    path = write(tmp_path / "names.geojson", provinsi=["Jawa Barat", "JAWA BARAT", "Jawa Barat"],
                 kabupaten=["KAB. BANDUNG", "Kota Bandung", "Kabupaten Bandung"],
                 kecamatan=["Cileunyi", "Sukajadi", "Atlantis"])
    shapes, report = read_sources([path], match_names=True)
    # `KAB. BANDUNG` is Kabupaten Bandung (32.04), `Kota Bandung` the city (32.73): the kind tells them apart.
    assert sorted(shapes["code"]) == ["32.04.05", "32.73.07"]
    assert report.unmatched == ["Jawa Barat / Kabupaten Bandung / Atlantis"]


def test_names_only_with_a_typo_still_finds_the_one_close_name(tmp_path: Path) -> None:
    path = write(tmp_path / "x.geojson", province=["ACEH"], district=["ACEH SELATAN"], sub_district=["BAKONGAN"],
                 village=["KEUDE BAKONGN"])
    shapes, _ = read_sources([path], match_names=True)
    assert list(shapes["code"]) == ["11.01.01.2001"]
