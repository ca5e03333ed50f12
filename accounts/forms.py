from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.forms import PasswordChangeForm as DjangoPasswordChangeForm
from django.contrib.auth.forms import SetPasswordForm, SetPasswordMixin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from accounts import throttle
from accounts.hashers import BUSY, HashingBusy
from accounts.models import User
from accounts.usernames import canonical, validate_username
from homeportal.net import client_ip
from sessions_admin.services import record_login

USERNAME_ATTRS = {"autocomplete": "username", "autofocus": True, "autocapitalize": "none"}
LOGIN_FAILED = _lazy("Wrong username or password.")


def password_provider() -> str:
    """The provider a failed password login is recorded under."""
    if "credentials" not in settings.AUTH_PROVIDERS and "ldap" in settings.AUTH_PROVIDERS:
        return "ldap"
    return "credentials"


def wait_message(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return ngettext(
        "Too many failed attempts. Try again in %(n)d minute.",
        "Too many failed attempts. Try again in %(n)d minutes.",
        minutes,
    ) % {"n": minutes}


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_lazy("Username"), max_length=150,
        widget=forms.TextInput(attrs=USERNAME_ATTRS),
    )  # fmt: skip
    password = forms.CharField(
        label=_lazy("Password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )  # fmt: skip
    remember = forms.BooleanField(label=_lazy("Remember me for 30 days"), required=False)

    def __init__(self, request, *args, **kwargs):
        self.request = request
        self.user: User | None = None  # the one authenticated, when the form is valid
        self.busy = False
        super().__init__(*args, **kwargs)
        if self.data.get("username"):
            # Shown again after a refusal: the name is there, the password is what to retype.
            self.fields["username"].widget.attrs = {
                k: v for k, v in USERNAME_ATTRS.items() if k != "autofocus"
            }
            self.fields["password"].widget.attrs["autofocus"] = True

    def clean_username(self):
        # One spelling for the lookup, the counters and the login history (NFKC, casefold).
        return canonical(self.cleaned_data["username"])

    def clean(self):
        username = self.cleaned_data.get("username", "")
        password = self.cleaned_data.get("password")
        if not username or password is None:
            return self.cleaned_data
        target = User.objects.filter(username=username).first()
        try:
            attempt = throttle.begin(client_ip(self.request), username)
        except throttle.Locked as locked:
            record_login(self.request, user=target, username=username,
                         provider=password_provider(), success=False,
                         reason="throttled")  # fmt: skip
            raise ValidationError(wait_message(locked.wait), code="throttled") from None
        try:
            self.user = authenticate(self.request, username=username, password=password)
        except HashingBusy:
            attempt.cancel()  # no password was checked: not a failure
            self.busy = True
            raise ValidationError(BUSY, code="busy") from None
        except BaseException:
            attempt.failed()  # whatever went wrong, the guess may have been checked
            raise
        if self.user is None:
            attempt.failed()
            # The LDAP provider leaves a reason when the directory is down or when it will
            # not log a directory account in (accounts.providers.base.refuse). A failure is
            # attached to the account the name resolves to, so its owner sees attempts on it.
            refusal = getattr(self.request, "login_refusal", None)
            record_login(self.request, user=target, username=username,
                         provider=refusal.provider if refusal else password_provider(),
                         success=False,
                         reason=refusal.reason if refusal else "invalid credentials")  # fmt: skip
            if refusal is not None:
                raise ValidationError(refusal.message, code="refused")
            raise ValidationError(LOGIN_FAILED, code="invalid_login")
        attempt.succeeded()
        return self.cleaned_data


class OnboardingForm(SetPasswordMixin, forms.Form):
    username = forms.CharField(
        label=_lazy("Username"), max_length=32, validators=[validate_username],
        widget=forms.TextInput(attrs=USERNAME_ATTRS),
    )  # fmt: skip
    display_name = forms.CharField(label=_lazy("Display name"), max_length=150, required=False)
    password1, password2 = SetPasswordMixin.create_password_fields(
        label1=_lazy("Password"), label2=_lazy("Password again")
    )

    def clean_username(self):
        return self.cleaned_data["username"].lower()

    def clean(self):
        self.validate_passwords()
        candidate = User(
            username=self.cleaned_data.get("username", ""),
            display_name=self.cleaned_data.get("display_name", ""),
        )
        self.validate_password_for_user(candidate)
        return super().clean()


def relabel_new_password(form) -> None:
    """One wording on every form that replaces a password (Django says "New password
    confirmation"); first passwords read "Password" and "Password again"."""
    form.fields["new_password1"].label = _lazy("New password")
    form.fields["new_password2"].label = _lazy("New password again")


class PasswordChangeForm(DjangoPasswordChangeForm):
    """Django's form (old password, new password twice, policy) with our field labels."""

    error_messages = {
        **DjangoPasswordChangeForm.error_messages,
        "password_incorrect": _lazy("Your current password is wrong."),
    }

    def __init__(self, user, *args, request, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)
        relabel_new_password(self)

    def clean_old_password(self):
        """The current password is checked under the login throttle, like a login."""
        try:
            attempt = throttle.begin(client_ip(self.request), self.user.username)
        except throttle.Locked as locked:
            raise ValidationError(wait_message(locked.wait), code="throttled") from None
        try:
            old = super().clean_old_password()
        except ValidationError:
            attempt.failed()
            record_login(self.request, user=self.user, username=self.user.username,
                         provider=self.user.provider, success=False,
                         reason="wrong current password")  # fmt: skip
            raise
        except HashingBusy:
            attempt.cancel()
            raise
        attempt.succeeded()
        return old

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        old, new = cleaned.get("old_password"), cleaned.get("new_password1")
        if old and new and old == new:
            self.add_error("new_password1", _("Choose a password different from the current one."))
        return cleaned


class NewPasswordForm(SetPasswordForm):
    """Django's form for choosing a password through a link, in our wording."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        relabel_new_password(self)
