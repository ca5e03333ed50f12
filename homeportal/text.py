"""Text that may be stored: no NUL character and no unpaired surrogate, anywhere.

PostgreSQL cannot store a NUL in text (nor `\\u0000` in jsonb), and a lone surrogate such as
`\\ud800` cannot be encoded as UTF-8 at all, so either one fails the request at the database
or when the page is written. Both are refused where text comes in: every form field that
holds text (homeportal.apps adds `validate_text` to every `forms.CharField`) and every string
of a JSON document (homeportal.jsoninput).
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# A NUL, or a surrogate code point: in a Python str every surrogate is an unpaired one (a
# valid pair is decoded into one character outside the Basic Multilingual Plane).
_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")

NUL_MESSAGE = _("contains a NUL character (\\0), which text cannot hold")
SURROGATE_MESSAGE = _("contains invalid Unicode (an unpaired surrogate such as \\ud800)")
FIELD_MESSAGES = {
    "\x00": _("This text contains a NUL character (\\0), which text cannot hold."),
    "surrogate": _("This text contains invalid Unicode (an unpaired surrogate such as \\ud800)."),
}


def text_problem(value: str):
    """Why `value` cannot be stored (a lazy message to follow its name), or None."""
    found = _FORBIDDEN.search(value)
    if found is None:
        return None
    return NUL_MESSAGE if found.group() == "\x00" else SURROGATE_MESSAGE


def validate_text(value) -> None:
    """A form field validator: refuses NUL and unpaired surrogates."""
    if not isinstance(value, str):
        return
    found = _FORBIDDEN.search(value)
    if found is not None:
        key = "\x00" if found.group() == "\x00" else "surrogate"
        raise ValidationError(FIELD_MESSAGES[key], code="invalid_text")


def storable(value: str) -> str:
    """`value` without NUL characters and unpaired surrogates: for text that arrives from a
    login provider (claims, headers, directory attributes), which no form checks and which
    the person cannot be asked to correct."""
    return _FORBIDDEN.sub("", value) if isinstance(value, str) else value
