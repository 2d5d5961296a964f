"""Indonesian person names: pools drawn once from faker `id_ID`, then composed per row without calling faker."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from faker import Faker

#: Draws per pool. faker's id_ID lists are a few hundred names each, so this many draws sees all of them.
POOL_DRAWS = 4000
#: Many Indonesians carry one name only; others two given names and/or a family name.
SECOND_GIVEN_SHARE = 0.35
FAMILY_NAME_SHARE = 0.55


@dataclass(frozen=True)
class NamePools:
    male: pa.StringArray
    female: pa.StringArray
    family: pa.StringArray

    @classmethod
    def build(cls, seed: int) -> NamePools:
        fake = Faker("id_ID")
        fake.seed_instance(seed)
        return cls(_pool(fake.first_name_male), _pool(fake.first_name_female), _pool(fake.last_name))

    def compose(self, rng: np.random.Generator, female: np.ndarray) -> pa.StringArray:
        """One full name per row, e.g. `Siti`, `Budi Santoso`, `Dewi Ayu Lestari`; `female` is a bool array."""
        n = len(female)
        first = _pick(rng, self.male, self.female, female)
        second = _pick(rng, self.male, self.female, female)
        family = self.family.take(pa.array(rng.integers(0, len(self.family), n)))
        second = pc.if_else(pa.array(rng.random(n) < SECOND_GIVEN_SHARE), second, pa.nulls(n, pa.string()))
        family = pc.if_else(pa.array(rng.random(n) < FAMILY_NAME_SHARE), family, pa.nulls(n, pa.string()))
        return pc.binary_join_element_wise(first, second, family, " ", null_handling="skip")


def _pool(draw: Callable[[], str]) -> pa.StringArray:
    # Sorted so the pool (and every index into it) does not depend on set or hash order.
    names = sorted({draw() for _ in range(POOL_DRAWS)})
    return pa.array(names, pa.string())


def _pick(rng: np.random.Generator, male: pa.StringArray, female: pa.StringArray, is_female: np.ndarray) -> pa.Array:
    n = len(is_female)
    men = male.take(pa.array(rng.integers(0, len(male), n)))
    women = female.take(pa.array(rng.integers(0, len(female), n)))
    return pc.if_else(pa.array(is_female), women, men)
