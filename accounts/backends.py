"""The `credentials` provider: username and password checked against argon2id hashes."""

from django.contrib.auth.backends import ModelBackend

from accounts.models import Provider, User
from accounts.usernames import canonical


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

    def get_all_permissions(self, user_obj, obj=None):
        return set()

    def has_perm(self, user_obj, perm, obj=None):
        return False
