"""One chunk of the synthetic dataset: every raw table's rows for a group of whole kecamatan."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyarrow as pa

from data import identity
from data.columns import coded, dates
from data.dynamics import Dynamics, Panel, Shock, YearContext, advance, welfare_of, welfare_shift
from data.faults import FaultRates
from data.feedback import DesaProblems, make_complaints, make_proposals
from data.households import DesaArrays, Households, make_households
from data.members import COMPONENTS, SCHOOL_LEVELS, Members, benefits_of, make_members
from data.names import NamePools
from data.payments import Rows, only, schedule, settle, to_table
from data.targeting import Targeting, draw_targeting, target
from settings import STATUS_FAILED, STATUS_PAID, STATUS_PENDING, STATUS_RETURNED, STATUSES, program_year

#: Re-drawing the source household of a duplicated NIK until it lies in another desa gives up after this.
DUPLICATE_SOURCE_TRIES = 5


#: Complaint and proposal ids of later years: feedback's chunk number is the chunk plus this times the year's
#: place in the run (ids = chunk * ID_STRIDE + row, so the first year's ids are a single-year run's).
YEAR_CHUNK_OFFSET = 100_000


@dataclass(frozen=True)
class RunContext:
    """What every chunk of a run shares."""

    seed: int
    #: The last year made (a single-year run's year).
    year: int
    #: Last scheduled month kept (1-12) of the last year. Everything is drawn for the whole year first, then cut.
    through: int
    faults: FaultRates
    pools: NamePools
    late_after_days: int
    #: The first year made; None = `year` only.
    first_year: int | None = None
    dynamics: Dynamics = field(default_factory=Dynamics)
    #: Kabupaten code -> year -> Sembako caseload as a multiple of the first year's (data.dynamics.quota_factors).
    quotas: dict[str, dict[int, float]] = field(default_factory=dict)
    shocks: tuple[Shock, ...] = ()

    @property
    def years(self) -> range:
        return range(self.first_year if self.first_year is not None else self.year, self.year + 1)


def desa_arrays(plan: pd.DataFrame) -> DesaArrays:
    return DesaArrays(
        codes=plan["code"].to_numpy(), kecamatan=identity.kecamatan_digits(plan["kecamatan_code"].to_numpy()),
        province=plan["province_code"].astype(int).to_numpy(), kelurahan=plan["kelurahan"].to_numpy(),
        remote=plan["remote"].to_numpy(), households=plan["households"].to_numpy(),
        welfare_mu=plan["welfare_mu"].to_numpy(), trouble=plan["trouble"].to_numpy(),
        blt_quarterly=plan["blt_quarterly"].to_numpy(),
        rates={c.removeprefix("rate_"): plan[c].to_numpy() for c in plan.columns if c.startswith("rate_")},
    )


def make_chunk(index: int, plan: pd.DataFrame, first_household_id: int,
               run: RunContext) -> Iterator[dict[str, pa.Table]]:
    """Rows of every generated table for the desa in `plan`, one dict per year of the run; the same (seed, index)
    gives the same rows, and the first year's are those of a single-year run of that year."""
    rng = np.random.default_rng([run.seed, 1, index])
    desa = desa_arrays(plan)
    first = run.years[0]
    rules = program_year(first)
    hh = make_households(rng, desa, first_household_id, first, run.pools, year_shift=welfare_shift(first))
    members = make_members(rng, hh, benefits_of(rules.pkh_annual_benefit))
    draws = draw_targeting(rng, len(hh))
    who = target(rng, hh, desa, run.faults.inclusion, draws)
    clean = hh.nik.copy()
    invalid, duplicated, faults = _identity_faults(rng, hh, who, desa, None)
    yield _year_tables(rng, index, 0, (hh, members, who, invalid | duplicated, invalid), desa, run, None)
    if len(run.years) == 1:
        return
    # Draws only later years use come from their own stream, so the first year stays a single-year run's.
    later = np.random.default_rng([run.seed, 4, index])
    panel = Panel(hh, members, {"nik_clean": clean, **faults, "u_missed": later.random(len(hh)), **draws},
                  np.zeros(0, dtype=np.int64))
    kabupaten = np.array([code[:5] for code in desa.codes])
    first_caseload = np.bincount(hh.desa, weights=who.sembako, minlength=len(desa.codes))
    for k, year in enumerate(run.years[1:], start=1):
        rng = np.random.default_rng([run.seed, 1, index, year])
        ctx = YearContext(year, k, run.dynamics, run.shocks, run.pools, index)
        rules = program_year(year)
        panel = advance(rng, panel, desa, ctx, benefits_of(rules.pkh_annual_benefit))
        rated = _rates_in(desa, run.dynamics, k)
        # The proxy-means ranking sharpens as the data is cleaned, like the errors it makes.
        noise = (run.dynamics.quota_ranking_noise * run.dynamics.fault_factor("exclusion", k)
                 * rng.standard_normal(len(panel.hh)))
        ranking = welfare_of(panel.hh, desa, ctx) + noise
        quota = _quota(panel.hh, ranking, kabupaten, first_caseload,
                       {kab: run.quotas.get(kab, {}).get(year, 1.0) for kab in set(kabupaten)})
        who = target(rng, panel.hh, rated, run.dynamics.faults_in(run.faults, k).inclusion, panel.extra, quota)
        invalid, duplicated, _ = _identity_faults(rng, panel.hh, who, rated, panel.extra)
        missed = panel.extra["u_missed"] < run.dynamics.fault_factor("deceased", k)
        yield _year_tables(rng, index, k, (panel.hh, panel.members, who, invalid | duplicated, invalid), desa,
                           run, _stopped_from(panel.hh, year, missed))


def _year_tables(rng: np.random.Generator, index: int, k: int,
                 state: tuple[Households, Members, Targeting, np.ndarray, np.ndarray], desa: DesaArrays,
                 run: RunContext, stopped_from: np.ndarray | None) -> dict[str, pa.Table]:
    """One year's tables from its registry, lists and identity faults (`state`: households, members, targeting,
    bad identity, invalid NIK); payments use the desa's fault rates of the year, and none is scheduled on or after
    a household's `stopped_from` date (a head's death the lists caught)."""
    hh, members, who, bad_identity, invalid = state
    year = run.years[k]
    through = run.through if year == run.year else 12
    rated = _rates_in(desa, run.dynamics, k)
    rules = program_year(year)
    rows = schedule(who, hh, rated, rules)
    status, scheduled, paid = settle(rng, rows, hh, rated, year, run.late_after_days)
    if stopped_from is not None:
        keep = ~(scheduled >= stopped_from[rows.household])
        rows, status, scheduled, paid = only(rows, keep), status[keep], scheduled[keep], paid[keep]
    problems = _problems(len(desa.codes), hh, who, rows, (status, scheduled, paid), bad_identity,
                         run.late_after_days)
    last_day = _last_day(year, through)
    complaints = make_complaints(rng, problems, desa, year, index + k * YEAR_CHUNK_OFFSET)
    proposals = make_proposals(rng, problems, desa, year, index + k * YEAR_CHUNK_OFFSET)
    text = {"nik": identity.as_text(hh.nik), "kk": identity.as_text(hh.kk), "name": hh.name}
    return {
        "households": households_table(hh, text, desa, year),
        "members": members_table(members, hh, year),
        "disbursements": to_table(rows, status, scheduled, paid, rows.month <= through, hh, text, desa, year,
                                  rules, invalid),
        "complaints": complaints.filter(pa.array(complaints["received_date"].to_numpy() <= last_day)),
        "usul_sanggah": proposals.filter(pa.array(proposals["submitted_date"].to_numpy() <= last_day)),
    }


def _rates_in(desa: DesaArrays, dynamics: Dynamics, k: int) -> DesaArrays:
    """The desa with each fault rate as it is `k` years after the first (cleaning lowers them)."""
    if k == 0:
        return desa
    return replace(desa, rates={name: rate * dynamics.fault_factor(name, k) for name, rate in desa.rates.items()})


def _quota(hh: Households, welfare: np.ndarray, kabupaten: np.ndarray, first_caseload: np.ndarray,
           factors: dict[str, float]) -> Callable[[np.ndarray], np.ndarray]:
    """The list a kabupaten's quota allows: its (part of the chunk's) first-year Sembako caseload times the
    year's factor. Above it, the listed households ranked best-off leave; below it, the unlisted living ones
    ranked poorest join (`welfare`: the ranking, welfare plus the proxy-means test's noise)."""
    kab_of = kabupaten[hh.desa]
    living = np.isnat(hh.died_on)

    def settle_list(listed: np.ndarray) -> np.ndarray:
        out = listed.copy()
        for kab, factor in factors.items():
            wanted = round(float(first_caseload[kabupaten == kab].sum()) * factor)
            here = kab_of == kab
            have = int((out & here).sum())
            if have > wanted:
                on = np.flatnonzero(out & here)
                out[on[np.argsort(-welfare[on], kind="stable")[:have - wanted]]] = False
            elif have < wanted:
                off = np.flatnonzero(~out & here & living)
                out[off[np.argsort(welfare[off], kind="stable")[:wanted - have]]] = True
        return out

    return settle_list


def _stopped_from(hh: Households, year: int, missed: np.ndarray) -> np.ndarray:
    """Per household, the date its payments stop: the head's death in `year` when the lists caught it (NaT:
    never)."""
    caught = ~np.isnat(hh.died_on) & (hh.died_on >= np.datetime64(f"{year}-01-01")) & ~missed
    return np.where(caught, hh.died_on, np.datetime64("NaT"))


def _identity_faults(rng: np.random.Generator, hh: Households, who: Targeting, desa: DesaArrays,
                     kept: dict[str, np.ndarray] | None) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Make some NIKs impossible, and copy some recipients' NIKs onto recipients in another desa (data ganda).

    The first year draws who (`kept` None); later years reuse those draws and corrupted NIKs (`kept`: the panel's
    extra), so as rates fall the same households are cleaned rather than others spoiled."""
    n = len(hh)
    if kept is None:
        u_invalid = rng.random(n)
        invalid = u_invalid < desa.rates["invalid_nik"][hh.desa]
        hh.nik = identity.corrupt(rng, hh.nik, np.flatnonzero(invalid))
        u_copy = rng.random(n)
        kept_now = {"nik_bad": hh.nik.copy(), "u_invalid": u_invalid, "u_copy": u_copy}
    else:
        u_copy, kept_now = kept["u_copy"], {}
        invalid = (kept["u_invalid"] < desa.rates["invalid_nik"][hh.desa]) & (kept["nik_bad"] != kept["nik_clean"])
        hh.nik = np.where(invalid, kept["nik_bad"], kept["nik_clean"])
    valid_recipient = who.recipient & ~invalid
    copy = valid_recipient & (u_copy < desa.rates["duplicate_nik"][hh.desa])
    copies, sources = np.flatnonzero(copy), np.flatnonzero(valid_recipient & ~copy)
    duplicated = np.zeros(n, dtype=bool)
    if len(sources) == 0 or len(copies) == 0:
        return invalid, duplicated, kept_now
    picked = sources[rng.integers(0, len(sources), len(copies))]
    for _ in range(DUPLICATE_SOURCE_TRIES):
        same = hh.desa[picked] == hh.desa[copies]
        picked[same] = sources[rng.integers(0, len(sources), int(same.sum()))]
    elsewhere = hh.desa[picked] != hh.desa[copies]
    hh.nik[copies[elsewhere]] = hh.nik[picked[elsewhere]]
    duplicated[copies[elsewhere]] = True
    return invalid, duplicated, kept_now


def _problems(n_desa: int, hh: Households, who: Targeting, rows: Rows,
              settled: tuple[np.ndarray, np.ndarray, np.ndarray], bad_identity: np.ndarray,
              late_after_days: int) -> DesaProblems:
    """Per-desa counts over the whole year (not the cut), so complaints do not depend on `through`."""
    status, scheduled, paid = settled
    where = hh.desa[rows.household]
    bad = (status == STATUSES.index(STATUS_FAILED)) | (status == STATUSES.index(STATUS_RETURNED))
    late = (status == STATUSES.index(STATUS_PENDING)) | (
        (status == STATUSES.index(STATUS_PAID)) & ((paid - scheduled).astype(np.int64) > late_after_days))

    def per_desa(mask: np.ndarray, at: np.ndarray = hh.desa) -> np.ndarray:
        return np.bincount(at, weights=mask, minlength=n_desa)

    return DesaProblems(
        households=per_desa(np.ones(len(hh))), recipients=per_desa(who.recipient), excluded=per_desa(who.excluded),
        included=per_desa(who.included), bad_payments=per_desa(bad, where), late_or_pending=per_desa(late, where),
        identity_faults=per_desa(bad_identity | ~np.isnat(hh.died_on)),
    )


def _last_day(year: int, through: int) -> np.datetime64:
    return (np.datetime64(f"{year}-01", "M") + np.timedelta64(through, "M")).astype("datetime64[D]") - 1


def households_table(hh: Households, text: dict[str, pa.Array], desa: DesaArrays, year: int) -> pa.Table:
    return pa.table({
        "year": pa.array(np.full(len(hh), year, dtype=np.int16)),
        "household_id": pa.array(hh.household_id, pa.int64()),
        "kk_number": text["kk"], "head_nik": text["nik"], "head_name": text["name"],
        "head_sex": coded(hh.female_head.astype(np.int8), ["L", "P"]),
        "head_birth_date": dates(hh.birth), "desa_code": coded(hh.desa, desa.codes),
        "member_count": pa.array(hh.member_count, pa.int8()), "desil": pa.array(hh.desil, pa.int8()),
        "pkh_components": pa.array(hh.pkh_components, pa.int8()),
        "pkh_annual_benefit": pa.array(hh.pkh_annual, pa.int64()), "head_died_on": dates(hh.died_on),
    })


def members_table(members: Members, hh: Households, year: int) -> pa.Table:
    return pa.table({
        "year": pa.array(np.full(len(members.household), year, dtype=np.int16)),
        "household_id": pa.array(hh.household_id[members.household], pa.int64()),
        "member_no": pa.array(members.member_no, pa.int8()),
        "sex": coded(members.female.astype(np.int8), ["L", "P"]),
        "age": pa.array(members.age, pa.int8()),
        "school_level": coded(np.maximum(members.school, 0), SCHOOL_LEVELS, missing=members.school < 0),
        "pregnant": pa.array(members.pregnant), "severe_disability": pa.array(members.disabled),
        "pkh_component": coded(np.maximum(members.component, 0), COMPONENTS, missing=members.component < 0),
    })
