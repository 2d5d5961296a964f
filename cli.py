"""Command-line conventions shared by `python -m data|anonymize|geo`: verbs, user errors, progress, summaries."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import time
import traceback
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from tqdm import tqdm

from errors import InputError

T = TypeVar("T")

#: Exit code for a user error (bad input, missing file): one sentence, no traceback.
EXIT_USER_ERROR = 2

#: The commands' name for the domain error they map to exit code 2 (library code raises `errors.InputError`).
UserError = InputError


def main(prog: str, description: str, verbs: dict[str, str], argv: Sequence[str] | None = None) -> int:
    """Run a `python -m <package> <verb>` command.

    `verbs` maps each verb to the module implementing it; the module exposes `HELP` (one line),
    `configure(parser)` to add its options and `run(args) -> int`.
    """
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    subparsers = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    modules = {}
    for verb, module_name in verbs.items():
        module = importlib.import_module(module_name)
        modules[verb] = module
        verb_parser = subparsers.add_parser(verb, help=module.HELP, description=module.HELP)
        module.configure(verb_parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        return int(modules[args.verb].run(args) or 0)
    except InputError as error:
        if args.debug:
            traceback.print_exc()
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def progress(items: Iterable[T], total: int | None = None, desc: str = "", unit: str = "it") -> Iterator[T]:
    """A progress bar on stderr for long work."""
    yield from tqdm(items, total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True,
                    mininterval=0.5, leave=False)


@contextmanager
def stage(name: str, number: int, of: int) -> Iterator[None]:
    """Announce one named stage of a long command on stderr: `[2/4] protect small cells ... 3.1 s`.

    The `[n/m] name` prefix is stable so that a caller running the command (the dashboard's first run) can
    show a progress bar with stage names.
    """
    print(f"[{number}/{of}] {name} ...", file=sys.stderr, flush=True)
    start = time.perf_counter()
    yield
    print(f"[{number}/{of}] {name} done in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)


@contextmanager
def stopwatch() -> Iterator[dict[str, float]]:
    """Measure a block: `with stopwatch() as t: ...` then `t['seconds']`."""
    timing: dict[str, float] = {}
    start = time.perf_counter()
    try:
        yield timing
    finally:
        timing["seconds"] = time.perf_counter() - start


def summary(line: str) -> None:
    """The one summary line a command prints at the end, on stdout."""
    print(line, flush=True)
