"""Settings → Protected apps (list, create, edit, delete, access), the forward-auth endpoints
for the reverse proxies, and the page a refused browser is sent to (/auth/start/)."""

import logging
import time
from typing import cast
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts import two_factor
from accounts.two_factor_views import CodeForm, checked_by_throttle
from groups.access_tab import AccessRowForm
from groups.models import Group
from groups.permissions import ADMIN, APP_MANAGE, expand
from homeportal.http import AuthenticatedRequest, Request
from homeportal.net import client_ip, in_networks, peer_address
from protected_apps import gate
from protected_apps.access import may_manage, require_app_manage, visible_apps, with_app
from protected_apps.forms import ProtectedAppForm
from protected_apps.models import Level, ProtectedApp, ProtectedAppAccess
from sessions_admin import audit, engine
from sessions_admin.models import hash_session_key

logger = logging.getLogger(__name__)
GET_POST = ["GET", "POST"]


def posted(request: HttpRequest):
    return request.POST if request.method == "POST" else None


# --- Forward-auth endpoints (answered by protected_apps.middleware before the session loads) --


def _trusted_peer(request: HttpRequest) -> bool:
    return in_networks(peer_address(request), settings.AUTH_FORWARD_TRUSTED_NETWORKS)


def _quiet(response: HttpResponse) -> HttpResponse:
    """Not written to the request log: a proxy asks before every request, and an anonymous
    visitor's 401 or a refusal is the gate working (refusals go to the audit log, counted)."""
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _answer(request: HttpRequest, decision: gate.Decision, login: HttpResponse) -> HttpResponse:
    if decision.outcome == gate.ALLOW:
        response = HttpResponse(status=200)
        for name, value in decision.headers:
            response[name] = value
        return response
    if decision.outcome in (gate.LOGIN, gate.TWO_FACTOR):
        return _quiet(login)
    if decision.outcome == gate.DENIED:
        _record_denied(request, decision)
    return _quiet(HttpResponse(status=403))


def _record_denied(request: HttpRequest, decision: gate.Decision) -> None:
    from accounts.models import User

    app = decision.app
    if app is None:
        return
    users = User.objects.filter(pk=decision.user_id) if decision.user_id is not None else None
    user = users.values_list("username", flat=True).first() if users is not None else None
    target = ProtectedApp(pk=app.pk, name=app.name)
    audit.record_counted("protected_app.denied", key=f"protected-app-denied:{app.pk}",
                         target=target, ip=client_ip(request),
                         details={"last_user": user or "?"})  # fmt: skip


def _cookie(request: HttpRequest) -> str:
    return request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")


@csrf_exempt
def auth_nginx(request: HttpRequest) -> HttpResponse:
    """nginx `auth_request`: 200 with the identity headers, 401 to log in (nginx then sends the
    browser to /auth/start/ with the original address), 403 without access. The address asked
    for comes from `X-Original-URL` (or `X-Forwarded-Host` and `X-Forwarded-Uri`), and only
    from a trusted proxy."""
    if not _trusted_peer(request):
        logger.warning("forward auth asked by %s, outside AUTH_FORWARD_TRUSTED_NETWORKS",
                       peer_address(request))  # fmt: skip
        return _quiet(HttpResponse(status=403))
    original = request.headers.get("X-Original-URL", "")
    if original:
        try:
            parts = urlsplit(original)
            host, path = parts.netloc, parts.path or "/"
        except ValueError:
            return HttpResponse(status=403)
    else:
        host = request.headers.get("X-Forwarded-Host", "")
        path = request.headers.get("X-Forwarded-Uri", "/")
    decision = gate.decide(_cookie(request), host, path)
    return _answer(request, decision, HttpResponse(status=401))


@csrf_exempt
def auth_forward(request: HttpRequest) -> HttpResponse:
    """Traefik `forwardAuth` and Caddy `forward_auth`: the address asked for comes from
    `X-Forwarded-Proto`, `-Host` and `-Uri` (only from a trusted proxy); 200 with the identity
    headers, a redirect to /auth/start/ to log in, 403 without access."""
    if not _trusted_peer(request):
        logger.warning("forward auth asked by %s, outside AUTH_FORWARD_TRUSTED_NETWORKS",
                       peer_address(request))  # fmt: skip
        return _quiet(HttpResponse(status=403))
    proto = request.headers.get("X-Forwarded-Proto", "https").lower()
    host = request.headers.get("X-Forwarded-Host", "")
    uri = request.headers.get("X-Forwarded-Uri", "/") or "/"
    decision = gate.decide(_cookie(request), host, uri)
    proto = proto if proto in ("http", "https") else "https"
    target = f"{proto}://{host}{uri if uri.startswith('/') else '/' + uri}"
    return _answer(request, decision, HttpResponseRedirect(start_url(target)))


def start_url(target: str) -> str:
    """The portal's /auth/start/ address for `target` (absolute when BASE_URL is set, which it
    must be for Traefik and Caddy: their request carries the app's host, not the portal's)."""
    return f"{settings.BASE_URL}{reverse('protected_apps:start')}?{urlencode({'rd': target})}"


class StepUpForm(CodeForm):
    pass


def return_address(request: HttpRequest) -> str:
    """The `rd` parameter: encoded (our own redirects), or, first and unencoded, the rest of
    the query string (nginx's `error_page` cannot encode the address it puts there)."""
    raw = request.META.get("QUERY_STRING", "")
    if raw.startswith(("rd=http://", "rd=https://")):
        return raw[3:]
    return request.GET.get("rd", "")


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(GET_POST)
def start(request: Request) -> HttpResponse:
    """Where a proxy sends a browser it refused: log in, or give the second factor an app
    requires, then back to the app. `rd` must be an address of a protected app."""
    target = return_address(request)
    if not gate.is_protected_url(target, request):
        return render(request, "protected_apps/start.html", {"bad_target": True}, status=400)
    if not request.user.is_authenticated:
        return redirect_to_login(target)
    parts = urlsplit(target)
    app = gate.find_app(gate.rules(_version()), parts.hostname or "", parts.path or "/")
    if app is None or not app.require_two_factor or request.session.get(engine.SECOND_FACTOR):
        return HttpResponseRedirect(target)
    user = request.user
    if not two_factor.is_enabled(user):
        context = {"app": app, "needs_setup": True}
        return render(request, "protected_apps/start.html", context, status=403)
    form = StepUpForm(data=posted(request))
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        signed_in = cast(AuthenticatedRequest, request)  # logged in: checked above
        passed = checked_by_throttle(signed_in, lambda: two_factor.check_second_factor(user, code))
        if passed:
            request.session[engine.SECOND_FACTOR] = time.time()
            request.session.save()  # before the gate forgets what it knew of this session
            gate.forget_session(hash_session_key(request.session.session_key or ""))
            return HttpResponseRedirect(target)
        if passed is False:
            form.add_error(None, _("That code is not valid. Try the next one from your app."))
    status = 400 if form.errors else 200
    return render(request, "protected_apps/start.html", {"app": app, "form": form}, status=status)


def _version() -> int:
    from groups.resolver import current_version

    return current_version()


# --- Settings → Protected apps --------------------------------------------------------------


@require_safe
def app_list(request: Request) -> HttpResponse:
    """The apps the user may reach; settings links for those they manage."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    grants = request.grants
    rows = [
        {"app": app, "manage": may_manage(grants, app)}
        for app in visible_apps(grants).order_by("name")[:500]
    ]
    context = {"rows": rows, "can_create": grants.has(APP_MANAGE)}
    return render(request, "protected_apps/list.html", context)


def _edit_page(request, form, app=None, status=200):
    context = {"form": form, "app": app, "tab": "edit"}
    return render(request, "protected_apps/edit.html", context, status=status)


@require_http_methods(GET_POST)
@require_app_manage
def app_create(request: AuthenticatedRequest) -> HttpResponse:
    form = ProtectedAppForm(posted(request))
    if request.method == "POST":
        if form.is_valid():
            app = form.save(commit=False)
            app.owner = request.user
            app.save()
            audit.record("protected_app.created", actor=request.user, target=app,
                         ip=client_ip(request), details={"host": app.host})  # fmt: skip
            messages.success(request, _("Protected app saved."))
            return redirect("protected_apps:edit", app.pk)
        return _edit_page(request, form, status=400)
    return _edit_page(request, form)


@require_http_methods(GET_POST)
@with_app
def app_edit(request: AuthenticatedRequest, app: ProtectedApp) -> HttpResponse:
    form = ProtectedAppForm(posted(request), instance=app)
    if request.method == "POST":
        if form.is_valid():
            changed = {
                name: [str(form.initial.get(name, "")), str(form.cleaned_data[name])]
                for name in form.changed_data
            }
            app = form.save()
            if changed:
                audit.record("protected_app.changed", actor=request.user, target=app,
                             ip=client_ip(request), details={"changed": changed})  # fmt: skip
            messages.success(request, _("Protected app saved."))
            return redirect("protected_apps:edit", app.pk)
        app.refresh_from_db()
        return _edit_page(request, form, app, status=400)
    return _edit_page(request, form, app)


@require_http_methods(GET_POST)
@with_app
def app_delete(request: AuthenticatedRequest, app: ProtectedApp) -> HttpResponse:
    if request.method == "POST":
        audit.record("protected_app.deleted", actor=request.user, target=app,
                     ip=client_ip(request), details={"host": app.host})  # fmt: skip
        app.delete()
        messages.success(request, _("Protected app deleted."))
        return redirect("protected_apps:list")
    return render(request, "protected_apps/delete.html", {"app": app, "tab": "delete"})


def inherited_access(app: ProtectedApp) -> list[dict]:
    rows: list[dict] = []
    label = Level.ACCESS.label
    if app.owner_id:
        rows.append({"who": app.owner, "kind": "user", "level": Level.ACCESS, "level_label": label,
                     "why": _("Owner (created the app)")})  # fmt: skip
    for group in Group.objects.all():
        permissions = expand(group.permissions)
        if ADMIN in permissions or APP_MANAGE in permissions:
            reason = ", ".join(p for p in group.permissions if p in (ADMIN, APP_MANAGE))
            rows.append({"who": group, "kind": "group", "level": Level.ACCESS,
                         "level_label": label,
                         "why": _("Global permission: %(p)s") % {"p": reason}})  # fmt: skip
    return rows


@require_http_methods(GET_POST)
@with_app
def app_access(request: AuthenticatedRequest, app: ProtectedApp) -> HttpResponse:
    form = AccessRowForm(app, ProtectedAppAccess, "app", Level.choices, posted(request))
    if request.method == "POST" and form.is_valid():
        row, created = form.save()
        audit.record("protected_app.access_changed", actor=request.user, target=app,
                     ip=client_ip(request), details={
                         "principal": str(row.user or row.group),
                         "kind": "user" if row.user_id else "group",
                         "level": row.level, "added": created})  # fmt: skip
        messages.success(request, _("Access saved."))
        return redirect("protected_apps:access", app.pk)
    rows = list(
        app.access_rows.select_related("user", "group").order_by("group__name", "user__username")
    )
    for row in rows:
        row.remove_url = reverse("protected_apps:access_remove", args=[app.pk, row.pk])  # type: ignore[attr-defined]  # for the template
    context = {
        "app": app, "form": form, "rows": rows, "can_edit": True, "tab": "access",
        "inherited": inherited_access(app),
        "levels_help": _("Access: the reverse proxy lets them through to the app, with their "
                         "name, email and groups in its headers. Add the everyone group to let "
                         "every user in."),
        "form_action": reverse("protected_apps:access", args=[app.pk]),
    }  # fmt: skip
    status = 400 if form.errors else 200
    return render(request, "protected_apps/access.html", context, status=status)


@require_POST
@with_app
def app_access_remove(
    request: AuthenticatedRequest, app: ProtectedApp, row_id: int
) -> HttpResponse:
    row = get_object_or_404(app.access_rows.select_related("user", "group"), pk=row_id)
    principal = str(row.user or row.group)
    row.delete()
    audit.record("protected_app.access_removed", actor=request.user, target=app,
                 ip=client_ip(request), details={"principal": principal})  # fmt: skip
    messages.success(request, _("Access of %(who)s removed.") % {"who": principal})
    return redirect("protected_apps:access", app.pk)
