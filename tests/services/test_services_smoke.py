"""Smoke tests of the real-server helpers: each server starts, behaves and stops.

No Django here: ``python -m pytest -p no:django tests/services``.
"""

from __future__ import annotations

import base64
import json
import secrets
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ldap
import pytest
from ldap.filter import escape_filter_chars

from . import slapd
from .nginx import AUTHELIA, AUTHENTIK, HeaderEchoServer, Nginx, ProxyUser
from .oidc_provider import (
    ALICE,
    BOB,
    OidcClient,
    OidcLoginError,
    OidcProvider,
    OidcUserAgent,
    authorization_url,
    callback_params,
    exchange_code,
    fetch_json,
    jwt_payload,
    pkce_pair,
)

pytestmark = pytest.mark.services


@pytest.fixture(scope="module")
def echo() -> Iterator[HeaderEchoServer]:
    with HeaderEchoServer() as server:
        yield server


# --- slapd ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def directory() -> Iterator[slapd.Directory]:
    with slapd.Directory() as directory:
        yield directory


def whoami(directory: slapd.Directory, dn: str, password: str, **kwargs: Any) -> str:
    conn = directory.connect(dn, password, **kwargs)
    try:
        return conn.whoami_s()
    finally:
        conn.unbind_s()


@pytest.mark.parametrize("user", slapd.USERS, ids=lambda u: u.uid)
def test_ldap_seeded_users_bind(directory: slapd.Directory, user: slapd.LdapUser) -> None:
    assert whoami(directory, user.dn, user.password) == f"dn:{user.dn}"


def test_ldap_wrong_password_fails(directory: slapd.Directory) -> None:
    with pytest.raises(ldap.INVALID_CREDENTIALS):
        directory.connect(slapd.ALICE.dn, "not-the-password")


def test_ldap_service_account_reads_the_seed(directory: slapd.Directory) -> None:
    conn = directory.connect(directory.service_dn, directory.service_password)
    try:
        [(dn, attrs)] = conn.search_s(
            slapd.PEOPLE_DN,
            ldap.SCOPE_ONELEVEL,
            f"(uid={escape_filter_chars(slapd.SPECIAL.uid)})",
            ["uid", "mail", "displayName", "entryUUID", "userPassword"],
        )
        groups = dict(conn.search_s(slapd.GROUPS_DN, ldap.SCOPE_ONELEVEL, "(cn=*)"))
        with pytest.raises(ldap.FILTER_ERROR):  # unescaped, the uid breaks the filter
            conn.search_s(slapd.PEOPLE_DN, ldap.SCOPE_ONELEVEL, f"(uid={slapd.SPECIAL.uid})")
        with pytest.raises(ldap.INSUFFICIENT_ACCESS):  # read-only
            conn.modify_s(slapd.ADMINS_DN, [(ldap.MOD_ADD, "member", [slapd.DAVE.dn.encode()])])
    finally:
        conn.unbind_s()

    assert dn == slapd.SPECIAL.dn
    assert attrs["uid"] == [slapd.SPECIAL.uid.encode()]
    assert attrs["mail"] == [slapd.SPECIAL.mail.encode()]
    assert attrs["displayName"] == [slapd.SPECIAL.display_name.encode()]
    assert len(attrs["entryUUID"][0]) == 36
    assert "userPassword" not in attrs  # only the entry itself may read its password

    assert groups[slapd.ADMINS_DN]["member"] == [slapd.ALICE.dn.encode()]
    assert b"groupOfUniqueNames" in groups[slapd.FAMILY_DN]["objectClass"]
    assert set(groups[slapd.FAMILY_DN]["uniqueMember"]) == {
        slapd.ALICE.dn.encode(),
        slapd.BOB.dn.encode(),
    }
    assert set(groups[slapd.MEDIA_DN]["memberUid"]) == {b"bob", b"carol"}
    assert groups[slapd.MEDIA_DN]["gidNumber"] == [str(slapd.MEDIA_GID).encode()]
    assert groups[slapd.STAFF_DN]["member"] == [slapd.HELPERS_DN.encode()]
    assert groups[slapd.HELPERS_DN]["member"] == [slapd.CAROL.dn.encode()]
    assert slapd.DAVE.dn.encode() not in groups[slapd.USERS_DN]["member"]


def test_ldap_anonymous_cannot_search(directory: slapd.Directory) -> None:
    conn = directory.connect()
    try:
        with pytest.raises(ldap.INSUFFICIENT_ACCESS):
            conn.search_s(slapd.BASE_DN, ldap.SCOPE_SUBTREE, "(uid=alice)")
    finally:
        conn.unbind_s()


def test_ldap_starttls_and_ldaps_with_the_right_ca(directory: slapd.Directory) -> None:
    user = slapd.ALICE
    assert whoami(directory, user.dn, user.password, start_tls=True) == f"dn:{user.dn}"
    assert whoami(directory, user.dn, user.password, uri=directory.ldaps_uri) == f"dn:{user.dn}"
    assert directory.ldaps_uri.startswith("ldaps://127.0.0.1:")


def test_ldap_tls_fails_with_a_wrong_ca(directory: slapd.Directory) -> None:
    user, wrong = slapd.ALICE, directory.wrong_cafile
    with pytest.raises(ldap.CONNECT_ERROR):
        directory.connect(user.dn, user.password, start_tls=True, cafile=wrong)
    with pytest.raises(ldap.SERVER_DOWN):
        directory.connect(user.dn, user.password, uri=directory.ldaps_uri, cafile=wrong)
    # The same connection settings with the right CA still work afterwards.
    assert whoami(directory, user.dn, user.password, start_tls=True) == f"dn:{user.dn}"


def test_ldap_down_and_back(directory: slapd.Directory) -> None:
    user = slapd.BOB
    with directory.down():
        assert not directory.running
        with pytest.raises(ldap.SERVER_DOWN):
            directory.connect(user.dn, user.password)
    assert whoami(directory, user.dn, user.password) == f"dn:{user.dn}"
    directory.restart()
    assert whoami(directory, user.dn, user.password) == f"dn:{user.dn}"


def test_ldap_add_user_and_group_at_run_time(directory: slapd.Directory) -> None:
    erin = directory.add_user("erin", "erin-password", cn="Erin Evans", groups=[slapd.MEDIA_DN])
    group_dn = directory.add_group("testers", [erin])
    try:
        assert whoami(directory, erin.dn, "erin-password") == f"dn:{erin.dn}"
        conn = directory.connect(directory.service_dn, directory.service_password)
        try:
            [(_, media)] = conn.search_s(slapd.MEDIA_DN, ldap.SCOPE_BASE)
            [(_, testers)] = conn.search_s(group_dn, ldap.SCOPE_BASE)
        finally:
            conn.unbind_s()
        assert b"erin" in media["memberUid"]
        assert testers["member"] == [erin.dn.encode()]
    finally:
        directory.delete(group_dn)
        directory.remove_member(slapd.MEDIA_DN, erin)
        directory.delete(erin.dn)


# --- OpenID provider -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def rp(echo: HeaderEchoServer) -> OidcClient:
    """A relying party whose callback is the echo server (a browser can land there)."""
    return OidcClient(
        client_id="homeportal",
        client_secret=secrets.token_urlsafe(24),
        redirect_uris=(f"{echo.url}/oidc/callback/",),
        post_logout_redirect_uris=(f"{echo.url}/logged-out/",),
    )


@pytest.fixture(scope="module")
def oidc(rp: OidcClient) -> Iterator[OidcProvider]:
    with OidcProvider([rp]) as provider:
        yield provider


def test_oidc_discovery(oidc: OidcProvider) -> None:
    meta = fetch_json(oidc.discovery_url)
    assert meta["issuer"] == oidc.issuer
    assert oidc.issuer.startswith("http://127.0.0.1:")
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert {"openid", "email", "profile", "groups"} <= set(meta["scopes_supported"])
    assert "groups" in meta["claims_supported"]
    for endpoint in ("authorization", "token", "userinfo", "jwks_uri", "end_session"):
        key = endpoint if endpoint == "jwks_uri" else f"{endpoint}_endpoint"
        assert meta[key].startswith(oidc.issuer + "/")
    keys = fetch_json(meta["jwks_uri"])["keys"]
    assert [(k["kty"], k["alg"], k["use"]) for k in keys] == [("RSA", "RS256", "sig")]
    assert all("d" not in k for k in keys)  # public parts only


def test_oidc_code_flow_with_pkce(oidc: OidcProvider, rp: OidcClient) -> None:
    verifier, challenge = pkce_pair()
    state, nonce = secrets.token_urlsafe(8), secrets.token_urlsafe(8)
    url = authorization_url(oidc, rp, state=state, nonce=nonce, code_challenge=challenge)
    agent = OidcUserAgent(oidc.issuer)

    callback = agent.login(url, ALICE.username, ALICE.password)

    assert callback.startswith(rp.redirect_uris[0] + "?")
    params = callback_params(callback)
    assert params["state"] == state
    assert params["iss"] == oidc.issuer
    with pytest.raises(urllib.error.HTTPError) as wrong_verifier:
        exchange_code(oidc, rp, params["code"], pkce_pair()[0])
    wrong_verifier.value.close()
    assert wrong_verifier.value.code == 400

    # A fresh code; the provider's session signs Alice in without asking again.
    url = authorization_url(oidc, rp, state=state, nonce=nonce, code_challenge=challenge)
    params = callback_params(agent.login(url, ALICE.username, "never asked"))
    tokens = exchange_code(oidc, rp, params["code"], verifier)

    identity = {
        "sub": ALICE.sub,
        "email": ALICE.email,
        "name": ALICE.name,
        "preferred_username": ALICE.username,
        "groups": list(ALICE.groups),
    }
    expected = {"iss": oidc.issuer, "aud": rp.client_id, "nonce": nonce, **identity}
    claims = jwt_payload(tokens["id_token"])
    assert {key: claims.get(key) for key in expected} == expected
    userinfo = fetch_json(oidc.metadata["userinfo_endpoint"], token=tokens["access_token"])
    assert {key: userinfo.get(key) for key in identity} == identity
    cookie_names = {cookie.name for cookie in agent.cookies}
    assert "op_session" in cookie_names
    assert not cookie_names & {"sessionid", "csrftoken"}


def test_oidc_pkce_is_required(oidc: OidcProvider, rp: OidcClient) -> None:
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": rp.client_id,
            "redirect_uri": rp.redirect_uris[0],
            "scope": "openid",
            "state": "s",
        }
    )
    url = f"{oidc.metadata['authorization_endpoint']}?{query}"
    callback = OidcUserAgent(oidc.issuer).login(url, BOB.username, BOB.password)
    params = callback_params(callback)
    assert params["error"] == "invalid_request"
    assert "requires PKCE" in params["error_description"]
    assert "code" not in params


def test_oidc_wrong_password_does_not_log_in(oidc: OidcProvider, rp: OidcClient) -> None:
    _, challenge = pkce_pair()
    url = authorization_url(oidc, rp, state="s", nonce="n", code_challenge=challenge)
    agent = OidcUserAgent(oidc.issuer)
    with pytest.raises(OidcLoginError, match="Invalid username or password"):
        agent.login(url, BOB.username, ALICE.password)
    with pytest.raises(OidcLoginError, match="Invalid username or password"):
        agent.login(url, "nobody", "whatever")
    assert "op_session" not in {cookie.name for cookie in agent.cookies}
    assert "code=" in agent.login(url, BOB.username, BOB.password)


def test_oidc_rp_initiated_logout(oidc: OidcProvider, rp: OidcClient) -> None:
    verifier, challenge = pkce_pair()
    url = authorization_url(oidc, rp, state="s", nonce="n", code_challenge=challenge)
    agent = OidcUserAgent(oidc.issuer)
    code = callback_params(agent.login(url, BOB.username, BOB.password))["code"]
    id_token = exchange_code(oidc, rp, code, verifier)["id_token"]

    end_session = oidc.metadata["end_session_endpoint"]
    assert end_session == f"{oidc.issuer}/session/end"
    query = urllib.parse.urlencode(
        {
            "id_token_hint": id_token,
            "post_logout_redirect_uri": rp.post_logout_redirect_uris[0],
            "state": "bye",
        }
    )
    assert agent.logout(f"{end_session}?{query}") == f"{rp.post_logout_redirect_uris[0]}?state=bye"
    # The provider's session is gone: signing in asks for the password again.
    with pytest.raises(OidcLoginError):
        agent.login(url, BOB.username, "wrong")


# --- nginx ---------------------------------------------------------------------------------

PROXY_USERS = (
    ProxyUser("alice", "alice-proxy-pw", "alice@example.org", "Alice Anderson", ("admins", "fam")),
    ProxyUser("bob", "bob-proxy-pw", "bob@example.org", "Bob Brown"),
)
FORGED = {
    "Remote-User": "mallory",
    "Remote-Groups": "admins",
    "Remote_User": "mallory",
    "X-authentik-username": "mallory",
}


def get_json(url: str, auth: tuple[str, str] | None = None) -> tuple[int, Any, dict[str, str]]:
    request = urllib.request.Request(url, headers=FORGED)
    if auth:
        token = base64.b64encode(":".join(auth).encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, None, dict(error.headers)


@pytest.fixture(scope="module")
def authelia(echo: HeaderEchoServer) -> Iterator[Nginx]:
    with Nginx(echo.url, PROXY_USERS, style=AUTHELIA, public_paths=["/static/"]) as proxy:
        yield proxy


def test_nginx_requires_credentials(authelia: Nginx) -> None:
    status, _, headers = get_json(authelia.url + "/")
    assert status == 401
    assert headers["WWW-Authenticate"].startswith("Basic ")
    assert get_json(authelia.url + "/", ("alice", "wrong"))[0] == 401
    assert get_json(authelia.url + "/", ("mallory", "alice-proxy-pw"))[0] == 401


def test_nginx_authelia_headers_overwrite_forged_ones(authelia: Nginx) -> None:
    status, echoed, _ = get_json(authelia.url + "/page?x=1", ("alice", "alice-proxy-pw"))
    assert status == 200
    assert echoed["path"] == "/page?x=1"
    headers = echoed["headers"]
    identity = [(k, v) for k, v in headers if k.lower().startswith(("remote", "x-authentik"))]
    assert identity == [
        ("Remote-User", "alice"),
        ("Remote-Email", "alice@example.org"),
        ("Remote-Name", "Alice Anderson"),
        ("Remote-Groups", "admins,fam"),
    ]
    names = {k.lower(): v for k, v in headers}
    assert names["host"] == authelia.url.removeprefix("http://")
    assert "authorization" not in names


def test_nginx_public_path_sends_no_identity(authelia: Nginx) -> None:
    # Even with (unchecked) Basic credentials, nothing says who the person is.
    status, echoed, _ = get_json(authelia.url + "/static/app.css", ("alice", "wrong"))
    assert status == 200
    names = {k.lower() for k, _ in echoed["headers"]}
    assert not {n for n in names if n.startswith(("remote", "x-authentik"))}
    assert "authorization" not in names


def test_nginx_authentik_headers(echo: HeaderEchoServer) -> None:
    with Nginx(echo.url, PROXY_USERS, style=AUTHENTIK) as proxy:
        url = proxy.url
        status, echoed, _ = get_json(url + "/", ("alice", "alice-proxy-pw"))
        assert get_json(url + "/")[0] == 401
    assert status == 200
    identity = {k: v for k, v in echoed["headers"] if k.lower().startswith(("remote", "x-auth"))}
    assert identity == {
        "X-authentik-username": "alice",
        "X-authentik-email": "alice@example.org",
        "X-authentik-name": "Alice Anderson",
        "X-authentik-groups": "admins|fam",
        "X-authentik-uid": PROXY_USERS[0].stable_uid,
    }
    with pytest.raises(urllib.error.URLError, match="Connection refused"):  # stopped
        get_json(url + "/", ("alice", "alice-proxy-pw"))


# --- Chromium ------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.browser
def test_chromium_signs_in_at_the_provider(
    oidc: OidcProvider, rp: OidcClient, tmp_path: Path, page
) -> None:
    """Uses pytest-playwright's `page` (one Playwright per test session, shared with the
    browser tests), launched with LAUNCH_ARGS by tests/conftest.py."""
    _, challenge = pkce_pair()
    url = authorization_url(oidc, rp, state="st", nonce="n", code_challenge=challenge)
    page.goto(url)
    page.fill("#username", ALICE.username)
    page.fill("#password", "wrong")
    page.click("button[type=submit]")
    error = page.locator("[role=alert]").inner_text()
    page.screenshot(path=tmp_path / "login-error.png")
    page.fill("#password", ALICE.password)
    page.click("button[type=submit]")
    page.wait_for_url(rp.redirect_uris[0] + "?**")
    landed = page.url
    page.screenshot(path=tmp_path / "callback.png")
    assert error == "Invalid username or password."
    assert callback_params(landed)["state"] == "st"
    assert "code" in callback_params(landed)
    for name in ("login-error.png", "callback.png"):
        data = (tmp_path / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        assert len(data) > 1000
