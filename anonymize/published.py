"""The published database: writing a release's tables, and reading them back for a stand-alone audit."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from anonymize.aggregate import Scope, year_to_date_code
from anonymize.build import History, PublishedYear, YearRelease, published_frames
from anonymize.dictionary import dictionary_frame
from anonymize.tables import (
    UNPUBLISHED,
    ProtectedTableInput,
    disbursement_applicability,
    disbursement_table,
    feedback_table,
    program_sum_rows,
    quality_table,
    with_unpublished,
)
from published_schema import (
    ALL_PROGRAMS,
    CELL_TABLES,
    COMPLAINT_CATEGORIES,
    COMPLAINT_STATUSES,
    DESA_SCHEDULES,
    EARLIER_SUFFIX,
    PROGRAM_SUM_MEASURES,
    PROPOSAL_KINDS,
    PROPOSAL_STATUSES,
    QUALITY_INDICATORS,
    table_range_columns,
)
from settings import PROGRAMS

# CELL_TABLES and EARLIER_SUFFIX are re-exported: the `<table>_earlier` tables let an audit of this release alone
# see everything readers hold.
__all__ = ["CELL_TABLES", "EARLIER_SUFFIX", "PublishedRelease", "ReleaseInfo", "load_history", "published_years",
           "read_ranges", "read_release", "read_years", "write_ranges", "write_release"]


@dataclass(frozen=True)
class ReleaseInfo:
    release_id: str
    created_at: str
    previous_release_id: str | None
    sources: dict[str, Any]


def write_release(path: Path, years: list[YearRelease], info: ReleaseInfo, threshold: int,
                  audit: dict[str, Any]) -> None:
    """Write every published table into a new DuckDB file (which must not exist yet): every year's cells in the
    same tables, each year as protected in this run or carried unchanged from an earlier release."""
    latest = years[-1]
    if latest.result is None:
        raise ValueError("the latest year of a release is always protected in its own run")
    result = latest.result
    cells: dict[str, list[pd.DataFrame]] = {}
    # Readers keep every year's earlier year-to-dates (`2025@10`) for good: they stay in each release's audit.
    earlier: dict[str, list[pd.DataFrame]] = {}
    periods = []
    for year in years:
        if year.result is not None:
            for table in year.result.tables:
                published, year_to_date = published_frames(table, year.result.regions, year.result.scope)
                cells.setdefault(table.name, []).append(published)
                earlier.setdefault(table.name, []).append(year_to_date)
        else:
            assert year.carried is not None
            for name, frame in year.carried.frames.items():
                cells.setdefault(name, []).append(frame)
                earlier.setdefault(name, []).append(year.carried.earlier[name])
        periods.append(_periods(year.year, year.through_month))
    con = duckdb.connect(str(path))
    try:
        for name, frames in cells.items():
            _write_frame(con, name, pd.concat(frames, ignore_index=True))
            _write_frame(con, f"{name}{EARLIER_SUFFIX}", pd.concat(earlier[name], ignore_index=True))
        _write_frame(con, "regions", result.regions)
        _write_frame(con, "programs", _programs())
        _write_frame(con, "periods", pd.concat(periods, ignore_index=True))
        _write_frame(con, DESA_SCHEDULES, _schedules_frame([y.schedules for y in years]))
        _write_frame(con, "data_dictionary", dictionary_frame())
        by_year = {str(y.year): {"through": y.through, "published_in": y.published_in or info.release_id,
                                 "tables": y.stats, "program_rules": y.program_rules,
                                 "desa_schedules": y.schedules is not None} for y in years}
        _write_frame(con, "release", pd.DataFrame([{
            "release_id": info.release_id, "created_at": info.created_at, "data_year": result.scope.year,
            "data_through": result.scope.through, "provinces": ",".join(result.scope.provinces),
            "threshold": threshold, "rules": json.dumps(_rules(threshold, latest.program_rules)),
            "sources": json.dumps(info.sources), "tables": json.dumps(latest.stats), "audit": json.dumps(audit),
            "previous_release_id": info.previous_release_id, "years": json.dumps(by_year)}]))
    finally:
        con.close()


def write_ranges(path: Path, ranges: dict[str, pd.DataFrame]) -> None:
    """Add each cell table's range columns (and its `_earlier` table's) to a written release: per table name, a
    frame of the hidden cells' keys (as the protected table's frame names them: `region`, ...) and range columns.
    Published cells get NULL."""
    con = duckdb.connect(str(path))
    try:
        for name, frame in ranges.items():
            columns = table_range_columns(name)
            keys = [c for c in frame.columns if c not in columns]
            con.register("_ranges", frame)
            try:
                for target in (name, f"{name}{EARLIER_SUFFIX}"):
                    # Table, key and range column names come from published_schema, never from input.
                    for column in columns:
                        con.execute(f'ALTER TABLE {target} ADD COLUMN "{column}" BIGINT')
                    assignments = ", ".join(f'"{c}" = r."{c}"' for c in columns)
                    matches = " AND ".join(f'{target}."{"region_code" if k == "region" else k}" = r."{k}"'
                                           for k in keys)
                    con.execute(f"UPDATE {target} SET {assignments} FROM _ranges r WHERE {matches}")  # noqa: S608
            finally:
                con.unregister("_ranges")
    finally:
        con.close()


def _write_frame(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    con.register("_frame", frame)
    try:
        # `name` is one of this module's fixed table names, never input.
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM _frame")  # noqa: S608
    finally:
        con.unregister("_frame")


def _schedules_frame(frames: list[pd.DataFrame | None]) -> pd.DataFrame:
    """The `desa_schedules` table: every year's rows (region_code, program, period, payment_size in Rp, NULL
    where a desa paid both sizes)."""
    empty = pd.DataFrame({"region_code": pd.Series(dtype="string"), "program": pd.Series(dtype="string"),
                          "period": pd.Series(dtype="string"), "payment_size": pd.Series(dtype="Int64")})
    rows = [f[list(empty.columns)] for f in frames if f is not None and len(f)]
    out = pd.concat([empty, *rows], ignore_index=True) if rows else empty
    return out.astype({"region_code": "string", "program": "string", "period": "string",
                       "payment_size": "Int64"}).sort_values(["period", "program", "region_code"],
                                                             ignore_index=True)


def _year_schedules(con: duckdb.DuckDBPyConnection, year: int) -> pd.DataFrame:
    """The `desa_schedules` rows of one year (region_code, ...). Only for a year whose release holds the schedules
    (`release.years[year].desa_schedules`, which the callers check): a release that says so has the table."""
    # DESA_SCHEDULES is published_schema's name, never input.
    return con.execute(f"SELECT * FROM {DESA_SCHEDULES} WHERE period = ?", [str(year)]).df()  # noqa: S608


def _programs() -> pd.DataFrame:
    rows: list[dict[str, Any]] = [{"code": ALL_PROGRAMS, "name_id": "Semua program", "name_en": "All programs",
                                   "target_desil": None,
             "desa_only": False}]
    rows += [{"code": c, "name_id": p.name_id, "name_en": p.name_en, "target_desil": p.target_desil,
              "desa_only": p.desa_only} for c, p in PROGRAMS.items()]
    return pd.DataFrame(rows)


def _periods(year: int, through_month: int) -> pd.DataFrame:
    rows: list[dict[str, Any]] = [{"period": f"{year}-{m:02d}", "kind": "month", "year": year, "month": m}
                                  for m in range(1, through_month + 1)]
    rows.append({"period": str(year), "kind": "year", "year": year, "month": None})
    return pd.DataFrame(rows)


def _rules(threshold: int, program_rules: dict[str, dict[str, float]] | None) -> dict[str, Any]:
    return {
        "threshold": threshold,
        "program_rules": program_rules,
        "primary": "a cell with a household count from 1 to threshold-1 is hidden; zero is published",
        "cell_level": "a hidden cell hides every measure",
        "program_sums": "a desa's all-programs payments and Rupiah are only the sum of its programs', blank where one "
                        "of them is hidden (the cell itself is not hidden)",
        "secondary": "partners in every relation (regions, programs, months, channels) until the LP audit passes",
        "audit": "all measures of a table jointly: exact sums, bounds for distinct households, integer counts, hidden "
                 "cells non-empty (one of the cell's household counts, recipients, eligible or registered, is at "
                 "least 1: a hidden cell's recipients alone may be 0), and the relations between measures "
                 "(statuses, recipients and paid payments, "
                 "Rupiah per payment and payments per household within program_rules, eligible and registered "
                 "households); counts need intervals at least threshold-1 wide reaching the threshold, "
                 "fixed-benefit Rupiah at least threshold-1 household benefits, other values must not be pinned "
                 "to a non-zero value; a value pinned to zero passes only where a published total shows zero",
    }


# --- Reading a release back ------------------------------------------------------------------------------

@dataclass
class PublishedRelease:
    scope: Scope
    threshold: int
    regions: pd.DataFrame
    tables: list[tuple[ProtectedTableInput, np.ndarray]]
    #: Per cell table, the ranges it publishes beside its hidden cells (keys as the table's frame names them, and
    #: its range columns), or None for a release made before ranges were published.
    ranges: dict[str, pd.DataFrame | None] = field(default_factory=dict)


def read_release(path: Path, year: int | None = None) -> PublishedRelease:
    """Rebuild every protected table of one published year (default: the release's latest) from the published
    tables alone (hidden values become unknowns)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        latest, provinces, threshold, rules = con.execute(
            "SELECT data_year, provinces, threshold, rules FROM release").fetchall()[0]
        year = int(latest) if year is None else year
        entry = _years(con).get(str(year), {})
        program_rules = entry.get("program_rules") or json.loads(rules).get("program_rules")
        months = con.execute("SELECT max(month) FROM periods WHERE year = ?", [year]).fetchall()[0][0]
        if months is None:
            raise ValueError(f"the release publishes no year {year}")
        regions = con.execute("SELECT * FROM regions").df()
        frames = {name: _year_cells(con, name, year) for name in CELL_TABLES}
        schedules = _year_schedules(con, year) if entry.get("desa_schedules") else None
    finally:
        con.close()
    # Distinct periods first: a national table has about a million rows and a few dozen periods.
    periods = {str(p) for f in frames.values() for p in f["period"].unique()}
    earlier = sorted({int(p.split("@")[1]) for p in periods if "@" in p})
    revised = {int(p.split("+")[1]) for p in periods if "+" in p}
    scope = Scope(year, int(months), tuple(provinces.split(",")), tuple(earlier), tuple(sorted(revised)),
                  schedules is not None)
    upper = regions[regions["level"] != "desa"]
    tables, ranges = [], {}
    for name, frame in frames.items():
        cells = _as_keyed(frame)
        # The published ranges follow from the other published figures: the attack does not read them. (In the
        # file's order, as read_ranges reads them: audit._carried_table compares the two frames.)
        ranges[name] = _hidden_ranges(name, cells)
        if name == "disbursement_cells":
            # The build's order (tables.complete_disbursement_cells: an outer merge, keys sorted as strings), not
            # the file's (the `_earlier` rows after the others): the same cells in the same order give the
            # publisher's attack system array for array, so publish reuses its attack (protect.reuse_audit)
            # instead of attacking the table again.
            cells = cells.sort_values(["region", "program", "period", "channel"], kind="stable",
                                      ignore_index=True)
        columns = [c for c in table_range_columns(name) if c in cells]
        table_input = _rebuild(name, cells.drop(columns=columns), regions, upper, scope, int(threshold),
                               program_rules, schedules)
        # Builders may reorder rows: the flag travels as a column.
        tables.append((table_input, table_input.frame[_HIDDEN].to_numpy(dtype=bool)))
    return PublishedRelease(scope, int(threshold), regions, tables, ranges)


def read_ranges(path: Path, year: int) -> dict[str, pd.DataFrame | None]:
    """The ranges one published year's cell tables publish beside their hidden cells, as read_release reads them
    (its `ranges`), without rebuilding the tables."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {name: _hidden_ranges(name, _as_keyed(_year_cells(con, name, year))) for name in CELL_TABLES}
    finally:
        con.close()


def _as_keyed(frame: pd.DataFrame) -> pd.DataFrame:
    """Published cell rows with the protected table's key names (`region`, the hidden flag)."""
    return frame.rename(columns={"region_code": "region", "suppressed": _HIDDEN}).drop(columns=["level"])


def _hidden_ranges(name: str, cells: pd.DataFrame) -> pd.DataFrame | None:
    """The keys and range columns of a table's hidden cells and of its published cells that publish a range (of a
    value they leave blank: anonymize.tables.blank_values) (None: the release publishes no ranges)."""
    columns = [c for c in table_range_columns(name) if c in cells]
    if not columns:
        return None
    keys = [c for c in cells if c in _KEYS and c != _HIDDEN]
    ranged = cells[_HIDDEN].astype(bool) | cells[columns].notna().any(axis=1)
    return cells.loc[ranged, [*keys, *columns]].reset_index(drop=True)


def _years(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """The release's `years` column decoded, by year ({} for a release made before years were published)."""
    columns = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns "
                                         "WHERE table_name = 'release'").fetchall()}
    if "years" not in columns:
        return {}
    (years,) = con.execute("SELECT years FROM release").fetchall()[0]
    decoded: dict[str, dict[str, Any]] = json.loads(years) if years else {}
    return decoded


def release_years(path: Path) -> list[int]:
    """The years a release publishes, ascending."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return [int(y) for (y,) in con.execute("SELECT DISTINCT year FROM periods ORDER BY year").fetchall()]
    finally:
        con.close()


def read_years(path: Path) -> list[PublishedRelease]:
    """Every published year of a release (read_release), ascending: each year is protected, and attacked, alone."""
    return [read_release(path, year) for year in release_years(path)]


def _year_cells(con: duckdb.DuckDBPyConnection, name: str, year: int, with_earlier: bool = True) -> pd.DataFrame:
    """A cell table's rows of one year (its months and the year), with its `_earlier` year-to-dates if asked."""
    # Table names come from CELL_TABLES, never from input.
    current = con.execute(f"SELECT * FROM {name} WHERE period = ? OR period LIKE ?",  # noqa: S608
                          [str(year), f"{year}-%"]).df()
    if not with_earlier:
        return current
    earlier = _year_to_dates(con, name, year)
    return pd.concat([current, earlier], ignore_index=True) if len(earlier) else current


def _year_to_dates(con: duckdb.DuckDBPyConnection, name: str, year: int) -> pd.DataFrame:
    """The `_earlier` rows of one year: its year-to-dates as earlier releases published them (`2025@10`), and in
    a revision the previous release's months (`2025-04@10`) and the late records' cells (`2025-04+10`,
    `2025+10`; anonymize.revisions)."""
    return con.execute(f"SELECT * FROM {name}{EARLIER_SUFFIX} "  # noqa: S608
                       "WHERE period LIKE ? OR period LIKE ? OR period LIKE ?",
                       [f"{year}@%", f"{year}-%", f"{year}+%"]).df()


def load_history(path: Path) -> History:
    """What a release published: every year as it stands (`years`), and for its latest year, the cells every
    release of that year published (through the `_earlier` tables) with the year relabelled as its year-to-date."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        release_id, year, through, sources = con.execute(
            "SELECT release_id, data_year, data_through, sources FROM release").fetchall()[0]
        frames = {}
        for name in CELL_TABLES:
            frame = _year_cells(con, name, int(year), with_earlier=True)
            whole_year = frame["period"].astype(str) == str(year)
            frame.loc[whole_year, "period"] = year_to_date_code(int(year), int(through[5:7]))
            frames[name] = frame
    finally:
        con.close()
    earlier = sorted({int(p.split("@")[1]) for f in frames.values() for p in f["period"] if "@" in str(p)})
    return History(release_id, int(year), int(through[5:7]), tuple(earlier), frames, published_years(path),
                   json.loads(sources) if sources else None)


def published_years(path: Path) -> dict[int, PublishedYear]:
    """Every year a release publishes, its cells exactly as published (without range columns) and its figures."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        release_id, tables, rules = con.execute("SELECT release_id, tables, rules FROM release").fetchall()[0]
        by_year = _years(con)
        out = {}
        for year, through_month in con.execute("SELECT year, max(month) FROM periods GROUP BY year").fetchall():
            frames, earlier = {}, {}
            for name in CELL_TABLES:
                frames[name] = _as_written(name, _year_cells(con, name, int(year), with_earlier=False))
                earlier[name] = _as_written(name, _year_to_dates(con, name, int(year)))
            # A release made before years were published holds one year: its figures and rules are the release's.
            entry = by_year.get(str(int(year))) or {"tables": json.loads(tables), "published_in": release_id}
            out[int(year)] = PublishedYear(int(year), int(through_month), frames, earlier, entry.get("tables", {}),
                                           entry.get("published_in", release_id),
                                           entry.get("program_rules") or json.loads(rules).get("program_rules"),
                                           _year_schedules(con, int(year)) if entry.get("desa_schedules") else None)
        return out
    finally:
        con.close()


def _as_written(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Published rows read back as published_frames writes them: range columns dropped (they are computed again
    for the release they go into), measures as nullable integers (a hidden cell has no value)."""
    frame = frame.drop(columns=[c for c in table_range_columns(name) if c in frame])
    measures = [c for c in frame.columns if c not in (*_KEYS, "region_code", "level", "suppressed")]
    return frame.astype({m: "Int64" for m in measures} | {"suppressed": bool})


_HIDDEN = "_hidden"
_KEYS = ("region", "program", "period", "channel", "category", "kind", "indicator", _HIDDEN)


def _rebuild(name: str, cells: pd.DataFrame, regions: pd.DataFrame, upper: pd.DataFrame, scope: Scope,
             threshold: int, program_rules: dict[str, dict[str, float]] | None,
             schedules: pd.DataFrame | None = None) -> ProtectedTableInput:
    measures = [c for c in cells.columns if c not in _KEYS]
    cells[measures] = cells[measures].astype("float64")
    if name == "disbursement_cells" and schedules is not None:
        # The desa cells a release before December protects and never writes (with their schedules, published).
        cells = with_unpublished(cells.assign(**{_HIDDEN: cells[_HIDDEN].astype(bool)}), regions, scope)
        cells[_HIDDEN] = cells[_HIDDEN].astype(bool) | cells[UNPUBLISHED]
    suppressed = cells[_HIDDEN].to_numpy(dtype=bool)
    if name == "disbursement_cells":
        applies = disbursement_applicability(cells, regions, scope)
        # A desa's all-programs payments and Rupiah, blank where a program of it is hidden, are unknowns too
        # (tables.program_sums: the table holds every one of them as an unknown, written or not).
        sums = program_sum_rows(cells, regions)
        for measure in measures:
            # A hidden value the table does publish for cells of this kind is an unknown (placeholder 1).
            unknown = suppressed | (sums & cells[measure].isna().to_numpy() & (measure in PROGRAM_SUM_MEASURES))
            cells.loc[unknown & applies[measure].to_numpy(), measure] = 1.0
        if program_rules is None:
            raise ValueError("the release does not record the program rules its audit relies on (made by an "
                             "earlier version: publish it again)")
        return disbursement_table(cells, regions, scope, threshold, program_rules,
                                  None if schedules is None else
                                  schedules.rename(columns={"region_code": "region"})[
                                      ["region", "program", "period", "payment_size"]].astype(
                                      {"region": str, "program": str, "period": str, "payment_size": float}))
    cells.loc[suppressed, measures] = 1.0
    if name == "complaint_cells":
        return feedback_table(name, cells, upper, scope, threshold, "category", list(COMPLAINT_CATEGORIES),
                              "complaints", list(COMPLAINT_STATUSES))
    if name == "proposal_cells":
        return feedback_table(name, cells, upper, scope, threshold, "kind", list(PROPOSAL_KINDS), "proposals",
                              list(PROPOSAL_STATUSES))
    return quality_table(withheld_quality(cells, upper, scope.small_area_codes), upper, scope, threshold,
                         list(QUALITY_INDICATORS))


def withheld_quality(cells: pd.DataFrame, upper: pd.DataFrame, periods: Sequence[str]) -> pd.DataFrame:
    """Data-quality cells as read back, with the rows a release did not write appended as unwritten unknowns
    (UNPUBLISHED, hidden, placeholder 1): the publisher writes every region, indicator and period of the table,
    zeros included, except an indicator's cells at a level it withheld (anonymize.build.withhold_finest_level), so a
    missing row is one of those, or of an indicator withheld whole (anonymize.build.withhold_small_indicators).
    Without this a reader's table read them as zeros. `periods`: the table's (Scope.small_area_codes), not those of
    the rows present: with every indicator withheld a year has no row at all, and its cells read as hidden zeros
    (an infeasible attack, a review found)."""
    grid = pd.MultiIndex.from_product([upper["code"], list(QUALITY_INDICATORS), periods],
                                      names=["region", "indicator", "period"]).to_frame(index=False)
    missing = grid.merge(cells[["region", "indicator", "period"]], how="left", indicator=True)
    missing = missing[missing["_merge"] == "left_only"].drop(columns="_merge")
    cells = cells.assign(**{UNPUBLISHED: False})
    if missing.empty:
        return cells
    added = missing.assign(households=1.0, **{_HIDDEN: True, UNPUBLISHED: True})
    return pd.concat([cells, added], ignore_index=True)
