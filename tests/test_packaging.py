"""pyproject.toml declares the dependencies as ranges; the requirements files pin versions inside them."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def _pins(name: str) -> dict[str, str]:
    lines = (ROOT / name).read_text(encoding="utf-8").splitlines()
    pins = [line.split("==") for line in lines if line and not line.startswith(("#", "-r"))]
    return {package.lower(): version for package, version in pins}


@pytest.mark.parametrize(("requirements", "declared"), [("requirements.txt", None), ("requirements-dev.txt", "dev")])
def test_every_pin_lies_in_the_declared_range(requirements, declared):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    ranges = [Requirement(r) for r in
              (project["dependencies"] if declared is None else project["optional-dependencies"][declared])]
    pins = _pins(requirements)
    assert {r.name.lower() for r in ranges} == set(pins)
    for requirement in ranges:
        assert requirement.specifier.contains(pins[requirement.name.lower()]), requirement
