"""A real nginx in front of homeportal, logging people in with HTTP Basic auth.

It plays the trusted reverse proxy of an Authelia or authentik set-up: after ``auth_basic``
it sets the identity headers of the chosen style from a per-user ``map``, and it always
overwrites (or removes) those headers when a client sends them. It runs in the foreground
(``daemon off; master_process off;``) from a temp prefix, on 127.0.0.1 and a random port.

Needs Debian's ``nginx-light`` (or any nginx) and ``openssl`` (for the htpasswd hashes).

A session-scoped fixture in front of pytest-django's ``live_server``::

    @pytest.fixture(scope="session")
    def proxy(live_server):
        users = [ProxyUser("alice", "pw", "alice@example.org", "Alice", ("admins", "family"))]
        with Nginx(live_server.url, users, style=AUTHELIA) as proxy:
            yield proxy

    # urllib / requests / Playwright (http_credentials) against proxy.url;
    # the Host header Django sees is the one the client sent ("127.0.0.1:PORT"),
    # unless Nginx(..., host_header="localhost") is asked for.

Headers sent to the upstream after a successful login:

- ``authelia``: ``Remote-User``, ``Remote-Email``, ``Remote-Name``, ``Remote-Groups``
  (groups joined with ``,``);
- ``authentik``: ``X-authentik-username``, ``X-authentik-email``, ``X-authentik-name``,
  ``X-authentik-groups`` (joined with ``|``), ``X-authentik-uid``.

The headers of both styles are removed from every request otherwise (also under
``public_paths``, which need no login), and so is ``Authorization``.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import threading
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self

from tests.services.process import LoopbackServer

AUTHELIA = "authelia"
AUTHENTIK = "authentik"
NGINX = shutil.which("nginx", path="/usr/sbin:/usr/bin:/sbin:/bin") or "nginx"


@dataclass(frozen=True)
class HeaderStyle:
    user: str
    email: str
    name: str
    groups: str
    uid: str | None
    separator: str

    @property
    def names(self) -> tuple[str, ...]:
        names = (self.user, self.email, self.name, self.groups, self.uid)
        return tuple(name for name in names if name)


HEADER_STYLES: dict[str, HeaderStyle] = {
    AUTHELIA: HeaderStyle("Remote-User", "Remote-Email", "Remote-Name", "Remote-Groups", None, ","),
    AUTHENTIK: HeaderStyle(
        "X-authentik-username",
        "X-authentik-email",
        "X-authentik-name",
        "X-authentik-groups",
        "X-authentik-uid",
        "|",
    ),
}


@dataclass(frozen=True)
class ProxyUser:
    """A person nginx knows: Basic auth credentials and what the headers say about them."""

    username: str
    password: str
    email: str = ""
    name: str = ""
    groups: tuple[str, ...] = ()
    uid: str = ""  # X-authentik-uid; a hash of the username when empty

    @property
    def stable_uid(self) -> str:
        return self.uid or hashlib.sha256(self.username.encode()).hexdigest()


_UNSAFE = re.compile(r'["\\$;{}\x00-\x1f\x7f]')
_MAP_KEYWORDS = {"default", "hostnames", "include", "volatile"}


def _quoted(value: str) -> str:
    """A double-quoted nginx string; refuse what nginx would interpret."""
    if _UNSAFE.search(value):
        raise ValueError(f"value not allowed in the nginx config: {value!r}")
    return f'"{value}"'


def _check_user(user: ProxyUser, style: HeaderStyle) -> None:
    if not user.username or ":" in user.username or user.username.startswith("~"):
        raise ValueError(f"bad username: {user.username!r}")
    if user.username.lower() in _MAP_KEYWORDS:
        raise ValueError(f"username is an nginx map keyword: {user.username!r}")
    for group in user.groups:
        if style.separator in group:
            raise ValueError(f"group {group!r} contains the separator {style.separator!r}")


def htpasswd_line(username: str, password: str) -> str:
    """``username:$apr1$...`` (Apache MD5, as ``openssl passwd -apr1`` makes it)."""
    result = subprocess.run(
        ["openssl", "passwd", "-apr1", "-stdin"],
        input=password,
        capture_output=True,
        text=True,
        check=True,
    )
    return f"{username}:{result.stdout.strip()}"


def _upstream_address(upstream: str) -> str:
    parts = urllib.parse.urlsplit(upstream)
    if parts.scheme != "http" or not parts.hostname or not parts.port:
        raise ValueError(f"upstream must look like http://127.0.0.1:PORT, not {upstream!r}")
    host = "127.0.0.1" if parts.hostname == "localhost" else parts.hostname
    return f"{host}:{parts.port}"


def nginx_command(prefix: Path) -> list[str]:
    """nginx in the foreground with `prefix`'s nginx.conf, logging errors to its error.log."""
    p = str(prefix)
    return [NGINX, "-p", p + "/", "-c", f"{p}/nginx.conf", "-e", f"{p}/error.log"]


class Nginx(LoopbackServer):
    """nginx with Basic auth in front of ``upstream``, setting identity headers."""

    def __init__(
        self,
        upstream: str,
        users: Sequence[ProxyUser],
        *,
        style: str = AUTHELIA,
        host_header: str = "$http_host",
        public_paths: Sequence[str] = (),
        realm: str = "homeportal tests",
        extra_headers: dict[str, str] | None = None,
    ) -> None:
        """`extra_headers`: set on every request nginx passes on after a login (a shared
        secret such as AUTH_PROXY_SECRET's header)."""
        super().__init__()
        self.upstream = _upstream_address(upstream)
        self.users = tuple(users)
        self.style = HEADER_STYLES[style]
        self.host_header = host_header
        self.public_paths = tuple(public_paths)
        self.realm = realm
        self.extra_headers = dict(extra_headers or {})
        for user in self.users:
            _check_user(user, self.style)

    @property
    def url(self) -> str:
        if not self.port:
            raise RuntimeError("nginx is not running")
        return f"http://127.0.0.1:{self.port}"

    def write_config(self) -> None:
        """The prefix's htpasswd and nginx.conf, for the current port."""
        assert self.prefix is not None
        (self.prefix / "htpasswd").write_text(
            "".join(htpasswd_line(u.username, u.password) + "\n" for u in self.users)
        )
        (self.prefix / "nginx.conf").write_text(self.config())

    def command(self) -> list[str]:
        assert self.prefix is not None
        return nginx_command(self.prefix)

    # --- the configuration -----------------------------------------------------------------

    def config(self) -> str:
        """The whole nginx.conf for the current port and prefix."""
        assert self.prefix is not None
        p = self.prefix
        temp_paths = "\n".join(
            f"    {kind}_temp_path {p}/{kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        public = "".join(self._location(path, authenticated=False) for path in self.public_paths)
        return f"""daemon off;
master_process off;
worker_processes 1;
pid {p}/nginx.pid;
error_log {p}/error.log warn;

events {{
    worker_connections 256;
}}

http {{
    access_log {p}/access.log;
{temp_paths}
    server_tokens off;
    default_type application/octet-stream;
    client_max_body_size 10m;

{self._maps()}
    server {{
        listen 127.0.0.1:{self.port};
        server_name _;
{public}{self._location("/", authenticated=True)}    }}
}}
"""

    def _maps(self) -> str:
        fields = {
            "email": lambda u: u.email,
            "name": lambda u: u.name,
            "groups": lambda u: self.style.separator.join(u.groups),
            "uid": lambda u: u.stable_uid,
        }
        blocks = []
        for field, value_of in fields.items():
            lines = "".join(
                f"        {_quoted(u.username)} {_quoted(value_of(u))};\n" for u in self.users
            )
            blocks.append(
                f'    map $remote_user $hp_{field} {{\n        default "";\n{lines}    }}\n'
            )
        return "".join(blocks)

    def _location(self, path: str, *, authenticated: bool) -> str:
        # Every proxy_set_header lives in the location: nginx drops the server level's
        # ones as soon as a location has any of its own.
        if authenticated:
            auth = (
                f"            auth_basic {_quoted(self.realm)};\n"
                f"            auth_basic_user_file {self.prefix}/htpasswd;\n"
            )
        else:
            # $remote_user is read from any Authorization header, checked or not: never use
            # it where auth_basic is off.
            auth = "            auth_basic off;\n"
        headers = {
            "Host": self.host_header,
            "X-Forwarded-For": "$remote_addr",
            "X-Forwarded-Proto": "$scheme",
            "X-Forwarded-Host": "$http_host",
            "Authorization": "",
        }
        for style in HEADER_STYLES.values():
            headers.update(dict.fromkeys(style.names, ""))
        if authenticated:
            s = self.style
            headers[s.user] = "$remote_user"
            headers[s.email] = "$hp_email"
            headers[s.name] = "$hp_name"
            headers[s.groups] = "$hp_groups"
            if s.uid:
                headers[s.uid] = "$hp_uid"
            headers.update(self.extra_headers)

        def line(name: str, value: str) -> str:
            # Our own values may hold nginx variables; a caller's are checked and quoted.
            quoted = _quoted(value) if name in self.extra_headers else f'"{value}"'
            return f"            proxy_set_header {name} {quoted};\n"

        header_lines = "".join(line(name, value) for name, value in headers.items())
        return (
            f"        location {path} {{\n{auth}"
            "            proxy_http_version 1.1;\n"
            '            proxy_set_header Connection "";\n'
            f"{header_lines}"
            f"            proxy_pass http://{self.upstream};\n"
            "        }\n"
        )


# --- an upstream for tests of the proxy itself ---------------------------------------------


class _EchoHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps(
            {"path": self.path, "headers": [[k, v] for k, v in self.headers.items()]}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class HeaderEchoServer:
    """An HTTP server on 127.0.0.1 answering every GET with its path and headers as JSON.

    ``{"path": "/x", "headers": [["Host", "..."], ...]}`` (a list: names may repeat).
    """

    def __init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
