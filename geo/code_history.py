"""Codes of earlier Kemendagri editions (2016-2023) that are not codes today: where each went, or that it is gone.

The history is `code_history.csv.gz`, derived by `python -m geo.build_code_history` from the editions published
by `cahyadsn/wilayah` (MIT, © 2017-2025 Cahya DSN; licence in `code_history.LICENSE.txt`). A code of today's
registry is never looked up here: today's meaning wins (see `geo/build_code_history.py`).
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

HISTORY_FILE = Path(__file__).with_name("code_history.csv.gz")
HISTORY_SOURCE = "Kemendagri editions 2016-2023 via cahyadsn/wilayah (MIT, © Cahya DSN)"


@dataclass(frozen=True, slots=True)
class EarlierCode:
    """A code of earlier editions only: the editions it appears in (`2016-2022`) and today's code, if any."""

    code: str
    editions: str
    current: str | None

    def describe(self) -> str:
        """One clause for messages, e.g. `a code of the 2016-2022 editions, 93.01.01.1002 today`."""
        editions = f"the {self.editions} edition{'s' * ('-' in self.editions)}"
        if self.current:
            return f"a Kemendagri code of {editions}, {self.current} today"
        return f"a Kemendagri code of {editions} that no longer exists (the place was merged or renumbered)"


@lru_cache(maxsize=1)
def load_history() -> dict[str, EarlierCode]:
    """Every earlier-edition code that is not a code today, by dotted code."""
    with gzip.open(HISTORY_FILE, "rt", encoding="utf-8") as file:
        rows = list(csv.DictReader(io.StringIO(file.read())))
    return {row["code"]: EarlierCode(row["code"], row["editions"], row["current"] or None) for row in rows}


def earlier_code(code: str) -> EarlierCode | None:
    """The history of a dotted code that is not in today's registry, or None if no earlier edition had it."""
    return load_history().get(code)
