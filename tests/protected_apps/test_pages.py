"""Settings → Protected apps: who may create, edit, delete and change access; bad input is a
400 that changes nothing; the list shows only the apps one reaches."""

import pytest

from protected_apps.models import ProtectedApp, ProtectedAppAccess
from sessions_admin.models import AuditEntry
from tests.conftest import client_for, make_group, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def grafana(people):
    app = ProtectedApp.objects.create(name="Grafana", host="grafana.lab.test", owner=people.owner)
    ProtectedAppAccess.objects.create(app=app, group=people.family)
    return app


def test_app_manage_holder_creates_an_app_and_owns_it(people):
    keeper = make_user("kim", make_group("gatekeepers", "app-manage"))
    response = client_for(keeper).post(
        "/settings/protected-apps/new/",
        {"name": "Paperless", "host": "Paperless.Lab.Test.", "path_prefix": "/"},
    )
    assert response.status_code == 302
    app = ProtectedApp.objects.get(name="Paperless")
    assert (app.host, app.path_prefix, app.owner) == ("paperless.lab.test", "", keeper)
    assert AuditEntry.objects.filter(action="protected_app.created", actor=keeper).exists()


@pytest.mark.parametrize(
    "data",
    [
        {"name": "X", "host": "https://grafana.lab.test"},
        {"name": "X", "host": "grafana lab"},
        {"name": "X", "host": ""},
        {"name": "", "host": "x.lab.test"},
        {"name": "X", "host": "x.lab.test", "path_prefix": "admin"},
        {"name": "X", "host": "x.lab.test", "path_prefix": "/a?b"},
        {"name": "X", "host": "GRAFANA.lab.test"},  # the same host and path as Grafana
    ],
)
def test_bad_input_is_a_400_and_creates_nothing(people, grafana, data):
    response = client_for(people.admin).post("/settings/protected-apps/new/", data)
    assert response.status_code == 400
    assert ProtectedApp.objects.count() == 1


def test_same_host_with_another_path_is_another_app(people, grafana):
    data = {"name": "Grafana admin", "host": "grafana.lab.test", "path_prefix": "/admin/"}
    assert client_for(people.admin).post("/settings/protected-apps/new/", data).status_code == 302
    assert ProtectedApp.objects.count() == 2


def test_list_shows_only_the_apps_one_reaches(people, grafana):
    ProtectedApp.objects.create(name="Secret wiki", host="wiki.lab.test")
    member_page = client_for(people.member).get("/settings/protected-apps/").content.decode()
    assert "Grafana" in member_page and "Secret wiki" not in member_page
    assert f"/settings/protected-apps/{grafana.pk}/" not in member_page  # no settings link
    outsider_page = client_for(people.outsider).get("/settings/protected-apps/").content.decode()
    assert "Grafana" not in outsider_page
    admin_page = client_for(people.admin).get("/settings/protected-apps/").content.decode()
    assert "Grafana" in admin_page and "Secret wiki" in admin_page


def test_access_tab_adds_a_user_row_and_removes_it(people, grafana):
    owner = client_for(people.owner)
    url = f"/settings/protected-apps/{grafana.pk}/access/"
    response = owner.post(url, {"principal": f"u:{people.outsider.pk}", "level": "access"})
    assert response.status_code == 302
    row = ProtectedAppAccess.objects.get(app=grafana, user=people.outsider)
    page = owner.get(url).content.decode()
    assert "otto" in page and "Olivia Owner" in page  # the row, and the owner among "also"
    assert owner.post(f"{url}{row.pk}/remove/").status_code == 302
    assert not ProtectedAppAccess.objects.filter(pk=row.pk).exists()


def test_access_tab_refuses_an_unknown_level_or_principal(people, grafana):
    url = f"/settings/protected-apps/{grafana.pk}/access/"
    owner = client_for(people.owner)
    assert (
        owner.post(url, {"principal": f"u:{people.outsider.pk}", "level": "full"}).status_code
        == 400
    )
    assert owner.post(url, {"principal": "u:999999", "level": "access"}).status_code == 400
    assert ProtectedAppAccess.objects.filter(app=grafana).count() == 1


def test_edit_changes_the_two_factor_requirement_and_is_audited(people, grafana):
    response = client_for(people.admin).post(
        f"/settings/protected-apps/{grafana.pk}/",
        {"name": "Grafana", "host": "grafana.lab.test", "require_two_factor": "on"},
    )
    assert response.status_code == 302
    grafana.refresh_from_db()
    assert grafana.require_two_factor
    entry = AuditEntry.objects.get(action="protected_app.changed")
    assert entry.details["changed"]["require_two_factor"] == ["False", "True"]


def test_delete_removes_the_app_and_its_rows(people, grafana):
    assert (
        client_for(people.owner).post(f"/settings/protected-apps/{grafana.pk}/delete/").status_code
        == 302
    )
    assert not ProtectedApp.objects.exists() and not ProtectedAppAccess.objects.exists()
