"""Disclosure control of one table: primary, secondary, then audit and repair until the LP attack fails."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np

from anonymize.attack import Intervals, Requirement, Settled, feasible_intervals
from anonymize.constraints import AttackSystem, build_attack_system
from anonymize.suppress import primary_suppression, protection_value, secondary_suppression, suppression_cost
from anonymize.table import CellTable, Role

log = logging.getLogger(__name__)


@dataclass
class ProtectionRules:
    """How wide each suppressed value's feasible interval must stay.

    Household counts and payment counts: threshold - 1 whole units. Sub-counts (failed, late...): never pinned
    to a non-zero value. Rupiah (units of Rp1,000): per cell, `amount_width`; where `amount_fixed` is False the
    amount only must not be pinned to a non-zero value.
    """

    threshold: int
    amount_width: dict[str, np.ndarray] = field(default_factory=dict)
    amount_fixed: dict[str, np.ndarray] = field(default_factory=dict)

    def requirement(self, table: CellTable, system: AttackSystem) -> Requirement:
        spec = table.measures[system.measure]
        cells = system.var_cell
        n = len(cells)
        integer = np.full(n, spec.integer)
        if spec.role in (Role.SENSITIVE, Role.POPULATION):
            return Requirement(np.full(n, self.threshold - 1.0), integer, np.zeros(n, bool))
        if spec.role is Role.DETAIL:
            return Requirement(np.ones(n), integer, np.ones(n, bool))
        width = self.amount_width.get(spec.name, np.ones(table.n_cells))[cells]
        fixed = self.amount_fixed.get(spec.name, np.zeros(table.n_cells, bool))[cells]
        return Requirement(width, integer, ~fixed)


@dataclass
class MeasureAudit:
    system: AttackSystem
    intervals: Intervals


@dataclass
class Audit:
    """The attack on a suppression pattern, measure by measure."""

    measures: list[MeasureAudit]

    @property
    def passed(self) -> bool:
        return all(a.intervals.ok.all() for a in self.measures)

    def failing(self) -> list[tuple[int, np.ndarray]]:
        """(measure, cells) whose interval is not shown to be wide enough."""
        return [(a.system.measure, a.system.var_cell[~a.intervals.ok]) for a in self.measures
                if not a.intervals.ok.all()]

    @property
    def n_failing(self) -> int:
        """Hidden values (over all measures) not shown to be wide enough."""
        return int(sum((~a.intervals.ok).sum() for a in self.measures))

    def summary(self, table: CellTable) -> dict[str, object]:
        per_measure = {}
        for a in self.measures:
            iv = a.intervals
            per_measure[table.measures[a.system.measure].name] = {
                "values": int(a.system.n_vars), "failing": int((~iv.ok).sum()), "components": iv.n_components,
                "largest_component": iv.largest_component, "lp_solves": iv.lp_solves,
                "exact_intervals": int(iv.exact.sum()), "seconds": round(iv.seconds, 3)}
        return {"passed": self.passed, "measures": per_measure,
                "largest_component": max((m["largest_component"] for m in per_measure.values()), default=0),
                "lp_solves": sum(m["lp_solves"] for m in per_measure.values())}


def audit_pattern(table: CellTable, suppressed: np.ndarray, rules: ProtectionRules, truth_anchor: bool = False,
                  exact_all: bool = False, previous: Audit | None = None) -> Audit:
    """Attack every measure. `truth_anchor` starts from the true values (only the publisher has them).

    With the `previous` audit of a pattern this one only adds to, components it found wide enough and that no
    newly hidden cell joins keep their results.
    """
    audits = []
    nesting = table.nesting()
    for m in range(len(table.measures)):
        system = build_attack_system(table, suppressed, m)
        anchor = table.values[system.var_cell, m] if truth_anchor else None
        settled = _settled(table, previous.measures[m], system) if previous is not None else None
        pieces = [labels[system.var_cell] for labels in nesting]
        intervals = feasible_intervals(system, rules.requirement(table, system), anchor, exact_all,
                                       settled=settled, pieces=pieces)
        audits.append(MeasureAudit(system, intervals))
    return Audit(audits)


def _settled(table: CellTable, earlier: MeasureAudit, system: AttackSystem) -> Settled:
    """The earlier results of each variable of `system` (not ok where the cell was not a variable then)."""
    index = np.full(table.n_cells, -1, dtype=np.int64)
    index[earlier.system.var_cell] = np.arange(earlier.system.n_vars)
    was = index[system.var_cell]
    seen = was >= 0
    take = np.where(seen, was, 0)
    iv = earlier.intervals
    return Settled(iv.lower[take], iv.upper[take], iv.exact[take] & seen, iv.ok[take] & seen)


@dataclass
class Protection:
    suppressed: np.ndarray
    primary: np.ndarray
    audit: Audit
    rounds: int
    seconds: dict[str, float]

    @property
    def secondary(self) -> np.ndarray:
        return self.suppressed & ~self.primary


def protect(table: CellTable, rules: ProtectionRules, forced_suppressed: np.ndarray | None = None,
            forced_published: np.ndarray | None = None, max_rounds: int = 40, patience: int = 12) -> Protection:
    """Find a suppression pattern that passes the LP audit.

    After the heuristic pattern, each round attacks every measure; for each value left too narrow, the rows
    binding at its LP optimum name the published cells that pin it, and the cheapest of them is hidden too.
    Hiding more never narrows another interval, but a partner can itself be pinned; the loop gives up after
    `patience` rounds without fewer values too narrow (the caller then refuses to publish).
    `forced_suppressed` / `forced_published` carry an earlier release's pattern forward.
    """
    n = table.n_cells
    forced_suppressed = np.zeros(n, bool) if forced_suppressed is None else forced_suppressed
    must_publish = (np.zeros(n, bool) if forced_published is None else forced_published) | grand_total(table)
    seconds = {"primary": 0.0, "secondary": 0.0, "audit": 0.0}

    start = time.perf_counter()
    primary = primary_suppression(table, rules.threshold)
    if (primary & must_publish).any():
        raise ValueError("a cell that must stay published (grand total, or published in an earlier release) "
                         "is below the threshold")
    # Partners are chosen among cells worth hiding.
    allowed = ~must_publish & ~determined(table, must_publish | (table.size() <= 0))
    seconds["primary"] = time.perf_counter() - start
    start = time.perf_counter()
    suppressed = secondary_suppression(table, primary | forced_suppressed, rules.threshold, allowed)
    seconds["secondary"] += time.perf_counter() - start

    cost = suppression_cost(table, protection_value(table))
    best, stalled = np.inf, 0
    audit: Audit | None = None
    for rounds in range(1, max_rounds + 1):
        start = time.perf_counter()
        audit = audit_pattern(table, suppressed, rules, truth_anchor=True, previous=audit)
        seconds["audit"] += time.perf_counter() - start
        log.debug("round %d: %d suppressed, too narrow %s (%.1f s)", rounds, suppressed.sum(),
                  {table.measures[a.system.measure].name: int((~a.intervals.ok).sum()) for a in audit.measures
                   if not a.intervals.ok.all()}, time.perf_counter() - start)
        if audit.passed:
            return Protection(suppressed, primary, audit, rounds, seconds)
        failing = audit.n_failing
        best, stalled = (failing, 0) if failing < best else (best, stalled + 1)
        if stalled >= patience:
            break
        start = time.perf_counter()
        added = np.unique(np.concatenate([repair(table, a, suppressed, allowed, cost, rules.threshold)
                                          for a in audit.measures]))
        if len(added) == 0:
            break
        suppressed[added] = True
        # New cells need partners in their own relations too.
        suppressed = secondary_suppression(table, suppressed, rules.threshold, allowed)
        seconds["secondary"] += time.perf_counter() - start
    return Protection(suppressed, primary, audit, rounds, seconds)


def determined(table: CellTable, known: np.ndarray) -> np.ndarray:
    """Cells not worth hiding because cells known for good pin them: the last unknown member of a relation.

    Known cells are those that must stay published (an earlier release published them) and empty cells
    (published as 0). Only they count: a cell merely determined may still be hidden later. (A part close to a
    known total is not excluded: it is only bounded on one side, and hiding it with a sibling can protect both.)
    """
    out = np.zeros(table.n_cells, dtype=bool)
    for relation in table.relations:
        members_rel = np.concatenate([np.arange(len(relation)), relation.part_relation()])
        members = np.concatenate([relation.total, relation.parts])
        unknown = np.bincount(members_rel, weights=~known[members], minlength=len(relation))
        out[members[(unknown[members_rel] == 1) & ~known[members]]] = True
    return out & ~known


def grand_total(table: CellTable) -> np.ndarray:
    """The cell that is the total along every dimension: never hidden, it caps every value in the attack."""
    is_top = np.ones(table.n_cells, dtype=bool)
    for d, dim in enumerate(table.dimensions):
        top = np.ones(len(dim.codes), dtype=bool)
        for mapping in dim.families.values():
            top &= mapping < 0
        is_top &= top[table.coords[:, d]]
    return is_top


def repair(table: CellTable, measure_audit: MeasureAudit, suppressed: np.ndarray, allowed: np.ndarray,
           cost: np.ndarray, threshold: int) -> np.ndarray:
    """For each value the attack narrowed too much, hide published cells from the rows that bind it.

    A binding bound (distinct households over months or programs) names its published cell: a total that
    caps a hidden part is hidden; a part that floors a hidden total is hidden with every sibling close enough
    to bind next. Failing that, among the published members of the binding sums (those the value is in, if
    any has one), the cheapest one large enough to protect itself and the narrowed cell (twice the threshold)
    is hidden, else the largest.
    """
    system, intervals = measure_audit.system, measure_audit.intervals
    narrowed = np.flatnonzero(~intervals.ok)
    if len(narrowed) == 0:
        return np.zeros(0, np.int64)
    values = np.nan_to_num(table.values[:, system.measure])
    open_cell = allowed & (table.size() > 0) & ~suppressed
    robust = 2.0 * threshold
    chosen: list[np.ndarray] = []
    by_var = system.matrix.tocsc()
    for var in narrowed:
        rows = intervals.binding.get(int(var), np.zeros(0, np.int64))
        named = _bound_cells(table, system, rows, values, threshold)
        named = named[open_cell[named]]
        if len(named):
            chosen.append(named)
            continue
        # Sums the value itself is in come first: a cheaper cell in a far-away sum seldom moves the pin.
        own = np.intersect1d(rows, by_var.indices[by_var.indptr[var]:by_var.indptr[var + 1]])
        for sums in (own, rows):
            candidates = _binding_cells(table, system, sums)
            candidates = candidates[open_cell[candidates]]
            if len(candidates):
                break
        if len(candidates):
            key = np.where(values[candidates] >= robust, cost[candidates], 1e15 - values[candidates])
            chosen.append(candidates[[np.argmin(key)]])
    return np.unique(np.concatenate(chosen)) if chosen else np.zeros(0, np.int64)


def _bound_cells(table: CellTable, system: AttackSystem, rows: np.ndarray, values: np.ndarray,
                 threshold: int) -> np.ndarray:
    """Published cells named by binding bounds between a total and one part."""
    named = []
    for row in rows[system.row_cell[rows] >= 0]:
        cell = system.row_cell[row]
        relation = table.relations[system.row_family[row]]
        k = system.row_relation[row]
        if cell == relation.total[k]:
            named.append(np.array([cell]))
            continue
        parts = relation.parts[relation.ptr[k]:relation.ptr[k + 1]]
        named.append(parts[values[parts] >= values[cell] - (threshold - 1)])
    return np.unique(np.concatenate(named)) if named else np.zeros(0, np.int64)


def _binding_cells(table: CellTable, system: AttackSystem, rows: np.ndarray) -> np.ndarray:
    cells = [system.row_cell[rows][system.row_cell[rows] >= 0]]
    for row in rows[system.row_cell[rows] < 0]:
        relation = table.relations[system.row_family[row]]
        k = system.row_relation[row]
        cells.append(np.append(relation.parts[relation.ptr[k]:relation.ptr[k + 1]], relation.total[k]))
    return np.unique(np.concatenate(cells)) if cells else np.zeros(0, np.int64)
