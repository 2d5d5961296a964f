from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pytest

from cli import EXIT_USER_ERROR
from geo.attribution import ILLUSTRATIVE_NOTE_ID
from geo.layers import read_layers

Cli = Callable[..., int]


def test_build_from_user_files_writes_layers_and_provenance(geo_cli: Cli, geo_dir: Path, fixtures_dir: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    source = str(fixtures_dir / "kota_bandung_desa.geojson")
    code = geo_cli("build", "--source", source, "--attribution", "Pemkot Bandung")
    out = capsys.readouterr().out
    assert code == 0
    assert "matched 151/151 (100.0%)" in out and "desa 0." in out
    stored = read_layers(geo_dir)
    assert stored is not None
    assert set(stored.views) == {"kabupaten", "kecamatan_detail", "kecamatan", "desa"}
    desa = stored.views["desa"]
    assert {"code", "level", "parent_code", "geometry"} <= set(desa.columns)
    assert desa.crs.to_epsg() == 4326
    assert (desa["level"] == "desa").all() and (desa["parent_code"] == desa["code"].str[:8]).all()
    manifest = json.loads((geo_dir / "layers" / "sources.json").read_text())
    assert manifest["kind"] == "user" and manifest["illustrative"] is False
    assert manifest["attribution_id"].startswith("Batas wilayah: Pemkot Bandung")
    assert manifest["counts"]["matched"] == 151 and manifest["counts"]["unmatched"] == 0
    assert manifest["levels"]["kecamatan"] == {"regions": 30, "dissolved": 30, "own": 0, "without_shape": 0,
                                               "without_shape_codes": []}
    assert manifest["views"]["desa"]["bytes_max"] <= 1_000_000
    assert manifest["views"]["desa"]["file_bytes"] == (geo_dir / "layers" / "desa.parquet").stat().st_size


def test_files_in_the_configured_folder_are_used_without_source(geo_cli: Cli, geo_dir: Path,
                                                               fixtures_dir: Path) -> None:
    (geo_dir / "sources").mkdir(parents=True)
    shutil.copy(fixtures_dir / "kota_bandung_desa.geojson", geo_dir / "sources")
    assert geo_cli("build") == 0
    assert read_layers(geo_dir).source.kind == "user"  # type: ignore[union-attr]


def test_the_illustrative_default_is_built_on_request(geo_cli: Cli, geo_dir: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert geo_cli("build", "--provinces", "34", "--illustrative") == 0
    assert "geo build (illustrative)" in capsys.readouterr().out
    stored = read_layers(geo_dir)
    assert stored is not None and stored.source.illustrative
    assert ILLUSTRATIVE_NOTE_ID in stored.manifest["attribution_id"]  # type: ignore[operator]
    assert len(stored.views["desa"]) == 438
    assert set(stored.views["desa"]["source"]) == {"illustrative"}


@pytest.mark.parametrize(("argv", "message"), [
    (["build", "--source", "nowhere.geojson"], "does not exist"),
    (["build", "--provinces", "99"], "not in the Kemendagri registry"),
    (["build", "--provinces", "32.04"], "a provinsi code is needed"),
])
def test_user_errors_are_one_sentence_and_exit_2(geo_cli: Cli, geo_dir: Path, capsys: pytest.CaptureFixture[str],
                                                 argv: list[str], message: str) -> None:
    assert geo_cli(*argv) == EXIT_USER_ERROR
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("error: ") and message in error
    assert not (geo_dir / "layers").exists()


def test_a_source_without_the_requested_provinces_is_a_user_error(geo_cli: Cli, geo_dir: Path, fixtures_dir: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    source = str(fixtures_dir / "kota_bandung_desa.geojson")
    assert geo_cli("build", "--source", source, "--provinces", "53") == EXIT_USER_ERROR
    assert "No region of province(s) 53" in capsys.readouterr().err


def test_layers_hold_registry_codes_not_source_names(bandung_geo_dir: Path) -> None:
    stored = read_layers(bandung_geo_dir)
    assert stored is not None
    for frame in stored.views.values():
        assert isinstance(frame, gpd.GeoDataFrame)
        assert "nama" not in frame.columns and "name" not in frame.columns
