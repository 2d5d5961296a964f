"""Every query the dashboard runs on a published database: plain functions `(connection, ...) -> DataFrame`.

No Streamlit and no caching here (`dashboard.db` caches them per release), so each query runs in a test on any
DuckDB connection. SQL built with f-strings (`noqa: S608`) only joins this module's fixed fragments and the
contract's table and column names; every value travels as a `?` parameter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import duckdb
import pandas as pd

import provenance
from published_schema import (
    ALL_CHANNELS,
    ALL_PROGRAMS,
    EARLIER_SUFFIX,
    GEO_TABLES,
    LEVELS,
    NATIONAL_CODE,
    level_of_code,
)

Connection = duckdb.DuckDBPyConnection

#: The regions column naming each region's ancestor at a level (national: every region).
_ANCESTOR_COLUMN = {"provinsi": "province_code", "kabupaten": "kabupaten_code", "kecamatan": "kecamatan_code",
                    "desa": "code"}


@dataclass(frozen=True)
class Release:
    """The `release` row: which data this is, how fresh, and what was hidden."""

    release_id: str
    created_at: str
    data_year: int
    data_through: str
    provinces: tuple[str, ...]
    threshold: int
    tables: dict = field(default_factory=dict, hash=False, compare=False)
    #: Made by the data generator (the demo), not from ingested files: every view of it says so.
    synthetic: bool = False


def query(con: Connection, sql: str, params: list | tuple = ()) -> pd.DataFrame:
    """A DataFrame, never a relation, on its own cursor (safe on a connection shared by Streamlit's threads)."""
    with con.cursor() as cur:
        return cur.execute(sql, list(params)).df()


def release(con: Connection) -> Release:
    row = query(con, "SELECT release_id, created_at, data_year, data_through, provinces, threshold, tables, sources "
                "FROM release").iloc[0]
    return Release(str(row["release_id"]), str(row["created_at"]), int(row["data_year"]), str(row["data_through"]),
                   tuple(str(row["provinces"]).split(",")), int(row["threshold"]), json.loads(row["tables"]),
                   provenance.is_synthetic(row["sources"]))


def release_row(con: Connection) -> dict:
    """The whole `release` row, its JSON columns decoded."""
    row = query(con, "SELECT * FROM release").iloc[0].to_dict()
    for key in ("rules", "sources", "tables", "audit", "years"):
        row[key] = json.loads(row[key]) if isinstance(row.get(key), str) else row.get(key)
    return row


def periods(con: Connection, year: str | None = None) -> list[str]:
    """Months in order, then the year (`year`: that published year's only; None: every year's)."""
    if year is None:
        return query(con, "SELECT period FROM periods ORDER BY kind, period")["period"].tolist()
    return query(con, "SELECT period FROM periods WHERE year = ? ORDER BY kind, period",
                 [int(year)])["period"].tolist()


def years(con: Connection) -> list[str]:
    """The published years, oldest first (a release may hold several: each protected as its own table)."""
    return [str(y) for y in query(con, "SELECT DISTINCT year FROM periods ORDER BY year")["year"]]


def programs(con: Connection) -> pd.DataFrame:
    return query(con, "SELECT code, name_id, name_en FROM programs")


def region(con: Connection, code: str) -> dict | None:
    frame = query(con, "SELECT * FROM regions WHERE code = ?", [code])
    return None if frame.empty else frame.iloc[0].where(frame.iloc[0].notna(), None).to_dict()


def lineage(con: Connection, code: str) -> pd.DataFrame:
    """The region and its ancestors, national first."""
    found = region(con, code)
    if found is None:
        return pd.DataFrame(columns=["code", "level", "name", "kind"])
    codes = [NATIONAL_CODE, found["province_code"], found["kabupaten_code"], found["kecamatan_code"], code]
    frame = query(con, "SELECT code, level, name, kind FROM regions WHERE code IN (SELECT unnest(?))",
                  [[c for c in codes if c]])
    frame["depth"] = frame["level"].map(LEVELS.index)
    return frame.sort_values("depth").drop(columns="depth").reset_index(drop=True)


def _descendants_sql(code: str, level: str) -> tuple[str, list]:
    """SQL condition on `regions r` for the regions at `level` inside `code`."""
    if code == NATIONAL_CODE:
        return "r.level = ?", [level]
    return f"r.level = ? AND r.{_ANCESTOR_COLUMN[level_of_code(code)]} = ?", [level, code]


def regions_in(con: Connection, code: str, level: str) -> pd.DataFrame:
    """Regions at `level` inside `code`, by name."""
    where, params = _descendants_sql(code, level)
    return query(con, f"SELECT r.code, r.name, r.kind, r.parent_code FROM regions r WHERE {where} ORDER BY r.name",  # noqa: S608
                 params)


def cells(con: Connection, code: str, level: str, program: str, period: str,
          channel: str = ALL_CHANNELS) -> pd.DataFrame:
    """Disbursement cells of the regions at `level` inside `code`, with names, for one program and period."""
    where, params = _descendants_sql(code, level)
    return query(con, f"SELECT r.name, r.kind, r.parent_code, c.* EXCLUDE (level) FROM regions r "  # noqa: S608
                 f"JOIN disbursement_cells c ON c.region_code = r.code AND c.level = r.level "
                 f"WHERE {where} AND c.program = ? AND c.period = ? AND c.channel = ? ORDER BY r.name",
                 [*params, program, period, channel])


_DENOMINATORS = (
    "SELECT c.region_code, c.program, c.eligible_households, c.suppressed AS eligible_suppressed, "  # noqa: S608
    "s.registered_households, s.suppressed AS registered_suppressed "
    "FROM disbursement_cells c JOIN disbursement_cells s ON s.region_code = c.region_code AND s.level = c.level "
    f"AND s.program = '{ALL_PROGRAMS}' AND s.period = c.period AND s.channel = c.channel "
    "JOIN regions r ON r.code = c.region_code AND r.level = c.level WHERE c.period = ? AND c.channel = ? AND ")


def denominators(con: Connection, code: str, level: str, year: str) -> pd.DataFrame:
    """Per region at `level` inside `code` and program: the year's eligible households (the program's cell) and
    registered households (the program SEMUA cell), each with its own suppressed flag."""
    where, params = _descendants_sql(code, level)
    return query(con, _DENOMINATORS + where, [year, ALL_CHANNELS, *params])


def denominators_of(con: Connection, codes: tuple[str, ...], year: str) -> pd.DataFrame:
    """`denominators` for a list of regions."""
    return query(con, _DENOMINATORS + "r.code IN (SELECT unnest(?))", [year, ALL_CHANNELS, list(codes)])


def monthly(con: Connection, codes: tuple[str, ...], programs: tuple[str, ...], year: str,
            channels: tuple[str, ...] = (ALL_CHANNELS,)) -> pd.DataFrame:
    """Monthly cells of one year of some regions for some programs and channels, with region names (a release
    holds several years: months of two years on one line would be a different series)."""
    return query(con, "SELECT r.name, c.* FROM disbursement_cells c JOIN regions r ON r.code = c.region_code "
                 "WHERE c.region_code IN (SELECT unnest(?)) AND c.program IN (SELECT unnest(?)) "
                 "AND c.channel IN (SELECT unnest(?)) AND c.period IN (SELECT period FROM periods "
                 "WHERE kind = 'month' AND year = ?) ORDER BY c.period",
                 [list(codes), list(programs), list(channels), int(year)])


def channels(con: Connection, code: str, program: str, year: str) -> list[str]:
    """The payment channels of one region and program in one year (channels change: a bank joins, a post office
    closes)."""
    frame = query(con, "SELECT DISTINCT channel FROM disbursement_cells WHERE region_code = ? AND program = ? "
                  "AND channel <> ? AND period = ? ORDER BY channel", [code, program, ALL_CHANNELS, year])
    return frame["channel"].tolist()


def complaints(con: Connection, code: str, period: str) -> pd.DataFrame:
    """All complaint categories of one region and period (kecamatan and up)."""
    return query(con, "SELECT * FROM complaint_cells WHERE region_code = ? AND period = ? ORDER BY category",
                 [code, period])


def quality(con: Connection, code: str, level: str, year: str) -> pd.DataFrame:
    """Data-quality indicators of the regions at `level` inside `code` (kecamatan and up), with the ranges of hidden
    counts where the release publishes them."""
    where, params = _descendants_sql(code, level)
    return query(con, f"SELECT q.* EXCLUDE (level, period) FROM regions r "  # noqa: S608
                 f"JOIN quality_cells q ON q.region_code = r.code AND q.level = r.level "
                 f"WHERE {where} AND q.period = ?", [*params, year])


def national_quality_indicators(con: Connection, year: str) -> list[str]:
    """The data-quality indicators the release publishes for `year` at the national level (an indicator counting
    fewer than twice the threshold nationally is not written at any level:
    anonymize.build.withhold_small_indicators)."""
    return query(con, "SELECT DISTINCT indicator FROM quality_cells WHERE region_code = ? AND period = ? "
                 "ORDER BY indicator", [NATIONAL_CODE, year])["indicator"].tolist()


def boundary_sources(con: Connection, level: str, codes: tuple[str, ...] | None = None) -> list[dict]:
    """The sources of the shapes of these regions at `level` (None: every source of the level), real ones first,
    then by how many regions each covers. A level can mix sources: the map of one province credits the shipped pack
    and calls nothing illustrative when only another province's shapes are illustrative. A release written before
    `boundary_centroids.source` existed cannot tell: it gives every source of the level."""
    columns = query(con, "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
                    ["boundary_centroids"])["column_name"]
    drawn, params = "", list[object]([level])
    if codes is not None and "source" in set(columns):
        drawn = ("AND kind IN (SELECT DISTINCT source FROM boundary_centroids "
                 "WHERE level = ? AND code IN (SELECT unnest(?)))")
        params += [level, list(codes)]
    frame = query(con, f"SELECT * FROM boundary_sources WHERE level = ? {drawn} "  # noqa: S608 (fixed SQL text)
                  "ORDER BY illustrative, regions DESC, kind", params)
    return [row.to_dict() for _, row in frame.iterrows()]


def bbox(con: Connection, codes: tuple[str, ...]) -> tuple[float, float, float, float] | None:
    """(min_lon, min_lat, max_lon, max_lat) around some regions' shapes."""
    frame = query(con, "SELECT min(min_lon), min(min_lat), max(max_lon), max(max_lat) FROM boundary_centroids "
                  "WHERE code IN (SELECT unnest(?))", [list(codes)])
    values = frame.iloc[0].tolist()
    if any(pd.isna(v) for v in values):
        return None
    west, south, east, north = (float(v) for v in values)
    return west, south, east, north


def boundaries(con: Connection, code: str, level: str, detail: bool) -> dict[str, tuple[str, ...]]:
    """Polygon parts per region at `level` inside `code`, as the release stores them (PolygonLayer JSON text):
    {region code: (polygon, ...)}. They go to the browser as they are, never parsed here."""
    table = GEO_TABLES[1] if detail else GEO_TABLES[0]
    where, params = _descendants_sql(code, level)
    frame = query(con, f"SELECT b.code, b.polygon FROM regions r JOIN {table} b "  # noqa: S608
                  f"ON b.code = r.code AND b.level = r.level WHERE {where} ORDER BY b.code, b.part", params)
    shapes: dict[str, list[str]] = {}
    for region_code, polygon in zip(frame["code"], frame["polygon"], strict=True):
        shapes.setdefault(region_code, []).append(polygon)
    return {region_code: tuple(parts) for region_code, parts in shapes.items()}


def dictionary(con: Connection) -> pd.DataFrame:
    return query(con, "SELECT * FROM data_dictionary")


def all_regions(con: Connection) -> pd.DataFrame:
    """Every region with its kecamatan, kabupaten and province names (for search)."""
    return query(con, "SELECT r.code, r.level, r.name, r.kind, kc.name AS kecamatan, kb.name AS kabupaten, "
                 "kb.kind AS kabupaten_kind, p.name AS provinsi FROM regions r "
                 "LEFT JOIN regions kc ON kc.code = r.kecamatan_code AND r.level = 'desa' "
                 "LEFT JOIN regions kb ON kb.code = r.kabupaten_code AND r.level IN ('desa', 'kecamatan') "
                 "LEFT JOIN regions p ON p.code = r.province_code AND r.level <> 'provinsi' "
                 "WHERE r.level IN ('desa', 'kecamatan', 'kabupaten', 'provinsi') ORDER BY r.code")


def region_cells(con: Connection, code: str, period: str) -> pd.DataFrame:
    """One region's cells for one period, every program, all channels together."""
    return query(con, "SELECT * FROM disbursement_cells WHERE region_code = ? AND period = ? AND channel = ? "
                 "ORDER BY program", [code, period, ALL_CHANNELS])


def table_columns(con: Connection) -> pd.DataFrame:
    """table_name, column_name, data_type of every table of the release, in table and column order."""
    return query(con, "SELECT table_name, column_name, data_type FROM information_schema.columns "
                 "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position")


def empty_earlier_tables(con: Connection) -> set[str]:
    """The release's `_earlier` tables that hold no row (a first release of its year has no earlier cells)."""
    names = set(table_columns(con)["table_name"])
    return {name for name in names if name.endswith(EARLIER_SUFFIX)
            and query(con, f'SELECT count(*) AS n FROM "{name}"')["n"].iloc[0] == 0}  # noqa: S608 (own names)


def table(con: Connection, name: str) -> pd.DataFrame:
    """A whole published table; `name` must be one of the release's own flat tables (never free text)."""
    names = set(table_columns(con)["table_name"]) - set(GEO_TABLES)
    if name not in names:
        raise ValueError(f"{name!r} is not a table of this release")
    return query(con, f'SELECT * FROM "{name}"')  # noqa: S608
