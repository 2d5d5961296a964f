"""Settings are read once per state of the environment, and that state covers every variable they read."""

from __future__ import annotations

import re
from pathlib import Path

import settings


def test_the_cache_key_names_every_variable_settings_read():
    source = Path(settings.__file__).read_text(encoding="utf-8").split("ENVIRONMENT = ")[0]
    assert set(re.findall(r'"(BANSOS_[A-Z_]+)"', source)) == set(settings.ENVIRONMENT)


def test_settings_are_read_once_and_again_when_the_environment_changes(monkeypatch, tmp_path):
    monkeypatch.setenv("BANSOS_THRESHOLD", "11")
    first = settings.get_settings()
    assert settings.get_settings() is first and first.threshold == 11
    monkeypatch.setenv("BANSOS_PUBLISHED_DB", str(tmp_path / "other.duckdb"))
    changed = settings.get_settings()
    assert changed is not first and changed.published_db == tmp_path / "other.duckdb" and changed.threshold == 11
