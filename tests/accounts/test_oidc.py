"""OpenID Connect login against a real OpenID provider (panva's oidc-provider, run by
tests/services/oidc_provider.py): the code flow with PKCE through homeportal's own views,
ID-token checks, groups, logout at the provider, auto-login, session refresh and failures.

homeportal runs in-process (Django's test client, host `testserver`); the provider is a real
HTTP server that homeportal's backend talks to for discovery, tokens, keys and userinfo.
"""

import dataclasses
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import SuspiciousOperation
from django.test import Client
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from accounts.models import ExternalIdentity, User
from accounts.providers import oidc
from groups.models import Membership
from sessions_admin.models import LoginRecord, UserSession
from tests.accounts.conftest import enable
from tests.conftest import PASSWORD, cache_operations, make_group, make_user
from tests.services.oidc_provider import (
    ALICE,
    BOB,
    CAROL,
    OidcClient,
    OidcLoginError,
    OidcProvider,
    OidcUserAgent,
    authorization_url,
    exchange_code,
    node_available,
    pkce_pair,
)

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db,
    pytest.mark.skipif(not node_available(), reason="node and npm are needed"),
]

SITE = "http://testserver"
CALLBACK = f"{SITE}/accounts/oidc/callback/"
AFTER_LOGOUT = f"{SITE}/accounts/login/"
BYE = "https://home.example.org/bye/"
HOMEPORTAL = OidcClient(
    "homeportal",
    secrets.token_urlsafe(24) + "+/%&",  # characters Basic auth must form-encode first
    (CALLBACK,),
    (AFTER_LOGOUT, BYE),
    token_endpoint_auth_method="client_secret_basic",
)
HOMEPORTAL_POST = OidcClient("homeportal-post", secrets.token_urlsafe(24), (CALLBACK,))
OTHER = OidcClient("other-app", secrets.token_urlsafe(24), ("http://other.example/cb",))


@pytest.fixture(scope="module")
def provider():
    with OidcProvider([HOMEPORTAL, HOMEPORTAL_POST, OTHER]) as server:
        yield server


@pytest.fixture
def oidc_on(settings, provider, owner):
    # Up again if an earlier test's `provider.down()` could not bring it back: that test
    # fails, the next ones do not fail for it.
    provider.start()
    enable(settings, "credentials", "oidc")
    settings.AUTH_OIDC_ISSUER = provider.issuer
    settings.AUTH_OIDC_CLIENT_ID = HOMEPORTAL.client_id
    settings.AUTH_OIDC_CLIENT_SECRET = HOMEPORTAL.client_secret
    settings.AUTH_OIDC_CLIENT_NAME = "Test SSO"
    settings.AUTH_OIDC_TOKEN_ENDPOINT_AUTH_METHOD = "client_secret_basic"
    settings.AUTH_OIDC_AUTO_LOGIN = False
    return settings


def start(client, query: str = "") -> str:
    """GET homeportal's SSO link; the provider's authorization URL it redirects to."""
    response = client.get("/accounts/oidc/login/" + query)
    assert response.status_code == 302, response.content
    return response["Location"]


def sign_in(client, provider, account=ALICE, password=None, agent=None, query=""):
    """The whole round trip; homeportal's answer to the callback."""
    agent = agent or OidcUserAgent(provider.issuer)
    callback = agent.login(start(client, query), account.username, password or account.password)
    assert callback.startswith(CALLBACK + "?"), callback
    return client.get(local(callback))


def local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def user_of(client):
    user = client.get("/").wsgi_request.user
    return user if user.is_authenticated else None


def messages_on_login_page(client) -> str:
    return client.get("/accounts/login/?local=1").content.decode()


# --- the code flow ---------------------------------------------------------------------------


def test_oidc_code_flow_with_pkce_logs_in(oidc_on, provider):
    client = Client()
    auth_url = start(client, "?next=/settings/")
    params = {k: v[0] for k, v in parse_qs(urlsplit(auth_url).query).items()}
    assert auth_url.startswith(provider.metadata["authorization_endpoint"] + "?")
    assert params["response_type"] == "code"
    assert params["client_id"] == "homeportal"
    assert params["redirect_uri"] == CALLBACK
    assert params["scope"] == "openid email profile groups"
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert params["state"] and params["nonce"]

    callback = OidcUserAgent(provider.issuer).login(auth_url, ALICE.username, ALICE.password)
    response = client.get(local(callback))

    assert response.status_code == 302 and response["Location"] == "/settings/"
    alice = user_of(client)
    assert alice.username == "alice" and alice.provider == "oidc"
    assert alice.email == ALICE.email and alice.display_name == ALICE.name
    assert not alice.has_usable_password()
    identity = ExternalIdentity.objects.get(user=alice)
    assert (identity.provider, identity.issuer, identity.subject) == (
        "oidc", provider.issuer, ALICE.sub,
    )  # fmt: skip
    session = UserSession.objects.get(user=alice)
    assert session.provider == "oidc" and not session.remember
    assert LoginRecord.objects.get(user=alice).success
    assert client.session[oidc.ID_TOKEN].count(".") == 2


def test_oidc_second_login_finds_the_account_by_subject(oidc_on, provider):
    first, second = Client(), Client()
    sign_in(first, provider)
    User.objects.filter(username="alice").update(username="alice-renamed")
    sign_in(second, provider, query="?remember=1")
    assert user_of(second).username == "alice-renamed"
    assert User.objects.filter(provider="oidc").count() == 1
    assert UserSession.objects.filter(remember=True).count() == 1


def test_oidc_client_secret_post(oidc_on, provider):
    oidc_on.AUTH_OIDC_CLIENT_ID = HOMEPORTAL_POST.client_id
    oidc_on.AUTH_OIDC_CLIENT_SECRET = HOMEPORTAL_POST.client_secret
    oidc_on.AUTH_OIDC_TOKEN_ENDPOINT_AUTH_METHOD = "client_secret_post"
    client = Client()
    assert sign_in(client, provider, BOB).status_code == 302
    assert user_of(client).username == "bob"


def test_oidc_groups_claim_is_mapped(oidc_on, provider):
    admins = make_group("home-admins", "admin")
    admins.external_names = ["HomePortal-Admins"]  # the claim says homeportal-admins
    admins.save()
    family = make_group("family")
    family.external_names = ["family"]
    family.save()
    make_group("unmapped")

    alice_client, bob_client, carol_client = Client(), Client(), Client()
    sign_in(alice_client, provider, ALICE)
    sign_in(bob_client, provider, BOB)
    sign_in(carol_client, provider, CAROL)

    def groups(client):
        user = user_of(client)
        return dict(Membership.objects.filter(user=user).values_list("group__name", "managed_by"))

    assert groups(alice_client) == {"home-admins": "oidc", "family": "oidc"}
    assert groups(bob_client) == {"family": "oidc"}
    assert groups(carol_client) == {}
    assert alice_client.get("/").wsgi_request.grants.is_admin

    family.external_names = ["somebody-else"]  # an admin changes the mapping
    family.save()
    sign_in(Client(), provider, BOB)
    assert not Membership.objects.filter(user__username="bob").exists()


def test_oidc_name_attribute_overwrite(oidc_on, provider):
    oidc_on.AUTH_OIDC_NAME_ATTRIBUTE_OVERWRITE = "name"
    client = Client()
    sign_in(client, provider, BOB)
    assert user_of(client).username == "bob-brown"  # "Bob Brown", normalised


# --- refusals and failures -------------------------------------------------------------------


def test_oidc_wrong_password_at_the_provider_logs_nobody_in(oidc_on, provider):
    client = Client()
    with pytest.raises(OidcLoginError, match="Invalid username or password"):
        OidcUserAgent(provider.issuer).login(start(client), ALICE.username, BOB.password)
    assert user_of(client) is None
    assert not User.objects.filter(provider="oidc").exists()


def test_oidc_forged_state_is_refused(oidc_on, provider):
    victim, attacker = Client(), Client()
    start(victim)  # the victim has a sign-in of their own under way
    # The attacker signs in as Bob and hands the victim their callback (login CSRF).
    attackers_callback = OidcUserAgent(provider.issuer).login(
        start(attacker), BOB.username, BOB.password
    )
    response = victim.get(local(attackers_callback))
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?local=1"
    assert user_of(victim) is None
    assert "This sign-in link is not valid" in messages_on_login_page(victim)
    code = parse_qs(urlsplit(attackers_callback).query)["code"][0]
    forged = victim.get(f"/accounts/oidc/callback/?code={code}&state=forged-state")
    assert forged.status_code == 302 and user_of(victim) is None
    assert not User.objects.filter(provider="oidc").exists()
    assert (
        LoginRecord.objects.filter(success=False, reason="unknown state in the callback").count()
        == 2
    )


def test_oidc_callback_cannot_be_replayed(oidc_on, provider):
    client = Client()
    auth_url = start(client)
    callback = local(OidcUserAgent(provider.issuer).login(auth_url, BOB.username, BOB.password))
    assert client.get(callback).status_code == 302
    client.post("/accounts/logout/")
    replay = client.get(callback)
    assert replay["Location"] == "/accounts/login/?local=1" and user_of(client) is None


def test_oidc_id_token_for_another_audience_is_rejected(oidc_on, provider):
    verifier, challenge = pkce_pair()
    nonce = secrets.token_urlsafe(8)
    url = authorization_url(provider, OTHER, state="s", nonce=nonce, code_challenge=challenge)
    code = parse_qs(urlsplit(OidcUserAgent(provider.issuer).login(
        url, ALICE.username, ALICE.password
    )).query)["code"][0]  # fmt: skip
    other_token = exchange_code(provider, OTHER, code, verifier)["id_token"]

    backend = oidc.OIDCBackend()
    with pytest.raises(SuspiciousOperation, match="Audience doesn't match"):
        backend.verify_token(other_token, nonce=nonce)
    # Why homeportal checks it itself: the library's own verification accepts this token.
    key = backend.retrieve_matching_jwk(other_token)
    assert OIDCAuthenticationBackend._verify_jws(backend, other_token, key)["aud"] == "other-app"


def test_oidc_id_token_checks_accept_only_the_right_token(oidc_on, provider):
    """The positive control of the test above, plus a wrong nonce and a tampered token."""
    verifier, challenge = pkce_pair()
    nonce = secrets.token_urlsafe(8)
    url = authorization_url(provider, HOMEPORTAL, state="s", nonce=nonce, code_challenge=challenge)
    query = urlsplit(OidcUserAgent(provider.issuer).login(url, BOB.username, BOB.password)).query
    code = parse_qs(query)["code"][0]
    token = _exchange_basic(provider, code, verifier)["id_token"]
    backend = oidc.OIDCBackend()
    assert backend.verify_token(token, nonce=nonce)["sub"] == BOB.sub
    with pytest.raises(SuspiciousOperation, match="nonce"):
        backend.verify_token(token, nonce="another-sign-in")
    header, payload, signature = token.split(".")
    forged = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    with pytest.raises(SuspiciousOperation, match="Signature verification failed"):
        backend.verify_token(f"{header}.{payload}.{forged}", nonce=nonce)


def _exchange_basic(provider, code, verifier):
    import base64
    import json
    import urllib.parse
    import urllib.request

    credentials = ":".join(
        urllib.parse.quote_plus(v) for v in (HOMEPORTAL.client_id, HOMEPORTAL.client_secret)
    )
    request = urllib.request.Request(
        provider.metadata["token_endpoint"],
        data=urllib.parse.urlencode({
            "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
            "redirect_uri": CALLBACK,
        }).encode(),
        headers={"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_oidc_token_from_another_issuer_is_rejected(oidc_on, provider):
    with OidcProvider([HOMEPORTAL]) as impostor:
        verifier, challenge = pkce_pair()
        url = authorization_url(
            impostor, HOMEPORTAL, state="s", nonce="n", code_challenge=challenge
        )
        query = urlsplit(OidcUserAgent(impostor.issuer).login(url, ALICE.username, ALICE.password))
        token = _exchange_basic(impostor, parse_qs(query.query)["code"][0], verifier)["id_token"]
    with pytest.raises(SuspiciousOperation):
        oidc.OIDCBackend().verify_token(token, nonce="n")


def test_oidc_never_takes_over_a_local_account(oidc_on, provider):
    local_alice = make_user("alice")
    client = Client()
    response = sign_in(client, provider, ALICE)
    assert response["Location"] == "/accounts/login/?local=1"
    assert user_of(client) is None
    page = messages_on_login_page(client)
    assert "but that name belongs to another account" in page
    assert not ExternalIdentity.objects.exists()
    local_alice.refresh_from_db()
    assert local_alice.provider == "credentials"


def test_oidc_creation_of_accounts_can_be_turned_off(oidc_on, provider):
    oidc_on.AUTH_OIDC_CREATE_USERS = False
    client = Client()
    sign_in(client, provider, BOB)
    assert user_of(client) is None
    assert "accounts are not created automatically" in messages_on_login_page(client)
    assert LoginRecord.objects.get(success=False).reason == "no account, and creation is off"
    # An admin prepares the account with Bob's address, which the provider has verified.
    User.objects.create_user("bob-brown", None, provider="oidc", email=BOB.email)
    sign_in(client, provider, BOB)
    assert user_of(client).username == "bob-brown"


def test_oidc_placeholder_is_not_claimed_by_the_preferred_username_alone(oidc_on, provider):
    # An admin prepared "bob" for somebody else's address; Bob at the provider is named bob.
    prepared = User.objects.create_user("bob", None, provider="oidc", email="robert@example.org")
    client = Client()
    sign_in(client, provider, BOB)
    assert user_of(client) is None
    assert "but that name belongs to another account" in messages_on_login_page(client)
    assert not ExternalIdentity.objects.exists()
    prepared.refresh_from_db()
    assert prepared.last_login is None


def test_oidc_provider_down_gives_a_message(oidc_on, provider):
    client = Client()
    with provider.down():
        response = client.get("/accounts/oidc/login/")
        assert response.status_code == 302 and response["Location"] == "/accounts/login/?local=1"
        page = messages_on_login_page(client)
    assert "Test SSO cannot be reached right now" in page
    assert b"Sign in with Test SSO" in client.get("/accounts/login/?local=1").content
    record = LoginRecord.objects.get()
    assert not record.success and "discovery document" in record.reason


def test_oidc_provider_down_during_the_callback_gives_a_message(oidc_on, provider):
    client = Client()
    callback = OidcUserAgent(provider.issuer).login(start(client), BOB.username, BOB.password)
    with provider.down():
        response = client.get(local(callback))
    assert response.status_code == 302 and user_of(client) is None
    assert "cannot be reached right now" in messages_on_login_page(client)


def test_oidc_discovery_is_cached(oidc_on, provider):
    first = oidc.discovery()
    with provider.down():
        assert oidc.discovery() == first  # no request needed


def test_oidc_discovery_of_another_issuer_is_refused(oidc_on, provider):
    oidc_on.AUTH_OIDC_ISSUER = provider.issuer.replace("127.0.0.1", "localhost")
    with pytest.raises(oidc.ProviderUnavailable, match="names the issuer"):
        oidc.discovery()


# --- logout, auto-login, refresh -------------------------------------------------------------


def test_oidc_logout_ends_the_providers_session(oidc_on, provider):
    client, agent = Client(), OidcUserAgent(provider.issuer)
    sign_in(client, provider, BOB, agent=agent)
    id_token = client.session[oidc.ID_TOKEN]

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    end_session = response["Location"]
    assert end_session.startswith(provider.metadata["end_session_endpoint"] + "?")
    params = {k: v[0] for k, v in parse_qs(urlsplit(end_session).query).items()}
    assert params == {
        "id_token_hint": id_token, "post_logout_redirect_uri": AFTER_LOGOUT,
        "client_id": "homeportal",
    }  # fmt: skip
    assert user_of(client) is None
    assert agent.logout(end_session) == AFTER_LOGOUT  # the provider sends the browser back
    with pytest.raises(OidcLoginError):  # and asks for the password again
        sign_in(Client(), provider, BOB, password="wrong", agent=agent)


def test_oidc_logout_then_logout_redirect_url(oidc_on, provider):
    oidc_on.AUTH_LOGOUT_REDIRECT_URL = BYE
    client, agent = Client(), OidcUserAgent(provider.issuer)
    sign_in(client, provider, BOB, agent=agent)
    end_session = client.post("/accounts/logout/")["Location"]
    assert parse_qs(urlsplit(end_session).query)["post_logout_redirect_uri"] == [BYE]
    assert agent.logout(end_session) == BYE


def test_oidc_logout_with_the_provider_down_still_logs_out(oidc_on, provider):
    client = Client()
    sign_in(client, provider, BOB)
    oidc.cache.clear()  # the discovery document is no longer known either
    with provider.down():
        response = client.post("/accounts/logout/")
    assert response["Location"] == "/accounts/login/" and user_of(client) is None


def test_oidc_auto_login_goes_straight_to_the_provider(oidc_on, provider):
    enable(oidc_on, "oidc")
    oidc_on.AUTH_OIDC_AUTO_LOGIN = True
    client = Client()
    response = client.get("/", follow=False)
    assert response["Location"] == "/accounts/login/?next=/"
    response = client.get(response["Location"])
    assert response.status_code == 302 and response["Location"] == "/accounts/oidc/login/?next=%2F"
    auth_url = client.get(response["Location"])["Location"]
    assert auth_url.startswith(provider.metadata["authorization_endpoint"])
    callback = OidcUserAgent(provider.issuer).login(auth_url, BOB.username, BOB.password)
    assert client.get(local(callback))["Location"] == "/"
    assert user_of(client).username == "bob"


def test_oidc_only_login_page_shows_the_button_and_no_password_form(oidc_on):
    enable(oidc_on, "oidc")
    page = Client().get("/accounts/login/?local=1")
    assert b"Sign in with Test SSO" in page.content
    assert b'name="password"' not in page.content
    assert Client().post("/accounts/login/", {"username": "x", "password": "y"}).status_code == 405


def test_login_page_with_credentials_and_oidc_shows_both(oidc_on):
    page = Client().get("/accounts/login/").content
    assert b"Sign in with Test SSO" in page and b'name="password"' in page


def test_oidc_session_refresh_answers_htmx_with_hx_redirect(oidc_on, provider):
    client, agent = Client(), OidcUserAgent(provider.issuer)
    sign_in(client, provider, BOB, agent=agent)
    bob = user_of(client)
    session = client.session
    session[oidc.EXPIRATION] = 0  # the ID token's time is up
    session.save()

    htmx = client.get(
        "/",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/?tab=2"},
    )
    assert htmx.status_code == 200
    refresh = htmx["HX-Redirect"]
    assert refresh.startswith(provider.metadata["authorization_endpoint"] + "?")
    assert parse_qs(urlsplit(refresh).query)["prompt"] == ["none"]
    plain = client.get("/")
    assert plain.status_code == 302 and plain["Location"].startswith(
        provider.metadata["authorization_endpoint"]
    )

    # The provider still knows Bob: it answers at once, and Bob is back on his page.
    callback = agent.login(refresh, BOB.username, "never asked")
    back = client.get(local(callback))
    assert back["Location"] == "/?tab=2"
    assert user_of(client) == bob
    assert UserSession.objects.filter(user=bob).count() == 1  # the same session, refreshed


def test_oidc_session_refresh_ends_the_session_when_the_provider_did(oidc_on, provider):
    client = Client()
    sign_in(client, provider, BOB)
    session = client.session
    session[oidc.EXPIRATION] = 0
    session.save()
    refresh = client.get("/")["Location"]
    # A browser without a session at the provider: prompt=none comes back login_required.
    callback = OidcUserAgent(provider.issuer).login(refresh, BOB.username, "never asked")
    assert parse_qs(urlsplit(callback).query)["error"] == ["login_required"]
    response = client.get(local(callback))
    assert response["Location"] == "/accounts/login/?local=1"
    assert user_of(client) is None
    assert "Your single sign-on session has ended" in messages_on_login_page(client)


def test_password_sessions_are_not_refreshed_at_the_provider(oidc_on, provider):
    make_user("lena")
    client = Client()
    assert (
        client.post("/accounts/login/", {"username": "lena", "password": PASSWORD}).status_code
        == 302
    )
    session = client.session
    session[oidc.EXPIRATION] = 0
    session.save()
    assert client.get("/").status_code == 200


# --- the provider changes its mind mid-session -----------------------------------------------


def test_oidc_silent_refresh_that_takes_admin_away_ends_other_sessions_cleanly(oidc_on, provider):
    admins = make_group("home-admins", "admin")
    admins.external_names = ["homeportal-admins"]
    admins.save()
    this, other, agent = Client(), Client(), OidcUserAgent(provider.issuer)
    sign_in(this, provider, ALICE, agent=agent)
    sign_in(other, provider, ALICE)
    assert this.get("/settings/users/").status_code == 200
    try:
        # Alice leaves the admins at the provider while her browser is open.
        provider.update_account(dataclasses.replace(ALICE, groups=("family",)))
        session = this.session
        session[oidc.EXPIRATION] = 0
        session.save()
        refresh = this.get("/settings/users/")
        assert refresh.status_code == 302  # off to the provider, silently (prompt=none)
        back = this.get(local(agent.login(refresh["Location"], ALICE.username, "never asked")))
    finally:
        provider.update_account(ALICE)

    assert back.status_code == 302 and back["Location"] == "/settings/users/"  # no "Bad request"
    page = this.get("/")
    assert page.status_code == 200 and page.wsgi_request.user.username == "alice"
    assert not page.wsgi_request.grants.is_admin
    assert "so did your rights here" in page.content.decode()
    assert this.get("/settings/users/").status_code in (403, 404)
    assert user_of(other) is None  # her other session ended
    assert UserSession.objects.filter(user__username="alice").count() == 1


# --- endpoints on another origin than the issuer (AWS Cognito) -------------------------------


@pytest.fixture(scope="module")
def split_provider():
    with OidcProvider([HOMEPORTAL], front_host="127.0.0.2") as server:
        yield server


@pytest.fixture
def split_on(oidc_on, split_provider):
    oidc_on.AUTH_OIDC_ISSUER = split_provider.issuer
    return oidc_on


def form_action(response) -> list[str]:
    policy = response["Content-Security-Policy"]
    directive = next(d for d in policy.split(";") if d.strip().startswith("form-action"))
    return directive.split()[1:]


def test_oidc_forms_may_lead_to_endpoints_on_another_origin_than_the_issuer(
    split_on, split_provider
):
    front = split_provider.front_origin
    assert front.startswith("http://127.0.0.2:") and front != split_provider.issuer
    meta = split_provider.metadata
    assert meta["authorization_endpoint"].startswith(front + "/")
    assert meta["end_session_endpoint"].startswith(front + "/")
    assert meta["issuer"] == split_provider.issuer

    client, agent = Client(), OidcUserAgent(split_provider.issuer, front)
    login_page = client.get("/accounts/login/")
    assert front in form_action(login_page)  # the sign-in button's redirect
    auth_url = start(client)
    assert auth_url.startswith(meta["authorization_endpoint"] + "?")
    callback = agent.login(auth_url, BOB.username, BOB.password)
    assert client.get(local(callback)).status_code == 302
    home = client.get("/")
    assert user_of(client).username == "bob" and front in form_action(home)  # logout's
    logout = client.post("/accounts/logout/")
    assert logout["Location"].startswith(meta["end_session_endpoint"] + "?")
    assert agent.logout(logout["Location"]) == AFTER_LOGOUT


def test_oidc_endpoint_origins_stay_known_while_the_provider_is_down(split_on, split_provider):
    oidc.discovery()
    front = split_provider.front_origin
    oidc.cache.delete(oidc._cache_key())  # the discovery document itself has expired
    with split_provider.down():
        page = Client().get("/accounts/login/")
    assert front in form_action(page)


def test_oidc_pages_of_someone_signed_in_ask_the_shared_cache_nothing(oidc_on, provider):
    """Every HTML page's policy names the provider's endpoint origins: each server keeps them
    a minute (with Redis, a lookup per page was a round trip)."""
    client = Client()
    sign_in(client, provider, BOB)
    client.get("/")
    with cache_operations() as asked:
        page = client.get("/")
    assert page.status_code == 200 and user_of(client).username == "bob"
    assert provider.issuer in form_action(page)  # the issuer is an origin here
    assert asked == []


def test_oidc_endpoint_origins_another_server_read_are_seen_after_a_minute(
    split_on, split_provider, monkeypatch
):
    front = split_provider.front_origin
    assert front in form_action(Client().get("/accounts/login/"))
    # Another server read the document of a provider whose endpoints moved.
    oidc.cache.set(oidc._cache_key("origins"), ["http://moved.example"], timeout=None)
    assert front in form_action(Client().get("/accounts/login/"))  # kept by this process
    monkeypatch.setattr(oidc, "ORIGINS_KEPT", 0.0)
    oidc.forget_kept_origins()  # as a minute later
    page = Client().get("/accounts/login/")
    assert "http://moved.example" in form_action(page) and front not in form_action(page)
