"""Command-line options shared by the geo verbs, defined once."""

from __future__ import annotations

import argparse
import os

from cli import UserError
from geo.levels import CODE_LENGTH, registry_codes
from geo.regions import RegionCodeError, get_registry


def add_provinces_option(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("--provinces", metavar="CODES", help=help_text)


def add_jobs_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), metavar="N",
                        help="worker processes for cleaning and simplifying (default: %(default)s)")


def parse_codes(text: str | None, level: str) -> tuple[str, ...] | None:
    """Registry codes at `level` from a comma-separated list (`32,53`, `32.04,32.73` or `all`); None if not given."""
    if not text:
        return None
    if text.strip().lower() == "all":
        return tuple(registry_codes(level))
    codes = []
    for value in text.split(","):
        try:
            code = get_registry().resolve(value.strip(), level)
        except RegionCodeError as error:
            raise UserError(str(error)) from None
        codes.append(code)
    return tuple(sorted(set(codes)))


def provinces_of(codes: tuple[str, ...] | None) -> tuple[str, ...] | None:
    return tuple(sorted({code[:CODE_LENGTH["provinsi"]] for code in codes})) if codes else None
