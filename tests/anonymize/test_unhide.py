"""The last pass of protect(): partners published again only while every hidden value stays wide enough."""

from __future__ import annotations

import os
from pathlib import Path
from unittest.mock import patch

import duckdb
import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from anonymize.protect import Protection, audit_pattern, protect
from anonymize.unhide import FRUITLESS_ATTACKS, _Search, unhide
from tests.anonymize.test_protect import desa_programs
from tests.anonymize.test_protect_random import _publishable, households

_few = settings(max_examples=12, deadline=None, database=None)


def _without_the_pass():
    return patch.dict(os.environ, {"BANSOS_UNHIDE_ATTACKS": "0"})


@_few
@given(households(), st.data())
def test_the_thinned_pattern_survives_the_exact_attack_and_keeps_small_and_forced_cells_hidden(data, draw):
    table, rules = data.table()
    if not _publishable(table):
        return
    with _without_the_pass():
        before = protect(table, rules)
    if not before.audit.passed:
        return
    # Some partners an earlier release hid: they must stay hidden.
    partners = np.flatnonzero(before.secondary)
    forced = np.zeros(table.n_cells, bool)
    chosen = draw.draw(st.lists(st.sampled_from(partners.tolist()), unique=True)) if len(partners) else []
    forced[chosen] = True
    after = unhide(table, rules, before, forced, max_attacks=4)
    event(f"partners published again: {min(int((before.suppressed & ~after.suppressed).sum()), 3)}")
    assert (after.suppressed <= before.suppressed).all(), "the pass never hides a cell"
    assert after.suppressed[before.primary].all(), "a small cell is never published"
    assert after.suppressed[forced].all(), "a cell an earlier release hid stays hidden"
    assert after.audit.passed
    # The audit returned is the pattern's own (publish reuses it for the release's tables) ...
    assert (after.audit.system.var_cell == audit_pattern(table, after.suppressed, rules).system.var_cell).all()
    # ... and an attacker without the true values, solving every interval exactly, cannot narrow any either.
    assert audit_pattern(table, after.suppressed, rules, exact_all=True).passed
    # The same on two threads.
    twice = unhide(table, rules, before, forced, workers=2, max_attacks=4)
    np.testing.assert_array_equal(twice.suppressed, after.suppressed)
    # Components above the cap are not tried: with a cap of 0 hidden values, every partner stays hidden.
    with patch("anonymize.unhide.MAX_COMPONENT_VALUES", 0):
        capped = unhide(table, rules, before, forced, max_attacks=4)
    np.testing.assert_array_equal(capped.suppressed, before.suppressed)
    # The pass ends after FRUITLESS_ATTACKS attacks in a row that publish nothing (of the 4 it may make).
    attempts = []

    def publishes_nothing(search, trial):
        attempts.append(trial)
        return [], []

    with patch.object(_Search, "attempt", publishes_nothing):
        unhide(table, rules, before, forced, max_attacks=4)
    assert len(attempts) in (0, FRUITLESS_ATTACKS)


def _hidden(db: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM disbursement_cells WHERE suppressed").fetchall()[0][0]
    finally:
        con.close()


def test_a_partner_the_pattern_does_not_need_is_published_again():
    """Desa a1's small PKH count needs partners (tests/anonymize/test_protect.py, desa_programs: they are in a1 and
    a2); a pattern that also hides desa a3's all-programs cell, which nothing needs, passes the attack, and the
    pass publishes that cell again, while a1's PKH stays hidden and the pattern still passes an exact attack
    without the true values."""
    table, rules, cell = desa_programs()
    with _without_the_pass():
        needed = protect(table, rules)
    extra = cell[("a3", "SEMUA")]
    assert not needed.suppressed[extra]
    pattern = needed.suppressed.copy()
    pattern[extra] = True
    audit = audit_pattern(table, pattern, rules, truth_anchor=True)
    assert audit.passed
    after = unhide(table, rules, Protection(pattern, needed.primary, audit, 1, {}), np.zeros(table.n_cells, bool),
                   max_attacks=4)
    assert not after.suppressed[extra], "a partner nothing needs stays hidden"
    assert after.suppressed[cell[("a1", "PKH")]] and after.audit.passed
    assert audit_pattern(table, after.suppressed, rules, exact_all=True).passed


def test_a_large_table_makes_only_the_large_tables_attacks(monkeypatch: pytest.MonkeyPatch):
    """A table of more than LARGE_TABLE_CELLS cells (a national disbursement table: about 8 minutes an attack)
    makes at most LARGE_TABLE_ATTACKS attacks whatever the setting; the pattern it ends with passes (an exact
    attack too) and hides nothing new; a table at the limit makes the setting's attacks."""
    from anonymize import unhide as unhide_module

    table, rules, cell = desa_programs()
    with _without_the_pass():
        needed = protect(table, rules)
    extra, small = cell[("a3", "SEMUA")], cell[("a1", "PKH")]
    pattern = needed.suppressed.copy()
    pattern[extra] = True
    # More candidates than one attack settles: every partner but a1's small cell's is tried again.
    audit = audit_pattern(table, pattern, rules, truth_anchor=True)
    attempts = []
    real = _Search.attempt

    def counted(search, trial):
        attempts.append(trial)
        return real(search, trial)

    # One attack for a large table here: this small table's pass makes two when free to.
    monkeypatch.setattr(unhide_module, "LARGE_TABLE_ATTACKS", 1)
    monkeypatch.setattr(unhide_module, "LARGE_TABLE_CELLS", table.n_cells - 1)
    with patch.object(_Search, "attempt", counted):
        after = unhide(table, rules, Protection(pattern, needed.primary, audit, 1, {}), np.zeros(table.n_cells, bool),
                       max_attacks=4)
    assert len(attempts) == unhide_module.LARGE_TABLE_ATTACKS
    assert after.suppressed[small] and after.audit.passed and not (after.suppressed & ~pattern).any()
    assert audit_pattern(table, after.suppressed, rules, exact_all=True).passed
    monkeypatch.setattr(unhide_module, "LARGE_TABLE_CELLS", table.n_cells)
    attempts.clear()
    with patch.object(_Search, "attempt", counted):
        unhide(table, rules, Protection(pattern, needed.primary, audit, 1, {}), np.zeros(table.n_cells, bool),
               max_attacks=4)
    assert len(attempts) > unhide_module.LARGE_TABLE_ATTACKS, "a table at the limit takes the setting's attacks"


def test_a_release_with_the_pass_hides_fewer_cells_and_passes_the_audit(raw_db, release_db, publish_command,
                                                                          tmp_path, anonymize_cli,
                                                                          monkeypatch: pytest.MonkeyPatch):
    """The small real set (conftest): its release (the pass on, as by default) hides fewer disbursement cells than
    a publish with the pass switched off, and `python -m anonymize audit` attacks it anew and passes."""
    monkeypatch.setenv("BANSOS_UNHIDE_ATTACKS", "0")
    without = tmp_path / "without" / "bansos.duckdb"
    publish_command(raw_db, without, check=True)
    assert _hidden(release_db) < _hidden(without)
    code, out, _ = anonymize_cli("audit", release_db, "--count-nested")
    assert code == 0, out
