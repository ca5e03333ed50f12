"""Impersonation: an admin acts as a non-admin user for at most an hour (Cloudron's
"impersonate user"), to set things up on their behalf or to see what they see.

The admin stays the session's real user: the session row, its revocation and "return" all
belong to them, and the impersonation is a mark in their session (who, until when). On every
request the middleware below swaps `request.user` for the impersonated user after checking
that the mark is still valid: not past its hour, the admin still an admin, the user still
active, neither an admin nor the owner. An invalid mark is removed and the request goes on as
the admin.

An impersonated request reaches only the views marked `@impersonable` (groups.decorators):
the user's boards and preferences, logging out and the way back. Every other view — account
and security settings, every administration page, and any page added later without the
mark — answers 403: nobody escalates through it, and the user's password stays theirs. Every
audit entry written meanwhile names the admin too.
"""

import time
from datetime import UTC, datetime

from django.contrib import messages
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from groups import rules
from groups.decorators import is_impersonable
from groups.resolver import grants_for
from homeportal.net import client_ip
from sessions_admin import audit

SESSION_KEY = "_hp_impersonation"
MAX_SECONDS = 3600


def start(request, target) -> None:
    """Begins acting as `target`, or raises RuleError with the reason."""
    if getattr(request, "impersonator", None) is not None:
        raise rules.RuleError(_("Return to your own account first."))
    admin = request.user
    rules.check_may_impersonate(admin, target)
    until = time.time() + MAX_SECONDS
    request.session[SESSION_KEY] = {"user": target.pk, "until": until, "started": time.time()}
    audit.record(
        "impersonation.started",
        actor=admin,
        target=target,
        ip=client_ip(request),
        details={"until": datetime.fromtimestamp(until, UTC).isoformat()},
    )


def end(request, *, reason: str) -> None:
    """Drops the mark; the next request is the admin's own again."""
    state = request.session.pop(SESSION_KEY, None)
    if state is None:
        return
    from accounts.models import User

    admin = getattr(request, "impersonator", None) or request.user
    target = User.objects.filter(pk=state.get("user")).first()
    token = audit.impersonator.set(None)  # the admin is the actor of this one
    try:
        audit.record(
            "impersonation.ended",
            actor=admin,
            target=target,
            ip=client_ip(request),
            details={"reason": reason, "seconds": round(time.time() - state.get("started", 0))},
        )
    finally:
        audit.impersonator.reset(token)


def _target(admin, state: dict):
    """The impersonated user if the mark still holds, else (None, why it ended): the hour,
    then the same rule as at the start (groups.rules), from the grants cached for both."""
    from accounts.models import User

    if time.time() >= state.get("until", 0):
        return None, "expired"
    target_id = state.get("user")
    target = User.objects.filter(pk=target_id).first() if target_id else None
    if target is None:
        return None, "user deleted"
    refusal = rules.impersonate_refusal(
        admin, target, grants=grants_for(admin), target_is_admin=grants_for(target).is_admin
    )
    if refusal:
        return None, refusal
    return target, ""


def _blocked(request) -> bool:
    """Confined unless the view says it may be opened while acting as another user (an
    unknown address goes on to its 404)."""
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return False
    return not is_impersonable(match.func)


def impersonation_middleware(get_response):
    def middleware(request):
        request.impersonator = None
        state = request.session.get(SESSION_KEY) if request.user.is_authenticated else None
        if not state:
            return get_response(request)
        admin = request.user
        target, why = _target(admin, state)
        if target is None:
            end(request, reason=why)
            messages.info(request, _("You are acting as yourself again."))
            return get_response(request)
        request.impersonator = admin
        request.impersonation_until = datetime.fromtimestamp(state["until"], UTC)
        request.user = target
        request.grants = SimpleLazyObject(lambda: grants_for(target))
        if _blocked(request):
            context = {"target": target}
            return render(request, "sessions_admin/impersonation_blocked.html", context, status=403)
        token = audit.impersonator.set(admin)
        try:
            return get_response(request)
        finally:
            audit.impersonator.reset(token)

    return middleware
