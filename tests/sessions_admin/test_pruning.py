"""Pruning: sessions carry their real expiry, and expired sessions, old login history, ended
links and old audit entries are deleted (by the `prune` command and after logins), while
everything still live or recent is kept."""

import secrets
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.providers import oidc
from invites.models import Invite, InviteRedemption, PasswordResetLink
from sessions_admin import pruning
from sessions_admin.models import AuditEntry, LoginRecord, UserSession
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def post_login(client: Client, username: str = "mia", **extra):
    return client.post("/accounts/login/", {"username": username, "password": PASSWORD, **extra})


def ago(delta: timedelta):
    return timezone.now() - delta


def test_a_session_without_remember_me_stores_the_idle_expiry_not_thirty_days(people, settings):
    post_login(Client())
    row = UserSession.objects.get(user=people.member)
    idle = timedelta(seconds=settings.AUTH_SESSION_IDLE_TIME)
    assert timezone.now() + idle - timedelta(minutes=1) < row.expire_date <= timezone.now() + idle


def test_a_remembered_session_stores_the_long_expiry(people, settings):
    post_login(Client(), remember="on")
    row = UserSession.objects.get(user=people.member)
    expiry = timedelta(seconds=settings.AUTH_SESSION_EXPIRY_TIME)
    assert row.expire_date > timezone.now() + expiry - timedelta(minutes=1)


def test_an_idle_session_row_is_no_longer_read_and_is_pruned(people, settings):
    client = Client()
    post_login(client)
    UserSession.objects.filter(user=people.member).update(expire_date=ago(timedelta(seconds=1)))
    assert client.get("/").status_code == 302  # the row's expiry ends the session by itself
    assert pruning.prune()["sessions"] == 1
    assert not UserSession.objects.filter(user=people.member).exists()


def test_prune_deletes_expired_sessions_anonymous_ones_too_and_keeps_live_ones(people):
    live, remembered = Client(), Client()
    post_login(live)
    post_login(remembered, "otto", remember="on")
    # An anonymous session: a sign-in waiting for its second factor (or an OIDC sign-in).
    waiting = Client()
    waiting.get("/accounts/login/")
    session = waiting.session
    session["oidc_states"] = {"x": {"nonce": "n", "added_on": time.time()}}
    session.save()
    anonymous = UserSession.objects.get(user=None)
    UserSession.objects.filter(pk=anonymous.pk).update(expire_date=ago(DAY))
    assert pruning.prune()["sessions"] == 1
    assert not UserSession.objects.filter(pk=anonymous.pk).exists()
    assert UserSession.objects.filter(user__in=[people.member, people.outsider]).count() == 2
    assert live.get("/").status_code == 200 and remembered.get("/").status_code == 200


def test_prune_keeps_login_history_for_its_retention(people, settings):
    settings.LOGIN_HISTORY_RETENTION = 30 * 86400
    old = LoginRecord.objects.create(username="mia", success=False, created=ago(31 * DAY))
    recent = LoginRecord.objects.create(username="mia", success=True, created=ago(29 * DAY))
    assert pruning.prune()["login records"] == 1
    assert not LoginRecord.objects.filter(pk=old.pk).exists()
    assert LoginRecord.objects.filter(pk=recent.pk).exists()


def test_prune_keeps_audit_entries_for_their_retention(people, settings):
    settings.AUDIT_RETENTION = 365 * 86400
    old = AuditEntry.objects.create(action="user.created", created=ago(366 * DAY))
    recent = AuditEntry.objects.create(action="user.created", created=ago(364 * DAY))
    assert pruning.prune()["audit entries"] == 1
    assert not AuditEntry.objects.filter(pk=old.pk).exists()
    assert AuditEntry.objects.filter(pk=recent.pk).exists()


def make_link(user, **fields) -> PasswordResetLink:
    fields.setdefault("expires_at", timezone.now() + DAY)
    return PasswordResetLink.objects.create(user=user, token_hash=secrets.token_hex(32), **fields)


def test_prune_deletes_reset_links_that_ended_before_the_retention(people, settings):
    settings.LOGIN_HISTORY_RETENTION = 90 * 86400
    long_ago = ago(91 * DAY)
    gone = [
        make_link(people.member, used_at=long_ago),
        make_link(people.member, revoked_at=long_ago),
        make_link(people.member, expires_at=long_ago),
    ]
    kept = [
        make_link(people.member),  # still usable
        make_link(people.member, used_at=ago(DAY)),  # used recently
        make_link(people.member, expires_at=ago(DAY)),  # expired recently
    ]
    assert pruning.prune()["reset links"] == 3
    remaining = set(PasswordResetLink.objects.values_list("pk", flat=True))
    assert remaining == {link.pk for link in kept}
    assert not remaining & {link.pk for link in gone}


def make_invite(**fields) -> Invite:
    return Invite.objects.create(token_hash=secrets.token_hex(32), **fields)


def test_prune_deletes_invites_that_ended_before_the_retention(people, settings):
    settings.LOGIN_HISTORY_RETENTION = 90 * 86400
    long_ago = ago(91 * DAY)
    used_up = make_invite(max_uses=1, created=ago(100 * DAY))
    Invite.objects.filter(pk=used_up.pk).update(uses=1)
    InviteRedemption.objects.create(invite=used_up, username="nina", created=long_ago)
    gone = [used_up, make_invite(revoked_at=long_ago), make_invite(expires_at=long_ago)]
    used_up_lately = make_invite(max_uses=1, created=ago(100 * DAY))
    Invite.objects.filter(pk=used_up_lately.pk).update(uses=1)
    InviteRedemption.objects.create(invite=used_up_lately, username="nora", created=ago(DAY))
    kept = [
        make_invite(created=ago(200 * DAY), max_uses=None, expires_at=None),  # never ends
        make_invite(expires_at=timezone.now() + DAY),
        make_invite(revoked_at=ago(DAY)),
        used_up_lately,
    ]
    assert pruning.prune()["invites"] == 3
    remaining = set(Invite.objects.values_list("pk", flat=True))
    assert remaining == {invite.pk for invite in kept}
    assert not remaining & {invite.pk for invite in gone}
    assert not InviteRedemption.objects.filter(username="nina").exists()
    assert InviteRedemption.objects.filter(username="nora").exists()


def test_the_prune_command_reports_what_it_deleted_and_kept(people, settings):
    settings.LOGIN_HISTORY_RETENTION = 90 * 86400
    LoginRecord.objects.create(username="mia", success=True, created=ago(100 * DAY))
    out = StringIO()
    call_command("prune", stdout=out)
    assert "login records: 1 deleted" in out.getvalue()
    assert "login history of the last 90 days" in out.getvalue()
    assert "audit log of the last 365 days" in out.getvalue()
    assert not LoginRecord.objects.exists()


def test_a_login_prunes_at_most_once_an_hour(people, monkeypatch):
    monkeypatch.setattr(pruning, "_last_run", None)
    first = LoginRecord.objects.create(username="x", success=False, created=ago(400 * DAY))
    post_login(Client())
    assert not LoginRecord.objects.filter(pk=first.pk).exists()
    second = LoginRecord.objects.create(username="x", success=False, created=ago(400 * DAY))
    post_login(Client(), "otto")
    assert LoginRecord.objects.filter(pk=second.pk).exists()  # within the hour: not again
    # Another process (its own clock) sharing the cache does not prune within the hour either.
    monkeypatch.setattr(pruning, "_last_run", None)
    post_login(Client(), "uma")
    assert LoginRecord.objects.filter(pk=second.pk).exists()


def test_stale_oidc_states_are_dropped_from_the_session():
    now = time.time()
    states = {
        "fresh": {"nonce": "a", "added_on": now - 60},
        "stale": {"nonce": "b", "added_on": now - oidc.STATE_LIFETIME - 1},
        "broken": "not a flow",
    }
    assert set(oidc.drop_stale_states(states, now)) == {"fresh"}


def test_the_oidc_callback_refuses_a_state_older_than_its_lifetime(people, settings):
    from tests.accounts.conftest import enable

    enable(settings, "credentials", "oidc")
    settings.AUTH_OIDC_ISSUER = "http://127.0.0.1:9/"
    settings.AUTH_OIDC_CLIENT_ID = "homeportal"
    client = Client()
    client.get("/accounts/login/?local=1")
    session = client.session
    added = time.time() - oidc.STATE_LIFETIME - 5
    session["oidc_states"] = {"old": {"nonce": "n", "code_verifier": "v", "added_on": added}}
    session.save()
    response = client.get("/accounts/oidc/callback/?state=old&code=c", follow=True)
    assert response.status_code == 200
    assert "This sign-in link is not valid" in response.content.decode()
