"""`python -m anonymize publish|audit`: publish safe aggregates, or attack a published release."""

import sys

from cli import main

VERBS = {"publish": "anonymize.publish", "audit": "anonymize.audit"}

if __name__ == "__main__":
    sys.exit(main("python -m anonymize", "Publish safe aggregates and audit them.", VERBS))
