"""The published-database queries: the right rows for a region and level, and a new release seen at once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dashboard import db, releases

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def release_id(published_db) -> str:
    return db.get_release().release_id


@pytest.mark.parametrize(("code", "level"), [("ID", "provinsi"), ("ID", "kecamatan"), ("34", "kabupaten"),
                                             ("34.01", "kecamatan"), ("34.01.01", "desa"), ("34.01", "desa")])
def test_cells_are_the_regions_at_a_level_inside_a_region(published, release_id, code, level):
    cells = db.get_cells(release_id, code, level, "SEMUA", "2025")
    expected = published.execute("SELECT count(*) FROM regions WHERE level = ? AND (? = 'ID' OR code LIKE ? || '.%')",
                                 [level, code, code]).fetchone()[0]
    assert len(cells) == expected > 0
    assert set(cells["channel"]) == {"SEMUA"} and set(cells["period"]) == {"2025"}
    if code != "ID":
        assert cells["region_code"].str.startswith(code + ".").all()


def test_hidden_cells_come_back_with_every_measure_empty(release_id):
    cells = db.get_cells(release_id, "34.01", "desa", "SEMUA", "2025")
    hidden = cells[cells["suppressed"]]
    assert len(hidden) > 0
    assert hidden[list(db.MEASURES)].isna().all().all()


def test_denominators_pair_each_program_with_the_registered_households(release_id):
    den = db.get_denominators(release_id, "34", "kabupaten", "2025")
    assert set(den["program"]) == {"SEMUA", "PKH", "SEMBAKO", "BLT_DD"}
    pkh = den[den["program"] == "PKH"]
    assert pkh["eligible_households"].notna().all() and pkh["registered_households"].notna().all()


def test_lineage_and_bbox(release_id):
    lineage = db.get_lineage(release_id, "34.01.01")
    assert lineage["code"].tolist() == ["ID", "34", "34.01", "34.01.01"]
    min_lon, min_lat, max_lon, max_lat = db.get_bbox(release_id, ("34.01",))
    assert min_lon < max_lon and min_lat < max_lat
    assert db.get_region(release_id, "99") is None


def _release(folder, published_db, release_id: str):
    """A release folder as `anonymize publish` leaves it, with its own id."""
    (folder / "releases" / release_id).mkdir(parents=True)
    target = folder / "releases" / release_id / "bansos.duckdb"
    shutil.copy(published_db, target)
    con = duckdb.connect(str(target))
    con.execute("UPDATE release SET release_id = ?", [release_id])
    con.close()
    return target


def test_a_new_release_swapped_in_is_seen_without_a_restart(published_db, tmp_path, monkeypatch):
    current = tmp_path / "bansos.duckdb"
    os.link(_release(tmp_path, published_db, "20250101T000000Z"), current)
    monkeypatch.setenv("BANSOS_PUBLISHED_DB", str(current))
    assert db.get_release().release_id == "20250101T000000Z"
    # What `anonymize publish` does: link the new release beside the current file, then rename it over.
    os.link(_release(tmp_path, published_db, "20250201T000000Z"), tmp_path / ".current-next")
    os.replace(tmp_path / ".current-next", current)
    assert db.get_release().release_id == "20250201T000000Z"


def test_queries_run_on_a_plain_connection_without_streamlit(published_db):
    """The query layer needs no Streamlit runtime: any read-only DuckDB connection will do."""
    script = ("import sys, duckdb\n"
              "from dashboard import queries\n"
              "con = duckdb.connect(sys.argv[1], read_only=True)\n"
              "assert queries.release(con).data_year == 2025\n"
              "cells = queries.cells(con, '34', 'kabupaten', 'SEMUA', '2025')\n"
              "kabupaten = con.execute(\"SELECT count(*) FROM regions WHERE level = 'kabupaten'\").fetchone()[0]\n"
              "assert len(cells) == kabupaten > 0 and set(cells['channel']) == {'SEMUA'}\n"
              "assert queries.lineage(con, '34.01.01')['code'].tolist() == ['ID', '34', '34.01', '34.01.01']\n"
              "print('streamlit' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", script, str(published_db)], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    assert done.stdout.strip() == "False"


def test_a_release_id_from_a_link_is_never_part_of_a_path(published_db, tmp_path, monkeypatch):
    current = tmp_path / "bansos.duckdb"
    os.link(_release(tmp_path, published_db, "20250101T000000Z"), current)
    (tmp_path / "releases" / "20250101T000000Z" / "manifest.json").write_text("{}")
    (tmp_path / "elsewhere").mkdir()
    shutil.copy(published_db, tmp_path / "elsewhere" / "bansos.duckdb")
    (tmp_path / "elsewhere" / "manifest.json").write_text("{}")
    monkeypatch.setenv("BANSOS_PUBLISHED_DB", str(current))
    assert releases.release_file("../elsewhere") == tmp_path / "releases" / "20250101T000000Z" / "bansos.duckdb"
    assert releases.release_folder("../elsewhere") is None
    assert releases.release_folder("20250101T000000Z") == tmp_path / "releases" / "20250101T000000Z"
    assert releases.kept_release_ids() == ["20250101T000000Z"]


def _boundary_tables(con: duckdb.DuckDBPyConnection, per_region: bool) -> None:
    """A kabupaten level whose shapes come from two sources: a user's layers for 32.04, illustrative for 32.01."""
    source = ", source VARCHAR" if per_region else ""
    con.execute(f"CREATE TABLE boundary_centroids (level VARCHAR, code VARCHAR{source})")
    con.execute("INSERT INTO boundary_centroids VALUES " + (
        "('kabupaten', '32.04', 'user'), ('kabupaten', '32.01', 'illustrative')" if per_region
        else "('kabupaten', '32.04'), ('kabupaten', '32.01')"))
    con.execute("CREATE TABLE boundary_sources (level VARCHAR, kind VARCHAR, name VARCHAR, illustrative BOOLEAN, "
                "regions INTEGER)")
    con.execute("INSERT INTO boundary_sources VALUES ('kabupaten', 'illustrative', 'ilustratif', true, 1), "
                "('kabupaten', 'user', 'BIG', false, 1), ('provinsi', 'pack', 'pack', false, 1)")


@pytest.mark.parametrize(("codes", "kinds"), [(("32.04",), ["user"]), (("32.01",), ["illustrative"]),
                                              (("32.01", "32.04"), ["user", "illustrative"]),
                                              (None, ["user", "illustrative"])])
def test_a_map_credits_the_sources_of_the_regions_it_draws(codes, kinds):
    """Not the level's first source: the map of Kab. Bandung credits the user's layers and calls nothing
    illustrative, though the level's other kabupaten is illustrative; real sources come first."""
    from dashboard import queries

    con = duckdb.connect()
    _boundary_tables(con, per_region=True)
    assert [s["kind"] for s in queries.boundary_sources(con, "kabupaten", codes)] == kinds


def test_a_release_without_per_region_sources_gives_every_source_of_the_level():
    from dashboard import queries

    con = duckdb.connect()
    _boundary_tables(con, per_region=False)
    assert [s["kind"] for s in queries.boundary_sources(con, "kabupaten", ("32.04",))] == ["user", "illustrative"]


def test_the_warm_up_fills_the_profiles_outlook_with_the_national_views(release_id, monkeypatch):
    """A first /wilayah visit computed next year's outlook of all programs in its own run (12.6 s cold on the demo
    release): the warm-up thread, started when a process first serves a release, fills it too, after the national
    and province views, from the same cached function the profile calls."""
    from dashboard import outlook_views, warm
    from published_schema import ALL_PROGRAMS

    asked: list[tuple[str, str]] = []
    real = outlook_views.get_outlook
    monkeypatch.setattr(outlook_views, "get_outlook", lambda *key: asked.append(key) or real(*key))
    warm._fill(release_id)
    assert asked[0] == (release_id, ALL_PROGRAMS)      # (which asks for each program's in turn)
    # What it cached is what a profile reads: the country's projected all-programs rows.
    projected = real(release_id, ALL_PROGRAMS).projected
    assert ((projected["region_code"] == "ID") & (projected["program"] == ALL_PROGRAMS)).any()
