"""Benchmark `python -m anonymize publish`: aggregation speed, seconds per stage, memory, cells hidden, LP size.

    python benchmarks/bench_anonymize.py --preset demo --seed 1              # 2-4 minutes on 2 shared cores
    python benchmarks/bench_anonymize.py --preset national --regions 33,53,94 --scale 0.1
    python benchmarks/bench_anonymize.py --raw data/raw/bansos.duckdb      # an existing raw database
    python benchmarks/bench_anonymize.py --preset demo --years 2021-2025    # five demo years in one release
    python benchmarks/bench_anonymize.py --preset demo --years 2022-2026 --after 2025-12
                                        # a year published on top of four published ones (they are carried)
    python benchmarks/bench_anonymize.py --preset demo --after 2025-10     # a continuation: October, then December
    python benchmarks/bench_anonymize.py --preset demo --years 2025 --after 2025-10,2025-11
                                        # a monthly chain: October, November, then December
    python benchmarks/bench_anonymize.py --preset demo --years 2025 --after 2025-10,2025-11 --late 0.02
                                        # the same chain with 2% of each month's payments a month late
    python benchmarks/bench_anonymize.py --raw nat5.duckdb --after 2024-12 --published /tmp/nat/bansos.duckdb
                                        # keep the release (e.g. for bench_outlook.py --db)

With `--after YYYY-MM`, a first release through that month is published (its seconds, hidden shares, rounds and
escalated cells on one line), and the figures are those of the release that follows it in the same folder, as a
publisher would run them (the peak RSS covers all: one process). With several months (`--after 2025-10,2025-11`),
a release through each is published in turn: a monthly chain. `--late SHARE` makes it a chain with late records,
as real exports arrive: that share of each chain month's payments (drawn at random, every program and desa) is
missing from the raw set when the release through that month is published, and is ingested (`python -m data
ingest`, a late file) before the next release, which then revises the month (README, "Later revisions of the same
year"). Each release's line then gives the late payments it revised (those ingest accepted). The peak RSS then
includes the ingest subprocesses.

The aggregation's CPU time is also printed as a ratio to a bare GROUP BY of the same payments (see
bench_aggregate.py), measured after the publish in the same process.

Sparse data and large tables are the slow cases: the attack holds every measure of a table in one LP, so its
components are larger than one measure's (the demo's largest has 1,868 hidden values). The small/partner columns
and the information loss below (anonymize/loss.py) are the publisher's own figures; no release publishes them.
`BANSOS_UNHIDE_ATTACKS=0` switches protect()'s last pass (anonymize/unhide.py) off, for comparison.

The raw set is generated in a subprocess (`python -m data generate`), so the peak memory printed is the
publisher's alone. Boundaries come from `--geo-dir` (default: an empty folder, i.e. the shipped boundary pack, and
illustrative shapes where it has none).
"""

from __future__ import annotations

import argparse
import logging
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_aggregate import bare_group_by_cpu, raw_database

from anonymize.loss import share
from anonymize.publish import Published, publish
from data.vocabulary import FIELDS
from settings import get_settings

LEVELS = ("desa", "kecamatan", "kabupaten")
STAGES = ("aggregate", "primary", "secondary", "audit", "unhide", "write", "ranges", "standalone_audit", "package")


def report(outcome: Published, total_seconds: float, bare_cpu: float) -> None:
    seconds = outcome.seconds
    rows = outcome.rows_aggregated
    print(f"published {outcome.release_id} (data through {outcome.data_through}) in {total_seconds:.1f} s; "
          f"peak RSS {outcome.peak_rss_mb:,.0f} MiB (the publisher or its largest year process)")
    print("  years: " + ", ".join(f"{year} {how}" for year, how in sorted(outcome.years.items()))
          + "; the figures below are the latest year's, except seconds `*_earlier_years` (summed over the others)")
    print(f"  aggregation: {rows:,} disbursement rows in {seconds['aggregate']:.1f} s = "
          f"{rows / max(seconds['aggregate'], 1e-9):,.0f} rows/s; CPU {seconds['aggregate_cpu']:.1f} s = "
          f"{seconds['aggregate_cpu'] / bare_cpu:.2f}x a bare GROUP BY of the same payments ({bare_cpu:.1f} s CPU, "
          "benchmarks/bench_aggregate.py)")
    earlier = [f"{stage} {seconds[f'{stage}_earlier_years']:.1f}" for stage in STAGES
               if f"{stage}_earlier_years" in seconds]
    if earlier:
        print("  seconds of the earlier years (their processes, summed): " + ", ".join(earlier))
    print("  seconds: " + ", ".join(f"{stage} {seconds.get(stage, 0.0):.1f}" for stage in STAGES)
          + "  (primary/secondary/audit/unhide: protect(), summed over tables; standalone_audit: from the published "
          "tables)")
    audit = outcome.audit["tables"]
    print(f"  {'table':<20} {'cells':>9} {'non-empty':>9} {'hidden':>8} {'small':>7} {'partners':>8} "
          f"{'% hidden':>8} {'LP largest':>10} {'LP solves':>9}")
    small = outcome.composition  # the publisher's own figures: never published
    print("  " + chain_line(outcome))
    for name, stats in outcome.tables.items():
        print(f"  {name:<20} {stats['cells']:>9,} {stats['nonempty_cells']:>9,} {stats['suppressed']:>8,} "
              f"{small[name]['small']:>7,} {small[name]['partners']:>8,} {stats['share_nonempty_suppressed']:>8.1%} "
              f"{audit[name]['largest_component']:>10,} {audit[name]['lp_solves']:>9,}")
    shares = outcome.tables["disbursement_cells"]
    print("  Rupiah hidden (whole year, all programs): "
          + ", ".join(f"{level} {shares[f'share_amount_hidden_{level}']:.1%}" for level in LEVELS))
    print_loss(outcome.loss)
    reused = [name for name, t in audit.items() if t.get("reused")]
    print(f"  largest LP component (standalone audit): {max(t['largest_component'] for t in audit.values()):,} "
          f"hidden values; {outcome.audit['hidden_values']:,} hidden values, "
          f"{outcome.audit['lp_solves']:,} LP solves; protect()'s attack reused (identical system) for "
          f"{len(reused)} of {len(audit)} tables")


def chain_line(outcome: Published) -> str:
    """One release of a chain in a line: per table hidden share, protect()'s rounds and cells hidden by escalation."""
    return "; ".join(f"{name} {stats['share_nonempty_suppressed']:.1%} hidden, "
                     f"{outcome.composition[name].get('rounds', 0)} rounds, "
                     f"{outcome.composition[name].get('escalated', 0):,} escalated"
                     for name, stats in outcome.tables.items())


def print_loss(loss: dict) -> None:
    """Households and Rupiah hidden per level and program (whole year), desa where a citizen finds nothing, and the
    largest hidden kecamatan and kabupaten cells: the publisher's own figures (anonymize/loss.py), never published."""
    if not loss:
        return
    print("  hidden, whole year (households / Rupiah; publisher only):")

    def shares(p: dict) -> str:
        return f"{share(p['households_hidden'], p['households']):.1%} / {share(p['rupiah_hidden'], p['rupiah']):.1%}"
    for level, programs in loss["levels"].items():
        print(f"    {level:<10} " + "; ".join(f"{code} {shares(p)}" for code, p in programs.items())
              + f"; every program's cells {shares(loss['program_cells'][level])}")
    print(f"  desa where a citizen finds nothing (every whole-year cell hidden): {loss['desa_nothing']:,} of "
          f"{loss['desa_paid']:,} paid desa ({share(loss['desa_nothing'], loss['desa_paid']):.1%})")
    for level, cells in loss["largest_hidden"].items():
        print(f"  largest hidden {level} cells (recipients): "
              + (", ".join(f"{n:,} ({program} {period} {channel})" for _, program, period, channel, n in cells)
                 or "none"))


def take_out_late(raw: Path, folder: Path, months: list[str], late_share: float, seed: int) -> dict[str, Path]:
    """Per month: a share of its payments taken out of `raw` (a copy the benchmark owns) into a CSV in the ingest
    format, to arrive late. The draw is a hash of the row and the seed, so the same arguments take the same rows."""
    import duckdb

    files = {}
    con = duckdb.connect(str(raw))
    try:
        for month in months:
            # Only payments dated by the day their late file is ingested (ingest refuses later dates).
            rows = ("SELECT rowid AS row_id FROM disbursements WHERE period = ? "
                    "AND hash(rowid, ?) % 1000000 < ? "
                    "AND greatest(scheduled_date, coalesce(paid_date, scheduled_date)) <= CAST(? AS DATE)")
            con.execute(f"CREATE OR REPLACE TEMP TABLE late AS {rows}",
                        [month, seed, int(late_share * 1_000_000), late_as_of(month)])
            # The ingest format's columns (data.vocabulary.FIELDS), a constant: no input in this SQL.
            late = con.execute(f"SELECT {', '.join(FIELDS)} FROM disbursements "  # noqa: S608
                               "WHERE rowid IN (SELECT row_id FROM late) ORDER BY desa_code, nik").df()
            con.execute("DELETE FROM disbursements WHERE rowid IN (SELECT row_id FROM late)")
            files[month] = folder / f"late-{month}.csv"
            late.to_csv(files[month], index=False)
    finally:
        con.close()
    return files


def late_as_of(month: str) -> str:
    """The day a month's late file is ingested: the 15th of the month after."""
    year, number = map(int, month.split("-"))
    return f"{year + number // 12}-{number % 12 + 1:02d}-15"


def ingest_late(file: Path, raw: Path, month: str) -> int:
    """Ingest a late file as the data office would, in the middle of the month after `month`. Returns the payments
    the raw set gained (ingest quarantines rows it refuses: a fault the generator put in, say)."""
    import duckdb

    as_of = late_as_of(month)

    def payments() -> int:
        con = duckdb.connect(str(raw), read_only=True)
        try:
            return int(con.execute("SELECT count(*) FROM disbursements").fetchall()[0][0])
        finally:
            con.close()
    before = payments()
    done = subprocess.run([sys.executable, "-m", "data", "ingest", str(file), "--db", str(raw), "--as-of", as_of],
                          cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"ingest of {file.name} failed:\n{done.stdout}{done.stderr}")
    return payments() - before


def arrive_late(late: dict[str, Path], month: str | None, raw: Path) -> str:
    """Ingest the late file of `month` (the previous release's) if there is one; a note for the release's line."""
    if month is None or month not in late:
        return ""
    rows = len(pd.read_csv(late[month], dtype=str))
    if rows == 0:
        return f"; no late payments of {month} drawn"
    accepted = ingest_late(late[month], raw, month)
    return f"; revises {month} with a late file of {rows:,} payments, {accepted:,} accepted"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="demo")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--regions", help="province/kabupaten codes, comma-separated")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--raw", type=Path, help="publish this raw database instead of generating one")
    parser.add_argument("--geo-dir", type=Path, help="boundary layers (default: none: the boundary pack)")
    parser.add_argument("--threshold", type=int, default=get_settings().threshold)
    parser.add_argument("--years", help="years to generate, e.g. 2021-2025 (default: the preset's)")
    parser.add_argument("--after", metavar="YYYY-MM[,YYYY-MM...]",
                        help="publish through this month first (through each, in turn: a monthly chain), then "
                             "measure the release that follows")
    parser.add_argument("--late", type=float, default=0.0, metavar="SHARE",
                        help="with --after: this share of each chain month's payments arrives a month late")
    parser.add_argument("--debug", action="store_true", help="log the attack's stages (counts only)")
    parser.add_argument("--published", type=Path,
                        help="publish into this file and keep it (default: a temporary folder, removed after)")
    args = parser.parse_args(argv)
    months = [month.strip() for month in args.after.split(",")] if args.after else []
    if args.late and not months:
        parser.error("--late needs --after (the months whose payments arrive late)")
    with tempfile.TemporaryDirectory() as folder:
        raw = raw_database(args, Path(folder))
        late: dict[str, Path] = {}
        if args.late:
            if args.raw is not None:
                # A copy: the late rows are taken out of it, and the given raw set stays as it was.
                copy = Path(folder) / "raw-late.duckdb"
                shutil.copyfile(raw, copy)
                raw = copy
            late = take_out_late(raw, Path(folder), months, args.late, args.seed)
        geo_dir = args.geo_dir or Path(folder) / "no-geo"
        current = args.published or Path(folder) / "published" / "bansos.duckdb"
        previous = None
        for month in months:
            revised = arrive_late(late, previous, raw)
            start = time.perf_counter()
            earlier = publish(raw, current, args.threshold, month, geo_dir, keep=2)
            print(f"  release {earlier.release_id} (data through {earlier.data_through}, years "
                  f"{', '.join(map(str, sorted(earlier.years)))}{revised}) in {time.perf_counter() - start:.1f} s; "
                  f"{chain_line(earlier)}; the figures below are the last release's")
            previous = month
        revised = arrive_late(late, previous, raw)
        if revised:
            print(f"  the release below{revised}")
        start = time.perf_counter()
        outcome = publish(raw, current, args.threshold, None, geo_dir, keep=2)
        total = time.perf_counter() - start
        # After the publish, so that its peak RSS is the publisher's alone.
        report(outcome, total, bare_group_by_cpu(raw, Path(folder) / "spill"))
    return 0


if __name__ == "__main__":
    # Protection's per-round progress lines (counts only) go to stderr.
    logging.basicConfig(level=logging.DEBUG if "--debug" in sys.argv else logging.INFO, format="%(message)s",
                        stream=sys.stderr)
    sys.exit(main())
