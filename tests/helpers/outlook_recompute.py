"""The outlook's backtest error recomputed without statsmodels or hierarchicalforecast: plain numpy and pandas.

From year cells (region_code, level, parent_code, program, year, suppressed and the measures): a random walk with
drift per series, the MinTrace-OLS projection S (S'S)^-1 S' over the part of the hierarchy that is complete (a province
whose own series and every non-zero kabupaten are published; the country when every province is), standard errors
sqrt(diag(S P diag(se^2) P' S')), Student's t intervals clipped at zero, then MAPE and coverage per level.
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


def recompute_errors(cells: pd.DataFrame, history_years: list[int], target: int) -> pd.DataFrame:
    """series, mape, inside_80, inside_95 (percent) indexed by program, measure and level."""
    info = cells.drop_duplicates("region_code").set_index("region_code")[["level", "parent_code"]]
    rows = []
    for program in sorted(cells["program"].unique()):
        for measure in MEASURES:
            wide = _series(cells, program, measure, [*history_years, target])
            history = wide[history_years].dropna()
            if history.empty or wide[history_years].isna().all().all():
                continue
            forecast, se, dof = _projection(info.loc[wide.index], history, target - history_years[-1])
            zero = history.index[(history.to_numpy() == 0).all(axis=1)]
            for code in history.index.difference(zero):
                truth = wide.loc[code, target]
                if not truth > 0:
                    continue
                point = max(forecast[code], 0.0)
                inside = {}
                for level in (80, 95):
                    half = stats.t.ppf(0.5 + level / 200, dof) * se[code]
                    low, high = max(forecast[code] - half, 0.0), max(forecast[code] + half, 0.0)
                    inside[level] = float(low <= truth <= high) * 100
                rows.append({"program": program, "measure": measure, "level": info.loc[code, "level"],
                             "ape": abs(truth - point) / truth * 100, "inside_80": inside[80],
                             "inside_95": inside[95]})
    scored = pd.DataFrame(rows).groupby(["program", "measure", "level"])
    return pd.DataFrame({"series": scored.size(), "mape": scored["ape"].mean(), "inside_80": scored["inside_80"].mean(),
                         "inside_95": scored["inside_95"].mean()})
