import time

from django.conf import settings
from django.contrib.auth import logout

from sessions_admin import engine

SEEN_RESOLUTION = 60  # seconds; last-seen is written at most once a minute


def session_activity_middleware(get_response):
    """Ends sessions idle for longer than AUTH_SESSION_IDLE_TIME (unless "remember me") and
    refreshes their last-seen time at most once a minute."""

    def middleware(request):
        if request.user.is_authenticated:
            session = request.session
            now = time.time()
            seen = session.get(engine.SEEN)
            idle_limit = settings.AUTH_SESSION_IDLE_TIME
            if seen and not session.get(engine.REMEMBER) and now - seen > idle_limit:
                logout(request)
            elif seen is None or now - seen >= SEEN_RESOLUTION:
                session[engine.SEEN] = now
        return get_response(request)

    return middleware
