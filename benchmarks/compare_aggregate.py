"""Check that the aggregation of a commit and of the working tree give identical frames on a raw database.

    python benchmarks/compare_aggregate.py --base ea24a12 --raw data/raw/bansos.duckdb

For each of a few scopes (the latest month; December with earlier releases through March and October; July with
one through May; January alone), every frame of `anonymize.build.aggregate_frames` is computed twice on the same
read-only connection: once with `anonymize/aggregate.py` as it is at `--base` (read with `git show`, loaded as the
module `anonymize.build` calls) and once with the working tree's. Frames must have the same rows, values and
types (pandas.testing.assert_frame_equal, exact), in any row order. Exit 1 when any differs. For rewrites of the
aggregation that must not change a published figure.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anonymize import aggregate, build
from settings import ROOT, get_settings

#: (through, earlier releases' months): the scopes compared.
SCOPES: tuple[tuple[str | None, tuple[int, ...]], ...] = (
    (None, ()), ("-12", (3, 10)), ("-07", (5,)), ("-01", ()))


def module_at(commit: str, folder: Path) -> ModuleType:
    """anonymize/aggregate.py as it is at `commit`, loaded as a module of its own."""
    source = subprocess.run(["git", "show", f"{commit}:anonymize/aggregate.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    path = folder / "aggregate_base.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("aggregate_base", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def frames_with(module: ModuleType, con: duckdb.DuckDBPyConnection, through: str | None,
                earlier: tuple[int, ...]) -> dict[str, pd.DataFrame]:
    """aggregate_frames with `module` as the aggregation build calls."""
    saved = build.aggregate
    build.aggregate = module
    try:
        year = aggregate.detect_scope(con, None).year
        scope = replace(module.detect_scope(con, f"{year}{through}" if through else None), earlier=earlier)
        regions = build.scope_regions(con, scope)
        return build.aggregate_frames(con, scope, regions, get_settings().late_after_days)
    finally:
        build.aggregate = saved


def verdict_of(old: pd.DataFrame, new: pd.DataFrame) -> str:
    """"same", "same rows in another order" (DuckDB's parallel GROUP BY and UNION ALL return rows in no fixed
    order, and nothing downstream depends on it: the quality cells come in another order from run to run of one
    commit), or "DIFFERS" with pandas' first line of why."""
    try:
        pd.testing.assert_frame_equal(old.reset_index(drop=True), new.reset_index(drop=True), check_exact=True)
        return "same"
    except AssertionError:
        pass
    columns = list(new.columns)
    try:
        pd.testing.assert_frame_equal(old.sort_values(columns).reset_index(drop=True),
                                      new.sort_values(columns).reset_index(drop=True), check_exact=True)
        return "same rows in another order"
    except AssertionError as error:
        return f"DIFFERS ({str(error).splitlines()[0]})"


def compare(raw: Path, base: str) -> int:
    """Print one line per scope and frame; return the number of frames that differ."""
    differ = 0
    with tempfile.TemporaryDirectory() as folder, duckdb.connect(str(raw), read_only=True) as con:
        before = module_at(base, Path(folder))
        for through, earlier in SCOPES:
            old = frames_with(before, con, through, earlier)
            new = frames_with(aggregate, con, through, earlier)
            for name, frame in new.items():
                label = f"through {through or 'latest'}, earlier {list(earlier)}: {name} ({len(frame):,} rows)"
                verdict = verdict_of(old[name], frame)
                differ += verdict.startswith("DIFFERS")
                print(f"{label}: {verdict}")
    return differ


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, required=True, help="a raw database, opened read-only")
    parser.add_argument("--base", required=True, help="the commit whose aggregation is the reference")
    args = parser.parse_args(argv)
    differ = compare(args.raw, args.base)
    print(f"{differ} frame(s) differ" if differ else "every frame identical")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
