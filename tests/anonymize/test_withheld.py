"""Withheld values (CellTable.withheld): applying but never published, held by the attack as unknowns with every
relation they are in. The first step of closing the nested household counts (anonymize.differences): not yet
used by publish."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from anonymize.constraints import build_joint_system
from anonymize.protect import ProtectionRules, audit_pattern, known_zeros
from anonymize.table import Aggregation, CellTable, MeasureSpec, Role, table_from_frame
from anonymize.tables import region_dimension, star_dimension

THRESHOLD = 10
SUM, BOUND = Aggregation.SUM, Aggregation.BOUND


def _programs(semua_d1: int = 53) -> CellTable:
    """Kecamatan K with desa d1, d2; programs A and B overlap (a household may get both), so all programs
    (SEMUA) is bounded by its programs: max <= SEMUA <= sum. d1 has 3 households in A (small), 50 in B and
    `semua_d1` in all (53 true; K's figures stay those of 53)."""
    rows = [("d1", "A", 3), ("d1", "B", 50), ("d1", "SEMUA", semua_d1),
            ("d2", "A", 40), ("d2", "B", 45), ("d2", "SEMUA", 60),
            ("K", "A", 43), ("K", "B", 95), ("K", "SEMUA", 113)]       # K's own, whatever d1's SEMUA
    cells = pd.DataFrame(rows, columns=["region", "program", "recipients"])
    dims = [region_dimension(pd.DataFrame({"code": ["K", "d1", "d2"], "parent_code": [None, "K", "K"]})),
            star_dimension("program", "SEMUA", ["A", "B"])]
    measures = [MeasureSpec("recipients", Role.SENSITIVE, {"region": SUM, "program": BOUND})]
    return table_from_frame(cells, dims, measures, ("recipients",))


def _cells(table: CellTable, region: str, program: str) -> int:
    return int(table.lookup(np.array([[table.dimensions[0].index[region], table.dimensions[1].index[program]]]))[0])


def _with_semua_withheld(table: CellTable) -> CellTable:
    withheld = np.zeros_like(table.values, dtype=bool)
    for region in ("d1", "d2"):
        withheld[_cells(table, region, "SEMUA"), 0] = True
    return dataclasses.replace(table, withheld=withheld, relations=table.relations)


def _hidden(table: CellTable) -> np.ndarray:
    """d1's and d2's A cells (the small one and its partner in the kecamatan)."""
    hidden = np.zeros(table.n_cells, dtype=bool)
    hidden[[_cells(table, "d1", "A"), _cells(table, "d2", "A")]] = True
    return hidden


def test_a_withheld_value_is_an_unknown_of_the_attack_whatever_its_value():
    """The attacker's system is built without reading a withheld value: two tables that differ only there give
    the same system, and each withheld value is a variable of it."""
    hidden = _hidden(_programs())
    one, other = (build_joint_system(_with_semua_withheld(_programs(v)), hidden) for v in (53, 58))
    assert one.n_vars == 4          # two hidden A cells, two withheld SEMUA values
    for name in ("var_cell", "var_lower", "var_upper", "row_lower", "row_upper"):
        assert np.array_equal(getattr(one, name), getattr(other, name)), name
    assert (one.matrix != other.matrix).nnz == 0
    table = _programs()
    assert set(one.var_cell.tolist()) == {_cells(table, "d1", "A"), _cells(table, "d2", "A"),
                                          _cells(table, "d1", "SEMUA"), _cells(table, "d2", "SEMUA")}


def test_withholding_the_all_programs_count_widens_the_small_count_it_bounded():
    """Published, d1's all-programs count (53) with B's (50) shows A at least 3 (SEMUA <= A + B): the exact
    interval starts at 3. Withheld, the attack no longer reads 53, and A's lower bound falls; the withheld
    values themselves pass (nothing is required of them), and the audit passes or fails on the hidden cells
    only."""
    rules = ProtectionRules(THRESHOLD)
    table = _programs()
    hidden = _hidden(table)
    d1_a = _cells(table, "d1", "A")
    shown = audit_pattern(table, hidden, rules, exact_all=True)
    var = int(np.flatnonzero(shown.system.var_cell == d1_a)[0])
    assert shown.intervals.lower[var] >= 3 - 1e-6
    withheld = _with_semua_withheld(table)
    unseen = audit_pattern(withheld, hidden, rules, exact_all=True)
    var = int(np.flatnonzero(unseen.system.var_cell == d1_a)[0])
    assert unseen.intervals.lower[var] < 3 - 1e-6
    free = ~hidden[unseen.system.var_cell]
    assert free.sum() == 2 and unseen.intervals.ok[free].all()


def test_a_withheld_zero_is_not_a_zero_readers_know():
    """known_zeros() lets a hidden value be pinned at zero where published figures show it; a withheld zero is
    not published, so it shows nothing."""
    table = _programs()
    table.values[_cells(table, "d2", "B"), 0] = 0.0
    hidden = _hidden(table)
    d2_b = _cells(table, "d2", "B")
    assert known_zeros(table, hidden)[d2_b, 0]
    withheld = np.zeros_like(table.values, dtype=bool)
    withheld[d2_b, 0] = True
    assert not known_zeros(dataclasses.replace(table, withheld=withheld, relations=table.relations), hidden)[d2_b, 0]


def test_a_withheld_value_of_a_published_empty_cell_may_be_zero():
    """A hidden cell is known not to be empty (its count is at least 1 where nothing else makes it non-empty), but
    a published cell may be: its withheld count is a variable from 0. Desa d2 paid no one; its all-programs count
    (0) withheld, the attack must stay feasible and find it 0 (every program of d2 is a published 0), where a
    lower bound of 1 made the system infeasible."""
    rows = [("d1", "A", 40), ("d1", "B", 50), ("d1", "SEMUA", 80), ("d2", "A", 0), ("d2", "B", 0),
            ("d2", "SEMUA", 0), ("K", "A", 40), ("K", "B", 50), ("K", "SEMUA", 80)]
    cells = pd.DataFrame(rows, columns=["region", "program", "recipients"])
    dims = [region_dimension(pd.DataFrame({"code": ["K", "d1", "d2"], "parent_code": [None, "K", "K"]})),
            star_dimension("program", "SEMUA", ["A", "B"])]
    measures = [MeasureSpec("recipients", Role.SENSITIVE, {"region": SUM, "program": BOUND})]
    table = _with_semua_withheld(table_from_frame(cells, dims, measures, ("recipients",)))
    nothing_hidden = np.zeros(table.n_cells, dtype=bool)
    system = build_joint_system(table, nothing_hidden)
    d2 = int(np.flatnonzero(system.var_cell == _cells(table, "d2", "SEMUA"))[0])
    assert system.var_lower[d2] == 0.0
    audit = audit_pattern(table, nothing_hidden, ProtectionRules(THRESHOLD), exact_all=True)
    var = int(np.flatnonzero(audit.system.var_cell == _cells(table, "d2", "SEMUA"))[0])
    assert audit.intervals.lower[var] <= 1e-6 and audit.intervals.upper[var] <= 1e-6
    assert audit.passed
