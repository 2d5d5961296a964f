"""Release manifests and their hash chain: hashing and checking, shared by the publisher, `verify` and the dashboard.

A release folder holds its files and `manifest.json` (the SHA-256 and size of every file, and the digest of the
previous release's manifest). Nothing here reads raw data or imports the pipeline: the dashboard may use it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.json"
#: Detached signatures (`manifest.json.minisig`, ...) sit beside what they sign and are not listed in the manifest.
SIGNATURE_SUFFIX = ".minisig"
#: Inside a downloaded release folder: manifests of earlier releases, for the chain only (not the release's files).
CHAIN_DIR = "chain"
#: Release ids are UTC timestamps (`anonymize.release.new_release_id`): they sort in publishing order.
RELEASE_ID = re.compile(r"^\d{8}T\d{6}Z$")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest_digest(manifest: dict[str, Any]) -> str:
    """The hash the next release chains to: of the manifest's canonical JSON (as `manifest.json` is written)."""
    return hashlib.sha256(json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")).hexdigest()


def read_manifest(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def release_files(folder: Path) -> list[str]:
    """Every file a manifest lists: the folder's files and those of its sub-folders (`csv/regions.csv`), not the
    manifest itself, signatures or earlier manifests carried for the chain."""
    names = (p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    return sorted(n for n in names if n != MANIFEST_NAME and not n.endswith(SIGNATURE_SUFFIX)
                  and not n.startswith(f"{CHAIN_DIR}/"))


def check_files(folder: Path, manifest: dict[str, Any]) -> list[str]:
    """What differs between a release folder's files and its manifest (empty when every byte matches)."""
    problems = []
    release_id = manifest.get("release_id")
    listed: dict[str, dict] = manifest.get("files") or {}
    for name, expected in sorted(listed.items()):
        path = folder / name
        if not path.is_file():
            problems.append(f"release {release_id}: {name} is missing")
        elif path.stat().st_size != expected.get("bytes") or sha256_file(path) != expected.get("sha256"):
            problems.append(f"release {release_id}: {name} was changed (its SHA-256 differs from the manifest)")
    for name in release_files(folder):
        if name not in listed:
            problems.append(f"release {release_id}: {name} is not listed in the manifest")
    if not listed:
        problems.append(f"release {release_id}: the manifest lists no files")
    return problems


def check_chain(manifests: Iterable[dict[str, Any]]) -> list[str]:
    """Problems in the hash chain of consecutive releases, oldest first: each must name the one before it and
    carry the SHA-256 of its manifest."""
    problems = []
    ordered = list(manifests)
    for older, newer in itertools.pairwise(ordered):
        if newer.get("previous_release_id") != older.get("release_id"):
            problems.append(f"chain broken: release {newer.get('release_id')} follows "
                            f"{newer.get('previous_release_id')}, but the release before it is "
                            f"{older.get('release_id')}")
        elif newer.get("previous_manifest_sha256") != manifest_digest(older):
            problems.append(f"chain broken: the manifest of release {older.get('release_id')} is not the one release "
                            f"{newer.get('release_id')} was chained to")
    return problems


@dataclass
class Verdict:
    """The outcome of checking one or more releases: which, how many files, and every problem found."""

    release_ids: list[str] = field(default_factory=list)
    files: int = 0
    bytes: int = 0
    head_digest: str = ""
    earliest_previous: str | None = None
    problems: list[str] = field(default_factory=list)
    #: Who signed what ("signed by key ... ", "unsigned"), when it was looked at.
    signature: str = ""
    #: What the files were checked against: the manifests (a release folder) or SHA256SUMS (a downloaded package).
    checked_against: str = "manifests"

    @property
    def intact(self) -> bool:
        return not self.problems and bool(self.release_ids)

    def line(self) -> str:
        """One sentence saying whether the releases are intact."""
        if not self.release_ids:
            return "NOT intact: no release manifest found"
        head = self.release_ids[-1]
        signed = f"; {self.signature}" if self.signature else ""
        if not self.intact:
            more = f" (and {len(self.problems) - 1} more problem(s))" if len(self.problems) > 1 else ""
            return f"NOT intact: {self.problems[0]}{more}"
        if self.checked_against != "manifests":
            return (f"intact: release {head}, {self.files} file(s) ({self.bytes:,} bytes) match "
                    f"{self.checked_against}{signed}")
        chain = " -> ".join(self.release_ids)
        before = f", chained to earlier release {self.earliest_previous}" if self.earliest_previous else ""
        return (f"intact: release {head}, {self.files} file(s) ({self.bytes:,} bytes) match their manifests; "
                f"hash chain of {len(self.release_ids)} release(s) {chain} intact{before}{signed}; "
                f"manifest SHA-256 {self.head_digest}")


def verify_releases(folders: list[Path], chain_only: Iterable[dict[str, Any]] = ()) -> Verdict:
    """Check the files of release folders (each with its manifest) and the hash chain through them.

    `chain_only` adds manifests of earlier releases whose files are not at hand (a downloaded zip carries them):
    they take part in the chain only.
    """
    verdict = Verdict()
    entries: list[tuple[dict[str, Any], Path | None]] = [(m, None) for m in chain_only]
    for folder in folders:
        manifest = read_manifest(folder / MANIFEST_NAME)
        entries.append((manifest, folder))
        if folder.parent.name == "releases" and manifest.get("release_id") != folder.name:
            verdict.problems.append(f"release folder {folder.name} holds the manifest of {manifest.get('release_id')}")
    entries.sort(key=lambda entry: str(entry[0].get("release_id")))
    for manifest, at_hand in entries:
        if at_hand is not None:
            verdict.problems.extend(check_files(at_hand, manifest))
            files: dict[str, dict] = manifest.get("files") or {}
            verdict.files += len(files)
            verdict.bytes += sum(int(f.get("bytes", 0)) for f in files.values())
    manifests = [manifest for manifest, _ in entries]
    verdict.problems.extend(check_chain(manifests))
    verdict.release_ids = [str(m.get("release_id")) for m in manifests]
    if manifests:
        verdict.head_digest = manifest_digest(manifests[-1])
        previous = manifests[0].get("previous_release_id")
        verdict.earliest_previous = str(previous) if previous else None
    return verdict


def is_synthetic(sources: object) -> bool:
    """Whether a release was made by the data generator (the demo) rather than from ingested files: its
    `release.sources` (decoded or JSON) name a generator and no ingested file."""
    if isinstance(sources, str):
        sources = json.loads(sources) if sources else {}
    if not isinstance(sources, dict):      # NULL in the release row (None, or NaN through pandas)
        return False
    return bool(sources.get("generator")) and not sources.get("ingested_files")

