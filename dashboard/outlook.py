"""Next year's need per kabupaten/kota and province from published year cells, with 80% and 95% intervals, backtested.

The model is a random walk with drift per series (region x program x measure): next year = last year + the mean yearly
change, h years ahead = last + h x drift. statsmodels estimates the drift as the constant of an OLS on the yearly
changes; its residual variance s^2 and the drift's standard error give the h-step variance h s^2 + h^2 se(drift)^2,
and the intervals use Student's t with the OLS's degrees of freedom (with three or four years a normal interval would
be far too narrow). hierarchicalforecast then reconciles each (program, measure) so that kabupaten add up to their
province and provinces to the country (MinTrace with OLS weights; Normality gives the reconciled standard errors).

Only published values are used. A series whose history has a hidden value (or no value) is not projected, and its
province is then left unreconciled, because the kabupaten that remain no longer add up to it. Only complete years
(published through December) are history: a partial latest year is left out, and the projection is for the year
after it (two steps ahead). A series that is zero every year (BLT Dana Desa in a kota) is "no data".

The Rupiah needed to pay every eligible household (`need`) is derived, not projected: a program's projected eligible
households (and their bounds) x the region's own Rupiah per recipient household in the last history year, a rate
taken as known; for all programs the sum of the programs' needs and bounds. It is not reconciled: rates differ from
region to region, so needs do not add up over the hierarchy.

No Streamlit and no database here: frames in, frames out.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import sparse, stats

from published_schema import ALL_PROGRAMS, LEVELS

if TYPE_CHECKING:
    from hierarchicalforecast.utils import SMatrix

#: What is projected; eligible households are counted per program, so never for all programs together.
MEASURES = ("eligible_households", "recipients", "amount")
#: Interval levels, in percent.
INTERVALS = (80, 95)
#: The levels projected and reconciled, top down.
OUTLOOK_LEVELS = LEVELS[:3]
#: Two yearly changes at least: one for the drift and one degree of freedom for its spread.
MIN_YEARS = 3
#: Series statuses: projected, history with a hidden or missing value, too few years, zero in every year.
OK, HIDDEN, SHORT, NO_DATA = "ok", "hidden", "short", "no_data"
#: The derived measure: Rupiah needed to pay every eligible household (see the module's docstring).
NEED = "need"
#: A need's status when its program paid no household in the rate's year (though it did before): no rate to use.
NO_RATE = "no_rate"
#: Columns of the cells `project` takes (one row per region, program and year; `parent_code` of a kabupaten is its
#: province, of a province the country).
CELL_COLUMNS = ("region_code", "level", "parent_code", "program", "year", "suppressed", *MEASURES)
#: What identifies a series besides its measure.
_KEYS = ["region_code", "level", "parent_code", "program"]
#: A projection's columns that scale with the rate and add up over programs.
_AMOUNTS = ["last_value", "forecast", "se", *(f"{end}_{level}" for level in INTERVALS for end in ("lo", "hi"))]
_MODEL = "RWD"
_RECONCILER = f"{_MODEL}/MinTrace_method-ols"
#: hierarchicalforecast reads a standard error back from a normal interval; 80% is as good as any level for that.
_Z_LEVEL = 80


@dataclass(frozen=True)
class Plan:
    """Which years a projection uses: `history` (complete, consecutive years) and the year projected."""

    history: tuple[int, ...]
    target: int
    partial: int | None  # the latest published year, left out because it is not complete

    @property
    def last(self) -> int | None:
        """The last history year (None without history)."""
        return self.history[-1] if self.history else None

    @property
    def steps(self) -> int:
        return self.target - self.last if self.last is not None else 0


def complete_years(last_months: Mapping[int, int]) -> list[int]:
    """The published years through December, in order ({year: its last published month})."""
    return sorted(int(y) for y, month in last_months.items() if int(month) == 12)


def _consecutive_tail(years: Sequence[int]) -> tuple[int, ...]:
    """The longest run of consecutive years ending at the last one (a random walk steps one year at a time)."""
    run = list(years[-1:])
    for year in reversed(years[:-1]):
        if year != run[0] - 1:
            break
        run.insert(0, year)
    return tuple(run)


def outlook_plan(last_months: Mapping[int, int]) -> Plan:
    """Project the year after the latest published one from the complete years before it."""
    latest = max(int(y) for y in last_months)
    complete = complete_years(last_months)
    return Plan(_consecutive_tail(complete), latest + 1, None if latest in complete else latest)


def backtest_plan(last_months: Mapping[int, int]) -> Plan | None:
    """Project the last complete year from the complete years before it; None without a complete year."""
    complete = complete_years(last_months)
    if not complete:
        return None
    return Plan(_consecutive_tail(complete[:-1]), complete[-1], None)


def _series(cells: pd.DataFrame, years: Sequence[int]) -> pd.DataFrame:
    """One row per region, program and measure, a column per year: the published value, NaN where hidden or absent."""
    frame = cells[cells["year"].isin(years)].copy()
    frame[list(MEASURES)] = frame[list(MEASURES)].astype("float64")
    # A suppressed cell's measures are never read, whatever the row holds.
    frame.loc[frame["suppressed"].astype(bool), list(MEASURES)] = np.nan
    long = frame.melt(id_vars=["region_code", "level", "parent_code", "program", "year"], value_vars=list(MEASURES),
                      var_name="measure")
    long = long[~((long["program"] == ALL_PROGRAMS) & (long["measure"] == "eligible_households"))]
    long["parent_code"] = long["parent_code"].fillna("")  # the country has no parent
    wide = long.set_index(["region_code", "level", "parent_code", "program", "measure", "year"])["value"].unstack()
    return wide.reindex(columns=list(years)).reset_index().rename_axis(columns=None)


def _fit(values: np.ndarray, steps: int) -> tuple[float, float, int]:
    """Random walk with drift by statsmodels: (point, standard error of the h-step forecast, degrees of freedom)."""
    import statsmodels.api as sm

    changes = np.diff(values)
    result = sm.OLS(changes, np.ones((len(changes), 1))).fit()
    drift, variance, drift_se = float(result.params[0]), float(result.scale), float(result.bse[0])
    se = np.sqrt(steps * variance + steps**2 * drift_se**2)
    return float(values[-1] + steps * drift), float(se), int(result.df_resid)


def base_forecasts(cells: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """Every series' unreconciled projection: region_code, level, parent_code, program, measure, last_value, status,
    forecast, se, dof (forecast, se and dof NaN unless the status is ok)."""
    wide = _series(cells, plan.history)
    values = wide[list(plan.history)].to_numpy(dtype="float64")
    status = np.where(np.isnan(values).any(axis=1), HIDDEN, OK).astype(object)
    status[(status == OK) & (np.nan_to_num(values) == 0).all(axis=1)] = NO_DATA
    if len(plan.history) < MIN_YEARS:
        status[status == OK] = SHORT
    out = wide[["region_code", "level", "parent_code", "program", "measure"]].copy()
    out["last_value"] = values[:, -1] if len(plan.history) else np.nan
    out["status"] = status
    fits = [_fit(row, plan.steps) if s == OK else (np.nan, np.nan, np.nan) for row, s in zip(values, status,
                                                                                              strict=True)]
    out[["forecast", "se", "dof"]] = np.array(fits, dtype="float64").reshape(len(out), 3)
    out.loc[out["status"] == NO_DATA, ["forecast", "se"]] = 0.0
    return out.reset_index(drop=True)


def _hierarchy(group: pd.DataFrame) -> tuple[SMatrix, dict[str, np.ndarray]] | None:
    """The summing matrix and tags of the coherent part of one (program, measure): provinces whose own series and
    every kabupaten are projected (zero kabupaten add nothing), and the country when every province is in."""
    from hierarchicalforecast.utils import SMatrix  # imported when used: a second of start-up otherwise

    kabupaten = group[group["level"] == "kabupaten"]
    provinces = group[(group["level"] == "provinsi") & (group["status"] == OK)]
    blocked = set(kabupaten.loc[~kabupaten["status"].isin([OK, NO_DATA]), "parent_code"])
    coherent = [p for p in provinces["region_code"] if p not in blocked]
    bottom = kabupaten[(kabupaten["status"] == OK) & kabupaten["parent_code"].isin(coherent)]
    coherent = [p for p in coherent if p in set(bottom["parent_code"])]
    if not coherent:
        return None
    nation = group[(group["level"] == "nasional") & (group["status"] == OK)]
    all_provinces = set(group.loc[group["level"] == "provinsi", "region_code"])
    top = list(nation["region_code"]) if set(coherent) == all_provinces else []
    bottom_ids = bottom["region_code"].to_numpy()
    rows = [np.ones(len(bottom_ids))] * len(top)
    rows += [(bottom["parent_code"] == p).to_numpy(dtype=float) for p in coherent]
    # Sparse: the identity block of 514 kabupaten is most of the matrix (and dense it took the library seconds).
    summing = SMatrix(sparse.vstack([sparse.csr_matrix(np.vstack(rows)), sparse.identity(len(bottom_ids))]),
                      np.array([*top, *coherent, *bottom_ids]), bottom_ids)
    tags = {"nasional": np.array(top), "provinsi": np.array(coherent), "kabupaten": bottom_ids}
    return summing, {k: v for k, v in tags.items() if len(v)}


def _reconcile(group: pd.DataFrame) -> pd.DataFrame:
    """The group with `forecast` and `se` reconciled where the hierarchy is coherent, and a `reconciled` flag."""
    from hierarchicalforecast.core import HierarchicalReconciliation
    from hierarchicalforecast.methods import MinTrace

    group = group.assign(reconciled=False)
    found = _hierarchy(group)
    if found is None:
        return group
    summing, tags = found
    ids = summing.row_labels
    base = group.set_index("region_code").loc[ids]
    z = stats.norm.ppf(0.5 + _Z_LEVEL / 200)
    y_hat = pd.DataFrame({"unique_id": ids, "ds": 1, _MODEL: base["forecast"].to_numpy(),
                          f"{_MODEL}-lo-{_Z_LEVEL}": (base["forecast"] - z * base["se"]).to_numpy(),
                          f"{_MODEL}-hi-{_Z_LEVEL}": (base["forecast"] + z * base["se"]).to_numpy()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the library's notes about its own defaults; the result is checked in tests
        out = HierarchicalReconciliation([MinTrace(method="ols")]).reconcile(
            Y_hat_df=y_hat, S_df=summing, tags=tags, level=[_Z_LEVEL], intervals_method="normality")
    out = out.set_index("unique_id")
    spread = (out[f"{_RECONCILER}-hi-{_Z_LEVEL}"] - out[f"{_RECONCILER}-lo-{_Z_LEVEL}"]) / (2 * z)
    inside = group["region_code"].isin(out.index)
    group.loc[inside, "forecast"] = out.loc[group.loc[inside, "region_code"], _RECONCILER].to_numpy()
    group.loc[inside, "se"] = spread.loc[group.loc[inside, "region_code"]].to_numpy()
    group.loc[inside, "reconciled"] = True
    return group


def _intervals(frame: pd.DataFrame) -> pd.DataFrame:
    """lo_80, hi_80, lo_95, hi_95 from the standard error and Student's t; never below zero (a count or Rupiah)."""
    for level in INTERVALS:
        quantile = stats.t.ppf(0.5 + level / 200, frame["dof"].where(frame["dof"] > 0))
        half = np.where(frame["status"] == NO_DATA, 0.0, quantile * frame["se"])
        frame[f"lo_{level}"] = np.maximum(frame["forecast"] - half, 0.0)
        frame[f"hi_{level}"] = np.maximum(frame["forecast"] + half, 0.0)
    frame["forecast"] = np.maximum(frame["forecast"], 0.0)
    return frame


def project(cells: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """Reconciled projections of every region, program and measure for `plan.target`, and each program's need:
    base_forecasts' columns plus `reconciled`, lo_80, hi_80, lo_95, hi_95 and (need rows only) `rate`. Region levels
    other than OUTLOOK_LEVELS are ignored."""
    cells = cells[cells["level"].isin(OUTLOOK_LEVELS)]
    base = base_forecasts(cells, plan)
    groups = [_reconcile(group) for _, group in base.groupby(["program", "measure"], sort=False)]
    frame = _intervals(pd.concat(groups, ignore_index=True) if groups else base.assign(reconciled=False))
    return pd.concat([frame, need_forecasts(frame, cells, plan)], ignore_index=True).assign(target_year=plan.target)


def backtest(cells: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """`project` for the backtest plan with the published value of the year projected (`truth`, NaN where hidden;
    for need, the year's eligible households x its own Rupiah per recipient household)."""
    projected = project(cells, plan)
    cells = cells[cells["level"].isin(OUTLOOK_LEVELS)]
    truth = pd.concat([_series(cells, [plan.target]), need_values(cells, [plan.target])], ignore_index=True)
    truth = truth.rename(columns={plan.target: "truth"})[["region_code", "program", "measure", "truth"]]
    return projected.merge(truth, on=["region_code", "program", "measure"], how="left")


# --- Rupiah needed to pay every eligible household -----------------------------------------------------------------

def _by_measure(cells: pd.DataFrame, years: Sequence[int]) -> dict[str, pd.DataFrame]:
    """Measure -> one row per region and program (index _KEYS; not all programs, which has no eligible households), a
    column per year: the published values, NaN where hidden or absent."""
    wide = _series(cells[cells["program"] != ALL_PROGRAMS], years).set_index(_KEYS)
    return {m: wide.loc[wide["measure"] == m, list(years)] for m in MEASURES}


def _rate(amount: pd.DataFrame | pd.Series, recipients: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
    """Rupiah per recipient household: NaN where either is hidden or nobody was paid."""
    return amount / recipients.where(recipients > 0)


def need_values(cells: pd.DataFrame, years: Sequence[int]) -> pd.DataFrame:
    """The published need of each region and program (not all programs) in `years`: eligible households x Rupiah per
    recipient household of the same year; NaN where any of the three is hidden, or households were eligible but none
    was paid (no rate); 0 where none was eligible nor paid. Rows: _KEYS, measure (need), a column per year."""
    values = _by_measure(cells, years)
    eligible, recipients = values["eligible_households"], values["recipients"]
    need = (eligible * _rate(values["amount"], recipients)).mask((eligible == 0) & (recipients == 0), 0.0)
    return need.assign(measure=NEED).reset_index()[[*_KEYS, "measure", *years]]


def _need_status(eligible: pd.Series, history: dict[str, pd.DataFrame], last: int | None) -> pd.Series:
    """The eligible series' status, then no_data if none was ever paid, hidden if the rate's year hides its amount or
    recipients, no_rate if nobody was paid that year."""
    status = eligible.copy()
    if last is None:
        return status
    recipients, amount = history["recipients"].reindex(status.index), history["amount"].reindex(status.index)
    status[(status == OK) & (recipients == 0).all(axis=1)] = NO_DATA
    status[(status == OK) & (amount[last].isna() | recipients[last].isna())] = HIDDEN
    status[(status == OK) & (recipients[last] == 0)] = NO_RATE
    return status


def need_forecasts(projected: pd.DataFrame, cells: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """Each program's need from its projected eligible households (`project`'s columns and `rate`): forecast, se and
    bounds x the region's Rupiah per recipient household in the last history year (`rate`, taken as known: the
    interval is the eligible households' alone); last_value the last year's eligible households x that year's rate.
    Never reconciled; forecast and bounds 0 for no data, NaN for every status but ok."""
    eligible = projected[projected["measure"] == "eligible_households"].set_index(_KEYS)
    need = eligible.assign(measure=NEED, reconciled=False)
    last = plan.last
    history = _by_measure(cells, plan.history)
    rate = _rate(history["amount"][last], history["recipients"][last]) if last is not None else pd.Series(dtype=float)
    need["rate"] = rate.reindex(need.index)
    need["status"] = _need_status(eligible["status"], history, last)
    scale = need["rate"].where(need["status"] == OK).mask(need["status"] == NO_DATA, 0.0)
    moving = [c for c in _AMOUNTS if c != "last_value"]
    need[moving] = eligible[moving].mul(scale, axis=0)
    need["last_value"] = (need_values(cells, [last]).set_index(_KEYS)[last].reindex(need.index) if last is not None
                          else np.nan)
    return need.reset_index()[[*projected.columns, "rate"]]


def _sum_over_programs(rows: pd.DataFrame, columns: Sequence[object]) -> tuple[pd.DataFrame, pd.Series]:
    """Per region, the sums of `columns` over the programs in `rows` (NaN unless every program has a value), and
    whether the region has a row of every program."""
    grouped = rows.groupby(_KEYS[:3], sort=False)
    programs = rows["program"].nunique()
    sums = grouped[list(columns)].sum().where(grouped[list(columns)].count() == programs)
    return sums, grouped["program"].nunique() == programs


def _combined_status(statuses: pd.Series) -> str:
    """All programs' status from its programs': ok only when every one is ok or no data."""
    found = set(statuses)
    for status in (HIDDEN, SHORT, NO_RATE):
        if status in found:
            return status
    return NO_DATA if found == {NO_DATA} else OK


def all_programs_need(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """All programs' need from each program's (`project` or `backtest` frames, one or more programs each): the sums of
    the programs' values, bounds and truths (a household eligible for two programs gets both). Summing the bounds
    assumes the programs move together, so the interval errs wide. Hidden where a program has no row."""
    rows = pd.concat([part[part["measure"] == NEED] for part in parts], ignore_index=True)
    summed = [c for c in (*_AMOUNTS, "truth") if c in rows]
    sums, complete = _sum_over_programs(rows, summed)
    grouped = rows.groupby(_KEYS[:3], sort=False)
    sums["status"] = grouped["status"].agg(_combined_status).where(complete, HIDDEN)
    sums[["dof", "target_year"]] = grouped[["dof", "target_year"]].max()
    out = sums.reset_index().assign(program=ALL_PROGRAMS, measure=NEED, reconciled=False, rate=np.nan)
    return out[list(rows.columns)]


def all_programs_need_history(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """All programs' published need per year from each program's (`need_values` frames): the sums, NaN in a year where
    a program's need is unknown."""
    rows = pd.concat(parts, ignore_index=True)
    years = [c for c in rows.columns if c not in (*_KEYS, "measure")]
    sums, _ = _sum_over_programs(rows, years)
    return sums.reset_index().assign(program=ALL_PROGRAMS, measure=NEED)[list(rows.columns)]


def backtest_errors(tested: pd.DataFrame) -> pd.DataFrame:
    """MAPE and interval coverage per program, measure and level, over the projected series whose published truth
    is above zero: program, measure, level, series, mape (percent), inside_80, inside_95 (percent of series)."""
    scored = tested[(tested["status"] == OK) & (tested["truth"] > 0)].copy()
    scored["ape"] = (scored["truth"] - scored["forecast"]).abs() / scored["truth"] * 100
    for level in INTERVALS:
        inside = (scored["truth"] >= scored[f"lo_{level}"]) & (scored["truth"] <= scored[f"hi_{level}"])
        scored[f"inside_{level}"] = inside.astype(float) * 100
    table = scored.groupby(["program", "measure", "level"], sort=False).agg(
        series=("ape", "size"), mape=("ape", "mean"), inside_80=("inside_80", "mean"),
        inside_95=("inside_95", "mean")).reset_index()
    table["level_order"] = table["level"].map(OUTLOOK_LEVELS.index)
    return table.sort_values(["program", "measure", "level_order"]).drop(columns="level_order").reset_index(drop=True)
