"""Glances in web-server mode (``glances -w``) through its REST API v3 (Glances 3.x).

One small call per plugin (cpu, load, mem, memswap, fs, uptime, sensors) rather than
``/api/3/all``, which carries the whole process list. ``/api/3/status`` answers 500 when the
client accepts deflate, so the connection test asks ``/api/3/pluginslist`` instead. Glances 4
speaks API v4 and is told apart by its answer there.
"""

from __future__ import annotations

import re
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

from ._http import json_of, send, unexpected

SERVICE = "Glances"
API = "/api/3"
UNITS = {"C": "°C", "F": "°F"}
# Pseudo and read-only image file systems that say nothing about free space.
IGNORED_FS = re.compile(r"^(?:/snap/|/run/|/dev$|/dev/|/sys/|/proc/)")


def _auth(ctx: Context) -> tuple[str, str] | None:
    if ctx.secrets.get("username") or ctx.secrets.get("password"):
        return (ctx.secrets.get("username", ""), ctx.secrets.get("password", ""))
    return None


def _get(ctx: Context, path: str, *, optional: bool = False) -> Any:
    response = send(
        ctx, SERVICE, "GET", path, auth=_auth(ctx), headers={"Accept": "application/json"}
    )
    if response.status == 401:
        raise ConnectionProblem(
            ConnectionProblem.AUTHENTICATION, "Glances refused the username or password."
        )
    if optional and response.status in (400, 404):  # the plugin is disabled there
        return None
    if response.status != 200:
        raise unexpected(SERVICE, f"HTTP {response.status} to {path}")
    return json_of(response, SERVICE)


def test_connection(ctx: Context) -> str:
    response = send(
        ctx,
        SERVICE,
        "GET",
        f"{API}/pluginslist",
        auth=_auth(ctx),
        headers={"Accept": "application/json"},
    )
    if response.status == 401:
        raise ConnectionProblem(
            ConnectionProblem.AUTHENTICATION, "Glances refused the username or password."
        )
    if response.status == 404:
        newer = send(ctx, SERVICE, "GET", "/api/4/pluginslist", auth=_auth(ctx))
        if newer.status in (200, 401):
            raise ConnectionProblem(
                ConnectionProblem.VERSION,
                "This is Glances 4 (REST API v4); this integration speaks API v3 (Glances 3.x).",
            )
    if response.status != 200:
        raise unexpected(SERVICE, f"HTTP {response.status} to {API}/pluginslist")
    plugins = json_of(response, SERVICE)
    if not isinstance(plugins, list) or "cpu" not in plugins:
        raise unexpected(SERVICE, "a plugin list without the cpu plugin")
    system = _get(ctx, f"{API}/system", optional=True) or {}
    hostname = system.get("hostname") if isinstance(system, dict) else None
    return f"Glances (API v3) on {hostname}" if isinstance(hostname, str) else "Glances (API v3)"


def _number(data: Any, key: str, default: float = 0.0) -> float:
    value = data.get(key) if isinstance(data, dict) else None
    return (
        float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default
    )


def _usage(data: Any) -> dict[str, Any]:
    return {
        "total": int(_number(data, "total")),
        "used": int(_number(data, "used")),
        "percent": round(_number(data, "percent"), 1),
    }


def parse_uptime(value: Any) -> int | None:
    """Glances 3 gives "3 days, 4:05:06" or "4:05:06" (or seconds in some versions)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    if not isinstance(value, str):
        return None
    match = re.fullmatch(r"\s*(?:(\d+) days?, )?(\d+):(\d{2}):(\d{2})(?:\.\d+)?\s*", value)
    if not match:
        return None
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def fetch_system(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    cpu = _get(ctx, f"{API}/cpu")
    memory = _get(ctx, f"{API}/mem")
    if not isinstance(cpu, dict) or "total" not in cpu or not isinstance(memory, dict):
        raise unexpected(SERVICE, "CPU or memory figures missing")
    load = _get(ctx, f"{API}/load", optional=True) or {}
    swap = _get(ctx, f"{API}/memswap", optional=True) or {}
    file_systems = _get(ctx, f"{API}/fs", optional=True) or []
    uptime = _get(ctx, f"{API}/uptime", optional=True)
    sensors = _get(ctx, f"{API}/sensors", optional=True) or []
    disks = []
    seen = set()
    for fs in file_systems if isinstance(file_systems, list) else []:
        mount = fs.get("mnt_point") if isinstance(fs, dict) else None
        if not isinstance(mount, str) or mount in seen or IGNORED_FS.match(mount):
            continue
        seen.add(mount)
        disks.append(
            {
                "mount": mount,
                "total": int(_number(fs, "size")),
                "used": int(_number(fs, "used")),
                "percent": round(_number(fs, "percent"), 1),
            }
        )
    readings = []
    for sensor in sensors if isinstance(sensors, list) else []:
        value = sensor.get("value") if isinstance(sensor, dict) else None
        if not isinstance(value, int | float) or isinstance(value, bool):
            continue
        unit = str(sensor.get("unit", ""))
        readings.append(
            {
                "label": str(sensor.get("label", "")),
                "value": float(value),
                "unit": UNITS.get(unit, unit),
            }
        )
    cores = cpu.get("cpucore") or (load.get("cpucore") if isinstance(load, dict) else None)
    return {
        "cpu": round(_number(cpu, "total"), 1),
        "cores": int(cores) if isinstance(cores, int) else 0,
        "load": [round(_number(load, key), 2) for key in ("min1", "min5", "min15")],
        "memory": _usage(memory),
        "swap": _usage(swap),
        "disks": disks,
        "uptime": parse_uptime(uptime),
        "sensors": readings,
    }


KIND = register(
    IntegrationKind(
        slug="glances",
        name="Glances",
        description="System health: CPU, load, memory, disks, uptime and sensors.",
        secret_sets=(
            (),
            (SecretField("username", "Username", plain=True), SecretField("password", "Password")),
        ),
        test_connection=test_connection,
        queries={"system": Query("system", fetch_system, ttl=10)},
        widgets={"system": "system"},
        secrets_help=(
            'Only when Glances runs with --password: the username (-u, "glances" by default) '
            "and the password given at its start. Leave both empty otherwise."
        ),
        docs_url="https://glances.readthedocs.io/en/v3.3.1/api.html",
        secrets_url="https://glances.readthedocs.io/en/v3.3.1/quickstart.html",
        default_url="http://127.0.0.1:61208",
    )
)
