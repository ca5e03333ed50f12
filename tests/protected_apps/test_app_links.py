"""Protected apps as app links on boards (boards.widgets.app), over HTTP through the real views:
the editor offers only the apps one reaches, saves and imports naming another are refused and
change nothing, a renamed or moved app shows on the boards linking it, and the link's status
ping works as for any app link (against a real HTTP server on loopback)."""

import json

import pytest

from boards.layout import export_board, state
from boards.models import Board, BoardAccess, Item
from boards.render import load_sections
from boards.widgets.app import ping_target
from protected_apps.models import ProtectedApp, ProtectedAppAccess
from tests.boards.factories import OPTIONS, add_item, add_section, make_board
from tests.boards.local_http import Handler, http_server
from tests.conftest import make_group, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def apps(people):
    """Grafana reached by the family group; Vault by nobody but app managers (admins)."""
    grafana = ProtectedApp.objects.create(
        name="Grafana", host="grafana.lab.test", path_prefix="/d/", icon="grafana"
    )
    ProtectedAppAccess.objects.create(app=grafana, group=people.family)
    vault = ProtectedApp.objects.create(name="Vault", host="vault.lab.test")
    return grafana, vault


def widget_form(client, board: Board, data: dict):
    return client.post(f"/boards/{board.name}/widget-form/", {"kind": "app", **data})


def save(client, board: Board, data: dict):
    return client.post(f"/boards/{board.name}/save/", {"state": json.dumps(data)})


def with_link(board: Board, **options) -> dict:
    """The editor's state of `board` with one more app link."""
    data = state(board, load_sections(board))
    item = {
        "kind": "app",
        "options": {**OPTIONS["app"], **options},
        "desktop": [0, 5, 2, 1],
        "narrow": None,
    }
    data["sections"].append({"id": None, "kind": "area", "title": "", "items": [item]})
    return data


@pytest.mark.parametrize(
    ("persona", "offered"),
    [
        ("owner", {"Grafana", "Vault"}),
        ("admin", {"Grafana", "Vault"}),
        ("member", {"Grafana"}),
        ("user_manager", set()),
        ("outsider", set()),
    ],
)
def test_the_editor_offers_only_the_apps_one_reaches(people, apps, login, persona, offered):
    user = people.get(persona)
    board = make_board("mine", user)
    response = widget_form(login(user), board, {"load": "on", "options": "{}"})
    assert response.status_code == 200
    form = response.json()["form"]
    assert 'name="opt-protected_app"' in form
    shown = {app.name for app in apps if f'value="{app.pk}"' in form}
    assert shown == offered


def test_choosing_an_app_fills_what_is_empty(people, apps, login):
    grafana, vault = apps
    board = make_board("mine", people.member)
    client = login(people.member)
    response = widget_form(client, board, {"opt-protected_app": grafana.pk, "opt-new_tab": "on"})
    assert response.status_code == 200, response.content
    options = response.json()["options"]
    assert options["protected_app"] == grafana.pk
    assert (options["name"], options["url"]) == ("Grafana", "http://grafana.lab.test/d/")
    assert options["brand_icon"] == "grafana"
    own = widget_form(client, board, {"opt-protected_app": grafana.pk, "opt-name": "Dashboards"})
    assert own.json()["options"]["name"] == "Dashboards"
    # Not among the member's choices, and nothing to fill from: refused with the form again.
    refused = widget_form(client, board, {"opt-protected_app": vault.pk})
    assert refused.status_code == 422 and not refused.json()["ok"]
    # Without an app, a link still needs its name and address.
    plain = widget_form(client, board, {"opt-protected_app": ""})
    assert plain.status_code == 422 and plain.json()["form"].count("This field is required") == 2


def test_saving_or_importing_an_unreachable_app_is_refused(people, apps, login):
    grafana, vault = apps
    board = make_board("mine", people.member)
    client = login(people.member)
    refused = save(client, board, with_link(board, protected_app=vault.pk))
    assert refused.status_code == 400
    assert refused.json()["errors"] == ["App link: choose a protected app you may reach."]
    missing = save(client, board, with_link(board, protected_app=vault.pk + 100))
    assert missing.json() == refused.json()  # an unknown id reads the same: nothing leaks
    board.refresh_from_db()
    assert board.version == 1 and not Item.objects.exists()

    exported = export_board(board)
    exported["sections"] = with_link(board, protected_app=vault.pk)["sections"][-1:]
    maker = make_user("max", people.family, make_group("makers", "board-create"))
    response = login(maker).post("/boards/import/", {"text": json.dumps(exported), "title": "X"})
    assert response.status_code == 400
    assert "choose a protected app you may reach" in response.content.decode()
    assert Board.objects.count() == 1

    assert save(client, board, with_link(board, protected_app=grafana.pk)).status_code == 200
    assert Item.objects.get().options["protected_app"] == grafana.pk


def test_a_link_kept_unchanged_needs_no_reach_and_viewers_see_it(people, apps, login):
    """The owner links Vault on a board the member may modify; the member may still save the
    board (the link is kept as it was) and sees the link: the gate decides at the app."""
    _grafana, vault = apps
    board = make_board("shared", people.owner)
    BoardAccess.objects.create(board=board, group=people.family, level="modify")
    owner = login(people.owner)
    assert save(owner, board, with_link(board, protected_app=vault.pk)).status_code == 200
    member = login(people.member)
    board.refresh_from_db()
    data = state(board, load_sections(board))
    data["sections"][0]["items"][0]["desktop"] = [2, 0, 2, 1]
    assert save(member, board, data).status_code == 200
    page = member.get("/boards/shared/").content.decode()
    assert 'href="https://jellyfin.example.org"' in page


def test_a_renamed_or_moved_app_shows_on_the_board(people, apps, login):
    grafana, _vault = apps
    board = make_board("lab", people.owner)
    section = add_section(board)
    chosen = widget_form(login(people.owner), board, {"opt-protected_app": grafana.pk})
    linked = add_item(section, "app", **chosen.json()["options"])
    own = add_item(section, "app", box=(2, 0, 2, 1), protected_app=grafana.pk, name="Graphs",
                   url="http://grafana.lab.test/d/")  # fmt: skip
    other = add_item(section, "app", box=(4, 0, 2, 1), name="Grafana")
    viewer = login(people.owner)
    page = viewer.get("/boards/lab/").content.decode()  # the body is cached from here on
    assert 'href="http://grafana.lab.test/d/"' in page and ">Grafana<" in page

    response = login(people.admin).post(
        f"/settings/protected-apps/{grafana.pk}/",
        {"name": "Metrics", "host": "metrics.lab.test", "path_prefix": "/", "icon": "grafana"},
    )
    assert response.status_code == 302
    page = viewer.get("/boards/lab/").content.decode()
    assert "grafana.lab.test" not in page
    assert page.count('href="http://metrics.lab.test/"') == 2 and ">Metrics<" in page
    assert Item.objects.get(pk=own.pk).options["name"] == "Graphs"  # its own name is kept
    assert Item.objects.get(pk=linked.pk).options["name"] == "Metrics"
    assert Item.objects.get(pk=other.pk).options == other.options  # not linked: untouched


def test_the_status_ping_works_for_protected_app_links(people, apps, login):
    grafana, _vault = apps
    board = make_board("lab", people.member)
    client = login(people.member)
    with http_server() as server:
        chosen = widget_form(client, board, {"opt-protected_app": grafana.pk, "opt-ping": "on",
                                             "opt-ping_url": server + "/ok"})  # fmt: skip
        assert chosen.status_code == 200, chosen.content
        assert save(client, board, with_link(board, **chosen.json()["options"])).status_code == 200
        item = Item.objects.get()
        live = client.get(f"/boards/lab/items/{item.pk}/data/")
        assert live.status_code == 200 and "status-up" in live.content.decode()
        assert Handler.hits == ["/ok"]
    # Without an address to check, the ping asks the app's own address, wherever it moves.
    unchecked = widget_form(client, board, {"opt-protected_app": grafana.pk, "opt-ping": "on"})
    assert ping_target(unchecked.json()["options"]) == "http://grafana.lab.test/d/"
