"""The linear-programming attack: the feasible interval of every suppressed value, solved with HiGHS.

Every point an LP returns is feasible, so the values seen so far bound each variable's interval from inside.
Random objectives (+/- on the variables still in doubt) push many of them apart at once; a variable whose seen
range already spans the required width needs no LP of its own. Only the rest get exact min and max solves.
Independent components of the system are packed into block-diagonal batches, so one solve serves one variable
per component.

A component too large to solve whole quickly is attacked piece by piece (by region subtree, finest first), the
rest of the component held at one feasible point. Every point of such a restricted LP is feasible for the whole
system, so its range is still an inner bound of the true interval: a value shown wide enough there is wide
enough. Only values no piece shows wide enough are attacked in the whole component.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from anonymize.constraints import AttackSystem

EPS = 1e-6
BATCH_VARS = 400
#: Components with more hidden values than this are attacked piece by piece first.
LOCAL_ABOVE = 1500
MAX_RANDOM_ROUNDS = 8
#: Seconds a warm-started solve may take before it is redone from scratch (warm primal simplex can stall for
#: good on a degenerate LP: seen on a demo-sized table, one solve still running after 15 minutes).
WARM_SOLVE_SECONDS = 10.0
#: Seconds for the from-scratch solve (dual simplex with presolve) before the attack gives up with an error.
FRESH_SOLVE_SECONDS = 600.0


@dataclass
class Intervals:
    """Per variable: [lower, upper] exact where `exact`, else the range of feasible values seen (inner bound)."""

    lower: np.ndarray
    upper: np.ndarray
    exact: np.ndarray
    ok: np.ndarray
    #: For variables solved exactly: the system rows binding at their min or max (what limits them).
    binding: dict[int, np.ndarray]
    n_components: int
    largest_component: int
    lp_solves: int
    seconds: float


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

    def met(self, lower: np.ndarray, upper: np.ndarray, exact: np.ndarray, idx: np.ndarray | slice) -> np.ndarray:
        lo, hi, ex = lower[idx], upper[idx], exact[idx]
        integer = self.integer[idx]
        zero_known = np.zeros(len(lo), bool) if self.zero_known is None else self.zero_known[idx]
        min_upper = np.zeros(len(lo)) if self.min_upper is None else self.min_upper[idx]
        # The attacker knows counts are whole numbers: round the bounds inwards.
        lo_r = np.where(integer, np.ceil(lo - EPS), lo)
        hi_r = np.where(integer, np.floor(hi + EPS), hi)
        wide = (hi_r - lo_r >= self.width[idx] - EPS) & (hi_r >= min_upper - EPS)
        if self.large_floor is not None:
            # Only an exact lower bound shows a value large: a seen point's value is an upper bound of it.
            wide |= ex & (lo_r >= self.large_floor[idx] - EPS)
        # A whole number between 0 and 0.5 is 0: the rounded upper bound decides whether it is pinned there.
        pinned_zero = ex & (hi_r <= EPS) & zero_known
        can_be_zero = self.lenient[idx] & (lo <= EPS) & ((hi_r > EPS) | zero_known)
        return wide | pinned_zero | can_be_zero


@dataclass(frozen=True)
class Settled:
    """Results carried over from an earlier attack on the same table, per variable of the new system.

    A component whose variables are all `ok` here is not attacked again: hiding more cells changes only the
    rows of the components the new cells join, so every other component has the same system as before.
    """

    lower: np.ndarray
    upper: np.ndarray
    exact: np.ndarray
    ok: np.ndarray


def feasible_intervals(system: AttackSystem, requirement: Requirement, anchor: np.ndarray | None = None,
                       exact_all: bool = False, seed: int = 0, settled: Settled | None = None,
                       pieces: list[np.ndarray] | None = None) -> Intervals:
    """Attack one measure.

    `anchor`: a feasible point (the true values, which only the publisher has). `pieces`: per variable, labels of
    ever larger groups (region subtrees, finest first) for attacking large components piece by piece; without
    them, or with `exact_all`, every component is solved whole.
    """
    start = time.perf_counter()
    n = system.n_vars
    component, sizes = _components(system)
    state = _State(
        lower=np.full(n, np.inf) if anchor is None else anchor.astype(np.float64).copy(),
        upper=np.full(n, -np.inf) if anchor is None else anchor.astype(np.float64).copy(),
        exact=np.zeros(n, dtype=bool), binding={})
    todo = np.ones(len(sizes), dtype=bool)
    if settled is not None:
        todo = np.bincount(component, weights=~settled.ok, minlength=len(sizes)) > 0
        kept = ~todo[component]
        state.lower[kept], state.upper[kept] = settled.lower[kept], settled.upper[kept]
        state.exact[kept] = settled.exact[kept]
    large = todo & (sizes > LOCAL_ABOVE) & bool(pieces) & (not exact_all)
    solves = 0
    rng = np.random.default_rng(seed)
    for batch in _batches(component, np.where(todo & ~large, sizes, 0)):
        solves += _solve_batch(system, batch, batch, requirement, exact_all, rng, state)
    for comp in np.flatnonzero(large):
        members = np.flatnonzero(component == comp)
        solves += _solve_large(system, members, requirement, anchor, pieces or [], rng, state)
    ok = requirement.met(state.lower, state.upper, state.exact, slice(None))
    return Intervals(state.lower, state.upper, state.exact, ok, state.binding, len(sizes),
                     int(sizes.max(initial=0)), solves, time.perf_counter() - start)


def refine_exact(system: AttackSystem, intervals: Intervals, targets: np.ndarray, seed: int = 1) -> int:
    """Solve the exact interval of each target variable (in place in `intervals`); return the LP solves."""
    if len(targets) == 0:
        return 0
    component, sizes = _components(system)
    wanted = np.zeros(len(sizes), dtype=bool)
    wanted[component[targets]] = True
    state = _State(intervals.lower, intervals.upper, intervals.exact, intervals.binding)
    never = Requirement(np.full(system.n_vars, np.inf), np.zeros(system.n_vars, bool), np.zeros(system.n_vars, bool))
    rng = np.random.default_rng(seed)
    solves = 0
    for batch in _batches(component, np.where(wanted, sizes, 0)):
        solves += _solve_batch(system, batch, np.intersect1d(batch, targets), never, True, rng, state)
    intervals.lp_solves += solves
    return solves


def _solve_large(system: AttackSystem, members: np.ndarray, requirement: Requirement, anchor: np.ndarray | None,
                 pieces: list[np.ndarray], rng: np.random.Generator, state: _State) -> int:
    """Attack one large component piece by piece, then whole for the values no piece shows wide enough."""
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
    pending = members[~requirement.met(state.lower, state.upper, state.exact, members)]
    for labels in pieces:
        if len(pending) == 0:
            return solves
        wanted = np.unique(labels[pending])
        free = members[np.isin(labels[members], wanted)]
        for batch in _batches(*_compact(labels[free])):
            cols = free[batch]
            targets = np.intersect1d(cols, pending, assume_unique=True)
            solves += _solve_batch(system, cols, targets, requirement, False, rng, state, point)
        pending = pending[~requirement.met(state.lower, state.upper, state.exact, pending)]
    if len(pending):
        solves += _solve_batch(system, members, pending, requirement, False, rng, state)
    return solves


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


def _components(system: AttackSystem) -> tuple[np.ndarray, np.ndarray]:
    """Component of each variable (numbered 0..k-1) and component sizes."""
    labels, _ = _sub_components(system.matrix)
    _, component = np.unique(labels, return_inverse=True)
    return component, np.bincount(component, minlength=component.max(initial=-1) + 1)


def _batches(component: np.ndarray, sizes: np.ndarray) -> list[np.ndarray]:
    """Groups of whole components, each up to BATCH_VARS variables (a larger component is a batch alone).
    Components of size 0 in `sizes` are left out."""
    order = np.argsort(sizes, kind="stable")
    order = order[sizes[order] > 0]
    groups, current, current_size = [], [], 0
    for comp in order:
        if current and current_size + sizes[comp] > BATCH_VARS:
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
                 exact_all: bool, rng: np.random.Generator, state: _State, fixed_at: np.ndarray | None = None) -> int:
    """Attack the `targets` among `cols`. With `fixed_at`, every other variable is held at that feasible point
    (a restricted LP: its bounds are inner bounds, never marked exact)."""
    solver = _BatchLP(system, cols, fixed_at)
    solves = 0
    pending = targets
    if not exact_all:
        pending, solves = _random_rounds(solver, cols, pending, requirement, rng, state)
    while len(pending):
        # One variable per component per round: objectives of different components do not interact.
        _, first = np.unique(solver.var_component[solver.local(pending)], return_index=True)
        picked = pending[first]
        local = solver.local(picked)
        binding: list[np.ndarray] = []
        for sense in (1.0, -1.0):
            objective = np.zeros(len(cols))
            objective[local] = sense
            point, row_dual = solver.optimise(objective)
            solves += 1
            _record(point, cols, state)
            bound = point[local]
            if sense > 0:
                state.upper[picked] = np.where(bound >= system.var_upper[picked] * 0.999, np.inf,
                                               state.upper[picked])
            binding.append(np.abs(row_dual) > EPS)
        state.exact[picked] = fixed_at is None
        _remember_binding(state, solver, picked, binding[0] | binding[1])
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
                   rng: np.random.Generator, state: _State) -> tuple[np.ndarray, int]:
    """Push the targets still in doubt apart with random +/- objectives, while that keeps paying off."""
    solves = 0
    pending = targets[~requirement.met(state.lower, state.upper, state.exact, targets)]
    for _ in range(MAX_RANDOM_ROUNDS):
        if len(pending) == 0:
            break
        weights = np.zeros(len(cols))
        weights[solver.local(pending)] = rng.choice([-1.0, 1.0], len(pending)) * rng.uniform(0.5, 1.5, len(pending))
        for sense in (1.0, -1.0):
            _record(solver.optimise(weights * sense)[0], cols, state)
            solves += 1
        still = pending[~requirement.met(state.lower, state.upper, state.exact, pending)]
        progress = len(pending) - len(still)
        pending = still
        if progress <= max(1, len(targets) // 100):
            break
    return pending, solves


def _record(point: np.ndarray, cols: np.ndarray, state: _State) -> None:
    state.lower[cols] = np.minimum(state.lower[cols], point)
    state.upper[cols] = np.maximum(state.upper[cols], point)


class _BatchLP:
    """One HiGHS model over a set of variables and every row that touches them; other variables in those rows
    are held at `fixed_at` (their terms move to the row bounds)."""

    def __init__(self, system: AttackSystem, cols: np.ndarray, fixed_at: np.ndarray | None = None) -> None:
        self._local = np.full(system.n_vars, -1, dtype=np.int64)
        self._local[cols] = np.arange(len(cols))
        sub = system.matrix[:, cols].tocsr()
        row_ids = np.flatnonzero(np.diff(sub.indptr) > 0)
        self.rows = row_ids
        sub = sub[row_ids]
        shift = np.zeros(len(row_ids))
        if fixed_at is not None:
            held = fixed_at.copy()
            held[cols] = 0.0
            shift = system.matrix[row_ids] @ held
        self.var_component, self.row_component = _sub_components(sub)
        sub = sub.tocsc()
        lp = highspy.HighsLp()
        lp.num_col_ = len(cols)
        lp.num_row_ = len(row_ids)
        lp.col_cost_ = np.zeros(len(cols))
        lp.col_lower_ = system.var_lower[cols].astype(np.float64)
        lp.col_upper_ = system.var_upper[cols].astype(np.float64)
        lp.row_lower_ = np.maximum(system.row_lower[row_ids] - shift, -highspy.kHighsInf)
        lp.row_upper_ = np.minimum(system.row_upper[row_ids] - shift, highspy.kHighsInf)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = sub.indptr.astype(np.int32)
        lp.a_matrix_.index_ = sub.indices.astype(np.int32)
        lp.a_matrix_.value_ = sub.data.astype(np.float64)
        self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        # Only the objective changes between solves: primal simplex keeps the basis feasible and warm.
        self.highs.setOptionValue("presolve", "off")
        self.highs.setOptionValue("simplex_strategy", 4)
        self.highs.passModel(lp)
        self._all = np.arange(len(cols), dtype=np.int32)
        self._seconds = WARM_SOLVE_SECONDS

    def local(self, variables: np.ndarray) -> np.ndarray:
        return self._local[variables]

    def extreme_points(self, weights: np.ndarray) -> list[np.ndarray]:
        """The points that maximise and minimise weights . x, from a from-scratch solver (dual simplex with
        presolve: this model's warm primal simplex has no basis to start from yet)."""
        fresh = _fresh_solver(self.highs.getLp())
        fresh.changeColsCost(len(self._all), self._all, weights.astype(np.float64))
        points = []
        for sense in (highspy.ObjSense.kMaximize, highspy.ObjSense.kMinimize):
            fresh.changeObjectiveSense(sense)
            fresh.run()
            points.append(_optimal(fresh)[0])
        return points

    def optimise(self, maximise_weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Maximise weights . x; return the optimal point and the row duals."""
        self.highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.highs.changeColsCost(len(self._all), self._all, maximise_weights.astype(np.float64))
        # HiGHS's time limit counts the object's whole run time, so it is set relative to it.
        self.highs.setOptionValue("time_limit", self.highs.getRunTime() + self._seconds)
        self.highs.run()
        status = self.highs.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            return _optimal(self.highs)
        # Warm primal simplex occasionally stalls: solve once more in a fresh solver (dual simplex, presolve),
        # which then serves the rest of this batch with the from-scratch time limit.
        self.highs, self._seconds = _fresh_solver(self.highs.getLp()), FRESH_SOLVE_SECONDS
        self.highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.highs.run()
        return _optimal(self.highs)


def _fresh_solver(lp: highspy.HighsLp) -> highspy.Highs:
    fresh = highspy.Highs()
    fresh.setOptionValue("output_flag", False)
    fresh.setOptionValue("time_limit", FRESH_SOLVE_SECONDS)
    fresh.passModel(lp)
    return fresh


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
