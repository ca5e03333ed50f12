"""The forward-auth decision: may the person behind this session cookie reach this address?

A reverse proxy asks on every request to a protected app, so the answer comes from the cache:
one `get_many` (the resolver's version and this session's entry) and a table of the protected
apps kept in each process under that version. No query once warm.

The session's entry (who it is, their identity headers, whether they gave a second factor,
and the answers already given per app) is read from the database at most once a minute per
session, which also refreshes the session's last-seen time like any page would. It is dropped
at once when the session row goes (logout, revocation, disabling: every revocation deletes the
rows) or the user changes, and every change to groups, memberships, permissions, ACL rows or
protected apps bumps the resolver's version (groups.resolver.bump_version), which every entry
is checked against. So all of them take effect on the next request to any protected app.
"""

import posixpath
import time
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY
from django.core.cache import cache
from django.db import transaction
from django.db.models import signals
from django.utils.crypto import constant_time_compare

from groups import resolver
from sessions_admin import engine
from sessions_admin.models import hash_session_key

ENTRY_PREFIX = "fwd1"
REFRESH = 60  # seconds between two reads of a session's row (and last-seen updates)
IMPERSONATION = "_hp_impersonation"  # sessions_admin.impersonation.SESSION_KEY

ALLOW, LOGIN, TWO_FACTOR, DENIED, UNKNOWN = "allow", "login", "two-factor", "denied", "unknown"


@dataclass(frozen=True)
class Rule:
    """What the gate knows of one protected app (kept in each process per version)."""

    pk: int
    name: str
    host: str
    prefix: str
    require_two_factor: bool
    owner_id: int | None


@dataclass(frozen=True)
class Decision:
    outcome: str
    app: Rule | None = None
    headers: tuple[tuple[str, str], ...] = ()
    user_id: int | None = None


_table: tuple[int, list[Rule]] | None = None


def rules(version: int) -> list[Rule]:
    """The protected apps, longest path prefix first; read once per process and version."""
    global _table
    table = _table
    if table is not None and table[0] == version:
        return table[1]
    from protected_apps.models import ProtectedApp

    found = [
        Rule(a.pk, a.name, a.host.lower(), a.path_prefix, a.require_two_factor, a.owner_id)
        for a in ProtectedApp.objects.all()
    ]
    found.sort(key=lambda r: len(r.prefix), reverse=True)
    _table = (version, found)
    return found


def normal_path(path: str) -> str:
    """`path` decoded and with `.`/`..` segments resolved, so `/public/../admin/` is matched
    as `/admin/`, the way the proxy routes it."""
    path = unquote(path.split("?", 1)[0].split("#", 1)[0]) or "/"
    normal = posixpath.normpath("/" + path.lstrip("/"))
    if path.endswith("/") and not normal.endswith("/"):
        normal += "/"
    return normal


def host_name(host: str) -> str:
    """`host` without its port, lowercase, without a trailing dot."""
    host = host.strip().lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0].rstrip(".") if ":" in host else host.rstrip(".")


def find_app(table: list[Rule], host: str, path: str) -> Rule | None:
    name, path = host_name(host), normal_path(path)
    for rule in table:
        if rule.host == name and (not rule.prefix or path.startswith(rule.prefix)):
            return rule
    return None


def is_protected_url(url: str, request=None) -> bool:
    """Whether `url` is an absolute http(s) address of a protected app (a safe place to send
    a browser back to after login); https only when the portal itself is reached over https."""
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not hostname or parts.username or parts.password:
        return False
    if any(c in url for c in "\\\r\n\t") or not parts.netloc:
        return False
    if request is not None and request.is_secure() and parts.scheme != "https":
        return False
    return find_app(rules(resolver.current_version()), hostname, parts.path or "/") is not None


def entry_key(session_hash: str) -> str:
    return f"{ENTRY_PREFIX}:{session_hash}"


def decide(cookie: str, host: str, path: str) -> Decision:
    """The gate's answer for the session cookie `cookie` asking for `host` + `path`."""
    session_hash = hash_session_key(cookie) if cookie else ""
    keys = [resolver.VERSION_KEY] + ([entry_key(session_hash)] if cookie else [])
    found = cache.get_many(keys)
    version = found.get(resolver.VERSION_KEY)
    if version is None:
        version = resolver.current_version()
    app = find_app(rules(version), host, path)
    if app is None:
        return Decision(UNKNOWN)
    if not cookie:
        return Decision(LOGIN, app)
    entry = found.get(entry_key(session_hash))
    now = time.time()
    if entry is None or entry["v"] != version or now - entry["read"] >= REFRESH:
        entry = _load(cookie, session_hash, version, now)
        if entry is None:
            # No such session (ended, or a made-up cookie): remembered for a minute as well,
            # so a stale cookie costs no query either. A login always makes a new cookie.
            cache.set(entry_key(session_hash), {"v": version, "read": now, "ends": 0}, REFRESH)
            return Decision(LOGIN, app)
    if now >= entry["ends"]:
        return Decision(LOGIN, app)
    allowed = entry["apps"].get(app.pk)
    if allowed is None:
        allowed = _reaches(entry, app)
        entry["apps"][app.pk] = allowed
        cache.set(entry_key(session_hash), entry, REFRESH)
        _record_use(session_hash, app)
    if not allowed:
        return Decision(DENIED, app, user_id=entry["user"])
    if app.require_two_factor and not entry["2fa"]:
        return Decision(TWO_FACTOR, app, user_id=entry["user"])
    return Decision(ALLOW, app, tuple(entry["headers"]), entry["user"])


def _load(cookie: str, session_hash: str, version: int, now: float) -> dict | None:
    """Reads the session and its user from the database (the slow path, once a minute at
    most per session) and caches what the gate needs of them."""
    from accounts.models import User
    from groups.models import Group

    store = engine.SessionStore(cookie)
    data = store.load()
    user_id = data.get("_auth_user_id")
    if not user_id or data.get(IMPERSONATION):
        return None
    seen, remember = data.get(engine.SEEN), data.get(engine.REMEMBER)
    if seen and not remember and now - seen > settings.AUTH_SESSION_IDLE_TIME:
        return None  # idle too long: the next page of the portal logs it out
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not constant_time_compare(
        data.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash()
    ):
        return None
    if seen is None or now - seen >= REFRESH:
        store[engine.SEEN] = now
        store.save()
        seen = now
    grants = resolver.grants_for(user)
    names = Group.objects.filter(pk__in=grants.group_ids, is_everyone=False).order_by("name")
    separator = settings.AUTH_FORWARD_GROUPS_SEPARATOR
    headers = [
        (settings.AUTH_FORWARD_USER_HEADER, user.username),
        (settings.AUTH_FORWARD_NAME_HEADER, user.display_name or user.username),
        (settings.AUTH_FORWARD_EMAIL_HEADER, user.email or ""),
        (settings.AUTH_FORWARD_GROUPS_HEADER, separator.join(names.values_list("name", flat=True))),
    ]
    idle_end = (seen or now) + settings.AUTH_SESSION_IDLE_TIME
    expiry = store.get_expiry_date().timestamp() if remember else idle_end
    entry: dict[str, object] = {
        "v": version, "read": now, "ends": expiry, "user": user.pk,
        "2fa": bool(data.get(engine.SECOND_FACTOR)), "apps": {},
        "headers": [(name, _header_value(value)) for name, value in headers if name],
        "grants": grants.as_cached(), "owner": user.is_owner,
    }  # fmt: skip
    cache.set(entry_key(session_hash), entry, REFRESH)
    return entry


def _header_value(value: str) -> str:
    """A header value without control characters (a name cannot split the header)."""
    return "".join(c for c in value if c >= " " and c != "\x7f")


def _reaches(entry: dict, app: Rule) -> bool:
    """The resolver's answer from the grants cached in the entry: the user's own row, their
    groups' rows (`everyone` included), `app-manage`, ownership. One indexed query at most."""
    from protected_apps.models import ProtectedApp

    permissions, group_ids, two_factor_required = entry["grants"]
    grants = resolver.Grants(entry["user"], entry["owner"], frozenset(permissions),
                             frozenset(group_ids), two_factor_required)  # fmt: skip
    return grants.can("protected_app", ProtectedApp(pk=app.pk, owner_id=app.owner_id), "access")


def _record_use(session_hash: str, app: Rule) -> None:
    """Notes that this session reached `app` (the sessions page lists it)."""
    from django.utils import timezone

    from protected_apps.models import AppUse
    from sessions_admin.models import UserSession

    if not UserSession.objects.filter(session_key=session_hash).exists():
        return
    now = timezone.now()
    updated = AppUse.objects.filter(session_id=session_hash, app_id=app.pk).update(last_used=now)
    if not updated:
        AppUse.objects.get_or_create(
            session_id=session_hash, app_id=app.pk, defaults={"first_used": now, "last_used": now}
        )


# --- Invalidation --------------------------------------------------------------------------


def forget_session(session_hash: str) -> None:
    """Drops a session's entry now and again once the transaction commits (so a decision made
    meanwhile from the uncommitted state is not kept)."""
    key = entry_key(session_hash)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


def _session_deleted(sender, instance, **kwargs) -> None:
    forget_session(instance.session_key)


def _user_saved(sender, instance, update_fields=None, **kwargs) -> None:
    """A user changed (disabled, renamed, new password): their sessions' entries go."""
    from sessions_admin.models import UserSession

    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return

    hashes = list(UserSession.objects.filter(user=instance).values_list("session_key", flat=True))
    for session_hash in hashes:
        forget_session(session_hash)


def _app_changed(sender, **kwargs) -> None:
    resolver.bump_version()


def connect_signals() -> None:
    from accounts.models import User
    from protected_apps.models import ProtectedApp
    from sessions_admin.models import UserSession

    signals.post_delete.connect(_session_deleted, sender=UserSession, dispatch_uid="fwd-session")
    signals.post_save.connect(_user_saved, sender=User, dispatch_uid="fwd-user")
    for signal in (signals.post_save, signals.post_delete):
        signal.connect(_app_changed, sender=ProtectedApp, dispatch_uid=f"fwd-app-{signal}")
