"""A real OpenID provider (Node, panva's ``oidc-provider``) for tests.

The provider runs ``tests/services/oidc/server.js`` on 127.0.0.1 with a random port. It
checks passwords on its own login form, requires PKCE, grants consent by itself and puts
``email``, ``name``, ``preferred_username`` and ``groups`` in the ID token and userinfo.
Its cookies are named ``op_*``, so they never clash with Django's.

Needs ``node`` (20.19 or later) and ``npm``; ``npm ci`` runs by itself when
``tests/services/oidc/node_modules`` is missing.

A session-scoped fixture::

    @pytest.fixture(scope="session")
    def oidc(live_server):
        client = OidcClient(
            "homeportal", "client-secret", (f"{live_server.url}/oidc/callback/",),
        )
        with OidcProvider([client], DEFAULT_ACCOUNTS) as provider:
            yield provider

    # settings.AUTH_OIDC_ISSUER = oidc.issuer
    # agent = OidcUserAgent(oidc.issuer)
    # callback_url = agent.login(authorization_url, ALICE.username, ALICE.password)
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import fcntl
import hashlib
import json
import secrets
import selectors
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any, Self

from tests.services.process import START_TIMEOUT

OIDC_DIR = Path(__file__).resolve().parent / "oidc"
SCOPE = "openid email profile groups"
NPM_TIMEOUT = 300.0


@dataclass(frozen=True)
class OidcClient:
    """A relying party registered at the provider (confidential, code flow with PKCE)."""

    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...] = ()
    # mozilla-django-oidc sends the secret in the POST body unless told otherwise.
    token_endpoint_auth_method: str = "client_secret_post"


@dataclass(frozen=True)
class OidcAccount:
    """A person who can sign in at the provider."""

    username: str
    password: str
    sub: str
    email: str
    name: str
    groups: tuple[str, ...] = ()
    email_verified: bool = True


ALICE = OidcAccount(
    username="alice",
    password="alice-oidc-password",
    sub="3f1c0a52-0001-4c5e-9a57-alice0000001",
    email="alice@example.org",
    name="Alice Anderson",
    groups=("homeportal-admins", "family"),
)
BOB = OidcAccount(
    username="bob",
    password="bob-oidc-password",
    sub="3f1c0a52-0002-4c5e-9a57-bob000000002",
    email="bob@example.org",
    name="Bob Brown",
    groups=("family",),
)
CAROL = OidcAccount(
    username="carol",
    password="carol-oidc-password",
    sub="3f1c0a52-0003-4c5e-9a57-carol0000003",
    email="carol@example.org",
    name="Carol Clark",
    groups=(),
)
DEFAULT_ACCOUNTS: tuple[OidcAccount, ...] = (ALICE, BOB, CAROL)


class OidcLoginError(RuntimeError):
    """The provider did not send the browser back to the relying party."""


def node_available() -> bool:
    """True when ``node`` and ``npm`` are on PATH (for ``pytest.mark.skipif``)."""
    return shutil.which("node") is not None and shutil.which("npm") is not None


def ensure_node_modules() -> None:
    """Run ``npm ci`` in ``tests/services/oidc`` unless its node_modules is complete."""
    marker = OIDC_DIR / "node_modules" / "oidc-provider" / "package.json"
    if marker.exists():
        return
    lock_path = Path(tempfile.gettempdir()) / "homeportal-oidc-npm-ci.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel test workers install once
        if marker.exists():
            return
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=OIDC_DIR,
            check=True,
            timeout=NPM_TIMEOUT,
            stdout=subprocess.DEVNULL,
        )


class OidcProvider:
    """Starts and stops ``node server.js`` with the given clients and accounts."""

    def __init__(
        self,
        clients: Sequence[OidcClient],
        accounts: Sequence[OidcAccount] = DEFAULT_ACCOUNTS,
        *,
        front_host: str = "",
    ) -> None:
        """`front_host` (e.g. 127.0.0.2): the endpoints a browser visits (authorization,
        end of session) are served on that address, another origin than the issuer's."""
        self.clients = tuple(clients)
        self.accounts = tuple(accounts)
        self.front_host = front_host
        self.front_origin = ""
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._tmpdir: Path | None = None
        self._metadata: dict[str, Any] | None = None

    @property
    def issuer(self) -> str:
        if not self.port:
            raise RuntimeError("the OpenID provider is not running")
        return f"http://127.0.0.1:{self.port}"

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    @property
    def metadata(self) -> dict[str, Any]:
        """The discovery document (fetched once per start)."""
        if self._metadata is None:
            self._metadata = fetch_json(self.discovery_url)
        return self._metadata

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start the provider; after a stop() it comes back on the same port and issuer."""
        if self._proc is not None:
            return
        ensure_node_modules()
        self._tmpdir = Path(tempfile.mkdtemp(prefix="hp-oidc-"))
        config_path = self._tmpdir / "config.json"
        config_path.write_text(json.dumps(self._config(), indent=2))
        with (self._tmpdir / "server.log").open("ab") as log:
            self._proc = subprocess.Popen(
                ["node", str(OIDC_DIR / "server.js"), str(config_path), "--port", str(self.port)],
                cwd=OIDC_DIR,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log,
            )
        atexit.register(self.stop)
        try:
            ready = self._read_ready_line()
        except BaseException:
            self.stop()
            raise
        self.port = int(ready["port"])
        self.front_origin = ready.get("front_origin", "")
        self._metadata = None

    def update_account(self, account: OidcAccount) -> None:
        """Change what the provider says about the account with `account.sub` (its groups,
        e-mail...), from its next answer on, without a restart (sessions stay)."""
        self.accounts = tuple(account if a.sub == account.sub else a for a in self.accounts)
        if self._tmpdir is not None:
            (self._tmpdir / "config.json").write_text(json.dumps(self._config(), indent=2))

    def stop(self) -> None:
        """Stop the process and remove its temp folder (safe to call twice)."""
        atexit.unregister(self.stop)
        proc, self._proc = self._proc, None
        if proc is not None:
            _terminate(proc)
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None
        self._metadata = None

    def restart(self) -> None:
        """Stop and start again (same issuer; new signing key, all sessions lost)."""
        self.stop()
        self.start()

    @contextlib.contextmanager
    def down(self) -> Iterator[None]:
        """``with provider.down():`` the provider is unreachable inside the block."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    def log(self) -> str:
        """What the provider wrote on stderr so far (for failure messages)."""
        if self._tmpdir is None:
            return ""
        path = self._tmpdir / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _config(self) -> dict[str, Any]:
        return {
            "clients": [
                {
                    "client_id": c.client_id,
                    "client_secret": c.client_secret,
                    "redirect_uris": list(c.redirect_uris),
                    "post_logout_redirect_uris": list(c.post_logout_redirect_uris),
                    "token_endpoint_auth_method": c.token_endpoint_auth_method,
                }
                for c in self.clients
            ],
            "accounts": [
                {
                    "username": a.username,
                    "password": a.password,
                    "sub": a.sub,
                    "email": a.email,
                    "name": a.name,
                    "groups": list(a.groups),
                    "email_verified": a.email_verified,
                }
                for a in self.accounts
            ],
            "front_host": self.front_host,
        }

    def _read_ready_line(self) -> dict[str, Any]:
        assert self._proc is not None and self._proc.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT
        with selectors.DefaultSelector() as selector:
            selector.register(self._proc.stdout, selectors.EVENT_READ)
            while time.monotonic() < deadline:
                if selector.select(timeout=0.1):
                    line = self._proc.stdout.readline()
                    if line:
                        return json.loads(line)
                if self._proc.poll() is not None:
                    break
        raise RuntimeError(f"the OpenID provider did not start:\n{self.log()}")


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


# --- the relying party's side, for tests that do without a browser -----------------------


def fetch_json(url: str, data: dict[str, str] | None = None, token: str = "") -> dict[str, Any]:
    """GET (or POST a form to) ``url`` and decode the JSON answer."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def pkce_pair() -> tuple[str, str]:
    """A PKCE (verifier, S256 challenge) pair."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorization_url(
    provider: OidcProvider,
    client: OidcClient,
    *,
    state: str,
    nonce: str,
    code_challenge: str,
    scope: str = SCOPE,
    redirect_uri: str = "",
) -> str:
    """The URL a relying party sends the browser to (code flow, S256 PKCE)."""
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": redirect_uri or client.redirect_uris[0],
            "scope": scope,
            "state": state,
            "nonce": nonce,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
    )
    return f"{provider.metadata['authorization_endpoint']}?{query}"


def exchange_code(
    provider: OidcProvider,
    client: OidcClient,
    code: str,
    code_verifier: str,
    redirect_uri: str = "",
) -> dict[str, Any]:
    """Trade an authorization code for tokens (client_secret_post)."""
    return fetch_json(
        provider.metadata["token_endpoint"],
        {
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": code_verifier,
            "redirect_uri": redirect_uri or client.redirect_uris[0],
            "client_id": client.client_id,
            "client_secret": client.client_secret,
        },
    )


def jwt_payload(token: str) -> dict[str, Any]:
    """The claims of a JWT, NOT verified (for looking at them in tests)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def callback_params(url: str) -> dict[str, str]:
    """The query parameters of a callback URL (``code``, ``state``, ``iss`` or ``error``)."""
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


# --- the person's side: a tiny browser without JavaScript ---------------------------------


@dataclass
class _Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class _PageParser(HTMLParser):
    """Collects the forms and the error message of one of the provider's pages."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[_Form] = []
        self.error = ""
        self._in_error = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(
                _Form(attributes.get("action", ""), attributes.get("method", "get").lower())
            )
        elif tag == "input" and self.forms and attributes.get("name"):
            self.forms[-1].fields[attributes["name"]] = attributes.get("value", "")
        elif "error" in attributes.get("class", "").split():
            self._in_error = True

    def handle_endtag(self, tag: str) -> None:
        self._in_error = False

    def handle_data(self, data: str) -> None:
        if self._in_error:
            self.error += data.strip()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class OidcUserAgent:
    """Signs a person in at the provider with cookies kept between calls (single sign-on).

    It follows redirects only while they stay on the provider and returns the first URL
    that leaves it: the relying party's callback (``?code=...&state=...``) or its
    post-logout page. Nothing is ever sent to the relying party.
    """

    def __init__(self, issuer: str, *other_origins: str) -> None:
        """`other_origins`: where else the provider serves pages (OidcProvider.front_origin)."""
        self.issuer = issuer.rstrip("/")
        self.origins = (self.issuer, *(o.rstrip("/") for o in other_origins if o))
        self.cookies = CookieJar()
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()
        )

    def login(self, authorization_url: str, username: str, password: str) -> str:
        """Open ``authorization_url``, sign in if asked, return the callback URL."""
        status, location, page = self._get(authorization_url)
        url = authorization_url
        for _ in range(10):
            if location is not None:
                if not self._is_provider(location):
                    return location
                url = location
                status, location, page = self._get(url)
                continue
            form = self._login_form(url, status, page)
            fields = {**form.fields, "username": username, "password": password}
            url = urllib.parse.urljoin(url, form.action)
            status, location, page = self._post(url, fields)
            if location is None:
                error = _parse(page).error or f"HTTP {status}"
                raise OidcLoginError(f"sign-in as {username!r} failed: {error}")
        raise OidcLoginError("too many redirects at the provider")

    def logout(self, end_session_url: str) -> str:
        """Open the end-session URL, confirm, return where the provider sends the browser."""
        status, location, page = self._get(end_session_url)
        if location is None:
            forms = _parse(page).forms
            if status != 200 or not forms:
                raise OidcLoginError(f"no logout form (HTTP {status}): {page[:300]!r}")
            action = urllib.parse.urljoin(end_session_url, forms[0].action)
            status, location, page = self._post(action, {**forms[0].fields, "logout": "yes"})
        while location is not None and self._is_provider(location):
            status, location, page = self._get(location)
        return location if location is not None else page

    def _login_form(self, url: str, status: int, page: str) -> _Form:
        for form in _parse(page).forms:
            if form.method == "post" and "/login" in form.action:
                return form
        raise OidcLoginError(f"no login form at {url} (HTTP {status}): {page[:300]!r}")

    def _is_provider(self, url: str) -> bool:
        return any(url == origin or url.startswith(origin + "/") for origin in self.origins)

    def _get(self, url: str) -> tuple[int, str | None, str]:
        return self._open(urllib.request.Request(url))

    def _post(self, url: str, fields: dict[str, str]) -> tuple[int, str | None, str]:
        data = urllib.parse.urlencode(fields).encode()
        return self._open(urllib.request.Request(url, data=data, method="POST"))

    def _open(self, request: urllib.request.Request) -> tuple[int, str | None, str]:
        try:
            response = self._opener.open(request, timeout=10)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            body = response.read().decode("utf-8", errors="replace")
            status = response.status
            location = response.headers.get("Location")
        if location is not None and 300 <= status < 400:
            return status, urllib.parse.urljoin(request.full_url, location), body
        return status, None, body


def _parse(page: str) -> _PageParser:
    parser = _PageParser()
    parser.feed(page)
    parser.close()
    return parser
