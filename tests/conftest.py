"""Shared fixtures: paths to the shared development material, skipped cleanly when it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_geo() -> Path:
    path = SHARED / "geo"
    if not path.is_dir():
        pytest.skip("../shared/geo is not present beside the project")
    return path
