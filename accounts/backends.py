"""The `credentials` provider: username and password checked against argon2id hashes."""

from django.contrib.auth.backends import ModelBackend

from accounts.models import Provider, User
from accounts.usernames import canonical
from homeportal.compiled import CompiledQuery

# Every request with a session asks for its user: the lookup compiled once per process
# (homeportal.compiled), as the session's own.
_BY_ID = CompiledQuery(lambda pk: User.objects.filter(pk=pk))
_LARGEST_ID = 2**63 - 1  # a BigAutoField's


def active_user(user_id) -> User | None:
    """The session's user by id, when there is one and it is active (what every backend's
    `get_user` answers)."""
    if isinstance(user_id, str) and user_id.isdigit():
        user_id = int(user_id)
    if type(user_id) is not int or not 0 < user_id <= _LARGEST_ID:
        return None
    user = _BY_ID.first(user_id)
    return user if user is not None and user.is_active else None


class CredentialsBackend(ModelBackend):
    """Local accounts only. Timing-safe: an unknown name, a user of another provider and a
    disabled user each cost one password hash, like a wrong password, and give the same
    answer. Permissions come from groups.backends.ResolverBackend, not from here."""

    provider = Provider.CREDENTIALS

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or password is None:
            return None
        user = User.objects.filter(username=canonical(username)).first()
        if user is None or user.provider != Provider.CREDENTIALS or not user.has_usable_password():
            User().set_password(password)  # the same parameters and cost as a real check
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        return active_user(user_id)

    def get_all_permissions(self, user_obj, obj=None):
        return set()

    def has_perm(self, user_obj, perm, obj=None):
        return False
