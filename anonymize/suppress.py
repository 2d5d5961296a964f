"""Primary suppression (small household counts) and the secondary heuristic that gives each one partners."""

from __future__ import annotations

import numpy as np

from anonymize.table import Aggregation, CellTable, Relation, Role


def primary_suppression(table: CellTable, threshold: int) -> np.ndarray:
    """Cells with a household count from 1 to threshold - 1. Zero is not sensitive and stays published."""
    sensitive = [i for i, m in enumerate(table.measures) if m.role is Role.SENSITIVE]
    counts = table.values[:, sensitive]
    with np.errstate(invalid="ignore"):
        small = (counts >= 1) & (counts <= threshold - 1)
    return np.asarray(small.any(axis=1), dtype=bool)


def protection_value(table: CellTable) -> np.ndarray:
    """How many households a cell can hide others among: its largest household count."""
    sensitive = [i for i, m in enumerate(table.measures) if m.role is Role.SENSITIVE]
    return np.nan_to_num(table.values[:, sensitive]).max(axis=1)


def suppression_cost(table: CellTable, value: np.ndarray) -> np.ndarray:
    """Information lost by hiding a cell: its size, doubled for each dimension in which it is a total.

    Totals (a kecamatan, all programs, the whole year) are what most readers look at first, so detail cells are
    hidden in preference to them.
    """
    weight = np.ones(table.n_cells)
    for d, dim in enumerate(table.dimensions):
        is_total = np.zeros(len(dim.codes), dtype=bool)
        for mapping in dim.families.values():
            is_total[mapping[mapping >= 0]] = True
        weight *= np.where(is_total[table.coords[:, d]], 2.0, 1.0)
    return (value + 1.0) * weight


def secondary_suppression(table: CellTable, suppressed: np.ndarray, threshold: int,
                          allowed: np.ndarray, max_passes: int = 100) -> np.ndarray:
    """Add partners until every relation with a suppressed cell has two, and enough households among them.

    A relation's published total minus its published parts equals the sum of its suppressed parts: one
    suppressed part alone is pinned, and a few small ones together are narrowed. This only prepares a good
    starting pattern; the LP audit decides.
    """
    suppressed = suppressed.copy()
    nonempty = table.size() > 0
    value = protection_value(table)
    cost = suppression_cost(table, value)
    candidate = allowed & nonempty
    bounded = _bounded_measures(table)
    for _ in range(max_passes):
        added = 0
        for relation in table.relations:
            parts = [_partners(relation, suppressed, nonempty, candidate, value, cost, threshold)]
            parts += [_coupled(relation, suppressed, candidate, table.values[:, m], threshold)
                      for m in bounded.get(relation.dimension, [])]
            chosen = np.concatenate(parts)
            added += int((~suppressed[chosen]).sum())
            suppressed[chosen] = True
        if added == 0:
            break
    return suppressed


def _bounded_measures(table: CellTable) -> dict[str, list[int]]:
    """Per dimension, the household counts only bounded along it (distinct households over months...)."""
    bounded: dict[str, list[int]] = {}
    for m, spec in enumerate(table.measures):
        for dim, aggregation in spec.aggregation.items():
            if spec.role is Role.SENSITIVE and aggregation is Aggregation.BOUND:
                bounded.setdefault(dim, []).append(m)
    return bounded


def _coupled(relation: Relation, suppressed: np.ndarray, candidate: np.ndarray, counts: np.ndarray,
             threshold: int) -> np.ndarray:
    """Parts within the threshold of their total, hidden together with it.

    The total counts distinct households, so it is at least its largest part: when the same households are
    paid every month (or get every program), a published total caps a hidden part at its true value, and a
    published part floors a hidden total. Such a part and its total act as one cell.
    """
    part_rel = relation.part_relation()
    totals, parts = np.nan_to_num(counts[relation.total[part_rel]]), np.nan_to_num(counts[relation.parts])
    close = (totals - parts < threshold) & (parts > 0)
    total_hidden = suppressed[relation.total[part_rel]]
    part_hidden = suppressed[relation.parts]
    chosen = np.concatenate([relation.parts[close & total_hidden & ~part_hidden],
                             relation.total[part_rel[close & part_hidden & ~total_hidden]]])
    return chosen[candidate[chosen]]


def _partners(relation: Relation, suppressed: np.ndarray, nonempty: np.ndarray, candidate: np.ndarray,
              value: np.ndarray, cost: np.ndarray, threshold: int) -> np.ndarray:
    """Cells to hide so that, in every relation, hidden parts come at least in pairs with enough room.

    Only parts count as partners: a hidden total is itself pinned from above by its own published siblings,
    so it cannot stand in for a sibling. A hidden total needs a hidden part (else it equals the published
    parts' sum); a relation with one non-empty part (a kecamatan with one desa) hides total and part together.
    """
    part_rel = relation.part_relation()
    n = len(relation)
    parts = relation.parts
    live_part = nonempty[parts]
    supp_part = suppressed[parts] & live_part
    supp_total = suppressed[relation.total] & nonempty[relation.total]
    hidden_parts = np.bincount(part_rel, weights=supp_part, minlength=n)
    live_parts = np.bincount(part_rel, weights=live_part, minlength=n)
    slack = np.bincount(part_rel, weights=np.where(supp_part, value[parts] - 1, 0.0), minlength=n)
    deficit = np.maximum((threshold - 1) - slack, 0.0)
    single = live_parts == 1
    needs_part = (hidden_parts == 1) | ((hidden_parts >= 1) & (deficit > 0)) | (supp_total & (hidden_parts == 0))
    needs_part &= ~single
    needs_total = single & ((hidden_parts == 1) ^ supp_total)
    deficit = np.where(hidden_parts >= 1, np.maximum(deficit, 1.0), 1.0)

    open_part = candidate[parts] & ~suppressed[parts] & needs_part[part_rel]
    entries = np.flatnonzero(open_part)
    big_enough = (value[parts[entries]] - 1) >= deficit[part_rel[entries]]
    # Smallest sufficient part first; failing that, the largest part.
    order = np.lexsort((np.where(big_enough, cost[parts[entries]], -value[parts[entries]]),
                        ~big_enough, part_rel[entries]))
    entries = entries[order]
    _, first = np.unique(part_rel[entries], return_index=True)
    chosen = [parts[entries[first]]]
    # A single non-empty part and its total are one cell: hide whichever of the two is still published.
    single_rel = np.flatnonzero(needs_total)
    totals = relation.total[single_rel]
    chosen.append(totals[candidate[totals] & ~suppressed[totals]])
    lone_part = live_part & needs_total[part_rel] & ~suppressed[parts] & candidate[parts]
    chosen.append(parts[lone_part])
    return np.concatenate(chosen)
