"""`python -m anonymize publish|audit|verify|keygen`: publish safe aggregates, attack a release, check a release's
hashes, chain and signature, or make the publisher key."""

import sys

from cli import main

VERBS = {"publish": "anonymize.publish", "audit": "anonymize.audit", "verify": "anonymize.verify",
         "keygen": "anonymize.keygen"}

if __name__ == "__main__":
    sys.exit(main("python -m anonymize", "Publish safe aggregates and audit them.", VERBS))
