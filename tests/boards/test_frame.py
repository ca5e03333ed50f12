"""The board page's frame (boards/frame.py) is rendered once per viewer and board version and
kept in the process: every value the frame shows follows its change on the next view, and
what differs per request (the CSRF token, the nonce, messages) is never reused."""

import json
import re

import pytest
from django.contrib.messages.constants import SUCCESS
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import MessageEncoder
from django.contrib.messages.storage.session import SessionStorage

from accounts.models import Provider
from boards.frame import frames
from boards.models import Board, ServerHomeBoard
from groups.models import Group, Membership
from groups.resolver import bump_version
from tests.boards.factories import add_item, add_section, grant, make_board

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab(people):
    board = make_board("lab", people.owner, title="Lab")
    grant(board, "view", group=people.everyone)
    add_item(add_section(board, "area", "", 0), "notes", text="Backups run at night")
    return board


def page(client, path="/boards/lab/") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def reload(user):
    user.refresh_from_db()
    return user


CHANGES = {
    # name: (change the viewer or their rights, text before, text after)
    "display name": (lambda u: setattr(u, "display_name", "Mia Renamed"), "<summary>Mia Member",
                     "<summary>Mia Renamed"),
    "colour scheme": (lambda u: setattr(u, "color_scheme", "dark"), 'data-theme="auto"',
                      'data-theme="dark"'),
    "motion": (lambda u: setattr(u, "motion", "reduce"), 'data-theme="auto" data-week',
               'class="reduce-motion"'),
    "first day of week": (lambda u: setattr(u, "week_start", "3"), 'data-week-start="1"',
                          'data-week-start="3"'),
    "time zone": (lambda u: setattr(u, "time_zone", "Europe/Paris"), "js/time-zone",
                  "</head>"),
    "language": (lambda u: setattr(u, "language", "fr"), '<html lang="en"', '<html lang="fr"'),
    "provider": (lambda u: setattr(u, "provider", Provider.LDAP), "Change password",
                 "Log out"),
}  # fmt: skip


@pytest.mark.parametrize("name", CHANGES)
def test_the_frame_follows_every_preference_it_shows(name, lab, people, login):
    change, before, after = CHANGES[name]
    member = people.member
    member.week_start = "1"
    member.save()
    client = login(member)
    assert before in page(client)
    assert len(frames.entries) == 1
    change(member)
    member.save()
    shown = page(client)
    assert after in shown
    if name == "time zone":
        assert "js/time-zone" not in shown
    elif name == "provider":
        assert "Change password" not in shown
    elif before not in after:
        assert before not in shown


def test_menus_follow_the_viewer_s_global_permissions(lab, people, login):
    client = login(people.member)
    assert ">Settings</a>" not in page(client)
    Membership.objects.create(user=people.member, group=people.managers)
    bump_version()
    assert ">Settings</a>" in page(client)


def test_a_viewer_who_may_create_boards_is_led_to_the_icons_page(lab, people, login):
    """Creating boards lets them upload icons: the Settings link leads to the icons page,
    from the board's kept frame as from any page, and goes with the permission."""
    client = login(people.member)
    link = '<a href="/icons/">Settings</a>'
    assert link not in page(client) and link not in page(client, "/boards/")
    creators = Group.objects.create(name="creators", permissions=["board-create"], position=50)
    Membership.objects.create(user=people.member, group=creators)
    bump_version()
    assert link in page(client) and link in page(client, "/boards/")
    assert '<a href="/icons/" aria-current="page">Settings</a>' in page(client, "/icons/")
    creators.delete()
    bump_version()
    assert link not in page(client) and ">Settings</a>" not in page(client)


def test_the_toolbar_follows_the_viewer_s_level(lab, people, login):
    client = login(people.member)
    assert 'data-testid="edit-board"' not in page(client)
    grant(lab, "modify", user=people.member)
    assert 'data-testid="edit-board"' in page(client)


def test_a_changed_board_title_is_shown(lab, people, login):
    client = login(people.member)
    assert "<h1>Lab</h1>" in page(client)
    board = Board.objects.get(pk=lab.pk)
    board.title = "Home lab"
    board.save()
    assert "<h1>Home lab</h1>" in page(client)


def test_viewers_never_see_each_other_s_frame(lab, people, login):
    lab.is_public = True
    lab.save()
    assert "Otto Outsider" in page(login(people.outsider))
    shown = page(login(people.member))
    assert "Mia Member" in shown and "Otto Outsider" not in shown
    assert "Log in" in page(login(None)) and "Mia Member" not in page(login(None))


def test_the_address_is_part_of_the_frame(lab, people, login):
    """The same board as the home page and at its own address: the menu marks the page where
    it is, and an anonymous visitor's "Log in" link returns there."""
    ServerHomeBoard.objects.create(pk=1, desktop_board=lab)
    lab.is_public = True
    lab.save()
    current = '<a href="{}" aria-current="page">'
    member = login(people.member)
    at_home, on_board = page(member, "/"), page(member, "/boards/lab/")
    assert current.format("/") in at_home and current.format("/boards/") in on_board
    assert current.format("/boards/") not in at_home and current.format("/") not in on_board
    anonymous = login(None)
    assert "?next=/boards/lab/" in page(anonymous, "/boards/lab/")
    assert "?next=/boards/lab/" not in page(anonymous, "/")


def test_each_request_gets_its_own_csrf_token_and_nonce(lab, people, login):
    client = login(people.member)
    pages = [client.get("/boards/lab/") for _ in range(2)]
    tokens = [re.search(r'"X-CSRFToken": "(\w+)"', p.content.decode()).group(1) for p in pages]
    nonces = [re.search(r'<style nonce="([^"]+)"', p.content.decode()).group(1) for p in pages]
    assert tokens[0] != tokens[1] and nonces[0] != nonces[1]
    for response, nonce in zip(pages, nonces, strict=True):
        assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
        assert "hpframe" not in response.content.decode()  # every marker filled in


def test_the_page_s_csrf_token_is_accepted(lab, people):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(people.member, backend="accounts.backends.CredentialsBackend")
    category = add_section(lab, "category", "Media", 1)
    client.get("/boards/lab/")  # the frame kept
    shown = client.get("/boards/lab/").content.decode()
    token = re.search(r'"X-CSRFToken": "(\w+)"', shown).group(1)
    url = f"/boards/lab/sections/{category.pk}/collapse/"
    assert client.post(url, {"collapsed": "1"}).status_code == 403  # without it
    assert client.post(url, {"collapsed": "1"}, headers={"X-CSRFToken": token}).status_code < 400


def test_messages_are_shown_once_and_never_kept_in_a_frame(lab, people, login):
    client = login(people.member)
    page(client)  # the frame without messages, kept
    session = client.session  # where the messages wait (MESSAGE_STORAGE)
    session[SessionStorage.session_key] = json.dumps(
        [Message(SUCCESS, "Saved it all")], cls=MessageEncoder
    )
    session.save()
    assert "Saved it all" in page(client)
    assert "Saved it all" not in page(client)


def test_an_empty_board_shows_no_body(people, login):
    board = make_board("empty", people.owner, title="Empty")
    grant(board, "view", group=people.everyone)
    client = login(people.member)
    for _ in range(2):
        shown = page(client, "/boards/empty/")
        assert "This board is empty." in shown
        assert shown.rstrip().endswith("</html>")


def test_description_and_layout_follow_with_the_frame_kept(lab, people, login):
    """The frame names the board's title and description; its widgets and their places (the
    body and its style sheet) change without a new frame."""
    client = login(people.member)
    item = lab.items.get()
    assert f"#item-{item.pk}{{grid-area:1/1/" in page(client)
    item.x = 4
    item.save()
    shown = page(client)
    assert f"#item-{item.pk}{{grid-area:1/5/" in shown
    assert len(frames.entries) == 1  # the same frame, with the new body and style sheet
    board = Board.objects.get(pk=lab.pk)
    board.description = "Where the servers live"
    board.save()
    assert "Where the servers live" in page(client)
