"""`python -m data generate` never replaces a raw database that holds ingested (real) records without --force."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[2]


def _generate(out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "data", "generate", "--regions", "34.71", "--scale", "0.05",
                           "--out", str(out), *extra], cwd=ROOT, capture_output=True, text=True, check=False)


def test_generate_refuses_to_replace_ingested_records_without_force(tmp_path):
    out = tmp_path / "bansos.duckdb"
    with duckdb.connect(str(out)) as con:
        con.execute("CREATE TABLE ingested_files (source VARCHAR, source_sha256 VARCHAR)")
        con.execute("INSERT INTO ingested_files VALUES ('penyaluran_2025_01.csv', 'abc')")
    before = out.read_bytes()
    refused = _generate(out)
    assert refused.returncode == 2
    assert "1 ingested file(s)" in refused.stderr and "--force" in refused.stderr
    assert "Traceback" not in refused.stderr and out.read_bytes() == before
    forced = _generate(out, "--force")
    assert forced.returncode == 0, forced.stderr
    with duckdb.connect(str(out), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM households").fetchone()[0] > 0


def test_generate_replaces_its_own_synthetic_database(tmp_path):
    out = tmp_path / "bansos.duckdb"
    assert _generate(out).returncode == 0
    again = _generate(out)  # no ingested files: a rerun replaces it as before
    assert again.returncode == 0, again.stderr
