"""The outlook's backtest error recomputed without statsmodels or hierarchicalforecast: plain numpy and pandas.

From year cells (region_code, level, parent_code, program, year, suppressed and the measures): a random walk with
drift per series, the MinTrace-OLS projection S (S'S)^-1 S' over the part of the hierarchy that is complete (a province
whose own series and every non-zero kabupaten are published; the country when every province is), standard errors
sqrt(diag(S P diag(se^2) P' S')), Student's t intervals clipped at zero, then MAPE and coverage per level.

The need ("need"): a program's eligible projection and bounds x amount / recipients of the last history year, its
truth the target year's eligible x amount / recipients; for all programs the sums over the programs in the cells, kept
only where every program's need is projected or zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

MEASURES = ("eligible_households", "recipients", "amount")


def _series(cells: pd.DataFrame, program: str, measure: str, years: list[int]) -> pd.DataFrame:
    part = cells[(cells["program"] == program) & cells["year"].isin(years)]
    values = part[measure].astype(float).where(~part["suppressed"].astype(bool))
    wide = part.assign(value=values).pivot(index="region_code", columns="year", values="value")
    return wide.reindex(columns=years)


def _projection(info: pd.DataFrame, history: pd.DataFrame, steps: int) -> tuple[pd.Series, pd.Series, int]:
    """Reconciled point forecasts and standard errors of the usable series, and the degrees of freedom."""
    y = history.to_numpy()
    changes = np.diff(y, axis=1)
    n = changes.shape[1]
    drift = changes.mean(axis=1)
    variance = ((changes - drift[:, None]) ** 2).sum(axis=1) / (n - 1)
    base = pd.Series(y[:, -1] + steps * drift, index=history.index)
    se = pd.Series(np.sqrt(steps * variance + steps**2 * variance / n), index=history.index)
    usable = set(history.index)
    zero = set(history.index[(y == 0).all(axis=1)])
    kab = info[info["level"] == "kabupaten"]
    provinces = [p for p in info.index[info["level"] == "provinsi"] if p in usable and p not in zero
                 and all(k in usable for k in kab.index[kab["parent_code"] == p])]
    bottom = [k for k in kab.index if kab.loc[k, "parent_code"] in provinces and k in usable and k not in zero]
    provinces = [p for p in provinces if any(kab.loc[k, "parent_code"] == p for k in bottom)]
    every_province = set(provinces) == set(info.index[info["level"] == "provinsi"])
    top = [c for c in info.index[info["level"] == "nasional"] if c in usable and every_province]
    if provinces:
        rows = [np.ones(len(bottom))] * len(top)
        rows += [[float(kab.loc[k, "parent_code"] == p) for k in bottom] for p in provinces]
        summing = np.vstack([*rows, np.eye(len(bottom))])
        ids = [*top, *provinces, *bottom]
        projection = np.linalg.solve(summing.T @ summing, summing.T)
        base.loc[ids] = summing @ projection @ base.loc[ids].to_numpy()
        covariance = summing @ projection @ np.diag(se.loc[ids].to_numpy() ** 2) @ projection.T @ summing.T
        se.loc[ids] = np.sqrt(np.diag(covariance))
    return base, se, n - 1


#: A series' projection: its point and bounds, clipped at zero.
BOUNDS = ("point", "low_80", "high_80", "low_95", "high_95")


def _projected(cells: pd.DataFrame, info: pd.DataFrame, program: str, measure: str, history_years: list[int],
               target: int) -> pd.DataFrame | None:
    """Per series with a complete history: `zero` (zero every year), BOUNDS and the published `truth` of `target`."""
    wide = _series(cells, program, measure, [*history_years, target])
    history = wide[history_years].dropna()
    if history.empty:
        return None
    forecast, se, dof = _projection(info.loc[wide.index], history, target - history_years[-1])
    out = pd.DataFrame({"zero": (history.to_numpy() == 0).all(axis=1), "truth": wide.loc[history.index, target]},
                       index=history.index)
    out["point"] = forecast.clip(lower=0.0)
    for level in (80, 95):
        half = stats.t.ppf(0.5 + level / 200, dof) * se
        out[f"low_{level}"], out[f"high_{level}"] = (forecast - half).clip(lower=0.0), (forecast + half).clip(lower=0.0)
    return out


def _per_household(cells: pd.DataFrame, program: str, year: int) -> tuple[pd.Series, pd.Series]:
    """(amount / recipients, recipients) of `year` per region, NaN where hidden; the rate NaN where nobody was paid."""
    amount = _series(cells, program, "amount", [year])[year]
    recipients = _series(cells, program, "recipients", [year])[year]
    return amount / recipients.where(recipients > 0), recipients


def _need(cells: pd.DataFrame, info: pd.DataFrame, program: str, history_years: list[int],
          target: int) -> pd.DataFrame | None:
    """A program's need: eligible x the last history year's rate (zero where eligible or recipients are zero every
    year; left out where that rate is unknown), its truth the target year's eligible x that year's rate."""
    eligible = _projected(cells, info, program, "eligible_households", history_years, target)
    if eligible is None:
        return None
    rate, _ = _per_household(cells, program, history_years[-1])
    paid = _series(cells, program, "recipients", history_years)
    never_paid = paid.index[(paid.to_numpy() == 0).all(axis=1)]
    out = eligible.copy()
    out["zero"] = eligible["zero"] | eligible.index.isin(never_paid)
    out = out[out["zero"] | rate.reindex(out.index).notna()]
    scale = rate.reindex(out.index).where(~out["zero"], 0.0)
    out[list(BOUNDS)] = out[list(BOUNDS)].mul(scale, axis=0)
    truth_rate, truth_paid = _per_household(cells, program, target)
    truth_eligible = _series(cells, program, "eligible_households", [target])[target]
    truth = truth_eligible * truth_rate
    truth[(truth_eligible == 0) & (truth_paid == 0)] = 0.0
    out["truth"] = truth.reindex(out.index)
    return out


def _all_programs_need(parts: list[pd.DataFrame]) -> pd.DataFrame | None:
    """Sums over the programs of the regions every program's need covers; zero only where every one is."""
    if not parts:
        return None
    codes = sorted(set.intersection(*(set(p.index) for p in parts)))
    out = pd.DataFrame({column: sum(p.loc[codes, column] for p in parts) for column in (*BOUNDS, "truth")},
                       index=codes)
    out["zero"] = np.logical_and.reduce([p.loc[codes, "zero"].to_numpy() for p in parts]) if codes else []
    return out


def _score(rows: list[dict], projected: pd.DataFrame, info: pd.DataFrame, program: str, measure: str) -> None:
    for code, series in projected[~projected["zero"]].iterrows():
        truth = series["truth"]
        if not truth > 0:
            continue
        rows.append({"program": program, "measure": measure, "level": info.loc[code, "level"],
                     "ape": abs(truth - series["point"]) / truth * 100,
                     **{f"inside_{lv}": float(series[f"low_{lv}"] <= truth <= series[f"high_{lv}"]) * 100
                        for lv in (80, 95)}})


def recompute_errors(cells: pd.DataFrame, history_years: list[int], target: int) -> pd.DataFrame:
    """series, mape, inside_80, inside_95 (percent) indexed by program, measure and level."""
    info = cells.drop_duplicates("region_code").set_index("region_code")[["level", "parent_code"]]
    rows: list[dict] = []
    needs = []
    for program in sorted(cells["program"].unique()):
        for measure in MEASURES:
            projected = _projected(cells, info, program, measure, history_years, target)
            if projected is not None:
                _score(rows, projected, info, program, measure)
        need = _need(cells, info, program, history_years, target)
        if need is not None:
            _score(rows, need, info, program, "need")
            needs.append(need)
    everything = _all_programs_need(needs)
    if everything is not None:
        _score(rows, everything, info, "SEMUA", "need")
    scored = pd.DataFrame(rows).groupby(["program", "measure", "level"])
    return pd.DataFrame({"series": scored.size(), "mape": scored["ape"].mean(), "inside_80": scored["inside_80"].mean(),
                         "inside_95": scored["inside_95"].mean()})
