"""Settings → Invites (admins and user managers), the registration page at an invite link,
and the page at a password-reset link.

Links that cannot be used — unknown, expired, revoked, used up — all answer the same page,
so the page tells nobody which tokens exist.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import trigger_client_event

from accounts.forms import NewPasswordForm
from accounts.login import complete_login
from accounts.manage_views import absolute_url
from accounts.models import Provider, TwoFactor, User
from groups import rules
from groups.decorators import require_permission
from groups.permissions import ADMIN, USER_MANAGE
from groups.refusals import refused
from homeportal.forms import save_unique
from homeportal.http import AuthenticatedRequest, Request
from homeportal.net import client_ip
from invites.forms import InviteCreateForm, RegisterForm
from invites.models import Invite, PasswordResetLink, Unusable

MANAGE = (ADMIN, USER_MANAGE)
PER_PAGE = 50


def invites_page(request: Request):
    invites = Invite.objects.select_related("creator").prefetch_related("default_groups")
    page = Paginator(invites, PER_PAGE).get_page(request.GET.get("page"))
    # Whether each invite can still be used on its creator's rights as they are now, as its
    # link would answer: for the whole page at once, not a query per invite.
    page.object_list = Invite.with_refusals(page.object_list)
    return page


@require_safe
@require_permission(*MANAGE)
def invite_list(request: AuthenticatedRequest) -> HttpResponse:
    context = {
        "page": invites_page(request),
        "registration_open": Provider.CREDENTIALS in settings.AUTH_PROVIDERS,
    }
    template = "invites/list.html#list" if request.htmx else "invites/list.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@require_permission(*MANAGE)
def invite_create(request: AuthenticatedRequest) -> HttpResponse:
    form = InviteCreateForm(request.POST if request.method == "POST" else None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invite, token = Invite.create(
                creator=request.user,
                expires_at=form.expires_at,
                max_uses=data["max_uses"],
                note=data["note"],
                groups=data["default_groups"],
                ip=client_ip(request),
            )
        except rules.RuleError as error:
            return refused(request, error)
        # Shown in this answer only: the database keeps the token's hash.
        url = absolute_url(request, reverse("invites:register", args=[token]))
        context = {"invite": invite, "url": url}
        template = "invites/created.html#created" if request.htmx else "invites/created.html"
        return trigger_client_event(render(request, template, context), "invitesChanged")
    template = "invites/create.html#form" if request.htmx else "invites/create.html"
    return render(request, template, {"form": form}, status=400 if form.errors else 200)


@require_POST
@require_permission(*MANAGE)
def invite_revoke(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    invite = get_object_or_404(Invite, pk=pk)
    try:
        invite.revoke(actor=request.user, ip=client_ip(request))
    except rules.RuleError as error:
        return refused(request, error, back=reverse("invites:list"))
    if request.htmx:
        return render(request, "invites/list.html#row", {"invite": invite})
    messages.success(request, _("Invite revoked: its link no longer works."))
    return redirect("invites:list")


def unusable(request: Request) -> HttpResponse:
    return render(request, "invites/unusable.html", status=404)


@sensitive_post_parameters("password1", "password2")
@never_cache
def register(request: Request, token: str) -> HttpResponse:
    try:
        invite = Invite.objects.by_token(token)
    except Unusable:
        return unusable(request)
    if Provider.CREDENTIALS not in settings.AUTH_PROVIDERS:
        context = {"reason": _("Password accounts are turned off on this server.")}
        return render(request, "invites/unusable.html", context, status=404)
    if request.user.is_authenticated:
        # One browser, one account: log out first (the page says so and offers the button).
        status = 403 if request.method == "POST" else 200
        return render(request, "invites/register.html", {"logged_in": True}, status=status)
    form = RegisterForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = save_unique(
                form,
                lambda: invite.redeem(
                    username=data["username"],
                    password=data["password1"],
                    display_name=data["display_name"],
                    ip=client_ip(request),
                ),
                field="username",
                taken=lambda: User.objects.filter(username__iexact=data["username"]).exists(),
                message=_("The username %(name)s is taken.") % {"name": data["username"]},
            )
        except (Unusable, rules.RuleError):
            return unusable(request)
        if user is not None:
            complete_login(
                request,
                user,
                provider=Provider.CREDENTIALS,
                remember=False,
                backend="accounts.backends.CredentialsBackend",
            )
            messages.success(request, _("Welcome, %(name)s!") % {"name": user.get_short_name()})
            return redirect("home")
    status = 400 if form.errors else 200
    return render(request, "invites/register.html", {"form": form}, status=status)


def two_factor_on(user: User) -> bool:
    return TwoFactor.objects.filter(user=user, confirmed=True).exists()


@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
def reset_password(request: Request, token: str) -> HttpResponse:
    try:
        link = PasswordResetLink.objects.by_token(token)
    except Unusable:
        return unusable(request)
    if request.user.is_authenticated and request.user.pk != link.user_id:
        status = 403 if request.method == "POST" else 200
        return render(request, "invites/reset_password.html", {"logged_in": True}, status=status)
    form = NewPasswordForm(link.user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        first = not link.user.has_usable_password() and not two_factor_on(link.user)
        try:
            link.use(form.cleaned_data["new_password1"], ip=client_ip(request))
        except Unusable:
            return unusable(request)
        if first and not request.user.is_authenticated:
            # A new account's first password: they are in, as after registering through an
            # invite. (There is no second factor yet: it needs a login to be set up.)
            user = link.user
            complete_login(
                request,
                user,
                provider=Provider.CREDENTIALS,
                remember=False,
                backend="accounts.backends.CredentialsBackend",
            )
            messages.success(request, _("Welcome, %(name)s!") % {"name": user.get_short_name()})
            return redirect("home")
        # Every session of the user ended, this one too if it was theirs: log in afresh
        # (and through a second factor, once there is one).
        if request.user.is_authenticated:
            auth_logout(request)
        messages.success(request, _("Your new password is set. Log in with it."))
        return redirect("accounts:login")
    context = {"form": form, "target": link.user}
    return render(
        request, "invites/reset_password.html", context, status=400 if form.errors else 200
    )
