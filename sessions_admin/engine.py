"""Database sessions keyed by the hash of the cookie value, with the owner and device recorded
on the row, so a user's sessions can be listed and revoked with one query.

The row's expiry is the session's real end: AUTH_SESSION_EXPIRY_TIME from the last save for
"remember me", AUTH_SESSION_IDLE_TIME from the last save for every other session (anonymous
ones included: a pending second factor, an OIDC sign-in under way). The activity middleware
saves the session at least once a minute while it is used, so an idle session's row expires
when the session does, and `prune` can delete it.
"""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone

from homeportal.changes import count_annotations, counts_of
from homeportal.compiled import CompiledQuery
from sessions_admin.models import UserSession, hash_session_key

# Keys of session data that are copied onto the row.
USER_ID = "_auth_user_id"
PROVIDER = "_hp_provider"
IP = "_hp_ip"
USER_AGENT = "_hp_ua"
CREATED = "_hp_created"
SEEN = "_hp_seen"
REMEMBER = "_hp_remember"
# When this session last gave a second factor (at login, or later for a protected app that
# requires one).
SECOND_FACTOR = "_hp_2fa"


def _from_epoch(value) -> datetime:
    return datetime.fromtimestamp(value, UTC) if value else timezone.now()


# Every request with a session cookie asks this: compiled once (homeportal.compiled), with the
# database's change counts (homeportal.changes). The expiry is checked on the row, so that the
# SQL takes the key alone.
_BY_KEY = CompiledQuery(
    lambda key: UserSession.objects.annotate(**count_annotations()).filter(session_key=key)
)


class SessionStore(DatabaseStore):
    model: type[UserSession]  # Django's cached property, answering get_model_class()
    # The database's change counts (homeportal.changes), read in the session's own query.
    change_counts: dict[int, int | None] | None = None

    @classmethod
    def get_model_class(cls) -> type[UserSession]:
        return UserSession

    def _get_session_from_db(self):
        if self.session_key is None:  # no key yet: nothing to read, as in Django's store
            return None
        try:
            found = _BY_KEY.first(hash_session_key(self.session_key))
        except SuspiciousOperation:
            found = None
        if found is None or found.expire_date <= timezone.now():  # Django's filter, here
            self._session_key = None
            return None
        return found

    def load(self) -> dict:
        found = self._get_session_from_db()
        self.change_counts = counts_of(found) if found is not None else None
        return self.decode(found.session_data) if found is not None else {}

    def exists(self, session_key) -> bool:
        return self.model.objects.filter(session_key=hash_session_key(session_key)).exists()

    def real_expiry(self, data) -> datetime:
        if data.get(REMEMBER):
            return self.get_expiry_date()
        return timezone.now() + timedelta(seconds=settings.AUTH_SESSION_IDLE_TIME)

    def create_model_instance(self, data):
        user_id = data.get(USER_ID)
        return self.model(
            session_key=hash_session_key(self._get_or_create_session_key()),  # type: ignore[attr-defined]  # Django's, not in the stubs
            session_data=self.encode(data),
            expire_date=self.real_expiry(data),
            user_id=int(user_id) if user_id else None,
            provider=data.get(PROVIDER, ""),
            ip=data.get(IP) or None,
            user_agent=data.get(USER_AGENT, "")[:400],
            remember=bool(data.get(REMEMBER)),
            created=_from_epoch(data.get(CREATED)),
            last_seen=_from_epoch(data.get(SEEN)),
        )

    def delete(self, session_key=None) -> None:
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        self.model.objects.filter(session_key=hash_session_key(session_key)).delete()
