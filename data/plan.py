"""The run plan: which desa, how many households each, their regional effects and fault rates, and the chunks."""

from __future__ import annotations

from collections.abc import Sequence
from statistics import NormalDist

import numpy as np
import pandas as pd
from scipy.special import ndtr

from data.faults import FaultRates
from data.presets import PROVINCES, poor_share, registry_households
from geo.regions import RegionCodeError, level_of, load_regions, normalize_region_code

#: Welfare is a latent score (low = poor): province shift + kabupaten and desa effects + household noise (sd 1).
KAB_WELFARE_SD = 0.3
DESA_WELFARE_SD = 0.45
WELFARE_SD = float(np.sqrt(1 + KAB_WELFARE_SD**2 + DESA_WELFARE_SD**2))
#: Kelurahan (urban wards) are better off than desa on average.
KELURAHAN_WELFARE_SHIFT = 0.3
#: Cut points between desil 1..10; with no regional shift each desil holds a tenth of households.
DESIL_CUTS = np.array([WELFARE_SD * NormalDist().inv_cdf(k / 10) for k in range(1, 10)])

#: A kelurahan holds this many times the households of a desa; sizes are lognormal around that.
KELURAHAN_SIZE = 3.0
SIZE_SD = 0.55
#: Papua has many tiny kampung beside a few towns.
PAPUA_SIZE_SD = 1.1

#: Log-sd of each fault's multiplier between areas: exclusion varies most, so coverage gaps show on a map.
FAULT_SPREAD = {"duplicate_nik": 0.5, "invalid_nik": 0.5, "deceased": 0.2, "inclusion": 0.6, "exclusion": 1.0,
                "failed": 0.7, "returned": 0.7, "late": 0.8}
#: Log multiplier per level of remoteness (kelurahan count as 0): remote areas have more of these faults.
FAULT_REMOTE = {"duplicate_nik": 0.1, "invalid_nik": 0.3, "deceased": 0.0, "inclusion": 0.1, "exclusion": 0.3,
                "failed": 0.3, "returned": 0.3, "late": 0.6}
#: Faults counted per household; the others are counted among eligible households or their payments.
HOUSEHOLD_FAULTS = ("invalid_nik", "deceased")
#: Weight of a shared "administration trouble" latent in every fault: badly run areas have many faults at once.
SHARED_TROUBLE = 0.7
MAX_DESA_RATE = 0.95
#: Share of desa that pay BLT Dana Desa in three-month batches rather than monthly.
BLT_QUARTERLY_SHARE = 0.4


def select_desa(prefixes: Sequence[str] | None) -> pd.DataFrame:
    """Registry rows of the desa under the given province/kabupaten codes (all desa when None), by code."""
    regions = load_regions()
    desa = regions[regions["level"] == "desa"]
    if prefixes is None:
        return desa.reset_index(drop=True)
    known = set(regions["code"])
    wanted = []
    for prefix in prefixes:
        code = normalize_region_code(prefix)
        if level_of(code) not in ("provinsi", "kabupaten"):
            raise RegionCodeError(f"{code} is a {level_of(code)} code; give province or kabupaten codes.")
        if code not in known:
            raise RegionCodeError(f"{code} is not in the region registry.")
        wanted.append(code + ".")
    mask = desa["code"].str.startswith(tuple(wanted))
    return desa[mask].reset_index(drop=True)


def build_plan(seed: int, desa: pd.DataFrame, scale: float, faults: FaultRates) -> pd.DataFrame:
    """One row per selected desa with households, welfare mean, trouble latent and a rate per fault."""
    regions = load_regions()
    all_desa = regions[regions["level"] == "desa"]
    parts = []
    for province in sorted(desa["province_code"].unique()):
        # Drawn over the whole province, so a desa looks the same whichever subset of it is generated.
        whole = all_desa[all_desa["province_code"] == province].reset_index(drop=True)
        parts.append(_province_plan(seed, province, whole, scale))
    plan = pd.concat(parts, ignore_index=True)
    plan = plan[plan["code"].isin(desa["code"])].sort_values("code", ignore_index=True)
    _add_fault_rates(plan, faults)
    return plan


def _province_plan(seed: int, province: str, desa: pd.DataFrame, scale: float) -> pd.DataFrame:
    rng = np.random.default_rng([seed, 0, int(province)])
    kab_idx = np.unique(desa["kabupaten_code"], return_inverse=True)[1]
    kec_idx = np.unique(desa["kecamatan_code"], return_inverse=True)[1]
    n = len(desa)
    z_kab = rng.standard_normal(kab_idx.max() + 1)
    z_kec = rng.standard_normal(kec_idx.max() + 1)
    kelurahan = (desa["kind"] == "kelurahan").to_numpy()
    size_sd = PAPUA_SIZE_SD if province >= "91" else SIZE_SD
    size = np.where(kelurahan, KELURAHAN_SIZE, 1.0) * rng.lognormal(-size_sd**2 / 2, size_sd, n)
    households = np.round(size / size.sum() * registry_households(province) * scale).astype(np.int64)
    effects = (KAB_WELFARE_SD * z_kab[kab_idx] + DESA_WELFARE_SD * rng.standard_normal(n)
               + KELURAHAN_WELFARE_SHIFT * kelurahan)
    welfare_mu = _calibrated(effects, households, poor_share(province))
    trouble = (0.5 * z_kab[kab_idx] + 0.6 * z_kec[kec_idx] + 0.6 * rng.standard_normal(n)) / np.sqrt(0.97)
    remote = np.where(kelurahan, 0, PROVINCES[province].remote)
    frame = pd.DataFrame({
        "code": desa["code"], "kecamatan_code": desa["kecamatan_code"], "province_code": province,
        "kelurahan": kelurahan, "remote": remote.astype(np.int8), "households": households,
        "welfare_mu": welfare_mu, "trouble": trouble, "blt_quarterly": rng.random(n) < BLT_QUARTERLY_SHARE,
    })
    for name, spread in FAULT_SPREAD.items():
        own = 0.6 * rng.standard_normal(kec_idx.max() + 1)[kec_idx] + 0.8 * rng.standard_normal(n)
        mixed = SHARED_TROUBLE * trouble + np.sqrt(1 - SHARED_TROUBLE**2) * own
        frame[f"rate_{name}"] = np.exp(spread * mixed + FAULT_REMOTE[name] * remote)
    return frame


def _calibrated(effects: np.ndarray, households: np.ndarray, poor: float) -> np.ndarray:
    """Shift desa welfare means so the province's expected share in desil 1-4 is exactly `poor`.

    With few kabupaten the random effects alone would move a province's poverty by several points.
    """
    weights = np.maximum(households, 1)
    low, high = -5.0, 5.0
    for _ in range(50):
        shift = (low + high) / 2
        share = np.average(eligible_share(effects + shift), weights=weights)
        low, high = (shift, high) if share > poor else (low, shift)
    return effects + (low + high) / 2


def _add_fault_rates(plan: pd.DataFrame, faults: FaultRates) -> None:
    """Turn each fault's raw multiplier into a desa rate whose weighted mean over the run is the configured rate."""
    eligible = (plan["households"] * eligible_share(plan["welfare_mu"].to_numpy())).to_numpy()
    rates = faults.as_dict()
    plan["rate_exclusion"] = _capped_to_mean(plan["rate_exclusion"].to_numpy(), eligible, rates.pop("exclusion"))
    # Faults of recipients and payments are weighted by who is served: troubled desa exclude more people, so
    # weighting by eligible households alone would land below the configured rate.
    served = eligible * (1 - plan["rate_exclusion"].to_numpy())
    for name, base in rates.items():
        weights = plan["households"].to_numpy() if name in HOUSEHOLD_FAULTS else served
        plan[f"rate_{name}"] = _capped_to_mean(plan[f"rate_{name}"].to_numpy(), weights, base)


def _capped_to_mean(multiplier: np.ndarray, weights: np.ndarray, base: float) -> np.ndarray:
    """Rates proportional to `multiplier`, capped at MAX_DESA_RATE, whose weighted mean is `base`."""
    if weights.sum() == 0 or base == 0:
        return np.zeros(len(multiplier))
    factor = base / np.average(multiplier, weights=weights)
    # Capping the worst desa lowers the mean; raise the others until it is back (a few rounds suffice).
    for _ in range(20):
        rates = np.minimum(factor * multiplier, MAX_DESA_RATE)
        achieved = np.average(rates, weights=weights)
        if achieved >= base * 0.999 or achieved == 0:
            break
        factor *= base / achieved
    return np.minimum(factor * multiplier, MAX_DESA_RATE)


def eligible_share(welfare_mu: np.ndarray, target_desil: int = 4) -> np.ndarray:
    """Expected share of a desa's households at or below `target_desil`."""
    return ndtr(DESIL_CUTS[target_desil - 1] - np.asarray(welfare_mu, dtype=float))


def assign_chunks(plan: pd.DataFrame, target_households: int) -> np.ndarray:
    """Chunk number per desa: whole kecamatan (so NIK serials stay unique) in code order, ~target households each."""
    per_kec = plan.groupby("kecamatan_code", sort=True)["households"].sum()
    before = per_kec.cumsum() - per_kec
    raw = (before // max(target_households, 1)).to_numpy()
    chunk_of_kec = pd.Series(np.unique(raw, return_inverse=True)[1], index=per_kec.index)
    return plan["kecamatan_code"].map(chunk_of_kec).to_numpy()
