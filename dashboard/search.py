"""Region lookup by name: typo- and case-tolerant, with kecamatan/kabupaten context to tell same-named desa apart."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

_LEVEL_BONUS = {"desa": 0.0, "kecamatan": 0.5, "kabupaten": 1.0, "provinsi": 1.5}
_PREFIXES = re.compile(r"^(desa|kelurahan|kel|ds|kecamatan|kec|kabupaten|kab|kota|provinsi|prov)\.?\s+")


def normalise(text: str) -> str:
    """Lower case, no accents or punctuation, single spaces: 'Kel. Sinduadi' -> 'kel sinduadi'."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


@dataclass
class SearchIndex:
    """Normalised names and 'kecamatan kabupaten provinsi' context of every region, in registry order."""

    regions: pd.DataFrame
    names: list[str]
    places: list[str]


def build_index(regions: pd.DataFrame) -> SearchIndex:
    """`regions` as from `db.get_all_regions`: code, level, name, kind, kecamatan, kabupaten, provinsi."""
    regions = regions.reset_index(drop=True)
    names = [normalise(n) for n in regions["name"]]
    parts = regions[["kecamatan", "kabupaten", "provinsi"]].fillna("").astype(str).to_numpy().tolist()
    return SearchIndex(regions, names, [normalise(" ".join(p)) for p in parts])


def search(index: SearchIndex, query: str, limit: int = 10) -> pd.DataFrame:
    """Best matches first, with a `score` 0-100.

    The whole query is tried as a name (typo-tolerant edit distance), then its first words as the name and the
    last ones as the kecamatan/kabupaten/province ("sindaudi mlati"), which tells same-named desa apart.
    """
    tokens = _PREFIXES.sub("", normalise(query)).split()
    scores: dict[int, float] = {}
    for k in range(len(tokens), max(len(tokens) - 3, 0), -1):
        name, rest = " ".join(tokens[:k]), " ".join(tokens[k:])
        for _, score, i in process.extract(name, index.names, scorer=fuzz.ratio, limit=limit * 20, score_cutoff=70):
            if rest:
                score = 0.6 * score + 0.4 * fuzz.token_set_ratio(rest, index.places[i])
            scores[i] = max(scores.get(i, 0.0), score)
    if not scores:
        return index.regions.iloc[0:0].assign(score=[])
    rows = np.fromiter(scores, dtype=int)
    found = index.regions.iloc[rows].assign(score=[scores[i] for i in rows],
                                            _level=index.regions["level"].iloc[rows].map(_LEVEL_BONUS).to_numpy())
    # Best score first; among equals desa before kecamatan before kabupaten (what people look up), then by code.
    found = found.sort_values(["score", "_level", "code"], ascending=[False, True, True])
    return found.drop(columns="_level").head(limit).reset_index(drop=True)
