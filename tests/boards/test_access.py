"""Who reaches which board, through which rule: rows for users, groups and `everyone`,
global permissions, ownership, public boards; 404 for the unseen, 403 for the unreached."""

import json

import pytest

from boards.access import boards_for_group, get_board, group_board_permission, visible_boards
from boards.models import Board, BoardAccess, Item
from groups.models import Membership
from groups.resolver import grants_for
from tests.boards.factories import add_item, add_section, fill_board, grant, make_board
from tests.conftest import make_group, make_user

pytestmark = pytest.mark.django_db

BOARD_GETS = ["", "edit/", "settings/", "general/", "access/", "duplicate/", "delete/", "export/"]
LEVEL_NEEDED = {
    "": "view",
    "edit/": "modify",
    "settings/": "modify",
    "general/": "full",
    "access/": "modify",
    "duplicate/": "modify",
    "delete/": "full",
    "export/": "modify",
}
RANK = {None: -1, "view": 0, "modify": 1, "full": 2}


def expected_status(level: str | None, needed: str, path: str, can_create: bool) -> int:
    if level is None:
        return 404
    if RANK[level] < RANK[needed] or (path == "duplicate/" and not can_create):
        return 403
    return 200


@pytest.fixture
def boards(people):
    private = make_board("private", people.owner)
    fill_board(private, 3)
    public = make_board("public", people.owner, public=True)
    fill_board(public, 3)
    return private, public


@pytest.mark.parametrize(
    ("row", "level"),
    [
        ("user", "view"),
        ("user", "modify"),
        ("user", "full"),
        ("group", "view"),
        ("group", "modify"),
        ("group", "full"),
        ("everyone", "view"),
        ("everyone", "modify"),
        ("everyone", "full"),
        (None, None),
    ],
)
def test_every_board_page_for_rows_of_users_groups_and_everyone(people, boards, login, row, level):
    private, _ = boards
    if row == "user":
        grant(private, level, user=people.outsider)
    elif row == "group":
        group = make_group("friends")
        Membership.objects.create(user=people.outsider, group=group)
        grant(private, level, group=group)
    elif row == "everyone":
        grant(private, level, group=people.everyone)
    client = login(people.outsider)
    for path in BOARD_GETS:
        response = client.get(f"/boards/private/{path}")
        assert response.status_code == expected_status(level, LEVEL_NEEDED[path], path, False), (
            row,
            level,
            path,
            response.status_code,
        )


def test_everyone_row_reaches_every_logged_in_user_but_not_anonymous(people, boards, login):
    private, _ = boards
    grant(private, "view", group=people.everyone)
    for user in (people.member, people.outsider, people.user_manager):
        assert login(user).get("/boards/private/").status_code == 200
    assert login(None).get("/boards/private/").status_code == 302


def test_disabled_user_reaches_nothing(people, boards, login):
    private, _ = boards
    grant(private, "full", user=people.outsider)
    client = login(people.outsider)
    people.outsider.is_active = False
    people.outsider.save()
    assert client.get("/boards/private/").status_code == 302  # logged out by the auth backend


@pytest.mark.parametrize(
    ("permission", "level"),
    [
        ("board-view-all", "view"),
        ("board-modify-all", "modify"),
        ("board-full-all", "full"),
        ("admin", "full"),
        ("board-create", None),
    ],
)
def test_global_permissions(people, boards, login, permission, level):
    group = make_group("global", permission)
    user = make_user("globe", group)
    client = login(user)
    for path in BOARD_GETS:
        can_create = permission in ("board-full-all", "admin", "board-create")
        expected = expected_status(level, LEVEL_NEEDED[path], path, can_create)
        assert client.get(f"/boards/private/{path}").status_code == expected, path


def test_owner_of_a_board_has_full_access_without_a_row(people, login):
    creator_group = make_group("creators", "board-create")
    creator = make_user("cora", creator_group)
    make_board("mine", creator)
    client = login(creator)
    for path in BOARD_GETS:
        assert client.get(f"/boards/mine/{path}").status_code == 200, path
    assert login(people.member).get("/boards/mine/").status_code == 404


def test_highest_level_wins_across_user_group_and_everyone_rows(people, boards, login):
    private, _ = boards
    grant(private, "view", group=people.everyone)
    grant(private, "full", group=people.family)
    grant(private, "view", user=people.member)
    assert login(people.member).get("/boards/private/general/").status_code == 200
    assert login(people.outsider).get("/boards/private/general/").status_code == 403


def test_rows_of_another_principal_do_not_leak(people, boards, login):
    """Rows are filtered by the current principal: a row for someone else grants nothing."""
    private, _ = boards
    grant(private, "full", user=people.member)
    grant(private, "full", group=people.managers)
    assert login(people.outsider).get("/boards/private/").status_code == 404


def test_anonymous_visitor_sees_public_boards_and_nothing_else(people, boards, login):
    client = login(None)
    assert client.get("/boards/public/").status_code == 200
    for path in BOARD_GETS[1:]:
        response = client.get(f"/boards/public/{path}")
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/")
    for url in ("/boards/private/", "/boards/nope/", "/boards/", "/preferences/", "/boards/new/"):
        assert client.get(url).status_code == 302, url
    public_item = Item.objects.filter(board__name="public").first()
    response = client.post(f"/boards/public/sections/{public_item.section_id}/collapse/", {})
    assert response.status_code == 302


def test_public_board_page_for_anonymous_has_no_editing_controls(people, boards, login):
    body = login(None).get("/boards/public/").content.decode()
    assert "/boards/public/edit/" not in body
    assert "/boards/public/settings/" not in body
    assert "data-collapse-url" not in body  # nothing to remember for a visitor


def test_unknown_and_invisible_boards_answer_the_same(people, boards, login):
    client = login(people.outsider)
    unknown = client.get("/boards/does-not-exist/")
    hidden = client.get("/boards/private/")
    assert unknown.status_code == hidden.status_code == 404
    assert [t.name for t in unknown.templates] == [t.name for t in hidden.templates]


def test_view_user_forged_edit_posts_answer_403_and_change_nothing(people, boards, login):
    private, _ = boards
    grant(private, "view", user=people.outsider)
    client = login(people.outsider)
    item = Item.objects.filter(board=private).first()
    state = {"version": private.version, "sections": []}
    posts = {
        "save/": {"state": json.dumps(state)},
        "widget-form/": {"kind": "clock", "load": "on"},
        "settings/": {"columns": 4},
        "general/": {"title": "Mine now", "name": "private", "is_public": "on"},
        "access/": {"principal": f"u:{people.outsider.pk}", "level": "full"},
        "delete/": {},
        "duplicate/": {"title": "Copy"},
        f"access/{BoardAccess.objects.get(board=private).pk}/remove/": {},
    }
    for path, data in posts.items():
        assert client.post(f"/boards/private/{path}", data).status_code == 403, path
    private.refresh_from_db()
    assert (private.title, private.is_public, private.columns) == ("Private", False, 12)
    assert Item.objects.filter(board=private).count() == 3
    assert Item.objects.get(pk=item.pk).options == item.options
    assert BoardAccess.objects.get(board=private).level == "view"
    assert Board.objects.count() == 2


def test_modify_user_cannot_rename_delete_publish_or_share(people, boards, login):
    private, _ = boards
    grant(private, "modify", user=people.outsider)
    client = login(people.outsider)
    assert client.get("/boards/private/access/").status_code == 200  # reads the Access tab
    for path in ("general/", "delete/", "access/"):
        assert client.post(f"/boards/private/{path}", {}).status_code == 403, path
    body = client.get("/boards/private/access/").content.decode()
    assert "Add or change" not in body


def test_lists_and_searches_never_show_invisible_boards(people, boards, login):
    make_board("secret-garden", people.owner, title="Secret garden")
    visible = make_board("garden-party", people.owner, title="Garden party")
    grant(visible, "view", user=people.outsider)
    client = login(people.outsider)
    for url in ("/boards/?q=garden", "/boards/?q=secret", "/boards/", "/"):
        body = client.get(url).content.decode()
        assert "secret-garden" not in body and "Secret garden" not in body, url
    assert "Garden party" in client.get("/boards/?q=garden").content.decode()
    htmx = client.get("/boards/?q=secret", headers={"HX-Request": "true"})
    assert "Secret garden" not in htmx.content.decode()
    assert "<html" not in htmx.content.decode()  # the results partial only
    prefs = client.get("/preferences/").content.decode()
    assert "Secret garden" not in prefs and "Garden party" in prefs


def test_board_list_shows_each_boards_level_and_filters_by_it(people, boards, login):
    private, _public = boards
    grant(private, "modify", user=people.outsider)
    client = login(people.outsider)
    rows = client.get("/boards/").context["rows"]
    assert {(b.name, level) for b, level in rows} == {("private", "modify"), ("public", "view")}
    rows = client.get("/boards/?level=modify").context["rows"]
    assert [b.name for b, _ in rows] == ["private"]
    rows = client.get("/boards/?visibility=public").context["rows"]
    assert [b.name for b, _ in rows] == ["public"]
    assert client.get("/boards/?mine=on").context["rows"] == []


def test_access_change_takes_effect_on_the_next_request(people, boards, login):
    private, _ = boards
    client = login(people.outsider)
    assert client.get("/boards/private/").status_code == 404
    row = grant(private, "view", user=people.outsider)
    assert client.get("/boards/private/").status_code == 200
    row.delete()
    assert client.get("/boards/private/").status_code == 404


def test_get_board_and_visible_boards_ask_the_resolver(people, boards, rf):
    _private, _public = boards
    request = rf.get("/")
    request.user = people.member
    request.grants = grants_for(people.member)
    assert set(visible_boards(request.grants).values_list("name", flat=True)) == {"public"}
    assert get_board(request, "public").name == "public"


def test_boards_for_group_lists_rows_and_home_boards(people, boards):
    private, public = boards
    grant(private, "modify", group=people.family)
    people.family.desktop_home_board = public
    people.family.save()
    listed = {(g.board.name, g.level, g.home) for g in boards_for_group(people.family)}
    assert listed == {("private", "modify", ()), ("public", None, ("desktop",))}
    assert group_board_permission(people.admins) == "full"
    assert group_board_permission(people.family) is None
    assert group_board_permission(make_group("viewers", "board-view-all")) == "view"


def test_item_data_needs_view_and_an_item_of_the_board(people, boards, login):
    private, _public = boards
    other = add_item(add_section(private), "app", ping=True, ping_url="http://127.0.0.1:9/")
    client = login(None)
    assert client.get(f"/boards/public/items/{other.pk}/data/").status_code == 404
    assert client.get(f"/boards/private/items/{other.pk}/data/").status_code == 302
    owner = login(people.owner)
    assert owner.get(f"/boards/private/items/{other.pk}/data/").status_code == 200
    clock = Item.objects.filter(board=private, kind="clock").first()
    assert owner.get(f"/boards/private/items/{clock.pk}/data/").status_code == 404


# --- Every board URL and action on a public board, with every persona -------------------------


def _public_cases():
    from tests.boards import routes

    cases = []
    for name, route in sorted(routes.ROUTES.items()):
        # Addresses of one board; uploaded icons belong to no board, and a board being public
        # changes nothing about them.
        if not callable(route.path) or name.startswith(("boards:group_home", "icons:")):
            continue
        for method in ("get", "post"):
            table = getattr(route, method)
            if table is None:
                continue
            for persona in ("owner", "admin", "user_manager", "member", "outsider", "anonymous"):
                cases.append((name, method, persona))
    return cases


def _public_expected(name: str, method: str, persona: str) -> int:
    """On the same board made public, the outsider gets what the `view` member gets, and an
    anonymous visitor may view (board page, widget data) and is sent to log in for the rest."""
    from tests.boards import routes
    from tests.matrix import Route

    table = getattr(routes.ROUTES[name], method)
    if persona == "outsider":
        persona = "member"
    expected = Route.expected(table, persona)
    if persona == "anonymous" and expected != 405:
        viewing = method == "get" and name in ("boards:board", "boards:item_data")
        return 200 if viewing else 302
    return expected


@pytest.mark.parametrize(("name", "method", "persona"), _public_cases())
def test_every_board_url_on_a_public_board(people, login, name, method, persona):
    from tests.boards import routes
    from tests.matrix import build_world

    world = build_world(people)
    world.board.is_public = True
    world.board.save()
    route = routes.ROUTES[name]
    client = login(people.get(persona))
    url = route.url(world)
    response = client.get(url) if method == "get" else client.post(url, route.data(world))
    expected = _public_expected(name, method, persona)
    assert response.status_code == expected, f"{method} {url} as {persona}: {response.status_code}"
