"""A release built with the real commands: nothing row-level in it, counts true to the raw data, hidden cells
blank, and the commands' summaries and user errors."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
import threading
import types
from pathlib import Path

import duckdb
import numpy as np
import pytest

from anonymize import publish as publish_module
from anonymize.build import build_tables, release_region_codes
from anonymize.published import CELL_TABLES, EARLIER_SUFFIX, read_release
from anonymize.table import Role
from anonymize.tables import DISBURSEMENT_MEASURES
from published_schema import table_range_columns
from settings import STATUS_PAID

THRESHOLD = 10
DIGIT_RUN = re.compile(r"\d{10,}")
WORDS = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)*")


def raw_identifiers(raw_db: Path) -> tuple[set[str], set[str]]:
    """Every NIK and KK number, and every name, of the raw database."""
    with duckdb.connect(str(raw_db), read_only=True) as con:
        numbers = {v for (v,) in con.execute(
            """SELECT nik FROM disbursements UNION SELECT kk_number FROM disbursements WHERE kk_number IS NOT NULL
               UNION SELECT head_nik FROM households UNION SELECT kk_number FROM households""").fetchall()}
        names = {v for (v,) in con.execute("SELECT name FROM disbursements UNION SELECT head_name FROM households")
                 .fetchall()}
    return numbers, names


def published_texts(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], set[str]]:
    """Every distinct value of every column of every table, as text."""
    texts = {}
    for table, column in con.execute(
            "SELECT table_name, column_name FROM information_schema.columns ORDER BY ALL").fetchall():
        texts[(table, column)] = {v for (v,) in con.execute(
            f'SELECT DISTINCT CAST("{column}" AS VARCHAR) FROM "{table}" WHERE "{column}" IS NOT NULL').fetchall()}
    return texts


def leaks(text: str, numbers: set[str], names: set[str], whole_names: bool = True) -> set[str]:
    """Identifiers in one text: a NIK or KK number as any run of digits, a name as the whole text or a JSON string
    in it, and a name of two or more words anywhere among its words."""
    found = {run for run in DIGIT_RUN.findall(text) if run in numbers}
    candidates = set()
    if whole_names:
        candidates.add(text.strip())
        with contextlib.suppress(ValueError):
            candidates |= set(_json_strings(json.loads(text)))
    words = WORDS.findall(text)
    for size in (2, 3, 4):
        candidates |= {" ".join(words[i:i + size]) for i in range(len(words) - size + 1)}
    return found | (candidates & names)


def _json_strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [*_json_strings(k), *_json_strings(v)]]
    if isinstance(value, list):
        return [s for v in value for s in _json_strings(v)]
    return []


def test_no_nik_kk_number_or_name_reaches_any_published_table(raw_db, published):
    numbers, names = raw_identifiers(raw_db)
    assert len(numbers) > 10_000 and len(names) > 5_000, "the raw set must be worth scanning"
    texts = published_texts(published)
    assert {"release", "data_dictionary", "regions", "boundary_sources", *CELL_TABLES} <= {t for t, _ in texts}
    found = {}
    for (table, column), values in texts.items():
        # Region names are the public registry's (some desa share a name with a person, e.g. Galur): checked below.
        whole = (table, column) != ("regions", "name")
        hits = set().union(*(leaks(v, numbers, names, whole) for v in values))
        if hits:
            found[f"{table}.{column}"] = sorted(hits)[:5]
    assert found == {}


def test_region_names_come_from_the_public_registry(raw_db, published):
    with duckdb.connect(str(raw_db), read_only=True) as raw:
        registry = dict(raw.execute("SELECT code, name FROM regions").fetchall())
    published_names = dict(published.execute("SELECT code, name FROM regions").fetchall())
    assert published_names and all(registry[code] == name for code, name in published_names.items())


def test_no_identifier_reaches_the_manifest(raw_db, release_db):
    numbers, names = raw_identifiers(raw_db)
    manifests = list((release_db.parent / "releases").glob("*/manifest.json"))
    assert len(manifests) == 1
    assert leaks(manifests[0].read_text(encoding="utf-8"), numbers, names) == set()


def test_the_scan_would_find_an_identifier():
    numbers, names = {"3401040409710001"}, {"Budi Santoso", "Ayu"}
    assert leaks('{"households": 3401040409710001.0}', numbers, names) == {"3401040409710001"}
    assert leaks('{"quarantine": ["row of Ayu"]}', numbers, names) == set()
    assert leaks('{"quarantine": ["Ayu"]}', numbers, names) == {"Ayu"}
    assert leaks("paid to Budi Santoso in May", numbers, names) == {"Budi Santoso"}


# --- Published values ----------------------------------------------------------------------------------------

CELLS = [  # level, program, period, channel: the published cell of this kind with the fewest households is checked
    ("nasional", "SEMUA", "2025", "SEMUA"),
    ("provinsi", "PKH", "2025-07", "SEMUA"),
    ("kabupaten", "SEMBAKO", "2025", "BRI"),
    ("kabupaten", "SEMUA", "2025-03", "POS"),
    ("kecamatan", "BLT_DD", "2025-06", "SEMUA"),
    ("kecamatan", "SEMUA", "2025", "SEMUA"),
    ("desa", "SEMBAKO", "2025", "SEMUA"),
    ("desa", "SEMUA", "2025", "SEMUA"),
]

_RAW_CELL = """
    SELECT count(DISTINCT (coalesce(kk_number, 'nik:' || nik), desa_code)), sum(amount)
    FROM disbursements
    WHERE status = $paid AND period BETWEEN '2025-01' AND '2025-12'
      AND ($region = 'ID' OR desa_code = $region OR starts_with(desa_code, $region || '.'))
      AND ($program = 'SEMUA' OR program = $program)
      AND ($period = '2025' OR period = $period)
      AND ($channel = 'SEMUA' OR coalesce(channel, 'LAINNYA') = $channel)"""


@pytest.mark.parametrize(("level", "program", "period", "channel"), CELLS)
def test_published_recipients_are_distinct_households_of_the_raw_records(raw_db, published, level, program,
                                                                         period, channel):
    cell = published.execute(
        """SELECT region_code, recipients, amount FROM disbursement_cells
           WHERE level = ? AND program = ? AND period = ? AND channel = ? AND NOT suppressed AND recipients > 0
           ORDER BY recipients, region_code LIMIT 1""", [level, program, period, channel]).fetchone()
    assert cell is not None, "the release publishes such a cell"
    region, recipients, amount = cell
    with duckdb.connect(str(raw_db), read_only=True) as raw:
        expected = raw.execute(_RAW_CELL, {"paid": STATUS_PAID, "region": region, "program": program,
                                           "period": period, "channel": channel}).fetchone()
    assert (recipients, amount) == expected


def measures_of(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    keys = {"region_code", "level", "program", "period", "channel", "category", "kind", "indicator", "suppressed"}
    columns = [c for (c,) in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                                         "ORDER BY ordinal_position", [table]).fetchall()]
    return [c for c in columns if c not in keys and c not in table_range_columns(table)]


@pytest.mark.parametrize("table", [*CELL_TABLES, *(t + EARLIER_SUFFIX for t in CELL_TABLES)])
def test_a_hidden_cell_has_every_measure_null(published, table):
    measures = measures_of(published, table)
    shown = " OR ".join(f"{m} IS NOT NULL" for m in measures)
    assert published.execute(f"SELECT count(*) FROM {table} WHERE suppressed AND ({shown})").fetchone()[0] == 0
    if not table.endswith(EARLIER_SUFFIX):
        assert published.execute(f"SELECT count(*) FROM {table} WHERE suppressed").fetchone()[0] > 0


def test_cell_tables_store_counts_and_rupiah_never_rates(release_db, published):
    """A rate (paid on time, coverage) is not stored at all, so none can survive on a hidden cell: readers compute
    it from published values. Every value column is a measure the audit protects, and a whole number."""
    protected = {table_input.name: table_input.table.published_measures()
                 for table_input, _ in read_release(release_db).tables}
    assert protected["disbursement_cells"] == [m.name for m in DISBURSEMENT_MEASURES if m.role is not Role.AUXILIARY]
    for table in CELL_TABLES:
        assert measures_of(published, table) == protected[table]
        types = dict(published.execute("SELECT column_name, data_type FROM information_schema.columns "
                                       "WHERE table_name = ?", [table]).fetchall())
        assert {types[m] for m in protected[table]} == {"BIGINT"}


@pytest.mark.parametrize(("table", "counts"), [
    ("disbursement_cells", ["recipients", "eligible_households", "registered_households"]),
    ("complaint_cells", ["complaints"]),
    ("proposal_cells", ["proposals"]),
    ("quality_cells", ["households"]),
])
def test_no_published_household_count_is_below_the_threshold(published, table, counts):
    small = " OR ".join(f"{c} BETWEEN 1 AND {THRESHOLD - 1}" for c in counts)
    assert published.execute(f"SELECT count(*) FROM {table} WHERE {small}").fetchone()[0] == 0


# --- Commands ------------------------------------------------------------------------------------------------

def test_the_audit_command_passes_a_good_release_and_prints_a_summary(release_db, run_module):
    done = run_module("anonymize", "audit", release_db, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    tables = [line for line in lines[:-1] if not line.startswith("  ")]     # measure lines are indented
    assert [line.split(":")[0] for line in tables] == list(CELL_TABLES)
    ranges = [line for line in lines if line.startswith("  ranges: ")]
    assert ranges == ["  ranges: every published range equals the one recomputed from the published figures"] * len(
        tables)
    # One release of the whole year: no earlier year-to-date to subtract (anonymize.differences).
    between = [line for line in lines if line.startswith("  between releases: ")]
    assert between == ["  between releases: nothing to subtract (no household count with an earlier release's "
                       "year-to-date)"] * len(tables)
    # Nested household counts: reported per table, not part of the verdict (published by policy; test_leaks.py
    # checks them).
    nested = [line for line in lines if line.startswith("  nested counts: ")]
    assert len(nested) == len(tables)
    measures = [line for line in lines[:-1] if line not in ranges and line not in between and line not in nested]
    assert all(", 0 too narrow," in line or ", 0 too narrow or in doubt," in line for line in measures)
    assert all(", 0 in doubt," in line for line in measures if line.startswith("  "))
    assert re.fullmatch(r"audit passed: threshold 10, [\d,]+ hidden values, [\d,]+ LP solves in [\d.]+ s", lines[-1])


def test_publish_without_a_raw_database_is_a_user_error(tmp_path, run_module):
    done = run_module("anonymize", "publish", "--raw", tmp_path / "missing.duckdb", "--out",
                      tmp_path / "published" / "bansos.duckdb", check=False)
    assert done.returncode == 2
    assert done.stderr == f"error: No raw database at {tmp_path / 'missing.duckdb'}; run `python -m data generate` " \
                          "or `python -m data ingest`.\n"
    assert not (tmp_path / "published").exists()


def test_a_threshold_below_two_is_a_user_error(tmp_path, raw_db, publish_command):
    done = publish_command(raw_db, tmp_path / "published" / "bansos.duckdb", "--threshold", "1")
    assert done.returncode == 2
    assert done.stderr == "error: --threshold must be at least 2, got 1.\n"
    assert not (tmp_path / "published").exists()


@pytest.mark.parametrize("through", ["2025-13", "2025-00", "2025-1", "Oktober"])
def test_a_month_that_is_not_one_is_a_user_error(tmp_path, raw_db, publish_command, through):
    done = publish_command(raw_db, tmp_path / "published" / "bansos.duckdb", "--through", through)
    assert done.returncode == 2
    assert done.stderr == f"error: --through must be a month written YYYY-MM (month 01 to 12), got {through!r}.\n"
    assert not (tmp_path / "published").exists()


def test_auditing_a_missing_release_is_a_user_error(tmp_path, anonymize_cli):
    code, out, err = anonymize_cli("audit", tmp_path / "nowhere.duckdb")
    assert (code, out) == (2, "")
    assert err == f"error: No published database at {tmp_path / 'nowhere.duckdb'}.\n"


def test_tables_protected_at_once_hide_what_one_at_a_time_hides(raw_db: Path):
    """With more than one attack thread, the smaller tables are protected beside the largest (anonymize.build):
    each table's pattern must be the one it gets alone, whatever the tables' order of finishing."""
    raw = duckdb.connect(str(raw_db), read_only=True)
    try:
        alone = build_tables(raw, THRESHOLD, 14, workers=1)
        at_once = build_tables(raw, THRESHOLD, 14, workers=2)
    finally:
        raw.close()
    assert [t.name for t in at_once.tables] == [t.name for t in alone.tables]
    assert len(alone.tables) > 1
    for one, other in zip(alone.tables, at_once.tables, strict=True):
        assert np.array_equal(one.protection.suppressed, other.protection.suppressed), one.name
        assert one.protection.rounds == other.protection.rounds


def _boundaries_beside(raw_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[str]]:
    """Publishing set to make a quick subset of `raw_db`'s boundaries in the second process; (geo dir, codes)."""
    monkeypatch.setattr(publish_module, "BACKGROUND_BOUNDARIES_FROM", 0)
    monkeypatch.setattr(publish_module, "BACKGROUND_NICE", 0)   # the suite keeps both cores busy
    # The spawned process runs this process's __main__ again: in a test worker that has run an AppTest, the
    # dashboard's app.py, which dies outside Streamlit (as the last test below makes it). `python -m anonymize`
    # has its own.
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    codes = [c for c in release_region_codes(raw_db) if len(c) <= 2 or c.startswith("34.71")]    # a quick subset
    monkeypatch.setattr(publish_module, "release_region_codes", lambda raw, through: codes)
    return tmp_path / "no-layers", codes    # the boundary pack, and illustrative shapes where it has none


def _same_boundaries(db: Path, codes: list[str], geo_dir: Path, tmp_path: Path) -> None:
    """`db`'s boundary tables are non-empty and those geo.release writes in this process, row for row."""
    from geo.release import TABLES, write_boundaries

    in_process = tmp_path / "in_process.duckdb"
    with duckdb.connect(str(in_process)) as con:
        write_boundaries(con, codes, geo_dir)
    with duckdb.connect(str(db)) as con:
        con.execute("ATTACH ? AS other (READ_ONLY)", [str(in_process)])
        for table in TABLES:
            columns = ", ".join(c for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? AND table_catalog = ?"
                " AND column_name <> 'built_at'", [table, db.stem]).fetchall())    # built_at: when shapes were made
            differ = con.execute(f"SELECT count(*) FROM ((SELECT {columns} FROM {table} EXCEPT ALL "
                                 f"SELECT {columns} FROM other.{table}) UNION ALL (SELECT {columns} FROM other.{table}"
                                 f" EXCEPT ALL SELECT {columns} FROM {table}))").fetchone()[0]
            assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] > 0
            assert differ == 0, table


def test_boundaries_made_beside_the_protection_are_those_made_in_process(raw_db, tmp_path, monkeypatch):
    geo_dir, codes = _boundaries_beside(raw_db, tmp_path, monkeypatch)
    beside = tmp_path / "beside.duckdb"
    with publish_module._Boundaries.beside(raw_db, None, geo_dir) as boundaries:
        boundaries.write(beside, codes)
        assert boundaries.made_beside, "made in the second process"
    _same_boundaries(beside, codes, geo_dir, tmp_path)


def _write_within(boundaries, db: Path, codes: list[str], seconds: float = 300) -> None:
    """boundaries.write, failing the test (not hanging it) if it has not returned within `seconds`."""
    writer = threading.Thread(target=boundaries.write, args=(db, codes), daemon=True)
    writer.start()
    writer.join(timeout=seconds)
    assert not writer.is_alive(), f"the publisher still waits for the boundaries process after {seconds} s"


def test_a_boundaries_process_that_dies_leaves_them_made_in_process_not_a_publish_waiting_forever(
        raw_db, tmp_path, monkeypatch, caplog):
    """The second process killed (as the out-of-memory killer would) before it sends its tables: the publisher
    makes them itself, says so, and goes on. (With a multiprocessing.Pool it waited for them forever.)"""
    geo_dir, codes = _boundaries_beside(raw_db, tmp_path, monkeypatch)
    beside = tmp_path / "beside.duckdb"
    with publish_module._Boundaries.beside(raw_db, None, geo_dir) as boundaries:
        assert boundaries._process is not None
        boundaries._process.kill()
        with caplog.at_level(logging.WARNING, logger=publish_module.__name__):
            _write_within(boundaries, beside, codes)
        assert not boundaries.made_beside
    assert "the boundaries process ended without its tables (exit code -9)" in caplog.text
    _same_boundaries(beside, codes, geo_dir, tmp_path)


def test_a_boundaries_process_that_dies_at_its_start_leaves_them_made_in_process(raw_db, tmp_path, monkeypatch,
                                                                                  caplog):
    """What hung a test worker (2026-12-07): the spawned process runs the publisher's `__main__` file again, and
    that file fails outside the publisher (there: the dashboard's app.py, run as __main__ by an AppTest). The
    publisher makes the tables itself within a bounded time, with the warning."""
    geo_dir, codes = _boundaries_beside(raw_db, tmp_path, monkeypatch)
    failing = tmp_path / "failing_main.py"
    failing.write_text("raise RuntimeError('not a script the boundaries process can start from')\n")
    main = types.ModuleType("__main__")
    main.__file__ = str(failing)
    monkeypatch.setitem(sys.modules, "__main__", main)
    beside = tmp_path / "beside.duckdb"
    with publish_module._Boundaries.beside(raw_db, None, geo_dir) as boundaries:
        with caplog.at_level(logging.WARNING, logger=publish_module.__name__):
            _write_within(boundaries, beside, codes)
        assert not boundaries.made_beside
    assert re.search(r"the boundaries process ended without its tables \(exit code [1-9]\d*\)", caplog.text)
    _same_boundaries(beside, codes, geo_dir, tmp_path)
