"""The authorization matrix: every URL pattern, every persona, the status each must get.

Each app's tests contribute a `routes.py` module with

    ROUTES = {"app:name": Route(path=..., get={...}, post={...}), ...}
    def setup_world(world): ...   # optional: create the objects the paths need

`path` is a string or a function of the world (e.g. `lambda w: f"/boards/{w.board.name}/"`).
`get` and `post` map a persona (or "*" for every other persona) to the expected status code;
`post=None` means the URL takes no POST and must refuse it with 405 or the GET answer for
anonymous redirects. A URL pattern without an entry fails the suite, so a new view cannot be
added without saying who may reach it.

API routes (under /api/v1/) set `scopes`, the token scopes they need: their `get` and `post`
tables are what each persona gets with a token holding every scope, and the matrix derives the
rest: every other set of scopes (each scope alone, none) answers 403 where it lacks one
needed, a wrong method 405 whatever the scopes, and a session cookie or no token 401.
"""

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.urls import URLPattern, URLResolver, get_resolver

import tests


@dataclass
class Route:
    path: str | Callable[[SimpleNamespace], str]
    get: dict[str, int] | None = None
    post: dict[str, int] | None = None
    post_data: dict | Callable[[SimpleNamespace], dict] = field(default_factory=dict)
    htmx: bool = False
    scopes: tuple[str, ...] | None = None  # an API route: the token scopes it needs

    def url(self, world) -> str:
        return self.path(world) if callable(self.path) else self.path

    def data(self, world) -> dict:
        return self.post_data(world) if callable(self.post_data) else self.post_data

    @staticmethod
    def expected(table: dict[str, int] | None, persona: str) -> int | None:
        if table is None:
            return None
        return table.get(persona, table.get("*"))


def url_names(resolver: URLResolver | None = None, prefix: str = "") -> set[str]:
    """Every named URL pattern in the URLconf, with its namespace."""
    names: set[str] = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            names |= url_names(entry, namespace)
        elif isinstance(entry, URLPattern):
            if entry.name is None:
                raise AssertionError(f"URL pattern {entry.pattern} has no name")
            names.add(prefix + entry.name)
    return names


def route_modules():
    for info in pkgutil.walk_packages(tests.__path__, "tests."):
        if info.name.endswith(".routes"):
            yield importlib.import_module(info.name)


def all_routes() -> dict[str, Route]:
    routes: dict[str, Route] = {}
    for module in route_modules():
        for name, route in module.ROUTES.items():
            assert name not in routes, f"{name} has two entries in the matrix"
            routes[name] = route
    return routes


def build_world(people) -> SimpleNamespace:
    world = SimpleNamespace(people=people)
    for module in route_modules():
        setup = getattr(module, "setup_world", None)
        if setup is not None:
            setup(world)
    return world
