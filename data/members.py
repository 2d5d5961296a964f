"""Household members (age, school, pregnancy, disability) and the PKH components and capped benefit they earn."""

from __future__ import annotations

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


def make_members(rng: np.random.Generator, hh: Households) -> Members:
    """Draw every household's members, then fill in member_count, pkh_components and pkh_annual on `hh`."""
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
                      age.astype(np.int8), school, pregnant, disabled, component)
    hh.member_count = np.bincount(household, minlength=len(hh)).astype(np.int8)
    hh.pkh_components = np.bincount(household, weights=component >= 0, minlength=len(hh)).astype(np.int8)
    hh.pkh_annual = capped_benefit(household, component, len(hh))
    return members


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


def capped_benefit(household: np.ndarray, component: np.ndarray, n_households: int) -> np.ndarray:
    """PKH per household per year: the PKH_MAX_MEMBERS best-paid components only."""
    benefit = np.where(component >= 0, BENEFITS[np.maximum(component, 0)], 0)
    order = np.lexsort((-benefit, household))
    ordered = household[order]
    first = np.r_[0, np.cumsum(np.bincount(ordered, minlength=n_households))[:-1]]
    keep = np.arange(len(order)) - first[ordered] < PKH_MAX_MEMBERS
    return np.bincount(ordered[keep], weights=benefit[order][keep], minlength=n_households).astype(np.int64)
