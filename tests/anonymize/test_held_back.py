"""Late records held back by the release that finds them (no pattern protects them, or they count fewer than 10
households nationally) and published by the next release that revises the year: nothing lost, nothing refused.

The chain (Kota Yogyakarta and Kulon Progo, a third): August; September, holding back the late April PKH of a Kulon
Progo kecamatan because no pattern protects them (since eligible households paid are no longer published, the
kecamatan's PKH pending payments of the year stay pinned; from 081b9ca until then September published them);
October, revising September with them and its own 3 late households; November holding back 3 late households of
July (fewer than the threshold nationally); December revising November with them and a Kota Yogyakarta kecamatan's
late April PKH. A late set no pattern protects is also driven in-process
(test_late_records_no_pattern_protects_are_held_back_instead_of_refused)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from builds import built_once

from anonymize import build
from anonymize.published import load_history
from settings import get_settings
from tests.anonymize.test_revisions import UNHIDE_ATTACKS, _cells, _revised_tables, generate, run_module, take_out_late


def _households(where: str, month: str, limit: int = 3) -> str:
    """`limit` households' PKH payments of `month` in the largest desa of the kecamatan `where`."""
    return f"""
    WITH largest AS (
        SELECT desa_code FROM disbursements WHERE program = 'PKH' AND period = '{month}'
          AND desa_code LIKE '{where}' GROUP BY desa_code ORDER BY count(*) DESC, desa_code LIMIT 1),
    few AS (
        SELECT DISTINCT d.desa_code, d.kk_number FROM disbursements d JOIN largest USING (desa_code)
        WHERE d.program = 'PKH' AND d.period = '{month}' AND coalesce(d.nik_valid, true)
          AND d.kk_number IS NOT NULL ORDER BY hash(d.kk_number) LIMIT {limit})
    SELECT d.rowid FROM disbursements d JOIN few USING (desa_code, kk_number)
    WHERE d.program = 'PKH' AND d.period = '{month}'"""

KECAMATAN = """
    SELECT rowid FROM disbursements WHERE program = 'PKH' AND period = '2025-04' AND desa_code LIKE '{}'
      AND coalesce(nik_valid, true) AND kk_number IS NOT NULL"""
#: The late files, each taken out of the generated set and ingested before the release named in CHAIN.
LATE = {"late_september.csv": KECAMATAN.format("34.01.01.%"), "late_october.csv": _households("34.01.02.%", "2025-04"),
        "late_november.csv": _households("34.01.03.%", "2025-07"),
        "late_december.csv": KECAMATAN.format("34.71.01.%")}
CHAIN = (("2025-08", None), ("2025-09", "late_september.csv"), ("2025-10", "late_october.csv"),
         ("2025-11", "late_november.csv"), ("2025-12", "late_december.csv"))


def _build(folder: Path, publish_command: Callable[..., subprocess.CompletedProcess]) -> None:
    raw = generate(folder / "raw.duckdb")
    take_out_late(raw, folder, LATE)
    out = folder / "published" / "bansos.duckdb"
    for through, late in CHAIN:
        if late is not None:
            run_module("data", "ingest", folder / late, "--db", raw, "--as-of", "2025-12-01")
        shutil.copy(raw, folder / f"raw-{through}.duckdb")
        done = publish_command(raw, out, "--through", through, unhide_attacks=UNHIDE_ATTACKS)
        (folder / f"publish-{through}.txt").write_text(done.stdout + done.stderr + f"\nexit {done.returncode}")
        if done.returncode == 0:
            shutil.copy(out, folder / f"{through}.duckdb")


@pytest.fixture(scope="module")
def held_set(tmp_path_factory: pytest.TempPathFactory, publish_command: Callable[..., subprocess.CompletedProcess]
             ) -> Path:
    return built_once(tmp_path_factory, "anonymize-held-back", lambda folder: _build(folder, publish_command))


def _sources(release: Path) -> dict:
    con = duckdb.connect(str(release), read_only=True)
    try:
        return json.loads(con.execute("SELECT sources FROM release").fetchone()[0])
    finally:
        con.close()


def _periods(release: Path) -> set[str]:
    return {str(p) for table in ("disbursement_cells", "disbursement_cells_earlier")
            for p in _cells(release, table)["period"].unique()}


def _rows(folder: Path, *names: str) -> int:
    return sum(len(pd.read_csv(folder / name)) for name in names)


def _log(folder: Path, through: str) -> str:
    log = (folder / f"publish-{through}.txt").read_text()
    assert log.endswith("exit 0"), log[-2000:]
    return log


def _months_kept(folder: Path, before: str, after: str) -> None:
    """Every month the release through `before` published is in the one through `after` as it was."""
    months = f"period LIKE '2025-__' AND period <= '{before}'"
    then = _cells(folder / f"{before}.duckdb", "disbursement_cells", months)
    now = _cells(folder / f"{after}.duckdb", "disbursement_cells", months)
    both = then.merge(now, on=["region_code", "program", "period", "channel"], suffixes=("_then", "_now"))
    assert len(both) == len(then) > 0
    for column in ("suppressed", "recipients", "payments", "amount"):
        assert both[f"{column}_then"].equals(both[f"{column}_now"]), column


def _audit_passes(release: Path) -> None:
    done = run_module("anonymize", "audit", release, "--count-nested", check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def _national_pkh(late: Path, previous: str, raw: str) -> pd.DataFrame:
    """The true national PKH cells (all channels) of the release after `previous`, as the publisher builds them."""
    _, _, frames, _ = _revised_tables(late / f"{previous}.duckdb", late / f"raw-{raw}.duckdb")
    cells = frames["disbursement_cells"]
    return cells[(cells["region"] == "ID") & (cells["program"] == "PKH")
                 & (cells["channel"] == "SEMUA")].set_index("period")


def test_late_records_no_pattern_protects_are_held_back_instead_of_refused(held_set: Path, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch):
    """Before: `publish` refused such a release (exit 2, the previous release kept serving until late records
    stopped coming or a later month's data happened to protect them). Here the failure is driven, whatever the
    data: protecting September with its late records fails as a protection that finds no pattern does
    (ValueError), and build_tables builds September again without them, held back as `unprotected`, the months as
    August published them."""
    history = load_history(held_set / "2025-08.duckdb")
    protect_tables = build._protect_tables
    attempts: list[tuple[int, ...]] = []

    def no_pattern_for_revisions(inputs, history, scope, workers, seconds):
        attempts.append(scope.revisions)
        if scope.revisions:
            raise ValueError("disbursement_cells: no suppression pattern found that keeps all hidden values wide "
                             "enough (1 still too narrow after 12 rounds)")
        return protect_tables(inputs, history, scope, workers, seconds)

    monkeypatch.setattr(build, "_protect_tables", no_pattern_for_revisions)
    raw = tmp_path / "raw.duckdb"
    shutil.copy(held_set / "raw-2025-09.duckdb", raw)
    con = duckdb.connect(str(raw))
    try:
        result = build.build_tables(con, get_settings().threshold, get_settings().late_after_days, "2025-09",
                                    history)
    finally:
        con.close()
    assert attempts == [(8,), ()]
    assert result.held_back_reason == "unprotected"
    assert result.held_back == {"late_september.csv": "2025-08"}
    assert result.held_back_rows == _rows(held_set, "late_september.csv")
    periods = {str(p) for table in result.tables for p in table.input.frame["period"].unique()}
    assert not [p for p in periods if "+" in p or re.fullmatch(r"2025-\d\d@\d\d", p)]
    assert all(table.protection.audit.passed for table in result.tables)


def test_late_records_no_pattern_protects_are_held_back_and_published_by_the_next_release(held_set: Path):
    """September cannot protect a kecamatan's late April PKH (its PKH pending payments of the year stay pinned) and
    holds them back, publishing the months as August did; October revises September with them and its own late
    households: late cells and September's versions of the months are published, and the true national late cell
    holds every late row."""
    log = _log(held_set, "2025-09")
    assert f"{_rows(held_set, 'late_september.csv')} late rows held back (no pattern protected them)" in log
    assert _sources(held_set / "2025-09.duckdb")["held_back"] == {"late_september.csv": "2025-08"}
    _months_kept(held_set, "2025-08", "2025-09")
    log = _log(held_set, "2025-10")
    assert "revised by late records" in log and "held back" not in log
    sources = _sources(held_set / "2025-10.duckdb")
    assert "held_back" not in sources and set(sources["revised"]) == {"09"}
    assert sources["revised"]["09"]["held_back"] == {"late_september.csv": "2025-08"}
    assert {"2025+09", "2025-04+09", "2025-04@09"} <= _periods(held_set / "2025-10.duckdb")
    national = _national_pkh(held_set, "2025-09", "2025-10")
    rows = _rows(held_set, "late_september.csv", "late_october.csv")
    assert national.loc["2025+09", "payments"] == rows
    assert national.loc["2025-04", "payments"] == national.loc["2025-04@09", "payments"] + rows
    for release in ("2025-09", "2025-10"):
        _audit_passes(held_set / f"{release}.duckdb")


def test_a_release_with_late_records_of_few_households_holds_them_back(held_set: Path):
    """Before: the national late year-to-date (3 households) is the grand total of its period and must stay
    published, so such a release was refused (exit 2). November holds back its few."""
    log = _log(held_set, "2025-11")
    assert f"{_rows(held_set, 'late_november.csv')} late rows held back (fewer than the threshold in households " \
        "nationally)" in log
    release = held_set / "2025-11.duckdb"
    assert _sources(release)["held_back"] == {"late_november.csv": "2025-10"}
    # No revision of October's months (September's revision stays), every month as the release before published it.
    periods = _periods(release)
    assert "2025-04+09" in periods
    assert not [p for p in periods if re.fullmatch(r"2025(-\d\d)?\+10|2025-\d\d@10", p)]
    _months_kept(held_set, "2025-10", "2025-11")
    _audit_passes(release)


def test_a_revision_after_releases_that_held_back_publishes_them(held_set: Path):
    """December revises November, a release that revised nothing, after October revised September: the rows
    November held back are published with December's own."""
    log = _log(held_set, "2025-12")
    assert "revised by late records" in log and "held back" not in log
    sources = _sources(held_set / "2025-12.duckdb")
    sha = {entry["source"]: entry["source_sha256"] for entry in sources["ingested_files"]}
    assert set(sources["revised"]) == {"09", "11"}
    # The revised release's rows are recorded with what it held back, so its versions can be computed again.
    assert sources["revised"]["11"] == {
        "files": {name: sha[name] for name in ("late_september.csv", "late_october.csv", "late_november.csv")},
        "held_back": {"late_november.csv": "2025-10"}}
    assert {"2025-04+09", "2025-04@09", "2025-07+11", "2025-07@11", "2025-04+11"} <= _periods(
        held_set / "2025-12.duckdb")
    # The true late cells hold the held-back rows and December's; the earlier version of July is what November
    # published, which left the held-back rows out.
    national = _national_pkh(held_set, "2025-11", "2025-12")
    rows = _rows(held_set, "late_november.csv", "late_december.csv")
    assert national.loc["2025+11", "payments"] == rows
    november = _cells(held_set / "2025-11.duckdb", "disbursement_cells",
                      "region_code = 'ID' AND program = 'PKH' AND channel = 'SEMUA' AND period = '2025-07'")
    assert int(november["payments"].iloc[0]) == national.loc["2025-07@11", "payments"]
    _audit_passes(held_set / "2025-12.duckdb")
