"""`python -m data generate|ingest`: make or load raw records."""

import sys

from cli import main

VERBS = {"generate": "data.generate", "ingest": "data.ingest"}

if __name__ == "__main__":
    sys.exit(main("python -m data", "Make or ingest raw bansos records.", VERBS))
