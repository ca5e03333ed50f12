"""Secrets at rest bound to their row: swapping fails, tampering is a clear error over HTTP,
`rotate_encryption_key` moves everything to the current key, and the migration re-seals the
2FA seeds sealed before rows were bound."""

import importlib
import time
from io import StringIO

import pyotp
import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.test import Client

from accounts import two_factor
from accounts.models import TWO_FACTOR_SEED, TwoFactor
from homeportal import crypto
from sessions_admin.models import AuditEntry, LoginRecord
from tests.accounts.test_two_factor import enable, password_step

pytestmark = pytest.mark.django_db

KEY_A = bytes(range(32))
KEY_B = bytes(range(32, 64))


def seed_row(user) -> TwoFactor:
    return TwoFactor.objects.get(user=user, confirmed=True)


def test_a_sealed_value_swapped_between_rows_does_not_decrypt(people):
    enable(people.member)
    enable(people.outsider)
    mine, theirs = seed_row(people.member), seed_row(people.outsider)
    assert two_factor.secret(mine) != two_factor.secret(theirs)
    # An attacker with write access to the table copies their own seed into the victim's row.
    TwoFactor.objects.filter(pk=mine.pk).update(encrypted_secret=theirs.encrypted_secret)
    with pytest.raises(crypto.DecryptionError):
        two_factor.secret(seed_row(people.member))


def test_binding_names_purpose_table_row_and_field():
    sealed = crypto.encrypt("s3cret", crypto.binding("integration-secret", "t", 1, "value"))
    assert crypto.decrypt(sealed, crypto.binding("integration-secret", "t", 1, "value")) == "s3cret"
    others = [
        ("other", "t", 1, "value"),
        ("integration-secret", "u", 1, "value"),
        ("integration-secret", "t", 2, "value"),
        ("integration-secret", "t", 1, "x"),
    ]
    for other in others:
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(sealed, crypto.binding(*other))


@pytest.mark.parametrize("damage", ["truncated", "tampered", "swapped", "garbage"])
def test_an_unreadable_seed_at_login_explains_what_to_do_instead_of_a_500(people, damage):
    totp, _codes = enable(people.member)
    row = seed_row(people.member)
    token = row.encrypted_secret
    if damage == "swapped":
        enable(people.outsider)
        damaged = seed_row(people.outsider).encrypted_secret
    else:
        damaged = {
            "truncated": token[: len(token) // 2],
            "tampered": token[:-8] + ("AAAA" if token[-8:-4] != "AAAA" else "BBBB") + token[-4:],
            "garbage": "not a sealed value",
        }[damage]
    TwoFactor.objects.filter(pk=row.pk).update(encrypted_secret=damaged)
    client = Client()
    assert password_step(client)["Location"] == "/accounts/2fa/verify/"
    response = client.post("/accounts/2fa/verify/", {"code": totp.now()})
    assert response.status_code == 400
    page = response.content.decode()
    assert "two-factor secret cannot be read" in page
    assert "--disable-2fa" in page
    assert client.get("/").status_code == 302  # still not logged in
    assert LoginRecord.objects.filter(
        user=people.member, success=False, reason="2FA secret cannot be decrypted"
    ).exists()


def test_a_recovery_code_still_logs_in_when_the_seed_is_unreadable(people):
    _totp, codes = enable(people.member)
    TwoFactor.objects.filter(user=people.member).update(encrypted_secret="v1:deadbeef:AAAA")
    client = Client()
    password_step(client)
    response = client.post("/accounts/2fa/verify/", {"code": codes[0]})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_an_unreadable_seed_on_the_settings_pages_is_a_message_not_a_500(people, login):
    enable(people.member)
    TwoFactor.objects.filter(user=people.member).update(encrypted_secret="v1:")
    client = login(people.member)
    response = client.post("/accounts/2fa/recovery-codes/", {"code": "123456"}, follow=True)
    assert response.status_code == 200
    assert "two-factor secret cannot be read" in response.content.decode()
    # An unconfirmed set-up whose seed was damaged just starts over.
    two_factor.start_setup(people.outsider)
    TwoFactor.objects.filter(user=people.outsider).update(encrypted_secret="v1:x:y")
    page = login(people.outsider).get("/accounts/2fa/")
    assert page.status_code == 200 and b"cannot be read any more" in page.content
    assert not TwoFactor.objects.filter(user=people.outsider).exists()


def test_rotation_re_encrypts_so_the_old_key_can_be_dropped(people, settings):
    settings.SECRET_ENCRYPTION_KEY, settings.SECRET_ENCRYPTION_OLD_KEYS = KEY_A, []
    totp, _ = enable(people.member)
    enable(people.outsider)
    before = {r.pk: r.encrypted_secret for r in TwoFactor.objects.all()}
    settings.SECRET_ENCRYPTION_KEY, settings.SECRET_ENCRYPTION_OLD_KEYS = KEY_B, [KEY_A]

    dry = StringIO()
    call_command("rotate_encryption_key", "--dry-run", stdout=dry)
    assert "Would re-encrypt 2 values" in dry.getvalue()
    assert {r.pk: r.encrypted_secret for r in TwoFactor.objects.all()} == before

    out = StringIO()
    call_command("rotate_encryption_key", stdout=out)
    assert "Re-encrypted 2 values" in out.getvalue()
    assert "accounts_twofactor.encrypted_secret: re-encrypted 2" in out.getvalue()
    for row in TwoFactor.objects.all():
        assert row.encrypted_secret != before[row.pk]
        assert not crypto.needs_rotation(row.encrypted_secret)
    entry = AuditEntry.objects.get(action="encryption.key_rotated")
    assert entry.details["rotated"] == 2 and entry.details["sealed_with"] == crypto.key_id(KEY_B)

    settings.SECRET_ENCRYPTION_OLD_KEYS = []  # the old key is gone: logins still work
    client = Client()
    password_step(client)
    assert client.post("/accounts/2fa/verify/", {"code": totp.now()}).status_code == 302
    again = StringIO()
    call_command("rotate_encryption_key", stdout=again)
    assert "Re-encrypted 0 values" in again.getvalue() and "2 already under it" in again.getvalue()


def test_rotation_names_undecryptable_rows_and_fails(people, settings):
    settings.SECRET_ENCRYPTION_KEY, settings.SECRET_ENCRYPTION_OLD_KEYS = KEY_A, []
    enable(people.member)
    enable(people.outsider)
    lost = seed_row(people.outsider)
    settings.SECRET_ENCRYPTION_KEY, settings.SECRET_ENCRYPTION_OLD_KEYS = KEY_B, [KEY_A]
    TwoFactor.objects.filter(pk=lost.pk).update(
        encrypted_secret=crypto.encrypt("JBSWY3DPEHPK3PXP", "wrong associated data")
    )
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 value\\(s\\) cannot be decrypted"):
        call_command("rotate_encryption_key", stdout=out, stderr=err)
    assert f"Cannot decrypt accounts_twofactor row {lost.pk} (encrypted_secret)" in err.getvalue()
    assert "JBSWY3DPEHPK3PXP" not in out.getvalue() + err.getvalue()
    assert not crypto.needs_rotation(seed_row(people.member).encrypted_secret)  # the rest rotated
    assert AuditEntry.objects.get(action="encryption.key_rotated").details["unreadable"] == 1


def test_the_two_factor_seed_is_a_registered_sealed_field():
    assert TWO_FACTOR_SEED in crypto.sealed_fields()
    assert (
        TWO_FACTOR_SEED.binding(7)
        == "accounts.TwoFactor.secret|accounts_twofactor|7|encrypted_secret"
    )


def test_the_migration_binds_old_purpose_only_seeds_to_their_row(people):
    migration = importlib.import_module("accounts.migrations.0004_two_factor_row_binding")
    old = TwoFactor.objects.create(user=people.member, confirmed=True, encrypted_secret="")
    seed = pyotp.random_base32()
    TwoFactor.objects.filter(pk=old.pk).update(
        encrypted_secret=crypto.encrypt(seed, "accounts.TwoFactor.secret")  # as sealed before
    )
    broken = TwoFactor.objects.create(user=people.outsider, encrypted_secret="v1:00000000:AAAA")
    with pytest.raises(crypto.DecryptionError):
        two_factor.secret(seed_row(people.member))

    counts = migration.reseal_two_factor_seeds(apps, None)
    assert counts == {"resealed": 1, "bound": 0, "unreadable": 1}
    assert two_factor.secret(seed_row(people.member)) == seed
    assert TwoFactor.objects.get(pk=broken.pk).encrypted_secret == "v1:00000000:AAAA"
    # Running it again changes nothing; the reverse restores the old form.
    assert migration.reseal_two_factor_seeds(apps, None)["bound"] == 1
    migration.unbind_two_factor_seeds(apps, None)
    restored = seed_row(people.member).encrypted_secret
    assert crypto.decrypt(restored, "accounts.TwoFactor.secret") == seed
    # And login works with the re-sealed seed.
    migration.reseal_two_factor_seeds(apps, None)
    client = Client()
    password_step(client)
    code = pyotp.TOTP(seed).at(time.time())
    assert client.post("/accounts/2fa/verify/", {"code": code}).status_code == 302


def test_rotation_covers_every_registered_field_not_only_two_factor(people, settings):
    from accounts.models import User

    settings.SECRET_ENCRYPTION_KEY, settings.SECRET_ENCRYPTION_OLD_KEYS = KEY_A, []
    spec = crypto.SealedField(User, "email", "test-purpose")  # any text column will do here
    user = people.outsider
    User.objects.filter(pk=user.pk).update(email=spec.seal(user, "hidden"))
    settings.SECRET_ENCRYPTION_KEY, settings.SECRET_ENCRYPTION_OLD_KEYS = KEY_B, [KEY_A]
    result = crypto.rotate(fields=lambda: [spec])
    assert result.rotated == 1 and result.per_field == {"accounts_user.email": 1}
    settings.SECRET_ENCRYPTION_OLD_KEYS = []
    assert spec.open(User.objects.get(pk=user.pk)) == "hidden"
