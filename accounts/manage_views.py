"""Settings → Users: list, create, edit, disable and enable, delete, password-reset links,
forced password changes, ownership transfer.

Admins and user managers get in. Every change goes through groups.rules (owner and safety
rules, audit entry); a refusal answers 403 with the rule's reason, and the pages show the same
reasons next to the buttons they disable. The list costs the same number of queries whatever
the number of users: one page of users, their groups in one prefetch, a count.
"""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from accounts.login import safe_next
from accounts.manage_forms import (
    ActiveForm,
    DeleteUserForm,
    ResetLinkForm,
    UserCreateForm,
    UserEditForm,
    UserFilterForm,
)
from accounts.models import TwoFactor, User
from boards.models import Board
from groups import acl, rules
from groups.decorators import require_permission
from groups.models import Group, Membership
from groups.permissions import ADMIN, USER_MANAGE
from groups.refusals import refused
from groups.resolver import grants_for, holds
from homeportal.forms import save_unique
from homeportal.http import AuthenticatedRequest, Request
from homeportal.net import client_ip
from integrations.models import Integration
from invites.models import PasswordResetLink

MANAGE = (ADMIN, USER_MANAGE)
PER_PAGE = 50


def annotated_users(groups: list[Group]):
    """Users with `is_admin`, `has_two_factor` and their memberships (groups included) in one
    extra query."""
    memberships = Membership.objects.select_related("group").order_by(
        "group__position", "group__name"
    )
    two_factor = TwoFactor.objects.filter(user=OuterRef("pk"), confirmed=True)
    return User.objects.annotate(
        is_admin=holds(ADMIN, groups), has_two_factor=Exists(two_factor)
    ).prefetch_related(Prefetch("memberships", queryset=memberships))


def describe_rows(request: Request, users) -> None:
    """Adds to each user what the acting user may do with them, and why not (no queries)."""
    actor, grants = request.user, request.grants
    for user in users:
        known = {"grants": grants, "target_is_admin": user.is_admin}
        user.manage_refusal = rules.manage_refusal(actor, user, **known)
        user.disable_refusal = rules.disable_refusal(actor, user, **known)
        user.delete_refusal = rules.delete_refusal(actor, user, **known)
        for membership in user.memberships.all():
            membership.lock_reason = rules.membership_lock_reason(membership)


def get_user(username: str) -> User:
    """Every user is visible to whoever passed the page's permission check (user managers see
    admins too, read-only: the rules refuse any change)."""
    return get_object_or_404(User, username=username.lower())


def user_url(user: User) -> str:
    return reverse("users:detail", args=[user.username])


@require_safe
@require_permission(*MANAGE)
def user_list(request: AuthenticatedRequest) -> HttpResponse:
    groups = list(Group.objects.all())
    regular = [g for g in groups if not g.is_everyone]
    form = UserFilterForm(request.GET, groups=regular)
    users = form.filter(annotated_users(groups)).order_by("username")
    page = Paginator(users, PER_PAGE).get_page(request.GET.get("page"))
    describe_rows(request, page)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    template = "accounts/manage/users.html#list" if request.htmx else "accounts/manage/users.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("password1", "password2")
@require_permission(*MANAGE)
def user_create(request: AuthenticatedRequest) -> HttpResponse:
    form = UserCreateForm(request.POST if request.method == "POST" else None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            created = create_from_form(form, request.user, client_ip(request))
        except rules.RuleError as error:
            return refused(request, error)
        if created is not None:
            user, token = created
            if token is not None:
                remember_link(request, user, token, created=True)
            else:
                messages.success(request, _("User %(name)s created.") % {"name": user.username})
            if request.htmx:
                return HttpResponseClientRedirect(user_url(user))
            return redirect(user_url(user))
    template = "accounts/manage/create.html#form" if request.htmx else "accounts/manage/create.html"
    return render(request, template, {"form": form}, status=400 if form.errors else 200)


def known(request: Request, user: User) -> dict:
    """What the rules' refusal functions need, computed once per page."""
    return {"grants": request.grants, "target_is_admin": rules.is_admin(user)}


def detail_context(request: Request, user: User, form: UserEditForm | None = None) -> dict:
    actor, facts = request.user, known(request, user)
    target_grants = grants_for(user)
    return {
        "target": user,
        "shown_link": take_link(request, user),
        "form": form or UserEditForm(user=user, actor=actor),
        "manage_refusal": rules.manage_refusal(actor, user, **facts),
        "disable_refusal": rules.disable_refusal(actor, user, **facts),
        "delete_refusal": rules.delete_refusal(actor, user, **facts),
        "reset_refusal": rules.reset_refusal(actor, user, **facts),
        "impersonate_refusal": rules.impersonate_refusal(actor, user, **facts),
        "transfer_refusal": rules.transfer_refusal(
            actor, user, target_is_admin=facts["target_is_admin"]
        ),
        "permissions": sorted(target_grants.permissions),
        # What the user reaches, among what the person looking may view themselves.
        "access": acl.reachable(target_grants, request.grants),
        "sessions": user.login_sessions.count(),
        "has_two_factor": TwoFactor.objects.filter(user=user, confirmed=True).exists(),
        "two_factor_required": target_grants.two_factor_required
        and user.provider in settings.PASSWORD_PROVIDERS,
        "pending_link": next(
            (
                link
                for link in PasswordResetLink.objects.usable().filter(user=user)[:1]
                if not link.refusal()
            ),
            None,
        ),
    }


@require_http_methods(["GET", "POST"])
@require_permission(*MANAGE)
def user_detail(request: AuthenticatedRequest, username: str) -> HttpResponse:
    user = get_user(username)
    if request.method != "POST":
        context = detail_context(request, user)
        response = render(request, "accounts/manage/detail.html", context)
        if context["shown_link"]:
            add_never_cache_headers(response)
        return response
    form = UserEditForm(request.POST, user=user, actor=request.user)
    if not form.is_valid():
        context = detail_context(request, user, form)
        return render(request, "accounts/manage/detail.html", context, status=400)
    try:
        saved = save_from_form(form, user, request.user, client_ip(request))
    except rules.RuleError as error:
        user.refresh_from_db()
        return refused(request, error, back=user_url(user), target=user)
    if saved is None:
        user.refresh_from_db()
        context = detail_context(request, user, form)
        return render(request, "accounts/manage/detail.html", context, status=400)
    messages.success(request, _("Changes saved."))
    return redirect(user_url(user))


def create_from_form(form: UserCreateForm, actor, ip: str) -> tuple[User, str | None] | None:
    """Creates the user a valid form describes (groups.rules), with a one-time link to set
    their password when none was given: (user, the link's token or None); None when the name
    was taken meanwhile (the form then says so). Raises RuleError. Shared with the API."""
    data = form.cleaned_data

    def create():
        user = rules.create_user(
            username=data["username"],
            password=form.password,
            display_name=data["display_name"],
            email=data["email"],
            must_change_password=form.password is not None and data["must_change"],
            groups=data["groups"],
            actor=actor,
            ip=ip,
        )
        token = None
        if form.password is None:
            _link, token = PasswordResetLink.create(user, actor=actor, ip=ip)
        return user, token

    return save_unique(
        form, create, field="username", message=username_taken(data["username"]),
        taken=lambda: User.objects.filter(username__iexact=data["username"]).exists(),
    )  # fmt: skip


def save_from_form(form: UserEditForm, user: User, actor, ip: str) -> User | None:
    """Saves a valid edit form (profile, then memberships, through groups.rules); None when
    the new name was taken meanwhile. Raises RuleError. Shared with the API."""
    data = form.cleaned_data

    def update():
        rules.update_user(user, data, actor=actor, ip=ip)
        rules.set_groups(user, form.wanted_groups(), actor=actor, ip=ip)
        return user

    return save_unique(
        form, update, field="username", message=username_taken(data["username"]),
        taken=lambda: User.objects.filter(username__iexact=data["username"])
        .exclude(pk=user.pk).exists(),
    )  # fmt: skip


def username_taken(username: str) -> str:
    return _("The username %(name)s is taken.") % {"name": username}


@require_POST
@require_permission(*MANAGE)
def user_set_active(request: AuthenticatedRequest, username: str) -> HttpResponse:
    """Disables (ending every session at once) or enables; `active` says which."""
    user = get_user(username)
    form = ActiveForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Say whether the account is to be active."), status=400)
    active = form.cleaned_data["active"]
    try:
        rules.set_active(user, active, actor=request.user, ip=client_ip(request))
    except rules.RuleError as error:
        return refused(request, error, back=user_url(user), target=user)
    if request.htmx:
        groups = list(Group.objects.all())
        row = annotated_users(groups).get(pk=user.pk)
        describe_rows(request, [row])
        context = {"person": row, "next_url": safe_next(request, reverse("users:list"))}
        return render(request, "accounts/manage/users.html#row", context)
    if active:
        messages.success(request, _("%(name)s can log in again.") % {"name": user})
    else:
        messages.success(request, _("%(name)s is disabled; their sessions ended.") % {"name": user})
    return redirect(safe_next(request, user_url(user)))


@require_POST
@require_permission(*MANAGE)
def user_force_password_change(request: AuthenticatedRequest, username: str) -> HttpResponse:
    user = get_user(username)
    try:
        rules.force_password_change(user, actor=request.user, ip=client_ip(request))
    except rules.RuleError as error:
        return refused(request, error, back=user_url(user), target=user)
    messages.success(
        request, _("%(name)s must choose a new password on their next page.") % {"name": user}
    )
    return redirect(user_url(user))


SHOWN_LINK = "users.shown_link"


def remember_link(request: Request, user: User, token: str, created: bool = False) -> None:
    """Keeps a new link for the user's page to show once after the redirect (only its hash is
    stored with the link; the session holds the address until that page has been shown)."""
    url = absolute_url(request, reverse("invites:reset_password", args=[token]))
    request.session[SHOWN_LINK] = {"user": user.pk, "url": url, "created": created}


def take_link(request: Request, user: User) -> dict | None:
    """The link just made for `user`, once: the page that shows it forgets it."""
    shown = request.session.get(SHOWN_LINK)
    if not shown or shown.get("user") != user.pk:
        return None
    del request.session[SHOWN_LINK]
    link = PasswordResetLink.objects.filter(user=user).order_by("-created").first()
    return {**shown, "link": link}


def absolute_url(request: Request, path: str) -> str:
    base = settings.BASE_URL or request.build_absolute_uri("/").rstrip("/")
    return base + path


@require_permission(*MANAGE)
def user_reset_link(request: AuthenticatedRequest, username: str) -> HttpResponse:
    user = get_user(username)
    form = ResetLinkForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            _link, token = PasswordResetLink.create(
                user, actor=request.user, lifetime=form.duration, ip=client_ip(request)
            )
        except rules.RuleError as error:
            return refused(request, error, back=user_url(user), target=user)
        remember_link(request, user, token)
        if request.htmx:
            return HttpResponseClientRedirect(user_url(user))
        return redirect(user_url(user))
    context = {
        "target": user,
        "form": form,
        "refusal": rules.reset_refusal(request.user, user, **known(request, user)),
    }
    template = "accounts/manage/reset_link.html"
    return render(
        request,
        f"{template}#form" if request.htmx else template,
        context,
        status=400 if form.errors else 200,
    )


@require_permission(*MANAGE)
def user_delete(request: AuthenticatedRequest, username: str) -> HttpResponse:
    user = get_user(username)
    boards = list(Board.objects.filter(owner=user))
    integrations = list(Integration.objects.filter(owner=user))
    form = DeleteUserForm(
        request.POST if request.method == "POST" else None, user=user, actor=request.user
    )
    if request.method == "POST" and form.is_valid():
        try:
            delete_user(request, user, form, boards, integrations)
        except rules.RuleError as error:
            return refused(request, error, back=user_url(user), target=user)
        messages.success(request, _("User %(name)s deleted.") % {"name": user.username})
        return redirect("users:list")
    context = {
        "target": user,
        "form": form,
        "owned": acl.owned(user, request.grants),
        "refusal": rules.delete_refusal(request.user, user, **known(request, user)),
    }
    return render(
        request, "accounts/manage/delete.html", context, status=400 if form.errors else 200
    )


def delete_user(request, user: User, form: DeleteUserForm, boards, integrations) -> None:
    """Disposes of what `user` owns as the form says, then deletes them, in one transaction."""
    choice, heir = form.cleaned_data["owned"], form.cleaned_data["heir"]
    details = {
        "boards": [b.name for b in boards],
        "integrations": [i.name for i in integrations],
        "owned": choice,
    }
    with transaction.atomic():
        rules.lock()  # every check after the lock, like the rules' own
        rules.check_may_delete(request.user, user)
        if choice != DeleteUserForm.KEEP:
            rules.check_may_dispose_of_owned(request.user)
        owned_boards = Board.objects.filter(owner=user)
        owned_integrations = Integration.objects.filter(owner=user)
        if choice == DeleteUserForm.TRANSFER:
            owned_boards.update(owner=heir)
            owned_integrations.update(owner=heir)
            details["heir"] = heir.username
        elif choice == DeleteUserForm.DELETE:
            owned_boards.delete()
            owned_integrations.delete()
        # KEEP: the foreign keys are SET_NULL; rows survive without an owner.
        rules.delete_user(user, actor=request.user, ip=client_ip(request), details=details)


@require_POST
@require_permission(ADMIN)
def user_transfer_ownership(request: AuthenticatedRequest, username: str) -> HttpResponse:
    user = get_user(username)
    try:
        rules.transfer_ownership(user, actor=request.user, ip=client_ip(request))
    except rules.RuleError as error:
        return refused(request, error, back=user_url(user), target=user)
    messages.success(request, _("%(name)s is the owner now.") % {"name": user})
    return redirect(user_url(user))
