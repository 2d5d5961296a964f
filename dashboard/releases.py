"""Which release files the dashboard may open: the current one, kept ones by id, and their manifests (plain pathlib).

The publisher swaps a release in by making `bansos.duckdb` a hard link to `releases/<id>/bansos.duckdb` and keeps
the last few releases beside it. A kept release is asked for by id from a link (`?release=`): an id is used only
when it has the release-id pattern, so no text from a URL ever becomes part of a path.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

from provenance import MANIFEST_NAME, RELEASE_ID
from settings import get_settings

RELEASES_DIR = "releases"


def published_path() -> Path:
    """The current release's database (`BANSOS_PUBLISHED_DB`, else `data/published/bansos.duckdb`)."""
    return get_settings().published_db


def is_release_id(text: str | None) -> bool:
    return bool(text) and RELEASE_ID.match(str(text)) is not None


@functools.lru_cache(maxsize=16)
def _own_file(path: str, inode: int) -> Path:
    # Keyed on the current file's inode: one directory scan per swapped-in release, not one per query.
    current = Path(path)
    for candidate in sorted((current.parent / RELEASES_DIR).glob(f"*/{current.name}"), reverse=True):
        if candidate.stat().st_ino == inode and os.path.samestat(candidate.stat(), current.stat()):
            return candidate
    return current


def own_file(path: Path) -> Path:
    """The release folder's own file that `path` links to (`releases/<id>/bansos.duckdb`), else `path`.

    DuckDB keeps one database instance per path in a process: opening the swapped-in file under the same name would
    hand back the previous release's instance. Each release's own path is a new instance.
    """
    return _own_file(str(path), path.stat().st_ino)


def release_file(release_id: str | None = None) -> Path:
    """The database file of a kept release (`releases/<id>/bansos.duckdb`), else the current release's own file."""
    current = published_path()
    if is_release_id(release_id):
        kept = current.parent / RELEASES_DIR / str(release_id) / current.name
        if kept.is_file():
            return kept
    return own_file(current)


def release_folder(release_id: str) -> Path | None:
    """`releases/<id>` beside the current file, when that release is kept (it has a manifest)."""
    if not is_release_id(release_id):
        return None
    folder = published_path().parent / RELEASES_DIR / release_id
    return folder if (folder / MANIFEST_NAME).is_file() else None


def kept_release_ids() -> list[str]:
    """Ids of the kept releases (those with a manifest), newest first; cheap (a directory listing)."""
    releases = published_path().parent / RELEASES_DIR
    return sorted((m.parent.name for m in releases.glob(f"*/{MANIFEST_NAME}") if is_release_id(m.parent.name)),
                  reverse=True)


def read_manifests(kept: tuple[str, ...]) -> list[dict]:
    """The manifests of these kept releases, in the given order (a release no longer kept is left out)."""
    folders = [release_folder(i) for i in kept]
    return [json.loads((f / MANIFEST_NAME).read_text(encoding="utf-8")) for f in folders if f is not None]
