"""protect() on random small tables made from random households: its guarantees, whatever the table."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from unittest.mock import patch

import numpy as np
import pandas as pd
from hypothesis import event, given, settings
from hypothesis import strategies as st

from anonymize import attack
from anonymize.aggregate import Scope
from anonymize.protect import (
    Protection,
    ProtectionRules,
    audit_pattern,
    determined,
    grand_total,
    protect,
    reuse_audit,
)
from anonymize.suppress import primary_suppression
from anonymize.table import Aggregation, CellTable, MeasureSpec, Role, table_from_frame
from anonymize.tables import (
    AMOUNT_UNIT,
    FIXED_MONTHLY_BENEFIT,
    amount_widths,
    period_dimension,
    region_dimension,
    star_dimension,
)
from settings import BLT_DD_MONTHLY, SEMBAKO_MONTHLY

THRESHOLD = 10
SUM, BOUND = Aggregation.SUM, Aggregation.BOUND
MEASURES = [
    MeasureSpec("recipients", Role.SENSITIVE, {"region": SUM, "program": BOUND, "period": BOUND}),
    MeasureSpec("payments", Role.POPULATION, {"region": SUM, "program": SUM, "period": SUM}),
    MeasureSpec("amount", Role.AMOUNT, {"region": SUM, "program": SUM, "period": SUM}),
]
_random = settings(max_examples=30, deadline=None, database=None)


@dataclass
class Households:
    """Payments of random households in a random region tree, and the cell table they add up to."""

    tree: dict[str, str | None]
    programs: list[str]
    scope: Scope
    payments: pd.DataFrame   # desa, household, program, period, amount (Rupiah)

    def cells(self) -> pd.DataFrame:
        """Every region × program (and SEMUA) × month (and year): distinct households, payments, Rupiah."""
        desa = [code for code in self.tree if code.count(".") == 2]
        lineage = pd.DataFrame([(d, region) for d in desa for region in self.ancestors(d)], columns=["desa", "region"])
        paid = self.payments.merge(lineage, on="desa")
        levels = []
        for program, period in itertools.product((None, "SEMUA"), (None, self.scope.year_code)):
            rows = paid.assign(**{k: v for k, v in (("program", program), ("period", period)) if v is not None})
            levels.append(rows.groupby(["region", "program", "period"]).agg(
                recipients=("household", "nunique"), payments=("household", "size"), amount=("amount", "sum")))
        grid = pd.MultiIndex.from_product([list(self.tree), ["SEMUA", *self.programs],
                                           [self.scope.year_code, *self.scope.months]],
                                          names=["region", "program", "period"])
        return pd.concat(levels).reindex(grid, fill_value=0).reset_index()

    def ancestors(self, code: str) -> list[str]:
        chain = [code]
        while self.tree[chain[-1]] is not None:
            chain.append(self.tree[chain[-1]])
        return chain

    def table(self, measures: list[MeasureSpec] = MEASURES) -> tuple[CellTable, ProtectionRules]:
        frame = self.cells()
        regions = pd.DataFrame([{"code": c, "parent_code": p} for c, p in self.tree.items()])
        dims = [region_dimension(regions), star_dimension("program", "SEMUA", self.programs),
                period_dimension(self.scope)]
        names = [m.name for m in measures]
        scaled = frame.assign(amount=frame["amount"] / AMOUNT_UNIT)[["region", "program", "period", *names]]
        table = table_from_frame(scaled, dims, measures, ("recipients",))
        fixed = frame["program"].isin(list(FIXED_MONTHLY_BENEFIT)).to_numpy()
        return table, ProtectionRules(THRESHOLD, {"amount": amount_widths(frame, THRESHOLD, 2025)}, {"amount": fixed})


ANY_PROGRAMS = st.lists(st.sampled_from(["PKH", "SEMBAKO", "BLT_DD"]), min_size=1, max_size=3, unique=True)
A_FEW_MONTHS = st.integers(1, 3)


@st.composite
def households(draw: st.DrawFn, programs: st.SearchStrategy[list[str]] = ANY_PROGRAMS,
               months: st.SearchStrategy[int] = A_FEW_MONTHS) -> Households:
    """A kabupaten of 1-3 kecamatan of 1-3 desa; each household paid by each program in some months (PKH a random
    benefit, Sembako and BLT Dana Desa their fixed monthly amount)."""
    tree: dict[str, str | None] = {"K": None}
    desa = []
    for k in range(draw(st.integers(1, 3))):
        tree[f"K.{k}"] = "K"
        for d in range(draw(st.integers(1, 3))):
            tree[f"K.{k}.{d}"] = f"K.{k}"
            desa.append(f"K.{k}.{d}")
    chosen = draw(programs)
    scope = Scope(2025, draw(months), ("K",))
    # The first desa is large, so that most tables have something to publish; the others are empty, small or not.
    sizes = [draw(st.integers(2 * THRESHOLD, 60))]
    sizes += [draw(st.one_of(st.just(0), st.integers(1, THRESHOLD - 1), st.integers(THRESHOLD, 40))) for _ in desa[1:]]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    fixed = {"SEMBAKO": SEMBAKO_MONTHLY, "BLT_DD": BLT_DD_MONTHLY}
    rows, household = [], 0
    for code, size in zip(desa, sizes, strict=True):
        for _ in range(size):
            household += 1
            pkh = int(rng.integers(9, 121)) * 25_000
            for program in chosen:
                if rng.random() < 0.6:
                    rows += [(code, household, program, month, fixed.get(program, pkh))
                             for month in scope.months if rng.random() < 0.5]
    payments = pd.DataFrame(rows, columns=["desa", "household", "program", "period", "amount"])
    return Households(tree, chosen, scope, payments)


def _publishable(table: CellTable) -> bool:
    """Whether anything can be published: a grand total below the threshold is refused (covered by
    test_a_grand_total_below_the_threshold_is_refused)."""
    return table.column("recipients")[grand_total(table)][0] >= THRESHOLD


def check_guarantees(table: CellTable, rules: ProtectionRules, protection: Protection) -> None:
    empty = table.size() == 0
    assert not (protection.primary & empty).any(), "zero is published, never hidden as small"
    assert not (protection.suppressed & empty).any(), "an empty cell is never hidden, not even as a partner"
    assert (protection.suppressed >= protection.primary).all(), "every small cell is hidden"
    assert not protection.suppressed[grand_total(table)].any()
    if protection.audit.passed:
        # What protect() accepted with the true values in hand, an attacker without them cannot narrow either.
        assert audit_pattern(table, protection.suppressed, rules, exact_all=True).passed


@_random
@given(households())
def test_zeros_are_never_hidden_as_small_cells(data):
    table, _ = data.table()
    counts = table.column("recipients")
    primary = primary_suppression(table, THRESHOLD)
    assert not primary[counts == 0].any()
    assert primary[(counts >= 1) & (counts < THRESHOLD)].all()


@_random
@given(households())
def test_a_pattern_protect_accepts_hides_every_small_cell_and_survives_the_attack(data):
    table, rules = data.table()
    if not _publishable(table):
        return
    protection = protect(table, rules)
    event("protect found a pattern" if protection.audit.passed else "protect refused")
    check_guarantees(table, rules, protection)


def _has_room(data: Households) -> bool:
    """The grand total is at least twice the threshold, and each of its own parts (a program's year, a month of
    all programs) is either all of it or at least the threshold below it."""
    cells = data.cells()
    root = cells[cells["region"] == "K"].set_index(["program", "period"])["recipients"]
    total = root[("SEMUA", data.scope.year_code)]
    parts = root[(root.index.get_level_values("program") == "SEMUA")
                 ^ (root.index.get_level_values("period") == data.scope.year_code)]
    return total >= 2 * THRESHOLD and bool(((parts == total) | (total - parts >= THRESHOLD)).all())


@_random
@given(households(programs=ANY_PROGRAMS.filter(lambda chosen: len(chosen) >= 2), months=st.integers(2, 3))
       .filter(_has_room))
def test_protect_finds_a_pattern_for_household_counts_when_the_grand_total_has_room(data):
    """Household and payment counts only: fixed-benefit Rupiah need nine households' benefit of room, which a
    table this small rarely has (protect() then refuses, as the guarantee test allows)."""
    table, rules = data.table(MEASURES[:2])
    protection = protect(table, rules)
    assert protection.audit.passed, protection.audit.failing()
    check_guarantees(table, rules, protection)


def test_a_grand_total_below_the_threshold_is_refused():
    data = Households({"K": None, "K.0": "K", "K.0.0": "K.0"}, ["PKH"], Scope(2025, 1, ("K",)),
                      pd.DataFrame({"desa": "K.0.0", "household": [1, 2, 3], "program": "PKH",
                                    "period": "2025-01", "amount": 750_000}))
    table, rules = data.table()
    try:
        protect(table, rules)
    except ValueError as error:
        assert "below the threshold" in str(error)  # noqa: PT017 (the else clause fails when nothing is raised)
    else:
        raise AssertionError("protect() must refuse a table whose grand total is small")


@_random
@given(households())
def test_attacking_components_piece_by_piece_never_reports_a_wider_interval_than_the_exact_attack(data):
    """With every component treated as large and every piece solved on its own, pieces (kecamatan subtrees, the
    rest held at a feasible point) give inner bounds: never wider than the exact interval, so a value they pass
    is wide enough; their relaxations give lower bounds never above the exact one."""
    table, rules = data.table()
    if not _publishable(table):
        return
    suppressed = protect(table, rules, max_rounds=2).suppressed
    exact = audit_pattern(table, suppressed, rules, exact_all=True)
    # WHOLE_UP_TO 0: values in doubt after the pieces go through the neighbourhoods and random objectives over
    # the whole component, then the few left are solved exactly there (WHOLE_EXACT_UP_TO) or presumed too narrow.
    configs = ((attack.WHOLE_UP_TO, attack.WHOLE_EXACT_UP_TO), (0, attack.WHOLE_EXACT_UP_TO), (0, 0))
    for (whole_up_to, exact_up_to), truth_anchor in itertools.product(configs, (True, False)):
        with patch.object(attack, "LOCAL_ABOVE", 0), patch.object(attack, "BATCH_VARS", 1), \
                patch.object(attack, "WHOLE_UP_TO", whole_up_to), \
                patch.object(attack, "WHOLE_EXACT_UP_TO", exact_up_to):
            pieces = audit_pattern(table, suppressed, rules, truth_anchor=truth_anchor)
        assert pieces.intervals.presumed is not None
        assert not (pieces.intervals.ok & pieces.intervals.presumed).any()
        # A value solved exactly is decided, never presumed.
        assert not (pieces.intervals.exact & pieces.intervals.presumed).any()
        event(f"presumed: {bool(pieces.intervals.presumed.any())}, exact cap {exact_up_to}")
        for whole, piecewise in zip(exact.measures, pieces.measures, strict=True):
            assert (piecewise.intervals.lower >= whole.intervals.lower - 1e-6).all()
            assert (piecewise.intervals.upper <= whole.intervals.upper + 1e-6).all()
            assert (whole.intervals.ok >= piecewise.intervals.ok).all()
            # What the attack marks exact is the exact interval.
            marked = piecewise.intervals.exact
            assert np.allclose(piecewise.intervals.lower[marked], whole.intervals.lower[marked], atol=1e-6)
            assert np.allclose(piecewise.intervals.upper[marked], whole.intervals.upper[marked], atol=1e-6)
            # Outer bounds (relaxations of a piece) never claim more than the exact attack shows.
            assert (piecewise.intervals.proven <= whole.intervals.lower + 1e-6).all()


@_random
@given(households())
def test_screening_relaxations_with_random_objectives_changes_no_verdict(data):
    """Outer bounds skip a value that a relaxation's random points already show wide enough (and below its large
    floor): the exact bounds could only be wider. Every verdict, range and presumption must be what the attack
    gives without the screening; only the number of LP solves may differ."""
    table, rules = data.table()
    if not _publishable(table):
        return
    # Small cells alone (many values too narrow) and a first round's partners (some in doubt); components solved
    # whole after their pieces, and (WHOLE_UP_TO 30: kecamatan pieces fit, components do not) values in doubt
    # presumed too narrow.
    patterns = (primary_suppression(table, THRESHOLD), protect(table, rules, max_rounds=1).suppressed)
    for suppressed, whole_up_to in itertools.product(patterns, (attack.WHOLE_UP_TO, 30)):
        runs = []
        for screen_from in (1, 10**9):
            with patch.object(attack, "LOCAL_ABOVE", 0), patch.object(attack, "BATCH_VARS", 1), \
                    patch.object(attack, "WHOLE_UP_TO", whole_up_to), patch.object(attack, "WHOLE_EXACT_UP_TO", 0), \
                    patch.object(attack, "SCREEN_FROM", screen_from):
                runs.append(audit_pattern(table, suppressed, rules, truth_anchor=True))
        screened, unscreened = runs
        event(f"presumed: {bool(screened.intervals.presumed.any())}")
        for name in ("lower", "upper", "exact", "ok", "presumed", "lifted"):
            np.testing.assert_array_equal(getattr(screened.intervals, name), getattr(unscreened.intervals, name),
                                          err_msg=name)
        # Binding rows are not compared: at a degenerate optimum they depend on the basis a solve starts from.


@_random
@given(households())
def test_the_audit_protect_carries_from_round_to_round_matches_a_fresh_audit(data):
    """protect() re-attacks only the components its new partners join; the verdict must be the one a fresh
    attack on the final pattern gives."""
    table, rules = data.table()
    if not _publishable(table):
        return
    protection = protect(table, rules)
    event(f"rounds: {min(protection.rounds, 3)}{'+' if protection.rounds > 3 else ''}")
    fresh = audit_pattern(table, protection.suppressed, rules, truth_anchor=True)
    exact = audit_pattern(table, protection.suppressed, rules, exact_all=True)
    for carried, anew, whole in zip(protection.audit.measures, fresh.measures, exact.measures, strict=True):
        assert (carried.system.var_cell == anew.system.var_cell).all()
        assert (carried.intervals.ok == anew.intervals.ok).all()
        # The ranges carried from earlier rounds' systems are still inner bounds of the final one.
        assert (carried.intervals.lower >= whole.intervals.lower - 1e-6).all()
        assert (carried.intervals.upper <= whole.intervals.upper + 1e-6).all()


@_random
@given(households())
def test_the_attack_gives_the_same_intervals_on_two_threads(data):
    """Components solved at once on two threads (each with its own random generator) give exactly what one
    thread gives."""
    table, rules = data.table()
    if not _publishable(table):
        return
    suppressed = protect(table, rules, max_rounds=2).suppressed
    with patch.object(attack, "LOCAL_ABOVE", 2), patch.object(attack, "BATCH_VARS", 1):
        one = audit_pattern(table, suppressed, rules, truth_anchor=True, workers=1)
        two = audit_pattern(table, suppressed, rules, truth_anchor=True, workers=2)
    event(f"components: {min(one.intervals.n_components, 4)}{'+' if one.intervals.n_components > 4 else ''}")
    for serial, threaded in zip(one.measures, two.measures, strict=True):
        np.testing.assert_array_equal(serial.intervals.lower, threaded.intervals.lower)
        np.testing.assert_array_equal(serial.intervals.upper, threaded.intervals.upper)
        np.testing.assert_array_equal(serial.intervals.ok, threaded.intervals.ok)


@_random
@given(households())
def test_the_publishers_attack_stands_for_its_published_tables_and_only_for_them(data):
    """Read back from the published figures (hidden values unknown), a pattern's system is the one protect()
    attacked, so its results are reused, with the verdict of a fresh attack by a reader. A published figure
    that differs from the one attacked makes the system differ: nothing is reused."""
    table, rules = data.table()
    if not _publishable(table):
        return
    protection = protect(table, rules)
    # As a release is read back (anonymize/published.py): a hidden value is an unknown, placeholder 1.
    hidden = protection.suppressed[:, None] & ~np.isnan(table.values)
    published = replace(table, values=np.where(hidden, 1.0, table.values))
    reused = reuse_audit(published, protection.suppressed, rules, protection.audit)
    assert reused is not None
    fresh = audit_pattern(published, protection.suppressed, rules)
    np.testing.assert_array_equal(reused.intervals.ok, fresh.intervals.ok)
    if not protection.suppressed.any():
        return
    # A published total one household more than the truth: the rows over the hidden values change.
    changed = published.values.copy()
    changed[grand_total(table)] += 1
    assert reuse_audit(replace(published, values=changed), protection.suppressed, rules, protection.audit) is None


@_random
@given(households())
def test_escalation_alone_ends_in_a_pattern_the_exact_attack_passes(data):
    """With no repair at all, protect() only escalates: the open cells of each failing cell's slice
    under ever higher regions, then every open cell. It ends at the largest pattern (every cell hidden that may
    be) at the latest, so whenever that passes, protect() must pass, and the exact attack must agree."""
    table, rules = data.table()
    if not _publishable(table):
        return
    protection = protect(table, rules, repairs=False)
    check_guarantees(table, rules, protection)
    must = grand_total(table)
    largest = protection.primary | (~must & ~determined(table, must | (table.size() <= 0), closure=True)
                                    & (table.size() > 0))
    possible = audit_pattern(table, largest, rules, exact_all=True).passed
    event(f"escalated: {protection.escalated > 0}, some pattern passes: {possible}")
    if possible:
        assert protection.audit.passed
    if protection.audit.passed:
        assert audit_pattern(table, protection.suppressed, rules, exact_all=True).passed
