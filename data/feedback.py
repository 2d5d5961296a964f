"""Complaints (pengaduan) and usul/sanggah of one chunk, at rates driven by each desa's real problems."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from data.columns import coded, dates
from data.households import DesaArrays
from settings import (
    COMPLAINT_CATEGORIES,
    COMPLAINT_CHANNELS,
    COMPLAINT_STATUSES,
    PROGRAM_CODES,
    PROPOSAL_KINDS,
    PROPOSAL_STATUSES,
)

#: Ids are chunk * stride + row, so they are unique and do not depend on other chunks.
ID_STRIDE = 100_000_000
#: Programs named in complaints and proposals; a kelurahan has no BLT Dana Desa, so that share goes to Sembako.
PROGRAMS = PROGRAM_CODES
PROGRAM_SHARES = np.array([0.35, 0.50, 0.15])
CHANNEL_SHARES = np.array([0.25, 0.20, 0.25, 0.15, 0.15])
#: Share of complaints in each category that name no program.
NO_PROGRAM_SHARE = np.array([0.3, 0.1, 0.0, 0.1, 0.5, 0.6])
#: Complaints closed as `ditolak` (unfounded) rather than `selesai`; proposals approved.
REJECTED_SHARE = 0.2
APPROVED_SHARE = {"usul": 0.55, "sanggah": 0.45}
MEAN_DAYS_TO_CLOSE, MEAN_DAYS_TO_DECIDE = 25, 40
#: A complaint is still `baru`, a proposal `diajukan`, when received this close to the end of the year.
NEW_WITHIN_DAYS = {"complaint": 14, "proposal": 30}


@dataclass(frozen=True)
class DesaProblems:
    """What went wrong in each desa of a chunk (counts), which is what people complain about."""

    households: np.ndarray
    recipients: np.ndarray
    excluded: np.ndarray
    included: np.ndarray
    bad_payments: np.ndarray  # gagal + retur
    late_or_pending: np.ndarray
    identity_faults: np.ndarray  # invalid or duplicated NIK, deceased head


def complaint_rates(problems: DesaProblems, desa: DesaArrays) -> np.ndarray:
    """Expected complaints per desa (rows) and category (columns, as settings.COMPLAINT_CATEGORIES)."""
    rates = np.column_stack([
        0.12 * problems.excluded,
        0.04 * problems.included + 0.001 * problems.households,
        0.08 * problems.bad_payments + 0.02 * problems.late_or_pending,
        0.004 * problems.recipients * np.exp(0.8 * desa.trouble),
        0.2 * problems.identity_faults,
        0.002 * problems.households,
    ])
    # Fewer ways to complain far from the cities.
    return rates * (1 - 0.2 * desa.remote)[:, None]


def make_complaints(rng: np.random.Generator, problems: DesaProblems, desa: DesaArrays, year: int,
                    chunk: int) -> pa.Table:
    counts = rng.poisson(complaint_rates(problems, desa))
    where = np.repeat(np.repeat(np.arange(len(desa.codes)), counts.shape[1]), counts.ravel())
    category = np.repeat(np.tile(np.arange(counts.shape[1]), len(desa.codes)), counts.ravel())
    n = len(where)
    program = _programs(rng, desa.kelurahan[where], rng.random(n) < NO_PROGRAM_SHARE[category])
    received, closed, still_open = _timeline(rng, n, year, MEAN_DAYS_TO_CLOSE * (1 + 0.5 * desa.remote[where]))
    recent = received > np.datetime64(f"{year}-12-31") - NEW_WITHIN_DAYS["complaint"]
    status = np.where(still_open, np.where(recent, 0, 1), np.where(rng.random(n) < REJECTED_SHARE, 3, 2))
    return pa.table({
        "complaint_id": pa.array(chunk * ID_STRIDE + np.arange(1, n + 1), pa.int64()),
        "desa_code": coded(where, desa.codes),
        "program": program,
        "category": coded(category, COMPLAINT_CATEGORIES),
        "status": coded(status, COMPLAINT_STATUSES),
        "channel": coded(rng.choice(len(COMPLAINT_CHANNELS), n, p=CHANNEL_SHARES), COMPLAINT_CHANNELS),
        "received_date": dates(received),
        "closed_date": dates(closed),
    })


def make_proposals(rng: np.random.Generator, problems: DesaProblems, desa: DesaArrays, year: int,
                   chunk: int) -> pa.Table:
    """Usul follow exclusion (people ask to be listed); sanggah follow inclusion and deceased recipients."""
    rates = np.column_stack([0.25 * problems.excluded + 0.002 * problems.households,
                             0.15 * problems.included + 0.05 * problems.identity_faults])
    counts = rng.poisson(rates)
    where = np.repeat(np.repeat(np.arange(len(desa.codes)), 2), counts.ravel())
    kind = np.repeat(np.tile(np.arange(2), len(desa.codes)), counts.ravel())
    n = len(where)
    program = _programs(rng, desa.kelurahan[where], np.zeros(n, dtype=bool))
    submitted, decided, still_open = _timeline(rng, n, year, np.full(n, MEAN_DAYS_TO_DECIDE))
    recent = submitted > np.datetime64(f"{year}-12-31") - NEW_WITHIN_DAYS["proposal"]
    approved = rng.random(n) < np.where(kind == 0, APPROVED_SHARE["usul"], APPROVED_SHARE["sanggah"])
    status = np.where(still_open, np.where(recent, 0, 1), np.where(approved, 2, 3))
    return pa.table({
        "proposal_id": pa.array(chunk * ID_STRIDE + np.arange(1, n + 1), pa.int64()),
        "desa_code": coded(where, desa.codes),
        "kind": coded(kind, PROPOSAL_KINDS),
        "program": program,
        "status": coded(status, PROPOSAL_STATUSES),
        "submitted_date": dates(submitted),
        "decided_date": dates(decided),
    })


def _programs(rng: np.random.Generator, kelurahan: np.ndarray, none: np.ndarray) -> pa.DictionaryArray:
    program = rng.choice(len(PROGRAMS), len(kelurahan), p=PROGRAM_SHARES)
    program = np.where(kelurahan & (program == 2), 1, program)
    return coded(program, PROGRAMS, missing=none)


def _timeline(rng: np.random.Generator, n: int, year: int,
              mean_days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start date in the year, end date (NaT if not reached by 31 December) and whether it is still open."""
    first, last = np.datetime64(f"{year}-01-01"), np.datetime64(f"{year}-12-31")
    start = first + rng.integers(0, (last - first).astype(int) + 1, n).astype("timedelta64[D]")
    end = start + np.ceil(rng.exponential(mean_days, n)).astype("timedelta64[D]")
    still_open = end > last
    return start, np.where(still_open, np.datetime64("NaT"), end), still_open
