"""Integration kinds: one module of this package per service homeportal talks to.

A module declares an `IntegrationKind` and calls `register()` on it. The kind says which
secrets it needs (as alternatives: Transmission works with none or with a username and a
password), how to test a connection, which queries it answers (each with how long its answer
stays fresh) and which actions it runs (each with the integration level it needs). Adding a
kind is adding a module here and importing it at the bottom of this file; the widgets that show
its data are chosen through `widgets` (widget name -> query name).

Kinds never open sockets themselves: every call goes through `Context.request`, which is the
one outbound door (`homeportal.outbound`) with the integration's address, TLS choice and
deadline applied. Kinds never see the database or the request: they get a `Context` and return
plain, JSON-serialisable data. Secrets reach a kind only in `Context.secrets` and must never
appear in what it returns or raises.

Shapes of the shared widget data (every kind that feeds a widget answers this shape):

`downloads` (torrent and usenet clients)::

    {"down_speed": int bytes/s, "up_speed": int bytes/s,
     "counts": {"active": int, "paused": int, "done": int, "total": int},
     "items": [{"id": str, "name": str, "progress": float 0..1, "size": int bytes,
                "down_speed": int, "up_speed": int, "eta": int seconds | None,
                "state": "downloading" | "seeding" | "paused" | "queued" | "checking"
                         | "done" | "error",
                "error": str}]}   # error: "" unless state == "error"

    actions: "pause" and "resume" (params {"id": ...}), "pause_all", "resume_all",
    "remove" (params {"id": ...}; removes the download, keeps its files).

`system` (Glances and the like)::

    {"cpu": float percent, "cores": int, "load": [float, float, float],
     "memory": {"total": int bytes, "used": int bytes, "percent": float},
     "swap": {"total": int, "used": int, "percent": float},
     "disks": [{"mount": str, "total": int, "used": int, "percent": float}],
     "uptime": int seconds | None,
     "sensors": [{"label": str, "value": float, "unit": str}]}

`entities` (Home Assistant; params {"entities": [entity ids]})::

    {"areas": [{"name": str ("" for no area),
                "entities": [{"id": str, "name": str, "state": str, "unit": str,
                              "domain": str, "toggle": bool, "run": bool, "on": bool}]}],
     "missing": [entity ids the service does not know]}

    actions: "toggle" and "run" (params {"id": entity id}).

`stat` (params {"query": PromQL}): {"value": float | None, "label": str, "series": int}

`graph` (params {"query": PromQL, "range": "1h" | "6h" | "24h" | "7d"})::

    {"points": [[unix time, float], ...], "start": int, "end": int, "label": str,
     "series": int}

`calendar` (iCal)::

    {"at": str ISO time of the fetch,
     "events": [{"title": str, "location": str, "all_day": bool,
                 "floating": bool,   # a wall time without a time zone
                 "start": str, "end": str}]}  # ISO dates (all day) or times (UTC unless
                                              # floating); the end is exclusive

`values` (any JSON API)::

    {"values": [{"label": str, "value": str | int | float | bool | None, "unit": str,
                 "found": bool}]}
"""

# Kind modules register themselves on import; list them here as they are added.
from integrations.kinds import (  # noqa: F401
    aria2,
    calendar,
    deluge,
    glances,
    homeassistant,
    jsonapi,
    nzbget,
    prometheus,
    qbittorrent,
    transmission,
)
from integrations.kinds.base import (
    Action,
    ConnectionProblem,
    Context,
    IntegrationKind,
    InvalidParams,
    Query,
    SecretField,
    all_kinds,
    get_kind,
    kinds_for_widget,
    register,
)

__all__ = [
    "Action",
    "ConnectionProblem",
    "Context",
    "IntegrationKind",
    "InvalidParams",
    "Query",
    "SecretField",
    "all_kinds",
    "get_kind",
    "kinds_for_widget",
    "register",
]
