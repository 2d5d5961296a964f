"""Who receives which program: eligibility by desil, plus the exclusion and inclusion errors of real targeting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from data.households import DesaArrays, Households
from settings import PROGRAMS

#: Inclusion errors are mostly households just above the line: weights of desil 5, 6 and 7.
INCLUSION_DESIL_WEIGHTS = {5: 6.0, 6: 3.0, 7: 1.0}
MAX_INCLUSION_PROBABILITY = 0.9
#: Share of PKH families in desil 1-2 that a desa also puts on BLT Dana Desa.
BLT_DD_PKH_OVERLAP = 0.3


@dataclass(frozen=True)
class Targeting:
    eligible: np.ndarray  # desil within the Sembako/PKH target
    excluded: np.ndarray  # eligible, but receives nothing (exclusion error)
    included: np.ndarray  # above the target desil, but receives (inclusion error)
    pkh: np.ndarray
    sembako: np.ndarray
    blt_dd: np.ndarray

    @property
    def recipient(self) -> np.ndarray:
        return self.pkh | self.sembako | self.blt_dd


#: Uniform draws per household behind its targeting (exclusion, inclusion, BLT Dana Desa overlap), in draw order.
DRAWS = ("exclusion", "inclusion", "blt_overlap")


def draw_targeting(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """The uniforms `target` compares with each year's rates; kept from year to year, lists change slowly."""
    return {name: rng.random(n) for name in DRAWS}


def target(rng: np.random.Generator, hh: Households, desa: DesaArrays, inclusion_rate: float,
           draws: dict[str, np.ndarray] | None = None,
           quota: Callable[[np.ndarray], np.ndarray] | None = None) -> Targeting:
    """Decide each household's programs; `inclusion_rate` is the wanted share of Sembako recipients above target.

    `draws` (see draw_targeting) are drawn from `rng` when not given; `quota` turns the list the rates give into
    the list a kabupaten's caseload allows (data.dynamics), and exclusion and inclusion are then what it left.
    """
    draws = draws if draws is not None else draw_targeting(rng, len(hh))
    eligible = hh.desil <= PROGRAMS["SEMBAKO"].target_desil
    excluded = eligible & (draws["exclusion"] < desa.rates["exclusion"][hh.desa])
    included = _included(draws["inclusion"], hh, desa, int((eligible & ~excluded).sum()), inclusion_rate)
    listed = (eligible & ~excluded) | included
    if quota is not None:
        listed = quota(listed)
        excluded, included = eligible & ~listed, listed & ~eligible
    if hh.pkh_components is None:
        raise ValueError("the households' PKH components are drawn before targeting")
    pkh = listed & (hh.pkh_components > 0)
    # BLT Dana Desa comes from the village fund (desa only) and is meant for the poorest not already on PKH;
    # village lists still put some PKH families on it.
    also_on_pkh = draws["blt_overlap"] < BLT_DD_PKH_OVERLAP
    blt_dd = ((hh.desil <= PROGRAMS["BLT_DD"].target_desil) & ~excluded & ~desa.kelurahan[hh.desa]
              & (~pkh | also_on_pkh))
    return Targeting(eligible, excluded, included, pkh, listed, blt_dd)


def _included(draw: np.ndarray, hh: Households, desa: DesaArrays, rightful: int, rate: float) -> np.ndarray:
    weights = np.zeros(len(hh))
    for desil, weight in INCLUSION_DESIL_WEIGHTS.items():
        weights[hh.desil == desil] = weight
    weights *= desa.rates["inclusion"][hh.desa]
    if rate <= 0 or weights.sum() == 0:
        return np.zeros(len(hh), dtype=bool)
    # Enough households so that included / (rightful + included) = rate, spread by desil and desa.
    wanted = rate / (1 - rate) * rightful
    probability = np.minimum(wanted * weights / weights.sum(), MAX_INCLUSION_PROBABILITY)
    return draw < probability
