"""`--crosswalk FILE`: a file's own desa codes (BPS, a Dinsos office's) to Kemendagri codes, applied before validation.

A crosswalk is a CSV with two columns, their code then the Kemendagri code, with or without a header. Wider
tables such as Open Data Jabar's, which publish both codes side by side, work too: the columns are then found
by their names (`bps_kode_desa_kelurahan` and `kemendagri_kode_desa_kelurahan`). Every Kemendagri code must
be a desa of today's registry; a code mapped twice to different places is refused. A code of the ingested
file that the crosswalk lacks is quarantined, never read as a Kemendagri code.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

from data.readers import header_key
from data.validate import mask_long_numbers
from errors import InputError
from geo.regions import RegionCodeError, get_registry, level_of, normalize_region_code

_NOT_DIGIT = re.compile(r"\D+")


@dataclass(frozen=True)
class Crosswalk:
    """Their code (digits only) -> Kemendagri dotted code, and where it came from."""

    path: Path
    sha256: str
    codes: dict[str, str]

    def describe(self) -> str:
        return f"{self.path.name} (sha256 {self.sha256[:12]}, {len(self.codes):,} codes)"

    def translate(self, cell: str | None) -> tuple[str | None, bool]:
        """(Kemendagri code or the cell unchanged when empty, whether the cell was found)."""
        if cell is None or not cell.strip():
            return cell, True
        code = self.codes.get(key_of(cell))
        return (code, True) if code else (cell, False)


def key_of(cell: str) -> str:
    """`'5302011005`, `53.02.011.005` and `5302011005.0` all -> `5302011005`."""
    text = cell.strip().lstrip("'")
    return _NOT_DIGIT.sub("", text.removesuffix(".0"))


def load_crosswalk(path: Path) -> Crosswalk:
    """Read and check a crosswalk; raise InputError (one sentence) when it cannot be used."""
    if not path.is_file():
        raise InputError(f"The crosswalk {path} does not exist or is not a file.")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=";,\t|")
        rows = [row for row in csv.reader(io.StringIO(text), dialect) if any(cell.strip() for cell in row)]
    except csv.Error:
        rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if not rows:
        raise InputError(f"The crosswalk {path} is empty.")
    source, target, body = _columns(path, rows)
    codes: dict[str, str] = {}
    bad = 0
    example = ""
    registry = get_registry()
    for row in body:
        if len(row) <= max(source, target) or not row[source].strip():
            continue
        try:
            code = normalize_region_code(row[target].strip().lstrip("'"))
        except RegionCodeError:
            code = ""
        if code not in registry or level_of(code) != "desa":
            bad += 1
            example = example or mask_long_numbers(row[target].strip()[:20])
            continue
        key = key_of(row[source])
        if codes.setdefault(key, code) != code:
            raise InputError(f"The crosswalk {path} maps code {key} to two Kemendagri codes ({codes[key]} and {code}); "
                            "keep one.")
    if bad:
        raise InputError(f"The crosswalk {path} has {bad:,} Kemendagri code(s) that are not desa of today's registry "
                        f"(e.g. {example!r}); its second column must hold Kemendagri desa codes.")
    if not codes:
        raise InputError(f"The crosswalk {path} holds no pair of codes.")
    return Crosswalk(path, hashlib.sha256(raw).hexdigest(), codes)


def _columns(path: Path, rows: list[list[str]]) -> tuple[int, int, list[list[str]]]:
    """(their column, Kemendagri column, rows without the header)."""
    first = rows[0]
    has_header = not any(_NOT_DIGIT.sub("", cell.lstrip("'")) and not re.search(r"[A-Za-z]", cell) for cell in first)
    if not has_header:
        if len(first) != 2:
            raise InputError(f"The crosswalk {path} has {len(first)} columns and no header; give two columns "
                            "(your code, then the Kemendagri code) or name them in a header.")
        return 0, 1, rows
    keys = [header_key(cell) for cell in first]
    if len(keys) == 2:
        return 0, 1, rows[1:]
    target = _pick(keys, "kemendagri")
    source = _pick(keys, "bps")
    if target is None or source is None:
        raise InputError(f"The crosswalk {path} has {len(keys)} columns; keep two (your code, then the Kemendagri "
                        "code) or name them with 'bps' and 'kemendagri' (e.g. bps_kode_desa_kelurahan).")
    return source, target, rows[1:]


def _pick(keys: list[str], word: str) -> int | None:
    """The column naming `word` and a desa code (not its name, not a kecamatan code)."""
    found = [i for i, key in enumerate(keys) if word in key and "kode" in key and ("desa" in key or "kel" in key)]
    return found[0] if len(found) == 1 else None
