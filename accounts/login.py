"""How every login ends, whatever proved who the person is (the password form, the second
factor, an invite, OIDC, the reverse proxy), and where the browser may go afterwards.

Views and providers import this module; it imports neither, so the arrows run one way.
"""

from collections.abc import Callable

from django.contrib.auth import login as auth_login
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.models import User
from homeportal.http import Request
from sessions_admin import engine, pruning
from sessions_admin.services import start_session

# Other places a browser may be sent after login, registered by the apps that own them (the
# protected apps of forward authentication): each takes (url, request) and says yes or no.
_REDIRECT_CHECKS: list[Callable[[str, Request], bool]] = []


def register_redirect_check(check: Callable[[str, Request], bool]) -> None:
    if check not in _REDIRECT_CHECKS:
        _REDIRECT_CHECKS.append(check)


def is_safe_target(target: str, request: Request) -> bool:
    """Whether the browser may be sent to `target`: a page of this site, or an address a
    registered check accepts (an absolute address of a protected app). Nothing else."""
    if not target:
        return False
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return True
    return any(check(target, request) for check in _REDIRECT_CHECKS)


def safe_next(request: Request, fallback: str = "home") -> str:
    """The `next` target of the request when it is safe (`is_safe_target`), else `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if is_safe_target(target, request):
        return target
    return redirect(fallback).url


def complete_login(request: Request, user: User, *, provider: str, remember: bool,
                   backend: str) -> None:  # fmt: skip
    """Logs `user` in on this request and records the session; every provider ends here."""
    auth_login(request, user, backend=backend)
    start_session(request, user, provider=provider, remember=remember)
    # Here rather than in sessions_admin.services, which the rules that pruning's models
    # depend on import: the arrows stay one way.
    pruning.maybe_prune()


def renew_if_ended(request: Request, user: User, *, provider: str, backend: str) -> bool:
    """For a provider that has just vouched for `user` again on this request (a proxy's
    changed headers, an OIDC silent refresh) and mirrored their groups: when that ended this
    very session (losing admin ends all of a person's sessions), the person carries on in a
    new session with their new rights. True when it did."""
    session = request.session
    if session.session_key and session.exists(session.session_key):
        return False
    # A new key (and row) for the same data; login() keeps the key of a session that is
    # already this user's, which would be the key of the row that is gone.
    session.cycle_key()
    complete_login(request, user, provider=provider, remember=bool(session.get(engine.REMEMBER)),
                   backend=backend)  # fmt: skip
    return True
