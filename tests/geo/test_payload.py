from __future__ import annotations

import json

import shapely

from geo.payload import ATTRIBUTE_BYTES, geometry_payload, payload_bytes, polygon_parts


def test_parts_are_pydeck_rings_in_lng_lat_order_rounded() -> None:
    outer = [(107.123456789, -6.9), (107.2, -6.9), (107.2, -6.8), (107.123456789, -6.9)]
    hole = [(107.15, -6.88), (107.16, -6.88), (107.16, -6.87), (107.15, -6.88)]
    island = shapely.box(108, -7, 108.1, -6.9)
    parts = polygon_parts(shapely.MultiPolygon([shapely.Polygon(outer, [hole]), island]), decimals=5)
    assert len(parts) == 2
    first = json.loads(parts[0])
    assert first[0][0] == [107.12346, -6.9]
    assert len(first) == 2 and first[1][0] == [107.15, -6.88]
    assert " " not in parts[0]
    assert json.loads(parts[1])[0][0][0] == 108.1


def test_payload_counts_polygon_json_and_attributes() -> None:
    parts = polygon_parts(shapely.box(0, 0, 1, 1), decimals=4)
    assert payload_bytes(parts) == len(parts[0]) + ATTRIBUTE_BYTES
    assert geometry_payload([shapely.box(0, 0, 1, 1)] * 3, 4) == 3 * payload_bytes(parts)
