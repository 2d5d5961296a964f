"""Raw records to desa-level aggregates (SQL over the raw DuckDB), then rolled up to every region level."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import cast

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
    #: The months through which earlier releases of the same year were published whose months late records then
    #: revised, ascending (empty: no revision). For each such `b` the table also holds that release's version of
    #: each month (`2025-04@10`) and the late records' cells (`2025-04+10`, and their year-to-date `2025+10`):
    #: see anonymize.revisions. Readers hold every version, so every revision of the year stays in the table.
    revisions: tuple[int, ...] = ()
    #: Whether the release holds each desa's schedule of the programs a desa chooses it for (settings'
    #: desa_schedules; anonymize.knowledge.desa_schedules): it then publishes the schedules and, before December,
    #: protects each desa's year-to-date of those programs without writing it (tables.unpublished_desa_cells).
    desa_schedules: bool = False

    @property
    def revision(self) -> int:
        """The latest revised release's month (0: none): the one whose months the newest late records revise."""
        return self.revisions[-1] if self.revisions else 0

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
    def small_area_codes(self) -> list[str]:
        """The periods of cells with no month cells beside them (a desa's disbursements; a kecamatan's complaints
        and proposals, and a kabupaten/kota's by category): the complete year, and nothing before December.

        Such a cell is cumulative, and two releases of one year would publish two of its values (the year and an
        earlier release's year-to-date) whose difference, the months between, no cell protects: an independent
        attacker read 1-9 BLT Dana Desa households of a desa's November and December off the October and December
        releases (19 desa x program on the test set), and a kecamatan's November-December complaints (20) and
        proposals (16). Published once a year, there is no second value to subtract. (A cell of its own for the
        months between, protected and never published, closes it too but cost 33.6% of desa Rupiah and 5 times
        the protection time on the test set, and could not protect every chain of releases: see the README.)"""
        return [self.year_code] if self.through_month == 12 else []

    @property
    def through(self) -> str:
        return f"{self.year}-{self.through_month:02d}"

    def at(self, through_month: int) -> Scope:
        return replace(self, through_month=through_month, earlier=(), revisions=())

    @property
    def revised_month_codes(self) -> list[str]:
        """The latest revised release's version of each month it published (`2025-04@10`)."""
        return [version_code(month, self.revision) for month in self.months[:self.revision]]

    @property
    def late_month_codes(self) -> list[str]:
        """The latest late records of each month the latest revised release published (`2025-04+10`)."""
        return [late_code(month, self.revision) for month in self.months[:self.revision]]

    @property
    def late_year_code(self) -> str:
        """The latest late records' year-to-date (`2025+10`)."""
        return late_code(self.year_code, self.revision)

    def version_as_of(self, month: str, through_month: int) -> str:
        """`month` as the release through `through_month` published it: its version of the first revised release
        at or after that one (`2025-04@10`: later late records revised it), else the month as it is now."""
        base = next((b for b in self.revisions if b >= through_month), None)
        return month if base is None else version_code(month, base)

    @property
    def revision_codes(self) -> list[str]:
        """Every revised release's versions of its months, their late records and the late year-to-dates, by
        release: the periods a revision adds to the disbursement table."""
        codes = []
        for b in self.revisions:
            months = self.months[:b]
            codes += [*(version_code(m, b) for m in months), *(late_code(m, b) for m in months),
                      late_code(self.year_code, b)]
        return codes


def year_to_date_code(year: int, through_month: int) -> str:
    return f"{year}@{through_month:02d}"


def version_code(month: str, through_month: int) -> str:
    """A month as the release through `through_month` published it, before late records revised it."""
    return f"{month}@{through_month:02d}"


def late_code(period: str, through_month: int) -> str:
    """The records of `period` (a month or the year-to-date) that arrived after the release through
    `through_month`: what a revision adds."""
    return f"{period}+{through_month:02d}"


def is_plain_month(periods: pd.Series) -> np.ndarray:
    """True for this release's months (YYYY-MM), not an earlier version of one nor its late records."""
    return periods.astype(str).str.fullmatch(r"\d{4}-\d{2}").to_numpy()


def is_late(periods: pd.Series) -> np.ndarray:
    """True for the cells of late records (`2025-04+10`, `2025+10`)."""
    return periods.astype(str).str.contains("+", regex=False).to_numpy()


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
        # Distinct desa first: far fewer strings to cut than one per payment.
        """SELECT DISTINCT left(desa_code, 2) FROM (SELECT DISTINCT desa_code FROM disbursements WHERE period LIKE ?)
           UNION SELECT DISTINCT left(desa_code, 2) FROM (SELECT DISTINCT desa_code FROM households
                                                          WHERE year IS NULL OR year = ?) ORDER BY 1""",
        [f"{year}-%", year],
    ).fetchall()
    return Scope(year, month, tuple(p for (p,) in provinces))


def _execute(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object]) -> duckdb.DuckDBPyConnection:
    """Run `sql` with the named parameters it references (DuckDB refuses unused ones)."""
    used = set(re.findall(r"\$([a-z_0-9]+)", sql))
    return con.execute(sql, {k: v for k, v in params.items() if k in used})


def _query(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object]) -> pd.DataFrame:
    return _execute(con, sql, params).df()


def _scope_params(scope: Scope, late_after_days: int) -> dict[str, object]:
    return {"paid": STATUS_PAID, "failed": STATUS_FAILED, "returned": STATUS_RETURNED, "pending": STATUS_PENDING,
            "all_programs": ALL_PROGRAMS, "all_channels": ALL_CHANNELS, "unknown_channel": UNKNOWN_CHANNEL,
            "year": str(scope.year), "first": f"{scope.year}-01", "through": scope.through,
            "late_after_days": late_after_days, "from_code": "", "to_code": "~", "national": NATIONAL_CODE}


#: The tables one aggregation keeps while it runs (DuckDB temporary tables: in memory, spilled beyond its limit).
_TEMP_TABLES = ("_agg_counts", "_agg_paid", "_agg_households", "_agg_recipients", "_agg_eligible", "_agg_registered",
                "_agg_quality_paid", "_agg_deceased")

#: The additive measures: payments by status and Rupiah paid.
_SUMMED = ("payments", "paid_payments", "failed_payments", "returned_payments", "pending_payments",
           "late_payments", "amount")
_UPPER = ("kecamatan_code", "kabupaten_code", "province_code")
_PROGRAM = "CASE WHEN grouping(program) = 1 THEN $all_programs ELSE program END"
_CHANNEL = "CASE WHEN grouping(channel) = 1 THEN $all_channels ELSE channel END"

#: The registry rows of the release's year: a generated raw database of several years lists each household once a
#: year (data.schema `year`); a registry without years (NULL) counts for every year.
_REGISTRY_YEAR = "({h}year IS NULL OR {h}year = CAST($year AS SMALLINT))"
#: A payment's month as one bit (month m is bit m - 1): a household's months are OR-ed into one integer.
_MONTH_BIT = "(1::INTEGER << (CAST(right(period, 2) AS INTEGER) - 1))"
_IN_CHUNK = "period BETWEEN $first AND $through AND desa_code >= $from_code AND desa_code < $to_code"
#: The household, exact (never a hash: a 64-bit hash collided on a kecamatan's 3,638 households): its desa and
#: KK number, or, without a KK number, the recipient's NIK (as one string here; `_households_sql` groups on the
#: desa, the KK number and the NIK of a household without one).
_HOUSEHOLD = "coalesce('k' || kk_number, 'n' || nik)"

# Constant SQL fragments joined at import time; every value is a bound parameter.
#: Payments by status and Rupiah paid per desa × program × month × channel: every additive measure.
_CHUNK_COUNTS = """
    INSERT INTO _agg_counts
    SELECT desa_code, program, period, coalesce(channel, $unknown_channel) AS channel,
           count(*) AS payments,
           count(*) FILTER (WHERE status = $paid) AS paid_payments,
           count(*) FILTER (WHERE status = $failed) AS failed_payments,
           count(*) FILTER (WHERE status = $returned) AS returned_payments,
           count(*) FILTER (WHERE status = $pending) AS pending_payments,
           count(*) FILTER (WHERE status = $paid AND paid_date > scheduled_date + $late_after_days) AS late_payments,
           coalesce(sum(amount) FILTER (WHERE status = $paid), 0) AS amount
    FROM disbursements WHERE """ + _IN_CHUNK + " GROUP BY ALL"  # noqa: S608

#: A household's paid months in each program × channel it was paid in, packed into integers: months are 12 bits, and
#: five program × channel combinations share a BIGINT (combination c in word c // 5 from bit 12 (c % 5)).
_MONTH_BITS = 12
_PER_WORD = 5

#: The program × channel combinations paid in one chunk (from its counts: every payment is in them), numbered.
_CHUNK_COMBINATIONS = """
    SELECT DISTINCT program, channel FROM _agg_counts
    WHERE paid_payments > 0 AND desa_code >= $from_code AND desa_code < $to_code ORDER BY ALL"""


def _combinations(con: duckdb.DuckDBPyConnection, params: dict[str, object]) -> list[tuple[str, str]]:
    return [(program, channel) for program, channel in _execute(con, _CHUNK_COMBINATIONS, params).fetchall()]


def _words(n_combinations: int) -> int:
    return max(1, -(-n_combinations // _PER_WORD))


def _combination_params(combinations: list[tuple[str, str]]) -> dict[str, object]:
    params: dict[str, object] = {}
    for c, (program, channel) in enumerate(combinations):
        params |= {f"combo_program_{c}": program, f"combo_channel_{c}": channel}
    return params


def _paid_sql(through_month: int, n_combinations: int) -> str:
    """One row per NIK paid for a household in a desa: its paid months in every program × channel (packed into
    words), in all, and paid to an invalid NIK (the NIK rule is applied once, when a row enters the raw database
    (disbursements.nik_valid); a row from before that column passed ingest's check, which quarantines every invalid
    NIK). A month's bit is joined from a list of the months: cheaper than cutting each payment's period string.
    One grouping by NIK serves the households' counts and the data-quality indicators alike."""
    if n_combinations == 0:
        return ("CREATE OR REPLACE TEMP TABLE _agg_paid (desa_code VARCHAR, kk_number VARCHAR, nik VARCHAR, "
                "word_0 BIGINT, months INTEGER, invalid_months INTEGER)")
    bits = ", ".join(f"($month_{m}, {1 << (m - 1)})" for m in range(1, through_month + 1))
    combinations = ", ".join(f"($combo_program_{c}, $combo_channel_{c}, {c})" for c in range(n_combinations))
    words = ", ".join(
        f"bit_or(CASE WHEN combo // {_PER_WORD} = {w} THEN bit::BIGINT << ({_MONTH_BITS} * (combo % {_PER_WORD})) "
        f"ELSE 0 END) AS word_{w}" for w in range(_words(n_combinations)))
    return """
    CREATE OR REPLACE TEMP TABLE _agg_paid AS
    WITH month_bits(period, bit) AS (VALUES """ + bits + """),
    combinations(program, channel, combo) AS (VALUES """ + combinations + """)
    SELECT d.desa_code, d.kk_number, d.nik, """ + words + """, bit_or(bit) AS months,
           bit_or(bit) FILTER (WHERE NOT coalesce(d.nik_valid, true)) AS invalid_months
    FROM disbursements d JOIN month_bits USING (period)
    JOIN combinations c ON c.program = d.program AND c.channel = coalesce(d.channel, $unknown_channel)
    WHERE d.status = $paid AND """ + _IN_CHUNK + """
    GROUP BY d.desa_code, d.kk_number, d.nik"""  # noqa: S608


def _households_sql(n_combinations: int) -> str:
    """One row per household paid in a desa (its desa and KK number, or without a KK number the recipient's NIK),
    with its paid months in every program × channel (NIKs of one household merged). One grouping of the households
    replaces a grouping per program/channel roll-up: "all programs" and "all channels" are ORs of the unpacked
    months (`_recipients_frame`)."""
    words = ", ".join(f"bit_or(word_{w}) AS word_{w}" for w in range(_words(n_combinations)))
    return """
    CREATE OR REPLACE TEMP TABLE _agg_households AS
    SELECT desa_code, kk_number, CASE WHEN kk_number IS NULL THEN nik END AS lone_nik, """ + words + """
    FROM _agg_paid GROUP BY ALL"""  # noqa: S608


def _combination_months(words: list[np.ndarray], c: int) -> np.ndarray:
    """Combination c's months, unpacked from the words."""
    return (words[c // _PER_WORD] >> (_MONTH_BITS * (c % _PER_WORD))) & ((1 << _MONTH_BITS) - 1)


def _recipients_frame(con: duckdb.DuckDBPyConnection, combinations: list[tuple[str, str]],
                      period_masks: list[int], through_month: int) -> pd.DataFrame:
    """Distinct households paid per desa × program (and all) × channel (and all), one column per whole-year period
    (p0, p1, ...) and per month (m01, ...): a household counts in a period when its months meet the period's.

    Households with the same desa and the same packed months count alike, so they are counted once with their
    number (far fewer rows than households); a (program, channel) row exists where a household was paid in it.
    """
    n_words = _words(len(combinations))
    columns = ", ".join(f"word_{w}" for w in range(n_words))
    patterns = con.execute(
        "SELECT desa_code, " + columns + ", count(*) AS households FROM _agg_households "  # noqa: S608
        "GROUP BY ALL ORDER BY desa_code").fetchnumpy()
    desa = np.asarray(patterns["desa_code"], dtype=object)
    # Rows come sorted by desa: number the desa once (comparing integers per cell, not strings).
    new_desa = np.r_[True, desa[1:] != desa[:-1]] if len(desa) else np.zeros(0, dtype=bool)
    desa_number, desa = np.cumsum(new_desa) - 1, desa[new_desa]
    weight = np.asarray(patterns["households"], dtype=np.int64)
    words = [np.asarray(patterns[f"word_{w}"], dtype=np.int64) for w in range(n_words)]
    # Every cell's months per pattern: a combination's own, ORed into its program's, its channel's and the total.
    cells: dict[tuple[str, str], np.ndarray] = {}
    for c, (program, channel) in enumerate(combinations):
        months = _combination_months(words, c)
        for key in ((program, channel), (program, ALL_CHANNELS), (ALL_PROGRAMS, channel),
                    (ALL_PROGRAMS, ALL_CHANNELS)):
            cells[key] = cells[key] | months if key in cells else months
    bits = np.array([*period_masks, *(1 << m for m in range(through_month))], dtype=np.int64)
    names = [*(f"p{i}" for i in range(len(period_masks))), *(f"m{m:02d}" for m in range(1, through_month + 1))]
    frames = []
    for (program, channel), months in cells.items():
        paid = np.flatnonzero(months)
        if not len(paid):
            continue
        in_desa = desa_number[paid]
        starts = np.flatnonzero(np.r_[True, in_desa[1:] != in_desa[:-1]])
        counted = ((months[paid, None] & bits[None, :]) != 0) * weight[paid, None]
        frame = pd.DataFrame(np.add.reduceat(counted, starts, axis=0), columns=names)
        frame.insert(0, "desa_code", desa[in_desa[starts]])
        frame.insert(1, "program", program)
        frame.insert(2, "channel", channel)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["desa_code", "program", "channel", *names])
    return pd.concat(frames, ignore_index=True)


#: Per desa and NIK paid, for the data-quality indicators (kept for the whole country: a NIK is duplicated when
#: paid in two desa of any provinces).
_CHUNK_QUALITY_PAID = """
    INSERT INTO _agg_quality_paid
    SELECT desa_code, kk_number, nik, months, invalid_months FROM _agg_paid"""


#: One program's rows of the per-desa eligibility counts (names filled in from fixed counts, never input).
_ELIGIBLE_PROGRAM = "SELECT desa_code, $program_{j}, eligible_{j} FROM per_desa WHERE eligible_{j} > 0"


def _eligible_sql() -> str:
    """Eligible households per desa × program.

    Eligible = in the program's target desil; PKH also needs a member in one of its components, and BLT Dana
    Desa exists only in desa (a kelurahan has no village fund). Which of them were paid is not counted: a count
    of eligible households paid is nested in both the eligible and the recipients, and its differences with them
    (eligible not paid, paid though not eligible) are 1-9 households in most desa (README, "Eligible households
    paid: not published").
    """
    programs = range(len(PROGRAMS))
    eligible = ", ".join(f"h.desil <= $desil_{j} AND (NOT $component_{j} OR h.pkh_components > 0) "
                         f"AND (NOT $desa_only_{j} OR r.kind <> 'kelurahan') AS eligible_{j}"
                         for j in programs)
    counts = ", ".join(f"count(*) FILTER (WHERE eligible_{j}) AS eligible_{j}" for j in programs)
    per_program = _union(_ELIGIBLE_PROGRAM, [{"j": j} for j in programs])
    return """
    INSERT INTO _agg_eligible
    WITH households_eligible AS (
        SELECT h.desa_code, """ + eligible + """
        FROM households h
        JOIN regions r ON r.code = h.desa_code
        WHERE h.desa_code >= $from_code AND h.desa_code < $to_code AND """ + _REGISTRY_YEAR.format(h="h.") + """),
    per_desa AS MATERIALIZED (
        SELECT desa_code, """ + counts + """ FROM households_eligible GROUP BY desa_code)
    """ + per_program  # noqa: S608


_CHUNK_REGISTERED = """
    INSERT INTO _agg_registered
    SELECT desa_code, count(*) AS registered_households FROM households
    WHERE desa_code >= $from_code AND desa_code < $to_code AND """ + _REGISTRY_YEAR.format(h="") + """
    GROUP BY desa_code"""  # noqa: S608


def _periods(scope: Scope) -> tuple[list[str], dict[str, object]]:
    """The whole-year periods (the year, then each earlier release's year-to-date) and a bit mask of the months
    each covers, as parameters mask_0, mask_1, ..."""
    codes = [scope.year_code, *scope.earlier_codes]
    through = [scope.through_month, *scope.earlier]
    return codes, {f"mask_{i}": (1 << k) - 1 for i, k in enumerate(through)}


def _program_params() -> dict[str, object]:
    params: dict[str, object] = {}
    for i, (code, program) in enumerate(PROGRAMS.items()):
        params |= {f"program_{i}": code, f"desil_{i}": program.target_desil, f"component_{i}": code == "PKH",
                   f"desa_only_{i}": program.desa_only}
    return params


def payment_tables(con: duckdb.DuckDBPyConnection, scope: Scope, regions: pd.DataFrame,
                   late_after_days: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The disbursement cells published at every level, and the data-quality indicators per desa.

    Disbursement cells: desa whole-year cells, kecamatan cells by month too, and from kabupaten/kota up by channel
    too (see tables.complete_disbursement_cells). Payments are read twice per few provinces (counts; households'
    paid months), each desa aggregated once, and the levels above summed from desa in SQL: every measure adds up
    over regions (a household is counted in its desa), and only the cells a level publishes leave DuckDB. A few
    provinces at a time: the whole country at once took DuckDB past 7 GB. `regions` maps each desa to its
    ancestors.
    """
    codes, masks = _periods(scope)
    params = {**_scope_params(scope, late_after_days), **masks, **_program_params()}
    periods = scope.months
    params |= _period_params(codes, periods)
    try:
        _create_temp_tables(con, codes, scope.through_month)
        period_masks = [cast(int, masks[f"mask_{i}"]) for i in range(len(codes))]
        provinces = sorted(scope.provinces)
        for start in range(0, len(provinces), PROVINCES_PER_QUERY):
            after = provinces[start + PROVINCES_PER_QUERY:]
            # Codes of one province sort between its code and the next one's ("11" <= "11.01.01.2001" < "12").
            chunk_params = {**params, "from_code": provinces[start], "to_code": after[0] if after else "~"}
            _execute(con, _CHUNK_COUNTS, chunk_params)
            combinations = _combinations(con, chunk_params)
            chunk_params |= _combination_params(combinations)
            for sql in (_paid_sql(scope.through_month, len(combinations)), _households_sql(len(combinations))):
                _execute(con, sql, chunk_params)
            recipients = _recipients_frame(con, combinations, period_masks, scope.through_month)
            con.register("_agg_recipients_chunk", recipients)
            _execute(con, "INSERT INTO _agg_recipients SELECT * FROM _agg_recipients_chunk", {})
            con.unregister("_agg_recipients_chunk")
            for sql in (_eligible_sql(), _CHUNK_REGISTERED, _CHUNK_QUALITY_PAID, _CHUNK_DECEASED):
                _execute(con, sql, chunk_params)
        # The largest: their memory is free for the roll-up.
        con.execute("DROP TABLE _agg_paid")
        con.execute("DROP TABLE _agg_households")
        con.register("_agg_regions", regions[["code", "kecamatan_code", "kabupaten_code", "province_code"]])
        sql = _roll_up_sql(codes, periods, [scope.through_month, *scope.earlier])
        cells = _query(con, sql, params)
        return cells, _desa_quality(con, scope, params)
    finally:
        con.unregister("_agg_regions")
        for table in _TEMP_TABLES:
            con.execute(f"DROP TABLE IF EXISTS {table}")


def _create_temp_tables(con: duckdb.DuckDBPyConnection, codes: list[str], through_month: int) -> None:
    """The tables each few provinces' results are added to."""
    columns = {
        "_agg_counts": "desa_code VARCHAR, program VARCHAR, period VARCHAR, channel VARCHAR, "
                       + ", ".join(f"{m} BIGINT" for m in _SUMMED),
        "_agg_recipients": "desa_code VARCHAR, program VARCHAR, channel VARCHAR, "
                           + ", ".join([*(f"p{i} BIGINT" for i in range(len(codes))),
                                        *(f"m{m:02d} BIGINT" for m in range(1, through_month + 1))]),
        "_agg_eligible": "desa_code VARCHAR, program VARCHAR, eligible_households BIGINT",
        "_agg_registered": "desa_code VARCHAR, registered_households BIGINT",
        "_agg_quality_paid": "desa_code VARCHAR, kk_number VARCHAR, nik VARCHAR, months INTEGER, "
                             "invalid_months INTEGER",
        "_agg_deceased": "desa_code VARCHAR, kk_number VARCHAR, months INTEGER",
    }
    for table, definition in columns.items():
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} ({definition})")


def _period_params(codes: list[str], months: list[str]) -> dict[str, object]:
    return {**{f"code_{i}": code for i, code in enumerate(codes)},
            **{f"month_{m}": month for m, month in enumerate(months, start=1)}}


# Templates of one period's rows; the names filled in are generated from fixed lists and counts, never input.
_DESA_RECIPIENTS = ("SELECT desa_code AS region, program, channel, $code_{i} AS period, p{i} AS recipients "
                    "FROM _agg_recipients WHERE channel = $all_channels AND p{i} > 0")
_UPPER_RECIPIENTS = ("SELECT region, program, channel, {code} AS period, {column} AS recipients FROM upper_wide "
                     "WHERE {column} > 0")
_ELIGIBLE_PERIOD = "SELECT desa_code, program, $code_{i} AS period, eligible_households FROM _agg_eligible"
_REGISTERED_PERIOD = "SELECT desa_code, $code_{i} AS period, registered_households FROM _agg_registered"


def _union(template: str, fills: list[dict[str, object]]) -> str:
    return "\n        UNION ALL ".join(template.format(**fill) for fill in fills)


def _region(*columns: str) -> str:
    """The region a grouping set's row belongs to: its lowest region column grouped on, else the nation."""
    return ("CASE " + " ".join(f"WHEN grouping({c}) = 0 THEN {c}" for c in columns) + " ELSE $national END")


def _roll_up_sql(codes: list[str], months: list[str], through: list[int]) -> str:
    """Desa aggregates (the chunks' temporary tables) to the cells every level publishes, one row per cell.

    Desa: whole-year periods, all channels. Kecamatan: every period too. Kabupaten/kota, provinces and the
    nation: every channel too. Months map to the periods that contain them (the month itself, the year, and each
    earlier release's year-to-date that covers it); recipients come per period from their masks.
    """
    period_map = ", ".join(
        [f"($month_{m}, $month_{m}, false)" for m in range(1, len(months) + 1)]
        + [f"($month_{m}, $code_{i}, true)" for i, k in enumerate(through) for m in range(1, k + 1)])
    # Column names and $parameter names below are generated from fixed lists and counts, never from input.
    # Partial sums stay BIGINT (DuckDB's sum is HUGEINT: twice the width in every hash table; a cast that overflowed
    # would fail, never wrap); only the final sums are HUGEINT, as before.
    sums = ", ".join(f"sum({m})::BIGINT AS {m}" for m in _SUMMED)
    final_sums = ", ".join(f"sum({m}) AS {m}" for m in _SUMMED)
    wide = [f"p{i}" for i in range(len(codes))] + [f"m{m:02d}" for m in range(1, len(months) + 1)]
    wide_codes = [f"$code_{i}" for i in range(len(codes))] + [f"$month_{m}" for m in range(1, len(months) + 1)]
    desa_recipients = _union(_DESA_RECIPIENTS, [{"i": i} for i in range(len(codes))])
    upper_recipients = _union(_UPPER_RECIPIENTS, [{"column": c, "code": code} for c, code in zip(wide, wide_codes,
                                                                                                 strict=True)])
    eligible = _union(_ELIGIBLE_PERIOD, [{"i": i} for i in range(len(codes))])
    registered = _union(_REGISTERED_PERIOD, [{"i": i} for i in range(len(codes))])
    every_region = ("(desa_code, {k}), (kecamatan_code, {k}), (kabupaten_code, {k}), (province_code, {k}), ({k})")
    return """
    WITH months(month, period, whole) AS (VALUES """ + period_map + """),
    located AS (SELECT code AS desa_code, kecamatan_code, kabupaten_code, province_code FROM _agg_regions),
    desa_counts AS (
        SELECT desa_code AS region, """ + _PROGRAM + """ AS program, months.period, $all_channels AS channel,
               """ + sums + """
        FROM _agg_counts c JOIN months ON months.month = c.period AND months.whole
        GROUP BY GROUPING SETS ((desa_code, program, months.period), (desa_code, months.period))),
    kecamatan_months AS (
        SELECT kecamatan_code, kabupaten_code, province_code, program, period AS month, channel, """ + sums + """
        FROM _agg_counts LEFT JOIN located USING (desa_code) GROUP BY ALL),
    kecamatan_counts AS (
        SELECT kecamatan_code AS region, """ + _PROGRAM + """ AS program, months.period, $all_channels AS channel,
               """ + sums + """
        FROM kecamatan_months k JOIN months ON months.month = k.month
        GROUP BY GROUPING SETS ((kecamatan_code, program, months.period), (kecamatan_code, months.period))),
    -- Kabupaten/kota and above from kabupaten months: far fewer rows to group per set than kecamatan months.
    kabupaten_months AS (
        SELECT kabupaten_code, province_code, program, month, channel, """ + sums + """
        FROM kecamatan_months GROUP BY ALL),
    upper_counts AS (
        SELECT """ + _region(*_UPPER[1:]) + """ AS region,
               """ + _PROGRAM + """ AS program, months.period, """ + _CHANNEL + """ AS channel, """ + sums + """
        FROM kabupaten_months k JOIN months ON months.month = k.month
        GROUP BY GROUPING SETS (
            (kabupaten_code, program, months.period, channel), (kabupaten_code, program, months.period),
            (kabupaten_code, months.period, channel), (kabupaten_code, months.period),
            (province_code, program, months.period, channel), (province_code, program, months.period),
            (province_code, months.period, channel), (province_code, months.period),
            (program, months.period, channel), (program, months.period), (months.period, channel), (months.period))),
    upper_wide AS (
        SELECT """ + _region(*_UPPER) + """ AS region, program, channel,
               """ + ", ".join(f"sum({c})::BIGINT AS {c}" for c in wide) + """
        FROM _agg_recipients LEFT JOIN located USING (desa_code)
        GROUP BY GROUPING SETS ((kecamatan_code, program, channel), (kabupaten_code, program, channel),
                                (province_code, program, channel), (program, channel))
        -- Kecamatan are published for all channels together only.
        HAVING grouping(kecamatan_code) = 1 OR channel = $all_channels),
    recipients AS (
        """ + desa_recipients + """
        UNION ALL """ + upper_recipients + """),
    eligible_periods AS (
        """ + eligible + """),
    eligible AS (
        SELECT """ + _region("desa_code", *_UPPER) + """ AS region, program, period, $all_channels AS channel,
               sum(eligible_households)::BIGINT AS eligible_households
        FROM eligible_periods LEFT JOIN located USING (desa_code)
        GROUP BY GROUPING SETS (""" + every_region.format(k="program, period") + """)),
    registered_periods AS (
        """ + registered + """),
    registered AS (
        SELECT """ + _region("desa_code", *_UPPER) + """ AS region, $all_programs AS program, period,
               $all_channels AS channel,
               sum(registered_households)::BIGINT AS registered_households
        FROM registered_periods LEFT JOIN located USING (desa_code)
        GROUP BY GROUPING SETS (""" + every_region.format(k="period") + """))
    SELECT region, program, period, channel, """ + final_sums + """, sum(recipients) AS recipients,
           sum(eligible_households) AS eligible_households,
           sum(registered_households) AS registered_households
    FROM (SELECT * FROM desa_counts UNION ALL BY NAME SELECT * FROM kecamatan_counts
          UNION ALL BY NAME SELECT * FROM upper_counts
          UNION ALL BY NAME SELECT * FROM recipients UNION ALL BY NAME SELECT * FROM eligible
          UNION ALL BY NAME SELECT * FROM registered)
    -- A desa without a kecamatan in the registry has no kecamatan cell (nor kabupaten, nor province).
    WHERE region IS NOT NULL
    GROUP BY ALL"""  # noqa: S608


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


#: Households paid after the head's death, with the months of those payments.
_CHUNK_DECEASED = """
    INSERT INTO _agg_deceased
    SELECT p.desa_code, p.kk_number, bit_or(""" + _MONTH_BIT.replace("period", "p.period") + """) AS months
    FROM disbursements p
    JOIN households h ON h.kk_number = p.kk_number AND h.desa_code = p.desa_code
    WHERE p.status = $paid AND p.period BETWEEN $first AND $through AND h.head_died_on IS NOT NULL
      AND """ + _REGISTRY_YEAR.format(h="h.") + """
      AND p.paid_date > h.head_died_on AND p.desa_code >= $from_code AND p.desa_code < $to_code
    GROUP BY ALL"""  # noqa: S608

#: One whole-year period's data-quality indicators per desa ($mask: its months; $through: its last month).
_DESA_QUALITY = """
    WITH paid AS (SELECT desa_code, """ + _HOUSEHOLD + """ AS household, nik FROM _agg_quality_paid
                  WHERE months & $mask <> 0),
    shared_nik AS (SELECT nik FROM paid GROUP BY nik HAVING count(DISTINCT desa_code) > 1)
    SELECT desa_code AS region, 'duplicate_nik' AS indicator, count(DISTINCT household) AS households
    FROM paid SEMI JOIN shared_nik USING (nik) GROUP BY desa_code
    UNION ALL
    SELECT desa_code, 'invalid_nik', count(DISTINCT """ + _HOUSEHOLD + """)
    FROM _agg_quality_paid WHERE invalid_months & $mask <> 0 GROUP BY desa_code
    UNION ALL
    SELECT desa_code, 'deceased_paid', count(*) FROM _agg_deceased WHERE months & $mask <> 0 GROUP BY desa_code
    UNION ALL
    SELECT desa_code, 'quarantined_rows', count(*) FROM quarantine
    WHERE desa_code IS NOT NULL AND period BETWEEN $first AND $through GROUP BY desa_code"""  # noqa: S608


def _desa_quality(con: duckdb.DuckDBPyConnection, scope: Scope, params: dict[str, object]) -> pd.DataFrame:
    """Per desa, for the year (and each earlier release's year-to-date): recipient households with a duplicated
    or invalid NIK, paid after the head's death, and ingested rows quarantined (those of the period's months: a
    row whose month could not be read has no year to count in)."""
    codes, masks = _periods(scope)
    frames = []
    for i, (code, month) in enumerate(zip(codes, [scope.through_month, *scope.earlier], strict=True)):
        period = {"mask": masks[f"mask_{i}"], "through": f"{scope.year}-{month:02d}"}
        frames.append(_query(con, _DESA_QUALITY, {**params, **period}).assign(period=code))
    return pd.concat(frames, ignore_index=True)
