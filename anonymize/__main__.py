"""`python -m anonymize publish|audit|verify`: publish safe aggregates, attack a release, or check its hash chain."""

import sys

from cli import main

VERBS = {"publish": "anonymize.publish", "audit": "anonymize.audit", "verify": "anonymize.verify"}

if __name__ == "__main__":
    sys.exit(main("python -m anonymize", "Publish safe aggregates and audit them.", VERBS))
