"""Settings → Integrations: list, create with a connection test, edit, secrets, delete."""

import pytest

from integrations.models import Integration, IntegrationAccess, IntegrationSecret
from sessions_admin.models import AuditEntry
from tests.integrations.conftest import SECRET_PASSWORD, SECRET_USER

pytestmark = pytest.mark.django_db

NEW = "/settings/integrations/new/"


def edit_url(integration, suffix=""):
    return f"/settings/integrations/{integration.pk}/{suffix}"


def test_the_kind_picker_lists_the_installed_kinds(people, login):
    body = login(people.owner).get(NEW).content.decode()
    assert "?kind=lab" in body and "A test service" in body
    assert login(people.owner).get(NEW + "?kind=nope").status_code == 400


def test_create_saves_secrets_sealed_and_makes_the_creator_owner(lab, people, login):
    url, _state = lab
    answer = login(people.admin).post(NEW + "?kind=lab", {
        "name": "NAS", "url": url + "/", "verify_tls": "on",
        "secret_username": SECRET_USER, "secret_password": SECRET_PASSWORD,
    })  # fmt: skip
    integration = Integration.objects.get(name="NAS")
    assert answer.status_code == 302 and answer.url == edit_url(integration)
    assert integration.owner == people.admin and integration.kind == "lab"
    assert integration.url == url  # no trailing slash
    stored = IntegrationSecret.objects.get(integration=integration, name="password")
    assert SECRET_PASSWORD not in stored.value and stored.value.startswith("v1:")
    assert integration.secret_values() == {"username": SECRET_USER, "password": SECRET_PASSWORD}
    entry = AuditEntry.objects.get(action="integration.created")
    assert SECRET_PASSWORD not in str(entry.details)


def test_a_secret_set_must_be_one_of_the_alternatives(lab, people, login):
    url, _state = lab
    answer = login(people.owner).post(
        NEW + "?kind=lab", {"name": "NAS", "url": url, "secret_username": "only-a-name"}
    )
    assert answer.status_code == 400
    assert "Lab needs one of: nothing; Username + Password." in answer.content.decode()
    assert not Integration.objects.exists()


@pytest.mark.parametrize(
    ("credentials", "expected"),
    [((SECRET_USER, SECRET_PASSWORD), "Connection works: Lab 1.2"),
     (("someone", "wrong"), "Authentication failed.")],
)  # fmt: skip
def test_test_connection_reports_without_saving(lab, people, login, credentials, expected):
    url, state = lab
    state.credentials = (SECRET_USER, SECRET_PASSWORD)
    answer = login(people.owner).post(NEW + "?kind=lab", {
        "name": "NAS", "url": url, "secret_username": credentials[0],
        "secret_password": credentials[1], "test": "1",
    })  # fmt: skip
    body = answer.content.decode()
    assert answer.status_code == 200 and expected in body
    assert credentials[1] not in body  # the typed password is not sent back
    assert state.count("/api/version") == 1
    assert not Integration.objects.exists()


def test_test_connection_says_when_the_service_cannot_be_reached(people, login):
    answer = login(people.owner).post(
        NEW + "?kind=lab", {"name": "NAS", "url": "http://127.0.0.1:9", "test": "1"}
    )
    assert "Cannot be reached." in answer.content.decode()
    answer = login(people.owner).post(
        NEW + "?kind=lab", {"name": "NAS", "url": "http://[::ffff:169.254.169.254]", "test": "1"}
    )
    assert "this address is not contacted" in answer.content.decode()


def test_the_edit_form_never_shows_a_secret_and_blank_keeps_it(lab_integration, people, login):
    client = login(people.owner)
    body = client.get(edit_url(lab_integration)).content.decode()
    assert SECRET_PASSWORD not in body and SECRET_USER not in body
    assert "stored — leave blank to keep" in body
    version = lab_integration.secrets_version
    answer = client.post(edit_url(lab_integration), {
        "name": "Renamed", "url": lab_integration.url, "verify_tls": "on",
        "secret_username": "", "secret_password": "",
    })  # fmt: skip
    assert answer.status_code == 302
    lab_integration.refresh_from_db()
    assert lab_integration.name == "Renamed"
    assert lab_integration.secret_values()["password"] == SECRET_PASSWORD
    assert lab_integration.secrets_version > version


def test_clearing_removes_the_stored_secrets(lab_integration, people, login):
    login(people.owner).post(edit_url(lab_integration), {
        "name": "Lab box", "url": lab_integration.url, "verify_tls": "on",
        "clear_username": "on", "clear_password": "on",
    })  # fmt: skip
    assert lab_integration.secret_values() == {}


def test_a_new_host_requires_the_secrets_again(lab_integration, people, login):
    client = login(people.owner)
    moved = {"name": "Lab box", "url": "http://192.168.1.77:9091", "verify_tls": "on"}
    answer = client.post(edit_url(lab_integration), moved)
    assert answer.status_code == 400
    assert "The address&#x27;s host changed" in answer.content.decode()
    lab_integration.refresh_from_db()
    assert lab_integration.url != moved["url"]
    answer = client.post(edit_url(lab_integration), {
        **moved, "secret_username": "new-user", "secret_password": "new-password",
    })  # fmt: skip
    assert answer.status_code == 302
    lab_integration.refresh_from_db()
    assert lab_integration.secret_values() == {"username": "new-user", "password": "new-password"}
    # The same host on another path keeps them.
    answer = client.post(edit_url(lab_integration), {**moved, "url": moved["url"] + "/sub"})
    assert answer.status_code == 302


def test_the_list_is_filtered_and_shows_addresses_only_to_full(lab_integration, people, login):
    IntegrationAccess.objects.create(integration=lab_integration, group=people.family,
                                     level="use")  # fmt: skip
    owner_page = login(people.owner).get("/settings/integrations/").content.decode()
    assert "Lab box" in owner_page and lab_integration.url in owner_page
    member_page = login(people.member).get("/settings/integrations/").content.decode()
    assert "Lab box" in member_page and lab_integration.url not in member_page
    assert edit_url(lab_integration) not in member_page
    outsider_page = login(people.outsider).get("/settings/integrations/").content.decode()
    assert "Lab box" not in outsider_page


def test_the_list_costs_the_same_queries_for_many_integrations(
    people, login, django_assert_max_num_queries
):
    for n in range(30):
        Integration.objects.create(name=f"I{n}", kind="lab", url="http://127.0.0.1:9",
                                   owner=people.owner)  # fmt: skip
    client = login(people.owner)
    client.get("/settings/integrations/")
    with django_assert_max_num_queries(8):
        assert client.get("/settings/integrations/").status_code == 200


def test_delete_names_the_boards_that_show_it(lab_integration, people, login):
    from boards.models import Item
    from tests.boards.factories import add_section, make_board

    shown = make_board("media", people.owner, title="Media room")
    hidden = make_board("secret", people.admin, title="Hidden room")
    for board in (shown, hidden):
        Item.objects.create(board=board, section=add_section(board), kind="system",
                            options={"title": "", "integration": lab_integration.pk})  # fmt: skip
    IntegrationAccess.objects.create(integration=lab_integration, user=people.user_manager,
                                     level="full")  # fmt: skip
    from boards.models import BoardAccess

    BoardAccess.objects.create(board=shown, user=people.user_manager, level="view")
    body = login(people.user_manager).get(edit_url(lab_integration, "delete/")).content.decode()
    assert "Media room" in body and "Hidden room" not in body
    assert "and 1 board you cannot see" in body
    answer = login(people.user_manager).post(edit_url(lab_integration, "delete/"))
    assert answer.status_code == 302
    assert not Integration.objects.exists() and not IntegrationSecret.objects.exists()
    assert AuditEntry.objects.filter(action="integration.deleted").exists()
    item = Item.objects.get(board=shown)
    data = login(people.owner).get(f"/boards/media/items/{item.pk}/data/").content.decode()
    assert "iw-missing" in data and "or it was deleted" in data


def test_the_access_tab_adds_and_removes_rows_and_explains(lab_integration, people, login):
    client = login(people.owner)
    body = client.get(edit_url(lab_integration, "access/")).content.decode()
    assert "Owner (created the integration)" in body and "Global permission: admin" in body
    client.post(edit_url(lab_integration, "access/"),
                {"principal": f"u:{people.outsider.pk}", "level": "interact"})  # fmt: skip
    row = IntegrationAccess.objects.get(user=people.outsider)
    assert row.level == "interact"
    assert (
        login(people.outsider).get("/settings/integrations/").content.decode().count("Lab box") == 1
    )
    client.post(edit_url(lab_integration, f"access/{row.pk}/remove/"))
    assert not IntegrationAccess.objects.filter(user=people.outsider).exists()
    assert AuditEntry.objects.filter(action="integration.access_removed").exists()
