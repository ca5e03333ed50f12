"""The request as the middleware leaves it, for the type checker.

Views annotate their request with these instead of Django's `HttpRequest` so that what the
middleware adds is typed: `request.grants` (groups.middleware), `request.htmx` (django-htmx)
and, behind `@login_required` and the other login checks, a `request.user` that is a `User`.
They add nothing at run time: the objects are Django's requests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from accounts.models import User
    from groups.resolver import Grants


class Request(HttpRequest):
    """Any request that went through the middleware: anonymous or logged in."""

    grants: Grants
    htmx: HtmxDetails


class AuthenticatedRequest(Request):
    """A request of a logged-in user (the view is behind a login check)."""

    user: User
