"""The LP/MIP attack on its own: an attacker who knows counts are whole numbers, and outer bounds per piece."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from anonymize.attack import Requirement, feasible_intervals
from anonymize.constraints import AttackSystem


def _system(rows: list[list[float]], lower: list[float], upper: list[float], n_vars: int) -> AttackSystem:
    matrix = sparse.csr_matrix(np.array(rows, dtype=float))
    n_rows = len(rows)
    return AttackSystem(-1, np.arange(n_vars), np.zeros(n_vars), np.full(n_vars, 1000.0), matrix,
                        np.array(lower, float), np.array(upper, float), np.full(n_rows, -1), np.zeros(n_rows, int),
                        np.full(n_rows, -1))


def test_whole_counts_narrow_an_interval_the_lp_shows_wide_enough():
    """x = 2y and x <= 9: the LP reaches x = 9 (with y = 4.5), so x spans 0-9, nine units, wide enough; a
    reader who knows both are whole counts finds x even, so at most 8. The audit must see the narrower one."""
    system = _system([[1.0, -2.0], [1.0, 0.0]], [0.0, -np.inf], [0.0, 9.0], 2)
    requirement = Requirement(np.array([9.0, 0.0]), np.ones(2, bool), np.zeros(2, bool))
    whole = feasible_intervals(system, requirement, anchor=np.array([4.0, 2.0]))
    assert whole.upper[0] == 8.0 and whole.lower[0] == 0.0
    assert not whole.ok[0]
    assert len(whole.binding[0]), "a value that fails keeps rows for the repair"
    # The same system with x a Rupiah amount (not whole): the LP's 0-9 stands.
    relaxed = feasible_intervals(system, Requirement(np.array([9.0, 0.0]), np.zeros(2, bool), np.zeros(2, bool)),
                                 anchor=np.array([4.0, 2.0]))
    assert relaxed.upper[0] == 9.0 and relaxed.ok[0]
