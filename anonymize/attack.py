"""The linear-programming attack: the feasible interval of every suppressed value, solved with HiGHS.

Every point an LP returns is feasible, so the values seen so far bound each variable's interval from inside.
Random objectives (+/- on the variables still in doubt) push many of them apart at once; a variable whose seen
range already spans the required width needs no LP of its own. Only the rest get exact min and max solves.
Independent components of the system are packed into block-diagonal batches, so one solve serves one variable
per component.

A component too large to solve whole quickly is attacked piece by piece (by region subtree, finest first), the
rest of the component held at one feasible point. Every point of such a restricted LP is feasible for the whole
system, so its range is still an inner bound of the true interval: a value shown wide enough there is wide
enough. A value no piece shows wide enough is then bounded from outside: an LP over the piece, the rows that
touch it and the neighbours in those rows (free), every other row dropped, is a relaxation, so its range contains
the true interval. A value too narrow even there is too narrow (its binding rows guide the repair); a household
count whose outer lower bound reaches the threshold is shown large, and so is a cell whose every household count
is. Only values still in doubt after the coarsest piece are attacked in the whole component.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

import highspy
import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from anonymize import budget
from anonymize.constraints import AttackSystem
from anonymize.lp import WarmLP, fresh_solver
from anonymize.lp import model as lp_model

log = logging.getLogger(__name__)

EPS = 1e-6
BATCH_VARS = 400
#: Components with more hidden values than this are attacked piece by piece first.
LOCAL_ABOVE = 1500
#: Values still in doubt after the pieces of a component with more hidden values than this are presumed too
#: narrow (protect() hides partners for them; an audit fails) rather than attacked in the whole component: one LP
#: of a national multi-province component took 1.5 s, and 84 values in doubt needed 169 of them at provinsi level.
WHOLE_UP_TO = 8000
#: Up to this many values, the values in doubt of a component larger than WHOLE_UP_TO get random objectives over
#: the whole component (a few LPs for all of them) before what is left is presumed too narrow.
WHOLE_RANDOM_UP_TO = 40000
#: After those random objectives, up to this many values still in doubt are solved exactly in the whole component
#: (two LPs each, warm from the random rounds' basis) instead of being presumed too narrow, in components of up to
#: WHOLE_EXACT_COMPONENT values: nationally, 36 such solves took 1.3 s in a 20,000-value component and 1.9 s in
#: a 27,000-value one, while in a 40,000-value one a single solve ran for over 15 minutes.
WHOLE_EXACT_UP_TO = 80
WHOLE_EXACT_COMPONENT = 30000
MAX_RANDOM_ROUNDS = 8
#: A piece's relaxation with at least this many values to bound from outside is screened: random objectives first,
#: and a value the points seen there show wide enough (and below its large floor) cannot be shown too narrow (or
#: large) by its exact outer bounds, so those two solves are left out.
SCREEN_FROM = 8
SCREEN_SEED = 7
#: In a component of more than WHOLE_UP_TO values, each value still in doubt after the pieces is attacked in its
#: neighbourhood first: the variables reachable from it through the system's rows, breadth first, up to this many,
#: the rest of the component held at a feasible point. Pieces cut a component along region borders, and what joins
#: regions there (a partner in another province's channel cell, a kabupaten total) lies inside a neighbourhood.
NEIGHBOURHOOD_VARS = 3000
#: Neighbourhoods attacked per component at most (a count, not seconds, so that results never depend on timing).
NEIGHBOURHOODS_MAX = 300
#: Components of up to this many hidden values are checked with counts whole (HiGHS MIP): an attacker who knows
#: household and payment counts are whole numbers can narrow an interval that only fractional points reach.
MIP_UP_TO = 100
#: In a component of more than MIP_UP_TO hidden values, each household or payment count whose LP interval passes
#: but is near failing (`_near_failing`) is attacked again with counts whole in its neighbourhood: the variables
#: reachable from it, breadth first, up to this many, with only the rows among them (a relaxation: the MIP's
#: bounds there, its dual bound where it stops early, are outer bounds). A value it shows too narrow is too
#: narrow; one it leaves wide keeps the LP's verdict. The independent attacker's MIP pinned the demo's 2024 BLT
#: Dana Desa recipients of 10 desa of 53.14 in components of 176-203 values that the LP left wide ([2.03, 11.07]
#: as an LP, [3, 7] whole; BLT Rupiah come in Rp300k steps). A whole MIP per component there cost too much
#: (the demo's 2023 round 1 did not end in 12 minutes; 37 s without).
NEAR_MIP_VARS = 150
#: Seconds per MIP of that check; past it, HiGHS's dual bound is the outer bound.
NEAR_MIP_SECONDS = 5.0
#: A count's LP interval is near failing when the requirement fails on it with each side moved in by this many
#: (the independent attacker's filter, "width under 12 or upper under 12" for a threshold of 10, width 9).
NEAR_MARGIN = 2.0
#: Seconds per MIP solve; past it, the best whole point found so far bounds the interval from inside.
MIP_SECONDS = 10.0
#: Seconds per MIP with a random objective, and the relative gap it stops at (any whole point found widens the
#: whole-number ranges; proving it optimal buys nothing).
MIP_ROUND_SECONDS = 0.5
MIP_ROUND_GAP = 0.05
#: Variables per MIP of the whole-number check (whole components packed block-diagonally). HiGHS's MIP is slower
#: per variable on larger blocks: on the national table's round 1 (2,126 components, 78,368 values in doubt, 2
#: threads) the check took 198 s in blocks of BATCH_VARS and 126 s in blocks of 100 (3,589 and 3,595 values
#: failing after it: which values the random whole points settle differs).
MIP_BATCH_VARS = 100


@dataclass
class Intervals:
    """Per variable: [lower, upper] exact where `exact`, else the range of feasible values seen (inner bound)."""

    lower: np.ndarray
    upper: np.ndarray
    exact: np.ndarray
    ok: np.ndarray
    #: For variables solved exactly (or shown too narrow from outside): the system rows binding at their min or
    #: max (what limits them).
    binding: dict[int, np.ndarray]
    n_components: int
    largest_component: int
    lp_solves: int
    seconds: float
    #: A lower bound every feasible point respects (exact or outer): -inf where none is known.
    proven: np.ndarray | None = None
    #: Passed because every household count of the cell is shown to be at least the threshold.
    lifted: np.ndarray | None = None
    #: The range seen at points whole in every count (inner bounds for an attacker who solves with integrality).
    whole_lo: np.ndarray | None = None
    whole_hi: np.ndarray | None = None
    #: Counted as too narrow without being shown so: in doubt after the pieces of a very large component.
    presumed: np.ndarray | None = None


@dataclass(frozen=True)
class Requirement:
    """How wide each variable's interval must be.

    `min_upper`: the upper bound must reach it (a household count shown to be at most threshold - 1 is shown to
    be small, however wide its interval). `lenient` ones pass once zero is shown feasible. A value pinned to
    zero passes only where `zero_known`: a published total already shows it is zero. A value whose exact lower
    bound reaches `large_floor` passes too: it is shown to be at least the threshold, which is what publishing it
    would show (a partner hidden only to protect others; a small value can never pass this way, since its
    lower bound is at most its true value).
    """

    width: np.ndarray
    integer: np.ndarray
    lenient: np.ndarray
    min_upper: np.ndarray | None = None
    zero_known: np.ndarray | None = None
    large_floor: np.ndarray | None = None
    #: Values that pass when every household count of their cell (the variables with a finite `large_floor`) is
    #: shown to be at least its floor: payments and Rupiah of a cell hidden only to protect others.
    liftable: np.ndarray | None = None
    #: Per variable, a value readers already hold (NaN: none): pinned to exactly it, the value passes. A month
    #: that late records revise, hidden, whose failed payments are those its earlier version published: the late
    #: records have none, and publishing that was allowed (see anonymize.revisions.earlier_values).
    known_value: np.ndarray | None = None
    #: Per variable: a whole number in units so fine (Rupiah, in Rp1,000) that the attack's MIPs are solved with it
    #: fractional first, then made whole by an LP with the other counts fixed (_StagedMIP); what they find is
    #: checked whole, so the verdicts are those of MIPs with every count whole (within their time limits).
    fine: np.ndarray | None = None

    def fine_of(self, idx: np.ndarray) -> np.ndarray | None:
        """`fine` of the variables `idx` (None: none is fine)."""
        return None if self.fine is None else self.fine[idx]

    def floors(self) -> np.ndarray:
        """Per variable: the large floor (inf where none)."""
        return self.large_floor if self.large_floor is not None else np.full(len(self.width), np.inf)

    def met(self, lower: np.ndarray, upper: np.ndarray, exact: np.ndarray, idx: np.ndarray | slice,
            proven: np.ndarray | None = None) -> np.ndarray:
        """Whether each value of `idx` is shown wide enough by [lower, upper] (exact where `exact`); `proven`:
        lower bounds known to hold (from outer bounds), which can show a count large. Arrays are per variable."""
        return self.met_of(lower[idx], upper[idx], exact[idx], idx, None if proven is None else proven[idx])

    def met_of(self, lo: np.ndarray, hi: np.ndarray, ex: np.ndarray, idx: np.ndarray | slice,
               proven: np.ndarray | None = None) -> np.ndarray:
        """`met` on bounds already taken for the values of `idx` (no copy of the whole system's arrays)."""
        zero_known = np.zeros(len(lo), bool) if self.zero_known is None else self.zero_known[idx]
        lo_r, hi_r = self._rounded(lo, hi, idx)
        wide = self._wide(lo_r, hi_r, idx) | self._shown_large(lo_r, ex, idx, proven)
        # A whole number between 0 and 0.5 is 0: the rounded upper bound decides whether it is pinned there.
        pinned_zero = ex & (hi_r <= EPS) & zero_known
        can_be_zero = self.lenient[idx] & (lo <= EPS) & ((hi_r > EPS) | zero_known)
        if self.known_value is not None:
            known = self.known_value[idx]
            with np.errstate(invalid="ignore"):
                pinned_zero |= ex & (np.abs(lo_r - known) <= EPS) & (np.abs(hi_r - known) <= EPS)
        return wide | pinned_zero | can_be_zero

    def wide(self, lo: np.ndarray, hi: np.ndarray, idx: np.ndarray | slice) -> np.ndarray:
        """Per value of `idx`: [lo, hi] (bounds of those values) spans the required width and reaches the
        required upper bound."""
        return self._wide(*self._rounded(lo, hi, idx), idx)

    def shown_large(self, lo: np.ndarray, ex: np.ndarray, idx: np.ndarray | slice,
                    proven: np.ndarray | None = None) -> np.ndarray:
        """Per value of `idx`: its exact lower bound (`lo` where `ex`) or its proven one reaches its large floor.
        Only those show a value large: a seen point's value is an upper bound of the lower bound."""
        return self._shown_large(self._rounded(lo, lo, idx)[0], ex, idx, proven)

    def _wide(self, lo_r: np.ndarray, hi_r: np.ndarray, idx: np.ndarray | slice) -> np.ndarray:
        min_upper = np.zeros(len(lo_r)) if self.min_upper is None else self.min_upper[idx]
        return (hi_r - lo_r >= self.width[idx] - EPS) & (hi_r >= min_upper - EPS)

    def _shown_large(self, lo_r: np.ndarray, ex: np.ndarray, idx: np.ndarray | slice,
                     proven: np.ndarray | None) -> np.ndarray:
        if self.large_floor is None:
            return np.zeros(len(lo_r), dtype=bool)
        shown = np.where(ex, lo_r, -np.inf)
        if proven is not None:
            shown = np.maximum(shown, np.ceil(proven - EPS))
        return shown >= self.large_floor[idx] - EPS

    def _rounded(self, lo: np.ndarray, hi: np.ndarray, idx: np.ndarray | slice) -> tuple[np.ndarray, np.ndarray]:
        """The attacker knows counts are whole numbers: bounds rounded inwards."""
        integer = self.integer[idx]
        return np.where(integer, np.ceil(lo - EPS), lo), np.where(integer, np.floor(hi + EPS), hi)


@dataclass(frozen=True)
class Settled:
    """Results carried over from an earlier attack on the same table, per variable of the new system.

    A component whose variables are all `ok` here is not attacked again: hiding more cells changes only the
    rows of the components the new cells join, so every other component has the same system as before.
    In the other components, the ranges seen (`lower`, `upper`, `whole_lo`, `whole_hi` where `seen`) still bound
    the new intervals from inside: the new pattern only adds hidden cells, so every point feasible then, with
    the newly hidden values at their true values, is feasible now. Exact and proven bounds are not carried there:
    the new system may reach further.
    """

    lower: np.ndarray
    upper: np.ndarray
    exact: np.ndarray
    ok: np.ndarray
    proven: np.ndarray
    lifted: np.ndarray
    seen: np.ndarray
    whole_lo: np.ndarray
    whole_hi: np.ndarray


def feasible_intervals(system: AttackSystem, requirement: Requirement, anchor: np.ndarray | None = None,
                       exact_all: bool = False, seed: int = 0, settled: Settled | None = None,
                       pieces: list[np.ndarray] | None = None, workers: int = 1,
                       memo: NeighbourhoodMemo | None = None) -> Intervals:
    """Attack every value of `system`.

    `anchor`: a feasible point (the true values, which only the publisher has). `pieces`: per variable, labels of
    ever larger groups (region subtrees, finest first) for attacking large components piece by piece; without
    them, or with `exact_all`, every component is solved whole. `workers`: threads solving independent components
    at once (HiGHS releases the GIL while it solves); each batch or component has its own random generator, so
    the results do not depend on the order the threads finish in. `memo`: the near check's neighbourhood bounds
    from earlier attacks of the same table (NeighbourhoodMemo), filled in as it goes.
    """
    start = time.perf_counter()
    n = system.n_vars
    component, sizes = _components(system)
    state = _State.start(
        lower=np.full(n, np.inf) if anchor is None else anchor.astype(np.float64).copy(),
        upper=np.full(n, -np.inf) if anchor is None else anchor.astype(np.float64).copy(),
        exact=np.zeros(n, dtype=bool), binding={}, proven=np.full(n, -np.inf), lifted=np.zeros(n, dtype=bool),
        integer=requirement.integer.astype(bool))
    todo = np.ones(len(sizes), dtype=bool)
    if settled is not None:
        todo = np.bincount(component, weights=~settled.ok, minlength=len(sizes)) > 0
        kept = ~todo[component]
        state.lower[kept], state.upper[kept] = settled.lower[kept], settled.upper[kept]
        state.exact[kept], state.proven[kept] = settled.exact[kept], settled.proven[kept]
        state.lifted[kept] = settled.lifted[kept]
        # Their ranges passed the whole-number check then (or failed and are not carried).
        state.whole_lo[kept], state.whole_hi[kept] = settled.lower[kept], settled.upper[kept]
        # Attacked again: the points seen then are still feasible (see Settled), so start from their ranges.
        carried = ~kept & settled.seen
        state.lower[carried] = np.minimum(state.lower[carried], settled.lower[carried])
        state.upper[carried] = np.maximum(state.upper[carried], settled.upper[carried])
        state.whole_lo[carried] = np.minimum(state.whole_lo[carried], settled.whole_lo[carried])
        state.whole_hi[carried] = np.maximum(state.whole_hi[carried], settled.whole_hi[carried])
    large = todo & (sizes > LOCAL_ABOVE) & bool(pieces) & (not exact_all)
    small = np.where(todo & ~large, sizes, 0)
    by_var = system.by_var if large.any() else None
    # Largest first, so that no thread is left with one long component at the end.
    tasks = [partial(_solve_large, system, np.flatnonzero(component == comp), requirement, anchor, pieces or [],
                     _rng(seed, 1, int(comp)), state, by_var, workers)
             for comp in np.flatnonzero(large)[np.argsort(-sizes[large], kind="stable")]]
    tasks += [partial(_solve_batch, system, batch, batch, requirement, exact_all, _rng(seed, 0, i), state)
              for i, batch in enumerate(_batches(component, small))]
    solves = _run(tasks, workers)
    solves += _lift_all(system, requirement, component, sizes, large, pieces or [], _rng(seed, 2, 0), state)
    solves += _integer_check(system, requirement, component, sizes, seed, state, workers)
    solves += _near_check(system, requirement, component, sizes, state, workers, memo)
    ok = requirement.met(state.lower, state.upper, state.exact, slice(None), state.proven) | state.lifted
    state.presumed &= ~ok       # a cell shown large at the end (_lift_all) passes its presumed values
    return Intervals(state.lower, state.upper, state.exact, ok, state.binding, len(sizes),
                     int(sizes.max(initial=0)), solves, time.perf_counter() - start, state.proven, state.lifted,
                     state.whole_lo, state.whole_hi, state.presumed)


def _rng(seed: int, stage: int, unit: int) -> np.random.Generator:
    """The random generator of one batch or component of one stage."""
    return np.random.default_rng([seed, stage, unit])


def _run(tasks: Sequence[Callable[[], int]], workers: int) -> int:
    """Run tasks that touch disjoint variables (whole components) on `workers` threads; return their solves."""
    if workers <= 1 or len(tasks) <= 1:
        return sum(task() for task in tasks)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return sum(pool.map(lambda task: task(), tasks))


def _exact(system: AttackSystem, cols: np.ndarray, targets: np.ndarray, rng: np.random.Generator,
           state: _State) -> int:
    """Exact min and max of each target among `cols` (whole components)."""
    never = Requirement(np.full(system.n_vars, np.inf), np.zeros(system.n_vars, bool),
                        np.zeros(system.n_vars, bool))
    return _solve_batch(system, cols, targets, never, True, rng, state)


def _guards(system: AttackSystem, requirement: Requirement, values: np.ndarray) -> np.ndarray:
    """The household counts (variables with a finite large floor) of the cells of `values`."""
    if requirement.large_floor is None or len(values) == 0:
        return np.zeros(0, np.int64)
    return np.flatnonzero(np.isin(system.var_cell, system.var_cell[values])
                          & np.isfinite(requirement.large_floor))


def _shown_large(requirement: Requirement, state: _State, guards: np.ndarray) -> np.ndarray:
    """Per guard: its exact or proven lower bound reaches its floor."""
    return requirement.shown_large(state.lower[guards], state.exact[guards], guards, state.proven[guards])


def _maybe_large(requirement: Requirement, state: _State, guards: np.ndarray) -> np.ndarray:
    """Per guard: it may still be shown large (no feasible point seen below its floor)."""
    return np.ceil(state.lower[guards] - EPS) >= requirement.floors()[guards] - EPS


def _lift(system: AttackSystem, requirement: Requirement, state: _State, failing: np.ndarray,
          members: np.ndarray | None = None) -> None:
    """Pass the liftable `failing` values of cells whose household counts are all shown large. With `members`
    (the component a thread attacks), counts outside it are not known large yet: another thread may be changing
    them, and reading them would make the result depend on timing (`_lift_all` settles them afterwards)."""
    if requirement.liftable is None:
        return
    failing = failing[requirement.liftable[failing]]
    guards = _guards(system, requirement, failing)
    if len(guards) == 0:
        return
    shown = _shown_large(requirement, state, guards) & _inside(guards, members)
    not_large = np.unique(system.var_cell[guards[~shown]])
    large_cells = np.setdiff1d(np.unique(system.var_cell[guards]), not_large)
    state.lifted[failing[np.isin(system.var_cell[failing], large_cells)]] = True


def _inside(variables: np.ndarray, members: np.ndarray | None) -> np.ndarray:
    """Per variable: among `members` (all of them when None)."""
    return np.ones(len(variables), bool) if members is None else np.isin(variables, members)


def _failing(requirement: Requirement, state: _State, idx: np.ndarray) -> np.ndarray:
    return idx[~(requirement.met(state.lower, state.upper, state.exact, idx, state.proven) | state.lifted[idx])]


def _lift_all(system: AttackSystem, requirement: Requirement, component: np.ndarray, sizes: np.ndarray,
              large: np.ndarray, pieces: list[np.ndarray], rng: np.random.Generator, state: _State) -> int:
    """Lift what is left: for liftable values still too narrow, show their cells' household counts large where
    they are (exact solves in components solved whole; outer bounds piece by piece in large ones; a household
    count can sit in another component than its cell's payments when no link joins them)."""
    if requirement.liftable is None:
        return 0
    failing = _failing(requirement, state, np.flatnonzero(requirement.liftable))
    guards = _guards(system, requirement, failing)
    guards = guards[_maybe_large(requirement, state, guards) & ~_shown_large(requirement, state, guards)]
    solves = 0
    in_large = large[component[guards]]
    exact = guards[~in_large & ~state.exact[guards]]
    if len(exact):
        wanted = np.zeros(len(sizes), dtype=bool)
        wanted[component[exact]] = True
        for batch in _batches(component, np.where(wanted, sizes, 0)):
            solves += _exact(system, batch, np.intersect1d(batch, exact), rng, state)
    outer = guards[in_large]
    if len(outer):
        by_var = system.by_var
        for comp in np.unique(component[outer]):
            members = np.flatnonzero(component == comp)
            mine = outer[component[outer] == comp]
            for labels in _levels(pieces, members):
                mine = mine[~_shown_large(requirement, state, mine)]
                if len(mine) == 0:
                    break
                solves += _outer_bounds(system, by_var, members, labels, mine, np.zeros(0, np.int64), state,
                                        requirement)[2]
            mine = mine[~_shown_large(requirement, state, mine)]
            if len(mine) and len(members) <= WHOLE_UP_TO:
                solves += _exact(system, members, mine, rng, state)
    _lift(system, requirement, state, failing)
    return solves


def _whole_ok(requirement: Requirement, state: _State, idx: np.ndarray) -> np.ndarray:
    """Per value of `idx`: wide enough on the range seen at whole points (an LP bound counts as exact only where a
    whole point reaches it)."""
    lower, upper = state.lower[idx], state.upper[idx]
    whole_lo, whole_hi = state.whole_lo[idx], state.whole_hi[idx]
    reached = (whole_lo <= lower + EPS) & ((whole_hi >= upper - EPS) | ~np.isfinite(upper))
    lo = np.minimum(whole_lo, upper)
    hi = np.where(np.isfinite(upper), np.maximum(whole_hi, lower), upper)
    return requirement.met_of(lo, hi, state.exact[idx] & reached, idx, state.proven[idx]) | state.lifted[idx]


def _integer_check(system: AttackSystem, requirement: Requirement, component: np.ndarray, sizes: np.ndarray,
                   seed: int, state: _State, workers: int = 1) -> int:
    """Check with counts whole the values that pass only on fractional points, in components of up to MIP_UP_TO
    values (the independent attacker's method): first whole points from MIPs with random objectives, then exact
    MIP bounds for what stays in doubt. A value that then fails keeps the LP's binding rows for the repair.
    Returns the solves.

    Larger components: see _near_check.
    """
    ok = requirement.met(state.lower, state.upper, state.exact, slice(None), state.proven) | state.lifted
    everything = np.arange(system.n_vars)
    doubt = ok & ~_whole_ok(requirement, state, everything) & (sizes[component] <= MIP_UP_TO)
    if not doubt.any():
        return 0
    start = time.perf_counter()
    wanted = np.zeros(len(sizes), dtype=bool)
    wanted[component[doubt]] = True
    # Components packed into one MIP (block-diagonal): a random objective's whole point serves them all.
    batches = [members for members in _batches(component, np.where(wanted, sizes, 0), MIP_BATCH_VARS)
               if state.integer[members].any()]    # no counts: the LP is exact
    solves = _run([partial(_integer_batch, system, requirement, members, members[doubt[members]], _rng(seed, 3, i),
                           state) for i, members in enumerate(batches)], workers)
    log.debug("    integer check: %d values (%d counts) in doubt in %d components; %d MIP solves, %.1f s",
              int(doubt.sum()), int((doubt & state.integer).sum()), int(wanted.sum()), solves,
              time.perf_counter() - start)
    return solves


def _near_failing(requirement: Requirement, state: _State, idx: np.ndarray) -> np.ndarray:
    """Per value of `idx`: its LP interval fails the requirement with each side moved in by NEAR_MARGIN (an
    unbounded side, or a lower bound of zero, stays: zero is whole), where whole points could narrow it enough to
    fail. Values shown large by their exact lower bound are not near (whole points only raise a lower bound)."""
    lower, upper = state.lower[idx], state.upper[idx]
    lo = np.where(lower <= EPS, lower, lower + NEAR_MARGIN)
    hi = np.where(np.isfinite(upper), np.maximum(upper - NEAR_MARGIN, lo), upper)
    return ~requirement.met_of(lo, hi, np.zeros(len(idx), bool), idx, None) & ~state.lifted[idx] & \
        ~_shown_large(requirement, state, idx)


class NeighbourhoodMemo:
    """Whole-number bounds of the near check's neighbourhood MIPs (_near_whole), keyed by the MIP itself, kept
    across the attacks of one table's protection (its rounds and the un-hide pass's attempts).

    A neighbourhood's MIP is a function of its variables (cell and measure), their bounds and integrality, and its
    rows with their coefficients and bounds; a later attack that builds the same MIP (nothing published or hidden
    since within its reach) gets the same bounds, valid outer bounds of the same relaxation, without solving it
    again. Any difference, even in the order of variables or rows, is another key: a miss costs a solve, never a
    wrong bound. On the demo's 2025 the near check was about 60% of each un-hide attempt (about 19 of 30 s, 1,500
    MIPs), and most neighbourhoods of a component are out of reach of the few cells an attempt publishes again.
    """

    def __init__(self) -> None:
        self._bounds: dict[bytes, tuple[float, float] | None] = {}
        self._lock = threading.Lock()
        self.hits = 0

    @staticmethod
    def key(system: AttackSystem, integer: np.ndarray, cols: np.ndarray, sub: sparse.csr_matrix, rows: np.ndarray,
            local: int) -> bytes:
        """The fingerprint of the MIP over `cols` and `rows` (`sub`: those rows' coefficients on `cols`) that
        bounds the variable at position `local` of `cols`."""
        digest = hashlib.blake2b(digest_size=20)
        for part in (np.int64(local), system.var_measure[cols], system.var_cell[cols],
                     system.var_lower[cols], system.var_upper[cols], integer[cols], sub.indptr, sub.indices,
                     sub.data, system.row_lower[rows], system.row_upper[rows]):
            array = np.ascontiguousarray(part)
            digest.update(str((array.dtype.str, array.shape)).encode())
            digest.update(array.tobytes())
        return digest.digest()

    def get(self, key: bytes) -> tuple[tuple[float, float] | None, bool]:
        """The bounds stored for `key` (None: HiGHS found none), and whether there were any."""
        with self._lock:
            if key not in self._bounds:
                return None, False
            self.hits += 1
            return self._bounds[key], True

    def put(self, key: bytes, bounds: tuple[float, float] | None) -> None:
        with self._lock:
            self._bounds[key] = bounds


def _near_check(system: AttackSystem, requirement: Requirement, component: np.ndarray, sizes: np.ndarray,
                state: _State, workers: int = 1, memo: NeighbourhoodMemo | None = None) -> int:
    """In components of more than MIP_UP_TO values, attack each count that passes the LP but is near failing
    with counts whole in its neighbourhood (NEAR_MIP_VARS); returns the solves. `memo`: bounds of neighbourhoods
    solved by earlier attacks of the same table."""
    ok = requirement.met(state.lower, state.upper, state.exact, slice(None), state.proven) | state.lifted
    everything = np.arange(system.n_vars)
    near = everything[ok & state.integer & (sizes[component] > MIP_UP_TO)]
    near = near[~_whole_ok(requirement, state, near) & _near_failing(requirement, state, near)]
    if len(near) == 0:
        return 0
    start = time.perf_counter()
    memo = NeighbourhoodMemo() if memo is None else memo
    hits = memo.hits
    solves = _run([partial(_near_whole, system, requirement, int(var), state, memo) for var in near], workers)
    log.debug("    near check: %d values in components above %d (%d neighbourhoods as an earlier attack solved "
              "them); %d now too narrow; %d MIP solves, %.1f s",
              len(near), MIP_UP_TO, memo.hits - hits, int((~requirement.met(state.lower, state.upper, state.exact,
                                                                           near, state.proven)).sum()), solves,
              time.perf_counter() - start)
    return solves


def _near_whole(system: AttackSystem, requirement: Requirement, var: int, state: _State,
                memo: NeighbourhoodMemo) -> int:
    """One value's whole-number bounds in its neighbourhood, a relaxation (rows reaching outside it dropped), so
    outer bounds; where they show it too narrow, they replace its bounds and the LP's binding rows there are kept
    for the repair. Returns the solves."""
    cols = np.sort(np.concatenate(_neighbourhood(system, system.by_var, var, NEAR_MIP_VARS)))
    touching = system.by_var[:, cols].tocsr()
    inside = np.diff(touching.indptr)
    rows = np.flatnonzero((inside > 0) & (inside == np.diff(system.matrix.indptr)))
    local = int(np.searchsorted(cols, var))
    key = memo.key(system, state.integer, cols, touching[rows], rows, local)
    bounds, known = memo.get(key)
    solves = 0
    lp: _BatchLP | None = None
    if not known:
        lp = _BatchLP(system, cols, rows=rows)
        bounds, solves = _mip_bounds(_StagedMIP(lp.highs.getLp(), state.integer[cols], requirement.fine_of(cols)),
                                     local)
        memo.put(key, bounds)
    if bounds is None:
        return solves
    # Exact LP bounds are outer bounds for whole points too; inner ones (a feasible point's value) are not.
    lo, hi = (float(state.lower[var]), float(state.upper[var])) if state.exact[var] else (-np.inf, np.inf)
    lo, hi = max(lo, bounds[0]), min(hi, bounds[1])
    one = np.array([var])
    if requirement.met_of(np.array([lo]), np.array([hi]), np.array([True]), one, np.array([lo]))[0]:
        return solves
    state.lower[var], state.upper[var], state.exact[var] = lo, hi, True
    state.binding[var] = _binding_rows(lp if lp is not None else _BatchLP(system, cols, rows=rows), local)
    return solves + 2


def _mip_bounds(mip: _StagedMIP, local: int) -> tuple[tuple[float, float] | None, int]:
    """Min and max of one variable (`local`) with counts whole (_mip_outer: outer bounds), or None where HiGHS
    finds no bound on a side; and the solves. Without HiGHS's feasibility-jump heuristic, which looks for whole
    points before the root LP: these MIPs end at the root (8,827 of the demo 2025's 8,832 near-check solves), and
    a bound needs no point. Measured on 168 of those MIPs (every 20th): 2.31 s instead of 2.98 s, every optimum the
    same."""
    mip.without_feasibility_jump()
    hi, solves = mip.outer(local, 1.0, NEAR_MIP_SECONDS)
    if hi is None:
        return None, solves
    lo, more = mip.outer(local, -1.0, NEAR_MIP_SECONDS)
    return (None if lo is None else (lo, hi)), solves + more


def _binding_rows(lp: _BatchLP, local: int) -> np.ndarray:
    """The system rows binding at the LP's min or max of one variable (`local` in `lp`): what the repair hides
    partners from. Two solves."""
    n = lp.highs.getNumCol()
    binding = np.zeros(len(lp.rows), dtype=bool)
    for sense in (1.0, -1.0):
        objective = np.zeros(n)
        objective[local] = sense
        binding |= np.abs(lp.optimise(objective)[1]) > EPS
    return lp.rows[binding]


def _mip_outer(mip: highspy.Highs, n: int, local: int, sense: float, seconds: float = NEAR_MIP_SECONDS) -> float | None:
    """Max (sense 1) or min (sense -1) of one variable with counts whole, or HiGHS's dual bound on it where the
    solve stops early (after `seconds`): an outer bound either way. None where HiGHS finds no bound."""
    status = _mip_optimise(mip, n, local, sense, seconds)
    if status == highspy.HighsModelStatus.kOptimal:
        return float(mip.getInfo().objective_function_value)
    if status == highspy.HighsModelStatus.kUnbounded:
        return np.inf * sense
    bound = float(mip.getInfo().mip_dual_bound)
    return bound if np.isfinite(bound) and status == highspy.HighsModelStatus.kTimeLimit else None


def _mip_optimise(mip: highspy.Highs, n: int, local: int, sense: float, seconds: float) -> highspy.HighsModelStatus:
    """Maximise (sense 1) or minimise (sense -1) one variable with counts whole, for at most `seconds` more."""
    budget.check()
    cost = np.zeros(n)
    cost[local] = 1.0
    mip.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
    mip.changeObjectiveSense(highspy.ObjSense.kMaximize if sense > 0 else highspy.ObjSense.kMinimize)
    mip.setOptionValue("mip_rel_gap", 0.0)
    mip.setOptionValue("time_limit", mip.getRunTime() + seconds)
    mip.run()
    return mip.getModelStatus()


def _integer_batch(system: AttackSystem, requirement: Requirement, members: np.ndarray, pending: np.ndarray,
                   rng: np.random.Generator, state: _State) -> int:
    """The whole-number check of the `pending` values of one batch of whole components; returns the solves."""
    solves = 0
    lp = _BatchLP(system, members)
    mip = _StagedMIP(lp.highs.getLp(), state.integer[members], requirement.fine_of(members))
    for _ in range(MAX_RANDOM_ROUNDS):
        weights = _random_weights(rng, len(members), lp.local(pending))
        for sense in (1.0, -1.0):
            point, used = mip.point(weights * sense, MIP_ROUND_SECONDS)
            solves += used
            if point is not None:
                _record(point, members, state)
        still = pending[~_whole_ok(requirement, state, pending)]
        progress, pending = len(pending) - len(still), still
        if len(pending) == 0 or progress <= max(1, len(pending) // 100):
            break
    for var in pending:
        solves += _exact_whole(system, requirement, lp, mip, var, state)
    return solves


def _exact_whole(system: AttackSystem, requirement: Requirement, lp: _BatchLP, mip: _StagedMIP, var: int,
                 state: _State) -> int:
    """Exact whole-number bounds of one value on the sides only fractional points reached; binding rows (from
    the LP) if it then fails. Returns the solves."""
    solves = 0
    local = int(lp.local(np.array([var]))[0])
    exact = bool(state.exact[var])
    sides = ((1.0, state.whole_hi[var] < state.upper[var] - EPS and np.isfinite(state.upper[var])),
             (-1.0, state.whole_lo[var] > state.lower[var] + EPS))
    for sense, fractional in sides:
        if not fractional:
            continue
        value, optimal, used = mip.extreme(local, sense, MIP_SECONDS)
        solves += used
        exact &= optimal
        if value is None:
            # No whole point (time out, or HiGHS's MIP calling the system infeasible although the true values
            # are a whole point of it: see _mip_solver). The LP bound is reached only at
            # fractional points, so it is no bound an attacker who solves whole must respect: the side falls
            # back to the whole points seen (the true values among them), an inner bound. Keeping the LP bound
            # here passed values the attacker's own MIP pins (the demo's 2023 BLT Dana Desa recipients of desa of
            # 53.04.18, [1, 9]: packed in one MIP with a component the presolve called infeasible).
            if sense > 0:
                state.upper[var] = state.whole_hi[var]
            else:
                state.lower[var] = state.whole_lo[var]
            continue
        if sense > 0:
            state.upper[var] = np.inf if value >= system.var_upper[var] * 0.999 else value
            state.whole_hi[var] = value
        else:
            state.lower[var] = state.whole_lo[var] = value
    state.exact[var] = exact
    if exact:
        state.proven[var] = max(state.proven[var], state.lower[var])
    if not requirement.met(state.lower, state.upper, state.exact, np.array([var]), state.proven)[0]:
        state.binding[int(var)] = _binding_rows(lp, local)
        solves += 2
    return solves


def _mip_point(mip: highspy.Highs, weights: np.ndarray, seconds: float) -> np.ndarray | None:
    """A whole point maximising weights . x (the best found within `seconds`), or None if none was found."""
    budget.check()
    n = len(weights)
    mip.changeColsCost(n, np.arange(n, dtype=np.int32), weights.astype(np.float64))
    mip.changeObjectiveSense(highspy.ObjSense.kMaximize)
    # Any whole point near the optimum widens the ranges as well: no need to prove it optimal.
    mip.setOptionValue("mip_rel_gap", MIP_ROUND_GAP)
    mip.setOptionValue("time_limit", mip.getRunTime() + seconds)
    mip.run()
    if mip.getInfo().primal_solution_status != 2:
        return None
    return np.asarray(mip.getSolution().col_value)


class _StagedMIP:
    """The MIPs of one batch or neighbourhood with every count whole, solved in two steps where it has `fine`
    columns (Rupiah, whole thousands) besides other counts: first with the fine columns fractional (`coarse`), then
    an LP with every other count fixed at that point and the same objective (`_complete`). Where that LP's vertex
    is whole in every value, it is a whole point of the full MIP; at a coarse optimum it reaches the coarse
    optimum, a bound of the full MIP, so it is the full MIP's optimum. Otherwise (no point, a fractional vertex,
    a coarse MIP without an optimum) the MIP with every count whole (`full`) answers, as before.

    Why: HiGHS's MIP spends most of a root node on reduced-cost fixing (HighsRedcostFixing::addRootRedcost), up to
    1,024 steps per whole column with a nonzero reduced cost, and Rupiah columns span thousands; the near check's
    MIPs also branch on them. Measured on Jawa Tengah + Jawa Timur's un-hide attack (its inputs saved after the
    rounds; 40 batches of the whole-number check, 84 columns and 237 rows at the median, and 30 neighbourhoods of
    the near check): 80 random objectives took 7.39 s with every count whole, 1.03 s coarse plus 0.59 s for the
    completing LPs, all 80 completed whole; 60 neighbourhood bounds 30.2 s full, 5.5 s coarse plus 1.4 s, all 60
    completed whole and equal to the full MIP's. Points are witnesses, checked whole before they count
    (_record), and a bound is taken only where it is the full MIP's own optimum, so the verdicts depend on the two
    steps only through the time limits (a MIP that stops early answers with what it found, as before): one un-hide
    attack of that table, each version alone on a core, gave the same pattern cell for cell; the demo's 2025, both
    versions beside a test run on two cores, published 374 partners again in its second attack instead of 370."""

    def __init__(self, lp: highspy.HighsLp, integer: np.ndarray, fine: np.ndarray | None = None) -> None:
        self._lp = lp
        self.n = len(integer)
        self.integer = integer
        self._full: highspy.Highs | None = None
        self._feasibility_jump = True
        fine = np.zeros(self.n, bool) if fine is None else fine
        self.staged = bool((integer & fine).any()) and bool((integer & ~fine).any())
        if self.staged:
            self.coarse = _mip_solver(lp, integer & ~fine)
            self.rounding = highspy.Highs()
            self.rounding.setOptionValue("output_flag", False)
            self.rounding.setOptionValue("presolve", "off")
            self.rounding.passModel(lp)
            self.held = np.flatnonzero(integer & ~fine).astype(np.int32)
            self.lower, self.upper = np.asarray(lp.col_lower_)[self.held], np.asarray(lp.col_upper_)[self.held]

    @property
    def full(self) -> highspy.Highs:
        """The MIP with every count whole, built when first needed."""
        if self._full is None:
            self._full = _mip_solver(self._lp, self.integer)
            self._full.setOptionValue("mip_heuristic_run_feasibility_jump", self._feasibility_jump)
        return self._full

    def without_feasibility_jump(self) -> _StagedMIP:
        """For bounds (see _mip_bounds): HiGHS's feasibility-jump heuristic off in every MIP (the full one when it
        is built: most neighbourhoods never need it)."""
        self._feasibility_jump = False
        if self.staged:
            self.coarse.setOptionValue("mip_heuristic_run_feasibility_jump", False)
        if self._full is not None:
            self._full.setOptionValue("mip_heuristic_run_feasibility_jump", False)
        return self

    def point(self, weights: np.ndarray, seconds: float) -> tuple[np.ndarray | None, int]:
        """A whole point (None if none was found) near the maximum of weights . x, and the solves it took."""
        solves = 0
        if self.staged:
            point = _mip_point(self.coarse, weights, seconds)
            solves += 1
            if point is not None:
                vertex = self._complete(point, weights)
                solves += 1
                if vertex is not None:
                    return vertex, solves
        return _mip_point(self.full, weights, seconds), solves + 1

    def extreme(self, local: int, sense: float, seconds: float) -> tuple[float | None, bool, int]:
        """Max (sense 1) or min (sense -1) of one variable with counts whole (_mip_extreme), and the solves."""
        value, solves = self._coarse_optimum(local, sense, seconds)
        if value is not None:
            return value, True, solves
        return (*_mip_extreme(self.full, self.n, local, sense, seconds), solves + 1)

    def outer(self, local: int, sense: float, seconds: float) -> tuple[float | None, int]:
        """An outer bound on one variable with counts whole (_mip_outer), and the solves."""
        value, solves = self._coarse_optimum(local, sense, seconds)
        if value is not None:
            return value, solves
        return _mip_outer(self.full, self.n, local, sense, seconds), solves + 1

    def _coarse_optimum(self, local: int, sense: float, seconds: float) -> tuple[float | None, int]:
        """The full MIP's optimum where the coarse MIP's optimum completes whole, else None; and the solves."""
        if not self.staged:
            return None, 0
        status = _mip_optimise(self.coarse, self.n, local, sense, seconds)
        if status != highspy.HighsModelStatus.kOptimal or self.coarse.getInfo().primal_solution_status != 2:
            return None, 1
        point = np.asarray(self.coarse.getSolution().col_value)
        cost = np.zeros(self.n)
        cost[local] = sense
        vertex = self._complete(point, cost)
        if vertex is None or abs(vertex[local] - point[local]) > 1e-6 * max(1.0, abs(point[local])):
            return None, 2
        return (float(round(vertex[local])) if self.integer[local] else float(vertex[local])), 2

    def _complete(self, point: np.ndarray, weights: np.ndarray) -> np.ndarray | None:
        """The LP's vertex maximising weights . x with the counts other than fine ones fixed at `point` (rounded:
        whole within HiGHS's tolerance), where it is whole in every count; else None."""
        fixed = np.round(point[self.held])
        self.rounding.changeColsBounds(len(self.held), self.held, fixed, fixed)
        self.rounding.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), weights.astype(np.float64))
        self.rounding.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.rounding.run()
        optimal = self.rounding.getModelStatus() == highspy.HighsModelStatus.kOptimal
        vertex = np.asarray(self.rounding.getSolution().col_value) if optimal else None
        self.rounding.changeColsBounds(len(self.held), self.held, self.lower, self.upper)
        if vertex is None or (self.integer & _fractional(vertex)).any():
            return None
        return vertex


#: HiGHS's MIP heuristics that solve a presolved sub-MIP (see _mip_solver: off in every MIP of the attack).
SUB_MIP_HEURISTICS = ("mip_heuristic_run_rens", "mip_heuristic_run_rins", "mip_heuristic_run_root_reduced_cost")


def _mip_solver(lp: highspy.HighsLp, integer: np.ndarray) -> highspy.Highs:
    """A HiGHS MIP of `lp` with the `integer` columns whole, presolve off. HiGHS 1.15's MIP presolve gets some of
    these systems wrong both ways: it called a demo component of 39 counts and amounts (column bounds up to 4e9)
    infeasible though the true values are a whole point of it (HiGHS issue 3296; packed into one MIP with others,
    that verdict left 53.04.18's 2023 BLT recipients at their LP bound while a reader's MIP pinned them to [1, 9]),
    and with Rupiah tied to whole payments of two sizes it returned wrong optima: [9, 17] for a hidden PKH count
    of the demo's 2023 whose whole point at 21 an independent attacker checked, and [14, 21] for two paid-payment
    counts of the sparse set's December (tests/anonymize/test_release.py), so that the standalone audit, batching
    differently, failed what the publisher's passed. Without presolve the first is [9, 21] and both pass.

    Nor do its heuristics that solve a sub-MIP (RENS, RINS, root reduced cost) run: a sub-MIP is presolved whatever
    the option says, and that presolve crashed the process (SIGSEGV in HPresolve::getRowPositions under
    removeRowSingletons, RENS at the root node; gdb on a national publish, which died that way in 3 of its 4 runs
    on 2026-12-05, about 6 minutes into the disbursement table's first round). They only look for whole points
    sooner: bounds and points stay what HiGHS proves and finds."""
    mip = highspy.Highs()
    mip.setOptionValue("output_flag", False)
    mip.setOptionValue("mip_rel_gap", 0.0)
    mip.setOptionValue("presolve", "off")
    for heuristic in SUB_MIP_HEURISTICS:
        mip.setOptionValue(heuristic, False)
    lp.integrality_ = [highspy.HighsVarType.kInteger if whole else highspy.HighsVarType.kContinuous
                       for whole in integer]
    mip.passModel(lp)
    return mip


def _mip_extreme(mip: highspy.Highs, n: int, local: int, sense: float,
                 seconds: float = MIP_SECONDS) -> tuple[float | None, bool]:
    """Max (sense 1) or min (sense -1) of one variable with counts whole: its value at the best whole point
    found (None if none was found in `seconds`), and whether that point is optimal."""
    status = _mip_optimise(mip, n, local, sense, seconds)
    if mip.getInfo().primal_solution_status != 2:
        return None, False
    return float(mip.getSolution().col_value[local]), status == highspy.HighsModelStatus.kOptimal


def _solve_large(system: AttackSystem, members: np.ndarray, requirement: Requirement, anchor: np.ndarray | None,
                 pieces: list[np.ndarray], rng: np.random.Generator, state: _State,
                 by_var: sparse.csc_matrix | None, workers: int = 1) -> int:
    """Attack one large component piece by piece (inner bounds, then outer bounds per piece), then whole for the
    values still in doubt. A level whose pieces are the previous level's is skipped, and one whose single piece
    is the whole component is the whole attack (its restriction holds nothing, its relaxation drops nothing).
    In a component of more than WHOLE_UP_TO values, the values still in doubt are presumed too narrow instead
    (`state.presumed`), keeping the binding rows of their last relaxation for the repair. The pieces of a level
    are attacked on `workers` threads (they touch disjoint variables; each has its own random generator, drawn
    from `rng` in piece order, so the result does not depend on the threads): a component attacked alone (an
    un-hide attempt, a sparse table's one large component) would otherwise leave the other cores idle."""
    solves = 0
    point = np.zeros(system.n_vars)
    if anchor is None:
        # The midpoint of two opposite extreme points: feasible, and away from most bounds, so pieces can move.
        extremes = _BatchLP(system, members).extreme_points(rng.uniform(-1.0, 1.0, len(members)))
        for extreme in extremes:
            _record(extreme, members, state)
        point[members] = np.mean(extremes, axis=0)
        solves += len(extremes)
    else:
        point[members] = anchor[members]
    held_whole = not bool(_fractional(point[members[state.integer[members]]]).any())
    pending = _failing(requirement, state, members)
    by_var = system.by_var if by_var is None else by_var
    # The last level's relaxation, and the values its screening left unsolved (they have no binding rows from it).
    last_labels: np.ndarray | None = None
    skipped: list[int] = []
    for labels in _levels(pieces, members):
        if len(pending) == 0:
            return solves
        wanted = np.unique(labels[pending])
        free = members[np.isin(labels[members], wanted)]
        batches = _batches(*_compact(labels[free]))
        seeds = rng.integers(0, 2**63, size=len(batches))
        solves += _run([partial(_solve_batch, system, free[batch], np.intersect1d(free[batch], pending,
                                                                                  assume_unique=True),
                                requirement, False, np.random.default_rng(piece_seed), state, point, held_whole)
                        for batch, piece_seed in zip(batches, seeds, strict=True)], workers)
        pending = _failing(requirement, state, pending)
        if len(pending):
            last_labels, skipped = labels, []
            pending, used = _outer_pass(system, by_var, members, labels, pending, requirement, state, skipped)
            solves += used
    if len(pending) and len(members) > WHOLE_UP_TO:
        pending, used = _neighbourhood_pass(system, by_var, pending, requirement, rng, state, point, held_whole)
        solves += used
        if len(pending) and len(members) <= WHOLE_RANDOM_UP_TO:
            # Random objectives over the whole component move many values at once: most values in doubt are
            # narrow only because the pieces held the rest of the component still.
            whole = _BatchLP(system, members)
            pending, used = _random_rounds(whole, members, pending, requirement, rng, state)
            solves += used
            _lift(system, requirement, state, pending, members)
            pending = _failing(requirement, state, pending)
            if 0 < len(pending) <= WHOLE_EXACT_UP_TO and len(members) <= WHOLE_EXACT_COMPONENT:
                # Few left: decide them exactly rather than presume them too narrow. A value presumed too
                # narrow gets partners from its relaxation's binding rows, which reach into other provinces and
                # join components: on the national table such repairs snowballed (54 presumed values in round 4,
                # 3,041 in round 7). An exact value too narrow brings the binding rows of the whole component.
                start = time.perf_counter()
                used = _extremes(system, whole, members, pending, requirement, False, state, True)
                guards = np.intersect1d(_guards(system, requirement, _failing(requirement, state, pending)), members)
                guards = guards[~state.exact[guards] & _maybe_large(requirement, state, guards)]
                if len(guards):
                    used += _extremes(system, whole, members, guards[:WHOLE_EXACT_UP_TO], requirement, True, state,
                                      True)
                solves += used
                log.debug("    exact in the whole component: %d values in doubt, %d solves, %.1f s", len(pending),
                          used, time.perf_counter() - start)
        _lift(system, requirement, state, pending, members)
        pending = _failing(requirement, state, pending)
        # A value solved exactly is too narrow, not in doubt: its binding rows are the whole component's.
        pending = pending[~state.exact[pending]]
        state.presumed[pending] = True
        unbound = np.intersect1d(pending, np.array(skipped, dtype=np.int64))
        if len(unbound) and last_labels is not None:
            # A presumed value's partners come from its last relaxation's binding rows: solve the ones screening
            # left out there (the same LPs the pass would have solved without it).
            solves += _outer_bounds(system, by_var, members, last_labels, np.zeros(0, np.int64), unbound, state)[2]
        log.debug("    %d values in doubt presumed too narrow (component of %d values)", len(pending), len(members))
        return solves
    if len(pending):
        solves += _solve_batch(system, members, pending, requirement, False, rng, state)
        guards = _guards(system, requirement, _failing(requirement, state, pending))
        guards = np.intersect1d(guards, members)    # others are lifted at the end (_lift_all)
        guards = guards[~state.exact[guards] & _maybe_large(requirement, state, guards)]
        if len(guards):
            solves += _exact(system, members, guards, rng, state)
        _lift(system, requirement, state, _failing(requirement, state, pending), members)
    return solves


def _neighbourhood_pass(system: AttackSystem, by_var: sparse.csc_matrix, pending: np.ndarray,
                        requirement: Requirement, rng: np.random.Generator, state: _State, point: np.ndarray,
                        held_whole: bool) -> tuple[np.ndarray, int]:
    """Attack the values in doubt each in its neighbourhood (NEIGHBOURHOOD_VARS), the rest of the component held at
    `point`: a restricted LP, so its ranges are inner bounds. Only the values in doubt in the inner half of a
    neighbourhood (its first breadth-first layers) are attacked there, and they get no neighbourhood of their
    own; a value in the outer half, held close by the fixed rest, waits for its own. (Attacking every value in
    doubt of the neighbourhood cost ten times the LP solves: the national complaint table's pass took 53 s
    instead of 9 s, and passed few more.) Return the values still in doubt and the LP solves."""
    start = time.perf_counter()
    solves = 0
    tried = np.zeros(0, np.int64)
    attacked = 0
    for seed in pending:
        if attacked >= NEIGHBOURHOODS_MAX:
            break
        if seed in tried or len(_failing(requirement, state, np.array([seed]))) == 0:
            continue
        layers = _neighbourhood(system, by_var, int(seed), NEIGHBOURHOOD_VARS)
        cols = np.sort(np.concatenate(layers))
        core = np.concatenate(layers[:max(1, (len(layers) + 1) // 2)])
        targets = _failing(requirement, state, np.intersect1d(pending, core))
        solves += _solve_batch(system, cols, targets, requirement, False, rng, state, point, held_whole)
        tried = np.union1d(tried, np.intersect1d(core, pending))
        attacked += 1
    still = _failing(requirement, state, pending)
    log.debug("    neighbourhoods: %d in doubt, %d attacked, %d still in doubt, %d solves, %.1f s", len(pending),
              attacked, len(still), solves, time.perf_counter() - start)
    return still, solves


def _neighbourhood(system: AttackSystem, by_var: sparse.csc_matrix, seed: int, limit: int) -> list[np.ndarray]:
    """The variables reachable from `seed` through shared rows, as breadth-first layers of at most `limit` in all
    (the last layer cut in variable order)."""
    layers = [np.array([seed])]
    visited = layers[0]
    while len(visited) < limit:
        rows = np.unique(by_var[:, layers[-1]].indices)
        reached = np.setdiff1d(np.unique(system.matrix[rows].indices), visited, assume_unique=True)
        if len(reached) == 0:
            break
        reached = reached[:limit - len(visited)]
        layers.append(reached)
        visited = np.union1d(visited, reached)
    return layers


def _levels(pieces: list[np.ndarray], members: np.ndarray) -> list[np.ndarray]:
    """The levels of pieces (finest first) worth attacking in a component: a level whose pieces are the finer
    level's teaches nothing new, and the levels from the first whose single piece is the whole component (the
    whole attack does that) or whose largest piece has more than WHOLE_UP_TO values (too slow) are left out."""
    levels: list[np.ndarray] = []
    n_pieces = 0
    for labels in pieces:
        _, sizes = _compact(labels[members])
        if len(sizes) == 1 or sizes.max() > WHOLE_UP_TO:
            break
        if len(sizes) != n_pieces:
            levels.append(labels)
            n_pieces = len(sizes)
    return levels


def _outer_pass(system: AttackSystem, by_var: sparse.csc_matrix, members: np.ndarray, labels: np.ndarray,
                pending: np.ndarray, requirement: Requirement, state: _State,
                skipped: list[int]) -> tuple[np.ndarray, int]:
    """Bound the pending values (and the household counts of their cells) from outside, piece by piece; return
    the values still in doubt and the LP solves. Values shown wide enough (or large, or of a large cell) pass;
    values certainly too narrow keep the relaxation's binding rows for the repair and leave the doubt."""
    guards = np.intersect1d(_guards(system, requirement, pending), members)
    guards = guards[_maybe_large(requirement, state, guards) & ~_shown_large(requirement, state, guards)]
    start = time.perf_counter()
    # Household counts first: a cell they show large passes whole, with no solve for its payments or Rupiah.
    solves = _outer_bounds(system, by_var, members, labels, guards, np.zeros(0, np.int64), state, requirement)[2]
    pending = _failing(requirement, state, pending)
    _lift(system, requirement, state, pending, members)
    pending = pending[~state.lifted[pending]]
    outer_lo, outer_hi, more = _outer_bounds(system, by_var, members, labels, np.zeros(0, np.int64), pending, state,
                                             requirement, skipped)
    solves += more
    log.debug("    outer bounds: %d pending, %d household counts, %d pieces, %d solves (%d values screened out), "
              "%.1f s", len(pending), len(guards), len(np.unique(labels[np.union1d(pending, guards)])), solves,
              len(skipped), time.perf_counter() - start)
    still = _failing(requirement, state, pending)
    _lift(system, requirement, state, still, members)
    still = still[~state.lifted[still]]
    return still[~_too_narrow_outside(requirement, state, still, outer_lo, outer_hi, system, members)], solves


def _outer_bounds(system: AttackSystem, by_var: sparse.csc_matrix, members: np.ndarray, labels: np.ndarray,
                  lower_only: np.ndarray, both: np.ndarray, state: _State, screen: Requirement | None = None,
                  skipped: list[int] | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """Outer bounds (per system variable; inf/-inf where not solved): the min of `lower_only` and the min and max
    of `both`, each in the relaxation of its piece (among `members`). The mins become `state.proven`; the
    binding rows of `both` go to `state.binding`.

    The relaxation of a piece: its variables, every row touching them, and the other variables of those rows,
    free within their own bounds; rows not touching the piece are dropped. Any feasible point of the whole system
    is feasible here, so min and max here bound the true interval from outside.

    With `screen`, a value whose range over the relaxation's points seen (random objectives first,
    then the optima of the exact solves) is already wide enough for `screen` and below its large floor is not
    solved: its outer bounds would be wider still, so they could show it neither too narrow nor large. It keeps
    -inf/inf, no binding rows from this relaxation, and is appended to `skipped`. Leaving a solve out never
    passes a value; at worst a value stays in doubt that the solve would have shown too narrow.
    """
    targets = np.union1d(both, lower_only)
    outer_lo = np.full(system.n_vars, -np.inf)
    outer_hi = np.full(system.n_vars, np.inf)
    solves = 0
    is_both = np.zeros(system.n_vars, dtype=bool)
    is_both[both] = True
    order = members[np.argsort(labels[members], kind="stable")]
    sorted_labels = labels[order]
    target_order = targets[np.argsort(labels[targets], kind="stable")]
    target_labels = labels[target_order]
    for piece in np.unique(target_labels):
        core = order[np.searchsorted(sorted_labels, piece, "left"):np.searchsorted(sorted_labels, piece, "right")]
        rows = np.unique(by_var[:, core].indices)
        cols = np.unique(system.matrix[rows].indices)
        solver = _BatchLP(system, cols, rows=rows)
        mine = target_order[np.searchsorted(target_labels, piece, "left"):
                            np.searchsorted(target_labels, piece, "right")]
        seen_lo = np.full(len(cols), np.inf)
        seen_hi = np.full(len(cols), -np.inf)
        screening = screen if len(mine) >= SCREEN_FROM else None
        if screening is not None:
            # A generator of the piece's own: the attack's other random draws stay what they were without it.
            rng = np.random.default_rng([SCREEN_SEED, int(piece), len(cols)])
            solves += _screen_rounds(solver, mine, screening, rng, seen_lo, seen_hi, is_both)
        for var in mine:
            local = solver.local(np.array([var]))
            if screening is not None and _needless(screening, np.array([var]), seen_lo[local], seen_hi[local],
                                                   is_both[[var]])[0]:
                if skipped is not None:
                    skipped.append(int(var))
                continue
            binding = np.zeros(len(rows), dtype=bool)
            for sense in ((1.0, -1.0) if is_both[var] else (-1.0,)):
                objective = np.zeros(len(cols))
                objective[local] = sense
                try:
                    value, row_dual = solver.optimise(objective)
                except AttackError:
                    # HiGHS gave up on this relaxation (numerics): no outer bound, the value stays in doubt,
                    # and a fresh solver serves the next one.
                    solver = _BatchLP(system, cols, rows=rows)
                    binding[:] = False
                    continue
                solves += 1
                np.minimum(seen_lo, value, out=seen_lo)
                np.maximum(seen_hi, value, out=seen_hi)
                bound = float(value[local[0]])
                if sense > 0:
                    outer_hi[var] = np.inf if bound >= system.var_upper[var] * 0.999 else bound
                else:
                    outer_lo[var] = bound
                binding |= np.abs(row_dual) > EPS
            state.proven[var] = max(state.proven[var], outer_lo[var])
            if is_both[var]:
                state.binding[int(var)] = rows[binding]
    return outer_lo, outer_hi, solves


def _screen_rounds(solver: _BatchLP, targets: np.ndarray, screen: Requirement, rng: np.random.Generator,
                   seen_lo: np.ndarray, seen_hi: np.ndarray, is_both: np.ndarray) -> int:
    """Random +/- objectives over the `targets` of a relaxation (pairs of opposite senses), widening the ranges
    seen there (`seen_lo`, `seen_hi`, per column of `solver`, in place) while that keeps sparing exact solves.
    Returns the solves; a relaxation HiGHS gives up on ends the rounds (the exact solves handle it)."""
    solves = 0
    local = solver.local(targets)
    pending = targets
    for _ in range(MAX_RANDOM_ROUNDS):
        weights = _random_weights(rng, len(seen_lo), local)
        for sense in (1.0, -1.0):
            try:
                point = solver.optimise(weights * sense)[0]
            except AttackError:
                return solves
            solves += 1
            np.minimum(seen_lo, point, out=seen_lo)
            np.maximum(seen_hi, point, out=seen_hi)
        mine = solver.local(pending)
        still = pending[~_needless(screen, pending, seen_lo[mine], seen_hi[mine], is_both[pending])]
        # A round pays off while it spares more exact solves (two per value of `both`) than its own two.
        spared = len(pending) - len(still)
        pending = still
        if len(pending) == 0 or spared <= 1:
            break
    return solves


def _needless(screen: Requirement, variables: np.ndarray, seen_lo: np.ndarray, seen_hi: np.ndarray,
              both: np.ndarray) -> np.ndarray:
    """Per variable: whether its exact outer bounds can change nothing, given the range [seen_lo, seen_hi] of points
    of its relaxation: its min cannot reach its large floor (a point below the floor was seen), and, when its max
    is wanted too (`both`), the range seen is already wide enough, which the outer interval (containing it) is."""
    floor = np.full(len(variables), np.inf) if screen.large_floor is None else screen.large_floor[variables]
    below_floor = ~np.isfinite(floor) | (np.ceil(seen_lo - EPS) < floor - EPS)
    return below_floor & (~both | screen.wide(seen_lo, seen_hi, variables))


def _too_narrow_outside(requirement: Requirement, state: _State, values: np.ndarray, outer_lo: np.ndarray,
                        outer_hi: np.ndarray, system: AttackSystem, members: np.ndarray) -> np.ndarray:
    """Per value: certainly too narrow. Its outer interval is narrower than required, and no other way to pass
    is open: it cannot be zero (where zero would pass), and neither it nor its cell can still be shown large
    (a seen feasible point below the floor rules that out). A household count outside `members` (another
    thread's component) may still be large."""
    lo = outer_lo[values]
    narrow = ~requirement.wide(lo, outer_hi[values], values)
    zero_known = np.zeros(len(values), bool) if requirement.zero_known is None else requirement.zero_known[values]
    could_be_zero = (requirement.lenient[values] | zero_known) & (lo <= EPS)
    narrow &= ~could_be_zero
    if requirement.known_value is not None:
        known = requirement.known_value[values]
        with np.errstate(invalid="ignore"):
            narrow &= ~((lo <= known + 0.5) & (outer_hi[values] >= known - 0.5))
    if requirement.large_floor is not None:
        sensitive = np.isfinite(requirement.large_floor[values])
        narrow &= ~(sensitive & _maybe_large(requirement, state, values))
        if requirement.liftable is not None and (narrow & requirement.liftable[values]).any():
            # A liftable value may still pass while every household count of its cell may be large.
            guards = _guards(system, requirement, values)
            maybe = _maybe_large(requirement, state, guards) | ~_inside(guards, members)
            small_cells = system.var_cell[guards[~maybe]]
            has_guards = np.isin(system.var_cell[values], system.var_cell[guards])
            may_lift = has_guards & ~np.isin(system.var_cell[values], small_cells)
            narrow &= ~(requirement.liftable[values] & may_lift)
    return narrow


def _compact(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels renumbered 0..k-1, and the size of each group (the shape `_batches` takes)."""
    _, compact = np.unique(labels, return_inverse=True)
    return compact, np.bincount(compact)


@dataclass
class _State:
    lower: np.ndarray
    upper: np.ndarray
    exact: np.ndarray
    binding: dict[int, np.ndarray]
    proven: np.ndarray
    lifted: np.ndarray
    #: Per variable: a whole number (a count); the attacker rounds its bounds and may solve with integrality.
    integer: np.ndarray
    #: Per variable: the range seen at points whole in every count of the component (the truth is one): inner
    #: bounds for an attacker who knows counts are whole numbers, whom fractional points do not bind (see
    #: _integer_check).
    whole_lo: np.ndarray
    whole_hi: np.ndarray
    #: Per variable: neither shown wide enough nor too narrow by the pieces of a component too large to attack
    #: whole; counted as too narrow.
    presumed: np.ndarray

    @classmethod
    def start(cls, lower: np.ndarray, upper: np.ndarray, exact: np.ndarray, binding: dict[int, np.ndarray],
              proven: np.ndarray, lifted: np.ndarray, integer: np.ndarray) -> _State:
        """A state whose whole-number ranges are the ranges given (the anchor, or results already checked)."""
        return cls(lower, upper, exact, binding, proven, lifted, integer,
                   np.where(np.isfinite(lower), lower, np.inf), np.where(np.isfinite(upper), upper, -np.inf),
                   np.zeros(len(lower), dtype=bool))


def _components(system: AttackSystem) -> tuple[np.ndarray, np.ndarray]:
    """Component of each variable (numbered 0..k-1) and component sizes."""
    labels, _ = _sub_components(system.matrix)
    _, component = np.unique(labels, return_inverse=True)
    return component, np.bincount(component, minlength=component.max(initial=-1) + 1)


def _batches(component: np.ndarray, sizes: np.ndarray, limit: int | None = None) -> list[np.ndarray]:
    """Groups of whole components, each up to `limit` (default BATCH_VARS) variables (a larger component is a
    batch alone). Components of size 0 in `sizes` are left out."""
    limit = BATCH_VARS if limit is None else limit
    order = np.argsort(sizes, kind="stable")
    order = order[sizes[order] > 0]
    groups: list[list[int]] = []
    current: list[int] = []
    current_size = 0
    for comp in order:
        if current and current_size + sizes[comp] > limit:
            groups.append(current)
            current, current_size = [], 0
        current.append(comp)
        current_size += sizes[comp]
    if current:
        groups.append(current)
    var_order = np.argsort(component, kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.bincount(component, minlength=len(sizes)))])
    return [np.concatenate([var_order[starts[c]:starts[c + 1]] for c in comps]) for comps in groups]


def _solve_batch(system: AttackSystem, cols: np.ndarray, targets: np.ndarray, requirement: Requirement,
                 exact_all: bool, rng: np.random.Generator, state: _State, fixed_at: np.ndarray | None = None,
                 held_whole: bool = True) -> int:
    """Attack the `targets` among `cols`. With `fixed_at`, every other variable is held at that feasible point
    (a restricted LP: its bounds are inner bounds, never marked exact), whole in every count if `held_whole`."""
    solver = _BatchLP(system, cols, fixed_at)
    solves = 0
    pending = targets
    if not exact_all:
        pending, solves = _random_rounds(solver, cols, pending, requirement, rng, state, held_whole)
    return solves + _extremes(system, solver, cols, pending, requirement, exact_all, state, fixed_at is None,
                              held_whole)


def _extremes(system: AttackSystem, solver: _BatchLP, cols: np.ndarray, pending: np.ndarray,
              requirement: Requirement, exact_all: bool, state: _State, whole: bool, held_whole: bool = True) -> int:
    """Min and max of each `pending` variable in `solver` (over `cols`), one variable per component at a time;
    unless `exact_all`, a variable the points seen meanwhile show wide enough is skipped. `whole`: the solver's
    model is whole components (its optima are exact bounds); else restricted (inner bounds). Returns the
    solves."""
    solves = 0
    while len(pending):
        # One variable per component per round: objectives of different components do not interact.
        _, first = np.unique(solver.var_component[solver.local(pending)], return_index=True)
        picked = pending[first]
        solved = picked
        binding = np.zeros(len(solver.rows), dtype=bool)
        for sense in (1.0, -1.0):
            if sense < 0 and not exact_all:
                # A value its maximum (with the points seen) already shows wide enough needs no minimum: it
                # passes, and only a failing value needs its binding rows. (Nationally, many of the values the
                # random rounds leave are settled by their maximum.)
                solved = picked[~requirement.met(state.lower, state.upper, state.exact, picked)]
                if len(solved) == 0:
                    break
            local = solver.local(solved)
            objective = np.zeros(len(cols))
            objective[local] = sense
            point, row_dual = solver.optimise(objective)
            solves += 1
            _record(point, cols, state, solver.var_component, held_whole)
            if sense > 0:
                state.upper[solved] = np.where(point[local] >= system.var_upper[solved] * 0.999, np.inf,
                                               state.upper[solved])
            binding |= np.abs(row_dual) > EPS
        # Exact: both extremes solved (the others pass on what was seen).
        if whole and len(solved):
            state.exact[solved] = True
            state.proven[solved] = np.maximum(state.proven[solved], state.lower[solved])
        _remember_binding(state, solver, solved, binding)
        rest = np.setdiff1d(pending, picked, assume_unique=True)
        if not exact_all and len(rest):
            rest = rest[~requirement.met(state.lower, state.upper, state.exact, rest)]
        pending = rest
    return solves


def _remember_binding(state: _State, solver: _BatchLP, picked: np.ndarray, binding: np.ndarray) -> None:
    """Each picked variable keeps the binding rows (system row numbers) of its own component in the batch."""
    for var in picked:
        mine = binding & (solver.row_component == solver.var_component[solver.local(var)])
        state.binding[int(var)] = solver.rows[mine]


def _random_rounds(solver: _BatchLP, cols: np.ndarray, targets: np.ndarray, requirement: Requirement,
                   rng: np.random.Generator, state: _State, held_whole: bool = True) -> tuple[np.ndarray, int]:
    """Push the targets still in doubt apart with random +/- objectives, while that keeps paying off."""
    solves = 0
    pending = targets[~requirement.met(state.lower, state.upper, state.exact, targets)]
    for _ in range(MAX_RANDOM_ROUNDS):
        if len(pending) == 0:
            break
        weights = _random_weights(rng, len(cols), solver.local(pending))
        for sense in (1.0, -1.0):
            _record(solver.optimise(weights * sense)[0], cols, state, solver.var_component, held_whole)
            solves += 1
        still = pending[~requirement.met(state.lower, state.upper, state.exact, pending)]
        progress = len(pending) - len(still)
        pending = still
        if progress <= max(1, len(targets) // 100):
            break
    return pending, solves


def _random_weights(rng: np.random.Generator, n: int, local: np.ndarray) -> np.ndarray:
    """An objective over `n` columns: random +/- weights of size 0.5-1.5 on the columns `local`, zero elsewhere."""
    weights = np.zeros(n)
    weights[local] = rng.choice([-1.0, 1.0], len(local)) * rng.uniform(0.5, 1.5, len(local))
    return weights


def _fractional(values: np.ndarray) -> np.ndarray:
    """Per value: not a whole number (beyond the solver's tolerance)."""
    return np.abs(values - np.round(values)) > 1e-6


def _record(point: np.ndarray, cols: np.ndarray, state: _State, component: np.ndarray | None = None,
            held_whole: bool = True) -> None:
    """Widen the seen ranges of `cols` by a feasible point; note whether the point is whole in every count of
    each component (`component`: per column, its component in the batch; None: one component), the variables
    held fixed outside `cols` being whole where `held_whole`."""
    off = state.integer[cols] & _fractional(point)
    if component is None:
        whole = np.full(len(cols), not off.any())
    else:
        whole = ~(np.bincount(component, weights=off, minlength=int(component.max(initial=-1)) + 1) > 0)[component]
    whole &= held_whole
    state.whole_lo[cols] = np.minimum(state.whole_lo[cols], np.where(whole, point, np.inf))
    state.whole_hi[cols] = np.maximum(state.whole_hi[cols], np.where(whole, point, -np.inf))
    state.lower[cols] = np.minimum(state.lower[cols], point)
    state.upper[cols] = np.maximum(state.upper[cols], point)


class _BatchLP:
    """One HiGHS model over a set of variables and every row that touches them; other variables in those rows
    are held at `fixed_at` (their terms move to the row bounds)."""

    def __init__(self, system: AttackSystem, cols: np.ndarray, fixed_at: np.ndarray | None = None,
                 rows: np.ndarray | None = None) -> None:
        """`rows`: only these rows (every variable in them among `cols`), for a relaxation. A model of more than
        lp.FRESH_FIRST_ABOVE variables takes its first solve from scratch."""
        self._local = np.full(system.n_vars, -1, dtype=np.int64)
        self._local[cols] = np.arange(len(cols))
        sub = system.by_var[:, cols].tocsr()
        row_ids = np.flatnonzero(np.diff(sub.indptr) > 0) if rows is None else rows
        self.rows = row_ids
        sub = sub[row_ids]
        shift = np.zeros(len(row_ids))
        if fixed_at is not None:
            held = fixed_at.copy()
            held[cols] = 0.0
            shift = system.matrix[row_ids] @ held
        self.var_component, self.row_component = _sub_components(sub)
        self.solver = WarmLP(lp_model(sub.tocsc(), system.var_lower[cols], system.var_upper[cols],
                                      system.row_lower[row_ids] - shift, system.row_upper[row_ids] - shift))
        self._all = np.arange(len(cols), dtype=np.int32)

    @property
    def highs(self) -> highspy.Highs:
        """The solver that solved last."""
        return self.solver.highs

    def local(self, variables: np.ndarray) -> np.ndarray:
        return self._local[variables]

    def extreme_points(self, weights: np.ndarray) -> list[np.ndarray]:
        """The points that maximise and minimise weights . x, from a from-scratch solver (dual simplex with
        presolve: this model's warm primal simplex has no basis to start from yet)."""
        budget.check()
        fresh = fresh_solver(self.highs.getLp())
        fresh.changeColsCost(len(self._all), self._all, weights.astype(np.float64))
        points = []
        for sense in (highspy.ObjSense.kMaximize, highspy.ObjSense.kMinimize):
            fresh.changeObjectiveSense(sense)
            fresh.run()
            points.append(_optimal(fresh)[0])
        return points

    def optimise(self, maximise_weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Maximise weights . x (warm, or from scratch where that stalls: lp.WarmLP); return the optimal point
        and the row duals. Raises AttackError if no attempt ends optimal."""
        self.solver.solve(maximise_weights, highspy.ObjSense.kMaximize)
        return _optimal(self.highs)


def _optimal(highs: highspy.Highs) -> tuple[np.ndarray, np.ndarray]:
    """The optimal point and row duals of a solved model; an error for any other outcome."""
    status = highs.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise AttackError(f"the attack LP ended with status {highs.modelStatusToString(status)}")
    solution = highs.getSolution()
    return np.asarray(solution.col_value), np.asarray(solution.row_dual)


def _sub_components(sub: sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Connected components of a batch's own variables (columns) and rows."""
    m, n = sub.shape
    coo = sub.tocoo()
    graph = sparse.coo_matrix((np.ones(len(coo.data)), (coo.col, coo.row + n)), shape=(n + m, n + m))
    _, labels = connected_components(graph, directed=False)
    return labels[:n], labels[n:]


class AttackError(RuntimeError):
    """The published relations are inconsistent (an LP is infeasible): a bug upstream, never a pass."""
