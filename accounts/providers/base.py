"""What the LDAP, OIDC and proxy backends share."""

import logging

from accounts.backends import active_user
from accounts.identities import LoginRefused
from sessions_admin.services import record_login

logger = logging.getLogger("accounts.providers")

# The attribute of the request where a provider leaves the reason it refused a login, for the
# login page to show (LoginRefused).
REFUSAL = "login_refusal"


class ExternalBackend:
    """A backend that grants no permission (groups.backends.ResolverBackend answers those)
    and restores sessions of active users only."""

    provider = ""

    def get_user(self, user_id):
        return active_user(user_id)

    def get_user_permissions(self, user_obj, obj=None):
        return set()

    def get_group_permissions(self, user_obj, obj=None):
        return set()

    def get_all_permissions(self, user_obj, obj=None):
        return set()

    def has_perm(self, user_obj, perm, obj=None):
        return False

    def has_module_perms(self, user_obj, app_label):
        return False


def refuse(request, refusal: LoginRefused, *, username: str = "", record: bool = True) -> None:
    """Keeps `refusal` on the request for the login page, and records the failed login."""
    if request is not None:
        setattr(request, REFUSAL, refusal)
    logger.warning("%s login of %r refused: %s", refusal.provider, username, refusal.reason)
    if record and request is not None:
        record_login(request, username=username, provider=refusal.provider, success=False,
                     reason=refusal.reason)  # fmt: skip
