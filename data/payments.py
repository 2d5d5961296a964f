"""Disbursement rows of one chunk: each program's schedule and amounts, channel, status and dates."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from data.columns import coded, dates
from data.households import DesaArrays, Households
from data.targeting import Targeting
from settings import (
    BLT_DD_MONTHLY_BATCHES,
    BLT_DD_QUARTERLY_BATCHES,
    CHANNELS,
    PROGRAM_CODES,
    SEMBAKO_BATCHES,
    STATUS_FAILED,
    STATUS_PAID,
    STATUS_PENDING,
    STATUS_RETURNED,
    STATUSES,
    ProgramYear,
)

#: (tahap, scheduled month, months covered) of the fixed-amount programs; BLT Dana Desa is monthly or in 3-month
#: batches per desa. PKH's instalments are the year's (settings.ProgramYear.pkh_tahap).
SCHEDULES = {
    name: [(t, first, months) for t, (first, months) in batches.items()]
    for name, batches in (("SEMBAKO", SEMBAKO_BATCHES), ("BLT_DD_MONTHLY", BLT_DD_MONTHLY_BATCHES),
                          ("BLT_DD_QUARTERLY", BLT_DD_QUARTERLY_BATCHES))
}
#: Chance a payment is still pending, by scheduled month: mostly the last months of the year.
PENDING_BY_MONTH = np.array([0.001] * 9 + [0.03, 0.08, 0.20])
#: One household in ten has a problem account (dormant, wrong name) and fails far more often; mean factor 1.
TROUBLED_ACCOUNT_SHARE, TROUBLED_FACTOR, SMOOTH_FACTOR = 0.1, 5.5, 0.5
#: Ordinary delay from schedule to payment, in days (at most this, so never late).
MAX_ORDINARY_DELAY = 7
MEAN_EXTRA_LATE_DAYS = 15


@dataclass(frozen=True)
class Rows:
    """Scheduled payments before status and dates, one entry per payment."""

    household: np.ndarray
    program: np.ndarray  # index into PROGRAM_CODES
    tahap: np.ndarray
    month: np.ndarray  # scheduled month, 1-12
    months: np.ndarray  # months the payment covers

    def amounts(self, hh: Households, rules: ProgramYear) -> np.ndarray:
        """Rupiah per payment: the household's capped PKH year pro rata (times the instalment's percent), or the
        year's monthly rates over the months covered."""
        if hh.pkh_annual is None:
            raise ValueError("the households' PKH benefit is computed before payments")
        percent = np.zeros(len(self.tahap), dtype=np.int64)
        for tahap, _, _, share in rules.pkh_tahap:
            percent[self.tahap == tahap] = share
        pkh = hh.pkh_annual[self.household] * self.months * percent // 1200
        fixed = np.where(self.program == 1, _covered(rules.sembako_monthly, self.month, self.months),
                         _covered(rules.blt_dd_monthly, self.month, self.months))
        return np.where(self.program == 0, pkh, fixed)


def _covered(monthly: tuple[int, ...], month: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Sum of the monthly rates over each payment's months (`month` 1-12 and the `months` after it)."""
    cumulative = np.r_[0, np.cumsum(monthly)]
    start = month.astype(np.int64) - 1
    return cumulative[np.minimum(start + months, 12)] - cumulative[start]


def _paid_steps(steps: list[tuple[int, int, int]], monthly: tuple[int, ...]) -> list[tuple[int, int, int]]:
    """The steps of a fixed-amount program that pay anything in the year (a program may start mid-year)."""
    return [step for step in steps if sum(monthly[step[1] - 1:step[1] - 1 + step[2]]) > 0]


def schedule(who: Targeting, hh: Households, desa: DesaArrays, rules: ProgramYear) -> Rows:
    """Every payment of the year for every recipient, program by program, at the year's rules."""
    quarterly = desa.blt_quarterly[hh.desa]
    parts = [
        _expand(who.pkh, 0, [(tahap, month, months) for tahap, month, months, _ in rules.pkh_tahap]),
        _expand(who.sembako, 1, _paid_steps(SCHEDULES["SEMBAKO"], rules.sembako_monthly)),
        _expand(who.blt_dd & ~quarterly, 2, _paid_steps(SCHEDULES["BLT_DD_MONTHLY"], rules.blt_dd_monthly)),
        _expand(who.blt_dd & quarterly, 2, _paid_steps(SCHEDULES["BLT_DD_QUARTERLY"], rules.blt_dd_monthly)),
    ]
    return Rows(*(np.concatenate([getattr(p, f) for p in parts]) for f in Rows.__dataclass_fields__))


def only(rows: Rows, keep: np.ndarray) -> Rows:
    """The rows where `keep` is true."""
    return Rows(*(getattr(rows, f)[keep] for f in Rows.__dataclass_fields__))


def _expand(receives: np.ndarray, program: int, plan: list[tuple[int, int, int]]) -> Rows:
    households = np.flatnonzero(receives)
    steps = np.array(plan, dtype=np.int8).reshape(-1, 3)
    tahap, month, months = (np.tile(steps[:, i], len(households)) for i in range(3))
    return Rows(np.repeat(households, len(steps)), np.full(len(tahap), program, dtype=np.int8), tahap, month, months)


def settle(rng: np.random.Generator, rows: Rows, hh: Households, desa: DesaArrays, year: int,
           late_after_days: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Status index (into settings.STATUSES), scheduled date and paid date (NaT unless paid) for each row."""
    n = len(rows.household)
    where = hh.desa[rows.household]
    # Each desa pays each program around its own day of the month.
    pay_day = rng.integers(1, 20, size=(len(desa.codes), len(PROGRAM_CODES)))
    troubled = rng.random(len(hh)) < TROUBLED_ACCOUNT_SHARE
    factor = np.where(troubled, TROUBLED_FACTOR, SMOOTH_FACTOR)[rows.household]
    p_failed = np.minimum(desa.rates["failed"][where] * factor, 0.6)
    p_returned = np.minimum(desa.rates["returned"][where] * factor, 0.3)
    p_pending = PENDING_BY_MONTH[rows.month - 1]
    draw = rng.random(n)
    status = np.full(n, STATUSES.index(STATUS_PAID), dtype=np.int8)
    status[draw < p_failed + p_returned + p_pending] = STATUSES.index(STATUS_PENDING)
    status[draw < p_failed + p_returned] = STATUSES.index(STATUS_RETURNED)
    status[draw < p_failed] = STATUSES.index(STATUS_FAILED)
    month_start = (np.datetime64(f"{year}-01", "M") + (rows.month - 1).astype("timedelta64[M]")).astype("datetime64[D]")
    scheduled = month_start + (pay_day[where, rows.program] + rng.integers(0, 5, n)).astype("timedelta64[D]")
    late = rng.random(n) < desa.rates["late"][where]
    delay = np.where(late, late_after_days + 1 + rng.geometric(1 / MEAN_EXTRA_LATE_DAYS, n) - 1,
                     rng.integers(0, min(MAX_ORDINARY_DELAY, late_after_days) + 1, n))
    paid = np.where(status == STATUSES.index(STATUS_PAID), scheduled + delay.astype("timedelta64[D]"),
                    np.datetime64("NaT"))
    return status, scheduled, paid


def to_table(rows: Rows, status: np.ndarray, scheduled: np.ndarray, paid: np.ndarray, keep: np.ndarray,
             hh: Households, text: dict[str, pa.Array], desa: DesaArrays, year: int, rules: ProgramYear,
             invalid_nik: np.ndarray) -> pa.Table:
    """The kept rows as a `disbursements` table; repeated strings are dictionary-encoded (no copies per row).
    `invalid_nik` marks the households whose NIK was made impossible (tests/data/test_generate.py checks them
    against the NIK rule)."""
    household = rows.household[keep].astype(np.int32)
    month = rows.month[keep]
    return pa.table({
        "nik": coded(household, text["nik"]),
        "name": coded(household, text["name"]),
        "kk_number": coded(household, text["kk"]),
        "desa_code": coded(hh.desa[household], desa.codes),
        "program": coded(rows.program[keep], PROGRAM_CODES),
        "period": coded(month - 1, [f"{year}-{m:02d}" for m in range(1, 13)]),
        "tahap": pa.array(rows.tahap[keep], pa.int8()),
        "amount": pa.array(rows.amounts(hh, rules)[keep], pa.int64()),
        "channel": coded(hh.channel[household], CHANNELS),
        "status": coded(status[keep], STATUSES),
        "scheduled_date": dates(scheduled[keep]),
        "paid_date": dates(paid[keep]),
        "source": coded(np.zeros(int(keep.sum()), dtype=np.int8), ["generator"]),
        "source_line": pa.nulls(int(keep.sum()), pa.int64()),
        "nik_valid": pa.array(~invalid_nik[household], pa.bool_()),
    })
