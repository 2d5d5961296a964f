"""The attacker's linear system: what published cells and the table's relations say about suppressed cells."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy import sparse

from anonymize.table import Aggregation, CellTable, Link, Relation, Role

INF = np.inf


@dataclass
class AttackSystem:
    """The unknowns: a variable per hidden value (cell `var_cell`, measure `var_measure`); rows
    lower <= A x <= upper; var_lower <= x <= var_upper.

    Each row remembers where it came from (the index of its relation family in `table.relations` and the
    relation within it, or -1 and the index of its link in `table.links`; for a bound between one total and one
    part, or a link to another cell, the published cell involved), so that a binding row can name the published
    cells whose hiding would relax it.
    """

    measure: int               # the one measure of a per-measure system; -1 for the joint system
    var_cell: np.ndarray
    var_lower: np.ndarray
    var_upper: np.ndarray
    matrix: sparse.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    row_family: np.ndarray
    row_relation: np.ndarray
    row_cell: np.ndarray
    var_measure: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __post_init__(self) -> None:
        if len(self.var_measure) != len(self.var_cell):
            self.var_measure = np.full(len(self.var_cell), self.measure, dtype=np.int64)
        self.var_upper = np.broadcast_to(np.asarray(self.var_upper, dtype=np.float64), (len(self.var_cell),)).copy()

    @property
    def n_vars(self) -> int:
        return len(self.var_cell)

    @cached_property
    def by_var(self) -> sparse.csc_matrix:
        """`matrix` column by column, made once: the attack slices it by variables for every batch it solves (a
        column slice of the row-major matrix scans all of it: 8% of the national round 1's solver threads)."""
        return self.matrix.tocsc()


class _Rows:
    """Accumulates sparse rows in COO form."""

    def __init__(self) -> None:
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.lo: list[np.ndarray] = []
        self.hi: list[np.ndarray] = []
        self.n = 0

        self.origin: list[np.ndarray] = []

    def add(self, row: np.ndarray, col: np.ndarray, val: np.ndarray, lo: np.ndarray, hi: np.ndarray,
            origin: np.ndarray) -> None:
        """`row` holds local row numbers 0..len(lo)-1; they are offset to follow earlier rows.
        `origin` has one (family, relation, published cell or -1) triple per row."""
        self.r.append(row + self.n)
        self.c.append(col)
        self.v.append(val)
        self.lo.append(lo)
        self.hi.append(hi)
        self.origin.append(origin)
        self.n += len(lo)

    def build(self, n_vars: int) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray, np.ndarray]:
        if self.n == 0:
            return sparse.csr_matrix((0, n_vars)), np.zeros(0), np.zeros(0), np.zeros((0, 3), dtype=np.int64)
        matrix = sparse.csr_matrix(
            (np.concatenate(self.v), (np.concatenate(self.r), np.concatenate(self.c))), shape=(self.n, n_vars)
        )
        return matrix, np.concatenate(self.lo), np.concatenate(self.hi), np.concatenate(self.origin)


def build_attack_system(table: CellTable, suppressed: np.ndarray, measure: int) -> AttackSystem:
    """Every constraint on one measure that an attacker who sees all published cells can write.

    Relations come from the table's dimensions (exact sums, or bounds for distinct counts). An attacker also
    knows that a suppressed cell (not an unwritten one: table.unwritten) is not empty: where this measure is the
    only thing that can make the cell non-empty, its value is at least 1.
    """
    # A withheld value (table.withheld) is an unknown like a suppressed cell's, in every relation it is in.
    unknown = table.unknown(suppressed, measure)
    cells = np.flatnonzero(unknown & ~np.isnan(table.values[:, measure]))
    position = np.full(table.n_cells, -1, dtype=np.int64)
    position[cells] = np.arange(len(cells))
    rows = _Rows()
    spec = table.measures[measure]
    for family, relation in enumerate(table.relations):
        aggregation = spec.aggregation.get(relation.dimension)
        if aggregation is not None:
            _relation_rows(rows, table, family, relation, measure, aggregation, unknown, position)
    matrix, lower, upper, origin = rows.build(len(cells))
    return AttackSystem(measure, cells, _nonempty_lower(table, cells, measure, suppressed),
                        np.full(len(cells), _value_cap(table, suppressed, measure)), matrix, lower, upper,
                        origin[:, 0], origin[:, 1], origin[:, 2])


def _value_cap(table: CellTable, suppressed: np.ndarray, measure: int) -> float:
    """An upper bound on every value, from published values only: it keeps each LP bounded and well scaled.

    protect() never hides the grand total, which is at least every count of its kind (households, payments)
    or every amount; a measure blank on the grand total (eligible households) is still bounded by the
    registered households there. So twice the largest published value of the same unit is a safe cap (a
    huge cap such as 1e12 makes HiGHS numerically unstable).
    """
    is_amount = table.measures[measure].role is Role.AMOUNT
    same_unit = [m for m, spec in enumerate(table.measures) if (spec.role is Role.AMOUNT) == is_amount]
    published = table.values[~suppressed][:, same_unit]
    if table.withheld is not None:
        # Withheld values are not published: they must not set the cap (on the hot path: masks of these columns only).
        published = np.where(table.withheld[~suppressed][:, same_unit], np.nan, published)
    largest = float(np.nanmax(np.abs(published))) if np.isfinite(published).any() else 0.0
    return 2.0 * largest + 10.0


def _nonempty_lower(table: CellTable, cells: np.ndarray, measure: int, suppressed: np.ndarray) -> np.ndarray:
    """Per unknown of `measure` (`cells`): 1 where its cell is hidden and this measure alone can make it non-empty,
    else 0."""
    name = table.measures[measure].name
    if name not in table.nonempty_measures:
        return np.zeros(len(cells))
    others = [table.measure_index(n) for n in table.nonempty_measures if n != name]
    # A cell no release writes (table.unwritten) may be empty: a reader sees no mark of it. Nor is a published
    # cell known to be non-empty: its withheld value (table.withheld) may be 0.
    alone = np.ones(len(cells), dtype=bool) if table.unwritten is None else ~table.unwritten[cells]
    alone &= suppressed[cells]
    for other in others:
        alone &= np.isnan(table.values[cells, other])
    return alone.astype(np.float64)


@dataclass
class _Touched:
    """One family's relations for one measure, reduced to those with a suppressed member."""

    family: int
    relation: Relation
    position: np.ndarray       # cell -> variable index (-1 if published)
    part_rel: np.ndarray       # relation of each part
    supp_total: np.ndarray     # per relation: is its total a variable?
    supp_part: np.ndarray      # per part: is it a variable?
    touched: np.ndarray        # per relation: does it involve a variable?
    total_values: np.ndarray
    part_values: np.ndarray


def _relation_rows(rows: _Rows, table: CellTable, family: int, relation: Relation, m: int,
                   aggregation: Aggregation, suppressed: np.ndarray, position: np.ndarray) -> None:
    part_rel = relation.part_relation()
    total_values = table.values[relation.total, m]
    defined = relation.publishes(np.isnan(table.values[:, m]))
    supp_total = suppressed[relation.total] & defined
    supp_part = suppressed[relation.parts] & defined[part_rel]
    touched = defined & (supp_total | (np.bincount(part_rel, weights=supp_part, minlength=len(relation)) > 0))
    if not touched.any():
        return
    view = _Touched(family, relation, position, part_rel, supp_total, supp_part, touched, total_values,
                    np.nan_to_num(table.values[relation.parts, m]))
    if aggregation is Aggregation.SUM:
        row, col, val, rhs = _sum_terms(view)
        rows.add(row, col, val, rhs, rhs, _origin(view, np.flatnonzero(view.touched), -1))
    else:
        _bound_rows(rows, view)


def _origin(v: _Touched, relations: np.ndarray, cell: np.ndarray | int) -> np.ndarray:
    cells = np.broadcast_to(np.asarray(cell, dtype=np.int64), relations.shape)
    return np.column_stack([np.full(len(relations), v.family, dtype=np.int64), relations, cells])


def _sum_terms(v: _Touched) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Terms of `total - sum(parts)` per touched relation, published terms folded into a right-hand side."""
    n = len(v.relation)
    rel_ids = np.flatnonzero(v.touched)
    local = np.full(n, -1, dtype=np.int64)
    local[rel_ids] = np.arange(len(rel_ids))
    published_parts = np.bincount(v.part_rel, weights=np.where(v.supp_part, 0.0, v.part_values), minlength=n)
    rhs = published_parts - np.where(v.supp_total, 0.0, np.nan_to_num(v.total_values))
    t_ids = rel_ids[v.supp_total[rel_ids]]
    p_mask = v.supp_part & v.touched[v.part_rel]
    row = np.concatenate([local[t_ids], local[v.part_rel[p_mask]]])
    col = np.concatenate([v.position[v.relation.total[t_ids]], v.position[v.relation.parts[p_mask]]])
    val = np.concatenate([np.ones(len(t_ids)), -np.ones(int(p_mask.sum()))])
    return row, col, val, rhs[rel_ids]


def _bound_rows(rows: _Rows, v: _Touched) -> None:
    """max(parts) <= total <= sum(parts), for counts of distinct households."""
    row, col, val, rhs = _sum_terms(v)
    rows.add(row, col, val, np.full(len(rhs), -INF), rhs, _origin(v, np.flatnonzero(v.touched), -1))
    # total - part >= 0 for each part where either side is a variable; known sides move right.
    pairs = np.flatnonzero((v.supp_total[v.part_rel] | v.supp_part) & v.touched[v.part_rel])
    if len(pairs) == 0:
        return
    rel_of_pair = v.part_rel[pairs]
    total_is_var = v.supp_total[rel_of_pair]
    part_is_var = v.supp_part[pairs]
    rhs_pair = np.where(part_is_var, 0.0, v.part_values[pairs]) - np.where(
        total_is_var, 0.0, np.nan_to_num(v.total_values[rel_of_pair]))
    k = np.arange(len(pairs))
    tv, pv = np.flatnonzero(total_is_var), np.flatnonzero(part_is_var)
    row = np.concatenate([k[tv], k[pv]])
    col = np.concatenate([v.position[v.relation.total[rel_of_pair[tv]]], v.position[v.relation.parts[pairs[pv]]]])
    val = np.concatenate([np.ones(len(tv)), -np.ones(len(pv))])
    published_side = np.where(total_is_var, np.where(part_is_var, -1, v.relation.parts[pairs]),
                              v.relation.total[rel_of_pair])
    rows.add(row, col, val, rhs_pair, np.full(len(pairs), INF), _origin(v, rel_of_pair, published_side))


def build_joint_system(table: CellTable, suppressed: np.ndarray) -> AttackSystem:
    """Every constraint an attacker who sees all published cells can write, over every measure at once.

    The per-measure systems (relations along the dimensions) side by side, joined by the table's links: what
    every reader knows relates one measure to another (statuses add up to payments, Rupiah per payment lies
    within the program's published range, recipients are at most the paid payments...). Attacking one measure
    at a time misses what the others tell: a sibling's published Rupiah split by the programs' ranges narrows
    a hidden count.
    """
    parts = [build_attack_system(table, suppressed, m) for m in range(len(table.measures))]
    offsets = np.cumsum([0, *(p.n_vars for p in parts)])
    n_vars = int(offsets[-1])
    # Variable index of each (measure, cell), -1 where that value is published or does not apply.
    var_of = np.full((len(table.measures), table.n_cells), -1, dtype=np.int64)
    for m, part in enumerate(parts):
        var_of[m, part.var_cell] = offsets[m] + np.arange(part.n_vars)
    rows = _Rows()
    for m, part in enumerate(parts):
        coo = part.matrix.tocoo()
        rows.add(coo.row, coo.col + offsets[m], coo.data, part.row_lower, part.row_upper,
                 np.column_stack([part.row_family, part.row_relation, part.row_cell]))
    for index, link in enumerate(table.links):
        _link_rows(rows, table, index, link, var_of)
    matrix, lower, upper, origin = rows.build(n_vars)
    return AttackSystem(-1, np.concatenate([p.var_cell for p in parts]), np.concatenate([p.var_lower for p in parts]),
                        np.concatenate([p.var_upper for p in parts]), matrix, lower, upper,
                        origin[:, 0], origin[:, 1], origin[:, 2],
                        var_measure=np.repeat(np.arange(len(parts)), [p.n_vars for p in parts]))


def _link_rows(rows: _Rows, table: CellTable, index: int, link: Link, var_of: np.ndarray) -> None:
    """Rows lower <= sum_k coef_k * value(measure_k, cell_k) <= upper with a hidden term; published terms move
    into the bounds. A row whose terms do not all apply to their cells (NaN) says nothing and is dropped."""
    n_terms = link.cells.shape[1]
    values = link.terms(table.values)
    var = np.stack([var_of[link.measures[k], link.cells[:, k]] for k in range(n_terms)], axis=1)
    keep = ~np.isnan(values).any(axis=1) & (var >= 0).any(axis=1)
    if not keep.any():
        return
    values, var, coef = values[keep], var[keep], link.coefs[keep]
    known = np.where(var < 0, coef * values, 0.0).sum(axis=1)
    local = np.repeat(np.arange(len(var))[:, None], n_terms, axis=1)
    hidden = var >= 0
    # The published cell a row ties a hidden value to (another cell than the hidden one), for repair.
    other = np.where(hidden, -1, link.cells[keep]).max(axis=1)
    rows.add(local[hidden], var[hidden], coef[hidden], link.lower[keep] - known, link.upper[keep] - known,
             np.column_stack([np.full(len(var), -1, dtype=np.int64), np.full(len(var), index, dtype=np.int64),
                              other]))
