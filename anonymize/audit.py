"""`python -m anonymize audit PUBLISHED_DB`: attack a release using its published tables alone."""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from anonymize.attack import AttackError
from anonymize.differences import check_differences, nested_differences
from anonymize.protect import Audit, ProtectionRules, audit_pattern, reuse_audit, same_attack
from anonymize.published import PublishedRelease, read_ranges, read_release, read_years, release_years
from anonymize.ranges import TableRanges, differences, table_ranges
from anonymize.tables import ProtectedTableInput
from cli import UserError, summary
from settings import get_settings

HELP = "recompute, with a linear-programming attack, how narrowly every hidden value can be pinned"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("published_db", type=Path, help="a published release (bansos.duckdb)")
    parser.add_argument("--exact", action="store_true",
                        help="solve the exact interval of every hidden value (slower; default: only where "
                             "feasible points do not already show it wide enough)")
    parser.add_argument("--count-nested", action="store_true",
                        help="count the household pairs with a hidden member (nested ones, and a year with an "
                             "earlier year-to-date) instead of solving them (their report is not part of the "
                             "verdict; a small part of the time on a revised release)")


def run(args: argparse.Namespace) -> int:
    if not args.published_db.exists():
        raise UserError(f"No published database at {args.published_db}.")
    start = time.perf_counter()
    outcome = audit_release(args.published_db, exact_all=args.exact, difference_lp=not args.count_nested)
    for name, table in outcome["tables"].items():
        values = sum(m["values"] for m in table["measures"].values())
        failing = sum(m["too_narrow"] + m["in_doubt"] for m in table["measures"].values())
        print(f"{name}: {values:,} hidden values attacked jointly, {failing:,} too narrow or in doubt, "
              f"largest component {table['largest_component']:,}")
        for measure, figures in table["measures"].items():
            if figures["values"]:
                print("  " + measure_line(measure, figures))
        if "between_releases" in table:
            print("  " + between_line(table["between_releases"]))
        if "nested" in table:
            print("  " + nested_line(table["nested"]))
        print("  " + ranges_line(table["ranges_differ"]))
    verdict = "passed" if outcome["passed"] else "FAILED"
    summary(f"audit {verdict}: threshold {outcome['threshold']}, {outcome['hidden_values']:,} hidden values, "
            f"{outcome['lp_solves']:,} LP solves in {time.perf_counter() - start:.1f} s")
    return 0 if outcome["passed"] else 1


@dataclass(frozen=True)
class ReadBack:
    """A release as its publisher read it back from the published tables once they were written (read_years), and
    the ranges computed from exactly that (ranges.release_ranges), by audit key. The standalone audit attacks these
    tables instead of rebuilding the same ones from the same file, and compares the ranges the file publishes with
    these instead of computing them a second time (nationally about 20 s of rebuilding and 12 s of ranges)."""

    years: list[PublishedRelease]
    ranges: dict[str, TableRanges]


@dataclass(frozen=True)
class Carried:
    """Years a new release carries unchanged from an audited one: that release's file, id and manifest `audit`.

    A carried year's tables give the attack the same system and requirement as they gave in that release
    (checked array by array, and its published ranges row by row), so that release's verdict on them stands and
    they are not attacked again: nationally each past year's attack took about ten minutes, so a month published
    on top of four past years spent some forty minutes re-attacking tables nobody had changed."""

    path: Path
    release_id: str
    audit: dict[str, Any]
    years: frozenset[int]
    #: That release's latest year (its audit keys the latest year's tables by name alone).
    latest: int

    @classmethod
    def of(cls, path: Path, release_id: str, audit: dict[str, Any], years: set[int]) -> Carried:
        return cls(path, release_id, audit, frozenset(years), release_years(path)[-1])


def _carried_table(carried: Carried, before: PublishedRelease, table_input: ProtectedTableInput,
                   suppressed: np.ndarray, ranges: pd.DataFrame | None) -> dict[str, Any] | None:
    """The carried release's audit of this table (marked `reused`, `carried_from`), if the attack would see the
    same table there and that audit passed it; None otherwise (the caller attacks it)."""
    old = next(((t, s) for t, s in before.tables if t.name == table_input.name), None)
    if old is None or not same_attack(table_input.table, suppressed, table_input.rules, old[0].table, old[1],
                                      old[0].rules):
        return None
    old_ranges = before.ranges.get(table_input.name)
    if (ranges is None) != (old_ranges is None) or (ranges is not None and not ranges.equals(old_ranges)):
        return None
    year = before.scope.year
    figures = carried.audit.get("tables", {}).get(audit_key(table_input.name, year, carried.latest))
    if not figures or not figures.get("passed") or figures.get("ranges_differ"):
        return None
    return {**figures, "reused": True, "carried_from": carried.release_id}


#: Figures of an attack that depend on where its search went: the publisher's attack starts from the true values
#: (protect.audit_pattern's truth_anchor) and publish reuses it for the standalone audit, so its narrowest width,
#: LP solves and seconds carry what the hidden values are (a review: on a sparse release the release row's LP
#: solves told a withheld data-quality indicator's national count as "1 or 19", its narrowest width as "2 to 18").
#: They are the operator's (printed, logged), never published: see publishable().
SEARCH_FIGURES = frozenset({"narrowest", "lp_solves", "seconds"})


def publishable(figures: Any) -> Any:
    """An audit's figures (audit_release's result, or a protect.Audit.summary) without SEARCH_FIGURES, at any
    depth: what the release row and the manifest may hold."""
    if isinstance(figures, dict):
        return {key: publishable(value) for key, value in figures.items() if key not in SEARCH_FIGURES}
    if isinstance(figures, list):
        return [publishable(value) for value in figures]
    return figures


def audit_key(name: str, year: int, latest: int) -> str:
    """An audited table's key: its name for the release's latest year, `<name> <year>` for an earlier year."""
    return name if year == latest else f"{name} {year}"


def _audit_table(path: Path, table_input: ProtectedTableInput, suppressed: np.ndarray,
                 published_ranges: pd.DataFrame | None, exact_all: bool, workers: int, earlier: Audit | None,
                 computed: TableRanges | None = None, difference_lp: bool = True) -> dict[str, Any]:
    """One table's audit; `computed`: its ranges as computed from these published tables (None: compute them)."""
    rules: ProtectionRules = table_input.rules
    try:
        audit = None if earlier is None or exact_all else reuse_audit(table_input.table, suppressed, rules, earlier)
        reused = audit is not None
        if audit is None:
            audit = audit_pattern(table_input.table, suppressed, rules, exact_all=exact_all, workers=workers)
        if computed is None:
            computed = table_ranges(table_input, suppressed)
        between = check_differences(table_input.table, suppressed, rules.threshold, audit.system, difference_lp)
        nested = nested_differences(table_input.table, suppressed, rules.threshold, audit.system, difference_lp)
    except AttackError as error:
        raise UserError(f"The relations published in {path} are inconsistent: {error}.") from None
    report = audit.report()
    for figures in report.values():
        figures["exact"] = exact_all
    # Reported, not part of the verdict: differences of two published household counts are published by policy
    # (README, "Differences of two published household counts"); the hidden values in them pass the attack.
    return {**audit.summary(), "reused": reused, "measures": report, "between_releases": between.summary(),
            "nested": nested.summary(),
            "ranges_differ": differences(computed, published_ranges)}


def measure_line(measure: str, figures: dict[str, Any]) -> str:
    """`recipients: 1,234 hidden, narrowest 9 (inner bound), 0 too narrow, 0 in doubt, 0 shown below the threshold,
    0 pinned`"""
    narrowest = figures.get("narrowest")    # absent from a table carried from a release's manifest
    width = "-" if narrowest is None else f"{narrowest:,.0f}" if narrowest >= 1 else f"{narrowest:.3g}"
    return (f"{measure}: {figures['values']:,} hidden, narrowest {width}"
            f"{'' if figures['exact'] else ' (inner bound)'}, {figures['too_narrow']:,} too narrow, "
            f"{figures['in_doubt']:,} in doubt, "
            f"{figures['below_threshold']:,} shown below the threshold, {figures['pinned']:,} pinned")


def between_line(figures: dict[str, Any]) -> str:
    """How narrowly a reader of two releases can pin the households first counted between them
    (anonymize.differences)."""
    if not figures["differences"]:
        return "between releases: nothing to subtract (no household count with an earlier release's year-to-date)"
    unsolved = figures.get("unsolved")
    return (f"between releases: {figures['differences']:,} differences of household counts (a year minus an earlier "
            f"year-to-date: households first paid since), {figures['failing']:,} "
            + ("narrower than a hidden count may be" if unsolved is None else
               f"of two published counts narrower than a hidden count may be; {unsolved:,} with a hidden member not "
               "solved here (`python -m anonymize audit` without --count-nested solves them)")
            + " (published by policy: README, 'Differences of two published household counts')")


def nested_line(figures: dict[str, Any]) -> str:
    """How many pairs of a household count and the same count over a part of its set a reader narrows to fewer
    households than the threshold (anonymize.differences.nested_differences)."""
    if not figures["pairs"] and not figures.get("hidden_pairs"):
        return "nested counts: none (no household count published with a part of its set)"
    by = ", ".join(f"{dimension} {count:,}" for dimension, count in figures["readable_by_dimension"].items() if count)
    return (f"nested counts: {figures['pairs']:,} published pairs of a household count and a part of it (year and "
            f"month, all programs and one, all channels and one, eligible among registered), "
            f"{figures['readable']:,} differ by 1 to threshold - 1 "
            f"households; {figures.get('hidden_pairs', 0):,} pairs with a hidden member, "
            + (f"{figures['narrow']:,} narrower than a hidden count may be" if figures.get("narrow") is not None
               else "not solved here (`python -m anonymize audit` without --count-nested solves them)")
            + (f" (by kind, published and hidden pairs together: {by})" if by else "")
            + ": a reader subtracts them (published by policy: README, 'Differences of two published household "
            "counts')")


def ranges_line(differ: int | None) -> str:
    """Whether the hidden cells' published ranges are those the published figures give (anonymize.ranges)."""
    if differ is None:
        return "ranges: not published (a release made before ranges were)"
    if differ:
        return f"ranges: {differ:,} hidden cells publish a range other than the published figures give"
    return "ranges: every published range equals the one recomputed from the published figures"


def audit_release(path: Path, exact_all: bool = False, workers: int | None = None,
                  attacked: Mapping[str, Audit] | None = None, read_back: ReadBack | None = None,
                  carried: Carried | None = None, difference_lp: bool = True) -> dict[str, Any]:
    """Attack every table of a published release; the attacker knows only what it publishes (and the program
    rules the release records). `workers`: threads of the attack (default: the settings'). Per table: `passed`,
    the LP's size, `reused`, per measure Audit.report(), and `ranges_differ`: hidden cells whose published range
    differs from the one the published figures give (None: the release publishes none). A difference fails the
    audit: a range not derived from the published figures may tell more than they do.

    `attacked`: the publisher's own audits of the same patterns, by table name. Where the system and requirement
    read back from the published tables are identical to the one attacked (protect.reuse_audit), its results
    stand (`reused`: true) and the table is not attacked again; otherwise it is.

    `difference_lp` False: the household count pairs with a hidden member (nested, and a year with an earlier
    year-to-date) are counted, not solved (see anonymize.differences; reported, not part of the verdict).

    `read_back`: the publisher's own reading of this file's tables, as they are now except for the ranges added
    since (ReadBack). Its tables are attacked and its ranges compared with those read from the file.

    `carried`: years carried unchanged from an audited release (Carried): where a table is identical there, that
    release's verdict stands (`reused`, `carried_from`); anything that differs is attacked.
    """
    try:
        years = read_years(path) if read_back is None else read_back.years
    except ValueError as error:
        raise UserError(f"Cannot audit {path}: {error}.") from None
    tables: dict[str, dict[str, Any]] = {}
    workers = get_settings().attack_workers if workers is None else workers
    # Each year is its own protected table: no cell is shared between years, so each is attacked alone.
    for published in years:
        published_ranges = published.ranges if read_back is None else read_ranges(path, published.scope.year)
        year = published.scope.year
        before = (read_release(carried.path, year) if carried is not None and year in carried.years and not exact_all
                  else None)
        for table_input, suppressed in published.tables:
            key = audit_key(table_input.name, year, years[-1].scope.year)
            if before is not None and carried is not None:
                kept = _carried_table(carried, before, table_input, suppressed, published_ranges[table_input.name])
                if kept is not None:
                    tables[key] = kept
                    continue
            tables[key] = _audit_table(path, table_input, suppressed, published_ranges[table_input.name],
                                       exact_all, workers, None if attacked is None else attacked.get(key),
                                       None if read_back is None else read_back.ranges.get(key), difference_lp)
    return {
        "passed": all(t["passed"] and not t["ranges_differ"] for t in tables.values()),
        "threshold": years[-1].threshold,
        "hidden_values": sum(m["values"] for t in tables.values() for m in t["measures"].values()),
        # A table carried from an earlier release's manifest has no LP solves of its own (publishable()).
        "lp_solves": sum(t.get("lp_solves", 0) for t in tables.values()),
        "tables": tables,
    }
