"""`python -m geo fetch`: download cahyadsn/wilayah_boundaries at a pinned commit and cache it as GeoParquet."""

from __future__ import annotations

import argparse
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cli import UserError, progress, stopwatch, summary
from geo.attribution import UPSTREAM_COMMIT, UPSTREAM_NOTICE, UPSTREAM_REPO
from geo.levels import registry_children
from geo.options import add_provinces_option, parse_codes, provinces_of
from geo.upstream_sql import DumpError, licence_notice, read_dump
from settings import get_settings

HELP = "Download open boundaries (cahyadsn/wilayah_boundaries, MIT) for some provinces into data/geo/download."
DEFAULT_BASE_URL = f"https://raw.githubusercontent.com/{UPSTREAM_REPO}/{UPSTREAM_COMMIT}"
#: Environment variable naming a mirror of the repository at the pinned commit (same layout).
BASE_URL_ENV = "BANSOS_GEO_BASE_URL"
DOWNLOAD_DIR = "download"
MANIFEST = "sources.json"
LICENCE_FILE = "LICENSE-wilayah_boundaries.txt"
#: Province shapes are dissolved from kabupaten, so the upstream province files are not needed.
FETCH_LEVELS = ("kabupaten", "kecamatan", "desa")
TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class UpstreamFile:
    level: str
    key: str
    path: str


def download_dir(geo_dir: Path) -> Path:
    return Path(geo_dir) / DOWNLOAD_DIR


def cached_files(geo_dir: Path) -> list[Path]:
    """The converted downloads (GeoParquet with `code`, `name`, `geometry`), every level."""
    return sorted(p for level in FETCH_LEVELS for p in (download_dir(geo_dir) / level).glob("*.parquet"))


def configure(parser: argparse.ArgumentParser) -> None:
    add_provinces_option(parser, "province codes to download, e.g. 32,53, or 'all'")
    parser.add_argument("--kabupaten", metavar="CODES", help="only the desa of these kabupaten, e.g. 32.04,32.73")
    parser.add_argument("--levels", default=",".join(FETCH_LEVELS),
                        help="levels to download (default: %(default)s)")
    parser.add_argument("--base-url", default=os.environ.get(BASE_URL_ENV, DEFAULT_BASE_URL),
                        help=f"the repository at the pinned commit, or a mirror (env {BASE_URL_ENV})")


def run(args: argparse.Namespace) -> int:
    kabupaten = parse_codes(args.kabupaten, "kabupaten")
    provinces = parse_codes(args.provinces, "provinsi") or provinces_of(kabupaten)
    if not provinces:
        raise UserError("Name what to download with --provinces (e.g. 32,53 or all) or --kabupaten (e.g. 32.73).")
    levels = tuple(level.strip() for level in args.levels.split(","))
    unknown = sorted(set(levels) - set(FETCH_LEVELS))
    if unknown:
        raise UserError(f"--levels takes {', '.join(FETCH_LEVELS)}; {unknown[0]!r} is not one of them.")
    with stopwatch() as timing:
        rows = fetch(get_settings().geo_dir, upstream_files(provinces, kabupaten, levels), args.base_url)
    folder = download_dir(get_settings().geo_dir)
    summary(f"geo fetch: {len(rows)} file(s), {sum(rows.values()):,} regions for province(s) {', '.join(provinces)} "
            f"in {timing['seconds']:.0f} s -> {folder}; next: python -m geo build")
    return 0


def upstream_files(provinces: tuple[str, ...], kabupaten: tuple[str, ...] | None,
                   levels: tuple[str, ...]) -> list[UpstreamFile]:
    """The upstream files holding these levels of these provinces (desa come one file per kabupaten)."""
    files = []
    for province in provinces:
        if "kabupaten" in levels:
            files.append(UpstreamFile("kabupaten", province, f"db/kab/wilayah_boundaries_kab_{province}.sql"))
        if "kecamatan" in levels:
            files.append(UpstreamFile("kecamatan", province, f"db/kec/wilayah_boundaries_kec_{province}.sql"))
        if "desa" in levels:
            for kab in registry_children().get(province, ()):
                if kabupaten is None or kab in kabupaten:
                    files.append(UpstreamFile("desa", kab, f"db/kel/{province}/wilayah_boundaries_kel_{kab}.sql"))
    return files


def fetch(geo_dir: Path, files: list[UpstreamFile], base_url: str) -> dict[str, int]:
    """Download and convert each file into `download/<level>/<key>.parquet`; return regions per file."""
    folder = download_dir(geo_dir)
    rows: dict[str, int] = {}
    notice = ""
    for file in progress(files, desc="geo fetch", unit="file"):
        url = f"{base_url.rstrip('/')}/{file.path}"
        text = download(url)
        try:
            frame = read_dump(text)
        except DumpError as error:
            raise UserError(f"{url} is not an upstream boundary dump: {error}.") from None
        notice = notice or licence_notice(text)
        target = folder / file.level / f"{file.key}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        frame.to_parquet(partial, index=False)
        partial.replace(target)
        rows[file.path] = len(frame)
    _write_manifest(folder, base_url, rows, notice)
    return rows


def download(url: str) -> str:
    """The text at `url`; a failure becomes one sentence naming the URL and what to check."""
    # S310: --base-url, the pinned https source by default.
    request = urllib.request.Request(url, headers={"User-Agent": "bansos-terbuka geo fetch"})  # noqa: S310
    try:
        # S310: --base-url, the pinned https source by default.
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        raise UserError(f"Downloading {url} failed with HTTP {error.code} ({error.reason}); "
                        f"check --base-url ({BASE_URL_ENV}) and that the file exists upstream.") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        reason = getattr(error, "reason", error)
        host = urllib.parse.urlsplit(url).netloc
        raise UserError(f"Could not reach {host} ({reason}); check the network connection "
                        f"or point --base-url ({BASE_URL_ENV}) at a mirror.") from None


def _write_manifest(folder: Path, base_url: str, rows: dict[str, int], notice: str) -> None:
    """Record what was fetched (accumulating over runs) and keep the licence notice beside the data."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"files": {}}
    manifest.update(repository=UPSTREAM_REPO, commit=UPSTREAM_COMMIT, base_url=base_url,
                    fetched_at=datetime.now(UTC).isoformat(timespec="seconds"), licence=UPSTREAM_NOTICE)
    manifest["files"].update(rows)
    if notice:
        manifest["notice"] = notice
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (folder / LICENCE_FILE).write_text(UPSTREAM_NOTICE, encoding="utf-8")
