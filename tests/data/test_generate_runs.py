"""Whole generator runs: determinism by seed, `--through` as an exact prefix, atomic replacement, the CLI."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

import cli
import data.generate as generate_module
from data.generate import TABLES, GenerationConfig, generate

#: Sumba Barat at a third of its density, cut into several chunks so chunk seeding and ids are exercised.
SMALL = GenerationConfig(regions=("53.12",), scale=0.3, seed=3, chunk_households=800)
ORDER = {
    "households": "household_id",
    "members": "household_id, member_no",
    "disbursements": "kk_number, program, tahap",
    "complaints": "complaint_id",
    "usul_sanggah": "proposal_id",
}


def read_tables(path: Path, where: dict[str, str] | None = None) -> dict[str, pa.Table]:
    where = where or {}
    with duckdb.connect(str(path), read_only=True) as con:
        return {t: con.sql(f"SELECT * FROM {t} WHERE {where.get(t, 'true')} ORDER BY {ORDER[t]}").to_arrow_table()
                for t in TABLES}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("runs")
    configs = {
        "base": SMALL,
        "again": SMALL,
        "other_seed": replace(SMALL, seed=4),
        "through_june": replace(SMALL, through="2025-06"),
    }
    for name, config in configs.items():
        generate(replace(config, out=folder / f"{name}.duckdb"), show_progress=False)
    return {name: folder / f"{name}.duckdb" for name in configs}


def test_the_small_run_spans_several_chunks(runs):
    with duckdb.connect(str(runs["base"]), read_only=True) as con:
        households, first, last = con.execute(
            "SELECT count(*), min(household_id), max(household_id) FROM households").fetchone()
        chunks = con.execute("SELECT count(DISTINCT complaint_id // 100000000) FROM complaints").fetchone()[0]
    assert (first, last) == (1, households), "household ids must run 1..N across chunks"
    assert chunks >= 3


def test_same_seed_gives_identical_tables(runs):
    base, again = read_tables(runs["base"]), read_tables(runs["again"])
    for table in TABLES:
        assert base[table].num_rows > 0
        assert base[table].equals(again[table]), table


def test_another_seed_gives_other_rows(runs):
    base, other = read_tables(runs["base"]), read_tables(runs["other_seed"])
    assert base["households"]["head_nik"] != other["households"]["head_nik"]
    assert not base["disbursements"].equals(other["disbursements"])


def test_through_keeps_exactly_the_earlier_months_of_a_full_run(runs):
    cut = read_tables(runs["through_june"])
    full = read_tables(runs["base"], where={
        "disbursements": "period <= '2025-06'",
        "complaints": "received_date <= DATE '2025-06-30'",
        "usul_sanggah": "submitted_date <= DATE '2025-06-30'",
    })
    for table in TABLES:
        assert cut[table].equals(full[table]), table
    assert max(cut["disbursements"]["period"].to_pylist()) == "2025-06"
    with duckdb.connect(str(runs["through_june"]), read_only=True) as con:
        assert con.execute("SELECT value FROM raw_metadata WHERE key = 'through'").fetchone()[0] == "2025-06"


def test_regenerating_replaces_the_previous_database(tmp_path):
    out = tmp_path / "raw.duckdb"
    generate(replace(SMALL, out=out), show_progress=False)
    second = generate(replace(SMALL, seed=9, scale=0.1, out=out), show_progress=False)
    with duckdb.connect(str(out), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM households").fetchone()[0] == second.rows["households"]
        assert con.execute("SELECT value FROM raw_metadata WHERE key = 'seed'").fetchone()[0] == "9"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw.duckdb"]


def test_an_interrupted_run_leaves_the_previous_database_untouched(tmp_path, monkeypatch):
    out = tmp_path / "raw.duckdb"
    first = generate(replace(SMALL, out=out), show_progress=False)
    real_make_chunk = generate_module.make_chunk

    def failing(index, *args):
        if index == 2:
            raise KeyboardInterrupt
        return real_make_chunk(index, *args)

    monkeypatch.setattr(generate_module, "make_chunk", failing)
    with pytest.raises(KeyboardInterrupt):
        generate(replace(SMALL, seed=5, out=out), show_progress=False)
    with duckdb.connect(str(out), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM households").fetchone()[0] == first.rows["households"]
        assert con.execute("SELECT value FROM raw_metadata WHERE key = 'seed'").fetchone()[0] == "3"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw.duckdb"]


def run_cli(*args: str) -> int:
    return cli.main("python -m data", "test", {"generate": "data.generate"}, ["generate", *args])


def test_cli_prints_one_summary_line_and_applies_fault_overrides(tmp_path, capsys):
    out = tmp_path / "raw.duckdb"
    code = run_cli("--regions", "53.12", "--scale", "0.3", "--seed", "2", "--fault", "exclusion=0.3,late=0.1",
                   "--out", str(out))
    assert code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    # Without --year or --years the demo makes its four years.
    assert re.fullmatch(
        r"generated demo \(seed 2, years 2022-2025, regions 53\.12, scale 0\.3\): households [\d,]+, members [\d,]+, "
        r"disbursements [\d,]+, complaints [\d,]+, usul_sanggah [\d,]+ in \d+\.\d s \([\d,]+ rows/s\) -> .+",
        lines[0]), lines[0]
    with duckdb.connect(str(out), read_only=True) as con:
        rates = con.execute("SELECT value FROM raw_metadata WHERE key = 'fault_rates'").fetchone()[0]
        years = con.execute("SELECT list(DISTINCT year ORDER BY year) FROM households").fetchone()[0]
    assert '"exclusion": 0.3' in rates and '"late": 0.1' in rates
    assert years == [2022, 2023, 2024, 2025]


@pytest.mark.parametrize("args", [
    ["--through", "2024-05"],
    ["--through", "2025-13"],
    ["--through", "june"],
    ["--regions", "99"],
    ["--regions", "34.01.01"],
    ["--regions", "34.99"],
    ["--fault", "bogus=0.1"],
    ["--fault", "exclusion=2"],
    ["--fault", "exclusion"],
    ["--scale", "0"],
    ["--scale", "nan"],
    ["--scale", "inf"],
    ["--year", "1890"],
    ["--years", "2025-2022"],
    ["--years", "2022-25"],
    ["--years", "1890-2025"],
    ["--years", "2022-2025", "--through", "2022-06"],
    ["--preset", "demo", "--regions", "53.12", "--scale", "0.00001"],
])
def test_cli_user_errors_are_one_sentence_and_write_nothing(tmp_path, capsys, args):
    out = tmp_path / "raw.duckdb"
    assert run_cli(*args, "--out", str(out)) == cli.EXIT_USER_ERROR
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and error[0].startswith("error: ") and "Traceback" not in error[0]
    assert not out.exists()
