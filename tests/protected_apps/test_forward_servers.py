"""Forward authentication with real proxies: a real nginx (`auth_request`) and a real Caddy
(`forward_auth`), each configured with the README's snippet (tests/services/gateway.py), in
front of two small header-echo apps on loopback (`app1.localhost`, `app2.localhost`, reached by
their `Host` header on 127.0.0.1), asking homeportal's live server. Forged headers are sent
straight to homeportal from 127.0.0.2, a loopback address outside the trusted networks."""

import http.client
import json
import os
import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
import requests

from accounts import two_factor
from groups import rules
from protected_apps.models import ProtectedApp, ProtectedAppAccess
from sessions_admin.services import revoke_sessions
from tests.conftest import PASSWORD, client_for, make_group, make_user
from tests.services.gateway import CADDY, CADDY_SNIPPET, NGINX_SNIPPET, CaddyGate, NginxGate
from tests.services.nginx import NGINX, HeaderEchoServer

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
APP1, APP2, EVIL = "app1.localhost", "app2.localhost", "evil.localhost"
GATEWAYS = {
    "nginx": pytest.param(NginxGate, marks=pytest.mark.skipif(
        not os.path.isfile(NGINX), reason="nginx is not installed")),
    "caddy": pytest.param(CaddyGate, marks=pytest.mark.skipif(
        not os.path.isfile(CADDY), reason="caddy is not installed")),
}  # fmt: skip


@pytest.fixture(scope="module")
def upstreams():
    with HeaderEchoServer() as one, HeaderEchoServer() as two:
        yield one, two


@pytest.fixture(scope="module", params=list(GATEWAYS.values()), ids=list(GATEWAYS))
def gateway(request, live_server, upstreams):
    one, two = upstreams
    with request.param(live_server.url, [(APP1, one.url), (APP2, two.url)]) as proxy:
        yield proxy


@pytest.fixture
def lab(settings, live_server):
    """Users and apps: `family` may use app1; `lab` may use app2, which requires 2FA."""
    settings.BASE_URL = live_server.url
    family, lab = make_group("family"), make_group("lab")
    mia, otto = make_user("mia", family, display_name="Mia Member"), make_user("otto", lab)
    make_user("olivia", make_group("admins", "admin"), is_owner=True)
    app1 = ProtectedApp.objects.create(name="App one", host=APP1)
    ProtectedAppAccess.objects.create(app=app1, group=family)
    app2 = ProtectedApp.objects.create(name="App two", host=APP2, require_two_factor=True)
    ProtectedAppAccess.objects.create(app=app2, group=lab)
    return mia, otto


def get(gateway, host: str, path: str = "/", cookie: str = "", headers=None):
    """One GET through the proxy for `host`: (status, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=10)
    all_headers = {"Host": f"{host}:{gateway.port}", **(headers or {})}
    if cookie:
        all_headers["Cookie"] = f"homeportal_session={cookie}"
    try:
        connection.request("GET", path, headers=all_headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode(errors="replace")
    finally:
        connection.close()


def echoed(body: str) -> dict[str, str]:
    return {name.lower(): value for name, value in json.loads(body)["headers"]}


def session_of(user) -> str:
    return client_for(user).cookies["homeportal_session"].value


def csrf_post(
    session: requests.Session, url: str, data: dict, page_url: str = ""
) -> requests.Response:
    """POSTs `data` with the CSRF token of the form on `page_url` (default: `url` itself)."""
    page = session.get(page_url or url, allow_redirects=False)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session.post(url, {**data, "csrfmiddlewaretoken": token}, allow_redirects=False)


def test_not_logged_in_goes_to_login_and_back_to_the_app_with_headers(gateway, lab, live_server):
    status, headers, _ = get(gateway, APP1, "/dashboards?id=7")
    assert status == 302
    start = headers["Location"]
    assert start.startswith(f"{live_server.url}/auth/start/?rd=")
    browser = requests.Session()
    to_login = browser.get(start, allow_redirects=False)
    assert to_login.status_code == 302 and "/accounts/login/" in to_login.headers["Location"]
    login_url = live_server.url + to_login.headers["Location"]
    back = csrf_post(browser, login_url, {"username": "mia", "password": PASSWORD})
    assert back.status_code == 302
    assert back.headers["Location"] == gateway.url(APP1, "/dashboards?id=7")
    cookie = browser.cookies["homeportal_session"]
    status, _, body = get(gateway, APP1, "/dashboards?id=7", cookie=cookie)
    assert status == 200
    seen = echoed(body)
    assert seen["remote-user"] == "mia" and seen["remote-name"] == "Mia Member"
    assert seen["remote-groups"] == "family"
    assert json.loads(body)["path"] == "/dashboards?id=7"


def test_allowed_group_gets_in_and_others_get_403(gateway, lab):
    mia, otto = lab
    assert get(gateway, APP1, cookie=session_of(mia))[0] == 200
    assert get(gateway, APP1, cookie=session_of(otto))[0] == 403


def test_forged_identity_header_from_the_client_is_replaced(gateway, lab):
    mia, _ = lab
    forged = {"Remote-User": "olivia", "Remote-Groups": "admins"}
    status, _, body = get(gateway, APP1, cookie=session_of(mia), headers=forged)
    assert status == 200
    assert echoed(body)["remote-user"] == "mia" and echoed(body)["remote-groups"] == "family"


def test_two_factor_app_asks_for_the_code(gateway, lab, live_server):
    _, otto = lab
    setup = two_factor.start_setup(otto)
    setup.confirmed = True
    setup.save()
    # A session that has not given the second factor (made as a login provider without 2FA
    # would make it):
    cookie = session_of(otto)
    status, headers, _ = get(gateway, APP2, "/", cookie=cookie)
    assert status == 302
    browser = requests.Session()
    browser.cookies.set("homeportal_session", cookie)
    start = headers["Location"]
    page = browser.get(start, allow_redirects=False)
    assert page.status_code == 200 and 'name="code"' in page.text
    code = pyotp.TOTP(two_factor.secret(setup)).at(time.time() + 30)
    answer = csrf_post(browser, start, {"code": code})
    assert answer.status_code == 302 and answer.headers["Location"] == gateway.url(APP2, "/")
    status, _, body = get(gateway, APP2, "/", cookie=cookie)  # the same session, now with 2FA
    assert status == 200 and echoed(body)["remote-user"] == "otto"


def test_logout_cuts_access_on_the_next_request(gateway, lab, live_server):
    browser = requests.Session()
    csrf_post(browser, f"{live_server.url}/accounts/login/",
              {"username": "mia", "password": PASSWORD})  # fmt: skip
    cookie = browser.cookies["homeportal_session"]
    assert get(gateway, APP1, cookie=cookie)[0] == 200
    logout = csrf_post(browser, f"{live_server.url}/accounts/logout/", {},
                       page_url=f"{live_server.url}/settings/sessions/")  # fmt: skip
    assert logout.status_code == 302
    assert get(gateway, APP1, cookie=cookie)[0] == 302


def test_revocation_cuts_access_on_the_next_request(gateway, lab):
    mia, _ = lab
    cookie = session_of(mia)
    assert get(gateway, APP1, cookie=cookie)[0] == 200
    revoke_sessions(mia)
    assert get(gateway, APP1, cookie=cookie)[0] == 302


def test_disabling_the_user_cuts_access_on_the_next_request(gateway, lab):
    mia, _ = lab
    cookie = session_of(mia)
    assert get(gateway, APP1, cookie=cookie)[0] == 200
    rules.set_active(mia, False, actor=rules.system("tests"))
    assert get(gateway, APP1, cookie=cookie)[0] == 302


def test_forged_forwarded_host_cannot_pick_another_app(gateway, lab, live_server):
    """Otto may use app2 only (after a second factor, given here). Through the proxy, a
    forged `X-Forwarded-Host`/`X-Original-URL` naming app2 on a request for app1 is replaced
    by the proxy; sent straight to homeportal from an untrusted peer, it is refused."""
    _, otto = lab
    client = client_for(otto)
    session = client.session
    session["_hp_2fa"] = time.time()
    session.save()
    cookie = client.cookies["homeportal_session"].value
    assert get(gateway, APP2, cookie=cookie)[0] == 200
    forged = {"X-Forwarded-Host": f"{APP2}:{gateway.port}",
              "X-Original-URL": f"http://{APP2}:{gateway.port}/"}  # fmt: skip
    assert get(gateway, APP1, cookie=cookie, headers=forged)[0] == 403
    port = int(live_server.url.rsplit(":", 1)[1])
    for path in ("/auth/nginx", "/auth/forward"):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10,
                                                source_address=("127.0.0.2", 0))  # fmt: skip
        connection.request(
            "GET",
            path,
            headers={
                **forged,
                "X-Forwarded-Proto": "http",
                "Cookie": f"homeportal_session={cookie}",
            },
        )
        assert connection.getresponse().status == 403
        connection.close()


@pytest.mark.parametrize("target", [f"http://{EVIL}/", "http://app1.localhost.evil.test/"])
def test_return_address_cannot_point_outside_protected_hosts(gateway, lab, live_server, target):
    browser = requests.Session()
    assert browser.get(f"{live_server.url}/auth/start/?rd={target}").status_code == 400
    back = csrf_post(browser, f"{live_server.url}/accounts/login/?next={target}",
                     {"username": "mia", "password": PASSWORD})  # fmt: skip
    assert back.status_code == 302 and urlsplit(back.headers["Location"]).netloc == ""


def test_start_page_keeps_the_whole_unencoded_address_nginx_gives(gateway, lab, live_server):
    status, headers, _ = get(gateway, APP1, "/a?x=1&y=2")
    assert status == 302
    rd = headers["Location"].split("?rd=", 1)[1]
    browser = requests.Session()
    to_login = browser.get(headers["Location"], allow_redirects=False)
    query = parse_qs(urlsplit(to_login.headers["Location"]).query)
    assert query["next"] == [requests.utils.unquote(rd)]
    assert query["next"][0].endswith("/a?x=1&y=2")


def test_readme_shows_the_tested_snippets():
    readme = (ROOT / "README.md").read_text()
    assert NGINX_SNIPPET in readme
    assert CADDY_SNIPPET in readme
