"""The built layer set on disk: one GeoParquet per view under `geo_dir/layers`, and `sources.json` describing them."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd

from geo.attribution import SourceInfo

LAYERS_DIR = "layers"
MANIFEST = "sources.json"
COLUMNS = ["code", "level", "parent_code", "source", "geometry"]


@dataclass(frozen=True)
class StoredLayers:
    views: dict[str, gpd.GeoDataFrame]
    manifest: dict[str, Any]
    #: Layer sets that supplied the regions this one lacks (e.g. the boundary pack); rows say which in `source`.
    fallbacks: tuple[StoredLayers, ...] = ()

    @property
    def source(self) -> SourceInfo:
        return SourceInfo.from_dict(self.manifest)

    def layers_of(self, kind: str) -> StoredLayers | None:
        """The layer set whose rows carry this source kind, if any."""
        return next((layers for layers in (self, *self.fallbacks) if layers.source.kind == kind), None)


def layers_dir(geo_dir: Path) -> Path:
    return Path(geo_dir) / LAYERS_DIR


def write_layers(geo_dir: Path, views: dict[str, gpd.GeoDataFrame], manifest: dict[str, Any]) -> dict[str, int]:
    """Replace the layer set as a whole (a failed build leaves the previous one); return bytes per file."""
    return write_folder(layers_dir(geo_dir), views, manifest)


def write_folder(target: Path, views: dict[str, gpd.GeoDataFrame], manifest: dict[str, Any],
                 extra_files: dict[str, str] | None = None, **parquet_options: object) -> dict[str, int]:
    """Replace a layer folder as a whole: one GeoParquet per view, `sources.json` and any `extra_files` (name: text)."""
    staging = target.with_name(f".{target.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    sizes = {}
    described = manifest.setdefault("views", {})
    for name, frame in views.items():
        path = staging / f"{name}.parquet"
        frame[COLUMNS].to_parquet(path, index=False, **parquet_options)
        sizes[name] = path.stat().st_size
        described.setdefault(name, {})["file_bytes"] = sizes[name]
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for name, text in (extra_files or {}).items():
        (staging / name).write_text(text, encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return sizes


def read_layers(geo_dir: Path) -> StoredLayers | None:
    """The layer set `python -m geo build` wrote, or None when there is none."""
    return read_folder(layers_dir(geo_dir))


def read_folder(folder: Path) -> StoredLayers | None:
    """The layers of a folder written by `write_folder`, or None when it holds none."""
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        return None
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    views = {name: gpd.read_parquet(folder / f"{name}.parquet")
             for name in manifest.get("views", {}) if (folder / f"{name}.parquet").is_file()}
    return StoredLayers(views, manifest)
