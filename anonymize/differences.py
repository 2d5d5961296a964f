"""Differences of nested household counts: between two releases (households first paid) and within one release.

A household count over a period (recipients) counts distinct households, so the year
minus an earlier release's year-to-date (`2025` - `2025@10`, same region, program and channel) is the number of
households first counted after that release: no published cell holds it, and month cells do not protect it (a
household paid in October and again in November is in both months but in neither difference). Readers of both
releases subtract all the same. Such differences are published by policy (README, "Differences of two published
household counts"); the check measures them against what a hidden count must meet: not pinned to a small value,
not shown to be below the threshold, at least threshold - 1 wide, unless shown to be zero (what a published empty
cell would show) or at least the threshold (what a published large cell would show). The same holds for two
year-to-dates of one year (`2025@11` - `2025@06`).

The check solves the difference's minimum and maximum with HiGHS over the attack system of a pattern (the LP
the attack builds, with every relation between measures and releases): exact where one or both cells are hidden,
the published values' difference otherwise; bounds are the LP's rounded inward to whole households (integrality
is not used). `python -m anonymize audit` reports how many differences are narrower than that requirement. It is
a measurement, not a protection: differences of two published household counts are published by policy (README,
"Differences of two published household counts"; "Households first paid between two releases" measures why
enforcing it refuses small-area releases).

The same subtraction works inside one release (nested_differences): a count of distinct households over a set
(the year, all programs, all channels) minus the count over a part of it (a month, one program, one channel), both
published, is the number of households in the set but not in the part: households paid in the year but not in
March, receiving some programme but not PKH; likewise two measures of which one counts a subset of the other's
households (registered but not eligible: registered minus a programme's eligible households; the count of eligible
households paid, nested in two others, is no longer published for that reason). No cell holds these and nothing
protects them; `audit` counts those of 1 to threshold - 1 (measured, published by policy; README,
"Nested household counts").
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse

from anonymize.attack import AttackError, _sub_components
from anonymize.constraints import AttackSystem, build_joint_system
from anonymize.lp import WarmLP
from anonymize.ranges import NOISE, _component_lp
from anonymize.table import Aggregation, CellTable, Role

log = logging.getLogger(__name__)

#: Components with at least this many differences to screen are screened with the optimum of their sum first
#: (_screen_together); in smaller ones those few solves cost more than they save.
SCREEN_TOGETHER_FROM = 20


@dataclass
class DifferenceCheck:
    """Per difference (later cell - earlier cell of `measure`): its interval (before rounding; for a difference
    that feasible points already show wide enough, the inner interval they span) and whether it passes."""

    later: np.ndarray
    earlier: np.ndarray
    measure: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    ok: np.ndarray
    lp_solves: int = 0
    #: Differences with a hidden member left unsolved (check_differences(solve_hidden=False): they pass here);
    #: None where every difference was solved.
    unsolved: int | None = None

    @property
    def passed(self) -> bool:
        return bool(self.ok.all())

    @property
    def n_failing(self) -> int:
        return int((~self.ok).sum())

    def summary(self) -> dict[str, object]:
        """What may be published about the check: counts only (nothing tells which differences are small)."""
        return {"differences": len(self.ok), "failing": self.n_failing, "unsolved": self.unsolved,
                "lp_solves": self.lp_solves}


def difference_pairs(table: CellTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(later cells, earlier cells, measures): every pair of whole-year cells of one region, program and channel
    (the year and each earlier year-to-date, and year-to-dates among themselves), for each household count that
    does not add up over months (Role.SENSITIVE, period not a sum). Empty where the table has no such pair."""
    empty = np.zeros(0, np.int64)
    names = [d.name for d in table.dimensions]
    if "period" not in names:
        return empty, empty, empty
    period = table.dim_index("period")
    dim = table.dimensions[period]
    whole = sorted((13 if code.isdigit() else int(code[5:]), code) for code in dim.codes
                   if code.isdigit() or re.fullmatch(r"\d{4}@\d{2}", code))
    measures = [m for m, spec in enumerate(table.measures)
                if spec.role is Role.SENSITIVE and spec.aggregation.get("period") is not Aggregation.SUM]
    if len(whole) < 2 or not measures:
        return empty, empty, empty
    later_all, earlier_all = [], []
    for i, (_, later_code) in enumerate(whole):
        cells = np.flatnonzero(table.coords[:, period] == dim.index[later_code])
        for _, earlier_code in whole[:i]:
            coords = table.coords[cells].copy()
            coords[:, period] = dim.index[earlier_code]
            found = table.lookup(coords)
            later_all.append(cells[found >= 0])
            earlier_all.append(found[found >= 0])
    later, earlier = np.concatenate(later_all), np.concatenate(earlier_all)
    n = len(later)
    return (np.tile(later, len(measures)), np.tile(earlier, len(measures)),
            np.repeat(np.asarray(measures, dtype=np.int64), n))


def check_differences(table: CellTable, suppressed: np.ndarray, threshold: int,
                      system: AttackSystem | None = None, solve_hidden: bool = True) -> DifferenceCheck:
    """The interval of every difference of difference_pairs() over the pattern's attack system (built here
    unless given: it must be build_joint_system(table, suppressed)). Published values are constants; a hidden
    one is its variable. A difference that feasible points show wide enough is not solved (_solve's screening:
    the same verdicts, with inner intervals for those). `solve_hidden` False: only the differences of two
    published values are checked (exact, no LP); those with a hidden member pass unsolved and are counted in
    `unsolved` (what publish does: these differences are reported, not part of any verdict, and their LPs were
    40% of a continued release's time; `python -m anonymize audit` solves them). Raises AttackError if an LP is
    infeasible (inconsistent published relations)."""
    later, earlier, measure = difference_pairs(table)
    n = len(later)
    lower, upper = np.zeros(n), np.zeros(n)
    solves = 0
    unsolved = None if solve_hidden else 0
    if n:
        if solve_hidden:
            system = build_joint_system(table, suppressed) if system is None else system
            lower, upper, solves = _difference_bounds(table, system, later, measure, earlier, measure, threshold)
        else:
            unknown = table.unknown(suppressed)
            hidden = unknown[later, measure] | unknown[earlier, measure]
            # NaN where a value does not apply (no variable): no difference, solved or not.
            difference = table.values[later, measure] - table.values[earlier, measure]
            lower = np.where(hidden, np.nan, difference)
            upper = lower.copy()
            unsolved = int((hidden & ~np.isnan(difference)).sum())
        applies = ~np.isnan(lower)
        lower[~applies], upper[~applies] = 0.0, 0.0
    return DifferenceCheck(later, earlier, measure, lower, upper, _passes(lower, upper, threshold), solves,
                           unsolved)


@dataclass
class NestedCheck:
    """Pairs (a household count, the same count over a part of its set) per dimension the part is taken along
    (period, program, channel): published pairs and how many differ by a small count; pairs with a hidden member
    and how many the attack system narrows more than a hidden count may be."""

    pairs: dict[str, int]
    small: dict[str, int]
    hidden_pairs: dict[str, int]
    #: None where the pairs with a hidden member were not solved.
    narrow: dict[str, int] | None
    lp_solves: int = 0

    def summary(self) -> dict[str, object]:
        """Counts only, which every reader can recompute from the published figures."""
        narrow = self.narrow or {}
        return {"pairs": sum(self.pairs.values()), "readable": sum(self.small.values()),
                "hidden_pairs": sum(self.hidden_pairs.values()),
                "narrow": None if self.narrow is None else sum(narrow.values()),
                "readable_by_dimension": {d: self.small.get(d, 0) + narrow.get(d, 0)
                                          for d in sorted({*self.small, *narrow})},
                "lp_solves": self.lp_solves}


def nested_pairs(table: CellTable) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(totals, parts, total measures, part measures, dimensions): every pair of household counts whose part's
    households are among its total's, where both values apply: along a dimension over which the count is not
    additive (Aggregation.BOUND: the year and a month, all programs and one, all channels and one; same measure),
    and between measures of the table's links that say one household count is at most another (eligible
    households among the registered):
    `dimensions` names the relation's dimension, or "measure"."""
    totals, parts, total_m, part_m, dimensions = [], [], [], [], []

    def add(total: np.ndarray, part: np.ndarray, mt: int, mp: int, label: str) -> None:
        both = ~np.isnan(table.values[total, mt]) & ~np.isnan(table.values[part, mp])
        totals.append(total[both])
        parts.append(part[both])
        total_m.append(np.full(int(both.sum()), mt, dtype=np.int64))
        part_m.append(np.full(int(both.sum()), mp, dtype=np.int64))
        dimensions.append(np.full(int(both.sum()), label, dtype=object))

    for relation in table.relations:
        for m, spec in enumerate(table.measures):
            if spec.role is Role.SENSITIVE and spec.aggregation.get(relation.dimension) is Aggregation.BOUND:
                add(relation.total[relation.part_relation()], relation.parts, m, m, relation.dimension)
    for link in table.links:
        # part - total <= 0 between two household counts: the part's households are among the total's.
        if (len(link.measures) == 2 and all(table.measures[m].role is Role.SENSITIVE for m in link.measures)
                and len(link.lower)):
            subset = (link.coefs[:, 0] == 1) & (link.coefs[:, 1] == -1) & np.isneginf(link.lower) & (link.upper == 0)
            add(link.cells[subset, 1], link.cells[subset, 0], link.measures[1], link.measures[0], "measure")
    if not totals:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty, empty, np.zeros(0, dtype=object)
    return (np.concatenate(totals), np.concatenate(parts), np.concatenate(total_m), np.concatenate(part_m),
            np.concatenate(dimensions))


def nested_differences(table: CellTable, suppressed: np.ndarray, threshold: int,
                       system: AttackSystem | None = None, solve_hidden: bool = True) -> NestedCheck:
    """For every nested_pairs() pair, total - part is the exact number of households counted in the total and
    not in the part: a small count no cell holds. Where both are published, counts those whose difference is 1
    to threshold - 1 (0 says what a published empty cell would say). Where one or both are hidden, solves the
    difference's interval over the attack system (built here unless given: it must be
    build_joint_system(table, suppressed)) and counts those narrower than a hidden count may be (as
    check_differences does; a hidden count shown to be at least the threshold passes the attack however narrow,
    so such a pair can be narrowed); a pair the points of earlier solves already show wide is not solved
    (_solve's screening: same counts, fewer LPs). `solve_hidden` False counts those pairs without solving them (`narrow`
    None: publish leaves the LPs, minutes on the demo, to `python -m anonymize audit`). Raises AttackError if
    an LP is infeasible."""
    totals, parts, total_m, part_m, dimensions = nested_pairs(table)
    # A withheld member (table.withheld) is unknown to readers too: the pair is solved like a hidden one.
    unknown = table.unknown(suppressed)
    hidden = unknown[totals, total_m] | unknown[parts, part_m]
    values = table.values
    difference = np.rint(values[totals, total_m] - values[parts, part_m])
    is_small = ~hidden & (difference >= 1) & (difference <= threshold - 1)
    narrow = np.zeros(len(totals), dtype=bool)
    solves = 0
    if hidden.any() and solve_hidden:
        system = build_joint_system(table, suppressed) if system is None else system
        lower, upper, solves = _difference_bounds(table, system, totals, total_m, parts, part_m, threshold)
        narrow = hidden & ~_passes(lower, upper, threshold)
    names = sorted(set(dimensions.tolist()))

    def per(mask: np.ndarray) -> dict[str, int]:
        return {d: int((mask & (dimensions == d)).sum()) for d in names}
    return NestedCheck(per(~hidden), per(is_small), per(hidden), per(narrow) if solve_hidden else None, solves)


def _difference_bounds(table: CellTable, system: AttackSystem, later: np.ndarray, later_measure: np.ndarray,
                       earlier: np.ndarray, earlier_measure: np.ndarray, threshold: int | None = None
                       ) -> tuple[np.ndarray, np.ndarray, int]:
    """Per pair, [min, max] of value(later_measure, later) - value(earlier_measure, earlier) over `system`: the
    published values' difference where neither value is a variable (NaN where one does not apply), solved
    (_solve) where one or both are. Returns (lower, upper, solves)."""
    var_of = np.full((len(table.measures), table.n_cells), -1, dtype=np.int64)
    var_of[system.var_measure, system.var_cell] = np.arange(system.n_vars)
    var_later, var_earlier = var_of[later_measure, later], var_of[earlier_measure, earlier]
    values = table.values
    constant = (np.where(var_later < 0, values[later, later_measure], 0.0)
                - np.where(var_earlier < 0, values[earlier, earlier_measure], 0.0))
    lower, upper = constant.copy(), constant.copy()
    solved = ~np.isnan(constant) & ((var_later >= 0) | (var_earlier >= 0))
    solves = (_solve(system, np.flatnonzero(solved), var_later, var_earlier, lower, upper, threshold)
              if solved.any() else 0)
    return lower, upper, solves


def _wide(lower: np.ndarray | float, upper: np.ndarray | float, threshold: int) -> np.ndarray:
    """_passes' third test alone (at least threshold - 1 wide and reaching the threshold, bounds rounded inward),
    per interval: the one that every interval containing [lower, upper] passes too."""
    lo, hi = _inward(np.asarray(lower), np.asarray(upper))
    return (hi - lo >= threshold - 1) & (hi >= threshold)


def _passes(lower: np.ndarray, upper: np.ndarray, threshold: int) -> np.ndarray:
    """Shown to be zero, shown to be at least the threshold, or threshold - 1 wide and reaching the threshold:
    the requirement of a hidden household count (protect.ProtectionRules), with zero allowed as a published
    empty cell is."""
    lo, hi = _inward(lower, upper)
    return (hi <= 0) | (lo >= threshold) | _wide(lower, upper, threshold)


def _inward(lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds rounded inward to whole households, forgiving float noise."""
    return (np.ceil(lower - NOISE * np.maximum(1.0, np.abs(lower))),
            np.floor(upper + NOISE * np.maximum(1.0, np.abs(upper))))


def _solve(system: AttackSystem, todo: np.ndarray, var_later: np.ndarray, var_earlier: np.ndarray,
           lower: np.ndarray, upper: np.ndarray, threshold: int | None = None) -> int:
    """Minimise and maximise each difference of `todo` over its component's rows (HiGHS, warm primal simplex
    per component), adding the optimum to the published constant already in `lower` / `upper`. Where the two
    values are hidden in different components (nothing relates them), each is solved in its own and the
    difference's bounds are theirs combined. Returns the number of solves.

    `threshold` given: a difference both of whose terms are in one component is not solved where the points the
    component's earlier solves ended at (each a feasible point of its rows) already show it wide enough to pass
    (_passes' width test, which only a wider interval can keep passing); its bounds are then those points'
    extremes, an inner interval. Which differences pass is the same as with every one solved; the count of
    solves is far lower where many differences share a component (the nested pairs of a continued release)."""
    by_row = system.matrix.tocsr()
    var_label, row_label = _sub_components(by_row)
    # Per difference, its terms: (variable, sign) with the component each is solved in.
    terms: dict[int, list[tuple[int, float]]] = {}
    for k in todo:
        later, earlier = int(var_later[k]), int(var_earlier[k])
        both = later >= 0 and earlier >= 0 and var_label[later] == var_label[earlier]
        terms[int(k)] = ([(later, 1.0), (earlier, -1.0)] if both else
                         [(v, sign) for v, sign in ((later, 1.0), (earlier, -1.0)) if v >= 0])
    by_component: dict[int, list[int]] = {}      # component -> the differences with a term in it
    for k, parts in terms.items():
        labels = {int(var_label[v]) for v, _ in parts}
        for label in labels:
            by_component.setdefault(label, []).append(k)
    solves = 0
    for label in sorted(by_component):
        cols = np.flatnonzero(var_label == label)
        rows = np.flatnonzero(row_label == label)
        # The system's own variable bounds, widened by 1e-7 (ranges' float slack): only the rows decide.
        solver = WarmLP(_component_lp(system, by_row, cols, rows, system.var_lower, system.var_upper,
                                      np.ones(len(cols))))
        pending = by_component[label]
        # One sparse row per pending difference (two terms at most): a dense one per pair and column took
        # pairs x values of memory (6,000 x 6,700 on the revision chain) and a dense product per solve.
        entries = [(i, int(np.searchsorted(cols, var)), sign) for i, k in enumerate(pending)
                   for var, sign in terms[k] if var_label[var] == label]
        rows_i, cols_j, signs = (np.array(x) for x in zip(*entries, strict=True))
        costs = sparse.csr_matrix((signs.astype(np.float64), (rows_i, cols_j)), shape=(len(pending), len(cols)))
        # Per pending difference, its lowest and highest value at the points solved so far (screening only
        # differences wholly in this component: a split one's bounds are the sum of two components' optima).
        seen_low, seen_high = np.full(len(pending), np.inf), np.full(len(pending), -np.inf)
        screened = np.array([threshold is not None and len({int(var_label[v]) for v, _ in terms[k]}) == 1
                             for k in pending])
        if threshold is not None and screened.sum() >= SCREEN_TOGETHER_FROM:
            solves += _screen_together(solver, costs, lower[pending], upper[pending], screened, seen_low,
                                       seen_high, threshold)
        for i, k in enumerate(pending):
            # Per sense, the optimum (offset from the published constant in lower[k] = upper[k]); 0 where the
            # LP did not end optimal (pinned: too narrow, never a pass).
            found = [0.0, 0.0]
            for side, sense in enumerate((highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize)):
                if (threshold is not None and screened[i] and np.isfinite(seen_low[i])
                        and _wide(lower[k] + seen_low[i], upper[k] + seen_high[i], threshold)):
                    found = [seen_low[i], seen_high[i]]
                    break
                optimum = _optimum(solver, costs[i].toarray().ravel(), sense)
                solves += 1
                if optimum is None:
                    log.warning("a difference's LP did not end optimal; counted as too narrow")
                    continue
                found[side] = optimum
                if screened[i:].any():
                    at_point = costs[i:] @ solver.point()
                    seen_low[i:] = np.minimum(seen_low[i:], at_point)
                    seen_high[i:] = np.maximum(seen_high[i:], at_point)
            lower[k] += found[0]
            upper[k] += found[1]
    return solves


def _screen_together(solver: WarmLP, costs: sparse.csr_matrix, constant_low: np.ndarray,
                     constant_high: np.ndarray, screened: np.ndarray, seen_low: np.ndarray, seen_high: np.ndarray,
                     threshold: int, rounds: int = 6) -> int:
    """Feasible points that show many differences of one component wide at once (updates `seen_low`,
    `seen_high`: per difference of `costs`' rows, its extremes over the points; `constant_*`: its published
    constant): the minimum of the sum of the `screened` differences, then, while it shows more of them wide, the
    maximum of the sum of those not yet shown wide. Each point is feasible, so a difference it shows wide is wide
    (an inner interval); none is shown narrow here. A difference between a later count and an earlier one is at
    least 0 in every point, so one minimum of their sum is often every difference's own (0). On a continued
    December whose component held 1,582 differences over 9,436 values, one LP per difference and sense took
    seconds each (hours in all). Returns the number of solves."""
    solves = 0

    def wide() -> np.ndarray:
        seen = np.isfinite(seen_low)
        return screened & seen & _wide(constant_low + np.where(seen, seen_low, 0.0),
                                       constant_high + np.where(seen, seen_high, 0.0), threshold)

    for step in range(rounds):
        todo = screened & ~wide()
        if not todo.any():
            break
        sense = highspy.ObjSense.kMinimize if step == 0 else highspy.ObjSense.kMaximize
        optimum = _optimum(solver, np.asarray(costs[todo].sum(axis=0)).ravel(), sense)
        solves += 1
        if optimum is None:     # unbounded or not optimal: no point to keep
            if step:
                break
            continue
        at_point = costs @ solver.point()
        np.minimum(seen_low, at_point, out=seen_low)
        np.maximum(seen_high, at_point, out=seen_high)
        if step >= 1 and int((todo & wide()).sum()) < 2:
            break
    return solves


def _optimum(solver: WarmLP, cost: np.ndarray, sense: highspy.ObjSense) -> float | None:
    """The optimum of `cost` (per column); None if HiGHS does not end optimal (every attempt stalled, or
    unbounded). Raises AttackError if the LP is infeasible (its last attempt, without presolve, says so)."""
    status = solver.solve(cost, sense)
    if status == highspy.HighsModelStatus.kOptimal:
        return solver.objective()
    if status == highspy.HighsModelStatus.kInfeasible:
        raise AttackError("a difference's LP is infeasible")
    return None
