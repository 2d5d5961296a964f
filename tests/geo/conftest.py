"""Fixtures for the geo tests: real boundaries (skipped without ../shared), built layer sets, an upstream mirror."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cli import main
from geo.__main__ import VERBS
from geo.build import BuildOptions, build


@pytest.fixture
def geo_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty geo dir that `python -m geo` uses (through BANSOS_GEO_DIR)."""
    monkeypatch.setenv("BANSOS_GEO_DIR", str(tmp_path / "geo"))
    return tmp_path / "geo"


@pytest.fixture
def geo_cli(geo_dir: Path) -> Callable[..., int]:
    """`geo_cli("build", "--provinces", "34")` runs `python -m geo` in-process and returns its exit code."""
    def run(*argv: str) -> int:
        return main("python -m geo", "test", VERBS, list(argv))
    return run


@pytest.fixture(scope="session")
def fixtures_dir(shared_geo: Path) -> Path:
    return shared_geo / "fixtures"


@pytest.fixture(scope="session")
def bandung_geo_dir(tmp_path_factory: pytest.TempPathFactory, fixtures_dir: Path) -> Path:
    """A geo dir whose layers were built from Kab. Bandung's desa and the coarse upstream kecamatan."""
    geo_dir = tmp_path_factory.mktemp("geo_bandung")
    sources = (fixtures_dir / "kab_bandung_desa.geojson", fixtures_dir / "kab_bandung_kecamatan.geojson")
    build(geo_dir, BuildOptions(sources=sources))
    return geo_dir


@pytest.fixture(scope="session")
def demo_geo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A geo dir holding the illustrative default for the demo provinces 34 and 53 (needs no shared files)."""
    geo_dir = tmp_path_factory.mktemp("geo_demo")
    build(geo_dir, BuildOptions(provinces=("34", "53"), illustrative=True))
    return geo_dir


@pytest.fixture(scope="session")
def upstream_mirror(tmp_path_factory: pytest.TempPathFactory, shared_geo: Path) -> Path:
    """The two upstream SQL files laid out as in the upstream repository (a temporary copy, never in the repo)."""
    root = tmp_path_factory.mktemp("upstream")
    sql = shared_geo / "upstream_sql"
    (root / "db" / "kec").mkdir(parents=True)
    (root / "db" / "kel" / "32").mkdir(parents=True)
    shutil.copy(sql / "wilayah_boundaries_kec_32.sql", root / "db" / "kec")
    shutil.copy(sql / "wilayah_boundaries_kel_32.73.sql", root / "db" / "kel" / "32")
    return root


@pytest.fixture
def serve() -> Iterator[Callable[[Path], str]]:
    """Serve a folder over HTTP on 127.0.0.1: `serve(folder)` returns the base URL."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(folder: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass
