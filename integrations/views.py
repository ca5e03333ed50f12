from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from groups import access_tab
from groups.access_tab import AccessRowForm
from groups.models import Group
from groups.permissions import ADMIN, expand
from homeportal.http import AuthenticatedRequest, Request
from homeportal.net import client_ip
from integrations import data
from integrations.access import (
    CREATE,
    level_of,
    require_integration_create,
    visible_integrations,
    with_integration,
)
from integrations.forms import (
    FilterForm,
    IntegrationForm,
    KindChoiceForm,
    options_form,
)
from integrations.kinds import ConnectionProblem, all_kinds, get_kind
from integrations.models import Integration, IntegrationAccess, Level
from sessions_admin import audit

GET_POST = ["GET", "POST"]


def posted(request: Request):
    return request.POST if request.method == "POST" else None


def secrets_needed(kind) -> str:
    """Which secrets a kind asks for, in one line: "Needs: Username + Password" or
    "Optional: Username + Password, or Bearer token"."""
    sets = [" + ".join(str(f.label) for f in group) for group in kind.secret_sets if group]
    if not sets:
        return _("No secrets needed.")
    alternatives = _(", or ").join(sets)
    if () in kind.secret_sets:
        return _("Optional: %(secrets)s") % {"secrets": alternatives}
    return _("Needs: %(secrets)s") % {"secrets": alternatives}


def kind_cards(kinds) -> list[dict]:
    """What the picker and the list say of each kind: icon, description, secrets, where."""
    return [
        {"kind": kind, "secrets": secrets_needed(kind), "where": kind.secrets_url or kind.docs_url}
        for kind in kinds
    ]


@require_safe
@login_required
def integration_list(request: AuthenticatedRequest) -> HttpResponse:
    """Integrations the user may at least `use`; addresses only for those with `full`."""
    grants = request.grants
    form = FilterForm(request.GET or None)
    integrations = visible_integrations(grants).order_by("name")
    if form.is_valid() and form.cleaned_data["q"]:
        integrations = integrations.filter(name__icontains=form.cleaned_data["q"])
    rows = [{"integration": i, "level": level_of(grants, i)} for i in integrations[:500]]
    context = {"rows": rows, "form": form, "can_create": grants.has(CREATE),
               "kinds": kind_cards(all_kinds())}  # fmt: skip
    return render(request, "integrations/list.html", context)


def _edit_page(request, form, options, kind, integration=None, tested=None, status=200):
    context = {"form": form, "options_form": options, "kind": kind, "integration": integration,
               "tested": tested, "tab": "edit"}  # fmt: skip
    if integration is not None:
        context["level"] = level_of(request.grants, integration)
    return render(request, "integrations/edit.html", context, status=status)


def _test(form: IntegrationForm, options_data: dict) -> dict:
    try:
        return {"ok": True, "message": data.test_connection(form.kind, form.context(options_data))}
    except ConnectionProblem as problem:
        return {"ok": False, "reason": problem.reason, "message": problem.message}


@sensitive_post_parameters()
@require_http_methods(GET_POST)
@require_integration_create
def integration_create(request: Request) -> HttpResponse:
    """Kind picker, then the kind's form; "Test connection" tries it without saving."""
    picker = KindChoiceForm(request.GET or None)
    if not picker.is_valid():
        return render(request, "integrations/pick_kind.html", {"kinds": kind_cards(all_kinds())},
                      status=400 if request.GET else 200)  # fmt: skip
    kind = get_kind(picker.cleaned_data["kind"])
    assert kind is not None  # the picker's choices are the known kinds
    form = IntegrationForm(kind, posted(request), initial={"url": kind.default_url})
    options = options_form(kind, posted(request))
    if request.method == "POST":
        valid = form.is_valid() & options.is_valid()
        if valid and "test" in request.POST:
            tested = _test(form, options.cleaned_data)
            return _edit_page(request, form, options, kind, tested=tested)
        if valid:
            with transaction.atomic():
                integration, _changed = form.save_with(options.cleaned_data, owner=request.user)
            audit.record("integration.created", actor=request.user, target=integration,
                         ip=client_ip(request), details={"kind": kind.slug})  # fmt: skip
            messages.success(request, _("Integration saved."))
            return redirect("integrations:edit", integration.pk)
        return _edit_page(request, form, options, kind, status=400)
    return _edit_page(request, form, options, kind)


@sensitive_post_parameters()
@require_http_methods(GET_POST)
@with_integration(Level.FULL)
def integration_edit(request: Request, integration: Integration) -> HttpResponse:
    kind = integration.kind_module
    if kind is None:
        return render(request, "integrations/unknown_kind.html",
                      {"integration": integration, "tab": "edit"})  # fmt: skip
    form = IntegrationForm(kind, posted(request), instance=integration)
    options = options_form(kind, posted(request), integration.options)
    if request.method == "POST":
        valid = form.is_valid() & options.is_valid()
        if valid and "test" in request.POST:
            tested = _test(form, options.cleaned_data)
            return _edit_page(request, form, options, kind, integration, tested=tested)
        if valid:
            with transaction.atomic():
                integration, changed = form.save_with(options.cleaned_data)
            if changed:
                audit.record("integration.changed", actor=request.user, target=integration,
                             ip=client_ip(request), details={"changed": changed})  # fmt: skip
            messages.success(request, _("Integration saved."))
            return redirect("integrations:edit", integration.pk)
        integration.refresh_from_db()
        return _edit_page(request, form, options, kind, integration, status=400)
    return _edit_page(request, form, options, kind, integration)


def boards_using(integration: Integration):
    from boards.models import Item
    from boards.widgets import all_widgets

    names = [w.name for w in all_widgets() if w.integration]
    items = Item.objects.filter(kind__in=names, options__integration=integration.pk)
    from boards.models import Board

    return Board.objects.filter(pk__in=items.values("board_id")).order_by("title")


@require_http_methods(GET_POST)
@with_integration(Level.FULL)
def integration_delete(request: Request, integration: Integration) -> HttpResponse:
    """Asks first, saying which boards show it (those the user may see, and how many others)."""
    from boards.access import visible_boards

    using = boards_using(integration)
    seen = list(visible_boards(request.grants).filter(pk__in=using.values("pk")))
    hidden = using.count() - len(seen)
    if request.method == "POST":
        audit.record("integration.deleted", actor=request.user, target=integration,
                     ip=client_ip(request), details={"kind": integration.kind})  # fmt: skip
        integration.delete()
        messages.success(request, _("Integration deleted."))
        return redirect("integrations:list")
    context = {"integration": integration, "boards": seen, "hidden": hidden, "tab": "delete",
               "level": Level.FULL}  # fmt: skip
    return render(request, "integrations/delete.html", context)


def inherited_access(integration: Integration) -> list[dict]:
    rows: list[dict] = []
    if integration.owner_id:
        rows.append({"who": integration.owner, "kind": "user", "level": Level.FULL,
                     "level_label": Level.FULL.label,
                     "why": _("Owner (created the integration)")})  # fmt: skip
    for group in Group.objects.all():
        permissions = expand(group.permissions)
        level = None
        if ADMIN in permissions or "integration-full-all" in permissions:
            level = Level.FULL
        elif "integration-interact-all" in permissions:
            level = Level.INTERACT
        elif "integration-use-all" in permissions:
            level = Level.USE
        if level:
            reason = ", ".join(
                p for p in group.permissions if p == "admin" or p.startswith("integration")
            )
            rows.append({"who": group, "kind": "group", "level": level,
                         "level_label": Level(level).label,
                         "why": _("Global permission: %(p)s") % {"p": reason}})  # fmt: skip
    return rows


@require_http_methods(GET_POST)
@with_integration(Level.FULL)
def integration_access(request: Request, integration: Integration) -> HttpResponse:
    form = AccessRowForm(integration, IntegrationAccess, "integration", Level.choices,
                         posted(request))  # fmt: skip
    if access_tab.is_search(request):
        return access_tab.search_results(request, form)
    if request.method == "POST" and form.is_valid():
        row, created = form.save()
        audit.record("integration.access_changed", actor=request.user, target=integration,
                     ip=client_ip(request), details={
                         "principal": str(row.user or row.group),
                         "kind": "user" if row.user_id else "group",
                         "level": row.level, "added": created})  # fmt: skip
        messages.success(request, _("Access saved."))
        return redirect("integrations:access", integration.pk)
    rows = list(
        integration.access_rows.select_related("user", "group").order_by(
            "group__name", "user__username"
        )
    )
    for row in rows:
        row.remove_url = reverse("integrations:access_remove", args=[integration.pk, row.pk])  # type: ignore[attr-defined]  # for the template
    context = {
        "integration": integration, "form": form, "rows": rows, "can_edit": True,
        "inherited": inherited_access(integration), "tab": "access", "level": Level.FULL,
        **access_tab.picker_context(request, form),
        "levels_help": _("Use: pick it in a widget. Interact: also run its actions (pause, "
                         "resume…). Full: also edit its address and secrets, its access, and "
                         "delete it. Whoever may view a board sees the data of the widgets on "
                         "it, never the integration's settings."),
        "form_action": reverse("integrations:access", args=[integration.pk]),
    }  # fmt: skip
    return render(request, "integrations/access.html", context, status=400 if form.errors else 200)


@require_POST
@with_integration(Level.FULL)
def integration_access_remove(request: Request, integration: Integration,
                              row_id: int) -> HttpResponse:  # fmt: skip
    row = get_object_or_404(integration.access_rows.select_related("user", "group"), pk=row_id)
    principal = str(row.user or row.group)
    row.delete()
    audit.record("integration.access_removed", actor=request.user, target=integration,
                 ip=client_ip(request),
                 details={"principal": principal, "level": row.level})  # fmt: skip
    messages.success(request, _("Access of %(who)s removed.") % {"who": principal})
    return redirect("integrations:access", integration.pk)
