"""Transmission (transmission-daemon) through its RPC at ``/transmission/rpc``.

The first call answers 409 with an ``X-Transmission-Session-Id`` header, which every later
call sends back; the id is kept per integration in the shared cache and renewed whenever
Transmission answers 409 again (it changes when the daemon restarts). Credentials, when the
daemon asks for them (``rpc-authentication-required``), go as HTTP Basic auth.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from integrations.kinds.base import (
    ConnectionProblem,
    Context,
    IntegrationKind,
    Query,
    SecretField,
    register,
)

from ._http import (
    download_actions,
    downloads,
    field,
    forget,
    item,
    json_of,
    recall,
    remember,
    send,
    unexpected,
)

SERVICE = "Transmission"
SLUG = "transmission"
RPC = "/transmission/rpc"
SESSION_HEADER = "X-Transmission-Session-Id"
MIN_RPC_VERSION = 14  # Transmission 2.80; every field and method used here exists since
FIELDS = [
    "hashString",
    "name",
    "percentDone",
    "sizeWhenDone",
    "rateDownload",
    "rateUpload",
    "eta",
    "status",
    "error",
    "errorString",
    "isFinished",
]
# tr_torrent_activity: 0 stopped, 1 queued to check, 2 checking, 3 queued to download,
# 4 downloading, 5 queued to seed, 6 seeding.
STATES: dict[object, str]  # keyed by what the daemon sends (an int, or nothing)
STATES = {1: "checking", 2: "checking", 3: "queued", 4: "downloading", 5: "queued", 6: "seeding"}
LOCAL_ERROR = 3  # 1 and 2 are tracker warnings and errors: the torrent itself is fine


def rpc(ctx: Context, method: str, arguments: Mapping[str, Any] | None = None) -> dict:
    """One RPC call, with the session-id handshake; answers the reply's `arguments`."""
    auth = None
    if ctx.secrets.get("username") or ctx.secrets.get("password"):
        auth = (ctx.secrets.get("username", ""), ctx.secrets.get("password", ""))
    body = {"method": method, "arguments": dict(arguments or {})}
    for _attempt in range(2):
        headers = {SESSION_HEADER: recall(ctx, SLUG, "session-id")}
        response = send(ctx, SERVICE, "POST", RPC, json=body, headers=headers, auth=auth)
        if response.status != 409:
            break
        session_id = response.headers.get(SESSION_HEADER, "")
        if not session_id:
            raise unexpected(SERVICE, "HTTP 409 without a session id")
        remember(ctx, SLUG, "session-id", session_id)
    else:
        raise unexpected(SERVICE, "a new session id at every call")
    if response.status == 401:
        forget(ctx, SLUG, "session-id")
        raise ConnectionProblem(
            ConnectionProblem.AUTHENTICATION,
            "Transmission refused the username or password.",
        )
    if response.status == 403:
        raise ConnectionProblem(
            ConnectionProblem.AUTHENTICATION,
            "Transmission refuses this server's address: add it to rpc-whitelist in its "
            "settings.json (or turn rpc-whitelist-enabled off).",
        )
    if response.status != 200:
        raise unexpected(SERVICE, f"HTTP {response.status}")
    reply = json_of(response, SERVICE)
    result = field(reply, "result", SERVICE, str)
    if result != "success":
        raise unexpected(SERVICE, f"the error {result[:200]!r} to {method}")
    return field(reply, "arguments", SERVICE, dict)


def test_connection(ctx: Context) -> str:
    session = rpc(ctx, "session-get", {"fields": ["version", "rpc-version"]})
    version = session.get("version")
    rpc_version = session.get("rpc-version")
    if not isinstance(version, str) or not isinstance(rpc_version, int):
        raise unexpected(SERVICE, "a session without a version")
    if rpc_version < MIN_RPC_VERSION:
        raise ConnectionProblem(
            ConnectionProblem.VERSION,
            f"Transmission {version} is too old: version 2.80 or later is needed.",
        )
    return f"Transmission {version}"


def _state(torrent: Mapping[str, Any]) -> str:
    if torrent.get("error") == LOCAL_ERROR:
        return "error"
    status = torrent.get("status")
    if status == 0:
        return "done" if torrent.get("isFinished") else "paused"
    return STATES.get(status, "queued")


def fetch_downloads(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    torrents = field(rpc(ctx, "torrent-get", {"fields": FIELDS}), "torrents", SERVICE, list)
    items = []
    for torrent in torrents:
        if not isinstance(torrent, dict) or not isinstance(torrent.get("hashString"), str):
            raise unexpected(SERVICE, "a torrent without its hash")
        state = _state(torrent)
        items.append(
            item(
                id=torrent["hashString"].lower(),
                name=torrent.get("name") or "",
                progress=torrent.get("percentDone") or 0,
                size=torrent.get("sizeWhenDone") or 0,
                down_speed=torrent.get("rateDownload") or 0,
                up_speed=torrent.get("rateUpload") or 0,
                eta=torrent.get("eta"),
                state=state,
                error=torrent.get("errorString") or "",
            )
        )
    return downloads(items)


VERBS = {"pause": "torrent-stop", "resume": "torrent-start", "remove": "torrent-remove"}


def apply(ctx: Context, verb: str, info_hash: str | None) -> None:
    arguments: dict[str, Any] = {} if info_hash is None else {"ids": [info_hash]}  # none: all
    if verb == "remove":
        arguments["delete-local-data"] = False
    rpc(ctx, VERBS[verb], arguments)


KIND = register(
    IntegrationKind(
        slug=SLUG,
        name="Transmission",
        description="BitTorrent client: transfers, speeds, pause and resume.",
        secret_sets=(
            (),
            (SecretField("username", "Username", plain=True), SecretField("password", "Password")),
        ),
        test_connection=test_connection,
        queries={"downloads": Query("downloads", fetch_downloads, ttl=5)},
        actions=download_actions(SERVICE, apply),
        widgets={"downloads": "downloads"},
        secrets_help=(
            "Only when Transmission asks for a login: the rpc-username and rpc-password of its "
            "settings.json (Preferences → Remote in the desktop app). Leave both empty otherwise."
        ),
        docs_url="https://github.com/transmission/transmission/blob/main/docs/rpc-spec.md",
        secrets_url="https://github.com/transmission/transmission/blob/main/docs/Editing-Configuration-Files.md#rpc",
        icon="transmission",
        default_url="http://127.0.0.1:9091",
    )
)
