"""Settings → Groups: create, rename, delete, order, permissions, members, external names.

Every change goes through groups.rules, which enforces the owner and safety rules and writes
the audit entry; a refusal answers 403 with the rule's reason. Admins and user managers get
in; what a user manager may not change (groups that grant admin, permissions they do not
hold, the order) is shown locked with the reason, and refused again on the server.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from accounts.models import User
from groups import acl, rules
from groups.decorators import require_permission
from groups.forms import (
    AddMemberForm,
    ExternalNamesForm,
    GroupCreateForm,
    GroupPermissionsForm,
    GroupRenameForm,
    MemberForm,
    MoveForm,
    ReorderForm,
    TwoFactorRequirementForm,
)
from groups.models import Group, Membership
from groups.permissions import ADMIN, USER_MANAGE, expand
from groups.refusals import refused
from homeportal.forms import save_unique
from homeportal.http import AuthenticatedRequest, Request
from homeportal.net import client_ip

MANAGE = (ADMIN, USER_MANAGE)
NAME_TAKEN = gettext_lazy("A group with this name exists already.")
MEMBERS_PER_PAGE = 50


def group_url(group: Group) -> str:
    return reverse("groups:detail", args=[group.pk])


def get_group(pk: int) -> Group:
    """Every group is visible to whoever passed the page's permission check."""
    return get_object_or_404(Group, pk=pk)


def list_context(request: Request) -> dict:
    grants = request.grants
    groups = list(
        Group.objects.annotate(member_count=Count("memberships")).order_by(
            "is_everyone", "position", "name"
        )
    )
    for group in groups:
        group.effective = sorted(expand(group.permissions))  # type: ignore[attr-defined]  # for the template
        group.locked_reason = rules.manage_refusal(request.user, group=group, grants=grants)  # type: ignore[attr-defined]  # for the template
    return {
        "groups": [g for g in groups if not g.is_everyone],
        "everyone": next(g for g in groups if g.is_everyone),
        "active_users": User.objects.filter(is_active=True).count(),
        "reorder_refusal": rules.reorder_refusal(request.user, grants=grants),
    }


@require_safe
@require_permission(*MANAGE)
def group_list(request: AuthenticatedRequest) -> HttpResponse:
    template = "groups/list.html#list" if request.htmx else "groups/list.html"
    return render(request, template, list_context(request))


@require_http_methods(["GET", "POST"])
@require_permission(*MANAGE)
def group_create(request: AuthenticatedRequest) -> HttpResponse:
    form = GroupCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            group = create_from_form(form, request.user, client_ip(request))
        except rules.RuleError as error:
            return refused(request, error)
        if group is not None:
            messages.success(request, _("Group %(name)s created.") % {"name": group.name})
            if request.htmx:
                return HttpResponseClientRedirect(group_url(group))
            return redirect(group_url(group))
    grantable = rules.grantable(request.user)
    context = {"form": form, "grantable": grantable, "rows": _create_rows(form, grantable)}
    template = "groups/create.html#form" if request.htmx else "groups/create.html"
    return render(request, template, context, status=400 if form.errors else 200)


def create_from_form(form: GroupCreateForm, actor, ip: str | None) -> Group | None:
    """Creates the group a valid form describes (groups.rules: grant rule, audit entry); None
    when the name was taken meanwhile (the form then says so). Raises RuleError. Shared with
    the API."""
    name = form.cleaned_data["name"]
    return save_unique(
        form,
        lambda: rules.create_group(
            name, form.cleaned_data["permissions"], actor=actor, ip=ip
        ),
        field="name", message=NAME_TAKEN,
        taken=lambda: Group.objects.filter(name__iexact=name).exists(),
    )  # fmt: skip


def rename_from_form(form: GroupRenameForm, group: Group, actor, ip: str | None) -> Group | None:
    """Renames `group` as a valid form says (groups.rules); None when the name was taken
    meanwhile (the form then says so). Raises RuleError. Shared with the API."""
    name = form.cleaned_data["name"]

    def rename() -> Group:
        rules.rename_group(group, name, actor=actor, ip=ip)
        return group

    return save_unique(
        form,
        rename,
        field="name", message=NAME_TAKEN,
        taken=lambda: Group.objects.filter(name__iexact=name).exclude(pk=group.pk).exists(),
    )  # fmt: skip


def _create_rows(form: GroupCreateForm, grantable) -> list[dict]:
    probe = GroupPermissionsForm(group=Group(permissions=[]), grantable=grantable)
    chosen = set(form["permissions"].value() or [])
    rows = probe.rows()
    for row in rows:
        row["checked"] = row["name"] in chosen
    return rows


def detail_context(request: Request, group: Group, **forms) -> dict:
    actor = request.user
    locked = rules.manage_refusal(actor, group=group, grants=request.grants)
    memberships = (
        Membership.objects.filter(group=group).select_related("user").order_by("user__username")
    )
    page = Paginator(memberships, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    for membership in page:
        membership.lock_reason = rules.membership_lock_reason(membership)  # type: ignore[attr-defined]  # for the template
    context = {
        "group": group,
        "locked": locked,
        "members": page,
        "active_users": User.objects.filter(is_active=True).count() if group.is_everyone else 0,
        "access": acl.group_access(group, request.grants),
        "effective": sorted(expand(group.permissions)),
        "rename_form": GroupRenameForm(group=group),
        "permissions_form": GroupPermissionsForm(group=group, grantable=rules.grantable(actor)),
        "external_form": ExternalNamesForm(group=group),
        "two_factor_form": TwoFactorRequirementForm(group=group),
        "two_factor_refusal": rules.two_factor_refusal(actor, grants=request.grants),
        "add_member_form": AddMemberForm(),
    }
    context.update(forms)
    return context


def render_detail(
    request: Request, group: Group, partial: str = "", status: int = 200, **forms
) -> HttpResponse:
    template = f"groups/detail.html#{partial}" if request.htmx and partial else "groups/detail.html"
    return render(request, template, detail_context(request, group, **forms), status=status)


@require_safe
@require_permission(*MANAGE)
def group_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    group = get_group(pk)
    return render_detail(request, group, partial="members" if "page" in request.GET else "")


@require_POST
@require_permission(*MANAGE)
def group_rename(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    group = get_group(pk)
    form = GroupRenameForm(request.POST, group=group)
    if not form.is_valid():
        return render_detail(request, group, status=400, rename_form=form)
    try:
        renamed = rename_from_form(form, group, request.user, client_ip(request))
    except rules.RuleError as error:
        return refused(request, error, back=group_url(group), target=group)
    if renamed is None:
        group.refresh_from_db()
        return render_detail(request, group, status=400, rename_form=form)
    messages.success(request, _("Group renamed."))
    return redirect(group_url(group))


@require_POST
@require_permission(*MANAGE)
def group_permissions(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    group = get_group(pk)
    form = GroupPermissionsForm(request.POST, group=group, grantable=rules.grantable(request.user))
    if not form.is_valid():
        return render_detail(request, group, "permissions", 400, permissions_form=form)
    try:
        rules.set_permissions(
            group, form.cleaned_data["permissions"], actor=request.user, ip=client_ip(request)
        )
    except rules.RuleError as error:
        return refused(request, error, back=group_url(group), target=group)
    messages.success(request, _("Permissions saved. They apply from each member's next page."))
    if request.htmx:
        return render_detail(request, group, "permissions")
    return redirect(group_url(group))


@require_POST
@require_permission(*MANAGE)
def group_external_names(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    group = get_group(pk)
    form = ExternalNamesForm(request.POST, group=group)
    if not form.is_valid():
        return render_detail(request, group, status=400, external_form=form)
    try:
        rules.set_external_names(
            group, form.cleaned_data["external_names"], actor=request.user, ip=client_ip(request)
        )
    except rules.RuleError as error:
        return refused(request, error, back=group_url(group), target=group)
    messages.success(request, _("External group names saved."))
    return redirect(group_url(group))


@require_POST
@require_permission(*MANAGE)
def group_two_factor(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    group = get_group(pk)
    form = TwoFactorRequirementForm(request.POST, group=group)
    if not form.is_valid():
        return render_detail(request, group, status=400, two_factor_form=form)
    required = form.cleaned_data["require_two_factor"]
    try:
        rules.set_two_factor_required(group, required, actor=request.user, ip=client_ip(request))
    except rules.RuleError as error:
        return refused(request, error, back=group_url(group), target=group)
    if required:
        messages.success(request, _("Members must now use two-factor login."))
    else:
        messages.success(request, _("Two-factor login is no longer required by this group."))
    return redirect(group_url(group))


@require_POST
@require_permission(*MANAGE)
def group_add_member(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    group = get_group(pk)
    form = AddMemberForm(request.POST)
    if not form.is_valid():
        return render_detail(request, group, "members", 400, add_member_form=form)
    try:
        rules.add_member(group, form.user, actor=request.user, ip=client_ip(request))
    except rules.RuleError as error:
        return refused(request, error, back=group_url(group), target=group)
    messages.success(request, _("%(user)s added.") % {"user": form.user})
    if request.htmx:
        return render_detail(request, group, "members")
    return redirect(group_url(group))


@require_POST
@require_permission(*MANAGE)
def group_remove_member(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    group = get_group(pk)
    form = MemberForm(request.POST)
    user = get_object_or_404(User, pk=form.cleaned_data["user"]) if form.is_valid() else None
    if user is None:
        return render_detail(request, group, "members", 400)
    try:
        rules.remove_member(group, user, actor=request.user, ip=client_ip(request))
    except rules.RuleError as error:
        return refused(request, error, back=group_url(group), target=group)
    messages.success(request, _("%(user)s removed.") % {"user": user})
    if request.htmx:
        return render_detail(request, group, "members")
    return redirect(group_url(group))


@require_permission(*MANAGE)
def group_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    group = get_group(pk)
    if request.method == "POST":
        back = group_url(group)  # before the deletion clears the primary key
        try:
            rules.delete_group(group, actor=request.user, ip=client_ip(request))
        except rules.RuleError as error:
            return refused(request, error, back=back, target=group)
        messages.success(request, _("Group %(name)s deleted.") % {"name": group.name})
        return redirect("groups:list")
    context = {
        "group": group,
        "refusal": rules.manage_refusal(request.user, group=group, grants=request.grants)
        or rules.group_delete_refusal(request.user, group),
        "member_count": group.memberships.count(),
        "access": acl.group_access(group, request.grants),
    }
    return render(request, "groups/delete.html", context)


@require_POST
@require_permission(*MANAGE)
def group_reorder(request: AuthenticatedRequest) -> HttpResponse:
    form = ReorderForm(request.POST)
    if not form.is_valid():
        return refused(
            request, rules.RuleError(form.errors["order"][0]), back=reverse("groups:list")
        )
    try:
        rules.reorder_groups(form.cleaned_data["order"], actor=request.user, ip=client_ip(request))
    except rules.RuleError as error:
        return refused(request, error)
    if request.htmx:
        response = render(request, "groups/list.html#list", list_context(request))
        return trigger_client_event(response, "groupsReordered")
    messages.success(request, _("Order saved."))
    return redirect("groups:list")


@require_POST
@require_permission(*MANAGE)
def group_move(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    group = get_group(pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return redirect("groups:list")
    try:
        rules.move_group(group, form.offset, actor=request.user, ip=client_ip(request))
    except rules.RuleError as error:
        return refused(request, error)
    if request.htmx:
        return render(request, "groups/list.html#list", list_context(request))
    return redirect("groups:list")
