"""Registry households of one chunk: the head's identity, desa, welfare desil, KKS channel, death."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from data import identity
from data.names import NamePools
from data.plan import DESIL_CUTS
from settings import CHANNELS

#: Aceh (11) runs Islamic banking only, so its KKS cards are BSI; PT Pos pays where banks do not reach.
ACEH = 11
ACEH_POS_SHARE = 0.07
#: PT Pos share of households by remoteness level (core, outer islands, remote).
POS_SHARE_BY_REMOTE = (0.04, 0.10, 0.35)
#: Shares of the Himbara banks among bank-paid households outside Aceh.
BANK_SHARES = {"BRI": 0.50, "BNI": 0.25, "MANDIRI": 0.17, "BTN": 0.08}
#: First KK numbers in the registry were issued from this date (SIAK roll-out).
FIRST_KK_ISSUE = np.datetime64("2005-01-01")


@dataclass(frozen=True)
class DesaArrays:
    """The plan rows of one chunk as numpy arrays, one entry per desa."""

    codes: np.ndarray
    kecamatan: np.ndarray  # PPKKCC as int64
    province: np.ndarray  # int
    kelurahan: np.ndarray
    remote: np.ndarray
    households: np.ndarray
    welfare_mu: np.ndarray
    trouble: np.ndarray
    blt_quarterly: np.ndarray
    rates: dict[str, np.ndarray]


@dataclass
class Households:
    """One chunk's households as columns; member-derived fields are filled in by data.members."""

    household_id: np.ndarray
    desa: np.ndarray  # index into the chunk's DesaArrays
    desil: np.ndarray
    female_head: np.ndarray
    head_age: np.ndarray
    birth: np.ndarray  # datetime64[D]
    kk: np.ndarray  # int64, 16 digits
    nik: np.ndarray  # int64; faults (invalid, duplicated) are applied by data.chunk
    died_on: np.ndarray  # datetime64[D], NaT while alive
    channel: np.ndarray  # index into settings.CHANNELS
    name: pa.StringArray
    #: The household's own welfare beyond its desa mean (sd 1); data.dynamics carries it from year to year.
    welfare_own: np.ndarray | None = None
    member_count: np.ndarray | None = None
    pkh_components: np.ndarray | None = None
    pkh_annual: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.household_id)


@dataclass(frozen=True)
class Heads:
    """Who heads the households being made: the registry at its start, or families newly registered in a year."""

    #: Head's age in years: normal (mean, sd), clipped to 19-90.
    age: tuple[float, float] = (47, 13)
    #: Added to the households' own welfare (newcomers are poorer), in welfare sd; it fades as welfare moves on.
    own_shift: float = 0.0
    #: Newcomers' family cards are issued during the year; the registry's before it.
    cards_issued_in_year: bool = False


def make_households(rng: np.random.Generator, desa: DesaArrays, first_id: int, year: int, pools: NamePools,
                    heads: Heads = Heads(), year_shift: float = 0.0) -> Households:
    """`desa.households` households per desa; deaths follow `desa.rates['deceased']` (mid last year to September);
    `year_shift` is the year's welfare level (data.dynamics.welfare_shift), 0 in the reference year."""
    n = int(desa.households.sum())
    where = np.repeat(np.arange(len(desa.codes), dtype=np.int32), desa.households)
    own = heads.own_shift + rng.standard_normal(n)
    welfare = desa.welfare_mu[where] + year_shift + own
    desil = (1 + np.searchsorted(DESIL_CUTS, welfare)).astype(np.int8)
    female = rng.random(n) < np.where(desil <= 2, 0.20, 0.14)
    age = np.clip(np.round(rng.normal(*heads.age, n)), 19, 90).astype(np.int64)
    mid_year = np.datetime64(f"{year}-07-01")
    birth = mid_year - (np.floor(age * 365.25) + rng.integers(0, 365, n)).astype("timedelta64[D]")
    kecamatan = desa.kecamatan[where]
    issued = _kk_issued(rng, birth, year)
    if heads.cards_issued_in_year:
        issued = np.datetime64(f"{year}-01-01") + rng.integers(0, 365, n).astype("timedelta64[D]")
    return Households(
        household_id=first_id + np.arange(n, dtype=np.int64), desa=where, desil=desil, female_head=female,
        head_age=age, birth=birth, kk=identity.make_numbers(kecamatan, identity.ddmmyy(issued)),
        nik=identity.make_numbers(kecamatan, identity.ddmmyy(birth, female)),
        died_on=_deaths(rng, desa.rates["deceased"][where], year), channel=_channels(rng, desa, where),
        name=pools.compose(rng, female), welfare_own=own,
    )


def _kk_issued(rng: np.random.Generator, birth: np.ndarray, year: int) -> np.ndarray:
    # A family card is issued once the head is an adult, and not before the registry existed.
    earliest = np.maximum(birth + np.timedelta64(17 * 365, "D"), FIRST_KK_ISSUE).astype(np.int64)
    latest = np.datetime64(f"{year - 1}-12-31").astype(np.int64)
    span = np.maximum(latest - earliest, 0)
    return (earliest + np.floor(rng.random(len(birth)) * span).astype(np.int64)).astype("datetime64[D]")


def _deaths(rng: np.random.Generator, rate: np.ndarray, year: int) -> np.ndarray:
    dead = rng.random(len(rate)) < rate
    # Deaths from mid last year to September: most still have payments scheduled after them.
    start = np.datetime64(f"{year - 1}-07-01")
    days = rng.integers(0, (np.datetime64(f"{year}-09-30") - start).astype(int), len(rate))
    return np.where(dead, start + days.astype("timedelta64[D]"), np.datetime64("NaT"))


def channel_shares(province: int, remote: int) -> np.ndarray:
    """Probability of each settings.CHANNELS entry for households of one desa."""
    shares = dict.fromkeys(CHANNELS, 0.0)
    if province == ACEH:
        shares.update(BSI=1 - ACEH_POS_SHARE, POS=ACEH_POS_SHARE)
    else:
        pos = POS_SHARE_BY_REMOTE[remote]
        shares.update({bank: share * (1 - pos) for bank, share in BANK_SHARES.items()}, POS=pos)
    return np.array([shares[c] for c in CHANNELS])


def _channels(rng: np.random.Generator, desa: DesaArrays, where: np.ndarray) -> np.ndarray:
    cumulative = np.cumsum([channel_shares(int(p), int(r)) for p, r in zip(desa.province, desa.remote, strict=True)],
                           axis=1).reshape(len(desa.codes), len(CHANNELS))
    draw = rng.random(len(where))
    return (draw[:, None] > cumulative[where, :-1]).sum(axis=1).astype(np.int8)
