"""`python -m geo pack`: make the compact boundary pack shipped in the repository from wilayah_boundaries files.

The pack holds the provinsi and kabupaten of the whole country and the kecamatan and desa of a few provinces
(the demo's), built by `geo build`'s own pipeline (repair, nesting, simplification within the map budgets) and
stored as GeoParquet with zstd beside the upstream's MIT notice and an attribution README.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any

import pyproj

from cli import UserError, stopwatch, summary
from geo.attribution import UPSTREAM_COMMIT, UPSTREAM_NOTICE, UPSTREAM_REPO, pack_source
from geo.build import BuildOptions, build
from geo.fetch import LICENCE_FILE
from geo.layers import MANIFEST, read_layers, write_folder
from geo.levels import BOUNDARY_LEVELS
from geo.options import add_provinces_option, parse_codes
from geo.pack import PACK_DIR, PACK_KIND
from geo.sources import read_sources

HELP = ("Make the boundary pack shipped in the repository: provinsi and kabupaten of the whole country, kecamatan "
        "and desa of some provinces, from cahyadsn/wilayah_boundaries files.")
#: The demo preset's provinces (DI Yogyakarta, Nusa Tenggara Timur).
DEFAULT_PROVINCES = "34,53"
#: Levels kept for the whole country; the finer ones only for the chosen provinces.
NATIONAL_LEVELS = ("provinsi", "kabupaten")
README = "README.md"
#: Coordinates are already rounded to 4-5 decimals; zstd at a high level keeps the pack small in git.
PARQUET_OPTIONS = {"compression": "zstd", "compression_level": 19}
#: The size the pack must stay within, in bytes (all its files).
MAX_PACK_BYTES = 8_000_000


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", action="append", type=Path, default=[], metavar="PATH", required=True,
                        help="wilayah_boundaries file or folder (GeoParquet with a `kode` column, or any format "
                             "`geo build` reads); repeatable")
    add_provinces_option(parser, f"provinces whose kecamatan and desa are packed (default: {DEFAULT_PROVINCES})")
    parser.add_argument("--out", type=Path, default=PACK_DIR, metavar="DIR",
                        help="folder of the pack, replaced as a whole (default: geo/boundary_pack)")


def run(args: argparse.Namespace) -> int:
    provinces = parse_codes(args.provinces or DEFAULT_PROVINCES, "provinsi") or ()
    manifest = make_pack(tuple(args.source), provinces, args.out)
    summary(summary_line(manifest, args.out))
    return 0


def make_pack(sources: tuple[Path, ...], provinces: tuple[str, ...], out: Path) -> dict[str, object]:
    """Build the pack into `out` (replacing it); return its manifest (also written as `sources.json`).

    It runs on one process: shapes cleaned in worker processes can differ in the last vertices (measured: 0.002 km²
    of gaps among NTT's desa), and the pack must come out the same every time it is made.
    """
    _check_out(out)
    with stopwatch() as timing:
        shapes, _ = read_sources(list(sources))
        keep = shapes["level"].isin(NATIONAL_LEVELS) | shapes["code"].str[:2].isin(provinces)
        detail = keep & ~shapes["level"].isin(NATIONAL_LEVELS)
        if not detail.any():
            raise UserError(f"No kecamatan or desa of province(s) {', '.join(provinces)} was found in "
                            f"{', '.join(map(str, sources))}.")
        with tempfile.TemporaryDirectory(prefix="geo-pack-") as tmp:
            selected = Path(tmp) / "selected.parquet"
            shapes.loc[keep, ["code", "geometry"]].to_parquet(selected, index=False)
            build(Path(tmp) / "geo", BuildOptions(sources=(selected,), code_column="code", jobs=1))
            stored = read_layers(Path(tmp) / "geo")
    assert stored is not None  # build() always writes a layer set or raises
    # A CRS from its EPSG code, not one read back from a file: its JSON in the GeoParquet metadata is then the same
    # on every run (a CRS object cached from another file may spell it out differently).
    views = {name: frame.assign(source=PACK_KIND).sort_values("code", ignore_index=True)
             .set_crs(pyproj.CRS.from_epsg(4326), allow_override=True)
             for name, frame in stored.views.items()}
    manifest = {
        **stored.manifest, **pack_source().to_dict(), "seconds": round(timing["seconds"], 1),
        "pack": {"detail_provinces": list(provinces), "national_levels": list(NATIONAL_LEVELS),
                 "inputs": _inputs(sources),
                 "command": "python -m geo pack " + " ".join(f"--source {p}" for p in sources)
                            + f" --provinces {','.join(provinces)}"},
    }
    write_folder(out, views, manifest, {LICENCE_FILE: UPSTREAM_NOTICE}, **PARQUET_OPTIONS)
    (out / README).write_text(readme_text(manifest), encoding="utf-8")  # it quotes the sizes of the files written
    return manifest


def _check_out(out: Path) -> None:
    """Refuse to replace a folder that is not a pack (`--out` replaces the folder as a whole)."""
    if out.exists() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise UserError(f"{out} is not empty and holds no boundary pack; choose an empty or new folder for --out.")
    if (out / MANIFEST).is_file() and json.loads((out / MANIFEST).read_text(encoding="utf-8")).get("kind") != PACK_KIND:
        raise UserError(f"{out} holds a layer set that is not a boundary pack; choose another folder for --out.")


def _input_files(sources: tuple[Path, ...]) -> list[Path]:
    return sorted(f for p in sources for f in ([p] if p.is_file() else sorted(q for q in p.rglob("*") if q.is_file()
                                                                                 and not q.name.startswith("."))))


def _inputs(sources: tuple[Path, ...]) -> dict[str, str]:
    """sha256 of every input file, by name, so a rebuild can tell it read the same files."""
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in _input_files(sources)}


def pack_bytes(folder: Path = PACK_DIR) -> int:
    return sum(f.stat().st_size for f in folder.iterdir() if f.is_file())


def summary_line(manifest: dict[str, Any], out: Path) -> str:
    levels: dict = manifest["levels"]
    views: dict = manifest["views"]
    regions = ", ".join(f"{level} {levels[level]['regions']:,}" for level in BOUNDARY_LEVELS if level in levels)
    sizes = ", ".join(f"{name} {info['bytes_max'] / 1e6:.3f}/{info['max_bytes'] / 1e6:.0f} MB"
                      for name, info in views.items())
    total = pack_bytes(out)
    over = " OVER THE 8 MB AIM" if total > MAX_PACK_BYTES else ""
    return (f"geo pack: {regions} regions; bytes per map (largest/budget): {sizes}; "
            f"{total / 1e6:.2f} MB on disk{over}; {manifest['seconds']:.0f} s -> {_shown(out)}")


def _shown(path: Path) -> str:
    """The path relative to the working directory when it lies inside it (as the README shows it)."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def readme_text(manifest: dict[str, Any]) -> str:
    """The pack's README: what it holds, where it comes from, its licence and how to make it again."""
    pack: dict = manifest["pack"]
    views: dict = manifest["views"]
    levels: dict = manifest["levels"]
    rows = "\n".join(f"| `{name}.parquet` | {info['regions']:,} | {info['file_bytes']:,} | "
                     f"{info['bytes_max'] / 1e6:.3f} of {info['max_bytes'] / 1e6:.0f} MB |"
                     for name, info in views.items())
    without = ", ".join(f"{level} {info['without_shape']}" for level, info in levels.items())
    return f"""# Boundary pack (generated by `python -m geo pack`; do not edit)

Real Indonesian administrative boundaries, simplified for the web, used by `python -m geo build` and by
publishing when no other boundaries were built (e.g. the first-run demo). Regions the pack lacks get
illustrative shapes, marked as such in every release's `boundary_sources`.

- **Holds**: provinsi and kabupaten/kota of the whole country; kecamatan and desa/kelurahan of province(s)
  {", ".join(pack["detail_provinces"])}. Registry regions without a shape: {without}.
- **Source**: [{UPSTREAM_REPO}](https://github.com/{UPSTREAM_REPO}) at commit `{UPSTREAM_COMMIT}`,
  {manifest["name"]}, MIT licence, copyright (c) 2024 Cahya DSN: see `{LICENCE_FILE}` beside this file,
  which must travel with the data. The upstream does not document the geometry's own origin.
- **Attribution** (shown under every map drawn from it):
  - {manifest["attribution_id"]}
  - {manifest["attribution_en"]}
- **Changes**: invalid shapes repaired, overlaps and sliver gaps between neighbours removed, upper levels
  of the detail provinces dissolved from their desa, each view simplified within its byte budget and
  coordinates rounded to 4 (national views) or 5 (kabupaten views) decimals; names come from the registry.
- **Format**: the layer format of `geo.layers`: one GeoParquet (EPSG:4326, zstd) per view, columns
  `code, level, parent_code, source, geometry`, and `{MANIFEST}` (provenance, counts, bytes per map).

| file | regions | bytes on disk | largest map / budget |
|---|---|---|---|
{rows}

Made again, byte-for-byte the same shapes, with:

```bash
{pack["command"]}
```
"""
