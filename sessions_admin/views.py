"""Impersonation (start and return) and the audit log page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.models import User
from groups import rules
from groups.decorators import impersonable, require_permission
from groups.permissions import ADMIN, AUDIT_VIEW
from groups.refusals import refused
from sessions_admin import impersonation
from sessions_admin.forms import AuditFilterForm
from sessions_admin.models import AuditEntry

AUDIT_PER_PAGE = 50


@require_POST
@require_permission(ADMIN)
def impersonate_start(request: HttpRequest, username: str) -> HttpResponse:
    target = get_object_or_404(User, username=username.lower())
    try:
        impersonation.start(request, target)
    except rules.RuleError as error:
        return refused(request, error, back=reverse("users:detail", args=[target.username]))
    messages.info(
        request,
        _("You are acting as %(name)s for at most an hour.") % {"name": target.get_short_name()},
    )
    return redirect("home")


@impersonable
@require_POST
@login_required
def impersonate_stop(request: HttpRequest) -> HttpResponse:
    """Back to the admin's own account (the banner's button)."""
    target = request.user
    if getattr(request, "impersonator", None) is None:
        return redirect("home")
    impersonation.end(request, reason="returned")
    messages.info(request, _("You are acting as yourself again."))
    return redirect("users:detail", username=target.username)


@require_safe
@require_permission(AUDIT_VIEW)
def audit_list(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    entries = form.filter(AuditEntry.objects.all())
    page = Paginator(entries, AUDIT_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    template = "sessions_admin/audit.html#list" if request.htmx else "sessions_admin/audit.html"
    return render(request, template, context)
