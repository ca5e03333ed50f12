"""Removing what has expired or outlived its retention, without any extra service.

- sessions whose row has expired (the row carries the session's real end, see engine.py),
  anonymous ones too: an OIDC sign-in that never came back, a second factor never entered;
- login history older than LOGIN_HISTORY_RETENTION;
- invite and password-reset links that ended (used, used up, revoked or expired) longer than
  LOGIN_HISTORY_RETENTION ago; the audit log keeps their creation and use;
- audit entries older than AUDIT_RETENTION.

`prune()` runs from the `prune` command (at container start, and from cron) and, at most once
an hour per server process and once an hour across processes sharing the cache, right after a
login (`maybe_prune`). Each kind is one indexed DELETE.
"""

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from sessions_admin.models import AuditEntry, LoginRecord, UserSession

logger = logging.getLogger(__name__)

INTERVAL = 3600  # seconds between opportunistic runs
LOCK_KEY = "prune-ran-recently"

_last_run: float | None = None  # this process's last opportunistic run (time.monotonic)


def prune(now: datetime | None = None) -> dict[str, int]:
    """Deletes what expired or outlived its retention; returns the count of each kind."""
    from invites.models import Invite, InviteRedemption, PasswordResetLink

    now = now or timezone.now()
    history_cutoff = now - timedelta(seconds=settings.LOGIN_HISTORY_RETENTION)
    audit_cutoff = now - timedelta(seconds=settings.AUDIT_RETENTION)
    recent_use = InviteRedemption.objects.filter(invite=OuterRef("pk"), created__gte=history_cutoff)
    used_up_long_ago = Q(
        max_uses__isnull=False, uses__gte=F("max_uses"), created__lt=history_cutoff
    ) & ~Exists(recent_use)
    ended_invites = (
        Q(revoked_at__lt=history_cutoff) | Q(expires_at__lt=history_cutoff) | used_up_long_ago
    )
    ended_links = (
        Q(used_at__lt=history_cutoff)
        | Q(revoked_at__lt=history_cutoff)
        | Q(expires_at__lt=history_cutoff)
    )
    return {
        "sessions": UserSession.objects.filter(expire_date__lte=now).delete()[0],
        "login records": LoginRecord.objects.filter(created__lt=history_cutoff).delete()[0],
        "invites": _count(Invite, Invite.objects.filter(ended_invites).delete()),
        "reset links": PasswordResetLink.objects.filter(ended_links).delete()[0],
        "audit entries": AuditEntry.objects.filter(created__lt=audit_cutoff).delete()[0],
    }


def _count(model, deleted: tuple[int, dict[str, int]]) -> int:
    """Rows of `model` itself in a delete() result (not the rows that cascaded with them)."""
    return deleted[1].get(model._meta.label, 0)


def maybe_prune() -> None:
    """Prunes if this process has not for an hour and no other process sharing the cache has
    either. Never fails the request that triggered it."""
    global _last_run
    now = time.monotonic()
    if _last_run is not None and now - _last_run < INTERVAL:
        return
    _last_run = now
    try:
        if not cache.add(LOCK_KEY, True, timeout=INTERVAL):
            return
        with transaction.atomic():  # a savepoint: a failure leaves the login's work intact
            counts = prune()
    except DatabaseError:
        logger.exception("Pruning expired sessions and old records failed; the next run retries.")
        cache.delete(LOCK_KEY)
        return
    if any(counts.values()):
        logger.info("Pruned %s.", ", ".join(f"{n} {kind}" for kind, n in counts.items() if n))
