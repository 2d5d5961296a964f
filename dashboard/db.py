"""The dashboard's cached access to the published database: one read-only connection per release file, and each
query of `dashboard.queries` cached per release.

Every `get_*` function takes the release id as its first argument so that `st.cache_data` forgets its answers when
a new release is swapped in (the file is replaced by a hard link to the new release: a new inode, a new connection).
Which file a release id means is `dashboard.releases`' business; what each query asks is `dashboard.queries`'.
"""

from __future__ import annotations

import os

import duckdb
import pandas as pd
import streamlit as st

from dashboard import queries
from dashboard.queries import Release
from dashboard.releases import kept_release_ids, published_path, read_manifests, release_file, release_folder
from published_schema import ALL_CHANNELS, DISBURSEMENT_MEASURES, GEO_TABLES, LEVELS, level_of_code

# The names pages and tests use, from where they are defined.
__all__ = ["GEO_TABLES", "LEVELS", "MEASURES", "Release", "kept_release_ids", "level_of_code", "published_path",
           "release_file", "release_folder"]
MEASURES = DISBURSEMENT_MEASURES


def connection_config() -> dict[str, str | bool | int | float | list[str]]:
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


def get_connection(release_id: str | None = None) -> duckdb.DuckDBPyConnection:
    """The read-only connection to one release (a pinned, kept one, or the current one)."""
    path = release_file(release_id)
    return _connect(str(path), path.stat().st_ino)


def get_release(release_id: str | None = None) -> Release:
    """A kept release by id, or the current one (cheap: cached per file inode)."""
    path = release_file(release_id)
    return _release(str(path), path.stat().st_ino)


@st.cache_data(max_entries=16, show_spinner=False)
def _release(path: str, inode: int) -> Release:
    return queries.release(_connect(path, inode))


@st.cache_data(max_entries=32, show_spinner=False)
def get_periods(release_id: str, year: str | None = None) -> list[str]:
    """Months in order, then the year (`year`: that published year's only)."""
    return queries.periods(get_connection(release_id), year)


@st.cache_data(max_entries=8, show_spinner=False)
def get_years(release_id: str) -> list[str]:
    """The published years, oldest first."""
    return queries.years(get_connection(release_id))


@st.cache_data(max_entries=8, show_spinner=False)
def get_programs(release_id: str) -> pd.DataFrame:
    return queries.programs(get_connection(release_id))


@st.cache_data(max_entries=1024, show_spinner=False)
def get_region(release_id: str, code: str) -> dict | None:
    return queries.region(get_connection(release_id), code)


def region(release_id: str, code: str) -> dict:
    """A region the page already checked is in the release (`components.current_region`, a parent, a kecamatan)."""
    found = get_region(release_id, code)
    if found is None:
        raise LookupError(f"region {code!r} is not in release {release_id}")
    return found


@st.cache_data(max_entries=1024, show_spinner=False)
def get_lineage(release_id: str, code: str) -> pd.DataFrame:
    """The region and its ancestors, national first."""
    return queries.lineage(get_connection(release_id), code)


@st.cache_data(max_entries=256, show_spinner=False)
def get_regions_in(release_id: str, code: str, level: str) -> pd.DataFrame:
    """Regions at `level` inside `code`, by name."""
    return queries.regions_in(get_connection(release_id), code, level)


@st.cache_data(max_entries=256, show_spinner=False)
def get_cells(release_id: str, code: str, level: str, program: str, period: str,
              channel: str = ALL_CHANNELS) -> pd.DataFrame:
    """Disbursement cells of the regions at `level` inside `code`, with names, for one program and period."""
    return queries.cells(get_connection(release_id), code, level, program, period, channel)


@st.cache_data(max_entries=256, show_spinner=False)
def get_denominators(release_id: str, code: str, level: str, year: str) -> pd.DataFrame:
    """Per region at `level` inside `code` and program: eligible and registered households of the year."""
    return queries.denominators(get_connection(release_id), code, level, year)


@st.cache_data(max_entries=256, show_spinner=False)
def get_denominators_of(release_id: str, codes: tuple[str, ...], year: str) -> pd.DataFrame:
    """`get_denominators` for a list of regions."""
    return queries.denominators_of(get_connection(release_id), codes, year)


@st.cache_data(max_entries=256, show_spinner=False)
def get_monthly(release_id: str, codes: tuple[str, ...], programs: tuple[str, ...], year: str,
                channels: tuple[str, ...] = (ALL_CHANNELS,)) -> pd.DataFrame:
    """Monthly cells of one year of some regions for some programs and channels, with region names."""
    return queries.monthly(get_connection(release_id), codes, programs, year, channels)


@st.cache_data(max_entries=256, show_spinner=False)
def get_channels(release_id: str, code: str, program: str, year: str) -> list[str]:
    return queries.channels(get_connection(release_id), code, program, year)


@st.cache_data(max_entries=256, show_spinner=False)
def get_complaints(release_id: str, code: str, period: str) -> pd.DataFrame:
    """All complaint categories of one region and period (kecamatan and up)."""
    return queries.complaints(get_connection(release_id), code, period)


@st.cache_data(max_entries=256, show_spinner=False)
def get_quality(release_id: str, code: str, level: str, year: str) -> pd.DataFrame:
    """Data-quality indicators of the regions at `level` inside `code` (kecamatan and up)."""
    return queries.quality(get_connection(release_id), code, level, year)


@st.cache_data(max_entries=32, show_spinner=False)
def get_national_quality_indicators(release_id: str, year: str) -> list[str]:
    """The data-quality indicators published for `year` (queries.national_quality_indicators)."""
    return queries.national_quality_indicators(get_connection(release_id), year)


@st.cache_data(max_entries=256, show_spinner=False)
def get_boundary_sources(release_id: str, level: str, codes: tuple[str, ...] | None = None) -> list[dict]:
    """The sources of these regions' shapes at `level` (None: all of the level's), real ones first."""
    return queries.boundary_sources(get_connection(release_id), level, codes)


@st.cache_data(max_entries=1024, show_spinner=False)
def get_bbox(release_id: str, codes: tuple[str, ...]) -> tuple[float, float, float, float] | None:
    """(min_lon, min_lat, max_lon, max_lat) around some regions' shapes."""
    return queries.bbox(get_connection(release_id), codes)


# Kept as shared objects (cache_resource, no copy per call): a whole-country map holds megabytes of polygon text.
@st.cache_resource(max_entries=16, show_spinner=False)
def get_boundaries(release_id: str, code: str, level: str, detail: bool) -> dict[str, tuple[str, ...]]:
    """Polygon parts per region at `level` inside `code` (PolygonLayer JSON text, never parsed here)."""
    return queries.boundaries(get_connection(release_id), code, level, detail)


@st.cache_data(max_entries=4, show_spinner=False)
def get_dictionary(release_id: str) -> pd.DataFrame:
    return queries.dictionary(get_connection(release_id))


@st.cache_resource(max_entries=2, show_spinner=False)
def get_all_regions(release_id: str) -> pd.DataFrame:
    """Every region with its kecamatan, kabupaten and province names (for search; shared, read-only)."""
    return queries.all_regions(get_connection(release_id))


@st.cache_data(max_entries=256, show_spinner=False)
def get_region_cells(release_id: str, code: str, period: str) -> pd.DataFrame:
    """One region's cells for one period, every program, all channels together."""
    return queries.region_cells(get_connection(release_id), code, period)


# --- Open data: whole tables, kept releases ----------------------------------------------------------------------

@st.cache_data(max_entries=8, show_spinner=False)
def get_table_columns(release_id: str) -> pd.DataFrame:
    """table_name, column_name, data_type of every table of the release, in table and column order."""
    return queries.table_columns(get_connection(release_id))


def get_table_names(release_id: str) -> list[str]:
    """The release's flat tables (boundary polygons excluded: the release folder has them as GeoJSON layers)."""
    names = get_table_columns(release_id)["table_name"].drop_duplicates()
    # An empty earlier-release table is nothing to download (the release's first month of a year).
    empty = _empty_earlier_tables(release_id)
    return [n for n in names if n not in GEO_TABLES and n not in empty]


@st.cache_data(max_entries=32, show_spinner=False)
def _empty_earlier_tables(release_id: str) -> set[str]:
    return queries.empty_earlier_tables(get_connection(release_id))


@st.cache_data(max_entries=32, show_spinner=False)
def get_table(release_id: str, name: str) -> pd.DataFrame:
    """A whole published table (aggregates only: the release holds nothing else)."""
    if name not in get_table_names(release_id):
        raise ValueError(f"{name!r} is not a table of release {release_id}")
    return queries.table(get_connection(release_id), name)


@st.cache_data(max_entries=8, show_spinner=False)
def get_release_row(release_id: str) -> dict:
    """The whole `release` row, its JSON columns decoded."""
    return queries.release_row(get_connection(release_id))


@st.cache_data(max_entries=8, show_spinner=False)
def get_manifests(current_release_id: str, kept: tuple[str, ...]) -> list[dict]:
    """The manifests of the kept releases, newest first (keyed on the current release and the kept ids)."""
    return read_manifests(kept)
