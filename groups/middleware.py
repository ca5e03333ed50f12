"""The resolver's grants on every request."""

from django.utils.functional import SimpleLazyObject

from groups.resolver import grants_for
from homeportal.changes import GROUPS, count_of


def grants_middleware(get_response):
    """`request.grants`: the current user's grants, computed on first use, once per request
    (kept in this process under the session's change count of groups, when it has one)."""

    def middleware(request):
        request.grants = SimpleLazyObject(
            lambda: grants_for(request.user, count=count_of(request, GROUPS))
        )
        return get_response(request)

    return middleware
