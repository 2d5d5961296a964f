"""The protected table: cells over hierarchical dimensions, their measures, and the relations an attacker can use."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd


class Aggregation(StrEnum):
    """How a measure of a total relates to the same measure of its parts along one dimension."""

    SUM = "sum"        # total = sum of parts (payments, Rupiah; households over regions)
    BOUND = "bound"    # max(parts) <= total <= sum(parts) (distinct households over months or programs)


class Role(StrEnum):
    """What a measure is, which decides how wide its feasible interval must stay when suppressed."""

    SENSITIVE = "sensitive"    # a count of households: drives primary suppression, interval >= threshold wide
    POPULATION = "population"  # a count that tracks households one-to-one (payments): interval >= threshold wide
    DETAIL = "detail"          # a sub-count (failed payments): must never be pinned to a non-zero value
    AMOUNT = "amount"          # Rupiah, in units of Rp1,000: see MeasureSpec.amount_unit
    #: A count every reader derives from published ones but that the release does not publish as such (payments of
    #: the larger of a program's two sizes: knowledge.larger_payments). An unknown where its cell is hidden, with
    #: every relation it is in; required nothing of its own (its cell's published measures give it away anyway).
    AUXILIARY = "auxiliary"


@dataclass(frozen=True)
class MeasureSpec:
    name: str
    role: Role
    #: Aggregation along each dimension; a dimension missing here does not relate this measure.
    aggregation: dict[str, Aggregation]
    #: Counts the attacker knows are whole numbers.
    integer: bool = True


@dataclass
class Dimension:
    """One axis of the table, e.g. region, program, period, channel.

    `families` lists the ways totals are made from parts. Each family maps a part's node index to its total's node
    index (-1 where the node is not a part in that family). A tree is one family; the period axis has one family
    for the year and one for each earlier release's year-to-date.
    """

    name: str
    codes: list[str]
    families: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.index = {code: i for i, code in enumerate(self.codes)}

    def add_family(self, name: str, part_to_total: dict[str, str]) -> None:
        mapping = np.full(len(self.codes), -1, dtype=np.int64)
        for part, total in part_to_total.items():
            mapping[self.index[part]] = self.index[total]
        self.families[name] = mapping

    def encode(self, values: np.ndarray) -> np.ndarray:
        codes = pd.Categorical(values, categories=self.codes).codes.astype(np.int64)
        if (codes < 0).any():
            unknown = sorted({str(v) for v, c in zip(values, codes, strict=True) if c < 0})[:5]
            raise ValueError(f"dimension {self.name} has no node(s) {unknown}")
        return codes


@dataclass
class Relation:
    """All relations of one family: relation k has total cell `total[k]` and parts `parts[ptr[k]:ptr[k+1]]`."""

    dimension: str
    family: str
    total: np.ndarray
    ptr: np.ndarray
    parts: np.ndarray

    def __len__(self) -> int:
        return len(self.total)

    def subset(self, keep: np.ndarray) -> Relation:
        """The relations where `keep` (per relation), in order."""
        counts = np.diff(self.ptr)[keep]
        return Relation(self.dimension, self.family, self.total[keep],
                        np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
                        self.parts[keep[self.part_relation()]])

    def part_relation(self) -> np.ndarray:
        """For each entry of `parts`, the index of its relation."""
        return np.repeat(np.arange(len(self.total)), np.diff(self.ptr))

    def publishes(self, missing: np.ndarray) -> np.ndarray:
        """Per relation: its total and every part hold the measure (`missing`: per cell, the measure does not
        apply, NaN). Only such a relation says anything to a reader: a measure not published at the parts'
        level leaves the total a plain number."""
        part_missing = np.bincount(self.part_relation(), weights=missing[self.parts], minlength=len(self))
        return ~missing[self.total] & (part_missing == 0)


@dataclass
class Link:
    """What every reader knows relates measures: lower[r] <= sum_k coefs[r, k] * value(measures[k], cells[r, k])
    <= upper[r] for every row r (e.g. failed + paid + returned + pending payments = payments of a cell; Rupiah
    at most the program's largest payment times paid payments). Values of a cell a measure does not apply to
    (NaN) make the row say nothing."""

    name: str
    measures: tuple[int, ...]
    cells: np.ndarray                  # (n_rows, n_terms) cell indices
    coefs: np.ndarray                  # (n_rows, n_terms)
    lower: np.ndarray                  # (n_rows,)
    upper: np.ndarray                  # (n_rows,)

    def terms(self, values: np.ndarray) -> np.ndarray:
        """(n_rows, n_terms): each term's entry of `values` (n_cells, n_measures, any dtype)."""
        return np.stack([values[self.cells[:, k], m] for k, m in enumerate(self.measures)], axis=1)

    def holds(self, values: np.ndarray, tolerance: float = 1e-6) -> np.ndarray:
        """Per row: do the true `values` (n_cells, n_measures) satisfy it (rows with a NaN term hold)?"""
        total = (self.coefs * self.terms(values)).sum(axis=1)
        with np.errstate(invalid="ignore"):
            ok = (total >= self.lower - tolerance) & (total <= self.upper + tolerance)
        return ok | np.isnan(total)


@dataclass
class CellTable:
    """Cells (one per combination of dimension nodes present), measure values, and their relations."""

    dimensions: list[Dimension]
    coords: np.ndarray                 # (n_cells, n_dims) node indices
    measures: list[MeasureSpec]
    values: np.ndarray                 # (n_cells, n_measures) float64; NaN where a measure does not apply
    #: Measures whose sum >= 1 is what "the cell is not empty" means (an attacker knows a suppressed cell is not).
    nonempty_measures: tuple[str, ...]
    relations: list[Relation] = field(default_factory=list)
    #: Relations between measures (see Link); added by the table's builder.
    links: list[Link] = field(default_factory=list)
    #: (n_cells, n_measures) or None: values that apply but are never published, even in a published cell (a
    #: household count whose publication would let readers subtract nested counts; see anonymize.differences).
    #: The attack holds each as an unknown with every relation it is in; in a published cell it has no
    #: requirement of its own (publishing it would have been allowed).
    withheld: np.ndarray | None = None
    #: (n_cells,) or None: cells held hidden because no release writes them (anonymize.tables.UNPUBLISHED). Unlike
    #: a hidden cell's, their emptiness is not known to a reader: the attack does not assume them non-empty.
    unwritten: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.coords = np.ascontiguousarray(self.coords, dtype=np.int64)
        self.values = np.ascontiguousarray(self.values, dtype=np.float64)
        self._strides = self._make_strides()
        self.keys = self.coords @ self._strides
        order = np.argsort(self.keys, kind="stable")
        self._sorted_keys = self.keys[order]
        self._sorted_cells = order
        if len(self._sorted_keys) > 1 and np.any(np.diff(self._sorted_keys) == 0):
            raise ValueError("CellTable has duplicate cells")
        if not self.relations:
            self.relations = self._build_relations()

    @property
    def n_cells(self) -> int:
        return len(self.coords)

    def unknown(self, suppressed: np.ndarray, measure: int | None = None) -> np.ndarray:
        """Which values a reader does not see: those of suppressed cells, and withheld ones. Per cell for one
        `measure`, else (n_cells, n_measures)."""
        if measure is not None:
            return suppressed if self.withheld is None else suppressed | self.withheld[:, measure]
        hidden = np.repeat(np.asarray(suppressed, dtype=bool)[:, None], len(self.measures), axis=1)
        return hidden if self.withheld is None else hidden | self.withheld

    def published_measures(self) -> list[str]:
        """Names of the measures a release publishes (every one but Role.AUXILIARY), in table order."""
        return [m.name for m in self.measures if m.role is not Role.AUXILIARY]

    def measure_index(self, name: str) -> int:
        return next(i for i, m in enumerate(self.measures) if m.name == name)

    def column(self, name: str) -> np.ndarray:
        return self.values[:, self.measure_index(name)]

    def dim_index(self, name: str) -> int:
        return next(i for i, d in enumerate(self.dimensions) if d.name == name)

    def size(self) -> np.ndarray:
        """Per cell, the sum of the non-empty measures (0 = empty cell, always published)."""
        columns = [np.nan_to_num(self.column(m)) for m in self.nonempty_measures]
        return np.sum(columns, axis=0)

    def lookup(self, coords: np.ndarray) -> np.ndarray:
        """Cell index of each coordinate row, or -1 where no such cell exists."""
        keys = np.asarray(coords, dtype=np.int64) @ self._strides
        pos = np.searchsorted(self._sorted_keys, keys)
        pos = np.minimum(pos, len(self._sorted_keys) - 1)
        found = self._sorted_keys[pos] == keys
        return np.where(found, self._sorted_cells[pos], -1)

    def nesting(self) -> list[np.ndarray]:
        """Per cell, the subtree of the first dimension (the region tree) it lies in, at every depth from the
        second-deepest (kecamatan, when desa are the leaves) up to the top's children: ever larger groups of
        cells that share their region's ancestors. A cell above a depth keeps its own region at that depth."""
        dim = self.dimensions[0]
        if len(dim.families) != 1:
            return []
        parent = next(iter(dim.families.values()))
        depth = np.zeros(len(dim.codes), dtype=np.int64)
        node = parent.copy()
        while (node >= 0).any():
            depth += node >= 0
            node = np.where(node >= 0, parent[np.maximum(node, 0)], -1)
        labels = []
        for level in range(int(depth.max(initial=0)) - 1, 0, -1):
            ancestor = np.arange(len(dim.codes))
            for _ in range(int(depth.max())):
                ancestor = np.where(depth[ancestor] > level, parent[ancestor], ancestor)
            labels.append(ancestor[self.coords[:, 0]])
        return labels

    def _make_strides(self) -> np.ndarray:
        sizes = [len(d.codes) for d in self.dimensions]
        strides = np.ones(len(sizes), dtype=np.int64)
        for i in range(len(sizes) - 2, -1, -1):
            strides[i] = strides[i + 1] * sizes[i + 1]
        if int(np.prod(np.array(sizes, dtype=np.float64))) >= 2**62:
            raise ValueError("table too large to key")
        return strides

    def _build_relations(self) -> list[Relation]:
        relations = []
        for d, dim in enumerate(self.dimensions):
            for family, mapping in dim.families.items():
                relation = self._family_relations(d, dim.name, family, mapping)
                if relation is not None:
                    relations.append(relation)
        return relations

    def difference_relations(self) -> list[Relation]:
        """Relations every reader derives from two families of one dimension whose parts nest: where a total `u`
        of family G sums parts that all belong to one total `t` of family F, t = u + (t's other parts). A year
        (through November) and an earlier release's year-to-date (`2025@10`) give year = 2025@10 + November: with
        both published, November is pinned though neither relation alone pins it. Only totals with one such `u`
        are taken. Used to find cells not worth hiding (protect.determined); the attack has both relations
        already, so these add nothing to it."""
        relations = []
        for d, dim in enumerate(self.dimensions):
            for f_name, f_map in dim.families.items():
                for g_name, g_map in dim.families.items():
                    in_g = g_map >= 0
                    if f_name == g_name or not in_g.any() or (f_map[in_g] < 0).any():
                        continue
                    mapping = np.full(len(dim.codes), -1, dtype=np.int64)
                    nested: dict[int, list[int]] = {}   # F-total -> the G-totals whose parts all sum into it
                    for u in np.unique(g_map[in_g]):
                        over = np.unique(f_map[g_map == u])
                        if len(over) == 1 and f_map[u] < 0:
                            nested.setdefault(int(over[0]), []).append(int(u))
                    for t, us in nested.items():
                        if len(us) == 1:
                            mapping[us[0]] = t
                            mapping[(f_map == t) & (g_map != us[0])] = t
                    relation = self._family_relations(d, dim.name, f"{f_name}-{g_name}", mapping)
                    if relation is not None:
                        relations.append(self._where_both_hold(relation, d, g_map, f_name, g_name))
        return relations

    def _where_both_hold(self, derived: Relation, d: int, g_map: np.ndarray, f_name: str, g_name: str) -> Relation:
        """The derived relations whose total `t` and part `u` are totals of relations of their own families (a
        year without month cells at a level says nothing of its months: year = 2025@10 would be false there)."""
        dim_name = self.dimensions[d].name
        totals = {family: set(next((r.total.tolist() for r in self.relations
                                    if r.dimension == dim_name and r.family == family), []))
                  for family in (f_name, g_name)}
        part_rel = derived.part_relation()
        g_totals = np.unique(g_map[g_map >= 0])
        is_u = np.isin(self.coords[derived.parts, d], g_totals) & np.isin(derived.parts, list(totals[g_name]))
        has_u = np.bincount(part_rel, weights=is_u, minlength=len(derived)) == 1
        return derived.subset(has_u & np.isin(derived.total, list(totals[f_name])))

    def _family_relations(self, d: int, dim_name: str, family: str, mapping: np.ndarray) -> Relation | None:
        total_node = mapping[self.coords[:, d]]
        part_cells = np.flatnonzero(total_node >= 0)
        if len(part_cells) == 0:
            return None
        total_coords = self.coords[part_cells].copy()
        total_coords[:, d] = total_node[part_cells]
        total_cells = self.lookup(total_coords)
        keep = total_cells >= 0
        part_cells, total_cells = part_cells[keep], total_cells[keep]
        order = np.lexsort((part_cells, total_cells))
        part_cells, total_cells = part_cells[order], total_cells[order]
        totals, starts = np.unique(total_cells, return_index=True)
        ptr = np.append(starts, len(part_cells)).astype(np.int64)
        return Relation(dim_name, family, totals.astype(np.int64), ptr, part_cells.astype(np.int64))


def table_from_frame(frame: pd.DataFrame, dimensions: list[Dimension], measures: list[MeasureSpec],
                     nonempty_measures: tuple[str, ...]) -> CellTable:
    """A CellTable from one row per cell: a column per dimension (node codes) and per measure."""
    coords = np.column_stack([dim.encode(frame[dim.name].to_numpy()) for dim in dimensions])
    values = frame[[m.name for m in measures]].to_numpy(dtype=np.float64, na_value=np.nan)
    return CellTable(dimensions, coords, measures, values, nonempty_measures)
