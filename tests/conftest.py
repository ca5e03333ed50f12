"""Fixtures shared by the whole suite: the personas every access test uses.

- owner: the instance's owner, in `admins` (admin).
- admin: a second admin, in `admins`.
- user_manager: in `managers` (user-manage).
- member: in `family` (no global permission; other apps give `family` object rows).
- outsider: in no group but the computed `everyone`.
- anonymous: nobody logged in.
"""

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from unittest.mock import patch

import pytest
from django.core.cache import cache, caches
from django.test import Client

from accounts.models import User
from groups.models import Group, Membership

# Browser tests: Playwright's sync API runs an event loop in the test thread, which makes Django
# refuse synchronous ORM calls there (the test's own, and pytest-django's database set-up and
# flush). Those calls are synchronous and safe, so the check is off for the test run.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "correct-horse-battery-staple-9"
PERSONAS = ("owner", "admin", "user_manager", "member", "outsider", "anonymous")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttling counters, grants, the onboarding flag and pages kept by this process never
    leak between tests."""
    clear_process_caches()
    yield
    clear_process_caches()


def clear_process_caches() -> None:
    from accounts.onboarding import forget_onboarded
    from apitokens.endpoints import local_sections
    from boards.frame import frames
    from boards.render import _pieces, local_bodies, rendered_cache
    from homeportal.changes import forget_kept

    cache.clear()
    forget_kept()
    forget_onboarded()
    oidc = sys.modules.get("accounts.providers.oidc")  # loaded only where OIDC is used
    if oidc is not None:
        oidc.forget_kept_origins()
    for kept in (frames, local_bodies, rendered_cache, _pieces, local_sections):
        kept.clear()


CACHE_OPERATIONS = ("get", "get_many", "set", "set_many", "add", "delete", "delete_many",
                    "incr", "touch", "has_key")  # fmt: skip


@contextlib.contextmanager
def cache_operations() -> Iterator[list[tuple[str, object]]]:
    """``with cache_operations() as asked:`` each operation on the shared cache inside the
    block, as (method, first argument): with Redis, each is a round trip."""
    backend = caches["default"]
    asked: list[tuple[str, object]] = []

    def counted(name: str):
        method = getattr(backend, name)

        def ask(*args, **kwargs):
            asked.append((name, args[0] if args else None))
            return method(*args, **kwargs)

        return ask

    with contextlib.ExitStack() as stack:
        for name in CACHE_OPERATIONS:
            stack.enter_context(patch.object(backend, name, counted(name)))
        yield asked


def make_user(username: str, *groups: Group, **fields) -> User:
    user = User.objects.create_user(username, PASSWORD, **fields)
    for group in groups:
        Membership.objects.create(user=user, group=group)
    return user


def make_group(name: str, *permissions: str, position: int = 10) -> Group:
    return Group.objects.create(name=name, permissions=list(permissions), position=position)


@dataclass
class People:
    owner: User
    admin: User
    user_manager: User
    member: User
    outsider: User
    admins: Group
    managers: Group
    family: Group
    everyone: Group

    def get(self, persona: str) -> User | None:
        return None if persona == "anonymous" else getattr(self, persona)


@pytest.fixture
def people(db) -> People:
    admins = make_group("admins", "admin", position=1)
    managers = make_group("managers", "user-manage", position=2)
    family = make_group("family", position=3)
    return People(
        owner=make_user("olivia", admins, is_owner=True, display_name="Olivia Owner"),
        admin=make_user("adam", admins, display_name="Adam Admin"),
        user_manager=make_user("uma", managers, display_name="Uma Manager"),
        member=make_user("mia", family, display_name="Mia Member"),
        outsider=make_user("otto", display_name="Otto Outsider"),
        admins=admins,
        managers=managers,
        family=family,
        everyone=Group.objects.everyone(),
    )


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user, backend="accounts.backends.CredentialsBackend")
    return client


@pytest.fixture
def login():
    """`login(user)` gives a test client logged in as `user` (None: anonymous)."""
    return client_for


# --- Browser tests ------------------------------------------------------------------------
# Playwright drives Debian's Chromium (tests/services/browser.py). Without Chromium the browser
# tests are skipped on a developer's machine and fail in CI, where `make test` installs it.


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    from tests.services.browser import LAUNCH_ARGS

    return {**browser_type_launch_args, **LAUNCH_ARGS}


@pytest.fixture(scope="session")
def base_url():
    """pytest-base-url's fixture trips over pytest 9's fixture finalisers; tests pass full URLs
    built from `live_server.url`, so no base URL is needed."""
    return None


def pytest_collection_modifyitems(config, items):
    import os

    from tests.services.browser import chromium_available

    if os.environ.get("CI") or chromium_available():
        return
    skip = pytest.mark.skip(
        reason="Chromium or Playwright is not installed (make test installs them)"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def artifacts():
    """Folder for screenshots a person can look at: test-artifacts/ at the project's root."""
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder
