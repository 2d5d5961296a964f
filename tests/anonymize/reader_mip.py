"""A reader's whole-number attack on a published release, independent of the audit's solver code.

What an adversary holding only the published database does: rebuild each year's system from the published cells
(anonymize.published.read_release, the system every reader can write down), cut it into connected components
(scipy.sparse.csgraph), and solve each hidden household count's minimum and maximum with counts whole (scipy
`milp`, to optimality, no time limit) in every component of up to `limit` hidden values; then the same for the
payment counts and Rupiah of each hidden cell not shown large (a cell whose household counts are all shown to be
at least the threshold may have them pinned: that is what publishing it would show). A count fails what the audit
promises when its interval is narrower than the threshold's: shown below the threshold and less than
threshold - 1 wide, unless shown to be at least the threshold (household counts) or zero. Rupiah of a
fixed-benefit program must keep the width the release's rules give (threshold - 1 households' most); other Rupiah
must not be pinned to a non-zero value.

Run on any published database: `python -m tests.anonymize.reader_mip data/published/bansos.duckdb [--limit N]`.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, OptimizeResult, milp
from scipy.sparse.csgraph import connected_components

from anonymize.constraints import build_joint_system
from anonymize.published import read_release, release_years
from anonymize.table import Role


@dataclass(frozen=True)
class Narrow:
    """One hidden count a reader's MIP narrows too far."""

    year: int
    table: str
    region: str
    key: str
    measure: str
    lower: float
    upper: float


@dataclass
class ReaderResult:
    narrow: list[Narrow]
    counts_checked: int
    #: Values checked per role: household counts, payment counts, Rupiah.
    by_role: dict[str, int]
    components_checked: int
    components_skipped: int
    mip_solves: int
    seconds: float


def _components(matrix: sparse.csr_matrix) -> np.ndarray:
    """Per variable, its connected component (variables joined by sharing a row)."""
    n_rows = matrix.shape[0]
    incidence = sparse.csr_matrix(matrix != 0, dtype=np.int8)
    graph = sparse.bmat([[None, incidence], [incidence.T, None]], format="csr")
    _, labels = connected_components(graph, directed=False)
    return labels[n_rows:]


def _milp(c: np.ndarray, constraint: LinearConstraint, bounds: Bounds, integrality: np.ndarray) -> OptimizeResult:
    """scipy's milp; an 'infeasible' verdict solved again without presolve: the true values are a whole point, so
    that verdict is HiGHS's MIP presolve erring (HiGHS issue 3296), and a reader solves again without it."""
    result = milp(c, constraints=constraint, bounds=bounds, integrality=integrality)
    if result.status == 2:
        result = milp(c, constraints=constraint, bounds=bounds, integrality=integrality,
                      options={"presolve": False})
    if result.status not in (0, 2):
        raise RuntimeError(f"the reader's MIP ended with status {result.status}: {result.message}")
    return result


def _extreme(c: np.ndarray, constraint: LinearConstraint, bounds: Bounds, integrality: np.ndarray) -> float:
    result = _milp(c, constraint, bounds, integrality)
    if result.status != 0:
        raise RuntimeError(f"the reader's MIP ended with status {result.status}: {result.message}")
    return float(c @ result.x)


def _feasible(constraint: LinearConstraint, bounds: Bounds, integrality: np.ndarray) -> bool:
    """Whether a whole point exists."""
    return bool(_milp(np.zeros(len(integrality)), constraint, bounds, integrality).status == 0)


def _narrowed(local: int, constraint: LinearConstraint, bounds: Bounds, whole: np.ndarray, width: float,
              min_upper: float, large: float | None, lenient: bool = False) -> tuple[float, float | None, int]:
    """(minimum, maximum if the value is narrower than it may be else None, MIP solves) of the component's
    variable `local`. Wide enough: shown at least `large` (a household count shown large), or zero feasible where
    `lenient` (Rupiah of a program without a fixed benefit), or a point reaches max(minimum + width, min_upper) (a
    feasibility question, much faster for the MIP than the maximum, which is solved only for a report), or shown
    zero."""
    c = np.zeros(len(whole))
    c[local] = 1.0
    lo = _extreme(c, constraint, bounds, whole)
    lo = float(np.ceil(lo - 1e-6)) if whole[local] else lo
    if (large is not None and lo >= large) or (lenient and lo <= 1e-6):
        return lo, None, 1
    reach = max(lo + width, min_upper)
    raised = Bounds(np.where(np.arange(len(whole)) == local, reach, bounds.lb), bounds.ub)
    if _feasible(constraint, raised, whole):
        return lo, None, 2
    hi = -_extreme(-c, constraint, bounds, whole)
    hi = float(np.floor(hi + 1e-6)) if whole[local] else hi
    return lo, (None if hi <= 1e-6 else hi), 3


def attack_release(path: Path, limit: int = 100) -> ReaderResult:
    """Every year of the release at `path`: whole-number intervals of each hidden household count (Role.SENSITIVE),
    and of the payment counts and Rupiah (Role.POPULATION, Role.AMOUNT) of cells not shown large, in components of
    at most `limit` hidden values."""
    start = time.perf_counter()
    narrow: list[Narrow] = []
    checked = components = skipped = solves = 0
    by_role: dict[str, int] = {}
    for year in release_years(path):
        release = read_release(path, year)
        threshold = release.threshold
        for table_input, suppressed in release.tables:
            table = table_input.table
            system = build_joint_system(table, suppressed)
            if system.n_vars == 0:
                continue
            labels = _components(system.matrix)
            sensitive = np.array([table.measures[m].role is Role.SENSITIVE for m in system.var_measure])
            population = np.array([table.measures[m].role is Role.POPULATION for m in system.var_measure])
            amount = np.array([table.measures[m].role is Role.AMOUNT for m in system.var_measure])
            integer = np.array([table.measures[m].integer for m in system.var_measure])
            frame = table_input.frame.reset_index(drop=True)
            matrix = system.matrix.tocsc()
            for label in np.unique(labels[sensitive]):
                members = np.flatnonzero(labels == label)
                if len(members) > limit:
                    skipped += 1
                    continue
                components += 1
                sub = matrix[:, members].tocsr()
                rows = np.flatnonzero(np.diff(sub.indptr) > 0)
                constraint = LinearConstraint(sub[rows], system.row_lower[rows], system.row_upper[rows])
                bounds = Bounds(system.var_lower[members], system.var_upper[members])
                whole = integer[members].astype(np.int8)
                cells = system.var_cell[members]
                small_cells: set[int] = set()
                # Household counts first: a hidden cell whose household counts are all shown to be at least the
                # threshold may have its payment counts pinned (what publishing the cell would show).
                for local in [*np.flatnonzero(sensitive[members]), *np.flatnonzero(population[members]),
                              *np.flatnonzero(amount[members])]:
                    var = members[local]
                    if not sensitive[var] and int(cells[local]) not in small_cells:
                        continue
                    fixed = None
                    if sensitive[var] or population[var]:
                        width, min_upper = threshold - 1.0, float(threshold)
                    else:
                        # Rupiah: a fixed benefit's width (threshold - 1 households' most), else not pinned.
                        name = table.measures[int(system.var_measure[var])].name
                        cell_index = int(system.var_cell[var])
                        rules = table_input.rules
                        widths, fixed = rules.amount_width.get(name), rules.amount_fixed.get(name)
                        width = 1.0 if widths is None else float(widths[cell_index])
                        min_upper = 0.0
                    lenient = bool(amount[var] and not (fixed is not None and fixed[int(system.var_cell[var])]))
                    found = _narrowed(local, constraint, bounds, whole, width, min_upper,
                                      float(threshold) if sensitive[var] else None, lenient)
                    role = "households" if sensitive[var] else "payments" if population[var] else "Rupiah"
                    by_role[role] = by_role.get(role, 0) + 1
                    solves += found[2]
                    checked += 1
                    if sensitive[members[local]] and found[0] < threshold:
                        small_cells.add(int(cells[local]))
                    if found[1] is None:
                        continue
                    cell = frame.iloc[int(system.var_cell[var])]
                    key = "/".join(str(cell[k]) for k in frame.columns[1:4])
                    narrow.append(Narrow(year, table_input.name, str(cell.iloc[0]), key,
                                         table.measures[int(system.var_measure[var])].name, found[0], found[1]))
            print(f"  {year} {table_input.name}: {checked:,} counts checked so far, {len(narrow)} too narrow "
                  f"({time.perf_counter() - start:.0f} s)", file=sys.stderr, flush=True)
    return ReaderResult(narrow, checked, by_role, components, skipped, solves, time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.anonymize.reader_mip", description=__doc__.split("\n")[0])
    parser.add_argument("published", type=Path)
    parser.add_argument("--limit", type=int, default=100, help="largest component attacked (hidden values)")
    args = parser.parse_args(argv)
    result = attack_release(args.published, args.limit)
    for found in result.narrow:
        print(f"too narrow: {found}")
    roles = ", ".join(f"{role} {n:,}" for role, n in result.by_role.items())
    print(f"reader MIP: {len(result.narrow)} of {result.counts_checked:,} hidden values ({roles}) too narrow in "
          f"{result.components_checked:,} components of up to {args.limit} values ({result.components_skipped:,} "
          f"larger left), {result.mip_solves:,} MIP solves in {result.seconds:.1f} s")
    return 1 if result.narrow else 0


if __name__ == "__main__":
    sys.exit(main())
