"""Run one function over many independent groups of shapes on a few processes, with a progress bar."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

from cli import progress

T = TypeVar("T")
R = TypeVar("R")


def map_groups(function: Callable[[T], R], groups: Sequence[T], jobs: int, desc: str) -> list[R]:
    """`[function(g) for g in groups]`, in order; on `jobs` processes when there is more than one group."""
    if jobs > 1 and len(groups) > 1:
        with ProcessPoolExecutor(jobs) as pool:
            work = pool.map(function, groups, chunksize=max(1, len(groups) // (8 * jobs)))
            return list(progress(work, total=len(groups), desc=desc, unit="group"))
    return [function(group) for group in progress(groups, desc=desc, unit="group")]
