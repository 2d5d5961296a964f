"""`python -m geo build|fetch|pack`: prepare boundary layers for the maps."""

import sys

from cli import main

VERBS = {"build": "geo.build", "fetch": "geo.fetch", "pack": "geo.make_pack"}

if __name__ == "__main__":
    sys.exit(main("python -m geo", "Prepare region boundaries for the maps.", VERBS))
