"""A real nginx (``auth_request``) or a real Caddy (``forward_auth``) in front of small apps,
asking homeportal's forward-auth endpoints who may come in.

The configuration of each app is the README's snippet (``NGINX_SNIPPET``, ``CADDY_SNIPPET``;
a test checks that the README shows them as they are here), with the example names replaced:
``grafana.example.org`` by the app's host, ``127.0.0.1:3000`` by the app's address,
``homeportal:8000`` by the live server's and ``https://home.example.org`` by its URL. Both
listen on 127.0.0.1 and a random port and choose the app by the ``Host`` header, so a client
reaches ``app1.localhost`` by sending that header to 127.0.0.1. They run in the foreground
from a temp folder and are stopped (and the folder removed) on exit.

Needs Debian's ``nginx-light`` and ``caddy``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence

from tests.services.nginx import nginx_command
from tests.services.process import LoopbackServer

CADDY = shutil.which("caddy", path="/usr/bin:/usr/local/bin:/usr/sbin") or "caddy"

NGINX_SNIPPET = """\
server {
    listen 80;
    server_name grafana.example.org;

    # The question nginx asks homeportal before every request (with the browser's cookie).
    location = /internal/homeportal-auth {
        internal;
        proxy_pass http://homeportal:8000/auth/nginx;
        proxy_pass_request_body off;
        proxy_set_header Content-Length "";
        proxy_set_header X-Original-URL $scheme://$http_host$request_uri;
    }

    location / {
        auth_request /internal/homeportal-auth;
        # Not logged in (or a second factor is needed): to homeportal, and back here after.
        error_page 401 =302 https://home.example.org/auth/start/?rd=$scheme://$http_host$request_uri;
        # Who it is, for apps that log people in from headers; a client's own are replaced.
        auth_request_set $hp_user $upstream_http_remote_user;
        auth_request_set $hp_name $upstream_http_remote_name;
        auth_request_set $hp_email $upstream_http_remote_email;
        auth_request_set $hp_groups $upstream_http_remote_groups;
        proxy_set_header Remote-User $hp_user;
        proxy_set_header Remote-Name $hp_name;
        proxy_set_header Remote-Email $hp_email;
        proxy_set_header Remote-Groups $hp_groups;
        proxy_set_header Host $http_host;
        proxy_pass http://127.0.0.1:3000;
    }
}
"""

CADDY_SNIPPET = """\
grafana.example.org {
	forward_auth homeportal:8000 {
		uri /auth/forward
		copy_headers Remote-User Remote-Name Remote-Email Remote-Groups
	}
	reverse_proxy 127.0.0.1:3000
}
"""


def _address(url: str) -> str:
    return url.split("://", 1)[1].rstrip("/").replace("localhost", "127.0.0.1")


class _Gateway(LoopbackServer):
    """A proxy process serving `apps` ((host, upstream URL) pairs)."""

    def __init__(self, portal: str, apps: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.portal = portal.rstrip("/")
        self.apps = tuple(apps)

    def url(self, host: str, path: str = "/") -> str:
        return f"http://{host}:{self.port}{path}"

    def environment(self) -> dict[str, str]:
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}

    def snippet_for(self, snippet: str, host: str, upstream: str) -> str:
        """The README's snippet for one app, with this test's names and addresses."""
        return (
            snippet.replace("https://home.example.org", self.portal)
            .replace("grafana.example.org", host)
            .replace("127.0.0.1:3000", _address(upstream))
            .replace("homeportal:8000", _address(self.portal))
        )


class NginxGate(_Gateway):
    def write_config(self) -> None:
        assert self.prefix is not None
        p = self.prefix
        servers = "".join(
            self.snippet_for(NGINX_SNIPPET, host, upstream).replace(
                "listen 80;", f"listen 127.0.0.1:{self.port};"
            )
            for host, upstream in self.apps
        )
        temp_paths = "\n".join(
            f"    {kind}_temp_path {p}/{kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (p / "nginx.conf").write_text(f"""daemon off;
master_process off;
worker_processes 1;
pid {p}/nginx.pid;
error_log {p}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {p}/access.log;
{temp_paths}
    server_tokens off;
    server {{
        listen 127.0.0.1:{self.port} default_server;
        return 404;
    }}
{servers}}}
""")

    def command(self) -> list[str]:
        assert self.prefix is not None
        return nginx_command(self.prefix)


class CaddyGate(_Gateway):
    def write_config(self) -> None:
        assert self.prefix is not None
        sites = "".join(
            self.snippet_for(CADDY_SNIPPET, f"http://{host}:{self.port}", upstream)
            for host, upstream in self.apps
        )
        (self.prefix / "Caddyfile").write_text(
            "{\n\tadmin off\n\tauto_https off\n"
            f"\tstorage file_system {self.prefix}/data\n}}\n\n{sites}"
        )

    def command(self) -> list[str]:
        return [CADDY, "run", "--adapter", "caddyfile", "--config", f"{self.prefix}/Caddyfile"]

    def environment(self) -> dict[str, str]:
        assert self.prefix is not None
        home = str(self.prefix)
        return {**super().environment(), "HOME": home, "XDG_DATA_HOME": home,
                "XDG_CONFIG_HOME": home}  # fmt: skip
