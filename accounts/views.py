from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts import two_factor, two_factor_views
from accounts.forms import LoginForm, OnboardingForm, PasswordChangeForm
from accounts.login import complete_login, safe_next
from accounts.models import Provider, User
from accounts.onboarding import create_owner, mark_onboarded
from accounts.providers.oidc_hooks import end_session_url
from groups.decorators import impersonable
from homeportal.http import AuthenticatedRequest, Request
from homeportal.net import client_ip
from sessions_admin import audit
from sessions_admin.services import revoke_sessions


@sensitive_post_parameters("password")
@never_cache
def login_view(request: Request) -> HttpResponse:
    """The login page: the password form (credentials, LDAP) and the single sign-on button
    (OIDC), as AUTH_PROVIDERS says. With AUTH_OIDC_AUTO_LOGIN it goes straight to the OpenID
    provider, unless `?local=1` asks for this page (failed sign-ins come back with it)."""
    if request.user.is_authenticated:
        return redirect(safe_next(request))
    providers = settings.AUTH_PROVIDERS
    password_form = any(p in providers for p in settings.PASSWORD_PROVIDERS)
    sso = "oidc" in providers
    if (
        sso and settings.AUTH_OIDC_AUTO_LOGIN and request.method == "GET"
        and "local" not in request.GET and not getattr(request, "login_refusal", None)
        and not len(messages.get_messages(request))
    ):  # fmt: skip
        return redirect(sso_url(request))
    if request.method == "POST" and not password_form:
        return HttpResponseNotAllowed(["GET"])
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user, remember = form.user, form.cleaned_data["remember"]
        assert user is not None  # a valid form authenticated someone
        if two_factor.is_enabled(user):
            return two_factor_views.begin(
                request, user, backend=user.backend, remember=remember,
                next_url=safe_next(request), provider=user.provider,
            )  # fmt: skip
        complete_login(request, user, provider=user.provider, remember=remember,
                       backend=user.backend)  # fmt: skip
        return redirect(safe_next(request))
    refusal = getattr(request, "login_refusal", None)  # the reverse proxy's, for instance
    context = {
        "form": form,
        "next": safe_next(request) if "next" in request.GET else "",
        "show_password_form": password_form,
        "sso_name": settings.AUTH_OIDC_CLIENT_NAME if sso else "",
        "refusal": refusal if request.method == "GET" else None,
    }
    status = 429 if form.busy else 400 if form.errors else 200
    response = render(request, "accounts/login.html", context, status=status)
    if form.busy:
        response["Retry-After"] = "5"
    return response


def sso_url(request: Request) -> str:
    url = reverse("accounts:oidc_login")
    if "next" in request.GET:
        url += "?" + urlencode({"next": safe_next(request)})
    return url


@impersonable
@require_POST
def logout_view(request: Request) -> HttpResponse:
    """Ends the session; an OIDC session also ends at the provider (RP-initiated logout),
    which then sends the browser to AUTH_LOGOUT_REDIRECT_URL or the login page."""
    provider_logout = end_session_url(request)
    auth_logout(request)
    if provider_logout:
        return redirect(provider_logout)
    return redirect(settings.AUTH_LOGOUT_REDIRECT_URL or "accounts:login")


@sensitive_post_parameters("password1", "password2")
@never_cache
def onboarding_view(request: Request) -> HttpResponse:
    if User.objects.exists():
        raise Http404  # onboarding is over for good
    form = OnboardingForm(data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            owner = create_owner(form.cleaned_data, ip=client_ip(request))
        except IntegrityError:
            raise Http404 from None  # somebody else finished onboarding a moment earlier
        mark_onboarded()
        complete_login(request, owner, provider=Provider.CREDENTIALS, remember=False,
                       backend="accounts.backends.CredentialsBackend")  # fmt: skip
        messages.success(request, _("Welcome! You are the owner of this homeportal."))
        return redirect("home")
    return render(request, "accounts/onboarding.html", {"form": form})


@login_required
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@never_cache
def password_change_view(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    if not user.is_local:
        messages.info(request, _("Your password is managed by %(provider)s.") %
                      {"provider": user.get_provider_display()})  # fmt: skip
        return redirect("home")
    form = PasswordChangeForm(user, data=request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        form.save()
        User.objects.filter(pk=user.pk).update(must_change_password=False)
        user.must_change_password = False
        update_session_auth_hash(request, user)
        revoked = revoke_sessions(user, keep_session_key=request.session.session_key)
        audit.record("user.password_changed", actor=user, target=user, ip=client_ip(request),
                     details={"other_sessions_ended": revoked})  # fmt: skip
        messages.success(request, _("Your password was changed. Your other sessions were ended."))
        return redirect("home")
    return render(request, "accounts/password_change.html", {"form": form})
