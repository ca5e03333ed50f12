"""Addresses and text that end up in a board page: what is allowed, checked once on input and
again on output (an old or imported row never gets a second chance to be dangerous)."""

import functools
import re
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Schemes a link on a board may use: the web, and the apps a home lab opens from a browser.
# Never javascript:, data:, vbscript: or file:.
LINK_SCHEMES = frozenset(
    {"http", "https", "ftp", "sftp", "ssh", "smb", "vnc", "rdp", "mailto", "tel", "steam"}
)
WEB_SCHEMES = frozenset({"http", "https"})
CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]")


@functools.lru_cache(maxsize=4096)
def _scheme(value: str) -> str | None:
    """The URL's scheme in lowercase; "" for a path on this server; None when unusable.
    Remembered per address: a board's links are checked again on every first view."""
    if not value or CONTROL_OR_SPACE.search(value) or "\\" in value:
        return None
    if value.startswith("/"):
        return None if value.startswith("//") else ""
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme in WEB_SCHEMES and not parts.hostname:
        return None
    return scheme or None


def safe_link(value, schemes=LINK_SCHEMES) -> str:
    """`value` when it is a link of an allowed scheme or a path on this server, else ""."""
    value = str(value or "").strip()
    scheme = _scheme(value)
    if scheme is None or (scheme and scheme not in schemes):
        return ""
    return value


def safe_web_url(value) -> str:
    """`value` when it is an absolute http(s) address, else ""."""
    value = str(value or "").strip()
    return value if _scheme(value) in WEB_SCHEMES else ""


def web_origin(value) -> str | None:
    """`scheme://host[:port]` of an http(s) address, for a Content-Security-Policy source
    (worked out once per process for the same address: a board's first view asks for each
    of its frames' and search boxes')."""
    return _web_origin(str(value or ""))


@functools.lru_cache(maxsize=512)
def _web_origin(value: str) -> str | None:
    url = safe_web_url(value)
    if not url:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not re.fullmatch(r"[a-z0-9.-]+|\[[0-9a-f:.]+\]|[0-9a-f:.]+", host):
        return None
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        return None
    return f"{parts.scheme.lower()}://{host}" + (f":{port}" if port else "")


class LinkField(forms.CharField):
    """A link: http(s) and the usual app schemes, or a path on this server."""

    default_error_messages = {
        "invalid": _(
            "Give a full address such as https://jellyfin.home.lan, or a path starting with /."
        ),
        "scheme": _("Links starting with “%(scheme)s:” are not allowed."),
    }

    def __init__(self, *, schemes=LINK_SCHEMES, **kwargs):
        self.schemes = schemes
        kwargs.setdefault("max_length", 2000)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        scheme = _scheme(value)
        if scheme is None:
            raw = value.split(":", 1)[0].lower() if ":" in value else ""
            if raw and raw.isalpha() and raw not in self.schemes:
                raise ValidationError(
                    self.error_messages["scheme"], code="scheme", params={"scheme": raw}
                )
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if scheme and scheme not in self.schemes:
            raise ValidationError(
                self.error_messages["scheme"], code="scheme", params={"scheme": scheme}
            )
        return value


class WebURLField(LinkField):
    """An absolute http:// or https:// address."""

    default_error_messages = {
        "invalid": _("Give a full address starting with http:// or https://."),
        "scheme": _("Only http:// and https:// addresses are allowed here, not “%(scheme)s:”."),
    }

    def __init__(self, **kwargs):
        super().__init__(schemes=WEB_SCHEMES, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value and not safe_web_url(value):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return value
