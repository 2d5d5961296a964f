from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pytest

from cli import EXIT_USER_ERROR
from geo.attribution import UPSTREAM_COMMIT
from geo.fetch import BASE_URL_ENV, DEFAULT_BASE_URL, upstream_files
from geo.layers import read_layers

Cli = Callable[..., int]


def test_the_default_source_is_the_pinned_commit() -> None:
    expected = f"https://raw.githubusercontent.com/cahyadsn/wilayah_boundaries/{UPSTREAM_COMMIT}"
    assert expected == DEFAULT_BASE_URL


def test_upstream_layout_has_one_desa_file_per_kabupaten() -> None:
    paths = [f.path for f in upstream_files(("32",), ("32.73",), ("kabupaten", "kecamatan", "desa"))]
    assert paths == ["db/kab/wilayah_boundaries_kab_32.sql", "db/kec/wilayah_boundaries_kec_32.sql",
                     "db/kel/32/wilayah_boundaries_kel_32.73.sql"]
    assert len(upstream_files(("32",), None, ("desa",))) == 27


def test_fetch_from_a_mirror_then_build_from_the_cache(geo_cli: Cli, geo_dir: Path, upstream_mirror: Path,
                                                       serve: Callable[[Path], str],
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    base_url = serve(upstream_mirror)
    assert geo_cli("fetch", "--provinces", "32", "--levels", "kecamatan", "--base-url", base_url) == 0
    assert geo_cli("fetch", "--kabupaten", "32.73", "--levels", "desa", "--base-url", base_url) == 0
    assert "geo fetch: 1 file(s), 151 regions" in capsys.readouterr().out
    cache = geo_dir / "download"
    desa = gpd.read_parquet(cache / "desa" / "32.73.parquet")
    assert len(desa) == 151 and desa.crs.to_epsg() == 4326
    assert 107.5 < desa.total_bounds[0] < 107.6  # longitude first: the upstream [lat, lng] was swapped
    manifest = json.loads((cache / "sources.json").read_text())
    assert manifest["commit"] == UPSTREAM_COMMIT
    assert set(manifest["files"]) == {"db/kec/wilayah_boundaries_kec_32.sql",
                                      "db/kel/32/wilayah_boundaries_kel_32.73.sql"}
    assert "MIT License" in manifest["notice"]
    assert "Copyright (c) 2024 Cahya DSN" in (cache / "LICENSE-wilayah_boundaries.txt").read_text()

    assert geo_cli("build", "--provinces", "32") == 0
    stored = read_layers(geo_dir)
    assert stored is not None and stored.source.kind == "download"
    assert "Copyright (c) 2024 Cahya DSN" in stored.source.licence
    assert stored.manifest["levels"]["kecamatan"]["dissolved"] == 30  # type: ignore[index]
    assert len(stored.views["kecamatan"]) == 627


def test_the_base_url_comes_from_the_environment(geo_cli: Cli, geo_dir: Path, upstream_mirror: Path,
                                                 serve: Callable[[Path], str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BASE_URL_ENV, serve(upstream_mirror))
    assert geo_cli("fetch", "--kabupaten", "32.73", "--levels", "desa") == 0
    assert (geo_dir / "download" / "desa" / "32.73.parquet").is_file()


def test_a_missing_file_is_a_clear_error(geo_cli: Cli, geo_dir: Path, upstream_mirror: Path,
                                         serve: Callable[[Path], str], capsys: pytest.CaptureFixture[str]) -> None:
    base_url = serve(upstream_mirror)
    assert geo_cli("fetch", "--provinces", "53", "--levels", "kecamatan", "--base-url", base_url) == EXIT_USER_ERROR
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"{base_url}/db/kec/wilayah_boundaries_kec_53.sql" in error and "HTTP 404" in error
    assert not (geo_dir / "download" / "kecamatan" / "53.parquet").exists()


def test_an_unreachable_server_is_a_clear_error(geo_cli: Cli, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again when the block ends: nothing listens there
    assert geo_cli("fetch", "--provinces", "32", "--base-url", f"http://127.0.0.1:{port}") == EXIT_USER_ERROR
    assert f"Could not reach 127.0.0.1:{port}" in capsys.readouterr().err


def test_fetch_needs_to_know_what(geo_cli: Cli, capsys: pytest.CaptureFixture[str]) -> None:
    assert geo_cli("fetch") == EXIT_USER_ERROR
    assert "--provinces" in capsys.readouterr().err
