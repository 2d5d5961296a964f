"""Raw records to desa-level aggregates (SQL over the raw DuckDB), then rolled up to every region level."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import duckdb
import numpy as np
import pandas as pd

from published_schema import (
    ALL_CATEGORIES,
    ALL_CHANNELS,
    ALL_PROGRAMS,
    COMPLAINT_STATUSES,
    NATIONAL_CODE,
    PROPOSAL_STATUSES,
    UNKNOWN_CHANNEL,
)
from settings import PROGRAMS, STATUS_FAILED, STATUS_PAID, STATUS_PENDING, STATUS_RETURNED

#: Provinces aggregated per query over the payments (memory grows with the rows one query groups).
PROVINCES_PER_QUERY = 6


@dataclass(frozen=True)
class Scope:
    """What one release covers: a year up to a month, in the provinces present in the raw data.

    `earlier` lists the months through which earlier releases of the same year were published: their
    year-to-date cells (`2025@10`: January to October) are known to readers, so they are protected together
    with this release's cells, though not published again here.
    """

    year: int
    through_month: int
    provinces: tuple[str, ...]
    earlier: tuple[int, ...] = ()

    @property
    def months(self) -> list[str]:
        return [f"{self.year}-{m:02d}" for m in range(1, self.through_month + 1)]

    @property
    def year_code(self) -> str:
        return str(self.year)

    @property
    def periods(self) -> list[str]:
        """The periods this release publishes."""
        return [*self.months, self.year_code]

    @property
    def earlier_codes(self) -> list[str]:
        return [year_to_date_code(self.year, k) for k in self.earlier]

    @property
    def whole_year_codes(self) -> list[str]:
        """The year, and the year-to-date of each earlier release."""
        return [self.year_code, *self.earlier_codes]

    @property
    def through(self) -> str:
        return f"{self.year}-{self.through_month:02d}"

    def at(self, through_month: int) -> Scope:
        return replace(self, through_month=through_month, earlier=())


def year_to_date_code(year: int, through_month: int) -> str:
    return f"{year}@{through_month:02d}"


def is_whole_year(periods: pd.Series) -> np.ndarray:
    """True for the year and for earlier year-to-date periods, False for months (YYYY-MM)."""
    return ~periods.astype(str).str.contains("-").to_numpy()


def detect_scope(con: duckdb.DuckDBPyConnection, through: str | None = None) -> Scope:
    """The latest year with payments, up to its last month with payments (or `through`, 'YYYY-MM')."""
    last = con.execute("SELECT max(period) FROM disbursements").fetchall()[0][0]
    if through is None and last is None:
        raise ValueError("the raw database has no disbursements")
    through = through or last
    year, month = int(through[:4]), int(through[5:7])
    provinces = con.execute(
        """SELECT DISTINCT left(desa_code, 2) FROM disbursements WHERE period LIKE ?
           UNION SELECT DISTINCT left(desa_code, 2) FROM households ORDER BY 1""",
        [f"{year}-%"],
    ).fetchall()
    return Scope(year, month, tuple(p for (p,) in provinces))


def _query(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object]) -> pd.DataFrame:
    """Run `sql` with the named parameters it references (DuckDB refuses unused ones)."""
    used = set(re.findall(r"\$([a-z_0-9]+)", sql))
    return con.execute(sql, {k: v for k, v in params.items() if k in used}).df()


def _scope_params(scope: Scope, late_after_days: int) -> dict[str, object]:
    return {"paid": STATUS_PAID, "failed": STATUS_FAILED, "returned": STATUS_RETURNED, "pending": STATUS_PENDING,
            "all_programs": ALL_PROGRAMS, "all_channels": ALL_CHANNELS, "unknown_channel": UNKNOWN_CHANNEL,
            "year": str(scope.year), "first": f"{scope.year}-01", "through": scope.through,
            "late_after_days": late_after_days, "from_code": "", "to_code": "~"}


#: The scope's payments with a per-desa household key: a CTE prefix for the queries below.
_SCOPED_PAYMENTS = """
    WITH scoped_payments AS (
        SELECT desa_code, program, period, coalesce(channel, $unknown_channel) AS channel, status, amount,
               nik, kk_number, paid_date, nik_valid,
               -- The exact key, never a hash: a 64-bit hash collided on a kecamatan's 3,638 households.
               -- Every query groups by desa_code too, so (household, desa_code) is the household.
               coalesce('k' || kk_number, 'n' || nik) AS household,
               status = $paid AND paid_date > scheduled_date + $late_after_days AS is_late
        FROM disbursements
        WHERE period BETWEEN $first AND $through AND desa_code >= $from_code AND desa_code < $to_code)"""

# Constant SQL fragments joined at import time; every value is a bound parameter.
_DESA_COUNTS = _SCOPED_PAYMENTS + """,
    base AS (
        SELECT desa_code, program, period, channel,
               count(*) AS payments,
               count(*) FILTER (WHERE status = $paid) AS paid_payments,
               count(*) FILTER (WHERE status = $failed) AS failed_payments,
               count(*) FILTER (WHERE status = $returned) AS returned_payments,
               count(*) FILTER (WHERE status = $pending) AS pending_payments,
               count(*) FILTER (WHERE is_late) AS late_payments,
               coalesce(sum(amount) FILTER (WHERE status = $paid), 0) AS amount
        FROM scoped_payments GROUP BY ALL)
    SELECT desa_code AS region,
           CASE WHEN grouping(program) = 1 THEN $all_programs ELSE program END AS program,
           CASE WHEN grouping(period) = 1 THEN $year ELSE period END AS period,
           CASE WHEN grouping(channel) = 1 THEN $all_channels ELSE channel END AS channel,
           sum(payments) AS payments, sum(paid_payments) AS paid_payments, sum(failed_payments) AS failed_payments,
           sum(returned_payments) AS returned_payments, sum(pending_payments) AS pending_payments,
           sum(late_payments) AS late_payments, sum(amount) AS amount
    FROM base
    GROUP BY GROUPING SETS (
        (desa_code, program, period, channel), (desa_code, program, period), (desa_code, program, channel),
        (desa_code, program), (desa_code, period, channel), (desa_code, period), (desa_code, channel), (desa_code))
"""  # noqa: S608

# Distinct households without COUNT(DISTINCT) over grouping sets: one row per household x program x channel
# with a bit per month paid; OR-ing masks gives "all programs" and "all channels"; summing bits gives months.
_MONTH_BITS = ",\n           ".join(f"sum((months >> {m}) & 1) AS m{m + 1:02d}" for m in range(12))
_DESA_RECIPIENTS = _SCOPED_PAYMENTS + """,
    paid AS (
        SELECT desa_code, household, program, channel,
               bit_or(1::BIGINT << (CAST(right(period, 2) AS INTEGER) - 1)) AS months
        FROM scoped_payments WHERE status = $paid GROUP BY ALL),
    masks AS (
        SELECT desa_code, household, program, channel, months FROM paid
        UNION ALL SELECT desa_code, household, $all_programs, channel, bit_or(months) FROM paid
                  GROUP BY desa_code, household, channel
        UNION ALL SELECT desa_code, household, program, $all_channels, bit_or(months) FROM paid
                  GROUP BY desa_code, household, program
        UNION ALL SELECT desa_code, household, $all_programs, $all_channels, bit_or(months) FROM paid
                  GROUP BY desa_code, household)
    SELECT desa_code AS region, program, channel, count(*) AS year_recipients,
           """ + _MONTH_BITS + """
    FROM masks GROUP BY desa_code, program, channel"""  # noqa: S608


def desa_disbursements(con: duckdb.DuckDBPyConnection, scope: Scope, late_after_days: int) -> pd.DataFrame:
    """Per desa × program (and all) × month (and year) × channel (and all): counts, households and Rupiah.

    Households are keyed by KK number within a desa, so household counts add up exactly over regions. Run a
    few provinces at a time: the whole country at once took DuckDB past 7 GB.
    """
    params = _scope_params(scope, late_after_days)
    provinces = sorted(scope.provinces)
    frames = []
    for start in range(0, len(provinces), PROVINCES_PER_QUERY):
        after = provinces[start + PROVINCES_PER_QUERY:]
        # Codes of one province sort between its code and the next one's ("11" <= "11.01.01.2001" < "12").
        bounds = {"from_code": provinces[start], "to_code": after[0] if after else "~"}
        frames.append(_desa_disbursements(con, scope, {**params, **bounds}))
    return pd.concat(frames, ignore_index=True)


def _desa_disbursements(con: duckdb.DuckDBPyConnection, scope: Scope, params: dict[str, object]) -> pd.DataFrame:
    counts = _query(con, _DESA_COUNTS, params)
    masks = _query(con, _DESA_RECIPIENTS, params)
    month_columns = [f"m{m:02d}" for m in range(1, 13)]
    monthly = masks.melt(id_vars=["region", "program", "channel"], value_vars=month_columns,
                         var_name="month", value_name="recipients")
    monthly = monthly[monthly["recipients"] > 0]
    monthly["period"] = str(scope.year) + "-" + monthly["month"].str[1:]
    yearly = masks[["region", "program", "channel", "year_recipients"]].rename(
        columns={"year_recipients": "recipients"}).assign(period=str(scope.year))
    recipients = pd.concat([monthly.drop(columns="month"), yearly], ignore_index=True)
    keys = ["region", "program", "period", "channel"]
    merged = counts.merge(recipients, how="outer", on=keys)
    return merged.fillna({c: 0 for c in merged.columns if c not in keys})


_DESA_ELIGIBILITY = _SCOPED_PAYMENTS + """,
    paid AS (SELECT DISTINCT desa_code, household FROM scoped_payments WHERE program = $program AND status = $paid)
    SELECT h.desa_code AS region, $program AS program, $year AS period, $all_channels AS channel,
           count(*) AS eligible_households,
           count(paid.household) AS eligible_paid
    FROM households h
    JOIN regions r ON r.code = h.desa_code
    LEFT JOIN paid ON paid.household = 'k' || h.kk_number AND paid.desa_code = h.desa_code
    WHERE h.desil <= $target_desil
      AND (NOT $needs_component OR h.pkh_components > 0)
      AND (NOT $desa_only OR r.kind <> 'kelurahan')
    GROUP BY h.desa_code"""  # noqa: S608

_DESA_REGISTERED = """
    SELECT desa_code AS region, $all_programs AS program, $year AS period, $all_channels AS channel,
           count(*) AS registered_households
    FROM households GROUP BY desa_code"""


def desa_eligibility(con: duckdb.DuckDBPyConnection, scope: Scope, late_after_days: int) -> pd.DataFrame:
    """Per desa × program, for the year: eligible households and those of them paid; all programs: registered.

    Eligible = in the program's target desil; PKH also needs a member in one of its components, and BLT Dana
    Desa exists only in desa (a kelurahan has no village fund).
    """
    params = _scope_params(scope, late_after_days)
    frames = [
        _query(con, _DESA_ELIGIBILITY, {**params, "program": code, "target_desil": program.target_desil,
                                        "needs_component": code == "PKH", "desa_only": program.desa_only})
        for code, program in PROGRAMS.items()
    ]
    frames.append(_query(con, _DESA_REGISTERED, params))
    return pd.concat(frames, ignore_index=True)


def roll_up(desa_rows: pd.DataFrame, regions: pd.DataFrame, keys: list[str], measures: list[str]) -> pd.DataFrame:
    """Sum desa rows to kecamatan, kabupaten, provinsi and nasional; every measure here is additive over regions.

    `regions` maps each desa code to its ancestors (columns kecamatan_code, kabupaten_code, province_code).
    """
    ancestry = regions.set_index("code")[["kecamatan_code", "kabupaten_code", "province_code"]]
    rows = desa_rows.join(ancestry, on="region")
    levels = [desa_rows]
    for column in ("kecamatan_code", "kabupaten_code", "province_code"):
        grouped = rows.groupby([column, *keys], observed=True, sort=False)[measures].sum(min_count=1).reset_index()
        levels.append(grouped.rename(columns={column: "region"}))
    national = rows.groupby(keys, observed=True, sort=False)[measures].sum(min_count=1).reset_index()
    national.insert(0, "region", NATIONAL_CODE)
    levels.append(national)
    return pd.concat(levels, ignore_index=True)


_DESA_FEEDBACK = """
    SELECT desa_code AS region,
           CASE WHEN grouping({dim}) = 1 THEN $all ELSE {dim} END AS {dim},
           CASE WHEN grouping(period) = 1 THEN $year ELSE period END AS period,
           count(*) AS {total},
           {status_counts}
    FROM (SELECT desa_code, {dim}, status, strftime({date}, '%Y-%m') AS period FROM {source})
    WHERE period BETWEEN $first AND $through
    GROUP BY GROUPING SETS ((desa_code, {dim}, period), (desa_code, {dim}), (desa_code, period), (desa_code))"""


def _feedback_sql(source: str, dim: str, date: str, total: str, statuses: tuple[str, ...]) -> str:
    # Identifiers come from the fixed table definitions below, never from input; values are parameters.
    status_counts = ",\n           ".join(
        f"count(*) FILTER (WHERE status = $status_{i}) AS {status}" for i, status in enumerate(statuses))
    return _DESA_FEEDBACK.format(dim=dim, total=total, date=date, source=source, status_counts=status_counts)


def desa_complaints(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Complaints per desa × category (and all) × month received (and year), split by status."""
    sql = _feedback_sql("complaints", "category", "received_date", "complaints", COMPLAINT_STATUSES)
    return con.execute(sql, _feedback_params(scope, COMPLAINT_STATUSES)).df()


def desa_proposals(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Usul (add a household) and sanggah (object to one) per desa × kind (and all) × month, by status."""
    sql = _feedback_sql("usul_sanggah", "kind", "submitted_date", "proposals", PROPOSAL_STATUSES)
    return con.execute(sql, _feedback_params(scope, PROPOSAL_STATUSES)).df()


def _feedback_params(scope: Scope, statuses: tuple[str, ...]) -> dict[str, object]:
    return {"all": ALL_CATEGORIES, "year": str(scope.year), "first": f"{scope.year}-01",
            "through": scope.through, **{f"status_{i}": s for i, s in enumerate(statuses)}}


# Constant SQL fragments joined at import time; every value is a bound parameter.
_DESA_QUALITY = _SCOPED_PAYMENTS + """,
    paid AS (SELECT DISTINCT desa_code, household, nik, kk_number, nik_valid FROM scoped_payments
             WHERE status = $paid),
    nik_desa AS (SELECT nik, count(DISTINCT desa_code) AS desa FROM paid GROUP BY nik)
    SELECT desa_code AS region, 'duplicate_nik' AS indicator, count(DISTINCT household) AS households
    FROM paid JOIN nik_desa USING (nik) WHERE nik_desa.desa > 1 GROUP BY desa_code
    UNION ALL
    -- The NIK rule is applied once, when a row enters the raw database (disbursements.nik_valid); a row from before
    -- that column passed ingest's check, which quarantines every invalid NIK.
    SELECT desa_code, 'invalid_nik', count(DISTINCT household)
    FROM paid WHERE NOT coalesce(nik_valid, true)
    GROUP BY desa_code
    UNION ALL
    SELECT p.desa_code, 'deceased_paid', count(DISTINCT p.household)
    FROM scoped_payments p
    JOIN households h ON h.kk_number = p.kk_number AND h.desa_code = p.desa_code
    WHERE p.status = $paid AND h.head_died_on IS NOT NULL AND p.paid_date > h.head_died_on
    GROUP BY p.desa_code
    UNION ALL
    SELECT desa_code, 'quarantined_rows', count(*) FROM quarantine
    WHERE desa_code IS NOT NULL AND period BETWEEN $first AND $through GROUP BY desa_code"""  # noqa: S608


def desa_quality(con: duckdb.DuckDBPyConnection, scope: Scope, late_after_days: int) -> pd.DataFrame:
    """Per desa, for the year: recipient households with a duplicated or invalid NIK, paid after the head's
    death, and ingested rows quarantined (those of the year's months: a row whose month could not be read has no
    year to count in)."""
    frame = _query(con, _DESA_QUALITY, _scope_params(scope, late_after_days))
    frame["period"] = str(scope.year)
    return frame
