"""How the administration pages answer a change that a role rule refused: 403 with the rule's
reason, and an audit entry saying who was refused what, on what, and why (aggregated, so a
refusal loop cannot flood the log: sessions_admin.audit.record_refusal)."""

from django.http import HttpResponse
from django.shortcuts import render
from django_htmx.http import reswap, retarget

from groups.rules import RuleError
from homeportal.http import Request
from homeportal.net import client_ip
from sessions_admin import audit


def describe_target(request: Request, target=None) -> str:
    """The object of the refused action: the one the view names, else the URL's arguments."""
    if target is not None:
        return f"{target._meta.model_name} {target}"
    match = request.resolver_match
    kwargs = match.kwargs if match is not None else {}
    return " ".join(f"{k}={v}" for k, v in sorted(kwargs.items()))


def record_refusal(request: Request, reason: str, target=None) -> None:
    match = request.resolver_match
    audit.record_refusal(
        match.view_name if match is not None else request.path,
        actor=request.user,
        target=describe_target(request, target),
        reason=str(reason),
        ip=client_ip(request),
    )


def refused(request: Request, error: RuleError, back: str = "", target=None) -> HttpResponse:
    """403 with the rule's reason: a page, or for htmx the message alone, shown in the page's
    notice area whatever element the request meant to update."""
    record_refusal(request, error.messages[0], target)
    context = {"reason": error.messages[0], "back": back}
    if request.htmx:
        response = render(request, "groups/refused.html#notice", context, status=403)
        return reswap(retarget(response, "#admin-notices"), "innerHTML")
    return render(request, "groups/refused.html", context, status=403)
