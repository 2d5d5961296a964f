"""`python -m data ingest`: the messy-file corpus end to end, file-level refusals, idempotency, atomicity, privacy."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from messy_files import BAD_FILES, CORPUS, DESA, REFERENCE_DATE, MessyFile, row, write_corpus

import cli
from data.ingest import ingest
from data.readers import open_source

ROOT = Path(__file__).resolve().parents[2]
AS_OF = ["--as-of", REFERENCE_DATE.isoformat()]
TABLES = ("disbursements", "quarantine", "ingested_files")


def run_cli(*args: object) -> int:
    # Only the ingest verb: `python -m data` also imports the generator, which these tests do not need.
    return cli.main("python -m data", "test", {"ingest": "data.ingest"}, ["ingest", *map(str, args)])


def counts(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {table: con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] for table in TABLES}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def loaded(corpus: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A raw database holding the whole corpus, ingested through the CLI."""
    db = tmp_path_factory.mktemp("raw") / "raw.duckdb"
    assert run_cli(*corpus.values(), "--db", db, *AS_OF) == 0
    return db


@pytest.mark.parametrize("messy", CORPUS, ids=lambda messy: messy.name)
def test_each_messy_file_gives_exact_counts_and_reasons(messy: MessyFile, tmp_path: Path):
    path = messy.write(tmp_path)
    [result] = ingest([open_source(path)], tmp_path / "raw.duckdb", REFERENCE_DATE)
    assert (result.input_rows, result.accepted, result.quarantined) == (
        len(messy.rows), messy.accepted, messy.quarantined)
    with duckdb.connect(str(tmp_path / "raw.duckdb"), read_only=True) as con:
        quarantined = con.execute("SELECT source_line, reasons FROM quarantine WHERE source = ?",
                                  [messy.name]).fetchall()
        accepted = con.execute("SELECT count(*) FROM disbursements WHERE source = ?", [messy.name]).fetchall()
        files = con.execute("SELECT input_rows, accepted, quarantined FROM ingested_files").fetchall()
    assert {line: {reason.split(": ", 1)[0] for reason in reasons} for line, reasons in quarantined} \
        == messy.expected_reasons()
    assert accepted == [(messy.accepted,)]
    assert files == [(len(messy.rows), messy.accepted, messy.quarantined)]


def test_the_whole_corpus_in_one_run_prints_the_three_numbers_per_file_and_in_total(
        corpus: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert run_cli(*corpus.values(), "--db", tmp_path / "raw.duckdb", *AS_OF) == 0
    out = capsys.readouterr().out
    for messy in CORPUS:
        assert (f"{corpus[messy.name]}: {len(messy.rows)} rows = {messy.accepted} accepted + "
                f"{messy.quarantined} quarantined") in out
    rows = sum(len(messy.rows) for messy in CORPUS)
    accepted = sum(messy.accepted for messy in CORPUS)
    assert (rows, accepted) == (62, 28)
    assert f"ingested 8 of 8 files into {tmp_path / 'raw.duckdb'}: 62 rows = 28 accepted + 34 quarantined" in out
    assert counts(tmp_path / "raw.duckdb") == {"disbursements": 28, "quarantine": 34, "ingested_files": 8}


def test_accepted_rows_are_normalised_with_their_source_line(loaded: Path):
    with duckdb.connect(str(loaded), read_only=True) as con:
        found = con.execute("""
            SELECT source_line, program, amount, channel, status, desa_code, period, paid_date::VARCHAR
            FROM disbursements WHERE source = 'titik_koma_bom.csv' ORDER BY source_line""").fetchall()
    assert found == [
        (2, "PKH", 1_500_000, "BRI", "disalurkan", DESA, "2025-01", "2025-01-15"),
        (3, "PKH", 1_500_000, "BRI", "disalurkan", DESA, "2025-01", "2025-01-15"),
        (4, "SEMBAKO", 600_000, "MANDIRI", "disalurkan", DESA, "2025-01", "2025-01-15"),
        (5, "SEMBAKO", 400_000, "POS", "disalurkan", DESA, "2025-01", "2025-01-15"),
        (6, "BLT_DD", 300_000, "BNI", "disalurkan", DESA, "2025-01", "2025-01-15"),
    ]


def test_line_numbers_count_the_header_blank_lines_and_cells_that_span_lines(loaded: Path):
    with duckdb.connect(str(loaded), read_only=True) as con:
        found = con.execute("""
            SELECT source_line, name FROM disbursements WHERE source = 'baris_rusak.csv' ORDER BY 1""").fetchall()
        quarantined = con.execute("""
            SELECT source_line FROM quarantine WHERE source = 'baris_rusak.csv' ORDER BY 1""").fetchall()
    assert found == [(2, "Dédé Suryani"), (6, "Yohanes Bosco Ndun")]
    assert quarantined == [(4,), (5,), (9,)]


def test_windows_1252_names_are_read_correctly(loaded: Path):
    with duckdb.connect(str(loaded), read_only=True) as con:
        names = con.execute("SELECT name FROM disbursements WHERE source = 'windows1252_koma.csv'").fetchall()
    assert ("Dédé Suryani",) in names and ("Agnès Kristiani Manek",) in names


def test_quarantine_keeps_the_whole_row_as_read_and_every_reason_as_code_and_text(loaded: Path):
    with duckdb.connect(str(loaded), read_only=True) as con:
        [(sha, reasons, desa, record)] = con.execute("""
            SELECT source_sha256, reasons, desa_code, record FROM quarantine
            WHERE source = 'status_tanggal.csv' AND source_line = 13""").fetchall()
        [(file_sha,)] = con.execute(
            "SELECT source_sha256 FROM ingested_files WHERE source = 'status_tanggal.csv'").fetchall()
    assert sha == file_sha and desa == "32.04.06.1001"
    assert len(reasons) == 6 and all(": " in reason for reason in reasons)
    assert "nik_excel: nik was turned into a number by Excel" in reasons[0]
    assert json.loads(record) == row(12, status="sukses besar", program="BLT DD", kode_desa="32.04.06.1001",
                                     nominal="-1", tahap="13", kanal="Bank Jago", nik="3.20405E+15")


@pytest.mark.parametrize("kind", BAD_FILES)
def test_a_file_level_problem_is_one_sentence_exit_2_and_writes_nothing(
        kind: str, corpus: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    write, words = BAD_FILES[kind]
    db = tmp_path / "raw.duckdb"
    assert run_cli(corpus["kode_desa.csv"], "--db", db, *AS_OF) == 0
    before = counts(db)
    capsys.readouterr()
    bad = write(tmp_path)
    # The good file comes first: it must not be written either.
    assert run_cli(corpus["titik_koma_bom.csv"], bad, "--db", db, *AS_OF) == cli.EXIT_USER_ERROR
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    assert line.startswith(f"error: {bad}") and words in line and line.endswith(".")
    assert counts(db) == before


def test_a_file_level_problem_does_not_even_create_the_database(tmp_path: Path):
    write, _ = BAD_FILES["empty"]
    assert run_cli(write(tmp_path), "--db", tmp_path / "raw.duckdb", *AS_OF) == cli.EXIT_USER_ERROR
    assert not (tmp_path / "raw.duckdb").exists()


def test_a_problem_found_while_streaming_rolls_back_every_file_of_the_run(
        corpus: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    # Passes the file-level checks (good header), then breaks the CSV reader's field limit on line 3.
    broken = tmp_path / "sel_raksasa.csv"
    messy = CORPUS[2]
    broken.write_text(";".join(messy.header) + "\n" + ";".join(row(1).values()) + "\n" + "x" * 200_000 + ";\n")
    db = tmp_path / "raw.duckdb"
    assert run_cli(corpus["kode_desa.csv"], "--db", db, *AS_OF) == 0
    before = counts(db)
    assert run_cli(corpus["titik_koma_bom.csv"], broken, "--db", db, *AS_OF) == cli.EXIT_USER_ERROR
    assert f"error: {broken} cannot be read as CSV at line 3" in capsys.readouterr().err
    assert counts(db) == before


def test_ingesting_the_same_content_again_adds_nothing_and_says_so(
        corpus: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    db = tmp_path / "raw.duckdb"
    assert run_cli(*corpus.values(), "--db", db, *AS_OF) == 0
    first = counts(db)
    renamed = tmp_path / "salinan.csv"
    shutil.copy(corpus["nik_excel.csv"], renamed)
    capsys.readouterr()
    assert run_cli(*corpus.values(), renamed, "--db", db, *AS_OF) == 0
    assert counts(db) == first
    out = capsys.readouterr().out
    assert out.count("already ingested as") == 9 and "nothing added" in out
    assert "ingested 0 of 9 files" in out and "9 already ingested" in out


def test_the_same_content_twice_in_one_run_is_ingested_once(corpus: dict[str, Path], tmp_path: Path):
    copy = tmp_path / "salinan.csv"
    shutil.copy(corpus["kode_desa.csv"], copy)
    results = ingest([open_source(corpus["kode_desa.csv"]), open_source(copy)], tmp_path / "raw.duckdb",
                     REFERENCE_DATE)
    assert [r.input_rows for r in results] == [7, 0] and "earlier in this run" in (results[1].skipped or "")
    assert counts(tmp_path / "raw.duckdb")["disbursements"] == 3


def test_the_default_database_comes_from_settings(corpus: dict[str, Path], tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("BANSOS_RAW_DB", str(tmp_path / "elsewhere" / "raw.duckdb"))
    assert run_cli(corpus["kode_desa.csv"], *AS_OF) == 0
    assert counts(tmp_path / "elsewhere" / "raw.duckdb")["ingested_files"] == 1


def test_no_nik_kk_or_name_from_the_files_reaches_the_output(corpus: dict[str, Path], tmp_path: Path):
    """The privacy guarantee, checked on a real process: stdout and stderr, with and without --debug."""
    write_headerless, _ = BAD_FILES["headerless"]
    identities = set().union(*(messy.identities() for messy in CORPUS))
    identities |= {row(n)[key] for n in (1, 2) for key in ("nik", "nama", "no_kk")}  # the headerless file's
    identities = {identity for identity in identities if len(identity) >= 8}  # "12345" could occur by chance
    runs = [[*corpus.values()], ["--debug", *corpus.values()], [write_headerless(tmp_path)]]
    for index, files in enumerate(runs):
        debug = [arg for arg in files if arg == "--debug"]
        paths = [str(arg) for arg in files if arg != "--debug"]
        done = subprocess.run([sys.executable, "-m", "data", *debug, "ingest", *paths,
                               "--db", str(tmp_path / f"raw{index}.duckdb"), *AS_OF],
                              cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
        output = done.stdout + done.stderr
        assert done.returncode == (2 if index == 2 else 0), output
        assert ("rows =" in done.stdout) != (index == 2)
        leaked = sorted(identity for identity in identities if identity in output)
        assert not leaked, f"personal data in the output of run {index}"


def test_a_quarantined_row_keeps_its_month_when_the_month_could_be_read(loaded: Path):
    with duckdb.connect(str(loaded), read_only=True) as con:
        rows = con.execute("SELECT reasons, period FROM quarantine").fetchall()
    assert any(period is not None for _, period in rows) and any(period is None for _, period in rows)
    for reasons, period in rows:
        unreadable = any(reason.startswith("period") for reason in reasons)
        assert (period is None) == unreadable, reasons
        assert period is None or re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period)
