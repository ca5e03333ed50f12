"""Writing the audit log. Callers pass what changed; secrets never go in `details`."""

from contextvars import ContextVar

from sessions_admin.models import AuditEntry

SECRET_WORDS = ("password", "secret", "token", "key")

# The admin behind an impersonated request (set by sessions_admin.impersonation for the
# duration of the request): every entry written meanwhile names them too.
impersonator: ContextVar = ContextVar("impersonator", default=None)


def _clean(details: dict) -> dict:
    return {
        k: ("[hidden]" if any(w in k.lower() for w in SECRET_WORDS) else v)
        for k, v in details.items()
    }


def record(
    action: str, *, actor=None, target=None, details: dict | None = None, ip: str | None = None
) -> AuditEntry:
    """Adds one audit entry. `actor`: a user, or a named system or provider actor
    (groups.rules.base); None for what nobody decided (a login, a login failure)."""
    actor_user = actor if actor is not None and getattr(actor, "pk", None) else None
    details = _clean(details or {})
    acting_admin = impersonator.get()
    if acting_admin is not None and "impersonated_by" not in details:
        details["impersonated_by"] = acting_admin.username
    return AuditEntry.objects.create(
        actor=actor_user,
        actor_name=str(actor_user or actor or "system")[:150],
        ip=ip or None,
        action=action,
        target_type=target._meta.model_name if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        details=details,
    )
