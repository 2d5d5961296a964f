"""The LP/MIP attack on its own: an attacker who knows counts are whole numbers, and outer bounds per piece."""

from __future__ import annotations

import json
from pathlib import Path
from unittest.mock import patch

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from anonymize import attack
from anonymize.attack import Requirement, _BatchLP, _fresh_solver, _mip_extreme, _mip_solver, feasible_intervals
from anonymize.constraints import AttackSystem


def _system(rows: list[list[float]], lower: list[float], upper: list[float], n_vars: int,
            var_lower: list[float] | None = None, var_upper: list[float] | None = None) -> AttackSystem:
    """lower <= rows @ x <= upper, each variable within [var_lower, var_upper] (default 0 to 1000)."""
    matrix = sparse.csr_matrix(np.array(rows, dtype=float))
    n_rows = len(rows)
    var_lo = np.zeros(n_vars) if var_lower is None else np.array(var_lower, float)
    var_hi = np.full(n_vars, 1000.0) if var_upper is None else np.array(var_upper, float)
    return AttackSystem(-1, np.arange(n_vars), var_lo, var_hi, matrix,
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


def test_a_whole_number_check_that_finds_no_point_does_not_pass_on_the_lp_bound():
    """The exact MIP of the whole-number check can end without a whole point (its time limit on a loaded machine,
    or HiGHS's MIP wrongly calling the system infeasible). Then the LP bound, reached only at fractional points,
    must not stand: it passed a demo value a reader's own MIP pins to [1, 9]. The value falls back to the whole
    points seen and fails, whatever the machine's load."""
    system = _system([[1.0, -2.0], [1.0, 0.0]], [0.0, -np.inf], [0.0, 9.0], 2)
    requirement = Requirement(np.array([9.0, 0.0]), np.ones(2, bool), np.zeros(2, bool))
    with patch.object(attack, "_mip_extreme", lambda *args: (None, False)), \
            patch.object(attack, "_mip_point", lambda *args: None):
        timed_out = feasible_intervals(system, requirement, anchor=np.array([4.0, 2.0]))
    assert not timed_out.ok[0]
    assert timed_out.upper[0] <= 8.0, "the upper bound is one a whole point reaches"
    assert timed_out.lower[0] == 0.0 and not timed_out.exact[0]


def _unbounded(values: list[float | None], fill: float) -> np.ndarray:
    """JSON's nulls as infinite bounds."""
    return np.array([fill if v is None else v for v in values], float)


def test_the_whole_number_check_solves_a_system_highs_presolve_calls_infeasible():
    """HiGHS 1.15's MIP presolve calls this feasible system infeasible (a component of the demo's 2023 release,
    reduced; HiGHS issue 3296). The check must still find each count's exact whole-number maximum, the one a
    reader's MIP without presolve finds (scipy's milp, presolve off)."""
    model = json.loads((Path(__file__).parent / "data" / "highs_presolve_infeasible.json").read_text())
    matrix = sparse.csr_matrix((model["values"], (model["rows"], model["cols"])),
                               shape=(model["n_rows"], model["n_cols"]))
    row_lower, row_upper = _unbounded(model["row_lower"], -np.inf), _unbounded(model["row_upper"], np.inf)
    n = model["n_cols"]
    system = _system(matrix.toarray().tolist(), list(row_lower), list(row_upper), n,
                     model["var_lower"], model["var_upper"])
    mip = _mip_solver(_BatchLP(system, np.arange(n)).highs.getLp(), np.ones(n, bool))
    for var in (0, 5, 16):
        value, optimal = _mip_extreme(mip, n, var, 1.0)
        cost = np.zeros(n)
        cost[var] = -1.0
        reader = milp(cost, constraints=LinearConstraint(matrix, row_lower, row_upper),
                      bounds=Bounds(model["var_lower"], model["var_upper"]), integrality=np.ones(n),
                      options={"presolve": False})
        assert reader.status == 0
        assert value is not None and optimal
        assert value == round(-reader.fun)


def test_a_component_highs_presolve_calls_infeasible_does_not_spoil_its_batch():
    """The whole-number check packs components of up to 100 values into one MIP. Packed with the component above,
    any other component's MIP was 'infeasible' too, so its values kept their LP bounds: that is how the demo's 2023
    release passed 53.04.18's BLT Dana Desa recipients, which a reader's MIP pins to [1, 9] (its own 30-value
    component solves fine alone; packed with 34.04.16's, HiGHS called the batch infeasible). Here the other
    component is x = 2y, x <= 9: a whole x is at most 8, while the LP reaches 9."""
    model = json.loads((Path(__file__).parent / "data" / "highs_presolve_infeasible.json").read_text())
    n = model["n_cols"]
    demo = sparse.csr_matrix((model["values"], (model["rows"], model["cols"])), shape=(model["n_rows"], n))
    even = sparse.csr_matrix(np.array([[1.0, -2.0], [1.0, 0.0]]))
    matrix = sparse.block_diag([demo, even], format="csr")
    row_lower = np.concatenate([_unbounded(model["row_lower"], -np.inf), [0.0, -np.inf]])
    row_upper = np.concatenate([_unbounded(model["row_upper"], np.inf), [0.0, 9.0]])
    system = _system(matrix.toarray().tolist(), list(row_lower), list(row_upper), n + 2,
                     [*model["var_lower"], 0.0, 0.0], [*model["var_upper"], 1000.0, 1000.0])
    mip = _mip_solver(_BatchLP(system, np.arange(n + 2)).highs.getLp(), np.ones(n + 2, bool))
    assert _mip_extreme(mip, n + 2, n, 1.0) == (8.0, True)


def test_after_a_stalled_warm_solve_the_next_objective_is_warm_again():
    """A warm solve that runs out of time is solved again from scratch; from that optimum, the next objectives
    must be warm primal simplex again (left with presolve on, the fresh solver solved each later objective from
    scratch: 14-17 s each on a national component instead of 0.2 s)."""
    n = 40
    system = _system([[1.0] * n], [10.0], [10.0], n)
    solver = _BatchLP(system, np.arange(n))
    objective = np.zeros(n)
    objective[0] = 1.0
    assert solver.optimise(objective)[0][0] == 10.0
    fresh = [0]

    def counted(lp):
        fresh[0] += 1
        return _fresh_solver(lp)

    objective = np.zeros(n)
    objective[1] = 1.0
    # No time at all for the warm solve: it stalls, and the fresh solver answers.
    with patch.object(attack, "WARM_SOLVE_SECONDS", 0.0), patch.object(attack, "_fresh_solver", counted):
        point = solver.optimise(objective)[0]
    assert fresh[0] == 1 and point[1] == 10.0
    assert solver.highs.getOptionValue("presolve")[1] == "off"
    assert solver.highs.getOptionValue("simplex_strategy")[1] == 4
    objective = np.zeros(n)
    objective[2] = 1.0
    assert solver.optimise(objective)[0][2] == 10.0
    assert solver.highs.getInfo().simplex_iteration_count <= 2, "the next objective starts from the optimal basis"
