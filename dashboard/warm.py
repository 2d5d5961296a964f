"""Per release and process, compute once in the background what nearly every visitor asks for first.

A news story sends a crowd at once; the first of them should not all wait for the same cold queries. When a process
first serves a release, a thread fills the caches behind the national and province views (headline cells, the map
layers per level, the region search index, the profiles' outlook), while the visitor's own page runs.
"""

from __future__ import annotations

import logging
import threading

import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx

from dashboard import components, db, maps, outlook_views
from published_schema import ALL_PROGRAMS, NATIONAL_CODE

_log = logging.getLogger(__name__)


def _fill(release_id: str) -> None:
    release = db.get_release(release_id)
    year = str(release.data_year)
    components.get_search_index(release_id)
    db.get_periods(release_id)
    db.get_programs(release_id)
    for code in (NATIONAL_CODE, *release.provinces):
        db.get_region_cells(release_id, code, year)
        level = db.level_of_code(code)
        for child in maps.map_levels(level)[:1]:
            db.get_cells(release_id, code, child, ALL_PROGRAMS, year)
            db.get_boundaries(release_id, code, child, maps.uses_detail(level, child))
    # Last: every profile from kabupaten up (the national one is what /wilayah opens on) shows next year's outlook
    # of all programs, which projects every program of the release. Demo release, AppTest, idle machine
    # (2026-12-06): /wilayah after Beranda and this warm-up took 6.7 s without it, 0.9 s with it; Beranda's own
    # first run, beside it, 2.3 s then 4.0 s. A page asking while this runs waits for it (one computation per key).
    outlook_views.get_outlook(release_id, ALL_PROGRAMS)


@st.cache_resource(max_entries=4, show_spinner=False)
def start(release_id: str) -> threading.Thread:
    """Start filling the caches for `release_id` (once per process and release); returns the thread."""
    def run() -> None:
        try:
            _fill(release_id)
        except Exception:  # a cache left cold is only slower; never fail a visitor's page for it
            _log.exception("warming the caches of release %s failed", release_id)

    thread = add_script_run_ctx(threading.Thread(target=run, name=f"warm-{release_id}", daemon=True))
    thread.start()
    return thread
