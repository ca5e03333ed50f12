"""The username rule, shared by every provider, the forms and the fix_usernames command.

3-32 characters of letters, digits, `.`, `_`, `-`, starting with a letter or digit, stored
lowercase, not a reserved name. Group names share the reserved list.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MIN_LENGTH = 3
MAX_LENGTH = 32
PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
RESERVED = frozenset(
    {
        "admin", "administrator", "administrators", "anonymous", "everyone", "guest",
        "homeportal", "nobody", "null", "operator", "owner", "root", "superuser", "support",
        "system", "undefined", "www", "api", "static", "healthz", "onboarding",
    }
)  # fmt: skip


def is_reserved(name: str) -> bool:
    return name.lower() in RESERVED


def validate_username(value: str) -> None:
    if len(value) < MIN_LENGTH or len(value) > MAX_LENGTH:
        raise ValidationError(
            _("A username has %(min)d to %(max)d characters.")
            % {"min": MIN_LENGTH, "max": MAX_LENGTH},
            code="length",
        )
    if not PATTERN.match(value.lower()):
        raise ValidationError(
            _(
                "A username uses only letters, digits, dots, hyphens and underscores, "
                "and starts with a letter or digit."
            ),
            code="characters",
        )
    if is_reserved(value):
        raise ValidationError(_("“%(name)s” is reserved.") % {"name": value}, code="reserved")


def normalize_username(raw: str) -> str:
    """The closest name that follows the rule, for names from LDAP, OIDC, proxies and old data.

    Accents are folded (`José` → `jose`), an e-mail keeps its local part, other characters
    become `-`, leading punctuation is dropped, long names are cut, short ones padded with `0`.
    The result may still be reserved or taken: the caller decides what to do then.
    """
    name = unicodedata.normalize("NFKD", raw.strip()).encode("ascii", "ignore").decode()
    name = name.lower()
    if "@" in name:
        name = name.split("@", 1)[0]
    name = re.sub(r"[^a-z0-9._-]+", "-", name)
    name = re.sub(r"-{2,}", "-", name)
    name = name.lstrip("._-")[:MAX_LENGTH].rstrip("._-") or "user"
    return name.ljust(MIN_LENGTH, "0")


def canonical(typed: str) -> str:
    """The one spelling of a typed login name that every lookup and counter uses.

    NFKC and case folding, as directories compare names (RFC 4518): `TLOCK`, `tlock` and `tlock`
    in full-width letters are one name, so they share one account, one login history and one
    throttle.
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", typed).casefold())
    return " ".join(folded.split())
