"""Disclosure control of one table: primary, secondary, then audit and repair until the LP attack fails."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, fields, replace

import numpy as np

from anonymize import budget
from anonymize.attack import Intervals, NeighbourhoodMemo, Requirement, Settled, feasible_intervals
from anonymize.constraints import AttackSystem, build_joint_system
from anonymize.revisions import earlier_values
from anonymize.suppress import primary_suppression, protection_value, secondary_suppression, suppression_cost
from anonymize.table import Aggregation, CellTable, Link, Relation, Role

log = logging.getLogger(__name__)


@dataclass
class ProtectionRules:
    """How wide each suppressed value's feasible interval must stay.

    Household counts and payment counts: threshold - 1 whole units, and an upper bound of at least the threshold
    (a count shown to be below it is shown to be small) — or a lower bound of at least the threshold (shown to
    be large: no small count is disclosed, as when a cell is published; the protection interval is the
    sensitive cells' requirement, as in tau-ARGUS). Sub-counts (failed, late...): never pinned to a non-zero
    value, unless their cell is shown large. Rupiah (units of Rp1,000): per cell, `amount_width`; where
    `amount_fixed` is False the amount only must not be pinned to a non-zero value. A value pinned to zero passes
    only where a published total shows it.
    """

    threshold: int
    amount_width: dict[str, np.ndarray] = field(default_factory=dict)
    amount_fixed: dict[str, np.ndarray] = field(default_factory=dict)

    def requirement(self, table: CellTable, system: AttackSystem, zero_known: np.ndarray | None = None,
                    known_value: np.ndarray | None = None, suppressed: np.ndarray | None = None) -> Requirement:
        """Per variable of `system`; `zero_known` is (n_cells, n_measures), see known_zeros(); `known_value`
        (n_cells, n_measures, NaN: none), see revisions.earlier_values(). With `suppressed` (per cell), a
        withheld value of a published cell (table.withheld) is required nothing: publishing it would have been
        allowed; it is an unknown only for what it tells about the others."""
        n = system.n_vars
        width, min_upper, large_floor = np.zeros(n), np.zeros(n), np.full(n, np.inf)
        integer, lenient, liftable, fine = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
        for m, spec in enumerate(table.measures):
            mine = system.var_measure == m
            cells = system.var_cell[mine]
            integer[mine] = spec.integer
            if spec.role in (Role.SENSITIVE, Role.POPULATION):
                width[mine], min_upper[mine] = self.threshold - 1.0, float(self.threshold)
                if spec.role is Role.SENSITIVE:
                    large_floor[mine] = float(self.threshold)
                else:
                    liftable[mine] = True       # payment counts: see below
            elif spec.role is Role.DETAIL:
                # Sub-counts (failed, late, a status...) must not be pinned to a non-zero value, unless the cell
                # is shown not to be small: then pinning them says what publishing the cell would say (as for
                # payments and Rupiah below). A small cell's sub-counts are never lifted (its count's lower bound
                # is below the threshold), and they are attacked with the partner's, so a partner's pinned
                # sub-count that narrowed a small cell's fails that cell's own value. (Kota Kupang's August release
                # was refused for a partner's proposal status, 3 of 286, that its published year-to-date gave.)
                width[mine], lenient[mine] = 1.0, True
                liftable[mine] = True
            elif spec.role is Role.AUXILIARY:
                lenient[mine] = True     # required nothing (width 0): it only carries what it tells of others
            else:
                fine[mine] = spec.integer      # Rupiah in Rp1,000: see Requirement.fine
                width[mine] = self.amount_width.get(spec.name, np.ones(table.n_cells))[cells]
                fixed = self.amount_fixed.get(spec.name, np.zeros(table.n_cells, bool))[cells]
                lenient[mine] = ~fixed
                # Payments and Rupiah of a cell shown not to be small: pinning them discloses no small count,
                # which is what publishing the cell would show.
                liftable[mine] = True
        if suppressed is not None and table.withheld is not None:
            free = table.withheld[system.var_cell, system.var_measure] & ~suppressed[system.var_cell]
            width[free], min_upper[free], large_floor[free] = 0.0, 0.0, np.inf
            lenient[free], liftable[free] = True, False
        known = None if zero_known is None else zero_known[system.var_cell, system.var_measure]
        held = None if known_value is None else known_value[system.var_cell, system.var_measure]
        return Requirement(width, integer, lenient, min_upper, known, large_floor, liftable, held, fine)


@dataclass
class MeasureAudit:
    """One measure's part of a joint audit (a view: `system.var_cell`, `system.measure`, `intervals`)."""

    system: AttackSystem
    intervals: Intervals


@dataclass
class Audit:
    """The joint attack on a suppression pattern: one system over every measure of the table."""

    table: CellTable
    system: AttackSystem
    intervals: Intervals
    requirement: Requirement
    #: Per variable: passed because its cell is shown not to be small (every household count of it is shown
    #: to be at least the threshold: pinning its payments or Rupiah discloses no small count, which is what
    #: publishing it would show; a small cell never passes so, its small count's lower bound being at most its
    #: true value).
    shown_large: np.ndarray | None = None

    @property
    def passed(self) -> bool:
        return bool(self.intervals.ok.all())

    @property
    def measures(self) -> list[MeasureAudit]:
        """Per measure, in table order, the variables and intervals of that measure."""
        views, iv = [], self.intervals
        for m in range(len(self.table.measures)):
            mine = np.flatnonzero(self.system.var_measure == m)
            members = set(mine.tolist())
            system = AttackSystem(m, self.system.var_cell[mine], self.system.var_lower[mine],
                                  self.system.var_upper[mine], self.system.matrix[:, mine], self.system.row_lower,
                                  self.system.row_upper, self.system.row_family, self.system.row_relation,
                                  self.system.row_cell)
            views.append(MeasureAudit(system, Intervals(
                iv.lower[mine], iv.upper[mine], iv.exact[mine], iv.ok[mine],
                {int(np.searchsorted(mine, v)): rows for v, rows in iv.binding.items() if v in members},
                iv.n_components, iv.largest_component, iv.lp_solves, iv.seconds,
                None if iv.proven is None else iv.proven[mine], None if iv.lifted is None else iv.lifted[mine])))
        return views

    def failing(self) -> list[tuple[int, np.ndarray]]:
        """(measure, cells) whose interval is not shown to be wide enough."""
        bad = ~self.intervals.ok
        per_measure = [(m, self.system.var_cell[bad & (self.system.var_measure == m)])
                       for m in range(len(self.table.measures))]
        return [(m, cells) for m, cells in per_measure if len(cells)]

    @property
    def n_failing(self) -> int:
        """Hidden values (over all measures) not shown to be wide enough."""
        return int((~self.intervals.ok).sum())

    def summary(self, table: CellTable | None = None) -> dict[str, object]:
        """What may be published about the audit: per measure, hidden values and how many are too narrow;
        the LP's size. (Nothing here depends on which hidden cells were small.)"""
        table = table or self.table
        iv, bad = self.intervals, ~self.intervals.ok
        per_measure = {spec.name: {"values": int((self.system.var_measure == m).sum()),
                                   "failing": int((bad & (self.system.var_measure == m)).sum())}
                       for m, spec in enumerate(table.measures)}
        return {"passed": self.passed, "measures": per_measure, "components": iv.n_components,
                "largest_component": iv.largest_component, "lp_solves": iv.lp_solves,
                "seconds": round(iv.seconds, 3)}

    def report(self) -> dict[str, dict[str, object]]:
        """Per measure, what the attack leaves a reader: hidden values, the narrowest width (whole units for
        counts), values narrower than required, values whose upper bound is below the required floor (a count
        shown to be small), values in doubt (counted as failing, see attack.WHOLE_UP_TO), and values pinned to one
        number. The narrowest width leaves out values shown to be at
        least the threshold (and those of cells shown so) and zeros published figures already show. Only exact
        intervals (exact_all) make it exact; otherwise it is an inner bound."""
        iv, req = self.intervals, self.requirement
        lo = np.where(req.integer, np.ceil(iv.lower - 1e-6), iv.lower)
        hi = np.where(req.integer, np.floor(iv.upper + 1e-6), iv.upper)
        min_upper = np.zeros(len(lo)) if req.min_upper is None else req.min_upper
        # Values shown to be at least the threshold (or of cells shown so), and zeros published figures already
        # show, disclose no small count: the narrowest is of the others.
        large = self.shown_large if self.shown_large is not None else np.zeros(len(lo), bool)
        zero = req.zero_known if req.zero_known is not None else np.zeros(len(lo), bool)
        shown = req.shown_large(iv.lower, iv.exact, slice(None), iv.proven)
        placeable = ~(shown | large | (zero & (hi <= 1e-6)))
        if req.known_value is not None:
            # A value pinned to one readers already hold (revisions.earlier_values) discloses nothing new.
            with np.errstate(invalid="ignore"):
                placeable &= ~((np.abs(lo - req.known_value) <= 1e-6) & (np.abs(hi - req.known_value) <= 1e-6))
        presumed = iv.presumed if iv.presumed is not None else np.zeros(len(lo), bool)
        out: dict[str, dict[str, object]] = {}
        for m, spec in enumerate(self.table.measures):
            mine = self.system.var_measure == m
            if not mine.any():
                out[spec.name] = {"values": 0, "narrowest": None, "too_narrow": 0, "in_doubt": 0,
                                  "below_threshold": 0, "pinned": 0}
                continue
            width = hi[mine] - lo[mine]
            open_ = placeable[mine]
            out[spec.name] = {
                "values": int(mine.sum()),
                "narrowest": float(np.min(width[open_])) if open_.any() else None,
                "too_narrow": int((~iv.ok[mine] & ~presumed[mine]).sum()),
                # Neither shown wide enough nor too narrow (pieces of a component too large to attack whole).
                "in_doubt": int(presumed[mine].sum()),
                "below_threshold": int(((hi[mine] < min_upper[mine] - 1e-6) & ~iv.ok[mine]).sum()),
                "pinned": int(((width <= 1e-6) & ~iv.ok[mine]).sum()),
            }
        return out


def audit_pattern(table: CellTable, suppressed: np.ndarray, rules: ProtectionRules, truth_anchor: bool = False,
                  exact_all: bool = False, previous: Audit | None = None, workers: int = 1,
                  memo: NeighbourhoodMemo | None = None) -> Audit:
    """Attack every measure of the table jointly. `truth_anchor` starts from the true values (only the
    publisher has them). `workers`: threads for independent components. `memo`: neighbourhood bounds of earlier
    attacks of the same table (attack.NeighbourhoodMemo).

    With the `previous` audit of a pattern this one only adds to, components it found wide enough and that no
    newly hidden cell joins keep their results.
    """
    system = build_joint_system(table, suppressed)
    requirement = _requirement(table, suppressed, rules, system)
    anchor = table.values[system.var_cell, system.var_measure] if truth_anchor else None
    settled = _settled(table, previous, system) if previous is not None else None
    pieces = [labels[system.var_cell] for labels in table.nesting()]
    intervals = feasible_intervals(system, requirement, anchor, exact_all, settled=settled, pieces=pieces,
                                   workers=workers, memo=memo)
    return Audit(table, system, intervals, requirement, intervals.lifted)


def reuse_audit(table: CellTable, suppressed: np.ndarray, rules: ProtectionRules, attacked: Audit) -> Audit | None:
    """The `attacked` audit's results for this pattern, if the system and the requirement built from `table`
    (e.g. a release read back from its published files: hidden values unknown) are identical, array by array,
    to those it attacked; None if anything differs (the caller then attacks anew).

    The attack's results are properties of its system: inner bounds are values at feasible points of it, exact
    and outer bounds are its optima. So an identical system has them too; only the verdict is recomputed, from
    the requirement built here.
    """
    system = build_joint_system(table, suppressed)
    if not _same_system(system, attacked.system):
        return None
    requirement = _requirement(table, suppressed, rules, system)
    if not _same_fields(requirement, attacked.requirement):
        return None
    iv = attacked.intervals
    ok = requirement.met(iv.lower, iv.upper, iv.exact, slice(None), iv.proven)
    if iv.lifted is not None:
        ok |= iv.lifted
    return Audit(table, system, replace(iv, ok=ok), requirement, iv.lifted)


def _requirement(table: CellTable, suppressed: np.ndarray, rules: ProtectionRules,
                 system: AttackSystem) -> Requirement:
    """What the attack requires of each hidden value of this pattern (the zeros and earlier values it knows)."""
    return rules.requirement(table, system, known_zeros(table, suppressed), earlier_values(table, suppressed),
                             suppressed)


def same_attack(table: CellTable, suppressed: np.ndarray, rules: ProtectionRules, other: CellTable,
                other_suppressed: np.ndarray, other_rules: ProtectionRules) -> bool:
    """Whether two patterns give the attack identical systems and requirements, array by array (then its results,
    which are properties of the system, are identical too: see reuse_audit). Values the attacker does not see
    (hidden ones) play no part."""
    system, others = build_joint_system(table, suppressed), build_joint_system(other, other_suppressed)
    if not _same_system(system, others):
        return False
    requirement = _requirement(table, suppressed, rules, system)
    their = _requirement(other, other_suppressed, other_rules, others)
    return _same_fields(requirement, their)


def _same_system(one: AttackSystem, other: AttackSystem) -> bool:
    # Sparse `!=` compares values whatever the storage order (sorting indices in place would change the systems).
    return (one.matrix.shape == other.matrix.shape and (one.matrix != other.matrix).nnz == 0
            and _same_fields(one, other, ("var_cell", "var_measure", "var_lower", "var_upper", "row_lower",
                                          "row_upper")))


def _same_fields(one: object, other: object, names: tuple[str, ...] | None = None) -> bool:
    """Every array field (of `names`, default all of a dataclass) equal, NaN equal to NaN; None equal to None."""
    for name in names or tuple(f.name for f in fields(one)):     # type: ignore[arg-type]
        x, y = getattr(one, name), getattr(other, name)
        if x is None or y is None:
            if x is not y:
                return False
        elif not np.array_equal(np.asarray(x), np.asarray(y), equal_nan=np.asarray(x).dtype.kind == "f"):
            return False
    return True


def known_zeros(table: CellTable, suppressed: np.ndarray) -> np.ndarray:
    """(n_cells, n_measures): values published figures already show to be zero. A relation whose published
    total equals the sum of its published parts leaves its hidden parts zero (and a hidden total known to be
    zero makes its parts zero); a total whose parts are all zero is zero. Pinning them reveals nothing a
    reader does not already hold."""
    missing = np.isnan(table.values)
    values = np.nan_to_num(table.values)
    # Per value: not seen by readers (a suppressed cell's, or withheld: table.withheld).
    unknown = table.unknown(suppressed)
    zero = (values == 0) & ~missing & ~unknown
    # What no zero found on the way changes, per relation and measure, computed once (nationally the rounds to a
    # fixed point repeated it: about 5 s a call).
    terms = []
    for relation in table.relations:
        part_rel = relation.part_relation()
        for m, spec in enumerate(table.measures):
            if relation.dimension not in spec.aggregation:
                continue
            hidden_parts = unknown[relation.parts, m]
            # As in the attack: a kecamatan's failed payments are not its desa's, which are not published
            # (NaN is not zero).
            defined = relation.publishes(missing[:, m])
            residual_zero = np.zeros(len(relation), dtype=bool)
            # Distinct households (a bound, not a sum): a published residual of zero says nothing.
            if spec.aggregation[relation.dimension] is Aggregation.SUM:
                rest = values[relation.total, m] - np.bincount(
                    part_rel, weights=np.where(hidden_parts, 0.0, values[relation.parts, m]), minlength=len(relation))
                residual_zero = defined & ~unknown[relation.total, m] & (np.abs(rest) < 1e-9)
            terms.append((relation, part_rel, hidden_parts, m, defined, residual_zero))
    links = [_zero_forcing_rows(link, table.values) for link in table.links]
    grown = [(m, pairs, pairs.known_differences(values[:, m], unknown[:, m] | missing[:, m]))
             for m, pairs in _grown_pairs(table).items()]
    for _ in range(len(table.dimensions) + 6):
        before = int(zero.sum())
        for m, pairs, differences in grown:
            pairs.zeros_through(differences, zero[:, m])
        for relation, part_rel, hidden_parts, m, defined, residual_zero in terms:
            total_zero = (zero[relation.total, m] & defined) | residual_zero
            zero[relation.parts, m] |= total_zero[part_rel] & hidden_parts
            # A total (distinct households too: at most the sum of its parts) whose parts are all zero.
            nonzero_parts = np.bincount(part_rel, weights=~zero[relation.parts, m], minlength=len(relation))
            zero[relation.total, m] |= defined & (nonzero_parts == 0)
        for link in links:
            _zeros_through_link(link, zero)
        if int(zero.sum()) == before:
            break
    return zero


@dataclass
class GrownPairs:
    """Pairs of cells of one measure where a later cell is an earlier one plus what came since (a year and an
    earlier release's year-to-date: `later - earlier >= 0`, a link of the table), and the relations between
    their differences that readers derive (known_zeros).

    `later`, `earlier`: per pair, its cells. `since_ptr`, `since`: per pair, the cells of the months between
    (CellTable.difference_relations: year = year-to-date + those months), where the table has them (else an
    empty range and `has_since` False). `total`, `ptr`, `parts`: per relation of another dimension (a kecamatan
    = its desa, all programs = each program...) whose total and parts all have pairs and whose earlier cells form
    the same relation: the pair of its total, and the pairs of its parts (the total's difference is the sum of
    the parts' differences).
    """

    later: np.ndarray
    earlier: np.ndarray
    has_since: np.ndarray
    since_ptr: np.ndarray
    since: np.ndarray
    total: np.ndarray
    ptr: np.ndarray
    parts: np.ndarray

    def known_differences(self, values: np.ndarray, unseen: np.ndarray) -> np.ndarray:
        """Per pair, `later - earlier` as published figures give it (NaN where they do not): both cells seen, or
        every month between seen (`values`, `unseen`: per cell, of one measure). Totals' and parts' differences are
        derived from each other in zeros_through."""
        out = np.where(unseen[self.later] | unseen[self.earlier], np.nan, values[self.later] - values[self.earlier])
        rel = np.repeat(np.arange(len(self.later)), np.diff(self.since_ptr))
        blind = np.bincount(rel, weights=unseen[self.since], minlength=len(self.later)) > 0
        summed = np.bincount(rel, weights=np.where(unseen[self.since], 0.0, values[self.since]),
                             minlength=len(self.later))
        by_months = self.has_since & ~blind
        return np.where(np.isnan(out) & by_months, summed, out)

    def zeros_through(self, differences: np.ndarray, zero: np.ndarray) -> None:
        """Mark in `zero` (per cell, of this measure; updated, as `differences`) what the differences show: a
        total's difference known, its parts' known ones subtracted, leaves 0 for the others, each at least 0, so
        each is 0; a part's unknown difference is then known, and a total's is the sum of its parts' where all
        are known. A difference of 0 makes the later cell the earlier one: zero where either is (the earlier is at
        most the later, which is at least 0)."""
        differences[np.isnan(differences) & zero[self.later] & zero[self.earlier]] = 0.0
        rel = np.repeat(np.arange(len(self.total)), np.diff(self.ptr))
        for _ in range(4):
            part_known = ~np.isnan(differences[self.parts])
            known_sum = np.bincount(rel, weights=np.where(part_known, differences[self.parts], 0.0),
                                    minlength=len(self.total))
            n_unknown = np.bincount(rel, weights=~part_known, minlength=len(self.total))
            residual = differences[self.total] - known_sum
            # Down: the unknown parts' differences sum to 0 and none is below 0.
            down = (np.abs(residual) < 1e-9)[rel] & ~part_known
            # Up: every part known.
            up = np.isnan(differences[self.total]) & (n_unknown == 0)
            if not down.any() and not up.any():
                break
            differences[self.parts[down]] = 0.0
            differences[self.total[up]] = known_sum[up]
        same = np.abs(differences) < 1e-9
        zero[self.later[same & zero[self.earlier]]] = True
        zero[self.earlier[same & zero[self.later]]] = True
        zero[self.earlier[zero[self.later]]] = True


def _grown_pairs(table: CellTable) -> dict[int, GrownPairs]:
    """Per measure summed over periods, the GrownPairs of the table's `later - earlier >= 0` links (made once
    per table: the structure does not depend on the pattern)."""
    # Keyed by the links it was made from: a table's links may be set after it is made.
    key = tuple(id(link) for link in table.links)
    cached = getattr(table, "_grown_pairs_cache", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    out: dict[int, GrownPairs] = {}
    table._grown_pairs_cache = (key, out)     # type: ignore[attr-defined]
    if "period" not in [d.name for d in table.dimensions]:
        return out
    period = table.dim_index("period")
    derived = table.difference_relations()
    for m, spec in enumerate(table.measures):
        if spec.aggregation.get("period") is not Aggregation.SUM:
            continue
        rows = [link for link in table.links
                if link.measures == (m, m) and len(link.lower) and np.allclose(link.coefs, [1.0, -1.0])
                and (link.lower >= -1e-9).all()]
        if not rows:
            continue
        pairs = np.unique(np.concatenate([link.cells for link in rows]), axis=0)
        pairs = pairs[table.coords[pairs[:, 0], period] != table.coords[pairs[:, 1], period]]
        # One earlier cell per later one (the nearest year-to-date would do; any one is sound).
        _, first = np.unique(pairs[:, 0], return_index=True)
        later, earlier = pairs[first, 0], pairs[first, 1]
        pair_of = np.full(table.n_cells, -1, dtype=np.int64)
        pair_of[later] = np.arange(len(later))
        # The months between, from the first derived relation (year = year-to-date + months) naming the pair.
        has_since = np.zeros(len(later), dtype=bool)
        month_pair, month_cell = [], []
        for relation in derived:
            part_rel = relation.part_relation()
            pair = pair_of[relation.total]
            free = (pair >= 0) & ~has_since[np.maximum(pair, 0)]
            is_earlier = free[part_rel] & (relation.parts == earlier[np.maximum(pair, 0)][part_rel])
            use = free & (np.bincount(part_rel, weights=is_earlier, minlength=len(relation)) > 0)
            months = use[part_rel] & ~is_earlier
            month_pair.append(pair[part_rel][months])
            month_cell.append(relation.parts[months])
            has_since[pair[use]] = True
        since_pair = np.concatenate([[], *month_pair]).astype(np.int64)
        since = np.concatenate([[], *month_cell]).astype(np.int64)[np.argsort(since_pair, kind="stable")]
        since_ptr = np.concatenate([[0], np.cumsum(np.bincount(since_pair, minlength=len(later)))]).astype(np.int64)
        sums = []
        defined = ~np.isnan(table.values[:, m])
        for relation in table.relations:
            # A sum in this measure, whose members all hold it (a kecamatan's months have no pending payments).
            if relation.dimension == "period" or spec.aggregation.get(relation.dimension) is not Aggregation.SUM:
                continue
            relation = relation.subset(_all_members(relation, defined))
            part_rel = relation.part_relation()
            total_of = np.full(table.n_cells, -1, dtype=np.int64)
            total_of[relation.parts] = relation.total[part_rel]
            pair = pair_of[relation.total]
            earlier_total = np.where(pair >= 0, earlier[np.maximum(pair, 0)], -1)
            # Every part has a pair, and the parts' earlier cells are the parts of the total's earlier cell, no more,
            # no fewer.
            part_pair = pair_of[relation.parts]
            matched = (part_pair >= 0) & (total_of[earlier[np.maximum(part_pair, 0)]] == earlier_total[part_rel])
            earlier_counts = np.bincount(total_of[total_of >= 0], minlength=table.n_cells)
            use = ((earlier_total >= 0) & _all_members(relation, matched, totals=False)
                   & (earlier_counts[np.maximum(earlier_total, 0)] == np.diff(relation.ptr)))
            sums.append(relation.subset(use))
        out[m] = GrownPairs(later, earlier, has_since, since_ptr, since,
                            pair_of[np.concatenate([[], *(r.total for r in sums)]).astype(np.int64)],
                            np.concatenate([[0], np.cumsum(np.concatenate([[], *(np.diff(r.ptr) for r in sums)]))
                                            ]).astype(np.int64),
                            pair_of[np.concatenate([[], *(r.parts for r in sums)]).astype(np.int64)])
    return out


def _all_members(relation: Relation, mask: np.ndarray, totals: bool = True) -> np.ndarray:
    """Per relation: every part (and, with `totals`, the total) is in `mask` (per cell; per part entry where
    `totals` is False)."""
    per_part = mask[relation.parts] if totals else mask
    whole = np.bincount(relation.part_relation(), weights=~per_part, minlength=len(relation)) == 0
    return whole & mask[relation.total] if totals else whole


def _zero_forcing_rows(link: Link, values: np.ndarray) -> Link:
    """The rows of `link` that can force a zero (_zeros_through_link): no NaN term among `values` (a row with one
    says nothing), and an upper bound of at most 0 or a lower bound of at least 0."""
    valid = ~np.isnan(link.terms(values)).any(axis=1)
    rows = np.flatnonzero(valid & ((link.upper <= 1e-9) | (link.lower >= -1e-9)))
    return replace(link, cells=link.cells[rows], coefs=link.coefs[rows], lower=link.lower[rows],
                   upper=link.upper[rows])


def _zeros_through_link(link: Link, zero: np.ndarray) -> None:
    """Mark in `zero` the values a link forces to zero once its other terms are known zero: every value is at
    least 0, so a row `sum(c x) <= upper` with upper <= 0 holds its positive terms at 0 when its negative terms
    are 0 (recipients at most paid payments; late payments at most paid payments), and `sum(c x) >= lower` with
    lower >= 0 holds its negative terms at 0 when its positive ones are (Rupiah at least the smallest payment
    times paid payments). A reader derives these from published figures. `link`: its _zero_forcing_rows."""
    known = link.terms(zero)
    positive, negative = link.coefs > 0, link.coefs < 0
    from_upper = (link.upper <= 1e-9) & (known | ~negative).all(axis=1)
    from_lower = (link.lower >= -1e-9) & (known | ~positive).all(axis=1)
    for k, m in enumerate(link.measures):
        forced = (from_upper & positive[:, k]) | (from_lower & negative[:, k])
        zero[link.cells[forced, k], m] = True


def _value_keys(table: CellTable, system: AttackSystem) -> np.ndarray:
    """Each variable's (measure, cell) as one integer: the same hidden value across rounds' systems."""
    return system.var_measure * table.n_cells + system.var_cell


def _settled(table: CellTable, earlier: Audit, system: AttackSystem) -> Settled:
    """The earlier results of each variable of `system` (not ok where the value was not a variable then)."""
    index = np.full(len(table.measures) * table.n_cells, -1, dtype=np.int64)
    index[_value_keys(table, earlier.system)] = np.arange(earlier.system.n_vars)
    was = index[_value_keys(table, system)]
    seen = was >= 0
    take = np.where(seen, was, 0)
    iv = earlier.intervals
    proven = np.where(seen, iv.proven[take], -np.inf) if iv.proven is not None else np.full(len(take), -np.inf)
    lifted = (iv.lifted[take] & seen) if iv.lifted is not None else np.zeros(len(take), bool)
    whole_lo = iv.whole_lo[take] if iv.whole_lo is not None else np.full(len(take), np.inf)
    whole_hi = iv.whole_hi[take] if iv.whole_hi is not None else np.full(len(take), -np.inf)
    return Settled(iv.lower[take], iv.upper[take], iv.exact[take] & seen, iv.ok[take] & seen, proven, lifted, seen,
                   whole_lo, whole_hi)


@dataclass
class Protection:
    suppressed: np.ndarray
    primary: np.ndarray
    audit: Audit
    rounds: int
    seconds: dict[str, float]
    #: Cells hidden by escalation (see `escalate`): the publisher's log and benchmarks only.
    escalated: int = 0
    #: Every cell that may be hidden is hidden (escalation went all the way to the largest pattern) and the audit
    #: still fails. (Not proof that no pattern passes: hidden cells bring requirements of their own.)
    exhausted: bool = False

    @property
    def secondary(self) -> np.ndarray:
        return self.suppressed & ~self.primary


def protect(table: CellTable, rules: ProtectionRules, forced_suppressed: np.ndarray | None = None,
            forced_published: np.ndarray | None = None, max_rounds: int = 40, patience: int = 12,
            workers: int = 1, repairs: bool = True, together: np.ndarray | None = None,
            label: str = "") -> Protection:
    """Find a suppression pattern that passes the LP audit.

    After the heuristic pattern, each round attacks every measure; for each value left too narrow, the rows
    binding at its LP optimum name the published cells that pin it, and the cheapest of them is hidden too.
    Hiding more never narrows another interval, but a partner can itself be pinned. When the repair names no
    cell, protect() escalates instead (see `escalate`): it hides the cells of the same slice under the region
    above each value still too narrow, one level higher each time, up to every cell it may hide. It gives up (the
    caller refuses to publish) when even that fails (`exhausted`), after `patience` rounds without fewer values
    too narrow, or after `max_rounds`. (Escalating on a stall as well made the whole demo's December
    continuation worse: its hidden partners brought pinned zeros and statuses of their own, 28 values too narrow
    became 298.) `forced_suppressed` / `forced_published` carry an earlier
    release's pattern forward; `workers`: threads of the attack; `repairs` False escalates at once (tests).
    `together`: pairs of cells (n, 2) hidden together or not at all, as far as neither must stay published (a
    month revised by late records and the late records' cell, when its earlier version is published: one
    without the other is the other's value). `label`: the table's name in progress lines (tables protected at
    once interleave them).
    """
    n = table.n_cells
    prefix = f"  {label} " if label else "  "
    forced_suppressed = np.zeros(n, bool) if forced_suppressed is None else forced_suppressed
    must_publish = (np.zeros(n, bool) if forced_published is None else forced_published) | grand_total(table)
    if table.unwritten is not None:
        # A total no release writes (a data-quality indicator withheld for the year: build.withhold_small_indicators).
        must_publish &= ~table.unwritten
    seconds = {"primary": 0.0, "secondary": 0.0, "audit": 0.0}

    start = time.perf_counter()
    primary = primary_suppression(table, rules.threshold)
    if (primary & must_publish).any():
        raise ValueError(f"{label + ': ' if label else ''}a cell that must stay published (grand total, or "
                         "published in an earlier release) is below the threshold")
    # Partners are chosen among cells worth hiding.
    allowed = ~must_publish & ~determined(table, must_publish | (table.size() <= 0), closure=True)
    seconds["primary"] = time.perf_counter() - start
    start = time.perf_counter()
    suppressed = _partners(table, primary | forced_suppressed, rules.threshold, allowed, together, must_publish)
    seconds["secondary"] += time.perf_counter() - start

    cost = suppression_cost(table, protection_value(table))
    best, stalled = np.inf, 0
    audit: Audit | None = None
    narrow_before = np.zeros(0, np.int64)
    steps: dict[tuple[int, int], int] = {}
    escalated, exhausted = 0, False
    nonempty = table.size() > 0
    memo = NeighbourhoodMemo()      # a neighbourhood no round or un-hide attempt changes is solved once
    for rounds in range(1, max_rounds + 1):
        budget.check()
        start = time.perf_counter()
        audit = audit_pattern(table, suppressed, rules, truth_anchor=True, previous=audit, workers=workers,
                              memo=memo)
        seconds["audit"] += time.perf_counter() - start
        # One progress line per round (the operator's log: counts of values, never which cells were small).
        log.info("%sround %d: %s hidden, %s values too narrow (%.1f s)", prefix, rounds, f"{int(suppressed.sum()):,}",
                 f"{audit.n_failing:,}", time.perf_counter() - start)
        if audit.passed:
            from anonymize.unhide import unhide  # here: anonymize.unhide builds on this module

            return unhide(table, rules, Protection(suppressed, primary, audit, rounds, seconds, escalated, exhausted),
                          forced_suppressed, workers, label=label, memo=memo)
        failing = audit.n_failing
        best, stalled = (failing, 0) if failing < best else (best, stalled + 1)
        if stalled >= patience:
            break
        start = time.perf_counter()
        narrow_now = _failing_keys(table, audit)
        added = repair(table, audit, suppressed, allowed, cost, rules.threshold,
                       stubborn=np.isin(narrow_now, narrow_before)) if repairs else np.zeros(0, np.int64)
        narrow_before = narrow_now
        if len(added) == 0:
            open_cells = allowed & nonempty & ~suppressed
            added = escalate(table, np.unique(audit.system.var_cell[~audit.intervals.ok]), steps, open_cells)
            if len(added) == 0:
                exhausted = not open_cells.any()
                break
            escalated += len(added)
            best, stalled = np.inf, 0
            log.info("%sescalation: %s more cells hidden under the regions above the values still too narrow",
                     prefix, f"{len(added):,}")
        suppressed[added] = True
        # New cells need partners in their own relations too.
        suppressed = _partners(table, suppressed, rules.threshold, allowed, together, must_publish)
        seconds["secondary"] += time.perf_counter() - start
    if audit is None:           # max_rounds < 1: no round ran
        raise ValueError("protect() needs max_rounds of at least 1")
    return Protection(suppressed, primary, audit, rounds, seconds, escalated, exhausted)


def _partners(table: CellTable, suppressed: np.ndarray, threshold: int, allowed: np.ndarray,
              together: np.ndarray | None, must_publish: np.ndarray) -> np.ndarray:
    """secondary_suppression, with the cells of each `together` pair hidden alike (and their partners found)."""
    suppressed = secondary_suppression(table, suppressed, threshold, allowed)
    if together is None or len(together) == 0:
        return suppressed
    # An empty cell is always published (a hidden cell is known not to be empty).
    together = together[(table.size()[together] > 0).all(axis=1)]
    for _ in range(20):
        either = suppressed[together].any(axis=1)
        add = together[either].ravel()
        # A cell published figures determine is never hidden for its pair: hiding it protects nothing, and its
        # pinned values would fail the attack (the national late-records year of a December revision).
        add = add[~suppressed[add] & ~must_publish[add] & allowed[add]]
        if len(add) == 0:
            break
        suppressed[add] = True
        suppressed = secondary_suppression(table, suppressed, threshold, allowed)
    return suppressed


def escalate(table: CellTable, cells: np.ndarray, steps: dict[tuple[int, int], int],
             open_cells: np.ndarray) -> np.ndarray:
    """Cells to hide for values the repair cannot free (in `cells`): for each such cell, the open cells of the
    same slice (program, period, channel...: every coordinate but the region) under the region one level above
    its own; each time the same cell's slice escalates again, one level higher; above the top, the open cells of
    the slice everywhere; once that is hidden too, every open cell. `steps` ((region node, slice) -> escalations
    so far) is updated.

    Hiding more never narrows an interval, so escalation can only widen the values it escalates for; it ends at
    the largest pattern (every cell hidden that may be) at the latest. Cells it hides bring their own
    requirements, though (a hidden zero or payment status may be pinned), so the count of values too narrow can
    grow on the way. Siblings in the region tree share the sums that pin a value; the slice keeps a stalled
    corner's cost in that corner. Raises nothing; returns the cells (possibly none).
    """
    region = table.coords[:, 0]
    dim = table.dimensions[0]
    if len(dim.families) != 1 or table.coords.shape[1] < 2:
        return np.flatnonzero(open_cells)
    parent = next(iter(dim.families.values()))
    # ancestors[k][node]: the node's ancestor k levels up (-1 above the top).
    ancestors = [np.arange(len(dim.codes))]
    while (ancestors[-1] >= 0).any():
        above = ancestors[-1]
        ancestors.append(np.where(above >= 0, parent[np.maximum(above, 0)], -1))
    strict = np.stack(ancestors[1:])            # strict ancestors of each node, nearest first
    slice_of = table.coords[:, 1:] @ np.cumprod([1, *[len(d.codes) for d in table.dimensions[1:]]])[:-1]
    chosen = np.zeros(table.n_cells, dtype=bool)
    for node, part in {(int(region[c]), int(slice_of[c])) for c in cells}:
        in_slice = open_cells & (slice_of == part)
        while True:     # up one level at a time, past subtrees with nothing left to hide
            level = steps[(node, part)] = steps.get((node, part), 0) + 1
            top = ancestors[level][node] if level < len(ancestors) else -1
            if top < 0:
                if not in_slice.any():
                    return np.flatnonzero(open_cells)
                chosen |= in_slice
                break
            under = (strict == top).any(axis=0)[region] & in_slice
            if under.any():
                chosen |= under
                break
    return np.flatnonzero(chosen)


def determined(table: CellTable, known: np.ndarray, closure: bool = False) -> np.ndarray:
    """Cells not worth hiding because cells known for good pin them: the last unknown member of a relation.

    Known cells are those that must stay published (an earlier release published them) and empty cells
    (published as 0). Only they count: a cell merely determined may still be hidden later. (A part close to a
    known total is not excluded: it is only bounded on one side, and hiding it with a sibling can protect both.)
    With `closure`, cells determined by known cells count as known in turn, to a fixpoint: they are never hidden
    either. In a later release, a program's year whose months are all published or empty (PKH pays in four months)
    is determined; with the grand total, so is the last program's national year, and then the region chain under
    it. Hiding such cells protects nothing (their values stay pinned) and left their payment statuses pinned.
    Relations readers derive from two nesting families count too (CellTable.difference_relations): a year and an
    earlier release's year-to-date, both published, pin a single new month (the grand total's November complaint
    statuses in a November continuation were hidden, pinned, and refused the release).
    """
    relations = [*table.relations, *table.difference_relations()]
    out = _determined_once(relations, table.n_cells, known)
    while closure and out.any():
        known = known | out
        more = _determined_once(relations, table.n_cells, known)
        if not more.any():
            break
        out |= more
    return out


def _determined_once(relations: list[Relation], n_cells: int, known: np.ndarray) -> np.ndarray:
    out = np.zeros(n_cells, dtype=bool)
    for relation in relations:
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


def _failing_keys(table: CellTable, audit: Audit) -> np.ndarray:
    """(measure, cell) of each value too narrow, as one integer, in the order of audit.intervals.ok == False."""
    return _value_keys(table, audit.system)[~audit.intervals.ok]


#: Partners hidden at once for a value still too narrow after the round before (a pin that one partner per
#: round does not move: e.g. two hidden months paid at different fixed Sembako batch sizes).
STUBBORN_PARTNERS = 3


def repair(table: CellTable, audit: Audit, suppressed: np.ndarray, allowed: np.ndarray,
           cost: np.ndarray, threshold: int, stubborn: np.ndarray | None = None) -> np.ndarray:
    """For each value the attack narrowed too much, hide published cells from the rows that bind it.

    A binding bound (distinct households over months or programs) names its published cell: a total that
    caps a hidden part is hidden; a part that floors a hidden total is hidden with every sibling close enough
    to bind next; a link to another cell (eligible households at most the registered ones) names that cell.
    Failing that, among the published members of the binding sums (those the value's cell is in, if any has
    one), the cheapest one large enough to protect itself and the narrowed cell (twice the threshold) is hidden,
    else the largest; for a `stubborn` value (too narrow the round before too), the STUBBORN_PARTNERS cheapest.
    """
    system, intervals = audit.system, audit.intervals
    narrowed = np.flatnonzero(~intervals.ok)
    if len(narrowed) == 0:
        return np.zeros(0, np.int64)
    open_cell = allowed & (table.size() > 0) & ~suppressed
    all_values = np.nan_to_num(table.values)     # once: a column per narrowed value was O(cells) each
    robust = 2.0 * threshold
    chosen: list[np.ndarray] = []
    by_var = system.by_var
    # The variables of each hidden cell (one per measure): a cell's measures are hidden together, and the links
    # between them carry a pin from one measure's sums to another's.
    order = np.argsort(system.var_cell, kind="stable")
    sorted_cells = system.var_cell[order]
    stubborn = np.zeros(len(narrowed), bool) if stubborn is None else stubborn
    # A value only presumed too narrow (in doubt in a component too large to attack whole) takes partners within
    # its own provinsi subtree where it can: its binding rows are a relaxation's, and partners across provinces
    # joined components into ever larger ones (national table: 54 presumed values in round 4, 3,041 in round 7).
    presumed = intervals.presumed if intervals.presumed is not None else np.zeros(len(intervals.ok), bool)
    nesting = table.nesting() if presumed[narrowed].any() else []
    province = nesting[-1] if nesting else None
    for var, escalate in zip(narrowed, stubborn, strict=True):
        values = all_values[:, system.var_measure[var]]
        rows = intervals.binding.get(int(var), np.zeros(0, np.int64))
        named = _bound_cells(table, system, rows, values, threshold)
        named = named[open_cell[named]]
        if province is not None and presumed[var] and (province[named] == province[system.var_cell[var]]).any():
            named = named[province[named] == province[system.var_cell[var]]]
        if len(named):
            chosen.append(named)
            continue
        cell = system.var_cell[var]
        siblings = order[np.searchsorted(sorted_cells, cell, "left"):np.searchsorted(sorted_cells, cell, "right")]
        mine = np.concatenate([by_var.indices[by_var.indptr[v]:by_var.indptr[v + 1]] for v in siblings])
        # Sums the cell's own values are in come first: a cheaper cell in a far-away sum seldom moves the pin.
        own = np.intersect1d(rows, mine)
        for sums in (own, rows):
            candidates = _binding_cells(table, system, sums)
            candidates = candidates[open_cell[candidates]]
            if province is not None and presumed[var]:
                inside = candidates[province[candidates] == province[cell]]
                candidates = inside if len(inside) else candidates
            if len(candidates):
                break
        if len(candidates):
            key = np.where(values[candidates] >= robust, cost[candidates], 1e15 - values[candidates])
            chosen.append(candidates[np.argsort(key, kind="stable")[:STUBBORN_PARTNERS if escalate else 1]])
    return np.unique(np.concatenate(chosen)) if chosen else np.zeros(0, np.int64)


def _bound_cells(table: CellTable, system: AttackSystem, rows: np.ndarray, values: np.ndarray,
                 threshold: int) -> np.ndarray:
    """Published cells named by binding bounds between a total and one part."""
    named = []
    for row in rows[system.row_cell[rows] >= 0]:
        cell = system.row_cell[row]
        if system.row_family[row] < 0:      # a link to another, published cell
            named.append(np.array([cell]))
            continue
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
    # Links within one hidden cell name no published cell.
    for row in rows[(system.row_cell[rows] < 0) & (system.row_family[rows] >= 0)]:
        relation = table.relations[system.row_family[row]]
        k = system.row_relation[row]
        cells.append(np.append(relation.parts[relation.ptr[k]:relation.ptr[k + 1]], relation.total[k]))
    return np.unique(np.concatenate(cells)) if cells else np.zeros(0, np.int64)
