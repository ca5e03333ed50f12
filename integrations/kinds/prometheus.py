"""Prometheus through its HTTP API (``/api/v1/...``, Prometheus 2.14 and later).

The connection test reads ``/api/v1/status/buildinfo``. The *stat* widget runs one instant
query (``/api/v1/query``), the *graph* widget one range query (``/api/v1/query_range``) over
the last hour, six hours, day or week, sixty steps wide. The PromQL is part of the widget's
options, which only a user with `full` on the integration may set or change
(integrations.access.layout_refusals): viewers never send PromQL, the server runs the stored
query. Prometheus itself has no login; behind a reverse proxy or with its web configuration's
basic auth, give a username and password, or a bearer token.
"""

from __future__ import annotations

import math
import re
import time
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

from ._http import field, json_of, send, unexpected

SERVICE = "Prometheus"
SLUG = "prometheus"
MAX_QUERY = 2000
STEPS = 60
RANGES = {"1h": 3600, "6h": 6 * 3600, "24h": 86400, "7d": 7 * 86400}


def _auth(ctx: Context) -> dict[str, Any]:
    if ctx.secrets.get("token"):
        return {"headers": {"Authorization": f"Bearer {ctx.secrets['token']}"}}
    if ctx.secrets.get("username") or ctx.secrets.get("password"):
        return {"auth": (ctx.secrets.get("username", ""), ctx.secrets.get("password", ""))}
    return {}


def _api(ctx: Context, path: str, params: Mapping[str, str] | None = None) -> Any:
    """The `data` of one API answer; Prometheus's own errors (a bad query) as UNEXPECTED with
    its words, since they are the query's, not the connection's."""
    kwargs = _auth(ctx)
    headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
    response = send(ctx, SERVICE, "GET", path, params=dict(params or {}), headers=headers,
                    **kwargs)  # fmt: skip
    if response.status in (401, 403):
        raise ConnectionProblem(
            ConnectionProblem.AUTHENTICATION,
            "Prometheus (or the proxy in front of it) refused the credentials.",
        )
    if response.status == 404:
        raise unexpected(SERVICE, f"HTTP 404 to {path}")
    reply = json_of(response, SERVICE)
    status = field(reply, "status", SERVICE, str)
    if status != "success":
        error = str(reply.get("error", ""))[:300]
        raise ConnectionProblem(
            ConnectionProblem.UNEXPECTED, f"Prometheus refused the query: {error}"
        )
    return reply.get("data")


def test_connection(ctx: Context) -> str:
    try:
        info = _api(ctx, "/api/v1/status/buildinfo")
    except ConnectionProblem as problem:
        if problem.reason != ConnectionProblem.UNEXPECTED or "404" not in problem.message:
            raise
        # Older than 2.14 (no buildinfo), or not Prometheus at all.
        _api(ctx, "/api/v1/query", {"query": "1"})
        raise ConnectionProblem(
            ConnectionProblem.VERSION,
            "This Prometheus is older than 2.14: version 2.14 or later is needed.",
        ) from None
    version = info.get("version") if isinstance(info, dict) else None
    if not isinstance(version, str):
        raise unexpected(SERVICE, "build information without a version")
    if not re.match(r"^(?:[3-9]|\d{2,})\.|^2\.(?:1[4-9]|[2-9]\d|\d{3,})\.", version):
        raise ConnectionProblem(
            ConnectionProblem.VERSION,
            f"Prometheus {version[:20]} is not supported: 2.14 or later is needed.",
        )
    return f"Prometheus {version}"


def promql(params: Mapping[str, Any]) -> str:
    query = str(params.get("query") or "").strip()
    if not query:
        return ""
    return query[:MAX_QUERY]


def _number(text: Any) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _label(metric: Any) -> str:
    if not isinstance(metric, dict):
        return ""
    name = str(metric.get("__name__", ""))
    rest = ", ".join(f"{k}={v}" for k, v in sorted(metric.items()) if k != "__name__")
    return (f"{name}{{{rest}}}" if rest else name)[:200]


def fetch_stat(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    """{"value": float | None, "label": str, "series": int} of the first series."""
    query = promql(params)
    if not query:
        return {"value": None, "label": "", "series": 0}
    data = _api(ctx, "/api/v1/query", {"query": query})
    kind = field(data, "resultType", SERVICE, str)
    result = data.get("result")
    if kind in ("scalar", "string"):
        return {"value": _number(result[1]) if isinstance(result, list) else None,
                "label": "", "series": 1}  # fmt: skip
    if kind != "vector" or not isinstance(result, list):
        raise ConnectionProblem(
            ConnectionProblem.UNEXPECTED,
            f"The query answers a {kind[:20]}, not one value: use an instant query.",
        )
    if not result:
        return {"value": None, "label": "", "series": 0}
    first = result[0] if isinstance(result[0], dict) else {}
    sample = first.get("value")
    return {
        "value": _number(sample[1]) if isinstance(sample, list) and len(sample) == 2 else None,
        "label": _label(first.get("metric")),
        "series": len(result),
    }


def fetch_graph(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    """{"points": [[t, v], ...], "start": t, "end": t, "label": str, "series": int}: the
    first series of a range query over the widget's range, ending now."""
    query = promql(params)
    span = RANGES.get(str(params.get("range", "")), RANGES["1h"])
    end = math.ceil(time.time())
    start = end - span
    if not query:
        return {"points": [], "start": start, "end": end, "label": "", "series": 0}
    data = _api(ctx, "/api/v1/query_range", {
        "query": query, "start": str(start), "end": str(end), "step": str(max(span // STEPS, 1)),
    })  # fmt: skip
    if field(data, "resultType", SERVICE, str) != "matrix":
        raise unexpected(SERVICE, "a range query answer that is not a matrix")
    result = data.get("result")
    if not isinstance(result, list) or not result:
        return {"points": [], "start": start, "end": end, "label": "", "series": 0}
    first = result[0] if isinstance(result[0], dict) else {}
    points = []
    for pair in first.get("values") or []:
        if isinstance(pair, list) and len(pair) == 2:
            value = _number(pair[1])
            at = _number(pair[0])
            if value is not None and at is not None:
                points.append([at, value])
    return {"points": points, "start": start, "end": end, "label": _label(first.get("metric")),
            "series": len(result)}  # fmt: skip


KIND = register(
    IntegrationKind(
        slug=SLUG,
        name="Prometheus",
        description="Metrics: one PromQL value with thresholds, or a small graph over time.",
        secret_sets=(
            (),
            (SecretField("username", "Username", plain=True), SecretField("password", "Password")),
            (SecretField("token", "Bearer token"),),
        ),
        test_connection=test_connection,
        queries={
            "stat": Query("stat", fetch_stat, ttl=15),
            "graph": Query("graph", fetch_graph, ttl=30),
        },
        widgets={"stat": "stat", "graph": "graph"},
        secrets_help=(
            "None for a plain Prometheus. With basic_auth_users in its web configuration file "
            "(--web.config.file), that username and password; behind a proxy that wants a "
            "token, the bearer token."
        ),
        docs_url="https://prometheus.io/docs/prometheus/latest/querying/api/",
        icon="prometheus",
        secrets_url="https://prometheus.io/docs/prometheus/latest/configuration/https/",
        default_url="http://127.0.0.1:9090",
    )
)
