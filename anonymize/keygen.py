"""`python -m anonymize keygen`: make the publisher's signing key pair (minisign format, Ed25519), outside the repo."""

from __future__ import annotations

import argparse
from pathlib import Path

import signing
from cli import UserError, summary
from settings import ROOT

HELP = "make a publisher key pair to sign releases (minisign format, Ed25519)"
DEFAULT_KEY = Path("~/.config/bansos-terbuka/publisher.key")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=DEFAULT_KEY,
                        help="secret key file; the public key is written beside it as .pub (default: %(default)s)")


def run(args: argparse.Namespace) -> int:
    secret = args.out.expanduser().resolve()
    if secret.is_relative_to(ROOT.resolve()):
        raise UserError(f"Keep the secret key outside the repository (got {args.out}); use e.g. --out {DEFAULT_KEY}.")
    public = secret.with_suffix(".pub")
    try:
        key = signing.generate_keypair(secret, public)
    except signing.SigningError as error:
        raise UserError(f"{error}.") from None
    summary(f"publisher key {key.fingerprint}: secret {secret} (keep it private, not encrypted), public {public}; "
            f"sign releases with BANSOS_SIGNING_KEY={secret} or `publish --key {secret}`")
    return 0
