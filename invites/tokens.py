"""One-time tokens for links handed to people (invites, password-reset links).

A token is 32 random bytes, URL-safe; only its SHA-256 is stored, so a copy of the database
gives nobody a working link. A slow hash is unnecessary: the token has 256 bits of entropy,
nothing to guess.
"""

import hashlib
import secrets

TOKEN_BYTES = 32


def new_token() -> tuple[str, str]:
    """A fresh token and the hash to store."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
