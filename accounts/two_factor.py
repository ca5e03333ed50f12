"""Two-factor login with TOTP (RFC 6238) and one-time recovery codes.

The seed is encrypted at rest; a code is accepted once (the time step is remembered) within one
step of clock drift; recovery codes carry 60 random bits, are shown once, and are stored as
keyed hashes (HMAC under SECRET_KEY), so a copy of the database alone reveals none of them.
"""

import hmac
import logging
import secrets
import time

import pyotp
import segno
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import RecoveryCode, TwoFactor, User
from homeportal import crypto

logger = logging.getLogger(__name__)

ISSUER = "homeportal"
RECOVERY_CODE_COUNT = 10
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
STEP = 30


class SeedUnreadable(crypto.DecryptionError):
    """The stored 2FA seed cannot be decrypted (changed, truncated, copied from another row, or
    sealed under a key that is no longer configured)."""


def is_enabled(user: User) -> bool:
    return TwoFactor.objects.filter(user=user, confirmed=True).exists()


def start_setup(user: User) -> TwoFactor:
    """A new, unconfirmed seed (replacing an earlier unconfirmed one)."""
    with transaction.atomic():
        TwoFactor.objects.filter(user=user, confirmed=False).delete()
        two_factor = TwoFactor.objects.create(user=user, encrypted_secret="")
        two_factor.set_secret(pyotp.random_base32())  # bound to the row id, known only now
    return two_factor


def secret(two_factor: TwoFactor) -> str:
    try:
        return two_factor.secret()
    except crypto.DecryptionError as error:
        logger.error(
            "The 2FA seed in %s row %s cannot be decrypted: %s",
            TwoFactor._meta.db_table, two_factor.pk, error,
        )  # fmt: skip
        raise SeedUnreadable(str(error)) from error


def provisioning_uri(two_factor: TwoFactor) -> str:
    return pyotp.TOTP(secret(two_factor)).provisioning_uri(
        name=two_factor.user.username, issuer_name=ISSUER
    )


def qr_svg(two_factor: TwoFactor) -> str:
    """The set-up QR code as inline SVG (no script, no style attribute: fine under our CSP)."""
    return segno.make(provisioning_uri(two_factor), error="m").svg_inline(
        scale=5, dark="#000", light="#fff", title="2FA set-up code", omitsize=False
    )


def _matching_step(two_factor: TwoFactor, code: str) -> int | None:
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret(two_factor))
    now = int(time.time()) // STEP
    for step in (now - 1, now, now + 1):
        if hmac.compare_digest(totp.at(step * STEP), code):
            return step
    return None


def verify(two_factor: TwoFactor, code: str) -> bool:
    """Whether `code` is valid now and was never used; a used code is refused (replay)."""
    step = _matching_step(two_factor, code)
    if step is None:
        return False
    # Only one request can move last_step past this step, even racing.
    accepted = TwoFactor.objects.filter(pk=two_factor.pk, last_step__lt=step).update(last_step=step)
    return accepted == 1


def _hash_code(code: str) -> str:
    normal = "".join(ch for ch in code.lower() if ch in CODE_ALPHABET)
    return salted_hmac("accounts.RecoveryCode", normal, algorithm="sha256").hexdigest()


def new_recovery_codes(user: User) -> list[str]:
    codes = [
        "-".join("".join(secrets.choice(CODE_ALPHABET) for _ in range(4)) for _ in range(3))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(
            RecoveryCode(user=user, code_hash=_hash_code(c)) for c in codes
        )
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    used = RecoveryCode.objects.filter(
        user=user, code_hash=_hash_code(code), used__isnull=True
    ).update(used=timezone.now())
    return used == 1


def remaining_recovery_codes(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used__isnull=True).count()


def check_second_factor(user: User, code: str) -> bool:
    """A current authenticator code, or else an unused recovery code.

    When the seed cannot be decrypted a recovery code still works (they are hashed, not
    sealed); without one, SeedUnreadable says so, for the page to explain what to do."""
    two_factor = TwoFactor.objects.filter(user=user, confirmed=True).first()
    if two_factor is None:
        return False
    try:
        if verify(two_factor, code):
            return True
    except SeedUnreadable:
        if use_recovery_code(user, code):
            return True
        raise
    return use_recovery_code(user, code)


def confirm(two_factor: TwoFactor, code: str) -> list[str] | None:
    """Turns 2FA on when `code` proves the authenticator works; returns the recovery codes."""
    if not verify(two_factor, code):
        return None
    with transaction.atomic():
        TwoFactor.objects.filter(user=two_factor.user, confirmed=True).delete()
        TwoFactor.objects.filter(pk=two_factor.pk).update(confirmed=True)
        return new_recovery_codes(two_factor.user)


def disable(user: User) -> None:
    with transaction.atomic():
        TwoFactor.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
