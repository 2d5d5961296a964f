"""The published tables as protected cell tables: their dimensions, measures and what an attacker knows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from anonymize import knowledge, revisions
from anonymize.aggregate import Scope, is_late, is_whole_year, late_code
from anonymize.protect import ProtectionRules
from anonymize.table import Aggregation, CellTable, Dimension, MeasureSpec, Role, table_from_frame
from published_schema import (
    ALL_CATEGORIES,
    ALL_CHANNELS,
    ALL_PROGRAMS,
    CHANNEL_LEVELS,
    CHANNELS,
    NATIONAL_CODE,
    PROGRAM_SUM_LEVELS,
    PROGRAM_SUM_MEASURES,
    STATUS_COUNTS,
    STATUS_MONTHLY_LEVELS,
    STATUS_YEAR_LEVELS,
    UNKNOWN_CHANNEL,
)
from published_schema import DISBURSEMENT_MEASURES as DISBURSEMENT_COLUMNS
from settings import BLT_DD_MONTHLY, PROGRAMS, SEMBAKO_MONTHLY

SUM, BOUND = Aggregation.SUM, Aggregation.BOUND
#: Rupiah are protected and audited in units of Rp1,000 (every benefit is a multiple of Rp25,000).
AMOUNT_UNIT = 1000
#: Programs paying the same amount to every household: their Rupiah total reveals a count of households.
FIXED_MONTHLY_BENEFIT = {"SEMBAKO": SEMBAKO_MONTHLY, "BLT_DD": BLT_DD_MONTHLY}

REGION_ADDITIVE = {"region": SUM}
EVERYWHERE = {"region": SUM, "program": SUM, "period": SUM, "channel": SUM}

DISBURSEMENT_MEASURES = [
    # Distinct households: additive over desa (a household lives in one), bounded over months/programs/channels.
    MeasureSpec("recipients", Role.SENSITIVE, {"region": SUM, "program": BOUND, "period": BOUND, "channel": BOUND}),
    MeasureSpec("eligible_households", Role.SENSITIVE, REGION_ADDITIVE),
    MeasureSpec("registered_households", Role.SENSITIVE, REGION_ADDITIVE),
    MeasureSpec("payments", Role.POPULATION, EVERYWHERE),
    MeasureSpec("paid_payments", Role.POPULATION, EVERYWHERE),
    MeasureSpec("failed_payments", Role.DETAIL, EVERYWHERE),
    MeasureSpec("returned_payments", Role.DETAIL, EVERYWHERE),
    MeasureSpec("pending_payments", Role.DETAIL, EVERYWHERE),
    MeasureSpec("late_payments", Role.DETAIL, EVERYWHERE),
    MeasureSpec("amount", Role.AMOUNT, EVERYWHERE),
    # Not published: what readers derive from a published cell's Rupiah and paid payments (knowledge.larger_payments),
    # an unknown of each hidden cell of BLT Dana Desa and Sembako. Not related over programs: sizes differ.
    MeasureSpec("larger_payments", Role.AUXILIARY, {"region": SUM, "period": SUM, "channel": SUM}),
]
if tuple(m.name for m in DISBURSEMENT_MEASURES if m.role is not Role.AUXILIARY) != DISBURSEMENT_COLUMNS:
    raise RuntimeError("anonymize.tables.DISBURSEMENT_MEASURES differs from the published schema's measures")
DISBURSEMENT_NONEMPTY = ("recipients", "eligible_households", "registered_households")
# Counts of payments by status (STATUS_COUNTS) are tiny in small areas (a few failed payments a year in a desa, a
# few pending ones in a kecamatan's December): an attacker could place each one exactly. They are published for
# kecamatan by year and monthly from kabupaten/kota up, not at all for a desa, and not per channel.


@dataclass
class ProtectedTableInput:
    """A table ready for protection, plus the frame its cells came from (same row order)."""

    name: str
    table: CellTable
    rules: ProtectionRules
    frame: pd.DataFrame
    #: The program rules the table's links use, as recorded in the release (see anonymize.knowledge).
    program_rules: dict[str, dict[str, float]] | None = None
    #: The desa schedules the table's links use (knowledge.desa_schedules), as the release publishes them; None for
    #: a table without them (not the disbursement table, or a release made before they were published).
    desa_schedules: pd.DataFrame | None = None


def region_dimension(regions: pd.DataFrame) -> Dimension:
    """`regions`: code and parent_code of every region in the table (the national root has no parent)."""
    dim = Dimension("region", regions["code"].tolist())
    with_parent = regions[regions["parent_code"].notna() & regions["parent_code"].isin(dim.index)]
    dim.add_family("tree", dict(zip(with_parent["code"], with_parent["parent_code"], strict=True)))
    return dim


def star_dimension(name: str, total: str, parts: list[str], family: str = "all") -> Dimension:
    dim = Dimension(name, [total, *parts])
    dim.add_family(family, dict.fromkeys(parts, total))
    return dim


def period_dimension(scope: Scope, revised: bool = False) -> Dimension:
    """Months add up to the year, and the months up to each earlier release to that release's year-to-date.

    `revised` (a table that revises earlier releases, scope.revisions): each revised release's versions of its
    months (`2025-04@10`) are cells of their own, and an earlier year-to-date is the sum of the months as its
    release published them (Scope.version_as_of); the late records' months (`2025-04+10`) add up to theirs
    (`2025+10`); a month relates to its earlier version and late records through links (anonymize.revisions).
    """
    revised = revised and bool(scope.revisions)
    extra = scope.revision_codes if revised else []
    dim = Dimension("period", [scope.year_code, *scope.months, *scope.earlier_codes, *extra])
    dim.add_family("year", dict.fromkeys(scope.months, scope.year_code))
    for k, code in zip(scope.earlier, scope.earlier_codes, strict=True):
        months = scope.months[:k]
        versions = [scope.version_as_of(m, k) for m in months] if revised else months
        dim.add_family(f"year_to_{k:02d}", dict.fromkeys(versions, code))
    if revised:
        for b in scope.revisions:
            dim.add_family(f"late_{b:02d}", {late_code(m, b): late_code(scope.year_code, b)
                                             for m in scope.months[:b]})
    return dim


def channel_codes() -> list[str]:
    return [*CHANNELS, UNKNOWN_CHANNEL]


def disbursement_table(cells: pd.DataFrame, regions: pd.DataFrame, scope: Scope, threshold: int,
                       program_rules: dict[str, dict[str, float]] | None = None,
                       schedules: pd.DataFrame | None = None) -> ProtectedTableInput:
    """The one combined table: region × program × period × channel (channels from kabupaten up).

    `program_rules` and `schedules`: what readers know of the programs and of each desa's schedule
    (knowledge.desa_schedules), as a release recorded them (a reader without `schedules`: a release made before
    they were published); without `program_rules` (the publisher, holding the true values) the published rules
    widened to what the data shows, and (where the release holds them: Scope.desa_schedules) the schedules the
    data show.
    """
    dims = [region_dimension(regions),
            star_dimension("program", ALL_PROGRAMS, list(PROGRAMS)),
            period_dimension(scope, revised=True),
            star_dimension("channel", ALL_CHANNELS, channel_codes())]
    frame = cells.reset_index(drop=True)
    whole_year = is_whole_year(frame["period"])
    covered = knowledge.months_covered(frame["period"], scope.through_month)
    known = (knowledge.rules_from_json(program_rules) if program_rules is not None
             else knowledge.widened_to(knowledge.program_rules(scope.year), frame, whole_year, covered))
    is_desa = frame["region"].map(regions.set_index("code")["level"]).eq("desa").to_numpy()
    if program_rules is None and scope.desa_schedules:
        schedules = knowledge.desa_schedules(frame, is_desa, known)
    scaled = frame.assign(amount=frame["amount"] / AMOUNT_UNIT,
                          larger_payments=knowledge.larger_payments(frame, known))
    table = table_from_frame(scaled, dims, DISBURSEMENT_MEASURES, DISBURSEMENT_NONEMPTY)
    if UNPUBLISHED in frame:
        table.unwritten = ~published_rows(frame)
    table.links = knowledge.disbursement_links(table, frame, known, whole_year, AMOUNT_UNIT, covered,
                                               None if schedules is None else (is_desa, schedules))
    table.links += revisions.revision_links(table, scope)
    fixed = frame["program"].isin(list(FIXED_MONTHLY_BENEFIT)).to_numpy()
    table.withheld = program_sums(table, program_sum_rows(frame, regions))
    widths = amount_widths(frame, threshold, scope.year, known, _paying_larger(schedules, known))
    rules = ProtectionRules(threshold, {"amount": widths}, {"amount": fixed})
    return ProtectedTableInput("disbursement_cells", table, rules, frame, knowledge.rules_to_json(known), schedules)


def program_sum_rows(frame: pd.DataFrame, regions: pd.DataFrame) -> np.ndarray:
    """Per row of a disbursement frame: an all-programs cell at PROGRAM_SUM_LEVELS, whose PROGRAM_SUM_MEASURES a
    release writes only as the sum of its programs' (published_schema)."""
    level = frame["region"].map(regions.set_index("code")["level"]).to_numpy()
    return np.isin(level, PROGRAM_SUM_LEVELS) & (frame["program"] == ALL_PROGRAMS).to_numpy()


def program_sums(table: CellTable, rows: np.ndarray) -> np.ndarray:
    """(n_cells, n_measures) mask: the values a release writes only as the sum of the programs' (PROGRAM_SUM_MEASURES
    of the program_sum_rows `rows`, where the measure applies). The attack holds each as an unknown with every
    relation it is in (CellTable.withheld) whether or not it is written: where it is, it is the sum of published
    values, so knowing it adds nothing."""
    out = np.zeros(table.values.shape, dtype=bool)
    for m, spec in enumerate(table.measures):
        if spec.name in PROGRAM_SUM_MEASURES:
            out[:, m] = rows & ~np.isnan(table.values[:, m])
    return out


def programs_hidden(frame: pd.DataFrame, suppressed: np.ndarray) -> np.ndarray:
    """Per row of a disbursement frame: whether a program's cell of the same region, period and channel is hidden
    (for an all-programs cell: its sum of programs is then not written: program_sums). True for every row of such a
    region, period and channel, the programs' rows included."""
    keys = pd.DataFrame({"region": frame["region"].to_numpy(), "period": frame["period"].to_numpy(),
                         "channel": frame["channel"].to_numpy(),
                         "hidden": np.asarray(suppressed, dtype=bool) & (frame["program"] != ALL_PROGRAMS).to_numpy()})
    return keys.groupby(["region", "period", "channel"], sort=False)["hidden"].transform("any").to_numpy(dtype=bool)


def blank_sums(frame: pd.DataFrame, regions: pd.DataFrame, suppressed: np.ndarray) -> np.ndarray:
    """Per row of a disbursement frame: an all-programs cell whose sums of programs are left blank (program_sum_rows
    beside a hidden program: programs_hidden)."""
    return program_sum_rows(frame, regions) & programs_hidden(frame, suppressed)


def blank_values(table_input: ProtectedTableInput, suppressed: np.ndarray) -> np.ndarray:
    """(n_cells, n_measures) mask: the values a published cell leaves blank (blank_sums, per measure: the table's
    withheld mask marks the program sums, published_schema.PROGRAM_SUM_MEASURES, of program_sum_rows), hidden
    values with a range like a hidden cell's (anonymize.ranges). All False for a table without withheld values
    (only disbursement tables, which have a program, withhold any)."""
    table = table_input.table
    if table.withheld is None:
        return np.zeros(table.values.shape, dtype=bool)
    return table.withheld & (programs_hidden(table_input.frame, suppressed) & ~suppressed)[:, None]


def _paying_larger(schedules: pd.DataFrame | None, known: dict[str, knowledge.ProgramRule]
                   ) -> dict[str, set[str]] | None:
    """Per program whose schedule a desa chooses: the regions with a desa under them (or the desa) that pays the
    larger size (Rp900k a quarter), alone or with the smaller, as the published schedules show; None without
    schedules (every region may)."""
    if schedules is None:
        return None
    out: dict[str, set[str]] = {}
    for program in knowledge.DESA_CHOSEN_SCHEDULE:
        sizes = known[program].payment_sizes if program in known else ()
        if not sizes:
            continue
        mine = schedules[(schedules["program"] == program)
                         & ~np.isclose(schedules["payment_size"].to_numpy(dtype=float), sizes[0])]
        codes = {NATIONAL_CODE}
        for code in mine["region"].unique():
            parts = str(code).split(".")
            codes.update(".".join(parts[:k]) for k in range(1, len(parts) + 1))
        out[program] = codes
    return out


def amount_widths(frame: pd.DataFrame, threshold: int, year: int,
                  known: dict[str, knowledge.ProgramRule] | None = None,
                  paying_larger: dict[str, set[str]] | None = None) -> np.ndarray:
    """Required width of a suppressed amount (Rp1,000).

    For a fixed-benefit program, amount / (most one household can get in the cell) bounds the household count,
    so the amount must stay (threshold - 1) such units wide. That most is, in a year cell, the year's monthly
    rates summed (`year`'s rules, settings.program_year), or where less, the largest payments of the months whose
    cells are not empty summed (`_paid_months_most`); in a month cell, the largest payment the year's schedule
    has in that month (knowledge.month_largest_payment: BLT Dana Desa pays Rp300k in November, so Rp900k would
    ask three times the width the count needs, and the whole demo's December continuation was refused for it),
    unless the data widened the program's largest payment beyond the year's rules (`known`, the rules the
    release records): then that largest payment; and in a region where no desa pays the larger of the program's
    two sizes (`paying_larger`, from the published desa schedules: every desa monthly), its smaller one (a
    kecamatan's one Rp300k April payment of BLT Dana Desa was asked 9 x Rp900k wide, and the demo's 2022 refused).
    For others it must just not be pinned.
    """
    base = knowledge.program_rules(year)
    known = base if known is None else known
    # Late records (anonymize.revisions) are mostly one payment per household however long their period: the
    # unit of a payment (their households are audited as recipients in the same joint attack); a late year
    # (`2025+10`) has no month of its own, so its unit is the program's largest payment.
    is_year = is_whole_year(frame["period"]) & ~is_late(frame["period"])
    # The month of `2025-04`, `2025-04@10` (an earlier version) and `2025-04+10` (its late records); 0 otherwise.
    month = knowledge.payment_months(frame["period"])
    # A year-to-date of an earlier release (`2025@06`) spans its months only: asked the months after it as well,
    # its Rupiah had to range wider than in its own release (Kulon Progo's July release was refused for BLT Dana
    # Desa desa Rupiah of 2025@06 asked Rp32.4M where June had asked, and protected, Rp27M).
    through = pd.to_numeric(frame["period"].astype(str).str.extract(r"^\d{4}@(\d{2})$")[0], errors="coerce")
    through = through.fillna(12).to_numpy(dtype=int)
    unit = np.zeros(len(frame))
    month_cells = _month_cells(frame)
    for program in FIXED_MONTHLY_BENEFIT:
        mine = (frame["program"] == program).to_numpy()
        largest = known[program].largest_payment
        # A household has at most payments_per_household_month payments of a program in a month (1 by the rules).
        per_month = max(1, known[program].payments_per_household_month)
        if largest <= base[program].largest_payment:
            # Months without a scheduled payment (cells of zeros, or data off the schedule) keep the largest.
            by_month = np.array([largest, *(knowledge.month_largest_payment(program, year, m) or largest
                                            for m in range(1, 13))])
        else:
            by_month = np.full(13, largest)
        year_unit = np.minimum(knowledge.year_total_per_household(program, year),
                               _paid_months_most(month_cells, mine, by_month * per_month, is_year, through))
        month_unit = by_month[month] * per_month
        sizes = known[program].payment_sizes
        if paying_larger is not None and program in paying_larger and sizes:
            only_smaller = ~frame["region"].astype(str).isin(paying_larger[program]).to_numpy() & (month > 0)
            month_unit = np.where(only_smaller, np.minimum(month_unit, sizes[0] * per_month), month_unit)
        per_household = np.where(is_year, year_unit, month_unit)
        unit = np.where(mine, per_household / AMOUNT_UNIT, unit)
    smallest_step = min(p.payment_step for p in PROGRAMS.values()) / AMOUNT_UNIT
    return np.where(unit > 0, (threshold - 1) * unit, smallest_step)


def _month_cells(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Per row: its region and channel (a table without them, as in tests, is one region and channel), its
    month 1-12 where the row is a plain month (`2025-04`; 0 otherwise), and whether any of its values is not 0."""
    keys = pd.DataFrame({key: frame[key].astype(str) if key in frame else "" for key in ("region", "channel")},
                        index=frame.index)
    period = frame["period"].astype(str)
    plain = period.str.fullmatch(r"\d{4}-\d{2}").to_numpy()
    month = np.where(plain, pd.to_numeric(period.str[5:7], errors="coerce").fillna(0), 0).astype(int)
    # The unpublished flag is no measure (its cells are year-to-dates, never months, but it must not count).
    measures = [c for c in frame.columns if c not in ("region", "program", "period", "channel", UNPUBLISHED)]
    paid = frame[measures].apply(pd.to_numeric, errors="coerce").fillna(0).ne(0).any(axis=1).to_numpy()
    return keys, month, paid


def _paid_months_most(month_cells: tuple[pd.DataFrame, np.ndarray, np.ndarray], mine: np.ndarray,
                      most_a_month: np.ndarray, is_year: np.ndarray, through: np.ndarray) -> np.ndarray:
    """Per row (used where `is_year` and the row is the program's, `mine`): the most one household can get in
    the months that may hold payments, i.e. `most_a_month` (index 1-12, Rp) summed over the months up to the
    row's `through` month (12 for a year, k for a year-to-date `2025@k`) whose cell of the same region, program
    and channel is not empty (`month_cells`, from _month_cells); inf where the region has no month cells (the
    caller keeps the year's total). A desa/kelurahan (no month cells) takes its kecamatan's months.

    Empty cells are always published (0 everywhere), so every reader knows which months paid nothing: a year
    whose months are mostly empty cannot reach (threshold - 1) times the year's whole total, and asking it to
    stalled the national table (Papua kecamatan with BLT Dana Desa in two months: year Rupiah at most Rp25.2M
    where 9 x Rp3.6M was asked). A household's year is at most its paid months' largest payments, so the count a
    reader divides out still spans threshold - 1.
    """
    keys, month, paid = month_cells
    out = np.full(len(keys), np.inf)
    is_month = (month > 0) & mine
    if not is_month.any() or not (is_year & mine).any():
        return out
    months = keys[is_month].assign(month=month[is_month],
                                   most=np.where(paid[is_month], most_a_month[month[is_month]], 0.0))
    # (region, channel) x month 1-12, summed up to each month.
    by_month = months.pivot_table(index=["region", "channel"], columns="month", values="most", aggfunc="sum")
    cumulative = by_month.reindex(columns=range(1, 13)).fillna(0.0).cumsum(axis=1)
    rows = np.flatnonzero(is_year & mine)
    years = keys.iloc[rows]
    upto = through[rows] - 1
    own = cumulative.reindex(pd.MultiIndex.from_frame(years)).to_numpy()
    parent = cumulative.reindex(pd.MultiIndex.from_arrays([years["region"].str.rsplit(".", n=1).str[0],
                                                            years["channel"]])).to_numpy()
    found = np.where(np.isnan(own[:, 0:1]), parent, own)[np.arange(len(rows)), upto]
    out[rows] = np.where(np.isnan(found), np.inf, found)
    return out


#: Frame column of the disbursement table: a cell protected as hidden and never written (unpublished_desa_cells).
UNPUBLISHED = "_unpublished"
#: The measures an unpublished desa cell holds (those its schedule relates); the others do not apply to it.
UNPUBLISHED_MEASURES = ("recipients", "paid_payments", "amount")


def unpublished_desa_cells(regions: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """The keys (region, program, period, channel) of the cells a release before December protects as hidden and
    never writes: each desa's year-to-date of every program whose schedule a desa chooses
    (knowledge.DESA_CHOSEN_SCHEDULE), all channels. Empty in December, and where the release does not hold
    the schedules (Scope.desa_schedules).

    A desa's cells are published once a year (Scope.small_area_codes), but its schedule and its kecamatan's
    published months give its payments: a quarterly desa's BLT Dana Desa payments of the year are its kecamatan's
    Rp900k payments of January, April, July and October where it is the kecamatan's only quarterly desa, and a
    release through October has published all four, which December cannot hide again (the test set's December
    was refused for 14 such values). Held as unknowns of this release, with their schedules (published), they make
    its attack protect them through the kecamatan's months now."""
    if scope.through_month == 12 or not scope.desa_schedules:
        return pd.DataFrame({"region": [], "program": [], "period": [], "channel": []}, dtype=object)
    desa = regions.loc[regions["level"] == "desa", "code"].astype(str)
    return pd.MultiIndex.from_product([desa, list(knowledge.DESA_CHOSEN_SCHEDULE), [scope.year_code], [ALL_CHANNELS]],
                                      names=["region", "program", "period", "channel"]).to_frame(index=False)


def published_rows(frame: pd.DataFrame) -> np.ndarray:
    """Per row of a table's frame: a cell the release writes (not an unpublished desa cell)."""
    if UNPUBLISHED not in frame:
        return np.ones(len(frame), dtype=bool)
    # Rows joined from a frame without the flag (NaN) are written: NaN must not read as True.
    return ~frame[UNPUBLISHED].eq(True).to_numpy()


def current_written(frame: pd.DataFrame, scope: Scope) -> np.ndarray:
    """Per row of a table's frame: a cell of this release's periods (not an earlier release's year-to-date) that
    the release writes (published_rows)."""
    return frame["period"].isin(scope.periods).to_numpy() & published_rows(frame)


def with_unpublished(cells: pd.DataFrame, regions: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """`cells` (published ones, as read back) with the unpublished desa cells appended as hidden unknowns (measures
    they hold 1, the placeholder of an unknown; others NaN), flagged in UNPUBLISHED; as the publisher's frame
    has them (complete_disbursement_cells)."""
    keys = unpublished_desa_cells(regions, scope)
    cells = cells.assign(**{UNPUBLISHED: False})
    if keys.empty:
        return cells
    added = keys.assign(**{m: (1.0 if m in UNPUBLISHED_MEASURES else np.nan) for m in DISBURSEMENT_COLUMNS})
    return pd.concat([cells, added.assign(**{UNPUBLISHED: True})], ignore_index=True)


def complete_disbursement_cells(rolled: pd.DataFrame, regions: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """The published cells, with explicit zeros, and NaN where a measure is not published.

    The table is ragged on purpose: desa/kelurahan get the complete year only (their monthly counts are mostly
    below the threshold, and a published month bounds the year's distinct households from below, which
    pins hidden neighbours; a year-to-date would give the months between two releases: Scope.small_area_codes);
    months are published from kecamatan up; channels from kabupaten/kota up;
    counts by payment status as STATUS_COUNTS says. Before December, each desa's year-to-date of the programs
    whose schedule a desa chooses comes last, flagged UNPUBLISHED (unpublished_desa_cells).
    """
    unpublished = unpublished_desa_cells(regions, scope)
    hidden_rows = rolled.merge(unpublished, how="inner", on=list(unpublished.columns))
    level = rolled["region"].map(regions.set_index("code")["level"])
    keep = ((level != "desa") | rolled["period"].isin(scope.small_area_codes)) & (
        (rolled["channel"] == ALL_CHANNELS) | level.isin(CHANNEL_LEVELS))
    rolled = rolled[keep]
    is_desa = regions["level"] == "desa"
    programs = [ALL_PROGRAMS, *PROGRAMS]
    grid = pd.concat([
        pd.MultiIndex.from_product([regions.loc[~is_desa, "code"], programs, [*scope.months, *scope.whole_year_codes],
                                    [ALL_CHANNELS]], names=["region", "program", "period", "channel"]
                                   ).to_frame(index=False),
        pd.MultiIndex.from_product([regions.loc[is_desa, "code"], programs, scope.small_area_codes, [ALL_CHANNELS]],
                                   names=["region", "program", "period", "channel"]).to_frame(index=False),
    ], ignore_index=True)
    cells = grid.merge(rolled, how="outer", on=["region", "program", "period", "channel"])
    cells = pd.concat([cells.assign(**{UNPUBLISHED: False}),
                       unpublished.merge(hidden_rows, how="left", on=list(unpublished.columns))
                       .assign(**{UNPUBLISHED: True})], ignore_index=True)
    applies = disbursement_applicability(cells, regions, scope)
    for measure in applies.columns:
        cells[measure] = np.where(applies[measure], cells[measure].fillna(0), np.nan)
    return cells


def disbursement_applicability(cells: pd.DataFrame, regions: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """Per cell and measure: is the measure published for this kind of cell at all? (A hidden cell's values
    are blank too; this tells the audit which blanks are unknowns.)"""
    is_year = is_whole_year(cells["period"])
    plain = (cells["channel"] == ALL_CHANNELS).to_numpy()
    level = cells["region"].map(regions.set_index("code")["level"]).to_numpy()
    one_program = (cells["program"] != ALL_PROGRAMS).to_numpy()
    status_published = plain & np.where(is_year, np.isin(level, STATUS_YEAR_LEVELS),
                                        np.isin(level, STATUS_MONTHLY_LEVELS))
    applies = {name: np.ones(len(cells), dtype=bool) for name in DISBURSEMENT_COLUMNS}
    # Late records add payments, not registered households: a revision leaves the registry's counts as they were.
    registry = ~is_late(cells["period"])
    applies["eligible_households"] = one_program & is_year & plain & registry
    applies["registered_households"] = ~one_program & is_year & plain & registry
    for measure in STATUS_COUNTS:
        applies[measure] = status_published
    if UNPUBLISHED in cells:
        unpublished = cells[UNPUBLISHED].to_numpy(dtype=bool)
        for name in DISBURSEMENT_COLUMNS:
            if name not in UNPUBLISHED_MEASURES:
                applies[name] = applies[name] & ~unpublished
    return pd.DataFrame(applies, index=cells.index)


# --- Complaints, proposals (usul/sanggah) and data quality: kecamatan and up --------------------------------

def feedback_grid(regions: pd.DataFrame, category_dim: str, categories: list[str], scope: Scope) -> pd.DataFrame:
    """The cells a feedback table publishes; ragged because counts are small.

    Kecamatan: all categories together, for the complete year. Kabupaten/kota: all categories by month and for
    the year, each category for the complete year. Provinces and the nation: every category by month. A cell
    without months beside it is published for the complete year only (Scope.small_area_codes): its year-to-date
    and the year would give the months between two releases.
    """
    year, every = scope.whole_year_codes, [ALL_CATEGORIES, *categories]
    once = scope.small_area_codes
    level = regions.set_index("code")["level"]
    blocks = []
    for codes, kinds, periods in (
        (level.index[level.isin(["nasional", "provinsi"])], every, [*scope.months, *year]),
        (level.index[level == "kabupaten"], [ALL_CATEGORIES], [*scope.months, *year]),
        (level.index[level == "kabupaten"], categories, once),
        (level.index[level == "kecamatan"], [ALL_CATEGORIES], once),
    ):
        blocks.append(pd.MultiIndex.from_product([codes, kinds, periods],
                                                 names=["region", category_dim, "period"]).to_frame(index=False))
    return pd.concat(blocks, ignore_index=True)


def feedback_table(name: str, cells: pd.DataFrame, regions: pd.DataFrame, scope: Scope, threshold: int,
                   category_dim: str, categories: list[str], total_measure: str, status_measures: list[str],
                   ) -> ProtectedTableInput:
    """Counts of submissions by region × category (with all) × period; statuses split the total."""
    dims = [region_dimension(regions), star_dimension(category_dim, ALL_CATEGORIES, categories),
            period_dimension(scope)]
    everywhere = {"region": SUM, category_dim: SUM, "period": SUM}
    measures = [MeasureSpec(total_measure, Role.SENSITIVE, everywhere)]
    measures += [MeasureSpec(s, Role.DETAIL, everywhere) for s in status_measures]
    grid = feedback_grid(regions, category_dim, categories, scope)
    frame = grid.merge(cells, how="left", on=["region", category_dim, "period"]).fillna(
        dict.fromkeys([total_measure, *status_measures], 0))
    table = table_from_frame(frame, dims, measures, (total_measure,))
    table.links = knowledge.feedback_links(table, total_measure, status_measures)
    return ProtectedTableInput(name, table, ProtectionRules(threshold), frame)


def quality_table(cells: pd.DataFrame, regions: pd.DataFrame, scope: Scope, threshold: int,
                  indicators: list[str]) -> ProtectedTableInput:
    """Data-quality counts by region × indicator for the complete year. Indicators overlap, so they have no total.

    The counts are distinct households over the year, with no month cells beside them, so they are published for
    the complete year only (Scope.small_area_codes): a year-to-date and the year would give the households first
    flagged between two releases, which no cell protects. Before December the table has no cell."""
    periods = scope.small_area_codes
    dims = [region_dimension(regions), Dimension("indicator", indicators), Dimension("period", periods)]
    measures = [MeasureSpec("households", Role.SENSITIVE, {"region": SUM})]
    grid = pd.MultiIndex.from_product([regions["code"], indicators, periods],
                                      names=["region", "indicator", "period"]).to_frame(index=False)
    frame = grid.merge(cells, how="left", on=["region", "indicator", "period"]).fillna({"households": 0})
    table = table_from_frame(frame, dims, measures, ("households",))
    if UNPUBLISHED in frame:
        # A breakdown withheld at a level (anonymize.build.withhold_finest_level), as a reader reads it back.
        table.unwritten = ~published_rows(frame)
    table.links = knowledge.year_to_date_links(table)
    return ProtectedTableInput("quality_cells", table, ProtectionRules(threshold), frame)
