"""Region lookup by name: typo- and case-tolerant, with kecamatan/kabupaten context to tell same-named desa apart."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

#: Among equal matches the higher level first: "Sleman" opens Kabupaten Sleman before Kecamatan Sleman.
_LEVEL_ORDER = {"provinsi": 0, "kabupaten": 1, "kecamatan": 2, "desa": 3}
_PREFIXES = re.compile(r"^(desa|kelurahan|kel|ds|kecamatan|kec|distrik|kabupaten|kab|kota|provinsi|prov)\.?\s+")
#: A typed kind word, spelled out as the region's `kind` says it ("kab sleman" means "kabupaten sleman").
_CANONICAL = {"ds": "desa", "kel": "kelurahan", "kec": "kecamatan", "kab": "kabupaten", "prov": "provinsi"}
#: How each `kind` is written before a name ("desa_adat" regions are called desa).
_KIND_WORD = {"desa_adat": "desa"}
# Match tiers, best first: the full query is the name with its kind word, the name alone, or its every word.
_EXACT_KIND, _EXACT_NAME, _WHOLE_WORDS, _FUZZY = 3, 2, 1, 0
#: A near spelling scoring this much below the best match is left out: "sindaudi mlati" finds Sinduadi (Mlati) at 92
#: and no longer lists Sidabui (Alor Selatan) at 55 after it; a runner-up that could be meant stays ("katurtunggal
#: depok": Caturtunggal, Depok 95, then Catur Tunggal, Mesuji Makmur 71).
_TRAILING = 25


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
    #: Each name without a kind word it starts with ("kota kupang" -> "kupang"), for typo-tolerant matching.
    bare: list[str] = field(default_factory=list)
    #: Rows by exact full name or "kind name" ("kota kupang", "kecamatan depok", "desa caturtunggal").
    with_kind: dict[str, list[int]] = field(default_factory=dict)
    #: Rows by exact name alone, with or without its kind word ("kupang", "kota kupang").
    by_name: dict[str, list[int]] = field(default_factory=dict)
    #: Rows by each whole word of their name.
    by_word: dict[str, set[int]] = field(default_factory=dict)


def _strip_kind(text: str) -> tuple[str, str]:
    """('kota', 'kupang') from 'kota kupang'; ('', text) when it starts with no kind word."""
    match = _PREFIXES.match(text)
    if not match:
        return "", text
    word = match.group(1)
    return _CANONICAL.get(word, word), text[match.end():]


def build_index(regions: pd.DataFrame) -> SearchIndex:
    """`regions` as from `db.get_all_regions`: code, level, name, kind, kecamatan, kabupaten, provinsi."""
    regions = regions.reset_index(drop=True)
    names = [normalise(n) for n in regions["name"]]
    parts = regions[["kecamatan", "kabupaten", "provinsi"]].fillna("").astype(str).to_numpy().tolist()
    index = SearchIndex(regions, names, [normalise(" ".join(p)) for p in parts])
    for i, (name, kind) in enumerate(zip(names, regions["kind"].fillna("").astype(str), strict=True)):
        bare = _strip_kind(name)[1]
        index.bare.append(bare)
        kind_word = _KIND_WORD.get(kind, kind)
        for key in {name, f"{kind_word} {bare}"}:
            index.with_kind.setdefault(key, []).append(i)
        for key in {name, bare}:
            index.by_name.setdefault(key, []).append(i)
        for word in set(name.split()):
            index.by_word.setdefault(word, set()).add(i)
    return index


def _tiers(index: SearchIndex, query: str, bare: str) -> dict[int, int]:
    """The rows the whole query names exactly, with its kind word or without, or by all of its whole words."""
    tiers: dict[int, int] = {}
    words = bare.split()
    if words:
        rows = set.intersection(*(index.by_word.get(w, set()) for w in words))
        tiers.update(dict.fromkeys(rows, _WHOLE_WORDS))
    tiers.update(dict.fromkeys(index.by_name.get(bare, []), _EXACT_NAME))
    kind, _ = _strip_kind(query)
    if kind:  # without a kind word typed, a name equal to the query is an exact name like any other
        tiers.update(dict.fromkeys(index.with_kind.get(f"{kind} {bare}", []), _EXACT_KIND))
    return tiers


def search(index: SearchIndex, query: str, limit: int = 10) -> pd.DataFrame:
    """Best matches first, with a `score` 0-100.

    Exact matches of the whole query come first: the name with its kind word ("Kota Kupang", "Kecamatan Depok"),
    then the name alone ("Kupang"), then names holding every word of the query; among equals the higher level
    first. Only when no name is exactly the query, the whole query is tried as a name (typo-tolerant edit
    distance), then its first words as the name and the last ones as the kecamatan/kabupaten/province
    ("sindaudi mlati"), which tells same-named desa apart: near spellings after exact names only bury them, and
    near spellings far below the best match (by _TRAILING points) are left out.
    """
    query = normalise(query)
    bare = _strip_kind(query)[1]
    tokens = bare.split()
    tiers = _tiers(index, query, bare)
    scores: dict[int, float] = {i: fuzz.ratio(bare, index.bare[i]) for i in tiers}
    for k in range(len(tokens), max(len(tokens) - 3, 0), -1):
        name, rest = " ".join(tokens[:k]), " ".join(tokens[k:])
        # The name as written ("kota kupang") and without its kind word ("kupang") both count.
        for names in (index.names, index.bare):
            for _, score, i in process.extract(name, names, scorer=fuzz.ratio, limit=limit * 20, score_cutoff=70):
                if rest:
                    score = 0.6 * score + 0.4 * fuzz.token_set_ratio(rest, index.places[i])
                scores[i] = max(scores.get(i, 0.0), score)
    if not scores:
        return index.regions.iloc[0:0].assign(score=[])
    if any(tier >= _EXACT_NAME for tier in tiers.values()):
        scores = {i: score for i, score in scores.items() if i in tiers}
    best = max(scores.values())
    scores = {i: score for i, score in scores.items() if i in tiers or score >= best - _TRAILING}
    rows = np.fromiter(scores, dtype=int)
    found = index.regions.iloc[rows].assign(score=[scores[i] for i in rows],
                                            _tier=[tiers.get(i, _FUZZY) for i in rows],
                                            _level=index.regions["level"].iloc[rows].map(_LEVEL_ORDER).to_numpy())
    found = found.sort_values(["_tier", "score", "_level", "code"], ascending=[False, False, True, True])
    return found.drop(columns=["_tier", "_level"]).head(limit).reset_index(drop=True)
