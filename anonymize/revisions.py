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

Later revisions of the same year (November revises October, December revises November): readers hold every
version, so the table keeps every revised release's versions and late records (`2025-04@10`, `2025-04+10`,
`2025-04@11`, `2025-04+11`, `2025-04`), related step by step. The older ones are the previous release's
`_earlier` cells, carried with their values and hidden flags; the publisher computes each revised release's
versions again from the files it was made from, which every later release records (`release.sources`:
`revised`; revised_files) and checks them against what was published.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class Seen:
    """The raw rows a release was made from: those of `files` (name -> SHA-256) and the generator's, except the
    rows of each `held_back` file (name -> last month held back, `YYYY-MM`) up to that month: late records the
    release held back (see anonymize.build.hold_back)."""

    files: dict[str, str]
    held_back: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        files = dict(sorted(self.files.items()))
        return {"files": files, "held_back": dict(sorted(self.held_back.items()))} if self.held_back else files

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> Seen:
        # A release without held-back rows records its files alone (name -> SHA-256), as releases always did.
        if isinstance(document.get("files"), dict):
            return cls({str(k): str(v) for k, v in document["files"].items()},
                       {str(k): str(v) for k, v in document.get("held_back", {}).items()})
        return cls({str(k): str(v) for k, v in document.items()})


def previous_sources(sources: dict[str, Any] | None) -> Seen | None:
    """The rows a release was made from (None: a release that does not say)."""
    if not sources or "ingested_files" not in sources:
        return None
    files = {str(f["source"]): str(f["source_sha256"]) for f in sources["ingested_files"]}
    return Seen(files, {str(k): str(v) for k, v in (sources.get("held_back") or {}).items()})


def revised_files(sources: dict[str, Any] | None) -> dict[int, Seen]:
    """The rows each revised release of the year was made from (month -> Seen), as a release records them in its
    sources (`revised`): a later revision needs them to compute those releases' versions again."""
    if not sources or "revised" not in sources:
        return {}
    return {int(month): Seen.from_json(seen) for month, seen in sources["revised"].items()}


def lineage_sources(lineage: dict[int, Seen], held_back: dict[str, str] | None = None) -> dict[str, Any]:
    """What a release adds to its sources: the revised releases of its year (see revised_files) and the late
    records it held back (file -> last month held back)."""
    out: dict[str, Any] = {}
    if lineage:
        out["revised"] = {f"{month:02d}": seen.to_json() for month, seen in sorted(lineage.items())}
    if held_back:
        out["held_back"] = dict(sorted(held_back.items()))
    return out


def late_rows(raw: duckdb.DuckDBPyConnection, seen: Seen, year: int, through_month: int,
              release_id: str) -> int:
    """How many rows of the raw data, in `year` up to `through_month`, the previous release (`seen`) was not
    made from. Raises LineageError when a file has the name of one of its files but other content: its rows
    cannot be told apart (rows record the file's name only)."""
    renamed = [name for name, sha in raw.execute("SELECT source, source_sha256 FROM ingested_files").fetchall()
               if name in seen.files and seen.files[name] != sha]
    if renamed:
        raise LineageError(f"{len(renamed)} ingested file(s) have the name of a file release {release_id} was made "
                           "from but other content, so their rows cannot be told from that release's; ingest "
                           "late records under a new file name")
    with _sources_table(raw, "_lineage_sources", seen):
        (count,) = raw.execute(  # _IN_VIEW and the table name are this module's
            "SELECT count(*) FROM disbursements t WHERE period BETWEEN ? AND ? AND "  # noqa: S608
            + _NOT_IN_VIEW.format(table="_lineage_sources"),
            [f"{year}-01", f"{year}-{through_month:02d}"]).fetchall()[0]
    return int(count)


#: A row `t` of a raw table is one of a Seen's (its sources in `{table}`: name, last month held back or NULL),
#: or not. Written as IN plus EXISTS rather than one EXISTS: DuckDB then prunes by the files' names (a national
#: raw set without ingested files: 1.1 s against 13.9 s for `late_rows`).
_IN_VIEW = ("(t.source IN (SELECT source FROM temp.main.{table} WHERE held_through IS NULL) OR EXISTS ("
            "SELECT 1 FROM temp.main.{table} s WHERE s.source = t.source AND t.period > s.held_through))")
_NOT_IN_VIEW = ("(t.source NOT IN (SELECT source FROM temp.main.{table} WHERE held_through IS NULL) AND NOT EXISTS ("
                "SELECT 1 FROM temp.main.{table} s WHERE s.source = t.source AND t.period > s.held_through))")


@contextmanager
def _sources_table(raw: duckdb.DuckDBPyConnection, name: str, seen: Seen) -> Iterator[None]:
    # `name` is one of this module's fixed temporary table names.
    raw.execute(f"CREATE OR REPLACE TEMP TABLE {name} (source VARCHAR, held_through VARCHAR)")
    try:
        raw.executemany(f"INSERT INTO {name} VALUES (?, ?)",  # noqa: S608
                        [[s, seen.held_back.get(s)] for s in sorted({GENERATED, *seen.files})])
        yield
    finally:
        raw.execute(f"DROP TABLE IF EXISTS {name}")


@contextmanager
def disbursements_seen(raw: duckdb.DuckDBPyConnection, seen: Seen, late: bool = False,
                       within: Seen | None = None) -> Iterator[None]:
    """Within the block, `disbursements` (and `quarantine`, whose rows the data-quality counts include) mean the
    rows of `seen` (`late` False) or the other rows (`late` True; with `within`, only those of `within`: the late
    records a later release was made from, or those this release does not hold back): temporary views over the
    raw tables, which stay as they are (read-only). Generated rows are in every release's files."""
    (database,) = raw.execute("SELECT current_database()").fetchall()[0]
    condition = (_NOT_IN_VIEW if late else _IN_VIEW).format(table="_lineage_sources")
    if within is not None:
        condition += " AND " + _IN_VIEW.format(table="_lineage_within")
    with _sources_table(raw, "_lineage_sources", seen), \
            _sources_table(raw, "_lineage_within", within or Seen({})):
        try:
            for name in _FILTERED:
                # The database name is DuckDB's own (the file's stem), quoted as an identifier; table names are
                # this module's; nothing is input.
                table = '"' + str(database).replace('"', '""') + f'".main.{name}'
                raw.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {table} t "  # noqa: S608
                            f"WHERE {condition}")
            yield
        finally:
            for name in _FILTERED:
                raw.execute(f"DROP VIEW IF EXISTS temp.main.{name}")


#: The raw tables whose rows come from a source file.
_FILTERED = ("disbursements", "quarantine")


def relabel(frame: pd.DataFrame, scope: Scope, late: bool, base: int | None = None) -> pd.DataFrame:
    """Cells aggregated through a revised release's month (`base`, default the latest: `scope.revision`) as the
    table names them: that release's version of each month and its year-to-date (`2025-04@10`, `2025@10`), or
    the late records' cells (`2025-04+10`, `2025+10`; no registry counts: late records add payments, not
    registered households)."""
    k = scope.revision if base is None else base
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
    """For every revised release (scope.revisions) and every month it published, in every region, program and
    channel: the month as the next revised release published it (or as it is now, after the last) is that
    release's version plus its late records. Counts of payments and Rupiah add up (then = earlier + late);
    distinct households are at least either and at most both. Readers hold every version, so the chain
    `2025-04@10` -> `2025-04@11` -> `2025-04` is related step by step (each late set is its own records)."""
    if not scope.revisions or "period" not in [d.name for d in table.dimensions]:
        return []
    dim = table.dimensions[table.dim_index("period")]
    links: list[Link] = []
    for i, base in enumerate(scope.revisions):
        after = scope.revisions[i + 1] if i + 1 < len(scope.revisions) else None
        for month in scope.months[:base]:
            later = month if after is None else version_code(month, after)
            then, late = version_code(month, base), late_code(month, base)
            if later not in dim.index:
                continue
            links += _step_links(table, later, then, late)
    return links


def _step_links(table: CellTable, month: str, then: str, late: str) -> list[Link]:
    """Links of one revision step: `month` (a version or the month now) is `then` plus `late`."""
    now, earlier = _beside(table, month, then)
    added = _beside(table, month, late)[1]
    # No late records' cell (a channel without late records): the month is its earlier version.
    same = (earlier >= 0) & (added < 0)
    links: list[Link] = []
    if same.any():
        pairs = np.column_stack([now[same], earlier[same]])
        ones, zeros = np.ones(len(pairs)), np.zeros(len(pairs))
        links += [Link(f"{spec.name} of {month} is that of {then} (no {late})", (m, m), pairs,
                       np.column_stack([ones, -ones]), zeros, zeros) for m, spec in enumerate(table.measures)]
    ok = (earlier >= 0) & (added >= 0)
    cells = np.column_stack([now[ok], earlier[ok], added[ok]])
    n = len(cells)
    if n == 0:
        return links
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
    With several revisions, each version gets those of the one before it (`2025-04@11` those of `2025-04@10`,
    `2025-04` those of `2025-04@11`), as the release that made it did. None for a table without a revision.

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
    # Each step of the chain (`2025-04@10` -> `2025-04@11` -> `2025-04`): the later version's sub-counts may be
    # pinned to those its earlier version published.
    # A revised release's year-to-date likewise gives the next release's year (`2025@10` -> `2025@11` or `2025`).
    versions = [(code.split("@")[0], int(code.split("@")[1]), code) for code in dim.codes if "@" in code]
    bases = {int(code.split("+")[1]) for code in dim.codes if "+" in code}
    for month, base, code in versions:
        if "-" not in month and base not in bases:
            continue
        later = [(k, c) for m, k, c in versions if m == month and k > base]
        target = min(later)[1] if later else month
        if target not in dim.index:
            continue
        cells, earlier = _beside(table, target, code)
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


def revised_counts(frame: pd.DataFrame, values: np.ndarray, suppressed: np.ndarray, scope: Scope
                   ) -> dict[str, int]:
    """Cells of a table that this release's late records revised (their late records' cell is not zero), and how
    many of those late records' cells are hidden: the publish summary's figures. The late records of older
    revisions (carried as published) and of a release that revises nothing count none."""
    if not scope.earlier or scope.revision != scope.earlier[-1]:
        return {"cells": 0, "hidden": 0}
    late = is_late(frame["period"]) & frame["period"].astype(str).str.endswith(f"+{scope.revision:02d}").to_numpy()
    changed = late & (np.nan_to_num(values) != 0).any(axis=1)
    return {"cells": int(changed.sum()), "hidden": int((changed & suppressed).sum())}
