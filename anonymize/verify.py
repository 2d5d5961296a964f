"""`python -m anonymize verify [PATH_OR_ZIP]`: recompute a release's hashes and walk the hash chain of its manifests.

PATH_OR_ZIP is the published folder (`data/published`, every kept release and the current file), one release folder
(`releases/<id>`), the current database file, or a zip: the release's open-data package (checked against its
`SHA256SUMS` and `datapackage.json`, and its `.minisig` beside it), or a release folder with the manifests of the
earlier releases it chains to. `--key publisher.pub` also requires a valid signature by that key.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import signing
from cli import UserError, summary
from provenance import CHAIN_DIR, MANIFEST_NAME, Verdict, read_manifest, sha256_file, verify_releases
from settings import get_settings

HELP = "recompute the SHA-256 of a release (folder or downloaded zip) and check the hash chain of its manifests"
SUMS_NAME = "SHA256SUMS"


def configure(parser: argparse.ArgumentParser) -> None:
    default = get_settings().published_db.parent
    parser.add_argument("path", nargs="?", type=Path, default=default,
                        help="published folder, release folder, database file or downloaded zip "
                             "(default: %(default)s)")
    parser.add_argument("--expect", metavar="SHA256",
                        help="the newest release's manifest SHA-256 as cited elsewhere (at least 12 hex digits)")
    parser.add_argument("--key", metavar="PUB", type=Path,
                        help="the publisher's public key (publisher.pub, minisign format): the newest manifest (or "
                             "the zip) must carry a valid signature by it")


def run(args: argparse.Namespace) -> int:
    path: Path = args.path
    if not path.exists():
        raise UserError(f"Nothing to verify at {path}: give a published folder, a release folder or a zip.")
    if args.expect is not None and len(args.expect) < 12:
        raise UserError(f"--expect needs at least 12 hex digits of the manifest SHA-256, got {args.expect!r}.")
    key = _public_key(args.key)
    if path.is_file() and path.suffix.lower() == ".zip":
        with tempfile.TemporaryDirectory(prefix="bansos-verify-") as folder:
            verdict = verify_zip(path, Path(folder))
        check_signature(verdict, path, key)
    else:
        verdict = verify_path(path)
        newest = _newest_folder(path)
        if newest is not None:
            check_signature(verdict, newest / MANIFEST_NAME, key)
    if args.expect and not verdict.head_digest.startswith(args.expect.lower()):
        verdict.problems.append(f"the newest manifest's SHA-256 {verdict.head_digest[:16]}… is not the expected "
                                f"{args.expect}")
    for problem in verdict.problems:
        print(problem, file=sys.stderr)
    summary(f"{path}: {verdict.line()}")
    return 0 if verdict.intact else 1


def _public_key(path: Path | None) -> signing.PublicKey | None:
    if path is None:
        return None
    try:
        return signing.read_public_key(path)
    except signing.SigningError as error:
        raise UserError(f"Cannot use --key {path}: {error}.") from None


def _newest_folder(path: Path) -> Path | None:
    """The release folder whose manifest heads what `verify_path` checked."""
    folder = path.parent if path.is_file() else path
    if (folder / MANIFEST_NAME).is_file():
        return _release_folders(folder.parent)[-1] if folder.parent.name == "releases" else folder
    folders = _release_folders(folder / "releases")
    return folders[-1] if folders else None


def check_signature(verdict: Verdict, signed: Path, key: signing.PublicKey | None) -> None:
    """Say who signed `signed` (the newest manifest, or a zip) in the verdict; with a key, a missing or wrong
    signature is a problem."""
    signature = signed.with_name(signed.name + signing.SIGNATURE_SUFFIX)
    what = "the zip" if signed.suffix == ".zip" else f"the manifest of release {signed.parent.name}"
    if not signature.is_file():
        verdict.signature = f"unsigned: {what} has no signature ({signature.name})"
        if key is not None:
            verdict.problems.append(f"{what} is not signed, but --key asks for a signature by {key.fingerprint}")
        return
    if key is None:
        verdict.signature = (f"{what} is signed by key {signing.signature_key_id(signature)} (not checked: give "
                             f"--key publisher.pub)")
        return
    try:
        comment = signing.verify_file(signed, signature, key)
    except signing.SigningError as error:
        verdict.problems.append(str(error))
        return
    verdict.signature = f"signature by key {key.fingerprint} valid for {what} ({comment})"


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
    sums = sorted(scratch.rglob(SUMS_NAME))
    if not manifests and sums:
        return verify_sums(sums[0])
    if not manifests:
        raise UserError(f"{path} holds no {MANIFEST_NAME} and no {SUMS_NAME}: download the whole release from the "
                        f"Open data page.")
    verdict = verify_releases([m.parent for m in manifests],
                              [c for m in manifests for c in _chain_manifests(m.parent)])
    for package in scratch.rglob("datapackage.json"):
        verdict.problems.extend(check_package(package))
    return verdict


def verify_sums(sums: Path) -> Verdict:
    """A release's open-data package (the zip published beside the manifest): every file against `SHA256SUMS`
    (what `sha256sum -c` does), no file left out, and the data package's own hashes."""
    folder, verdict = sums.parent, Verdict(checked_against=f"{SUMS_NAME} and datapackage.json")
    listed = {}
    for line in sums.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        listed[name] = digest
    for name, digest in sorted(listed.items()):
        target = folder / name
        if not target.is_file():
            verdict.problems.append(f"{name} is missing")
        elif sha256_file(target) != digest:
            verdict.problems.append(f"{name} was changed (its SHA-256 differs from {SUMS_NAME})")
        else:
            verdict.files += 1
            verdict.bytes += target.stat().st_size
    extra = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()
                   and p.name != SUMS_NAME and p.relative_to(folder).as_posix() not in listed)
    verdict.problems.extend(f"{name} is not listed in {SUMS_NAME}" for name in extra)
    package = folder / "datapackage.json"
    if package.is_file():
        verdict.problems.extend(check_package(package))
        verdict.release_ids = [str(json.loads(package.read_text(encoding="utf-8")).get("version", folder.name))]
    else:
        verdict.release_ids = [folder.name]
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


def _chain_manifests(folder: Path) -> list[dict[str, Any]]:
    return [read_manifest(p) for p in sorted((folder / CHAIN_DIR).glob(f"*{MANIFEST_NAME}"))]


def _check_current(current: Path, newest: Path) -> list[str]:
    """The current file must be the newest release's database, byte for byte."""
    expected = read_manifest(newest / MANIFEST_NAME).get("files", {}).get(current.name, {})
    if sha256_file(current) != expected.get("sha256"):
        return [f"the current {current.name} is not release {newest.name}'s file (its SHA-256 differs)"]
    return []
