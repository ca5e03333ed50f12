"""The resolver's grants on every request."""

from django.utils.functional import SimpleLazyObject

from groups.resolver import grants_for


def grants_middleware(get_response):
    """`request.grants`: the current user's grants, computed on first use, once per request."""

    def middleware(request):
        request.grants = SimpleLazyObject(lambda: grants_for(request.user))
        return get_response(request)

    return middleware
