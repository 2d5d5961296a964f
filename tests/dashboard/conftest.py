"""Dashboard fixtures: one small real release built once with the real CLIs, and AppTest helpers."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
from builds import built_once
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
#: Kota Yogyakarta (kelurahan only) and Kulon Progo (desa, so BLT Dana Desa too), a third of the households:
#: four years with hidden cells at every level below kabupaten.
FIXTURE_REGIONS = "34.71,34.01"
#: The pages' tests publish without the un-hide pass (settings.unhide_attacks): it only publishes again some
#: partners a pattern hid, which tests/anonymize/test_unhide.py tests; with it the release took 73 s, without 27 s
#: (2026-12-06, alone on 2 cores). Every page reads such a release as any other.
PAGE_TEST_ENV = {**os.environ, "BANSOS_UNHIDE_ATTACKS": "0"}


def build_release(out_dir: Path, regions: str = FIXTURE_REGIONS, scale: str = "0.3",
                  through: str | None = None) -> Path:
    """Generate and publish a release with the pipeline's own commands; return the published database.

    Publishing again into the same `out_dir` adds a release chained to the previous one."""
    raw, published = out_dir / f"raw-{through or 'year'}.duckdb", out_dir / "published" / "bansos.duckdb"
    run = {"cwd": ROOT, "check": True, "capture_output": True, "text": True, "env": PAGE_TEST_ENV}
    until = ["--through", through] if through else []
    subprocess.run([sys.executable, "-m", "data", "generate", "--regions", regions, "--scale", scale, "--seed", "1",
                    "--out", str(raw), *until], **run)
    subprocess.run([sys.executable, "-m", "anonymize", "publish", "--raw", str(raw), "--out", str(published),
                    "--geo-dir", str(out_dir / "geo")], **run)
    return published


def _chain(out_dir: Path) -> None:
    build_release(out_dir, through="2025-10")
    build_release(out_dir)


@pytest.fixture(scope="session")
def chain_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two kept releases, chained: data through October, then the whole year (the current one)."""
    return built_once(tmp_path_factory, "dashboard-chain", _chain) / "published" / "bansos.duckdb"


@pytest.fixture(scope="session")
def published_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = built_once(tmp_path_factory, "dashboard-release", build_release) / "published" / "bansos.duckdb"
    previous = os.environ.get("BANSOS_PUBLISHED_DB")
    os.environ["BANSOS_PUBLISHED_DB"] = str(path)
    yield path
    if previous is None:
        os.environ.pop("BANSOS_PUBLISHED_DB", None)
    else:
        os.environ["BANSOS_PUBLISHED_DB"] = previous


@pytest.fixture(scope="session")
def published(published_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection for tests to look up expected values."""
    con = duckdb.connect(str(published_db), read_only=True)
    yield con
    con.close()


PAGES = {"beranda": "app_pages/overview.py", "peta": "app_pages/map.py", "tren": "app_pages/trends.py",
         "kesenjangan": "app_pages/gaps.py", "wilayah": "app_pages/region.py"}


@pytest.fixture
def open_page(published_db: Path):
    """open_page("peta", region="34.01") -> an AppTest that has run the page with those query parameters."""

    def run(page: str, **params: str | list[str]) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=60)
        for key, value in params.items():
            at.query_params[key] = value
        at.query_params["page"] = page
        at.run()
        return at

    return run


#: Release ids of edited copies: the dashboard caches what it reads per release id (a release never changes under
#: its id), so each copy needs one of its own.
_EDITED_IDS = (f"20000101T{n // 3600:02d}{n // 60 % 60:02d}{n % 60:02d}Z" for n in itertools.count(1))


@pytest.fixture
def edited_release(published_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                   ) -> Callable[[Callable[[duckdb.DuckDBPyConnection], None]], Path]:
    """edited_release(edit) -> a copy of the fixture release, changed by `edit(connection)`, under a release id of
    its own, served to the pages opened after it (BANSOS_PUBLISHED_DB)."""

    def make(edit: Callable[[duckdb.DuckDBPyConnection], None]) -> Path:
        release_id = next(_EDITED_IDS)
        copy = tmp_path / release_id / "bansos.duckdb"
        copy.parent.mkdir()
        shutil.copy(published_db, copy)
        with duckdb.connect(str(copy)) as con:
            edit(con)
            con.execute("UPDATE release SET release_id = ?", [release_id])
        monkeypatch.setenv("BANSOS_PUBLISHED_DB", str(copy))
        return copy

    return make
