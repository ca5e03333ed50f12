"""Walks every URL pattern with every persona (see tests/matrix.py)."""

import pytest

from tests.conftest import PERSONAS, client_for
from tests.matrix import Route, all_routes, build_world, url_names

ROUTES = all_routes()


def test_every_url_pattern_has_an_expectation():
    missing = sorted(url_names() - set(ROUTES))
    assert not missing, f"URL patterns with no authorization expectation: {missing}"


def test_no_expectation_for_a_url_that_does_not_exist():
    stale = sorted(set(ROUTES) - url_names())
    assert not stale, f"Expectations for URL names that no longer exist: {stale}"


CASES = [
    (name, method, persona)
    for name, route in sorted(ROUTES.items())
    for method in ("get", "post")
    for persona in PERSONAS
    if Route.expected(getattr(route, method), persona) is not None
]


@pytest.mark.parametrize(("name", "method", "persona"), CASES)
def test_access(people, name, method, persona):
    route = ROUTES[name]
    world = build_world(people)
    client = client_for(people.get(persona))
    url = route.url(world)
    headers = {"HX-Request": "true"} if route.htmx else {}
    if method == "get":
        response = client.get(url, headers=headers)
    else:
        response = client.post(url, route.data(world), headers=headers)
    expected = Route.expected(getattr(route, method), persona)
    if route.scopes is not None:  # an API route: a session never authenticates a call
        expected = 401
    assert response.status_code == expected, (
        f"{method.upper()} {url} as {persona}: {response.status_code}, expected {expected}"
    )


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_every_url_declares_both_methods(name):
    route = ROUTES[name]
    assert route.get is not None or route.post is not None, f"{name} declares no method"


API_CASES = [
    (name, method, persona)
    for name, route in sorted(ROUTES.items())
    if route.scopes is not None
    for method in ("get", "post")
    for persona in PERSONAS
    if persona != "anonymous" and Route.expected(getattr(route, method), persona) is not None
]


_API_CLIENT = []


def api_client():
    """One test client for every API case: a client's first request loads the middleware (the
    static files' index), which costs more than the calls; API calls carry no cookie."""
    from django.test import Client

    if not _API_CLIENT:
        _API_CLIENT.append(Client())
    return _API_CLIENT[0]


def scope_variants():
    """Every scope alone, all of them, and none."""
    from apitokens.scopes import SCOPES

    return [tuple(SCOPES), *((scope,) for scope in SCOPES), ()]


@pytest.mark.parametrize(("name", "method", "persona"), API_CASES)
def test_api_access(people, name, method, persona):
    """An API route with a token of `persona` for every set of scopes: the route's table when
    the token holds the scopes it needs, 403 when not (405 for a wrong method, always)."""
    import json
    from datetime import timedelta

    from django.db import transaction

    from apitokens.models import ApiToken
    from apitokens.scopes import implied

    route = ROUTES[name]
    full = Route.expected(getattr(route, method), persona)
    user = people.get(persona)
    world = build_world(people)
    client = api_client()
    for number, scopes in enumerate(scope_variants()):
        with transaction.atomic():  # each set of scopes meets the world as it was built
            _row, token = ApiToken.create(
                user, name=f"matrix {number}", scopes=scopes, lifetime=timedelta(days=1)
            )
            headers = {"Authorization": f"Bearer {token}"}
            url = route.url(world)
            if method == "get":
                response = client.get(url, headers=headers)
            else:
                body = json.dumps(route.data(world))
                response = client.post(url, body, content_type="application/json", headers=headers)
            allowed = set(route.scopes) <= implied(scopes)
            expected = full if full == 405 or allowed else 403
            assert response.status_code == expected, (
                f"{method.upper()} {url} as {persona} with scopes {scopes}: "
                f"{response.status_code}, expected {expected}: {response.content[:300]!r}"
            )
            transaction.set_rollback(True)
