"""Secrets at rest: AES-256-GCM under SECRET_ENCRYPTION_KEY, with a key id for rotation.

A stored value reads `v1:<key id>:<base64 of nonce + ciphertext + tag>`. The key id is the first
8 hex digits of the key's SHA-256, so old values stay readable after a rotation as long as the
old key is listed in SECRET_ENCRYPTION_OLD_KEYS.

The associated data (`encrypt`'s second argument) is `binding(purpose, table, row, field)`: a
value sealed for one field of one row decrypts nowhere else, so copying it into another row or
field of the database fails instead of handing one account's secret to another.

`cryptography` is imported by the first encryption or decryption, not with this module (which
the models import): its library costs every server process about 9 MiB, and most requests
never open a sealed value.

Every model field holding sealed values is registered with `register_sealed` (next to its
model, or from its app's `AppConfig.ready`), so that `rotate_encryption_key` finds them all.
"""

import base64
import dataclasses
import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import models

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


@dataclass(frozen=True)
class SealedField:
    """One model field that holds values sealed with `binding(purpose, table, pk, field)`."""

    model: type[models.Model]
    field: str
    purpose: str

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    def binding(self, pk: object) -> str:
        return binding(self.purpose, self.table, pk, self.field)

    def seal(self, instance, plaintext: str) -> str:
        return encrypt(plaintext, self.binding(instance.pk))

    def open(self, instance) -> str:
        return decrypt(getattr(instance, self.field), self.binding(instance.pk))


_SEALED: dict[tuple[str, str], SealedField] = {}


def register_sealed(model: type[models.Model], field: str, purpose: str) -> SealedField:
    """Declares that `model.field` holds sealed values (empty means none); returns its spec."""
    spec = SealedField(model, field, purpose)
    _SEALED[(model._meta.label_lower, field)] = spec
    return spec


def sealed_fields() -> list[SealedField]:
    return list(_SEALED.values())


@dataclass
class Unreadable:
    """A stored value that no known key opens for its row (named, never shown)."""

    table: str
    pk: object
    field: str


@dataclass
class Rotation:
    rotated: int = 0  # re-encrypted under the current key (or would be, in a dry run)
    current: int = 0  # already under the current key
    unreadable: list[Unreadable] = dataclasses.field(default_factory=list)
    per_field: dict[str, int] = dataclasses.field(default_factory=dict)  # "table.field": rotated


def _stored(spec: SealedField) -> Iterator[tuple[object, str]]:
    queryset = spec.model._default_manager.exclude(**{spec.field: ""}).order_by("pk")
    yield from queryset.values_list("pk", spec.field).iterator(chunk_size=500)


def rotate(*, dry_run: bool = False, fields: Callable[[], list] = sealed_fields) -> Rotation:
    """Re-encrypts every registered sealed value that is not under the current key yet.

    Each value is first opened with its row binding (under any known key), so nothing is
    rewritten that cannot be read; a value that cannot be opened is reported and left as it is.
    Each row is rewritten only if it still holds the value read (a concurrent change wins).
    """
    result = Rotation()
    for spec in fields():
        label = f"{spec.table}.{spec.field}"
        result.per_field.setdefault(label, 0)
        for pk, token in _stored(spec):
            try:
                plaintext = decrypt(token, spec.binding(pk))
            except DecryptionError:
                result.unreadable.append(Unreadable(spec.table, pk, spec.field))
                continue
            if not needs_rotation(token):
                result.current += 1
                continue
            if not dry_run:
                spec.model._default_manager.filter(pk=pk, **{spec.field: token}).update(
                    **{spec.field: encrypt(plaintext, spec.binding(pk))}
                )
            result.rotated += 1
            result.per_field[label] += 1
    return result


def encrypt(plaintext: str, purpose: str) -> str:
    key = settings.SECRET_ENCRYPTION_KEY
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), purpose.encode())
    return f"{VERSION}:{key_id(key)}:{base64.b64encode(nonce + sealed).decode()}"


def decrypt(token: str, purpose: str) -> str:
    """The plaintext, or DecryptionError when the value is malformed, truncated, tampered with,
    sealed under an unknown key or for other associated data (another row, field or purpose)."""
    if not isinstance(token, str) or not token:
        raise DecryptionError("empty value")
    try:
        version, kid, payload = token.split(":", 2)
        key = _keys()[kid]
        raw = base64.b64decode(payload, validate=True)
    except (ValueError, KeyError) as error:
        raise DecryptionError("unknown key or malformed value") from error
    if version != VERSION:
        raise DecryptionError(f"unknown format {version}")
    if len(raw) < 12 + 16:  # nonce and tag at least: a truncated value
        raise DecryptionError("the value is truncated")
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        return AESGCM(key).decrypt(raw[:12], raw[12:], purpose.encode()).decode()
    except InvalidTag as error:
        raise DecryptionError(
            "the value was changed, or sealed for another row, field or purpose"
        ) from error


def needs_rotation(token: str) -> bool:
    return not token.startswith(f"{VERSION}:{key_id(settings.SECRET_ENCRYPTION_KEY)}:")
