"""The interface every integration kind declares, and the registry of kinds (see the
package's docstring for the whole contract and the shared widget data shapes)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms


class ConnectionProblem(Exception):
    """What went wrong talking to a service, in words a person can act on.

    `reason` is one of the constants below; `message` is a sentence without secrets.
    """

    UNREACHABLE = "unreachable"  # refused, timed out, name does not resolve, address refused
    TLS = "tls"  # certificate or handshake failure
    AUTHENTICATION = "authentication"  # wrong or missing credentials
    UNEXPECTED = "unexpected"  # it answered, but not as this kind of service would
    VERSION = "version"  # a version of the service this kind does not support

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


class InvalidParams(ValueError):
    """An action's parameters are not what it takes (a malformed id): nothing was sent to the
    service, and the person who asked gets a 400."""


@dataclass(frozen=True)
class SecretField:
    name: str  # "password"
    label: str
    # Shown as text while typing (a username) rather than as a password field. Still a
    # secret: stored encrypted and never sent back to a browser.
    plain: bool = False


@dataclass(frozen=True)
class Query:
    name: str
    fetch: Callable[[Context, Mapping[str, Any]], Any]
    ttl: int  # seconds the answer stays fresh in the shared cache


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    run: Callable[[Context, Mapping[str, str]], None]
    params: tuple[str, ...] = ()  # the parameters it takes, all strings (e.g. ("id",))
    level: str = "interact"  # the integration level the acting user needs
    confirm: str = ""  # a question to confirm first ("Remove this download?"), or ""


@dataclass(frozen=True)
class Context:
    """What a kind knows of one integration while it works."""

    url: str  # the service's base address, without a trailing slash
    secrets: Mapping[str, str]
    options: Mapping[str, Any]
    integration_id: int | None = None  # for per-integration state (session ids, cookies)
    verify_tls: bool = True
    timeout: float = 10.0  # total seconds for one call, connection included

    def endpoint(self, path: str) -> str:
        return self.url.rstrip("/") + "/" + path.lstrip("/")

    def request(self, method: str, path: str, **kwargs):
        """One call through the outbound door to `path` under the integration's address.

        Keyword arguments are those of `homeportal.outbound.request`; its errors are mapped to
        `ConnectionProblem` by the caller of the kind (the data and test-connection paths).
        """
        from homeportal import outbound  # imported here: only calls need it

        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("verify_tls", self.verify_tls)
        return outbound.request(method, self.endpoint(path), **kwargs)


@dataclass(frozen=True)
class IntegrationKind:
    slug: str  # "transmission"
    name: str  # "Transmission"
    description: str  # one line for the kind picker
    # Alternatives: each tuple is one complete set; an empty tuple means "no secrets".
    secret_sets: tuple[tuple[SecretField, ...], ...]
    # Raises ConnectionProblem, or answers a short sentence ("Transmission 3.00").
    test_connection: Callable[[Context], str]
    queries: Mapping[str, Query] = field(default_factory=dict)
    actions: Mapping[str, Action] = field(default_factory=dict)
    widgets: Mapping[str, str] = field(default_factory=dict)  # widget name -> query name
    options_form: type[forms.Form] | None = None
    secrets_help: str = ""  # where to find the secrets in the service
    docs_url: str = ""
    secrets_url: str = ""  # the service's page that says where its secrets are ("": docs_url)
    # The bundled brand icon's slug (boards/icons.py), e.g. "transmission": not a static file
    # path, since the brand icons are served from one collected file, not one file each.
    icon: str = ""
    default_url: str = ""  # e.g. "http://127.0.0.1:9091"

    @property
    def secret_names(self) -> frozenset[str]:
        return frozenset(f.name for group in self.secret_sets for f in group)

    @property
    def icon_url(self) -> str:
        """The address of the kind's own icon (its hashed address, which answers in
        production as in development); "" when it has none."""
        from boards.icons import icon

        found = icon(self.icon) if self.icon else None
        return found["url"] if found is not None else ""


_REGISTRY: dict[str, IntegrationKind] = {}


def register(kind: IntegrationKind) -> IntegrationKind:
    if kind.slug in _REGISTRY:
        raise ValueError(f"integration kind {kind.slug!r} is registered twice")
    _REGISTRY[kind.slug] = kind
    return kind


def get_kind(slug: str) -> IntegrationKind | None:
    return _REGISTRY.get(slug)


def all_kinds() -> list[IntegrationKind]:
    return sorted(_REGISTRY.values(), key=lambda kind: kind.name.lower())


def kinds_for_widget(widget: str) -> list[IntegrationKind]:
    return [kind for kind in all_kinds() if widget in kind.widgets]
