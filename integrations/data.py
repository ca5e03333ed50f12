"""Integration data and actions: the only place a kind's code is called.

Queries go through the shared fetch path (homeportal.shared_fetch): one upstream call per
(integration, query, parameters, secrets version) and lifetime, whoever watches, in every
server process. Actions are called directly and make the next read fetch again.

Whatever goes wrong reaches callers as a `ConnectionProblem` whose message names the service
and the kind of failure, never a secret: outbound errors are mapped to a reason, a kind's own
problems keep their message with any secret value blanked out, and any other exception from a
kind becomes "unexpected answer" without its text.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.utils.translation import gettext as _

from homeportal import outbound, shared_fetch
from integrations.kinds import ConnectionProblem, Context, IntegrationKind, InvalidParams
from integrations.models import Integration

logger = logging.getLogger(__name__)

WAIT_SECONDS = 5.0  # how long a viewer waits for another process's first answer
TIMEOUT = 10.0  # seconds, total, for one call of a kind


def cache_key(integration: Integration, query: str, params: Mapping[str, Any] | None) -> str:
    digest = hashlib.sha256(json.dumps(params or {}, sort_keys=True).encode()).hexdigest()[:16]
    return f"integration:{integration.pk}:{query}:{integration.secrets_version}:{digest}"


def problem_from(error: outbound.OutboundError, name: str) -> ConnectionProblem:
    if isinstance(error, outbound.TLSError):
        return ConnectionProblem(
            ConnectionProblem.TLS, _("%(s)s: the TLS connection failed.") % {"s": name}
        )
    if isinstance(error, outbound.Timeout):
        return ConnectionProblem(
            ConnectionProblem.UNREACHABLE, _("%(s)s did not answer in time.") % {"s": name}
        )
    if isinstance(error, outbound.Refused):
        return ConnectionProblem(
            ConnectionProblem.UNREACHABLE,
            _("%(s)s: this address is not contacted (link-local, metadata or multicast).")
            % {"s": name},
        )
    if isinstance(error, outbound.TooLarge):
        return ConnectionProblem(
            ConnectionProblem.UNEXPECTED, _("%(s)s answered too much data.") % {"s": name}
        )
    if isinstance(error, outbound.BadURL):
        return ConnectionProblem(
            ConnectionProblem.UNREACHABLE, _("%(s)s: the address is not valid.") % {"s": name}
        )
    return ConnectionProblem(
        ConnectionProblem.UNREACHABLE, _("%(s)s cannot be reached.") % {"s": name}
    )


def _scrub(message: str, context: Context) -> str:
    for value in context.secrets.values():
        if value and len(value) >= 3:
            message = message.replace(value, "•••")
    return message


def call(kind: IntegrationKind, context: Context, run: Callable[[Context], Any]) -> Any:
    """Runs a kind's function; every failure becomes a ConnectionProblem without secrets."""
    try:
        return run(context)
    except ConnectionProblem as problem:
        raise ConnectionProblem(problem.reason, _scrub(problem.message, context)) from None
    except InvalidParams:
        raise  # the asker's mistake, not the service's: nothing was sent
    except outbound.OutboundError as error:
        raise problem_from(error, kind.name) from None
    except Exception as error:  # a kind's bug or an answer it did not expect
        logger.warning("integration kind %s failed: %s", kind.slug, type(error).__name__)
        raise ConnectionProblem(
            ConnectionProblem.UNEXPECTED,
            _("%(s)s answered something unexpected.") % {"s": kind.name},
        ) from None


def query(
    integration: Integration,
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    wait: float = WAIT_SECONDS,
) -> shared_fetch.Entry | None:
    """The remembered answer of one query, fetched now by one process at a time."""
    kind = integration.kind_module
    if kind is None or name not in kind.queries:
        raise ConnectionProblem(ConnectionProblem.UNEXPECTED, _("This kind is not installed."))
    spec = kind.queries[name]

    def fetch():
        context = integration.context(timeout=TIMEOUT)
        try:
            return call(kind, context, lambda ctx: spec.fetch(ctx, params or {}))
        except ConnectionProblem as problem:
            raise shared_fetch.Failure(problem.reason, problem.message) from None

    return shared_fetch.shared_fetch(
        cache_key(integration, name, params), fetch, spec.ttl, lock_seconds=TIMEOUT + 2, wait=wait
    )


def remembered(integration: Integration, name: str, params=None) -> shared_fetch.Entry | None:
    return shared_fetch.peek(cache_key(integration, name, params))


def run_action(
    integration: Integration,
    name: str,
    params: Mapping[str, str],
    query_params: Mapping[str, Any] | None = None,
) -> None:
    """Runs an action; the answers it may have changed are fetched again at the next read:
    those without parameters and those with `query_params` (the widget's that asked)."""
    kind = integration.kind_module
    action = kind.actions.get(name) if kind else None
    if kind is None or action is None:
        raise ConnectionProblem(ConnectionProblem.UNEXPECTED, _("Unknown action."))
    context = integration.context(timeout=TIMEOUT)
    call(kind, context, lambda ctx: action.run(ctx, params))
    for query_name in kind.queries:
        shared_fetch.forget(cache_key(integration, query_name, None))
        if query_params:
            shared_fetch.forget(cache_key(integration, query_name, query_params))


def test_connection(kind: IntegrationKind, context: Context) -> str:
    """The kind's own sentence on success; ConnectionProblem otherwise."""
    return call(kind, context, kind.test_connection)
