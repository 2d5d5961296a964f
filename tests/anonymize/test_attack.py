"""The LP/MIP attack on its own: an attacker who knows counts are whole numbers, and outer bounds per piece."""

from __future__ import annotations

import json
from pathlib import Path
from unittest.mock import patch

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from anonymize import attack, lp
from anonymize.attack import Requirement, _BatchLP, _mip_extreme, _mip_solver, feasible_intervals
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


def test_rupiah_whole_in_thousands_still_narrows_a_count_when_whole_points_are_sought_in_two_steps():
    """The whole-number check first seeks points with Rupiah fractional (Requirement.fine), then makes them whole
    with the counts fixed, and falls back to the MIP with every value whole where that vertex is fractional. x
    payments of Rp500 = a in Rp1,000 (2a = x), x <= 9: with counts fixed at x = 9 the Rupiah are 4.5, so only the
    fallback finds a reader's bound, x <= 8. The verdict must be that of the check without the two steps."""
    system = _system([[-1.0, 2.0], [1.0, 0.0]], [0.0, -np.inf], [0.0, 9.0], 2)
    width, integer, lenient = np.array([9.0, 0.0]), np.ones(2, bool), np.zeros(2, bool)
    staged = feasible_intervals(system, Requirement(width, integer, lenient, fine=np.array([False, True])),
                                anchor=np.array([4.0, 2.0]))
    plain = feasible_intervals(system, Requirement(width, integer, lenient), anchor=np.array([4.0, 2.0]))
    assert staged.upper[0] == plain.upper[0] == 8.0 and not staged.ok[0]


def _fixed_benefit() -> tuple[AttackSystem, np.ndarray, np.ndarray]:
    """Counts x + y = z (households in two desa and their kecamatan, z from 7 to 23) with Rupiah a = 300 x,
    b = 300 y, c = a + b in Rp1,000 (a fixed benefit); the rows and their bounds."""
    rows = np.array([[1, 1, -1, 0, 0, 0], [-300, 0, 0, 1, 0, 0], [0, -300, 0, 0, 1, 0], [0, 0, 0, 1, 1, -1],
                     [0, 0, 1, 0, 0, 0]], float)
    lower, upper = np.array([0, 0, 0, 0, 7], float), np.array([0, 0, 0, 0, 23], float)
    return _system(rows.tolist(), list(lower), list(upper), 6, var_upper=[1000.0] * 3 + [1e6] * 3), rows, \
        np.vstack([lower, upper])


def test_whole_points_sought_in_two_steps_are_whole_and_feasible():
    """The two steps (Rupiah fractional, then an LP with the counts fixed) find whole points, each feasible and
    whole in every value, without the MIP that keeps every value whole."""
    import highspy

    system, rows, bounds = _fixed_benefit()
    model = _BatchLP(system, np.arange(6)).highs.getLp()
    mip = attack._StagedMIP(model, np.ones(6, bool), np.array([False] * 3 + [True] * 3))
    rng = np.random.default_rng(1)
    with patch.object(attack, "_mip_point", wraps=attack._mip_point) as mip_point:
        for _ in range(6):
            point, solves = mip.point(rng.normal(size=6), 1.0)
            assert point is not None and solves == 2
            assert np.allclose(point, np.round(point))
            assert np.all(rows @ point >= bounds[0] - 1e-6) and np.all(rows @ point <= bounds[1] + 1e-6)
    assert all(call.args[0] is mip.coarse for call in mip_point.call_args_list)
    assert mip.coarse.getLp().integrality_[3] == highspy.HighsVarType.kContinuous


def test_bounds_found_in_two_steps_are_those_of_the_mip_with_every_value_whole():
    """Minimum and maximum of each value, exact (_exact_whole's) and outer (the near check's), in two steps and
    with every value whole in one MIP: the same numbers, the two steps never falling back to the full MIP here."""
    system, _, _ = _fixed_benefit()
    model = _BatchLP(system, np.arange(6)).highs.getLp()
    staged = attack._StagedMIP(model, np.ones(6, bool), np.array([False] * 3 + [True] * 3))
    plain = attack._StagedMIP(model, np.ones(6, bool))
    assert staged.staged and not plain.staged
    for local in range(6):
        for sense in (1.0, -1.0):
            value, optimal, _ = staged.extreme(local, sense, 5.0)
            assert (value, optimal) == plain.extreme(local, sense, 5.0)[:2] and optimal
            assert staged.outer(local, sense, 5.0)[0] == plain.outer(local, sense, 5.0)[0] == value
    assert staged._full is None, "every bound came from the two steps"
    assert plain.extreme(5, 1.0, 5.0)[0] == 300 * 23 and plain.extreme(0, -1.0, 5.0)[0] == 0


def _chained(n_chain: int, x_upper: float) -> tuple[AttackSystem, np.ndarray]:
    """x = 2y, x <= x_upper, y tied to a chain of n_chain more values (z_i + z_(i+1) <= 1000), one component of
    n_chain + 2 values; and true values (x = 4, y = 2, z = 1)."""
    n = n_chain + 2
    rows = [np.eye(1, n, 0)[0] - 2 * np.eye(1, n, 1)[0], np.eye(1, n, 0)[0]]
    rows += [np.eye(1, n, i)[0] + np.eye(1, n, i + 1)[0] for i in range(1, n - 1)]
    system = _system([list(r) for r in rows], [0.0, -np.inf] + [-np.inf] * (n - 2), [0.0, x_upper] + [1000.0] * (n - 2),
                     n)
    return system, np.array([4.0, 2.0] + [1.0] * n_chain)


def test_whole_counts_are_checked_in_a_component_above_the_full_mip_size_where_the_lp_is_near_failing():
    """The demo's 2024 release passed 10 desa's BLT Dana Desa recipients that an independent attacker's MIP pins
    ([2.03, 11.07] as an LP, [3, 7] whole): their components held 176-203 values, above MIP_UP_TO, where the audit
    attacked as an LP only. x = 2y, x <= 9 in a component of 150 values: the LP's 0-9 is wide enough, whole x is at
    most 8, and x's neighbourhood holds the rows that show it. A value whose LP interval is far from failing is
    not solved as a MIP there (cost)."""
    system, truth = _chained(148, 9.0)
    assert system.n_vars > attack.MIP_UP_TO
    requirement = Requirement(np.r_[9.0, np.zeros(system.n_vars - 1)], np.ones(system.n_vars, bool),
                              np.zeros(system.n_vars, bool))
    whole = feasible_intervals(system, requirement, anchor=truth)
    assert whole.upper[0] == 8.0 and not whole.ok[0]
    with patch.object(attack, "_near_check", return_value=0):
        lp_only = feasible_intervals(system, requirement, anchor=truth)
    assert lp_only.upper[0] == 9.0 and lp_only.ok[0], "without the check the LP's bound stands (the old audit)"
    # Far from failing (0-40 against a width of 9): no MIP there, and none is needed.
    wide, truth = _chained(148, 41.0)
    with patch.object(attack, "_near_whole", side_effect=AssertionError("no MIP for a value far from failing")):
        far = feasible_intervals(wide, requirement, anchor=truth)
    assert far.ok[0] and far.upper[0] >= 40.0


def test_the_neighbourhood_check_is_an_outer_bound_where_the_rows_reach_beyond_it():
    """With a neighbourhood smaller than the component, rows that reach outside it are dropped: a relaxation, so
    its MIP bounds are outer bounds and can only show a value too narrow when it is. x = 2y, x <= 9 tied to a
    chain: with 3 variables in a neighbourhood, x's rows are inside it and whole x is still at most 8."""
    system, truth = _chained(148, 9.0)
    requirement = Requirement(np.r_[9.0, np.zeros(system.n_vars - 1)], np.ones(system.n_vars, bool),
                              np.zeros(system.n_vars, bool))
    with patch.object(attack, "NEAR_MIP_VARS", 3):
        small = feasible_intervals(system, requirement, anchor=truth)
    assert small.upper[0] == 8.0 and not small.ok[0]
    assert set(small.binding[0].tolist()) <= {0, 1, 2}, "the repair is pointed at rows of the neighbourhood"


def test_a_neighbourhood_solved_once_is_not_solved_again_while_nothing_within_its_reach_changes():
    """protect() keeps the near check's neighbourhood bounds across its rounds and un-hide attempts
    (attack.NeighbourhoodMemo): an attack that builds the same neighbourhood MIP takes its bounds without solving,
    with the same verdict, interval and binding rows. One whose rows differ within the neighbourhood (the chain's
    first link at most 999 instead of 1000) is another MIP, solved anew."""
    memo = attack.NeighbourhoodMemo()
    system, truth = _chained(148, 9.0)
    changed, _ = _chained(148, 9.0)
    changed.row_upper[2] = 999.0
    requirement = Requirement(np.r_[9.0, np.zeros(system.n_vars - 1)], np.ones(system.n_vars, bool),
                              np.zeros(system.n_vars, bool))
    for attacked in (system, changed):
        hits = memo.hits
        with patch.object(attack, "_mip_bounds", wraps=attack._mip_bounds) as solved:
            first = feasible_intervals(attacked, requirement, anchor=truth, memo=memo)
        assert solved.called and memo.hits == hits, "a neighbourhood not seen before is solved"
        with patch.object(attack, "_mip_bounds", side_effect=AssertionError("solved again")):
            again = feasible_intervals(attacked, requirement, anchor=truth, memo=memo)
        assert memo.hits > hits
        assert not first.ok[0] and first.upper[0] == 8.0       # whole x is even: at most 8
        for name in ("lower", "upper", "exact", "ok"):
            assert np.array_equal(getattr(first, name), getattr(again, name)), name
        assert first.binding.keys() == again.binding.keys()
        assert all(np.array_equal(first.binding[var], again.binding[var]) for var in first.binding)


def test_a_value_is_near_failing_when_its_lp_interval_moved_in_by_the_margin_fails():
    """The filter of the check above, on the attacker's own case: [2.03, 11.07] must reach 10 households; moved in
    by 2 each side it is [4.03, 9.07]: near. [3, 40] moved in is [5, 38], wide enough: not near. A lower bound of
    zero stays (zero is whole): a value that passes when it may be zero, [0, 6], is not near."""
    requirement = Requirement(np.full(3, 1.0), np.ones(3, bool), np.array([False, False, True]),
                              min_upper=np.full(3, 10.0))
    state = attack._State.start(np.array([2.03, 3.0, 0.0]), np.array([11.07, 40.0, 6.0]), np.zeros(3, bool), {},
                                np.zeros(3), np.zeros(3, bool), np.ones(3, bool))
    near = attack._near_failing(requirement, state, np.arange(3))
    assert near.tolist() == [True, False, False]


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

    def counted(model):
        fresh[0] += 1
        return real_fresh_solver(model)

    objective = np.zeros(n)
    objective[1] = 1.0
    # No time at all for the warm solve: it stalls, and the fresh solver answers.
    real_fresh_solver = lp.fresh_solver
    with patch.object(lp, "WARM_SOLVE_SECONDS", 0.0), patch.object(lp, "fresh_solver", counted):
        point = solver.optimise(objective)[0]
    assert fresh[0] == 1 and point[1] == 10.0
    assert solver.highs.getOptionValue("presolve")[1] == "off"
    assert solver.highs.getOptionValue("simplex_strategy")[1] == 4
    objective = np.zeros(n)
    objective[2] = 1.0
    assert solver.optimise(objective)[0][2] == 10.0
    assert solver.highs.getInfo().simplex_iteration_count <= 2, "the next objective starts from the optimal basis"


def test_the_attacks_mips_run_no_heuristic_that_presolves_a_sub_mip():
    """HiGHS 1.15 presolves a heuristic's sub-MIP even with presolve off, and that presolve killed a national publish
    with SIGSEGV (RENS at the root node, in HPresolve::getRowPositions): every MIP of the attack runs without the
    heuristics that solve one, and without presolve."""
    import highspy

    # x + y = 3, both whole in [0, 9]: the attack's own model builder.
    model = lp.model(sparse.csc_matrix(np.ones((1, 2))), np.zeros(2), np.full(2, 9.0), np.array([3.0]),
                     np.array([3.0]))
    mip = _mip_solver(model, np.array([True, True]))
    assert set(attack.SUB_MIP_HEURISTICS) >= {"mip_heuristic_run_rens", "mip_heuristic_run_rins"}
    assert all(mip.getOptionValue(name)[1] is False for name in attack.SUB_MIP_HEURISTICS)
    assert mip.getOptionValue("presolve")[1] == "off"
    mip.run()
    assert mip.getModelStatus() == highspy.HighsModelStatus.kOptimal
    assert abs(sum(mip.getSolution().col_value) - 3.0) < 1e-9
