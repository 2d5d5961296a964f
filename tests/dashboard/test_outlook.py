"""The outlook's model on synthetic year cells: nested intervals, coherent sums, hidden values never read, partial
years left out, and a backtest whose reported error equals an independent recomputation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from outlook_recompute import recompute_errors

from dashboard import outlook
from published_schema import ALL_PROGRAMS

YEARS = (2021, 2022, 2023, 2024)
#: Two provinces: 91 with three kabupaten, 92 with two.
KABUPATEN = {"91.01": "91", "91.02": "91", "91.03": "91", "92.01": "92", "92.02": "92"}


def make_cells(seed: int = 3, years: tuple[int, ...] = YEARS, programs: tuple[str, ...] = (ALL_PROGRAMS, "PKH"),
               ) -> pd.DataFrame:
    """Year cells of the kabupaten (a random walk each) and of their provinces and country (exact sums)."""
    rng = np.random.default_rng(seed)
    rows = []
    for program in programs:
        for code, parent in KABUPATEN.items():
            level = rng.uniform(2_000, 9_000)
            for year in years:
                level += rng.normal(80, 150)
                rows.append({"region_code": code, "level": "kabupaten", "parent_code": parent, "program": program,
                             "year": year, "suppressed": False,
                             "eligible_households": np.nan if program == ALL_PROGRAMS else round(level * 1.3),
                             "recipients": round(level), "amount": round(level) * rng.uniform(2.0e6, 2.6e6)})
    kab = pd.DataFrame(rows)
    measures = list(outlook.MEASURES)
    provinces = (kab.groupby(["parent_code", "program", "year"], as_index=False)[measures].sum(min_count=1)
                 .rename(columns={"parent_code": "region_code"}).assign(level="provinsi", parent_code="ID"))
    nation = (kab.groupby(["program", "year"], as_index=False)[measures].sum(min_count=1)
              .assign(region_code="ID", level="nasional", parent_code=None))
    sums = pd.concat([provinces, nation]).assign(suppressed=False)
    return pd.concat([kab, sums], ignore_index=True)[list(outlook.CELL_COLUMNS)]


LAST_MONTHS = dict.fromkeys(YEARS, 12)


def _ok(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["status"] == outlook.OK]


def test_plans_use_complete_consecutive_years() -> None:
    assert outlook.outlook_plan(LAST_MONTHS) == outlook.Plan((2021, 2022, 2023, 2024), 2025, None)
    partial = outlook.outlook_plan({**LAST_MONTHS, 2024: 10})
    assert partial == outlook.Plan((2021, 2022, 2023), 2025, 2024)
    assert partial.steps == 2
    assert outlook.backtest_plan(LAST_MONTHS) == outlook.Plan((2021, 2022, 2023), 2024, None)
    assert outlook.backtest_plan({2025: 9}) is None
    # A gap breaks the walk: only the consecutive run before the last year counts.
    assert outlook.outlook_plan({2019: 12, 2021: 12, 2022: 12}).history == (2021, 2022)


def test_intervals_are_nested_and_never_negative() -> None:
    projected = _ok(outlook.project(make_cells(), outlook.outlook_plan(LAST_MONTHS)))
    assert len(projected) == 8 * 5  # 8 regions x (SEMUA: 2 measures + PKH: 3 measures)
    columns = ["lo_95", "lo_80", "forecast", "hi_80", "hi_95"]
    assert (np.diff(projected[columns].to_numpy(), axis=1) >= 0).all()
    assert (projected["lo_95"] >= 0).all()
    assert (projected["hi_95"] > projected["lo_95"]).all()
    assert projected["reconciled"].all()


def test_eligible_households_are_never_projected_for_all_programs() -> None:
    projected = outlook.project(make_cells(), outlook.outlook_plan(LAST_MONTHS))
    assert set(projected.loc[projected["program"] == ALL_PROGRAMS, "measure"]) == {"recipients", "amount"}


def test_reconciled_kabupaten_add_up_to_provinces_and_country() -> None:
    projected = outlook.project(make_cells(), outlook.outlook_plan(LAST_MONTHS))
    keys = ["program", "measure"]
    kab = projected[projected["level"] == "kabupaten"].groupby([*keys, "parent_code"])["forecast"].sum()
    prov = projected[projected["level"] == "provinsi"].set_index([*keys, "region_code"])["forecast"]
    np.testing.assert_allclose(kab.sort_index().to_numpy(), prov.sort_index().to_numpy(), rtol=1e-9)
    nation = projected[projected["level"] == "nasional"].set_index(keys)["forecast"].sort_index()
    provinces = projected[projected["level"] == "provinsi"].groupby(keys)["forecast"].sum().sort_index()
    np.testing.assert_allclose(provinces.to_numpy(), nation.to_numpy(), rtol=1e-9)


def test_hidden_values_are_never_used() -> None:
    plan = outlook.outlook_plan(LAST_MONTHS)
    cells = make_cells()
    hide = (cells["region_code"] == "91.02") & (cells["year"] == 2022) & (cells["program"] == "PKH")
    results = []
    for garbage in (0.0, 1e12):
        # A hidden cell's row may hold anything: the model must not read it.
        changed = cells.copy()
        changed.loc[hide, "suppressed"] = True
        changed.loc[hide, list(outlook.MEASURES)] = garbage
        results.append(outlook.project(changed, plan))
    pd.testing.assert_frame_equal(results[0], results[1])
    projected = results[0].set_index(["region_code", "program", "measure"]).sort_index()
    assert (projected.loc[("91.02", "PKH"), "status"] == outlook.HIDDEN).all()
    assert projected.loc[("91.02", "PKH"), "forecast"].isna().all()
    # Its province cannot be reconciled with the kabupaten that remain (nor can the country); the other province is.
    assert not projected.loc[("91", "PKH"), "reconciled"].any()
    assert not projected.loc[("ID", "PKH"), "reconciled"].any()
    assert projected.loc[("92", "PKH"), "reconciled"].all()
    assert projected.loc[("91.02", ALL_PROGRAMS), "reconciled"].all()


def test_partial_year_is_not_used() -> None:
    months = {**LAST_MONTHS, 2024: 7}
    plan = outlook.outlook_plan(months)
    cells = make_cells()
    other = cells.copy()
    other.loc[other["year"] == 2024, list(outlook.MEASURES)] *= 3
    pd.testing.assert_frame_equal(outlook.project(cells, plan), outlook.project(other, plan))
    assert (outlook.project(cells, plan)["target_year"] == 2025).all()


def test_too_few_years_and_zero_series() -> None:
    cells = make_cells(years=(2023, 2024))
    short = outlook.project(cells, outlook.outlook_plan({2023: 12, 2024: 12}))
    assert (short["status"] == outlook.SHORT).all()
    assert short["forecast"].isna().all()
    cells = make_cells()
    cells.loc[cells["region_code"] == "92.02", list(outlook.MEASURES)] = 0
    zero = outlook.project(cells, outlook.outlook_plan(LAST_MONTHS)).set_index("region_code")
    assert (zero.loc["92.02", "status"] == outlook.NO_DATA).all()
    assert (zero.loc["92.02", ["forecast", "lo_95", "hi_95"]] == 0).all().all()
    assert zero.loc["92", "reconciled"].all()  # a zero kabupaten adds nothing: the province still adds up


# --- The backtest, recomputed without statsmodels or hierarchicalforecast -------------------------------------------

@pytest.mark.parametrize(("seed", "holes"), [(1, False), (7, False), (7, True)])
def test_backtest_error_equals_independent_recomputation(seed: int, holes: bool) -> None:
    cells = make_cells(seed=seed)
    if holes:  # a hidden kabupaten value (its province and the country unreconciled) and a kabupaten of zeros
        cells.loc[(cells["region_code"] == "91.02") & (cells["year"] == 2022) & (cells["program"] == "PKH"),
                  "suppressed"] = True
        cells.loc[(cells["region_code"] == "92.02") & (cells["program"] == "PKH"), list(outlook.MEASURES)] = 0
    plan = outlook.backtest_plan(LAST_MONTHS)
    assert plan is not None
    reported = outlook.backtest_errors(outlook.backtest(cells, plan))
    expected = recompute_errors(cells, list(plan.history), plan.target)
    reported = reported.set_index(["program", "measure", "level"]).sort_index()
    expected = expected.reindex(reported.index)
    assert len(reported) == 5 * 3  # (SEMUA: 2 measures + PKH: 3) x 3 levels
    assert reported.loc[("PKH", "recipients", "kabupaten"), "series"] == (3 if holes else 5)
    assert (reported["series"].to_numpy() == expected["series"].to_numpy()).all()
    for column in ("mape", "inside_80", "inside_95"):
        np.testing.assert_allclose(reported[column].to_numpy(), expected[column].to_numpy(), rtol=1e-6, atol=1e-9,
                                   err_msg=column)
    # The coverage is not trivially full on every row (otherwise the comparison above proves little).
    assert reported["inside_80"].min() < 100


def test_backtest_leaves_out_hidden_truths() -> None:
    cells = make_cells()
    hide = (cells["region_code"] == "92.01") & (cells["year"] == 2024)
    cells.loc[hide, "suppressed"] = True
    tested = outlook.backtest(cells, outlook.backtest_plan(LAST_MONTHS))
    assert tested.loc[tested["region_code"] == "92.01", "truth"].isna().all()
    table = outlook.backtest_errors(tested).set_index(["program", "measure", "level"])
    assert (table.xs("kabupaten", level="level")["series"] == 4).all()


def test_a_program_alone_is_projected_as_with_the_others() -> None:
    # The page computes (and caches) one program at a time: that must not change any figure.
    cells = make_cells()
    plan = outlook.outlook_plan(LAST_MONTHS)
    together = outlook.project(cells, plan)
    alone = outlook.project(cells[cells["program"] == "PKH"], plan)
    keys = ["region_code", "measure"]
    pd.testing.assert_frame_equal(
        together[together["program"] == "PKH"].sort_values(keys).reset_index(drop=True),
        alone.sort_values(keys).reset_index(drop=True))
