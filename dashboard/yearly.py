"""Year over year from the published database: the change since the year before of a map's regions or of one
region's programs, each read one year at a time (`dashboard.change` does the arithmetic), and its two renderings
(headline changes on the overview, a table by program in region profiles)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import change, components, db, i18n, metrics
from dashboard.change import Comparison
from dashboard.components import PageContext
from dashboard.i18n import format_period, t
from published_schema import ALL_PROGRAMS, PROGRAM_CODES


def year_tables(ctx: PageContext) -> tuple[str, dict]:
    """(the year they count, the per-table counts: cells, hidden cells, share of Rupiah hidden). The release's
    `years` JSON holds them per published year, so they are the picked year's; a release without it has the latest
    year's (`tables`) only, and the year says so: a share of hidden cells shown without its year read as the whole
    release's."""
    by_year = db.get_release_row(ctx.release.release_id).get("years") or {}
    if by_year.get(ctx.year, {}).get("tables"):
        return ctx.year, by_year[ctx.year]["tables"]
    return max(db.get_years(ctx.release.release_id)), ctx.release.tables


def months_of(release_id: str, year: str) -> list[int]:
    """The months a year publishes (1-12; the latest year may stop earlier)."""
    return [int(p[5:]) for p in db.get_periods(release_id, year) if len(p) == 7]


def previous_year(ctx: PageContext) -> str | None:
    return change.previous_year(ctx.year, db.get_years(ctx.release.release_id))


def comparison(ctx: PageContext, period: str, level: str, metric: str) -> Comparison | None:
    """What `period` of the picked year is compared with (None: no year before, or not its month)."""
    before = previous_year(ctx)
    if before is None:
        return None
    release_id = ctx.release.release_id
    return change.plan(period, ctx.year, before, months_of(release_id, ctx.year), months_of(release_id, before),
                       level, metric)


def map_changes(ctx: PageContext, code: str, level: str, program: str, period: str,
                metric: str) -> tuple[Comparison | None, pd.DataFrame | None]:
    """The comparison and the `change.changes` of every region at `level` inside `code` (None when there is no
    year before to compare with). The same months of both years only when every one of their cells is published."""
    found = comparison(ctx, period, level, metric)
    if found is None:
        return None, None
    release_id = ctx.release.release_id

    def cells(periods: Sequence[str]) -> list[pd.DataFrame]:
        return [db.get_cells(release_id, code, level, program, p) for p in periods]

    now, before = cells(found.now_periods), cells(found.before_periods)
    if found.from_months and not change.all_published([*now, *before], metric):
        found = change.fallback(found)
        now, before = cells(found.now_periods), cells(found.before_periods)

    def values(frames: list[pd.DataFrame]) -> pd.DataFrame:
        return change.combine([metrics.build_values(f, metric) for f in frames], metric)

    return found, change.changes(values(now), values(before))


def region_changes(ctx: PageContext, code: str, programs: Sequence[str], period: str,
                   metric: str) -> tuple[Comparison | None, pd.DataFrame | None]:
    """The comparison and the `change.changes` of one region's programs (key `program`), for `period`."""
    found = comparison(ctx, period, db.level_of_code(code), metric)
    if found is None:
        return None, None
    release_id = ctx.release.release_id

    def cells(periods: Sequence[str], year: str) -> list[pd.DataFrame]:
        if len(periods) == 1:
            frame = db.get_region_cells(release_id, code, periods[0])
            return [frame[frame["program"].isin(programs)]]
        monthly = db.get_monthly(release_id, (code,), tuple(programs), year)
        return [monthly[monthly["period"] == p] for p in periods]

    now, before = cells(found.now_periods, found.year), cells(found.before_periods, found.before)
    if found.from_months and not change.all_published([*now, *before], metric):
        found = change.fallback(found)
        now, before = cells(found.now_periods, found.year), cells(found.before_periods, found.before)

    def values(frames: list[pd.DataFrame]) -> pd.DataFrame:
        return change.combine([metrics.build_values(f, metric).assign(program=f["program"].to_numpy())
                               for f in frames], metric, key="program")

    return found, change.changes(values(now), values(before), key="program")


def notes(ctx: PageContext, comparison: Comparison, metric: str) -> list[str]:
    """What a change compares when the picked year is partial (the same months, or plainly fewer months), and the
    hidden-value rule."""
    out = []
    through = format_period(f"{comparison.year}-{comparison.now_months[1]:02d}", ctx.lang)
    if comparison.from_months:
        out.append(t("change_basis_months", ctx.lang, label=comparison.label(ctx.lang), year=comparison.year,
                     through=through))
        if change.SUMMED.get(metric) == "mean":
            out.append(t("change_recipients_mean", ctx.lang))
    elif not comparison.like_for_like:
        out.append(t("change_basis_partial", ctx.lang, label=comparison.label(ctx.lang), year=comparison.year,
                     through=through, before=comparison.before))
    out.append(t("change_hidden_rule", ctx.lang))
    return out


def _arrow(value: float) -> Literal["up", "down", "off"]:
    return "up" if value > 0 else "down" if value < 0 else "off"


def render_changes(ctx: PageContext, code: str, program: str, period: str) -> None:
    """The overview's change since the year before: recipients and Rupiah of one region and program, absolute with
    the percent as the delta (a hidden change: hidden, or its range; never a number from a hidden cell)."""
    before = previous_year(ctx)
    if before is None:  # the first published year: say why there is no change rather than leave a reader looking
        st.caption(t("no_previous_year", ctx.lang, before=int(ctx.year) - 1))
        return
    threshold, shown = ctx.release.threshold, []
    for metric in change.HEADLINE_METRICS:
        comparison, table = region_changes(ctx, code, (program,), period, metric)
        if comparison is not None and table is not None and not table.empty:
            shown.append((metric, comparison, table.iloc[0]))
    st.subheader(t("change_title", ctx.lang, before=before))
    if not shown:
        st.caption(t("no_previous_month", ctx.lang, before=before))
        return
    for column, (metric, comparison, row) in zip(st.columns(len(shown)), shown, strict=True):
        absolute = change.format_change(row["change"], row["change_status"], metric, "abs", ctx.lang, threshold,
                                        row["change_lower"], row["change_upper"])
        pct_ok = row["change_pct_status"] == metrics.OK and np.isfinite(row["change_pct"])
        pct = change.format_change(row["change_pct"], row["change_pct_status"], metric, "pct", ctx.lang, threshold,
                                   row["change_pct_lower"], row["change_pct_upper"])
        components.render_metric(column, f"{t(f'm_{metric}', ctx.lang)} ({comparison.label(ctx.lang)})", absolute,
                                 ctx.lang, delta=pct if pct_ok else None, delta_color="off",
                                 delta_arrow=_arrow(row["change_pct"]) if pct_ok else "off")
        if not pct_ok:  # hidden, its range, or undefined (nothing the year before): said in words, no arrow
            column.caption(f"{t('col_change_pct', ctx.lang)}: {pct}")
    for note in dict.fromkeys(n for metric, comparison, _ in shown for n in notes(ctx, comparison, metric)):
        st.caption(note)


def profile_changes(ctx: PageContext, code: str, metric: str) -> tuple[Comparison | None, pd.DataFrame]:
    """A region's change since the year before by program (whole year, or the same months), as shown."""
    programs = (*PROGRAM_CODES, ALL_PROGRAMS)
    comparison, table = region_changes(ctx, code, programs, ctx.year, metric)
    if comparison is None or table is None:
        return None, pd.DataFrame()
    order = {p: i for i, p in enumerate(programs)}
    table = table.sort_values("program", key=lambda s: s.map(order)).reset_index(drop=True)
    names = [i18n.program_short(p, ctx.lang) for p in table["program"]]
    return comparison, change.build_change_table(table, names, metric, comparison, ctx.lang, ctx.release.threshold,
                                                 t("program", ctx.lang))


def render_profile_changes(ctx: PageContext, code: str, narrow: bool) -> None:
    """Region profiles: recipients and Rupiah by program, this year against the year before."""
    before = previous_year(ctx)
    if before is None:
        return
    st.subheader(t("change_title", ctx.lang, before=before))
    shown_notes: list[str] = []
    for metric in change.HEADLINE_METRICS:
        comparison, table = profile_changes(ctx, code, metric)
        if comparison is None or table.empty:
            continue
        st.markdown(f"**{t(f'm_{metric}', ctx.lang)}** — {i18n.escape(comparison.label(ctx.lang), limit=200)}")
        components.render_table(table, t("metric", ctx.lang), narrow)
        if any(i18n.is_hidden_label(str(value), ctx.lang) for value in table.to_numpy().ravel()):
            # Why a value is hidden, where the year before has one and this year none (a walk found "disembunyikan
            # (antara 50 dan 78 keluarga)" in the 2024 column with nothing on the page saying why).
            shown_notes.append(i18n.hidden_note(ctx.lang, ctx.release.threshold))
        shown_notes.extend(notes(ctx, comparison, metric))
    for note in dict.fromkeys(shown_notes):
        st.caption(note)
