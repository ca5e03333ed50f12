"""Downloads and system widgets: data read through the board item, actions with the viewer's
own level, all against the lab service over real HTTP on loopback."""

import json

import pytest

from boards.models import BoardAccess, Item
from integrations.models import IntegrationAccess
from sessions_admin.models import AuditEntry
from tests.boards.factories import add_section, make_board

pytestmark = pytest.mark.django_db


def add_widget(board, integration, kind="downloads", title=""):
    section = board.sections.first() or add_section(board)
    return Item.objects.create(
        board=board, section=section, kind=kind, x=0, y=0, w=4, h=3, nx=0, ny=0, nw=4, nh=3,
        options={"title": title, "integration": integration.pk},
    )  # fmt: skip


@pytest.fixture
def board(people, lab_integration):
    board = make_board("lab", people.owner)
    BoardAccess.objects.create(board=board, group=people.family, level="view")
    return board


def data_url(board, item):
    return f"/boards/{board.name}/items/{item.pk}/data/"


def action_url(board, item, action):
    return f"/boards/{board.name}/items/{item.pk}/actions/{action}/"


def test_the_board_page_never_waits_for_the_upstream(
    board, lab_integration, lab, people, login, django_assert_max_num_queries
):
    _url, state = lab
    item = add_widget(board, lab_integration)
    for n in range(9):
        add_widget(board, lab_integration, kind="system", title=f"S{n}")
    client = login(people.member)
    client.get("/boards/lab/")
    with django_assert_max_num_queries(6):  # the board page's own, whatever the widgets
        client.get("/boards/lab/")
    body = login(people.member).get("/boards/lab/").content.decode()
    assert "Loading…" in body and f'hx-get="{data_url(board, item)}"' in body
    assert 'hx-trigger="load, hp-visible from:document"' in body
    assert state.requests == []


def test_a_viewer_of_the_board_sees_the_data_and_no_configuration(
    board, lab_integration, lab, people, login
):
    url, state = lab
    item = add_widget(board, lab_integration)
    answer = login(people.member).get(data_url(board, item), HTTP_HX_REQUEST="true")
    body = answer.content.decode()
    assert answer.status_code == 200
    assert "debian-13.iso" in body and "3.2 MB/s" in body and "3 h 12 min" in body
    assert "42 %" in body and "<progress" in body
    assert url not in body and "127.0.0.1" not in body
    assert "hx-post" not in body  # member may view the board, not interact
    assert 'hx-trigger="every 30s, hp-visible from:document"' in body  # polls on
    assert state.count("/api/torrents") == 1
    # Another viewer within the lifetime gets the remembered answer.
    again = login(people.owner).get(data_url(board, item)).content.decode()
    assert "debian-13.iso" in again and state.count("/api/torrents") == 1


def test_anonymous_visitors_see_the_data_on_a_public_board(board, lab_integration, login):
    board.is_public = True
    board.save()
    item = add_widget(board, lab_integration, kind="system")
    body = login(None).get(data_url(board, item)).content.decode()
    assert "62 %" in body or "5.0 GiB / 8.0 GiB" in body
    assert "48" in body and "5 d 1 h" in body


def test_people_who_cannot_view_the_board_get_nothing(board, lab_integration, lab, people, login):
    _url, state = lab
    item = add_widget(board, lab_integration)
    assert login(people.outsider).get(data_url(board, item)).status_code == 404
    assert login(None).get(data_url(board, item)).status_code == 302
    assert state.requests == []


def test_integration_level_alone_does_not_show_a_board(board, lab_integration, people, login):
    IntegrationAccess.objects.create(integration=lab_integration, user=people.outsider,
                                     level="full")  # fmt: skip
    item = add_widget(board, lab_integration)
    assert login(people.outsider).get(data_url(board, item)).status_code == 404


def test_interact_runs_actions_and_they_are_audited(board, lab_integration, lab, people, login):
    _url, state = lab
    IntegrationAccess.objects.create(integration=lab_integration, group=people.family,
                                     level="interact")  # fmt: skip
    item = add_widget(board, lab_integration)
    client = login(people.member)
    body = client.get(data_url(board, item), HTTP_HX_REQUEST="true").content.decode()
    assert action_url(board, item, "pause") in body and "hx-confirm" in body
    answer = client.post(action_url(board, item, "pause"), {"id": "a1"}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    assert state.torrents[0]["state"] == "paused"
    assert "paused" in answer.content.decode()
    entry = AuditEntry.objects.get(action="integration.action")
    assert entry.actor == people.member and entry.target_id == str(lab_integration.pk)
    assert entry.details["action"] == "pause" and entry.details["target"] == "a1"
    client.post(action_url(board, item, "resume_all"), HTTP_HX_REQUEST="true")
    assert [t["state"] for t in state.torrents] == ["downloading", "seeding"]
    client.post(action_url(board, item, "remove"), {"id": "b2"}, HTTP_HX_REQUEST="true")
    assert [t["id"] for t in state.torrents] == ["a1"]


@pytest.mark.parametrize("level", [None, "use"])
def test_without_interact_an_action_is_refused_and_changes_nothing(
    board, lab_integration, lab, people, login, level
):
    _url, state = lab
    if level:
        IntegrationAccess.objects.create(integration=lab_integration, user=people.member,
                                         level=level)  # fmt: skip
    item = add_widget(board, lab_integration)
    answer = login(people.member).post(action_url(board, item, "pause"), {"id": "a1"})
    assert answer.status_code == 403
    assert state.requests == [] and state.torrents[0]["state"] == "downloading"
    assert not AuditEntry.objects.filter(action="integration.action").exists()


def test_interact_on_the_integration_does_not_open_a_board_one_cannot_view(
    board, lab_integration, lab, people, login
):
    _url, state = lab
    IntegrationAccess.objects.create(integration=lab_integration, user=people.outsider,
                                     level="interact")  # fmt: skip
    item = add_widget(board, lab_integration)
    answer = login(people.outsider).post(action_url(board, item, "pause"), {"id": "a1"})
    assert answer.status_code == 404 and state.requests == []


def test_actions_need_csrf(board, lab_integration, lab, people):
    from django.test import Client

    _url, state = lab
    item = add_widget(board, lab_integration)
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.owner, backend="accounts.backends.CredentialsBackend")
    assert client.post(action_url(board, item, "pause"), {"id": "a1"}).status_code == 403
    assert state.requests == []


def test_unknown_actions_and_bad_parameters_are_refused(board, lab_integration, lab, people, login):
    _url, state = lab
    item = add_widget(board, lab_integration)
    client = login(people.owner)
    assert client.post(action_url(board, item, "format-disk")).status_code == 404
    assert client.post(action_url(board, item, "pause")).status_code == 400  # no id
    assert state.requests == []


def test_a_service_that_is_down_says_so(board, lab_integration, people, login):
    lab_integration.url = "http://127.0.0.1:9"  # nothing listens on the discard port
    lab_integration.save()
    item = add_widget(board, lab_integration)
    answer = login(people.member).get(data_url(board, item))
    assert answer.status_code == 200
    assert "Lab cannot be reached." in answer.content.decode()


def test_the_remembered_data_stays_when_the_service_goes_down(
    board, lab_integration, people, login
):
    from homeportal import shared_fetch
    from integrations.data import cache_key

    item = add_widget(board, lab_integration)
    client = login(people.member)
    client.get(data_url(board, item))
    key = cache_key(lab_integration, "downloads", None)
    shared_fetch.forget(key)  # its lifetime is over ...
    lab_integration.url = "http://127.0.0.1:9"  # ... and the service is gone (same version)
    type(lab_integration).objects.filter(pk=lab_integration.pk).update(url=lab_integration.url)
    body = client.get(data_url(board, item)).content.decode()
    assert "Lab cannot be reached." in body and "debian-13.iso" in body
    assert "last answer" in body


def test_a_changed_secret_is_never_served_old_data(board, lab_integration, lab, people, login):
    _url, state = lab
    item = add_widget(board, lab_integration)
    client = login(people.member)
    client.get(data_url(board, item))
    lab_integration.set_secrets({"password": "wrong"})
    body = client.get(data_url(board, item)).content.decode()
    assert "Lab refused the credentials" in body and "unknown credentials •••:•••" in body
    assert state.count("/api/torrents") == 2


def test_the_editor_offers_integration_widgets_only_with_a_usable_integration(
    board, lab_integration, people, login
):
    BoardAccess.objects.create(board=board, user=people.user_manager, level="modify")
    kinds = lambda user: {  # noqa: E731
        k["name"] for k in login(user).get("/boards/lab/edit/").context["kinds"]
    }
    assert "downloads" not in kinds(people.user_manager)
    IntegrationAccess.objects.create(integration=lab_integration, user=people.user_manager,
                                     level="use")  # fmt: skip
    assert {"downloads", "system"} <= kinds(people.user_manager)
    form = login(people.user_manager).post(
        "/boards/lab/widget-form/", {"kind": "downloads", "load": "1", "options": "{}"}
    )
    assert f'value="{lab_integration.pk}"' in json.loads(form.content)["form"]


def save(client, board, items):
    from boards.layout import state
    from boards.render import load_sections

    current = state(board, load_sections(board))
    section = current["sections"][0]
    section["items"] = items
    payload = {"version": board.version, "sections": current["sections"],
               "narrow_custom": False}  # fmt: skip
    return client.post(f"/boards/{board.name}/save/", {"state": json.dumps(payload)})


def test_saving_a_layout_checks_use_of_every_new_integration(board, lab_integration, people, login):
    add_section(board)
    BoardAccess.objects.create(board=board, user=people.user_manager, level="modify")
    new = {"id": None, "kind": "downloads", "options": {"title": "",
           "integration": lab_integration.pk}, "desktop": [0, 0, 4, 3]}  # fmt: skip
    answer = save(login(people.user_manager), board, [new])
    assert answer.status_code == 400
    assert "choose an integration you may use" in answer.content.decode()
    assert not Item.objects.filter(kind="downloads").exists()
    IntegrationAccess.objects.create(integration=lab_integration, user=people.user_manager,
                                     level="use")  # fmt: skip
    board.refresh_from_db()
    assert save(login(people.user_manager), board, [new]).status_code == 200
    assert Item.objects.filter(kind="downloads").count() == 1


def test_an_existing_reference_is_kept_by_editors_without_use(
    board, lab_integration, people, login
):
    item = add_widget(board, lab_integration)
    BoardAccess.objects.create(board=board, user=people.user_manager, level="modify")
    kept = {"id": item.pk, "kind": "downloads", "options": item.options,
            "desktop": [0, 0, 4, 3]}  # fmt: skip
    assert save(login(people.user_manager), board, [kept]).status_code == 200


def test_importing_a_board_checks_use_of_its_integrations(lab_integration, people, login):
    from groups.models import Group, Membership

    creators = Group.objects.create(name="creators", permissions=["board-create"], position=5)

    Membership.objects.create(user=people.member, group=creators)
    export = {
        "format": "homeportal-board", "format_version": 1, "name": "imported", "title": "Imp",
        "columns": 12, "narrow_custom": False,
        "sections": [{"kind": "area", "title": "", "items": [
            {"kind": "downloads", "options": {"title": "", "integration": lab_integration.pk},
             "desktop": [0, 0, 4, 3]}]}],
    }  # fmt: skip
    answer = login(people.member).post("/boards/import/", {"text": json.dumps(export)})
    assert answer.status_code == 400
    assert "choose an integration you may use" in answer.content.decode()
    assert not Item.objects.filter(kind="downloads").exists()
    IntegrationAccess.objects.create(integration=lab_integration, user=people.member, level="use")
    answer = login(people.member).post("/boards/import/", {"text": json.dumps(export)})
    assert answer.status_code == 302
    assert Item.objects.filter(kind="downloads").count() == 1


def test_duplicating_a_board_checks_use_of_its_integrations(board, lab_integration, people, login):
    from boards.models import Board
    from groups.models import Group, Membership

    add_widget(board, lab_integration)
    creators = Group.objects.create(name="creators", permissions=["board-create"], position=5)
    Membership.objects.create(user=people.member, group=creators)
    BoardAccess.objects.filter(board=board).update(level="modify")
    answer = login(people.member).post("/boards/lab/duplicate/", {"title": "Mine"})
    assert answer.status_code == 400
    assert "choose an integration you may use" in answer.content.decode()
    assert not Board.objects.filter(title="Mine").exists()
    IntegrationAccess.objects.create(integration=lab_integration, user=people.member, level="use")
    answer = login(people.member).post("/boards/lab/duplicate/", {"title": "Mine"})
    assert answer.status_code == 302 and Board.objects.filter(title="Mine").exists()


def test_the_audit_log_says_who_ran_which_action_on_what(board, lab_integration, people, login):
    item = add_widget(board, lab_integration)
    login(people.owner).post(action_url(board, item, "pause"), {"id": "a1"})
    body = login(people.owner).get("/settings/audit/").content.decode()
    assert "ran “pause” on a1 from the board lab" in body


@pytest.mark.django_db(transaction=True)  # the slow viewer's request runs in another thread
def test_a_slow_service_does_not_hold_another_widget(board, lab_integration, lab, people, login):
    import threading
    import time

    from integrations.models import Integration
    from tests.integrations.lab_service import lab_service

    _url, slow_state = lab
    slow_state.gate = threading.Event()  # the first service answers only when released
    slow = add_widget(board, lab_integration)
    with lab_service() as (fast_url, _fast_state):
        other = Integration.objects.create(name="Fast", kind="lab", url=fast_url,
                                           owner=people.owner)  # fmt: skip
        fast = add_widget(board, other, kind="system")
        client = login(people.member)

        def slow_viewer():
            from django.db import connection

            try:
                client.get(data_url(board, slow))
            finally:
                connection.close()  # this thread's own connection

        waiting = threading.Thread(target=slow_viewer)
        waiting.start()
        try:
            deadline = time.monotonic() + 10
            while not slow_state.requests and time.monotonic() < deadline:
                threading.Event().wait(0.01)
            assert slow_state.requests, "the slow widget's request never reached its service"
            body = login(people.member).get(data_url(board, fast)).content.decode()
            assert "5.0 GiB / 8.0 GiB" in body  # answered while the slow one still waits
            assert not slow_state.gate.is_set() and waiting.is_alive()
        finally:
            slow_state.gate.set()
            waiting.join()


def test_a_malformed_action_parameter_is_a_400_and_reaches_nothing(
    board, lab_integration, lab, people, login
):
    _url, state = lab
    IntegrationAccess.objects.create(integration=lab_integration, user=people.member,
                                     level="interact")  # fmt: skip
    item = add_widget(board, lab_integration)
    answer = login(people.member).post(action_url(board, item, "pause"), {"id": "../../a1"})
    assert answer.status_code == 400
    assert state.requests == [] and state.torrents[0]["state"] == "downloading"
    assert not AuditEntry.objects.filter(action="integration.action").exists()
