"""How the registry changes from one year to the next: welfare, deaths, moves, newcomers, quotas, shocks, cleaning.

Every figure here is an assumption unless a source is named; README "Several years" lists them. A run's first year
is made exactly as a single-year run; each later year starts from the year before (data.chunk drives the years).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.special import ndtri

from data import identity
from data.faults import FaultRates
from data.households import DesaArrays, Heads, Households, make_households
from data.members import Members, age_members, make_members
from data.names import NamePools
from data.plan import DESIL_CUTS, WELFARE_SD
from data.presets import BASE_POOR_SHARE, POOR_SHARE_SLOPE
from settings import sembako_caseload

#: BPS national poverty rate (percent of people, March survey). A data year's lists rest on the figure of March the
#: year before: data year 2025 <- March 2024 (9.03%), the figure data.presets calibrates provinces to.
POVERTY_PCT_BY_YEAR = {2019: 9.82, 2020: 9.41, 2021: 9.78, 2022: 10.14, 2023: 9.54, 2024: 9.36, 2025: 9.03,
                       2026: 8.47}
#: The year whose welfare the plan is calibrated to (its shift is 0, so its rows are today's single-year rows).
REFERENCE_YEAR = 2025
#: Household ids of newcomers: above any planned id, then a block per chunk (planned ids run 1..N).
NEWCOMER_IDS = 10**12
CHUNK_ID_BLOCK = 10**8


@dataclass(frozen=True)
class Dynamics:
    """Yearly rates of change (shares of households per year unless said otherwise)."""

    #: Year-to-year correlation of a household's own welfare (beyond its desa). Desil are narrow bands, so about a
    #: third of households rise and a third fall at least one desil a year (demo, 2022-2025). Assumption: poverty
    #: in Indonesia churns (World Bank, "Making the New Indonesia Work for the Poor", 2006).
    welfare_persistence: float = 0.85
    #: Heads who die in a year: BPS's crude death rate is about 7 per 1,000 people; heads are older than average.
    head_death_rate: float = 0.009
    #: How much faster death comes per year of the head's age (Gompertz slope, a demographic regularity).
    death_age_slope: float = 0.08
    #: Households that move to another desa in a year (assumption). Moves stay within the generated chunk's
    #: kabupaten, mostly within the kecamatan; the family card number is kept (really a move often brings a new KK).
    move_rate: float = 0.015
    move_within_kecamatan: float = 0.6
    #: New households registered in a year (assumption: BPS counts 1.6-1.8 million marriages a year against
    #: ~72 million households; new families of the poor enter the registry through usul).
    new_household_rate: float = 0.03
    #: Living households that leave the registry in a year: moved out of the area, not found when the list is
    #: verified, or graduated by the village deliberation (assumption; with deaths it about balances newcomers,
    #: so the registry stays near its size as the real DTKS/DTSEN did, around 20 million households).
    leave_rate: float = 0.02
    #: Newcomers are younger and poorer than the registry (their shift fades as their welfare moves on).
    newcomer_age: tuple[float, float] = (30, 8)
    newcomer_welfare_shift: float = -0.4
    #: Each fault's rate is multiplied by this every year after the first, as the data is cleaned (Kemensos and
    #: Dukcapil matched the DTKS with the civil registry from 2021 and deactivated 21 million duplicate records).
    #: For `deceased` it is the share of heads' deaths the lists miss (the first year misses them all).
    fault_improvement: dict[str, float] = field(default_factory=lambda: {
        "duplicate_nik": 0.75, "invalid_nik": 0.75, "deceased": 0.5, "inclusion": 0.9, "exclusion": 0.92,
        "failed": 0.9, "returned": 0.9, "late": 0.9})
    #: Chance a kabupaten has a disaster in a year after the first (BNPB records thousands of events a year;
    #: one that displaces a noticeable share of a kabupaten is rarer). A run with several years has at least one.
    shock_rate: float = 0.03
    #: A disaster lowers welfare in its kabupaten by this (welfare sd) and Kemensos adds emergency recipients:
    #: the kabupaten's Sembako quota rises by this share. Both halve every year after (recovery).
    shock_welfare_drop: float = 0.6
    shock_quota_uplift: float = 0.3
    shock_decay: float = 0.5
    #: Year-to-year reallocation of quotas between kabupaten (log-sd of each year's change).
    quota_drift_sd: float = 0.03
    #: When a quota cuts or fills a list, households are ranked by welfare plus this much noise (welfare sd): a
    #: proxy-means test ranks imperfectly, so a cut also drops some eligible families and keeps some others. The
    #: noise falls with cleaning as exclusion does (fault_improvement["exclusion"] a year).
    quota_ranking_noise: float = 1.0

    def as_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)

    def faults_in(self, faults: FaultRates, years_after_first: int) -> FaultRates:
        """The fault rates of the year `years_after_first` years after the first (deceased: see fault_factor)."""
        return FaultRates(**{name: rate * self.fault_factor(name, years_after_first)
                             for name, rate in faults.as_dict().items()})

    def fault_factor(self, name: str, years_after_first: int) -> float:
        return float(self.fault_improvement[name] ** years_after_first)


@dataclass(frozen=True)
class Shock:
    """A disaster in one kabupaten in one year."""

    kabupaten: str
    year: int
    kind: str = "bencana"


def welfare_shift(year: int) -> float:
    """The year's welfare level against REFERENCE_YEAR: the uniform shift that moves a province at the national
    poverty rate from BASE_POOR_SHARE in desil 1-4 to the share the year's poverty rate gives (data.presets)."""
    known = min(max(year, min(POVERTY_PCT_BY_YEAR)), max(POVERTY_PCT_BY_YEAR))
    points = POVERTY_PCT_BY_YEAR[known] - POVERTY_PCT_BY_YEAR[REFERENCE_YEAR]
    if points == 0:
        return 0.0
    poor = BASE_POOR_SHARE + POOR_SHARE_SLOPE * points / 100
    return float(DESIL_CUTS[3] - WELFARE_SD * ndtri(poor))


def pick_shocks(seed: int, kabupaten: list[str], years: range, dynamics: Dynamics) -> tuple[Shock, ...]:
    """Disasters by kabupaten and year; each kabupaten-year has its own draw, so a kabupaten's fate does not depend
    on which others are generated. With several years and no draw below the rate, the lowest draw is the one."""
    if len(years) < 2 or not kabupaten:
        return ()
    draws = {(kab, year): np.random.default_rng([seed, 2, _digits(kab), year]).random()
             for kab in kabupaten for year in years[1:]}
    hit = sorted(key for key, draw in draws.items() if draw < dynamics.shock_rate)
    if not hit:
        hit = [min(draws, key=draws.__getitem__)]
    return tuple(Shock(kab, year) for kab, year in hit)


def quota_factors(seed: int, kabupaten: list[str], years: range, shocks: tuple[Shock, ...],
                  dynamics: Dynamics) -> dict[str, dict[int, float]]:
    """Each kabupaten's Sembako caseload in each year as a multiple of its first year's: the national caseload's
    change (settings.SEMBAKO_CASELOAD), a drift between kabupaten, and a disaster's emergency uplift."""
    factors = {}
    for kab in kabupaten:
        drift, row = 0.0, {}
        for year in years:
            if year > years[0]:
                step = np.random.default_rng([seed, 3, _digits(kab), year]).standard_normal()
                drift += dynamics.quota_drift_sd * step
            national = sembako_caseload(year) / sembako_caseload(years[0])
            row[year] = national * float(np.exp(drift)) * (1 + dynamics.shock_quota_uplift * _after_shock(
                kab, year, shocks, dynamics))
        factors[kab] = row
    return factors


def _after_shock(kab: str, year: int, shocks: tuple[Shock, ...], dynamics: Dynamics) -> float:
    """1 in a shock's year, halving each year after (shock_decay); 0 before or without one."""
    return sum(dynamics.shock_decay ** (year - s.year) for s in shocks if s.kabupaten == kab and year >= s.year)


def shock_drop(kabupaten_of_desa: np.ndarray, year: int, shocks: tuple[Shock, ...], dynamics: Dynamics) -> np.ndarray:
    """Welfare lost to disasters in each desa in `year` (welfare sd)."""
    lost = {kab: dynamics.shock_welfare_drop * _after_shock(kab, year, shocks, dynamics)
            for kab in {s.kabupaten for s in shocks}}
    return np.array([lost.get(kab, 0.0) for kab in kabupaten_of_desa])


def _digits(code: str) -> int:
    return int(code.replace(".", ""))


@dataclass
class Panel:
    """One chunk's registry carried across years: households, members and per-household draws that stay put
    (so lists, faults and cleaning change slowly rather than being drawn afresh each year)."""

    hh: Households
    members: Members
    #: Per household: clean and corrupted NIK, and uniforms (targeting, invalid NIK, copied NIK, missed death).
    extra: dict[str, np.ndarray]
    #: NIKs of households that left, never given out again.
    retired_niks: np.ndarray
    #: Newcomers made so far in this chunk (their ids count up).
    newcomers: int = 0

    def take(self, keep: np.ndarray) -> Panel:
        """The panel with only the households at indices `keep` (their members follow)."""
        remap = np.full(len(self.hh), -1, dtype=np.int64)
        remap[keep] = np.arange(len(keep))
        kept_members = remap[self.members.household] >= 0
        members = Members(**{f.name: getattr(self.members, f.name)[kept_members]
                             for f in dataclasses.fields(Members)})
        members = dataclasses.replace(members, household=remap[members.household])
        gone = np.setdiff1d(np.arange(len(self.hh)), keep)
        return Panel(_take_households(self.hh, keep), members, {k: v[keep] for k, v in self.extra.items()},
                     np.r_[self.retired_niks, self.extra["nik_clean"][gone]], self.newcomers)


def _take_households(hh: Households, keep: np.ndarray) -> Households:
    def pick(value: Any) -> Any:  # an array of any kind, or None
        if value is None:
            return None
        if isinstance(value, pa.Array):
            return value.take(pa.array(keep, pa.int64()))
        return np.asarray(value)[keep]
    return Households(**{f.name: pick(getattr(hh, f.name)) for f in dataclasses.fields(Households)})


def _concat_households(first: Households, second: Households) -> Households:
    def join(a: Any, b: Any) -> Any:  # arrays of any kind, or None
        if a is None or b is None:
            return None
        if isinstance(a, pa.Array):
            return pa.concat_arrays([a, b])
        return np.concatenate([a, b])
    return Households(**{f.name: join(getattr(first, f.name), getattr(second, f.name))
                         for f in dataclasses.fields(Households)})


@dataclass(frozen=True)
class YearContext:
    """What advancing a chunk to `year` needs besides the panel."""

    year: int
    years_after_first: int
    dynamics: Dynamics
    shocks: tuple[Shock, ...]
    pools: NamePools
    chunk: int


def advance(rng: np.random.Generator, panel: Panel, desa: DesaArrays, ctx: YearContext,
            benefits: np.ndarray) -> Panel:
    """The registry a year later: caught deaths and some others leave, some move, welfare moves on, heads die,
    everyone ages, newcomers join; `hh.desil` and the PKH benefit (at the year's `benefits`) are the new year's."""
    missed = ctx.dynamics.fault_factor("deceased", ctx.years_after_first)
    hh = panel.hh
    died_before = ~np.isnat(hh.died_on) & (hh.died_on < np.datetime64(f"{ctx.year}-01-01"))
    leaves = ~died_before & (rng.random(len(hh)) < ctx.dynamics.leave_rate)
    panel = panel.take(np.flatnonzero(~(died_before & (panel.extra["u_missed"] >= missed)) & ~leaves))
    hh = panel.hh
    alive = np.isnat(hh.died_on)
    hh.desa = _moved(rng, hh.desa, alive, desa, ctx.dynamics)
    own = hh.welfare_own if hh.welfare_own is not None else np.zeros(len(hh))
    rho = ctx.dynamics.welfare_persistence
    hh.welfare_own = rho * own + np.sqrt(1 - rho**2) * rng.standard_normal(len(hh))
    hh.head_age = hh.head_age + 1
    died = alive & _dies(rng, hh.head_age, alive, ctx.dynamics)
    day = rng.integers(0, 365, len(hh)).astype("timedelta64[D]")
    hh.died_on = np.where(died, np.datetime64(f"{ctx.year}-01-01") + day, hh.died_on)
    panel.members = age_members(rng, panel.members, hh, benefits)
    panel = _with_newcomers(rng, panel, desa, ctx, alive, benefits)
    panel.hh.desil = (1 + np.searchsorted(DESIL_CUTS, welfare_of(panel.hh, desa, ctx))).astype(np.int8)
    return panel


def welfare_of(hh: Households, desa: DesaArrays, ctx: YearContext) -> np.ndarray:
    """The households' welfare this year (what quotas rank by)."""
    kabupaten = np.array([code[:5] for code in desa.codes])
    drop = shock_drop(kabupaten, ctx.year, ctx.shocks, ctx.dynamics)
    own = hh.welfare_own if hh.welfare_own is not None else np.zeros(len(hh))
    return desa.welfare_mu[hh.desa] + welfare_shift(ctx.year) - drop[hh.desa] + own


def _dies(rng: np.random.Generator, age: np.ndarray, alive: np.ndarray, dynamics: Dynamics) -> np.ndarray:
    """Which heads die this year: older heads more often, averaging head_death_rate over the living."""
    weight = np.exp(dynamics.death_age_slope * (age - 47.0))
    mean = weight[alive].mean() if alive.any() else 1.0
    return rng.random(len(age)) < np.minimum(dynamics.head_death_rate * weight / mean, 0.5)


def _moved(rng: np.random.Generator, where: np.ndarray, alive: np.ndarray, desa: DesaArrays,
           dynamics: Dynamics) -> np.ndarray:
    """Each mover's new desa: another desa of its kecamatan (move_within_kecamatan), else of its kabupaten;
    a household with no other desa there stays. Desa are in code order, so both are ranges of indices."""
    movers = np.flatnonzero(alive & (rng.random(len(where)) < dynamics.move_rate))
    within = rng.random(len(movers)) < dynamics.move_within_kecamatan
    pick = rng.random(len(movers))
    codes = pd.Series(desa.codes)
    out = where.copy()
    for group, keys in ((within, codes.str[:8]), (~within, codes.str[:5])):
        key = keys.to_numpy()
        start = np.searchsorted(key, key, side="left")
        size = np.searchsorted(key, key, side="right") - start
        origin = where[movers[group]]
        others = size[origin] - 1
        offset = np.floor(pick[group] * np.maximum(others, 1)).astype(np.int64)
        target = start[origin] + offset
        target = target + (target >= origin)  # skip the origin itself
        out[movers[group]] = np.where(others > 0, target, origin)
    return out


def _with_newcomers(rng: np.random.Generator, panel: Panel, desa: DesaArrays, ctx: YearContext,
                    alive: np.ndarray, benefits: np.ndarray) -> Panel:
    """New households in each desa, about new_household_rate of its living households, with fresh NIK serials
    (each also gets the corrupted NIK it shows while the year's invalid-NIK rate still reaches its draw)."""
    living = np.bincount(panel.hh.desa[alive], minlength=len(desa.codes))
    counts = rng.binomial(living, ctx.dynamics.new_household_rate)
    first_id = NEWCOMER_IDS + ctx.chunk * CHUNK_ID_BLOCK + panel.newcomers + 1
    quiet = dataclasses.replace(desa, households=counts, rates=desa.rates | {"deceased": np.zeros(len(counts))})
    heads = Heads(age=ctx.dynamics.newcomer_age, own_shift=ctx.dynamics.newcomer_welfare_shift,
                  cards_issued_in_year=True)
    new = make_households(rng, quiet, first_id, ctx.year, ctx.pools, heads, welfare_shift(ctx.year))
    taken = np.r_[panel.extra["nik_clean"], panel.retired_niks]
    new.nik = identity.fresh_numbers(new.nik, taken)
    new_members = make_members(rng, new, benefits)
    new_members = dataclasses.replace(new_members, household=new_members.household + len(panel.hh))
    members = Members(**{f.name: np.concatenate([getattr(panel.members, f.name), getattr(new_members, f.name)])
                         for f in dataclasses.fields(Members)})
    n = len(new)
    extra = {"nik_clean": new.nik, "nik_bad": identity.corrupt(rng, new.nik, np.arange(n)),
             "u_invalid": rng.random(n), "u_copy": rng.random(n),
             "u_missed": rng.random(n), **{k: rng.random(n) for k in ("exclusion", "inclusion", "blt_overlap")}}
    return Panel(_concat_households(panel.hh, new), members,
                 {k: np.concatenate([v, extra[k]]) for k, v in panel.extra.items()}, panel.retired_niks,
                 panel.newcomers + n)
