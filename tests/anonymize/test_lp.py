"""The warm-started LP shared by the attack, the differences check and the published ranges (anonymize.lp)."""

from __future__ import annotations

from unittest.mock import patch

import highspy
import numpy as np
from scipy import sparse

from anonymize import lp


def _sum_model(n: int, total: float, upper: float = np.inf) -> highspy.HighsLp:
    """n non-negative columns summing to `total`, each at most `upper`."""
    return lp.model(sparse.csc_matrix(np.ones((1, n))), np.zeros(n), np.full(n, upper), [total], [total])


def _counting_fresh_solvers() -> tuple[list[int], object]:
    made = [0]
    real = lp.fresh_solver

    def counted(model: highspy.HighsLp) -> highspy.Highs:
        made[0] += 1
        return real(model)
    return made, counted


def test_a_large_models_first_objective_is_solved_fresh_and_the_next_warm():
    n = lp.FRESH_FIRST_ABOVE + 1
    solver = lp.WarmLP(_sum_model(n, 10.0))
    made, counted = _counting_fresh_solvers()
    cost = np.zeros(n)
    cost[0] = 1.0
    with patch.object(lp, "fresh_solver", counted):
        assert solver.solve(cost, highspy.ObjSense.kMaximize) == highspy.HighsModelStatus.kOptimal
        assert solver.objective() == 10.0 and solver.point()[0] == 10.0
        assert made[0] == 1
        cost = np.zeros(n)
        cost[5] = 1.0
        assert solver.solve(cost, highspy.ObjSense.kMaximize) == highspy.HighsModelStatus.kOptimal
    assert made[0] == 1, "the second objective was not warm"
    assert solver.point()[5] == 10.0
    assert solver.highs.getOptionValue("presolve")[1] == "off"


def test_a_small_models_objectives_are_all_warm():
    solver = lp.WarmLP(_sum_model(30, 10.0))
    made, counted = _counting_fresh_solvers()
    with patch.object(lp, "fresh_solver", counted):
        for k in range(3):
            cost = np.zeros(30)
            cost[k] = -1.0
            assert solver.solve(cost, highspy.ObjSense.kMinimize) == highspy.HighsModelStatus.kOptimal
            assert solver.objective() == -10.0
    assert made[0] == 0


def test_an_unbounded_objective_ends_at_once():
    """Nothing bounds a column from above: no fresh solver can do better, so no attempt follows the first."""
    model = lp.model(sparse.csc_matrix(np.array([[1.0, -1.0]])), np.zeros(2), np.full(2, np.inf), [0.0], [0.0])
    solver = lp.WarmLP(model)
    made, counted = _counting_fresh_solvers()
    with patch.object(lp, "fresh_solver", counted):
        status = solver.solve(np.array([1.0, 0.0]), highspy.ObjSense.kMaximize)
    assert status == highspy.HighsModelStatus.kUnbounded
    assert made[0] == 0


def test_an_infeasible_model_is_said_so_only_after_every_attempt():
    """Warm, fresh with presolve, fresh without: only the last attempt's "infeasible" is returned (presolve has
    called a consistent component infeasible)."""
    solver = lp.WarmLP(_sum_model(3, 10.0, upper=2.0))      # three columns of at most 2 cannot sum to 10
    made, counted = _counting_fresh_solvers()
    with patch.object(lp, "fresh_solver", counted):
        status = solver.solve(np.array([1.0, 0.0, 0.0]), highspy.ObjSense.kMaximize)
    assert status == highspy.HighsModelStatus.kInfeasible
    assert made[0] == 2
    assert solver.highs.getOptionValue("presolve")[1] == "off"
