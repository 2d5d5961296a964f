"""The linear-programming attack: the feasible interval of every suppressed value, solved with HiGHS.

Every point an LP returns is feasible, so the values seen so far bound each variable's interval from inside.
Random objectives (+/- on the variables still in doubt) push many of them apart at once; a variable whose seen
range already spans the required width needs no LP of its own. Only the rest get exact min and max solves.
Independent components of the system are packed into block-diagonal batches, so one solve serves one variable
per component.
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
    """How wide each variable's interval must be; `lenient` ones pass once zero is shown feasible."""

    width: np.ndarray
    integer: np.ndarray
    lenient: np.ndarray

    def met(self, lower: np.ndarray, upper: np.ndarray, exact: np.ndarray, idx: np.ndarray | slice) -> np.ndarray:
        lo, hi, ex = lower[idx], upper[idx], exact[idx]
        integer = self.integer[idx]
        # The attacker knows counts are whole numbers: round the bounds inwards.
        lo_r = np.where(integer, np.ceil(lo - EPS), lo)
        hi_r = np.where(integer, np.floor(hi + EPS), hi)
        wide = hi_r - lo_r >= self.width[idx] - EPS
        pinned_zero = ex & (hi <= EPS)         # zero is not sensitive: it is published as 0 anyway
        can_be_zero = self.lenient[idx] & (lo <= EPS)
        return wide | pinned_zero | can_be_zero


def feasible_intervals(system: AttackSystem, requirement: Requirement, anchor: np.ndarray | None = None,
                       exact_all: bool = False, verify: bool = True, seed: int = 0) -> Intervals:
    """Attack one measure. Without `verify`, variables still in doubt after the random rounds are reported as
    not ok without exact solves (callers that will add suppression anyway save the time)."""
    start = time.perf_counter()
    n = system.n_vars
    component, sizes, row_component = _components(system)
    state = _State(
        lower=np.full(n, np.inf) if anchor is None else anchor.astype(np.float64).copy(),
        upper=np.full(n, -np.inf) if anchor is None else anchor.astype(np.float64).copy(),
        exact=np.zeros(n, dtype=bool), binding={}, component=component, row_component=row_component)
    solves = 0
    rng = np.random.default_rng(seed)
    for batch in _batches(component, sizes):
        solves += _solve_batch(system, batch, requirement, exact_all, verify, rng, state)
    ok = requirement.met(state.lower, state.upper, state.exact, slice(None))
    return Intervals(state.lower, state.upper, state.exact, ok, state.binding, len(sizes),
                     int(sizes.max(initial=0)), solves, time.perf_counter() - start)


@dataclass
class _State:
    lower: np.ndarray
    upper: np.ndarray
    exact: np.ndarray
    binding: dict[int, np.ndarray]
    component: np.ndarray
    row_component: np.ndarray


def _components(system: AttackSystem) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Component of each variable, component sizes, and the component of each row."""
    n, m = system.n_vars, system.matrix.shape[0]
    coo = system.matrix.tocoo()
    graph = sparse.coo_matrix((np.ones(len(coo.data)), (coo.col, coo.row + n)), shape=(n + m, n + m))
    _, labels = connected_components(graph, directed=False)
    names, component = np.unique(labels[:n], return_inverse=True)
    lookup = np.full(labels.max() + 1 if len(labels) else 0, -1, dtype=np.int64)
    lookup[names] = np.arange(len(names))
    row_component = lookup[labels[n:]]
    sizes = np.bincount(component) if n else np.zeros(0, dtype=np.int64)
    return component, sizes, row_component


def _batches(component: np.ndarray, sizes: np.ndarray) -> list[np.ndarray]:
    """Groups of whole components, each up to BATCH_VARS variables (a larger component is a batch alone)."""
    order = np.argsort(sizes, kind="stable")
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
    starts = np.concatenate([[0], np.cumsum(sizes)])
    return [np.concatenate([var_order[starts[c]:starts[c + 1]] for c in comps]) for comps in groups]


def _solve_batch(system: AttackSystem, cols: np.ndarray, requirement: Requirement, exact_all: bool,
                 verify: bool, rng: np.random.Generator, state: _State) -> int:
    solver = _BatchLP(system, cols)
    solves = 0
    pending = cols
    if not exact_all:
        pending, solves = _random_rounds(solver, cols, requirement, rng, state)
    if not verify:
        return solves
    while len(pending):
        # One variable per component per round: objectives of different components do not interact.
        _, first = np.unique(state.component[pending], return_index=True)
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
                state.upper[picked] = np.where(bound >= system.var_upper * 0.999, np.inf, bound)
            else:
                state.lower[picked] = bound
            binding.append(solver.rows[np.abs(row_dual) > EPS])
        state.exact[picked] = True
        _remember_binding(state, picked, np.concatenate(binding))
        rest = np.setdiff1d(pending, picked, assume_unique=True)
        if not exact_all and len(rest):
            rest = rest[~requirement.met(state.lower, state.upper, state.exact, rest)]
        pending = rest
    return solves


def _remember_binding(state: _State, picked: np.ndarray, rows: np.ndarray) -> None:
    """Each picked variable keeps the binding rows of its own component."""
    rows = np.unique(rows)
    by_component = state.row_component[rows]
    for var in picked:
        state.binding[int(var)] = rows[by_component == state.component[var]]


def _random_rounds(solver: _BatchLP, cols: np.ndarray, requirement: Requirement, rng: np.random.Generator,
                   state: _State) -> tuple[np.ndarray, int]:
    """Push the variables still in doubt apart with random +/- objectives, while that keeps paying off."""
    solves = 0
    pending = cols[~requirement.met(state.lower, state.upper, state.exact, cols)]
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
        if progress <= max(1, len(cols) // 100):
            break
    return pending, solves


def _record(point: np.ndarray, cols: np.ndarray, state: _State) -> None:
    state.lower[cols] = np.minimum(state.lower[cols], point)
    state.upper[cols] = np.maximum(state.upper[cols], point)


class _BatchLP:
    """One HiGHS model over a set of variables and every row that touches them."""

    def __init__(self, system: AttackSystem, cols: np.ndarray) -> None:
        self._local = np.full(system.n_vars, -1, dtype=np.int64)
        self._local[cols] = np.arange(len(cols))
        sub = system.matrix[:, cols].tocsr()
        row_ids = np.flatnonzero(np.diff(sub.indptr) > 0)
        self.rows = row_ids
        sub = sub[row_ids].tocsc()
        lp = highspy.HighsLp()
        lp.num_col_ = len(cols)
        lp.num_row_ = len(row_ids)
        lp.col_cost_ = np.zeros(len(cols))
        lp.col_lower_ = system.var_lower[cols].astype(np.float64)
        lp.col_upper_ = np.full(len(cols), system.var_upper)
        lp.row_lower_ = np.maximum(system.row_lower[row_ids], -highspy.kHighsInf)
        lp.row_upper_ = np.minimum(system.row_upper[row_ids], highspy.kHighsInf)
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

    def optimise(self, maximise_weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Maximise weights . x; return the optimal point and the row duals."""
        self.highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.highs.changeColsCost(len(self._all), self._all, maximise_weights.astype(np.float64))
        # HiGHS's time limit counts the object's whole run time, so it is set relative to it.
        self.highs.setOptionValue("time_limit", self.highs.getRunTime() + self._seconds)
        self.highs.run()
        status = self.highs.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            solution = self.highs.getSolution()
            return np.asarray(solution.col_value), np.asarray(solution.row_dual)
        # Warm primal simplex occasionally stalls: solve once more in a fresh solver (dual simplex, presolve),
        # which then serves the rest of this batch.
        fresh = highspy.Highs()
        fresh.setOptionValue("output_flag", False)
        fresh.setOptionValue("time_limit", FRESH_SOLVE_SECONDS)
        fresh.passModel(self.highs.getLp())
        fresh.changeObjectiveSense(highspy.ObjSense.kMaximize)
        fresh.run()
        status = fresh.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise AttackError(f"the attack LP ended with status {fresh.modelStatusToString(status)}")
        # Its solves are no longer short warm ones: give them the from-scratch limit, not the warm one.
        self.highs, self._seconds = fresh, FRESH_SOLVE_SECONDS
        solution = fresh.getSolution()
        return np.asarray(solution.col_value), np.asarray(solution.row_dual)


class AttackError(RuntimeError):
    """The published relations are inconsistent (an LP is infeasible): a bug upstream, never a pass."""
