"""`python -m geo build`: simplified boundary layers from your files, downloads, the shipped pack or illustrative."""

from __future__ import annotations

import argparse
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd

from cli import UserError, stopwatch, summary
from geo.attribution import ILLUSTRATIVE, SourceInfo, download_source, user_source
from geo.dissolve import LevelProvenance, build_levels, merge_duplicates
from geo.fetch import cached_files
from geo.illustrative import PROVINCES, illustrative_levels
from geo.layers import layers_dir, write_layers
from geo.levels import BOUNDARY_LEVELS, level_for_length, parent_code
from geo.options import add_jobs_option, add_provinces_option, parse_codes
from geo.pack import PACK_DIR, PACK_KIND, install_pack, read_pack
from geo.repair import RepairReport, repair
from geo.simplify import VIEWS, View, ViewReport, simplify_levels
from geo.sources import SourceReport, read_sources
from settings import get_settings

log = logging.getLogger(__name__)

HELP = ("Prepare simplified boundary layers for the maps (your files, downloaded boundaries, the shipped boundary "
        "pack or an illustrative default).")
#: Files dropped here are used as `--source` when none is given.
USER_SOURCES_DIR = "sources"
_LISTED = 100  # codes listed in sources.json per kind of problem


@dataclass(frozen=True)
class BuildOptions:
    sources: tuple[Path, ...] = ()
    provinces: tuple[str, ...] | None = None
    code_column: str | None = None
    licence: str | None = None
    attribution: str | None = None
    illustrative: bool = False
    jobs: int = 1
    match_names: bool = False


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", action="append", type=Path, default=[], metavar="PATH",
                        help="boundary file or folder (GeoParquet, GeoJSON, Shapefile zip/folder, GeoPackage); "
                             "repeatable")
    add_provinces_option(parser, "only these provinces, e.g. 32,53 (default: all in the source; all if illustrative)")
    parser.add_argument("--code-column", metavar="NAME", help="column holding the region codes (default: detected)")
    parser.add_argument("--match-names", action="store_true",
                        help="join files without codes by their region names, province to desa (e.g. columns "
                             "province, district, sub_district, village)")
    parser.add_argument("--licence", metavar="TEXT", help="licence of your boundary files, published with them")
    parser.add_argument("--attribution", metavar="TEXT", help="credit line for your boundary files, e.g. 'BIG, 2024'")
    parser.add_argument("--illustrative", action="store_true",
                        help="build the illustrative default even when real boundaries are available")
    add_jobs_option(parser)


def run(args: argparse.Namespace) -> int:
    options = BuildOptions(
        sources=tuple(args.source), provinces=parse_codes(args.provinces, "provinsi"), code_column=args.code_column,
        licence=args.licence, attribution=args.attribution, illustrative=args.illustrative, jobs=max(1, args.jobs),
        match_names=args.match_names,
    )
    geo_dir = get_settings().geo_dir
    manifest = build(geo_dir, options)
    summary(summary_line(manifest, layers_dir(geo_dir)))
    return 0


def build(geo_dir: Path, options: BuildOptions) -> dict[str, Any]:
    """Build and write the layer set; return its manifest (also written as `sources.json`)."""
    with stopwatch() as timing:
        source, shapes, source_report = choose_source(geo_dir, options)
        if source.kind == PACK_KIND:
            return install_pack(geo_dir, options.provinces)
        log.info("Boundaries: %s (%s).", source.name, source.kind)
        if shapes is None:
            levels = illustrative_levels(options.provinces or sorted(PROVINCES))
            provenance = {level: LevelProvenance(own=len(frame)) for level, frame in levels.items()}
            repair_report = RepairReport()
        else:
            log.info("Repairing %s shapes, cleaning shared edges and dissolving upper levels...", f"{len(shapes):,}")
            shapes, repair_report = repair(shapes)
            levels, provenance = build_levels(merge_duplicates(shapes), options.jobs)
        log.info("Simplifying each level for the web within its byte budget...")
        views = simplify_levels(levels, options.jobs, simplify=not source.illustrative)
    frames = {name: _layer_frame(frame, source.kind) for name, (frame, _) in views.items()}
    manifest = _manifest(source, source_report, repair_report, provenance, views, timing["seconds"])
    write_layers(geo_dir, frames, manifest)
    return manifest


def choose_source(geo_dir: Path, options: BuildOptions) -> tuple[SourceInfo, gpd.GeoDataFrame | None, SourceReport]:
    """Your files first, then cached downloads, then the shipped boundary pack, then the illustrative default."""
    if options.illustrative:
        return ILLUSTRATIVE, None, SourceReport()
    paths = list(options.sources) or _configured_sources(geo_dir)
    if paths:
        shapes, report = read_sources(paths, options.code_column, options.provinces, options.match_names)
        if shapes.empty:
            raise UserError(f"No region of {_provinces_text(options)} was found in {', '.join(map(str, paths))}.")
        return user_source([Path(p).name for p in paths], options.licence, options.attribution), shapes, report
    cache = cached_files(geo_dir)
    if cache:
        shapes, report = read_sources(cache, "code", options.provinces)
        if not shapes.empty:
            return download_source(), shapes, report
        log.warning("The downloaded boundaries hold no region of %s; using the boundary pack.",
                    _provinces_text(options))
    pack = read_pack(PACK_DIR, options.provinces)
    if pack is not None:
        return pack.source, None, SourceReport()  # its layers are installed as they are (see geo.pack)
    return ILLUSTRATIVE, None, SourceReport()


def _configured_sources(geo_dir: Path) -> list[Path]:
    folder = Path(geo_dir) / USER_SOURCES_DIR
    return [folder] if folder.is_dir() and any(folder.iterdir()) else []


def _provinces_text(options: BuildOptions) -> str:
    return f"province(s) {', '.join(options.provinces)}" if options.provinces else "any province"


def _layer_frame(frame: gpd.GeoDataFrame, kind: str) -> gpd.GeoDataFrame:
    frame = frame.copy()
    frame["level"] = [level_for_length(len(code)) for code in frame["code"]]
    frame["parent_code"] = [parent_code(code) for code in frame["code"]]
    if "source" not in frame.columns:
        frame["source"] = kind
    return frame


def _manifest(source: SourceInfo, source_report: SourceReport, repair_report: RepairReport,
              provenance: dict[str, LevelProvenance], views: dict[str, tuple[gpd.GeoDataFrame, ViewReport]],
              seconds: float) -> dict[str, Any]:
    provinces = sorted({code[:2] for frame, _ in views.values() for code in frame["code"]})
    return {
        **source.to_dict(),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(seconds, 1),
        "provinces": provinces,
        "counts": {
            "rows": source_report.rows, "matched": source_report.matched,
            "match_rate": round(source_report.match_rate, 6), "unmatched": len(source_report.unmatched),
            "unmatched_codes": source_report.unmatched[:_LISTED], "duplicates": source_report.duplicates,
            "names_differ": source_report.names_differ, "names_compared": source_report.names_compared,
            "names_differ_examples": source_report.names_differ_examples,
            "earlier_edition": source_report.earlier_edition, "matched_by_name": source_report.matched_by_name,
            "repaired": repair_report.repaired,
            "dropped_empty": repair_report.dropped_empty[:_LISTED], "code_columns": source_report.code_columns,
        },
        "levels": {
            level: {"regions": p.dissolved + p.own, "dissolved": p.dissolved, "own": p.own,
                    "without_shape": len(p.without_shape), "without_shape_codes": p.without_shape[:_LISTED]}
            for level, p in sorted(provenance.items(), key=lambda item: BOUNDARY_LEVELS.index(item[0]))
        },
        "views": {name: {"table": _view(name).table, "map_of": _view(name).map_of, **asdict(report)}
                  for name, (_, report) in views.items()},
    }


def _view(name: str) -> View:
    return next(view for view in VIEWS if view.name == name)


def summary_line(manifest: dict[str, Any], folder: Path) -> str:
    counts: dict = manifest["counts"]
    levels: dict = manifest["levels"]
    views: dict = manifest["views"]
    regions = ", ".join(f"{level} {info['regions']:,}" for level, info in levels.items())
    without = sum(info["without_shape"] for info in levels.values())
    sizes = ", ".join(
        f"{name} {info['bytes_max'] / 1e6:.3f}/{info['max_bytes'] / 1e6:.0f} MB"
        + ("" if info["bytes_max"] <= info["max_bytes"] else " OVER BUDGET")
        for name, info in views.items()
    )
    matched = ""
    if counts["rows"]:
        how = ("; by name" if counts.get("matched_by_name") else "") + (
            f"; {counts['earlier_edition']:,} earlier-edition codes moved to today's"
            if counts.get("earlier_edition") else "")
        names = (f"names differ {counts['names_differ']:,}/{counts['names_compared']:,}"
                 + (f" (e.g. {counts['names_differ_examples'][0]})" if counts.get("names_differ_examples") else "")
                 + ", ") if counts.get("names_compared") else (
            "" if counts.get("matched_by_name") else "names not checked (no name column), ")
        matched = (f"matched {counts['matched']:,}/{counts['rows']:,} ({counts['match_rate']:.1%}{how}), "
                   f"unmatched {counts['unmatched']:,}, {names}shapes merged into a shared code "
                   f"{counts['duplicates']:,}, repaired {counts['repaired']:,}, ")
    return (f"geo build ({manifest['kind']}): {regions} regions; {matched}without shape {without:,}; "
            f"bytes per map (largest/budget): {sizes}; {manifest['seconds']:.0f} s -> {folder}")
