"""First run on a fresh clone: no published release, so the dashboard builds the demo through the real CLIs."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.build_demo import demo_commands, run_build
from settings import get_settings

APP = Path(__file__).resolve().parents[2] / "app.py"


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    monkeypatch.setenv("BANSOS_PUBLISHED_DB", str(tmp_path / "published" / "bansos.duckdb"))
    monkeypatch.setenv("BANSOS_RAW_DB", str(tmp_path / "raw" / "bansos.duckdb"))
    monkeypatch.setenv("BANSOS_GEO_DIR", str(tmp_path / "geo"))
    monkeypatch.setenv("BANSOS_DEMO_REGIONS", "34.71")  # Kota Yogyakarta only: a few seconds
    monkeypatch.setenv("BANSOS_DEMO_SCALE", "0.2")
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


def test_build_reports_progress_with_stage_names(fresh):
    seen: list[tuple[float, str]] = []
    outcome = run_build(demo_commands(get_settings(), "34.71", "0.2"), lambda f, text: seen.append((f, text)), "en")
    assert outcome.ok
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    stages = " ".join(text for _, text in seen)
    assert "generate synthetic raw data" in stages and "write the release and its boundaries" in stages


def test_a_failed_build_shows_one_clear_message(fresh, monkeypatch):
    monkeypatch.setenv("BANSOS_DEMO_REGIONS", "99")  # no such province: the generator refuses
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    assert not at.exception
    message = at.error[0].value
    assert "generate" in message and "python -m data generate" in message and "Traceback" not in message
