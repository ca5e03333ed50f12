"""Writing the audit log. Callers pass what changed; secrets never go in `details`."""

from contextvars import ContextVar

from sessions_admin.models import AuditEntry

SECRET_WORDS = ("password", "secret", "token", "key")

# The admin behind an impersonated request (set by sessions_admin.impersonation for the
# duration of the request): every entry written meanwhile names them too.
impersonator: ContextVar = ContextVar("impersonator", default=None)
# The name of the API token a request is made with (set by apitokens.api for the duration of
# the call): every entry written meanwhile names it as `via_api`.
api_token_name: ContextVar = ContextVar("api_token_name", default=None)


def _clean(details: dict) -> dict:
    return {
        k: ("[hidden]" if any(w in k.lower() for w in SECRET_WORDS) else v)
        for k, v in details.items()
    }


def record(
    action: str,
    *,
    actor=None,
    target=None,
    details: dict | None = None,
    ip: str | None = None,
    target_repr: str = "",
) -> AuditEntry:
    """Adds one audit entry. `actor`: a user, or a named system or provider actor
    (groups.rules.base); None for what nobody decided (a login, a login failure)."""
    actor_user = actor if actor is not None and getattr(actor, "pk", None) else None
    details = _clean(details or {})
    acting_admin = impersonator.get()
    if acting_admin is not None and "impersonated_by" not in details:
        details["impersonated_by"] = acting_admin.username
    token_name = api_token_name.get()
    if token_name is not None and "via_api" not in details:
        details["via_api"] = token_name
    return AuditEntry.objects.create(
        actor=actor_user,
        actor_name=str(actor_user or actor or "system")[:150],
        ip=ip or None,
        action=action,
        target_type=target._meta.model_name if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=(str(target) if target is not None else target_repr)[:200],
        details=details,
    )


# --- Refusals ----------------------------------------------------------------------------------
# A refused administrative action is recorded once per (actor, action, target, reason) and
# window; the same refusal again within the window adds to that entry's `repeats` instead of
# writing a new one, and past REFUSAL_BUDGET distinct refusals in a window an actor's further
# refusals all go into one `admin.refusals_suppressed` entry. A loop, a script or a stuck
# browser tab cannot flood the log, and the log still says how often it happened.

REFUSAL_WINDOW = 600  # seconds
REFUSAL_BUDGET = 20  # distinct refusal entries per actor and window


def _counted(key: str, entry_id: int) -> None:
    """Adds one to the `repeats` of the entry that stands for this refusal."""
    from django.core.cache import cache

    count_key = f"{key}:n"
    cache.add(count_key, 0, REFUSAL_WINDOW)
    try:
        repeats = cache.incr(count_key)
    except ValueError:  # expired in between
        cache.set(count_key, 1, REFUSAL_WINDOW)
        repeats = 1
    entry = AuditEntry.objects.filter(pk=entry_id).first()
    if entry is not None:
        entry.details = {**entry.details, "repeats": repeats}
        entry.save(update_fields=["details"])


def record_refusal(
    action: str, *, actor, target: str = "", reason: str, ip: str | None = None
) -> AuditEntry | None:
    """Records that `actor` was refused `action` on `target` and why (aggregated, see above).
    Returns the new entry, or None when the refusal was added to an earlier one."""
    import hashlib

    from django.core.cache import cache

    actor_id = getattr(actor, "pk", None) or 0
    digest = hashlib.sha256(f"{actor_id}\0{action}\0{target}\0{reason}".encode()).hexdigest()
    key = f"audit-refusal:{digest}"
    entry_id = cache.get(key)
    if entry_id is not None:
        _counted(key, entry_id)
        return None
    budget_key = f"audit-refusals:{actor_id}"
    cache.add(budget_key, 0, REFUSAL_WINDOW)
    try:
        used = cache.incr(budget_key)
    except ValueError:
        cache.set(budget_key, 1, REFUSAL_WINDOW)
        used = 1
    if used > REFUSAL_BUDGET:
        overflow_key = f"audit-refusals-overflow:{actor_id}"
        overflow_id = cache.get(overflow_key)
        if overflow_id is not None:
            _counted(overflow_key, overflow_id)
            return None
        entry = record(
            "admin.refusals_suppressed", actor=actor, ip=ip,
            details={"last_action": action, "last_target": target, "last_reason": reason,
                     "window_seconds": REFUSAL_WINDOW},
        )  # fmt: skip
        cache.set(overflow_key, entry.pk, REFUSAL_WINDOW)
        return entry
    entry = record("admin.refused", actor=actor, ip=ip, target_repr=target,
                   details={"action": action, "reason": reason})  # fmt: skip
    cache.set(key, entry.pk, REFUSAL_WINDOW)
    return entry


def record_counted(action: str, *, key: str, target=None, details: dict | None = None,
                   ip: str | None = None) -> AuditEntry | None:  # fmt: skip
    """Records `action` once per `key` and REFUSAL_WINDOW; the same again within the window
    adds to that entry's `repeats` (and refreshes its details) instead of writing a new one,
    so a client retrying in a loop cannot flood the log (e.g. denied requests to a protected
    app, counted per app). Returns the new entry, or None when an earlier one was counted."""
    from django.core.cache import cache

    cache_key, count_key = f"audit-counted:{key}", f"audit-counted:{key}:n"
    entry_id = cache.get(cache_key)
    if entry_id is not None:
        try:
            repeats = cache.incr(count_key)
        except ValueError:  # expired in between
            repeats = 2
            cache.set(count_key, repeats, REFUSAL_WINDOW)
        AuditEntry.objects.filter(pk=entry_id).update(
            ip=ip or None, details={**_clean(details or {}), "repeats": repeats}
        )
        return None
    entry = record(action, target=target, details={**(details or {}), "repeats": 1}, ip=ip)
    cache.set(cache_key, entry.pk, REFUSAL_WINDOW)
    cache.set(count_key, 1, REFUSAL_WINDOW)
    return entry
