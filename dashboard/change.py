"""Change since last year (absolute and %), from published values only: which periods to compare, and the change.

Pure: frames in, frames out. The rules:
- A change is computed only from two published values. A change involving a hidden value is hidden, or, when both
  values have published ranges (a published value is its own range), shown as the range
  [lower_now - upper_before, upper_now - lower_before]; the value a hidden row carries is never read.
- Like with like: a month against the same month a year before; a whole year against the year before. When the
  picked year is partial (fewer months than the year before), regions from kabupaten up compare the same months of
  both years, and only if every one of those month cells is published; otherwise the two whole years are compared
  and the label says plainly what against what ("2025 Jan–Okt vs 2024 Jan–Des").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard import i18n, metrics
from dashboard.metrics import HIDDEN, NA, NODATA, OK, UNDEFINED

#: What a map colours when it shows change: nothing (the level), the difference, or the difference in percent.
KINDS = ("none", "abs", "pct")
#: Levels whose months are compared like with like when the year is partial (months below are often hidden).
LIKE_LEVELS = ("nasional", "provinsi", "kabupaten")
#: How the same months of both years add up per metric: Rupiah sum; recipients, a count of households per month,
#: as the average month (a household paid in ten months is one household, not ten). Rates are not added up.
SUMMED = {"amount": "sum", "recipients": "mean"}
#: Metrics shown as a change on the overview and in region profiles (those whose hidden values have ranges).
HEADLINE_METRICS = ("recipients", "amount")


@dataclass(frozen=True)
class Comparison:
    """What is compared with what: the periods of the picked year and of the year before, the months each covers
    (for the label), and whether the two cover the same months."""

    year: str
    before: str
    now_periods: tuple[str, ...]
    before_periods: tuple[str, ...]
    #: (first, last) month covered by each side.
    now_months: tuple[int, int]
    before_months: tuple[int, int]
    #: The same months of both years summed from month cells (else one period each side).
    from_months: bool = False
    #: The last month the year before publishes (for the whole-year fallback's label).
    before_through: int = 12

    @property
    def like_for_like(self) -> bool:
        return self.now_months == self.before_months

    def label(self, lang: str) -> str:
        """'2025 vs 2024', 'Okt 2025 vs Okt 2024', '2025 Jan–Okt vs 2024 Jan–Okt', '2025 Jan–Okt vs 2024 Jan–Des'."""
        # Months are named on both sides when they differ: "2025 Jan–Okt vs 2024 Jan–Des", never "vs 2024".
        full = self.like_for_like
        return i18n.t("change_vs", lang, now=_side(self.year, self.now_months, self.now_periods, lang, full),
                      before=_side(self.before, self.before_months, self.before_periods, lang, full))

    def code(self) -> str:
        """The comparison in files (no language): '2025 vs 2024', '2025-01/2025-10 vs 2024-01/2024-10'."""
        def side(periods: tuple[str, ...]) -> str:
            return periods[0] if len(periods) == 1 else f"{periods[0]}/{periods[-1]}"
        return f"{side(self.now_periods)} vs {side(self.before_periods)}"


def _side(year: str, months: tuple[int, int], periods: tuple[str, ...], lang: str, plain: bool = True) -> str:
    if len(periods) == 1 and len(periods[0]) == 7:
        return i18n.format_month_short(periods[0], lang)
    if months == (1, 12) and plain:
        return year
    first, last = (i18n.MONTHS[lang][m - 1][:3] for m in months)
    return f"{year} {first}–{last}" if first != last else f"{year} {first}"


def previous_year(year: str, years: Sequence[str]) -> str | None:
    """The year before `year` when the release publishes it (a change needs both)."""
    before = str(int(year) - 1)
    return before if before in years else None


def plan(period: str, year: str, before: str, months_now: Sequence[int], months_before: Sequence[int], level: str,
         metric: str) -> Comparison | None:
    """The comparison to try first for `period` (a month or the whole `year`) against the year `before`, given the
    months each year publishes; None when the month is not published the year before."""
    if len(period) == 7:
        month = int(period[5:])
        if month not in months_before:
            return None
        return Comparison(year, before, (period,), (f"{before}-{month:02d}",), (month, month), (month, month))
    last_now, last_before = max(months_now, default=12), max(months_before, default=12)
    if last_now < last_before and level in LIKE_LEVELS and metric in SUMMED:
        months = range(1, last_now + 1)
        return Comparison(year, before, tuple(f"{year}-{m:02d}" for m in months),
                          tuple(f"{before}-{m:02d}" for m in months), (1, last_now), (1, last_now), True,
                          last_before)
    return whole_years(year, before, last_now, last_before)


def whole_years(year: str, before: str, last_now: int, last_before: int) -> Comparison:
    """The two whole-year cells, whatever months each covers (the label says which)."""
    return Comparison(year, before, (year,), (before,), (1, last_now), (1, last_before), before_through=last_before)


def fallback(comparison: Comparison) -> Comparison:
    """The whole years instead of the same months (some month cell is hidden: the sum would need it)."""
    return whole_years(comparison.year, comparison.before, comparison.now_months[1], comparison.before_through)


def all_published(frames: Sequence[pd.DataFrame], metric: str) -> bool:
    """Whether every cell of every frame publishes the metric (no hidden cell, no missing value)."""
    needs = list(metrics.NEEDS[metric])
    return all(not frame.empty and not frame["suppressed"].astype(bool).any() and frame[needs].notna().all().all()
               for frame in frames)


def combine(frames: Sequence[pd.DataFrame], metric: str, key: str = "region_code") -> pd.DataFrame:
    """One value per region from the values (`metrics.build_values`) of one or more periods: the period itself, or
    the same months added up as `SUMMED` says. A region is `ok` only when every period is; a hidden period makes the
    combination hidden without a range (month ranges do not add up to a year's)."""
    if len(frames) == 1:
        return frames[0][[key, "value", "status", "lower", "upper"]].reset_index(drop=True)
    stacked = pd.concat([f[[key, "value", "status"]] for f in frames], ignore_index=True)
    groups = stacked.groupby(key, sort=False)
    count = groups["value"].count()
    ok = groups["status"].agg(lambda s: bool((s == OK).all())) & (count == len(frames))
    worst = groups["status"].agg(_worst)
    total = groups["value"].sum() if SUMMED.get(metric) == "sum" else groups["value"].mean()
    out = pd.DataFrame({key: total.index, "value": total.where(ok).to_numpy(),
                        "status": np.where(ok, OK, worst.reindex(total.index)).astype(object)})
    out["lower"], out["upper"] = np.nan, np.nan
    return out.reset_index(drop=True)


_PRIORITY = {NA: 0, NODATA: 1, HIDDEN: 2, UNDEFINED: 3, OK: 4}


def _worst(statuses: pd.Series) -> str:
    return min(statuses, key=lambda s: _PRIORITY.get(s, 0))


def _bounds(values: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each row's (lower, upper): a published value is its own range; a hidden one its published range (NaN where
    it has none). A hidden row's `value` is never read, whatever it holds."""
    ok = (values["status"] == OK).to_numpy()
    hidden = (values["status"] == HIDDEN).to_numpy()
    value = np.where(ok, pd.to_numeric(values["value"], errors="coerce").to_numpy(dtype=float), np.nan)
    lower = pd.to_numeric(values["lower"], errors="coerce").to_numpy(dtype=float)
    upper = pd.to_numeric(values["upper"], errors="coerce").to_numpy(dtype=float)
    return np.where(ok, value, np.where(hidden, lower, np.nan)), np.where(ok, value, np.where(hidden, upper, np.nan))


#: The widest range of a hidden relative change shown (1.0: 100 percentage points); wider ones show as hidden.
PCT_RANGE_WIDEST = 1.0


def changes(now: pd.DataFrame, before: pd.DataFrame, key: str = "region_code") -> pd.DataFrame:
    """Per region (`key`) of `now`: now, before, change (absolute) and change_pct (relative, 0.05 = +5%), each with its
    status, and for a change involving a hidden value its range from the published ranges (or none).

    `now` and `before` have region_code, value, status, lower, upper (as `metrics.build_values` gives them)."""
    before = before.drop_duplicates(key).set_index(key)[["value", "status", "lower", "upper"]]
    frame = now[[key, "value", "status", "lower", "upper"]].reset_index(drop=True)
    prior = before.reindex(frame[key]).reset_index()
    prior["status"] = prior["status"].fillna(NA)
    low1, high1 = _bounds(frame)
    low0, high0 = _bounds(prior)
    s1, s0 = frame["status"].to_numpy(dtype=object), prior["status"].to_numpy(dtype=object)
    both_ok = (s1 == OK) & (s0 == OK)
    structural = np.isin(s1, [NA, NODATA]) | np.isin(s0, [NA, NODATA])
    hidden = ~structural & ((s1 == HIDDEN) | (s0 == HIDDEN)) & np.isin(s1, [OK, HIDDEN]) & np.isin(s0, [OK, HIDDEN])
    status = np.where(both_ok, OK, np.where(hidden, HIDDEN, [_worst(pd.Series([a, b])) for a, b in zip(s1, s0,
                                                                                                     strict=True)]))
    status = np.where(status == OK, OK, np.where(status == HIDDEN, HIDDEN, np.where(
        np.isin(status, [NA, NODATA]), status, UNDEFINED))).astype(object)
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = np.where(both_ok, low1 - low0, np.nan)
        pct = np.where(both_ok & (low0 > 0), diff / np.where(low0 > 0, low0, np.nan), np.nan)
        ranged = hidden & np.isfinite(low1) & np.isfinite(high1) & np.isfinite(low0) & np.isfinite(high0)
        diff_low = np.where(ranged, low1 - high0, np.nan)
        diff_high = np.where(ranged, high1 - low0, np.nan)
        pct_ranged = ranged & (low0 > 0)
        pct_low = np.where(pct_ranged, low1 / np.where(high0 > 0, high0, np.nan) - 1, np.nan)
        pct_high = np.where(pct_ranged, high1 / np.where(low0 > 0, low0, np.nan) - 1, np.nan)
        # A base that may be tiny makes the relative range say nothing ("antara −100,0% dan +30.180,4%", a walk):
        # wider than PCT_RANGE_WIDEST it is left out, and the change reads hidden beside its absolute range.
        useless = ~(pct_high - pct_low <= PCT_RANGE_WIDEST)
        pct_low, pct_high = np.where(useless, np.nan, pct_low), np.where(useless, np.nan, pct_high)
    pct_status = np.where((status == OK) & ~(low0 > 0), UNDEFINED, status).astype(object)
    return pd.DataFrame({
        key: frame[key].to_numpy(),
        "now": np.where(s1 == OK, low1, np.nan), "now_status": s1, "now_lower": np.where(s1 == HIDDEN, low1, np.nan),
        "now_upper": np.where(s1 == HIDDEN, high1, np.nan),
        "before": np.where(s0 == OK, low0, np.nan), "before_status": s0,
        "before_lower": np.where(s0 == HIDDEN, low0, np.nan), "before_upper": np.where(s0 == HIDDEN, high0, np.nan),
        "change": diff, "change_status": status, "change_lower": diff_low, "change_upper": diff_high,
        "change_pct": pct, "change_pct_status": pct_status, "change_pct_lower": pct_low,
        "change_pct_upper": pct_high})


def as_values(table: pd.DataFrame, kind: str) -> pd.DataFrame:
    """The `changes` of one kind (abs or pct) as plotted values: region_code, value, status, lower, upper."""
    column, key = ("change" if kind == "abs" else "change_pct"), table.columns[0]
    return pd.DataFrame({key: table[key].to_numpy(), "value": table[column].to_numpy(),
                         "status": table[f"{column}_status"].to_numpy(), "lower": table[f"{column}_lower"].to_numpy(),
                         "upper": table[f"{column}_upper"].to_numpy()})


def format_number(value: float, metric: str, kind: str, lang: str) -> str:
    """A change as shown, its sign first: +1.234, −Rp1,2 M, +5,2%, +2,1 poin persen (a rate's absolute change)."""
    size = abs(value)
    if kind == "pct":
        text = i18n.format_percent(size, lang)
    elif metric in metrics.RATES:
        return i18n.t("points", lang, n=format_number(value * 100, "", "number", lang))
    elif metric == "amount":
        text = i18n.format_rupiah(size, lang)
    elif kind == "number":
        text = i18n.format_decimal(size, lang)
    else:
        text = i18n.format_int(size, lang)
    zero = text.strip("Rp+%0,.") == ""  # rounds to nothing: no sign
    return text if zero else ("+" if value > 0 else "−") + text


def format_change(value: float, status: str, metric: str, kind: str, lang: str, threshold: int,
                  lower: float = np.nan, upper: float = np.nan) -> str:
    """A change or why there is none; a hidden change with its range where both values have published ranges."""
    if status == HIDDEN:
        if np.isfinite(lower) and np.isfinite(upper):
            return i18n.hidden_range_label(lang, format_number(lower, metric, kind, lang),
                                           format_number(upper, metric, kind, lang),
                                           exact=bool(np.isclose(lower, upper, rtol=0, atol=1e-9)))
        return i18n.hidden_label(lang, threshold)
    if status == OK and np.isfinite(value):
        return format_number(value, metric, kind, lang)
    return metrics.format_value(np.nan, status if status != OK else UNDEFINED, metric, "none", lang, threshold)


def format_changes(values: pd.DataFrame, metric: str, kind: str, lang: str, threshold: int) -> list[str]:
    return [format_change(v, s, metric, kind, lang, threshold, lo, hi) for v, s, lo, hi in
            zip(values["value"], values["status"], values["lower"], values["upper"], strict=True)]


def change_label(metric: str, kind: str, before: str, lang: str) -> str:
    """'Keluarga penerima: perubahan sejak 2024 (%)'."""
    return i18n.t("change_abs" if kind == "abs" else "change_pct", lang, measure=i18n.t(f"m_{metric}", lang),
                  before=before)


def build_change_table(table: pd.DataFrame, names: Sequence[str], metric: str, comparison: Comparison, lang: str,
                       threshold: int, first: str) -> pd.DataFrame:
    """One row per entry of `table` (a `changes` frame; `names` its row labels under the heading `first`): the value
    now and before, the change and the change in percent, each as shown (hidden marked, ranges where published)."""
    def shown(prefix: str) -> list[str]:
        values = pd.DataFrame({"value": table[prefix], "status": table[f"{prefix}_status"],
                               "lower": table[f"{prefix}_lower"], "upper": table[f"{prefix}_upper"]})
        return metrics.format_values(values, metric, "none", lang, threshold)

    def changed(kind: str) -> list[str]:
        return format_changes(as_values(table, kind), metric, kind, lang, threshold)

    full = comparison.like_for_like
    now = _side(comparison.year, comparison.now_months, comparison.now_periods, lang, full)
    before = _side(comparison.before, comparison.before_months, comparison.before_periods, lang, full)
    return pd.DataFrame({first: list(names), now: shown("now"), before: shown("before"),
                         i18n.t("col_change", lang): changed("abs"), i18n.t("col_change_pct", lang): changed("pct")})
