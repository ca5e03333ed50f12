"""Reverse-proxy header login, in-process: who is trusted, which headers are read, how the
session follows the headers, and start-up refusals. The same rules through a real nginx, from
a second loopback address and through gunicorn are in test_proxy_servers.py."""

import ipaddress
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from accounts.models import ExternalIdentity, User
from groups import rules
from groups.models import Membership
from homeportal.proxy_presets import PROXY_PRESETS
from sessions_admin.models import LoginRecord, UserSession
from tests.accounts.conftest import enable
from tests.conftest import PASSWORD, cache_operations, make_group, make_user

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
PROXY = "10.0.0.2"  # the trusted reverse proxy's address
STRANGER = "10.0.0.99"


def use_proxy(settings, preset="authelia", create=True, networks=(f"{PROXY}/32",)):
    enable(settings, "credentials", "proxy")
    settings.AUTH_PROXY_TRUSTED_NETWORKS = [ipaddress.ip_network(n) for n in networks]
    headers = PROXY_PRESETS[preset]
    settings.AUTH_PROXY_USER_HEADER = headers["user"]
    settings.AUTH_PROXY_EMAIL_HEADER = headers["email"]
    settings.AUTH_PROXY_NAME_HEADER = headers["name"]
    settings.AUTH_PROXY_GROUPS_HEADER = headers["groups"]
    settings.AUTH_PROXY_ID_HEADER = headers["id"]
    settings.AUTH_PROXY_GROUPS_SEPARATOR = headers["separator"]
    settings.AUTH_PROXY_CREATE_USERS = create


@pytest.fixture
def proxy_on(settings, owner):
    use_proxy(settings)
    return settings


def via(address=PROXY) -> Client:
    return Client(REMOTE_ADDR=address)


def alice(**extra) -> dict[str, str]:
    return {
        "Remote-User": "Alice", "Remote-Email": "alice@example.org",
        "Remote-Name": "Alice Anderson", "Remote-Groups": "admins,family", **extra,
    }  # fmt: skip


def user_of(response):
    user = response.wsgi_request.user
    return user if user.is_authenticated else None


# --- who is believed -------------------------------------------------------------------------


def test_header_from_the_trusted_proxy_logs_in(proxy_on):
    response = via().get("/", headers=alice())
    assert response.status_code == 200
    user = user_of(response)
    assert (user.username, user.provider) == ("alice", "proxy")
    assert (user.email, user.display_name) == ("alice@example.org", "Alice Anderson")
    assert not user.has_usable_password()
    identity = ExternalIdentity.objects.get(user=user)
    assert (identity.issuer, identity.subject) == ("remote-user", "alice")
    assert UserSession.objects.get(user=user).provider == "proxy"
    assert LoginRecord.objects.get(user=user).provider == "proxy"


def test_header_from_any_other_address_is_removed_before_anything_reads_it(proxy_on):
    response = via(STRANGER).get("/", headers=alice())
    assert response.status_code == 302 and user_of(response) is None
    assert "HTTP_REMOTE_USER" not in response.wsgi_request.META
    assert "HTTP_REMOTE_GROUPS" not in response.wsgi_request.META
    assert not User.objects.filter(provider="proxy").exists()


def test_x_forwarded_for_never_makes_a_peer_trusted(proxy_on):
    proxy_on.TRUSTED_PROXIES = [ipaddress.ip_network(f"{STRANGER}/32")]
    forged = {**alice(), "X-Forwarded-For": PROXY}
    response = via(STRANGER).get("/", headers=forged)
    assert user_of(response) is None


@pytest.mark.parametrize("preset", ["authelia", "authentik", "generic"])
def test_identity_headers_are_removed_even_with_the_proxy_provider_off(settings, owner, preset):
    enable(settings, "credentials")
    names = {v for k, v in PROXY_PRESETS[preset].items() if v and k != "separator"}
    response = via().get("/accounts/login/", headers=dict.fromkeys(names, "mallory"))
    meta = response.wsgi_request.META
    assert not [n for n in names if "HTTP_" + n.upper().replace("-", "_") in meta]
    assert user_of(response) is None


def test_ipv4_mapped_address_of_the_proxy_is_trusted(proxy_on):
    assert user_of(via(f"::ffff:{PROXY}").get("/", headers=alice())).username == "alice"


# --- accounts --------------------------------------------------------------------------------


def test_unknown_users_are_not_created_unless_asked(proxy_on):
    proxy_on.AUTH_PROXY_CREATE_USERS = False
    client = via()
    response = client.get("/accounts/login/", headers=alice())
    assert user_of(response) is None
    assert "accounts are not created automatically" in response.content.decode()
    assert "“alice”" in response.content.decode()
    client.get("/accounts/login/", headers=alice())  # asked again: recorded once
    assert LoginRecord.objects.filter(success=False, provider="proxy").count() == 1
    # An admin creates the account for the proxy: the header logs it in.
    User.objects.create_user("alice", None, provider="proxy")
    assert user_of(via().get("/", headers=alice())).username == "alice"


def test_created_users_land_in_no_group_but_everyone(proxy_on):
    make_group("family")
    response = via().get("/", headers=alice(**{"Remote-Groups": ""}))
    assert not Membership.objects.filter(user=user_of(response)).exists()


def test_proxy_login_never_takes_over_a_local_account(proxy_on):
    local = make_user("alice")
    response = via().get("/accounts/login/", headers=alice())
    assert user_of(response) is None
    assert "but that name belongs to another account" in response.content.decode()
    local.refresh_from_db()
    assert local.provider == "credentials" and not ExternalIdentity.objects.exists()


def test_disabled_proxy_user_is_refused(proxy_on):
    client = via()
    user = user_of(client.get("/", headers=alice()))
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = client.get("/accounts/login/", headers=alice())
    assert user_of(response) is None
    assert "Your homeportal account is disabled" in response.content.decode()


def test_nobody_is_logged_in_by_a_header_before_onboarding(settings, db):
    use_proxy(settings)
    response = via().get("/", headers=alice())
    assert response["Location"] == "/onboarding/"
    assert not User.objects.exists()


def test_a_proxy_sessions_pages_ask_the_shared_cache_nothing(proxy_on):
    """The proxy's headers come with every request; someone it vouches for, signed in
    already, costs no round trip to a shared cache (the onboarding flag was one)."""
    client = via()
    client.get("/boards/", headers=alice())
    with cache_operations() as asked:
        response = client.get("/boards/", headers=alice())
    assert response.status_code == 200 and user_of(response).username == "alice"
    assert asked == []


# --- the session follows the header ----------------------------------------------------------


def test_session_switches_when_the_header_names_someone_else(proxy_on):
    client = via()
    first = user_of(client.get("/", headers=alice()))
    second = user_of(client.get("/", headers={"Remote-User": "bob"}))
    assert (first.username, second.username) == ("alice", "bob")
    assert user_of(client.get("/", headers={"Remote-User": "bob"})) == second
    assert UserSession.objects.filter(user=first).count() == 0  # alice's session is gone


def test_proxy_session_ends_when_the_header_disappears(proxy_on):
    client = via()
    assert user_of(client.get("/", headers=alice())) is not None
    response = client.get("/")
    assert response.status_code == 302 and user_of(response) is None
    assert not UserSession.objects.filter(provider="proxy").exists()


def test_password_session_survives_without_the_header_and_yields_to_it(proxy_on):
    make_user("lena")
    client = via()
    assert (
        client.post("/accounts/login/", {"username": "lena", "password": PASSWORD}).status_code
        == 302
    )
    assert user_of(client.get("/")).username == "lena"  # no header: left alone
    assert user_of(client.get("/", headers=alice())).username == "alice"  # header: switches


def test_logout_goes_to_the_logout_redirect_url(proxy_on):
    proxy_on.AUTH_LOGOUT_REDIRECT_URL = "https://auth.example.org/logout"
    client = via()
    client.get("/", headers=alice())
    response = client.post("/accounts/logout/", headers=alice())
    assert response["Location"] == "https://auth.example.org/logout"


def test_proxy_only_login_page_explains_itself(proxy_on):
    enable(proxy_on, "proxy")
    page = via(STRANGER).get("/accounts/login/").content.decode()
    assert "logs you in through the reverse proxy" in page and 'name="password"' not in page
    assert (
        via(STRANGER).post("/accounts/login/", {"username": "a", "password": "b"}).status_code
        == 405
    )


# --- presets and groups ----------------------------------------------------------------------


def test_authelia_groups_are_mirrored_and_follow_the_header(proxy_on):
    admins = make_group("home-admins", "admin")
    admins.external_names = ["Admins"]
    admins.save()
    family = make_group("family-group")
    family.external_names = ["FAMILY"]
    family.save()
    client = via()
    user = user_of(client.get("/", headers=alice()))
    memberships = Membership.objects.filter(user=user)
    assert dict(memberships.values_list("group__name", "managed_by")) == {
        "home-admins": "proxy", "family-group": "proxy",
    }  # fmt: skip
    with pytest.raises(rules.RuleError, match="comes from the reverse proxy"):
        rules.remove_member(admins, user, actor=rules.system("tests"))
    # Same session, the proxy now says only "family": mirrored on that request.
    response = client.get("/", headers=alice(**{"Remote-Groups": "family"}))
    assert user_of(response) == user
    assert set(memberships.values_list("group__name", flat=True)) == {"family-group"}
    assert not response.wsgi_request.grants.is_admin


def test_authentik_preset_keys_people_by_uid_and_splits_groups_on_pipes(settings, owner):
    use_proxy(settings, "authentik")
    family = make_group("family-group")
    family.external_names = ["fam,ily"]  # a comma is part of an authentik group's name
    family.save()
    headers = {
        "X-authentik-username": "alice", "X-authentik-email": "alice@example.org",
        "X-authentik-name": "Alice A.", "X-authentik-groups": "fam,ily|admins",
        "X-authentik-uid": "7f3c1d",
    }  # fmt: skip
    user = user_of(via().get("/", headers=headers))
    assert ExternalIdentity.objects.get(user=user).subject == "7f3c1d"
    assert Membership.objects.get(user=user).group == family
    renamed = user_of(via().get("/", headers={**headers, "X-authentik-username": "alice2"}))
    assert renamed == user and renamed.username == "alice"  # same uid: same account


def test_headers_and_separator_can_be_overridden(settings, owner):
    use_proxy(settings, "generic")
    settings.AUTH_PROXY_USER_HEADER = "X-Auth-Request-User"
    settings.AUTH_PROXY_GROUPS_HEADER = "X-Auth-Request-Groups"
    settings.AUTH_PROXY_GROUPS_SEPARATOR = ";"
    group = make_group("media-group")
    group.external_names = ["media"]
    group.save()
    response = via().get(
        "/", headers={"X-Auth-Request-User": "carol", "X-Auth-Request-Groups": "x;media"}
    )
    assert user_of(response).username == "carol"
    assert Membership.objects.get(user=user_of(response)).group == group
    # The preset's own header is no longer read.
    assert user_of(via().get("/", headers={"X-Forwarded-User": "dave"})) is None


# --- start-up --------------------------------------------------------------------------------


def run_settings(**variables) -> subprocess.CompletedProcess:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "AUTH_"))
    }
    environment.update(DJANGO_SETTINGS_MODULE="homeportal.settings", **variables)
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.AUTHENTICATION_BACKENDS, s.SECURE_CSP['form-action'])"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip


def test_start_up_is_refused_without_trusted_networks(tmp_path):
    result = run_settings(DATA_DIR=str(tmp_path), AUTH_PROVIDERS="credentials,proxy")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "AUTH_PROXY_TRUSTED_NETWORKS must name the reverse proxy's addresses" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("AUTH_PROXY_TRUSTED_NETWORKS", "0.0.0.0/0", "trusts every address"),
        ("AUTH_PROXY_TRUSTED_NETWORKS", "proxy.local", "AUTH_PROXY_TRUSTED_NETWORKS"),
        ("AUTH_PROXY_USER_HEADER", "Remote_User", "an underscore cannot be told apart"),
        ("AUTH_PROXY_PRESET", "traefik", "AUTH_PROXY_PRESET"),
    ],
)
def test_unsafe_proxy_settings_are_refused(tmp_path, variable, value, message):
    variables = {"AUTH_PROXY_TRUSTED_NETWORKS": "172.18.0.2/32", variable: value}
    result = run_settings(DATA_DIR=str(tmp_path), AUTH_PROVIDERS="credentials,proxy", **variables)
    assert result.returncode != 0 and message in result.stderr


def test_proxy_with_trusted_networks_starts(tmp_path):
    result = run_settings(
        DATA_DIR=str(tmp_path),
        AUTH_PROVIDERS="proxy,credentials",
        AUTH_PROXY_TRUSTED_NETWORKS="172.18.0.2/32",
        AUTH_LOGOUT_REDIRECT_URL="https://auth.example.org/logout",
    )
    assert result.returncode == 0, result.stderr
    assert "accounts.backends.CredentialsBackend', 'accounts.providers.proxy.ProxyBackend'" in (
        result.stdout
    )
    assert "'https://auth.example.org'" in result.stdout  # CSP form-action allows the logout


# --- what a trusted address must also show ---------------------------------------------------

SECRET = "a-long-shared-secret-0123456789"


def test_with_a_shared_secret_headers_without_it_log_nobody_in(proxy_on):
    proxy_on.AUTH_PROXY_SECRET = SECRET
    proxy_on.AUTH_PROXY_SECRET_HEADER = "X-Proxy-Secret"
    missing = via().get("/", headers=alice())
    wrong = via().get("/", headers=alice(**{"X-Proxy-Secret": SECRET[:-1] + "x"}))
    assert user_of(missing) is None and user_of(wrong) is None
    assert "HTTP_REMOTE_USER" not in wrong.wsgi_request.META
    assert not User.objects.filter(provider="proxy").exists()
    right = via().get("/", headers=alice(**{"X-Proxy-Secret": SECRET}))
    assert user_of(right).username == "alice"
    # The secret itself never reaches a view (nor a log or an error report).
    assert "HTTP_X_PROXY_SECRET" not in right.wsgi_request.META


def test_the_shared_secret_does_not_make_another_address_trusted(proxy_on):
    proxy_on.AUTH_PROXY_SECRET = SECRET
    response = via(STRANGER).get("/", headers=alice(**{"X-Homeportal-Proxy-Secret": SECRET}))
    assert user_of(response) is None


def test_an_identity_header_sent_twice_logs_nobody_in(proxy_on):
    # What the WSGI server makes of `Remote-User: mallory` followed by `Remote-User: alice`.
    client = via()
    response = client.get("/accounts/login/", headers=alice(**{"Remote-User": "mallory,alice"}))
    assert user_of(response) is None
    assert "sent who you are twice" in response.content.decode()
    assert not User.objects.filter(provider="proxy").exists()
    client.get("/accounts/login/", headers=alice(**{"Remote-User": "mallory,alice"}))
    record = LoginRecord.objects.get(success=False, provider="proxy")  # recorded once
    assert record.reason == "Remote-User header sent more than once"


def test_an_identity_header_sent_twice_ends_the_proxy_session(proxy_on):
    client = via()
    assert user_of(client.get("/", headers=alice())).username == "alice"
    response = client.get("/", headers=alice(**{"Remote-User": "alice, mallory"}))
    assert user_of(response) is None
    assert not UserSession.objects.filter(user__username="alice").exists()


def test_an_id_header_sent_twice_logs_nobody_in(settings, owner):
    use_proxy(settings, preset="authentik")
    headers = {"X-authentik-username": "alice", "X-authentik-uid": "uid-1,uid-2"}
    assert user_of(via().get("/", headers=headers)) is None
    assert user_of(via().get("/", headers={**headers, "X-authentik-uid": "uid-1"})) is not None


def test_trusted_networks_written_as_ipv4_mapped_match_the_ipv4_peer(settings, owner):
    from homeportal.env import env_networks

    os.environ["HP_TEST_NETWORKS"] = f"::ffff:{PROXY}"
    try:
        networks = env_networks("HP_TEST_NETWORKS")
    finally:
        del os.environ["HP_TEST_NETWORKS"]
    use_proxy(settings, networks=())
    settings.AUTH_PROXY_TRUSTED_NETWORKS = networks
    assert user_of(via(PROXY).get("/", headers=alice())).username == "alice"
