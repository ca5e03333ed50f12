"""A small download client and system monitor served over real HTTP on loopback, and the
test-only integration kind ("lab") that talks to it through the outbound door.

This is the seam for testing the integrations platform (pages, widgets, cache, actions,
secrets) without the real daemons, whose own kinds are tested against them elsewhere. The
service counts every request, so tests can assert how many reached it.
"""

import base64
import json
import os
import re
import threading
from contextlib import contextmanager
from copy import deepcopy

from integrations.kinds import (
    Action,
    ConnectionProblem,
    Context,
    IntegrationKind,
    InvalidParams,
    Query,
    SecretField,
    get_kind,
    register,
)
from tests.outbound_servers import QuietHandler, serve

TORRENTS = [
    {"id": "a1", "name": "debian-13.iso", "progress": 0.42, "size": 700 * 1024**2,
     "down_speed": 3_200_000, "up_speed": 12_000, "eta": 3 * 3600 + 12 * 60,
     "state": "downloading", "error": ""},
    {"id": "b2", "name": "family-photos.tar", "progress": 1.0, "size": 3 * 1024**3,
     "down_speed": 0, "up_speed": 54_000, "eta": None, "state": "seeding", "error": ""},
]  # fmt: skip
SYSTEM = {
    "cpu": 37.5, "cores": 4, "load": [0.52, 0.61, 0.7],
    "memory": {"total": 8 * 1024**3, "used": 5 * 1024**3, "percent": 62.5},
    "swap": {"total": 2 * 1024**3, "used": 0, "percent": 0.0},
    "disks": [{"mount": "/", "total": 100 * 1024**3, "used": 81 * 1024**3, "percent": 81.0}],
    "uptime": 5 * 86400 + 3600, "sensors": [{"label": "CPU", "value": 48.0, "unit": "°C"}],
}  # fmt: skip


class LabState:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str]] = []
        self.torrents = deepcopy(TORRENTS)
        self.credentials: tuple[str, str] | None = None
        self.delay = 0.0
        self.gate: threading.Event | None = None  # when set: every answer waits for it
        self.seen_headers: list[str] = []

    def count(self, path: str) -> int:
        return sum(1 for _m, p in self.requests if p == path)


class LabHandler(QuietHandler):
    state: LabState

    def _authorised(self) -> bool:
        expected = self.state.credentials
        if expected is None:
            return True
        token = base64.b64encode(f"{expected[0]}:{expected[1]}".encode()).decode()
        return self.headers.get("Authorization") == f"Basic {token}"

    def _sent_credentials(self) -> str:
        """What the client sent, decoded: a careless service echoes it back in its errors."""
        sent = self.headers.get("Authorization", "")
        try:
            return base64.b64decode(sent.removeprefix("Basic ")).decode()
        except ValueError:
            return sent

    def _json(self, value, status=200):
        self.answer(status, json.dumps(value).encode(), {"Content-Type": "application/json"})

    def do_GET(self):
        state = self.state
        with state.lock:
            state.requests.append(("GET", self.path))
            state.seen_headers.append(str(self.headers))
        if state.delay:
            threading.Event().wait(state.delay)
        if state.gate is not None:
            state.gate.wait(10)
        if not self._authorised():
            return self._json({"error": f"unknown credentials {self._sent_credentials()}"}, 401)
        if self.path == "/api/version":
            return self._json({"version": "1.2"})
        if self.path == "/api/torrents":
            with state.lock:
                items = deepcopy(state.torrents)
            return self._json(items)
        if self.path == "/api/system":
            return self._json(SYSTEM)
        self._json({"error": "not found"}, 404)

    def do_POST(self):
        state = self.state
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        with state.lock:
            state.requests.append(("POST", self.path))
        if not self._authorised():
            return self._json({"error": "unauthorised"}, 401)
        with state.lock:
            targets = [t for t in state.torrents if body.get("id") in (None, t["id"])]
            if self.path == "/api/pause":
                for t in targets:
                    t["state"] = "paused"
            elif self.path == "/api/resume":
                for t in targets:
                    t["state"] = "seeding" if t["progress"] >= 1 else "downloading"
            elif self.path == "/api/remove":
                state.torrents = [t for t in state.torrents if t not in targets]
            else:
                return self._json({"error": "not found"}, 404)
        self._json({"ok": True})


@contextmanager
def lab_service():
    """`with lab_service() as (url, state):` a fresh service on a free loopback port."""
    handler = type("Handler", (LabHandler,), {"state": LabState()})
    with serve(handler) as url:
        yield url, handler.state


# --- the kind -----------------------------------------------------------------------------

TTL = int(os.environ.get("LAB_TTL", "30"))  # seconds; the benchmark shortens it


def _auth(ctx: Context):
    if ctx.secrets.get("username"):
        return (ctx.secrets["username"], ctx.secrets.get("password", ""))
    return None


def _get(ctx: Context, path: str):
    answer = ctx.request("GET", path, auth=_auth(ctx))
    if answer.status == 401:
        # A careless kind: the service's own words, which echo the password, go into the
        # message. The platform must blank secrets out of whatever a kind says.
        raise ConnectionProblem(
            ConnectionProblem.AUTHENTICATION, f"Lab refused the credentials: {answer.text[:200]}"
        )
    if answer.status != 200:
        raise ConnectionProblem(ConnectionProblem.UNEXPECTED, f"Lab answered {answer.status}.")
    return answer.json()


def _post(ctx: Context, path: str, body: dict) -> None:
    answer = ctx.request("POST", path, json=body, auth=_auth(ctx))
    if answer.status == 401:
        raise ConnectionProblem(ConnectionProblem.AUTHENTICATION, "Lab refused the credentials.")


def test_connection(ctx: Context) -> str:
    return "Lab " + _get(ctx, "/api/version")["version"]


def downloads(ctx: Context, params) -> dict:
    items = _get(ctx, "/api/torrents")
    counts = {
        "active": sum(t["state"] in ("downloading", "seeding") for t in items),
        "paused": sum(t["state"] == "paused" for t in items),
        "done": sum(t["progress"] >= 1 for t in items),
        "total": len(items),
    }
    return {
        "down_speed": sum(t["down_speed"] for t in items if t["state"] != "paused"),
        "up_speed": sum(t["up_speed"] for t in items if t["state"] != "paused"),
        "counts": counts,
        "items": items,
    }


def system(ctx: Context, params) -> dict:
    return _get(ctx, "/api/system")


def _action(path: str, with_id: bool):
    def run(ctx: Context, params) -> None:
        if with_id and not re.fullmatch(r"[a-z0-9]{1,8}", params["id"]):
            raise InvalidParams("not a download of this service")  # as the real kinds do
        _post(ctx, path, {"id": params["id"]} if with_id else {})

    return run


def lab_kind() -> IntegrationKind:
    existing = get_kind("lab")
    if existing is not None:
        return existing
    return register(
        IntegrationKind(
            slug="lab",
            name="Lab",
            description="A test service with downloads and system data.",
            secret_sets=((), (SecretField("username", "Username", plain=True),
                              SecretField("password", "Password"))),
            test_connection=test_connection,
            queries={"downloads": Query("downloads", downloads, ttl=TTL),
                     "system": Query("system", system, ttl=TTL)},
            actions={
                "pause": Action("pause", "Pause", _action("/api/pause", True), params=("id",)),
                "resume": Action("resume", "Resume", _action("/api/resume", True), params=("id",)),
                "pause_all": Action("pause_all", "Pause all", _action("/api/pause", False)),
                "resume_all": Action("resume_all", "Resume all", _action("/api/resume", False)),
                "remove": Action("remove", "Remove", _action("/api/remove", True), params=("id",),
                                 confirm="Remove this download? Its files stay."),
            },
            widgets={"downloads": "downloads", "system": "system"},
            default_url="http://127.0.0.1:9091",
        )
    )  # fmt: skip
