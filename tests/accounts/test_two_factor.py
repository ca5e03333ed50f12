"""Two-factor login: set-up, the login's second step, replay, recovery codes, turning off."""

import time

import pyotp
import pytest
from django.test import Client

from accounts import two_factor
from accounts.models import RecoveryCode, TwoFactor
from homeportal import crypto
from sessions_admin.models import AuditEntry, LoginRecord, UserSession
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def enable(user) -> tuple[pyotp.TOTP, list[str]]:
    pending = two_factor.start_setup(user)
    totp = pyotp.TOTP(two_factor.secret(pending))
    codes = two_factor.confirm(pending, totp.at(time.time() - 30))
    assert codes is not None
    return totp, codes


def password_step(client: Client, username: str = "mia", **extra):
    return client.post("/accounts/login/", {"username": username, "password": PASSWORD, **extra})


def test_setup_through_the_pages(people, login):
    client = login(people.member)
    assert b"Set up two-factor login" in client.get("/accounts/2fa/").content
    client.post("/accounts/2fa/setup/", {"action": "start"})
    page = client.get("/accounts/2fa/").content.decode()
    assert "<svg" in page and "Turn on" in page
    pending = TwoFactor.objects.get(user=people.member)
    assert not pending.confirmed
    assert two_factor.secret(pending) not in pending.encrypted_secret  # sealed at rest
    totp = pyotp.TOTP(two_factor.secret(pending))
    wrong = client.post("/accounts/2fa/setup/", {"action": "confirm", "code": "123456"})
    assert wrong.status_code == 302 and not two_factor.is_enabled(people.member)
    response = client.post("/accounts/2fa/setup/", {"action": "confirm", "code": totp.now()})
    assert response.status_code == 200
    assert response.content.decode().count("<code>") == 10
    assert two_factor.is_enabled(people.member)
    assert AuditEntry.objects.filter(action="user.2fa_enabled").exists()


def test_login_needs_the_second_factor(people):
    totp, _ = enable(people.member)
    client = Client()
    response = password_step(client, next="/accounts/2fa/")
    assert response["Location"] == "/accounts/2fa/verify/"
    assert client.get("/").status_code == 302  # not logged in after the password alone
    assert not UserSession.objects.filter(user=people.member).exists()
    bad = client.post("/accounts/2fa/verify/", {"code": "000000"})
    assert bad.status_code == 400 and b"That code is not valid" in bad.content
    good = client.post("/accounts/2fa/verify/", {"code": totp.now()})
    assert good["Location"] == "/accounts/2fa/"
    assert client.get("/").status_code == 200
    assert LoginRecord.objects.filter(reason="wrong second factor").count() == 1


def test_a_code_cannot_be_used_twice(people):
    totp, _ = enable(people.member)
    code = totp.now()
    first = Client()
    password_step(first)
    assert first.post("/accounts/2fa/verify/", {"code": code}).status_code == 302
    second = Client()
    password_step(second)
    replay = second.post("/accounts/2fa/verify/", {"code": code})
    assert replay.status_code == 400
    assert second.get("/").status_code == 302


def test_recovery_code_works_once(people):
    _, codes = enable(people.member)
    client = Client()
    password_step(client)
    assert client.post("/accounts/2fa/verify/", {"code": codes[0].upper()}).status_code == 302
    again = Client()
    password_step(again)
    assert again.post("/accounts/2fa/verify/", {"code": codes[0]}).status_code == 400
    assert two_factor.remaining_recovery_codes(people.member) == 9
    stored = RecoveryCode.objects.filter(user=people.member).values_list("code_hash", flat=True)
    assert not any(code.replace("-", "") in h for code in codes for h in stored)


def test_pending_login_expires(people, monkeypatch):
    totp, _ = enable(people.member)
    client = Client()
    password_step(client)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 301)
    response = client.post("/accounts/2fa/verify/", {"code": totp.now()})
    assert response["Location"] == "/accounts/login/"
    monkeypatch.setattr(time, "time", real)
    assert client.get("/").status_code == 302


def test_wrong_codes_are_throttled(people, settings):
    settings.AUTH_THROTTLE_ACCOUNT_ATTEMPTS = 3
    totp, _ = enable(people.member)
    client = Client()
    password_step(client)
    for _ in range(3):
        client.post("/accounts/2fa/verify/", {"code": "000000"})
    locked = client.post("/accounts/2fa/verify/", {"code": totp.now()})
    assert b"Too many failed attempts" in locked.content
    assert client.get("/").status_code == 302


def test_verify_without_a_password_step_leads_to_login(people):
    response = Client().post("/accounts/2fa/verify/", {"code": "123456"})
    assert response["Location"] == "/accounts/login/"


def test_turning_off_needs_password_and_code(people, login):
    totp, _ = enable(people.member)
    client = login(people.member)
    client.post("/accounts/2fa/disable/", {"password": "wrong", "code": totp.now()})
    assert two_factor.is_enabled(people.member)
    client.post("/accounts/2fa/disable/", {"password": PASSWORD, "code": "000000"})
    assert two_factor.is_enabled(people.member)
    client.post("/accounts/2fa/disable/", {"password": PASSWORD, "code": totp.now()})
    assert not two_factor.is_enabled(people.member)
    assert not RecoveryCode.objects.filter(user=people.member).exists()


def test_renewing_recovery_codes_replaces_the_old_ones(people, login):
    totp, old = enable(people.member)
    response = login(people.member).post("/accounts/2fa/recovery-codes/", {"code": totp.now()})
    assert response.status_code == 200
    assert not two_factor.use_recovery_code(people.member, old[1])
    assert two_factor.remaining_recovery_codes(people.member) == 10


def test_secrets_are_bound_to_their_purpose_and_key(settings):
    sealed = crypto.encrypt("JBSWY3DPEHPK3PXP", "accounts.TwoFactor.secret")
    assert crypto.decrypt(sealed, "accounts.TwoFactor.secret") == "JBSWY3DPEHPK3PXP"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(sealed, "integrations.secret")
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tampered, "accounts.TwoFactor.secret")
    old_key = settings.SECRET_ENCRYPTION_KEY
    settings.SECRET_ENCRYPTION_KEY = bytes(32)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(sealed, "accounts.TwoFactor.secret")
    settings.SECRET_ENCRYPTION_OLD_KEYS = [old_key]  # rotation: the old key still reads
    assert crypto.decrypt(sealed, "accounts.TwoFactor.secret") == "JBSWY3DPEHPK3PXP"
    assert crypto.needs_rotation(sealed)


def test_reset_password_can_turn_off_two_factor_for_a_lost_phone(people):
    from io import StringIO

    from django.core.management import call_command

    enable(people.member)
    call_command("reset_password", "-u", "mia", "--generate", stdout=StringIO())
    assert two_factor.is_enabled(people.member)  # a password reset alone keeps 2FA
    out = StringIO()
    call_command("reset_password", "-u", "mia", "--generate", "--disable-2fa", stdout=out)
    assert "Two-factor login of “mia” is off" in out.getvalue()
    assert not two_factor.is_enabled(people.member)
    entry = AuditEntry.objects.filter(action="user.password_reset").latest("id")
    assert entry.details["two_factor_disabled"] is True


def test_single_sign_on_users_are_sent_to_their_provider(people, login):
    people.outsider.provider = "oidc"
    people.outsider.save()
    client = login(people.outsider)
    assert b"it decides which second factor" in client.get("/accounts/2fa/").content
    client.post("/accounts/2fa/setup/", {"action": "start"})
    assert not TwoFactor.objects.filter(user=people.outsider).exists()


def test_setup_offers_a_phone_link_and_speaks_of_recovery_codes_only_as_what_comes(people, login):
    client = login(people.member)
    client.post("/accounts/2fa/setup/", {"action": "start"})
    page = client.get("/accounts/2fa/").content.decode()
    secret = two_factor.secret(TwoFactor.objects.get(user=people.member))
    assert f'href="otpauth://totp/homeportal:mia?secret={secret}' in page
    assert "or one of your recovery codes" not in page
    assert "The 6 digits your authenticator app shows now." in page
    assert "Once it is on, you get ten recovery codes" in page
