"""The four boundary levels and how their codes nest, as the registry defines them."""

from __future__ import annotations

from functools import lru_cache

from geo.regions import LEVELS, load_regions

#: Levels that have shapes, from the top down (the national root has none of its own).
BOUNDARY_LEVELS = LEVELS[1:]
#: Length of a dotted code at each level: `32`, `32.04`, `32.04.05`, `32.04.05.2001`.
CODE_LENGTH = {"provinsi": 2, "kabupaten": 5, "kecamatan": 8, "desa": 13}


def level_for_length(length: int) -> str | None:
    """Level of a dotted code of this length, or None."""
    return next((level for level, size in CODE_LENGTH.items() if size == length), None)


def parent_level(level: str) -> str | None:
    index = BOUNDARY_LEVELS.index(level)
    return BOUNDARY_LEVELS[index - 1] if index else None


def parent_code(code: str) -> str | None:
    """Dotted code of the parent region with a shape (None for a province)."""
    return code.rsplit(".", 1)[0] if "." in code else None


def island_group(code: str) -> str:
    """Regions in different groups never share a land border.

    The first digit of a province code names its island group (1 Sumatera, 2 Kepulauan Riau,
    3 Jawa, 5 Bali and Nusa Tenggara, 6 Kalimantan, 7 Sulawesi, 8 Maluku, 9 Papua), so each
    group is a coverage of its own and can be cleaned and simplified independently.
    """
    return code[0]


@lru_cache(maxsize=1)
def registry_children() -> dict[str, tuple[str, ...]]:
    """Registry codes of the children of every region that has some, sorted."""
    regions = load_regions()
    regions = regions[regions["level"] != "nasional"]
    children: dict[str, list[str]] = {}
    for code in regions["code"]:
        parent = parent_code(code)
        if parent is not None:
            children.setdefault(parent, []).append(code)
    return {parent: tuple(sorted(codes)) for parent, codes in children.items()}


def registry_codes(level: str, provinces: tuple[str, ...] | None = None) -> list[str]:
    """Registry codes at a level, optionally only those of some provinces."""
    regions = load_regions()
    codes = regions.loc[regions["level"] == level, "code"]
    if provinces is not None:
        codes = codes[codes.str[:2].isin(provinces)]
    return sorted(codes)
