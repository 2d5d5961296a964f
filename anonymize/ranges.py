"""Each hidden value's range: the interval every reader can already compute from a release's published figures.

`outer_bounds(system)` tightens the bounds of every unknown of an attack system by interval constraint propagation:
each row `row_lower <= a . x <= row_upper`, with every other variable of the row within its current bounds, bounds
each of its variables; this is repeated over all rows at once until no bound moves (or MAX_ROUNDS). Every round's
bounds contain every point that satisfies the system, so any round is a valid outer bound. `exact_bounds` then
solves the LP of each published range's value (its minimum and maximum over its component's rows), within a fixed
budget, so that the range is what a reader with an LP solver finds.

It takes nothing but the system, and the system is the one the stand-alone audit rebuilds from the published
tables alone (`anonymize.published.read_release`): no true value goes in, so the ranges say nothing a reader of the
published figures cannot work out. The audit already guarantees that even the LP (with whole numbers) leaves every
hidden value at least as wide as the protection requires; the published ranges are the LP's own intervals (or, past
the budget, propagation's wider ones), rounded outward, so they add nothing to that reader.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import pandas as pd
from scipy import sparse

from anonymize.attack import AttackError, _sub_components
from anonymize.constraints import AttackSystem, build_joint_system
from anonymize.lp import WarmLP
from anonymize.lp import model as lp_model
from anonymize.published import PublishedRelease
from anonymize.tables import AMOUNT_UNIT, ProtectedTableInput, blank_values, published_rows
from published_schema import RANGE_MEASURES, range_columns, table_range_columns

#: Exact (LP) ranges: components of at most this many hidden values, and at most this many solves per table (two
#: per value), smallest components first. Fixed numbers, not seconds: a recomputation must give the same ranges.
EXACT_COMPONENT_VALUES = 1_000
EXACT_SOLVES = 20_000
#: An LP point within this share of a variable's outer bound reaches it (float noise of the solver).
REACHED = 1e-9
#: Rounds of propagation at most: bounds along a chain of sums can keep moving by ever smaller steps.
MAX_ROUNDS = 200
#: A round that moves no bound by more than this (in the variable's unit) ends the propagation.
SETTLED = 1e-3
#: Rounding to whole units forgives float noise up to this share of a bound (at most half a unit): a computed lower
#: bound of 179.9999999 means at least 180 when the value is a whole number, as every hidden count (and Rupiah
#: amount in Rp1,000, see MeasureSpec.integer) is. Warm primal simplex leaves noise of about 1e-7 of a bound (an
#: LP minimum of 81,900 came out as 81,899.99), so 1e-6; for a whole value any forgiveness below one unit is sound
#: (every whole number at most b is at most ceil(b - e) for e < 1).
NOISE = 1e-6
#: Crossed bounds of a pinned value closer than this are float noise (see _crossing): every unknown is a whole
#: number (counts, Rupiah in Rp1,000), so noise this small changes no rounded bound.
NOISE_FLOOR = 1e-4
#: A bound moves only by more than this share of itself (at least of one unit) in a round of propagation.
MIN_STEP = 1e-9


def outer_bounds(system: AttackSystem, max_rounds: int = MAX_ROUNDS) -> tuple[np.ndarray, np.ndarray]:
    """Per variable of `system`: (lower, upper) bounds containing every feasible point, in the system's units.

    Each round evaluates only the rows of variables whose bounds moved in the round before (all rows in the first):
    a row none of whose variables moved would imply what it implied last time. It stops when no bound moves by
    more than SETTLED.
    """
    lower = system.var_lower.astype(np.float64).copy()
    upper = system.var_upper.astype(np.float64).copy()
    if system.n_vars == 0 or system.matrix.nnz == 0:
        return lower, upper
    # A copy: sorting its indices must not touch the caller's matrix (tocsr() of a CSR matrix is the matrix).
    by_row = system.matrix.tocsr(copy=True)
    by_row.sort_indices()
    by_var = by_row.tocsc()
    rows = np.arange(by_row.shape[0])
    touched = np.zeros(by_row.shape[0], dtype=bool)
    row_sizes, var_sizes = np.diff(by_row.indptr), np.diff(by_var.indptr)
    for _ in range(max_rounds):
        # The entries of these rows straight from the CSR arrays (slicing a sub-matrix each round cost more than
        # the round), each tagged with its row's place in `rows`.
        take, counts = _entries(by_row.indptr, row_sizes, rows)
        moved, most = _round(np.repeat(np.arange(len(rows)), counts), by_row.indices[take], by_row.data[take],
                             system.row_lower[rows], system.row_upper[rows], lower, upper)
        if most <= SETTLED:
            break
        # The rows of the moved variables (a mask, not np.unique: nationally that sort was a third of the time).
        touched[by_var.indices[_entries(by_var.indptr, var_sizes, moved)[0]]] = True
        rows = np.flatnonzero(touched)
        touched[rows] = False
    if (lower > upper + _crossing(upper)).any():
        raise AttackError("interval propagation found a hidden value with no possible value")
    return lower, upper


def _min_step(bound: np.ndarray) -> np.ndarray:
    """The least move of a bound that propagation takes (MIN_STEP of it, at least of one unit; 0 from infinity)."""
    return np.where(np.isfinite(bound), MIN_STEP * np.maximum(1.0, np.abs(bound)), 0.0)


def _crossing(upper: np.ndarray) -> np.ndarray:
    """How far a value's propagated bounds may cross before they say it has no possible value: float noise, a
    millionth of the value, and at least NOISE_FLOOR (a count pinned to 0 by rows over national totals of about
    1e9 thousand Rupiah came out as [2e-7, -8e-7] on the demo's 2024 read-back)."""
    return np.maximum(NOISE * np.maximum(1.0, np.abs(upper)), NOISE_FLOOR)


def _entries(indptr: np.ndarray, sizes: np.ndarray, major: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions in a compressed matrix's `indices`/`data` of the entries of the rows (CSR) or columns (CSC)
    `major`, in that order, and how many each has (without building the sub-matrix). `sizes`: np.diff(indptr)."""
    starts, counts = indptr[major], sizes[major]
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    return offsets + np.arange(int(counts.sum())), counts


def _round(row: np.ndarray, col: np.ndarray, coef: np.ndarray, row_lo: np.ndarray, row_hi: np.ndarray,
           lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, float]:
    """One round over the entries (row, col, coef) of some rows (`row` numbers them 0..len(row_lo)-1, in the order
    of their sides `row_lo`, `row_hi`): tighten `lower` and `upper` in place; return the variables that moved and
    the largest move."""
    if len(col) == 0:
        return col, 0.0
    # Entries ordered by variable, so that each variable's new bounds are one reduceat over its entries.
    order = np.argsort(col, kind="stable")
    row, col, coef = row[order], col[order], coef[order]
    # Each entry's smallest and largest term over the current box (zero entries add nothing): finite, or -inf
    # (smallest) / inf (largest) where a bound is infinite.
    positive, negative = coef > 0, coef < 0
    lo, hi = lower[col], upper[col]
    with np.errstate(invalid="ignore"):
        term_lo = np.where(positive, coef * lo, np.where(negative, coef * hi, 0.0))
        term_hi = np.where(positive, coef * hi, np.where(negative, coef * lo, 0.0))
    rest_lo = _rest(row, term_lo, len(row_lo), -np.inf)
    rest_hi = _rest(row, term_hi, len(row_lo), np.inf)
    new_lo, new_hi = _implied(coef, rest_lo, rest_hi, row_lo[row], row_hi[row])
    starts = np.flatnonzero(np.r_[True, col[1:] != col[:-1]])
    owners = col[starts]
    tighter_lo = np.maximum(lower[owners], np.maximum.reduceat(new_lo, starts))
    tighter_hi = np.minimum(upper[owners], np.minimum.reduceat(new_hi, starts))
    # A move of float-noise size is no move: taken, such moves creep around cycles of rows round after round (a
    # Rupiah value pinned at 3,300 drifted to [3300.0009, 3299.9973] in 105 rounds on the demo's 2024 read-back,
    # once Rupiah were tied to whole payments of two sizes). Leaving a bound where it is is always sound.
    was_lo, was_hi = lower[owners], upper[owners]
    tighter_lo = np.where(tighter_lo > was_lo + _min_step(was_lo), tighter_lo, was_lo)
    tighter_hi = np.where(tighter_hi < was_hi - _min_step(was_hi), tighter_hi, was_hi)
    # A value pinned by its rows comes out with bounds a float's noise apart, sometimes crossed (4.0000000004 >
    # 3.99999999997): crossed bounds fed back through a cycle of rows grow without limit (to 1e188 on a small
    # chain's read-back, once Rupiah were tied to whole payments of two sizes). Within the tolerance the final
    # check allows, they meet at their middle; further apart, they stay crossed and that check fails.
    with np.errstate(invalid="ignore"):
        noise = (tighter_lo > tighter_hi) & (tighter_lo - tighter_hi <= _crossing(tighter_hi))
    middle = (tighter_lo[noise] + tighter_hi[noise]) / 2
    tighter_lo[noise], tighter_hi[noise] = middle, middle
    # (-inf to -inf is no move: nan_to_num.)
    with np.errstate(invalid="ignore"):
        gain = np.maximum(np.nan_to_num(tighter_lo - lower[owners]), np.nan_to_num(upper[owners] - tighter_hi))
    lower[owners], upper[owners] = tighter_lo, tighter_hi
    return owners[gain > 0], float(gain.max())


def _rest(row: np.ndarray, term: np.ndarray, n_rows: int, infinity: float) -> np.ndarray:
    """Per entry: the sum of the other entries' `term` in its row (`infinity`, -inf or inf, where another term of
    the row is infinite). Infinite terms are counted, not added, so that an entry whose own term is the row's only
    infinite one still gets the finite sum of the others (inf - inf would say nothing)."""
    infinite = ~np.isfinite(term)
    finite = np.where(infinite, 0.0, term)
    total = np.bincount(row, weights=finite, minlength=n_rows)
    others_infinite = np.bincount(row, weights=infinite, minlength=n_rows)[row] - infinite > 0
    return np.where(others_infinite, infinity, total[row] - finite)


def _implied(a: np.ndarray, rest_lo: np.ndarray, rest_hi: np.ndarray, row_lo: np.ndarray, row_hi: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """Per matrix entry (variable x with coefficient a in a row): the bounds on x that the row implies when the
    row's other terms take any value in their boxes (their smallest and largest sums `rest_lo`, `rest_hi`).
    Infinite row sides or rests imply nothing (the bound stays infinite); a zero coefficient says nothing about
    its variable."""
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        # row_lo - rest_hi <= a x <= row_hi - rest_lo
        term_lo = np.where(np.isfinite(row_lo), row_lo - rest_hi, -np.inf)
        term_hi = np.where(np.isfinite(row_hi), row_hi - rest_lo, np.inf)
        new_lo = np.where(a > 0, term_lo / a, term_hi / a)
        new_hi = np.where(a > 0, term_hi / a, term_lo / a)
    # (NaN, from a zero coefficient: no bound. Infinities stay infinite: nan_to_num's default would make them
    # 1.8e308, and a finite term added to that and taken away again is lost.)
    zero = a == 0
    new_lo = np.where(zero | np.isnan(new_lo), -np.inf, new_lo)
    new_hi = np.where(zero | np.isnan(new_hi), np.inf, new_hi)
    return new_lo, new_hi


def exact_bounds(system: AttackSystem, lower: np.ndarray, upper: np.ndarray, wanted: np.ndarray,
                 max_component: int = EXACT_COMPONENT_VALUES, max_solves: int = EXACT_SOLVES
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The LP interval of each `wanted` variable (a boolean mask), starting from valid outer bounds (`lower`,
    `upper`, e.g. outer_bounds'): per variable, a minimise and a maximise solve (HiGHS) over the rows of its
    component, the outer bounds as column bounds (they are implied by the rows, so the LP's optimum is the same).
    Returns (lower, upper); a variable not solved keeps its outer bounds.

    Components are taken smallest first (ties: the first variable), a component of more than `max_component`
    values is skipped (each of its solves takes seconds), and once fewer than two of `max_solves` solves are left
    no further variable is solved, so that the same system always gives the same bounds (the stand-alone audit
    recomputes them). A solve that does not end optimal (numerical trouble) keeps that bound's outer value, which
    is still valid. Only the objective changes between solves, so each starts from the last one's basis (lp.WarmLP,
    as the attack's: warm primal simplex, from scratch where that stalls).
    """
    lower, upper = lower.astype(np.float64).copy(), upper.astype(np.float64).copy()
    if system.n_vars == 0 or not wanted.any():
        return lower, upper
    by_row = system.matrix.tocsr()
    var_label, row_label = _sub_components(by_row)
    labels, sizes = np.unique(var_label, return_counts=True)
    firsts = np.full(len(labels), system.n_vars)
    np.minimum.at(firsts, np.searchsorted(labels, var_label), np.arange(system.n_vars))
    # Propagation's bounds and LP points are compared at this scale (a value's size, at least one unit).
    scale = np.maximum(1.0, np.abs(np.where(np.isfinite(upper), upper, lower)))
    budget = max_solves
    for component in np.lexsort((firsts, sizes)):
        if sizes[component] > max_component or budget < 2:
            break
        cols = np.flatnonzero(var_label == labels[component])
        targets = cols[wanted[cols]]
        rows = np.flatnonzero(row_label == labels[component])
        if len(targets) == 0 or len(rows) == 0:
            continue
        solver = WarmLP(_component_lp(system, by_row, cols, rows, lower, upper, scale[cols]))
        local = np.searchsorted(cols, targets)
        # A bound some optimal point of an earlier solve reached is the LP's bound already: no solve of its own.
        tolerance = REACHED * scale[cols]
        reached = np.zeros((2, len(cols)), dtype=bool)
        for var, at in zip(targets, local, strict=True):
            if budget < 2:
                break
            ends: list[float | None] = []
            for side, sense in enumerate((highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize)):
                if reached[side, at]:
                    ends.append(lower[var] if side == 0 else upper[var])
                    continue
                budget -= 1
                cost = np.zeros(len(cols))
                cost[at] = 1.0
                if solver.solve(cost, sense) != highspy.HighsModelStatus.kOptimal:
                    ends.append(None)
                    continue
                ends.append(solver.objective())
                point = solver.point()
                reached[0] |= point <= lower[cols] + tolerance
                reached[1] |= point >= upper[cols] - tolerance
            if ends[0] is not None:
                lower[var] = max(lower[var], ends[0])
            if ends[1] is not None:
                upper[var] = min(upper[var], ends[1])
    return lower, upper


def _component_lp(system: AttackSystem, by_row: sparse.csr_matrix, cols: np.ndarray, rows: np.ndarray,
                  lower: np.ndarray, upper: np.ndarray, scale: np.ndarray) -> highspy.HighsLp:
    """A model of one component's rows over its variables, bounded by the outer bounds (`scale`: per column,
    its size)."""
    # Widened by float noise: propagation's bounds of a pinned value may cross by a rounding error.
    slack = 1e-7 * scale
    return lp_model(by_row[rows][:, cols].tocsc(), lower[cols] - slack, upper[cols] + slack,
                    system.row_lower[rows], system.row_upper[rows])


def whole_bounds(lower: np.ndarray, upper: np.ndarray, whole: np.ndarray | bool = True
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Outer bounds rounded outward to whole units (floor, ceil). Where the value is `whole`, float noise of NOISE
    of the bound's size (at most half a unit) is forgiven: floor(179.9999999 + noise) = 180 is still no more than
    the smallest whole number the bound allows, so no feasible whole value is cut off."""
    forgive = np.where(whole, np.minimum(NOISE * np.maximum(1.0, np.maximum(np.abs(lower), np.abs(upper))), 0.5),
                       0.0)
    return np.floor(lower + forgive), np.ceil(upper - forgive)


@dataclass(frozen=True)
class TableRanges:
    """The published ranges of one cell table: the frame's key columns (as `ProtectedTableInput.frame` names them)
    and `<measure>_lower`, `<measure>_upper` per RANGE_MEASURES (published units: Rupiah, not Rp1,000), one row
    per hidden cell and per published cell with a blank value (None where that value is published); `blank`: per
    row, whether it is such a published cell."""

    name: str
    frame: pd.DataFrame
    blank: np.ndarray | None = None


def table_ranges(table_input: ProtectedTableInput, suppressed: np.ndarray) -> TableRanges:
    """The range of every hidden cell's RANGE_MEASURES, and of each such value a published cell leaves blank
    (blank_values), from the published figures of `table_input` (as read_release rebuilds it: hidden values are
    unknowns) and the hidden flags. A blank value's row carries only its own range (the cell's other range columns
    are None: their values are published)."""
    table = table_input.table
    system = build_joint_system(table, suppressed)
    whole = np.array([m.integer for m in table.measures])[system.var_measure]
    outer_lower, outer_upper = outer_bounds(system)
    frame = table_input.frame
    blank = blank_values(table_input, suppressed)
    # Hidden cells' values, and the values a published cell leaves blank (a desa's all-programs Rupiah beside a
    # hidden program): a withheld value that is written (the sum of published programs) is no hidden value.
    ranged = np.isin(system.var_measure, [table.measure_index(m) for m in RANGE_MEASURES[table_input.name]])
    wanted = ranged & (suppressed[system.var_cell] | blank[system.var_cell, system.var_measure])
    lower, upper = whole_bounds(*exact_bounds(system, outer_lower, outer_upper, wanted), whole)
    keys = [c for c in frame.columns if c not in {m.name for m in table.measures} and not c.startswith("_")]
    # Cells written hidden or with a blank value: an unpublished desa cell has no row to carry a range.
    rows = np.flatnonzero((suppressed | blank.any(axis=1)) & published_rows(frame))
    out = frame.iloc[rows][keys].reset_index(drop=True)
    for measure in RANGE_MEASURES[table_input.name]:
        m = table.measure_index(measure)
        unit = AMOUNT_UNIT if measure == "amount" else 1
        lo = np.full(table.n_cells, np.nan)
        hi = np.full(table.n_cells, np.nan)
        mine = wanted & (system.var_measure == m)
        lo[system.var_cell[mine]] = lower[mine] * unit
        hi[system.var_cell[mine]] = upper[mine] * unit
        low_name, high_name = range_columns(measure)
        out[low_name] = pd.array(np.round(lo[rows]), dtype="Int64")
        out[high_name] = pd.array(np.round(hi[rows]), dtype="Int64")
    return TableRanges(table_input.name, out, ~suppressed[rows])


def release_ranges(release: PublishedRelease) -> list[TableRanges]:
    """The ranges of every cell table of a release read back from its published tables (read_release)."""
    return [table_ranges(table_input, suppressed) for table_input, suppressed in release.tables]


def differences(computed: TableRanges, published: pd.DataFrame | None) -> int | None:
    """How many hidden cells publish a range other than the one recomputed (a cell missing on either side counts);
    None where the release publishes no ranges (made before they were). A blank value of a published cell whose
    range is not published at all (a release made before those were, 2026-12-07) does not count: a range left out
    tells a reader nothing; one published differently does count."""
    if published is None:
        return None
    columns = list(table_range_columns(computed.name))
    blank = np.zeros(len(computed.frame), dtype=bool) if computed.blank is None else computed.blank
    keys = [c for c in computed.frame.columns if c not in columns]
    both = computed.frame.assign(_blank=blank).merge(published, how="outer", on=keys, suffixes=("", "_published"),
                                                     indicator=True)
    differ = (both["_merge"] != "both").to_numpy().copy()
    for column in columns:
        mine, theirs = both[column].astype("Float64"), both[f"{column}_published"].astype("Float64")
        same = (mine == theirs).fillna(False) | (mine.isna() & theirs.isna())
        differ = differ | ~same.to_numpy(dtype=bool)
    left_out = ((both["_merge"] == "left_only") & both["_blank"].astype("boolean").fillna(False)).to_numpy(dtype=bool)
    return int((differ & ~left_out).sum())
