"""Read the upstream MySQL `INSERT` dumps of cahyadsn/wilayah_boundaries into shapes.

Each row is `(kode, nama, lat, lng, path)` where `path` is a JSON nested array in **[lat, lng]**
order (the reverse of GeoJSON): depth 3 is a Polygon (a list of rings), depth 4 a MultiPolygon.
The dump is read with a small SQL tokenizer, so quotes, escapes, comments and statements other
than `INSERT` are handled wherever they occur rather than guessed with a pattern over whole lines.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

import geopandas as gpd
import numpy as np
import shapely

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>/\*.*?\*/|--[^\n]*|\#[^\n]*)
  | (?P<string>'[^'\\]*(?:(?:\\.|'')[^'\\]*)*')
  | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<word>[A-Za-z_][A-Za-z_0-9$]*|`[^`]*`)
  | (?P<punct>[(),;.=*<>!%+-])
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}
_ESCAPE = re.compile(r"\\(.)|''", re.DOTALL)


class DumpError(ValueError):
    """The text is not a dump this reader understands; the message says where."""


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    offset: int


def tokenize(text: str) -> Iterator[Token]:
    """SQL tokens of `text`, without whitespace and comments."""
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise DumpError(f"unexpected character {text[position]!r} at offset {position}")
        if match.lastgroup not in ("space", "comment"):
            yield Token(match.lastgroup or "", match.group(), position)
        position = match.end()


def _unquote(literal: str) -> str:
    body = literal[1:-1]
    return _ESCAPE.sub(lambda m: "'" if m.group(0) == "''" else _ESCAPES.get(m.group(1), m.group(1)), body)


def _value(token: Token) -> object:
    if token.kind == "string":
        return _unquote(token.text)
    if token.kind == "number":
        return float(token.text) if any(c in token.text for c in ".eE") else int(token.text)
    if token.kind == "word" and token.text.upper() == "NULL":
        return None
    raise DumpError(f"unexpected {token.text[:20]!r} at offset {token.offset} where a value should be")


def iter_insert_rows(text: str) -> Iterator[dict[str, object]]:
    """Every row of every `INSERT INTO t (cols) VALUES (...), ...;` statement, as a dict by column name."""
    tokens = tokenize(text)
    for token in tokens:
        if token.kind == "word" and token.text.upper() == "INSERT":
            yield from _insert_statement(tokens)
        elif token.text != ";":
            _skip_statement(tokens)


def _skip_statement(tokens: Iterator[Token]) -> None:
    for token in tokens:
        if token.text == ";":
            return


def _expect(tokens: Iterator[Token], text: str) -> Token:
    token = next(tokens, None)
    if token is None or token.text.upper() != text:
        where = f"at offset {token.offset}" if token else "at the end"
        raise DumpError(f"expected {text!r} {where}")
    return token


def _insert_statement(tokens: Iterator[Token]) -> Iterator[dict[str, object]]:
    _expect(tokens, "INTO")
    for token in tokens:  # the table name, perhaps qualified: `db`.`table`
        if token.text == "(":
            break
    columns = []
    for token in tokens:
        if token.text == ")":
            break
        if token.text != ",":
            columns.append(token.text.strip("`"))
    _expect(tokens, "VALUES")
    while True:
        _expect(tokens, "(")
        values = [_value(token) for token in _until_close(tokens)]
        if len(values) != len(columns):
            raise DumpError(f"a row has {len(values)} values for {len(columns)} columns")
        yield dict(zip(columns, values, strict=True))
        separator = next(tokens, None)
        if separator is None or separator.text == ";":
            return
        if separator.text != ",":
            raise DumpError(f"expected ',' or ';' after a row at offset {separator.offset}")


def _until_close(tokens: Iterator[Token]) -> Iterator[Token]:
    for token in tokens:
        if token.text == ")":
            return
        if token.text != ",":
            yield token
    raise DumpError("a row is not closed")


def path_to_geometry(path: str | None) -> shapely.Geometry:
    """Shape of an upstream `path`: JSON rings of [lat, lng] pairs; an empty path gives an empty polygon."""
    nested = json.loads(path) if path and path.strip() else []
    if not nested:
        return shapely.Polygon()
    if _depth(nested) == 3:
        nested = [nested]
    elif _depth(nested) != 4:
        raise DumpError(f"a path nested {_depth(nested)} deep is neither a Polygon (3) nor a MultiPolygon (4)")
    polygons = [_polygon(rings) for rings in nested if rings]
    return shapely.MultiPolygon(polygons) if len(polygons) > 1 else polygons[0]


def _depth(nested: object) -> int:
    depth = 0
    while isinstance(nested, list) and nested:
        nested, depth = nested[0], depth + 1
    return depth


def _polygon(rings: list[list[list[float]]]) -> shapely.Polygon:
    # Upstream stores [lat, lng]; shapes are (x=lng, y=lat).
    swapped = [np.asarray(ring, dtype=float)[:, ::-1] for ring in rings if len(ring) >= 3]
    return shapely.Polygon(swapped[0], swapped[1:]) if swapped else shapely.Polygon()


def read_dump(text: str) -> gpd.GeoDataFrame:
    """Regions of one dump: `code`, `name`, `geometry` (EPSG:4326, possibly empty or invalid as upstream has it)."""
    rows = list(iter_insert_rows(text))
    missing = {"kode", "nama", "path"} - set(rows[0]) if rows else set()
    if missing:
        raise DumpError(f"the INSERT statements have no column {sorted(missing)[0]!r}")
    return gpd.GeoDataFrame(
        {"code": [str(row["kode"]) for row in rows], "name": [row["nama"] for row in rows]},
        geometry=[path_to_geometry(cast("str | None", row["path"])) for row in rows],  # the dump's text or NULL
        crs="EPSG:4326",
    )


def licence_notice(text: str) -> str:
    """The header comment of a dump (it carries the MIT notice), or an empty string."""
    match = re.match(r"\s*/\*(.*?)\*/", text, re.DOTALL)
    return match.group(1).strip() if match else ""
