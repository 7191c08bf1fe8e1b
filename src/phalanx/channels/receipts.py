"""Signed deployment receipts: the exact bytes signed, Ed25519 keys, verification. PURE.

A member states "I loaded version V of channel C, whose content digest is D, into control X
at time T" by signing these bytes (UTF-8, each line ending in ``\\n``, no trailing spaces)::

    phalanx-deployment-receipt/v1
    channel:<channel id, decimal>
    version:<version, decimal>
    digest:sha256:<64 lowercase hex digits: SHA-256 of the feed body of version V>
    deployed_at:<UTC time as YYYY-MM-DDTHH:MM:SS.ffffffZ, always six fraction digits>
    control:<control id: 1-200 printable characters, no line breaks>

with its Ed25519 private key (RFC 8032, pure Ed25519, no pre-hash). The signature travels as
base64 (64 bytes). The hub rebuilds the bytes from the receipt's fields, with ``deployed_at``
put in the form above whatever RFC 3339 spelling was sent, so a client that signs
:func:`message` never has to guess. The digest is the one the hub serves for version V in
the ``X-Phalanx-Content-Digest`` header (and in the delta document).

Public keys are registered as PEM (SubjectPublicKeyInfo), or the raw 32 bytes in base64 or
hex; a key is named by its fingerprint: the first 16 hex digits of SHA-256 of the raw bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from phalanx.clock import format_timestamp, parse_timestamp
from phalanx.errors import InvalidInput

HEADER = "phalanx-deployment-receipt/v1"
MAX_CONTROL = 200
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_CONTROL = re.compile(r"[\x20-\x7e\u00a0-\uffff]{1,200}")


@dataclass(frozen=True, slots=True)
class ReceiptClaim:
    """What a receipt states; the signed bytes are :func:`message` of it."""

    channel_id: int
    version: int
    digest: str
    deployed_at: datetime
    control: str


def message(claim: ReceiptClaim) -> bytes:
    """The exact bytes a receipt's signature covers (see the module docstring)."""
    lines = (
        HEADER,
        f"channel:{claim.channel_id}",
        f"version:{claim.version}",
        f"digest:{claim.digest}",
        f"deployed_at:{format_timestamp(claim.deployed_at)}",
        f"control:{claim.control}",
    )
    return ("\n".join(lines) + "\n").encode("utf-8")


def content_digest(content: bytes) -> str:
    """The content digest of a feed body as receipts name it: ``sha256:<hex>``."""
    return f"sha256:{hashlib.sha256(content).hexdigest()}"


def parse_claim(
    *, channel_id: int, version: object, digest: object, deployed_at: object, control: object
) -> ReceiptClaim:
    """Check the fields of a receipt; raise InvalidInput naming the first bad one."""
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InvalidInput("must be a channel version (an integer from 1)", field="version")
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        raise InvalidInput("must be 'sha256:' and 64 lowercase hex digits", field="digest")
    if not isinstance(deployed_at, str):
        raise InvalidInput("must be an RFC 3339 timestamp", field="deployed_at")
    try:
        moment = parse_timestamp(deployed_at)
    except ValueError:
        raise InvalidInput("must be an RFC 3339 timestamp", field="deployed_at") from None
    if not isinstance(control, str) or not _CONTROL.fullmatch(control):
        raise InvalidInput(
            f"must be 1-{MAX_CONTROL} printable characters on one line", field="control"
        )
    return ReceiptClaim(channel_id, version, digest, moment, control)


def load_public_key(text: str) -> bytes:
    """The raw 32 bytes of an Ed25519 public key given as PEM, base64 or hex."""
    stripped = text.strip()
    if stripped.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(stripped.encode())
        except ValueError:
            raise InvalidInput("not a PEM public key", field="public_key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise InvalidInput("the PEM key is not an Ed25519 key", field="public_key")
        return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    raw = _decode(stripped)
    if raw is None or len(raw) != 32:
        raise InvalidInput(
            "an Ed25519 public key is PEM, or 32 bytes in base64 or hex", field="public_key"
        )
    return raw


def _decode(text: str) -> bytes | None:
    if re.fullmatch(r"[0-9a-fA-F]{64}", text):
        return bytes.fromhex(text)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def fingerprint(raw_public_key: bytes) -> str:
    """A key's name: the first 16 hex digits of SHA-256 of its raw bytes."""
    return hashlib.sha256(raw_public_key).hexdigest()[:16]


def decode_signature(signature: object) -> bytes:
    """The 64 signature bytes from base64; raise InvalidInput otherwise."""
    raw = _decode(signature) if isinstance(signature, str) else None
    if raw is None or len(raw) != 64:
        raise InvalidInput("must be a 64-byte Ed25519 signature in base64", field="signature")
    return raw


def verify(raw_public_key: bytes, claim: ReceiptClaim, signature: bytes) -> None:
    """Raise InvalidInput (field ``signature``) unless the signature covers the claim."""
    key = Ed25519PublicKey.from_public_bytes(raw_public_key)
    try:
        key.verify(signature, message(claim))
    except InvalidSignature:
        signed = message(claim).decode("utf-8")
        raise InvalidInput(
            "does not verify with the key over the receipt's canonical bytes",
            field="signature",
            signed_text=signed,
        ) from None


def sign(private_key: Ed25519PrivateKey, claim: ReceiptClaim) -> str:
    """The base64 signature of a claim (for the CLI and for tests)."""
    return base64.b64encode(private_key.sign(message(claim))).decode()


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    """An Ed25519 private key from unencrypted PKCS#8 PEM; raise InvalidInput otherwise."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise InvalidInput("not an unencrypted PEM private key", field="key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput("the private key is not an Ed25519 key", field="key")
    return key


def public_pem(private_key: Ed25519PrivateKey) -> str:
    """The PEM public key of a private key (what ``deploy-key add`` registers)."""
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
