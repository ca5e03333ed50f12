"""A user's own sessions and login history, with revocation: one, all others, all."""

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe
from user_agents import parse as parse_user_agent

from homeportal.http import AuthenticatedRequest
from homeportal.net import client_ip
from sessions_admin import audit
from sessions_admin.audit_text import provider_name
from sessions_admin.models import LoginRecord, UserSession, hash_session_key
from sessions_admin.services import revoke_sessions

HISTORY_LENGTH = 20


def describe_device(user_agent: str) -> str:
    if not user_agent:
        return _("Unknown device")
    agent = parse_user_agent(user_agent)
    browser = agent.browser.family if agent.browser.family != "Other" else _("Unknown browser")
    system = agent.os.family if agent.os.family != "Other" else _("unknown system")
    return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}


class RevokeForm(forms.Form):
    SCOPES = (("one", "one"), ("others", "others"), ("all", "all"))
    scope = forms.ChoiceField(choices=SCOPES)
    session = forms.CharField(max_length=64, required=False)

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("scope") == "one" and not cleaned.get("session"):
            raise forms.ValidationError(_("Choose the session to end."))
        return cleaned


@require_safe
@login_required
def my_sessions(request: AuthenticatedRequest) -> HttpResponse:
    current = hash_session_key(request.session.session_key or "")
    sessions = [
        {
            "id": s.session_key,
            "device": describe_device(s.user_agent),
            "ip": s.ip,
            "provider": provider_name(s.provider),
            "created": s.created,
            "last_seen": s.last_seen,
            "remember": s.remember,
            "current": s.session_key == current,
            # The protected apps this session reached through the reverse proxy's gate.
            "apps": sorted(use.app.name for use in s.app_uses.all()),
        }
        for s in UserSession.objects.filter(user=request.user)
        .order_by("-last_seen")
        .prefetch_related("app_uses__app")
    ]
    history = list(LoginRecord.objects.filter(user=request.user)[:HISTORY_LENGTH])
    for record in history:
        record.provider_name = provider_name(record.provider)  # type: ignore[attr-defined]  # for the template
    context = {"sessions": sessions, "history": history}
    template = "sessions_admin/my_sessions.html"
    if request.htmx:
        template += "#session-list"
    return render(request, template, context)


@require_POST
@login_required
def revoke(request: AuthenticatedRequest) -> HttpResponse:
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors.as_text())
        return redirect("sessions_admin:mine")
    scope = form.cleaned_data["scope"]
    current_key = request.session.session_key
    if scope == "one":
        target = form.cleaned_data["session"]
        ended, _count = UserSession.objects.filter(user=request.user, session_key=target).delete()
        if not ended:
            raise Http404  # not one of this user's sessions
        count = 1
        scope_is_current = target == hash_session_key(current_key or "")
    else:
        keep = current_key if scope == "others" else None
        count = revoke_sessions(request.user, keep_session_key=keep)
        scope_is_current = scope == "all"
    audit.record("session.revoked", actor=request.user, target=request.user, ip=client_ip(request),
                 details={"scope": scope, "count": count})  # fmt: skip
    if scope_is_current:
        logout(request)
        return redirect("accounts:login")
    messages.success(
        request,
        ngettext("%(n)d session ended.", "%(n)d sessions ended.", count) % {"n": count},
    )
    return redirect("sessions_admin:mine")
