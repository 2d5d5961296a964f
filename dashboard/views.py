"""Pure builders behind the pages: tables and series shaped from published cells, with hidden values marked.

Nothing here queries the database or calls Streamlit: frames in, frames out, so each rule (hidden never a number,
hidden listed last, rates from one cell only) is tested directly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard import i18n, metrics
from dashboard.metrics import HIDDEN, NA, NODATA, OK, UNDEFINED, build_values, format_value, format_values, rank_values
from published_schema import ALL_CATEGORIES, ALL_PROGRAMS, PROGRAM_CODES, RECIPIENT_QUALITY_INDICATORS
from settings import BLT_DD_MONTHLY, SEMBAKO_MONTHLY

#: Standard annual benefit per household where the program pays a fixed amount (PKH depends on the members).
FIXED_ANNUAL_BENEFIT = {"SEMBAKO": SEMBAKO_MONTHLY * 12, "BLT_DD": BLT_DD_MONTHLY * 12}
STATUS_MEASURES = ("failed_payments", "returned_payments", "pending_payments", "late_payments")
#: The data-quality indicators shown beside each region (quarantined rows are about files, not recipients).
QUALITY_INDICATORS = RECIPIENT_QUALITY_INDICATORS


def count_labels(cells: pd.DataFrame, column: str, lang: str, threshold: int, unit: str = "unit_households"
                 ) -> list[str]:
    """A count column as shown: the number, or the hidden label (with the published range where the release has
    one for this column; `unit` its i18n key), or "not published at this level"."""
    lower, upper = metrics.hidden_range(cells, column)
    return [(metrics.hidden_between(low, high, lang, unit) if np.isfinite(low) and np.isfinite(high)
             else i18n.hidden_label(lang, threshold)) if hidden else
            (i18n.t("not_published", lang) if pd.isna(value) else i18n.format_int(value, lang))
            for hidden, value, low, high in zip(cells["suppressed"].astype(bool), cells[column], lower, upper,
                                                strict=True)]


def build_ranked_table(cells: pd.DataFrame, values: pd.DataFrame, metric: str, norm: str, lang: str,
                       threshold: int) -> pd.DataFrame:
    """Regions ranked by value (largest first), hidden and unpublished last and unranked; labels per language."""
    named = values if "name" in values else values.merge(cells[["region_code", "name"]], on="region_code")
    ranked = rank_values(named)
    # Values that carry their labels (a change) keep them; others are formatted as the metric's.
    labels = ranked["label"].tolist() if "label" in ranked else format_values(ranked, metric, norm, lang, threshold)
    return pd.DataFrame({
        i18n.t("col_rank", lang): ranked["rank"].astype(object).where(ranked["rank"].notna(), "–").astype(str),
        i18n.t("col_name", lang): ranked["name"],
        i18n.t("col_code", lang): ranked["region_code"],
        i18n.t("col_value", lang): labels,
    })


#: Compared lines whose peaks differ by this factor or more: the smaller ones draw flat near zero.
SCALES_APART = 10.0


def scales_apart(series: pd.DataFrame) -> bool:
    """Whether the compared series (`build_monthly_series`' frame) have peaks SCALES_APART or more apart, so that a
    reader is better served per 1,000 registered households (the country beside two kabupaten drew them flat)."""
    peaks = series.groupby("series")["value"].max().dropna()
    peaks = peaks[peaks > 0]
    return len(peaks) >= 2 and float(peaks.max()) >= SCALES_APART * float(peaks.min())


def build_monthly_series(monthly: pd.DataFrame, metric: str, series_column: str, series_names: dict[str, str],
                         norm: str, lang: str, threshold: int, denominators: pd.DataFrame | None = None
                         ) -> pd.DataFrame:
    """period, series, value (NaN unless published), label, from monthly cells (one row per series and month); series
    of programs also carry each row's `program` code (the series is its name in the reader's language), so that a
    download says the program every row is of."""
    if monthly.empty:
        return pd.DataFrame(columns=["period", "series", "value", "status", "label",
                                     *(["program"] if series_column == "program" else [])])
    values = build_values(monthly, metric, norm, denominators)
    frame = pd.DataFrame({"period": monthly["period"].to_numpy(),
                          "series": monthly[series_column].map(lambda s: series_names.get(s, s)).to_numpy(),
                          "value": values["value"].to_numpy(), "status": values["status"].to_numpy(),
                          "lower": values["lower"].to_numpy(), "upper": values["upper"].to_numpy()})
    frame["label"] = format_values(frame, metric, norm, lang, threshold)
    # Series in the order of `series_names` (its codes, then any other code), never by their translated names: a
    # series keeps its colour and legend place in both languages.
    order = {code: i for i, code in enumerate(series_names)}
    codes = monthly[series_column].astype(str).to_numpy()
    frame["_order"] = [order.get(code, len(order)) for code in codes]
    frame["_code"] = codes
    if series_column == "program":
        frame["program"] = codes
    frame = frame.sort_values(["_order", "_code", "period"], kind="stable")
    return frame.drop(columns=["_order", "_code"]).reset_index(drop=True)


def build_status_series(monthly: pd.DataFrame, lang: str, threshold: int) -> pd.DataFrame:
    """Failed, returned, pending and late payments per month (one region, one program, all channels)."""
    names = {"failed_payments": ("Gagal", "Failed"), "returned_payments": ("Retur", "Returned"),
             "pending_payments": ("Tertunda", "Pending"), "late_payments": ("Terlambat", "Late")}
    parts = []
    for measure in STATUS_MEASURES:
        status = np.where(monthly["suppressed"].astype(bool), HIDDEN, np.where(monthly[measure].isna(), NA, OK))
        part = pd.DataFrame({"period": monthly["period"].to_numpy(), "series": i18n.pick(names[measure], lang),
                             "value": monthly[measure].astype("Float64").astype(float).where(status == OK),
                             "status": status})
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True)
    frame["label"] = [format_value(v, s, "recipients", "none", lang, threshold)
                      for v, s in zip(frame["value"], frame["status"], strict=True)]
    return frame


def programs_here(year_cells: pd.DataFrame, names: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """(the programs of `names` that run here, the names of those that do not), from the year's cells of one or
    more regions: a program with no eligible household and no recipient in one of them (BLT Dana Desa in a
    kelurahan or a kota) is not drawn as a flat line of zeros."""
    absent = set(year_cells.loc[metrics.without_program(year_cells).to_numpy(), "program"])
    return ({code: name for code, name in names.items() if code not in absent},
            [name for code, name in names.items() if code in absent])


def series_table(series: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A chart's series as a wide table: one row per month, one column per series, labels as shown."""
    if series.empty:
        return pd.DataFrame()
    wide = series.pivot_table(index="period", columns="series", values="label", aggfunc="first", sort=False)
    wide = wide.reindex(sorted(wide.index)).reset_index()
    wide["period"] = [i18n.format_period(p, lang) for p in wide["period"]]
    return wide.rename(columns={"period": i18n.t("month", lang)}).rename_axis(columns=None)


def year_table(series: pd.DataFrame, lang: str) -> pd.DataFrame:
    """One line per year as a wide table: one row per month (January first), one column per year, labels as shown."""
    if series.empty:
        return pd.DataFrame()
    frame = series.assign(_month=series["period"].str[5:7].astype(int))
    wide = frame.pivot_table(index="_month", columns="series", values="label", aggfunc="first", sort=True)
    wide.index = [i18n.MONTHS[lang][m - 1] for m in wide.index]
    return wide.rename_axis(index=i18n.t("month", lang), columns=None).reset_index().fillna("–")


def build_cumulative(monthly: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Cumulative Rupiah paid by month (one region, one program). Stops at the first hidden month: a running total
    past a hidden value would be a guess."""
    frame = monthly.sort_values("period")[["period", "amount", "suppressed"]].reset_index(drop=True)
    blocked = (frame["suppressed"].astype(bool) | frame["amount"].isna()).cummax()
    cumulative = frame["amount"].astype("Float64").astype(float).cumsum().where(~blocked)
    labels = [i18n.format_rupiah(v, lang) if not np.isnan(v) else "–" for v in cumulative]
    return pd.DataFrame({"period": frame["period"], "value": cumulative, "label": labels})


def target_definition(lang: str) -> str:
    """How the annual target is computed, with the fixed benefits written as every Rupiah figure is (Rp2,40 jt /
    Rp2.40M; the text had "Rp2.4 M", with a space, in English)."""
    return i18n.t("target_definition", lang,
                  **{key: i18n.format_rupiah(FIXED_ANNUAL_BENEFIT[code], lang)
                     for key, code in (("sembako", "SEMBAKO"), ("blt_dd", "BLT_DD"))})


def annual_target(year_cells: pd.DataFrame, program: str) -> float | None:
    """The year's target in Rupiah from published figures of one region (None if any input is hidden or missing).

    Fixed-benefit programs: eligible households × annual benefit. PKH (benefit depends on the members): eligible
    households × the year's Rupiah per recipient household. All programs: the sum of the three.
    """
    if program == ALL_PROGRAMS:
        parts = [annual_target(year_cells, p) for p in PROGRAM_CODES
                 if p in set(year_cells["program"])]
        known = [p for p in parts if p is not None]
        return None if not parts or len(known) < len(parts) else float(sum(known))
    row = year_cells[year_cells["program"] == program]
    if row.empty or bool(row["suppressed"].iloc[0]) or pd.isna(row["eligible_households"].iloc[0]):
        return None
    eligible = float(row["eligible_households"].iloc[0])
    if program in FIXED_ANNUAL_BENEFIT:
        return eligible * FIXED_ANNUAL_BENEFIT[program]
    recipients, amount = row["recipients"].iloc[0], row["amount"].iloc[0]
    if pd.isna(recipients) or pd.isna(amount) or recipients == 0:
        return None
    return eligible * float(amount) / float(recipients)


def build_gaps(cells: pd.DataFrame, registered: pd.DataFrame) -> pd.DataFrame:
    """Per region (one program, whole year): eligible, recipients, gap (eligible minus recipients), gap share,
    coverage (recipients per eligible household), eligible share.

    The gap is not a count of households (eligible households not paid less those paid outside the target): how
    many eligible households were paid is not published (README, "Eligible households paid: not published").
    `registered` has region_code, registered_households, registered_suppressed (program SEMUA cells).
    A hidden cell hides every figure of its region (status hidden); eligible share also needs the registered cell.
    """
    own = [c for c in ("region_code", "name", "region_name", "parent_code", "suppressed", "recipients",
                       "eligible_households") if c in cells]
    frame = cells[own].merge(registered, on="region_code", how="left")
    hidden = frame["suppressed"].astype(bool) | frame["eligible_households"].isna()
    eligible = frame["eligible_households"].astype("Float64").astype(float)
    recipients = frame["recipients"].astype("Float64").astype(float)
    frame["status"] = np.where(frame["suppressed"].astype(bool), HIDDEN, np.where(hidden, NA, OK))
    # A program with no eligible household and no recipient here has no gap to rank: not a gap of 0.
    frame.loc[metrics.without_program(frame).to_numpy(), "status"] = NODATA
    ok = frame["status"] == OK
    frame["gap"] = (eligible - recipients).where(ok)
    frame["gap_share"] = (frame["gap"] / eligible.where(eligible > 0)).where(ok)
    frame["coverage"] = (recipients / eligible.where(eligible > 0)).where(ok)
    registered_ok = ~frame["registered_suppressed"].fillna(True).astype(bool)
    den = frame["registered_households"].astype("Float64").astype(float)
    frame["eligible_share"] = (eligible / den.where(den > 0)).where(ok & registered_ok)
    return frame


def rank_gaps(gaps: pd.DataFrame, by: str) -> pd.DataFrame:
    """Widest gap first (by `gap` or `gap_share`); hidden, unpublished and no-data regions last, unranked."""
    order = gaps.assign(_ok=gaps["status"] == OK)
    order = order.sort_values(["_ok", by, "name"], ascending=[False, False, True], na_position="last", kind="stable")
    ranks = order[by].where(order["_ok"]).rank(method="min", ascending=False)
    return order.assign(rank=ranks.astype("Int64")).drop(columns="_ok").reset_index(drop=True)


def flag_outliers(frame: pd.DataFrame, x: str, y: str, z: float = 2.0, most: int = 8) -> pd.Series:
    """Points far from the straight-line fit of y on x (|standardised residual| >= z), at most `most`."""
    usable = frame[[x, y]].dropna()
    flags = pd.Series(False, index=frame.index)
    if len(usable) < 5 or usable[x].nunique() < 2:
        return flags
    slope, intercept = np.polyfit(usable[x], usable[y], 1)
    residual = usable[y] - (slope * usable[x] + intercept)
    spread = residual.std(ddof=1)
    if not spread > 0:
        return flags
    scores = (residual / spread).abs()
    chosen = scores[scores >= z].sort_values(ascending=False).head(most).index
    flags[chosen] = True
    return flags


def pivot_quality(quality: pd.DataFrame, lang: str, threshold: int) -> pd.DataFrame:
    """region_code and one label column per data-quality indicator (hidden marked)."""
    if quality.empty:
        return pd.DataFrame(columns=["region_code"])
    quality = quality[quality["indicator"].isin(QUALITY_INDICATORS)].copy()
    quality["label"] = count_labels(quality, "households", lang, threshold)
    wide = quality.pivot_table(index="region_code", columns="indicator", values="label", aggfunc="first")
    wide = wide.reindex(columns=list(QUALITY_INDICATORS))
    return wide.rename(columns={c: i18n.t(f"q_{c}", lang) for c in QUALITY_INDICATORS}).reset_index()


def build_gap_table(ranked: pd.DataFrame, quality: pd.DataFrame, lang: str, threshold: int) -> pd.DataFrame:
    """The ranked gaps as shown: every figure formatted, hidden regions marked (and last)."""
    def fmt(column: str, kind: str) -> list[str]:
        out = []
        for value, status in zip(ranked[column], ranked["status"], strict=True):
            if status != OK or pd.isna(value):
                out.append(format_value(np.nan, status if status != OK else "undefined", "recipients", "none",
                                        lang, threshold))
            else:
                out.append(i18n.format_percent(value, lang) if kind == "pct" else i18n.format_int(value, lang))
        return out

    table = pd.DataFrame({
        i18n.t("col_rank", lang): ranked["rank"].astype(object).where(ranked["rank"].notna(), "–").astype(str),
        i18n.t("col_name", lang): ranked["name"], i18n.t("col_code", lang): ranked["region_code"],
        i18n.t("m_eligible", lang): fmt("eligible_households", "int"),
        i18n.t("m_recipients", lang): fmt("recipients", "int"),
        i18n.t("gap_abs", lang): fmt("gap", "int"), i18n.t("gap_pct", lang): fmt("gap_share", "pct"),
    })
    if not quality.empty:
        flags = ranked[["region_code"]].merge(quality, on="region_code", how="left").drop(columns="region_code")
        table = pd.concat([table, flags.fillna(i18n.t("not_published", lang))], axis=1)
    return table


#: The gaps table's ranked figures (rank, name, code, eligible, recipients, gap, gap %); the data-quality flags
#: come after them.
GAP_FIGURES = 7


def split_gap_table(table: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, pd.DataFrame | None, str]:
    """(the ranked figures, the same rows' data-quality flags by rank and name or None where there are none, that
    second table's title): at 1280 px the page has about 800 px, and ten columns in one table scrolled sideways,
    as did eight whose figures read "disembunyikan", the one word a column cannot be narrower than."""
    flags = table.columns[GAP_FIGURES:]
    others = table[[*table.columns[:2], *flags]] if len(flags) else None
    return table.iloc[:, :GAP_FIGURES], others, i18n.t("quality_flags_all", lang)


#: The profile's figures, in its table's column order: (measure, the i18n key of its header).
PROFILE_FIGURES = (("recipients", "m_recipients"), ("amount", "m_amount"), ("coverage", "m_coverage"),
                   ("eligible_households", "m_eligible"), ("registered_households", "m_registered"))


def build_profile_figures(year_cells: pd.DataFrame) -> pd.DataFrame:
    """One region's year by program as long rows (program, measure, value, status, lower, upper), programs in
    PROGRAM_CODES order then all programs, measures in PROFILE_FIGURES order: what the profile's table shows and its
    download writes. Eligible households are published per program, registered households for all programs
    together: the other rows have no such figure by definition (`undefined`), which is not "not published at this
    level"; a hidden row is `hidden` only for a figure its program has (a hidden PKH row has no registered count)."""
    order = [*PROGRAM_CODES, ALL_PROGRAMS]
    cells = year_cells.set_index("program").reindex([p for p in order if p in set(year_cells["program"])])
    cells = cells.reset_index()
    programs = cells["program"].to_numpy()
    parts = [build_values(cells, metric).drop(columns="region_code").assign(program=programs, measure=metric)
             for metric in ("recipients", "amount", "coverage")]
    all_programs = programs == ALL_PROGRAMS
    for column, defined in (("eligible_households", ~all_programs), ("registered_households", all_programs)):
        status = np.where(~defined, UNDEFINED, np.where(cells["suppressed"].astype(bool), HIDDEN,
                                                        np.where(cells[column].isna(), UNDEFINED, OK)))
        value = pd.to_numeric(cells[column], errors="coerce").astype(float).where(status == OK)
        parts.append(pd.DataFrame({"value": value.to_numpy(), "status": status, "lower": np.nan, "upper": np.nan,
                                   "program": programs, "measure": column}))
    return pd.concat(parts, ignore_index=True)[["program", "measure", "value", "status", "lower", "upper"]]


def build_profile_table(figures: pd.DataFrame, programs: pd.DataFrame, lang: str, threshold: int) -> pd.DataFrame:
    """One region's year by program: recipients, Rupiah, coverage, eligible, registered (`figures`, the region's
    build_profile_figures, labelled: its page reads them for its notes and download too)."""
    names = {code: i18n.program_short(code, lang) for code in programs["code"]}
    shown = list(dict.fromkeys(figures["program"]))
    rows = {i18n.t("program", lang): [names.get(p, p) for p in shown]}
    for measure, key in PROFILE_FIGURES:
        part = figures[figures["measure"] == measure]  # programs in `shown` order (build_profile_figures)
        # Households, not the measure's own format: eligible and registered are counts.
        kind = measure if measure in ("recipients", "amount", "coverage") else "recipients"
        rows[i18n.t(key, lang)] = format_values(part, kind, "none", lang, threshold)
    return pd.DataFrame(rows)


def has_hidden(figures: pd.DataFrame) -> bool:
    """Whether a profile's figures (build_profile_figures) hide any value."""
    return bool((figures["status"] == HIDDEN).any())


def programs_overlap(figures: pd.DataFrame) -> bool:
    """Whether a profile shows all programs beside two or more programs: a household may receive several, so the
    programs' households add up to more than all programs' (their Rupiah add up)."""
    programs = set(figures["program"])
    return ALL_PROGRAMS in programs and len(programs - {ALL_PROGRAMS}) >= 2


def coverage_above_full(figures: pd.DataFrame) -> list[str]:
    """Programs whose published recipients per eligible household are above 100% (build_profile_figures' rows), in
    their order: the profile says why, since a share above the whole reads as an error."""
    rows = figures[(figures["measure"] == "coverage") & (figures["status"] == OK) & (figures["value"] > 1.0)]
    return list(dict.fromkeys(rows["program"]))


def shows_blt_coverage(year_cells: pd.DataFrame, program: str = ALL_PROGRAMS) -> bool:
    """Whether a view of `program` (BLT Dana Desa's own, or all programs, whose figures list each program's) shows
    BLT Dana Desa's published recipients per eligible household from these year cells (one region's programs): the
    pages explain its low figure wherever it shows (i18n `blt_coverage_note`)."""
    row = year_cells[year_cells["program"] == "BLT_DD"]
    return (program in ("BLT_DD", ALL_PROGRAMS) and not row.empty
            and bool((build_values(row, "coverage")["status"] == OK).any()))


def stack_table(table: pd.DataFrame, measure: str, value: str, lang: str) -> pd.DataFrame:
    """A wide table as one row per (first column, other column): three columns a phone shows without scrolling.

    The value column is text in the reader's locale (a count beside a formatted share in one column would not
    convert to Arrow), and an empty cell (no description) makes no row."""
    key = table.columns[0]
    long = table.reset_index(drop=True).melt(id_vars=[key], var_name=measure, value_name=value, ignore_index=False)
    long[value] = [cell_text(v, lang) for v in long[value]]
    long = long[long[value] != ""]
    # Row by row in the table's order, by position: two rows may share a first column (two kecamatan of one name in
    # a province's gaps), and ordering by it interleaved their cells.
    return long.sort_index(kind="stable").reset_index(drop=True)


def cell_text(value: object, lang: str) -> str:
    """One table cell as the reader's text: numbers in the reader's locale, nothing for a missing value."""
    if i18n.is_missing(value):
        return ""
    if isinstance(value, bool | str):
        return str(value).strip()
    if isinstance(value, int | np.integer) or (isinstance(value, float | np.floating) and float(value).is_integer()):
        return i18n.format_int(int(value), lang)
    if isinstance(value, float | np.floating):
        return i18n.format_decimal(float(value), lang)
    return str(value)


def sibling_rank(values: pd.DataFrame, code: str) -> tuple[int | None, int]:
    """(rank of `code` among the published values, number of ranked siblings); rank None when its value is hidden."""
    ranked = rank_values(values)
    ranked_ok = ranked[ranked["status"] == OK]
    mine = ranked[ranked["region_code"] == code]
    if mine.empty or mine["status"].iloc[0] != OK:
        return None, len(ranked_ok)
    return int(mine["rank"].iloc[0]), len(ranked_ok)


def rank_text(values: pd.DataFrame, code: str, measure: str, lang: str, metric: str = "recipients",
              norm: str = "registered") -> str:
    """The profile's rank among its siblings with the value it ranks on (a walk read "2 of 5 by ..." with no figure),
    and why some siblings are not ranked: the heading counts every sibling ("among 5"), the rank only those with a
    published value ("1 of 2"), which read as a contradiction unexplained. `metric` and `norm` format the value."""
    rank, count = sibling_rank(values, code)
    if rank:
        own = float(values.loc[values["region_code"] == code, "value"].iloc[0])
        shown = format_value(own, OK, metric, norm, lang, 0)
        text = i18n.t("rank_value", lang, rank=rank, n=count, metric=measure, value=shown)
    else:
        # Only a hidden value is "hidden": a region without a figure (0 households to divide by, no data) is not.
        mine = values.loc[values["region_code"] == code, "status"]
        text = i18n.t("rank_hidden" if not mine.empty and mine.iloc[0] == HIDDEN else "rank_no_value", lang)
    others = values[(values["region_code"] != code) & (values["status"] != OK)]
    hidden = int((others["status"] == HIDDEN).sum())
    if hidden:
        text += " " + i18n.t("rank_unranked_hidden", lang, k=hidden, n=count)
    if len(others) > hidden:
        text += " " + i18n.t("rank_unranked_other", lang, k=len(others) - hidden)
    return text


def build_complaint_table(complaints: pd.DataFrame, lang: str, threshold: int) -> pd.DataFrame:
    """Complaints of one region and year by category (SEMUA first), statuses as columns, hidden marked."""
    if complaints.empty:
        return pd.DataFrame()
    frame = complaints.assign(_first=complaints["category"] != ALL_CATEGORIES).sort_values(["_first", "category"])
    rows = {i18n.t("col_category", lang): [i18n.pick(i18n.CATEGORIES.get(c, (c, c)), lang)
                                           for c in frame["category"]]}
    for column, key in (("complaints", "complaints"), ("baru", "c_baru"), ("diproses", "c_diproses"),
                        ("selesai", "c_selesai"), ("ditolak", "c_ditolak")):
        rows[i18n.t(key, lang)] = count_labels(frame, column, lang, threshold, "unit_complaints")
    return pd.DataFrame(rows)


#: Provinces named one by one in the note on what a release covers; more are counted.
LISTED_PROVINCES = 6


def release_coverage(provinces: pd.DataFrame, lang: str) -> str:
    """What the release's "Indonesia" adds up: its provinces (`provinces`: name and kind columns, one row each),
    named when there are few."""
    names = [i18n.region_name(n, k, lang) for n, k in zip(provinces["name"], provinces["kind"], strict=True)]
    if len(names) > LISTED_PROVINCES:
        return i18n.t("release_covers_many", lang, n=len(names))
    return i18n.t("release_covers", lang, n=len(names), provinces=", ".join(names))


def build_headlines(cells: pd.DataFrame, year_cells: pd.DataFrame, program: str, lang: str,
                    threshold: int) -> list[tuple[str, str]]:
    """(label, value as shown) for one region, program and period; coverage from the year's cell of the program
    (per program when all programs are chosen: eligible households are published per program only)."""
    out = []
    for metric in ("recipients", "amount", "ontime", "failed_share"):
        values = build_values(cells, metric)
        out.append((i18n.t(f"m_{metric}", lang), format_values(values, metric, "none", lang, threshold)[0]))
    failed = cells[["suppressed", "failed_payments", "returned_payments"]].iloc[0]
    status = HIDDEN if failed["suppressed"] else (NA if pd.isna(failed["failed_payments"]) else OK)
    count = np.nan if status != OK else float(failed["failed_payments"]) + float(failed["returned_payments"])
    out.append((i18n.t("m_failed", lang), format_value(count, status, "recipients", "none", lang, threshold)))
    programs = PROGRAM_CODES if program == ALL_PROGRAMS else (program,)
    for code in programs:
        row = year_cells[year_cells["program"] == code]
        if row.empty:
            continue
        values = build_values(row, "coverage")
        if values["status"].iloc[0] in (UNDEFINED, NODATA) and program == ALL_PROGRAMS:
            continue    # no eligible household and none paid: the program does not run here (BLT Dana Desa in a kota)
        label = i18n.t("m_coverage", lang) + ("" if program != ALL_PROGRAMS else f" ({i18n.program_short(code, lang)})")
        out.append((label, format_value(values["value"].iloc[0], values["status"].iloc[0], "coverage", "none", lang,
                                        threshold)))
    return out


def headline_rows(headlines: list[tuple[str, str]], lang: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The headline figures in groups to show as rows: (title, [(label, value)]). Per-program coverage figures go
    under one title and are labelled by program alone ("Coverage of eligible households (BLT Dana Desa)" does not
    fit a third of the page); the others have no title."""
    coverage = i18n.t("m_coverage", lang) + " ("
    plain = [(label, value) for label, value in headlines if not label.startswith(coverage)]
    grouped = [(label.removeprefix(coverage).removesuffix(")"), value) for label, value in headlines
               if label.startswith(coverage)]
    title = i18n.t("m_coverage_by_program", lang)
    return [("", plain), (title, grouped)] if grouped else [("", plain)]


def build_hidden_summary(tables: dict, dictionary: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Per published cell table: cells, hidden cells and the table's description, from the release's `tables`."""
    descriptions = dictionary[dictionary["column_name"].fillna("") == ""].set_index("table_name")[f"description_{lang}"]
    rows = []
    for name, stats in tables.items():
        cells, hidden = int(stats.get("cells", 0)), int(stats.get("suppressed", 0))
        rows.append({i18n.t("col_table", lang): i18n.t(f"table_{name}", lang),
                     i18n.t("col_cells", lang): i18n.format_int(cells, lang),
                     i18n.t("col_hidden", lang): f"{i18n.format_int(hidden, lang)} "
                                                 f"({i18n.format_percent(hidden / cells if cells else 0, lang)})",
                     i18n.t("col_description", lang): descriptions.get(name, "")})
    return pd.DataFrame(rows)


def hidden_summary_lines(summary: pd.DataFrame, lang: str) -> list[tuple[str, str]]:
    """A phone's reading of `build_hidden_summary`: per table, (one markdown line "**table** · cells · hidden",
    its description escaped). Stacked into a table's value column, a description took rows about 700 px tall at
    390 px."""
    table, cells, hidden, description = (i18n.t(k, lang) for k in ("col_table", "col_cells", "col_hidden",
                                                                   "col_description"))
    return [(f"**{i18n.escape(row[table])}** · {cells}: {row[cells]} · {hidden}: {i18n.escape(row[hidden])}",
             i18n.escape(row[description], limit=2000)) for _, row in summary.iterrows()]


def hidden_explanation(tables: dict, lang: str, threshold: int, year: str) -> str:
    """Why cells are hidden, and how many of `year`'s were (each year is protected on its own)."""
    stats = tables.get("disbursement_cells", {})
    cells = max(int(stats.get("cells", 0)), 1)
    share = i18n.format_percent(int(stats.get("suppressed", 0)) / cells, lang)
    return i18n.t("hidden_why", lang, threshold=threshold, hidden=i18n.hidden_label(lang, threshold), share=share,
                  year=year, desa=i18n.format_percent(float(stats.get("share_amount_hidden_desa", 0)), lang),
                  kec=i18n.format_percent(float(stats.get("share_amount_hidden_kecamatan", 0)), lang),
                  kab=i18n.format_percent(float(stats.get("share_amount_hidden_kabupaten", 0)), lang))


def cumulative_table(cumulative: pd.DataFrame, target: float | None, lang: str) -> pd.DataFrame:
    table = pd.DataFrame({i18n.t("month", lang): [i18n.format_period(p, lang) for p in cumulative["period"]],
                          i18n.t("cumulative", lang): cumulative["label"]})
    table[i18n.t("target", lang)] = i18n.format_rupiah(target, lang) if target is not None else "–"
    return table


def build_scatter_points(gaps: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Published regions only: x = eligible share of registered households, y = coverage, outliers flagged."""
    points = gaps[(gaps["status"] == OK) & gaps["eligible_share"].notna() & gaps["coverage"].notna()]
    points = pd.DataFrame({"region_code": points["region_code"], "name": points["name"],
                           "region_name": points.get("region_name", points["name"]),
                           "x": points["eligible_share"].astype(float), "y": points["coverage"].astype(float)})
    points["outlier"] = flag_outliers(points, "x", "y")
    points["label"] = [f"{n}: {i18n.format_percent(x, lang)} → {i18n.format_percent(y, lang)}"
                       for n, x, y in zip(points["name"], points["x"], points["y"], strict=True)]
    return points.reset_index(drop=True)


def scatter_table(points: pd.DataFrame, lang: str) -> pd.DataFrame:
    return pd.DataFrame({
        i18n.t("col_name", lang): points["name"], i18n.t("col_code", lang): points["region_code"],
        i18n.t("eligible_share", lang): [i18n.format_percent(v, lang) for v in points["x"]],
        i18n.t("m_coverage", lang): [i18n.format_percent(v, lang) for v in points["y"]],
        i18n.t("col_outlier", lang): ["✓" if o else "" for o in points["outlier"]]})
