"""Read boundary files (GeoParquet, GeoJSON, Shapefile zip or folder, GeoPackage) and join them to the registry.

Codes are read as people have them: dotted, compact, Excel floats, a leading `'`, OCHA's `ID` prefix, and
`KDPKAB` stored as a number (61.1 for 61.10). A code of an earlier Kemendagri edition that moved is joined
to today's code (`geo.code_history`). Names of matched regions are compared with the registry's: when most
differ, the codes are not Kemendagri codes of today (BPS codes, another edition) and the file is refused
rather than drawn in the wrong places. `match_names` joins a file with names only (province, kabupaten,
kecamatan, desa) down the hierarchy.
"""

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
from geo.code_history import earlier_code
from geo.levels import level_for_length
from geo.names import match_child, same_name
from geo.regions import RegionCodeError, get_registry, level_of, normalize_region_code

log = logging.getLogger(__name__)

VECTOR_SUFFIXES = (".geojson", ".json", ".shp", ".gpkg")
SUFFIXES = (".parquet", ".geoparquet", ".zip", *VECTOR_SUFFIXES)
#: Columns that usually carry a region's name, per level (BIG, OCHA/HDX, Dukcapil, Open Data exports), compared
#: with the registry's spelling (which wins) and used by `match_names`; then names of any level.
NAME_COLUMNS_BY_LEVEL = {
    "provinsi": ("wadmpr", "provinsi", "propinsi", "province", "nama_prov", "nama_provinsi", "adm1_en", "adm1_name"),
    "kabupaten": ("wadmkk", "kabupaten", "kab_kota", "kabupaten_kota", "district", "regency", "nama_kab",
                  "nama_kabupaten", "nama_kabupaten_kota", "adm2_en", "adm2_name"),
    "kecamatan": ("wadmkc", "kecamatan", "sub_district", "subdistrict", "nama_kec", "nama_kecamatan", "adm3_en",
                  "adm3_name"),
    "desa": ("wadmkd", "desa", "kelurahan", "desa_kelurahan", "village", "nama_desa", "nama_kel",
             "nama_desa_kelurahan", "adm4_en", "adm4_name"),
}
NAME_COLUMNS = ("nama", "name", "namobj", "nama_wilayah")
_OCHA_PREFIX = re.compile(r"^ID(?=\d)", re.IGNORECASE)
_ONE_DECIMAL_KABUPATEN = re.compile(r"\d{2}\.\d")
_EXAMPLES = 2
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
    names_compared: int = 0
    names_differ_examples: list[str] = field(default_factory=list)
    earlier_edition: int = 0
    matched_by_name: int = 0

    @property
    def match_rate(self) -> float:
        return self.matched / self.rows if self.rows else 0.0


def read_sources(paths: list[Path], code_column: str | None = None, provinces: tuple[str, ...] | None = None,
                 match_names: bool = False) -> tuple[gpd.GeoDataFrame, SourceReport]:
    """Shapes of every file under `paths` with a registry `code` and `level` (EPSG:4326, not yet repaired).

    A code may appear on several rows (a region split over files or features); the caller merges them.
    With `match_names`, files are joined by their region names down the hierarchy instead of by codes.
    """
    report = SourceReport()
    frames = []
    for path in paths:
        report.files.append(str(path))
        for label, frame in _read_path(Path(path)):
            if match_names:
                report.code_columns[label] = "(names) " + ", ".join(_hierarchy_columns(frame, label).values())
                frames.append(_join_by_names(frame, label, report))
                continue
            column = code_column or detect_code_column(frame, label)
            if column not in frame.columns:
                raise UserError(f"{label} has no column {column!r}; its columns are {_columns(frame)}.")
            report.code_columns[label] = column
            frames.append(_join_registry(frame, column, label, report))
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


def _code_text(value: object) -> object:
    """A code cell as `normalize_region_code` reads it: `'3404`, `ID34.04`, and KDPKAB numbers 61.1 -> `61.10`."""
    if isinstance(value, float) and value == value and not value.is_integer() and 10 < value < 100:
        # A DBF numeric or BIG export of PP.KK: two decimals are the kabupaten (61.1 was 61.10).
        text = f"{value:.2f}"
        return text if abs(float(text) - value) < 1e-9 else value
    if isinstance(value, str):
        text = _OCHA_PREFIX.sub("", value.strip().lstrip("'"))
        return text + "0" if _ONE_DECIMAL_KABUPATEN.fullmatch(text) else text
    return value


def _registry_code(value: object) -> str | None:
    """Today's code for a cell: a registry code, or an earlier edition's code that moved; else None."""
    try:
        code = normalize_region_code(_code_text(value))
    except RegionCodeError:
        return None
    if code in get_registry():
        return code
    earlier = earlier_code(code)
    return earlier.current if earlier else None


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
        names = _hierarchy_columns(frame, label, required=False)
        if names:
            raise UserError(f"No column of {label} holds Kemendagri region codes, but it has region names "
                            f"({', '.join(names.values())}): match them with --match-names.")
        raise UserError(f"No column of {label} holds Kemendagri region codes (columns: {_columns(frame)}); "
                        "name it with --code-column (BPS codes need a crosswalk first).")
    return max(candidates)[3]


def _join_registry(frame: gpd.GeoDataFrame, column: str, label: str, report: SourceReport) -> gpd.GeoDataFrame:
    values = frame[column]
    lookup = {value: _registry_code(value) for value in values.dropna().unique()}
    codes = values.map(lookup)
    matched = codes.notna()
    report.rows += len(frame)
    report.matched += int(matched.sum())
    report.unmatched += sorted({str(value) for value in frame.loc[~matched, column]})
    report.earlier_edition += sum(1 for value in values[matched] if _is_earlier(value))
    _check_names(frame.loc[matched], codes[matched], label, report)
    return _shapes(codes[matched], frame.geometry[matched])


def _is_earlier(value: object) -> bool:
    try:
        return normalize_region_code(_code_text(value)) not in get_registry()
    except RegionCodeError:
        return False


def _shapes(codes: pd.Series, geometry: gpd.GeoSeries) -> gpd.GeoDataFrame:
    shapes = gpd.GeoDataFrame({"code": codes.to_numpy()}, geometry=geometry.to_numpy(), crs="EPSG:4326")
    shapes["level"] = shapes["code"].str.len().map(level_for_length)
    return shapes


def _name_column(frame: gpd.GeoDataFrame, level: str) -> str | None:
    by_key = {str(c).lower(): c for c in frame.columns if c != frame.geometry.name}
    for key in (*NAME_COLUMNS_BY_LEVEL[level], *NAME_COLUMNS):
        if key in by_key:
            return by_key[key]
    return None


def _check_names(frame: gpd.GeoDataFrame, codes: pd.Series, label: str, report: SourceReport) -> None:
    """Count names that differ from the registry's; refuse the file when most do (BPS codes, another edition)."""
    if codes.empty:
        return
    level = level_of(codes.mode().iloc[0])
    column = _name_column(frame, level)
    if column is None:
        return
    names = get_registry().names
    differ, compared, examples = 0, 0, list[str]()
    for given, code in zip(frame[column], codes, strict=True):
        if given is None or given != given or not str(given).strip():
            continue
        compared += 1
        if not same_name(given, names[code], level_of(code)):
            differ += 1
            if len(examples) < _EXAMPLES:
                examples.append(f"{code} is {names[code]!r} in the registry but {str(given)!r} in the file")
    report.names_compared += compared
    report.names_differ += differ
    report.names_differ_examples += examples[:_EXAMPLES - len(report.names_differ_examples)]
    if compared and differ * 2 > compared:
        fix = " or match by names with --match-names" if _hierarchy_columns(frame, label, required=False) else ""
        raise UserError(
            f"{label}: the names of {differ:,} of {compared:,} regions matched by code (column {column!r} against "
            f"the registry) differ, e.g. {'; '.join(examples)}: the codes are not today's Kemendagri codes (BPS "
            "codes or another edition), so the shapes would be drawn in the wrong places; convert the codes to "
            f"Kemendagri codes of the 2025 edition{fix}.")


def _hierarchy_columns(frame: gpd.GeoDataFrame, label: str, required: bool = True) -> dict[str, str]:
    """The name column of each level a names-only file has, from the province down, without gaps."""
    by_key = {str(c).lower(): str(c) for c in frame.columns if c != frame.geometry.name}
    found: dict[str, str] = {}
    for level, keys in NAME_COLUMNS_BY_LEVEL.items():
        column = next((by_key[key] for key in keys if key in by_key), None)
        if column is None:
            break
        found[level] = column
    if required and len(found) < 2:
        raise UserError(f"{label} has no region names to match from the province down (columns: {_columns(frame)});"
                        " --match-names needs e.g. province, district, sub_district and village (or WADMPR, WADMKK, "
                        "WADMKC, WADMKD).")
    return found if len(found) >= 2 else {}


def _join_by_names(frame: gpd.GeoDataFrame, label: str, report: SourceReport) -> gpd.GeoDataFrame:
    """Codes found by names down the hierarchy; a row whose name is missing or unknown at any level is unmatched."""
    columns = _hierarchy_columns(frame, label)
    paths = frame[list(columns.values())].astype("string").fillna("")
    cache: dict[tuple[str, ...], str | None] = {}
    codes = []
    for row in paths.itertuples(index=False, name=None):
        if row not in cache:
            code = ""
            for level, name in zip(columns, row, strict=True):
                code = match_child(code, name, level) or ""
                if not code:
                    break
            cache[row] = code or None
        codes.append(cache[row])
    found = pd.Series(codes, index=frame.index, dtype="object")
    matched = found.notna()
    report.rows += len(frame)
    report.matched += int(matched.sum())
    report.matched_by_name += int(matched.sum())
    report.unmatched += sorted({" / ".join(row) for row, code in cache.items() if code is None})
    return _shapes(found[matched], frame.geometry[matched])
