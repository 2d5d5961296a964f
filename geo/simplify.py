"""Simplify each level for the web within a byte budget, keeping shared edges shared (no gaps between neighbours)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.levels import CODE_LENGTH, island_group
from geo.parallel import map_groups
from geo.payload import geometry_payload
from geo.repair import polygonal

#: Square kilometres per square degree at the equator.
KM2_PER_DEG2 = 111.32**2
_MAX_DOUBLINGS = 16
_BISECTIONS = 4


@dataclass(frozen=True)
class View:
    """One simplified variant of a level, sized for the widest map that draws it."""

    name: str
    level: str
    #: Published table whose rows hold this view.
    table: str
    #: The map that must fit the budget: the whole country ('nasional') or one kabupaten ('kabupaten').
    map_of: str
    max_bytes: int
    decimals: int
    #: Finest simplification published (degrees); coarser only where the budget needs it.
    min_tolerance: float
    #: Each kabupaten gets its own tolerance (only where its shapes are a coverage of their own).
    per_map_tolerance: bool = False


#: Views in build order; a view of a level already simplified starts from that result.
VIEWS = (
    View("provinsi", "provinsi", "boundaries", "nasional", 1_000_000, 4, 0.002),
    View("kabupaten", "kabupaten", "boundaries", "nasional", 2_000_000, 4, 0.001),
    View("kecamatan_detail", "kecamatan", "boundaries_detail", "kabupaten", 1_000_000, 5, 0.0002),
    View("kecamatan", "kecamatan", "boundaries", "nasional", 3_000_000, 4, 0.002),
    # Desa are cleaned per kabupaten, so a kabupaten's desa form a coverage of their own.
    View("desa", "desa", "boundaries", "kabupaten", 1_000_000, 5, 0.0002, per_map_tolerance=True),
)


@dataclass
class ViewReport:
    view: str
    level: str
    regions: int
    parts: int
    dropped_islets: int
    tolerance_min: float
    tolerance_max: float
    bytes_total: int
    bytes_max: int
    worst_map: str
    max_bytes: int
    overlap_km2_before: float
    overlap_km2_after: float
    gap_km2_before: float
    gap_km2_after: float


@dataclass
class _Fit:
    geometries: np.ndarray
    tolerance: float
    sizes: pd.Series
    dropped_islets: int


def simplify_levels(levels: dict[str, gpd.GeoDataFrame], jobs: int = 1,
                    simplify: bool = True) -> dict[str, tuple[gpd.GeoDataFrame, ViewReport]]:
    """Every view whose level has shapes: simplified shapes and the measurements behind them.

    With `simplify=False` shapes are only rounded to the published precision (illustrative shapes are
    already simple, and simplifying each level on its own would undo their exact nesting).
    """
    results: dict[str, tuple[gpd.GeoDataFrame, ViewReport]] = {}
    latest: dict[str, gpd.GeoDataFrame] = {}
    for view in VIEWS:
        layer = levels.get(view.level)
        if layer is None or layer.empty:
            continue
        start = latest.get(view.level, layer)
        simplified, report = simplify_view(layer, start, view if simplify else replace(view, min_tolerance=0.0), jobs)
        results[view.name] = simplified, report
        latest[view.level] = simplified
    return results


def simplify_view(layer: gpd.GeoDataFrame, start: gpd.GeoDataFrame, view: View,
                  jobs: int = 1) -> tuple[gpd.GeoDataFrame, ViewReport]:
    """Simplify `start` (the level itself or a finer view of it) for `view`; measure against the full `layer`."""
    codes = start["code"].to_numpy()
    geometries = np.asarray(start.geometry.array, dtype=object)
    if view.per_map_tolerance:
        keys = map_keys(codes, view)
        fits = _fit_each(geometries, codes, keys, view, jobs)
        out = np.concatenate([fit.geometries for fit in fits])
        order = np.concatenate([np.flatnonzero(np.asarray(keys) == key) for key in dict.fromkeys(keys)])
        result = np.empty(len(out), dtype=object)
        result[order] = out
        sizes = pd.concat([fit.sizes for fit in fits])
        tolerances = [fit.tolerance for fit in fits]
        dropped = sum(fit.dropped_islets for fit in fits)
    else:
        fit = _fit(geometries, codes, view)
        result, sizes, tolerances, dropped = fit.geometries, fit.sizes, [fit.tolerance], fit.dropped_islets
    frame = gpd.GeoDataFrame({"code": codes}, geometry=result, crs="EPSG:4326")
    before = coverage_defects(np.asarray(layer.geometry.array, dtype=object), layer["code"].to_numpy(), view)
    after = coverage_defects(result, codes, view)
    report = ViewReport(
        view=view.name, level=view.level, regions=len(frame), parts=int(shapely.get_num_geometries(result).sum()),
        dropped_islets=dropped, tolerance_min=min(tolerances), tolerance_max=max(tolerances),
        bytes_total=int(sizes.sum()), bytes_max=int(sizes.max()), worst_map=str(sizes.idxmax()),
        max_bytes=view.max_bytes, overlap_km2_before=before[0], overlap_km2_after=after[0],
        gap_km2_before=before[1], gap_km2_after=after[1],
    )
    return frame, report


def _fit_each(geometries: np.ndarray, codes: np.ndarray, keys: list[str], view: View, jobs: int) -> list[_Fit]:
    key_array = np.asarray(keys)
    tasks = [(geometries[key_array == key], codes[key_array == key], view) for key in dict.fromkeys(keys)]
    return map_groups(_fit_task, tasks, jobs, f"simplifying {view.name}")


def _fit_task(task: tuple[np.ndarray, np.ndarray, View]) -> _Fit:
    return _fit(*task)


def _fit(geometries: np.ndarray, codes: np.ndarray, view: View) -> _Fit:
    """The finest tolerance (from the view's minimum) at which every map of the view fits its budget.

    Coarser attempts start from the shapes simplified at the minimum tolerance (much faster than from full
    resolution, and the same shapes to within that minimum), and only simplify the island groups holding a
    map over budget: the other maps fit at any coarser tolerance.
    """
    groups = np.asarray([island_group(code) for code in codes])
    base, base_dropped = _simplify(geometries, groups, view.min_tolerance)
    fit = _measure(base, codes, view, view.min_tolerance, base_dropped)
    if fit.sizes.max() <= view.max_bytes or view.min_tolerance == 0:
        return fit
    over = set(fit.sizes.index[fit.sizes > view.max_bytes])
    subset = np.isin(groups, [group for group, key in zip(groups, map_keys(codes, view), strict=True) if key in over])

    def fits(tolerance: float) -> bool:
        simplified, _ = _simplify(base[subset], groups[subset], tolerance)
        return _measure(simplified, codes[subset], view, tolerance, 0).sizes.max() <= view.max_bytes

    low, high = view.min_tolerance, 2 * view.min_tolerance
    for _ in range(_MAX_DOUBLINGS):
        if fits(high):
            break
        low, high = high, 2 * high
    for _ in range(_BISECTIONS):
        middle = math.sqrt(low * high)
        low, high = (low, middle) if fits(middle) else (middle, high)
    simplified, dropped = _simplify(base, groups, high)
    return _measure(simplified, codes, view, high, base_dropped + dropped)


def map_keys(codes: np.ndarray, view: View) -> list[str]:
    """The map each region is drawn on for the view's budget: the whole country, or its kabupaten."""
    if view.map_of == "nasional":
        return ["nasional"] * len(codes)
    return [code[:CODE_LENGTH[view.map_of]] for code in codes]


def _simplify(geometries: np.ndarray, groups: np.ndarray, tolerance: float) -> tuple[np.ndarray, int]:
    """Coverage simplification per island group, after dropping islets below the tolerance's square."""
    if not tolerance:
        return geometries, 0
    result = np.empty(len(geometries), dtype=object)
    dropped = 0
    for group in np.unique(groups):
        mask = groups == group
        kept, count = drop_islets(geometries[mask], tolerance**2)
        result[mask] = shapely.coverage_simplify(kept, tolerance)
        dropped += count
    return result, dropped


def _measure(geometries: np.ndarray, codes: np.ndarray, view: View, tolerance: float, dropped: int) -> _Fit:
    rounded = round_shapes(geometries, view.decimals)
    payloads = pd.Series([geometry_payload([g], view.decimals) for g in rounded], dtype="int64")
    sizes = payloads.groupby(map_keys(codes, view)).sum()
    return _Fit(rounded, tolerance, sizes, dropped)


def round_shapes(geometries: np.ndarray, decimals: int) -> np.ndarray:
    """Snap to the published precision; shared vertices snap alike, so shared edges stay shared."""
    rounded = polygonal(shapely.set_precision(geometries, 10.0**-decimals))
    collapsed = shapely.is_empty(rounded)
    rounded[collapsed] = geometries[collapsed]  # a region smaller than the grid keeps its simplified shape
    return rounded


def drop_islets(geometries: np.ndarray, min_area: float) -> tuple[np.ndarray, int]:
    """Drop island parts smaller than `min_area` (square degrees) that touch no other region.

    A region always keeps its largest part; parts touching a neighbour are kept so no gap opens.
    """
    parts, owner = shapely.get_parts(geometries, return_index=True)
    areas = shapely.area(parts)
    largest = areas == pd.Series(areas).groupby(owner).transform("max").to_numpy()
    small = np.flatnonzero((areas < min_area) & ~largest)
    if not small.size:
        return geometries, 0
    # Query the few small parts with the (prepared) regions, rather than the other way round: much faster.
    region, hit = shapely.STRtree(parts[small]).query(geometries, predicate="intersects")
    touching = np.unique(small[hit[region != owner[small[hit]]]])
    drop = np.setdiff1d(small, touching)
    keep = np.ones(len(parts), dtype=bool)
    keep[drop] = False
    empty = np.full(len(geometries), shapely.MultiPolygon(), dtype=object)
    return shapely.multipolygons(parts[keep], indices=owner[keep], out=empty), int(drop.size)


def coverage_defects(geometries: np.ndarray, codes: np.ndarray, view: View) -> tuple[float, float]:
    """Overlap between regions and gaps enclosed by them (km²), summed over the view's coverages."""
    keys = np.asarray([_coverage_key(code, view) for code in codes])
    overlap = gaps = 0.0
    for key in np.unique(keys):
        members = geometries[keys == key]
        # A valid coverage has no overlaps and its fast union is exact; otherwise use the general union.
        valid = shapely.coverage_is_valid(members)
        union = shapely.coverage_union_all(members) if valid else shapely.union_all(members)
        scale = KM2_PER_DEG2 * math.cos(math.radians(shapely.centroid(union).y)) if not union.is_empty else 0.0
        overlap += max(0.0, float(shapely.area(members).sum() - union.area)) * scale
        holes = [shapely.Polygon(ring) for part in shapely.get_parts(union) for ring in part.interiors]
        gaps += float(shapely.area(holes).sum()) * scale if holes else 0.0
    return round(overlap, 4), round(gaps, 4)


def _coverage_key(code: str, view: View) -> str:
    return code[:CODE_LENGTH["kabupaten"]] if view.per_map_tolerance else island_group(code)
