"""Household members (age, school, pregnancy, disability) and the PKH components and capped benefit they earn."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from data.households import Households
from settings import PKH_ANNUAL_BENEFIT, PKH_MAX_MEMBERS

HEAD, SPOUSE, CHILD, ELDER = 0, 1, 2, 3
#: School levels by age, and the share of poor / other children still enrolled (the rest dropped out).
SCHOOL_LEVELS = ("SD", "SMP", "SMA")
SCHOOL_AGES = ((7, 12), (13, 15), (16, 18))
ENROLLED = {False: (0.985, 0.93, 0.80), True: (0.97, 0.85, 0.62)}
COMPONENTS = tuple(PKH_ANNUAL_BENEFIT)
BENEFITS = np.array([PKH_ANNUAL_BENEFIT[c] for c in COMPONENTS], dtype=np.int64)
ELDERLY_AGE = 70
#: Yearly chance a grown child (20 or older) leaves the family card, and an elderly parent dies (assumptions that
#: keep family sizes about steady from year to year).
CHILD_LEAVES = 0.3
ELDER_DIES = 0.06
EARLY_CHILDHOOD_MAX_AGE = 6


@dataclass(frozen=True)
class Members:
    household: np.ndarray  # index into the chunk's Households
    member_no: np.ndarray
    female: np.ndarray
    age: np.ndarray
    school: np.ndarray  # index into SCHOOL_LEVELS, -1 = not at school
    pregnant: np.ndarray
    disabled: np.ndarray
    component: np.ndarray  # index into COMPONENTS, -1 = none
    role: np.ndarray  # HEAD, SPOUSE, CHILD or ELDER (not written: the registry lists members by number)


def make_members(rng: np.random.Generator, hh: Households, benefits: np.ndarray = BENEFITS) -> Members:
    """Draw every household's members, then fill in member_count, pkh_components and pkh_annual on `hh`
    (`benefits`: Rupiah per year by COMPONENTS, the year's PKH rates)."""
    roles, household = _family_structure(rng, hh)
    n = len(roles)
    head_age = hh.head_age[household]
    age = _ages(rng, roles, head_age)
    female = np.where(roles == HEAD, hh.female_head[household], rng.random(n) < np.where(roles == ELDER, 0.6, 0.5))
    female = np.where(roles == SPOUSE, ~hh.female_head[household], female)
    poor = hh.desil[household] <= 2
    pregnant = female & (roles <= SPOUSE) & (age >= 18) & (age <= 44) & (rng.random(n) < np.where(poor, 0.06, 0.045))
    disabled = rng.random(n) < 0.006 + 0.02 * (age >= 60)
    school = _school(rng, age, roles == CHILD, poor)
    component = _component(age, school, pregnant, disabled)
    starts = np.r_[0, np.cumsum(np.bincount(household, minlength=len(hh)))[:-1]]
    members = Members(household, (np.arange(n) - starts[household] + 1).astype(np.int8), female,
                      age.astype(np.int8), school, pregnant, disabled, component, roles)
    _fill_household_totals(hh, members, benefits)
    return members


def _fill_household_totals(hh: Households, members: Members, benefits: np.ndarray) -> None:
    hh.member_count = np.bincount(members.household, minlength=len(hh)).astype(np.int8)
    hh.pkh_components = np.bincount(members.household, weights=members.component >= 0,
                                    minlength=len(hh)).astype(np.int8)
    hh.pkh_annual = capped_benefit(members.household, members.component, len(hh), benefits)


def benefits_of(annual: dict[str, int]) -> np.ndarray:
    """A year's PKH rates (settings.ProgramYear.pkh_annual_benefit) as an array by COMPONENTS."""
    return np.array([annual[c] for c in COMPONENTS], dtype=np.int64)


def age_members(rng: np.random.Generator, members: Members, hh: Households, benefits: np.ndarray) -> Members:
    """Next year's members of the same households (`members.household` already indexes `hh`): everyone a year
    older, as many babies born as children turned seven (so the registry's young keep its first year's share; an
    assumption), pregnancy and school drawn again for the new ages, and the year's PKH benefit filled in on `hh`.
    Grown children leave (CHILD_LEAVES a year from age 20: they marry and found households, the newcomers of
    data.dynamics) and elderly parents die (ELDER_DIES a year); heads die in data.dynamics."""
    age = np.minimum(members.age.astype(np.int64) + 1, 110)
    leaves = (((members.role == CHILD) & (age >= 20) & (rng.random(len(age)) < CHILD_LEAVES))
              | ((members.role == ELDER) & (rng.random(len(age)) < ELDER_DIES)))
    members = Members(**{f.name: getattr(members, f.name)[~leaves] for f in dataclasses.fields(Members)})
    age = age[~leaves]
    mothers = np.flatnonzero(members.female & (members.role <= SPOUSE) & (age >= 18) & (age <= 44))
    births = min(int(((members.role == CHILD) & (age == EARLY_CHILDHOOD_MAX_AGE + 1)).sum()), len(mothers))
    born = members.household[np.sort(rng.choice(mothers, births, replace=False))] if births else np.zeros(0, int)
    household = np.r_[members.household, born]
    role = np.r_[members.role, np.full(len(born), CHILD, dtype=members.role.dtype)]
    n = len(household)
    age = np.r_[age, np.zeros(len(born), dtype=np.int64)]
    female = np.r_[members.female, rng.random(len(born)) < 0.5]
    disabled = np.r_[members.disabled, rng.random(len(born)) < 0.006]
    poor = hh.desil[household] <= 2
    pregnant = female & (role <= SPOUSE) & (age >= 18) & (age <= 44) & (rng.random(n) < np.where(poor, 0.06, 0.045))
    school = _school(rng, age, role == CHILD, poor)
    component = _component(age, school, pregnant, disabled)
    order = np.argsort(household, kind="stable")
    household = household[order]
    starts = np.r_[0, np.cumsum(np.bincount(household, minlength=len(hh)))[:-1]]
    aged = Members(household, (np.arange(n) - starts[household] + 1).astype(np.int8), female[order],
                   age[order].astype(np.int8), school[order], pregnant[order], disabled[order], component[order],
                   role[order])
    _fill_household_totals(hh, aged, benefits)
    return aged


def _family_structure(rng: np.random.Generator, hh: Households) -> tuple[np.ndarray, np.ndarray]:
    """Role of every member (head first, then spouse, children, an elderly parent last) and its household."""
    n = len(hh)
    spouse = rng.random(n) < np.where(hh.female_head, 0.25, 0.85)
    # Poorer families are larger; older heads have fewer children still at home.
    mean_children = (2.5 - 0.12 * (hh.desil - 1)) * np.where(hh.head_age > 60, 0.5, 1.0)
    children = np.minimum(rng.poisson(mean_children), 8)
    elder = (rng.random(n) < 0.07) & (hh.head_age < 65)
    count = 1 + spouse + children + elder
    household = np.repeat(np.arange(n), count)
    offset = np.arange(len(household)) - np.repeat(np.cumsum(count) - count, count)
    roles = np.full(len(household), CHILD, dtype=np.int8)
    roles[offset == 0] = HEAD
    roles[(offset == 1) & spouse[household]] = SPOUSE
    roles[(offset == count[household] - 1) & elder[household]] = ELDER
    return roles, household


def _ages(rng: np.random.Generator, roles: np.ndarray, head_age: np.ndarray) -> np.ndarray:
    n = len(roles)
    spouse_age = np.clip(head_age + np.round(rng.normal(0, 5, n)), 17, 95)
    # Children of older heads are often grandchildren (cucu) listed on the same family card.
    child_age = np.floor(rng.random(n) * (np.clip(head_age - 17, 0, 24) + 1))
    elder_age = np.clip(head_age + rng.integers(22, 36, n), 55, 99)
    return np.choose(roles, [head_age, spouse_age, child_age, elder_age]).astype(np.int64)


def _school(rng: np.random.Generator, age: np.ndarray, child: np.ndarray, poor: np.ndarray) -> np.ndarray:
    school = np.full(len(age), -1, dtype=np.int8)
    draw = rng.random(len(age))
    for level, (low, high) in enumerate(SCHOOL_AGES):
        enrolled = np.where(poor, ENROLLED[True][level], ENROLLED[False][level])
        school[child & (age >= low) & (age <= high) & (draw < enrolled)] = level
    return school


def _component(age: np.ndarray, school: np.ndarray, pregnant: np.ndarray, disabled: np.ndarray) -> np.ndarray:
    """Each member's PKH component; a member who fits several gets the best paid one."""
    index = {name: i for i, name in enumerate(COMPONENTS)}
    component = np.full(len(age), -1, dtype=np.int8)
    # From the lowest benefit up, so a higher one overwrites.
    for level, name in ((0, "sd"), (1, "smp"), (2, "sma")):
        component[school == level] = index[name]
    component[age >= ELDERLY_AGE] = index["lansia"]
    component[disabled] = index["disabilitas_berat"]
    component[age <= EARLY_CHILDHOOD_MAX_AGE] = index["anak_usia_dini"]
    component[pregnant] = index["ibu_hamil"]
    return component


def capped_benefit(household: np.ndarray, component: np.ndarray, n_households: int,
                   benefits: np.ndarray = BENEFITS) -> np.ndarray:
    """PKH per household per year: the PKH_MAX_MEMBERS best-paid components only."""
    benefit = np.where(component >= 0, benefits[np.maximum(component, 0)], 0)
    order = np.lexsort((-benefit, household))
    ordered = household[order]
    first = np.r_[0, np.cumsum(np.bincount(ordered, minlength=n_households))[:-1]]
    keep = np.arange(len(order)) - first[ordered] < PKH_MAX_MEMBERS
    return np.bincount(ordered[keep], weights=benefit[order][keep], minlength=n_households).astype(np.int64)
