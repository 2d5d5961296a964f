"""From a raw database to protected tables: aggregate every level, then run disclosure control on each table."""

from __future__ import annotations

import logging
import multiprocessing
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from anonymize import aggregate, budget, revisions
from anonymize.aggregate import Scope, is_plain_month, late_code, version_code, year_to_date_code
from anonymize.protect import Protection, grand_total, protect
from anonymize.table import CellTable
from anonymize.tables import (
    UNPUBLISHED,
    ProtectedTableInput,
    blank_sums,
    complete_disbursement_cells,
    current_written,
    disbursement_table,
    feedback_table,
    programs_hidden,
    published_rows,
    quality_table,
)
from published_schema import (
    ALL_CHANNELS,
    ALL_PROGRAMS,
    COMPLAINT_CATEGORIES,
    COMPLAINT_STATUSES,
    FEEDBACK_LEVELS,
    LEVELS,
    NATIONAL_CODE,
    PROPOSAL_KINDS,
    PROPOSAL_STATUSES,
    QUALITY_INDICATORS,
    level_of_code,
)
from settings import get_settings

log = logging.getLogger(__name__)

#: Published shares are rounded to 0.1 percentage point: what a reader needs, and no exact equation.
SHARE_DECIMALS = 3
#: Tables protected at once when the attack has more than one thread: the largest and, beside it, the others in
#: turn. Nationally the disbursement table's attack leaves a core idle in its single-threaded stretches.
TABLES_AT_ONCE = 2


@dataclass
class ProtectedTable:
    input: ProtectedTableInput
    protection: Protection

    @property
    def name(self) -> str:
        return self.input.name


@dataclass
class BuildResult:
    scope: Scope
    regions: pd.DataFrame
    tables: list[ProtectedTable]
    seconds: dict[str, float] = field(default_factory=dict)
    rows_aggregated: int = 0
    #: The rows each revised release of the year was made from (anonymize.revisions.revised_files): the release
    #: records them, so that the next revision can compute every earlier version again.
    lineage: dict[int, revisions.Seen] = field(default_factory=dict)
    #: Late records this release holds back (file -> last month held back; see hold_back), and how many rows.
    held_back: dict[str, str] = field(default_factory=dict)
    held_back_rows: int = 0
    #: Why: `few` (1-9 households nationally) or `unprotected` (no pattern protected them).
    held_back_reason: str = ""


@dataclass(frozen=True)
class PublishedYear:
    """One year as an earlier release published it: its cells exactly as published (range columns dropped: they
    are computed again from the release they are written into), and what the release said about them."""

    year: int
    through_month: int
    #: Per cell table, the published rows of this year's periods (region_code, level, keys, suppressed, measures).
    frames: dict[str, pd.DataFrame]
    #: Per cell table, this year's year-to-dates as earlier releases published them (`2025@10`; the `_earlier` rows).
    earlier: dict[str, pd.DataFrame]
    #: Per cell table, the release's figures for this year (information_loss).
    stats: dict[str, dict[str, float | int]]
    #: The release that published this year as it stands.
    published_in: str
    #: The program rules this year's audit relies on (knowledge.rules_to_json), as that release recorded them.
    program_rules: dict[str, dict[str, float]] | None = None
    #: This year's desa schedules as published (the `desa_schedules` rows of its periods); None where the release
    #: published none (made before they were).
    schedules: pd.DataFrame | None = None


@dataclass
class History:
    """What earlier releases published: cells readers already hold.

    `frames` has, per cell table, the previous release's month cells of its latest year (`year`), and the whole-year
    cells of it and of every earlier release of that year, relabelled as year-to-date periods (`2025@10`); with
    their hidden flags. `years` has every year the previous release published, as it published them.
    """

    release_id: str
    year: int
    through_month: int
    earlier: tuple[int, ...]
    frames: dict[str, pd.DataFrame]
    years: dict[int, PublishedYear] = field(default_factory=dict)
    #: What the release was made from (`release.sources`): which raw rows are late for the next one.
    sources: dict[str, Any] | None = None


@dataclass
class YearRelease:
    """One year of a release: protected in this run (`result`), or carried unchanged from an earlier release
    (`carried`)."""

    year: int
    through_month: int
    stats: dict[str, dict[str, float | int]]
    published_in: str | None
    result: BuildResult | None = None
    carried: PublishedYear | None = None

    @property
    def through(self) -> str:
        return f"{self.year}-{self.through_month:02d}"

    @property
    def program_rules(self) -> dict[str, dict[str, float]] | None:
        """The program rules of this year's audit: each year's own (the data may widen them differently)."""
        if self.result is not None:
            return next(t.input.program_rules for t in self.result.tables if t.name == "disbursement_cells")
        return self.carried.program_rules if self.carried is not None else None

    @property
    def schedules(self) -> pd.DataFrame | None:
        """This year's desa schedules as published (region_code, program, period, payment_size), or None."""
        if self.result is not None:
            table_input = next(t.input for t in self.result.tables if t.name == "disbursement_cells")
            if table_input.desa_schedules is None:
                return None
            return table_input.desa_schedules.rename(columns={"region": "region_code"})
        return self.carried.schedules if self.carried is not None else None


class RevisionError(ValueError):
    """Raw data changed a cell an earlier release published: readers could difference the two releases."""


def scope_regions(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Registry rows of every region inside the scope's provinces, and the national root."""
    return _regions_in(con, scope.provinces)


def _regions_in(con: duckdb.DuckDBPyConnection, provinces: tuple[str, ...]) -> pd.DataFrame:
    return con.execute(
        """SELECT code, level, name, kind, parent_code, province_code, kabupaten_code, kecamatan_code
           FROM regions WHERE code = ? OR list_contains(?, province_code)
           ORDER BY level_no, code""",
        [NATIONAL_CODE, list(provinces)],
    ).df()


def release_region_codes(raw_db: Path, through: str | None = None) -> list[str]:
    """The codes of the regions build_years gives a release of `raw_db` (its result's `regions`), without building
    it. Raises ValueError as build_years does when the raw database has no disbursements."""
    with _raw(raw_db, None) as raw:
        provinces = _release_provinces(raw, raw_years(raw, through))
        return [str(code) for code in _regions_in(raw, provinces)["code"]]


def _release_provinces(raw: duckdb.DuckDBPyConnection, years: list[tuple[int, int]]) -> tuple[str, ...]:
    """The provinces of every year: every year of a release covers them all (one regions table serves them)."""
    return tuple(sorted({p for year, _ in years for p in aggregate.detect_scope(raw, f"{year}-12").provinces}))


def raw_years(raw: duckdb.DuckDBPyConnection, through: str | None = None) -> list[tuple[int, int]]:
    """Each year with payments up to `through` ('YYYY-MM'; default: the last month with payments), ascending, with
    the month it is published through: 12 for a year a later year follows (it is over), else `through`'s month or
    the last month with payments."""
    rows = raw.execute("SELECT DISTINCT left(period, 4) FROM disbursements WHERE ? IS NULL OR period <= ? ORDER BY 1",
                       [through, through]).fetchall()
    years = [int(y) for (y,) in rows]
    if through is not None and int(through[:4]) not in years:
        years.append(int(through[:4]))
    if not years:
        raise ValueError("the raw database has no disbursements")
    last = aggregate.detect_scope(raw, through).through_month
    return [(year, 12 if year < years[-1] else last) for year in years]


def build_years(raw_db: Path, threshold: int, late_after_days: int, through: str | None = None,
                history: History | None = None, workers: int = 1, year_workers: int = 1,
                memory_limit: str | None = None) -> list[YearRelease]:
    """Every year of a release, ascending: each year of the raw database `raw_db` is protected as its own table.

    A year the previous release (`history`) published is carried unchanged unless the raw data adds months to it,
    which only its latest year may do (a continuation: see build_tables). Years with no cell in common have no
    relation a reader could use between them, so each year's pattern is audited alone, and up to `year_workers`
    years are protected at once, each in its own process with its share of the `workers` attack threads. Every
    year covers the provinces of all years, so that one regions table serves them all. Raises ValueError when
    nothing is new (or what a year's build raises).
    """
    with _raw(raw_db, memory_limit) as raw:
        years = raw_years(raw, through)
        provinces = _release_provinces(raw, years)
    carried = dict(history.years) if history else {}
    if history and years[-1] < (history.year, history.through_month):
        raise ValueError(f"release {history.release_id} already covers {history.year} through month "
                         f"{history.through_month:02d}; a new release must not end earlier")
    out, jobs = [], []
    for year, month in years:
        before = carried.pop(year, None)
        if before is not None and (before.through_month >= month or history is None or year != history.year):
            if before.through_month < month:
                log.warning("year %d stays as release %s published it (through month %02d): only the latest "
                            "year of a release can add months", year, before.published_in, before.through_month)
            out.append(YearRelease(year, before.through_month, before.stats, before.published_in, carried=before))
        else:
            jobs.append((year, month, history if before is not None else None))
    # A year the raw data no longer holds stays published as it was: readers hold it.
    out += [YearRelease(y, b.through_month, b.stats, b.published_in, carried=b) for y, b in carried.items()]
    if history and not jobs:
        raise ValueError(f"release {history.release_id} already covers {history.year} through month "
                         f"{history.through_month:02d}; a new release of that year must add months")
    processes = max(1, min(year_workers, len(jobs)))
    # One wall-clock deadline for every year's process (anonymize.budget): the stage, not each year, has a budget.
    deadline = budget.deadline_in(get_settings().protect_minutes)
    tasks: list[_YearTask] = [(raw_db, memory_limit, threshold, late_after_days, f"{year}-{month:02d}", year_history,
              max(1, workers // processes), provinces, deadline) for year, month, year_history in jobs]
    log.info("protecting %s: %d year(s) at once", ", ".join(str(year) for year, _, _ in jobs), processes)
    results = []
    for result in _protect_each(tasks, processes):
        results.append(result)
        # Stable wording: the dashboard's first run reads it to move its progress bar through this long stage.
        log.info("year %d protected (%d of %d)", result.scope.year, len(results), len(tasks))
    for result in results:
        stats = {t.name: information_loss(t, result.regions, result.scope) for t in result.tables}
        out.append(YearRelease(result.scope.year, result.scope.through_month, stats, None, result=result))
    out.sort(key=lambda y: y.year)
    return out


#: _protect_year's arguments for one year: raw database, memory limit, threshold, late-after days, through month,
#: history, attack threads, provinces, deadline (anonymize.budget).
_YearTask = tuple[Path, str | None, int, int, str, History | None, int, tuple[str, ...], float | None]


def _protect_each(tasks: list[_YearTask], processes: int) -> Iterator[BuildResult]:
    """Each year's build_tables result as soon as it is done, in up to `processes` worker processes."""
    if processes == 1:
        yield from (_protect_year(*task) for task in tasks)
        return
    # Spawned, not forked: the parent may hold DuckDB and solver threads.
    context = multiprocessing.get_context("spawn")
    failed = context.Event()
    with ProcessPoolExecutor(processes, mp_context=context, initializer=budget.share, initargs=(failed,)) as pool:
        futures = [pool.submit(_protect_year, *task, child=True) for task in tasks]
        try:
            yield from (future.result() for future in as_completed(futures))
        except BaseException:
            # One year failed, so the build does: the others stop at their next solve (anonymize.budget).
            failed.set()
            for future in futures:
                future.cancel()
            raise


@contextmanager
def _raw(raw_db: Path, memory_limit: str | None) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(raw_db), read_only=True, config={"memory_limit": memory_limit} if memory_limit else {})
    # DuckDB's own bar would interleave with our progress lines (two year processes share stderr) and spam
    # log files; our stages report progress themselves.
    con.execute("SET enable_progress_bar = false")
    try:
        yield con
    finally:
        con.close()


class _YearFormatter(logging.Formatter):
    """A worker process's lines, prefixed with the year it protects unless the line names it already ("year 2025:
    ..."), so that two years' lines on one stderr can be told apart without reading "2025 year 2025"."""

    def __init__(self, year: str) -> None:
        super().__init__()
        self.year = year

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        return line if line.startswith(f"year {self.year}") else f"{self.year} {line}"


def _protect_year(raw_db: Path, memory_limit: str | None, threshold: int, late_after_days: int, through: str,
                  history: History | None, workers: int, provinces: tuple[str, ...], deadline: float | None = None,
                  child: bool = False) -> BuildResult:
    """build_tables for one year, in this process or in a worker process (whose log lines name the year)."""
    if child:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_YearFormatter(through[:4]))
        logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    with budget.deadline(deadline), _raw(raw_db, memory_limit) as raw:
        return build_tables(raw, threshold, late_after_days, through, history, workers, provinces)


def build_tables(raw: duckdb.DuckDBPyConnection, threshold: int, late_after_days: int,
                 through: str | None = None, history: History | None = None, workers: int = 1,
                 provinces: tuple[str, ...] | None = None, hold_back_late: str = "") -> BuildResult:
    """Aggregate the raw database and protect every table to be published, for the year of `through` (default:
    the latest year) and `provinces` (default: those with data that year).

    With the history of earlier releases of the same year, their year-to-date cells join the protected
    tables and every cell they published or hid keeps its status, so no two releases can be differenced.
    Late records of the previous release's months are published as a revision (anonymize.revisions), or held
    back (see hold_back): when they count 1-9 households nationally, or when no pattern protects them (the
    build is then made again without them; `hold_back_late` says why: `few` or `unprotected`). `workers`:
    threads of the disclosure attack.
    """
    seconds: dict[str, float] = {}
    start, cpu = time.perf_counter(), time.process_time()
    scope = replace(aggregate.detect_scope(raw, through), desa_schedules=get_settings().desa_schedules)
    if provinces is not None:
        scope = replace(scope, provinces=provinces)
    scope = continue_history(scope, history)
    lineage = revision_lineage(raw, scope, history)
    scope = replace(scope, revisions=tuple(sorted(lineage)))
    revising = history is not None and revises_previous(scope, history)
    own, held_rows = None, 0
    if revising and hold_back_late:
        assert history is not None
        own, held_rows = hold_back(raw, history)
        del lineage[history.through_month]
        scope = replace(scope, revisions=tuple(sorted(lineage)))
    regions = scope_regions(raw, scope)
    with revisions.disbursements_seen(raw, own) if own is not None else nullcontext():
        frames = aggregate_frames(raw, scope, regions, late_after_days)
    if lineage:
        frames = revised_frames(raw, frames, scope, regions, late_after_days, lineage, own)
    retry = partial(build_tables, raw, threshold, late_after_days, through, history, workers, provinces)
    if revising and own is None and _late_total_is_small(frames, scope, threshold):
        log.info("the late records of months release %s published count fewer than %d households nationally: "
                 "they are held back", history.release_id if history else "", threshold)
        return retry(hold_back_late="few")
    if own is not None:
        log.info("late records held back: %s rows of months release %s published; they are published with the "
                 "late records of a later release", f"{held_rows:,}", history.release_id if history else "")
    # Process CPU (every DuckDB thread): the benchmark compares it with a bare GROUP BY of the same payments.
    seconds["aggregate_cpu"] = time.process_time() - cpu
    inputs = table_inputs(frames, regions, scope, threshold)
    rows = raw.execute("SELECT count(*) FROM disbursements WHERE period BETWEEN ? AND ?",
                       [f"{scope.year}-01", scope.through]).fetchall()[0][0] - held_rows
    seconds["aggregate"] = time.perf_counter() - start
    for table_input in inputs:
        _check_links(table_input)
    try:
        tables = _protect_tables(inputs, history, scope, workers, seconds)
    except RevisionError:
        raise
    except ValueError as error:
        if not revising or own is not None:
            raise
        # The revision is what fails (the same months without it passed when the previous release published):
        # publish the new months and hold the late records back rather than refuse.
        log.info("protecting the late records of months release %s published failed (%s): they are held back",
                 history.release_id if history else "", error)
        return retry(hold_back_late="unprotected")
    return BuildResult(scope, regions, tables, seconds, int(rows), lineage, own.held_back if own else {},
                       held_rows, hold_back_late if own else "")


def _protect_tables(inputs: list[ProtectedTableInput], history: History | None, scope: Scope, workers: int,
                    seconds: dict[str, float]) -> list[ProtectedTable]:
    """Protect every table of a year (adding each stage's seconds to `seconds`); a ValueError if one fails."""
    # The tables are independent: the smaller ones are protected beside the largest, on the cores its attack
    # leaves idle (single-threaded stretches: repairs, one large component at a time). Results do not depend on
    # it while no solve reaches its time limit (each table's attack draws from its own generators); a warm solve
    # that stalls is solved afresh and may land on another optimum of a degenerate LP, which more threads than
    # cores make likelier. A table that fails ends the build once the table beside it finishes its own work.
    jobs = sorted(inputs, key=lambda table_input: -table_input.table.n_cells)
    run = partial(_protect_table, history=history, scope=scope, workers=workers)
    done: dict[str, ProtectedTable] = {}
    # Stable wording, as "year %d protected": the dashboard's first run moves its bar by the cells protected.
    total = sum(table_input.table.n_cells for table_input in jobs)
    log.info("year %d: %s cells in %d tables to protect", scope.year, f"{total:,}", len(jobs))

    def finished(name: str, table: ProtectedTable) -> None:
        done[name] = table
        log.info("year %d: %s cells protected (%d of %d tables)", scope.year,
                 f"{sum(t.table.n_cells for t in jobs if t.name in done):,}", len(done), len(jobs))

    if workers > 1 and len(jobs) > 1:
        with budget.abandonable() as abandon, ThreadPoolExecutor(max_workers=TABLES_AT_ONCE) as pool:
            futures = {pool.submit(run, table_input): table_input.name for table_input in jobs}
            try:
                for future in as_completed(futures):
                    finished(futures[future], future.result())
            except BaseException:
                # The first table that fails ends the build: tables not started yet are not protected for nothing,
                # and the one beside it stops at its next solve.
                abandon()
                for future in futures:
                    future.cancel()
                raise
    else:
        # Smallest first: a table that cannot be protected usually fails in seconds, and refuses the build before
        # the largest has run (the sparse demo's disbursement table was still in its first round after an hour).
        for table_input in reversed(jobs):
            finished(table_input.name, run(table_input))
    tables = [done[table_input.name] for table_input in inputs]
    for table in tables:
        for stage, spent in table.protection.seconds.items():
            seconds[stage] = seconds.get(stage, 0.0) + spent
    return tables


def _protect_table(table_input: ProtectedTableInput, history: History | None, scope: Scope,
                   workers: int) -> ProtectedTable:
    """Protect one table (carrying an earlier release's pattern forward); a ValueError if no pattern passes."""
    log.info("protecting %s (%s cells)", table_input.name, f"{table_input.table.n_cells:,}")
    forced_suppressed, forced_published = _carried_forward(table_input, history, scope)
    if table_input.name in COARSENED_TABLES and (withheld := withhold_small_indicators(table_input)):
        log.info("%s: %s not published for the year (fewer than twice the threshold nationally)", table_input.name,
                 withheld)
    if table_input.table.unwritten is not None:
        # Never written, so never shown: hidden like a cell a reader holds hidden (tables.unpublished_desa_cells).
        unpublished = table_input.table.unwritten
        forced_suppressed = unpublished if forced_suppressed is None else forced_suppressed | unpublished
        forced_published = None if forced_published is None else forced_published & ~unpublished
    together = (revisions.hidden_together(table_input.table, scope, forced_published)
                if table_input.name == "disbursement_cells" and revises_previous(scope, history) else None)
    protection = protect(table_input.table, table_input.rules, forced_suppressed, forced_published,
                         workers=workers, together=together, label=table_input.name)
    if (not protection.audit.passed and protection.exhausted and history is None
            and table_input.name in COARSENED_TABLES and (withheld := withhold_finest_level(table_input, protection))):
        log.info("%s: %s published from the level above only (their values at the finest level left could not be "
                 "protected)", table_input.name, withheld)
        return _protect_table(table_input, history, scope, workers)
    if not protection.audit.passed and protection.exhausted:
        kept = " (the earlier release's published cells stay published)" if history else ""
        then = ("the previous release keeps serving, and a later month's data may publish" if history else
                "the totals that must stay published are too small to hide them in")
        raise ValueError(
            f"{table_input.name}: protection failed even with every cell hidden that may be hidden{kept}: "
            f"{protection.audit.n_failing} values stay too narrow; {then}")
    if not protection.audit.passed:
        raise ValueError(f"{table_input.name}: no suppression pattern found that keeps all hidden values wide "
                         f"enough ({protection.audit.n_failing} still too narrow after {protection.rounds} rounds)")
    return ProtectedTable(table_input, protection)


#: Tables whose region levels may be withheld, per indicator, when no pattern protects them
#: (withhold_finest_level). Data-quality counts overlap and have no total over indicators: an indicator's
#: national count is its only total, and on sparse data (the demo at `--scale 0.02`: 62 paid deceased households
#: over 55 kecamatan, each hidden one known to be at least 1) it pins the small counts under it.
COARSENED_TABLES = frozenset({"quality_cells"})


def withhold_small_indicators(table_input: ProtectedTableInput) -> str:
    """Stop writing, at every level, each indicator whose national count is 1 to 2 × threshold - 1 (modifies the
    table input in place, as withhold_finest_level does). Returns the indicators withheld, "" when none.

    The national count is the indicator's only total and stays published otherwise (protect.grand_total), so a
    small one refused the whole release (three indicators of 5-6 households on `--regions 34.71,34.01 --scale 0.02
    --seed 2`). Leaving out only those of 1 to threshold - 1 would tell every reader that they are that small: the
    band runs to twice the threshold, so a missing indicator is known to count 1 to 2 × threshold - 1 nationally,
    an interval threshold - 1 wide or more that reaches the threshold, as a hidden count's must
    (protect.ProtectionRules). Its cells relate to no other indicator's (they overlap: no total) and have no
    year-to-date, so that interval, and each region's 0 to 2 × threshold - 1 under it, is all a reader learns."""
    table, frame = table_input.table, table_input.frame
    threshold = table_input.rules.threshold
    values = frame["households"].to_numpy(dtype=float)
    unwritten = np.zeros(table.n_cells, bool) if table.unwritten is None else table.unwritten.copy()
    small = grand_total(table) & ~unwritten & (values >= 1) & (values <= 2 * threshold - 1)
    indicators = frame["indicator"].to_numpy()
    names = sorted(set(indicators[small].tolist()))
    if not names:
        return ""
    _stop_writing(table_input, unwritten | np.isin(indicators, names))
    return ", ".join(names)


def withhold_finest_level(table_input: ProtectedTableInput, protection: Protection) -> str:
    """Stop writing, for each indicator with values still too narrow, its cells at the finest region
    level it still has below the country: they become cells no reader sees (CellTable.unwritten: unknowns that may
    be zero), and the rows are never written (tables.UNPUBLISHED), so a reader finds the indicator starting at the
    level above, every region of it there. Returns what was withheld (`deceased_paid at kecamatan`), "" when
    nothing is left to withhold (only the country). Modifies the table input in place; protect it again."""
    table, frame = table_input.table, table_input.frame
    system, intervals = protection.audit.system, protection.audit.intervals
    narrow = np.unique(system.var_cell[~intervals.ok])
    indicators = frame["indicator"].to_numpy()
    # Each row's level as its place in LEVELS: 0 the country, 3 a kecamatan.
    depth = np.array([LEVELS.index(level_of_code(code)) for code in frame["region"].astype(str)])
    unwritten = np.zeros(table.n_cells, bool) if table.unwritten is None else table.unwritten.copy()
    said = []
    for value in pd.unique(indicators[narrow]):
        rows = indicators == value
        written = rows & ~unwritten & (depth > 0)
        if not written.any():
            return ""
        finest = int(depth[written].max())
        unwritten |= rows & (depth == finest)
        said.append(f"{value} at {LEVELS[finest]}")
    _stop_writing(table_input, unwritten)
    return ", ".join(said)


def _stop_writing(table_input: ProtectedTableInput, unwritten: np.ndarray) -> None:
    """Mark the cells no release writes (per cell), in the table (CellTable.unwritten: unknowns that may be zero)
    and in its frame (tables.UNPUBLISHED: rows never written)."""
    table_input.table.unwritten = unwritten
    table_input.frame[UNPUBLISHED] = unwritten


def _check_links(table_input: ProtectedTableInput) -> None:
    """Every relation the attack assumes must hold for the true values (else its intervals mean nothing)."""
    for link in table_input.table.links:
        broken = int((~link.holds(table_input.table.values)).sum())
        if broken:
            raise ValueError(f"{table_input.name}: the relation '{link.name}' does not hold for {broken:,} cells "
                             "of the raw data")


def continue_history(scope: Scope, history: History | None) -> Scope:
    """The scope of a release that follows `history` (same year: it must add months)."""
    if history is None or history.year != scope.year:
        return scope
    if scope.through_month <= history.through_month:
        raise ValueError(f"release {history.release_id} already covers {scope.year} through month "
                         f"{history.through_month:02d}; a new release of that year must add months")
    return replace(scope, earlier=tuple(sorted({*history.earlier, history.through_month})))


def revises_previous(scope: Scope, history: History | None) -> bool:
    """Do this release's late records revise the previous release's months? (Else any revised release of the
    year is older: its versions and late records are fixed cells, carried as published.)"""
    return (history is not None and history.year == scope.year and scope.revision > 0
            and scope.revision == history.through_month)


def _late_records(raw: duckdb.DuckDBPyConnection, scope: Scope, history: History | None
                  ) -> revisions.Seen | None:
    """The previous release's rows when the raw data hold late records of the months it published (a revision),
    else None."""
    if history is None or history.year != scope.year:
        return None
    files = revisions.previous_sources(history.sources)
    if files is None:
        return None     # a release that does not say what it was made from: nothing can be called late
    if not revisions.late_rows(raw, files, history.year, history.through_month, history.release_id):
        return None
    return files


def revision_lineage(raw: duckdb.DuckDBPyConnection, scope: Scope, history: History | None
                     ) -> dict[int, revisions.Seen]:
    """Every revised release of the year (month -> the files it was made from): those the previous release
    records (readers hold their versions and late records, so they stay in the table), and the previous release
    itself when the raw data hold late records of its months. Raises ValueError when the previous release
    revised months but does not record the files of the releases it revised (made by an earlier version)."""
    if history is None or history.year != scope.year:
        return {}
    lineage = revisions.revised_files(history.sources)
    revised = {int(code.split("+")[1]) for frame in history.frames.values()
               for code in frame["period"].astype(str).unique() if "+" in code}
    if revised - set(lineage):
        raise ValueError(f"release {history.release_id} revised months of {history.year} but does not record the "
                         "files the releases it revised were made from (made by an earlier version), so their "
                         "versions cannot be computed again: the next year's first release publishes the late "
                         "records")
    files = _late_records(raw, scope, history)
    if files is not None:
        lineage[history.through_month] = files
    return lineage


def revised_frames(raw: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame], scope: Scope,
                   regions: pd.DataFrame, late_after_days: int, lineage: dict[int, revisions.Seen],
                   own: revisions.Seen | None = None) -> dict[str, pd.DataFrame]:
    """The tables of a revision (anonymize.revisions): this release's cells, and for every revised release of
    the year (`lineage`: its month -> its files) its cells as its files give them (its months, year-to-date and
    the earlier year-to-dates since the revised release before it) and the late records' cells (the rows of the
    next revised release's files, or of the raw data after the last, that are not its own; `own`: the rows of
    this release when it holds late records back). Complaints and proposals are not revised (their earlier cells
    must stay as published)."""
    bases = sorted(lineage)
    out = {name: frame for name, frame in frames.items()}
    # Year-to-dates after the last revised release: the raw data give them as those releases published them.
    after = tuple(k for k in scope.earlier if k > bases[-1])
    parts: dict[str, list[pd.DataFrame]] = {
        name: [frames[name][frames[name]["period"].isin([*scope.periods, *(year_to_date_code(scope.year, k)
                                                                            for k in after)])]]
        for name in ("disbursement_cells", "quality_cells")}
    for i, base in enumerate(bases):
        since = bases[i - 1] if i else 0
        before = Scope(scope.year, base, scope.provinces, tuple(e for e in scope.earlier if since < e < base))
        with revisions.disbursements_seen(raw, lineage[base]):
            then = aggregate_frames(raw, before, regions, late_after_days)
        within = lineage[bases[i + 1]] if i + 1 < len(bases) else own
        with revisions.disbursements_seen(raw, lineage[base], late=True, within=within):
            late = aggregate_frames(raw, replace(before, earlier=()), regions, late_after_days)
        for name in parts:
            # A revised release's unpublished desa cells were never written: readers hold no version of them.
            parts[name].append(revisions.relabel(_written(then[name]), before, late=False, base=base))
            if name == "disbursement_cells":
                parts[name].append(revisions.relabel(_written(late[name]), before, late=True, base=base))
    for name, frames_of in parts.items():
        out[name] = pd.concat(frames_of, ignore_index=True)
    return out


def _written(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame`'s rows a release writes (without its unpublished desa cells; the flag column stays, all False)."""
    return frame[published_rows(frame)]


def _late_total_is_small(frames: dict[str, pd.DataFrame], scope: Scope, threshold: int) -> bool:
    """Do the late records of the previous release's months, all programs and channels nationally, count 1 to
    threshold - 1 households? That cell is the difference of the year's grand total and published cells (the
    earlier year-to-date and the new months), so it cannot be hidden without hiding national figures."""
    cells = frames["disbursement_cells"]
    top = cells[(cells["period"].astype(str) == late_code(scope.year_code, scope.revision))
                & (cells["region"].astype(str) == NATIONAL_CODE)
                & (cells["program"].astype(str) == ALL_PROGRAMS) & (cells["channel"].astype(str) == ALL_CHANNELS)]
    households = top["recipients"].to_numpy(dtype="float64")
    return bool(((households >= 1) & (households < threshold)).any())


def hold_back(raw: duckdb.DuckDBPyConnection, history: History) -> tuple[revisions.Seen, int]:
    """The rows of a release that holds back the late records of the previous release's months: every file's
    rows, except those of files the previous release was not made from (and of those it held back already) up
    to its last month. Returns them and how many rows are held back.

    Used when those late records count 1-9 households nationally (_late_total_is_small: published, they would
    hide national figures, the national month they revise and its partners) or when no pattern protects them
    (build_tables, after protect() gave up on the revision); held back, they wait in the raw
    data and the next release that revises the year publishes them with the late records it has (its
    anonymize.revisions.late_rows count them, as the release records what it held back).
    """
    previous = revisions.previous_sources(history.sources)
    assert previous is not None  # a revision needs the previous release's files
    last = f"{history.year}-{history.through_month:02d}"
    files = dict(raw.execute("SELECT source, source_sha256 FROM ingested_files").fetchall())
    held = {**{name: last for name in files if name not in previous.files}, **previous.held_back}
    rows = revisions.late_rows(raw, previous, history.year, history.through_month, history.release_id)
    return revisions.Seen({str(k): str(v) for k, v in files.items()}, held), rows


def aggregate_frames(raw: duckdb.DuckDBPyConnection, scope: Scope, regions: pd.DataFrame,
                     late_after_days: int) -> dict[str, pd.DataFrame]:
    """Every table's cells at every level, with the year-to-date cells of earlier releases."""
    feedback = _feedback_frames(raw, scope)
    for k, code in zip(scope.earlier, scope.earlier_codes, strict=True):
        for name, frame in _feedback_frames(raw, scope.at(k)).items():
            year_rows = frame[frame["period"] == scope.year_code].assign(period=code)
            feedback[name] = pd.concat([feedback[name], year_rows], ignore_index=True)
    cells, quality = aggregate.payment_tables(raw, scope, regions, late_after_days)
    return {
        "disbursement_cells": complete_disbursement_cells(cells, regions, scope),
        "complaint_cells": _upper_levels(feedback["complaint_cells"], regions, ["category", "period"],
                                         ["complaints", *COMPLAINT_STATUSES]),
        "proposal_cells": _upper_levels(feedback["proposal_cells"], regions, ["kind", "period"],
                                        ["proposals", *PROPOSAL_STATUSES]),
        "quality_cells": _upper_levels(quality, regions, ["indicator", "period"], ["households"]),
    }


def _feedback_frames(raw: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, pd.DataFrame]:
    return {"complaint_cells": aggregate.desa_complaints(raw, scope),
            "proposal_cells": aggregate.desa_proposals(raw, scope)}


def table_inputs(frames: dict[str, pd.DataFrame], regions: pd.DataFrame, scope: Scope, threshold: int
                 ) -> list[ProtectedTableInput]:
    """The protected tables, built from each table's cells (published ones and earlier year-to-dates)."""
    upper = regions[regions["level"].isin(FEEDBACK_LEVELS)]
    return [
        disbursement_table(frames["disbursement_cells"], regions, scope, threshold),
        feedback_table("complaint_cells", frames["complaint_cells"], upper, scope, threshold, "category",
                       list(COMPLAINT_CATEGORIES), "complaints", list(COMPLAINT_STATUSES)),
        feedback_table("proposal_cells", frames["proposal_cells"], upper, scope, threshold, "kind",
                       list(PROPOSAL_KINDS), "proposals", list(PROPOSAL_STATUSES)),
        quality_table(frames["quality_cells"], upper, scope, threshold, list(QUALITY_INDICATORS)),
    ]


def _carried_forward(table_input: ProtectedTableInput, history: History | None, scope: Scope | None = None
                     ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Cells an earlier release hid stay hidden; cells it published stay published (and must be unchanged).

    The year is the same cell as the earlier release's year-to-date, grown by the new months: if that cell
    was hidden, the year stays hidden. (If it was published, the year may still be hidden now: that only
    hides the new months' total, and the audit keeps the year from being pinned.)

    In a revision (`scope.revision`), the earlier release's months are cells of their own (`2025-04@10`) that
    keep its pattern; a month now keeps it too where no late record touched it (it is the same value), and is
    free where one did (protect() decides, with the late records' cell). The versions and late records of older
    revisions (`2025-04@10`, `2025-04+10` in a release after the one through November) are the previous
    release's `_earlier` cells: they keep their values and pattern like every cell it published.
    """
    if history is None or table_input.name not in history.frames:
        return None, None
    frame = table_input.frame
    measures = table_input.table.published_measures()
    keys = [c for c in frame.columns if c not in measures and not c.startswith("_")]
    earlier = history.frames[table_input.name].rename(columns={"region_code": "region"})
    earlier = earlier[[*keys, "suppressed", *measures]].rename(columns={m: f"{m}_earlier" for m in measures})
    revision = (scope.revision if scope is not None and table_input.name == "disbursement_cells"
                and revises_previous(scope, history) else 0)
    if revision:
        months = is_plain_month(earlier["period"])
        earlier.loc[months, "period"] = [version_code(p, revision) for p in earlier.loc[months, "period"]]
    matched = frame[keys].merge(earlier, how="left", on=keys, indicator=True)
    known = (matched["_merge"] == "both").to_numpy()
    _check_all_carried(earlier, frame, keys, table_input.name, history.release_id)
    hidden = matched["suppressed"].fillna(False).to_numpy(dtype=bool) & known
    _check_unrevised(frame, matched, measures, known & ~hidden, history.release_id, bool(revision))
    if revision:
        assert scope is not None
        earlier_cell, unrevised = revisions.earlier_months(table_input.table, scope)
        has = earlier_cell >= 0
        hidden = hidden | (has & hidden[np.maximum(earlier_cell, 0)])
        known = known | (has & unrevised)

    latest = year_to_date_code(history.year, history.through_month)
    year_keys = frame[keys].assign(period=frame["period"].eq(str(history.year)).map({True: latest, False: None}))
    grown = year_keys.merge(earlier[[*keys, "suppressed"]], how="left", on=keys, indicator=True)
    grown_known = (grown["_merge"] == "both").to_numpy()
    grown_hidden = grown["suppressed"].fillna(False).to_numpy(dtype=bool) & grown_known
    repeated = grown_known & ~grown_hidden & _nothing_later(table_input.table, history.year, history.through_month)
    if revision:
        assert scope is not None
        repeated &= revisions.late_year_zero(table_input.table, scope)
    return hidden | grown_hidden, (known & ~hidden) | repeated


def _check_all_carried(earlier: pd.DataFrame, frame: pd.DataFrame, keys: list[str], name: str,
                       release_id: str) -> None:
    """Every cell the previous release published or hid (its `_earlier` cells too) must be a cell of the table:
    readers hold it, so an attack without it would be weaker than theirs."""
    missing = earlier[keys].merge(frame[keys], how="left", on=keys, indicator=True)["_merge"] == "left_only"
    if missing.any():
        periods = sorted(earlier.loc[missing.to_numpy(), "period"].astype(str).unique())
        raise ValueError(f"{name}: {int(missing.sum()):,} cell(s) release {release_id} published (periods "
                         f"{', '.join(periods[:5])}) have no place in this release's table, so its attack would "
                         "not know what readers hold")


def _nothing_later(table: CellTable, year: int, through_month: int) -> np.ndarray:
    """Per cell: a year cell whose months after `through_month` are all zero in every measure (its own months, or,
    for a region without months such as a desa, those of its nearest ancestor that has them). Every figure
    involved is published (zero cells always are), so readers know such a year equals its earlier year-to-date:
    PKH pays in four months, so after October its year is October's year-to-date. Hiding it would protect nothing,
    and its value, pinned to a published one, would fail the attack (a hidden zero pinned without a zero total)."""
    period = table.dim_index("period")
    codes = table.dimensions[period].codes
    year_code = str(year)
    later = [c for c in codes if c.startswith(f"{year}-") and int(c[5:7]) > through_month]
    out = np.zeros(table.n_cells, dtype=bool)
    if year_code not in table.dimensions[period].index:
        return out
    cells = np.flatnonzero(table.coords[:, period] == table.dimensions[period].index[year_code])
    if not later:
        out[cells] = True       # nothing after the earlier release: the year is its year-to-date
        return out
    zero = ~(np.nan_to_num(table.values) != 0).any(axis=1)
    parent = next(iter(table.dimensions[0].families.values()))
    quiet = np.ones(len(cells), dtype=bool)
    for code in later:
        coords = table.coords[cells].copy()
        coords[:, period] = table.dimensions[period].index[code]
        month = table.lookup(coords)
        # Regions without months (desa): their nearest ancestor's month, which bounds theirs.
        while ((month < 0) & (coords[:, 0] >= 0)).any():
            missing = (month < 0) & (coords[:, 0] >= 0)
            coords[missing, 0] = parent[coords[missing, 0]]
            found = table.lookup(np.maximum(coords, 0))
            month = np.where(missing & (coords[:, 0] >= 0), found, month)
        quiet &= (month >= 0) & zero[np.maximum(month, 0)]
    out[cells[quiet]] = True
    return out


def _check_unrevised(frame: pd.DataFrame, matched: pd.DataFrame, measures: list[str], shown: np.ndarray,
                     release_id: str, revision: bool = False) -> None:
    for measure in measures:
        now = frame[measure].to_numpy(dtype="float64")
        before = pd.to_numeric(matched[f"{measure}_earlier"], errors="coerce").to_numpy(dtype="float64")
        # A blank the earlier release wrote is no published value (a sum of programs left blank: tables.program_sums).
        changed = shown & ~np.isnan(before) & (now != before)
        if changed.any() and revision:
            # The earlier release's own rows now give other values: rows were changed or removed, not added.
            lower = int((changed & (now < before)).sum())
            raise RevisionError(
                f"the rows of the files release {release_id} was made from now give {int(changed.sum())} other "
                f"value(s) of {measure} than it published ({lower} lower): only late records (rows of new files) "
                "can revise a published month, a correction of earlier rows cannot (start a new series with "
                "--fresh and withdraw the earlier releases)")
        if changed.any():
            raise RevisionError(
                f"the raw data changed {int(changed.sum())} value(s) of {measure} that release {release_id} "
                "already published; publishing them again would let readers subtract one release from the "
                "other (start a new series with --fresh and withdraw the earlier releases)")


def _upper_levels(desa_rows: pd.DataFrame, regions: pd.DataFrame, keys: list[str],
                  measures: list[str]) -> pd.DataFrame:
    """Roll desa rows up and keep kecamatan and above."""
    desa_rows = desa_rows[pd.Index(regions["code"]).get_indexer(desa_rows["region"]) >= 0]  # isin: 0.3 s a call
    rolled = aggregate.roll_up(desa_rows, regions, keys, measures)
    level = regions.set_index("code")["level"]
    return rolled[rolled["region"].map(level).isin(FEEDBACK_LEVELS)].reset_index(drop=True)


def published_frames(table: ProtectedTable, regions: pd.DataFrame, scope: Scope) -> tuple[pd.DataFrame,
                                                                                             pd.DataFrame]:
    """The cells as published, and the earlier releases' year-to-date cells (carried forward as they were).

    Columns: keys, level, the hidden flag, then measures; a hidden cell loses every value.
    """
    frame = table.input.frame
    measures = table.input.table.published_measures()
    keys = [c for c in frame.columns if c not in measures and not c.startswith("_")]
    published = frame[keys].rename(columns={"region": "region_code"})
    published.insert(1, "level", frame["region"].map(regions.set_index("code")["level"]).to_numpy())
    published["suppressed"] = table.protection.suppressed
    withheld = table.input.table.withheld
    # A value written only as a sum of published values (tables.program_sums) is blank where one of them is hidden.
    unsummed = (programs_hidden(frame, table.protection.suppressed) if withheld is not None
                else np.zeros(len(frame), dtype=bool))
    for column in measures:
        values = frame[column].to_numpy(dtype="float64").copy()
        values[table.protection.suppressed] = np.nan
        if withheld is not None:
            values[withheld[:, table.input.table.measure_index(column)] & unsummed] = np.nan
        published[column] = pd.array(np.round(values), dtype="Int64")
    current, written = current_written(frame, scope), published_rows(frame)
    return published[current].reset_index(drop=True), published[~current & written].reset_index(drop=True)


def information_loss(table: ProtectedTable, regions: pd.DataFrame, scope: Scope) -> dict[str, float | int]:
    """What the release says about its own suppression: cells, non-empty cells, hidden cells, and
    (disbursements) the share of Rupiah hidden at each region level (whole year, all programs).

    Nothing here tells small hidden cells from the others (a count of each would tell a reader that every
    hidden cell is small where the two are nearly equal), and shares are rounded to 0.1 percentage point (an
    exact share is one more linear equation over the hidden Rupiah).
    """
    frame = table.input.frame
    current = current_written(frame, scope)
    nonempty = (table.input.table.size() > 0) & current
    suppressed = table.protection.suppressed & current
    stats: dict[str, float | int] = {
        "cells": int(current.sum()),
        "nonempty_cells": int(nonempty.sum()),
        "suppressed": int(suppressed.sum()),
        "share_nonempty_suppressed": round(float(suppressed.sum() / max(nonempty.sum(), 1)), SHARE_DECIMALS),
    }
    if "amount" in frame:
        whole = ((frame["program"] == ALL_PROGRAMS) & (frame["period"] == scope.year_code)
                 & (frame["channel"] == ALL_CHANNELS)).to_numpy()
        cell_level = frame["region"].map(regions.set_index("code")["level"]).to_numpy()
        # An all-programs Rupiah written only as its programs' sum (tables.program_sums) is not shown where one of
        # them is hidden.
        unsummed = blank_sums(frame, regions, table.protection.suppressed)
        for name in ("desa", "kecamatan", "kabupaten"):
            mine = whole & (cell_level == name)
            total = frame.loc[mine, "amount"].sum()
            hidden = frame.loc[mine & (suppressed | unsummed), "amount"].sum()
            stats[f"share_amount_hidden_{name}"] = round(float(hidden / total), SHARE_DECIMALS) if total else 0.0
    return stats


def pattern_composition(table: ProtectedTable, scope: Scope) -> dict[str, int]:
    """Hidden cells that were small and hidden partners, protect()'s rounds and the cells it hid by escalation, for
    the publisher's benchmarks only: never published (see information_loss)."""
    current = current_written(table.input.frame, scope)
    primary = table.protection.primary & current
    return {"small": int(primary.sum()), "partners": int((table.protection.suppressed & current & ~primary).sum()),
            "rounds": table.protection.rounds, "escalated": table.protection.escalated}
