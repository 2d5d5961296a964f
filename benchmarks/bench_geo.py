"""Whole-country boundary build: per-level bytes against the budgets, gaps and overlaps, match rates, timings.

    python benchmarks/bench_geo.py [--shared ../shared/geo] [--jobs 2] [--keep DIR]

Builds from `national/` and `desa/` of the shared real boundaries into a scratch geo dir (never data/geo),
then writes the release tables for every registry region into a scratch DuckDB file.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cli import stopwatch  # noqa: E402
from geo.build import BuildOptions, build  # noqa: E402
from geo.payload import ATTRIBUTE_BYTES  # noqa: E402
from geo.regions import load_regions  # noqa: E402
from geo.release import write_boundaries  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "geo")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="build into this folder and keep it (default: a temporary one)")
    args = parser.parse_args()
    if not (args.shared / "national").is_dir():
        print(f"{args.shared} has no national/ folder: nothing to benchmark.", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        work = args.keep or Path(scratch)
        manifest = report_build(work / "geo", args.shared, args.jobs)
        report_release(work, manifest)
    return 0


def report_build(geo_dir: Path, shared: Path, jobs: int) -> dict:
    options = BuildOptions(sources=(shared / "national", shared / "desa"), jobs=jobs)
    with stopwatch() as timing:
        manifest = build(geo_dir, options)
    counts = manifest["counts"]
    print(f"build: {timing['seconds']:.0f} s with {jobs} job(s); source rows {counts['rows']:,}, "
          f"matched {counts['matched']:,} ({counts['match_rate']:.2%}), unmatched {counts['unmatched']}, "
          f"repaired {counts['repaired']}, names differing from the registry {counts['names_differ']}")
    for level, info in manifest["levels"].items():
        print(f"  {level:<10} {info['regions']:>6,} regions ({info['dissolved']:,} dissolved, {info['own']:,} own), "
              f"{info['without_shape']:,} registry regions without a shape")
    print(f"  {'view':<17}{'map':>10}{'largest map':>14}{'budget':>11}{'all maps':>13}{'tolerance °':>16}"
          f"{'islets':>8}{'overlap km² before/after':>27}{'gaps km² before/after':>24}")
    for name, view in manifest["views"].items():
        tolerance = (f"{view['tolerance_max']:.5f}" if view["tolerance_min"] == view["tolerance_max"]
                     else f"{view['tolerance_min']:.4f}-{view['tolerance_max']:.4f}")
        verdict = "ok" if view["bytes_max"] <= view["max_bytes"] else "OVER"
        print(f"  {name:<17}{view['map_of']:>10}{view['bytes_max'] / 1e6:>11.3f} MB{view['max_bytes'] / 1e6:>8.1f} MB"
              f"{view['bytes_total'] / 1e6:>10.1f} MB{tolerance:>16}{view['dropped_islets']:>8,}"
              f"{view['overlap_km2_before']:>14.3f} / {view['overlap_km2_after']:<10.3f}"
              f"{view['gap_km2_before']:>11.2f} / {view['gap_km2_after']:<9.2f} {verdict}")
    return manifest


def report_release(work: Path, manifest: dict) -> None:
    con = duckdb.connect(str(work / "release.duckdb"))
    with stopwatch() as timing:
        report = write_boundaries(con, load_regions()["code"], work / "geo")
    con.execute("CHECKPOINT")
    regions = sum(report.regions.values())
    print(f"write_boundaries: {timing['seconds']:.0f} s for {regions:,} regions; rows {report.rows}")
    print(f"  without shape: { {level: len(codes) for level, codes in report.without_shape.items()} }; "
          f"illustrative: {report.illustrative}")
    print("  largest map per view (from the written rows): "
          + ", ".join(f"{name} {size / 1e6:.3f} MB" for name, size in report.map_bytes.items()))
    kecamatan = con.execute("SELECT count(DISTINCT code), sum(length(polygon) + ?) FROM boundaries "
                            "WHERE level = 'kecamatan'", [ATTRIBUTE_BYTES]).fetchall()[0]
    print(f"  national kecamatan map: {kecamatan[0]:,} kecamatan, {kecamatan[1] / 1e6:.3f} MB (budget 3 MB)")
    for name, prefix in (("Kab. Bandung", "32.04"), ("Kota Bandung", "32.73"), ("Kab. Kupang", "53.01")):
        desa = con.execute("SELECT count(DISTINCT code), sum(length(polygon) + ?) FROM boundaries "
                           "WHERE level = 'desa' AND starts_with(code, ?)",
                           [ATTRIBUTE_BYTES, prefix + "."]).fetchall()[0]
        print(f"  {name} desa map: {desa[0]} desa, {desa[1] / 1e6:.3f} MB (budget 1 MB)")
    con.close()
    size = (work / "release.duckdb").stat().st_size
    print(f"  boundary tables in DuckDB: {size / 1e6:.0f} MB on disk; layer files "
          f"{sum(v['file_bytes'] for v in manifest['views'].values()) / 1e6:.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
