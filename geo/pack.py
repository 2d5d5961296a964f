"""The boundary pack shipped in the repository: real shapes used when no other boundaries were built.

`python -m geo pack` (see `geo.make_pack`) writes it to `geo/boundary_pack/`: the national provinsi and kabupaten
outlines and the kecamatan and desa of the demo provinces, already simplified to the map budgets, in the layer
format of `geo.layers`. Boundaries resolve in this order: the files given to `geo build` (or dropped into
`data/geo/sources/`), cached downloads of `geo fetch`, this pack, and illustrative shapes for whatever is left.
"""

from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from cli import UserError, stopwatch
from geo.layers import StoredLayers, read_folder, write_layers
from geo.levels import CODE_LENGTH
from geo.payload import geometry_payload
from geo.simplify import VIEWS, View, map_keys

log = logging.getLogger(__name__)

#: Where the pack lives in the repository (the folder `python -m geo pack` writes by default).
PACK_DIR = Path(__file__).resolve().parent / "boundary_pack"
PACK_KIND = "pack"


def read_pack(folder: Path | None = PACK_DIR, provinces: tuple[str, ...] | None = None) -> StoredLayers | None:
    """The pack's layers (only those of `provinces` when given), or None when there is no pack or it lacks them."""
    stored = read_folder(folder) if folder is not None else None
    if stored is None or provinces is None:
        return stored
    restricted = restrict(stored, provinces)
    return restricted if any(len(frame) for frame in restricted.views.values()) else None


def with_fallback(stored: StoredLayers | None, pack: StoredLayers | None) -> StoredLayers | None:
    """`stored`, completed by the pack's shapes of the regions it lacks (per view; each row keeps its `source`)."""
    if stored is None or pack is None:
        return stored or pack
    views = dict(stored.views)
    for name, frame in pack.views.items():
        own = views.get(name)
        views[name] = frame if own is None else pd.concat([own, frame[~frame["code"].isin(own["code"])]],
                                                          ignore_index=True)
    return StoredLayers(views, stored.manifest, (*stored.fallbacks, pack))


def restrict(stored: StoredLayers, provinces: tuple[str, ...]) -> StoredLayers:
    """The regions of some provinces, with the manifest's counts and sizes measured again on them."""
    views = {name: frame[frame["code"].str[:CODE_LENGTH["provinsi"]].isin(provinces)].reset_index(drop=True)
             for name, frame in stored.views.items()}
    manifest = copy.deepcopy(stored.manifest)
    manifest["provinces"] = sorted({code[:2] for frame in views.values() for code in frame["code"]})
    levels: dict = manifest.get("levels", {})
    for level, info in levels.items():
        frame = next((views[v.name] for v in VIEWS if v.level == level and v.name in views), None)
        without = [code for code in info.get("without_shape_codes", []) if code[:2] in provinces]
        # Which of the remaining regions were dissolved from their children is not recorded per region.
        levels[level] = {"regions": 0 if frame is None else len(frame), "without_shape": len(without),
                         "without_shape_codes": without}
    described: dict = manifest.get("views", {})
    for view in VIEWS:
        if view.name in views and view.name in described:
            described[view.name].update(_measure(views[view.name], view))
    return StoredLayers(views, manifest)


def _measure(frame: gpd.GeoDataFrame, view: View) -> dict[str, Any]:
    """Regions, parts and bytes per map of a view's frame, as `geo.simplify` reports them."""
    geometries = np.asarray(frame.geometry.array, dtype=object)
    if not len(geometries):
        return {"regions": 0, "parts": 0, "bytes_total": 0, "bytes_max": 0, "worst_map": ""}
    sizes: dict[str, int] = {}
    for key, geometry in zip(map_keys(frame["code"].to_numpy(), view), geometries, strict=True):
        sizes[key] = sizes.get(key, 0) + geometry_payload([geometry], view.decimals)
    worst = max(sizes, key=lambda key: sizes[key])
    return {"regions": len(frame), "parts": int(shapely.get_num_geometries(geometries).sum()),
            "bytes_total": sum(sizes.values()), "bytes_max": sizes[worst], "worst_map": worst}


def install_pack(geo_dir: Path, provinces: tuple[str, ...] | None, folder: Path = PACK_DIR) -> dict[str, Any]:
    """Write the pack (or its provinces) as the layer set of `geo_dir`; return the manifest written."""
    with stopwatch() as timing:
        stored = read_pack(folder, provinces)
        if stored is None:
            raise UserError(f"The boundary pack in {folder} holds no region of these provinces.")
    manifest = {**copy.deepcopy(stored.manifest), "seconds": round(timing["seconds"], 1)}
    log.info("Boundaries: the boundary pack in %s (provinsi and kabupaten of the whole country; kecamatan and desa "
             "of %s). Other regions get illustrative shapes when a release is published.",
             folder, ", ".join(manifest.get("pack", {}).get("detail_provinces", [])))
    write_layers(geo_dir, dict(stored.views), manifest)
    return manifest
