"""Reverse-proxy header login with real servers: a real nginx (tests/services/nginx.py) logs
people in with HTTP Basic auth and sets Authelia- or authentik-style headers in front of
homeportal's live server; forged headers are sent straight to homeportal from 127.0.0.2, a
loopback address outside the trusted network; and the underscore spelling `Remote_User` is
sent through Django's WSGI server and through gunicorn."""

import base64
import contextlib
import http.client
import ipaddress
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.urls import reverse

from accounts.models import ExternalIdentity, User
from groups.models import Membership
from homeportal.proxy_presets import PROXY_PRESETS
from sessions_admin.models import UserSession
from tests.accounts.conftest import enable
from tests.conftest import make_group
from tests.services.nginx import AUTHELIA, AUTHENTIK, NGINX, Nginx, ProxyUser
from tests.services.process import START_TIMEOUT

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.path.isfile(NGINX), reason="nginx is not installed"),
]
ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

ALICE = ProxyUser(
    "alice", "alice-proxy-pw", "alice@example.org", "Alice Anderson", ("admins", "family"),
    uid="ak-uid-0001",
)  # fmt: skip
BOB = ProxyUser("bob", "bob-proxy-pw", "bob@example.org", "Bob Brown", ("family",))
GREETING = re.compile(r"<h1>Hello, ([^<]+)</h1>")


def configure(settings, preset: str) -> None:
    enable(settings, "credentials", "proxy")
    settings.AUTH_PROXY_TRUSTED_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    headers = PROXY_PRESETS[preset]
    settings.AUTH_PROXY_USER_HEADER = headers["user"]
    settings.AUTH_PROXY_EMAIL_HEADER = headers["email"]
    settings.AUTH_PROXY_NAME_HEADER = headers["name"]
    settings.AUTH_PROXY_GROUPS_HEADER = headers["groups"]
    settings.AUTH_PROXY_ID_HEADER = headers["id"]
    settings.AUTH_PROXY_GROUPS_SEPARATOR = headers["separator"]
    settings.AUTH_PROXY_CREATE_USERS = True


def request(url_or_port, path="/", headers=None, auth=None, source="127.0.0.1", cookie=""):
    """One GET with http.client (any header name, any source address); (status, headers, body)."""
    port = url_or_port if isinstance(url_or_port, int) else int(url_or_port.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10,
                                            source_address=(source, 0))  # fmt: skip
    all_headers = dict(headers or {})
    if auth:
        token = base64.b64encode(f"{auth.username}:{auth.password}".encode()).decode()
        all_headers["Authorization"] = f"Basic {token}"
    if cookie:
        all_headers["Cookie"] = cookie
    try:
        connection.request("GET", path, headers=all_headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode()
    finally:
        connection.close()


def greeting(body: str) -> str | None:
    match = GREETING.search(body)
    return match.group(1) if match else None


def session_cookie(headers) -> str:
    for value in headers.get_all("Set-Cookie") or []:
        if value.startswith("homeportal_session="):
            return value.split(";", 1)[0]
    return ""


@pytest.fixture
def mapped_groups(owner):
    admins = make_group("home-admins", "admin")
    admins.external_names = ["admins"]
    admins.save()
    family = make_group("family-group")
    family.external_names = ["Family"]
    family.save()
    return admins, family


def memberships(username: str) -> dict[str, str]:
    rows = Membership.objects.filter(user__username=username)
    return dict(rows.values_list("group__name", "managed_by"))


# --- through nginx ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def authelia_proxy(live_server):
    with Nginx(live_server.url, [ALICE, BOB], style=AUTHELIA) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def authentik_proxy(live_server):
    with Nginx(live_server.url, [ALICE, BOB], style=AUTHENTIK) as proxy:
        yield proxy


def test_nginx_authelia_headers_log_in_with_groups(settings, authelia_proxy, mapped_groups):
    configure(settings, "authelia")
    assert request(authelia_proxy.url)[0] == 401  # nginx asks for credentials
    status, _, body = request(authelia_proxy.url, auth=ALICE)
    assert status == 200 and greeting(body) == "Alice Anderson"
    alice = User.objects.get(username="alice")
    assert (alice.provider, alice.email) == ("proxy", "alice@example.org")
    assert ExternalIdentity.objects.get(user=alice).issuer == "remote-user"
    assert memberships("alice") == {"home-admins": "proxy", "family-group": "proxy"}


def test_nginx_overwrites_a_forged_header_from_its_client(settings, authelia_proxy, owner):
    configure(settings, "authelia")
    forged = {"Remote-User": "mallory", "Remote-Groups": "admins"}
    status, _, body = request(authelia_proxy.url, headers=forged, auth=BOB)
    assert status == 200 and greeting(body) == "Bob Brown"
    assert not User.objects.filter(username="mallory").exists()


def test_nginx_session_switches_user_and_ends_without_the_header(
    settings, authelia_proxy, live_server, owner
):
    configure(settings, "authelia")
    status, headers, body = request(authelia_proxy.url, auth=ALICE)
    cookie = session_cookie(headers)
    assert greeting(body) == "Alice Anderson" and cookie
    status, headers, body = request(authelia_proxy.url, auth=BOB, cookie=cookie)
    assert greeting(body) == "Bob Brown"
    cookie = session_cookie(headers) or cookie
    # The same browser reaching homeportal without the proxy's headers: the session ends.
    status, headers, _ = request(live_server.url, cookie=cookie)
    assert status == 302 and headers["Location"].startswith(reverse("accounts:login"))


def test_nginx_authentik_headers_log_in_with_uid_and_groups(
    settings, authentik_proxy, mapped_groups
):
    configure(settings, "authentik")
    status, _, body = request(authentik_proxy.url, auth=ALICE)
    assert status == 200 and greeting(body) == "Alice Anderson"
    alice = User.objects.get(username="alice")
    identity = ExternalIdentity.objects.get(user=alice)
    assert (identity.issuer, identity.subject) == ("x-authentik-uid", ALICE.uid)
    assert memberships("alice") == {"home-admins": "proxy", "family-group": "proxy"}
    status, _, body = request(authentik_proxy.url, auth=BOB)
    assert greeting(body) == "Bob Brown" and memberships("bob") == {"family-group": "proxy"}


def test_nginx_headers_that_take_admin_away_end_other_sessions_and_serve_this_request(
    settings, authelia_proxy, live_server, mapped_groups
):
    """Alice leaves the admins at the proxy's identity provider while two browsers of hers are
    open: the next request of one of them gets its page with her new rights, never "Bad
    request", and the other browser's session is over."""
    configure(settings, "authelia")
    status, headers, _ = request(authelia_proxy.url, auth=ALICE)
    this = session_cookie(headers)
    status, headers, _ = request(authelia_proxy.url, auth=ALICE)
    other = session_cookie(headers)
    assert status == 200 and this and other and this != other
    assert request(authelia_proxy.url, "/settings/users/", auth=ALICE, cookie=this)[0] == 200

    demoted = ProxyUser(ALICE.username, ALICE.password, ALICE.email, ALICE.name, ("family",))
    with Nginx(live_server.url, [demoted], style=AUTHELIA) as changed:
        status, headers, body = request(changed.url, auth=demoted, cookie=this)
        assert status == 200 and greeting(body) == "Alice Anderson"
        renewed = session_cookie(headers)
        assert renewed and renewed != this  # carried on in a new session
        assert memberships("alice") == {"family-group": "proxy"}
        assert UserSession.objects.filter(user__username="alice").count() == 1
        users_page = request(changed.url, "/settings/users/", auth=demoted, cookie=renewed)
        assert users_page[0] in (403, 404)


def test_nginx_names_in_other_scripts_get_distinct_transliterated_accounts(
    settings, live_server, owner
):
    configure(settings, "authelia")
    ivan = ProxyUser("Иван", "ivan-proxy-pw", "ivan@example.org")
    maria = ProxyUser("Мария", "maria-proxy-pw", "maria@example.org")
    with Nginx(live_server.url, [ivan, maria], style=AUTHELIA) as proxy:
        ivan_page = request(proxy.url, auth=ivan)
        maria_page = request(proxy.url, auth=maria)
    assert ivan_page[0] == 200 and greeting(ivan_page[2]) == "Иван"
    assert maria_page[0] == 200 and greeting(maria_page[2]) == "Мария"
    accounts = dict(User.objects.filter(provider="proxy").values_list("username", "display_name"))
    assert accounts == {"ivan": "Иван", "mariya": "Мария"}
    assert not User.objects.filter(username="user").exists()


PROXY_SECRET = "nginx-shared-secret-0123456789abcdef"


def test_with_a_shared_secret_only_the_proxy_that_sends_it_logs_people_in(
    settings, live_server, owner
):
    configure(settings, "authelia")
    settings.AUTH_PROXY_SECRET = PROXY_SECRET
    settings.AUTH_PROXY_SECRET_HEADER = "X-Homeportal-Proxy-Secret"
    secret = {"X-Homeportal-Proxy-Secret": PROXY_SECRET}
    with Nginx(live_server.url, [BOB], style=AUTHELIA, extra_headers=secret) as proxy:
        status, _, body = request(proxy.url, auth=BOB)
    assert status == 200 and greeting(body) == "Bob Brown"
    # Another process on the proxy's own (trusted) address, without the secret.
    status, headers, _ = request(live_server.url, headers={"Remote-User": "mallory"})
    assert status == 302 and not session_cookie(headers)
    assert not User.objects.filter(username="mallory").exists()


def request_repeating(url: str, name: str, values: list[str]):
    """A GET with the header `name` sent once per value (http.client sends them as given)."""
    port = int(url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest("GET", "/")
        for value in values:
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode()
    finally:
        connection.close()


def test_an_identity_header_sent_twice_to_homeportal_logs_nobody_in(settings, live_server, owner):
    configure(settings, "authelia")
    status, headers, _ = request_repeating(live_server.url, "Remote-User", ["mallory", "bob"])
    assert status == 302 and headers["Location"].startswith(reverse("accounts:login"))
    assert not User.objects.filter(provider="proxy").exists()
    assert not UserSession.objects.filter(user__isnull=False).exists()
    status, _, body = request_repeating(live_server.url, "Remote-User", ["bob"])  # the control
    assert status == 200 and greeting(body) == "bob"


# --- straight to homeportal ------------------------------------------------------------------


def test_forged_header_from_outside_the_trusted_network_logs_nobody_in(
    settings, live_server, owner
):
    configure(settings, "authelia")
    User.objects.create_user("alice", None, provider="proxy")
    forged = {"Remote-User": "alice", "Remote-Groups": "admins"}

    status, headers, _ = request(live_server.url, headers=forged, source="127.0.0.2")
    assert status == 302 and headers["Location"] == "/accounts/login/?next=/"
    assert not session_cookie(headers)
    # The same request from the trusted address does log in: the test can tell the two apart.
    status, _, body = request(live_server.url, headers=forged, source="127.0.0.1")
    assert status == 200 and greeting(body) == "alice"


def test_underscore_header_through_djangos_wsgi_server_logs_nobody_in(settings, live_server, owner):
    configure(settings, "authelia")
    User.objects.create_user("alice", None, provider="proxy")
    status, headers, _ = request(live_server.url, headers={"Remote_User": "alice"})
    assert status == 302 and headers["Location"] == "/accounts/login/?next=/"
    assert request(live_server.url, headers={"Remote-User": "alice"})[0] == 200


def test_utf8_names_in_headers_arrive_intact(settings, live_server, owner):
    configure(settings, "authelia")
    headers = {"Remote-User": "jose", "Remote-Name": "José Núñez".encode(),
               "Remote-Email": "jose@example.org"}  # fmt: skip
    status, _, body = request(live_server.url, headers=headers)
    assert status == 200 and greeting(body) == "José Núñez"
    assert User.objects.get(username="jose").display_name == "José Núñez"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn(tmp_path, bind_host: str = "127.0.0.1", **variables):
    """homeportal under gunicorn (migrated, an owner, the proxy provider on); yields the port."""
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "REDIS_", "AUTH_", "DJANGO_", "SECRET_", "TRUSTED_"))
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="homeportal.settings",
        DATA_DIR=str(tmp_path / "data"),
        STATIC_ROOT=str(tmp_path / "static"),
        SECRET_KEY="gunicorn-test-secret-key-0123456789-abcdefghijklmnop",
        AUTH_PROVIDERS="credentials,proxy",
        AUTH_PROXY_TRUSTED_NETWORKS="127.0.0.1/32",
        AUTH_PROXY_PRESET="authelia",
        AUTH_PROXY_CREATE_USERS="true",
        AUTH_LOGOUT_REDIRECT_URL="https://auth.example.org/logout",
        **variables,
    )
    manage = [sys.executable, "manage.py"]
    setup = (
        "from accounts.models import User; "
        "User.objects.create_user('olivia', 'owner-password-123456', is_owner=True)"
    )
    commands = (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"],
                ["shell", "-c", setup])  # fmt: skip
    for command in commands:
        done = subprocess.run([*manage, *command], cwd=ROOT, env=environment,
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr
    # The port is chosen last, right before gunicorn binds it: chosen before the set-up
    # commands (seconds on a busy machine), it was once taken meanwhile by another server of
    # a test run beside this one.
    port = _free_port()
    environment["BIND"] = f"{bind_host}:{port}"
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", "homeportal/gunicorn.conf.py",
             "--graceful-timeout", "5", "homeportal.wsgi"],
            cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                request(port, "/healthz")
                break
            except (OSError, http.client.HTTPException):  # not up yet, or not gunicorn
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not start:\n{log.read_text()}")
                time.sleep(0.2)
        yield SimpleNamespace(port=port, env=environment)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
            pytest.fail(f"gunicorn did not stop:\n{log.read_text()}")


def test_underscore_header_through_gunicorn_logs_nobody_in(tmp_path):
    with gunicorn(tmp_path) as server:
        underscore = request(
            server.port, headers={"Remote_User": "mallory", "Remote_Groups": "admins"}
        )
        hyphen = request(server.port, headers={"Remote-User": "carol"})
    status, headers, _ = underscore
    assert status == 302 and headers["Location"] == "/accounts/login/?next=/"
    assert not session_cookie(headers)
    status, _, body = hyphen  # the control: the real header name does log in
    assert status == 200 and greeting(body) == "carol"


def test_a_dual_stack_server_sees_ipv4_clients_and_proxies_as_ipv4(tmp_path):
    """gunicorn bound to `::` gets IPv4 peers as ::ffff:127.0.0.1: the proxy there is still the
    trusted one, and the client behind it (X-Forwarded-For) is what logs and throttling see."""
    with gunicorn(tmp_path, "[::]", TRUSTED_PROXIES="127.0.0.1") as server:
        status, _, body = request(
            server.port, headers={"Remote-User": "carol", "X-Forwarded-For": "198.51.100.7"}
        )
        recorded = subprocess.run(
            [sys.executable, "manage.py", "shell", "-v0", "-c",
             "from sessions_admin.models import LoginRecord, UserSession; "
             "print(LoginRecord.objects.get(username='carol').ip, "
             "UserSession.objects.get(user__username='carol').ip)"],
            cwd=ROOT, env=server.env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    assert status == 200 and greeting(body) == "carol"
    assert recorded.stdout.split() == ["198.51.100.7", "198.51.100.7"], recorded.stderr
