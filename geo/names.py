"""Region names compared and matched as people write them: `KAB. ACEH SELATAN` is `Kabupaten Aceh Selatan`.

Used to check a boundary file's names against the registry (are these Kemendagri codes at all?), to match
files that carry names only, and by `geo.build_code_history` to follow places across editions.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from functools import lru_cache

from rapidfuzz import fuzz, process

from geo.regions import get_registry, level_of

_PREFIX = re.compile(r"^(?:provinsi|propinsi|prov|kab|kabupaten|kec|kecamatan|distrik|desa|kel|kelurahan|kampung|"
                     r"gampong|nagari)\b\.?\s*")
_KABUPATEN = re.compile(r"^(?:kota|kab|kabupaten)\b\.?\s*(?:adm\.?|administrasi)?\s*")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
#: Same name when a typo or spelling variant apart (`Ujung Mangki` / `Ujong Mangki`), not when another place.
SAME_NAME_SCORE = 85


def plain(name: object) -> str:
    """Lower case ASCII, single spaces, MySQL's `\\'` undone."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().lower()
    return " ".join(text.replace("\\'", "'").split())


def name_key(name: object, level: str) -> str:
    """`KAB. MERAUKE` and `Kabupaten Merauke` -> `kab:merauke`; `Kel. Samkai` and `SAMKAI` -> `samkai`.

    Kabupaten keep their kind (Kab. Bogor is not Kota Bogor); other levels lose `Desa`, `Kel.`, `Kec.` ...
    """
    text = plain(name)
    if level == "kabupaten":
        kind = "kota" if text.startswith(("kota ", "kota.")) and "administrasi" not in text else "kab"
        return f"{kind}:{_NOT_ALNUM.sub('', _KABUPATEN.sub('', text))}"
    return _NOT_ALNUM.sub("", _PREFIX.sub("", text))


def same_name(given: object, registered: str, level: str) -> bool:
    """Whether a file's name is the registry's, case, spaces, prefixes and small spelling variants aside."""
    a, b = name_key(given, level), name_key(registered, level)
    if level == "kabupaten":  # a BIG layer writes `Kubu Raya` for `Kabupaten Kubu Raya`: the kind may be absent
        a, b = a.split(":", 1)[1], b.split(":", 1)[1]
    return a == b or fuzz.ratio(a, b) >= SAME_NAME_SCORE


@lru_cache(maxsize=1)
def _children() -> dict[str, dict[str, list[str]]]:
    """Parent code ('' for provinces) -> name key -> child codes."""
    children: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for code, name in get_registry().names.items():
        if code == "00":
            continue
        level = level_of(code)
        parent = code.rsplit(".", 1)[0] if "." in code else ""
        children[parent][name_key(name, level)].append(code)
        if level == "kabupaten":  # a names-only file may leave the kind out
            children[parent][name_key(name, level).split(":", 1)[1]].append(code)
    return children


def match_child(parent: str, name: object, level: str) -> str | None:
    """The registry child of `parent` ('' for provinces) called `name`: exact key, else one clear fuzzy match."""
    children = _children().get(parent)
    if not children or name is None or not str(name).strip():
        return None
    key = name_key(name, level)
    found = children.get(key) or (children.get(key.split(":", 1)[1]) if level == "kabupaten" else None)
    if found and len(set(found)) == 1:
        return found[0]
    if found:  # `Bandung` is both Kabupaten and Kota Bandung: the file must say which
        return None
    best = process.extract(key, list(children), scorer=fuzz.ratio, limit=2, score_cutoff=SAME_NAME_SCORE)
    if len(best) == 1 or (len(best) == 2 and best[0][1] > best[1][1]):
        codes = set(children[best[0][0]])
        return codes.pop() if len(codes) == 1 else None
    return None
