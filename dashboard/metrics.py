"""Measures shown per region, derived only from published values of the same region and year, with a status.

Every value carries a status: `ok` (a number), `hidden` (the cell, or a cell it needs, is suppressed: shown as
"disembunyikan", never as zero), `na` (not published at this level), `nodata` (the program has no eligible household
and no recipient here: "tidak ada data", never a zero) or `undefined` (division by zero).
Only `ok` values take part in colour bins, ranks and sort orders.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard import i18n
from published_schema import (
    ALL_PROGRAMS,
    PROGRAM_SUM_LEVELS,
    PROGRAM_SUM_MEASURES,
    STATUS_COUNTS,
    STATUS_YEAR_LEVELS,
    level_of_code,
    range_columns,
)

METRICS = ("recipients", "amount", "coverage", "ontime", "failed_share")
NORMS = ("none", "registered", "eligible")
#: Metrics that are shares 0-1: normalisation does not apply.
RATES = frozenset({"coverage", "ontime", "failed_share"})
#: The columns each metric reads from one cell.
NEEDS = {
    "recipients": ("recipients",),
    "amount": ("amount",),
    # Recipients per eligible household: how many eligible households were paid is not published (README,
    # "Eligible households paid: not published"), so above 100% where households outside the target were paid.
    "coverage": ("recipients", "eligible_households"),
    "ontime": ("late_payments", "paid_payments"),
    "failed_share": ("failed_payments", "returned_payments", "payments"),
}
OK, HIDDEN, NA, UNDEFINED = "ok", "hidden", "na", "undefined"
#: Metrics whose hidden values a release publishes with a range (anonymize.ranges), and the count's unit.
RANGED = {"recipients": "unit_households", "amount": None}
#: The program has nothing in this region for the year: no eligible household and no recipient (BLT Dana Desa in a
#: kota). Not a zero to rank or colour: "tidak ada data", listed after the published values.
NODATA = "nodata"


def without_program(cells: pd.DataFrame) -> pd.Series:
    """Per cell, whether its program has nothing here: published, no eligible household and no recipient. Only
    cells that publish eligible households (the year's) can tell; a month's zero recipients may be a real zero."""
    if "eligible_households" not in cells or "recipients" not in cells:
        return pd.Series(False, index=cells.index)
    published = ~cells["suppressed"].astype(bool)
    return (published & (cells["eligible_households"] == 0) & (cells["recipients"] == 0)).fillna(False).astype(bool)


def without_data(cells: pd.DataFrame) -> pd.Series:
    """Per cell, whether it is an all-programs cell of a region the release's data do not cover: published, no
    registered household and no recipient (every desa has registered households; region_without_data). Only year
    cells, which publish registered households, can tell."""
    if not {"program", "registered_households", "recipients", "suppressed"} <= set(cells.columns):
        return pd.Series(False, index=cells.index)
    published = ~cells["suppressed"].astype(bool) & (cells["program"] == ALL_PROGRAMS)
    return (published & (cells["registered_households"] == 0) & (cells["recipients"] == 0)).fillna(False).astype(bool)


def region_without_data(year_cells: pd.DataFrame) -> bool:
    """Whether a region's year has no data at all: its all-programs cell published with no registered household and
    no recipient. Every desa has registered households, so this is a region the release's raw data did not cover
    (a release of some kabupaten of a province): "program X does not run here" would be false of it."""
    if "program" not in year_cells:
        return False
    total = year_cells["program"] == ALL_PROGRAMS
    return bool(total.any()) and bool(without_data(year_cells)[total].all())


def effective_norm(metric: str, norm: str) -> str:
    return "none" if metric in RATES else norm


def _ratio(numerator: pd.Series, denominator: pd.Series) -> tuple[pd.Series, pd.Series]:
    num = numerator.astype("Float64")
    den = denominator.astype("Float64")
    value = (num / den.where(den != 0)).astype("float64")
    undefined = (den == 0).fillna(False).astype(bool)
    return value, undefined


def _raw(cells: pd.DataFrame, metric: str) -> tuple[pd.Series, pd.Series]:
    """The metric from each cell's own values, and where it divides by zero."""
    if metric in ("recipients", "amount"):
        return cells[metric].astype("Float64").astype("float64"), pd.Series(False, index=cells.index)
    if metric == "coverage":
        return _ratio(cells["recipients"], cells["eligible_households"])
    if metric == "ontime":
        late, undefined = _ratio(cells["late_payments"], cells["paid_payments"])
        return 1 - late, undefined
    failed = cells["failed_payments"].astype("Float64") + cells["returned_payments"].astype("Float64")
    return _ratio(failed, cells["payments"])


def build_values(cells: pd.DataFrame, metric: str, norm: str = "none",
                 denominators: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per cell: region_code, value (NaN unless ok) and status.

    `denominators` (from `db.get_denominators`) gives per region and program the year's registered households
    (from the program SEMUA cell) and eligible households (the program's cell), each with its own suppressed flag.
    """
    norm = effective_norm(metric, norm)
    value, undefined = _raw(cells, metric)
    status = pd.Series(OK, index=cells.index, dtype=object)
    missing = cells[list(NEEDS[metric])].isna().any(axis=1)
    status[missing] = NA
    status[undefined & ~missing] = UNDEFINED
    if metric == "coverage" and "program" in cells:
        # Not "not published at this level": all programs together have no eligible households at any level.
        status[(cells["program"] == ALL_PROGRAMS).to_numpy()] = UNDEFINED
    # A program that does not run there, or a region the release does not cover: "no data", not a coloured zero.
    status[(without_program(cells) | without_data(cells)).to_numpy()] = NODATA
    if norm != "none":
        value, status = _normalise(cells, value, status, norm, denominators)
    hidden = cells["suppressed"].astype(bool).to_numpy()
    status[hidden] = HIDDEN
    blank = unsummed(cells, metric).to_numpy()
    status[blank] = HIDDEN
    value = value.where(status == OK)
    lower, upper = hidden_range(cells, metric if norm == "none" else "", blank)
    return pd.DataFrame({"region_code": cells["region_code"].to_numpy(), "value": value.to_numpy(dtype=float),
                         "status": status.to_numpy(), "lower": lower, "upper": upper})


def unsummed(cells: pd.DataFrame, metric: str) -> pd.Series:
    """Per cell: a desa's all-programs figure of `metric` left blank because one of its programs is hidden (a
    release writes a desa's all-programs payments and Rupiah only as the sum of its programs': published_schema.
    PROGRAM_SUM_MEASURES). Hidden, not "not published at this level"."""
    needs = [m for m in NEEDS.get(metric, ()) if m in PROGRAM_SUM_MEASURES and m in cells]
    if not needs or "program" not in cells or "region_code" not in cells:
        return pd.Series(False, index=cells.index)
    level = cells["region_code"].astype(str).map(level_of_code)
    at_level = level.isin(PROGRAM_SUM_LEVELS)
    if any(m in STATUS_COUNTS for m in NEEDS[metric]):
        # Payment statuses are not published for a desa at all: such a metric stays "not published at this level".
        at_level &= level.isin(STATUS_YEAR_LEVELS)
    blank = cells[needs].isna().any(axis=1)
    return (at_level & (cells["program"] == ALL_PROGRAMS) & blank).fillna(False).astype(bool)


def hidden_range(cells: pd.DataFrame, measure: str, blank: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Per cell, the published range of a hidden `measure` (lower, upper; NaN where the value is published, the
    measure has no range, or the release predates ranges). A desa's all-programs Rupiah left blank beside a hidden
    program (unsummed; `blank`: that mask if the caller has it) is a hidden value with its range too."""
    none = np.full(len(cells), np.nan)
    low, high = range_columns(measure) if measure else ("", "")
    if low not in cells or high not in cells:
        return none, none.copy()
    if blank is None:
        blank = unsummed(cells, measure).to_numpy()
    hidden = cells["suppressed"].astype(bool).to_numpy() | blank
    return (np.where(hidden, cells[low].astype("Float64").astype(float).to_numpy(), np.nan),
            np.where(hidden, cells[high].astype("Float64").astype(float).to_numpy(), np.nan))


def _normalise(cells: pd.DataFrame, value: pd.Series, status: pd.Series, norm: str,
               denominators: pd.DataFrame | None) -> tuple[pd.Series, pd.Series]:
    column, flag, scale = (("registered_households", "registered_suppressed", 1000.0) if norm == "registered"
                           else ("eligible_households", "eligible_suppressed", 1.0))
    keys = ["region_code", "program"]
    if denominators is None:
        denominators = pd.DataFrame(columns=[*keys, column, flag])
    joined = cells[keys].merge(denominators[[*keys, column, flag]], on=keys, how="left")
    joined.index = cells.index
    den = joined[column].astype("Float64")
    ratio = (value / den.where(den != 0).astype("float64")) * scale
    status = status.copy()
    # A hidden denominator hides the ratio; an unpublished one leaves it unpublished.
    status[(status != NA) & (status != NODATA) & joined[flag].fillna(False).astype(bool).to_numpy()] = HIDDEN
    status[(status == OK) & den.isna().to_numpy()] = NA
    status[(status == OK) & (den == 0).fillna(False).to_numpy()] = UNDEFINED
    return ratio, status


def rank_values(values: pd.DataFrame, ascending: bool = False) -> pd.DataFrame:
    """Sort by value (ok first), hidden and unpublished last; `rank` is 1.. for ok values only (ties share)."""
    order = {OK: 0, UNDEFINED: 1, NODATA: 2, NA: 3, HIDDEN: 4}
    out = values.assign(_group=values["status"].map(order))
    out = out.sort_values(["_group", "value"], ascending=[True, ascending], na_position="last", kind="stable")
    ranks = out["value"].where(out["status"] == OK).rank(method="min", ascending=ascending)
    return out.assign(rank=ranks.astype("Int64")).drop(columns="_group").reset_index(drop=True)


def format_value(value: float, status: str, metric: str, norm: str, lang: str, threshold: int,
                 lower: float = np.nan, upper: float = np.nan) -> str:
    """The value as shown: a number in the language's format, or why there is none (a hidden value with its
    published range `lower`-`upper` where there is one)."""
    if status == HIDDEN:
        if metric in RANGED and effective_norm(metric, norm) == "none" and np.isfinite(lower) and np.isfinite(upper):
            return hidden_between(lower, upper, lang, RANGED[metric])
        return i18n.hidden_label(lang, threshold)
    if status == NA:
        return i18n.t("not_published", lang)
    if status == NODATA:
        return i18n.t("no_data", lang)
    if status == UNDEFINED or value is None or np.isnan(value):
        return "–"
    norm = effective_norm(metric, norm)
    if metric in RATES or (metric == "recipients" and norm == "eligible"):
        # Recipients per eligible household is the coverage Beranda and the profiles show as a percent: "0,87" on
        # the map beside "87,0%" there read as two different figures (a walk).
        return i18n.format_percent(value, lang)
    if metric == "amount":
        return i18n.format_rupiah(value, lang, short=True)
    if norm == "none":
        return i18n.format_int(value, lang)
    return i18n.format_decimal(value, lang, 1 if norm == "registered" else 2)


def hidden_between(lower: float, upper: float, lang: str, unit: str | None) -> str:
    """A hidden value with its published range: 'disembunyikan (antara 180 dan 260 keluarga)' for a count (`unit`:
    its i18n key, e.g. unit_households), 'hidden (between Rp35.4 M and Rp787.3 M)' for Rupiah (`unit` None)."""
    exact = bool(np.isclose(lower, upper, rtol=0, atol=0.5))
    if unit is None:
        return i18n.hidden_range_label(lang, i18n.format_rupiah(lower, lang), i18n.format_rupiah(upper, lang), exact)
    if exact:
        return i18n.hidden_range_label(lang, i18n.t(unit, lang, n=i18n.format_int(lower, lang)), "", exact)
    return i18n.hidden_range_label(lang, i18n.format_int(lower, lang),
                                   i18n.t(unit, lang, n=i18n.format_int(upper, lang)))


def format_values(values: pd.DataFrame, metric: str, norm: str, lang: str, threshold: int) -> list[str]:
    none = np.full(len(values), np.nan)
    lower = values["lower"].to_numpy(dtype=float) if "lower" in values else none
    upper = values["upper"].to_numpy(dtype=float) if "upper" in values else none
    return [format_value(v, s, metric, norm, lang, threshold, lo, hi)
            for v, s, lo, hi in zip(values["value"], values["status"], lower, upper, strict=True)]


def metric_label(metric: str, norm: str, lang: str) -> str:
    """'Rupiah disalurkan per keluarga sasaran' etc."""
    norm = effective_norm(metric, norm)
    label = i18n.t(f"m_{metric}", lang)
    return label if norm == "none" else f"{label} — {i18n.t(f'n_{norm}', lang).lower()}"
