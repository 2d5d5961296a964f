"""The protection stage's time budget: a wall-clock deadline that the attack checks before every solve.

Protection's cost follows the data, not its size: very sparse data (most cells below the threshold) makes
components of tens of thousands of hidden values whose attack ran for over an hour without ending (README, "Sparse
data is the slow case"). A publisher running monthly needs an answer in bounded time, so `publish` gives the stage
a budget (settings.protect_minutes, `BANSOS_PROTECT_MINUTES`) and refuses once it is spent; nothing is written and
the previous release keeps serving. The budget only ever stops a build: it never changes which cells are hidden
(counts bound the attack's work, never seconds, so that a pattern does not depend on the machine's speed).

The deadline is a wall-clock time (`time.time()`), so that the processes protecting years at once share it. A
solve under way finishes first (HiGHS's own time limits bound each: seconds for MIPs, minutes at most for LPs).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

_deadline: float | None = None


class BudgetExceeded(RuntimeError):
    """Protection ran past its deadline. Not a ValueError: a build that catches those to try again without late
    records must not start again when the time is spent."""


@contextmanager
def deadline(at: float | None) -> Iterator[None]:
    """Within the block, check() raises BudgetExceeded once `time.time()` passes `at` (None: no deadline)."""
    global _deadline
    before, _deadline = _deadline, at
    try:
        yield
    finally:
        _deadline = before


def check() -> None:
    """Raise BudgetExceeded if the current deadline has passed (a few hundred nanoseconds when it has not)."""
    if _deadline is not None and time.time() > _deadline:
        raise BudgetExceeded("the protection stage ran past its time budget")


def deadline_in(minutes: float) -> float | None:
    """The deadline `minutes` from now; None for 0 or less (no budget)."""
    return time.time() + 60.0 * minutes if minutes > 0 else None
