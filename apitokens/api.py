"""How every `/api/v1/` call is answered: Bearer authentication, scopes, rate limit, errors.

- Authentication is the `Authorization: Bearer hp_…` header and nothing else. Cookies are
  removed from API requests before the session middleware would run (`api_middleware`),
  so a browser's session never authenticates an API call and a token is never read from a
  cookie; with no cookie there is no CSRF to forge, and API views are exempt from its check.
- The token's holder becomes `request.user`, and `request.grants` is the resolver's answer for
  them narrowed by the token's scopes (apitokens.scopes): every check in the views, forms and
  rules the API shares with the pages asks the same resolver. The token is read with the
  database's change counts, as a session is (homeportal.changes), so the holder's grants are
  kept in the process while their groups and memberships are unchanged.
- Errors are `{"error": {"code": ..., "message": ...}}` with the matching status.
- Calls are counted per token in the cache with the login throttle's counters
  (accounts.throttle.reserve): API_RATE_LIMIT per API_RATE_WINDOW, then 429 with Retry-After.
- Every audit entry written during a call names the token (sessions_admin.audit).

Each endpoint is declared with `@endpoint(...)`: its method, the scopes it needs, and what the
OpenAPI document (apitokens.openapi) says about it, so the document is built from the code.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage import default_storage
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import PermissionDenied
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django_htmx.middleware import HtmxDetails

from accounts.preferences import activate_preferences
from accounts.throttle import reserve_and_read
from apitokens import scopes as scope_names
from apitokens.models import ApiToken, by_token
from groups.resolver import ANONYMOUS, grants_for, grants_keys
from homeportal import jsoninput
from homeportal.changes import GROUPS, counts_of
from homeportal.http import AuthenticatedRequest
from homeportal.net import client_ip
from sessions_admin import audit

API_PREFIX = "/api/"
API_URLCONF = "apitokens.api_root_urls"  # the API's URLs alone, mounted as the site mounts them
MAX_BODY = 64 * 1024
PER_PAGE, MAX_PER_PAGE = 50, 200


def api_middleware(get_response):
    """Answers API calls (paths under /api/), in place of the middleware after it.

    Those serve browser sessions: the session and its user, CSRF, messages, htmx, the checks
    that send a session to a password change or to two-factor set-up, impersonation. A Bearer
    call has no session (its cookies are removed here, so a browser's session can never
    authenticate it) and is authenticated by its view (`endpoint`), so for it they would only
    cost time. What they give every request is given here instead: the language of the
    Accept-Language header and the server's time zone (the holder's own preferences apply once
    the token is known, `endpoint`), an anonymous user and grants, an empty session and a
    message store that nothing saves, and request.htmx; then the URL's view is called."""

    def middleware(request):
        if not request.path.startswith(API_PREFIX):
            return get_response(request)
        request.COOKIES = {}
        request.META.pop("HTTP_COOKIE", None)
        language = translation.get_language_from_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        request.user = AnonymousUser()
        activate_preferences(request, request.user)
        request.grants = ANONYMOUS
        request.session = SessionBase()
        request._messages = default_storage(request)
        request.htmx = HtmxDetails(request)
        try:
            match = resolve(request.path_info, urlconf=API_URLCONF)
        except Resolver404:
            return error(404, "not_found", _("Not found."))
        request.resolver_match = match
        response = match.func(request, *match.args, **match.kwargs)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Accept-Language", "Authorization"))
        return response

    return middleware


class ApiRequest(AuthenticatedRequest):
    """A request inside an `@endpoint` view: its user is the token's holder (`act_as`)."""

    api_token: ApiToken


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": str(message)}}, status=status)


REFUSALS = {
    "revoked": lambda: _("This token has been revoked."),
    "expired": lambda: _("This token has expired."),
    "holder_disabled": lambda: _("The account this token belongs to is disabled."),
    "password_changed": lambda: _(
        "The password of the account this token belongs to has changed since it was created."
    ),
}


def authenticate(request: HttpRequest) -> ApiToken:
    header = request.headers.get("Authorization", "")
    kind, _space, value = header.partition(" ")
    if kind.lower() != "bearer" or not value.strip():
        raise ApiError(401, "unauthenticated", _("Send an API token: Authorization: Bearer …"))
    token = by_token(value.strip())
    if token is None:
        raise ApiError(401, "invalid_token", _("This token is not known."))
    refusal = token.refusal()
    if refusal == "password_changed":
        token.revoke(refusal)
    if refusal is not None:
        raise ApiError(401, "invalid_token", REFUSALS[refusal]())
    return token


def act_as(request: HttpRequest, token: ApiToken, found: dict | None = None) -> None:
    """The token's holder, seen through its scopes, becomes the request's user: from here on
    the request is an `ApiRequest`. `found`: the holder's grants as `throttle` read them."""
    user = token.user
    granted = tuple(token.scopes)
    user.restrict_grants = lambda grants: scope_names.narrow(grants, granted)
    user._grants = None
    api_request = cast(ApiRequest, request)
    api_request.user = user
    api_request.grants = grants_for(user, found=found, count=counts_of(token)[GROUPS])
    api_request.api_token = token


def throttle(token: ApiToken) -> dict:
    """Counts the call against the token's rate limit (ApiError 429 when it is spent) and
    answers the holder's cached grants, read in the same round trip (`act_as` takes them),
    unless they are kept under the database's change count read with the token."""
    limits = {f"api-rate:{token.pk}": settings.API_RATE_LIMIT}
    wanted = grants_keys(token.user) if counts_of(token)[GROUPS] is None else []
    wait, found = reserve_and_read(limits, settings.API_RATE_WINDOW, wanted)
    if wait:
        error_ = ApiError(429, "rate_limited", _("Too many calls with this token; wait a moment."))
        error_.retry_after = wait if wait > 0 else settings.API_RATE_WINDOW  # type: ignore[attr-defined]
        raise error_
    return found


@dataclass(frozen=True)
class Endpoint:
    method: str
    scopes: tuple[str, ...]
    summary: str
    response: dict[str, Any]
    body: dict[str, Any] | None = None
    paginated: bool = False
    errors: tuple[int, ...] = field(default_factory=tuple)


def endpoint(
    method: str,
    *,
    scopes: tuple[str, ...] = (),
    summary: str,
    response: dict,
    body: dict | None = None,
    paginated: bool = False,
    errors: tuple[int, ...] = (),
):
    """Declares an API view: authentication, scopes, rate limit and JSON errors around it; the
    view returns a JSON-serialisable value (or an HttpResponse) and may raise Http404,
    PermissionDenied, ApiError or a rule's refusal."""
    spec = Endpoint(method, scopes, summary, response, body, paginated, errors)

    def decorator(view: Callable) -> Callable:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                token = authenticate(request)
                # The holder's language, time zone and time format from here on, errors included.
                activate_preferences(request, token.user)
                if request.method != method:
                    response = error(405, "method_not_allowed", _("Use %s.") % method)
                    response["Allow"] = method
                    return response
                missing = [s for s in scopes if s not in scope_names.implied(token.scopes)]
                if missing:
                    message = _("This token lacks the scope %s.") % ", ".join(missing)
                    raise ApiError(403, "insufficient_scope", message)
                found = throttle(token)
                act_as(request, token, found)
                token.touch(client_ip(request))
                marker = audit.api_token_name.set(token.name)
                try:
                    result = view(request, *args, **kwargs)
                finally:
                    audit.api_token_name.reset(marker)
            except ApiError as problem:
                response = error(problem.status, problem.code, problem.message)
                if problem.status == 401:
                    response["WWW-Authenticate"] = 'Bearer realm="homeportal"'
                if hasattr(problem, "retry_after"):
                    response["Retry-After"] = str(problem.retry_after)
                return response
            except Http404:
                return error(404, "not_found", _("Not found."))
            except PermissionDenied as denied:
                message = str(denied) or _("You may not do this.")
                return error(403, "forbidden", message)
            if isinstance(result, HttpResponse):
                return result
            return JsonResponse(result, safe=False)

        wrapper.api_endpoint = spec  # type: ignore[attr-defined]
        return wrapper

    return decorator


def json_body(request: HttpRequest) -> dict:
    """The call's JSON object; ApiError 400 when it is not one."""
    if not request.body:
        return {}
    try:
        data = jsoninput.loads(request.body, max_bytes=MAX_BODY, max_depth=4)
    except jsoninput.JSONInputError as problem:
        raise ApiError(400, "bad_json", "; ".join(problem.messages)) from None
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", _("Send a JSON object."))
    return data


TYPE_NAMES = {
    str: gettext_lazy("a string"),
    int: gettext_lazy("a whole number"),
    bool: gettext_lazy("true or false"),
    dict: gettext_lazy("an object"),
    list: gettext_lazy("a list"),
}


def fields(body: dict, spec: dict[str, type], required: tuple[str, ...] = ()) -> dict:
    """The body's fields, each of the type `spec` names: ApiError 422 for a field that is
    unknown, missing or of another type (so a typo never passes for a field left out)."""
    unknown = sorted(set(body) - set(spec))
    if unknown:
        raise ApiError(422, "invalid", _("Unknown field: %s.") % ", ".join(unknown))
    for name in required:
        if name not in body:
            raise ApiError(
                422, "invalid", _("%(field)s: this field is required.") % {"field": name}
            )
    for name, value in body.items():
        kind = spec[name]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ApiError(
                422, "invalid",
                _("%(field)s must be %(type)s.") % {"field": name, "type": TYPE_NAMES[kind]},
            )  # fmt: skip
    return body


def form_errors(form) -> ApiError:
    """A form's refusal as a 422 naming every field's problems."""
    problems = "; ".join(
        f"{name}: {' '.join(str(m) for m in messages)}" for name, messages in form.errors.items()
    )
    return ApiError(422, "invalid", problems)


def paginate(request: HttpRequest, queryset, serialize: Callable[[Any], Any]) -> dict:
    """One page of `queryset`: `?page=` (from 1) and `?per_page=` (at most MAX_PER_PAGE)."""
    try:
        per_page = int(request.GET.get("per_page", PER_PAGE))
    except ValueError:
        raise ApiError(400, "bad_request", _("per_page must be a whole number.")) from None
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ApiError(400, "bad_request", _("per_page must be 1 to %d.") % MAX_PER_PAGE)
    paginator = Paginator(queryset, per_page)
    try:
        page = paginator.page(request.GET.get("page", 1))
    except PageNotAnInteger:
        raise ApiError(400, "bad_request", _("page must be a whole number.")) from None
    except EmptyPage:
        raise ApiError(404, "not_found", _("There is no such page.")) from None

    def link(number: int) -> str:
        query = request.GET.copy()
        query["page"] = str(number)
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    return {
        "count": paginator.count,
        "page": page.number,
        "pages": paginator.num_pages,
        "next": link(page.next_page_number()) if page.has_next() else None,
        "previous": link(page.previous_page_number()) if page.has_previous() else None,
        "results": [serialize(obj) for obj in page],
    }
