"""aria2 through its JSON-RPC interface (``aria2c --enable-rpc``, ``POST /jsonrpc``).

The secret token (``--rpc-secret``) goes as the first parameter of every call, ``"token:…"``;
a wrong one is answered HTTP 400 with the JSON-RPC error "Unauthorized". Numbers come back as
strings. The downloads are the active ones, the waiting ones (queued or paused) and the stopped
ones aria2 still remembers (complete or failed; it forgets them when it restarts). Downloads
are named by their GID (16 hexadecimal characters), HTTP, FTP and BitTorrent alike.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from pathlib import PurePosixPath
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

SERVICE = "aria2"
RPC = "/jsonrpc"
MIN_VERSION = (1, 18)  # the secret token arrived in 1.18.4; every method used here is older
LIST_LIMIT = 500  # waiting and stopped downloads asked for at most
KEYS = [
    "gid",
    "status",
    "totalLength",
    "completedLength",
    "downloadSpeed",
    "uploadSpeed",
    "errorMessage",
    "seeder",
    "files",
    "bittorrent",
]
RUNNING = ("active", "waiting", "paused")
_GID = re.compile(r"^[0-9a-f]{16}$")


def gid(params: Mapping[str, str]) -> str:
    value = str(params.get("id", "")).strip().lower()
    if not _GID.match(value):
        raise InvalidParams("id must be an aria2 GID (16 hexadecimal characters)")
    return value


def rpc(ctx: Context, method: str, *params: Any) -> Any:
    """One call of ``aria2.<method>``; answers its result."""
    token = ctx.secrets.get("token", "")
    body = {
        "jsonrpc": "2.0",
        "id": "homeportal",
        "method": f"aria2.{method}",
        "params": [f"token:{token}", *params] if token else list(params),
    }
    response = send(ctx, SERVICE, "POST", RPC, json=body)
    if response.status not in (200, 400):  # aria2 answers its errors with 400
        raise unexpected(SERVICE, f"HTTP {response.status} to {RPC}")
    reply = json_of(response, SERVICE)
    if not isinstance(reply, dict) or ("result" not in reply and "error" not in reply):
        raise unexpected(SERVICE, "an answer that is not JSON-RPC")
    error = reply.get("error")
    if error is not None:
        message = str(error.get("message", "")) if isinstance(error, dict) else str(error)
        if message == "Unauthorized":
            raise ConnectionProblem(
                ConnectionProblem.AUTHENTICATION,
                "aria2 refused the secret token (its --rpc-secret).",
            )
        raise ConnectionProblem(
            ConnectionProblem.UNEXPECTED, f"aria2 answered {method} with an error: {message[:200]}"
        )
    return reply["result"]


def test_connection(ctx: Context) -> str:
    answer = rpc(ctx, "getVersion")
    version = answer.get("version") if isinstance(answer, dict) else None
    if not isinstance(version, str) or not re.match(r"^\d+\.\d+", version):
        raise unexpected(SERVICE, "a version that is not one")
    if tuple(int(part) for part in version.split(".")[:2]) < MIN_VERSION:
        raise ConnectionProblem(
            ConnectionProblem.VERSION,
            f"aria2 {version[:20]} is too old: version 1.18.4 or later is needed.",
        )
    return f"aria2 {version}"


def _number(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _name(download: Mapping[str, Any]) -> str:
    torrent = download.get("bittorrent")
    info = torrent.get("info") if isinstance(torrent, dict) else None
    if isinstance(info, dict) and isinstance(info.get("name"), str):
        return info["name"]
    files = download.get("files")
    first = files[0] if isinstance(files, list) and files else {}
    path = first.get("path") if isinstance(first, dict) else ""
    if isinstance(path, str) and path:
        return PurePosixPath(path).name
    uris = first.get("uris") if isinstance(first, dict) else None
    if isinstance(uris, list) and uris and isinstance(uris[0], dict):
        return str(uris[0].get("uri", "")).rsplit("/", 1)[-1]
    return str(download.get("gid", ""))


def _state(download: Mapping[str, Any]) -> str:
    status = str(download.get("status", ""))
    if status == "active":
        return "seeding" if download.get("seeder") == "true" else "downloading"
    return {"waiting": "queued", "paused": "paused", "complete": "done"}.get(status, "error")


def fetch_downloads(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    found = [
        *(rpc(ctx, "tellActive", KEYS) or []),
        *(rpc(ctx, "tellWaiting", 0, LIST_LIMIT, KEYS) or []),
        *(rpc(ctx, "tellStopped", 0, LIST_LIMIT, KEYS) or []),
    ]
    items = []
    for download in found:
        if not isinstance(download, dict) or not isinstance(download.get("gid"), str):
            raise unexpected(SERVICE, "a download without its GID")
        if download.get("status") == "removed":
            continue
        total = _number(download.get("totalLength"))
        done = _number(download.get("completedLength"))
        speed = _number(download.get("downloadSpeed"))
        state = _state(download)
        items.append(
            item(
                id=download["gid"],
                name=_name(download),
                progress=done / total if total else 0.0,
                size=total,
                down_speed=speed,
                up_speed=_number(download.get("uploadSpeed")),
                eta=(total - done) // speed if speed else None,
                state=state,
                error=download.get("errorMessage") or "aria2 reports an error.",
            )
        )
    return downloads(items)


def apply(ctx: Context, verb: str, download: str | None) -> None:
    if download is None:
        rpc(ctx, "forcePauseAll" if verb == "pause" else "unpauseAll")
    elif verb == "pause":
        rpc(ctx, "forcePause", download)  # without contacting trackers first
    elif verb == "resume":
        rpc(ctx, "unpause", download)
    else:  # remove (aria2 never deletes files): stop it if it runs, then drop its result
        status = _status(ctx, download)
        if not status:
            raise ConnectionProblem(
                ConnectionProblem.UNEXPECTED, "aria2 does not know this download any more."
            )
        if status in RUNNING:
            rpc(ctx, "forceRemove", download)
            # It stops within moments (a seeding torrent then shows as "complete").
            for _attempt in range(20):
                status = _status(ctx, download)
                if status not in RUNNING:
                    break
                time.sleep(0.1)
        if status:  # still remembered (aria2 forgets some removed downloads by itself)
            rpc(ctx, "removeDownloadResult", download)


def _status(ctx: Context, download: str) -> str:
    """The download's status, "" when aria2 does not know it."""
    try:
        answer = rpc(ctx, "tellStatus", download, ["status"])
    except ConnectionProblem as problem:
        if problem.reason == ConnectionProblem.UNEXPECTED and "is not found" in problem.message:
            return ""
        raise
    return str(answer.get("status", "")) if isinstance(answer, dict) else ""


KIND = register(
    IntegrationKind(
        slug="aria2",
        name="aria2",
        description="Download utility (HTTP, FTP, BitTorrent): transfers, pause and resume.",
        secret_sets=((), (SecretField("token", "Secret token"),)),
        test_connection=test_connection,
        queries={"downloads": Query("downloads", fetch_downloads, ttl=5)},
        actions=download_actions(SERVICE, apply, id_of=gid),
        widgets={"downloads": "downloads"},
        secrets_help=(
            "The value of aria2's --rpc-secret (rpc-secret= in aria2.conf). Leave it empty "
            "when aria2 runs without one. The URL is the RPC's, port 6800 by default."
        ),
        docs_url="https://aria2.github.io/manual/en/html/aria2c.html#rpc-interface",
        default_url="http://127.0.0.1:6800",
    )
)
