"""`python -m data generate`: build the synthetic raw database (registry, payments, feedback) chunk by chunk."""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from cli import UserError, progress, stopwatch, summary
from data.chunk import RunContext, make_chunk
from data.dynamics import Dynamics, Shock, pick_shocks, quota_factors
from data.faults import FaultRates, fault_names, parse_overrides
from data.names import NamePools
from data.plan import assign_chunks, build_plan, select_desa
from data.presets import PRESET_YEARS, PRESETS
from data.writer import RawWriter
from geo.regions import RegionCodeError
from settings import get_settings

HELP = "Generate a realistic synthetic raw database: households, members, payments, complaints, usul/sanggah."
#: Households per chunk: big enough for fast vectorised numpy, small enough that memory stays flat.
DEFAULT_CHUNK_HOUSEHOLDS = 150_000
TABLES = ("households", "members", "disbursements", "complaints", "usul_sanggah")
#: Ten times the real density is already ~200 million households nationally.
MAX_SCALE = 10.0
#: NIK carry two-digit birth years, so heads born long before or after today would read as another century.
MIN_YEAR, MAX_YEAR = 2000, 2035
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_YEARS = re.compile(r"(\d{4})(?:-(\d{4}))?")


@dataclass(frozen=True)
class GenerationConfig:
    preset: str = "demo"
    seed: int = 1
    #: The (last) year made.
    year: int = 2025
    #: The first year made when several are (`--years 2022-2025`); None = `year` alone. The first year's rows are
    #: a single-year run's; each later year follows from the one before (data.dynamics).
    first_year: int | None = None
    #: Last month to include of the last year, 'YYYY-MM'; None = December. Earlier months are identical to a
    #: full-year run.
    through: str | None = None
    #: Province or kabupaten codes; None = the preset's regions.
    regions: tuple[str, ...] | None = None
    #: Multiplies the households of every desa (tests and benchmarks).
    scale: float = 1.0
    faults: FaultRates = field(default_factory=FaultRates)
    out: Path | None = None
    #: Replace a raw database that holds ingested (real) files; without it `generate` refuses.
    force: bool = False
    #: Part of what determines the rows: each chunk has its own random stream.
    chunk_households: int = DEFAULT_CHUNK_HOUSEHOLDS
    dynamics: Dynamics = field(default_factory=Dynamics)

    @property
    def years(self) -> range:
        return range(self.first_year if self.first_year is not None else self.year, self.year + 1)

    @property
    def label(self) -> str:
        extras = [f"seed {self.seed}"]
        if len(self.years) > 1:
            extras.append(f"years {self.years[0]}-{self.years[-1]}")
        if self.regions is not None:
            extras.append(f"regions {','.join(self.regions)}")
        if self.scale != 1:
            extras.append(f"scale {self.scale:g}")
        if self.through is not None:
            extras.append(f"through {self.through}")
        return f"{self.preset} ({', '.join(extras)})"


@dataclass(frozen=True)
class GenerationSummary:
    label: str
    out: Path
    rows: dict[str, int]
    seconds: float

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        counts = ", ".join(f"{name} {self.rows.get(name, 0):,}" for name in TABLES)
        return (f"generated {self.label}: {counts} in {self.seconds:.1f} s "
                f"({self.rows_per_second:,.0f} rows/s) -> {_shown(self.out)}")


def generate(config: GenerationConfig, show_progress: bool = True) -> GenerationSummary:
    """Write a fresh raw database for `config` (replacing any previous one at the end) and say what it holds."""
    through = _through_month(config)
    out = config.out or get_settings().raw_db
    if not config.force:
        _refuse_to_replace_ingested(out)
    with stopwatch() as timing:
        plan = _plan(config)
        chunk_of = assign_chunks(plan, config.chunk_households)
        n_chunks = int(chunk_of.max()) + 1
        first_ids = 1 + np.r_[0, np.cumsum(np.bincount(chunk_of, weights=plan["households"], minlength=n_chunks))]
        kabupaten = sorted({code[:5] for code in plan["code"]})
        shocks = pick_shocks(config.seed, kabupaten, config.years, config.dynamics)
        quotas = quota_factors(config.seed, kabupaten, config.years, shocks, config.dynamics)
        run = RunContext(config.seed, config.year, through, config.faults, NamePools.build(config.seed),
                         get_settings().late_after_days, config.first_year, config.dynamics, quotas, shocks)
        chunks = range(n_chunks)
        with RawWriter(out) as writer:
            for index in progress(chunks, total=n_chunks, desc="generate", unit="chunk") if show_progress else chunks:
                for tables in make_chunk(index, plan[chunk_of == index], int(first_ids[index]), run):
                    writer.append(tables)
            writer.finish(_metadata(config, through, plan) | _history(config, shocks, quotas))
    return GenerationSummary(config.label, out, {t: writer.rows[t] for t in TABLES}, timing["seconds"])


def _refuse_to_replace_ingested(out: Path) -> None:
    """Synthetic rows must never silently replace real ones: a raw database with ingested files needs `--force`."""
    if not out.exists():
        return
    try:
        with duckdb.connect(str(out), read_only=True) as con:
            has_table = con.execute("SELECT count(*) FROM information_schema.tables "
                                    "WHERE table_name = 'ingested_files'").fetchall()[0][0]
            files = con.execute("SELECT count(*) FROM ingested_files").fetchall()[0][0] if has_table else 0
    except duckdb.Error as error:
        raise UserError(f"{_shown(out)} exists but cannot be read ({error}); pass --force to replace it.") from None
    if files:
        raise UserError(f"{_shown(out)} holds {files:,} ingested file(s) of real records; refusing to replace it with "
                        f"synthetic data (pass --force to replace it, or --out another path).")


def _plan(config: GenerationConfig) -> pd.DataFrame:
    if config.preset not in PRESETS:
        raise UserError(f"Unknown preset {config.preset!r}; choose one of {', '.join(PRESETS)}.")
    if not 0 < config.scale <= MAX_SCALE:
        raise UserError(f"--scale must be above 0 and at most {MAX_SCALE}, got {config.scale}.")
    if not MIN_YEAR <= config.year <= MAX_YEAR:
        raise UserError(f"--year must be between {MIN_YEAR} and {MAX_YEAR}, got {config.year}.")
    if config.first_year is not None and not MIN_YEAR <= config.first_year <= config.year:
        raise UserError(f"--years must run forwards between {MIN_YEAR} and {MAX_YEAR}, "
                        f"got {config.first_year}-{config.year}.")
    try:
        desa = select_desa(config.regions if config.regions is not None else PRESETS[config.preset])
    except RegionCodeError as error:
        raise UserError(str(error)) from None
    plan = build_plan(config.seed, desa, config.scale, config.faults)
    if plan["households"].sum() == 0:
        raise UserError(f"The selected regions have no households at scale {config.scale:g}; raise --scale.")
    return plan


def _through_month(config: GenerationConfig) -> int:
    if config.through is None:
        return 12
    match = _MONTH.fullmatch(config.through.strip())
    if not match or int(match.group(1)) != config.year or not 1 <= int(match.group(2)) <= 12:
        raise UserError(f"--through must be a month of {config.year} written YYYY-MM, got {config.through!r}.")
    return int(match.group(2))


def _metadata(config: GenerationConfig, through: int, plan: pd.DataFrame) -> dict[str, str]:
    return {
        "generator": "data.generate", "preset": config.preset, "seed": str(config.seed),
        "year": str(config.year), "through": f"{config.year}-{through:02d}",
        "regions": ",".join(config.regions if config.regions is not None else PRESETS[config.preset] or ("all",)),
        "desa": str(len(plan)), "scale": f"{config.scale:g}", "chunk_households": str(config.chunk_households),
        "fault_rates": json.dumps(config.faults.as_dict(), sort_keys=True),
        "late_after_days": str(get_settings().late_after_days),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _history(config: GenerationConfig, shocks: tuple[Shock, ...],
             quotas: dict[str, dict[int, float]]) -> dict[str, str]:
    """How the years relate: the years, the disasters, each kabupaten's quota by year, the dynamics' rates and
    the fault rates of each year (tests and the later publishing steps read these)."""
    years = config.years
    return {
        "years": f"{years[0]}-{years[-1]}", "first_year": str(years[0]),
        "shocks": json.dumps([dataclasses.asdict(shock) for shock in shocks]),
        "quota_factors": json.dumps({kab: {str(y): round(f, 6) for y, f in row.items()}
                                     for kab, row in quotas.items()}, sort_keys=True),
        "dynamics": json.dumps(config.dynamics.as_dict(), sort_keys=True),
        "fault_rates_by_year": json.dumps({str(year): config.dynamics.faults_in(config.faults, k).as_dict()
                                           for k, year in enumerate(years)}, sort_keys=True),
    }


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", choices=sorted(PRESETS), default="demo",
                        help="demo: DI Yogyakarta + Nusa Tenggara Timur at full density; national: all 83,762 desa")
    parser.add_argument("--seed", type=int, default=1, help="random seed; the same seed gives the same rows")
    years = parser.add_mutually_exclusive_group()
    years.add_argument("--year", type=int, help="one payment year (default: the preset's years, demo 2022-2025, "
                                                "national 2025)")
    years.add_argument("--years", metavar="YYYY-YYYY", help="several years, e.g. 2021-2025: households carry over "
                                                            "from year to year")
    parser.add_argument("--through", metavar="YYYY-MM", help="last month to include (default December)")
    parser.add_argument("--regions", metavar="CODES", help="province/kabupaten codes, e.g. 34,53.01 (overrides preset)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply households per desa (default 1)")
    parser.add_argument("--fault", action="append", default=[], metavar="NAME=RATE",
                        help=f"override a fault rate; NAME is one of {', '.join(fault_names())}")
    parser.add_argument("--out", type=Path, help="database to write (default: settings raw_db)")
    parser.add_argument("--force", action="store_true",
                        help="replace a raw database even when it holds ingested (real) files")


def _years(args: argparse.Namespace) -> tuple[int, int]:
    """First and last year from --year, --years or the preset's default."""
    if args.year is not None:
        return args.year, args.year
    if args.years is None:
        return PRESET_YEARS.get(args.preset, (2025, 2025))
    match = _YEARS.fullmatch(args.years.strip())
    if not match:
        raise UserError(f"--years must be written YYYY-YYYY (or one year YYYY), got {args.years!r}.")
    first, last = int(match.group(1)), int(match.group(2) or match.group(1))
    if first > last:
        raise UserError(f"--years must run forwards, got {args.years!r}.")
    return first, last


def run(args: argparse.Namespace) -> int:
    try:
        faults = parse_overrides(args.fault)
    except ValueError as error:
        raise UserError(str(error)) from None
    regions = tuple(r.strip() for r in args.regions.split(",") if r.strip()) if args.regions else None
    first, last = _years(args)
    config = GenerationConfig(preset=args.preset, seed=args.seed, year=last,
                              first_year=first if first != last else None, through=args.through, regions=regions,
                              scale=args.scale, faults=faults, out=args.out, force=args.force)
    summary(generate(config).line())
    return 0
