"""The published database: writing a release's tables, and reading them back for a stand-alone audit."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from anonymize.aggregate import Scope, year_to_date_code
from anonymize.build import BuildResult, History, published_frames
from anonymize.dictionary import dictionary_frame
from anonymize.tables import (
    ProtectedTableInput,
    disbursement_applicability,
    disbursement_table,
    feedback_table,
    quality_table,
)
from published_schema import (
    ALL_PROGRAMS,
    CELL_TABLES,
    COMPLAINT_CATEGORIES,
    COMPLAINT_STATUSES,
    EARLIER_SUFFIX,
    PROPOSAL_KINDS,
    PROPOSAL_STATUSES,
    QUALITY_INDICATORS,
    table_range_columns,
)
from settings import PROGRAMS

# CELL_TABLES and EARLIER_SUFFIX are re-exported: the `<table>_earlier` tables let an audit of this release alone
# see everything readers hold.
__all__ = ["CELL_TABLES", "EARLIER_SUFFIX", "PublishedRelease", "ReleaseInfo", "load_history", "read_release",
           "write_ranges", "write_release"]


@dataclass(frozen=True)
class ReleaseInfo:
    release_id: str
    created_at: str
    previous_release_id: str | None
    sources: dict[str, Any]


def write_release(path: Path, result: BuildResult, info: ReleaseInfo, threshold: int,
                  table_stats: dict[str, dict[str, float | int]], audit: dict[str, Any]) -> None:
    """Write every published table into a new DuckDB file (which must not exist yet)."""
    # The program rules the attack's links used (the disbursement table's), for the stand-alone audit.
    program_rules = next(t.input.program_rules for t in result.tables if t.name == "disbursement_cells")
    con = duckdb.connect(str(path))
    try:
        for table in result.tables:
            published, earlier = published_frames(table, result.regions, result.scope)
            _write_frame(con, table.name, published)
            _write_frame(con, f"{table.name}{EARLIER_SUFFIX}", earlier)
        _write_frame(con, "regions", result.regions)
        _write_frame(con, "programs", _programs())
        _write_frame(con, "periods", _periods(result.scope))
        _write_frame(con, "data_dictionary", dictionary_frame())
        _write_frame(con, "release", pd.DataFrame([{
            "release_id": info.release_id, "created_at": info.created_at, "data_year": result.scope.year,
            "data_through": result.scope.through, "provinces": ",".join(result.scope.provinces),
            "threshold": threshold, "rules": json.dumps(_rules(threshold, program_rules)),
            "sources": json.dumps(info.sources), "tables": json.dumps(table_stats), "audit": json.dumps(audit),
            "previous_release_id": info.previous_release_id}]))
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


def _programs() -> pd.DataFrame:
    rows: list[dict[str, Any]] = [{"code": ALL_PROGRAMS, "name_id": "Semua program", "name_en": "All programs",
                                   "target_desil": None,
             "desa_only": False}]
    rows += [{"code": c, "name_id": p.name_id, "name_en": p.name_en, "target_desil": p.target_desil,
              "desa_only": p.desa_only} for c, p in PROGRAMS.items()]
    return pd.DataFrame(rows)


def _periods(scope: Scope) -> pd.DataFrame:
    rows = [{"period": m, "kind": "month", "year": scope.year, "month": int(m[5:])} for m in scope.months]
    rows.append({"period": str(scope.year), "kind": "year", "year": scope.year, "month": None})
    return pd.DataFrame(rows)


def _rules(threshold: int, program_rules: dict[str, dict[str, float]] | None) -> dict[str, Any]:
    return {
        "threshold": threshold,
        "program_rules": program_rules,
        "primary": "a cell with a household count from 1 to threshold-1 is hidden; zero is published",
        "cell_level": "a hidden cell hides every measure",
        "secondary": "partners in every relation (regions, programs, months, channels) until the LP audit passes",
        "audit": "all measures of a table jointly: exact sums, bounds for distinct households, integer counts, hidden "
                 "cells non-empty, and the relations between measures (statuses, recipients and paid payments, "
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


def read_release(path: Path) -> PublishedRelease:
    """Rebuild every protected table from the published tables alone (hidden values become unknowns)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        year, through, provinces, threshold, rules = con.execute(
            "SELECT data_year, data_through, provinces, threshold, rules FROM release").fetchall()[0]
        regions = con.execute("SELECT * FROM regions").df()
        frames = {name: _cells_with_earlier(con, name) for name in CELL_TABLES}
    finally:
        con.close()
    earlier = sorted({int(p.split("@")[1]) for f in frames.values() for p in f["period"] if "@" in str(p)})
    scope = Scope(int(year), int(through[5:7]), tuple(provinces.split(",")), tuple(earlier))
    upper = regions[regions["level"] != "desa"]
    tables, ranges = [], {}
    for name, frame in frames.items():
        cells = frame.rename(columns={"region_code": "region", "suppressed": _HIDDEN}).drop(columns=["level"])
        # The published ranges follow from the other published figures: the attack does not read them.
        columns = [c for c in table_range_columns(name) if c in cells]
        keys = [c for c in cells if c in _KEYS and c != _HIDDEN]
        ranges[name] = (cells.loc[cells[_HIDDEN].astype(bool), [*keys, *columns]].reset_index(drop=True)
                        if columns else None)
        table_input = _rebuild(name, cells.drop(columns=columns), regions, upper, scope, int(threshold),
                               json.loads(rules).get("program_rules"))
        # Builders may reorder rows: the flag travels as a column.
        tables.append((table_input, table_input.frame[_HIDDEN].to_numpy(dtype=bool)))
    return PublishedRelease(scope, int(threshold), regions, tables, ranges)


def _cells_with_earlier(con: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame:
    # Table names come from CELL_TABLES, never from input.
    current = con.execute(f"SELECT * FROM {name}").df()  # noqa: S608
    earlier = con.execute(f"SELECT * FROM {name}{EARLIER_SUFFIX}").df()  # noqa: S608
    return pd.concat([current, earlier], ignore_index=True) if len(earlier) else current


def load_history(path: Path) -> History:
    """What a release (and, through its `_earlier` tables, every release before it that year) published."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        release_id, year, through = con.execute(
            "SELECT release_id, data_year, data_through FROM release").fetchall()[0]
        frames = {}
        for name in CELL_TABLES:
            frame = _cells_with_earlier(con, name)
            whole_year = frame["period"].astype(str) == str(year)
            frame.loc[whole_year, "period"] = year_to_date_code(int(year), int(through[5:7]))
            frames[name] = frame
    finally:
        con.close()
    earlier = sorted({int(p.split("@")[1]) for f in frames.values() for p in f["period"] if "@" in str(p)})
    return History(release_id, int(year), int(through[5:7]), tuple(earlier), frames)


_HIDDEN = "_hidden"
_KEYS = ("region", "program", "period", "channel", "category", "kind", "indicator", _HIDDEN)


def _rebuild(name: str, cells: pd.DataFrame, regions: pd.DataFrame, upper: pd.DataFrame, scope: Scope,
             threshold: int, program_rules: dict[str, dict[str, float]] | None) -> ProtectedTableInput:
    measures = [c for c in cells.columns if c not in _KEYS]
    cells[measures] = cells[measures].astype("float64")
    suppressed = cells[_HIDDEN].to_numpy(dtype=bool)
    if name == "disbursement_cells":
        applies = disbursement_applicability(cells, regions, scope)
        for measure in measures:
            # A hidden value the table does publish for cells of this kind is an unknown (placeholder 1).
            cells.loc[suppressed & applies[measure].to_numpy(), measure] = 1.0
        if program_rules is None:
            raise ValueError("the release does not record the program rules its audit relies on (made by an "
                             "earlier version: publish it again)")
        return disbursement_table(cells, regions, scope, threshold, program_rules)
    cells.loc[suppressed, measures] = 1.0
    if name == "complaint_cells":
        return feedback_table(name, cells, upper, scope, threshold, "category", list(COMPLAINT_CATEGORIES),
                              "complaints", list(COMPLAINT_STATUSES))
    if name == "proposal_cells":
        return feedback_table(name, cells, upper, scope, threshold, "kind", list(PROPOSAL_KINDS), "proposals",
                              list(PROPOSAL_STATUSES))
    return quality_table(cells, upper, scope, threshold, list(QUALITY_INDICATORS))
