"""Impersonation (start and return) and the audit log page."""

import csv
from datetime import UTC

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.models import User
from groups import rules
from groups.decorators import impersonable, require_permission
from groups.permissions import ADMIN, AUDIT_VIEW
from groups.refusals import refused
from homeportal.http import AuthenticatedRequest, Request
from sessions_admin import impersonation
from sessions_admin.audit_text import describe
from sessions_admin.forms import AuditFilterForm
from sessions_admin.models import AuditEntry

AUDIT_PER_PAGE = 50


@require_POST
@require_permission(ADMIN)
def impersonate_start(request: AuthenticatedRequest, username: str) -> HttpResponse:
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
def impersonate_stop(request: AuthenticatedRequest) -> HttpResponse:
    """Back to the admin's own account (the banner's button)."""
    target = request.user
    if getattr(request, "impersonator", None) is None:
        return redirect("home")
    impersonation.end(request, reason="returned")
    messages.info(request, _("You are acting as yourself again."))
    return redirect("users:detail", username=target.username)


def _audit_filter(request: Request) -> AuditFilterForm:
    actions = AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct()
    return AuditFilterForm(request.GET, actions=actions)


@require_safe
@require_permission(AUDIT_VIEW)
def audit_list(request: AuthenticatedRequest) -> HttpResponse:
    form = _audit_filter(request)
    entries = form.filter(AuditEntry.objects.all())
    page = Paginator(entries, AUDIT_PER_PAGE).get_page(request.GET.get("page"))
    for entry in page:
        entry.sentence = describe(entry.action, entry.details)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    template = "sessions_admin/audit.html#list" if request.htmx else "sessions_admin/audit.html"
    return render(request, template, context, status=400 if form.errors else 200)


class _Echo:
    """A file-like object whose write returns the line, for streaming csv rows."""

    def write(self, value: str) -> str:
        return value


@require_safe
@require_permission(AUDIT_VIEW)
def audit_export(request: AuthenticatedRequest) -> HttpResponseBase:
    """The filtered log as CSV, every page of it, streamed so a long log costs no memory."""
    form = _audit_filter(request)
    if not form.is_valid():
        return render(request, "sessions_admin/audit.html", {"form": form, "page": []}, status=400)
    entries = form.filter(AuditEntry.objects.all()).iterator(chunk_size=500)
    writer = csv.writer(_Echo())
    header = ["time (UTC)", "actor", "acted by", "address", "action", "target type", "target",
              "what happened"]  # fmt: skip

    def rows():
        yield writer.writerow(header)
        for entry in entries:
            yield writer.writerow([
                entry.created.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                _spreadsheet_safe(entry.actor_name),
                _spreadsheet_safe(entry.details.get("impersonated_by", "")
                                  if isinstance(entry.details, dict) else ""),
                entry.ip or "",
                entry.action,
                entry.target_type,
                _spreadsheet_safe(entry.target_repr),
                _spreadsheet_safe(describe(entry.action, entry.details)),
            ])  # fmt: skip

    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="homeportal-audit-{stamp}.csv"'
    return response


def _spreadsheet_safe(value: str) -> str:
    """Text a spreadsheet shows as text: names and titles come from users, and a cell that
    starts with = + - @ would be run as a formula (CSV injection)."""
    value = str(value)
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
