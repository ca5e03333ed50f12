"""Onboarding: until the owner exists every page leads to the onboarding form, and the form
creates the owner with an `admins` group holding them."""

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.shortcuts import redirect
from django.urls import reverse

from accounts.models import User
from groups.models import Group, Membership
from groups.permissions import ADMIN
from groups.resolver import bump_version
from sessions_admin import audit

ONBOARDED_KEY = "instance-onboarded"
# An onboarded instance stays so (its owner cannot be deleted): a process that has seen it
# never asks again. Every request asks (the onboarding middleware, the proxy login's), and
# with Redis the flag's lookup was the one round trip of an unchanged board page.
_seen_onboarded = [False]


def is_onboarded() -> bool:
    if _seen_onboarded[0]:
        return True
    if cache.get(ONBOARDED_KEY):
        _seen_onboarded[0] = True
        return True
    if User.objects.exists():
        mark_onboarded()
        return True
    return False


def mark_onboarded() -> None:
    cache.set(ONBOARDED_KEY, True, timeout=None)
    _seen_onboarded[0] = True


def forget_onboarded() -> None:
    """This process forgets it saw the instance onboarded (the tests, whose database starts
    empty each time)."""
    _seen_onboarded[0] = False


def onboarding_middleware(get_response):
    """Until the owner exists, every page leads to onboarding."""
    allowed: list[str] = []

    def middleware(request):
        if not allowed:
            allowed.extend([reverse("onboarding"), reverse("healthz"), "/static/"])
        if not any(request.path.startswith(p) for p in allowed) and not is_onboarded():
            return redirect("onboarding")
        return get_response(request)

    return middleware


def create_owner(data: dict, ip: str | None = None) -> User:
    """Creates the owner and an `admins` group holding them, or raises IntegrityError when an
    owner exists already (two onboardings racing: the unique owner constraint decides)."""
    with transaction.atomic():
        if User.objects.exists():
            raise IntegrityError("already onboarded")
        owner = User.objects.create_user(
            data["username"], data["password1"], display_name=data.get("display_name", ""),
            is_owner=True,
        )  # fmt: skip
        group = Group.objects.filter(name__iexact="admins").first() or Group(name="admins")
        group.permissions = sorted({*group.permissions, ADMIN})
        group.save()
        Membership.objects.create(user=owner, group=group)
        bump_version()
        audit.record("instance.onboarded", actor=owner, target=owner, ip=ip,
                     details={"group": group.name})  # fmt: skip
    return owner
