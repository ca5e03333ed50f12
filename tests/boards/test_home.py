"""Home-board resolution, one test per step of DESIGN.md's order: the user's choice, their
groups by position (`everyone` last), the server's default, the board list."""

import re

import pytest

from boards.models import ServerHomeBoard, UserPreference
from groups.models import Membership
from tests.boards.factories import grant, make_board
from tests.conftest import make_group

pytestmark = pytest.mark.django_db

PHONE = {
    "HTTP_USER_AGENT": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) "
    "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
}
DESKTOP = {
    "HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0 Safari/537.36"
}


def home(client, **headers) -> str | None:
    """The name of the board `/` shows, or None when it shows the board list."""
    response = client.get("/", **(headers or DESKTOP))
    assert response.status_code == 200
    board = response.context.get("board")
    return board.name if board is not None else None


@pytest.fixture
def boards(people):
    made = {
        name: make_board(name, people.owner)
        for name in ("mine", "mine-phone", "first", "second", "everyone", "default", "hidden")
    }
    for name, board in made.items():
        if name != "hidden":
            grant(board, "view", group=people.everyone)
    return made


def choose(user, desktop=None, mobile=None):
    UserPreference.objects.update_or_create(
        user=user, defaults={"desktop_home_board": desktop, "mobile_home_board": mobile}
    )


def set_group(group, desktop=None, mobile=None):
    group.desktop_home_board, group.mobile_home_board = desktop, mobile
    group.save()


def test_step_1_the_users_own_choice(people, boards, login):
    choose(people.member, boards["mine"], boards["mine-phone"])
    set_group(people.family, boards["first"])
    client = login(people.member)
    assert home(client) == "mine"
    assert home(client, **PHONE) == "mine-phone"


def test_step_1_a_phone_uses_the_desktop_choice_when_no_phone_board(people, boards, login):
    choose(people.member, boards["mine"])
    assert home(login(people.member), **PHONE) == "mine"


def test_step_1_a_choice_the_user_cannot_view_is_skipped(people, boards, login):
    choose(people.member, boards["hidden"])
    set_group(people.family, boards["first"])
    assert home(login(people.member)) == "first"


def test_step_2_groups_by_position_lowest_first(people, boards, login):
    early = make_group("early", position=1)
    late = make_group("late", position=50)
    Membership.objects.create(user=people.member, group=early)
    Membership.objects.create(user=people.member, group=late)
    set_group(late, boards["second"])
    set_group(early, boards["first"])
    assert home(login(people.member)) == "first"
    early.position = 99
    early.save()
    assert home(login(people.member)) == "second"


def test_step_2_a_group_board_the_user_cannot_view_is_skipped(people, boards, login):
    early = make_group("early", position=1)
    Membership.objects.create(user=people.member, group=early)
    set_group(early, boards["hidden"])
    set_group(people.family, boards["second"])
    assert home(login(people.member)) == "second"


def test_step_2_group_phone_board_on_a_phone(people, boards, login):
    set_group(people.family, boards["first"], boards["second"])
    client = login(people.member)
    assert home(client) == "first"
    assert home(client, **PHONE) == "second"


def test_step_3_everyone_comes_after_the_users_groups(people, boards, login):
    everyone = people.everyone
    everyone.position = 0  # even at the lowest position, everyone is last
    set_group(everyone, boards["everyone"])
    client = login(people.member)
    assert home(client) == "everyone"
    set_group(people.family, boards["first"])
    assert home(client) == "first"
    assert home(login(people.outsider)) == "everyone"


def test_step_4_the_server_default(people, boards, login):
    ServerHomeBoard.objects.create(pk=1, desktop_board=boards["default"])
    assert home(login(people.outsider)) == "default"
    ServerHomeBoard.objects.filter(pk=1).update(desktop_board=boards["hidden"])
    assert home(login(people.outsider)) is None


def test_step_5_the_board_list(people, boards, login):
    response = login(people.outsider).get("/")
    assert response.status_code == 200
    assert response.context.get("board") is None
    assert "Hello, Otto Outsider" in response.content.decode()
    assert {b.name for b, _ in response.context["rows"]} == set(boards) - {"hidden"}


def test_anonymous_visitors_see_a_public_default_and_else_log_in(people, boards, login):
    ServerHomeBoard.objects.create(pk=1, desktop_board=boards["default"])
    assert login(None).get("/").status_code == 302
    boards["default"].is_public = True
    boards["default"].save()
    response = login(None).get("/")
    assert response.status_code == 200 and response.context["board"].name == "default"


def test_users_pick_their_home_boards_in_preferences(people, boards, login):
    client = login(people.member)
    response = client.post(
        "/preferences/",
        {
            "color_scheme": "dark",
            "desktop_home_board": boards["mine"].pk,
            "mobile_home_board": boards["mine-phone"].pk,
        },
    )
    assert response.status_code == 302
    people.member.refresh_from_db()
    assert people.member.color_scheme == "dark"
    assert home(client) == "mine"
    refused = client.post(
        "/preferences/", {"color_scheme": "dark", "desktop_home_board": boards["hidden"].pk}
    )
    assert refused.status_code == 400  # a board they cannot view is not a choice
    assert 'data-theme="dark"' in client.get("/preferences/").content.decode()


def test_admins_pick_the_server_default_and_each_groups(people, boards, login):
    admin = login(people.admin)
    response = admin.post("/boards/home-boards/", {"desktop_board": boards["default"].pk})
    assert response.status_code == 302
    assert ServerHomeBoard.load().desktop_board == boards["default"]
    family = people.family
    response = admin.post(
        f"/boards/home-boards/groups/{family.pk}/",
        {
            f"g{family.pk}-desktop_home_board": boards["first"].pk,
            f"g{family.pk}-mobile_home_board": boards["second"].pk,
        },
    )
    assert response.status_code == 302
    family.refresh_from_db()
    assert (family.desktop_home_board, family.mobile_home_board) == (
        boards["first"],
        boards["second"],
    )
    page = admin.get("/boards/home-boards/").content.decode()
    assert f'form="group-home-{family.pk}"' in page
    assert login(people.member).get("/boards/home-boards/").status_code == 403


def test_the_owners_first_board_becomes_the_servers_home_board(people, login):
    client = login(people.owner)
    response = client.post("/boards/new/", {"title": "Our home", "name": "our-home"}, follow=True)
    assert "It is also the start page for everybody" in response.content.decode()
    assert ServerHomeBoard.load().desktop_board.name == "our-home"
    client.post("/boards/new/", {"title": "Second", "name": "second"})
    assert ServerHomeBoard.load().desktop_board.name == "our-home"  # only the first
    assert login(people.owner).get("/").status_code == 200


def test_a_board_made_by_an_admin_other_than_the_owner_does_not_become_home(people, login):
    login(people.admin).post("/boards/new/", {"title": "Lab", "name": "lab"})
    assert ServerHomeBoard.load().desktop_board is None


def test_an_existing_home_board_is_kept_when_the_owner_creates_one(people, login):
    existing = make_board("existing", people.admin)
    ServerHomeBoard.objects.create(pk=1, desktop_board=existing)
    login(people.owner).post("/boards/new/", {"title": "New", "name": "new-one"})
    assert ServerHomeBoard.load().desktop_board == existing


def test_make_this_the_home_board_from_the_boards_settings(people, login):
    board = make_board("media", people.owner, title="Media")
    client = login(people.admin)
    page = client.get("/boards/media/general/").content.decode()
    assert "Make this the home board" in page and "/boards/home-boards/" in page
    client.post("/boards/media/make-home/", {"target": f"g{people.family.pk}", "where": "mobile"})
    people.family.refresh_from_db()
    assert people.family.mobile_home_board == board and people.family.desktop_home_board is None
    client.post("/boards/media/make-home/", {"target": "server", "where": "both"})
    default = ServerHomeBoard.load()
    assert default.desktop_board == board and default.mobile_board == board
    bad = client.post("/boards/media/make-home/", {"target": "g999999", "where": "both"})
    assert bad.status_code == 302  # back to the page, with a message, and nothing changed
    assert ServerHomeBoard.load().desktop_board == board


def test_only_admins_see_and_use_make_home(people, login):
    board = make_board("media", people.owner, title="Media")
    grant(board, "full", user=people.member)
    page = login(people.member).get("/boards/media/general/").content.decode()
    assert "Make this the home board" not in page
    response = login(people.member).post(
        "/boards/media/make-home/", {"target": "server", "where": "both"}
    )
    assert response.status_code == 403
    assert ServerHomeBoard.load().desktop_board is None


def test_home_boards_are_a_settings_tab_for_admins(people, login):
    page = login(people.admin).get("/settings/users/").content.decode()
    assert 'href="/boards/home-boards/"' in page
    assert (
        'href="/boards/home-boards/"'
        not in login(people.user_manager).get("/settings/users/").content.decode()
    )


# --- `/` kept under the change counts (boards.home) ---------------------------------------------


def shown(client) -> tuple[str | None, int]:
    """The title of the board `/` shows (None for the board list), read from the page itself
    (a kept page frame has no template context), and the queries it took."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/", **DESKTOP)
    assert response.status_code == 200
    page = response.content.decode()
    title = re.search(r"<title>(.*?) · homeportal</title>", page)
    is_board = 'class="board-page' in page
    return (title.group(1) if is_board and title else None), len(queries)


def raw(sql: str, params=()) -> None:
    """A write with no model and no signal, as another server or the SQL prompt makes it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_an_unchanged_home_page_costs_what_an_unchanged_board_page_costs(people, boards, login):
    choose(people.member, boards["mine"])
    client = login(people.member)
    shown(client)  # the choice made and kept, the board's body rendered
    assert shown(client) == ("Mine", 2)  # the session and the user
    # The same board as its own page shows it (the navigation marks a different link).
    by_name = client.get("/boards/mine/", **DESKTOP).content.decode()
    at_home = client.get("/", **DESKTOP).content.decode()
    assert main_part(at_home) == main_part(by_name) and 'class="board-page' in at_home


def main_part(page: str) -> str:
    return re.sub(r'nonce="[^"]+"', "", page[page.index("<main") : page.index("</main>")])


def test_the_home_page_follows_every_change_made_behind_the_application_s_back(
    people, boards, login
):
    """Each step's rows changed with raw SQL: the next `/` shows what the database says."""
    ServerHomeBoard.objects.update_or_create(pk=1, defaults={"desktop_board": boards["default"]})
    household = make_group("household", position=5)
    Membership.objects.create(user=people.member, group=household)
    client = login(people.member)
    assert shown(client)[0] == "Default"
    assert shown(client) == ("Default", 2)  # kept
    raw("UPDATE boards_serverhomeboard SET desktop_board_id = %s", [boards["second"].pk])
    assert shown(client)[0] == "Second"
    raw("UPDATE groups_group SET desktop_home_board_id = %s WHERE id = %s",
        [boards["first"].pk, household.pk])  # fmt: skip
    assert shown(client)[0] == "First"
    raw("INSERT INTO boards_userpreference (user_id, desktop_home_board_id) VALUES (%s, %s)",
        [people.member.pk, boards["hidden"].pk])  # fmt: skip
    assert shown(client)[0] == "First"  # a choice the user cannot view is skipped
    raw(
        "INSERT INTO boards_boardaccess (board_id, user_id, level, created) "
        "VALUES (%s, %s, 'view', CURRENT_TIMESTAMP)",
        [boards["hidden"].pk, people.member.pk],
    )
    assert shown(client)[0] == "Hidden"
    assert shown(client) == ("Hidden", 2)
    raw("DELETE FROM boards_boardaccess WHERE board_id = %s", [boards["hidden"].pk])
    assert shown(client)[0] == "First"
    raw("DELETE FROM groups_membership WHERE user_id = %s AND group_id = %s",
        [people.member.pk, household.pk])  # fmt: skip
    assert shown(client)[0] == "Second"
    raw("UPDATE boards_board SET title = 'Renamed' WHERE id = %s", [boards["second"].pk])
    assert shown(client)[0] == "Renamed"
    raw("DELETE FROM boards_serverhomeboard")
    assert shown(client)[0] is None  # the board list


def test_the_home_choice_reads_only_tables_that_raise_a_count(people, boards, login):
    """`/` keeps its choice under the change counts: every table the choice reads must raise
    one of them, or a change to it would go unseen. Every step is asked here (each names a
    board the user cannot view), so every table of the choice is read."""
    from homeportal.changes import watched_tables
    from tests.conftest import clear_process_caches

    household = make_group("household", position=5)
    Membership.objects.create(user=people.member, group=household)
    set_group(household, boards["hidden"], boards["hidden"])
    choose(people.member, boards["hidden"], boards["hidden"])
    ServerHomeBoard.objects.update_or_create(pk=1, defaults={"desktop_board": boards["hidden"]})
    client = login(people.member)
    client.get("/boards/first/")
    clear_process_caches()
    from boards import home as home_module

    read: list[str] = []
    original = home_module.choose_home_board

    def choosing(request):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            found = original(request)
        read.extend(q["sql"] for q in queries.captured_queries)
        return found

    home_module.choose_home_board = choosing
    try:
        assert shown(client)[0] is None
    finally:
        home_module.choose_home_board = original
    tables = {t for sql in read for t in re.findall(r'(?:FROM|JOIN) "(\w+)"', sql)}
    assert {"boards_userpreference", "groups_group", "boards_serverhomeboard",
            "boards_board", "boards_boardaccess"} <= tables  # fmt: skip
    assert tables <= set(watched_tables()), tables - set(watched_tables())
