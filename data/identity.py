"""NIK and KK numbers (kecamatan code + date + serial, 16 digits) and the ways real ones go wrong."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

#: Kinds of invalid NIK and their shares: an impossible birth date, serial 0000, a digit lost or added.
INVALID_KINDS = {"date": 0.4, "serial": 0.3, "length": 0.3}
#: Women's NIK carry the birth day plus 40.
FEMALE_DAY_OFFSET = 40


def kecamatan_digits(kecamatan_codes: np.ndarray) -> np.ndarray:
    """`34.01.02` -> 340102 for each code."""
    return np.array([int(code.replace(".", "")) for code in kecamatan_codes], dtype=np.int64)


def day_month_year(dates: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Day, month and full year of datetime64[D] values."""
    months = dates.astype("datetime64[M]")
    day = (dates - months.astype("datetime64[D]")).astype(np.int64) + 1
    month = months.astype(np.int64) % 12 + 1
    year = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    return day, month, year


def ddmmyy(dates: np.ndarray, female: np.ndarray | None = None) -> np.ndarray:
    day, month, year = day_month_year(dates)
    if female is not None:
        day = day + FEMALE_DAY_OFFSET * female
    return day * 10_000 + month * 100 + year % 100


def serials(key: np.ndarray) -> np.ndarray:
    """1, 2, 3, ... within each group of equal keys, in row order: the last four digits of a NIK or KK."""
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    positions = np.arange(len(key))
    starts = np.where(np.r_[True, ordered[1:] != ordered[:-1]], positions, 0)
    rank = np.empty(len(key), dtype=np.int64)
    rank[order] = positions - np.maximum.accumulate(starts)
    return rank + 1


def make_numbers(kecamatan: np.ndarray, date_code: np.ndarray) -> np.ndarray:
    """16-digit numbers PPKKCC DDMMYY SSSS as int64, unique within the given rows."""
    prefix = kecamatan * 1_000_000 + date_code
    return prefix * 10_000 + serials(prefix)


def fresh_numbers(numbers: np.ndarray, taken: np.ndarray) -> np.ndarray:
    """`numbers` (from make_numbers) renumbered so no serial repeats one in `taken` with the same prefix: each
    prefix's serials continue after the highest taken (a NIK is never given out twice)."""
    prefix = numbers // 10_000
    taken_prefix, taken_serial = taken // 10_000, taken % 10_000
    order = np.argsort(taken_prefix, kind="stable")
    known, first = np.unique(taken_prefix[order], return_index=True)
    highest = np.maximum.reduceat(taken_serial[order], first) if len(first) else np.zeros(0, dtype=np.int64)
    at = np.minimum(np.searchsorted(known, prefix), max(len(known) - 1, 0))
    base = np.where((len(known) > 0) & (known[at] == prefix), highest[at], 0) if len(known) else 0
    return prefix * 10_000 + base + serials(prefix)


def corrupt(rng: np.random.Generator, numbers: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Copy of `numbers` with the NIK at `rows` made impossible in one of the INVALID_KINDS ways."""
    out = numbers.copy()
    picked = numbers[rows]
    kind = rng.choice(len(INVALID_KINDS), size=len(rows), p=list(INVALID_KINDS.values()))
    # Impossible dates: month 13-19, or a day of 00 or 32-39 (no one is born on those).
    month_digits = (picked // 1_000_000) % 100
    bad_month = picked + (rng.integers(13, 20, len(rows)) - month_digits) * 1_000_000
    day_digits = (picked // 100_000_000) % 100
    bad_day_value = np.where(rng.random(len(rows)) < 0.3, 0, rng.integers(32, 40, len(rows)))
    bad_day = picked + (bad_day_value - day_digits) * 100_000_000
    bad_date = np.where(rng.random(len(rows)) < 0.5, bad_month, bad_day)
    bad_serial = picked - picked % 10_000
    # A lost or an extra digit: 15 or 17 digits once written out.
    bad_length = np.where(rng.random(len(rows)) < 0.5, picked // 10, picked * 10 + rng.integers(0, 10, len(rows)))
    out[rows] = np.choose(kind, [bad_date, bad_serial, bad_length])
    return out


def as_text(numbers: np.ndarray) -> pa.StringArray:
    """Digits as strings (the first digit is a province code digit, never 0, so no padding is needed)."""
    return pa.array(numbers, pa.int64()).cast(pa.string())
