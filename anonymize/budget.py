"""What the attack checks before every solve: the protection stage's time budget, and whether the build failed.

Protection's cost follows the data, not its size: very sparse data (most cells below the threshold) makes
components of tens of thousands of hidden values whose attack ran for over an hour without ending (README, "Sparse
data is the slow case"). A publisher running monthly needs an answer in bounded time, so `publish` gives the stage
a budget (settings.protect_minutes, `BANSOS_PROTECT_MINUTES`) and refuses once it is spent; nothing is written and
the previous release keeps serving. The budget only ever stops a build: it never changes which cells are hidden
(counts bound the attack's work, never seconds, so that a pattern does not depend on the machine's speed).

The deadline is a wall-clock time (`time.time()`), so that the processes protecting years at once share it. A
solve under way finishes first (HiGHS's own time limits bound each: seconds for MIPs, minutes at most for LPs).

The same check stops tables and years protected beside one that failed (`abandonable`, `share`): a build that
cannot publish says so as soon as one table fails, instead of after the others have finished.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol


class EventLike(Protocol):
    def is_set(self) -> bool: ...


_deadline: float | None = None
#: Set when a table protected beside others has failed: the build is refused anyway, so the others stop at their
#: next solve instead of finishing work nobody will publish (the sparse demo's quality table failed in its second
#: round, 0.2 s in, and the refusal waited for its disbursement table, still in its first round after an hour).
_abandoned = threading.Event()
#: In a worker process protecting one year: the event the parent sets when another year has failed. Apart from
#: `_abandoned`, which a year's own table threads set and clear, so that they never clear the parent's signal.
_shared: EventLike | None = None


class BudgetExceeded(RuntimeError):
    """Protection ran past its deadline. Not a ValueError: a build that catches those to try again without late
    records must not start again when the time is spent."""


class Abandoned(RuntimeError):
    """The build this work belongs to has already failed (see abandonable)."""


def deadline_in(minutes: float) -> float | None:
    """The deadline `minutes` from now; None for 0 or less (no budget)."""
    return time.time() + 60.0 * minutes if minutes > 0 else None


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
    """Raise BudgetExceeded if the current deadline has passed, Abandoned if the build has failed elsewhere (a
    few microseconds when neither)."""
    if _abandoned.is_set() or (_shared is not None and _shared.is_set()):
        raise Abandoned("another table or year of this build failed")
    if _deadline is not None and time.time() > _deadline:
        raise BudgetExceeded("the protection stage ran past its time budget")


@contextmanager
def abandonable() -> Iterator[Callable[[], None]]:
    """Around a thread pool that protects tables of one build: yields `abandon()`, which the pool's caller calls
    when one table has failed (before the pool's exit, which waits for its threads); every check() then raises
    Abandoned, so the other threads stop at their next solve, until this block has ended."""
    try:
        yield _abandoned.set
    finally:
        _abandoned.clear()


def share(event: EventLike) -> None:
    """A worker process's initializer: check() also stops once the parent sets `event` (a multiprocessing Event of
    the pool's context) because another year's process failed."""
    global _shared
    _shared = event
