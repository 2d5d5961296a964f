"""Illustrative boundaries: deterministic synthetic shapes, nested exactly, for regions without real ones.

A province is a disc of its real area around its real centre, cut where it would overlap a neighbour's.
Each parent is tiled by its children with a Voronoi partition of seeded points (relaxed twice so cells
look like regions rather than shards). Where some children have real shapes, the missing ones tile what
the real ones leave of the parent; when nothing is left, they stay without a shape.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.levels import BOUNDARY_LEVELS, parent_code, parent_level, registry_children
from geo.repair import polygonal

#: Approximate centre (lng, lat) and land area (km²) of each province, from the upstream province layer.
PROVINCES: dict[str, tuple[float, float, int]] = {
    "11": (96.91, 4.23, 56900), "12": (99.06, 2.19, 72500), "13": (100.47, -0.85, 42100),
    "14": (101.81, 0.51, 89700), "15": (102.72, -1.70, 49000), "16": (104.17, -3.21, 86700),
    "17": (102.34, -3.56, 20200), "18": (105.02, -4.92, 33600), "19": (106.56, -2.45, 16800),
    "21": (105.40, 1.48, 8000), "31": (106.83, -6.20, 700), "32": (107.60, -6.92, 37100),
    "33": (110.20, -7.26, 34400), "34": (110.45, -7.89, 3100), "35": (112.73, -7.72, 48000),
    "36": (106.11, -6.46, 9400), "51": (115.13, -8.37, 5600), "52": (117.51, -8.61, 19700),
    "53": (122.18, -9.26, 46300), "61": (111.12, -0.09, 147100), "62": (113.42, -1.61, 153500),
    "63": (114.83, -3.48, 37100), "64": (116.45, 0.45, 126700), "65": (116.25, 2.92, 70000),
    "71": (124.52, 1.26, 14500), "72": (121.21, -1.02, 61500), "73": (120.16, -3.73, 45300),
    "74": (122.07, -4.14, 36200), "75": (122.38, 0.69, 12000), "76": (119.35, -2.47, 16600),
    "81": (129.84, -4.74, 45800), "82": (127.54, 0.21, 31300), "91": (138.53, -2.62, 82300),
    "92": (133.65, -2.65, 59300), "93": (139.55, -6.68, 116900), "94": (136.64, -3.90, 62000),
    "95": (139.50, -4.27, 52200), "96": (131.95, -1.12, 38900),
}
#: What real children leave of a parent must be at least this share of it to hold illustrative ones
#: (less is slivers between real shapes, not room for a region).
MIN_REMAINDER_SHARE = 0.02
_KM_PER_DEGREE = 111.32
_RELAXATIONS = 2


def province_shapes(codes: Iterable[str]) -> dict[str, shapely.Geometry]:
    """Synthetic province shapes: discs of the real area at the real centre, never overlapping each other."""
    known = sorted(PROVINCES)
    centres = shapely.points([PROVINCES[code][:2] for code in known])
    cells = shapely.get_parts(shapely.voronoi_polygons(
        shapely.multipoints(centres), extend_to=shapely.box(80, -25, 155, 20), ordered=True))
    shapes = {}
    for code in codes:
        lng, lat, area = PROVINCES[code]
        radius = math.sqrt(area / math.pi) / _KM_PER_DEGREE
        disc = shapely.Point(lng, lat).buffer(radius, quad_segs=16)
        shapes[code] = shapely.intersection(disc, cells[known.index(code)])
    return shapes


def partition(parent: str, region: shapely.Geometry, children: list[str]) -> dict[str, shapely.Geometry]:
    """Tile `region` with one cell per child: no gaps, no overlaps, the same result every time."""
    if len(children) == 1 or region.area <= 0:
        return {children[0]: region} if region.area > 0 else {}
    shapely.prepare(region)
    seeds = _seed_points(parent, region, len(children))
    for _ in range(_RELAXATIONS):
        cells = _voronoi_cells(region, seeds)
        centres = shapely.centroid(cells)
        outside = ~shapely.contains(region, centres)
        centres[outside] = shapely.point_on_surface(cells[outside])
        seeds = shapely.get_coordinates(centres)
    return dict(zip(children, _voronoi_cells(region, seeds), strict=True))


def _seed_points(parent: str, region: shapely.Geometry, count: int) -> np.ndarray:
    """Points spread uniformly over `region`, seeded by the parent's code (never Python's salted hash)."""
    digest = hashlib.blake2b(parent.encode(), digest_size=8).digest()
    rng = np.random.default_rng(int.from_bytes(digest, "big"))
    # Sampling triangles by area is uniform over any shape, however thin or scattered over islands.
    triangles = shapely.get_parts(shapely.constrained_delaunay_triangles(region))
    corners = shapely.get_coordinates(triangles).reshape(len(triangles), 4, 2)
    areas = shapely.area(triangles)
    chosen = corners[rng.choice(len(triangles), size=count, p=areas / areas.sum())]
    u, v = rng.random((2, count, 1))
    outside = (u + v > 1)[:, 0]
    u[outside], v[outside] = 1 - u[outside], 1 - v[outside]
    return chosen[:, 0] + u * (chosen[:, 1] - chosen[:, 0]) + v * (chosen[:, 2] - chosen[:, 0])


def _voronoi_cells(region: shapely.Geometry, seeds: np.ndarray) -> np.ndarray:
    diagram = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=region.envelope.buffer(1), ordered=True)
    return polygonal(shapely.intersection(shapely.get_parts(diagram), region))


def fill_missing(shapes: dict[str, gpd.GeoDataFrame], needed: dict[str, set[str]]
                 ) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, list[str]]]:
    """Shapes for every needed code, real (`shapes`) where they exist and illustrative where they can be placed.

    `needed` must include the ancestors of every needed code. Returns per level the shapes (`code`,
    `geometry`, `source`) and the codes that stay without a shape.
    """
    filled: dict[str, gpd.GeoDataFrame] = {}
    without: dict[str, list[str]] = {}
    for level in BOUNDARY_LEVELS:
        known = shapes.get(level, _empty_shapes())
        missing = sorted(needed.get(level, set()) - set(known["code"]))
        if level == "provinsi":
            made = province_shapes(code for code in missing if code in PROVINCES)
        else:
            made = _fill_children(known, filled[parent_level(level) or ""], missing)
        made_frame = gpd.GeoDataFrame({"code": list(made), "source": "illustrative"},
                                      geometry=list(made.values()), crs="EPSG:4326")
        kept = known[known["code"].isin(needed.get(level, set()))]
        filled[level] = pd.concat([kept, made_frame], ignore_index=True).sort_values("code", ignore_index=True)
        without[level] = [code for code in missing if code not in made]
    return filled, without


def _fill_children(known: gpd.GeoDataFrame, parents: gpd.GeoDataFrame,
                   missing: list[str]) -> dict[str, shapely.Geometry]:
    parent_shapes = dict(zip(parents["code"], parents.geometry, strict=True))
    known_by_parent = known.groupby(known["code"].map(parent_code)).geometry.agg(list) if len(known) else pd.Series()
    known_codes = set(known["code"])
    made: dict[str, shapely.Geometry] = {}
    for parent in sorted({p for code in missing if (p := parent_code(code)) is not None}):
        region = parent_shapes.get(parent)
        if region is None:
            continue
        present = known_by_parent.get(parent, [])
        remainder = _remainder(region, present)
        if remainder is None:
            continue
        # Partition among all children the real layer lacks, so a region's shape does not depend on the release.
        absent = [child for child in registry_children().get(parent, ()) if child not in known_codes]
        if absent:
            made.update(partition(parent, remainder, absent))
    return made


def _remainder(region: shapely.Geometry, present: list[shapely.Geometry]) -> shapely.Geometry | None:
    if not present:
        return region
    left = shapely.difference(region, shapely.union_all(present))
    parts = [part for part in shapely.get_parts(left) if part.area >= MIN_REMAINDER_SHARE * region.area]
    return shapely.union_all(parts) if parts else None


def _empty_shapes() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"code": [], "source": []}, geometry=[], crs="EPSG:4326")


def illustrative_levels(provinces: Iterable[str]) -> dict[str, gpd.GeoDataFrame]:
    """The illustrative default for whole provinces: every registry region, nested exactly."""
    provinces = sorted(provinces)
    needed: dict[str, set[str]] = {"provinsi": set(provinces)}
    for level in BOUNDARY_LEVELS[1:]:
        parents = needed[parent_level(level) or ""]
        needed[level] = {child for parent in parents for child in registry_children().get(parent, ())}
    filled, _ = fill_missing({}, needed)
    return filled
