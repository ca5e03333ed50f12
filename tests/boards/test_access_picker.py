"""The access tab's user and group picker (groups/access_tab.py), through a board's tab and an
integration's: search with htmx or as a plain GET form, who may search, levels changed in the
table, and what the server accepts whatever the page offered."""

import pytest

from boards.models import BoardAccess
from integrations.models import Integration, IntegrationAccess
from tests.boards.factories import grant, make_board
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def lab(people):
    board = make_board("lab", people.owner)
    make_user("milo", display_name="Milo Mitchell", email="secret-mi@example.org")
    make_user("mina", is_active=False)
    return board


def results(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_search_answers_matching_users_and_groups_as_a_partial(lab, people, login):
    page = results(login(people.owner).get("/boards/lab/access/?principal_q=MI", headers=HTMX))
    assert "<html" not in page and 'id="principal-results"' in page
    assert f'value="u:{people.member.pk}"' in page  # mia, by username
    assert "Milo Mitchell" in page and "Otto" not in page
    assert "mina" not in page  # disabled accounts are not offered
    assert f'value="g:{people.family.pk}"' in page  # faMIly
    assert f'value="g:{people.managers.pk}"' not in page
    family = results(login(people.owner).get("/boards/lab/access/?principal_q=fam", headers=HTMX))
    assert f'value="g:{people.family.pk}"' in family


def test_search_never_matches_on_email_addresses(lab, people, login):
    page = results(login(people.owner).get("/boards/lab/access/?principal_q=secret", headers=HTMX))
    assert "Milo" not in page and "No user or group matches" in page


def test_search_without_javascript_reloads_the_tab_with_the_matches(lab, people, login):
    page = results(login(people.owner).get("/boards/lab/access/?principal_q=otto"))
    assert "<html" in page and 'value="otto"' in page  # the search box keeps the query
    # The only match is ticked: Save access adds them with nothing else to do.
    assert f'value="u:{people.outsider.pk}" checked' in page
    assert 'form="principal-search"' in page and 'method="get"' in page


def test_search_is_for_those_who_may_change_access(lab, people, login):
    grant(lab, "modify", group=people.family)
    response = login(people.member).get("/boards/lab/access/?principal_q=o", headers=HTMX)
    assert response.status_code == 403
    assert "Olivia" not in response.content.decode()
    response = login(people.outsider).get("/boards/lab/access/?principal_q=o", headers=HTMX)
    assert response.status_code == 404


def test_a_disabled_or_unknown_account_is_refused_whatever_is_posted(lab, people, login):
    client = login(people.owner)
    mina = make_user("mina2", is_active=False)
    for principal in (f"u:{mina.pk}", "u:999999", "x:1", "g:abc", ""):
        response = client.post("/boards/lab/access/", {"principal": principal, "level": "view"})
        assert response.status_code == 400
        assert "Choose a user or a group." in response.content.decode()
    assert not BoardAccess.objects.exists()


def test_an_error_keeps_the_chosen_principal_ticked(lab, people, login):
    response = login(people.owner).post(
        "/boards/lab/access/", {"principal": f"u:{people.outsider.pk}", "level": "everything"}
    )
    assert response.status_code == 400
    assert f'value="u:{people.outsider.pk}" checked' in response.content.decode()
    assert not BoardAccess.objects.exists()


def test_levels_are_changed_in_the_table(lab, people, login):
    row = grant(lab, "view", user=people.outsider)
    client = login(people.owner)
    page = results(client.get("/boards/lab/access/"))
    table_form = page.split(f'id="level-{row.pk}"', 1)[0].rsplit("<form", 1)[1]
    assert f'name="principal" value="u:{people.outsider.pk}"' in table_form
    assert "data-submit-on-change" in table_form
    assert '<option value="view" selected>' in page.split(f'id="level-{row.pk}"', 1)[1]
    response = client.post(
        "/boards/lab/access/", {"principal": f"u:{people.outsider.pk}", "level": "modify"}
    )
    assert response.status_code == 302
    assert BoardAccess.objects.get(pk=row.pk).level == "modify"


def test_readers_of_the_tab_see_levels_without_a_form(lab, people, login):
    grant(lab, "modify", group=people.family)
    page = results(login(people.member).get("/boards/lab/access/"))
    assert "data-submit-on-change" not in page and "principal-search" not in page


def test_the_integration_tab_has_the_same_picker(people, login):
    integration = Integration.objects.create(
        name="Box", kind="transmission", url="http://127.0.0.1:1/", owner=people.owner
    )
    base = f"/settings/integrations/{integration.pk}/access/"
    client = login(people.owner)
    page = results(client.get(base + "?principal_q=otto", headers=HTMX))
    assert f'value="u:{people.outsider.pk}"' in page and "<html" not in page
    assert login(people.member).get(base + "?principal_q=otto", headers=HTMX).status_code == 404
    client.post(base, {"principal": f"u:{people.outsider.pk}", "level": "use"})
    row = IntegrationAccess.objects.get(integration=integration, user=people.outsider)
    page = results(client.get(base))
    assert f'id="level-{row.pk}"' in page
