"""`python -m anonymize verify`: intact on a fresh chain of releases, and every kind of tampering is caught."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from anonymize.__main__ import VERBS
from cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def chain(continued_db: Path) -> Path:
    """A published folder with two releases chained: data through October, then the whole year (conftest)."""
    return continued_db.parent


@pytest.fixture
def copy(chain: Path, tmp_path: Path) -> Path:
    """A private copy of the published folder to tamper with."""
    return Path(shutil.copytree(chain, tmp_path / "published"))


def releases(folder: Path) -> list[Path]:
    return sorted((folder / "releases").iterdir())


def verify(capsys, *args: str) -> tuple[int, str, str]:
    code = main("python -m anonymize", "", VERBS, ["verify", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out.strip(), out.err


def test_a_fresh_chain_of_releases_is_intact(chain, capsys):
    older, newer = releases(chain)
    code, line, _ = verify(capsys, chain)
    assert code == 0, line
    assert len(line.splitlines()) == 1
    assert "intact: release " + newer.name in line and f"{older.name} -> {newer.name} intact" in line
    # Any way into the same releases says the same.
    for path in (older, newer / "bansos.duckdb", chain / "bansos.duckdb"):
        assert verify(capsys, path)[0] == 0


def test_the_real_command_prints_one_line(chain):
    done = subprocess.run([sys.executable, "-m", "anonymize", "verify", str(chain)], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.returncode == 0 and done.stdout.count("\n") == 1 and "intact" in done.stdout


def test_a_changed_byte_is_caught(copy, capsys):
    target = releases(copy)[0] / "bansos.duckdb"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 1
    target.write_bytes(bytes(data))
    code, line, err = verify(capsys, copy)
    assert code == 1
    assert line.startswith(f"{copy}: NOT intact") and "bansos.duckdb was changed" in line
    assert "was changed" in err


def test_a_removed_file_is_caught(copy, capsys):
    (releases(copy)[0] / "bansos.duckdb").unlink()
    code, line, _ = verify(capsys, copy)
    assert code == 1 and "bansos.duckdb is missing" in line


def test_an_added_file_is_caught(copy, capsys):
    (releases(copy)[1] / "extra.csv").write_text("a,b\n", encoding="utf-8")
    code, line, _ = verify(capsys, copy)
    assert code == 1 and "extra.csv is not listed" in line


def test_a_rewritten_earlier_manifest_breaks_the_chain(copy, capsys):
    """An attacker edits history (the audit summary of the earlier release) and even rehashes its files."""
    manifest_path = releases(copy)[0] / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["audit"]["passed"] = not manifest["audit"]["passed"]
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    code, line, _ = verify(capsys, copy)
    assert code == 1 and "chain broken" in line


def test_a_missing_link_in_the_chain_is_caught(copy, capsys):
    older, newer = releases(copy)
    manifest = json.loads((newer / "manifest.json").read_text(encoding="utf-8"))
    manifest["previous_release_id"] = "20240101T000000Z"
    (newer / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    code, line, _ = verify(capsys, copy)
    assert code == 1 and f"the release before it is {older.name}" in line


def test_the_current_file_must_be_the_newest_release(copy, capsys):
    (copy / "bansos.duckdb").unlink()
    shutil.copy(releases(copy)[0] / "bansos.duckdb", copy / "bansos.duckdb")
    code, line, _ = verify(capsys, copy)
    assert code == 1 and "current bansos.duckdb" in line


def test_expect_checks_the_cited_manifest_hash(chain, capsys):
    line = verify(capsys, chain)[1]
    digest = line.rsplit(" ", 1)[1]
    assert verify(capsys, chain, "--expect", digest[:16])[0] == 0
    code, line, _ = verify(capsys, chain, "--expect", "0" * 64)
    assert code == 1 and "is not the expected" in line


def _zip(folder: Path, out: Path, chain_from: Path) -> Path:
    """A downloaded release: its folder and the earlier release's manifest under chain/."""
    with zipfile.ZipFile(out, "w") as archive:
        for path in folder.rglob("*"):
            if path.is_file():
                archive.write(path, f"bansos-terbuka/release/{path.relative_to(folder).as_posix()}")
        archive.write(chain_from / "manifest.json", f"bansos-terbuka/release/chain/{chain_from.name}.manifest.json")
    return out


def test_a_downloaded_zip_is_verified_with_its_chain(chain, tmp_path, capsys):
    older, newer = releases(chain)
    code, line, _ = verify(capsys, _zip(newer, tmp_path / "release.zip", older))
    assert code == 0, line
    files = len(json.loads((newer / "manifest.json").read_text(encoding="utf-8"))["files"])
    assert f"{older.name} -> {newer.name} intact" in line and f" {files} file(s)" in line


def test_a_tampered_zip_is_caught(copy, tmp_path, capsys):
    older, newer = releases(copy)
    with (newer / "bansos.duckdb").open("r+b") as handle:
        handle.seek(4096)
        byte = handle.read(1)
        handle.seek(4096)
        handle.write(bytes([byte[0] ^ 0xFF]))
    code, line, _ = verify(capsys, _zip(newer, tmp_path / "release.zip", older))
    assert code == 1 and "was changed" in line


@pytest.mark.parametrize("name", ["nowhere", "empty-folder", "not-a-zip.zip"])
def test_a_path_that_is_not_a_release_is_a_user_error(tmp_path, capsys, name):
    path = tmp_path / name
    if name == "empty-folder":
        path.mkdir()
    elif name.endswith(".zip"):
        path.write_text("plain text", encoding="utf-8")
    code, line, err = verify(capsys, path)
    assert code == 2 and line == ""
    assert err.startswith("error: ") and err.count("\n") == 1
