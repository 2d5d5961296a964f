"""Anonymize fixtures: small raw sets and their releases, built once with the real commands, and CLI helpers."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
from builds import built_once

from anonymize.__main__ import VERBS
from cli import main

ROOT = Path(__file__).resolve().parents[2]
#: Kota Yogyakarta (kelurahan only) and Kulon Progo (desa, so BLT Dana Desa too), a third of the households:
#: hidden cells at every level below kabupaten, and a publish in about 5 s.
REGIONS = "34.71,34.01"
SCALE = "0.3"

Command = Callable[..., subprocess.CompletedProcess]


def run_module(*args: str | Path, check: bool = True, env: dict[str, str] | None = None
               ) -> subprocess.CompletedProcess:
    """`python -m ...` from the project root, output captured; `env`: variables set beside this process's."""
    return subprocess.run([sys.executable, "-m", *map(str, args)], cwd=ROOT, check=check, capture_output=True,
                          text=True, env={**os.environ, **env} if env else None)


def generate(out: Path, *extra: str) -> Path:
    """A raw set of 2025 alone (publishing cost grows with the years), or the years `extra` asks for."""
    years = () if {"--year", "--years"} & set(extra) else ("--year", "2025")
    run_module("data", "generate", "--regions", REGIONS, "--scale", SCALE, "--seed", "1", "--out", out, *years,
               *extra)
    return out


@pytest.fixture(scope="session", name="run_module")
def run_module_fixture() -> Command:
    return run_module


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("anonymize")


@pytest.fixture(scope="session")
def publish_command(workspace: Path) -> Command:
    """publish_command(raw, current_db, *options, check=False, unhide_attacks=None): the real `python -m anonymize
    publish`. `unhide_attacks` sets the un-hide pass's attempts (settings.unhide_attacks, default 6; 0 skips it)
    for a fixture that tests something else and publishes many times: the pass costs most of a continued
    release's protection on this set (the revision chain's December: 130 of 169 s), while what it may publish
    again is tested in test_unhide.py, and over continued releases by the continuations that keep the default."""
    def publish(raw: Path, current_db: Path, *options: str, check: bool = False,
                unhide_attacks: int | None = None) -> subprocess.CompletedProcess:
        env = None if unhide_attacks is None else {"BANSOS_UNHIDE_ATTACKS": str(unhide_attacks)}
        return run_module("anonymize", "publish", "--raw", raw, "--out", current_db, "--geo-dir",
                          workspace / "no-geo", *options, check=check, env=env)
    return publish


@pytest.fixture(scope="session")
def raw_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole year 2025."""
    return built_once(tmp_path_factory, "anonymize-raw-year", lambda d: generate(d / "raw-year.duckdb")) \
        / "raw-year.duckdb"


@pytest.fixture(scope="session")
def release_db(tmp_path_factory: pytest.TempPathFactory, raw_db: Path, publish_command: Command) -> Path:
    """The current database of a folder holding one release of the whole year."""
    def build(folder: Path) -> None:
        publish_command(raw_db, folder / "published-year" / "bansos.duckdb", check=True)
    return built_once(tmp_path_factory, "anonymize-published-year", build) / "published-year" / "bansos.duckdb"


@pytest.fixture(scope="session")
def october_db(tmp_path_factory: pytest.TempPathFactory, publish_command: Command) -> Path:
    """The current database of a folder holding one release of the same data through October."""
    def build(folder: Path) -> None:
        raw = generate(folder / "raw-october.duckdb", "--through", "2025-10")
        publish_command(raw, folder / "published-october" / "bansos.duckdb", check=True)
    return built_once(tmp_path_factory, "anonymize-published-october", build) / "published-october" / "bansos.duckdb"


@pytest.fixture(scope="session")
def continued_db(tmp_path_factory: pytest.TempPathFactory, october_db: Path, raw_db: Path,
                 publish_command: Command) -> Path:
    """The current database of a folder holding the October release and, published after it, the whole year's
    (one continuation shared by the release and verify tests: each costs a full protection of the year)."""
    def build(folder: Path) -> None:
        subprocess.run(["cp", "-a", str(october_db.parent), str(folder / "published")], check=True)
        publish_command(raw_db, folder / "published" / "bansos.duckdb", check=True)
    return built_once(tmp_path_factory, "anonymize-continued", build) / "published" / "bansos.duckdb"


@pytest.fixture(scope="session")
def published(release_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(release_db), read_only=True)
    yield con
    con.close()


#: A set small enough that publishing it takes a few seconds (Kota Yogyakarta, a tenth of the households; its
#: programs pay nothing after October), for tests of what happens to the files around a publish, not to its cells.
SMALL = ("--regions", "34.71", "--scale", "0.1", "--seed", "1", "--year", "2025")


@pytest.fixture(scope="session")
def small_set(tmp_path_factory: pytest.TempPathFactory, publish_command: Command) -> tuple[Path, Path]:
    """(raw set through October, current database of a folder holding its release through August)."""
    def build(folder: Path) -> None:
        run_module("data", "generate", *SMALL, "--out", folder / "raw.duckdb")
        publish_command(folder / "raw.duckdb", folder / "published" / "bansos.duckdb", "--through", "2025-08",
                        check=True)
    folder = built_once(tmp_path_factory, "anonymize-small", build)
    return folder / "raw.duckdb", folder / "published" / "bansos.duckdb"


@pytest.fixture
def copy_release(tmp_path: Path) -> Callable[[Path], Path]:
    """copy_release(current_db) -> the current database of a private copy of its folder.

    `cp -a` keeps the current file a hard link to its release, as publish made it."""
    def copy(current_db: Path) -> Path:
        target = tmp_path / f"copy-of-{current_db.parent.name}"
        subprocess.run(["cp", "-a", str(current_db.parent), str(target)], check=True)
        return target / current_db.name
    return copy


@pytest.fixture
def anonymize_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """anonymize_cli("audit", path) runs `python -m anonymize` in-process: (exit code, stdout, stderr)."""
    def run(*argv: str | Path) -> tuple[int, str, str]:
        code = main("python -m anonymize", "test", VERBS, [str(a) for a in argv])
        out = capsys.readouterr()
        return code, out.out, out.err
    return run
