"""qBittorrent through its Web API v2 (``/api/v2/...``, qBittorrent 4.1 and later).

Login (``/api/v2/auth/login``) answers 200 with ``Ok.`` or ``Fails.`` and sets an ``SID``
cookie; the cookie is kept per integration in the shared cache and the login is done again
when an answer is 403 (the session expired or the daemon restarted). Every call sends a
``Referer`` and an ``Origin`` naming the Web UI's own address, as its CSRF check requires.
qBittorrent 5 renamed pause/resume to stop/start: the version (``/api/v2/app/version``) is
asked once and kept with the session.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from integrations.kinds.base import (
    ConnectionProblem,
    Context,
    IntegrationKind,
    Query,
    SecretField,
    register,
)

from ._http import (
    cookie,
    download_actions,
    downloads,
    forget,
    item,
    json_of,
    recall,
    remember,
    send,
    unexpected,
)

SERVICE = "qBittorrent"
SLUG = "qbittorrent"
NO_ETA = 8640000  # qBittorrent's "infinity"
STATES = {
    "downloading": "downloading",
    "forcedDL": "downloading",
    "metaDL": "downloading",
    "forcedMetaDL": "downloading",
    "stalledDL": "downloading",
    "allocating": "downloading",
    "uploading": "seeding",
    "forcedUP": "seeding",
    "stalledUP": "seeding",
    "pausedDL": "paused",
    "pausedUP": "paused",
    "stoppedDL": "paused",  # 5.x
    "stoppedUP": "paused",
    "queuedDL": "queued",
    "queuedUP": "queued",
    "checkingDL": "checking",
    "checkingUP": "checking",
    "checkingResumeData": "checking",
    "moving": "checking",
    "error": "error",
    "missingFiles": "error",
}
ERRORS = {
    "error": "qBittorrent reports an error with this torrent's files.",
    "missingFiles": "This torrent's files are missing.",
}


def _origin(ctx: Context) -> str:
    parts = urlsplit(ctx.url)
    return f"{parts.scheme}://{parts.netloc}"


def _headers(ctx: Context, sid: str = "") -> dict[str, str]:
    headers = {"Referer": ctx.url + "/", "Origin": _origin(ctx)}
    if sid:
        headers["Cookie"] = f"SID={sid}"
    return headers


def login(ctx: Context) -> str:
    """Log in and answer the new SID (kept for the integration)."""
    response = send(
        ctx,
        SERVICE,
        "POST",
        "/api/v2/auth/login",
        data={
            "username": ctx.secrets.get("username", ""),
            "password": ctx.secrets.get("password", ""),
        },
        headers=_headers(ctx),
    )
    text = response.text.strip()
    if response.status == 403:
        raise ConnectionProblem(
            ConnectionProblem.AUTHENTICATION,
            "qBittorrent has banned this server's address after too many failed logins: "
            "wait, or restart qBittorrent, then check the username and password.",
        )
    if response.status == 401:
        raise ConnectionProblem(
            ConnectionProblem.UNEXPECTED,
            "qBittorrent refused the request as cross-site (HTTP 401): the URL must be the "
            "Web UI's own address, or turn off its Host header validation behind a proxy.",
        )
    if response.status != 200 or text not in ("Ok.", "Fails."):
        raise unexpected(SERVICE, f"HTTP {response.status} to a login")
    if text == "Fails.":
        forget(ctx, SLUG, "sid")
        raise ConnectionProblem(
            ConnectionProblem.AUTHENTICATION, "qBittorrent refused the username or password."
        )
    sid = cookie(response, "SID")
    # With "bypass authentication for clients on localhost / in whitelisted subnets" on,
    # qBittorrent answers Ok. without a cookie: calls then need none.
    remember(ctx, SLUG, "sid", sid or "-")
    return sid


def call(ctx: Context, method: str, path: str, **kwargs: Any):
    """One API call with the kept session, logging in again once on 403."""
    sid = recall(ctx, SLUG, "sid")
    if not sid:
        sid = login(ctx)
    response = send(ctx, SERVICE, method, path, headers=_headers(ctx, sid.strip("-")), **kwargs)
    if response.status == 403:
        sid = login(ctx)
        response = send(ctx, SERVICE, method, path, headers=_headers(ctx, sid), **kwargs)
        if response.status == 403:
            raise ConnectionProblem(
                ConnectionProblem.AUTHENTICATION,
                "qBittorrent accepted the login but refuses the session.",
            )
    if response.status != 200:
        raise unexpected(SERVICE, f"HTTP {response.status} to {path}")
    return response


def _version(ctx: Context) -> tuple[int, ...]:
    """The daemon's version, kept with the session: (4, 5, 2) for "v4.5.2"."""
    text = recall(ctx, SLUG, "version")
    if not text:
        text = call(ctx, "GET", "/api/v2/app/version").text.strip()
        if not re.match(r"^v?\d+\.\d+", text):
            raise unexpected(SERVICE, "a version that is not one")
        remember(ctx, SLUG, "version", text)
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def test_connection(ctx: Context) -> str:
    forget(ctx, SLUG, "sid")
    forget(ctx, SLUG, "version")
    login(ctx)
    version = _version(ctx)
    api = call(ctx, "GET", "/api/v2/app/webapiVersion").text.strip()
    if version < (4, 1) or not api.startswith("2."):
        raise ConnectionProblem(
            ConnectionProblem.VERSION,
            f"qBittorrent {'.'.join(map(str, version))} (Web API {api[:20]}) is not supported: "
            "version 4.1 or later is needed.",
        )
    return f"qBittorrent {'.'.join(map(str, version))} (Web API {api})"


def fetch_downloads(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    torrents = json_of(call(ctx, "GET", "/api/v2/torrents/info"), SERVICE)
    if not isinstance(torrents, list):
        raise unexpected(SERVICE, "a torrent list that is not a list")
    items = []
    for torrent in torrents:
        if not isinstance(torrent, dict) or not isinstance(torrent.get("hash"), str):
            raise unexpected(SERVICE, "a torrent without its hash")
        raw_state = str(torrent.get("state", ""))
        eta = torrent.get("eta")
        items.append(
            item(
                id=torrent["hash"].lower(),
                name=torrent.get("name") or "",
                progress=torrent.get("progress") or 0,
                size=torrent.get("size") or 0,
                down_speed=torrent.get("dlspeed") or 0,
                up_speed=torrent.get("upspeed") or 0,
                eta=None if not isinstance(eta, int) or eta >= NO_ETA else eta,
                state=STATES.get(raw_state, "queued"),
                error=ERRORS.get(raw_state, ""),
            )
        )
    return downloads(items)


def _verb(ctx: Context, paused: bool) -> str:
    if _version(ctx) >= (5,):
        return "stop" if paused else "start"
    return "pause" if paused else "resume"


def apply(ctx: Context, verb: str, info_hash: str | None) -> None:
    data = {"hashes": info_hash or "all"}
    if verb == "remove":
        call(ctx, "POST", "/api/v2/torrents/delete", data={**data, "deleteFiles": "false"})
    else:
        call(ctx, "POST", f"/api/v2/torrents/{_verb(ctx, paused=verb == 'pause')}", data=data)


KIND = register(
    IntegrationKind(
        slug=SLUG,
        name="qBittorrent",
        description="BitTorrent client: transfers, speeds, pause and resume.",
        secret_sets=(
            (SecretField("username", "Username", plain=True), SecretField("password", "Password")),
        ),
        test_connection=test_connection,
        queries={"downloads": Query("downloads", fetch_downloads, ttl=5)},
        actions=download_actions(SERVICE, apply),
        widgets={"downloads": "downloads"},
        secrets_help=(
            "The Web UI's username and password (Tools → Options → Web UI → Authentication). "
            "Five failed logins ban this server's address for an hour by default."
        ),
        docs_url="https://github.com/qbittorrent/qBittorrent/wiki/WebUI-API-(qBittorrent-4.1)",
        secrets_url="https://github.com/qbittorrent/qBittorrent/wiki/Explanation-of-Options-in-qBittorrent",
        icon="qbittorrent",
        default_url="http://127.0.0.1:8080",
    )
)
