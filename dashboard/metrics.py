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

METRICS = ("recipients", "amount", "coverage", "ontime", "failed_share")
NORMS = ("none", "registered", "eligible")
#: Metrics that are shares 0-1: normalisation does not apply.
RATES = frozenset({"coverage", "ontime", "failed_share"})
#: The columns each metric reads from one cell.
NEEDS = {
    "recipients": ("recipients",),
    "amount": ("amount",),
    "coverage": ("eligible_paid", "eligible_households"),
    "ontime": ("late_payments", "paid_payments"),
    "failed_share": ("failed_payments", "returned_payments", "payments"),
}
OK, HIDDEN, NA, UNDEFINED = "ok", "hidden", "na", "undefined"
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
        return _ratio(cells["eligible_paid"], cells["eligible_households"])
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
    status[without_program(cells).to_numpy()] = NODATA
    if norm != "none":
        value, status = _normalise(cells, value, status, norm, denominators)
    status[cells["suppressed"].astype(bool).to_numpy()] = HIDDEN
    value = value.where(status == OK)
    return pd.DataFrame({"region_code": cells["region_code"].to_numpy(), "value": value.to_numpy(dtype=float),
                         "status": status.to_numpy()})


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


def format_value(value: float, status: str, metric: str, norm: str, lang: str, threshold: int) -> str:
    """The value as shown: a number in the language's format, or why there is none."""
    if status == HIDDEN:
        return i18n.hidden_label(lang, threshold)
    if status == NA:
        return i18n.t("not_published", lang)
    if status == NODATA:
        return i18n.t("no_data", lang)
    if status == UNDEFINED or value is None or np.isnan(value):
        return "–"
    if metric in RATES:
        return i18n.format_percent(value, lang)
    norm = effective_norm(metric, norm)
    if metric == "amount":
        return i18n.format_rupiah(value, lang, short=True)
    if norm == "none":
        return i18n.format_int(value, lang)
    return i18n.format_decimal(value, lang, 1 if norm == "registered" else 2)


def format_values(values: pd.DataFrame, metric: str, norm: str, lang: str, threshold: int) -> list[str]:
    return [format_value(v, s, metric, norm, lang, threshold)
            for v, s in zip(values["value"], values["status"], strict=True)]


def metric_label(metric: str, norm: str, lang: str) -> str:
    """'Rupiah disalurkan per keluarga sasaran' etc."""
    norm = effective_norm(metric, norm)
    label = i18n.t(f"m_{metric}", lang)
    return label if norm == "none" else f"{label} — {i18n.t(f'n_{norm}', lang).lower()}"
