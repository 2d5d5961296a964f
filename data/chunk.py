"""One chunk of the synthetic dataset: every raw table's rows for a group of whole kecamatan."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from data import identity
from data.columns import coded, dates
from data.faults import FaultRates
from data.feedback import DesaProblems, make_complaints, make_proposals
from data.households import DesaArrays, Households, make_households
from data.members import COMPONENTS, SCHOOL_LEVELS, Members, make_members
from data.names import NamePools
from data.payments import Rows, schedule, settle, to_table
from data.targeting import Targeting, target
from settings import STATUS_FAILED, STATUS_PAID, STATUS_PENDING, STATUS_RETURNED, STATUSES

#: Re-drawing the source household of a duplicated NIK until it lies in another desa gives up after this.
DUPLICATE_SOURCE_TRIES = 5


@dataclass(frozen=True)
class RunContext:
    """What every chunk of a run shares."""

    seed: int
    year: int
    #: Last scheduled month kept (1-12). Everything is drawn for the whole year first, then cut.
    through: int
    faults: FaultRates
    pools: NamePools
    late_after_days: int


def desa_arrays(plan: pd.DataFrame) -> DesaArrays:
    return DesaArrays(
        codes=plan["code"].to_numpy(), kecamatan=identity.kecamatan_digits(plan["kecamatan_code"].to_numpy()),
        province=plan["province_code"].astype(int).to_numpy(), kelurahan=plan["kelurahan"].to_numpy(),
        remote=plan["remote"].to_numpy(), households=plan["households"].to_numpy(),
        welfare_mu=plan["welfare_mu"].to_numpy(), trouble=plan["trouble"].to_numpy(),
        blt_quarterly=plan["blt_quarterly"].to_numpy(),
        rates={c.removeprefix("rate_"): plan[c].to_numpy() for c in plan.columns if c.startswith("rate_")},
    )


def make_chunk(index: int, plan: pd.DataFrame, first_household_id: int, run: RunContext) -> dict[str, pa.Table]:
    """Rows of every generated table for the desa in `plan`; the same (seed, index) gives the same rows."""
    rng = np.random.default_rng([run.seed, 1, index])
    desa = desa_arrays(plan)
    hh = make_households(rng, desa, first_household_id, run.year, run.pools)
    members = make_members(rng, hh)
    who = target(rng, hh, desa, run.faults.inclusion)
    invalid, duplicated = _identity_faults(rng, hh, who, desa)
    rows = schedule(who, hh, desa)
    status, scheduled, paid = settle(rng, rows, hh, desa, run.year, run.late_after_days)
    problems = _problems(len(desa.codes), hh, who, rows, (status, scheduled, paid), invalid | duplicated,
                         run.late_after_days)
    last_day = _last_day(run.year, run.through)
    complaints = make_complaints(rng, problems, desa, run.year, index)
    proposals = make_proposals(rng, problems, desa, run.year, index)
    text = {"nik": identity.as_text(hh.nik), "kk": identity.as_text(hh.kk), "name": hh.name}
    return {
        "households": households_table(hh, text, desa),
        "members": members_table(members, hh),
        "disbursements": to_table(rows, status, scheduled, paid, rows.month <= run.through, hh, text, desa, run.year,
                                  invalid),
        "complaints": complaints.filter(pa.array(complaints["received_date"].to_numpy() <= last_day)),
        "usul_sanggah": proposals.filter(pa.array(proposals["submitted_date"].to_numpy() <= last_day)),
    }


def _identity_faults(rng: np.random.Generator, hh: Households, who: Targeting,
                     desa: DesaArrays) -> tuple[np.ndarray, np.ndarray]:
    """Make some NIKs impossible, and copy some recipients' NIKs onto recipients in another desa (data ganda)."""
    n = len(hh)
    invalid = rng.random(n) < desa.rates["invalid_nik"][hh.desa]
    hh.nik = identity.corrupt(rng, hh.nik, np.flatnonzero(invalid))
    valid_recipient = who.recipient & ~invalid
    copy = valid_recipient & (rng.random(n) < desa.rates["duplicate_nik"][hh.desa])
    copies, sources = np.flatnonzero(copy), np.flatnonzero(valid_recipient & ~copy)
    duplicated = np.zeros(n, dtype=bool)
    if len(sources) == 0 or len(copies) == 0:
        return invalid, duplicated
    picked = sources[rng.integers(0, len(sources), len(copies))]
    for _ in range(DUPLICATE_SOURCE_TRIES):
        same = hh.desa[picked] == hh.desa[copies]
        picked[same] = sources[rng.integers(0, len(sources), int(same.sum()))]
    elsewhere = hh.desa[picked] != hh.desa[copies]
    hh.nik[copies[elsewhere]] = hh.nik[picked[elsewhere]]
    duplicated[copies[elsewhere]] = True
    return invalid, duplicated


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


def households_table(hh: Households, text: dict[str, pa.Array], desa: DesaArrays) -> pa.Table:
    return pa.table({
        "household_id": pa.array(hh.household_id, pa.int64()),
        "kk_number": text["kk"], "head_nik": text["nik"], "head_name": text["name"],
        "head_sex": coded(hh.female_head.astype(np.int8), ["L", "P"]),
        "head_birth_date": dates(hh.birth), "desa_code": coded(hh.desa, desa.codes),
        "member_count": pa.array(hh.member_count, pa.int8()), "desil": pa.array(hh.desil, pa.int8()),
        "pkh_components": pa.array(hh.pkh_components, pa.int8()),
        "pkh_annual_benefit": pa.array(hh.pkh_annual, pa.int64()), "head_died_on": dates(hh.died_on),
    })


def members_table(members: Members, hh: Households) -> pa.Table:
    return pa.table({
        "household_id": pa.array(hh.household_id[members.household], pa.int64()),
        "member_no": pa.array(members.member_no, pa.int8()),
        "sex": coded(members.female.astype(np.int8), ["L", "P"]),
        "age": pa.array(members.age, pa.int8()),
        "school_level": coded(np.maximum(members.school, 0), SCHOOL_LEVELS, missing=members.school < 0),
        "pregnant": pa.array(members.pregnant), "severe_disability": pa.array(members.disabled),
        "pkh_component": coded(np.maximum(members.component, 0), COMPONENTS, missing=members.component < 0),
    })
