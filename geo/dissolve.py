"""Assemble the four levels so that parents are exactly the union of their children where the children exist."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.levels import BOUNDARY_LEVELS, CODE_LENGTH, island_group, parent_code, registry_children
from geo.repair import clean_coverage, polygonal

log = logging.getLogger(__name__)

#: A parent is dissolved from its children when at least this share of its registry children have a shape.
#: Desa layers commonly lack a few newly split desa (their area is still covered by the desa they split
#: from), but a parent made from a minority of its children would misstate its extent.
MIN_CHILD_SHARE = 0.5


@dataclass
class LevelProvenance:
    """Where a level's shapes came from."""

    dissolved: int = 0
    own: int = 0
    without_shape: list[str] = field(default_factory=list)


def merge_duplicates(shapes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One row per code: the union of all rows given for it."""
    if not shapes["code"].duplicated().any():
        return shapes
    merged = shapes.dissolve(by="code", as_index=False, aggfunc="first")
    merged = merged.set_geometry(polygonal(np.asarray(merged.geometry.array, dtype=object)), crs="EPSG:4326")
    return merged[shapes.columns]


def build_levels(shapes: gpd.GeoDataFrame,
                 jobs: int = 1) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, LevelProvenance]]:
    """Full-resolution, cleaned shapes per level from repaired source shapes (`code`, `level`, `geometry`).

    Desa are cleaned per kabupaten; each upper level is the union of the level below where enough children
    exist, otherwise the source's own shape. Kecamatan, and any level that mixes own shapes in, are then
    cleaned per island group; kabupaten and provinsi dissolved from clean kecamatan are clean already.
    """
    levels: dict[str, gpd.GeoDataFrame] = {}
    provenance: dict[str, LevelProvenance] = {}
    below: gpd.GeoDataFrame | None = None
    for level in reversed(BOUNDARY_LEVELS):
        own = shapes.loc[shapes["level"] == level, ["code", "geometry"]]
        dissolved = _dissolve_children(below, level) if below is not None else own.iloc[:0]
        own = own[~own["code"].isin(dissolved["code"])]
        layer = gpd.GeoDataFrame(pd.concat([dissolved, own], ignore_index=True), geometry="geometry", crs="EPSG:4326")
        if level == "desa":
            layer = clean_coverage(layer, lambda code: code[:CODE_LENGTH["kabupaten"]], jobs)
        elif (len(own) and len(layer) > 1) or level == "kecamatan":
            # Kecamatan dissolved from desa cleaned per kabupaten still disagree along kabupaten borders.
            layer = clean_coverage(layer, island_group, jobs)
        levels[level] = layer.sort_values("code", ignore_index=True)
        provenance[level] = LevelProvenance(dissolved=len(dissolved), own=len(own))
        below = levels[level]
    _record_missing(levels, provenance)
    return levels, provenance


def _dissolve_children(children: gpd.GeoDataFrame, level: str) -> gpd.GeoDataFrame:
    registry = registry_children()
    parents = children["code"].str[:CODE_LENGTH[level]]
    codes, geometries = [], []
    for parent, group in children.groupby(parents, sort=True):
        if len(group) < MIN_CHILD_SHARE * len(registry.get(parent, ())):
            continue
        codes.append(parent)
        # The children are a clean coverage (see build_levels), so the fast coverage union is exact.
        geometries.append(shapely.coverage_union_all(np.asarray(group.geometry.array, dtype=object)))
    return gpd.GeoDataFrame({"code": codes}, geometry=polygonal(np.asarray(geometries, dtype=object)),
                            crs="EPSG:4326")


def _record_missing(levels: dict[str, gpd.GeoDataFrame], provenance: dict[str, LevelProvenance]) -> None:
    """Registry regions without a shape, among the siblings of regions that have one (and the provinces touched)."""
    registry = registry_children()
    touched = sorted({code[:2] for layer in levels.values() for code in layer["code"]})
    for level, layer in levels.items():
        present = set(layer["code"])
        if level == "provinsi":
            expected = set(touched)
        else:
            parents = {p for c in present if (p := parent_code(c)) is not None}
            expected = {child for parent in parents for child in registry.get(parent, ())}
        provenance[level].without_shape = sorted(expected - present)
        if provenance[level].without_shape:
            log.info("%s: %d registry region(s) without a shape", level, len(provenance[level].without_shape))
