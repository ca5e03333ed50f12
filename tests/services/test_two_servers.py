"""Several servers acting as one (DESIGN.md: PostgreSQL + Redis is how homeportal grows past one
machine): two homeportal gunicorn servers on different ports share one PostgreSQL database and
one Redis, behind a real nginx that sends requests to them in turn. A login on one is valid on
the other; a permission change or a board edit made through one is seen on the next request
through the other (the cached board body included); login throttling counts across both.

Runs in the PostgreSQL + Redis pass of .ci/run; skipped otherwise."""

import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from boards.models import Board
from boards.widgets import get_widget
from tests.boards.factories import add_item, add_section, make_board
from tests.conftest import PASSWORD, make_group
from tests.services.nginx import NGINX
from tests.services.process import START_TIMEOUT

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"

pytestmark = [
    pytest.mark.services,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres")
        or not os.environ.get("REDIS_URL"),
        reason="needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL): servers share both",
    ),
    pytest.mark.skipif(not shutil.which(NGINX), reason="needs nginx (apt-get install nginx-light)"),
    pytest.mark.django_db(transaction=True),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, process: subprocess.Popen, what: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} stopped: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{what} did not start within {START_TIMEOUT:.0f} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream homeportal {{
        server 127.0.0.1:{a};
        server 127.0.0.1:{b};
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://homeportal;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""


class Browser:
    """One person's cookies, across every address (cookies are not scoped by port)."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def get(self, url: str):
        return self._open(urllib.request.Request(url))

    def post(self, url: str, data: dict):
        token = self.csrf_token(url)
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}).encode()
        return self._open(urllib.request.Request(url, data=body, headers={"Referer": url}))

    def csrf_token(self, url: str) -> str:
        for cookie in self.jar:
            if cookie.name == settings.CSRF_COOKIE_NAME:
                return cookie.value
        status, _headers, body = self.get(url)
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        assert found, (url, status, body[:500])
        return found.group(1)

    def _open(self, request):
        try:
            with self.opener.open(request, timeout=20) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def cluster(tmp_path):
    """Two servers (a, b) on one database and one Redis, and nginx (proxy) in front."""
    database = connection.settings_dict["NAME"]
    url = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.services.cluster_settings",
        "DATABASE_URL": urllib.parse.urlunsplit(url._replace(path=f"/{database}")),
        "CLUSTER_CACHE_PREFIX": f"cluster-{os.getpid()}-{time.monotonic_ns()}",
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "cluster-secret-key-shared-by-both-servers-0123456789",
        "WEB_CONCURRENCY": "1",
        "LOG_LEVEL": "warning",
    }
    (tmp_path / "data").mkdir()
    ports = {"a": free_port(), "b": free_port()}
    servers = {}
    prefix = Path(tempfile.mkdtemp(prefix="hp-nginx-"))
    proxy = None
    logs = {name: tmp_path / f"{name}.log" for name in (*ports, "nginx")}
    try:
        for name, port in ports.items():
            with logs[name].open("wb") as log:
                servers[name] = subprocess.Popen(
                    [str(GUNICORN), "-c", str(ROOT / "homeportal" / "gunicorn.conf.py"),
                     "homeportal.wsgi"],
                    cwd=ROOT, env={**environment, "BIND": f"127.0.0.1:{port}"},
                    stdout=subprocess.DEVNULL, stderr=log,
                )  # fmt: skip
        for name, port in ports.items():
            wait_for(port, servers[name], f"server {name}", logs[name])
        proxy_port = free_port()
        (prefix / "nginx.conf").write_text(
            NGINX_CONF.format(prefix=prefix, a=ports["a"], b=ports["b"], port=proxy_port)
        )
        with logs["nginx"].open("wb") as log:
            proxy = subprocess.Popen(
                [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
                stdout=subprocess.DEVNULL, stderr=log,
            )  # fmt: skip
        wait_for(proxy_port, proxy, "nginx", logs["nginx"])
        yield {
            "a": f"http://127.0.0.1:{ports['a']}",
            "b": f"http://127.0.0.1:{ports['b']}",
            "proxy": f"http://127.0.0.1:{proxy_port}",
            "upstreams": {f"127.0.0.1:{p}" for p in ports.values()},
        }
    finally:
        if proxy is not None:
            stop(proxy)
        for process in servers.values():
            stop(process)
        shutil.rmtree(prefix, ignore_errors=True)


@pytest.fixture
def world(people):
    lab = make_board("lab", people.owner, title="Lab")
    add_item(add_section(lab), "notes", text="First version of the notes")
    make_group("viewers")
    return {"lab": lab, "member": people.member}


def login(browser: Browser, base: str, username: str, password: str):
    return browser.post(f"{base}/accounts/login/", {"username": username, "password": password})


def test_two_servers_behind_nginx_act_as_one(cluster, world, people):
    a, b, proxy = cluster["a"], cluster["b"], cluster["proxy"]
    owner, member = Browser(), Browser()

    # A login on one server is valid on the other, and through nginx on both.
    status, _headers, _body = login(owner, a, "olivia", PASSWORD)
    assert status == 302, _body[:500]
    assert owner.get(f"{b}/boards/lab/")[0] == 200
    seen = set()
    for _ in range(4):
        status, headers, _body = owner.get(f"{proxy}/boards/lab/")
        assert status == 200
        seen.add(headers["X-Upstream"])
    assert seen == cluster["upstreams"]  # round-robin reached both servers

    # A permission change through one server is seen on the next request through the other.
    assert login(member, b, "mia", PASSWORD)[0] == 302
    assert member.get(f"{a}/boards/lab/")[0] == 404
    status, _headers, _body = owner.post(
        f"{a}/boards/lab/access/", {"principal": f"u:{people.member.pk}", "level": "view"}
    )
    assert status == 302, _body[:500]
    status, _headers, body = member.get(f"{b}/boards/lab/")
    assert status == 200 and "First version of the notes" in body

    # A board edit through one server: the body cached by both is replaced on both.
    assert "First version" in member.get(f"{a}/boards/lab/")[2]
    status, _headers, _body = owner.post(
        f"{b}/boards/lab/settings/",
        {"description": "Edited through server B", "color_scheme": "", "accent_color": "#ff0000",
         "background_url": "", "columns": "12"},
    )  # fmt: skip
    assert status == 302, _body[:500]
    for server in (a, b):
        body = member.get(f"{server}/boards/lab/")[2]
        assert "Edited through server B" in body and "--accent:#ff0000" in body
    item = Board.objects.get(name="lab").items.get()
    # A change made outside both servers (a command, another machine), written the way the
    # notes form writes it: the text and its rendering together.
    notes = get_widget("notes")
    text = {"text": "Second version of the notes"}
    form = notes.bound_form(notes.form_class.data_from_options(text))
    assert form.is_valid(), form.errors
    item.options = form.to_options()
    item.save()
    for server in (b, a):
        body = member.get(f"{server}/boards/lab/")[2]
        assert "Second version" in body and "First version" not in body

    # Access taken away outside both servers and behind every signal (raw SQL): each server
    # keeps the board's lookup for this member under the database's change count
    # (homeportal.changes), and each answers 404 on the next request.
    for server in (a, b):
        assert member.get(f"{server}/boards/lab/")[0] == 200
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM boards_boardaccess WHERE user_id = %s", [people.member.pk])
    for server in (a, b):
        assert member.get(f"{server}/boards/lab/")[0] == 404

    # Login throttling counts failures on both servers together.
    stranger = Browser()
    upstreams = set()
    for _ in range(settings.AUTH_THROTTLE_ACCOUNT_ATTEMPTS):
        status, headers, body = login(stranger, proxy, "otto", "wrong-password-123")
        assert status in (200, 400) and "Too many" not in body
        upstreams.add(headers["X-Upstream"])
    assert upstreams == cluster["upstreams"]
    for server in (a, b):
        status, _headers, body = login(Browser(), server, "otto", PASSWORD)
        assert status != 302 and "Too many failed attempts" in body, server
