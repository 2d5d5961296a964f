"""The only code that queries the published database: one read-only connection, cached queries keyed on release id.

Every `get_*` function takes the release id as its first argument so that `st.cache_data` forgets its answers when
a new release is swapped in (the file is replaced by a hard link to the new release: a new inode, a new connection).
Each query opens its own cursor on the shared read-only connection (safe under Streamlit's threads) and returns a
DataFrame, never a relation. SQL built with f-strings (`noqa: S608`) only joins this module's fixed fragments and
table names; every value travels as a `?` parameter.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from settings import ALL_PROGRAMS, NATIONAL_CODE, get_settings

#: Channel code for "all channels together".
ALL_CHANNELS = "SEMUA"
LEVELS = ("nasional", "provinsi", "kabupaten", "kecamatan", "desa")
#: The regions column naming each region's ancestor at a level (national: every region).
_ANCESTOR_COLUMN = {"provinsi": "province_code", "kabupaten": "kabupaten_code", "kecamatan": "kecamatan_code",
                    "desa": "code"}
MEASURES = ("recipients", "eligible_households", "eligible_paid", "registered_households", "payments",
            "paid_payments", "failed_payments", "returned_payments", "pending_payments", "late_payments", "amount")


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


def published_path() -> Path:
    return get_settings().published_db


def level_of_code(code: str) -> str:
    """'ID' nasional, '34' provinsi, '34.01' kabupaten, '34.01.02' kecamatan, '34.01.02.2001' desa."""
    if code == NATIONAL_CODE:
        return "nasional"
    return LEVELS[min(code.count(".") + 1, 4)]


def connection_config() -> dict[str, str | int | bool]:
    """DuckDB settings of the public server's connection: no file or network access beyond the release (a query
    can never read another file, even if one were injected), and bounded threads and memory so a burst of visitors
    cannot take the machine. `BANSOS_DASHBOARD_THREADS` and `BANSOS_DASHBOARD_MEMORY` override the bounds."""
    return {"enable_external_access": False, "autoload_known_extensions": False, "autoinstall_known_extensions": False,
            "threads": int(os.environ.get("BANSOS_DASHBOARD_THREADS", "2")),
            "memory_limit": os.environ.get("BANSOS_DASHBOARD_MEMORY", "1GB"), "lock_configuration": True}


@st.cache_resource(max_entries=8, show_spinner=False)
def _connect(path: str, inode: int) -> duckdb.DuckDBPyConnection:
    # One connection per release file (inode): a newly published release gets a fresh one.
    return duckdb.connect(path, read_only=True, config=connection_config())


def _release_file(path: Path) -> Path:
    """The release folder's own file that `path` links to (`releases/<id>/bansos.duckdb`), else `path`.

    DuckDB keeps one database instance per path in a process: opening the swapped-in file under the same name would
    hand back the previous release's instance. Each release's own path is a new instance.
    """
    current = path.stat()
    for candidate in sorted((path.parent / "releases").glob(f"*/{path.name}"), reverse=True):
        if os.path.samestat(candidate.stat(), current):
            return candidate
    return path


def release_file(release_id: str | None = None) -> Path:
    """The database file of a kept release (`releases/<id>/bansos.duckdb`), else the current release's own file."""
    current = published_path()
    if release_id:
        kept = current.parent / "releases" / release_id / current.name
        if kept.is_file():
            return kept
    return _release_file(current)


def get_connection(release_id: str | None = None) -> duckdb.DuckDBPyConnection:
    """The read-only connection to one release (a pinned, kept one, or the current one)."""
    path = release_file(release_id)
    return _connect(str(path), path.stat().st_ino)


def _query(release_id: str | None, sql: str, params: list | tuple = ()) -> pd.DataFrame:
    with get_connection(release_id).cursor() as cur:
        return cur.execute(sql, list(params)).df()


def get_release(release_id: str | None = None) -> Release:
    """A kept release by id, or the current one (cheap: cached per file inode)."""
    path = release_file(release_id)
    return _release(str(path), path.stat().st_ino)


@st.cache_data(max_entries=16, show_spinner=False)
def _release(path: str, inode: int) -> Release:
    with _connect(path, inode).cursor() as cur:
        row = cur.execute("SELECT release_id, created_at, data_year, data_through, provinces, threshold, tables "
                          "FROM release").df().iloc[0]
    return Release(str(row["release_id"]), str(row["created_at"]), int(row["data_year"]), str(row["data_through"]),
                   tuple(str(row["provinces"]).split(",")), int(row["threshold"]), json.loads(row["tables"]))


@st.cache_data(max_entries=8, show_spinner=False)
def get_periods(release_id: str) -> list[str]:
    """Months in order, then the year."""
    return _query(release_id, "SELECT period FROM periods ORDER BY kind, period")["period"].tolist()


@st.cache_data(max_entries=8, show_spinner=False)
def get_programs(release_id: str) -> pd.DataFrame:
    return _query(release_id, "SELECT code, name_id, name_en FROM programs")


@st.cache_data(max_entries=1024, show_spinner=False)
def get_region(release_id: str, code: str) -> dict | None:
    frame = _query(release_id, "SELECT * FROM regions WHERE code = ?", [code])
    return None if frame.empty else frame.iloc[0].where(frame.iloc[0].notna(), None).to_dict()


@st.cache_data(max_entries=1024, show_spinner=False)
def get_lineage(release_id: str, code: str) -> pd.DataFrame:
    """The region and its ancestors, national first."""
    region = get_region(release_id, code)
    if region is None:
        return pd.DataFrame(columns=["code", "level", "name", "kind"])
    codes = [NATIONAL_CODE, region["province_code"], region["kabupaten_code"], region["kecamatan_code"], code]
    frame = _query(release_id, "SELECT code, level, name, kind FROM regions WHERE code IN (SELECT unnest(?))",
                   [[c for c in codes if c]])
    frame["depth"] = frame["level"].map(LEVELS.index)
    return frame.sort_values("depth").drop(columns="depth").reset_index(drop=True)


def _descendants_sql(code: str, level: str) -> tuple[str, list]:
    """SQL condition on `regions r` for the regions at `level` inside `code`."""
    if code == NATIONAL_CODE:
        return "r.level = ?", [level]
    return f"r.level = ? AND r.{_ANCESTOR_COLUMN[level_of_code(code)]} = ?", [level, code]


@st.cache_data(max_entries=256, show_spinner=False)
def get_regions_in(release_id: str, code: str, level: str) -> pd.DataFrame:
    """Regions at `level` inside `code`, by name."""
    where, params = _descendants_sql(code, level)
    return _query(release_id,
                  f"SELECT r.code, r.name, r.kind, r.parent_code FROM regions r WHERE {where} ORDER BY r.name",  # noqa: S608
                  params)


@st.cache_data(max_entries=256, show_spinner=False)
def get_cells(release_id: str, code: str, level: str, program: str, period: str,
              channel: str = ALL_CHANNELS) -> pd.DataFrame:
    """Disbursement cells of the regions at `level` inside `code`, with names, for one program and period."""
    where, params = _descendants_sql(code, level)
    return _query(release_id, f"SELECT r.name, r.kind, r.parent_code, c.* EXCLUDE (level) FROM regions r "  # noqa: S608
                  f"JOIN disbursement_cells c ON c.region_code = r.code AND c.level = r.level "
                  f"WHERE {where} AND c.program = ? AND c.period = ? AND c.channel = ? ORDER BY r.name",
                  [*params, program, period, channel])


@st.cache_data(max_entries=256, show_spinner=False)
def get_year_cells(release_id: str, codes: tuple[str, ...], year: str) -> pd.DataFrame:
    """Whole-year, all-channel cells of some regions, every program (for profiles and denominators)."""
    return _query(release_id, "SELECT * FROM disbursement_cells WHERE region_code IN (SELECT unnest(?)) AND period = ? "
                  "AND channel = ?", [list(codes), year, ALL_CHANNELS])


_DENOMINATORS = (
    "SELECT c.region_code, c.program, c.eligible_households, c.suppressed AS eligible_suppressed, "  # noqa: S608
    "s.registered_households, s.suppressed AS registered_suppressed "
    "FROM disbursement_cells c JOIN disbursement_cells s ON s.region_code = c.region_code AND s.level = c.level "
    f"AND s.program = '{ALL_PROGRAMS}' AND s.period = c.period AND s.channel = c.channel "
    "JOIN regions r ON r.code = c.region_code AND r.level = c.level WHERE c.period = ? AND c.channel = ? AND ")


@st.cache_data(max_entries=256, show_spinner=False)
def get_denominators(release_id: str, code: str, level: str, year: str) -> pd.DataFrame:
    """Per region at `level` inside `code` and program: the year's eligible households (the program's cell) and
    registered households (the program SEMUA cell), each with its own suppressed flag."""
    where, params = _descendants_sql(code, level)
    return _query(release_id, _DENOMINATORS + where, [year, ALL_CHANNELS, *params])


@st.cache_data(max_entries=256, show_spinner=False)
def get_denominators_of(release_id: str, codes: tuple[str, ...], year: str) -> pd.DataFrame:
    """`get_denominators` for a list of regions."""
    return _query(release_id, _DENOMINATORS + "r.code IN (SELECT unnest(?))", [year, ALL_CHANNELS, list(codes)])


@st.cache_data(max_entries=256, show_spinner=False)
def get_monthly(release_id: str, codes: tuple[str, ...], programs: tuple[str, ...],
                channels: tuple[str, ...] = (ALL_CHANNELS,)) -> pd.DataFrame:
    """Monthly cells of some regions for some programs and channels, with region names."""
    return _query(release_id, "SELECT r.name, c.* FROM disbursement_cells c JOIN regions r ON r.code = c.region_code "
                  "WHERE c.region_code IN (SELECT unnest(?)) AND c.program IN (SELECT unnest(?)) "
                  "AND c.channel IN (SELECT unnest(?)) AND length(c.period) = 7 ORDER BY c.period",
                  [list(codes), list(programs), list(channels)])


@st.cache_data(max_entries=256, show_spinner=False)
def get_channels(release_id: str, code: str, program: str) -> list[str]:
    frame = _query(release_id, "SELECT DISTINCT channel FROM disbursement_cells WHERE region_code = ? AND program = ? "
                   "AND channel <> ? ORDER BY channel", [code, program, ALL_CHANNELS])
    return frame["channel"].tolist()


@st.cache_data(max_entries=256, show_spinner=False)
def get_complaints(release_id: str, code: str, period: str) -> pd.DataFrame:
    """All complaint categories of one region and period (kecamatan and up)."""
    return _query(release_id, "SELECT * FROM complaint_cells WHERE region_code = ? AND period = ? ORDER BY category",
                  [code, period])


@st.cache_data(max_entries=256, show_spinner=False)
def get_quality(release_id: str, code: str, level: str, year: str) -> pd.DataFrame:
    """Data-quality indicators of the regions at `level` inside `code` (kecamatan and up)."""
    where, params = _descendants_sql(code, level)
    return _query(release_id, f"SELECT q.region_code, q.indicator, q.suppressed, q.households FROM regions r "  # noqa: S608
                  f"JOIN quality_cells q ON q.region_code = r.code AND q.level = r.level "
                  f"WHERE {where} AND q.period = ?", [*params, year])


@st.cache_data(max_entries=64, show_spinner=False)
def get_boundary_source(release_id: str, level: str) -> dict | None:
    frame = _query(release_id, "SELECT * FROM boundary_sources WHERE level = ?", [level])
    return None if frame.empty else frame.iloc[0].to_dict()


@st.cache_data(max_entries=1024, show_spinner=False)
def get_bbox(release_id: str, codes: tuple[str, ...]) -> tuple[float, float, float, float] | None:
    """(min_lon, min_lat, max_lon, max_lat) around some regions' shapes."""
    frame = _query(release_id, "SELECT min(min_lon), min(min_lat), max(max_lon), max(max_lat) FROM boundary_centroids "
                   "WHERE code IN (SELECT unnest(?))", [list(codes)])
    values = frame.iloc[0].tolist()
    return None if any(pd.isna(v) for v in values) else tuple(float(v) for v in values)


# Kept as shared objects (cache_resource, no copy per call): a whole-country map holds megabytes of polygon text.
@st.cache_resource(max_entries=16, show_spinner=False)
def get_boundaries(release_id: str, code: str, level: str, detail: bool) -> dict[str, tuple[str, ...]]:
    """Polygon parts per region at `level` inside `code`, as the release stores them (PolygonLayer JSON text):
    {region code: (polygon, ...)}. They go to the browser as they are, never parsed here."""
    table = "boundaries_detail" if detail else "boundaries"
    where, params = _descendants_sql(code, level)
    frame = _query(release_id, f"SELECT b.code, b.polygon FROM regions r JOIN {table} b "  # noqa: S608
                   f"ON b.code = r.code AND b.level = r.level WHERE {where} ORDER BY b.code, b.part", params)
    shapes: dict[str, list[str]] = {}
    for region_code, polygon in zip(frame["code"], frame["polygon"], strict=True):
        shapes.setdefault(region_code, []).append(polygon)
    return {region_code: tuple(parts) for region_code, parts in shapes.items()}


@st.cache_data(max_entries=4, show_spinner=False)
def get_dictionary(release_id: str) -> pd.DataFrame:
    return _query(release_id, "SELECT * FROM data_dictionary")


@st.cache_resource(max_entries=2, show_spinner=False)
def get_all_regions(release_id: str) -> pd.DataFrame:
    """Every region with its kecamatan, kabupaten and province names (for search; shared, read-only)."""
    return _query(release_id, "SELECT r.code, r.level, r.name, r.kind, kc.name AS kecamatan, kb.name AS kabupaten, "
                  "kb.kind AS kabupaten_kind, p.name AS provinsi FROM regions r "
                  "LEFT JOIN regions kc ON kc.code = r.kecamatan_code AND r.level = 'desa' "
                  "LEFT JOIN regions kb ON kb.code = r.kabupaten_code AND r.level IN ('desa', 'kecamatan') "
                  "LEFT JOIN regions p ON p.code = r.province_code AND r.level <> 'provinsi' "
                  "WHERE r.level IN ('desa', 'kecamatan', 'kabupaten', 'provinsi') ORDER BY r.code")


@st.cache_data(max_entries=256, show_spinner=False)
def get_region_cells(release_id: str, code: str, period: str) -> pd.DataFrame:
    """One region's cells for one period, every program, all channels together."""
    return _query(release_id, "SELECT * FROM disbursement_cells WHERE region_code = ? AND period = ? AND channel = ? "
                  "ORDER BY program", [code, period, ALL_CHANNELS])


# --- Open data: whole tables, boundary layers, kept releases ---------------------------------------------------

#: Tables published as map layers (GeoJSON), not as flat files: their polygons are JSON text.
GEO_TABLES = ("boundaries", "boundaries_detail")


@st.cache_data(max_entries=8, show_spinner=False)
def get_table_columns(release_id: str) -> pd.DataFrame:
    """table_name, column_name, data_type of every table of the release, in table and column order."""
    return _query(release_id, "SELECT table_name, column_name, data_type FROM information_schema.columns "
                  "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position")


def get_table_names(release_id: str) -> list[str]:
    """The release's flat tables (boundary polygons excluded: the release folder has them as GeoJSON layers)."""
    names = get_table_columns(release_id)["table_name"].drop_duplicates()
    return [n for n in names if n not in GEO_TABLES]


@st.cache_data(max_entries=32, show_spinner=False)
def get_table(release_id: str, name: str) -> pd.DataFrame:
    """A whole published table (aggregates only: the release holds nothing else)."""
    if name not in get_table_names(release_id):
        raise ValueError(f"{name!r} is not a table of release {release_id}")
    # `name` is one of the release's own table names (checked above), never free text.
    return _query(release_id, f'SELECT * FROM "{name}"')  # noqa: S608


@st.cache_data(max_entries=8, show_spinner=False)
def get_release_row(release_id: str) -> dict:
    """The whole `release` row, its JSON columns decoded."""
    row = _query(release_id, "SELECT * FROM release").iloc[0].to_dict()
    for key in ("rules", "sources", "tables", "audit"):
        row[key] = json.loads(row[key]) if isinstance(row.get(key), str) else row.get(key)
    return row


def release_folder(release_id: str) -> Path | None:
    """`releases/<id>` beside the current file, when that release is kept."""
    folder = published_path().parent / "releases" / release_id
    return folder if (folder / "manifest.json").is_file() else None


def kept_release_ids() -> list[str]:
    """Ids of the kept releases (those with a manifest), newest first; cheap (a directory listing)."""
    releases = published_path().parent / "releases"
    return sorted((m.parent.name for m in releases.glob("*/manifest.json")), reverse=True)


@st.cache_data(max_entries=8, show_spinner=False)
def get_manifests(current_release_id: str, kept: tuple[str, ...]) -> list[dict]:
    """The manifests of the kept releases, newest first (keyed on the current release and the kept ids)."""
    return [json.loads((release_folder(i) / "manifest.json").read_text(encoding="utf-8")) for i in kept
            if release_folder(i) is not None]
