"""First run on a fresh clone: no published release, so the dashboard builds the demo through the real CLIs."""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import build_demo
from dashboard.build_demo import demo_commands, run_build
from settings import get_settings

APP = Path(__file__).resolve().parents[2] / "app.py"


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    monkeypatch.setenv("BANSOS_PUBLISHED_DB", str(tmp_path / "published" / "bansos.duckdb"))
    monkeypatch.setenv("BANSOS_RAW_DB", str(tmp_path / "raw" / "bansos.duckdb"))
    monkeypatch.setenv("BANSOS_GEO_DIR", str(tmp_path / "geo"))
    monkeypatch.setenv("BANSOS_DEMO_REGIONS", "34.71")  # Kota Yogyakarta only: a few seconds
    # Half density: the demo makes four years, and the last year's data-quality cells at 0.2 (fewer faults once
    # cleaned) leave the protection no pattern that keeps every hidden value wide enough.
    monkeypatch.setenv("BANSOS_DEMO_SCALE", "0.5")
    return tmp_path


def test_first_run_builds_the_demo_then_shows_the_dashboard(fresh):
    at = AppTest.from_file(str(APP), default_timeout=180).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert (fresh / "published" / "bansos.duckdb").exists()
    assert at.title[0].value == "Beranda"
    # Later starts open the release at once.
    again = AppTest.from_file(str(APP), default_timeout=30).run()
    assert again.title[0].value == "Beranda" and not again.get("progress")


def test_build_reports_progress_with_stage_names(fresh, caplog):
    seen: list[build_demo.Progress] = []
    with caplog.at_level(logging.INFO, logger="dashboard.build_demo"):
        outcome = run_build(demo_commands(get_settings(), "34.71", "0.5"), seen.append)  # 0.5: see `fresh`
    assert outcome.ok
    # The server's log shows the build too (it showed nothing until it failed): the generator's summary line (its
    # stdout), the publisher's stages and years, and of the generator's bar one line per tenth at most.
    logged = [r.getMessage() for r in caplog.records if r.name == "dashboard.build_demo"]
    assert any(m.startswith("demo build, generate: generated demo (seed 1") for m in logged), logged
    assert "demo build, publish: [5/5] sign and swap the new release in ..." in logged
    assert any(m.startswith("demo build, publish: year 2025 protected") for m in logged)
    assert sum("%|" in m for m in logged) <= 11
    fractions = [p.fraction for p in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    stages = " ".join(p.text("en") for p in seen)
    assert "generating synthetic payment records" in stages and "writing the release and its boundaries" in stages
    # Step names, numbered, in the reader's language too.
    assert "Step 1 of 2 · Raw data:" in stages and "Step 2 of 2 · Publishing:" in stages
    # Every stage the publisher announces has a name in both languages (none falls back to the English line).
    published = {p.stage for p in seen if p.step == "publish" and p.stage != "stage_starting"}
    assert published == {*(f"stage_publish_{n}" for n in range(1, 6)), "stage_publish_years"}
    # Inside the long first stage the bar moves with each protected year (the demo makes four), and between them
    # with each year's protected tables (four per year), and the text names every year in protection at once.
    years = [p for p in seen if p.stage == "stage_publish_years"]
    assert sorted({p.values["done"] for p in years}) == [0, 1, 2, 3, 4] and {p.values["total"] for p in years} == {4}
    tables = {(values["year"], values["done"]) for p in years for key, values in p.parts if key == "stage_year_tables"}
    assert len(tables) == 16 and {p.parts[0][1]["total"] for p in years if p.parts} == {4}
    assert len({p.fraction for p in years}) > 4
    assert "(4 dari 4 tahun selesai)" in " ".join(p.text("id") for p in seen)
    assert "menulis paket data terbuka" in " ".join(p.text("id") for p in seen)


def test_a_failed_build_shows_one_clear_message_and_no_command(fresh, monkeypatch, caplog):
    monkeypatch.setenv("BANSOS_DEMO_REGIONS", "99")  # no such province: the generator refuses
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    assert not at.exception
    message = at.error[0].value
    assert "Data mentah" in message and "log server" in message
    # Operators read the command in the server log; the public page names none.
    assert "python" not in message and "`" not in message and "Traceback" not in message
    assert "python -m data generate" in caplog.text
    # The next visit shows the failure without building again; removing the marker lets it try again.
    assert (fresh / "published" / ".demo-build-failed").exists()
    again = AppTest.from_file(str(APP), default_timeout=30).run()
    assert "Data mentah" in again.error[0].value and not again.get("progress")
    (fresh / "published" / ".demo-build-failed").unlink()
    monkeypatch.setenv("BANSOS_DEMO_REGIONS", "34.71")
    retried = AppTest.from_file(str(APP), default_timeout=180).run()
    assert not retried.error and (fresh / "published" / "bansos.duckdb").exists()


def _raw_with_ingested_files(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE ingested_files (source VARCHAR, source_sha256 VARCHAR)")
        con.execute("INSERT INTO ingested_files VALUES ('penyaluran_2025_01.csv', 'abc')")


def test_the_demo_is_never_built_over_ingested_raw_data(fresh):
    raw = fresh / "raw" / "bansos.duckdb"
    _raw_with_ingested_files(raw)
    before = raw.read_bytes()
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert "tidak boleh ditimpa" in at.info[0].value and not at.get("progress")
    assert raw.read_bytes() == before and not (fresh / "published" / "bansos.duckdb").exists()


def test_the_demo_is_never_built_beside_a_kept_release(fresh):
    kept = fresh / "published" / "releases" / "20250101T000000Z" / "bansos.duckdb"
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"")
    assert not build_demo.may_build(get_settings())
    assert build_demo.has_ingested_data(fresh / "raw" / "bansos.duckdb") is False


@pytest.mark.parametrize("stop", ["import os, signal; os.kill(os.getpid(), signal.SIGTERM)",
                                  "raise SystemExit(130)"])
def test_a_build_stopped_from_outside_leaves_no_failure_and_runs_again(fresh, monkeypatch, caplog, stop):
    """Ctrl-C in the terminal that runs the server stops its build (our CLIs exit 130; a service stop sends
    SIGTERM): the next start must build again, not show "failed" until an operator removes a marker. A command
    that fails (exit 1) still leaves the marker."""
    settings = get_settings()
    stopped = [build_demo.Command("generate", (sys.executable, "-c", stop))]
    monkeypatch.setattr(build_demo, "demo_commands", lambda *args: stopped)
    with caplog.at_level(logging.INFO, logger="dashboard.build_demo"):
        build_demo._build(settings)
    assert not build_demo.failed_marker(settings).exists()
    assert "the next visit starts it again" in caplog.text
    assert build_demo.may_build(settings)
    failing = [build_demo.Command("generate", (sys.executable, "-c", "raise SystemExit(1)"))]
    monkeypatch.setattr(build_demo, "demo_commands", lambda *args: failing)
    build_demo._build(settings)
    assert build_demo.failed_marker(settings).exists()


def test_a_build_starts_from_zero_whatever_progress_a_killed_server_left(fresh, monkeypatch):
    """A server killed mid-build (SIGKILL, a power cut) leaves the progress file: the next build's watchers saw
    its 60% until the new build's first line."""
    settings = get_settings()
    build_demo.progress_file(settings).parent.mkdir(parents=True, exist_ok=True)
    build_demo._write_progress(build_demo.progress_file(settings),
                               build_demo.Progress(0.6, "publish", "stage_protect"))
    seen = []
    monkeypatch.setattr(build_demo, "run_build",
                        lambda commands, report: seen.append(build_demo.read_progress(settings))
                        or build_demo.Outcome(False, "generate|stage_starting", "stopped", "", True))
    build_demo._build(settings)
    assert seen and seen[0].fraction == 0.0 and seen[0].stage == "stage_starting", seen


def test_a_page_watching_a_build_stopped_from_outside_says_to_reload(fresh, monkeypatch):
    monkeypatch.setattr(build_demo, "demo_commands", lambda *args: [
        build_demo.Command("generate", (sys.executable, "-c", "import time; time.sleep(2); raise SystemExit(130)"))])
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "Muat ulang halaman" in at.warning[0].value
    # While it ran the page counted its time under the bar (from the build's own start, read from the progress
    # file), and offered English in this tab (a markdown link opened a new one).
    assert re.fullmatch(r"Sudah berjalan 0 menit [0-9] detik", at.caption[0].value), [c.value for c in at.caption]
    link = at.get("html")[0].proto.body
    assert 'href="?lang=en"' in link and "_blank" not in link


def test_the_english_first_run_page_links_back_to_indonesian(fresh, monkeypatch):
    """A walk's finding: the Indonesian page linked to English, and the English page had no way back but the
    language switch (on a phone, inside the Menu)."""
    monkeypatch.setattr(build_demo, "demo_commands", lambda *args: [
        build_demo.Command("generate", (sys.executable, "-c", "import time; time.sleep(2); raise SystemExit(130)"))])
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["lang"] = "en"
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    link = at.get("html")[0].proto.body
    assert 'href="?lang=id"' in link and "Bahasa Indonesia" in link and "_blank" not in link
