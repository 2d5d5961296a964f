"""`python -m anonymize verify [PATH_OR_ZIP]`: recompute a release's hashes and walk the hash chain of its manifests.

PATH_OR_ZIP is the published folder (`data/published`, every kept release and the current file), one release folder
(`releases/<id>`), the current database file, or a zip downloaded from the Open data page (its release folder and
the manifests of the earlier releases it chains to).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import zipfile
from pathlib import Path

from cli import UserError, summary
from provenance import MANIFEST_NAME, Verdict, read_manifest, sha256_file, verify_releases
from settings import get_settings

HELP = "recompute the SHA-256 of a release (folder or downloaded zip) and check the hash chain of its manifests"
#: Inside a release folder or a zip: manifests of earlier releases, for the chain only.
CHAIN_DIR = "chain"


def configure(parser: argparse.ArgumentParser) -> None:
    default = get_settings().published_db.parent
    parser.add_argument("path", nargs="?", type=Path, default=default,
                        help="published folder, release folder, database file or downloaded zip "
                             "(default: %(default)s)")
    parser.add_argument("--expect", metavar="SHA256",
                        help="the newest release's manifest SHA-256 as cited elsewhere (at least 12 hex digits)")


def run(args: argparse.Namespace) -> int:
    path: Path = args.path
    if not path.exists():
        raise UserError(f"Nothing to verify at {path}: give a published folder, a release folder or a zip.")
    if args.expect is not None and len(args.expect) < 12:
        raise UserError(f"--expect needs at least 12 hex digits of the manifest SHA-256, got {args.expect!r}.")
    if path.is_file() and path.suffix.lower() == ".zip":
        with tempfile.TemporaryDirectory(prefix="bansos-verify-") as folder:
            verdict = verify_zip(path, Path(folder))
    else:
        verdict = verify_path(path)
    if args.expect and not verdict.head_digest.startswith(args.expect.lower()):
        verdict.problems.append(f"the newest manifest's SHA-256 {verdict.head_digest[:16]}… is not the expected "
                                f"{args.expect}")
    for problem in verdict.problems:
        print(problem, file=sys.stderr)
    summary(f"{path}: {verdict.line()}")
    return 0 if verdict.intact else 1


def verify_path(path: Path) -> Verdict:
    """A published folder, a release folder or a database file beside its manifest or its `releases/` folder."""
    folder = path.parent if path.is_file() else path
    if (folder / MANIFEST_NAME).is_file():
        siblings = folder.parent.name == "releases"
        folders = _release_folders(folder.parent) if siblings else [folder]
        return verify_releases(folders, _chain_manifests(folder))
    releases = folder / "releases"
    if not releases.is_dir():
        raise UserError(f"No release at {path}: expected {MANIFEST_NAME} or a releases/ folder there.")
    folders = _release_folders(releases)
    verdict = verify_releases(folders)
    current = folder / (path.name if path.is_file() else "bansos.duckdb")
    if current.is_file() and folders:
        verdict.problems.extend(_check_current(current, folders[-1]))
    return verdict


def verify_zip(path: Path, scratch: Path) -> Verdict:
    """A zip from the Open data page: its release folder, the earlier manifests, and its derived files."""
    try:
        with zipfile.ZipFile(path) as archive:
            archive.extractall(scratch)  # extractall drops absolute paths and `..`
    except zipfile.BadZipFile:
        raise UserError(f"{path} is not a zip file.") from None
    manifests = [m for m in scratch.rglob(MANIFEST_NAME) if m.parent.name != CHAIN_DIR]
    if not manifests:
        raise UserError(f"{path} holds no {MANIFEST_NAME}: download the whole release from the Open data page.")
    verdict = verify_releases([m.parent for m in manifests],
                              [c for m in manifests for c in _chain_manifests(m.parent)])
    for package in scratch.rglob("datapackage.json"):
        verdict.problems.extend(check_package(package))
    return verdict


def check_package(package: Path) -> list[str]:
    """Each resource of a data package whose `hash` (`sha256:...`) no longer matches its file."""
    problems = []
    for resource in json.loads(package.read_text(encoding="utf-8")).get("resources", []):
        expected, path = str(resource.get("hash", "")), package.parent / str(resource.get("path", ""))
        if not expected.startswith("sha256:"):
            continue
        if not path.is_file():
            problems.append(f"data package: {resource.get('path')} is missing")
        elif sha256_file(path) != expected.removeprefix("sha256:"):
            problems.append(f"data package: {resource.get('path')} was changed (its SHA-256 differs from "
                            f"datapackage.json)")
    return problems


def _release_folders(releases: Path) -> list[Path]:
    return sorted(m.parent for m in releases.glob(f"*/{MANIFEST_NAME}"))


def _chain_manifests(folder: Path) -> list[dict[str, object]]:
    return [read_manifest(p) for p in sorted((folder / CHAIN_DIR).glob(f"*{MANIFEST_NAME}"))]


def _check_current(current: Path, newest: Path) -> list[str]:
    """The current file must be the newest release's database, byte for byte."""
    expected = read_manifest(newest / MANIFEST_NAME).get("files", {}).get(current.name, {})
    if sha256_file(current) != expected.get("sha256"):
        return [f"the current {current.name} is not release {newest.name}'s file (its SHA-256 differs)"]
    return []
