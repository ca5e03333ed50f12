"""Secrets at rest: AES-256-GCM under SECRET_ENCRYPTION_KEY, with a key id for rotation.

A stored value reads `v1:<key id>:<base64 of nonce + ciphertext + tag>`. The key id is the first
8 hex digits of the key's SHA-256, so old values stay readable after a rotation as long as the
old key is listed in SECRET_ENCRYPTION_OLD_KEYS. `purpose` is bound as associated data: a value
encrypted for one field cannot be swapped into another.
"""

import base64
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

VERSION = "v1"


class DecryptionError(ValueError):
    """The value was not encrypted with a known key, or was tampered with."""


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


def _keys() -> dict[str, bytes]:
    keys = [settings.SECRET_ENCRYPTION_KEY, *settings.SECRET_ENCRYPTION_OLD_KEYS]
    return {key_id(k): k for k in keys}


def binding(purpose: str, table: str, row: object, field: str) -> str:
    """The associated data that ties a sealed value to one field of one row.

    A value sealed for (purpose, table, row, field) decrypts nowhere else: copying it into
    another row, another field or another table fails with DecryptionError.
    """
    return f"{purpose}|{table}|{row}|{field}"


def encrypt(plaintext: str, purpose: str) -> str:
    key = settings.SECRET_ENCRYPTION_KEY
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), purpose.encode())
    return f"{VERSION}:{key_id(key)}:{base64.b64encode(nonce + sealed).decode()}"


def decrypt(token: str, purpose: str) -> str:
    try:
        version, kid, payload = token.split(":", 2)
        key = _keys()[kid]
        raw = base64.b64decode(payload, validate=True)
    except (ValueError, KeyError) as error:
        raise DecryptionError("unknown key or malformed value") from error
    if version != VERSION:
        raise DecryptionError(f"unknown format {version}")
    try:
        return AESGCM(key).decrypt(raw[:12], raw[12:], purpose.encode()).decode()
    except InvalidTag as error:
        raise DecryptionError("the value was changed or encrypted for another purpose") from error


def needs_rotation(token: str) -> bool:
    return not token.startswith(f"{VERSION}:{key_id(settings.SECRET_ENCRYPTION_KEY)}:")
