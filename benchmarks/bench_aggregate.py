"""Benchmark the aggregation stage of a publish against a bare DuckDB GROUP BY of the same payments, in CPU time.

    python benchmarks/bench_aggregate.py --raw data/raw/bansos.duckdb     # an existing raw database (read-only)
    python benchmarks/bench_aggregate.py --preset demo --seed 1            # generates one first (not timed)
    python benchmarks/bench_aggregate.py --raw PATH --steps                # and the stage's CPU per step

The bare query reads the same payments (the release's year through its last month) and groups them into the finest
disbursement cell, desa × program × month × channel, with the payments, the Rupiah paid and the exact number of
distinct households paid: the least any aggregation of these payments must do. The stage is what `publish` runs
before protection (scope, regions, every table's cells at every level). Both run in this process on the same
DuckDB connection settings as `publish`; CPU is process CPU time (every DuckDB thread included), so the ratio holds
on a machine whose cores are shared. The stage runs first (its peak RSS is then its own; the bare query, run twice
after it on warm caches, gets no less help from caching than the stage) and the ratio uses the bare runs' mean.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anonymize import aggregate
from anonymize.build import aggregate_frames, scope_regions, table_inputs
from settings import ROOT, STATUS_PAID, get_settings

BARE_GROUP_BY = """
    SELECT desa_code, program, period, coalesce(channel, 'LAINNYA') AS channel, count(*) AS payments,
           sum(amount) FILTER (WHERE status = $paid) AS amount,
           count(DISTINCT coalesce('k' || kk_number, 'n' || nik)) FILTER (WHERE status = $paid) AS recipients
    FROM disbursements WHERE period BETWEEN $first AND $through
    GROUP BY ALL"""


def generate_raw(out: Path, preset: str, scale: float, seed: int, regions: str | None,
                 years: str | None = None) -> float:
    """Run the generator in its own process (`years`: its --years, e.g. 2021-2025); return its seconds."""
    command = [sys.executable, "-m", "data", "generate", "--preset", preset, "--scale", str(scale), "--seed",
               str(seed), "--out", str(out), *(["--regions", regions] if regions else []),
               *(["--years", years] if years else [])]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True)
    print(done.stdout.strip())
    return time.perf_counter() - start


def raw_database(args: argparse.Namespace, folder: Path) -> Path:
    """`--raw`, or a raw set generated into `folder` from `--preset`, `--scale`, `--seed` and `--regions`."""
    if args.raw is not None:
        return Path(args.raw)
    raw = folder / "raw.duckdb"
    seconds = generate_raw(raw, args.preset, args.scale, args.seed, args.regions, getattr(args, "years", None))
    print(f"  generated in {seconds:.1f} s (not part of the figures below)")
    return raw


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measured(work: Callable[[], Any]) -> tuple[Any, float, float]:
    """work()'s result, its process CPU seconds and its wall seconds."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = work()
    return result, time.process_time() - cpu, time.perf_counter() - wall


class StepTimes:
    """Process CPU seconds per aggregation step (`--steps`): each SQL statement of anonymize.aggregate by the table it
    fills (or "roll-up" for the levels above desa), and its Python steps by name; what they leave out is pandas work in
    anonymize.build and anonymize.tables."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = {}
        self._depth = 0
        self._saved: dict[str, Any] = {}

    @staticmethod
    def label(sql: str) -> str:
        named = re.search(r"(?:INSERT INTO|TEMP TABLE) (\w+)", sql)
        if named:
            return named.group(1)
        return "roll-up" if sql.lstrip().startswith("WITH months") else " ".join(sql.split())[:40]

    def _timed(self, name: str, function: Callable[..., Any], label: Callable[..., str]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self._depth:
                return function(*args, **kwargs)
            self._depth += 1
            start = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                key = label(*args)
                self.cpu[key] = self.cpu.get(key, 0.0) + time.process_time() - start
                self._depth -= 1
        return timed

    def __enter__(self) -> StepTimes:
        for name in ("_execute", "_query"):
            self._saved[name] = getattr(aggregate, name)
            setattr(aggregate, name, self._timed(name, self._saved[name], lambda con, sql, params: self.label(sql)))
        for name in ("_recipients_frame", "_desa_quality", "desa_complaints", "desa_proposals", "roll_up"):
            if not hasattr(aggregate, name):  # an older aggregation (benchmarks/compare_aggregate.py)
                continue
            self._saved[name] = getattr(aggregate, name)
            setattr(aggregate, name, self._timed(name, self._saved[name], lambda *args, name=name: name))
        return self

    def __exit__(self, *exc: object) -> None:
        for name, function in self._saved.items():
            setattr(aggregate, name, function)

    def report(self, total: float) -> None:
        for key, cpu in sorted(self.cpu.items(), key=lambda item: -item[1]):
            print(f"    {cpu:6.2f} s  {key}")
        print(f"    {total - sum(self.cpu.values()):6.2f} s  the rest (pandas in anonymize.build and anonymize.tables)")


def bare(con: duckdb.DuckDBPyConnection, scope: aggregate.Scope) -> int:
    params = {"paid": STATUS_PAID, "first": f"{scope.year}-01", "through": scope.through}
    return len(con.execute(BARE_GROUP_BY, params).df())


def bare_group_by_cpu(raw: Path, spill: Path) -> float:
    """CPU seconds of the bare GROUP BY of the payments `publish` would aggregate (publish's DuckDB settings), the
    mean of two runs."""
    con = duckdb.connect(str(raw), read_only=True, config={"memory_limit": get_settings().aggregate_memory,
                                                           "temp_directory": str(spill)})
    try:
        scope = aggregate.detect_scope(con, None)
        return sum(measured(lambda: bare(con, scope))[1] for _ in range(2)) / 2
    finally:
        con.close()


def run(raw: Path, through: str | None, late_after_days: int, spill: Path, steps: bool = False) -> float:
    """Print the figures; return the CPU ratio. DuckDB spills to `spill` (never beside a raw database it only
    reads). With `steps`, the stage's CPU per step too."""
    con = duckdb.connect(str(raw), read_only=True, config={"memory_limit": get_settings().aggregate_memory,
                                                           "temp_directory": str(spill)})
    try:
        scope = aggregate.detect_scope(con, through)
        payments = con.execute("SELECT count(*) FROM disbursements WHERE period BETWEEN ? AND ?",
                               [f"{scope.year}-01", scope.through]).fetchall()[0][0]
        print(f"{payments:,} payments of {scope.year} through {scope.through}, {len(scope.provinces)} province(s); "
              f"DuckDB threads {con.execute('SELECT current_setting(?)', ['threads']).fetchall()[0][0]}, "
              f"memory_limit {get_settings().aggregate_memory}")

        def stage() -> dict[str, Any]:
            stage_scope = aggregate.detect_scope(con, through)
            regions = scope_regions(con, stage_scope)
            return {"scope": stage_scope, "regions": regions,
                    "frames": aggregate_frames(con, stage_scope, regions, late_after_days)}
        with StepTimes() if steps else contextlib.nullcontext() as times:
            done, stage_cpu, stage_wall = measured(stage)
        print(f"  aggregation stage: CPU {stage_cpu:.2f} s, wall {stage_wall:.2f} s, "
              f"peak RSS {peak_rss_mb():,.0f} MiB; "
              + ", ".join(f"{name} {len(frame):,} rows" for name, frame in done["frames"].items()))
        if times is not None:
            times.report(stage_cpu)
        _, inputs_cpu, inputs_wall = measured(
            lambda: table_inputs(done["frames"], done["regions"], done["scope"], get_settings().threshold))
        print(f"  protected tables built from them (not aggregation): CPU {inputs_cpu:.2f} s, wall {inputs_wall:.2f} s")
        bare_cpu = []
        for run_no in (1, 2):
            cells, cpu, wall = measured(lambda: bare(con, scope))
            bare_cpu.append(cpu)
            print(f"  bare GROUP BY, run {run_no}: {cells:,} cells, CPU {cpu:.2f} s, wall {wall:.2f} s, "
                  f"peak RSS {peak_rss_mb():,.0f} MiB")
    finally:
        con.close()
    ratio = stage_cpu / (sum(bare_cpu) / len(bare_cpu))
    print(f"  aggregation CPU ratio: {ratio:.2f}x the bare GROUP BY (target <= 2x); peak RSS {peak_rss_mb():,.0f} MiB")
    return ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, help="an existing raw database, opened read-only")
    parser.add_argument("--preset", default="demo")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--regions", help="province/kabupaten codes, comma-separated")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--through", help="the last month aggregated, YYYY-MM (default: the last with payments)")
    parser.add_argument("--steps", action="store_true", help="print the stage's CPU per step as well")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        run(raw_database(args, Path(folder)), args.through, get_settings().late_after_days, Path(folder) / "spill",
            steps=args.steps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
