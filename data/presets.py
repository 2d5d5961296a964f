"""Generator presets and the per-province facts (population, poverty, remoteness) that set density."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProvinceFacts:
    """Approximate real figures for one province, enough to make the synthetic registry look right."""

    code: str
    #: Mid-2024 population, millions (BPS projection, rounded).
    population_m: float
    #: Share of people below the poverty line, percent (BPS, March 2024, rounded).
    poverty_pct: float
    #: 0 = Java/Bali core, 1 = outer islands, 2 = remote (NTT, Maluku, Papua): PT Pos and delays more common.
    remote: int


# fmt: off
PROVINCES: dict[str, ProvinceFacts] = {f.code: f for f in (
    ProvinceFacts("11", 5.55, 14.2, 1), ProvinceFacts("12", 15.59, 8.0, 1), ProvinceFacts("13", 5.84, 6.0, 1),
    ProvinceFacts("14", 6.73, 6.4, 1), ProvinceFacts("15", 3.72, 7.3, 1), ProvinceFacts("16", 8.84, 11.0, 1),
    ProvinceFacts("17", 2.11, 13.6, 1), ProvinceFacts("18", 9.31, 10.7, 1), ProvinceFacts("19", 1.53, 4.5, 1),
    ProvinceFacts("21", 2.18, 5.4, 1), ProvinceFacts("31", 10.68, 4.3, 0), ProvinceFacts("32", 50.35, 7.5, 0),
    ProvinceFacts("33", 37.89, 10.5, 0), ProvinceFacts("34", 3.74, 10.8, 0), ProvinceFacts("35", 41.65, 9.8, 0),
    ProvinceFacts("36", 12.43, 5.8, 0), ProvinceFacts("51", 4.43, 4.0, 0), ProvinceFacts("52", 5.65, 12.9, 1),
    ProvinceFacts("53", 5.66, 19.5, 2), ProvinceFacts("61", 5.62, 6.3, 1), ProvinceFacts("62", 2.80, 5.2, 1),
    ProvinceFacts("63", 4.22, 4.0, 1), ProvinceFacts("64", 4.04, 5.8, 1), ProvinceFacts("65", 0.73, 6.1, 1),
    ProvinceFacts("71", 2.68, 7.3, 1), ProvinceFacts("72", 3.12, 11.8, 1), ProvinceFacts("73", 9.46, 8.1, 1),
    ProvinceFacts("74", 2.79, 11.2, 1), ProvinceFacts("75", 1.21, 14.6, 1), ProvinceFacts("76", 1.48, 11.2, 1),
    ProvinceFacts("81", 1.94, 16.1, 2), ProvinceFacts("82", 1.37, 6.3, 2), ProvinceFacts("91", 1.06, 17.3, 2),
    ProvinceFacts("92", 0.57, 21.7, 2), ProvinceFacts("93", 0.53, 17.4, 2), ProvinceFacts("94", 1.47, 29.8, 2),
    ProvinceFacts("95", 1.45, 32.0, 2), ProvinceFacts("96", 0.63, 18.1, 2),
)}
# fmt: on

#: National poverty rate, percent (BPS, March 2024): the pivot for each province's welfare shift.
NATIONAL_POVERTY_PCT = 9.0
#: People per household, and the share of households in the registry: 281.6M / 3.6 * 0.256 ~ 20M households.
PERSONS_PER_HOUSEHOLD = 3.6
REGISTRY_SHARE = 0.256

#: Share of registry households in desil 1-4 at the national poverty rate; it rises 1.6 times as fast as poverty.
BASE_POOR_SHARE = 0.40
POOR_SHARE_SLOPE = 1.6

#: Preset name -> region code prefixes (None = the whole country).
PRESETS: dict[str, tuple[str, ...] | None] = {
    # DI Yogyakarta (dense, urban) and Nusa Tenggara Timur (poor, islands): the dashboard's first run.
    "demo": ("34", "53"),
    "national": None,
}
#: Years a preset generates when neither --year nor --years is given: the demo shows four years of change; a
#: national run is one year (several national years are ~80 million rows each).
PRESET_YEARS: dict[str, tuple[int, int]] = {"demo": (2022, 2025), "national": (2025, 2025)}


def registry_households(code: str) -> float:
    """Expected number of registry households in a province at full density."""
    facts = PROVINCES[code]
    return facts.population_m * 1e6 / PERSONS_PER_HOUSEHOLD * REGISTRY_SHARE


def poor_share(code: str) -> float:
    """Share of a province's registry households in welfare desil 1-4: rises with its poverty rate."""
    shifted = BASE_POOR_SHARE + POOR_SHARE_SLOPE * (PROVINCES[code].poverty_pct - NATIONAL_POVERTY_PCT) / 100
    return min(max(shifted, 0.2), 0.8)
