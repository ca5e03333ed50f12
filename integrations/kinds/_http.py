"""What the kinds share: one call through the outbound door with its failures in words a
person can act on, JSON that must look like JSON, small per-integration state (session ids,
cookies) in the shared cache, and the `downloads` counts.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.core.cache import cache
from django.utils.crypto import salted_hmac

from integrations.kinds.base import Action, ConnectionProblem, Context, InvalidParams

STATE_TTL = 6 * 3600  # seconds a session id or cookie is kept before logging in again
_TORRENT_ID = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")


def send(ctx: Context, service: str, method: str, path: str, **kwargs: Any):
    """`ctx.request(...)`, its `OutboundError`s turned into `ConnectionProblem`s."""
    from homeportal import outbound

    try:
        return ctx.request(method, path, **kwargs)
    except outbound.TLSError as error:
        raise ConnectionProblem(
            ConnectionProblem.TLS, f"The TLS connection to {service} failed: {error.message}"
        ) from None
    except outbound.Timeout:
        raise ConnectionProblem(
            ConnectionProblem.UNREACHABLE, f"{service} did not answer in time."
        ) from None
    except outbound.TooLarge:
        raise ConnectionProblem(
            ConnectionProblem.UNEXPECTED, f"{service} answered with far more data than expected."
        ) from None
    except outbound.Refused as error:
        raise ConnectionProblem(
            ConnectionProblem.UNREACHABLE, f"{service}'s address is not allowed: {error.message}"
        ) from None
    except outbound.BadURL as error:
        raise ConnectionProblem(
            ConnectionProblem.UNREACHABLE, f"{service}'s address is not usable: {error.message}"
        ) from None
    except outbound.OutboundError as error:
        raise ConnectionProblem(
            ConnectionProblem.UNREACHABLE, f"{service} cannot be reached: {error.message}"
        ) from None


def json_of(response, service: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise unexpected(service, f"an answer that is not JSON (HTTP {response.status})") from None


def unexpected(service: str, what: str) -> ConnectionProblem:
    return ConnectionProblem(
        ConnectionProblem.UNEXPECTED,
        f"The address answered with {what}, not as {service} would: check the URL.",
    )


def field(data: Any, key: str, service: str, kind: type | tuple[type, ...] = object) -> Any:
    """`data[key]`, which must exist and be of `kind`, else the answer is not the service's."""
    if not isinstance(data, Mapping) or not isinstance(data.get(key), kind):
        raise unexpected(service, f"an answer without {key!r}")
    return data[key]


def cookie(response, name: str) -> str:
    """The value of cookie `name` set by `response` ("" when it sets none)."""
    jar = getattr(response, "cookies", None)
    if jar is not None:
        return jar.get(name, "")
    for line in response.headers.getlist("Set-Cookie"):
        first = line.split(";", 1)[0]
        key, _, value = first.partition("=")
        if key.strip() == name:
            return value.strip()
    return ""


# --- per-integration state ------------------------------------------------------------------


def _state_key(ctx: Context, slug: str, what: str) -> str:
    """Keyed by integration and by a keyed digest of its address and secrets: new secrets
    or a new address never reuse a session opened with the old ones."""
    material = ctx.url + "\0" + "\0".join(f"{k}={v}" for k, v in sorted(ctx.secrets.items()))
    digest = salted_hmac("homeportal.integrations.kind-state", material, algorithm="sha256")
    owner = (
        str(ctx.integration_id)
        if ctx.integration_id is not None
        else "url-" + hashlib.sha256(ctx.url.encode()).hexdigest()[:16]
    )
    return f"integrations:{slug}:{what}:{owner}:{digest.hexdigest()[:24]}"


def recall(ctx: Context, slug: str, what: str) -> str:
    return cache.get(_state_key(ctx, slug, what)) or ""


def remember(ctx: Context, slug: str, what: str, value: str, ttl: int = STATE_TTL) -> None:
    cache.set(_state_key(ctx, slug, what), value, ttl)


def forget(ctx: Context, slug: str, what: str) -> None:
    cache.delete(_state_key(ctx, slug, what))


# --- downloads ---------------------------------------------------------------------------------


def torrent_id(params: Mapping[str, str]) -> str:
    """The torrent's id (its info hash, hex) from an action's params; ValueError otherwise."""
    value = str(params.get("id", "")).strip().lower()
    if not _TORRENT_ID.match(value):
        raise InvalidParams("id must be a torrent's info hash (40 or 64 hexadecimal characters)")
    return value


def downloads(items: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The `downloads` shape from its items: totals summed, items sorted by name.

    Counts: `active` downloading, seeding or checking; `paused`; `done` complete (whatever
    the state); `total` every item.
    """
    rows = sorted(items, key=lambda item: (item["name"].lower(), item["id"]))
    return {
        "down_speed": sum(item["down_speed"] for item in rows),
        "up_speed": sum(item["up_speed"] for item in rows),
        "counts": {
            "active": sum(item["state"] in ("downloading", "seeding", "checking") for item in rows),
            "paused": sum(item["state"] == "paused" for item in rows),
            "done": sum(item["progress"] >= 1 for item in rows),
            "total": len(rows),
        },
        "items": rows,
    }


def item(
    *,
    id: str,
    name: str,
    progress: float,
    size: int,
    down_speed: int,
    up_speed: int,
    eta: float | None,  # seconds; stored whole
    state: str,
    error: str = "",
) -> dict[str, Any]:
    """One `downloads` item, numbers clamped to what the shape promises."""
    return {
        "id": str(id),
        "name": str(name),
        "progress": min(max(float(progress), 0.0), 1.0),
        "size": max(int(size), 0),
        "down_speed": max(int(down_speed), 0),
        "up_speed": max(int(up_speed), 0),
        "eta": int(eta) if eta is not None and eta >= 0 and state == "downloading" else None,
        "state": state,
        "error": str(error) if state == "error" else "",
    }


# The one thing a download client's actions do: apply `verb` ("pause", "resume" or
# "remove") to the download `id`, or to every download when `id` is None.
DownloadVerb = Callable[[Context, str, str | None], None]


def download_actions(
    service: str,
    apply: DownloadVerb,
    *,
    id_of: Callable[[Mapping[str, str]], str] = torrent_id,
    remove: bool = True,
) -> dict[str, Action]:
    """The `downloads` actions of a client (see the package's docstring), all at `interact`.

    `id_of` reads and checks an action's `id` (raising `InvalidParams` before anything is
    sent); `apply` talks to the service.
    """

    def one(verb: str) -> Callable[[Context, Mapping[str, str]], None]:
        return lambda ctx, params: apply(ctx, verb, id_of(params))

    def every(verb: str) -> Callable[[Context, Mapping[str, str]], None]:
        return lambda ctx, params: apply(ctx, verb, None)

    actions = {
        "pause": Action("pause", "Pause", one("pause"), params=("id",)),
        "resume": Action("resume", "Resume", one("resume"), params=("id",)),
        "pause_all": Action("pause_all", "Pause all", every("pause")),
        "resume_all": Action("resume_all", "Resume all", every("resume")),
    }
    if remove:
        actions["remove"] = Action(
            "remove",
            "Remove",
            one("remove"),
            params=("id",),
            confirm=f"Remove this download from {service}? Its files stay on disk.",
        )
    return actions
