"""Sparse data-quality counts: an indicator is published from the level where its cells can be protected, instead of
refusing the release (anonymize.build.withhold_finest_level), or withheld whole where its national count is small
(withhold_small_indicators); a reader reads the rows not written back as unknowns
that may be zero (anonymize.published.withheld_quality), and its own attack passes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import duckdb
import numpy as np
import pytest

from anonymize import aggregate, build, published
from anonymize.protect import audit_pattern, protect
from published_schema import FEEDBACK_LEVELS, NATIONAL_CODE

THRESHOLD = 10


def _quality(raw: Path) -> tuple[build.ProtectedTableInput, aggregate.Scope, object]:
    with duckdb.connect(str(raw), read_only=True) as con:
        scope = replace(aggregate.detect_scope(con, None), desa_schedules=False)
        regions = build.scope_regions(con, scope)
        frames = build.aggregate_frames(con, scope, regions, 14)
    inputs = build.table_inputs(frames, regions, scope, THRESHOLD)
    return next(t for t in inputs if t.name == "quality_cells"), scope, regions


def _read_back(table: build.ProtectedTable, regions, scope) -> tuple[build.ProtectedTableInput, np.ndarray]:
    """The quality table as a reader rebuilds it from the rows the release writes (the standalone audit's path)."""
    written, _ = build.published_frames(table, regions, scope)
    upper = regions[regions["level"].isin(FEEDBACK_LEVELS)]
    rebuilt = published._rebuild("quality_cells", published._as_keyed(written), regions, upper, scope, THRESHOLD,
                                 None)
    return rebuilt, rebuilt.frame[published._HIDDEN].to_numpy(dtype=bool)


@pytest.fixture(scope="module")
def sparse_demo(tmp_path_factory, run_module) -> Path:
    """The demo at `--scale 0.02` (2025): 62 paid deceased households nationally over 55 kecamatan. Every hidden
    kecamatan count is known to be at least 1, so the national 62 pinned each within [1, 7]: the quality table could
    not be protected even with every cell hidden, and `publish` refused the whole release."""
    raw = tmp_path_factory.mktemp("coarsen") / "sparse.duckdb"
    run_module("data", "generate", "--preset", "demo", "--year", "2025", "--scale", "0.02", "--seed", "1",
               "--out", raw)
    return raw


def test_an_indicator_that_cannot_be_protected_at_kecamatan_is_published_from_kabupaten_up(sparse_demo):
    table_input, scope, regions = _quality(sparse_demo)
    before = protect(table_input.table, table_input.rules, workers=1)
    assert not before.audit.passed and before.exhausted       # what refused the release
    table = build._protect_table(table_input, None, scope, 1)
    assert table.protection.audit.passed
    written, _ = build.published_frames(table, regions, scope)
    levels = written.groupby("indicator")["level"].agg(set)
    assert levels["deceased_paid"] == {"nasional", "provinsi", "kabupaten"}
    # Only what had to be withheld: another indicator keeps its kecamatan rows, every one of them.
    kept = [i for i, at in levels.items() if "kecamatan" in at]
    assert kept and all((written["indicator"] == i).sum() == (written["indicator"] == "deceased_paid").sum() +
                        (regions["level"] == "kecamatan").sum() for i in kept)
    # The reader's table: the missing rows are unknowns no release wrote (they may be zero), and its own attack
    # on the published rows passes; read as zeros (the old reader), the kabupaten sums would contradict them.
    rebuilt, hidden = _read_back(table, regions, scope)
    assert rebuilt.table.unwritten is not None
    assert int(rebuilt.table.unwritten.sum()) == int((regions["level"] == "kecamatan").sum())
    assert audit_pattern(rebuilt.table, hidden, rebuilt.rules).passed


@pytest.fixture(scope="module")
def small_totals(tmp_path_factory, run_module) -> Path:
    """Kabupaten Kulon Progo alone at `--scale 0.02`: some indicators count fewer than 10 households in the whole
    release (`publish` refused it)."""
    raw = tmp_path_factory.mktemp("coarsen") / "small.duckdb"
    run_module("data", "generate", "--preset", "demo", "--year", "2025", "--regions", "34.01", "--scale", "0.02",
               "--seed", "1", "--out", raw)
    return raw


def test_an_indicator_with_a_small_national_count_is_withheld_whole_and_the_release_publishes(small_totals):
    """An indicator's national count is its only total and is published unless small: one of 1 to threshold - 1
    refused the whole release ("a cell that must stay published ... is below the threshold"). Now every indicator
    counting 1 to 2 x threshold - 1 nationally is written at no level (build.withhold_small_indicators) and the
    table is protected; the others keep every row. A reader who knows that rule reads a missing indicator as 1 to
    2 x threshold - 1 nationally, which passes what a hidden count must (withholding only those below the
    threshold would have told them 1 to threshold - 1, which fails); the reader's own attack on the written rows
    passes."""
    from anonymize.differences import _passes

    table_input, scope, regions = _quality(small_totals)
    frame = table_input.frame
    national = frame[(frame["region"] == NATIONAL_CODE)].set_index("indicator")["households"]
    assert ((national >= 1) & (national < THRESHOLD)).any(), national      # what refused the release
    band = national[(national >= 1) & (national < 2 * THRESHOLD)].index
    kept = national.index.difference(band)
    assert len(kept), national          # a real comparison: some indicator is published
    table = build._protect_table(table_input, None, scope, 1)
    assert table.protection.audit.passed
    written, _ = build.published_frames(table, regions, scope)
    assert set(written["indicator"]) == set(kept)
    for indicator in kept:
        assert (written["indicator"] == indicator).sum() == (frame["indicator"] == indicator).sum()
    rebuilt, hidden = _read_back(table, regions, scope)
    assert rebuilt.table.unwritten is not None
    assert int(rebuilt.table.unwritten.sum()) == int(frame["indicator"].isin(band).sum())
    assert audit_pattern(rebuilt.table, hidden, rebuilt.rules).passed
    # What the rule itself tells, as a hidden count's interval.
    assert _passes(np.array([1.0]), np.array([2.0 * THRESHOLD - 1]), THRESHOLD).all()
    assert not _passes(np.array([1.0]), np.array([THRESHOLD - 1.0]), THRESHOLD).any()


def test_a_year_with_every_indicator_withheld_reads_back_as_unknowns(small_totals):
    """With every indicator withheld (each counting 1 to 2 x threshold - 1 nationally) a year has no quality row at
    all: the reader took the table's periods from the rows present, found none, and read the cells as hidden zeros,
    an infeasible attack (a review). The periods are the scope's: every cell is an unknown no release wrote, and
    the reader's attack passes."""
    from anonymize.tables import UNPUBLISHED

    table_input, scope, regions = _quality(small_totals)
    table_input.table.unwritten = np.ones(table_input.table.n_cells, bool)
    table_input.frame[UNPUBLISHED] = True
    table = build._protect_table(table_input, None, scope, 1)
    assert table.protection.audit.passed
    written, _ = build.published_frames(table, regions, scope)
    assert written.empty
    rebuilt, hidden = _read_back(table, regions, scope)
    assert rebuilt.table.n_cells == table_input.table.n_cells
    assert rebuilt.table.unwritten is not None and rebuilt.table.unwritten.all()
    assert audit_pattern(rebuilt.table, hidden, rebuilt.rules).passed
