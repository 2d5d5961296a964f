"""Several years in one release: each year protected alone, past years carried unchanged, a new year continues."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from builds import built_once

from anonymize.published import CELL_TABLES, read_years, release_years

ROOT = Path(__file__).resolve().parents[2]


def run_module(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *map(str, args)], cwd=ROOT, check=check, capture_output=True,
                          text=True)


def generate(out: Path, *extra: str) -> Path:
    """The fixture set of the anonymize tests (Kota Yogyakarta and Kulon Progo, a third), for the years asked."""
    run_module("data", "generate", "--regions", "34.71,34.01", "--scale", "0.3", "--seed", "1", "--out", out, *extra)
    return out


def _chain(folder: Path, publish_command: Callable[..., subprocess.CompletedProcess]) -> None:
    """Three releases into one folder: 2023-2025 through October, then through December, then with 2026."""
    for name, extra in (("october", ("--years", "2023-2025", "--through", "2025-10")),
                        ("december", ("--years", "2023-2025")),
                        ("next-year", ("--years", "2023-2026"))):
        raw = generate(folder / f"raw-{name}.duckdb", *extra)
        publish_command(raw, folder / "published" / "bansos.duckdb", check=True)
        # Keep each release's database for the tests (the folder keeps them too, but by release id).
        current = folder / "published" / "bansos.duckdb"
        (folder / f"{name}.duckdb").write_bytes(current.read_bytes())


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory, publish_command: Callable[..., subprocess.CompletedProcess]
          ) -> Path:
    return built_once(tmp_path_factory, "anonymize-years-chain", lambda folder: _chain(folder, publish_command))


def _release(path: Path) -> dict:
    con = duckdb.connect(str(path), read_only=True)
    try:
        row = con.execute("SELECT release_id, data_year, data_through, years FROM release").fetchall()[0]
        return {"release_id": row[0], "data_year": row[1], "data_through": row[2], "years": json.loads(row[3])}
    finally:
        con.close()


def _year_rows(path: Path, table: str, year: int) -> pd.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    try:
        # `table` is one of CELL_TABLES.
        return con.execute(f"SELECT * FROM {table} WHERE period = ? OR period LIKE ? "
                           "ORDER BY ALL", [str(year), f"{year}-%"]).df()
    finally:
        con.close()


def test_a_release_publishes_every_year_of_the_raw_data_each_through_its_last_month(chain):
    con = duckdb.connect(str(chain / "october.duckdb"), read_only=True)
    try:
        months = dict(con.execute("SELECT year, max(month) FROM periods GROUP BY year").fetchall())
        per_year = dict(con.execute("SELECT left(period, 4)::INT, count(*) FROM disbursement_cells "
                                    "GROUP BY 1").fetchall())
    finally:
        con.close()
    assert months == {2023: 12, 2024: 12, 2025: 10}
    assert set(per_year) == {2023, 2024, 2025} and min(per_year.values()) > 1000
    release = _release(chain / "october.duckdb")
    assert (release["data_year"], release["data_through"]) == (2025, "2025-10")
    assert {y: v["through"] for y, v in release["years"].items()} == {
        "2023": "2023-12", "2024": "2024-12", "2025": "2025-10"}
    assert {v["published_in"] for v in release["years"].values()} == {release["release_id"]}
    # Each year records the program rules its audit relies on (the data may widen them differently per year).
    assert all(set(v["program_rules"]) == {"PKH", "SEMBAKO", "BLT_DD", "SEMUA"} for v in release["years"].values())


def test_each_year_is_read_back_and_attacked_alone(chain):
    years = read_years(chain / "october.duckdb")
    assert [y.scope.year for y in years] == release_years(chain / "october.duckdb") == [2023, 2024, 2025]
    for published in years:
        for table_input, suppressed in published.tables:
            periods = set(table_input.frame["period"].astype(str))
            # Only this year's periods (and, for the latest year, its earlier year-to-dates).
            assert all(p.startswith(str(published.scope.year)) for p in periods), (table_input.name, periods)
            assert suppressed.any() or table_input.name != "disbursement_cells"
    done = run_module("anonymize", "audit", chain / "october.duckdb", "--count-nested", check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    tables = [line.split(":")[0] for line in done.stdout.splitlines()[:-1] if not line.startswith("  ")]
    assert tables == [*(f"{n} {y}" for y in (2023, 2024) for n in CELL_TABLES), *CELL_TABLES]


@pytest.mark.parametrize("table", CELL_TABLES)
def test_a_new_month_carries_past_years_unchanged_and_continues_the_latest(chain, table):
    before, after = _release(chain / "october.duckdb"), _release(chain / "december.duckdb")
    for year in (2023, 2024):
        pd.testing.assert_frame_equal(_year_rows(chain / "october.duckdb", table, year),
                                      _year_rows(chain / "december.duckdb", table, year))
        assert after["years"][str(year)]["published_in"] == before["release_id"]
    assert after["years"]["2025"] == {**after["years"]["2025"], "through": "2025-12",
                                      "published_in": after["release_id"]}
    con = duckdb.connect(str(chain / "december.duckdb"), read_only=True)
    try:
        earlier = {p for (p,) in con.execute(f"SELECT DISTINCT period FROM {table}_earlier").fetchall()}
    finally:
        con.close()
    assert earlier <= {"2025@10"}


@pytest.mark.parametrize("table", CELL_TABLES)
def test_a_new_year_carries_the_finished_year_and_protects_the_new_one(chain, table):
    december, next_year = _release(chain / "december.duckdb"), _release(chain / "next-year.duckdb")
    assert (next_year["data_year"], next_year["data_through"]) == (2026, "2026-12")
    for year in (2023, 2024, 2025):
        pd.testing.assert_frame_equal(_year_rows(chain / "december.duckdb", table, year),
                                      _year_rows(chain / "next-year.duckdb", table, year))
    assert next_year["years"]["2025"]["published_in"] == december["release_id"]
    assert next_year["years"]["2026"]["published_in"] == next_year["release_id"]
    assert len(_year_rows(chain / "next-year.duckdb", table, 2026)) > 0
    # Readers still hold October's year-to-date of 2025: it stays in the release, and in its audit.
    con = duckdb.connect(str(chain / "next-year.duckdb"), read_only=True)
    try:
        earlier = {p for (p,) in con.execute(f"SELECT DISTINCT period FROM {table}_earlier").fetchall()}
    finally:
        con.close()
    assert earlier == {"2025@10"} or table != "disbursement_cells"
    done = run_module("anonymize", "audit", chain / "next-year.duckdb", "--count-nested", check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_release_that_adds_nothing_is_refused_and_the_current_one_keeps_serving(chain, publish_command,
                                                                                  copy_release):
    current = copy_release(chain / "published" / "bansos.duckdb")
    served = _release(current)["release_id"]
    done = publish_command(chain / "raw-december.duckdb", current)
    assert done.returncode == 2
    assert "already covers 2026 through month 12; a new release must not end earlier" in done.stderr
    assert "Traceback" not in done.stderr
    assert _release(current)["release_id"] == served


def _manifest_audit(chain: Path, name: str) -> dict:
    release_id = _release(chain / f"{name}.duckdb")["release_id"]
    manifest = chain / "published" / "releases" / release_id / "manifest.json"
    return json.loads(manifest.read_text(encoding="utf-8"))["audit"]


def test_years_carried_unchanged_keep_their_audit_instead_of_being_attacked_again(chain):
    """A national past year took about ten minutes to attack: a month on top of four past years spent forty
    minutes re-attacking tables nobody had changed. A carried year whose attack would see the same system keeps
    the verdict of the release it comes from; the years protected in the run are audited as before."""
    october, december = _release(chain / "october.duckdb"), _release(chain / "december.duckdb")
    audit = _manifest_audit(chain, "december")
    for name in CELL_TABLES:
        for year in (2023, 2024):
            table = audit["tables"][f"{name} {year}"]
            assert table["carried_from"] == october["release_id"] and table["reused"] and table["passed"]
        assert "carried_from" not in audit["tables"][name]  # 2025, continued
    # The continued year's standalone audit reads back the cells the publisher attacked, in the order it attacked
    # them (published.read_release), so it reuses that attack: identical systems, array by array
    # (protect.reuse_audit). Before, the `_earlier` rows came last and the disbursement table was attacked again.
    assert all(audit["tables"][name]["reused"] for name in CELL_TABLES)
    audit = _manifest_audit(chain, "next-year")
    for name in CELL_TABLES:
        assert {audit["tables"][f"{name} {y}"]["carried_from"] for y in (2023, 2024, 2025)} == {december["release_id"]}
        assert "carried_from" not in audit["tables"][name]  # 2026, new
        # The figures are the carried release's own for that table (2025 was its latest year, keyed by name alone).
        assert audit["tables"][f"{name} 2025"]["measures"] == _manifest_audit(chain, "december")["tables"][name][
            "measures"]


def test_a_carried_year_that_differs_is_attacked(chain):
    """2025 as the next-year release publishes it (through December) is not what October published: October's
    verdict must not stand for it, so it is attacked; 2023 and 2024 are identical and keep October's."""
    from anonymize.audit import Carried, audit_release

    october = _release(chain / "october.duckdb")
    carried = Carried.of(chain / "october.duckdb", october["release_id"], _manifest_audit(chain, "october"),
                         {2023, 2024, 2025})
    outcome = audit_release(chain / "december.duckdb", carried=carried)
    assert outcome["passed"]
    for name in CELL_TABLES:
        assert outcome["tables"][f"{name} 2024"].get("carried_from") == october["release_id"]
        assert "carried_from" not in outcome["tables"][name] and outcome["tables"][name]["lp_solves"] > 0


def test_a_worker_process_line_names_its_year_once():
    """Two years protected at once share stderr: a worker's lines carry its year, but only once."""
    import logging

    from anonymize.build import _YearFormatter

    formatter = _YearFormatter("2025")

    def line(message: str, *args: object) -> str:
        return formatter.format(logging.LogRecord("anonymize", logging.INFO, __file__, 1, message, args, None))

    assert line("year %d: %s cells protected (%d of %d tables)", 2025, "1,000", 1, 3) == \
        "year 2025: 1,000 cells protected (1 of 3 tables)"
    assert line("protecting %s (%s cells)", "disbursement_cells", "9") == "2025 protecting disbursement_cells (9 cells)"
    assert line("year %d: ...", 2024) == "2025 year 2024: ..."
