"""Paths, thresholds and program rules for every layer, in one place, with environment overrides."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

# The published vocabulary (codes, programs' order, statuses, channels) is the contract's; re-exported here for the
# generator and the validator, which share it with the publisher.
from published_schema import (  # noqa: F401 (re-exported)
    ALL_PROGRAMS,
    CHANNELS,
    COMPLAINT_CATEGORIES,
    COMPLAINT_STATUSES,
    NATIONAL_CODE,
    PROGRAM_CODES,
    PROPOSAL_KINDS,
    PROPOSAL_STATUSES,
)

ROOT = Path(__file__).resolve().parent

#: Payment statuses as they appear in Kemensos exports.
STATUS_PAID = "disalurkan"
STATUS_FAILED = "gagal"
STATUS_RETURNED = "retur"
STATUS_PENDING = "tertunda"
STATUSES = (STATUS_PAID, STATUS_FAILED, STATUS_RETURNED, STATUS_PENDING)


@dataclass(frozen=True)
class Program:
    """One social-assistance program and the rules that the generator and the validator share."""

    code: str
    name_id: str
    name_en: str
    #: Households with welfare desil <= this are the program's target (eligible).
    target_desil: int
    #: BLT Dana Desa is paid from the village fund, so kelurahan (urban, no village fund) never get it.
    desa_only: bool
    #: Largest plausible single payment, in Rupiah.
    max_payment: int
    #: Every legitimate payment is a multiple of this (Rupiah).
    payment_step: int


PROGRAMS: dict[str, Program] = {
    p.code: p
    for p in (
        Program("PKH", "Program Keluarga Harapan", "Family Hope Program (conditional cash)",
                target_desil=4, desa_only=False, max_payment=3_000_000, payment_step=25_000),
        Program("SEMBAKO", "Program Sembako (BPNT)", "Staple-food assistance (BPNT)",
                target_desil=4, desa_only=False, max_payment=600_000, payment_step=200_000),
        Program("BLT_DD", "BLT Dana Desa", "Village-fund cash transfer (BLT Dana Desa)",
                target_desil=2, desa_only=True, max_payment=900_000, payment_step=300_000),
    )
}
# The rules follow the contract's programs, in its order.
if tuple(PROGRAMS) != PROGRAM_CODES:
    raise RuntimeError("settings.PROGRAMS and published_schema.PROGRAM_CODES list different programs")

#: PKH benefit per eligible member per year (Rupiah), by component.
PKH_ANNUAL_BENEFIT = {
    "ibu_hamil": 3_000_000,
    "anak_usia_dini": 3_000_000,
    "sd": 900_000,
    "smp": 1_500_000,
    "sma": 2_000_000,
    "disabilitas_berat": 2_400_000,
    "lansia": 2_400_000,
}
#: PKH pays for at most this many members of one family.
PKH_MAX_MEMBERS = 4
#: PKH is paid quarterly: tahap number -> scheduled month.
PKH_TAHAP_MONTHS = {1: 1, 2: 4, 3: 7, 4: 10}
SEMBAKO_MONTHLY = 200_000
#: Sembako batches of two or three months: tahap -> (first month, months covered).
SEMBAKO_BATCHES = {1: (1, 2), 2: (3, 3), 3: (6, 2), 4: (8, 2), 5: (10, 3)}
BLT_DD_MONTHLY = 300_000
#: BLT Dana Desa is paid by a desa monthly or in quarterly batches: tahap -> (first month, months covered). The
#: generator schedules payments by these, and readers know them (anonymize.knowledge).
BLT_DD_MONTHLY_BATCHES = {month: (month, 1) for month in range(1, 13)}
BLT_DD_QUARTERLY_BATCHES = {quarter: (3 * quarter - 2, 3) for quarter in range(1, 5)}


@dataclass(frozen=True)
class ProgramYear:
    """One year's program amounts and schedules, Rupiah (the rules above are the current year's)."""

    #: PKH benefit per eligible member per year at the year's base rate, by component.
    pkh_annual_benefit: dict[str, int]
    #: PKH instalments: (tahap, scheduled month, months covered, percent of the base rate paid for those months).
    pkh_tahap: tuple[tuple[int, int, int, int], ...]
    #: Rupiah per month, January to December; 0 = the program paid nothing for that month.
    sembako_monthly: tuple[int, ...]
    blt_dd_monthly: tuple[int, ...]
    #: Where the figures come from.
    source: str


#: The current rules, unchanged since 2021 (PKH components since 2019; Sembako Rp200,000 since April 2020; BLT Dana
#: Desa Rp300,000 a month in PMK 222/2020 for 2021, PMK 190/2021 for 2022 and the yearly Dana Desa PMK after it).
CURRENT_PROGRAM_YEAR = ProgramYear(
    pkh_annual_benefit=PKH_ANNUAL_BENEFIT,
    pkh_tahap=tuple((tahap, month, 3, 100) for tahap, month in PKH_TAHAP_MONTHS.items()),
    sembako_monthly=(SEMBAKO_MONTHLY,) * 12,
    blt_dd_monthly=(BLT_DD_MONTHLY,) * 12,
    source="Kemensos PKH component amounts (2019-); Sembako Rp200,000/month; BLT Dana Desa Rp300,000/month "
           "(PMK 222/2020, PMK 190/2021 and later Dana Desa PMK)",
)
#: Years whose amounts differ from the current rules. Years not listed (before 2019 as well) use the current rules:
#: the generator is not a history of the programs before 2019.
PROGRAM_YEARS: dict[int, ProgramYear] = {
    # BPNT paid Rp110,000 a month; BLT Dana Desa did not exist yet.
    2019: ProgramYear(
        pkh_annual_benefit=PKH_ANNUAL_BENEFIT, pkh_tahap=CURRENT_PROGRAM_YEAR.pkh_tahap,
        sembako_monthly=(110_000,) * 12, blt_dd_monthly=(0,) * 12,
        source="BPNT Rp110,000/month (Kemensos, 2017-2019); PKH non-flat components introduced 2019"),
    # COVID-19: Sembako Rp150,000 from January 2020, raised to Rp200,000 for the nine months April-December
    # (announced 31 March 2020); PKH raised by 25% and paid monthly from April after tahap 1 in January; BLT Dana
    # Desa from April: Rp600,000 a month for three months (PMK 40/2020), then Rp300,000 a month (PMK 50/2020,
    # extended to December by PMK 156/2020). The months of each change are as announced; exact dates varied by area.
    2020: ProgramYear(
        pkh_annual_benefit=PKH_ANNUAL_BENEFIT,
        pkh_tahap=((1, 1, 3, 100), *((month - 2, month, 1, 125) for month in range(4, 13))),
        sembako_monthly=(150_000,) * 3 + (200_000,) * 9,
        blt_dd_monthly=(0,) * 3 + (600_000,) * 3 + (300_000,) * 6,
        source="Sembako Rp150,000 then Rp200,000 (April-December 2020); PKH +25% monthly April-December 2020; "
               "BLT Dana Desa PMK 40/2020, 50/2020, 156/2020"),
}


def program_year(year: int) -> ProgramYear:
    """The program amounts and schedules of `year`."""
    return PROGRAM_YEARS.get(year, CURRENT_PROGRAM_YEAR)


#: Households the Sembako program serves nationally (KPM), by year: the national caseload the generator's
#: kabupaten quotas follow. 2019: 15.6 million (BPNT); 2020: expanded to 20 million for COVID-19; 2021-2024: 18.8
#: million (Kemensos). 2025 and later: assumed unchanged at 18.8 million.
SEMBAKO_CASELOAD = {2019: 15_600_000, 2020: 20_000_000, 2021: 18_800_000, 2022: 18_800_000, 2023: 18_800_000,
                    2024: 18_800_000, 2025: 18_800_000}


def sembako_caseload(year: int) -> int:
    """National Sembako caseload of `year` (the nearest listed year outside the table)."""
    known = min(max(year, min(SEMBAKO_CASELOAD)), max(SEMBAKO_CASELOAD))
    return SEMBAKO_CASELOAD[known]

#: How complaints came in (not published): SP4N-LAPOR!, the Kemensos 171 call centre, the Cek Bansos app, the PKH
#: facilitator, the village office.
COMPLAINT_CHANNELS = ("lapor", "call_center_171", "cek_bansos", "pendamping", "kantor_desa")


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser() if value else default


_Number = TypeVar("_Number", int, float)


def _env_number(name: str, default: _Number, kind: type[_Number], what: str) -> _Number:
    """The variable `name` read as `kind` (`default` when unset or empty); a clear exit when it is not one."""
    value = os.environ.get(name)
    if not value:
        return default
    try:
        return kind(value)
    except ValueError:
        raise SystemExit(f"{name} must be {what}, got {value!r}.") from None


def _env_float(name: str, default: float) -> float:
    return _env_number(name, default, float, "a number")


def _env_int(name: str, default: int) -> int:
    return _env_number(name, default, int, "a whole number")


@dataclass(frozen=True)
class Settings:
    """Where things live and how strict disclosure control is, from the environment (`get_settings` reads it once
per state of the `BANSOS_*` variables)."""

    raw_db: Path = field(default_factory=lambda: _env_path("BANSOS_RAW_DB", ROOT / "data" / "raw" / "bansos.duckdb"))
    published_db: Path = field(
        default_factory=lambda: _env_path("BANSOS_PUBLISHED_DB", ROOT / "data" / "published" / "bansos.duckdb")
    )
    geo_dir: Path = field(default_factory=lambda: _env_path("BANSOS_GEO_DIR", ROOT / "data" / "geo"))
    #: Cells with a household count from 1 to threshold - 1 are suppressed.
    threshold: int = field(default_factory=lambda: _env_int("BANSOS_THRESHOLD", 10))
    #: A payment is late when paid more than this many days after its scheduled date.
    late_after_days: int = field(default_factory=lambda: _env_int("BANSOS_LATE_AFTER_DAYS", 14))
    #: Threads of the disclosure attack (independent components solved at once): one per core by default.
    attack_workers: int = field(default_factory=lambda: max(1, _env_int("BANSOS_ATTACK_WORKERS",
                                                                         os.cpu_count() or 1)))
    #: Years protected at once, each in its own process (years share no cell, so they are independent): one per
    #: core by default; the attack's threads are shared out between them. 1 protects one year after another
    #: (a national year needs several GB: see the README).
    year_workers: int = field(default_factory=lambda: max(1, _env_int("BANSOS_YEAR_WORKERS", os.cpu_count() or 1)))
    #: Attacks the last pass of protect() may spend publishing partners again (anonymize/unhide.py); 0 skips it.
    unhide_attacks: int = field(default_factory=lambda: max(0, _env_int("BANSOS_UNHIDE_ATTACKS", 6)))
    #: Minutes the protection stage of `publish` (aggregation, then hiding and attacking every year's tables) may
    #: take before it refuses, leaving the previous release serving (anonymize/budget.py); 0: no limit. Generous:
    #: the demo's four years took 10 minutes on this 2-core machine, a national year about 5.
    protect_minutes: float = field(default_factory=lambda: _env_float("BANSOS_PROTECT_MINUTES", 60.0))
    #: Releases kept readable beside the current one (links pinned to a release keep working).
    keep_releases: int = field(default_factory=lambda: _env_int("BANSOS_KEEP_RELEASES", 5))
    #: DuckDB's memory while aggregating the raw database (it spills to disk beyond it; its default, 80% of
    #: RAM, took 12 GB on a national raw set).
    aggregate_memory: str = field(default_factory=lambda: os.environ.get("BANSOS_AGGREGATE_MEMORY") or "3GB")
    #: Hold each desa's BLT Dana Desa schedule in the audit (anonymize.knowledge.desa_schedules): publish it, and
    #: protect what it gives away (an attacker who knows a desa's schedule narrows hidden desa counts through the
    #: kecamatan's months). Off by default until its cost is brought down: see the README ("BLT Dana Desa's
    #: schedule is chosen per desa"). `1` switches it on.
    desa_schedules: bool = field(default_factory=lambda: _env_int("BANSOS_DESA_SCHEDULES", 0) == 1)
    #: The publisher's secret key (`python -m anonymize keygen`, kept outside the repository): releases are signed
    #: with it when set, and published unsigned (saying so) when not.
    signing_key: Path | None = field(
        default_factory=lambda: Path(key).expanduser() if (key := os.environ.get("BANSOS_SIGNING_KEY")) else None)


#: The environment variables Settings reads: a change to any of them (a test, a server restarted with another
#: release) is a new Settings; otherwise every call returns the same one.
ENVIRONMENT = ("BANSOS_RAW_DB", "BANSOS_PUBLISHED_DB", "BANSOS_GEO_DIR", "BANSOS_THRESHOLD", "BANSOS_LATE_AFTER_DAYS",
               "BANSOS_ATTACK_WORKERS", "BANSOS_YEAR_WORKERS", "BANSOS_UNHIDE_ATTACKS",
               "BANSOS_KEEP_RELEASES", "BANSOS_AGGREGATE_MEMORY", "BANSOS_SIGNING_KEY", "BANSOS_DESA_SCHEDULES",
               "BANSOS_PROTECT_MINUTES")


def get_settings() -> Settings:
    return _settings(tuple(os.environ.get(name) for name in ENVIRONMENT))


@functools.lru_cache(maxsize=8)
def _settings(environment: tuple[str | None, ...]) -> Settings:
    return Settings()
