"""Benchmark `python -m data generate`: rows per table, seconds, rows/s and memory for a preset and scale.

    python benchmarks/bench_generate.py --preset national --scale 0.14

Memory is sampled while the run goes on, so a flat line (RSS at each quarter of the run close to the peak
reached early) shows that memory does not grow with the row count.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from data.generate import TABLES, GenerationConfig, generate

SAMPLE_SECONDS = 0.25


class RssSampler(threading.Thread):
    """Reads the process's resident memory from /proc a few times a second."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[tuple[float, int]] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        start = time.perf_counter()
        while not self._stop_event.wait(SAMPLE_SECONDS):
            self.samples.append((time.perf_counter() - start, _rss_kib()))

    def stop(self) -> None:
        self._stop_event.set()
        self.join()

    def at_quarters(self) -> list[int]:
        if not self.samples:
            return []
        return [self.samples[min(len(self.samples) - 1, int(q * len(self.samples)))][1] for q in (0.25, 0.5, 0.75)] \
            + [self.samples[-1][1]]


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="demo")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--regions", help="province/kabupaten codes, comma-separated")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, help="database to write (default: a temporary file, deleted)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        out = args.out or Path(folder) / "bench.duckdb"
        regions = tuple(args.regions.split(",")) if args.regions else None
        config = GenerationConfig(preset=args.preset, seed=args.seed, scale=args.scale, regions=regions, out=out)
        sampler = RssSampler()
        sampler.start()
        result = generate(config)
        sampler.stop()
        size_mib = out.stat().st_size / 2**20
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(result.line())
    for table in TABLES:
        print(f"  {table:<14} {result.rows[table]:>13,}")
    print(f"  {'total':<14} {result.total_rows:>13,} rows in {result.seconds:.1f} s = "
          f"{result.rows_per_second:,.0f} rows/s ({result.rows['disbursements'] / result.seconds:,.0f} "
          "disbursement rows/s)")
    print(f"  peak RSS {peak_mib:,.0f} MiB; RSS at 25/50/75/100% of the run: "
          + ", ".join(f"{kib / 1024:,.0f}" for kib in sampler.at_quarters()) + f" MiB; database {size_mib:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
