"""Two-factor pages: the login's second step, and setting up, renewing and turning off 2FA."""

import time
from collections.abc import Callable

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST, require_safe

from accounts import throttle, two_factor
from accounts.forms import wait_message
from accounts.hashers import HashingBusy
from accounts.login import complete_login
from accounts.models import TwoFactor, User
from homeportal.http import AuthenticatedRequest, Request
from homeportal.net import client_ip
from sessions_admin import audit, engine
from sessions_admin.services import record_login

PENDING = "_hp_2fa_pending"
PENDING_TTL = 300  # seconds to enter the code after the password


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_lazy("Code"), max_length=32,
        help_text=_lazy("The 6 digits from your authenticator app, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True,
                                      "inputmode": "text", "autocapitalize": "none"}),
    )  # fmt: skip


class SetupStepForm(forms.Form):
    """Which step of the set-up a post is: making a seed to scan, or confirming it."""

    action = forms.ChoiceField(choices=[("start", "start"), ("confirm", "confirm")])


class SetupCodeForm(CodeForm):
    """The first code, while setting up: there are no recovery codes yet to mention."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = _lazy("The 6 digits your authenticator app shows now.")


class DisableForm(CodeForm):
    password = forms.CharField(
        label=_lazy("Password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )  # fmt: skip


def unreadable_message() -> str:
    return _(
        "Your two-factor secret cannot be read on this server (it was changed, or the "
        "encryption key it was sealed with is no longer configured). Use one of your recovery "
        "codes, or ask an admin: they can restore the previous SECRET_ENCRYPTION_KEY (or list it "
        "in SECRET_ENCRYPTION_OLD_KEYS), or turn off your two-factor login with "
        "“manage.py reset_password --username NAME --disable-2fa” so that you set it up again."
    )


def checked_by_throttle(request: AuthenticatedRequest, check: Callable[[], bool]) -> bool | None:
    """Runs a password or code `check` of the logged-in user under the login throttle (the same
    counters and lock-out as the login page): True or False as it answers, None when it was not
    run because the account is locked for this address (a message says for how long). A wrong
    answer is recorded in the user's login history."""
    user = request.user
    try:
        attempt = throttle.begin(client_ip(request), user.username)
    except throttle.Locked as locked:
        messages.error(request, wait_message(locked.wait))
        return None
    try:
        ok = check()
    except (HashingBusy, two_factor.SeedUnreadable):
        attempt.cancel()  # nothing was refused: the server could not check
        raise
    except BaseException:
        attempt.failed()
        raise
    if ok:
        attempt.succeeded()
        return True
    attempt.failed()
    record_login(request, user=user, username=user.username, success=False,
                 provider=user.provider, reason="wrong password or code")  # fmt: skip
    return False


def begin(request: Request, user: User, *, backend: str, remember: bool, next_url: str,
          provider: str) -> HttpResponse:  # fmt: skip
    """Called by the login page once the password is right: the session is not logged in yet,
    it only remembers who must now give a second factor, for a few minutes."""
    request.session[PENDING] = {
        "user": user.pk, "backend": backend, "remember": remember, "next": next_url,
        "provider": provider, "started": time.time(),
    }  # fmt: skip
    return redirect("accounts:two_factor_verify")


@sensitive_post_parameters("code")
@never_cache
def verify_view(request: Request) -> HttpResponse:
    pending = request.session.get(PENDING)
    user = None
    if pending and time.time() - pending["started"] <= PENDING_TTL:
        user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if pending is None or user is None:
        request.session.pop(PENDING, None)
        messages.error(request, _("Your login took too long. Enter your password again."))
        return redirect("accounts:login")
    form = CodeForm(data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            attempt = throttle.begin(client_ip(request), user.username)
        except throttle.Locked as locked:
            form.add_error(None, wait_message(locked.wait))
        else:
            try:
                passed = _second_factor(request, user, form, provider=pending["provider"])
            except BaseException:
                attempt.failed()
                raise
            if passed:
                attempt.succeeded()
                del request.session[PENDING]
                complete_login(
                    request, user, provider=pending["provider"], remember=pending["remember"],
                    backend=pending["backend"],
                )  # fmt: skip
                request.session[engine.SECOND_FACTOR] = time.time()
                return redirect(pending["next"])
            if passed is None:  # the seed cannot be read: not a guess (the form says why)
                attempt.cancel()
            else:
                attempt.failed()
                record_login(
                    request, user=user, username=user.username, success=False,
                    provider=pending["provider"], reason="wrong second factor",
                )  # fmt: skip
                form.add_error(None, _("That code is not valid. Try the next one from your app."))
    status = 400 if form.errors else 200
    return render(request, "accounts/two_factor_verify.html", {"form": form}, status=status)


def _second_factor(request: Request, user: User, form: CodeForm, *, provider: str):
    """True for a good code, False for a wrong one, None when the seed cannot be read (the
    form then carries the explanation, and the attempt is recorded, not counted as a guess)."""
    try:
        return two_factor.check_second_factor(user, form.cleaned_data["code"])
    except two_factor.SeedUnreadable:
        record_login(request, user=user, username=user.username, success=False,
                     provider=provider, reason="2FA secret cannot be decrypted")  # fmt: skip
        form.add_error(None, unreadable_message())
        return None


@require_safe
@login_required
@never_cache
def settings_view(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    if user.provider not in settings.PASSWORD_PROVIDERS:
        # OIDC and proxy users never see our password form: their provider asks for factors.
        return render(request, "accounts/two_factor.html", {"provider_managed": True})
    pending = TwoFactor.objects.filter(user=user, confirmed=False).first()
    try:
        qr, secret, link = (
            (two_factor.qr_svg(pending), two_factor.secret(pending),
             two_factor.provisioning_uri(pending))
            if pending else ("", "", "")
        )  # fmt: skip
    except two_factor.SeedUnreadable:
        assert pending is not None  # only a seed can be unreadable
        pending.delete()  # an unconfirmed seed protects nothing yet: start over
        pending, qr, secret, link = None, "", "", ""
        messages.error(request, _("The set-up code cannot be read any more. Start again."))
    context = {
        "required": request.grants.two_factor_required,
        "enabled": two_factor.is_enabled(user),
        "remaining": two_factor.remaining_recovery_codes(user),
        "pending": pending,
        "qr": qr,
        "secret": secret,
        "otpauth": link,
        "form": SetupCodeForm() if pending else CodeForm(),
        "disable_form": DisableForm(),
    }
    return render(request, "accounts/two_factor.html", context)


@require_POST
@login_required
@never_cache
def setup_view(request: AuthenticatedRequest) -> HttpResponse:
    """`start` makes a new seed to scan; `confirm` turns 2FA on with a code from it."""
    user = request.user
    if user.provider not in settings.PASSWORD_PROVIDERS:
        return redirect("accounts:two_factor")
    step = SetupStepForm(request.POST)
    if step.is_valid() and step.cleaned_data["action"] == "start":
        two_factor.start_setup(user)
        return redirect("accounts:two_factor")
    pending = TwoFactor.objects.filter(user=user, confirmed=False).first()
    form = SetupCodeForm(data=request.POST)
    if pending is None or not form.is_valid():
        messages.error(request, _("Start the set-up again."))
        return redirect("accounts:two_factor")
    try:
        codes = two_factor.confirm(pending, form.cleaned_data["code"])
    except two_factor.SeedUnreadable:
        pending.delete()
        messages.error(request, _("The set-up code cannot be read any more. Start again."))
        return redirect("accounts:two_factor")
    if codes is None:
        messages.error(request, _("That code is not valid. Check your device's clock and retry."))
        return redirect("accounts:two_factor")
    audit.record("user.2fa_enabled", actor=user, target=user, ip=client_ip(request))
    return render(request, "accounts/two_factor_codes.html", {"codes": codes})


@require_POST
@login_required
@sensitive_post_parameters("password", "code")
@never_cache
def disable_view(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    if request.grants.two_factor_required:
        messages.error(request, _("Two-factor login is required for your account: it stays on."))
        return redirect("accounts:two_factor")
    form = DisableForm(data=request.POST)
    if not form.is_valid():
        messages.error(request, _("Wrong password or code: two-factor login stays on."))
        return redirect("accounts:two_factor")
    try:
        checked = checked_by_throttle(
            request,
            lambda: (
                user.check_password(form.cleaned_data["password"])
                and two_factor.check_second_factor(user, form.cleaned_data["code"])
            ),
        )
    except two_factor.SeedUnreadable:
        messages.error(request, unreadable_message())
        return redirect("accounts:two_factor")
    if checked:
        two_factor.disable(user)
        audit.record("user.2fa_disabled", actor=user, target=user, ip=client_ip(request))
        messages.success(request, _("Two-factor login is off."))
    elif checked is False:
        messages.error(request, _("Wrong password or code: two-factor login stays on."))
    return redirect("accounts:two_factor")


@require_POST
@login_required
@sensitive_post_parameters("code")
@never_cache
def recovery_codes_view(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    form = CodeForm(data=request.POST)
    try:
        checked = form.is_valid() and checked_by_throttle(
            request, lambda: two_factor.check_second_factor(user, form.cleaned_data["code"])
        )
    except two_factor.SeedUnreadable:
        messages.error(request, unreadable_message())
        return redirect("accounts:two_factor")
    if not checked:
        if checked is False:
            messages.error(request, _("That code is not valid: your recovery codes are unchanged."))
        return redirect("accounts:two_factor")
    codes = two_factor.new_recovery_codes(user)
    audit.record("user.2fa_recovery_codes_renewed", actor=user, target=user, ip=client_ip(request))
    return render(request, "accounts/two_factor_codes.html", {"codes": codes})
