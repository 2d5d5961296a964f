"""Server-side render time per dashboard page (median after warm-up) and the map payload bytes, on a release.

    python benchmarks/bench_dashboard.py --db data/published/bansos.duckdb --runs 7

Each page is run through Streamlit's AppTest (the router and the page script, every query and figure, without a
browser): one warm-up run fills the caches, then `--runs` timed reruns. The map payload is the deck.gl JSON the
server sends for the whole-country maps (provinsi, kabupaten, kecamatan).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: (label, query parameters): the default view of each page, and heavier views worth watching.
CASES = [
    ("beranda", {"page": "beranda"}),
    ("peta (provinsi)", {"page": "peta"}),
    ("peta (kecamatan, national)", {"page": "peta", "level": "kecamatan"}),
    ("tren", {"page": "tren"}),
    ("kesenjangan (kecamatan, national)", {"page": "kesenjangan"}),
    ("wilayah (search + profile)", {"page": "wilayah", "q": "sukamaju", "region": "{desa}"}),
    ("data (open data)", {"page": "data"}),
]
MAPS = ("provinsi", "kabupaten", "kecamatan")


def _app(params: dict[str, str]):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    for key, value in params.items():
        at.query_params[key] = value
    return at


def time_page(params: dict[str, str], runs: int) -> tuple[float, float]:
    """(first run ms, median ms of the timed reruns)."""
    at = _app(params)
    start = time.perf_counter()
    at.run()
    first = (time.perf_counter() - start) * 1000
    if at.exception:
        raise SystemExit(f"{params}: {at.exception[0].message}")
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        at.run()
        timings.append((time.perf_counter() - start) * 1000)
    return first, statistics.median(timings)


def map_payload(level: str) -> tuple[int, int]:
    """(bytes of the deck JSON, polygon parts) of the whole-country map at `level`."""
    import json

    at = _app({"page": "peta", "level": level})
    at.run()
    deck = at.get("deck_gl_json_chart")[0].proto.json
    return len(deck.encode("utf-8")), len(json.loads(deck)["layers"][0]["data"])


def a_desa(db: Path) -> str:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT code FROM regions WHERE level = 'desa' ORDER BY code LIMIT 1").fetchall()[0][0]
    finally:
        con.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=None, help="published database (default: BANSOS_PUBLISHED_DB or "
                                                              "data/published/bansos.duckdb)")
    parser.add_argument("--runs", type=int, default=7, help="timed reruns per page after the warm-up")
    args = parser.parse_args()
    if args.db:
        os.environ["BANSOS_PUBLISHED_DB"] = str(args.db.resolve())
    from settings import get_settings

    db = get_settings().published_db
    if not db.exists():
        raise SystemExit(f"No published release at {db}; run `python -m anonymize publish` first.")
    desa = a_desa(db)
    print(f"release {db} ({db.stat().st_size / 1e6:.1f} MB), {args.runs} timed runs per page after a warm-up")
    print(f"{'page':<36}{'first run ms':>14}{'median ms':>12}")
    for label, params in CASES:
        params = {k: v.format(desa=desa) for k, v in params.items()}
        first, median = time_page(params, args.runs)
        print(f"{label:<36}{first:>14.0f}{median:>12.0f}")
    print(f"{'whole-country map':<36}{'payload MB':>14}{'polygons':>12}")
    for level in MAPS:
        size, parts = map_payload(level)
        print(f"{level:<36}{size / 1e6:>14.3f}{parts:>12,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
