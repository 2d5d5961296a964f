"""Late records: a release that revises the months an earlier release of the same year published.

Which rows are late: every release records the files its raw data came from (`release.sources`, the ingested
files' names and SHA-256, plus the generator's rows). The data "as the previous release saw it" are the rows of
those sources; late rows are the others with a month the previous release published. So the publisher can
compute, from the raw database alone, the previous release's true values (of the cells it hid too) and the
late records' own cells.

What a reader holding both releases knows: a month now (`2025-04`) is the month as published then
(`2025-04@10`) plus its late records (`2025-04+10`): for counts of payments and Rupiah exactly, for distinct
households at least either and at most both; the year likewise holds the earlier year-to-date (`2025@10`) and
the late records' year-to-date (`2025+10`). The late records' cells are ordinary cells of the table (a count of
1-9 households is hidden, with partners; zero is published), the earlier versions keep the earlier release's
pattern and values, and the joint attack covers them all (anonymize.tables.period_dimension,
knowledge.year_to_date_links, revision_links below). A difference of 1-9 between a published month and its
earlier version would pin the late cell: the attack sees it, and protect() hides the new month too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from anonymize.aggregate import Scope, is_late, late_code, version_code, year_to_date_code
from anonymize.table import Aggregation, CellTable, Link, Role

INF = np.inf
#: The `source` of generated rows (data.generate): part of every release's data.
GENERATED = "generator"


class LineageError(ValueError):
    """The raw data no longer holds what the previous release was made from (rows changed or removed)."""


def previous_sources(sources: dict[str, Any] | None) -> dict[str, str] | None:
    """The files a release was made from, name -> SHA-256 (None: a release that does not say)."""
    if not sources or "ingested_files" not in sources:
        return None
    return {str(f["source"]): str(f["source_sha256"]) for f in sources["ingested_files"]}


def late_rows(raw: duckdb.DuckDBPyConnection, files: dict[str, str], year: int, through_month: int,
              release_id: str) -> int:
    """How many rows of the raw data, in `year` up to `through_month`, came from files other than `files` (the
    previous release's). Raises LineageError when a file has the name of one of them but other content: its
    rows cannot be told apart (rows record the file's name only)."""
    renamed = [name for name, sha in raw.execute("SELECT source, source_sha256 FROM ingested_files").fetchall()
               if name in files and files[name] != sha]
    if renamed:
        raise LineageError(f"{len(renamed)} ingested file(s) have the name of a file release {release_id} was made "
                           "from but other content, so their rows cannot be told from that release's; ingest "
                           "late records under a new file name")
    with _sources_table(raw, files):
        (count,) = raw.execute(
            "SELECT count(*) FROM disbursements WHERE period BETWEEN ? AND ? "
            "AND source NOT IN (SELECT source FROM _lineage_sources)",
            [f"{year}-01", f"{year}-{through_month:02d}"]).fetchall()[0]
    return int(count)


@contextmanager
def _sources_table(raw: duckdb.DuckDBPyConnection, files: dict[str, str]) -> Iterator[None]:
    raw.execute("CREATE OR REPLACE TEMP TABLE _lineage_sources (source VARCHAR)")
    try:
        raw.executemany("INSERT INTO _lineage_sources VALUES (?)", [[s] for s in sorted({GENERATED, *files})])
        yield
    finally:
        raw.execute("DROP TABLE IF EXISTS _lineage_sources")


@contextmanager
def disbursements_seen(raw: duckdb.DuckDBPyConnection, files: dict[str, str], late: bool) -> Iterator[None]:
    """Within the block, `disbursements` (and `quarantine`, whose rows the data-quality counts include) mean the
    rows of the previous release's sources (`late` False) or the other rows (`late` True): temporary views over
    the raw tables, which stay as they are (read-only)."""
    (database,) = raw.execute("SELECT current_database()").fetchall()[0]
    condition = "NOT IN" if late else "IN"
    with _sources_table(raw, files):
        try:
            for name in _FILTERED:
                # The database name is DuckDB's own (the file's stem), quoted as an identifier; table names are
                # this module's; nothing is input.
                table = '"' + str(database).replace('"', '""') + f'".main.{name}'
                raw.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {table} "  # noqa: S608
                            f"WHERE source {condition} (SELECT source FROM temp.main._lineage_sources)")
            yield
        finally:
            for name in _FILTERED:
                raw.execute(f"DROP VIEW IF EXISTS temp.main.{name}")


#: The raw tables whose rows come from a source file.
_FILTERED = ("disbursements", "quarantine")


def relabel(frame: pd.DataFrame, scope: Scope, late: bool) -> pd.DataFrame:
    """Cells aggregated through the previous release's month (`scope.revision`) as the table names them: the
    earlier version of each month and the year-to-date (`2025-04@10`, `2025@10`), or the late records' cells
    (`2025-04+10`, `2025+10`; no registry counts: late records add payments, not registered households)."""
    k = scope.revision
    frame = frame.copy()
    period = frame["period"].astype(str)
    months = period.str.fullmatch(r"\d{4}-\d{2}")
    year = period == scope.year_code
    if late:
        frame = frame[months | year].copy()
        frame["period"] = [late_code(p, k) for p in frame["period"].astype(str)]
        for column in ("eligible_households", "registered_households"):
            if column in frame:
                frame[column] = np.nan
        return frame.reset_index(drop=True)
    frame.loc[months, "period"] = [version_code(p, k) for p in period[months]]
    frame.loc[year, "period"] = year_to_date_code(scope.year, k)
    return frame


def _beside(table: CellTable, code: str, other: str) -> tuple[np.ndarray, np.ndarray]:
    """The cells of period `code`, and for each the cell of period `other` with the same region, program and
    channel (-1 where the table has none)."""
    period = table.dim_index("period")
    dim = table.dimensions[period]
    cells = np.flatnonzero(table.coords[:, period] == dim.index[code])
    coords = table.coords[cells].copy()
    coords[:, period] = dim.index[other]
    return cells, table.lookup(coords)


def revision_links(table: CellTable, scope: Scope) -> list[Link]:
    """Each month now and its earlier version and late records, for every region, program and channel: counts
    of payments and Rupiah add up (now = then + late); distinct households are at least either and at most both."""
    if scope.revision <= 0 or "period" not in [d.name for d in table.dimensions]:
        return []
    dim = table.dimensions[table.dim_index("period")]
    links: list[Link] = []
    for month, then, late in zip(scope.months[:scope.revision], scope.revised_month_codes, scope.late_month_codes,
                                 strict=True):
        if month not in dim.index:
            continue
        now, earlier = _beside(table, month, then)
        added = _beside(table, month, late)[1]
        ok = (earlier >= 0) & (added >= 0)
        cells = np.column_stack([now[ok], earlier[ok], added[ok]])
        n = len(cells)
        if n == 0:
            continue
        ones, zeros = np.ones(n), np.zeros(n)
        for m, spec in enumerate(table.measures):
            aggregation = spec.aggregation.get("period")
            if aggregation is Aggregation.SUM:
                links.append(Link(f"{spec.name} of {month} is those of {then} and {late}", (m, m, m), cells,
                                  np.column_stack([ones, -ones, -ones]), zeros, zeros))
            elif aggregation is Aggregation.BOUND:
                links += [
                    Link(f"{spec.name} of {month} at least those of {then}", (m, m), cells[:, :2],
                         np.column_stack([ones, -ones]), zeros, zeros + INF),
                    Link(f"{spec.name} of {month} at least those of {late}", (m, m), cells[:, [0, 2]],
                         np.column_stack([ones, -ones]), zeros, zeros + INF),
                    Link(f"{spec.name} of {month} at most those of {then} and {late}", (m, m, m), cells,
                         np.column_stack([ones, -ones, -ones]), zeros - INF, zeros),
                ]
    return links


def earlier_months(table: CellTable, scope: Scope) -> tuple[np.ndarray, np.ndarray]:
    """Per cell: for a month now, the cell of its earlier version (else -1), and whether no late record touched
    it (its late cell is zero in every measure). Such a month is its earlier version: it keeps that one's status.
    A revised month whose earlier version was hidden stays hidden too (as a year whose earlier year-to-date was):
    published, with its late records' cell published, it would show the hidden one."""
    out = np.full(table.n_cells, -1, dtype=np.int64)
    unrevised = np.zeros(table.n_cells, dtype=bool)
    if scope.revision <= 0:
        return out, unrevised
    zero = ~(np.nan_to_num(table.values) != 0).any(axis=1)
    for month, then, late in zip(scope.months[:scope.revision], scope.revised_month_codes, scope.late_month_codes,
                                 strict=True):
        now, earlier = _beside(table, month, then)
        added = _beside(table, month, late)[1]
        out[now] = earlier
        unrevised[now] = (earlier >= 0) & ((added < 0) | zero[np.maximum(added, 0)])
    return out, unrevised


def late_year_zero(table: CellTable, scope: Scope) -> np.ndarray:
    """Per cell: a year cell whose late records' year-to-date is zero in every measure (or absent)."""
    out = np.ones(table.n_cells, dtype=bool)
    if scope.revision <= 0:
        return out
    year, added = _beside(table, scope.year_code, scope.late_year_code)
    zero = ~(np.nan_to_num(table.values) != 0).any(axis=1)
    out[year] = (added < 0) | zero[np.maximum(added, 0)]
    return out


def is_revision(frame: pd.DataFrame) -> bool:
    """Does a release's table hold a revision's cells (late records)?"""
    return bool(frame["period"].astype(str).str.contains("+", regex=False).any())


def earlier_values(table: CellTable, suppressed: np.ndarray) -> np.ndarray | None:
    """(n_cells, n_measures): for a month of a revision and for its year, the sub-counts by status (failed,
    returned, pending, late payments) its earlier version published (`2025-04@10`, `2025@10`); NaN elsewhere.
    None for a table without a revision.

    A hidden month revised by late records that brought no failed payment has the failed payments its earlier
    version published: readers already hold that number, and the late records' own zero is audited as their
    cell's value (a year's likewise; that it grew by nothing since is what publishing the year would show).
    Household counts, payments and Rupiah get no such pass: a revised month must keep them wide.
    """
    if "period" not in [d.name for d in table.dimensions]:
        return None
    period = table.dim_index("period")
    dim = table.dimensions[period]
    if not any("+" in code for code in dim.codes):
        return None
    detail = [m for m, spec in enumerate(table.measures) if spec.role is Role.DETAIL]
    out = np.full(table.values.shape, np.nan)
    if not detail:
        return out
    for code in dim.codes:
        if "@" not in code:
            continue
        now = code.split("@")[0]
        if now not in dim.index:
            continue
        cells, earlier = _beside(table, now, code)
        # The latest earlier version: the previous release's (its year-to-date has the largest month).
        take = (earlier >= 0) & ~suppressed[np.maximum(earlier, 0)]
        for m in detail:
            out[cells[take], m] = table.values[earlier[take], m]
    return out


def hidden_together(table: CellTable, scope: Scope, published: np.ndarray | None) -> np.ndarray | None:
    """Pairs (n, 2): a month (the year) now and its late records' cell, where the earlier version stays
    published: then either one published with the other hidden shows the hidden one (now - then = late), so
    protect() hides both or neither. None without a revision."""
    if scope.revision <= 0 or published is None:
        return None
    pairs = []
    for now_code, then_code, late in (*zip(scope.months[:scope.revision], scope.revised_month_codes,
                                           scope.late_month_codes, strict=True),
                                      (scope.year_code, year_to_date_code(scope.year, scope.revision),
                                       scope.late_year_code)):
        now, then = _beside(table, now_code, then_code)
        added = _beside(table, now_code, late)[1]
        take = (then >= 0) & (added >= 0) & published[np.maximum(then, 0)]
        pairs.append(np.column_stack([now[take], added[take]]))
    return np.concatenate(pairs).astype(np.int64)


def revised_counts(frame: pd.DataFrame, values: np.ndarray, suppressed: np.ndarray) -> dict[str, int]:
    """Cells of a table that late records revised (their late records' cell is not zero), and how many of those
    late records' cells are hidden: the publish summary's figures."""
    late = is_late(frame["period"])
    changed = late & (np.nan_to_num(values) != 0).any(axis=1)
    return {"cells": int(changed.sum()), "hidden": int((changed & suppressed).sum())}
