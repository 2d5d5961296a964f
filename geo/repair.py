"""Make shapes usable: EPSG:4326, 2-D, valid, polygonal; overlaps and sliver gaps between neighbours removed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely

from geo.parallel import map_groups

log = logging.getLogger(__name__)

#: Gaps between neighbours narrower than this (degrees, about 55 m) are slivers of the source data:
#: they go to the neighbour with the longest shared border.
GAP_WIDTH = 0.0005
_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)


@dataclass
class RepairReport:
    repaired: int = 0
    dropped_empty: list[str] = field(default_factory=list)

    def add(self, other: RepairReport) -> None:
        self.repaired += other.repaired
        self.dropped_empty += other.dropped_empty


def polygonal(geometries: np.ndarray) -> np.ndarray:
    """Keep only the polygons of each geometry (a repair may leave lines or points in a collection)."""
    geometries = np.asarray(geometries, dtype=object).copy()
    other = ~np.isin(shapely.get_type_id(geometries), _POLYGONAL) & ~shapely.is_missing(geometries)
    if other.any():
        parts, index = shapely.get_parts(geometries[other], return_index=True)
        keep = np.isin(shapely.get_type_id(parts), _POLYGONAL)
        flat, flat_index = shapely.get_parts(parts[keep], return_index=True)
        empty = np.full(int(other.sum()), shapely.MultiPolygon(), dtype=object)
        geometries[other] = shapely.multipolygons(flat, indices=index[keep][flat_index], out=empty)
    return geometries


def repair(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, RepairReport]:
    """Valid polygonal shapes in EPSG:4326; MultiPolygons (islands) kept, empty shapes dropped with a warning."""
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    geometries = shapely.force_2d(np.asarray(frame.geometry.array, dtype=object))
    present = ~shapely.is_missing(geometries) & ~shapely.is_empty(geometries)
    invalid = present & ~shapely.is_valid(geometries)
    # 'structure' merges a part nested inside another instead of punching a hole where it lies.
    geometries[invalid] = shapely.make_valid(geometries[invalid], method="structure", keep_collapsed=False)
    geometries = polygonal(geometries)
    empty = shapely.is_missing(geometries) | shapely.is_empty(geometries)
    report = RepairReport(repaired=int(invalid.sum()), dropped_empty=sorted(frame.loc[empty, "code"]))
    if report.dropped_empty:
        log.warning("Dropped %d empty shape(s): %s", len(report.dropped_empty), ", ".join(report.dropped_empty[:10]))
    repaired = frame.set_geometry(geometries, crs="EPSG:4326")
    return repaired.loc[~empty].reset_index(drop=True), report


def clean_coverage(frame: gpd.GeoDataFrame, group_of: Callable[[str], str], jobs: int = 1) -> gpd.GeoDataFrame:
    """Remove overlaps and sliver gaps between neighbours, so that shared edges become identical.

    Regions are cleaned in groups (`group_of(code)`) that cannot share a border with another group;
    groups run in parallel on `jobs` processes. A region absorbed entirely by its neighbours is dropped.
    """
    if frame.empty:
        return frame
    keys = frame["code"].map(group_of).to_numpy()
    order = np.argsort(keys, kind="stable")
    frame, keys = frame.iloc[order].reset_index(drop=True), keys[order]
    starts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    groups = np.split(np.asarray(frame.geometry.array, dtype=object), starts)
    cleaned = map_groups(_clean_group, groups, jobs, "cleaning shared edges")
    geometries = polygonal(np.concatenate(cleaned))
    frame = frame.set_geometry(geometries, crs="EPSG:4326")
    absorbed = shapely.is_empty(geometries)
    if absorbed.any():
        log.warning("Dropped %d shape(s) covered entirely by their neighbours: %s",
                    int(absorbed.sum()), ", ".join(frame.loc[absorbed, "code"].head(10)))
    return frame.loc[~absorbed].reset_index(drop=True)


def _clean_group(geometries: np.ndarray) -> np.ndarray:
    if len(geometries) == 1:
        return geometries
    return shapely.coverage_clean(geometries, gap_width=GAP_WIDTH)
