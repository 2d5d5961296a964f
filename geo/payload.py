"""What a map layer costs in the browser: the JSON of each polygon part, as pydeck's PolygonLayer receives it."""

from __future__ import annotations

import json
from collections.abc import Iterable

import numpy as np
import shapely

#: Bytes a map row costs besides its polygon (region code, name, label, colour, JSON punctuation). Measured on the
#: national kecamatan map of a national release: 61 bytes a row on average; names and labels vary.
ATTRIBUTE_BYTES = 72


def polygon_parts(geometry: shapely.Geometry, decimals: int) -> list[str]:
    """One JSON text per polygon part: `[[[lng,lat],...],[hole...]]`, coordinates rounded to `decimals`."""
    parts = shapely.get_parts(geometry)
    rings, part_of_ring = shapely.get_rings(parts, return_index=True)
    coords, ring_of_coord = shapely.get_coordinates(rings, return_index=True)
    coords = np.round(coords, decimals)
    bounds = np.cumsum(np.bincount(ring_of_coord, minlength=len(rings)))[:-1]
    ring_lists = [ring.tolist() for ring in np.split(coords, bounds)]
    texts: list[list[list[list[float]]]] = [[] for _ in parts]
    for part, ring in zip(part_of_ring, ring_lists, strict=True):
        texts[part].append(ring)
    return [json.dumps(part, separators=(",", ":")) for part in texts]


def payload_bytes(polygons: Iterable[str]) -> int:
    """Bytes a map of these polygon parts sends to the browser, attributes included."""
    return sum(len(polygon) + ATTRIBUTE_BYTES for polygon in polygons)


def geometry_payload(geometries: Iterable[shapely.Geometry], decimals: int) -> int:
    return sum(payload_bytes(polygon_parts(geometry, decimals)) for geometry in geometries)
