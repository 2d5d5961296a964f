"""Boundaries for a published release: ready-to-draw polygon rows, label points and provenance, written into DuckDB.

The publisher calls `write_boundaries` while assembling a release, so the dashboard does no geometry work.
Tables (one row per polygon part; `polygon` is pydeck PolygonLayer JSON `[[[lng,lat],...],[hole...]]`):

- `boundaries(level, code, part, polygon)`: one variant per level, sized for the widest map that draws it:
  provinsi, kabupaten and kecamatan rows for a map of the whole country (4 decimals; the national kecamatan
  map is at most 3 MB), desa rows for a map of one kabupaten (5 decimals, at most 1 MB per kabupaten).
- `boundaries_detail(level, code, part, polygon)`: finer kecamatan rows (5 decimals, at most 1 MB per
  kabupaten) for maps of one province's or one kabupaten's kecamatan.
- `boundary_centroids(level, code, lon, lat, min_lon, min_lat, max_lon, max_lat, source)`: a label point inside each
  region's largest part, its bounding box (for view state and labels) and the `kind` of the `boundary_sources` row
  its shape came from (a level can mix sources: a map credits the ones it draws).
- `boundary_sources(level, kind, name, licence, attribution_id, attribution_en, illustrative, built_at,
  regions, regions_without_shape)`: where each level's shapes come from; show the attribution on every map.
  Illustrative rows say "batas wilayah ilustratif" in both languages; how to get real ones is logged for the operator.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.attribution import ILLUSTRATIVE, SourceInfo, how_to_real
from geo.illustrative import fill_missing
from geo.layers import StoredLayers, read_layers
from geo.levels import BOUNDARY_LEVELS, parent_code, parent_level
from geo.pack import PACK_DIR, read_pack, with_fallback
from geo.payload import payload_bytes, polygon_parts
from geo.regions import get_registry, level_of
from geo.simplify import VIEWS, View, map_keys, round_shapes

log = logging.getLogger(__name__)

TABLES = ("boundaries", "boundaries_detail", "boundary_centroids", "boundary_sources")
_CENTROID_DECIMALS = 5


@dataclass
class BoundaryReport:
    """What `write_boundaries` wrote."""

    regions: dict[str, int] = field(default_factory=dict)
    illustrative: dict[str, int] = field(default_factory=dict)
    without_shape: dict[str, list[str]] = field(default_factory=dict)
    unknown_codes: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    #: Bytes of the largest map of each view (the whole country, or the largest kabupaten).
    map_bytes: dict[str, int] = field(default_factory=dict)


@dataclass
class BoundaryTables:
    """A release's boundary tables before they are written (make_boundaries): picklable, so another process can
    make them while the release is being protected."""

    polygons: pd.DataFrame
    centroids: pd.DataFrame
    sources: pd.DataFrame
    report: BoundaryReport
    #: For the operator: which regions got illustrative shapes and how to get real ones (None: none did).
    illustrative_note: str | None


def write_boundaries(con: duckdb.DuckDBPyConnection, region_codes: Iterable[str], geo_dir: Path,
                     pack: Path | None = PACK_DIR) -> BoundaryReport:
    """(Re)create the boundary tables for the regions of a release (dotted codes, any level).

    Shapes come from the layers `geo build` wrote in `geo_dir`, then from the boundary `pack` shipped in the
    repository for regions those lack (None: no pack); regions without a shape in either get illustrative ones.
    """
    return store_boundaries(con, make_boundaries(region_codes, geo_dir, pack))


def make_boundaries(region_codes: Iterable[str], geo_dir: Path, pack: Path | None = PACK_DIR) -> BoundaryTables:
    """The boundary tables write_boundaries writes, without a database (all the geometry work)."""
    report = BoundaryReport()
    wanted = _wanted_by_level(region_codes, report)
    stored = with_fallback(read_layers(geo_dir), read_pack(pack))
    finest = {level: _finest_shapes(stored, level) for level in BOUNDARY_LEVELS}
    shapes, without = fill_missing({k: v for k, v in finest.items() if v is not None}, _with_ancestors(wanted))
    for level in BOUNDARY_LEVELS:
        shapes[level] = shapes[level][shapes[level]["code"].isin(wanted[level])]  # ancestors were only needed here
        report.regions[level] = len(shapes[level])
        report.illustrative[level] = int((shapes[level]["source"] == "illustrative").sum())
        report.without_shape[level] = [code for code in without[level] if code in wanted[level]]
    polygons = []
    for view in VIEWS:
        rows = _polygon_rows(_view_shapes(view, stored, shapes[view.level]), view)
        report.map_bytes[view.name] = _largest_map(rows, view)
        polygons.append(rows.assign(table=view.table))
    sources = _source_rows(shapes, report.without_shape, stored)
    return BoundaryTables(pd.concat(polygons, ignore_index=True), _centroid_rows(shapes), sources, report,
                          _illustrative_note(shapes))


def store_boundaries(con: duckdb.DuckDBPyConnection, made: BoundaryTables) -> BoundaryReport:
    """Write boundary tables made by make_boundaries; tell the operator about illustrative shapes."""
    made.report.rows = _write_tables(con, made.polygons, made.centroids, made.sources)
    if made.illustrative_note:
        log.warning("%s", made.illustrative_note)
    return made.report


def _illustrative_note(shapes: dict[str, gpd.GeoDataFrame]) -> str | None:
    """For the operator (never the map's readers): which regions got illustrative shapes and how to get real ones."""
    made = {level: frame.loc[frame["source"] == "illustrative", "code"] for level, frame in shapes.items()}
    counts = ", ".join(f"{level} {len(codes):,}" for level, codes in made.items() if len(codes))
    if not counts:
        return None
    provinces = sorted({code[:2] for codes in made.values() for code in codes})
    return f"Illustrative shapes for {counts} region(s) of province(s) {', '.join(provinces)}. {how_to_real(provinces)}"


def _wanted_by_level(region_codes: Iterable[str], report: BoundaryReport) -> dict[str, set[str]]:
    registry = get_registry()
    wanted: dict[str, set[str]] = {level: set() for level in BOUNDARY_LEVELS}
    for code in set(region_codes):
        if code not in registry:
            report.unknown_codes.append(code)
        elif level_of(code) in wanted:  # the national root has no shape of its own
            wanted[level_of(code)].add(code)
    report.unknown_codes.sort()
    return wanted


def _with_ancestors(wanted: dict[str, set[str]]) -> dict[str, set[str]]:
    needed = {level: set(codes) for level, codes in wanted.items()}
    for level in reversed(BOUNDARY_LEVELS[1:]):
        needed[parent_level(level) or ""] |= {parent_code(code) or "" for code in needed[level]}
    return needed


def _finest_shapes(stored: StoredLayers | None, level: str) -> gpd.GeoDataFrame | None:
    """The most detailed stored view of a level: children are placed inside it when they must be illustrative."""
    if stored is None:
        return None
    views = sorted((view for view in VIEWS if view.level == level and view.name in stored.views),
                   key=lambda view: view.min_tolerance)
    return stored.views[views[0].name][["code", "source", "geometry"]] if views else None


def _view_shapes(view: View, stored: StoredLayers | None, shapes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The view's stored shapes for these regions, and the resolved (e.g. illustrative) shape for the rest."""
    mine = shapes
    if stored is not None and view.name in stored.views:
        layer = stored.views[view.name]
        own = layer[layer["code"].isin(shapes["code"])][["code", "source", "geometry"]]
        mine = mine[~mine["code"].isin(own["code"])]
    else:
        own = mine.iloc[:0]
    # Shapes made here are snapped to the view's grid exactly as `geo build` snaps its layers.
    made = mine.set_geometry(round_shapes(np.asarray(mine.geometry.array, dtype=object), view.decimals))
    return pd.concat([own, made], ignore_index=True)


def _polygon_rows(frame: gpd.GeoDataFrame, view: View) -> pd.DataFrame:
    rows = [(view.level, code, part, polygon)
            for code, geometry in zip(frame["code"], frame.geometry, strict=True)
            for part, polygon in enumerate(polygon_parts(geometry, view.decimals))]
    return pd.DataFrame(rows, columns=["level", "code", "part", "polygon"])


def _largest_map(rows: pd.DataFrame, view: View) -> int:
    if rows.empty:
        return 0
    return int(rows.groupby(map_keys(rows["code"].to_numpy(), view))["polygon"].agg(payload_bytes).max())


def _centroid_rows(shapes: dict[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    frames = []
    for level, frame in shapes.items():
        geometries = np.asarray(frame.geometry.array, dtype=object)
        labels = shapely.point_on_surface([_largest_part(g) for g in geometries]) if len(frame) else []
        bounds = shapely.bounds(geometries).reshape(-1, 4)
        frames.append(pd.DataFrame({
            "level": level, "code": frame["code"].to_numpy(),
            "lon": shapely.get_x(labels), "lat": shapely.get_y(labels),
            "min_lon": bounds[:, 0], "min_lat": bounds[:, 1], "max_lon": bounds[:, 2], "max_lat": bounds[:, 3],
        }).round(_CENTROID_DECIMALS).assign(source=frame["source"].to_numpy()))
    return pd.concat(frames, ignore_index=True)


def _largest_part(geometry: shapely.Geometry) -> shapely.Geometry:
    parts = shapely.get_parts(geometry)
    return parts[np.argmax(shapely.area(parts))]


def _source_rows(shapes: dict[str, gpd.GeoDataFrame], without: dict[str, list[str]],
                 stored: StoredLayers | None) -> pd.DataFrame:
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = []
    for level, frame in shapes.items():
        kinds = frame["source"].value_counts()
        # Regions left without a shape are counted once, on the row of the source that lacked them.
        ordered = sorted(kinds.index, key=lambda kind: kind == "illustrative")
        if without[level] and not ordered:
            ordered = [stored.source.kind if stored else "illustrative"]
        for index, kind in enumerate(ordered):
            info, built_at = _provenance(kind, stored, now)
            rows.append({
                "level": level, "kind": kind, "name": info.name, "licence": info.licence,
                "attribution_id": info.attribution_id, "attribution_en": info.attribution_en,
                "illustrative": info.illustrative, "built_at": built_at,
                "regions": int(kinds.get(kind, 0)), "regions_without_shape": len(without[level]) if index == 0 else 0,
            })
    return pd.DataFrame(rows, columns=["level", "kind", "name", "licence", "attribution_id", "attribution_en",
                                       "illustrative", "built_at", "regions", "regions_without_shape"])


def _provenance(kind: str, stored: StoredLayers | None, now: datetime) -> tuple[SourceInfo, datetime]:
    layers = stored.layers_of(kind) if stored is not None else None
    if layers is not None:
        built_at = datetime.fromisoformat(str(layers.manifest["built_at"])).astimezone(UTC).replace(tzinfo=None)
        return layers.source, built_at
    return ILLUSTRATIVE, now


def _write_tables(con: duckdb.DuckDBPyConnection, polygons: pd.DataFrame, centroids: pd.DataFrame,
                  sources: pd.DataFrame) -> dict[str, int]:
    frames = {"_polygons": polygons, "_centroids": centroids, "_sources": sources}
    for name, frame in frames.items():
        con.register(name, frame)
    try:
        for statement in _CREATE_TABLES:
            con.execute(statement)
        return {table: con.table(table).shape[0] for table in TABLES}
    finally:
        for name in frames:
            con.unregister(name)


#: Long JSON strings compress about 5x with zstd (DuckDB leaves them uncompressed by default).
_CREATE_TABLES = (
    """CREATE OR REPLACE TABLE boundaries (
           level VARCHAR, code VARCHAR, part SMALLINT, polygon VARCHAR USING COMPRESSION zstd)""",
    """INSERT INTO boundaries
       SELECT level, code, part, polygon FROM _polygons WHERE "table" = 'boundaries'
       ORDER BY CASE level WHEN 'provinsi' THEN 1 WHEN 'kabupaten' THEN 2 WHEN 'kecamatan' THEN 3 ELSE 4 END,
                code, part""",
    """CREATE OR REPLACE TABLE boundaries_detail (
           level VARCHAR, code VARCHAR, part SMALLINT, polygon VARCHAR USING COMPRESSION zstd)""",
    """INSERT INTO boundaries_detail
       SELECT level, code, part, polygon FROM _polygons WHERE "table" = 'boundaries_detail'
       ORDER BY CASE level WHEN 'provinsi' THEN 1 WHEN 'kabupaten' THEN 2 WHEN 'kecamatan' THEN 3 ELSE 4 END,
                code, part""",
    """CREATE OR REPLACE TABLE boundary_centroids (
           level VARCHAR, code VARCHAR, lon DOUBLE, lat DOUBLE,
           min_lon DOUBLE, min_lat DOUBLE, max_lon DOUBLE, max_lat DOUBLE, source VARCHAR)""",
    """INSERT INTO boundary_centroids
       SELECT level, code, lon, lat, min_lon, min_lat, max_lon, max_lat, source FROM _centroids
       ORDER BY CASE level WHEN 'provinsi' THEN 1 WHEN 'kabupaten' THEN 2 WHEN 'kecamatan' THEN 3 ELSE 4 END, code""",
    """CREATE OR REPLACE TABLE boundary_sources (
           level VARCHAR, kind VARCHAR, name VARCHAR, licence VARCHAR, attribution_id VARCHAR,
           attribution_en VARCHAR, illustrative BOOLEAN, built_at TIMESTAMP, regions INTEGER,
           regions_without_shape INTEGER)""",
    """INSERT INTO boundary_sources
       SELECT level, kind, name, licence, attribution_id, attribution_en, illustrative, built_at, regions,
              regions_without_shape
       FROM _sources
       ORDER BY CASE level WHEN 'provinsi' THEN 1 WHEN 'kabupaten' THEN 2 WHEN 'kecamatan' THEN 3 ELSE 4 END, kind""",
)
