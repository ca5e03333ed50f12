"""Recording and ending login sessions."""

import time

from django.conf import settings

from homeportal.net import client_ip
from sessions_admin import engine, pruning
from sessions_admin.models import LoginRecord, UserSession, hash_session_key


def user_agent(request) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:400]


def start_session(request, user, *, provider: str, remember: bool) -> None:
    """Called right after django.contrib.auth.login(): describes the new session and records
    the successful login."""
    now = time.time()
    session = request.session
    session[engine.PROVIDER] = provider
    session[engine.IP] = client_ip(request)
    session[engine.USER_AGENT] = user_agent(request)
    session[engine.CREATED] = now
    session[engine.SEEN] = now
    session[engine.REMEMBER] = remember
    # Without "remember me" the cookie ends with the browser and the server ends the session
    # after AUTH_SESSION_IDLE_TIME without activity; with it, it lasts AUTH_SESSION_EXPIRY_TIME.
    session.set_expiry(settings.AUTH_SESSION_EXPIRY_TIME if remember else 0)
    record_login(request, user=user, username=user.username, provider=provider, success=True)
    pruning.maybe_prune()


def record_login(
    request, *, user=None, username: str = "", provider: str, success: bool, reason: str = ""
) -> None:
    LoginRecord.objects.create(
        user=user,
        username=username[:150],
        provider=provider,
        ip=client_ip(request) or None,
        user_agent=user_agent(request),
        success=success,
        reason=reason[:200],
    )


def revoke_sessions(user, *, keep_session_key: str | None = None) -> int:
    """Ends every session of `user` (but the one named), on every server at once."""
    sessions = UserSession.objects.filter(user=user)
    if keep_session_key:
        sessions = sessions.exclude(session_key=hash_session_key(keep_session_key))
    count, _ = sessions.delete()
    return count
