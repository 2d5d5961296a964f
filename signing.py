"""Publisher keys and signatures in minisign's format (Ed25519), so anyone can check a release with `minisign -V`.

Files, as minisign writes them (https://jedisct1.github.io/minisign/):

    publisher.key   "untrusted comment: ..." then base64(Ed, kdf "\\0\\0" = not encrypted, B2, salt, limits,
                    key id, secret key, BLAKE2b checksum): kept outside the repository, readable by its owner only
    publisher.pub   "untrusted comment: minisign public key <KEY ID>" then base64(Ed, key id, public key)
    FILE.minisig    base64(ED, key id, Ed25519 over BLAKE2b-512 of FILE), a trusted comment, and a signature over
                    both (so the comment cannot be swapped)

Nothing here reads data: the publisher, `anonymize verify` and the dashboard (to show the key id) share it.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SIGNATURE_SUFFIX = ".minisig"
PUBLIC_KEY_NAME = "publisher.pub"
_RAW = serialization.Encoding.Raw


class SigningError(ValueError):
    """A key or signature file that cannot be read, or a signature that does not match."""


@dataclass(frozen=True)
class PublicKey:
    key_id: bytes  # 8 bytes, as stored
    key: Ed25519PublicKey

    @property
    def fingerprint(self) -> str:
        """The key id as minisign prints it (16 upper-case hex digits)."""
        return key_id_text(self.key_id)


def key_id_text(key_id: bytes) -> str:
    return f"{int.from_bytes(key_id, 'little'):016X}"


def _lines(path: Path) -> list[str]:
    try:
        return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError) as error:
        raise SigningError(f"cannot read {path}: {error}") from None


def _b64(text: str, size: int, what: str) -> bytes:
    try:
        data = base64.b64decode(text.strip(), validate=True)
    except ValueError:
        data = b""
    if len(data) != size:
        raise SigningError(f"{what} is not in minisign's format")
    return data


def generate_keypair(secret_path: Path, public_path: Path) -> PublicKey:
    """Write a new unencrypted minisign key pair (the secret key with mode 0600); refuse to overwrite either file."""
    for path in (secret_path, public_path):
        if path.exists():
            raise SigningError(f"{path} already exists; move it away first (a new key cannot sign as the old one)")
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes(_RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    public = private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
    key_id = secrets.token_bytes(8)
    secret = seed + public  # libsodium's 64-byte secret key, as minisign stores it
    checksum = hashlib.blake2b(b"Ed" + key_id + secret, digest_size=32).digest()
    blob = b"Ed" + b"\0\0" + b"B2" + bytes(32) + bytes(8) + bytes(8) + key_id + secret + checksum
    secret_path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(secret_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(f"untrusted comment: minisign secret key {key_id_text(key_id)} (not encrypted)\n"
                     f"{base64.b64encode(blob).decode()}\n")
    public_path.parent.mkdir(parents=True, exist_ok=True)
    public_path.write_text(public_key_text(key_id, public), encoding="utf-8")
    return PublicKey(key_id, private.public_key())


def public_key_text(key_id: bytes, public: bytes) -> str:
    return (f"untrusted comment: minisign public key {key_id_text(key_id)}\n"
            f"{base64.b64encode(b'Ed' + key_id + public).decode()}\n")


def read_secret_key(path: Path) -> tuple[bytes, Ed25519PrivateKey]:
    """(key id, private key) of an unencrypted minisign secret key."""
    lines = _lines(path)
    blob = _b64(lines[-1] if lines else "", 158, f"secret key {path}")
    if blob[:2] != b"Ed" or blob[4:6] != b"B2":
        raise SigningError(f"secret key {path} is not an Ed25519 minisign key")
    if blob[2:4] != b"\0\0":
        raise SigningError(f"secret key {path} is password-protected; make an unencrypted one with "
                           "`python -m anonymize keygen` (or `minisign -G -W`)")
    key_id, secret, checksum = blob[54:62], blob[62:126], blob[126:158]
    if hashlib.blake2b(b"Ed" + key_id + secret, digest_size=32).digest() != checksum:
        raise SigningError(f"secret key {path} is damaged (its checksum does not match)")
    return key_id, Ed25519PrivateKey.from_private_bytes(secret[:32])


def read_public_key(path: Path) -> PublicKey:
    lines = _lines(path)
    blob = _b64(lines[-1] if lines else "", 42, f"public key {path}")
    if blob[:2] != b"Ed":
        raise SigningError(f"public key {path} is not an Ed25519 minisign key")
    return PublicKey(blob[2:10], Ed25519PublicKey.from_public_bytes(blob[10:]))


def public_key_of(secret_path: Path) -> str:
    """The public key file's text for a secret key (written beside each signed release)."""
    key_id, private = read_secret_key(secret_path)
    return public_key_text(key_id, private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw))


def sign_file(path: Path, secret_path: Path, trusted_comment: str) -> Path:
    """Write `path`.minisig (prehashed Ed25519, minisign's default) and return its path."""
    key_id, private = read_secret_key(secret_path)
    signature = private.sign(hashlib.blake2b(path.read_bytes(), digest_size=64).digest())
    comment = trusted_comment.replace("\n", " ")
    global_signature = private.sign(signature + comment.encode("utf-8"))
    target = path.with_name(path.name + SIGNATURE_SUFFIX)
    target.write_text(f"untrusted comment: signature from bansos-terbuka publisher key {key_id_text(key_id)}\n"
                      f"{base64.b64encode(b'ED' + key_id + signature).decode()}\n"
                      f"trusted comment: {comment}\n{base64.b64encode(global_signature).decode()}\n",
                      encoding="utf-8")
    return target


def signature_key_id(signature_path: Path) -> str:
    """The id of the key that made a signature (read without checking it)."""
    lines = _lines(signature_path)
    return key_id_text(_b64(lines[1] if len(lines) > 1 else "", 74, f"signature {signature_path}")[2:10])


def verify_file(path: Path, signature_path: Path, public: PublicKey) -> str:
    """Check `path` against its minisign signature; return the trusted comment. Raises SigningError."""
    lines = _lines(signature_path)
    if len(lines) < 4 or not lines[2].startswith("trusted comment: "):
        raise SigningError(f"signature {signature_path.name} is not in minisign's format")
    blob = _b64(lines[1], 74, f"signature {signature_path.name}")
    algorithm, key_id, signature = blob[:2], blob[2:10], blob[10:]
    if key_id != public.key_id:
        raise SigningError(f"{path.name} was signed by key {key_id_text(key_id)}, not by {public.fingerprint}")
    message = hashlib.blake2b(path.read_bytes(), digest_size=64).digest() if algorithm == b"ED" else path.read_bytes()
    comment = lines[2].removeprefix("trusted comment: ")
    try:
        public.key.verify(signature, message)
        public.key.verify(_b64(lines[3], 64, f"signature {signature_path.name}"), signature + comment.encode())
    except InvalidSignature:
        raise SigningError(f"the signature of {path.name} does not match (the file or its signature was changed, "
                           f"or another key signed it)") from None
    return comment
