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
    assert response.status_code == expected, (
        f"{method.upper()} {url} as {persona}: {response.status_code}, expected {expected}"
    )


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_every_url_declares_both_methods(name):
    route = ROUTES[name]
    assert route.get is not None or route.post is not None, f"{name} declares no method"
