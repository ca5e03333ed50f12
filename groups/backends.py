"""The resolver as a Django authorization backend.

`user.has_perm("user-manage")` asks a global permission; `user.has_perm("boards.modify", board)`
asks an object level (`<kind>s.<level>`). It authenticates nobody.
"""

from groups.resolver import _REGISTRY, grants_for


class ResolverBackend:
    def authenticate(self, request, **credentials):
        return None

    def get_user(self, user_id):
        return None

    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        grants = grants_for(user_obj)
        if obj is None:
            return grants.has(perm.removeprefix("groups."))
        app, _, level = perm.partition(".")
        kind = app.removesuffix("s")
        if kind not in _REGISTRY or level not in _REGISTRY[kind].levels:
            return False
        return grants.can(kind, obj, level)

    def has_module_perms(self, user_obj, app_label: str) -> bool:
        return False
