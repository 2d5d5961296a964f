"""One component's LP solved for one objective after another (HiGHS): warm, time-limited, recovered from stalls."""

from __future__ import annotations

import highspy
import numpy as np
from scipy import sparse

from anonymize import budget

#: Seconds a warm-started solve may take before it is redone from scratch (warm primal simplex can stall for
#: good on a degenerate LP: seen on a demo-sized table, one solve still running after 15 minutes).
WARM_SOLVE_SECONDS = 10.0
#: Models with more variables than this solve their first objective from scratch (dual simplex, presolve): warm
#: primal simplex has no basis yet, and on a whole component of a few thousand values it ran into
#: WARM_SOLVE_SECONDS again and again (the sparse continued set's first round: 340 s against 25 s; a continued
#: December's component of 9,436 values, first objective from scratch without presolve: 234 s).
FRESH_FIRST_ABOVE = 1000
#: Seconds for a from-scratch solve (dual simplex with presolve) before it gives up.
FRESH_SOLVE_SECONDS = 600.0


def model(by_col: sparse.csc_matrix, col_lower: np.ndarray, col_upper: np.ndarray, row_lower: np.ndarray,
          row_upper: np.ndarray) -> highspy.HighsLp:
    """A HiGHS model of rows `by_col` (rows x columns, column-major) with zero costs; infinite bounds are
    HiGHS's infinity."""
    lp = highspy.HighsLp()
    lp.num_row_, lp.num_col_ = by_col.shape
    lp.col_cost_ = np.zeros(by_col.shape[1])
    lp.col_lower_ = np.maximum(np.asarray(col_lower, dtype=np.float64), -highspy.kHighsInf)
    lp.col_upper_ = np.minimum(np.asarray(col_upper, dtype=np.float64), highspy.kHighsInf)
    lp.row_lower_ = np.maximum(np.asarray(row_lower, dtype=np.float64), -highspy.kHighsInf)
    lp.row_upper_ = np.minimum(np.asarray(row_upper, dtype=np.float64), highspy.kHighsInf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = by_col.indptr.astype(np.int32)
    lp.a_matrix_.index_ = by_col.indices.astype(np.int32)
    lp.a_matrix_.value_ = by_col.data.astype(np.float64)
    return lp


def fresh_solver(lp: highspy.HighsLp) -> highspy.Highs:
    """A solver that solves `lp` from scratch (HiGHS's defaults: dual simplex with presolve), within
    FRESH_SOLVE_SECONDS."""
    fresh = highspy.Highs()
    fresh.setOptionValue("output_flag", False)
    fresh.setOptionValue("time_limit", FRESH_SOLVE_SECONDS)
    fresh.passModel(lp)
    return fresh


class WarmLP:
    """One model whose objective changes from solve to solve (the attack's batches, the differences between
    releases and nested counts, the published ranges). Each objective is solved warm, by primal simplex from the
    last optimal basis (only the objective changed, so that basis stays feasible), within WARM_SOLVE_SECONDS; the
    first objective of a model of more than FRESH_FIRST_ABOVE columns, and any objective the warm solve stalls on,
    in a fresh solver (dual simplex with presolve), then once more without presolve (presolve has called a
    consistent component infeasible: float noise in its reductions); later objectives are warm again from that
    fresh solver's optimal basis.

    `highs` is the solver that solved last (its solution, duals and info are the last solve's)."""

    def __init__(self, lp: highspy.HighsLp) -> None:
        self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        self._warm_options(self.highs)
        self.highs.passModel(lp)
        self._every = np.arange(lp.num_col_, dtype=np.int32)
        self._fresh_next = lp.num_col_ > FRESH_FIRST_ABOVE

    @staticmethod
    def _warm_options(highs: highspy.Highs) -> None:
        highs.setOptionValue("presolve", "off")
        highs.setOptionValue("simplex_strategy", 4)     # primal simplex

    def solve(self, cost: np.ndarray, sense: highspy.ObjSense) -> highspy.HighsModelStatus:
        """Optimise `cost` (per column) in `sense`; the model status of the last attempt (kOptimal or kUnbounded
        end the attempts; anything else, a time limit, solver trouble or an infeasible verdict, moves on to the
        next, so that only the last attempt's infeasible is believed)."""
        budget.check()
        attempts = ("fresh", "no presolve") if self._fresh_next else ("warm", "fresh", "no presolve")
        self._fresh_next = False
        status = highspy.HighsModelStatus.kNotset
        for attempt in attempts:
            if attempt == "warm":
                # HiGHS's time limit counts the object's whole run time, so it is set relative to it.
                self.highs.setOptionValue("time_limit", self.highs.getRunTime() + WARM_SOLVE_SECONDS)
            else:
                self.highs = fresh_solver(self.highs.getLp())
                if attempt == "no presolve":
                    self.highs.setOptionValue("presolve", "off")
            self.highs.changeColsCost(len(cost), self._every, np.asarray(cost, dtype=np.float64))
            self.highs.changeObjectiveSense(sense)
            self.highs.run()
            if attempt != "warm":
                # From this solver's basis on, warm primal simplex again (left with presolve on, a fresh solver
                # solved each later objective from scratch: 14-17 s each on a national component against 0.2 s).
                self._warm_options(self.highs)
            status = self.highs.getModelStatus()
            if status == highspy.HighsModelStatus.kOptimal or status == highspy.HighsModelStatus.kUnbounded:
                return status
        return status

    def objective(self) -> float:
        return float(self.highs.getInfo().objective_function_value)

    def point(self) -> np.ndarray:
        """The last solve's point (per column)."""
        return np.asarray(self.highs.getSolution().col_value)
