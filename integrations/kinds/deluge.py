"""Deluge through deluge-web's JSON-RPC (``POST /json``, ``application/json``).

``auth.login`` with the Web UI's password sets a ``_session_id`` cookie, kept per integration
in the shared cache; an answer "Not authenticated" logs in again. deluge-web then has to be
connected to a daemon: when ``web.connected`` is false the kind connects it to the first host
of its connection manager (``web.get_hosts`` / ``web.connect``).
"""

from __future__ import annotations

import itertools
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

SERVICE = "Deluge"
SLUG = "deluge"
COOKIE = "_session_id"
NOT_AUTHENTICATED = 1  # deluge-web's error code for "Not authenticated"
KEYS = [
    "name",
    "progress",
    "total_wanted",
    "download_payload_rate",
    "upload_payload_rate",
    "eta",
    "state",
    "message",
    "is_finished",
]
STATES = {
    "Downloading": "downloading",
    "Seeding": "seeding",
    "Paused": "paused",
    "Queued": "queued",
    "Checking": "checking",
    "Allocating": "checking",
    "Moving": "checking",
    "Error": "error",
}
_ids = itertools.count(1)


class _NotAuthenticated(Exception):
    pass


def _post(ctx: Context, method: str, params: list[Any], session: str) -> Any:
    headers = {"Accept": "application/json"}
    if session:
        headers["Cookie"] = f"{COOKIE}={session}"
    response = send(
        ctx,
        SERVICE,
        "POST",
        "/json",
        json={"method": method, "params": params, "id": next(_ids)},
        headers=headers,
    )
    if response.status != 200:
        raise unexpected(SERVICE, f"HTTP {response.status} to /json")
    reply = json_of(response, SERVICE)
    if not isinstance(reply, dict) or "result" not in reply or "error" not in reply:
        raise unexpected(SERVICE, "an answer that is not JSON-RPC")
    error = reply["error"]
    if error:
        code = error.get("code") if isinstance(error, dict) else None
        if code == NOT_AUTHENTICATED:
            raise _NotAuthenticated
        message = str(error.get("message", "")) if isinstance(error, dict) else str(error)
        raise ConnectionProblem(
            ConnectionProblem.UNEXPECTED, f"Deluge answered {method} with an error: {message[:200]}"
        )
    if method == "auth.login":
        return reply["result"], cookie(response, COOKIE)
    return reply["result"]


def login(ctx: Context) -> str:
    try:
        ok, session = _post(ctx, "auth.login", [ctx.secrets.get("password", "")], "")
    except _NotAuthenticated:
        ok, session = False, ""
    if ok is not True:
        forget(ctx, SLUG, "session")
        raise ConnectionProblem(
            ConnectionProblem.AUTHENTICATION, "deluge-web refused the password."
        )
    if not session:
        raise unexpected(SERVICE, "a login without a session cookie")
    remember(ctx, SLUG, "session", session)
    _connect(ctx, session)
    return session


def _connect(ctx: Context, session: str) -> None:
    """Make sure deluge-web is connected to a daemon (the first of its host list)."""
    if _post(ctx, "web.connected", [], session) is True:
        return
    hosts = _post(ctx, "web.get_hosts", [], session)
    if not isinstance(hosts, list) or not hosts or not isinstance(hosts[0], list):
        raise ConnectionProblem(
            ConnectionProblem.UNREACHABLE,
            "deluge-web has no daemon in its connection manager: add one in its Web UI.",
        )
    _post(ctx, "web.connect", [hosts[0][0]], session)
    if _post(ctx, "web.connected", [], session) is not True:
        raise ConnectionProblem(
            ConnectionProblem.UNREACHABLE,
            "deluge-web answers, but cannot connect to its Deluge daemon (deluged).",
        )


def call(ctx: Context, method: str, *params: Any) -> Any:
    """One call on the kept session: log in again when it has expired."""
    session = recall(ctx, SLUG, "session") or login(ctx)
    try:
        return _post(ctx, method, list(params), session)
    except _NotAuthenticated:
        session = login(ctx)
    try:
        return _post(ctx, method, list(params), session)
    except _NotAuthenticated:
        raise ConnectionProblem(
            ConnectionProblem.AUTHENTICATION, "deluge-web accepted the login but not the session."
        ) from None


def _connected_call(ctx: Context, method: str, *params: Any) -> Any:
    """A call that needs the daemon: connect deluge-web again if it has lost it."""
    session = recall(ctx, SLUG, "session") or login(ctx)
    try:
        _connect(ctx, session)
    except _NotAuthenticated:
        login(ctx)
    return call(ctx, method, *params)


def test_connection(ctx: Context) -> str:
    forget(ctx, SLUG, "session")
    login(ctx)
    version = call(ctx, "daemon.get_version")
    if not isinstance(version, str):
        raise unexpected(SERVICE, "a daemon without a version")
    if not version.startswith(("1.3", "2.")):
        raise ConnectionProblem(
            ConnectionProblem.VERSION, f"Deluge {version[:20]} is not supported: 1.3 or 2.x is."
        )
    return f"Deluge {version}"


def fetch_downloads(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    torrents = _connected_call(ctx, "core.get_torrents_status", {}, KEYS)
    if not isinstance(torrents, dict):
        raise unexpected(SERVICE, "torrents that are not a mapping")
    items = []
    for info_hash, torrent in torrents.items():
        if not isinstance(torrent, dict):
            raise unexpected(SERVICE, "a torrent that is not a mapping")
        state = STATES.get(str(torrent.get("state", "")), "queued")
        eta = torrent.get("eta")
        items.append(
            item(
                id=str(info_hash).lower(),
                name=torrent.get("name") or "",
                progress=(torrent.get("progress") or 0) / 100,
                size=torrent.get("total_wanted") or 0,
                down_speed=torrent.get("download_payload_rate") or 0,
                up_speed=torrent.get("upload_payload_rate") or 0,
                eta=eta if isinstance(eta, int | float) and eta > 0 else None,  # 0: unknown
                state=state,
                error=torrent.get("message") or "Deluge reports an error.",
            )
        )
    return downloads(items)


def _refresh(ctx: Context, ids: list[str]) -> None:
    """Make deluged read each torrent's state afresh from libtorrent.

    deluged decides whether to pause from the status it cached at its last update: a pause
    sent within a second or two of a resume finds "paused" there and is dropped.
    `core.get_torrent_status` is the call that updates that cache.
    """
    for info_hash in ids:
        _connected_call(ctx, "core.get_torrent_status", info_hash, ["state"])


def _all_ids(ctx: Context) -> list[str]:
    ids = _connected_call(ctx, "core.get_session_state")
    return [str(i) for i in ids] if isinstance(ids, list) else []


def apply(ctx: Context, verb: str, info_hash: str | None) -> None:
    if verb == "remove":
        _connected_call(ctx, "core.remove_torrent", info_hash, False)  # False: keep the files
        return
    _refresh(ctx, _all_ids(ctx) if info_hash is None else [info_hash])
    if info_hash is None:  # None: every torrent
        _connected_call(ctx, f"core.{verb}_torrents", None)
    else:
        _connected_call(ctx, f"core.{verb}_torrent", info_hash)


KIND = register(
    IntegrationKind(
        slug=SLUG,
        name="Deluge",
        description="BitTorrent client (through deluge-web): transfers, speeds, pause and resume.",
        secret_sets=((SecretField("password", "Web UI password"),),),
        test_connection=test_connection,
        queries={"downloads": Query("downloads", fetch_downloads, ttl=5)},
        actions=download_actions(SERVICE, apply),
        widgets={"downloads": "downloads"},
        secrets_help=(
            "The password of deluge-web's login page (Preferences → Interface → Password; "
            '"deluge" until changed). The URL is deluge-web\'s, port 8112 by default; '
            "deluge-web must list the daemon in its Connection Manager."
        ),
        docs_url="https://deluge.readthedocs.io/en/latest/reference/webapi.html",
        icon="deluge",
        default_url="http://127.0.0.1:8112",
    )
)
