"""`python -m data generate`: build the synthetic raw database (registry, payments, feedback) chunk by chunk."""

from __future__ import annotations

import argparse
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
from data.faults import FaultRates, fault_names, parse_overrides
from data.names import NamePools
from data.plan import assign_chunks, build_plan, select_desa
from data.presets import PRESETS
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


@dataclass(frozen=True)
class GenerationConfig:
    preset: str = "demo"
    seed: int = 1
    year: int = 2025
    #: Last month to include, 'YYYY-MM'; None = December. Earlier months are identical to a full-year run.
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

    @property
    def label(self) -> str:
        extras = [f"seed {self.seed}"]
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
        run = RunContext(config.seed, config.year, through, config.faults, NamePools.build(config.seed),
                         get_settings().late_after_days)
        chunks = range(n_chunks)
        with RawWriter(out) as writer:
            for index in progress(chunks, total=n_chunks, desc="generate", unit="chunk") if show_progress else chunks:
                writer.append(make_chunk(index, plan[chunk_of == index], int(first_ids[index]), run))
            writer.finish(_metadata(config, through, plan))
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


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", choices=sorted(PRESETS), default="demo",
                        help="demo: DI Yogyakarta + Nusa Tenggara Timur at full density; national: all 83,762 desa")
    parser.add_argument("--seed", type=int, default=1, help="random seed; the same seed gives the same rows")
    parser.add_argument("--year", type=int, default=2025, help="payment year (default 2025)")
    parser.add_argument("--through", metavar="YYYY-MM", help="last month to include (default December)")
    parser.add_argument("--regions", metavar="CODES", help="province/kabupaten codes, e.g. 34,53.01 (overrides preset)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply households per desa (default 1)")
    parser.add_argument("--fault", action="append", default=[], metavar="NAME=RATE",
                        help=f"override a fault rate; NAME is one of {', '.join(fault_names())}")
    parser.add_argument("--out", type=Path, help="database to write (default: settings raw_db)")
    parser.add_argument("--force", action="store_true",
                        help="replace a raw database even when it holds ingested (real) files")


def run(args: argparse.Namespace) -> int:
    try:
        faults = parse_overrides(args.fault)
    except ValueError as error:
        raise UserError(str(error)) from None
    regions = tuple(r.strip() for r in args.regions.split(",") if r.strip()) if args.regions else None
    config = GenerationConfig(preset=args.preset, seed=args.seed, year=args.year, through=args.through,
                              regions=regions, scale=args.scale, faults=faults, out=args.out, force=args.force)
    summary(generate(config).line())
    return 0
