"""`python -m anonymize publish`: raw database in, audited release of safe aggregates out, swapped in atomically."""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import multiprocessing.connection
import multiprocessing.process
import os
import pickle
import re
import resource
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import duckdb
import pandas as pd

import signing
from anonymize import package, ranges, release, revisions
from anonymize.audit import Carried, ReadBack, audit_key, audit_release, publishable
from anonymize.budget import BudgetExceeded
from anonymize.build import History, YearRelease, build_years, pattern_composition, release_region_codes
from anonymize.loss import summary_line, user_loss
from anonymize.published import ReleaseInfo, load_history, read_years, write_ranges, write_release
from anonymize.ranges import TableRanges
from cli import stage, stopwatch, summary
from errors import InputError
from provenance import MANIFEST_NAME
from settings import get_settings

if TYPE_CHECKING:
    from geo.release import BoundaryTables

HELP = "aggregate the raw database, hide small cells, audit, and publish a new release"
#: Releases of at least this many regions make their boundaries beside the protection, in a second process: for the
#: national set (91,600 regions, illustrative shapes) about 40 s of geometry, done on cores the attack leaves idle
#: at times (two-core CPU use averaged 1.7 over a national publish). Smaller releases make them in-process: the
#: second process's start (a new interpreter importing geopandas) costs more than they take.
BACKGROUND_BOUNDARIES_FROM = 20_000
#: The boundaries process's nice value: it yields the cores to the attack.
BACKGROUND_NICE = 10
log = logging.getLogger(__name__)
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Published:
    """What one publish made: the release, its figures, and the publisher's own measurements (never published)."""

    release_id: str
    data_through: str
    #: Per published cell table: cells, non-empty and hidden cells, shares hidden (as the release's `tables`).
    tables: dict[str, dict[str, float | int]]
    #: The stand-alone audit's summary (passed, hidden values, LP solves, per table).
    audit: dict[str, Any]
    signed: str
    package_bytes: int
    rows_aggregated: int
    peak_rss_mb: float
    seconds: dict[str, float] = field(default_factory=dict)
    #: Per table: how many hidden cells were small and how many their partners (the publisher's eyes only).
    composition: dict[str, dict[str, int]] = field(default_factory=dict)
    #: The disbursement table's loss as users feel it (anonymize.loss.user_loss; the publisher's eyes only).
    loss: dict[str, Any] = field(default_factory=dict)
    #: Per published year: "protected" in this run, or "carried from <release id>" unchanged.
    years: dict[int, str] = field(default_factory=dict)
    #: Cells of the latest year that late records revised, and how many of their revisions are hidden.
    revised: dict[str, int] = field(default_factory=dict)

    @property
    def disbursements(self) -> dict[str, float | int]:
        """The disbursement table's figures: cells, suppressed, share_amount_hidden_<level>, ..."""
        return self.tables["disbursement_cells"]



def configure(parser: argparse.ArgumentParser) -> None:
    settings = get_settings()
    parser.add_argument("--raw", type=Path, default=settings.raw_db, help="raw database (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=settings.published_db,
                        help="current published database (default: %(default)s)")
    parser.add_argument("--threshold", type=int, default=settings.threshold,
                        help="smallest household count published (default: %(default)s)")
    parser.add_argument("--through", metavar="YYYY-MM", help="last month to publish (default: latest in data)")
    parser.add_argument("--geo-dir", type=Path, default=settings.geo_dir,
                        help="boundary layers from `python -m geo build` (default: %(default)s)")
    parser.add_argument("--keep", type=int, default=settings.keep_releases,
                        help="releases kept readable (default: %(default)s)")
    parser.add_argument("--fresh", action="store_true",
                        help="do not continue the current release's year (only after withdrawing it)")
    parser.add_argument("--key", type=Path, default=settings.signing_key,
                        help="publisher's secret key to sign the release (`python -m anonymize keygen`; default: "
                             "BANSOS_SIGNING_KEY, else the release is published unsigned)")


def run(args: argparse.Namespace) -> int:
    if args.threshold < 2:
        raise InputError(f"--threshold must be at least 2, got {args.threshold}.")
    if not args.raw.exists():
        raise InputError(f"No raw database at {args.raw}; run `python -m data generate` or `python -m data ingest`.")
    start = time.perf_counter()
    if args.key is not None:
        try:
            signing.read_secret_key(args.key)
        except signing.SigningError as error:
            raise InputError(f"Cannot sign with {args.key}: {error}; make a key with `python -m anonymize keygen`.") \
                from None
    outcome = publish(args.raw, args.out, args.threshold, args.through, args.geo_dir, args.keep, args.fresh,
                      args.key)
    # This run's tables only: a carried table's figures are its earlier release's (solved, before 2026-12-08).
    readable = sum(table.get("between_releases", {}).get("failing", 0)
                   for table in outcome.audit.get("tables", {}).values() if "carried_from" not in table)
    if readable:
        # Counts only: which differences they are is for `python -m anonymize audit` to recompute, not for a log.
        log.info("%s published counts of households first paid since an earlier release of this year (a year "
                 "minus its year-to-date, both published) differ by fewer households than the threshold: published "
                 "by policy (README, 'Differences of two published household counts'; `python -m anonymize audit` "
                 "also solves the pairs with a hidden member)", f"{readable:,}")
    nested = sum(table.get("nested", {}).get("readable", 0) for table in outcome.audit.get("tables", {}).values())
    if nested:
        log.info("%s published pairs of a household count and the same count over a part of its set (year and "
                 "month, all programs and one, eligible among registered...) differ by fewer households than the "
                 "threshold (a reader subtracts them; `python -m anonymize audit` also solves the pairs with a "
                 "hidden member): published by policy (README, 'Differences of two published household counts')",
                 f"{nested:,}")
    figures = outcome.disbursements
    protected = sum(1 for how in outcome.years.values() if how == "protected")
    years = f"{min(outcome.years)}-{max(outcome.years)}" if len(outcome.years) > 1 else str(max(outcome.years))
    summary(f"published release {outcome.release_id} (years {years}, {protected} protected in this run, "
            f"data through {outcome.data_through}), latest year: "
            f"{figures['cells']:,} cells, {figures['suppressed']:,} hidden, "
            f"{desa_line(figures['share_amount_hidden_desa'], outcome.data_through)}, {revised_line(outcome.revised)}"
            f"audit passed, {time.perf_counter() - start:.1f} s in all, {outcome.signed} -> {args.out}")
    return 0


def desa_line(share_hidden: float, data_through: str) -> str:
    """`6.6% of desa Rupiah hidden`, or, before the year is complete, that desa figures wait for it (a desa is
    published for the complete year only: anonymize.aggregate.Scope.small_area_codes)."""
    if not data_through.endswith("-12"):
        return "desa figures wait for the complete year"
    return f"{share_hidden:.1%} of desa Rupiah hidden"


def revised_line(revised: dict[str, int]) -> str:
    """`412 cells revised by late records (37 of the revisions hidden), ` or `3 late rows held back (fewer than
    the threshold in households nationally), ` or nothing without late records."""
    why = ("fewer than the threshold in households nationally" if revised.get("held_back_few") else
           "no pattern protected them")
    held = f"{revised['held_back_rows']:,} late rows held back ({why}), " if revised.get("held_back_rows") else ""
    if not revised.get("cells"):
        return held
    return (f"{revised['cells']:,} cells revised by late records ({revised['hidden']:,} of the revisions hidden), "
            + held)


def publish(raw_db: Path, current_db: Path, threshold: int, through: str | None, geo_dir: Path,
            keep: int, fresh: bool = False, key: Path | None = None) -> Published:
    """Build, write, audit and swap in one release; return its figures. Raises InputError if it fails, or if
    another publish is writing into the same folder."""
    if through is not None and not _MONTH.match(through):
        raise InputError(f"--through must be a month written YYYY-MM (month 01 to 12), got {through!r}.")
    try:
        with release.publish_lock(current_db), _Boundaries.beside(raw_db, through, geo_dir) as boundaries:
            return _publish(raw_db, current_db, threshold, through, boundaries, keep, fresh, key)
    except release.PublishBusy as busy:
        raise InputError(f"Not published: {busy}.") from None


def _publish(raw_db: Path, current_db: Path, threshold: int, through: str | None, boundaries: _Boundaries,
             keep: int, fresh: bool, key: Path | None) -> Published:
    release.clear_stale_staging(current_db)
    previous = next(iter(release.list_releases(current_db)), None)
    release_id = release.new_release_id(current_db)
    staged = release.staging_dir(current_db, release_id)
    seconds: dict[str, float] = {}

    history = None if fresh or not current_db.exists() else load_history(current_db)
    with stage("aggregate and protect (hide small cells, audit, repair)", 1, 5):
        years = _build(raw_db, threshold, through, history)
    latest = years[-1]
    result = latest.result
    assert result is not None  # build_years protects the latest year in every run
    loss = next((user_loss(t, result.regions, result.scope) for t in result.tables if t.name == "disbursement_cells"),
                {})
    if loss:
        log.info("%s", summary_line(loss))
    with stage("write the release and its boundaries", 2, 5), stopwatch() as timing:
        staged.mkdir(parents=True)
        info = ReleaseInfo(release_id, datetime.now(UTC).isoformat(timespec="seconds"),
                           previous["release_id"] if previous else None,
                           {**_sources(raw_db), **revisions.lineage_sources(result.lineage, result.held_back)})
        protection_audit = {t.name: publishable(t.protection.audit.summary(t.input.table)) for t in result.tables}
        write_release(staged / release.DB_NAME, years, info, threshold, protection_audit)
        seconds["ranges"], read_back = _write_ranges(staged / release.DB_NAME)
        boundaries.write(staged / release.DB_NAME, result.regions["code"].tolist())
    seconds["write"] = timing["seconds"] - seconds["ranges"]
    with stage("audit the release from its published tables alone", 3, 5), stopwatch() as timing:
        # The LPs of household count pairs with a hidden member, nested and between releases (minutes on the demo,
        # 40% of a continued release's time; reported, not part of the verdict), are left to `python -m anonymize
        # audit`: publish checks the published pairs only.
        audit = audit_release(staged / release.DB_NAME, attacked=_attacked(years), read_back=read_back,
                              carried=_carried(current_db, years), difference_lp=False)
    seconds["standalone_audit"] = timing["seconds"]
    if not audit["passed"]:
        raise InputError(f"The audit of release {release_id} failed; the current release was left in place "
                        f"(details in {staged}).")
    with stage("write the open-data package (CSV, Parquet, GeoJSON, data package, zip)", 4, 5), \
            stopwatch() as timing:
        files = package.write_package(staged, signing.public_key_of(key) if key else None)
    seconds["package"] = timing["seconds"]
    with stage("sign and swap the new release in", 5, 5):
        release.write_manifest(staged, release_id, previous, publishable(audit))
        signed = (f"signed by key {package.sign_release(staged, key, release_id, files.zip_name)}" if key
                  else "unsigned (no publisher key; see `python -m anonymize keygen`)")
        release.promote(current_db, staged, release_id)
        release.prune(current_db, keep)
    built = [y.result for y in years if y.result is not None]
    for other in built[:-1]:
        for name, spent in other.seconds.items():
            seconds[f"{name}_earlier_years"] = seconds.get(f"{name}_earlier_years", 0.0) + spent
    return Published(release_id, result.scope.through, latest.stats, audit, signed, files.bytes,
                     sum(b.rows_aggregated for b in built),
                     _peak_rss_mb(), {**result.seconds, **seconds},
                     {t.name: pattern_composition(t, result.scope) for t in result.tables}, loss,
                     {y.year: ("protected" if y.result is not None else f"carried from {y.published_in}")
                      for y in years},
                     {**next((revisions.revised_counts(t.input.frame, t.input.table.values, t.protection.suppressed,
                                                       result.scope)
                              for t in result.tables if t.name == "disbursement_cells"), {}),
                      **({"held_back_rows": result.held_back_rows,
                          "held_back_few": int(result.held_back_reason == "few")} if result.held_back_rows else {})})


def _peak_rss_mb() -> float:
    """The larger of this process's peak memory and that of its largest child (a year protected in a worker)."""
    return max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024


def _carried(current_db: Path, years: list[YearRelease]) -> Carried | None:
    """The years this release carries unchanged from the current one, with that release's recorded audit (None:
    nothing carried, or no manifest to say how the current release's audit went)."""
    kept = {y.year for y in years if y.result is None}
    release_id = release.current_release_id(current_db) if kept else None
    manifest = release.releases_dir(current_db) / str(release_id) / MANIFEST_NAME
    if release_id is None or not manifest.exists():
        return None
    audit = json.loads(manifest.read_text(encoding="utf-8")).get("audit") or {}
    return Carried.of(current_db, release_id, audit, kept) if audit.get("passed") else None


def _attacked(years: list[YearRelease]) -> dict[str, Any]:
    """The publisher's own audit of every table protected in this run, keyed as audit_release keys them."""
    latest = years[-1].year
    return {audit_key(t.name, y.year, latest): t.protection.audit
            for y in years if y.result is not None for t in y.result.tables}


def _upgrade_raw(raw_db: Path) -> None:
    """Give a raw database made by an older version the columns added since (NULL: see data.schema), so that
    publishing reads it; nothing else in it changes."""
    from data.schema import ADDED_COLUMNS, create_raw_schema

    con = duckdb.connect(str(raw_db), read_only=True)
    try:
        have = set(con.execute("SELECT table_name || '.' || column_name FROM information_schema.columns").fetchall())
    finally:
        con.close()
    if all((f"{table}.{column}",) in have for table, column, _ in ADDED_COLUMNS):
        return
    con = duckdb.connect(str(raw_db))
    try:
        create_raw_schema(con)
    finally:
        con.close()


def _build(raw_db: Path, threshold: int, through: str | None, history: History | None) -> list[YearRelease]:
    _upgrade_raw(raw_db)
    settings = get_settings()
    try:
        return build_years(raw_db, threshold, settings.late_after_days, through, history,
                           workers=settings.attack_workers, year_workers=settings.year_workers,
                           memory_limit=settings.aggregate_memory)
    except ValueError as error:
        raise InputError(f"Cannot publish from {raw_db}: {error}.") from None
    except BudgetExceeded:
        raise InputError(
            f"Cannot publish from {raw_db}: protection did not end within its budget of "
            f"{settings.protect_minutes:g} minutes (BANSOS_PROTECT_MINUTES; 0 for no limit). Nothing was published; "
            "a previous release keeps serving. Data where most cells count fewer households than the threshold is "
            "the slow case (README, 'Protection's time budget'): publish a larger area or more months at once, or "
            "raise the budget.") from None


def _write_ranges(db: Path) -> tuple[float, ReadBack]:
    """Publish each hidden cell's range, computed from the release as written (what readers will have), never
    from the true values; return the seconds it took, and the release as read back (before its ranges were
    added) with those ranges: the standalone audit attacks it."""
    with stopwatch() as timing:
        years = read_years(db)
        computed: dict[str, TableRanges] = {}
        # Years and tables are independent, and HiGHS solves outside the GIL: the exact ranges' LPs run in threads.
        jobs = [(year, table_input, suppressed) for year in years for table_input, suppressed in year.tables]
        with ThreadPoolExecutor(max_workers=get_settings().attack_workers) as pool:
            done = pool.map(lambda job: ranges.table_ranges(job[1], job[2]), jobs)
            for (year, _, _), table in zip(jobs, done, strict=True):
                computed[audit_key(table.name, year.scope.year, years[-1].scope.year)] = table
        frames: dict[str, list[pd.DataFrame]] = {}
        for table in computed.values():
            frames.setdefault(table.name, []).append(table.frame)
        write_ranges(db, {name: pd.concat(parts, ignore_index=True) for name, parts in frames.items()})
    return timing["seconds"], ReadBack(years, computed)


class _Boundaries:
    """A release's boundary tables (geo.release), made in a second, low-priority process while the release is
    protected when it has at least BACKGROUND_BOUNDARIES_FROM regions, else in this process when they are written.

    Should that process end without its result (the kernel's out-of-memory killer on a national publish, a crash at
    its start), they are made in this process instead, with a warning: a multiprocessing.Pool would start a new
    worker and wait for the lost task forever (a test worker whose `__main__` was the dashboard's app.py, which
    the spawned process ran and died of: 2026-12-07)."""

    def __init__(self, geo_dir: Path, codes: list[str] | None, process: multiprocessing.process.BaseProcess | None,
                 result: multiprocessing.connection.Connection | None) -> None:
        self.geo_dir = geo_dir
        self._codes = codes
        self._process = process
        self._result = result
        #: Whether the tables written came from the second process (False: made here, or not written yet).
        self.made_beside = False

    @classmethod
    @contextmanager
    def beside(cls, raw_db: Path, through: str | None, geo_dir: Path) -> Iterator[_Boundaries]:
        """Start making the boundaries of a release of `raw_db` beside its protection if it is large; the process
        is ended on the way out, finished or not."""
        try:
            codes: list[str] | None = release_region_codes(raw_db, through)
        except (ValueError, duckdb.Error):
            codes = None    # the build says what is wrong with the raw database
        if codes is None or len(codes) < BACKGROUND_BOUNDARIES_FROM:
            yield cls(geo_dir, None, None, None)
            return
        context = multiprocessing.get_context("spawn")
        result, sender = context.Pipe(duplex=False)
        process = context.Process(target=_make_boundaries_at_low_priority, args=(codes, geo_dir, BACKGROUND_NICE,
                                                                                sender), daemon=True)
        try:
            process.start()
        except BaseException:
            result.close()
            raise
        finally:
            # The child holds its own copy of the sending end once started: with ours closed, reading gets EOF
            # (or OSError mid-message) as soon as it is gone.
            sender.close()
        try:
            yield cls(geo_dir, codes, process, result)
        finally:
            # Ended before the pipe is closed, so that a child still sending never sees a broken pipe.
            process.terminate()
            process.join()
            result.close()

    def write(self, db: Path, codes: list[str]) -> None:
        """Write the boundary tables of the regions `codes` into the release `db`."""
        from geo.release import make_boundaries, store_boundaries  # geopandas is heavy: only needed here

        made = None
        if self._result is not None and self._process is not None:
            if codes == self._codes:
                made = self._received()
            else:
                # The build's regions differ from those read before it: its tables are made again here, and the
                # second process's (held until read) are not wanted.
                self._process.terminate()
            self._result = None
        self.made_beside = made is not None
        con = duckdb.connect(str(db))
        try:
            store_boundaries(con, made if made is not None else make_boundaries(codes, self.geo_dir))
        finally:
            con.close()

    def _received(self) -> BoundaryTables | None:
        """The second process's tables; None (logged) if making them failed there or it ended without sending."""
        assert self._result is not None and self._process is not None
        try:
            sent = pickle.loads(self._result.recv_bytes())  # noqa: S301 - our own child, over a private pipe
        # EOFError: gone before sending; OSError ("got end of file during message"): gone while sending.
        except (EOFError, OSError):
            self._process.join(timeout=5)
            log.warning("the boundaries process ended without its tables (exit code %s): making them in this "
                        "process", self._process.exitcode)
            return None
        if isinstance(sent, str):
            log.info("the boundaries process could not make them (%s): making them in this process", sent)
            return None
        return cast("BoundaryTables", sent)


def _make_boundaries_at_low_priority(codes: list[str], geo_dir: Path, nice: int,
                                     sender: multiprocessing.connection.Connection) -> None:
    """geo.release.make_boundaries in the boundaries process, niced (it takes the cores the attack leaves idle).
    The tables go to the publisher through `sender` as one pickle (the tables themselves dropped before it is sent:
    the publisher reads it only after its protection, so one copy waits, not two); if making them fails, the
    error's text goes instead, and the publisher makes them itself and reports that error as its own."""
    from geo.release import make_boundaries

    signal.signal(signal.SIGINT, signal.SIG_IGN)    # Ctrl-C is the publisher's to handle: it ends this process
    os.nice(nice)
    try:
        try:
            payload = pickle.dumps(make_boundaries(codes, geo_dir), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as error:  # raised again, and reported, by the publisher's own attempt
            payload = pickle.dumps(f"{type(error).__name__}: {error}")
        sender.send_bytes(payload)
    finally:
        sender.close()


def _sources(raw_db: Path) -> dict[str, Any]:
    """What the release was made from: the ingested files' names and SHA-256 (the next release tells late records
    by them, anonymize.revisions) and how the raw data was generated.

    No row counts: a file's accepted or quarantined rows, or the raw tables' sizes, are sums of cells the release
    may hide (one file per kabupaten or per month of late records is the usual export), so they stay with the
    publisher (the ingest's own output reconciles them).
    """
    con = duckdb.connect(str(raw_db), read_only=True)
    try:
        files = con.execute("SELECT source, source_sha256 FROM ingested_files ORDER BY ingested_at").df()
        metadata = dict(con.execute("SELECT key, value FROM raw_metadata").fetchall())
    finally:
        con.close()
    generator = {k: v for k, v in metadata.items() if k in ("preset", "seed", "year", "years", "through", "regions")}
    return {"ingested_files": json.loads(files.to_json(orient="records")), "generator": generator}
