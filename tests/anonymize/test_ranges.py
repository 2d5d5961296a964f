"""Each hidden value's published range: it holds the true value, it is what the published figures alone give, and
it tells a reader with an LP solver nothing new (interval propagation is sound: it contains the LP's intervals)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import highspy
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymize import aggregate, ranges
from anonymize.audit import ReadBack, audit_key, audit_release
from anonymize.build import aggregate_frames, scope_regions
from anonymize.constraints import AttackSystem, build_joint_system
from anonymize.published import read_release, read_years
from anonymize.table import Aggregation, MeasureSpec, Role, table_from_frame
from anonymize.tables import AMOUNT_UNIT, period_dimension, region_dimension, star_dimension
from published_schema import CELL_TABLES, EARLIER_SUFFIX, RANGE_MEASURES, range_columns, table_range_columns
from settings import get_settings
from tests.anonymize.test_attack import _system

KEYS = {"disbursement_cells": ["region_code", "program", "period", "channel"],
        "complaint_cells": ["region_code", "category", "period"],
        "proposal_cells": ["region_code", "kind", "period"],
        "quality_cells": ["region_code", "indicator", "period"]}


def published_ranges(db: Path, table: str) -> pd.DataFrame:
    """The hidden cells of a table (and its `_earlier` table), and its published cells that publish a range (of a
    value left blank), with their ranges and hidden flag, read with plain SQL."""
    columns = ", ".join(f'"{c}"' for c in (*KEYS[table], *table_range_columns(table), "suppressed"))
    ranged = " OR ".join(["suppressed", *(f'"{c}" IS NOT NULL' for c in table_range_columns(table))])
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(f"SELECT {columns} FROM {table} WHERE {ranged} UNION ALL "
                           f"SELECT {columns} FROM {table}{EARLIER_SUFFIX} WHERE {ranged}").df()


def same_or_both_empty(mine: pd.Series, theirs: pd.Series, tolerance: float = 0) -> np.ndarray:
    """Per row: both empty, or both numbers within `tolerance`."""
    a, b = mine.astype("Float64").astype(float).to_numpy(), theirs.astype("Float64").astype(float).to_numpy()
    return (np.isnan(a) & np.isnan(b)) | (np.abs(a - b) <= tolerance)


@pytest.fixture(scope="module")
def true_cells(raw_db: Path) -> dict[str, pd.DataFrame]:
    """Every cell's true values, aggregated from the raw database as publish does (before any hiding)."""
    with duckdb.connect(str(raw_db), read_only=True) as raw:
        scope = aggregate.detect_scope(raw, None)
        frames = aggregate_frames(raw, scope, scope_regions(raw, scope), get_settings().late_after_days)
    return {name: frame.rename(columns={"region": "region_code"}) for name, frame in frames.items()}


@pytest.mark.parametrize("table", CELL_TABLES)
def test_every_hidden_value_lies_inside_its_published_range(release_db, true_cells, table):
    ranged = published_ranges(release_db, table)
    assert len(ranged) > 0
    both = ranged.merge(true_cells[table].drop(columns="suppressed", errors="ignore"), how="left", on=KEYS[table],
                        indicator=True)
    assert (both["_merge"] == "both").all(), "every hidden cell is a cell of the raw data's aggregates"
    hidden = both["suppressed"].astype(bool)
    for measure in RANGE_MEASURES[table]:
        low, high = range_columns(measure)
        truth = both[measure].astype("float64")
        outside = both[(truth < both[low]) | (truth > both[high])]
        assert outside.empty, outside[[*KEYS[table], low, measure, high]].head().to_string()
        # Every hidden cell has the range; not the trivial range of everything: most hidden cells are bounded
        # well below the grand total.
        assert both.loc[hidden, [low, high]].notna().all().all(), measure
        assert (both.loc[hidden, high] - both.loc[hidden, low] < both[high].max()).mean() > 0.5, measure
    if table == "disbursement_cells":
        # A desa's all-programs Rupiah left blank beside a hidden program has its range, holding the true sum; its
        # households are published (no range).
        blank = both[~hidden]
        assert len(blank) > 0 and (blank["region_code"].str.count(r"\.") == 3).all()
        assert (blank["program"] == "SEMUA").all()
        assert blank[["amount_lower", "amount_upper"]].notna().all().all()
        assert blank[["recipients_lower", "recipients_upper"]].isna().all().all()
        assert (blank["amount_upper"] > blank["amount_lower"]).all()


@pytest.mark.parametrize("table", CELL_TABLES)
def test_the_published_ranges_are_what_the_published_figures_alone_give(release_db, table):
    release = read_release(release_db)
    table_input, suppressed = next((t, s) for t, s in release.tables if t.name == table)
    computed = ranges.table_ranges(table_input, suppressed).frame.rename(columns={"region": "region_code"})
    on_file = published_ranges(release_db, table)
    both = on_file.merge(computed, how="outer", on=KEYS[table], suffixes=("", "_computed"), indicator=True)
    assert (both["_merge"] == "both").all()
    for column in table_range_columns(table):
        assert same_or_both_empty(both[column], both[f"{column}_computed"]).all(), column


@pytest.mark.parametrize("table", CELL_TABLES)
def test_the_published_ranges_are_the_narrowest_an_lp_attack_finds(release_db, table):
    """What a reader with an LP solver computes from the published tables alone (every hidden value's minimum and
    maximum, solved here independently of anonymize.ranges over the whole system), rounded outward to whole units,
    is what the file publishes: not just a sound range (an independent attack found published [61, 128] complaints
    where the figures gave [62, 93]) but the reader's own."""
    release = read_release(release_db)
    table_input, suppressed = next((t, s) for t, s in release.tables if t.name == table)
    system = build_joint_system(table_input.table, suppressed)
    # Only the values with a range are solved (the others keep NaN): two LPs each, over the whole system.
    ranged = np.isin(system.var_measure, [table_input.table.measure_index(m) for m in RANGE_MEASURES[table]])
    lp_lo, lp_hi = ranges.whole_bounds(*lp_intervals(system, only=ranged), True)
    by_cell = {}
    for measure in RANGE_MEASURES[table]:
        mine = system.var_measure == table_input.table.measure_index(measure)
        unit = AMOUNT_UNIT if measure == "amount" else 1
        by_cell[measure] = dict(zip(system.var_cell[mine], zip(lp_lo[mine] * unit, lp_hi[mine] * unit,
                                                                strict=True), strict=True))
    # Hidden cells, and published ones whose value the file leaves blank (read from the file, not from our code).
    frame = table_input.frame.reset_index(drop=True)
    written = published_ranges(release_db, table)
    blank = written.loc[~written["suppressed"].astype(bool), KEYS[table]].rename(columns={"region_code": "region"})
    at = frame.reset_index().merge(blank, on=list(blank.columns))["index"].to_numpy()
    assert len(at) == len(blank)
    rows = np.union1d(np.flatnonzero(suppressed), at)
    keys = frame.iloc[rows][[k if k != "region_code" else "region" for k in KEYS[table]]]
    expected = keys.rename(columns={"region": "region_code"}).reset_index(drop=True)
    for measure in RANGE_MEASURES[table]:
        low, high = range_columns(measure)
        # A published cell's published value has no range (its recipients beside a blank Rupiah).
        expected[low] = [by_cell[measure].get(cell, (np.nan, np.nan))[0] for cell in rows]
        expected[high] = [by_cell[measure].get(cell, (np.nan, np.nan))[1] for cell in rows]
    both = written.merge(expected, how="outer", on=KEYS[table], suffixes=("", "_lp"), indicator=True)
    assert (both["_merge"] == "both").all() and len(both) == len(rows) > 0
    for column in table_range_columns(table):
        # Rupiah bounds of Rp100 million and more come from the solver within its tolerance: one Rp1,000 unit of
        # float noise either way is forgiven (a re-solved LP gave 32,137,999.99 where the publisher's gave
        # 32,138,000); counts must match exactly.
        tolerance = AMOUNT_UNIT if column.startswith("amount") else 0
        same = same_or_both_empty(both[column], both[f"{column}_lp"], tolerance)
        assert same.all(), both.loc[~same, [*KEYS[table], column, f"{column}_lp"]].head().to_string()


def test_the_audit_fails_a_release_whose_range_is_not_the_published_figures(release_db, copy_release,
                                                                          anonymize_cli):
    current = copy_release(release_db)
    with duckdb.connect(str(current)) as con:
        con.execute("UPDATE disbursement_cells SET recipients_upper = recipients_upper - 1 WHERE rowid = "
                    "(SELECT min(rowid) FROM disbursement_cells WHERE suppressed)")
    code, out, _ = anonymize_cli("audit", current)
    assert code == 1
    assert "  ranges: 1 hidden cells publish a range other than the published figures give" in out.splitlines()
    assert out.splitlines()[-1].startswith("audit FAILED")


def test_a_blank_values_range_is_audited_and_one_left_out_is_not_a_difference(release_db, copy_release,
                                                                              anonymize_cli):
    """A desa's blank all-programs Rupiah publishes its range like a hidden cell's, and the audit compares it with
    the published figures' (one Rp1,000 wider fails); a release made before blank values had ranges (none
    published) still audits: a range left out tells a reader nothing."""
    current = copy_release(release_db)
    with duckdb.connect(str(current)) as con:
        blank = "NOT suppressed AND amount_lower IS NOT NULL"
        (count,) = con.execute(f"SELECT count(*) FROM disbursement_cells WHERE {blank}").fetchone()
        assert count >= 2
        con.execute(f"UPDATE disbursement_cells SET amount_upper = amount_upper + 1000 WHERE rowid = "
                    f"(SELECT min(rowid) FROM disbursement_cells WHERE {blank})")
        con.execute(f"UPDATE disbursement_cells SET amount_lower = NULL, amount_upper = NULL WHERE {blank} AND "
                    f"rowid > (SELECT min(rowid) FROM disbursement_cells WHERE {blank})")
    code, out, _ = anonymize_cli("audit", current)
    assert code == 1
    assert "  ranges: 1 hidden cells publish a range other than the published figures give" in out.splitlines()


def test_the_publishers_read_back_still_checks_the_ranges_on_file(release_db, copy_release):
    # publish hands the audit the tables and ranges it computed from the written file (ReadBack); a range that
    # differs on file from them must still fail the audit.
    years = read_years(release_db)
    computed = {audit_key(t.name, year.scope.year, years[-1].scope.year): t
                for year in years for t in ranges.release_ranges(year)}
    current = copy_release(release_db)
    with duckdb.connect(str(current)) as con:
        con.execute("UPDATE complaint_cells SET complaints_upper = complaints_upper + 1 WHERE rowid = "
                    "(SELECT min(rowid) FROM complaint_cells WHERE suppressed)")
    outcome = audit_release(current, read_back=ReadBack(years, computed))
    assert not outcome["passed"]
    assert {name: table["ranges_differ"] for name, table in outcome["tables"].items()} == {
        name: int(name == "complaint_cells") for name in CELL_TABLES}


def test_a_release_made_before_ranges_still_audits(release_db, copy_release, anonymize_cli):
    current = copy_release(release_db)
    with duckdb.connect(str(current)) as con:
        for table in CELL_TABLES:
            for name in (table, f"{table}{EARLIER_SUFFIX}"):
                for column in table_range_columns(table):
                    con.execute(f'ALTER TABLE {name} DROP COLUMN "{column}"')
    code, out, _ = anonymize_cli("audit", current)
    assert code == 0, out
    assert out.count("  ranges: not published (a release made before ranges were)\n") == len(CELL_TABLES)


# --- Against an LP: the ranges hold its intervals, and add nothing to them ---------------------------------------

def lp_intervals(system: AttackSystem, lower: np.ndarray | None = None, upper: np.ndarray | None = None,
                 only: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The exact interval of every variable (or of the `only` mask's; the others NaN) over the system's LP
    relaxation (HiGHS), with optional extra bounds."""
    matrix = system.matrix.tocsc()
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = system.n_vars, matrix.shape[0]
    lp.col_cost_ = np.zeros(system.n_vars)
    lp.col_lower_ = system.var_lower if lower is None else np.maximum(system.var_lower, lower)
    lp.col_upper_ = system.var_upper if upper is None else np.minimum(system.var_upper, upper)
    lp.row_lower_ = np.maximum(system.row_lower, -highspy.kHighsInf)
    lp.row_upper_ = np.minimum(system.row_upper, highspy.kHighsInf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_ = matrix.indptr.astype(np.int32), matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data.astype(np.float64)
    solver = highspy.Highs()
    solver.setOptionValue("output_flag", False)
    solver.passModel(lp)
    out = np.full((2, system.n_vars), np.nan)
    every = np.arange(system.n_vars, dtype=np.int32)
    for var in range(system.n_vars) if only is None else np.flatnonzero(only):
        for k, sense in enumerate((highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize)):
            cost = np.zeros(system.n_vars)
            cost[var] = 1.0
            solver.changeColsCost(system.n_vars, every, cost)
            solver.changeObjectiveSense(sense)
            solver.run()
            if solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                # Warm simplex can end "unknown" on a degenerate step (seen once the Sembako step rows, with
                # three variables and Rp400k coefficients, joined the system): a reader solves again from scratch.
                solver.clearSolver()
                solver.run()
            assert solver.getModelStatus() == highspy.HighsModelStatus.kOptimal
            out[k, var] = solver.getSolution().col_value[var]
    return out[0], out[1]


def check_against_lp(system: AttackSystem) -> None:
    """Propagation holds the LP's intervals; as published (rounded outward to whole units) it adds nothing."""
    lp_lo, lp_hi = lp_intervals(system)
    lo, hi = ranges.outer_bounds(system)
    tolerance = 1e-6 * np.maximum(1.0, np.abs(lp_hi))
    assert (lo <= lp_lo + tolerance).all() and (hi >= lp_hi - tolerance).all(), "propagation is sound"
    whole_lo, whole_hi = ranges.whole_bounds(lo, hi)
    with_ranges = lp_intervals(system, whole_lo, whole_hi)
    np.testing.assert_allclose(with_ranges[0], lp_lo, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(with_ranges[1], lp_hi, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("table", ["proposal_cells", "quality_cells"])
def test_on_the_release_the_ranges_add_nothing_to_an_lp_attack(release_db, table):
    """A published table's whole joint system (with its links between measures), attacked exactly."""
    table_input, suppressed = next((t, s) for t, s in read_release(release_db).tables if t.name == table)
    system = build_joint_system(table_input.table, suppressed)
    assert system.n_vars > 0
    check_against_lp(system)


SUM, BOUND = Aggregation.SUM, Aggregation.BOUND
MEASURES = [
    MeasureSpec("recipients", Role.SENSITIVE, {"region": SUM, "program": BOUND, "period": BOUND}),
    MeasureSpec("payments", Role.POPULATION, {"region": SUM, "program": SUM, "period": SUM}),
    MeasureSpec("amount", Role.AMOUNT, {"region": SUM, "program": SUM, "period": SUM}),
]


@st.composite
def random_systems(draw: st.DrawFn) -> AttackSystem:
    """The attack system of a random region × program × month table of random households, with a random set of
    hidden cells (hidden values unknown, as a release is read back)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    tree = {"K": None} | {f"K.{k}": "K" for k in range(draw(st.integers(1, 3)))}
    tree |= {f"{k}.{d}": k for k in list(tree)[1:] for d in range(draw(st.integers(1, 3)))}
    desa = [code for code in tree if code.count(".") == 2]
    months = draw(st.integers(1, 3))
    scope = aggregate.Scope(2025, months, ("K",))
    n = draw(st.integers(5, 80))
    payments = pd.DataFrame({"desa": rng.choice(desa, 4 * n), "household": rng.integers(0, n, 4 * n),
                             "program": rng.choice(["PKH", "SEMBAKO"], 4 * n),
                             "period": rng.choice(list(scope.months), 4 * n),
                             "amount": rng.integers(4, 40, 4 * n) * 25_000})
    payments["desa"] = payments.groupby("household")["desa"].transform("first")
    lineage = pd.DataFrame([(d, a) for d in desa for a in (d, tree[d], "K")], columns=["desa", "region"])
    paid, cells = payments.merge(lineage, on="desa"), []
    for program, period in ((None, None), ("SEMUA", None), (None, "2025"), ("SEMUA", "2025")):
        rows = paid.assign(**{k: v for k, v in (("program", program), ("period", period)) if v is not None})
        cells.append(rows.groupby(["region", "program", "period"]).agg(
            recipients=("household", "nunique"), payments=("household", "size"), amount=("amount", "sum")))
    grid = pd.MultiIndex.from_product([list(tree), ["SEMUA", "PKH", "SEMBAKO"], ["2025", *scope.months]],
                                      names=["region", "program", "period"])
    frame = pd.concat(cells).reindex(grid, fill_value=0).reset_index()
    dims = [region_dimension(pd.DataFrame({"code": list(tree), "parent_code": list(tree.values())})),
            star_dimension("program", "SEMUA", ["PKH", "SEMBAKO"]), period_dimension(scope)]
    table = table_from_frame(frame.assign(amount=frame["amount"] / AMOUNT_UNIT), dims, MEASURES, ("recipients",))
    # Zero is published: only non-empty cells are hidden (a reader knows a hidden cell is not empty).
    hidden = (rng.random(table.n_cells) < draw(st.floats(0.05, 0.5))) & (table.size() > 0)
    hidden[table.lookup(np.zeros((1, 3), dtype=np.int64))] = False   # the grand total stays published
    table.values[hidden] = 1.0
    return build_joint_system(table, hidden)


@settings(max_examples=25, deadline=None, database=None)
@given(random_systems())
def test_propagation_holds_the_lp_intervals_and_the_ranges_add_nothing_to_them(system):
    check_against_lp(system)


def test_unbounded_values_do_not_make_a_finite_term_vanish():
    """x - y <= 0 and x + z >= 100 with z in [0, 50]: x = 60, y = 60, z = 40 is feasible, so x's lower bound is
    at most 50 (it is 50). Infinite upper bounds once became 1.8e308, and 100 - 1.8e308 + 1.8e308 ... lost the
    finite part (x >= 100 was claimed)."""
    inf = np.inf
    system = _system([[1, -1, 0], [1, 0, 1]], [-inf, 100], [0, inf], 3, [0, 0, 0], [inf, inf, 50])
    lower = ranges.outer_bounds(system)[0]
    assert lower[0] == pytest.approx(50)


def test_a_zero_coefficient_says_nothing_about_its_variable():
    """x + 0 z = 5: x is 5 and z anything in its box (dividing by the zero once claimed no value of z fits)."""
    system = _system([[1, 0]], [5], [5], 2, [0, 0], [100, 100])
    lower, upper = ranges.outer_bounds(system)
    assert (lower[0], upper[0]) == (5, 5)
    assert (lower[1], upper[1]) == (0, 100)
