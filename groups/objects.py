"""The one way views reach a protected object: through the resolver's grants.

Every ACL kind registered with the resolver (boards, integrations, protected apps) is reached
the same way, and each app's access module (boards.access, integrations.access,
protected_apps.access) names this for its own kind. `get_object(request, kind, field, value,
level)` answers the object of `kind` whose unique `field` is `value`, read with the user's
level in one query (`Grants.find`), or raises:

- `LoginNeeded` when an anonymous visitor cannot reach it, whether it exists or not;
- Http404 when the user cannot reach it at the kind's lowest level (so its existence does not
  leak);
- PermissionDenied when they can, but not at `level` (or it fails the caller's `check`).

`with_object` is the same as a view decorator, which answers `LoginNeeded` with the login page.
Nothing here reads ACL rows to decide a permission: the grants do.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404

from groups.resolver import Base, ForViewer, Grants, acl_spec
from homeportal.changes import count_of
from homeportal.http import Request

Check = Callable[[Grants, Any], bool]


class LoginNeeded(Http404):
    """An anonymous visitor asked for an object only a logged-in user could reach. The view
    decorators answer it with the login page; wherever it is not caught it stays a 404."""


def get_object(request: Request, kind: str, field: str, value: str | int,
               level: str | None = None, base: Base | None = None,
               check: Check | None = None, for_viewer: ForViewer | None = None,
               counted: int | None = None) -> Any:  # fmt: skip
    """The object of `kind` whose unique `field` is `value`, which the user reaches at `level`
    (the kind's lowest by default) and which passes `check(grants, obj)` when one is given.
    `base` (a module-level function, as the lookup's SQL is kept per function) makes the
    queryset the object is read from, for an annotation of the caller's own; `for_viewer`
    (module-level too) adds the logged-in viewer's own state of it (Grants.find). `counted`:
    a change count (homeportal.changes) that every table the lookup reads raises, so its
    answer may be kept in this process under the count read with the request's session.
    The permission checks below run on every request, kept answer or not."""
    grants = request.grants
    spec = acl_spec(kind)
    lowest = spec.levels[0]
    if spec.public_field is None and not request.user.is_authenticated:
        raise LoginNeeded  # nothing of this kind is open to anonymous visitors
    count = count_of(request, counted) if counted is not None else None
    found = grants.find(kind, field, value, base, for_viewer, count)
    reachable = found is not None and grants.can(kind, found, lowest)
    if (
        reachable
        and grants.can(kind, found, level or lowest)
        and (check is None or check(grants, found))
    ):
        return found
    if not request.user.is_authenticated:
        raise LoginNeeded
    if not reachable:
        raise Http404
    raise PermissionDenied


def with_object(kind: str, field: str, level: str | None = None, *, url_kwarg: str | None = None,
                base: Base | None = None, check: Check | None = None,
                for_viewer: ForViewer | None = None,
                counted: int | None = None) -> Callable:  # fmt: skip
    """View decorator: passes the object named by the URL's `url_kwarg` (`field` by default)
    to the view in its place, as `get_object` answers it; anonymous visitors who cannot reach
    it get the login page."""
    name = url_kwarg or field

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            value = kwargs.pop(name)
            try:
                found = get_object(
                    request, kind, field, value, level, base, check, for_viewer, counted
                )
            except LoginNeeded:
                return redirect_to_login(request.get_full_path())
            return view(request, found, *args, **kwargs)

        return wrapper

    return decorator
