"""The last pass of protect(): publish again the partners whose release still leaves every hidden value wide enough.

protect() adds partners until the attack fails; many turn out not to be needed once later partners are hidden.
This pass tries them again, most informative first, and keeps published those whose release the truth-anchored
attack still cannot exploit. The attack's independent components make that cheap: un-hiding cells of one
component changes only that component's system, so one attack tries a batch in every component at once, and a
failure is charged to the component whose values it narrowed (its batch is put back and halved: a bisection).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from anonymize.attack import WHOLE_UP_TO, Intervals, NeighbourhoodMemo
from anonymize.constraints import AttackSystem, build_joint_system
from anonymize.protect import Audit, Protection, ProtectionRules, _binding_cells, audit_pattern
from anonymize.suppress import protection_value
from anonymize.table import Aggregation, CellTable
from settings import get_settings

log = logging.getLogger(__name__)

#: Cells un-hidden at once per component at first; a batch the attack breaks is halved until single cells.
BATCH = 8
#: The largest batch: a component whose batch passed tries twice as many cells next.
MAX_BATCH = 64
#: Tables with more cells than this make at most LARGE_TABLE_ATTACKS attacks: a national disbursement table has
#: about 835,000, and each attack of it takes about 8 minutes on this 2-core machine; its two attacks published
#: 19,725 and 8,480 of 127,880 partners again (README, "Un-hiding").
LARGE_TABLE_CELLS = 200_000
LARGE_TABLE_ATTACKS = 2
#: Cells of a component with more hidden values than this are not tried: the attack takes such a component piece by
#: piece and then value by value in its neighbourhood (attack.WHOLE_UP_TO), minutes per attempt nationally (the
#: national complaint table's component: about 5 minutes an attempt, for 2 and 9 cells published again).
MAX_COMPONENT_VALUES = WHOLE_UP_TO
#: The pass ends after this many attacks in a row that publish nothing: what is left is mostly halving batches
#: down to cells that stay hidden. (The sparse demo's complaint table: 6 attacks, 286 s, nothing published.)
FRUITLESS_ATTACKS = 2


def unhide(table: CellTable, rules: ProtectionRules, protection: Protection, forced_suppressed: np.ndarray,
           workers: int = 1, max_attacks: int | None = None, label: str = "",
           memo: NeighbourhoodMemo | None = None) -> Protection:
    """Publish again what `protection` (a pattern that passed) hid only as partners, while the attack still fails.

    Candidates are hidden cells neither small (primary) nor hidden by an earlier release (`forced_suppressed`);
    nothing is ever hidden here, so cells an earlier release published stay published. Order: cells of regions
    where every non-empty cell is hidden (a citizen looking the region up finds nothing) first, then by household
    count, largest first. At most `max_attacks` attacks (default: settings' unhide_attacks; a count, not seconds,
    so that the result never depends on timing; LARGE_TABLE_ATTACKS for a table of more than LARGE_TABLE_CELLS),
    fewer once FRUITLESS_ATTACKS in a row publish nothing. The
    pattern returned passes the audit returned, which is the audit of exactly that pattern (so publish can reuse
    it for the release's tables). `label`: the table's name in progress lines. `memo`: the neighbourhood bounds of
    the rounds' attacks (attack.NeighbourhoodMemo), which each attempt adds to.
    """
    prefix = f"  {label} " if label else "  "
    limit = get_settings().unhide_attacks if max_attacks is None else max_attacks
    candidates = protection.suppressed & ~protection.primary & ~forced_suppressed
    if limit <= 0 or not candidates.any() or not protection.audit.passed:
        return protection
    if table.n_cells > LARGE_TABLE_CELLS and limit > LARGE_TABLE_ATTACKS:
        limit = LARGE_TABLE_ATTACKS
        log.info("%sun-hide: at most %d attack(s) (%s cells, more than %s)", prefix, limit, f"{table.n_cells:,}",
                 f"{LARGE_TABLE_CELLS:,}")
    start = time.perf_counter()
    search = _Search(table, rules, protection.suppressed.copy(), protection.primary, protection.audit, workers,
                     NeighbourhoodMemo() if memo is None else memo)
    order = _priority(table, protection.suppressed, candidates)
    pending = [int(cell) for cell in order]
    size = dict.fromkeys(pending, BATCH)    # per pending cell: the batch to try its component with next
    attacks = 0
    pending, too_large = search.tractable(pending)
    if too_large:
        log.info("%sun-hide: %s partners not tried (in components of more than %s hidden values)", prefix,
                 f"{too_large:,}", f"{MAX_COMPONENT_VALUES:,}")
    fruitless = 0
    while pending and attacks < limit and fruitless < FRUITLESS_ATTACKS:
        trial, dropped = search.pick(pending, size)
        if not trial:
            pending = [cell for cell in pending if cell not in dropped]
            continue
        published, broken = search.attempt(trial)
        attacks += 1
        fruitless = 0 if published else fruitless + 1
        for group, culprits in broken:
            if 0 < len(culprits) < len(group):
                dropped |= culprits         # the rest is tried again without them
            elif len(group) == 1:
                dropped |= set(group)
            else:
                size.update(dict.fromkeys(group, len(group) // 2))
        # A component whose batch passed takes larger batches from now on.
        grown = {search.picked_in(group[0]): min(2 * len(group), MAX_BATCH) for group in trial
                 if group[0] in published}
        for cell in pending:
            size[cell] = max(size[cell], grown.get(search.picked_in(cell), 0))
        done = set(published) | dropped
        pending = [cell for cell in pending if cell not in done]
        log.info("%sun-hide %d: %s tried, %s published again, %s kept hidden", prefix, attacks,
                 f"{sum(len(group) for group in trial):,}", f"{len(published):,}", f"{len(dropped):,}")
    final = search.final_audit()
    # The release's audit summary counts every LP the pattern took (the final audit reuses results: it solves none).
    final = replace(final, intervals=replace(final.intervals, lp_solves=search.lp_solves + final.intervals.lp_solves,
                                             seconds=search.lp_seconds + final.intervals.seconds))
    seconds = {**protection.seconds, "unhide": time.perf_counter() - start}
    if not final.passed:     # never expected: every component kept passed its own attack
        raise RuntimeError("the un-hidden pattern failed its final audit")
    log.info("%sun-hide: %s of %s partners published again in %d attacks (%.1f s)", prefix,
             f"{int(candidates.sum() - (search.suppressed & candidates).sum()):,}", f"{int(candidates.sum()):,}",
             attacks, seconds["unhide"])
    return replace(protection, suppressed=search.suppressed, audit=final, seconds=seconds)


def _priority(table: CellTable, suppressed: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Candidate cells, most informative first: cells of regions showing nothing, then largest household count."""
    region = table.coords[:, 0]
    nonempty = table.size() > 0
    shown = np.bincount(region, weights=nonempty & ~suppressed, minlength=len(table.dimensions[0].codes)) > 0
    cells = np.flatnonzero(candidates)
    value = protection_value(table)[cells]
    return cells[np.lexsort((cells, -value, shown[region[cells]]))]


def _labels(system: AttackSystem) -> np.ndarray:
    """The connected component of each variable of `system` (through its rows)."""
    m, n = system.matrix.shape
    coo = system.matrix.tocoo()
    graph = sparse.coo_matrix((np.ones(len(coo.data)), (coo.col, coo.row + n)), shape=(n + m, n + m))
    return connected_components(graph, directed=False)[1][:n]


@dataclass
class _Bank:
    """Attack results per hidden value (key: measure * n_cells + cell), valid for the component it is in as long as
    that component's cells stay as they were."""

    have: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    exact: np.ndarray
    ok: np.ndarray
    proven: np.ndarray
    lifted: np.ndarray
    whole_lo: np.ndarray
    whole_hi: np.ndarray

    @classmethod
    def empty(cls, size: int) -> _Bank:
        return cls(np.zeros(size, bool), np.zeros(size), np.zeros(size), np.zeros(size, bool), np.zeros(size, bool),
                   np.full(size, -np.inf), np.zeros(size, bool), np.full(size, np.inf), np.full(size, -np.inf))

    def store(self, keys: np.ndarray, audit: Audit, where: np.ndarray) -> None:
        """Keep the results of the audit's variables `where` (keys: each variable's key)."""
        iv, k = audit.intervals, keys[where]
        self.have[k] = True
        self.lower[k], self.upper[k], self.exact[k], self.ok[k] = (iv.lower[where], iv.upper[where],
                                                                   iv.exact[where], iv.ok[where])
        n = len(keys)
        self.proven[k] = (iv.proven if iv.proven is not None else np.full(n, -np.inf))[where]
        self.lifted[k] = (iv.lifted if iv.lifted is not None else np.zeros(n, bool))[where]
        self.whole_lo[k] = (iv.whole_lo if iv.whole_lo is not None else iv.lower)[where]
        self.whole_hi[k] = (iv.whole_hi if iv.whole_hi is not None else iv.upper)[where]

    def as_previous(self, table: CellTable, keep: np.ndarray, like: Audit) -> Audit | None:
        """The results of the values `keep` (a mask over keys) as an audit to pass as `previous=`: only its
        variables' cells and measures and its intervals are read there (protect._settled). None if there are none."""
        k = np.flatnonzero(keep & self.have)
        if len(k) == 0:
            return None
        cell, measure = k % table.n_cells, k // table.n_cells
        system = AttackSystem(-1, cell, np.zeros(len(k)), np.zeros(len(k)), sparse.csr_matrix((0, len(k))),
                              np.zeros(0), np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.int64),
                              np.zeros(0, np.int64), var_measure=measure)
        intervals = Intervals(self.lower[k], self.upper[k], self.exact[k], self.ok[k], {}, 0, 0, 0, 0.0,
                              self.proven[k], self.lifted[k], self.whole_lo[k], self.whole_hi[k])
        return Audit(table, system, intervals, like.requirement, self.lifted[k])


class _Search:
    """The pattern being thinned, its components, and the attack results still valid for them."""

    def __init__(self, table: CellTable, rules: ProtectionRules, suppressed: np.ndarray, primary: np.ndarray,
                 audit: Audit, workers: int, memo: NeighbourhoodMemo) -> None:
        self.table, self.rules, self.suppressed, self.workers, self.memo = table, rules, suppressed, workers, memo
        self.like = audit
        self.bank = _Bank.empty(len(table.measures) * table.n_cells)
        self.bank.store(self._keys(audit.system), audit, np.ones(audit.system.n_vars, bool))
        self._components(audit.system)
        self.primary = primary
        self._relations()
        self.lp_solves, self.lp_seconds = audit.intervals.lp_solves, audit.intervals.seconds

    def _relations(self) -> None:
        """Each cell's relations along a dimension some measure adds up over (a total and its parts), and per
        relation its hidden members and hidden small members."""
        summed = {d for spec in self.table.measures for d, how in spec.aggregation.items() if how is Aggregation.SUM}
        members, relation_of, offset = [], [], 0
        for relation in self.table.relations:
            if relation.dimension not in summed:
                continue
            members += [relation.total, relation.parts]
            relation_of += [np.arange(len(relation)) + offset, relation.part_relation() + offset]
            offset += len(relation)
        cells = np.concatenate(members) if members else np.zeros(0, np.int64)
        rel = np.concatenate(relation_of) if relation_of else np.zeros(0, np.int64)
        order = np.argsort(cells, kind="stable")
        self.member_relation = rel[order]
        self.member_ptr = np.searchsorted(cells[order], np.arange(self.table.n_cells + 1))
        self.hidden_members = np.bincount(rel, weights=self.suppressed[cells], minlength=offset).astype(np.int64)
        self.small_members = np.bincount(rel, weights=self.primary[cells] & self.suppressed[cells],
                                         minlength=offset).astype(np.int64)

    def _keys(self, system: AttackSystem) -> np.ndarray:
        return system.var_measure * self.table.n_cells + system.var_cell

    def _components(self, system: AttackSystem) -> None:
        """Each hidden cell's component in the current pattern (-1 for published cells)."""
        self.component = np.full(self.table.n_cells, -1, np.int64)
        self.component_of_value = _labels(system)
        self.component[system.var_cell] = self.component_of_value

    def pick(self, pending: list[int], size: dict[int, int]) -> tuple[list[list[int]], set[int]]:
        """Per component, its first pending cells, as many as the first one's batch size, leaving out cells whose
        release would leave a small cell the only hidden member of a relation (its sum would pin it). Returns the
        batches, and the cells that do so with the current pattern alone (since nothing is hidden again here,
        they always will)."""
        self.before = self.component.copy()
        groups: dict[int, list[int]] = {}
        sizes: dict[int, int] = {}
        taken = np.zeros(len(self.hidden_members), np.int64)     # per relation: its cells in the batches so far
        hopeless: set[int] = set()
        for cell in pending:
            comp = int(self.component[cell])
            if comp not in groups:
                groups[comp], sizes[comp] = [], size[cell]
            if len(groups[comp]) >= sizes[comp]:
                continue
            rels = self.member_relation[self.member_ptr[cell]:self.member_ptr[cell + 1]]
            lone = (self.hidden_members[rels] - 1 == 1) & (self.small_members[rels] > 0)
            if lone.any():
                hopeless.add(cell)
            elif not ((self.hidden_members[rels] - taken[rels] - 1 == 1) & (self.small_members[rels] > 0)).any():
                groups[comp].append(cell)
                taken[rels] += 1
        batches = [group for group in groups.values() if group]
        return sorted(batches, key=lambda group: group[0]), hopeless

    def picked_in(self, cell: int) -> int:
        """The cell's component when the last batches were picked."""
        return int(self.before[cell])

    def attempt(self, trial: list[list[int]]) -> tuple[set[int], list[tuple[list[int], set[int]]]]:
        """Un-hide every batch of `trial` and attack; keep the batches whose component still passes. Returns the
        cells published again, and the batches put back, each with its cells that the relations binding the
        values left too narrow name (the likely culprits)."""
        cells = np.concatenate([np.asarray(group, np.int64) for group in trial])
        pattern = self.suppressed.copy()
        pattern[cells] = False
        touched = np.isin(self.component, self.component[cells])
        # Results of the touched components no longer hold (they lose cells: a point seen before may set an
        # un-hidden value to another number); every other component's system is unchanged.
        keep = np.ones(len(self.bank.have), bool)
        keep.reshape(len(self.table.measures), self.table.n_cells)[:, touched] = False
        previous = self.bank.as_previous(self.table, keep, self.like)
        audit = audit_pattern(self.table, pattern, self.rules, truth_anchor=True, previous=previous,
                              workers=self.workers, memo=self.memo)
        self.lp_solves += audit.intervals.lp_solves
        self.lp_seconds += audit.intervals.seconds
        failing = np.flatnonzero(~audit.intervals.ok)
        bad_components = set(self.component[audit.system.var_cell[failing]].tolist())
        published = [c for group in trial if int(self.component[group[0]]) not in bad_components for c in group]
        named: dict[int, set[int]] = {}
        for var in failing:
            rows = audit.intervals.binding.get(int(var), np.zeros(0, np.int64))
            comp = int(self.component[audit.system.var_cell[var]])
            named.setdefault(comp, set()).update(_binding_cells(self.table, audit.system, rows).tolist())
        broken = [(group, named.get(int(self.component[group[0]]), set()) & set(group)) for group in trial
                  if int(self.component[group[0]]) in bad_components]
        good = ~np.isin(self.component[audit.system.var_cell], list(bad_components))
        self.bank.store(self._keys(audit.system), audit, good)
        gone = np.asarray(published, np.int64)
        self.bank.have.reshape(len(self.table.measures), self.table.n_cells)[:, gone] = False
        self.suppressed[gone] = False
        for cell in gone:
            self.hidden_members[self.member_relation[self.member_ptr[cell]:self.member_ptr[cell + 1]]] -= 1
        if len(gone):
            self._components(build_joint_system(self.table, self.suppressed))
        return set(published), broken

    def tractable(self, pending: list[int]) -> tuple[list[int], int]:
        """The pending cells whose component has at most MAX_COMPONENT_VALUES hidden values, and how many others
        there are (un-hiding cells only shrinks components, but those stay large: they are left hidden)."""
        values = np.bincount(self.component_of_value)
        # A hidden cell with no value to attack (component -1) is in no component: index -1 would read another's.
        kept = [cell for cell in pending
                if self.component[cell] < 0 or values[self.component[cell]] <= MAX_COMPONENT_VALUES]
        return kept, len(pending) - len(kept)

    def final_audit(self) -> Audit:
        """The audit of the current pattern, from results already held for every one of its components."""
        previous = self.bank.as_previous(self.table, np.ones(len(self.bank.have), bool), self.like)
        return audit_pattern(self.table, self.suppressed, self.rules, truth_anchor=True, previous=previous,
                             workers=self.workers, memo=self.memo)
