"""API key tokens: generation, parsing and hashing. PURE (randomness is passed in).

A token is ``phx_<key id>_<secret>``. The key id is public (it names the key in logs and
HTTP Basic); the 256-bit secret is shown once and stored as SHA-256. A slow password hash
(scrypt, argon2) protects guessable human passwords; a uniformly random 256-bit secret
cannot be guessed, so a fast hash loses nothing and keeps every request cheap.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable

PREFIX = "phx"
KEY_ID_BYTES = 8
SECRET_BYTES = 32


def new_token(random_bytes: Callable[[int], bytes]) -> tuple[str, str, str]:
    """Return (token, key_id, secret) from a source of random bytes (``secrets.token_bytes``)."""
    key_id = random_bytes(KEY_ID_BYTES).hex()
    secret = base64.urlsafe_b64encode(random_bytes(SECRET_BYTES)).decode().rstrip("=")
    return f"{PREFIX}_{key_id}_{secret}", key_id, secret


def parse_token(token: str) -> tuple[str, str] | None:
    """Split a token into (key_id, secret); None when it is not a Phalanx token."""
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    if len(parts[1]) != KEY_ID_BYTES * 2:
        return None
    return parts[1], parts[2]


def hash_secret(secret: str) -> bytes:
    """Return the stored form of a secret."""
    return hashlib.sha256(secret.encode()).digest()


def secret_matches(secret: str, stored: bytes) -> bool:
    """Compare a presented secret with the stored hash in constant time."""
    return hmac.compare_digest(hash_secret(secret), stored)
