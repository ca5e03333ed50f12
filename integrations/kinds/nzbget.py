"""NZBGet through its JSON-RPC interface (``POST /jsonrpc``, HTTP Basic auth with the control
username and password; a wrong pair is answered 401).

The downloads are NZBGet's usenet queue (``listgroups``): one item per NZB, named by its NZBID.
NZBGet reports one download speed for the whole server (``status``), not per NZB, and pausing
everything is its global "pause download" (``pausedownload``), which leaves each NZB's own
status as it was: queued and downloading NZBs show as paused while it holds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from integrations.kinds.base import (
    ConnectionProblem,
    Context,
    IntegrationKind,
    InvalidParams,
    Query,
    SecretField,
    register,
)

from ._http import download_actions, downloads, item, json_of, send, unexpected

SERVICE = "NZBGet"
RPC = "/jsonrpc"
MIN_VERSION = 13  # listgroups with NZBID and editqueue with ID lists
STATES = {
    "QUEUED": "queued",
    "PAUSED": "paused",
    "DOWNLOADING": "downloading",
    "FETCHING": "downloading",
    "PP_FINISHED": "done",
}  # every other status is a post-processing step (verifying, repairing, unpacking...)


def nzb_id(params: Mapping[str, str]) -> str:
    value = str(params.get("id", "")).strip()
    if not value.isdigit() or len(value) > 10 or int(value) < 1:
        raise InvalidParams("id must be an NZBGet NZBID (a positive whole number)")
    return value


def rpc(ctx: Context, method: str, *params: Any) -> Any:
    auth = (ctx.secrets.get("username", ""), ctx.secrets.get("password", ""))
    body = {"method": method, "params": list(params), "id": 1}
    response = send(ctx, SERVICE, "POST", RPC, json=body, auth=auth)
    if response.status == 401:
        raise ConnectionProblem(
            ConnectionProblem.AUTHENTICATION, "NZBGet refused the username or password."
        )
    if response.status == 403:
        raise ConnectionProblem(
            ConnectionProblem.AUTHENTICATION,
            "NZBGet accepted the login but refuses this call: use the control user, not the "
            "restricted or add user.",
        )
    if response.status != 200:
        raise unexpected(SERVICE, f"HTTP {response.status} to {RPC}")
    reply = json_of(response, SERVICE)
    if not isinstance(reply, dict) or ("result" not in reply and "error" not in reply):
        raise unexpected(SERVICE, "an answer that is not JSON-RPC")
    error = reply.get("error")
    if error:
        message = str(error.get("message", "")) if isinstance(error, dict) else str(error)
        raise ConnectionProblem(
            ConnectionProblem.UNEXPECTED,
            f"NZBGet answered {method} with an error: {message[:200]}",
        )
    return reply["result"]


def test_connection(ctx: Context) -> str:
    version = rpc(ctx, "version")
    major = re.match(r"^\d+", version) if isinstance(version, str) else None
    if major is None:
        raise unexpected(SERVICE, "a version that is not one")
    if int(major.group()) < MIN_VERSION:
        raise ConnectionProblem(
            ConnectionProblem.VERSION,
            f"NZBGet {version[:20]} is too old: version 13 or later is needed.",
        )
    return f"NZBGet {version}"


def _size(group: Mapping[str, Any], name: str) -> int:
    """NZBGet splits 64-bit sizes into two 32-bit halves (``<name>Lo`` and ``<name>Hi``)."""
    low, high = group.get(f"{name}Lo"), group.get(f"{name}Hi")
    if not isinstance(low, int) or not isinstance(high, int):
        return 0
    return (high << 32) + low


def fetch_downloads(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    status = rpc(ctx, "status")
    groups = rpc(ctx, "listgroups", 0)
    if not isinstance(status, dict) or not isinstance(groups, list):
        raise unexpected(SERVICE, "a status or queue that is not one")
    held = status.get("DownloadPaused") is True
    rate = status.get("DownloadRate") if isinstance(status.get("DownloadRate"), int) else 0
    items = []
    for group in groups:
        if not isinstance(group, dict) or not isinstance(group.get("NZBID"), int):
            raise unexpected(SERVICE, "an NZB without its NZBID")
        size = _size(group, "FileSize")
        remaining = _size(group, "RemainingSize")
        state = STATES.get(str(group.get("Status", "")), "checking")
        if held and state in ("queued", "downloading"):
            state = "paused"
        items.append(
            item(
                id=str(group["NZBID"]),
                name=group.get("NZBName") or "",
                progress=1 - remaining / size if size else 0.0,
                size=size,
                down_speed=0,  # NZBGet has one speed for the whole queue (below)
                up_speed=0,
                eta=remaining // rate if rate and state == "downloading" else None,
                state=state,
            )
        )
    data = downloads(items)
    data["down_speed"] = max(int(rate or 0), 0)
    return data


def apply(ctx: Context, verb: str, nzb: str | None) -> None:
    if nzb is None:
        rpc(ctx, "pausedownload" if verb == "pause" else "resumedownload")
    else:
        command = "GroupPause" if verb == "pause" else "GroupResume"
        if rpc(ctx, "editqueue", command, "", [int(nzb)]) is not True:
            raise ConnectionProblem(
                ConnectionProblem.UNEXPECTED, "NZBGet did not find this download in its queue."
            )


KIND = register(
    IntegrationKind(
        slug="nzbget",
        name="NZBGet",
        description="Usenet downloader: the queue, speed, pause and resume.",
        secret_sets=(
            (SecretField("username", "Username", plain=True), SecretField("password", "Password")),
        ),
        test_connection=test_connection,
        queries={"downloads": Query("downloads", fetch_downloads, ttl=5)},
        # No remove: NZBGet deletes an NZB's partial files with it.
        actions=download_actions(SERVICE, apply, id_of=nzb_id, remove=False),
        widgets={"downloads": "downloads"},
        secrets_help=(
            "NZBGet's ControlUsername and ControlPassword (Settings → Security; "
            '"nzbget" and "tegbzn6789" until changed). The URL is its web interface\'s, '
            "port 6789 by default."
        ),
        docs_url="https://nzbget.com/documentation/api/",
        default_url="http://127.0.0.1:6789",
    )
)
