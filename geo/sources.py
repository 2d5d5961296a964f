"""Read boundary files (GeoParquet, GeoJSON, Shapefile zip or folder, GeoPackage) and join them to the registry."""

from __future__ import annotations

import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from cli import UserError
from geo.levels import level_for_length
from geo.regions import RegionCodeError, get_registry, normalize_region_code

log = logging.getLogger(__name__)

VECTOR_SUFFIXES = (".geojson", ".json", ".shp", ".gpkg")
SUFFIXES = (".parquet", ".geoparquet", ".zip", *VECTOR_SUFFIXES)
#: Columns that usually carry the region's name, compared with the registry's spelling (which wins).
NAME_COLUMNS = ("nama", "name", "namobj", "nama_desa", "wadmkd", "desa")
_POINT_OR_LINE = re.compile(r"Point|LineString|None", re.IGNORECASE)
_SAMPLE = 500
_MIN_CODE_SHARE = 0.5


@dataclass
class SourceReport:
    """How the files joined to the registry."""

    files: list[str] = field(default_factory=list)
    code_columns: dict[str, str] = field(default_factory=dict)
    rows: int = 0
    matched: int = 0
    unmatched: list[str] = field(default_factory=list)
    duplicates: int = 0
    names_differ: int = 0

    @property
    def match_rate(self) -> float:
        return self.matched / self.rows if self.rows else 0.0


def read_sources(paths: list[Path], code_column: str | None = None,
                 provinces: tuple[str, ...] | None = None) -> tuple[gpd.GeoDataFrame, SourceReport]:
    """Shapes of every file under `paths` with a registry `code` and `level` (EPSG:4326, not yet repaired).

    A code may appear on several rows (a region split over files or features); the caller merges them.
    """
    report = SourceReport()
    frames = []
    for path in paths:
        report.files.append(str(path))
        for label, frame in _read_path(Path(path)):
            column = code_column or detect_code_column(frame, label)
            if column not in frame.columns:
                raise UserError(f"{label} has no column {column!r}; its columns are {_columns(frame)}.")
            report.code_columns[label] = column
            frames.append(_join_registry(frame, column, report))
    shapes = pd.concat(frames, ignore_index=True) if frames else _empty()
    if provinces is not None:
        shapes = shapes[shapes["code"].str[:2].isin(provinces)]
    report.duplicates = int(shapes["code"].duplicated().sum())
    return gpd.GeoDataFrame(shapes, geometry="geometry", crs="EPSG:4326").reset_index(drop=True), report


def _empty() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"code": [], "level": []}, geometry=[], crs="EPSG:4326")


def _read_path(path: Path) -> Iterator[tuple[str, gpd.GeoDataFrame]]:
    if not path.exists():
        raise UserError(f"The boundary source {path} does not exist.")
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES and not p.name.startswith("."))
        if not files:
            raise UserError(f"{path} holds no boundary files (expected one of {', '.join(SUFFIXES)}).")
        for file in files:
            yield from _read_file(file)
    elif path.suffix.lower() in SUFFIXES:
        yield from _read_file(path)
    else:
        raise UserError(f"{path.name} is not a boundary file this tool reads ({', '.join(SUFFIXES)}).")


def _read_file(path: Path) -> Iterator[tuple[str, gpd.GeoDataFrame]]:
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".geoparquet"):
            yield path.name, _with_crs(gpd.read_parquet(path), path.name)
        elif suffix == ".zip":
            for entry in _zip_entries(path):
                yield from _read_vector(f"/vsizip/{path}/{entry}", f"{path.name}/{entry}")
        else:
            yield from _read_vector(str(path), path.name)
    except (OSError, ValueError, pyogrio.errors.DataSourceError) as error:
        raise UserError(f"Could not read {path.name} as boundaries: {error}".rstrip(".") + ".") from error


def _zip_entries(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        entries = [n for n in archive.namelist() if Path(n).suffix.lower() in VECTOR_SUFFIXES]
    if not entries:
        raise UserError(f"{path.name} holds no Shapefile, GeoJSON or GeoPackage.")
    return sorted(entries)


def _read_vector(path: str, label: str) -> Iterator[tuple[str, gpd.GeoDataFrame]]:
    layers = pyogrio.list_layers(path)
    # Mixed Polygon/MultiPolygon layers report 'Unknown'; only layers declared as points or lines are skipped.
    polygon_layers = [name for name, kind in layers if not _POINT_OR_LINE.search(str(kind))]
    for layer in polygon_layers:
        frame = gpd.read_file(path, layer=layer)
        yield (f"{label}:{layer}" if len(layers) > 1 else label), _with_crs(frame, label)


def _with_crs(frame: gpd.GeoDataFrame, label: str) -> gpd.GeoDataFrame:
    if frame.crs is not None:
        return frame.to_crs(4326)
    minx, miny, maxx, maxy = frame.total_bounds
    if -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90:
        log.warning("%s states no coordinate system; its coordinates look like longitude/latitude (EPSG:4326).", label)
        return frame.set_crs(4326)
    raise UserError(f"{label} states no coordinate system and its coordinates are not longitude/latitude; "
                    "save it with its projection (.prj) and try again.")


def _columns(frame: pd.DataFrame) -> str:
    return ", ".join(str(c) for c in frame.columns if c != frame.geometry.name)


def _registry_code(value: object) -> str | None:
    try:
        code = normalize_region_code(value)
    except RegionCodeError:
        return None
    return code if code in get_registry() else None


def detect_code_column(frame: gpd.GeoDataFrame, label: str) -> str:
    """The column holding Kemendagri codes (dotted, compact or KDEPUM-style); the most detailed level wins.

    A column qualifies when at least half of a sample of its values are registry codes; among those,
    the one at the deepest level (desa before kecamatan), then the best match rate, is chosen.
    """
    candidates = []
    for column in frame.columns:
        if column == frame.geometry.name:
            continue
        values = frame[column].dropna()
        if values.empty:
            continue
        sample = values.iloc[np.unique(np.linspace(0, len(values) - 1, min(_SAMPLE, len(values))).astype(int))]
        codes = [code for code in map(_registry_code, sample) if code is not None]
        share = len(codes) / len(sample)
        if share >= _MIN_CODE_SHARE:
            depth = pd.Series([len(code) for code in codes]).mode().iloc[0]
            candidates.append((depth, share, values.nunique(), str(column)))
    if not candidates:
        raise UserError(f"No column of {label} holds Kemendagri region codes (columns: {_columns(frame)}); "
                        "name it with --code-column (BPS codes need a crosswalk first).")
    return max(candidates)[3]


def _join_registry(frame: gpd.GeoDataFrame, column: str, report: SourceReport) -> gpd.GeoDataFrame:
    codes = frame[column].map(_registry_code)
    matched = codes.notna()
    report.rows += len(frame)
    report.matched += int(matched.sum())
    report.unmatched += sorted({str(value) for value in frame.loc[~matched, column]})
    report.names_differ += _names_differ(frame.loc[matched], codes[matched])
    shapes = gpd.GeoDataFrame({"code": codes[matched].to_numpy()}, geometry=frame.geometry[matched].to_numpy(),
                              crs="EPSG:4326")
    shapes["level"] = shapes["code"].str.len().map(level_for_length)
    return shapes


def _names_differ(frame: pd.DataFrame, codes: pd.Series) -> int:
    """Count of names that differ from the registry (e.g. `Kuta Buloh Ii` for `Kuta Buloh II`)."""
    column = next((c for c in frame.columns if str(c).lower() in NAME_COLUMNS), None)
    if column is None:
        return 0
    names = get_registry().names
    return int(sum(str(given) != names[code] for given, code in zip(frame[column], codes, strict=True)))
