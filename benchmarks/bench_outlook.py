"""Seconds of the needs outlook (projection, reconciliation and backtest) for 514 synthetic kabupaten, and on a release.

    python benchmarks/bench_outlook.py                      # 514 kabupaten in 34 provinces, 2022-2025
    python benchmarks/bench_outlook.py --db data/published/bansos.duckdb

The synthetic frame is built here (a random walk per kabupaten, provinces and the country as exact sums) in the
shape of the published year cells: every program and "all programs", eligible households, recipients and Rupiah.
The first line is the libraries' import (statsmodels, hierarchicalforecast): paid once per server process.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import streamlit.runtime.caching.cache_data_api  # noqa: E402,F401  (creates the logger silenced below)

# Each cached reader warns, when it is defined, that no Streamlit server runs; here none should.
logging.getLogger("streamlit.runtime.caching.cache_data_api").setLevel(logging.ERROR)

from dashboard import outlook, outlook_views  # noqa: E402
from published_schema import ALL_PROGRAMS, PROGRAM_CHOICES, PROGRAM_CODES  # noqa: E402


def synthetic_cells(kabupaten: int, provinces: int, years: list[int], seed: int = 1) -> pd.DataFrame:
    """Year cells (outlook.CELL_COLUMNS) of `kabupaten` random walks spread over `provinces`, with their sums."""
    rng = np.random.default_rng(seed)
    codes = [f"{10 + i % provinces}.{i // provinces + 1:02d}" for i in range(kabupaten)]
    parents = [code.split(".")[0] for code in codes]
    frames = []
    for program in PROGRAM_CHOICES:
        start = rng.uniform(2_000, 60_000, kabupaten)
        walk = start[:, None] + np.cumsum(rng.normal(0.01, 0.03, (kabupaten, len(years))) * start[:, None], axis=1)
        recipients = np.round(np.maximum(walk, 0))
        frame = pd.DataFrame({"region_code": np.repeat(codes, len(years)), "level": "kabupaten",
                              "parent_code": np.repeat(parents, len(years)), "program": program,
                              "year": np.tile(years, kabupaten), "suppressed": False,
                              "recipients": recipients.ravel(), "amount": (recipients * 2.4e6).ravel(),
                              "eligible_households": np.nan if program == PROGRAM_CHOICES[0]
                              else np.round(recipients * 1.15).ravel()})
        frames.append(frame)
    kab = pd.concat(frames, ignore_index=True)
    measures = list(outlook.MEASURES)
    prov = (kab.groupby(["parent_code", "program", "year"], as_index=False)[measures].sum(min_count=1)
            .rename(columns={"parent_code": "region_code"}).assign(level="provinsi", parent_code="ID"))
    nation = (kab.groupby(["program", "year"], as_index=False)[measures].sum(min_count=1)
              .assign(region_code="ID", level="nasional", parent_code=None))
    return pd.concat([kab, pd.concat([prov, nation]).assign(suppressed=False)],
                     ignore_index=True)[list(outlook.CELL_COLUMNS)]


def timed(label: str, work):
    start = time.perf_counter()
    result = work()
    print(f"{label}: {time.perf_counter() - start:.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kabupaten", type=int, default=514)
    parser.add_argument("--provinces", type=int, default=34)
    parser.add_argument("--years", default="2022-2025", help="complete years, e.g. 2021-2025")
    parser.add_argument("--db", type=Path, help="a published release: time its outlook too")
    args = parser.parse_args()
    first, last = (int(y) for y in args.years.split("-"))
    years = list(range(first, last + 1))

    def load_libraries() -> None:
        import hierarchicalforecast.core  # noqa: F401
        import statsmodels.api  # noqa: F401

    timed("import statsmodels + hierarchicalforecast", load_libraries)
    cells = synthetic_cells(args.kabupaten, args.provinces, years)
    months = dict.fromkeys(years, 12)
    result = timed(f"outlook, {args.kabupaten} kabupaten in {args.provinces} provinces, {args.years} "
                   f"(projection and backtest)", lambda: outlook_views.make_outlook(cells, months))
    ok = (result.projected["status"] == outlook.OK).sum()
    rows = 0 if result.errors is None else len(result.errors)
    print(f"  {len(result.projected):,} series ({ok:,} projected), {rows} backtest rows")
    timed("  projection only", lambda: outlook.project(cells, outlook.outlook_plan(months)))
    # The page and the profiles compute one program at a time (cached per release and program).
    alone = cells[cells["program"] == PROGRAM_CHOICES[0]].reset_index(drop=True)
    timed(f"  one program ({PROGRAM_CHOICES[0]}: two measures), projection and backtest",
          lambda: outlook_views.make_outlook(alone, months))
    if args.db:
        import duckdb

        con = duckdb.connect(str(args.db), read_only=True)
        cells = timed(f"read year cells of {args.db}", lambda: outlook_views.year_cells(con))
        months = outlook_views.last_months(con)
        result = timed("outlook of the release (projection and backtest)",
                       lambda: outlook_views.make_outlook(cells, months))
        print(f"  {len(result.projected):,} series, years {result.plan.history} -> {result.plan.target}")
        # All programs with their need, as a profile computes it (each program's outlook, then the sum of needs).
        def all_programs() -> outlook_views.Outlook:
            def one(program: str) -> outlook_views.Outlook:
                return outlook_views.make_outlook(cells[cells["program"] == program].reset_index(drop=True), months)
            programs = [p for p in PROGRAM_CODES if p in set(cells["program"])]
            return outlook_views.make_all_programs_outlook(one(ALL_PROGRAMS), [one(p) for p in programs])

        combined = timed("all programs with the need (every program's outlook)", all_programs)
        if combined.errors is not None and combined.test_plan is not None:
            print(f"  backtest: {combined.test_plan.target} projected from {combined.test_plan.history}, all programs")
            print("  | measure | level | regions | MAPE | inside 80% | inside 95% |")
            shown = combined.errors[combined.errors["program"] == ALL_PROGRAMS]
            for row in shown.itertuples():
                print(f"  | {row.measure} | {row.level} | {row.series} | {row.mape:.1f}% | {row.inside_80:.1f}% "
                      f"| {row.inside_95:.1f}% |")


if __name__ == "__main__":
    main()
