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

import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# Hashing lives in `provenance` so that `anonymize verify` and the dashboard check exactly what was written.
from provenance import MANIFEST_NAME, RELEASE_ID, manifest_digest, release_files, sha256_file

DB_NAME = "bansos.duckdb"


#: Held (flock) by the publish that is writing into a folder: two publishes must not interleave (one would clear
#: the other's staging folder, or both would take the same release id).
LOCK_NAME = ".publish.lock"
ID_FORMAT = "%Y%m%dT%H%M%SZ"


class PublishBusy(RuntimeError):
    """Another publish holds the folder's lock."""


@contextmanager
def publish_lock(current_db: Path) -> Iterator[None]:
    """Hold the publish lock of `current_db`'s folder for the duration; PublishBusy if another process has it.

    An flock: the operating system releases it when its holder exits, killed or not, so a crash never leaves
    the folder locked."""
    current_db.parent.mkdir(parents=True, exist_ok=True)
    with open(current_db.parent / LOCK_NAME, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PublishBusy(f"another publish is writing into {current_db.parent}; wait for it to finish and "
                              "run this one again") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def new_release_id(current_db: Path | None = None, now: datetime | None = None) -> str:
    """The time as `20261130T131255Z`, moved on a second at a time past any id the folder already holds (two
    releases within one second keep distinct, ordered ids)."""
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    taken: set[str] = set()
    if current_db is not None:
        taken = {p.name for p in releases_dir(current_db).glob("*") if RELEASE_ID.match(p.name)}
        latest = max(taken, default="")
        while moment.strftime(ID_FORMAT) <= latest:
            moment += timedelta(seconds=1)
    return moment.strftime(ID_FORMAT)


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


def list_releases(current_db: Path) -> list[dict[str, Any]]:
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


def write_manifest(folder: Path, release_id: str, previous: dict[str, Any] | None,
                   audit: dict[str, Any]) -> dict[str, Any]:
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
