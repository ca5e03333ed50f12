"""groups.objects: the one lookup behind boards.access, integrations.access and
protected_apps.access, asked the same way for every ACL kind."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from boards.models import Board, BoardAccess
from groups.objects import LoginNeeded, get_object
from groups.resolver import grants_for
from integrations.access import get_integration
from integrations.models import Integration, IntegrationAccess
from protected_apps.access import get_app
from protected_apps.models import ProtectedApp, ProtectedAppAccess
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

# Larger than any primary key column holds (64-bit): the ORM answers an exact lookup with such
# a number with nothing, without asking the database, and so must the compiled lookup.
TOO_LARGE = (2**63, 10**20)


@pytest.fixture
def objects(people):
    board = Board.objects.create(name="home", title="Home", owner=people.owner)
    BoardAccess.objects.create(board=board, user=people.member, level="view")
    integration = Integration.objects.create(
        name="NAS", kind="lab", url="http://127.0.0.1:9", owner=people.owner
    )
    IntegrationAccess.objects.create(integration=integration, user=people.member, level="use")
    app = ProtectedApp.objects.create(name="Grafana", host="grafana.lab.test", owner=people.owner)
    ProtectedAppAccess.objects.create(app=app, user=people.member)
    return {"board": board, "integration": integration, "protected_app": app}


def request_for(rf, user):
    request = rf.get("/somewhere/")
    request.user = user
    request.grants = grants_for(user)
    return request


KEYS = {"board": ("name", lambda o: o.name), "integration": ("pk", lambda o: o.pk),
        "protected_app": ("pk", lambda o: o.pk)}  # fmt: skip
# What the member (lowest level on each object) does not reach: a higher level, or for an app
# (one level only) the caller's check that they manage it.
ABOVE = {"board": {"level": "full"}, "integration": {"level": "full"},
         "protected_app": {"check": lambda grants, app: False}}  # fmt: skip


@pytest.mark.parametrize("kind", KEYS)
def test_a_member_gets_the_object_at_the_lowest_level_and_403_above(kind, objects, people, rf):
    obj = objects[kind]
    field, key = KEYS[kind]
    request = request_for(rf, people.member)
    assert get_object(request, kind, field, key(obj)) == obj
    with pytest.raises(PermissionDenied):
        get_object(request, kind, field, key(obj), **ABOVE[kind])


@pytest.mark.parametrize("kind", KEYS)
def test_an_outsider_gets_404_whether_the_object_exists_or_not(kind, objects, people, rf):
    obj = objects[kind]
    field, key = KEYS[kind]
    request = request_for(rf, people.outsider)
    with pytest.raises(Http404) as existing:
        get_object(request, kind, field, key(obj))
    missing_key = "nothing-here" if field == "name" else obj.pk + 1000
    with pytest.raises(Http404) as missing:
        get_object(request, kind, field, missing_key)
    assert type(existing.value) is type(missing.value) is Http404  # not LoginNeeded


@pytest.mark.parametrize("kind", KEYS)
def test_anonymous_visitors_need_to_log_in_and_learn_nothing(kind, objects, rf):
    from django.contrib.auth.models import AnonymousUser

    obj = objects[kind]
    field, key = KEYS[kind]
    request = request_for(rf, AnonymousUser())
    with pytest.raises(LoginNeeded):
        get_object(request, kind, field, key(obj))
    with pytest.raises(LoginNeeded):
        get_object(request, kind, field, "nothing-here" if field == "name" else obj.pk + 1000)
    # Uncaught, it is still a 404: nothing escapes as a server error.
    assert issubclass(LoginNeeded, Http404)


def test_an_integration_and_its_level_are_read_in_one_query(objects, people, rf):
    request = request_for(rf, people.member)  # grants computed before counting
    with CaptureQueriesContext(connection) as queries:
        assert get_integration(request, objects["integration"].pk).name == "NAS"
    assert len(queries) == 1


def test_the_app_manager_check_gives_403_to_those_who_only_reach_the_app(objects, people, rf):
    app = objects["protected_app"]
    assert get_app(request_for(rf, people.owner), app.pk) == app
    with pytest.raises(PermissionDenied):
        get_app(request_for(rf, people.member), app.pk)


@pytest.mark.parametrize("number", TOO_LARGE)
@pytest.mark.parametrize("kind", ["integration", "protected_app"])
def test_a_key_too_large_for_the_column_is_not_found(kind, number, objects, people, rf):
    with pytest.raises(Http404):
        get_object(request_for(rf, people.owner), kind, "pk", number)


@pytest.mark.parametrize("number", TOO_LARGE)
@pytest.mark.parametrize(
    "url", ["/settings/integrations/{}/", "/settings/protected-apps/{}/"]
)  # fmt: skip
def test_a_page_asked_with_a_key_too_large_is_a_404(url, number, objects, people):
    assert client_for(people.owner).get(url.format(number)).status_code == 404
