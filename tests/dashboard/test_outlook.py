"""The outlook's model on synthetic year cells: nested intervals, coherent sums, hidden values never read, partial
years left out, the Rupiah needed (eligible x the last year's rate, summed over programs) and a backtest whose reported
error equals an independent recomputation."""

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


def _projected_measures(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows projected and reconciled (not the need, derived from them)."""
    return frame[frame["measure"] != outlook.NEED]


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
    assert len(projected) == 8 * 6  # 8 regions x (SEMUA: 2 measures + PKH: 3 measures and its need)
    columns = ["lo_95", "lo_80", "forecast", "hi_80", "hi_95"]
    assert (np.diff(projected[columns].to_numpy(), axis=1) >= 0).all()
    assert (projected["lo_95"] >= 0).all()
    assert (projected["hi_95"] > projected["lo_95"]).all()
    assert _projected_measures(projected)["reconciled"].all()
    assert not projected.loc[projected["measure"] == outlook.NEED, "reconciled"].any()


def test_eligible_households_are_never_projected_for_all_programs() -> None:
    projected = outlook.project(make_cells(), outlook.outlook_plan(LAST_MONTHS))
    assert set(projected.loc[projected["program"] == ALL_PROGRAMS, "measure"]) == {"recipients", "amount"}


def test_reconciled_kabupaten_add_up_to_provinces_and_country() -> None:
    projected = _projected_measures(outlook.project(make_cells(), outlook.outlook_plan(LAST_MONTHS)))
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
    projected = _projected_measures(results[0]).set_index(["region_code", "program", "measure"]).sort_index()
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
    zero = _projected_measures(outlook.project(cells, outlook.outlook_plan(LAST_MONTHS))).set_index("region_code")
    assert (zero.loc["92.02", "status"] == outlook.NO_DATA).all()
    assert (zero.loc["92.02", ["forecast", "lo_95", "hi_95"]] == 0).all().all()
    assert zero.loc["92", "reconciled"].all()  # a zero kabupaten adds nothing: the province still adds up


# --- The Rupiah needed to pay every eligible household --------------------------------------------------------------

def _published(cells: pd.DataFrame, program: str, year: int) -> pd.DataFrame:
    """eligible_households, recipients, amount of one program and year, by region (no check of `suppressed`)."""
    rows = cells[(cells["program"] == program) & (cells["year"] == year)]
    return rows.set_index("region_code")[["eligible_households", "recipients", "amount"]].astype(float)


def _need_rows(projected: pd.DataFrame, program: str) -> pd.DataFrame:
    return projected[(projected["program"] == program) & (projected["measure"] == outlook.NEED)].set_index(
        "region_code").sort_index()


@pytest.mark.parametrize("months", [LAST_MONTHS, {**LAST_MONTHS, 2024: 9}], ids=["complete", "partial 2024"])
def test_need_is_projected_eligible_times_the_last_history_years_rate(months: dict[int, int]) -> None:
    cells = make_cells()
    plan = outlook.outlook_plan(months)
    projected = outlook.project(cells, plan)
    need = _need_rows(projected, "PKH")
    eligible = projected[(projected["program"] == "PKH") & (projected["measure"] == "eligible_households")]
    eligible = eligible.set_index("region_code").sort_index()
    last = _published(cells, "PKH", plan.history[-1]).reindex(need.index)  # 2023 when 2024 is partial
    rate = last["amount"] / last["recipients"]
    assert len(need) == 8 and (need["status"] == outlook.OK).all() and not need["reconciled"].any()
    np.testing.assert_allclose(need["rate"], rate, rtol=1e-12)
    for column in ("forecast", "lo_80", "hi_80", "lo_95", "hi_95", "se"):
        np.testing.assert_allclose(need[column], eligible[column] * rate, rtol=1e-12, err_msg=column)
    np.testing.assert_allclose(need["last_value"], last["eligible_households"] * rate, rtol=1e-12)
    assert (need["dof"] == eligible["dof"]).all() and (need["target_year"] == 2025).all()


@pytest.mark.parametrize("hide", ["suppressed", "amount", "recipients"])
def test_a_hidden_rate_in_the_last_year_hides_need_and_is_never_read(hide: str) -> None:
    plan = outlook.outlook_plan(LAST_MONTHS)
    cells = make_cells()
    row = (cells["region_code"] == "91.01") & (cells["program"] == "PKH") & (cells["year"] == 2024)
    results = []
    for garbage in (0.0, 1e12):
        changed = cells.copy()
        if hide == "suppressed":  # the whole cell hidden: its measures may hold anything
            changed.loc[row, "suppressed"] = True
            changed.loc[row, list(outlook.MEASURES)] = garbage
        else:  # one measure unpublished, the cell's other measures published
            changed.loc[row, hide] = np.nan
        results.append(outlook.project(changed, plan))
    pd.testing.assert_frame_equal(results[0], results[1])
    need = _need_rows(results[0], "PKH")
    assert need.loc["91.01", "status"] == outlook.HIDDEN
    assert need.loc["91.01", ["forecast", "lo_95", "hi_95", "last_value", "rate"]].isna().all()
    eligible = results[0].set_index(["region_code", "program", "measure"]).loc[("91.01", "PKH", "eligible_households")]
    assert eligible["status"] == (outlook.HIDDEN if hide == "suppressed" else outlook.OK)
    assert (need.drop(index="91.01")["status"] == outlook.OK).all()  # a need is not reconciled: no other is touched


def test_need_without_recipients() -> None:
    cells = make_cells()
    pkh = cells["program"] == "PKH"
    cells.loc[pkh & (cells["region_code"] == "91.01"), ["recipients", "amount"]] = 0  # never paid: no data
    cells.loc[pkh & (cells["region_code"] == "91.02") & (cells["year"] == 2024), ["recipients", "amount"]] = 0
    cells.loc[pkh & (cells["region_code"] == "92.02"), list(outlook.MEASURES)] = 0  # nobody eligible nor paid
    need = _need_rows(outlook.project(cells, outlook.outlook_plan(LAST_MONTHS)), "PKH")
    assert list(need.loc[["91.01", "91.02", "92.02", "92.01"], "status"]) == [
        outlook.NO_DATA, outlook.NO_RATE, outlook.NO_DATA, outlook.OK]
    assert (need.loc[["91.01", "92.02"], ["forecast", "lo_95", "hi_95"]] == 0).all().all()
    assert need.loc["91.02", ["forecast", "lo_95", "hi_95"]].isna().all()
    assert need.loc["92.02", "last_value"] == 0


def _two_programs(cells: pd.DataFrame) -> pd.DataFrame:
    """Projections of PKH and SEMBAKO, each computed alone (as the page does)."""
    plan = outlook.outlook_plan(LAST_MONTHS)
    return pd.concat([outlook.project(cells[cells["program"] == p], plan) for p in ("PKH", "SEMBAKO")],
                     ignore_index=True)


def test_all_programs_need_is_the_sum_of_the_programs() -> None:
    projected = _two_programs(make_cells(programs=("PKH", "SEMBAKO")))
    everything = outlook.all_programs_need([projected[projected["program"] == p] for p in ("PKH", "SEMBAKO")])
    everything = everything.set_index("region_code").sort_index()
    assert len(everything) == 8 and (everything["status"] == outlook.OK).all()
    assert (everything["program"] == ALL_PROGRAMS).all() and not everything["reconciled"].any()
    for column in ("forecast", "lo_80", "hi_80", "lo_95", "hi_95", "last_value"):
        expected = _need_rows(projected, "PKH")[column] + _need_rows(projected, "SEMBAKO")[column]
        np.testing.assert_allclose(everything[column], expected, rtol=1e-12, err_msg=column)


def test_all_programs_need_is_hidden_when_one_program_is() -> None:
    cells = make_cells(programs=("PKH", "SEMBAKO"))
    cells.loc[(cells["region_code"] == "91.02") & (cells["program"] == "PKH") & (cells["year"] == 2022),
              "suppressed"] = True
    cells.loc[(cells["region_code"] == "92.02") & (cells["program"] == "SEMBAKO"), list(outlook.MEASURES)] = 0
    projected = _two_programs(cells)
    everything = outlook.all_programs_need([projected]).set_index("region_code")
    assert everything.loc["91.02", "status"] == outlook.HIDDEN
    assert everything.loc["91.02", ["forecast", "lo_95", "hi_95"]].isna().all()
    # A program with nothing there adds nothing: the other program's need alone.
    assert everything.loc["92.02", "status"] == outlook.OK
    assert everything.loc["92.02", "forecast"] == _need_rows(projected, "PKH").loc["92.02", "forecast"]
    # A province is not reconciled from its kabupaten, so one hidden kabupaten does not hide it.
    assert (everything.drop(index="91.02")["status"] == outlook.OK).all()


@pytest.mark.parametrize(("statuses", "combined"), [
    ((outlook.OK, outlook.OK), outlook.OK),
    ((outlook.OK, outlook.NO_DATA), outlook.OK),
    ((outlook.NO_DATA, outlook.NO_DATA), outlook.NO_DATA),
    ((outlook.OK, outlook.HIDDEN), outlook.HIDDEN),
    ((outlook.SHORT, outlook.HIDDEN), outlook.HIDDEN),
    ((outlook.SHORT, outlook.OK), outlook.SHORT),
    ((outlook.NO_RATE, outlook.OK), outlook.NO_RATE),
    ((outlook.OK,), outlook.HIDDEN),  # the other program has no row for the region
])
def test_all_programs_need_status(statuses: tuple[str, ...], combined: str) -> None:
    rows = pd.DataFrame({"region_code": "91.01", "level": "kabupaten", "parent_code": "91",
                         "program": ["PKH", "SEMBAKO"], "measure": outlook.NEED, "status": [outlook.OK, outlook.OK],
                         "forecast": 1.0, "dof": 2.0, "target_year": 2025})
    other = rows.assign(region_code="91.02")  # a region where both programs are ok, so both programs are present
    rows = rows.iloc[:len(statuses)].assign(status=list(statuses))
    summed = outlook.all_programs_need([pd.concat([rows, other])]).set_index("region_code")
    assert summed.loc["91.01", "status"] == combined
    assert summed.loc["91.02", "status"] == outlook.OK


# --- The backtest, recomputed without statsmodels or hierarchicalforecast -------------------------------------------

@pytest.mark.parametrize(("seed", "holes"), [(1, False), (7, False), (7, True)])
def test_backtest_error_equals_independent_recomputation(seed: int, holes: bool) -> None:
    cells = make_cells(seed=seed, programs=(ALL_PROGRAMS, "PKH", "SEMBAKO"))
    if holes:  # a hidden kabupaten value (its province and the country unreconciled), a kabupaten of zeros, a hidden
        # truth and a hidden rate (amount) in the last history year
        def where(code: str, program: str, year: int | None = None) -> pd.Series:
            return ((cells["region_code"] == code) & (cells["program"] == program)
                    & (cells["year"] == year if year else True))

        cells.loc[where("91.02", "PKH", 2022), "suppressed"] = True
        cells.loc[where("92.02", "PKH"), list(outlook.MEASURES)] = 0
        cells.loc[where("92.01", "SEMBAKO", 2024), "suppressed"] = True
        cells.loc[where("91.03", "SEMBAKO", 2023), "amount"] = np.nan
    plan = outlook.backtest_plan(LAST_MONTHS)
    assert plan is not None
    tested = outlook.backtest(cells, plan)
    tested = pd.concat([tested, outlook.all_programs_need([tested])], ignore_index=True)
    reported = outlook.backtest_errors(tested)
    expected = recompute_errors(cells, list(plan.history), plan.target)
    reported = reported.set_index(["program", "measure", "level"]).sort_index()
    assert len(reported) == len(expected) == 11 * 3  # (SEMUA: 2 measures and need + 2 x (3 measures and need)) x 3
    expected = expected.reindex(reported.index)
    assert reported.loc[("PKH", "recipients", "kabupaten"), "series"] == (3 if holes else 5)
    # Need: PKH as its eligible households; SEMBAKO without 92.01 (hidden truth) and 91.03 (hidden rate); all
    # programs also without 91.02 (PKH hidden), but with 92.02 (PKH's zeros add nothing).
    counts = (reported.loc[(p, outlook.NEED, "kabupaten"), "series"] for p in ("PKH", "SEMBAKO", ALL_PROGRAMS))
    assert tuple(counts) == ((3, 3, 2) if holes else (5, 5, 5))
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
