"""The shipped boundary pack: small, licensed, reproducible, and what a release uses when nothing else was built."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import geopandas as gpd
import pytest
import shapely

from cli import EXIT_USER_ERROR
from geo.attribution import UPSTREAM_NOTICE, SourceInfo, pack_source
from geo.fetch import LICENCE_FILE
from geo.layers import MANIFEST, read_layers
from geo.levels import registry_codes
from geo.make_pack import MAX_PACK_BYTES, README, pack_bytes
from geo.pack import PACK_DIR, read_pack
from geo.release import write_boundaries
from geo.simplify import VIEWS

Cli = Callable[..., int]
ROOT = Path(__file__).resolve().parents[2]
VIEW_FILES = {f"{view.name}.parquet" for view in VIEWS}
#: Manifest entries that change with every run or with how the command was typed.
UNSTABLE = ("built_at", "seconds")


def test_the_pack_is_small_complete_and_licensed() -> None:
    files = {path.name for path in PACK_DIR.iterdir()}
    assert files == VIEW_FILES | {MANIFEST, LICENCE_FILE, README}
    assert pack_bytes(PACK_DIR) <= MAX_PACK_BYTES == 8_000_000
    assert (PACK_DIR / LICENCE_FILE).read_text(encoding="utf-8") == UPSTREAM_NOTICE
    assert "Copyright (c) 2024 Cahya DSN" in UPSTREAM_NOTICE
    readme = (PACK_DIR / README).read_text(encoding="utf-8")
    assert "cahyadsn/wilayah_boundaries" in readme and LICENCE_FILE in readme and "python -m geo pack" in readme
    manifest = json.loads((PACK_DIR / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["kind"] == "pack" and manifest["illustrative"] is False
    assert manifest["licence"] == UPSTREAM_NOTICE
    assert SourceInfo.from_dict(manifest) == pack_source()  # what releases credit is what the code says


def test_the_pack_holds_the_country_outlines_and_the_demo_provinces_in_detail() -> None:
    pack = read_pack()
    assert pack is not None
    assert set(pack.views["provinsi"]["code"]) == set(registry_codes("provinsi"))
    assert set(pack.views["kabupaten"]["code"]) == set(registry_codes("kabupaten"))
    for name in ("kecamatan", "kecamatan_detail", "desa"):
        assert set(pack.views[name]["code"].str[:2]) == {"34", "53"}, name
    assert set(pack.views["kecamatan"]["code"]) == set(registry_codes("kecamatan", ("34", "53")))
    # NTT has 90 registry desa without an upstream polygon; every other desa of both provinces is there.
    desa = registry_codes("desa", ("34", "53"))
    assert len(pack.views["desa"]) == len(desa) - 90
    for view in VIEWS:
        frame = pack.views[view.name]
        assert frame.crs.to_epsg() == 4326 and set(frame["source"]) == {"pack"}
        assert shapely.is_valid(frame.geometry.array).all(), view.name
        # Coordinates are stored rounded to the view's published precision.
        coords = shapely.get_coordinates(frame.geometry.array)
        assert abs(coords - coords.round(view.decimals)).max() < 1e-9, view.name
        assert pack.manifest["views"][view.name]["bytes_max"] <= view.max_bytes


@pytest.mark.slow
def test_the_pack_command_reproduces_the_committed_pack(geo_cli: Cli, shared_geo: Path, tmp_path: Path) -> None:
    committed = json.loads((PACK_DIR / MANIFEST).read_text(encoding="utf-8"))
    out = tmp_path / "pack"
    sources = ["--source", str(shared_geo / "national"), "--source", str(shared_geo / "desa" / "desa_34.parquet"),
               "--source", str(shared_geo / "desa" / "desa_53.parquet")]
    assert geo_cli("pack", *sources, "--provinces", "34,53", "--out", str(out)) == 0
    rebuilt = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert rebuilt["pack"]["inputs"] == committed["pack"]["inputs"], "../shared/geo changed: rebuild the pack"
    for manifest in (rebuilt, committed):
        for key in UNSTABLE:
            manifest.pop(key)
        manifest["pack"].pop("command")  # the paths as typed
        for view in manifest["views"].values():
            view.pop("file_bytes")  # Parquet metadata may differ between library versions; the shapes are compared
    assert rebuilt == committed
    for name in VIEW_FILES:
        mine, theirs = gpd.read_parquet(out / name), gpd.read_parquet(PACK_DIR / name)
        assert mine.drop(columns="geometry").equals(theirs.drop(columns="geometry")), name
        assert shapely.equals_exact(mine.geometry.array, theirs.geometry.array, tolerance=0).all(), name
    assert (out / LICENCE_FILE).read_bytes() == (PACK_DIR / LICENCE_FILE).read_bytes()


def test_the_pack_command_never_replaces_a_folder_that_is_not_a_pack(geo_cli: Cli, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me", encoding="utf-8")
    assert geo_cli("pack", "--source", str(tmp_path), "--out", str(folder)) == EXIT_USER_ERROR
    assert "holds no boundary pack" in capsys.readouterr().err
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_geo_build_without_sources_installs_the_pack(geo_cli: Cli, geo_dir: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert geo_cli("build", "--provinces", "34,32") == 0
    assert "geo build (pack)" in capsys.readouterr().out
    stored = read_layers(geo_dir)
    assert stored is not None and stored.source.kind == "pack" and not stored.source.illustrative
    assert set(stored.views["provinsi"]["code"]) == {"32", "34"}
    assert len(stored.views["kabupaten"]) == len(registry_codes("kabupaten", ("32", "34")))
    assert set(stored.views["desa"]["code"].str[:2]) == {"34"}  # Jawa Barat's desa are not in the pack
    assert stored.manifest["levels"]["desa"]["regions"] == 438  # type: ignore[index]
    assert stored.manifest["views"]["kabupaten"]["regions"] == len(stored.views["kabupaten"])  # type: ignore[index]


@pytest.mark.slow
def test_a_published_release_takes_the_pack_and_marks_what_it_lacks(tmp_path: Path) -> None:
    """The demo's pipeline (generate, then publish with no layers built) on Kota Yogyakarta and Kota Kupang, plus
    Jakarta Pusat, whose kecamatan and desa the pack lacks. A release holds every region of the provinces touched."""
    raw, published = tmp_path / "raw.duckdb", tmp_path / "published" / "bansos.duckdb"
    run = {"cwd": ROOT, "check": True, "capture_output": True, "text": True}
    # One year: the pack is the point here, and the demo's four years at this density leave the protection no
    # pattern for the last year's data-quality cells.
    subprocess.run([sys.executable, "-m", "data", "generate", "--preset", "demo", "--regions", "34.71,53.71,31.71",
                    "--scale", "0.05", "--seed", "1", "--year", "2025", "--out", str(raw)], **run)
    publish = subprocess.run([sys.executable, "-m", "anonymize", "publish", "--raw", str(raw), "--out", str(published),
                              "--geo-dir", str(tmp_path / "no-layers")], **run)
    # The operator, not the map's readers, is told how to get real shapes for the province the pack lacks.
    assert "`python -m geo fetch --provinces 31`" in publish.stderr
    con = duckdb.connect(str(published), read_only=True)
    sources = {(level, kind): rest for level, kind, *rest in con.execute(
        "SELECT level, kind, illustrative, licence, attribution_id, attribution_en, regions FROM boundary_sources"
    ).fetchall()}
    pack = read_pack()
    assert pack is not None
    demo, other = ("34", "53"), ("31",)
    assert {key: rest[-1] for key, rest in sources.items()} == {
        ("provinsi", "pack"): 3,
        ("kabupaten", "pack"): len(registry_codes("kabupaten", (*demo, *other))),
        ("kecamatan", "pack"): len(registry_codes("kecamatan", demo)),
        ("kecamatan", "illustrative"): len(registry_codes("kecamatan", other)),
        ("desa", "pack"): len(pack.views["desa"]),
        ("desa", "illustrative"): len(registry_codes("desa", other)),
    }
    for (level, kind), (illustrative, licence, text_id, text_en, _) in sources.items():
        if kind == "pack":
            assert not illustrative and licence == UPSTREAM_NOTICE, level
            assert "cahyadsn/wilayah_boundaries" in text_id and "cahyadsn/wilayah_boundaries" in text_en
        else:
            assert illustrative and "ilustratif" in text_id and "illustrative" in text_en, level
            assert "python -m" not in text_id + text_en

    # The pack's own shapes are published, and Jakarta Pusat's illustrative desa lie inside its real outline.
    kabupaten = pack.views["kabupaten"].set_index("code").geometry
    published_bounds = dict(con.execute("SELECT code, [min_lon, min_lat, max_lon, max_lat] FROM boundary_centroids "
                                        "WHERE level = 'kabupaten'").fetchall())
    for code in ("34.71", "53.71", "31.71"):
        assert published_bounds[code] == pytest.approx(list(kabupaten[code].bounds), abs=1e-5), code
    desa = con.execute("SELECT polygon FROM boundaries WHERE level = 'desa' AND code LIKE '31.71.%'").fetchall()
    assert len(desa) >= len([code for code in registry_codes("desa", other) if code.startswith("31.71.")])
    for (polygon,) in desa:
        rings = json.loads(polygon)
        assert kabupaten["31.71"].buffer(1e-4).contains(shapely.Polygon(rings[0], rings[1:]))


def test_built_layers_come_first_and_the_pack_fills_what_they_lack(bandung_geo_dir: Path) -> None:
    """Layers built from Kab. Bandung's desa: the province and the neighbouring Kab. Bogor come from the pack."""
    con = duckdb.connect()
    desa = [code for code in registry_codes("desa", ("32",)) if code.startswith("32.04.")]
    report = write_boundaries(con, ["32", "32.01", "32.04", *desa], bandung_geo_dir)
    assert report.illustrative == {"provinsi": 0, "kabupaten": 0, "kecamatan": 0, "desa": 0}
    rows = con.execute("SELECT level, kind, regions, illustrative, licence FROM boundary_sources "
                       "ORDER BY level, kind").fetchall()
    assert [row[:4] for row in rows] == [("desa", "user", 280, False), ("kabupaten", "pack", 1, False),
                                         ("kabupaten", "user", 1, False), ("provinsi", "pack", 1, False)]
    assert all(licence == UPSTREAM_NOTICE for _, kind, _, _, licence in rows if kind == "pack")
    # Each region records the source its shape came from: a map of one of them credits that source only.
    assert dict(con.execute("SELECT code, source FROM boundary_centroids WHERE level = 'kabupaten'").fetchall()) == {
        "32.01": "pack", "32.04": "user"}
