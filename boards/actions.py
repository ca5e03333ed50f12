"""Integration actions run from a board's widget: one code path for the page's buttons
(boards.views.item_action) and the API (apitokens.endpoints).

`find_action` reaches the action through the board item (404 when the item, its integration
or the action does not exist); `perform` needs the caller's own level on the integration that
the action asks for, checks the parameters, runs it and writes the audit entry.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from boards.forms import ActionForm
from boards.models import Board, Item
from boards.widgets.base import WidgetKind
from boards.widgets.integration import query_params
from homeportal.http import Request
from homeportal.net import client_ip
from integrations.access import can as can_integration
from integrations.data import run_action
from integrations.kinds import Action, ConnectionProblem, InvalidParams
from integrations.models import Integration
from sessions_admin import audit


class BadParams(Exception):
    """The action's parameters are not understood: nothing was sent."""


@dataclass
class Found:
    item: Item
    widget: WidgetKind
    integration: Integration
    action: str
    spec: Action
    refresh: Callable[[Any, Any], Any]  # the widget's, which has one


def find_action(board: Board, item_id: int, action: str) -> Found:
    item = board.items.filter(pk=item_id).first()
    widget = item.widget if item is not None else None
    if item is None or widget is None or not widget.integration or widget.refresh is None:
        raise Http404
    integration = Integration.objects.filter(pk=item.options.get("integration")).first()
    kind = integration.kind_module if integration is not None else None
    spec = kind.actions.get(action) if kind is not None and widget.accepts(integration) else None
    if integration is None or spec is None:
        raise Http404
    return Found(item, widget, integration, action, spec, widget.refresh)


def perform(request: Request, board: Board, found: Found, data) -> tuple[dict, str]:
    """Runs the action: (its parameters, the upstream's problem or ""). Raises
    PermissionDenied without the level, BadParams for parameters it does not take."""
    if not can_integration(request.grants, found.integration, found.spec.level):
        raise PermissionDenied
    form = ActionForm(found.spec.params, data)
    if not form.is_valid():
        raise BadParams
    params = form.cleaned_data
    problem = ""
    try:
        run_action(found.integration, found.action, params, query_params(found.item))
    except InvalidParams:
        raise BadParams from None
    except ConnectionProblem as error:
        problem = error.message
    audit.record("integration.action", actor=request.user, target=found.integration,
                 ip=client_ip(request), details={
                     "action": found.action, "target": params.get("id", ""), "board": board.name,
                     "item": found.item.pk, "ok": not problem})  # fmt: skip
    return params, problem
