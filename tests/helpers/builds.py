"""Folders that are expensive to make (releases built with the real commands), made once per test run."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest


def built_once(factory: pytest.TempPathFactory, name: str, build: Callable[[Path], object]) -> Path:
    """A folder `build(folder)` fills, made once per test run even when pytest-xdist runs several workers.

    The first worker to ask builds it (the others wait on a lock) in the run's shared temporary folder; each
    worker then works on its own copy (`cp -a`, so a current database stays a hard link to its release), so a test
    that changes its folder never changes another worker's. Without xdist the built folder itself is returned."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    root = (factory.getbasetemp().parent if worker else factory.getbasetemp()) / "built-once"
    root.mkdir(exist_ok=True)
    done = root / name
    with (root / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.is_dir():
            staging = root / f".{name}.building"
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir()
            build(staging)
            staging.rename(done)
    if not worker:
        return done
    mine = factory.mktemp(name)
    subprocess.run(["cp", "-a", f"{done}/.", str(mine)], check=True)
    return mine
