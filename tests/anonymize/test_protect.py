"""Hand-built tables where hiding only the small cells leaks: protect() closes each leak, and the LP audit
catches each one when secondary suppression is switched off (the primary-only pattern)."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pytest

from anonymize import budget
from anonymize.aggregate import Scope
from anonymize.knowledge import program_rules
from anonymize.protect import ProtectionRules, audit_pattern, grand_total, known_zeros, protect
from anonymize.suppress import primary_suppression
from anonymize.table import Aggregation, CellTable, Dimension, Link, MeasureSpec, Role, table_from_frame
from anonymize.tables import (
    AMOUNT_UNIT,
    DISBURSEMENT_MEASURES,
    FIXED_MONTHLY_BENEFIT,
    amount_widths,
    complete_disbursement_cells,
    disbursement_table,
    period_dimension,
    region_dimension,
    star_dimension,
)

THRESHOLD = 10
SUM, BOUND = Aggregation.SUM, Aggregation.BOUND
#: Kabupaten K with kecamatan A (desa a1-a3) and B (desa b1, b2).
TREE = {"K": None, "A": "K", "B": "K", "a1": "A", "a2": "A", "a3": "A", "b1": "B", "b2": "B"}
FIRST_QUARTER = Scope(2025, 3, ("34",))


@dataclass
class Case:
    """A table, its rules, the cell an attacker recovers from the primary-only pattern, and which measure."""

    table: CellTable
    rules: ProtectionRules
    leaked_cell: int
    leaking_measure: str


def regions(tree: dict[str, str | None]) -> pd.DataFrame:
    return pd.DataFrame([{"code": code, "parent_code": parent} for code, parent in tree.items()])


def desa_in_kecamatan(desa: dict[str, int]) -> Case:
    """Recipient households per desa, summed up the tree; the first desa is the small one."""
    counts = dict(desa)
    for kecamatan in ("A", "B"):
        counts[kecamatan] = sum(v for code, v in desa.items() if TREE[code] == kecamatan)
    counts["K"] = counts["A"] + counts["B"]
    frame = pd.DataFrame({"region": list(counts), "recipients": list(counts.values())})
    measures = [MeasureSpec("recipients", Role.SENSITIVE, {"region": SUM})]
    table = table_from_frame(frame, [region_dimension(regions(TREE))], measures, ("recipients",))
    return Case(table, ProtectionRules(THRESHOLD), 0, "recipients")


def one_suppressed_desa() -> Case:
    """a1 = A - a2 - a3."""
    return desa_in_kecamatan({"a1": 3, "a2": 20, "a3": 25, "b1": 30, "b2": 40})


def two_suppressed_desa() -> Case:
    """a1 + a2 = A - a3 = 7: both hidden, yet each lies in [1, 6]."""
    return desa_in_kecamatan({"a1": 3, "a2": 4, "a3": 25, "b1": 30, "b2": 40})


def month_from_year() -> Case:
    """Complaints add up over months: January = year - February - March."""
    frame = pd.DataFrame({"region": "ID", "period": ["2025", "2025-01", "2025-02", "2025-03"],
                          "complaints": [48, 3, 20, 25]})
    dims = [region_dimension(regions({"ID": None})), period_dimension(FIRST_QUARTER)]
    measures = [MeasureSpec("complaints", Role.SENSITIVE, {"period": SUM})]
    return Case(table_from_frame(frame, dims, measures, ("complaints",)), ProtectionRules(THRESHOLD), 1,
                "complaints")


def program_from_all_programs() -> Case:
    """Households only bound SEMUA (they overlap), but payments add up: PKH payments = SEMUA - the others."""
    frame = pd.DataFrame({"region": "ID", "program": ["SEMUA", "PKH", "SEMBAKO", "BLT_DD"],
                          "recipients": [60, 4, 40, 30], "payments": [336, 16, 200, 120]})
    dims = [region_dimension(regions({"ID": None})), star_dimension("program", "SEMUA", ["PKH", "SEMBAKO", "BLT_DD"])]
    measures = [MeasureSpec("recipients", Role.SENSITIVE, {"program": BOUND}),
                MeasureSpec("payments", Role.POPULATION, {"program": SUM})]
    return Case(table_from_frame(frame, dims, measures, ("recipients",)), ProtectionRules(THRESHOLD), 1, "payments")


def sembako_months(recipients: list[int], rupiah: list[int]) -> tuple[CellTable, ProtectionRules]:
    """Sembako (Rp200k a month to every household) by month: the amount rules are the ones tables.py uses."""
    frame = pd.DataFrame({"program": "SEMBAKO", "period": ["2025", "2025-01", "2025-02", "2025-03"],
                          "recipients": recipients, "amount": rupiah})
    dims = [Dimension("program", ["SEMBAKO"]), period_dimension(FIRST_QUARTER)]
    measures = [MeasureSpec("recipients", Role.SENSITIVE, {"period": BOUND}),
                MeasureSpec("amount", Role.AMOUNT, {"period": SUM})]
    table = table_from_frame(frame.assign(amount=frame["amount"] / AMOUNT_UNIT), dims, measures, ("recipients",))
    fixed = frame["program"].isin(list(FIXED_MONTHLY_BENEFIT)).to_numpy()
    return table, ProtectionRules(THRESHOLD, {"amount": amount_widths(frame, THRESHOLD, 2025)}, {"amount": fixed})


def count_from_rupiah() -> Case:
    """January's 3 households are hidden and the distinct-household bound keeps them wide, but Rupiah add up:
    January = year - February - March = Rp600k, i.e. 3 households at Rp200k."""
    table, rules = sembako_months([50, 3, 30, 35], [13_600_000, 600_000, 6_000_000, 7_000_000])
    return Case(table, rules, 1, "amount")


CASES = {
    "one suppressed desa in a kecamatan": one_suppressed_desa,
    "two suppressed desa that make up the rest of their kecamatan": two_suppressed_desa,
    "a month recovered from the year": month_from_year,
    "a program recovered from SEMUA": program_from_all_programs,
    "a household count recovered from Sembako Rupiah": count_from_rupiah,
}


def narrow(case: Case, suppressed: np.ndarray) -> dict[str, list[int]]:
    """Cells whose interval the attack leaves too narrow, per measure."""
    audit = audit_pattern(case.table, suppressed, case.rules, exact_all=True)
    return {case.table.measures[m].name: sorted(cells.tolist()) for m, cells in audit.failing()}


@pytest.mark.parametrize("make_case", CASES.values(), ids=CASES.keys())
def test_the_audit_catches_the_leak_of_hiding_only_small_cells(make_case):
    case = make_case()
    primary = primary_suppression(case.table, THRESHOLD)
    assert primary[case.leaked_cell], "the case is built around one small cell"
    assert case.leaked_cell in narrow(case, primary).get(case.leaking_measure, [])


@pytest.mark.parametrize("make_case", CASES.values(), ids=CASES.keys())
def test_protect_closes_the_leak(make_case):
    case = make_case()
    protection = protect(case.table, case.rules)
    assert protection.audit.passed
    assert protection.suppressed[case.leaked_cell]
    assert protection.secondary.any(), "a partner must be hidden beside the small cell"
    assert not protection.suppressed[grand_total(case.table)].any()
    # An attacker without the true values, solving every interval exactly, agrees.
    assert narrow(case, protection.suppressed) == {}


def test_protection_stops_at_its_deadline_and_only_there():
    """The budget (anonymize.budget) ends a protection that runs past its deadline, with BudgetExceeded, not with
    a pattern; a deadline still ahead changes nothing (the same pattern as without one)."""
    case = two_suppressed_desa()
    with budget.deadline(time.time() - 1.0), pytest.raises(budget.BudgetExceeded):
        protect(case.table, case.rules)
    with budget.deadline(time.time() + 3600.0):
        ahead = protect(case.table, case.rules)
    unbudgeted = protect(case.table, case.rules)
    assert ahead.audit.passed and np.array_equal(ahead.suppressed, unbudgeted.suppressed)
    budget.check()      # the deadline ended with its block


def attacked_interval(case: Case, suppressed: np.ndarray) -> tuple[float, float]:
    measure = case.table.measure_index(case.leaking_measure)
    audit = audit_pattern(case.table, suppressed, case.rules, exact_all=True).measures[measure]
    var = int(np.flatnonzero(audit.system.var_cell == case.leaked_cell)[0])
    return audit.intervals.lower[var], audit.intervals.upper[var]


@pytest.mark.parametrize(("make_case", "true_value"), [
    (one_suppressed_desa, 3), (month_from_year, 3), (program_from_all_programs, 16), (count_from_rupiah, 600)])
def test_a_lone_hidden_cell_is_recovered_exactly(make_case, true_value):
    case = make_case()
    primary = primary_suppression(case.table, THRESHOLD)
    assert attacked_interval(case, primary) == pytest.approx((true_value, true_value))


def test_two_small_desa_hidden_together_are_still_narrowed_below_the_threshold():
    case = two_suppressed_desa()
    lower, upper = attacked_interval(case, primary_suppression(case.table, THRESHOLD))
    assert (lower, upper) == pytest.approx((1, 6))
    assert upper - lower < THRESHOLD - 1


def test_a_sembako_amount_must_stay_nine_households_of_benefit_wide():
    """January and February hidden together: January's Rupiah lie in [0, Rp3.0M], 15 months of Sembako but
    less than 9 households x Rp600k (the largest monthly payment), so the audit still refuses."""
    table, rules = sembako_months([50, 3, 12, 35], [9_600_000, 600_000, 2_400_000, 6_600_000])
    hidden = np.array([False, True, True, False])
    case = Case(table, rules, 1, "amount")
    assert attacked_interval(case, hidden) == pytest.approx((0, 3_000))
    assert narrow(case, hidden) == {"amount": [1, 2]}
    # Under rules that only forbid pinning the amount, the same pattern would pass.
    assert audit_pattern(table, hidden, ProtectionRules(THRESHOLD)).passed


@pytest.mark.parametrize(("program", "period", "width_rupiah"), [
    ("SEMBAKO", "2025", 9 * 12 * 200_000),     # a year: at most 12 months of Rp200k per household
    ("SEMBAKO", "2025-03", 9 * 600_000),       # a month: at most one payment, March's batch of three months
    ("SEMBAKO", "2025-06", 9 * 400_000),       # June's batch covers two months
    ("BLT_DD", "2025-11", 9 * 300_000),        # November: monthly payers only (quarters are paid in their first month)
    ("BLT_DD", "2025-10", 9 * 900_000),        # October: a quarterly payer gets the quarter
    ("BLT_DD", "2025", 9 * 12 * 300_000),
    ("BLT_DD", "2025@10", 9 * 12 * 300_000),   # an earlier release's year-to-date is a whole-year cell
    ("PKH", "2025", 25_000),                   # benefits vary: it must only not be pinned
    ("SEMUA", "2025-03", 25_000),
])
def test_fixed_benefit_amounts_must_stay_threshold_minus_one_benefits_wide(program, period, width_rupiah):
    frame = pd.DataFrame({"program": [program], "period": [period]})
    assert amount_widths(frame, THRESHOLD, 2025)[0] * AMOUNT_UNIT == width_rupiah


def test_a_month_falls_back_to_the_programs_largest_payment_when_the_data_widened_it():
    """Real data paying more than the schedule: the month's own amount would ask too little width."""
    frame = pd.DataFrame({"program": ["BLT_DD"], "period": ["2025-11"]})
    widened = {**program_rules(2025)}
    widened["BLT_DD"] = replace(widened["BLT_DD"], largest_payment=1_200_000.0)
    assert amount_widths(frame, THRESHOLD, 2025, widened)[0] * AMOUNT_UNIT == 9 * 1_200_000


@pytest.mark.parametrize(("program", "period", "width_rupiah"), [
    # 2020: Sembako Rp150k for three months, then Rp200k; BLT Dana Desa Rp600k for three months, then Rp300k,
    # and a quarter's payment reached Rp1.8 million (settings.PROGRAM_YEARS).
    ("SEMBAKO", "2020", 9 * (3 * 150_000 + 9 * 200_000)),
    ("BLT_DD", "2020-04", 9 * 1_800_000),
    ("BLT_DD", "2020-06", 9 * 600_000),
    # 2019: BPNT Rp110k a month, batches of two or three months.
    ("SEMBAKO", "2019-03", 9 * 330_000),
])
def test_amount_widths_follow_the_years_own_rules(program, period, width_rupiah):
    frame = pd.DataFrame({"program": [program], "period": [period]})
    assert amount_widths(frame, THRESHOLD, int(period[:4]))[0] * AMOUNT_UNIT == width_rupiah


def blt_months(region: str, paid_months: set[int]) -> pd.DataFrame:
    """BLT Dana Desa month cells of one kecamatan: Rp300k to one household in each paid month, else empty."""
    return pd.DataFrame([{"region": region, "program": "BLT_DD", "period": f"2025-{m:02d}", "channel": "SEMUA",
                          "recipients": int(m in paid_months), "amount": 300_000 * (m in paid_months)}
                         for m in range(1, 13)])


def test_a_year_paid_in_few_months_asks_the_width_of_those_months():
    """Empty month cells are always published: a reader knows a kecamatan's BLT Dana Desa year holds only its
    paid months, so one household gets at most those months' largest payments (Rp300k in February, Rp900k in
    April, a quarter's first month) and the year's Rupiah need only 9 such sums of width, not 9 x Rp3.6 million
    (which a year of two paid months can never reach: the national table stalled on it). Its desa take the
    kecamatan's months; a kecamatan paid every month keeps the year's total."""
    frame = pd.concat([
        blt_months("93.03.09", {2, 4}), blt_months("93.03.10", set(range(1, 13))),
        pd.DataFrame({"region": ["93.03.09", "93.03.09.2004", "93.03.10", "93.03.10.2001"], "program": "BLT_DD",
                      "period": "2025", "channel": "SEMUA", "recipients": [1, 1, 30, 30],
                      "amount": [600_000, 600_000, 108_000_000, 108_000_000]}),
    ], ignore_index=True)
    widths = amount_widths(frame, THRESHOLD, 2025) * AMOUNT_UNIT
    year = (frame["period"] == "2025").to_numpy()
    assert widths[year].tolist() == [9 * 1_200_000, 9 * 1_200_000, 9 * 3_600_000, 9 * 3_600_000]
    # Months keep their own payment's width.
    assert widths[(frame["region"] == "93.03.09").to_numpy() & (frame["period"] == "2025-02").to_numpy()] == \
        9 * 300_000


def test_an_earlier_year_to_date_asks_the_width_its_own_release_asked():
    """June's release protected the year through June with the months through June (one household: at most
    Rp900k + 300k + 300k + 900k + 300k + 300k); in July that cell is `2025@06` and was asked the width of every month
    present, July's too (capped at the year's Rp3.6M): Kulon Progo's July release was refused for it, since no
    pattern can widen a cell June already published around."""
    months = blt_months("34.01.03", set(range(1, 8)))[lambda f: f["period"] <= "2025-07"]
    year_cells = pd.DataFrame({"region": ["34.01.03", "34.01.03", "34.01.03.2001"], "program": "BLT_DD",
                               "period": ["2025", "2025@06", "2025@06"], "channel": "SEMUA",
                               "recipients": [7, 6, 6], "amount": [2_100_000, 1_800_000, 1_800_000]})
    frame = pd.concat([months, year_cells], ignore_index=True)
    widths = amount_widths(frame, THRESHOLD, 2025) * AMOUNT_UNIT
    by_period = dict(zip(frame["period"] + "/" + frame["region"], widths, strict=True))
    june = 900_000 + 300_000 + 300_000 + 900_000 + 300_000 + 300_000
    assert by_period["2025@06/34.01.03"] == by_period["2025@06/34.01.03.2001"] == 9 * june
    assert by_period["2025/34.01.03"] == 9 * 3_600_000             # through July: Rp3.9M of months, capped
    # June's own release (months through June) asked the same of its year
    june_release = pd.concat([months[months["period"] <= "2025-06"], year_cells.iloc[:1]], ignore_index=True)
    assert amount_widths(june_release, THRESHOLD, 2025)[-1] * AMOUNT_UNIT == 9 * june


def test_a_value_a_published_link_forces_to_zero_is_known_zero():
    """Kecamatan A paid nothing in any month (its month cells are published zeros), so a reader knows its
    year's paid payments and recipients are 0, hence its eligible paid (at most the recipients; not published by
    month): pinning it hidden reveals nothing. Kabupaten K's total does not show it (B's is not 0), only the link
    does; without the links it is not known zero (national table: such values stayed "too narrow" round after
    round, since no partner can widen a zero that published figures force)."""
    tree = {"K": None, "A": "K", "B": "K"}
    rows = [("K", "2025", 25, 20, 20), ("A", "2025", 0, 0, 0), ("B", "2025", 25, 20, 20)]
    # Eligible paid is not published by month (as in the product's table).
    rows += [(r, f"2025-{m:02d}", p, h, np.nan) for r, p, h in (("K", 10, 8), ("A", 0, 0), ("B", 10, 8))
             for m in range(1, 3)]
    rows += [(r, "2025-03", p, h, np.nan) for r, p, h in (("K", 5, 5), ("A", 0, 0), ("B", 5, 5))]
    frame = pd.DataFrame(rows, columns=["region", "period", "paid_payments", "recipients", "eligible_paid"])
    dims = [region_dimension(regions(tree)), period_dimension(FIRST_QUARTER)]
    measures = [MeasureSpec("paid_payments", Role.POPULATION, {"region": SUM, "period": SUM}),
                MeasureSpec("recipients", Role.SENSITIVE, {"region": SUM, "period": BOUND}),
                # A household count at most the recipients, by year only (the product's eligible paid until it was
                # withdrawn: README, "Eligible households paid: not published").
                MeasureSpec("eligible_paid", Role.SENSITIVE, {"region": SUM})]
    table = table_from_frame(frame, dims, measures, ("recipients",))
    cells = np.arange(table.n_cells)[:, None].repeat(2, axis=1)
    at_most = {"lower": np.full(table.n_cells, -np.inf), "upper": np.zeros(table.n_cells),
               "coefs": np.tile([1.0, -1.0], (table.n_cells, 1)), "cells": cells}
    table.links = [Link("recipients at most paid payments", (1, 0), **at_most),
                   Link("eligible paid at most recipients", (2, 1), **at_most)]
    region = np.array(table.dimensions[0].codes)[table.coords[:, 0]]
    period = np.array(table.dimensions[1].codes)[table.coords[:, 1]]
    hidden = np.isin(region, ["A", "B"]) & (period == "2025")
    a_year = int(np.flatnonzero((region == "A") & (period == "2025"))[0])
    assert known_zeros(table, hidden)[a_year].tolist() == [True, True, True]
    table.links = []
    assert known_zeros(table, hidden)[a_year].tolist() == [True, True, False]


def test_a_measure_its_parts_do_not_publish_is_not_known_zero_from_them():
    """Failed payments are published for kecamatan A but not for its desa (NaN): the desa say nothing of A's,
    as in the attack, which drops the relation. A's hidden 0 is not known zero (counting the desa's NaN as
    zeros made it so, and a hidden zero pinned by the attack passed)."""
    tree = {"K": None, "A": "K", "B": "K", "a1": "A", "a2": "A", "b1": "B"}
    frame = pd.DataFrame({"region": list(tree), "failed_payments": [3, 0, 3, np.nan, np.nan, np.nan]})
    measures = [MeasureSpec("failed_payments", Role.POPULATION, {"region": SUM})]
    table = table_from_frame(frame, [region_dimension(regions(tree))], measures, ())
    codes = np.array(table.dimensions[0].codes)[table.coords[:, 0]]
    hidden = np.isin(codes, ["A", "B"])
    assert not known_zeros(table, hidden)[codes == "A", 0].any()
    # Published as 0, it is.
    assert known_zeros(table, codes == "B")[codes == "A", 0].all()


def test_each_years_attack_uses_that_years_program_rules():
    """A reader of 2019's figures knows 2019's Sembako batches (Rp220k-330k), far narrower than today's
    (Rp400k-600k): the attack must hold the year's range, or a narrowing by it goes unseen. 2020's BLT Dana Desa
    quarter (Rp1.8 million) lies outside today's rules: the year's rules must hold it without the data."""
    assert (program_rules(2019)["SEMBAKO"].smallest_payment, program_rules(2019)["SEMBAKO"].largest_payment) == \
        (220_000, 330_000)
    assert program_rules(2019)["BLT_DD"].payments_per_household_year == 0
    assert program_rules(2020)["BLT_DD"].largest_payment == 1_800_000
    assert program_rules(2020)["PKH"].payments_per_household_year == 10     # tahap 1, then monthly April-December
    assert program_rules(2024) == program_rules()


def test_the_rupiah_a_household_can_get_follow_the_schedule():
    """What one household can get from January through a month: BLT Dana Desa Rp300k a month or a quarter's
    Rp900k in its first month (by March, Rp900k either way; the year, Rp3.6 million), Sembako its batches
    (Rp400k in January, Rp600k in March; the year, Rp2.4 million), PKH its four tahap at the largest (Rp12
    million), all programs their sum. A reader divides a desa's year Rupiah by these."""
    rules = program_rules(2025)
    blt, sembako, pkh = (rules[p].largest_per_household_through for p in ("BLT_DD", "SEMBAKO", "PKH"))
    assert (blt[2], blt[3], blt[11]) == (900_000, 1_800_000, 3_600_000)
    assert (sembako[0], sembako[2], sembako[11]) == (400_000, 1_000_000, 2_400_000)
    assert pkh[11] == 12_000_000 and pkh[0] == 3_000_000
    assert rules["SEMUA"].largest_per_household_through[11] == 18_000_000
    assert program_rules(2019)["BLT_DD"].largest_per_household_through[11] == 0


def test_the_attack_divides_a_desa_years_rupiah_by_what_a_household_can_get(release_db):
    """The release records the caps (the generator pays by the schedule, so nothing widens them), every
    published year cell of the CSV keeps them (pandas), and the table read back links each year cell's Rupiah
    to its households by them: an independent attacker pinned a hidden BLT Dana Desa count of the demo to
    [8, 9] with this relation while the attack, without it, passed the release."""
    from anonymize.published import read_release
    release = read_release(release_db)
    table_input = next(t for t, _ in release.tables if t.name == "disbursement_cells")
    assert table_input.program_rules is not None
    recorded = {p: r["largest_per_household_through"][-1] for p, r in table_input.program_rules.items()}
    assert recorded == {"PKH": 12_000_000, "SEMBAKO": 2_400_000, "BLT_DD": 3_600_000, "SEMUA": 18_000_000}
    folder = next((release_db.parent / "releases").iterdir())
    cells = pd.read_csv(folder / "csv" / "disbursement_cells.csv")
    # (A desa's all-programs Rupiah left blank beside a hidden program is no published value.)
    year = cells[~cells["suppressed"] & cells["period"].str.fullmatch(r"\d{4}-01/\d{4}-12")
                 & (cells["recipients"] > 0) & cells["amount"].notna()]
    assert len(year) > 100
    assert (year["amount"] <= year["program"].map(recorded) * year["recipients"]).all()
    link = next(link for link in table_input.table.links if link.name == "Rupiah per household, at most")
    frame = table_input.frame.reset_index(drop=True)
    blt_years = frame.index[(frame["program"] == "BLT_DD") & (frame["period"] == "2025")].to_numpy()
    coef = dict(zip(link.cells[:, 1].tolist(), link.coefs[:, 1].tolist(), strict=True))
    assert blt_years.size and all(coef[c] == -3_600 for c in blt_years)     # Rupiah in units of Rp1,000


def test_each_step_of_a_fixed_benefit_is_paid_once_per_household():
    """Sembako's year is three Rp400k and two Rp600k batches a household: through December its payments add at
    most Rp400k above Rp400k each (two Rp600k batches) and at most Rp600k below Rp600k (three Rp400k ones); by
    February only January's Rp400k batch. In a month its payments are that month's steps: March all Rp600k,
    BLT Dana Desa in February all Rp300k (Rp900k quarters start in January, April, July, October)."""
    rules = program_rules(2025)
    sembako, blt = rules["SEMBAKO"], rules["BLT_DD"]
    assert (sembako.above_smallest_through[11], sembako.below_largest_through[11]) == (400_000, 600_000)
    assert (sembako.above_smallest_through[1], sembako.below_largest_through[1]) == (0, 200_000)
    assert sembako.smallest_payment_in_month[2] == sembako.largest_payment_in_month[2] == 600_000
    assert (blt.smallest_payment_in_month[1], blt.largest_payment_in_month[1]) == (300_000, 300_000)
    assert blt.largest_payment_in_month[3] == 900_000
    assert not rules["PKH"].above_smallest_through and not rules["SEMUA"].smallest_payment_in_month


def test_the_attack_knows_each_sembako_batch_is_paid_once_per_household(release_db):
    """The release records the step sums and month ranges; the published Sembako year cells (pandas) keep them
    (Rupiah <= Rp400k x paid + Rp400k x households, >= Rp600k x paid - Rp600k x households), March's cells are
    Rp600k a payment, and the table read back carries both relations on the year cells."""
    from anonymize.published import read_release
    release = read_release(release_db)
    table_input = next(t for t, _ in release.tables if t.name == "disbursement_cells")
    assert table_input.program_rules is not None
    recorded = table_input.program_rules["SEMBAKO"]
    assert recorded["above_smallest_through"][-1] == 400_000 and recorded["below_largest_through"][-1] == 600_000
    folder = next((release_db.parent / "releases").iterdir())
    cells = pd.read_csv(folder / "csv" / "disbursement_cells.csv")
    sembako = cells[~cells["suppressed"] & (cells["program"] == "SEMBAKO") & (cells["recipients"] > 0)]
    year = sembako[sembako["period"].str.fullmatch(r"\d{4}-01/\d{4}-12")]
    assert len(year) > 50
    assert (year["amount"] <= 400_000 * year["paid_payments"] + 400_000 * year["recipients"]).all()
    assert (year["amount"] >= 600_000 * year["paid_payments"] - 600_000 * year["recipients"]).all()
    # Some cell sits right on a facet: the relation is not idle (households with all five batches).
    assert (year["amount"] == 400_000 * year["paid_payments"] + 400_000 * year["recipients"]).any()
    march = sembako[sembako["period"].str.fullmatch(r"\d{4}-03")]
    assert len(march) and (march["amount"] == 600_000 * march["paid_payments"]).all()
    names = {link.name: link for link in table_input.table.links}
    above = names["Rupiah per household above the smallest payment, at most"]
    frame = table_input.frame.reset_index(drop=True)
    sembako_years = set(frame.index[(frame["program"] == "SEMBAKO") & (frame["period"] == "2025")].tolist())
    rows = {c: coefs.tolist() for c, coefs in zip(above.cells[:, 0].tolist(), above.coefs, strict=True)}
    assert sembako_years and all(rows[c] == [1.0, -400.0, -400.0] for c in sembako_years)   # units of Rp1,000
    assert "Rupiah per household below the largest payment, at most" in names


@pytest.mark.parametrize(("year", "sembako", "blt_largest"), [
    (2019, (220_000, 330_000), 0.0), (2020, (300_000, 600_000), 1_800_000), (2024, (400_000, 600_000), 900_000)])
def test_a_years_disbursement_table_starts_from_that_years_rules(year, sembako, blt_largest):
    """The publisher's table (and so protect() and the rules the release records for the standalone audit)
    takes the year's rules as its base; with no payments, nothing widens them."""
    regions = pd.DataFrame({"code": ["ID", "34", "34.71"], "parent_code": [None, "ID", "34"],
                            "level": ["nasional", "provinsi", "kabupaten"]})
    empty = pd.DataFrame(columns=["region", "program", "period", "channel",
                                  *[m.name for m in DISBURSEMENT_MEASURES if m.role is not Role.AUXILIARY]])
    scope = Scope(year, 12, ("34",))
    recorded = disbursement_table(complete_disbursement_cells(empty, regions, scope), regions, scope,
                                  THRESHOLD).program_rules
    assert recorded is not None
    assert (recorded["SEMBAKO"]["smallest_payment"], recorded["SEMBAKO"]["largest_payment"]) == sembako
    assert recorded["BLT_DD"]["largest_payment"] == blt_largest


def part_close_to_the_grand_total() -> tuple[CellTable, ProtectionRules]:
    """BLT Dana Desa (9 households) is small; PKH (14) is within the threshold of SEMUA (20)."""
    frame = pd.DataFrame({"region": "ID", "program": ["SEMUA", "PKH", "BLT_DD"], "recipients": [20, 14, 9],
                          "payments": [23, 14, 9]})
    dims = [region_dimension(regions({"ID": None})), star_dimension("program", "SEMUA", ["PKH", "BLT_DD"])]
    measures = [MeasureSpec("recipients", Role.SENSITIVE, {"program": BOUND}),
                MeasureSpec("payments", Role.POPULATION, {"program": SUM})]
    return table_from_frame(frame, dims, measures, ("recipients",)), ProtectionRules(THRESHOLD)


def test_hiding_a_part_close_to_its_published_total_can_protect_a_small_sibling():
    table, rules = part_close_to_the_grand_total()
    assert not audit_pattern(table, np.array([False, False, True]), rules).passed   # BLT_DD payments = 23 - 14
    assert audit_pattern(table, np.array([False, True, True]), rules, exact_all=True).passed


def test_protect_finds_the_partner_close_to_the_grand_total():
    """A part within the threshold of the published total is still a partner (hidden with its sibling)."""
    table, rules = part_close_to_the_grand_total()
    assert protect(table, rules).audit.passed


def test_protect_says_when_even_the_largest_pattern_fails():
    """A grand total of 10 complaints over two small programs (7 and 3): hidden, each lies in [1, 9], so each is
    shown to be below the threshold whatever else is hidden. protect() hides every cell it may and reports that it
    is exhausted (publish then refuses, saying no pattern exists), rather than looping or passing."""
    frame = pd.DataFrame({"region": "ID", "program": ["SEMUA", "PKH", "BLT_DD"], "complaints": [10, 7, 3]})
    dims = [region_dimension(regions({"ID": None})), star_dimension("program", "SEMUA", ["PKH", "BLT_DD"])]
    measures = [MeasureSpec("complaints", Role.SENSITIVE, {"program": SUM})]
    table = table_from_frame(frame, dims, measures, ("complaints",))
    protection = protect(table, ProtectionRules(THRESHOLD))
    assert not protection.audit.passed
    assert protection.exhausted
    assert protection.suppressed.tolist() == [False, True, True]


def test_a_year_and_an_earlier_year_to_date_pin_the_single_month_between_them():
    """year = Jan + Feb + Mar and 2025@02 = Jan + Feb give year = 2025@02 + Mar (CellTable.difference_relations):
    with the year and the year-to-date known, March is determined though neither relation alone pins it. Where a
    region has no month cells (B), its year says nothing of its months, and no such relation is made for it."""
    from anonymize.protect import determined

    period = Dimension("period", ["2025", "2025-01", "2025-02", "2025-03", "2025@02"])
    period.add_family("year", {"2025-01": "2025", "2025-02": "2025", "2025-03": "2025"})
    period.add_family("year_to_02", {"2025-01": "2025@02", "2025-02": "2025@02"})
    tree = {"K": None, "A": "K", "B": "K"}
    months = {"2025-01": 4.0, "2025-02": 5.0, "2025-03": 6.0}
    rows = [{"region": region, "period": p, "complaints": v} for region in ("K", "A") for p, v in months.items()]
    rows += [{"region": region, "period": p, "complaints": v} for region in ("K", "A", "B")
             for p, v in (("2025", 15.0), ("2025@02", 9.0))]
    frame = pd.DataFrame(rows)
    measures = [MeasureSpec("complaints", Role.SENSITIVE, {"region": SUM, "period": SUM})]
    table = table_from_frame(frame, [region_dimension(regions(tree)), period], measures, ("complaints",))
    cell = {(table.dimensions[0].codes[r], table.dimensions[1].codes[p]): i for i, (r, p) in enumerate(table.coords)}

    derived = table.difference_relations()
    totals = {cell_key for relation in derived for cell_key, i in cell.items() if i in relation.total}
    assert totals == {("K", "2025"), ("A", "2025")}            # not B: it has no month cells
    for relation in derived:
        for k, total in enumerate(relation.total):
            parts = set(relation.parts[relation.ptr[k]:relation.ptr[k + 1]].tolist())
            region = table.dimensions[0].codes[table.coords[total, 0]]
            assert parts == {cell[(region, "2025@02")], cell[(region, "2025-03")]}

    known = np.zeros(table.n_cells, dtype=bool)
    for key in (("A", "2025"), ("A", "2025@02")):
        known[cell[key]] = True
    pinned = determined(table, known)
    assert pinned[cell[("A", "2025-03")]]                  # year - year-to-date; each relation alone has 3 unknowns
    assert not pinned[[cell[("A", "2025-01")], cell[("A", "2025-02")]]].any()
    only_b_year = np.zeros(table.n_cells, dtype=bool)
    only_b_year[cell[("B", "2025")]] = True
    assert not determined(table, only_b_year)[cell[("B", "2025@02")]]    # "B's year = B's 2025@02" would be false


def test_a_year_that_grew_by_nothing_since_a_year_to_date_known_zero_is_known_zero():
    """September continuing August (the late-records chain's September with desa schedules was refused for this):
    kabupaten K's pending payments through September equal those through August (its September, published, is
    0), each kecamatan's year is at least its year-to-date (a link readers hold), so the kecamatan's years
    grew by nothing: B's year equals B's year-to-date, published as 0, and the attack pins it at 0 though no
    published total of the year shows it. known_zeros() follows those differences; A's 5 stay unknown."""
    scope = Scope(2025, 9, ("34",), earlier=(8,))
    tree = {"K": None, "A": "K", "B": "K", "C": "K"}
    months = {"K": [3, 0, 0, 2, 0, 0, 0, 0, 0]}
    rows = [(r, f"2025-{m + 1:02d}", float(v)) for r, vs in months.items() for m, v in enumerate(vs)]
    # Kecamatan months do not publish pending payments (as in the product's table).
    rows += [(r, f"2025-{m:02d}", np.nan) for r in ("A", "B", "C") for m in range(1, 10)]
    rows += [(r, code, float(v)) for code in ("2025", "2025@08") for r, v in (("K", 5), ("A", 5), ("B", 0), ("C", 0))]
    frame = pd.DataFrame(rows, columns=["region", "period", "pending_payments"])
    dims = [region_dimension(regions(tree)), period_dimension(scope)]
    measures = [MeasureSpec("pending_payments", Role.DETAIL, {"region": SUM, "period": SUM})]
    table = table_from_frame(frame, dims, measures, ())
    region = np.array(table.dimensions[0].codes)[table.coords[:, 0]]
    period = np.array(table.dimensions[1].codes)[table.coords[:, 1]]

    def cell(r: str, p: str) -> int:
        return int(np.flatnonzero((region == r) & (period == p))[0])

    pairs = np.array([[cell(r, "2025"), cell(r, "2025@08")] for r in tree])
    table.links = [Link("pending payments of 2025 at least those of 2025@08", (0, 0), pairs,
                        np.tile([1.0, -1.0], (len(pairs), 1)), np.zeros(len(pairs)), np.full(len(pairs), np.inf))]
    hidden = np.zeros(table.n_cells, dtype=bool)
    hidden[[cell(r, p) for r in ("K", "A", "B") for p in ("2025", "2025@08")]] = True
    hidden[[cell("K", "2025-01"), cell("K", "2025-04")]] = True
    b_year, b_earlier, a_year = cell("B", "2025"), cell("B", "2025@08"), cell("A", "2025")
    hidden[b_earlier] = False      # published as 0
    zero = known_zeros(table, hidden)
    assert zero[b_year, 0] and not zero[a_year, 0]
    audit = audit_pattern(table, hidden, ProtectionRules(THRESHOLD), truth_anchor=True)
    at = np.flatnonzero(audit.system.var_cell == b_year)[0]
    assert audit.intervals.upper[at] <= 1e-6         # the attack pins it, and it passes as a zero readers hold
    assert audit.intervals.ok[at]
    # Without the link (a year not known to be at least its year-to-date) nothing follows.
    table.links = []
    assert not known_zeros(table, hidden)[b_year, 0]


def desa_programs() -> tuple[CellTable, ProtectionRules, dict[tuple[str, str], int]]:
    """Kecamatan A's desa a1-a3 by program: a1 pays PKH to 5 households (small) and Sembako to 40 of its 42.
    Households add up over desa and are bounded over programs; payments add up over both. Returns the table, its
    rules and each (region, program)'s cell."""
    tree = {"A": None, "a1": "A", "a2": "A", "a3": "A"}
    desa = {"a1": (42, 5, 40), "a2": (60, 20, 46), "a3": (70, 25, 50)}    # SEMUA, PKH, SEMBAKO households
    rows = []
    for code, (everyone, pkh, sembako) in desa.items():
        rows += [(code, "SEMUA", everyone, pkh + sembako), (code, "PKH", pkh, pkh), (code, "SEMBAKO", sembako, sembako)]
    desa_rows = pd.DataFrame(rows, columns=["region", "program", "recipients", "payments"])
    # Both measures add up over desa, so the kecamatan's cells are the desa cells' sums.
    kecamatan = desa_rows.groupby("program", sort=False)[["recipients", "payments"]].sum().reset_index()
    frame = pd.concat([desa_rows, kecamatan.assign(region="A")], ignore_index=True)
    dims = [region_dimension(regions(tree)), star_dimension("program", "SEMUA", ["PKH", "SEMBAKO"])]
    measures = [MeasureSpec("recipients", Role.SENSITIVE, {"region": SUM, "program": BOUND}),
                MeasureSpec("payments", Role.POPULATION, {"region": SUM, "program": SUM})]
    table = table_from_frame(frame, dims, measures, ("recipients",))
    cell = {(r, p): i for i, (r, p) in enumerate(zip(frame["region"], frame["program"], strict=True))}
    return table, ProtectionRules(THRESHOLD), cell
