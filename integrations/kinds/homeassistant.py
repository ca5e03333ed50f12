"""Home Assistant through its REST API (``/api/...``) with a long-lived access token.

The token goes as ``Authorization: Bearer``. The connection test asks ``/api/`` (which answers
``{"message": "API running."}``) and ``/api/config`` for the version. The *entities* widget
reads ``/api/states`` once and keeps the entities the widget lists; their areas come from one
``POST /api/template`` rendering ``area_name()`` for each of them (that endpoint needs an
administrator's token: without one the entities show without areas). Actions call
``/api/services/<domain>/<service>``: ``toggle`` for switches, lights and input booleans,
``run`` (``turn_on``) for scripts and scenes; nothing else can be switched from a board.

This is Home Assistant's own read-only and controlling users, per integration: `use` sees the
states, `interact` switches them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from integrations.kinds.base import (
    Action,
    ConnectionProblem,
    Context,
    IntegrationKind,
    InvalidParams,
    Query,
    SecretField,
    register,
)

from ._http import json_of, send, unexpected

SERVICE = "Home Assistant"
SLUG = "homeassistant"
MIN_VERSION = (2021, 12)  # area_name() in templates, /api/config's "version"
ENTITY_ID = re.compile(r"^[a-z0-9_]+\.[a-z0-9_]+$")
MAX_ENTITIES = 60
TOGGLES = ("switch", "light", "input_boolean")
RUNS = ("script", "scene")


def entity_id(value: Any) -> str:
    """A well-formed entity id (``light.kitchen``), else InvalidParams."""
    text = str(value or "").strip().lower()
    if not ENTITY_ID.match(text) or len(text) > 255:
        raise InvalidParams("id must be an entity id such as light.kitchen")
    return text


def _headers(ctx: Context) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {ctx.secrets.get('token', '')}",
        "Accept": "application/json",
    }


def _call(ctx: Context, method: str, path: str, **kwargs: Any):
    response = send(ctx, SERVICE, method, path, headers=_headers(ctx), **kwargs)
    if response.status in (401, 403):
        raise ConnectionProblem(
            ConnectionProblem.AUTHENTICATION,
            "Home Assistant refused the access token: create a long-lived access token on "
            "your profile page and enter it again.",
        )
    return response


def _json(ctx: Context, method: str, path: str, **kwargs: Any) -> Any:
    response = _call(ctx, method, path, **kwargs)
    if response.status != 200:
        raise unexpected(SERVICE, f"HTTP {response.status} to {path}")
    return json_of(response, SERVICE)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:2])


def test_connection(ctx: Context) -> str:
    response = _call(ctx, "GET", "/api/")
    if response.status == 404:
        raise unexpected(SERVICE, "HTTP 404 to /api/ (is the api integration loaded?)")
    if response.status != 200:
        raise unexpected(SERVICE, f"HTTP {response.status} to /api/")
    reply = json_of(response, SERVICE)
    if not isinstance(reply, dict) or reply.get("message") != "API running.":
        raise unexpected(SERVICE, "an answer without “API running.”")
    config = _json(ctx, "GET", "/api/config")
    version = config.get("version") if isinstance(config, dict) else None
    if not isinstance(version, str) or not re.match(r"^\d{4}\.\d+", version):
        raise unexpected(SERVICE, "a configuration without a version")
    if _version(version) < MIN_VERSION:
        raise ConnectionProblem(
            ConnectionProblem.VERSION,
            f"Home Assistant {version[:20]} is too old: 2021.12 or later is needed.",
        )
    name = config.get("location_name")
    return f"Home Assistant {version}" + (f" ({name[:80]})" if isinstance(name, str) else "")


def wanted(params: Mapping[str, Any]) -> list[str]:
    """The entity ids a widget asks for, well-formed and without repeats, in its order."""
    raw = params.get("entities") or []
    seen: list[str] = []
    for value in raw if isinstance(raw, list | tuple) else []:
        text = str(value).strip().lower()
        if ENTITY_ID.match(text) and text not in seen:
            seen.append(text)
    return seen[:MAX_ENTITIES]


def _areas(ctx: Context, ids: list[str]) -> dict[str, str]:
    """Each entity's area name ("" when none), in one template rendering; {} when the token
    may not render templates (not an administrator's)."""
    # The ids are checked against ENTITY_ID: nothing else reaches the template.
    pairs = [f"{json.dumps(i)}: {{{{ area_name({json.dumps(i)}) | tojson }}}}" for i in ids]
    template = "{" + ", ".join(pairs) + "}"
    try:
        response = _call(ctx, "POST", "/api/template", json={"template": template})
    except ConnectionProblem as problem:
        if problem.reason == ConnectionProblem.AUTHENTICATION:
            return {}
        raise
    if response.status != 200:
        return {}
    try:
        areas = json.loads(response.text)
    except ValueError:
        return {}
    if not isinstance(areas, dict):
        return {}
    return {str(k): v for k, v in areas.items() if isinstance(v, str)}


def fetch_entities(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    ids = wanted(params)
    if not ids:
        return {"areas": [], "missing": []}
    states = _json(ctx, "GET", "/api/states")
    if not isinstance(states, list):
        raise unexpected(SERVICE, "states that are not a list")
    by_id = {
        s["entity_id"]: s
        for s in states
        if isinstance(s, dict) and isinstance(s.get("entity_id"), str)
    }
    areas = _areas(ctx, [i for i in ids if i in by_id])
    groups: dict[str, list[dict[str, Any]]] = {}
    for eid in ids:
        state = by_id.get(eid)
        if state is None:
            continue
        found = state.get("attributes")
        attributes: dict = found if isinstance(found, dict) else {}
        domain = eid.split(".", 1)[0]
        value = str(state.get("state", ""))
        groups.setdefault(areas.get(eid, ""), []).append(
            {
                "id": eid,
                "name": str(attributes.get("friendly_name") or eid)[:120],
                "state": value[:255],
                "unit": str(attributes.get("unit_of_measurement") or "")[:20],
                "domain": domain,
                "toggle": domain in TOGGLES and value in ("on", "off"),
                "run": domain in RUNS,
                "on": value == "on",
            }
        )
    # Named areas in alphabetical order, then the entities without one.
    names = sorted((n for n in groups if n), key=str.lower) + ([""] if "" in groups else [])
    return {
        "areas": [{"name": name, "entities": groups[name]} for name in names],
        "missing": [eid for eid in ids if eid not in by_id],
    }


def _service(ctx: Context, domain: str, service: str, target: str) -> None:
    response = _call(ctx, "POST", f"/api/services/{domain}/{service}", json={"entity_id": target})
    if response.status == 400:
        raise ConnectionProblem(
            ConnectionProblem.UNEXPECTED,
            f"Home Assistant refused {domain}.{service} for {target}.",
        )
    if response.status != 200:
        raise unexpected(SERVICE, f"HTTP {response.status} to {domain}.{service}")


def toggle(ctx: Context, params: Mapping[str, str]) -> None:
    target = entity_id(params.get("id"))
    domain = target.split(".", 1)[0]
    if domain not in TOGGLES:
        raise InvalidParams("only switches, lights and input booleans toggle")
    _service(ctx, domain, "toggle", target)


def run(ctx: Context, params: Mapping[str, str]) -> None:
    target = entity_id(params.get("id"))
    domain = target.split(".", 1)[0]
    if domain not in RUNS:
        raise InvalidParams("only scripts and scenes run")
    _service(ctx, domain, "turn_on", target)


KIND = register(
    IntegrationKind(
        slug=SLUG,
        name="Home Assistant",
        description="Home automation: states of chosen entities by area; switches and scenes.",
        secret_sets=((SecretField("token", "Long-lived access token"),),),
        test_connection=test_connection,
        queries={"entities": Query("entities", fetch_entities, ttl=10)},
        actions={
            "toggle": Action("toggle", "Switch", toggle, params=("id",)),
            "run": Action("run", "Run", run, params=("id",)),
        },
        widgets={"entities": "entities"},
        secrets_help=(
            "A long-lived access token: in Home Assistant, open your profile (bottom left), "
            "tab Security, “Long-lived access tokens”, Create token. Areas show only with an "
            "administrator's token; the token's user decides what may be switched."
        ),
        docs_url="https://developers.home-assistant.io/docs/api/rest/",
        icon="homeassistant",
        secrets_url="https://www.home-assistant.io/docs/authentication/#your-account-profile",
        default_url="http://127.0.0.1:8123",
    )
)
