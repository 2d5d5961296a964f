"""Release folders: staging, manifests with a hash chain, the atomic swap of the current release, and pruning.

Layout beside the current database (`settings.published_db`, e.g. data/published/bansos.duckdb):

    data/published/bansos.duckdb            the current release (a hard link to one below)
    data/published/releases/<id>/bansos.duckdb
    data/published/releases/<id>/manifest.json   (+ manifest.json.minisig when a publisher key signed it)
    data/published/releases/<id>/csv/, parquet/, ...  the open-data package (`anonymize.package`)
    data/published/.staging-<id>/           a release being built; never read by the dashboard

A release is written and audited in its staging folder, renamed into releases/ (one rename), and only then
made current by replacing the current file with a link to it (one more rename). Killing the process at any
point leaves the previous current release in place, whole and audited.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

# Hashing lives in `provenance` so that `anonymize verify` and the dashboard check exactly what was written.
from provenance import MANIFEST_NAME, manifest_digest, release_files, sha256_file

DB_NAME = "bansos.duckdb"


def new_release_id(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")


def releases_dir(current_db: Path) -> Path:
    return current_db.parent / "releases"


def staging_dir(current_db: Path, release_id: str) -> Path:
    return current_db.parent / f".staging-{release_id}"


def clear_stale_staging(current_db: Path) -> None:
    """Remove what an interrupted publish left behind."""
    for stale in current_db.parent.glob(".staging-*"):
        shutil.rmtree(stale, ignore_errors=True)
    for stale in current_db.parent.glob(".current-*"):
        stale.unlink(missing_ok=True)


def list_releases(current_db: Path) -> list[dict[str, object]]:
    """Manifests of the kept releases, newest first."""
    manifests = []
    for manifest in sorted(releases_dir(current_db).glob(f"*/{MANIFEST_NAME}"), reverse=True):
        manifests.append(json.loads(manifest.read_text(encoding="utf-8")))
    return manifests


def current_release_id(current_db: Path) -> str | None:
    """The id of the release the current file links to (same inode), if any."""
    if not current_db.exists():
        return None
    current = current_db.stat()
    for folder in releases_dir(current_db).glob("*"):
        candidate = folder / DB_NAME
        if candidate.exists() and os.path.samestat(candidate.stat(), current):
            return folder.name
    return None


def write_manifest(folder: Path, release_id: str, previous: dict[str, object] | None,
                   audit: dict[str, object]) -> dict[str, object]:
    """SHA-256 of every file of the release, chained to the previous release's manifest."""
    files = {name: {"sha256": sha256_file(folder / name), "bytes": (folder / name).stat().st_size}
             for name in release_files(folder)}
    manifest = {
        "release_id": release_id,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": files,
        "previous_release_id": previous["release_id"] if previous else None,
        "previous_manifest_sha256": manifest_digest(previous) if previous else None,
        "audit": audit,
    }
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    return manifest


def promote(current_db: Path, staged: Path, release_id: str) -> Path:
    """Move a staged, audited release into releases/ and make it the current one."""
    target = releases_dir(current_db) / release_id
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staged, target)
    link = current_db.parent / f".current-{release_id}"
    link.unlink(missing_ok=True)
    os.link(target / DB_NAME, link)
    os.replace(link, current_db)
    return target


def prune(current_db: Path, keep: int) -> list[str]:
    """Delete all but the newest `keep` releases (never the current one)."""
    current = current_release_id(current_db)
    folders = sorted(releases_dir(current_db).glob("*"), reverse=True)
    removed = []
    for folder in folders[keep:]:
        if folder.name != current:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    return removed
